"""The database side: a meeting's instance, saving, manual moves, publishing, rooms, choices, Sheets."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from facilitation.assignment import choices, service
from facilitation.cli import main
from facilitation.errors import AccessDenied
from facilitation.meetings import schedule
from facilitation.registrations import intake
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.sheets import gsheets
from facilitation.sheets.emulator import SheetsEmulator
from facilitation.storage import db
from facilitation.storage.models import Assignment, Meeting, Person, Registration, Room

V = SECRETARIAT_LOCAL
COMMITTEE = Viewer(role="委員会", email="iin@example.org")


def upcoming(url: str) -> int:
    with db.session(url) as s:
        return schedule.upcoming_meeting(s).id


def test_run_saves_a_valid_assignment_and_explains_it(demo_copy_url):
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url, actor="test") as s:
        out = service.run_optimiser(s, V, mid, time_limit_s=20)
        assert out.result.status == "optimal" and out.saved
        built = out.built
        assert len(built.instance.people) == 38 and built.instance.past_rooms  # history counts
    with db.session(demo_copy_url) as s:
        status = service.check(s, mid)
        assert status.violations == [] and status.unassigned == 0
        rooms = service.list_rooms(s, mid)
        assert all(r.facilitator_id is not None for r in rooms)  # one facilitator per room, saved
        frame = service.people_frame(s, V, mid, status)
        assert len(frame) == 38 and frame["reason"].str.len().min() > 5
        assert set(frame["room"]) <= {r.name for r in rooms}
        hidden = service.people_frame(s, COMMITTEE, mid, status)
        assert "name" not in hidden.columns and "reason" not in hidden.columns
        q = service.quality(s, mid, status)
        assert q.optimised.shares[0] > q.random.shares[0] and q.optimised.violations == 0


def test_manual_move_pins_rechecks_and_refuses_stale_edits(demo_copy_url):
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)
    with db.session(demo_copy_url) as s:
        shown = service.people_frame(s, V, mid)
        rooms = [r.name for r in service.list_rooms(s, mid)]
    row = shown[~shown["facilitator"]].iloc[[0]].copy()
    target = next(r for r in rooms if r != row.iloc[0]["room"])
    row["room"] = target
    with db.session(demo_copy_url, actor="a@example.org") as s:
        out = service.apply_edits(s, Viewer(role="事務局", email="a@example.org"), mid, row)
    assert out.changed == 1 and out.refused == []
    with db.session(demo_copy_url) as s:
        a = s.get(Assignment, int(row.iloc[0]["assignment_id"]))
        assert a.pinned and s.get(Room, a.room_id).name == target and a.version == int(row.iloc[0]["version"]) + 1
    # Someone else, still looking at the old screen, moves the same person back: refused.
    stale = shown[~shown["facilitator"]].iloc[[0]].copy()
    stale["pinned"] = True
    with db.session(demo_copy_url) as s:
        out = service.apply_edits(s, Viewer(role="事務局", email="b@example.org"), mid, stale)
    assert out.changed == 0 and len(out.refused) == 1 and "a@example.org" in out.refused[0]
    # The optimiser keeps the pinned person where the secretariat put them.
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)
        a = s.get(Assignment, int(row.iloc[0]["assignment_id"]))
        assert s.get(Room, a.room_id).name == target
    with pytest.raises(service.AccessDenied):
        with db.session(demo_copy_url) as s:
            service.apply_edits(s, COMMITTEE, mid, row)


def test_publish_then_late_registration_with_least_change(demo_copy_url):
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)
        v1 = service.publish(s, V, mid, "案内メール送信")
        assert v1.number == 1 and len(v1.snapshot) == 38
        assert service.diff_since_published(s, V, mid).empty
        room = service.list_rooms(s, mid)[0]
        person = Person(name="遅井 申子", email="late@example.org", name_key="おそいしんこ")
        s.add(person)
        s.flush()
        s.add(Registration(meeting_id=mid, person_id=person.id, choice1=room.theme, org_text="ふらっと",
                           submitted_at=dt.datetime(2026, 12, 9)))
        rules = {**service.get_rules(s, mid), "least_change": True}
        service.set_rules(s, V, mid, rules)
    with db.session(demo_copy_url) as s:
        out = service.run_optimiser(s, V, mid)
        assert out.result.ok and out.result.moves == 0
        diff = service.diff_since_published(s, V, mid)
        assert list(diff["change"]) == ["追加"] and list(diff["name"]) == ["遅井 申子"]
        assert service.publish(s, V, mid).number == 2


def test_infeasible_meeting_is_not_saved_and_says_why(demo_copy_url):
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url) as s:
        for r in service.list_rooms(s, mid):
            r.capacity = 5
        out = service.run_optimiser(s, V, mid)
        assert out.result.status == "infeasible" and not out.saved
        n_rooms = len(service.list_rooms(s, mid))
        assert f"定員の合計 {5 * n_rooms} が参加者 38 より少ない" in out.result.reasons[0]
        assert s.scalar(select(Assignment).join(Room).where(Room.meeting_id == mid)) is None


def test_rooms_copy_theme_library_and_choice_review(db_url):
    with db.session(db_url) as s:
        old = schedule.add_meeting(s, schedule.MeetingInput(title="第4回", starts_at=dt.datetime(2025, 11, 5, 14)))
        new = schedule.add_meeting(s, schedule.MeetingInput(title="第5回", starts_at=dt.datetime(2026, 1, 20, 14)))
        service.save_rooms(s, V, old.id, [service.RoomInput("ルーム1", "引きこもり支援", 8),
                                          service.RoomInput("ルーム2", "ケース検討", 6, "R2-case")])
        with pytest.raises(service.AssignmentError, match="ルーム名「ルーム1」が重複"):
            service.save_rooms(s, V, new.id, [service.RoomInput("ルーム1"), service.RoomInput("ルーム1")])
        assert service.copy_rooms(s, V, old.id, new.id) == 2
        copied = service.list_rooms(s, new.id)
        assert [(r.name, r.theme, r.capacity, r.zoom_name) for r in copied] == [
            ("ルーム1", "引きこもり支援", 8, "R1"), ("ルーム2", "ケース検討", 6, "R2-case")]
        library = service.theme_library(s)
        assert "引きこもり支援" in library and library[0] == "自立相談支援事業【支援に関する事】（引きこもり）"
        service.add_theme(s, V, "災害時の支援")
        assert "災害時の支援" in service.theme_library(s)
        person = Person(name="佐藤 陽子", email="s@example.org", name_key="さとうようこ")
        s.add(person)
        s.flush()
        s.add(Registration(meeting_id=new.id, person_id=person.id, choice1="1. 引きこもり支援",
                           choice2="ケース検討会", choice3="特になし"))
        s.flush()
        review = choices.choice_review(s, new.id)
        by_text = {r["text"]: r for r in review.to_dict("records")}
        assert by_text["1. 引きこもり支援"]["match"] == "一致" and by_text["1. 引きこもり支援"]["room"] == "ルーム1"
        assert by_text["ケース検討会"]["match"] == "対応なし" and by_text["ケース検討会"]["suggestion"] == "ルーム2"
        assert set(intake.unmatched_choices(s, new.id)["text"]) == {"ケース検討会", "特になし"}
        with pytest.raises(choices.ChoiceError, match="この会にありません"):
            choices.map_choice(s, V, new.id, "ケース検討会", service.list_rooms(s, old.id)[0].id)
        with pytest.raises(AccessDenied):
            choices.map_choice(s, COMMITTEE, new.id, "ケース検討会", copied[1].id)
        choices.map_choice(s, V, new.id, "ケース検討会", copied[1].id)
        choices.map_choice(s, V, new.id, "特になし", None)
        # Decided on the rooms page: the registrations page has nothing left to decide; texts kept.
        assert intake.unmatched_choices(s, new.id).empty
        assert intake.summary(s, new.id).unmatched_choices == 0
        reg = s.scalar(select(Registration).where(Registration.meeting_id == new.id))
        assert (reg.choice1, reg.choice2, reg.choice3) == ("1. 引きこもり支援", "ケース検討会", "特になし")
        assert {r["text"]: r["match"] for r in choices.choice_review(s, new.id).to_dict("records")} == {
            "1. 引きこもり支援": "一致", "ケース検討会": "確認済み", "特になし": "対象外"}
        built = service.build_instance(s, new.id)
        assert built.instance.people[0].choices == [f"r{copied[0].id}", f"r{copied[1].id}"]
        assert built.unmatched_choices == 0
    with db.session(db_url) as s:
        out = service.run_optimiser(s, V, new.id)  # default rules: one facilitator per room, nobody willing
        assert out.result.status == "infeasible" and "ファシリテーター希望者が 0 名でルーム 2 室に足りません。" in out.result.reasons
        assert service.run_optimiser(s, V, new.id, rules={"choice_weights": [3, 2, 1]}).saved
        with pytest.raises(service.AssignmentError, match="すでに 1 名"):
            service.copy_rooms(s, V, old.id, new.id)


def test_write_back_to_the_meetings_google_sheet(demo_copy_url, monkeypatch):
    mid = upcoming(demo_copy_url)
    key = "rooms-write-back-test-key"
    gsheets.clear_cache()
    with SheetsEmulator() as em:
        em.add_spreadsheet(key, {"フォームの回答 1": [["氏名"]]})
        monkeypatch.setenv(gsheets.ENDPOINT_ENV, em.url)
        with db.session(demo_copy_url) as s:
            with pytest.raises(service.AssignmentError, match="スプレッドシートが登録されていません"):
                service.write_to_sheet(s, V, mid)
            s.get(Meeting, mid).sheet_url = f"https://docs.google.com/spreadsheets/d/{key}/edit"
            service.run_optimiser(s, V, mid)
            message = service.write_to_sheet(s, V, mid)
        values = em.values(key, service.SHEET_TAB)
    assert "38 名分" in message
    assert values[0][:4] == ["ルーム", "Zoomのルーム名", "テーマ", "氏名"] and len(values) == 39


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_command_line_solve_and_meeting(tmp_path, capsys, demo_copy_url):
    instance = {"rooms": [{"id": "R1", "name": "ルーム1", "theme": "引きこもり", "capacity": 2},
                          {"id": "R2", "name": "ルーム2", "theme": "就労準備", "capacity": 2}],
                "people": [{"id": f"p{i}", "org": f"機関{i}", "choices": ["R1", "R2"]} for i in range(1, 5)],
                "past_rooms": [["p1", "p2"]],
                "rules": {"choice_weights": [3, 2, 1], "repeat_penalty": 1}, "time_limit_s": 5}
    src, dst = tmp_path / "instance.json", tmp_path / "result.json"
    src.write_text(json.dumps(instance, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(capsys, "assign", "solve", str(src), "--out", str(dst))
    assert code == 0 and "最適な割り当てが見つかりました" in out
    result = json.loads(dst.read_text(encoding="utf-8"))
    assert result["status"] == "optimal" and result["objective"] == 10
    assert set(result) >= {"status", "assignment", "facilitators", "objective", "reasons", "seconds"}
    assert result["assignment"]["p1"] != result["assignment"]["p2"]
    instance["rooms"][1]["capacity"] = 1
    src.write_text(json.dumps(instance, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run_cli(capsys, "assign", "solve", str(src))
    assert code == 3 and "定員の合計 3 が参加者 4 より少ない" in json.loads(out)["reasons"][0]
    src.write_text("{broken", encoding="utf-8")
    code, _, err = run_cli(capsys, "assign", "solve", str(src))
    assert code == 2 and "JSON として読めません" in err and "Traceback" not in err

    mid = upcoming(demo_copy_url)
    code, out, _ = run_cli(capsys, "--db", demo_copy_url, "assign", "--meeting", str(mid))
    assert code == 0 and "参加者 38 名" in out and "第1希望" in out
    code, out, _ = run_cli(capsys, "--db", demo_copy_url, "assign", "--meeting", str(mid), "--json", "--save")
    data = json.loads(out)
    assert data["status"] == "optimal" and len(data["assignment"]) == 38
    with db.session(demo_copy_url) as s:
        assert len(service.check(s, mid).assignment) == 38
    code, _, err = run_cli(capsys, "--db", demo_copy_url, "assign", "--meeting", "9999")
    assert code == 2 and "9999" in err


def test_roster_reasons_follow_the_rules_of_the_saved_run(demo_copy_url):
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)
        service.publish(s, V, mid)
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)  # after publishing, least change still off
        reasons = [e.reason for e in service.roster(s, V, mid).entries]
        text = service.overview(s, mid)
        state = service.rules_state(s, mid)
    assert len(reasons) == 38 and all(reasons)
    assert not any("公開済み" in r or "動かさない" in r for r in reasons), reasons
    assert "「各ルームにファシリテーター1名（希望者から）」" in text and "希望を出した" in text
    assert state.run_sentence.startswith("決まり: ルームの定員、各ルームにファシリテーター1名") and not state.changed_since_run
    # The switches change after the run: reasons still describe the run, the page is told they differ.
    with db.session(demo_copy_url) as s:
        service.set_rules(s, V, mid, {**service.get_rules(s, mid), "least_change": True})
    with db.session(demo_copy_url) as s:
        assert service.rules_state(s, mid).changed_since_run
        assert not any("動かさない" in e.reason for e in service.roster(s, V, mid).entries)


def test_facilitator_links_go_into_the_excel_overview(demo_copy_url, tmp_path):
    import openpyxl

    from facilitation.assignment import exports

    mid = upcoming(demo_copy_url)
    secret = b"s" * 40
    with db.session(demo_copy_url) as s:
        service.run_optimiser(s, V, mid)
        rooms = service.list_rooms(s, mid)
        first = service.facilitator_links(s, V, mid, secret, lambda t: f"https://example.org/roster?token={t}")
        again = service.facilitator_links(s, V, mid, secret, lambda t: f"https://example.org/roster?token={t}")
        assert [k.new for k in first] == [True] * len(rooms) and not any(k.new for k in again)
        assert [k.url for k in again] == [k.url for k in first]
        with pytest.raises(AccessDenied):
            service.facilitator_links(s, COMMITTEE, mid, secret, str)
        data = exports.roster_xlsx(service.roster(s, V, mid, links=again))
    path = tmp_path / "roster.xlsx"
    path.write_bytes(data)
    sheet = openpyxl.load_workbook(path)["一覧"]
    header = [c.value for c in sheet[1]]
    col = header.index("ファシリテーター用リンク")
    urls = [row[col].value for row in sheet.iter_rows(min_row=2)]
    assert urls == [k.url for k in first] and all(u.startswith("https://example.org/roster?token=v1.") for u in urls)
    assert all(row[header.index("リンクの有効期限")].value for row in sheet.iter_rows(min_row=2))
    text = service.links_message("第5回 情報交換会", first)
    assert text.count("■ ") == len(rooms) and all(k.url in text for k in first)


def test_a_theme_is_stored_and_printed_as_typed(demo_copy_url):
    """Full-width brackets typed in a theme stay 「（…）」 in the database, the Excel roster and the
    report (issue 22): text is folded only to match, never to store."""
    import io

    import openpyxl

    from facilitation.assignment import exports
    from facilitation.rosters import report

    theme, name = "制度の運営について（自治体担当者）", "ルーム８"
    mid = upcoming(demo_copy_url)
    with db.session(demo_copy_url) as s:
        service.save_rooms(s, V, mid, [service.RoomInput(name, theme, 8), service.RoomInput("ルーム2", "就労準備", 8)])
        service.add_theme(s, V, "一時生活支援（シェルター）")
        assert "一時生活支援（シェルター）" in service.theme_library(s)
        with pytest.raises(service.AssignmentError, match="重複"):  # matching still folds the width
            service.save_rooms(s, V, mid, [service.RoomInput("ルーム8"), service.RoomInput(name)])
    with db.session(demo_copy_url) as s:
        assert [(r.name, r.theme) for r in service.list_rooms(s, mid)][0] == (name, theme)
        service.run_optimiser(s, V, mid, time_limit_s=5)
        book = openpyxl.load_workbook(io.BytesIO(exports.roster_xlsx(service.roster(s, V, mid))), read_only=True)
        cells = {str(c) for sheet in book.worksheets for row in sheet.values for c in row if c}
        data = report.build_report(s, V, mid)
    assert any(theme in c for c in cells) and not any("(自治体担当者)" in c for c in cells)
    html = report.render(data, ".html").decode("utf-8")
    assert theme in html and "(自治体担当者)" not in html
