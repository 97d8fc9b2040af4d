"""ルーム名簿 page (AppTest): a facilitator's room, taps, autosaved notes; the secretariat's views."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer
from facilitation.rosters import live, zoom
from facilitation.storage import db
from facilitation.storage.models import Registration, RoomNote
from tests.conftest import ROOT, place_upcoming
from ui import roster

PAGE = str(ROOT / "pages" / "roster.py")


@pytest.fixture
def app(monkeypatch, demo_copy_url):
    monkeypatch.setenv("FACILITATION_DB_URL", demo_copy_url)
    roster.load_roster.clear()
    roster.load_overview.clear()
    return demo_copy_url, place_upcoming(demo_copy_url)


def run_as(viewer: Viewer) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["viewer"] = viewer
    return at.run()


def texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def people(at: AppTest):
    """The room's people and their marks (ui/roster_people.py, one components v2 element)."""
    return next(el for el in at.get("bidi_component") if el.key == roster.PEOPLE_KEY)


def marks(at: AppTest) -> dict[int, str]:
    """Each person's mark as the phone is told to show it."""
    return {p["rid"]: p["mark"] for p in json.loads(people(at).proto.json)["people"]}


def tap(at: AppTest, rid: int, mark: str, shown: str | None = None) -> AppTest:
    """Send what the element's JavaScript sends on a tap (AppTest runs no JavaScript): a trigger
    value with the mark tapped and the mark the phone showed (default: what this run shows)."""
    shown = marks(at)[rid] if shown is None else shown
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = f"$$STREAMLIT_INTERNAL_KEY_{people(at).proto.id}__events"
    state.json_trigger_value = json.dumps([{"event": "tap", "value": {"rid": rid, "mark": mark, "shown": shown}}])
    return at._run(states)


def test_facilitator_sees_only_their_room_and_taps_attendance(app):
    url, w = app
    room = w["rooms"][1]
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w["meeting_id"], room_id=room)
    at = run_as(fac)
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "ルーム名簿"
    assert at.subheader[0].value.startswith(w["room_names"][room] + "：")
    page = texts(at) + json.dumps(json.loads(people(at).proto.json), ensure_ascii=False)
    mine = [w["names"][r] for r in w["placed"][room]]
    others = [w["names"][r] for rid, regs in w["placed"].items() if rid != room for r in regs]
    assert all(n.replace(" ", "") in page.replace(" ", "") for n in mine)
    assert not any(n in page for n in set(others) - set(mine))
    assert "未確認 4（4名）" in texts(at)
    assert len(at.selectbox) == 0  # a facilitator picks nothing: the link decides the room
    shown = json.loads(people(at).proto.json)  # what the phone draws, as text (ui/roster_people.py)
    assert sorted(p["rid"] for p in shown["people"]) == sorted(w["placed"][room])
    assert shown["marks"] == ["出席", "欠席", "遅刻", "途中退室"]
    assert ["ファシリ", "blue"] in [b for p in shown["people"] for b in p["badges"]]
    assert all(p["zoom"].startswith("R2_") for p in shown["people"])

    target = w["placed"][room][1]
    tap(at, target, "遅刻")
    assert not at.exception
    with db.session(url) as s:
        assert live.marks_of(s, w["meeting_id"])[target] == "遅刻"
        assert s.get(Registration, target).status == "出席"
    assert "遅刻 1" in texts(at)
    assert marks(at)[target] == "遅刻"
    tap(at, target, "")  # tapping the selected mark clears it
    with db.session(url) as s:
        assert target not in live.marks_of(s, w["meeting_id"])
    assert marks(at)[target] == "" and "未確認 4（4名）" in texts(at)
    at.run()  # a later rerun: the tap is not sent again (a trigger value does not persist)
    with db.session(url) as s:
        assert target not in live.marks_of(s, w["meeting_id"])


def test_a_phone_never_overwrites_a_mark_it_has_not_seen(app):
    """A tap counts only as a change from what that screen showed, and only while the stored mark is
    still that one (bench/roster_load.py once caught a phone's old segmented-control value restoring
    欠席 two seconds after the secretariat cleared it; taps are now trigger values carrying `shown`)."""
    url, w = app
    room = w["rooms"][1]
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w["meeting_id"], room_id=room)
    target = w["placed"][room][1]
    at = run_as(fac)
    with db.session(url) as s:  # the secretariat records 欠席; this phone has not rerun yet
        live.mark_attendance(s, SECRETARIAT_LOCAL, target, "欠席")
    tap(at, target, "出席")  # tapped on what it showed (未確認)
    assert not at.exception
    with db.session(url) as s:
        assert live.marks_of(s, w["meeting_id"])[target] == "欠席"  # the newer mark stays
    assert any("ほかの方が「欠席」に変更していました" in e.value for e in at.error)
    assert marks(at)[target] == "欠席"  # and the phone shows it now

    with db.session(url) as s:  # cleared by the secretariat; a tap still based on 欠席 changes nothing
        live.mark_attendance(s, SECRETARIAT_LOCAL, target, "")
    tap(at, target, "遅刻", shown="欠席")
    with db.session(url) as s:
        assert target not in live.marks_of(s, w["meeting_id"])
    assert any("ほかの方が" in e.value for e in at.error)
    tap(at, target, "欠席", shown="欠席")  # mark = what was shown: not a change, nothing said
    with db.session(url) as s:
        assert target not in live.marks_of(s, w["meeting_id"])
    assert not at.error


def note_field(at: AppTest, key: str):
    """A room-notes field (ui/autosave_text.py, a components v2 element) as AppTest sees it."""
    return next(el for el in at.get("bidi_component") if el.key == key)


def shown(at: AppTest, key: str) -> str:
    return json.loads(note_field(at, key).proto.json)["value"]


def type_note(at: AppTest, key: str, text: str) -> AppTest:
    """Send what the field's JavaScript sends after a pause in typing (AppTest runs no JavaScript):
    the text and the saved text the typing began from (what the field showed)."""
    states = at._tree.get_widget_states()
    state = states.widgets.add()
    state.id = note_field(at, key).proto.id
    state.json_value = json.dumps({"text": {"text": text, "base": shown(at, key), "at": time.time()}})
    return at._run(states)


def test_facilitator_notes_autosave_with_visible_time(app):
    url, w = app
    room = w["rooms"][0]
    fac = Viewer(role=FACILITATOR, email="fac@example.org", meeting_id=w["meeting_id"], room_id=room)
    at = run_as(fac)
    assert at.subheader[1].value == "ルームの記録"
    assert [el.key for el in at.get("bidi_component")][1:] == [f"note_{room}_{f}" for f in
                                                          ("theme", "participants", "issues", "efforts", "requests", "summary")]
    assert "（ファシリ）" in shown(at, f"note_{room}_participants")  # prefilled from the room's organisations
    assert "まだ保存されていません。" in [c.value for c in at.caption]
    type_note(at, f"note_{room}_issues", "家族からの相談で止まってしまう。")
    assert not at.exception
    assert any(s.value.startswith("保存済み ") for s in at.success)
    assert shown(at, f"note_{room}_issues") == "家族からの相談で止まってしまう。"
    type_note(at, f"note_{room}_summary", "焦らず関係を作る。")
    # Meanwhile the secretariat corrects 取り組み・工夫; the facilitator's next run shows it.
    with db.session(url) as s:
        from facilitation.rosters import notes

        notes.save_note(s, SECRETARIAT_LOCAL, room, {"efforts": "手紙から始めている。"})
    type_note(at, f"note_{room}_requests", "研修を道内各地で。")
    assert shown(at, f"note_{room}_efforts") == "手紙から始めている。"
    # The secretariat saves まとめ while the facilitator (whose screen still shows their own text)
    # changes it: nothing is replaced unseen; the field now shows the other text...
    with db.session(url) as s:
        notes.save_note(s, SECRETARIAT_LOCAL, room, {"summary": "別の内容"})
    type_note(at, f"note_{room}_summary", "焦らずに関係を作る。")
    assert shown(at, f"note_{room}_summary") == "別の内容"
    with db.session(url) as s:
        assert s.scalar(select(RoomNote.summary).where(RoomNote.room_id == room)) == "別の内容"
    # ...and 「自分の入力で保存する」 sends again from what is now shown: saved.
    type_note(at, f"note_{room}_summary", "焦らず関係を作る。")
    with db.session(url) as s:
        row = s.scalar(select(RoomNote).where(RoomNote.room_id == room))
    assert (row.issues, row.summary, row.efforts, row.requests) == (
        "家族からの相談で止まってしまう。", "焦らず関係を作る。", "手紙から始めている。", "研修を道内各地で。")
    assert row.participants == ""  # untouched prefill is not frozen into the notes


def test_secretariat_overview_counts_every_room(app):
    url, w = app
    with db.session(url) as s:
        first = w["placed"][w["rooms"][0]]
        live.mark_attendance(s, SECRETARIAT_LOCAL, first[0], "出席")
        live.mark_attendance(s, SECRETARIAT_LOCAL, first[1], "欠席")
    at = run_as(SECRETARIAT_LOCAL)
    assert not at.exception
    page = texts(at)
    assert f"**{w['room_names'][w['rooms'][0]]}**　出席 1 / 4名" in page
    assert "全体：出席 1・遅刻 0・途中退室 0・欠席 1" in page
    names = w["names"]  # each person's mark is a word (no colour-emoji font needed), never an emoji alone
    assert f"**出席**]　{names[first[0]]}" in page and f":gray[欠席]　{names[first[1]]}" in page
    assert f":gray[未確認]　{names[first[2]]}" in page
    assert not any(e in page for e in "🟢🟡🟠⚪")
    assert any("まだルームが決まっていない方が" in x.value for x in at.warning)  # 38 − 20 placed

    at.segmented_control(key="roster_view").set_value("ルームごと").run()
    at.selectbox(key=f"roster_room_{w['meeting_id']}").set_value(w["rooms"][0]).run()
    assert not at.exception
    assert marks(at)[first[0]] == "出席"


def test_secretariat_report_and_zoom_resolution(app):
    url, w = app
    csv = ("名前（元の名前）,ユーザーメール,参加時刻,退出時刻,期間（分）,ゲスト\n"
           "どうねっと事務局,office@example.org,2026/12/10 13:45,2026/12/10 16:30,165,いいえ\n")
    with db.session(url) as s:
        zoom.import_report(s, SECRETARIAT_LOCAL, w["meeting_id"], csv.encode(), "zoom.csv")
    at = run_as(SECRETARIAT_LOCAL)
    at.segmented_control(key="roster_view").set_value("レポート・Zoom出席").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [s.value for s in at.subheader] == ["報告レポート", "Zoomの参加者レポートから出席を記録"]
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Word（.docx）をダウンロード", "Markdown（.md）をダウンロード", "HTML（.html）をダウンロード"]
    assert "**どうねっと事務局**" in texts(at)
    at.text_area(key=f"report_overall_{w['meeting_id']}").set_value("各ルームの意見を共有しました。").run()
    with db.session(url) as s:
        from facilitation.rosters import report

        assert report.get_sections(s, w["meeting_id"])["overall"] == "各ルームの意見を共有しました。"
        row_id = zoom.stored_rows(s, SECRETARIAT_LOCAL, w["meeting_id"])[0].id
    at.button(key=f"zoom_skip_{row_id}").click().run()
    assert not at.exception
    assert "**どうねっと事務局**" not in texts(at)


def test_other_viewers_get_a_polite_message(app):
    url, w = app
    at = run_as(Viewer(role=COMMITTEE))
    assert [i.value for i in at.info] == ["このページは事務局とファシリテーターのためのページです。"]
    at = run_as(Viewer(role=FACILITATOR))
    assert "リンクを開き直してください" in at.warning[0].value
    # A facilitator link for a room of another meeting: refused, nothing listed.
    at = run_as(Viewer(role=FACILITATOR, meeting_id=w["meeting_id"], room_id=999_999))
    assert not at.exception and "このルームの名簿を見る権限がありません" not in texts(at)
    assert at.warning or at.error


def _zoom_report(n: int) -> bytes:
    lines = ["名前（元の名前）,ユーザーメール,参加時刻,退出時刻,期間（分）,ゲスト"]
    lines += [f"ゲスト{i:05d},,2026/12/10 13:55:10,2026/12/10 16:31:00,156,はい" for i in range(n)]
    return ("\n".join(lines) + "\n").encode()


def test_a_50000_row_zoom_report_is_refused_at_once_with_the_limit_named(app):
    url, w = app
    at = run_as(SECRETARIAT_LOCAL)
    at.segmented_control(key="roster_view").set_value("レポート・Zoom出席").run()
    at.file_uploader(key=f"zoom_file_{w['meeting_id']}").set_value(("participants.csv", _zoom_report(50_000),
                                                                    "text/csv")).run()
    at.button(key=f"zoom_go_{w['meeting_id']}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [error] = [e.value for e in at.error]
    assert "行が多すぎます（約50,001行）" in error and "10,000行まで" in error and "participants.csv" in error
    with db.session(url) as s:  # nothing was imported
        assert zoom.stored_rows(s, SECRETARIAT_LOCAL, w["meeting_id"]) == []


def test_many_unmatched_zoom_rows_are_shown_a_few_at_a_time(app):
    url, w = app
    with db.session(url) as s:
        result = zoom.import_report(s, SECRETARIAT_LOCAL, w["meeting_id"], _zoom_report(200), "zoom.csv")
    assert len(result.unmatched) == 200
    at = run_as(SECRETARIAT_LOCAL)
    at.segmented_control(key="roster_view").set_value("レポート・Zoom出席").run()
    assert not at.exception
    picks = [b for b in at.selectbox if str(b.key).startswith("zoom_pick_")]
    assert len(picks) == roster.SHOWN_AT_ONCE
    assert "**申込と一致しなかった方（200件）**" in texts(at)
    assert any("ほか 170件" in c.value for c in at.caption)
