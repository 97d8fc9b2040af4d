"""The 申込管理 page as the secretariat and the committee see it (AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from facilitation.assignment import building, choices
from facilitation.demo.sheets import DEMO_URL
from facilitation.meetings import schedule
from facilitation.orgs import matching
from facilitation.registrations import importing, kept_aside, manual, sync
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Registration
from tests.conftest import demo_sheet

SEC = SECRETARIAT_LOCAL  # the secretariat on this machine

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "registrations.py")


@pytest.fixture
def app_db(demo_copy_url, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    return demo_copy_url


def on_tab(at: AppTest, name: str) -> AppTest:
    """Open one of the page's tabs (only the open tab is drawn) and run."""
    at.session_state["registrations_tab"] = name
    return at.run()


def test_secretariat_sees_counts_table_and_can_sync(app_db, monkeypatch):
    with demo_sheet(app_db, monkeypatch) as (em, mid):
        with db.session(app_db) as s:
            sync.configure_sheet(s, SECRETARIAT_LOCAL, mid, DEMO_URL)
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.run()
        assert not at.exception
        assert at.title[0].value == "申込管理"
        assert [m.value for m in at.metric][:1] == ["38名"]
        table = at.dataframe if at.dataframe else None
        assert at.get("data_editor") or table  # the registrant table is there
        on_tab(at, "取り込み")
        assert any("最終同期: まだ同期していません" in c.value for c in at.caption)
        at.button(key="sync_now").click().run()
        assert not at.exception
        assert any(s.value.startswith("取り込みました。") for s in at.success)
        assert any("保留にした行が 2 件" in w.value for w in at.warning)
        assert any(i.value == "Google フォームの回答（Google スプレッドシート）として読みました。" for i in at.info), [
            i.value for i in at.info]  # what the sheet is
        assert em.request_count == 1
        assert [m.value for m in at.metric][:1] == ["44名"]


def test_the_search_and_filters_are_kept_while_another_tab_is_open(app_db):
    """Only the open tab is drawn; the registrant list's search and filters still wait for the person
    who comes back from 取り込み."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    at.text_input(key="reg_search").input("札幌").run()
    at.multiselect(key="reg_status").select(at.multiselect(key="reg_status").options[0]).run()
    shown = next(c.value for c in at.caption if "件を表示しています" in c.value)
    on_tab(at, "取り込み")
    on_tab(at, "申込者一覧")
    assert not at.exception and not [w for w in at.warning if "Session State" in w.value]  # no double value
    assert at.text_input(key="reg_search").value == "札幌"
    assert at.multiselect(key="reg_status").value == [at.multiselect(key="reg_status").options[0]]
    assert next(c.value for c in at.caption if "件を表示しています" in c.value) == shown


def register_by_hand(**typed: str) -> AppTest:
    """The manual entry form filled in by its labels and sent."""
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "手入力")
    labels = [t.label for t in at.text_input]
    for label, text in typed.items():
        at.text_input[labels.index(label)].input(text)
    at.button[[b.label for b in at.button].index("登録する")].click().run()
    assert not at.exception
    return at


def test_manual_entry_form_registers_a_person(app_db):
    at = register_by_hand(**{"氏名（必須）": "石川 千尋", "メールアドレス": "ishikawa@example.org",
                             "所属（法人・機関名）": "ＪＯＩＮ"})
    assert any("石川 千尋さんの申込を登録しました" in s.value for s in at.success)
    assert [m.value for m in at.metric][:1] == ["39名"]


def test_manual_entry_error_is_shown_in_japanese(app_db):
    at = register_by_hand(**{"氏名（必須）": "石川 千尋", "メールアドレス": "ishikawa@"})
    assert any("メールアドレスの形式ではありません" in e.value for e in at.error)


def test_committee_sees_counts_but_no_names(app_db):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["viewer"] = Viewer(role=COMMITTEE)
    at.run()
    assert not at.exception
    assert not at.tabs  # no import, review or editing for the committee
    frame = at.dataframe[-1].value
    assert len(frame) == 38
    assert not {"氏名", "メールアドレス", "ふりがな", "備考"} & set(frame.columns)
    assert list(frame.columns[:3]) == ["所属（入力）", "機関", "区分"]  # the counts, under their Japanese headers
    assert "example.org" not in frame.to_string()
    assert not [t for t in at.text_input if "検索" in t.label]


def test_a_choice_mapped_on_this_page_is_what_the_rooms_page_and_the_optimiser_use(app_db):
    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
        room = choices.list_rooms(s, mid)[2]
        reg_id = manual.add_manual(s, SEC, mid, manual.ManualEntry(
            name="石川 千尋", email="ishikawa@example.org", org="ＪＯＩＮ", choice1="ひきこもりの家族会の話",
            choice2="住まいと居住支援")).id
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "確認待ち")
    assert not at.exception
    assert any("ルームに対応しない希望テーマ 1 件" in w.value for w in at.warning)
    assert "ルームに対応しない希望テーマ" in [h.value for h in at.subheader]
    picker = next(b for b in at.selectbox if b.label == "「ひきこもりの家族会の話」のルーム")  # keyed by the wish
    picker.set_value(room.id)
    at.button(key=f"{picker.key}_btn").click().run()
    assert not at.exception
    assert any(f"「ひきこもりの家族会の話」を{room.name}（{room.theme}）に対応付けました。" in s.value for s in at.success)
    assert "ルームに対応しない希望テーマ" not in [h.value for h in at.subheader]
    with db.session(app_db) as s:
        review = {r["text"]: r for r in choices.choice_review(s, mid).to_dict("records")}
        assert (review["ひきこもりの家族会の話"]["match"], review["ひきこもりの家族会の話"]["room"]) == ("確認済み", room.name)
        built = building.build_instance(s, mid)
        person = next(p for p, reg in built.registration.items() if reg.id == reg_id)
        spec = next(p for p in built.instance.people if p.id == person)
        living = next(r for r in choices.list_rooms(s, mid) if r.theme == "住まいと居住支援")
        assert spec.choices == [f"r{room.id}", f"r{living.id}"] and built.unmatched_choices == 0
        assert s.get(Registration, reg_id).choice1 == "ひきこもりの家族会の話"  # the registrant's text is kept


def test_review_tab_confirms_sure_suggestions_at_once_and_lists_rows_to_check(app_db):
    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
        before = {r.text for r in matching.pending(s, SEC, mid)}
        for i, (org, region) in enumerate([("千歳市 福祉課", "石狩振興局"), ("恵庭市社会福祉課", "石狩振興局"),
                                           ("石狩市", "石狩振興局"), ("", "")]):
            manual.add_manual(s, SEC, mid, manual.ManualEntry(name=f"確認 {i}太郎", email=f"kakunin{i}@example.org",
                                                         org=org, region=region))
        sure = {r.text for r in matching.above(s, SEC, 85, mid)}
        assert {"千歳市 福祉課", "恵庭市社会福祉課"} <= sure and "石狩市" not in sure
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "確認待ち")
    assert not at.exception
    assert "確認が必要な申込" in [h.value for h in at.subheader]
    assert any("確認 3太郎さんの所属が空欄です" in m.value for m in at.markdown)
    at.number_input(key="review_threshold").set_value(85).run()
    button = at.button(key="review_confirm_above")
    assert button.label == f"一致度 85% 以上の候補 {len(sure)} 件をまとめて確定"
    button.click().run()
    assert not at.exception
    assert any(f"一致度 85% 以上の {len(sure)} 件をまとめて確定しました" in m.value for m in at.success)
    with db.session(app_db) as s:
        left = {r.text for r in matching.pending(s, SEC, mid)}
        assert left == (before | {"石狩市"}) - sure
        chitose = s.query(Registration).filter_by(meeting_id=mid, org_text="千歳市 福祉課").one()
        assert chitose.person.organisation.name == "千歳市役所保健福祉部福祉課生活支援係"
        check = kept_aside.to_check(s, SECRETARIAT_LOCAL, mid)[0]
    at.button(key=f"check_done_{check.id}").click().run()
    assert not at.exception
    with db.session(app_db) as s:
        assert kept_aside.to_check(s, SECRETARIAT_LOCAL, mid) == []


def _workbook(sheets: dict[str, list[list[str]]], active: int = 0) -> bytes:
    """An .xlsx written by openpyxl: {sheet title: rows (the first is the header row)}."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        ws = book.create_sheet(title)
        for r in rows:
            ws.append(r)
    book.active = active
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def test_upload_of_a_two_sheet_workbook_says_which_sheet_and_can_read_the_other(app_db):
    """Issue 14 item 8: the page says which sheet it read and lets the person pick another."""
    from facilitation.registrations import forms

    headers = list(forms.STANDARD_HEADERS)

    def rows(*people):
        out = [headers]
        for name, email in people:
            values = {"氏名": name, "メールアドレス": email, "タイムスタンプ": "2026/11/20 10:00:00"}
            out.append([values.get(h, "") for h in headers])
        return out

    data = _workbook({"第1回の申込": rows(("一枚目 一郎", "ichimai1@example.org")),
                      "追加の申込": rows(("二枚目 二郎", "nimai2@example.org"), ("二枚目 三郎", "nimai3@example.org"))})
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "取り込み")
    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
    before = [m.value for m in at.metric][0]
    at.file_uploader(key=f"upload_{mid}").set_value(("申込.xlsx", data, "application/vnd.ms-excel")).run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key=f"upload_sheet_{mid}")
    assert picker.options == ["第1回の申込", "追加の申込"] and picker.value == "第1回の申込"  # the active sheet
    at.button(key="import_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("1行: 新規 1件" in s.value for s in at.success), [s.value for s in at.success]
    notes = [i.value for i in at.info]
    assert any("シート「第1回の申込」を読みました" in n and "追加の申込" in n for n in notes), notes
    # The other sheet: picked, read again, imported; the note names it.
    at.selectbox(key=f"upload_sheet_{mid}").set_value("追加の申込").run()
    at.button(key="import_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("2行: 新規 2件" in s.value for s in at.success), [s.value for s in at.success]
    assert any("シート「追加の申込」を読みました" in i.value for i in at.info), [i.value for i in at.info]
    with db.session(app_db) as s:
        emails = {r.person.email for r in s.query(Registration).filter_by(meeting_id=mid)}
    assert {"ichimai1@example.org", "nimai2@example.org", "nimai3@example.org"} <= emails
    assert [m.value for m in at.metric][0] != before


def test_column_mapping_shows_the_meetings_last_file_import_in_a_new_browser_session(app_db):
    """Issue 22: 列の対応・書き戻し forgot a file import in a new browser session (the headers were kept
    in the session only), and showed one meeting's headers for another. They come from the database."""
    data = (Path(__file__).parent / "data" / "formats" / "english_headers.csv").read_bytes()
    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
        other = schedule.add_meeting(s, schedule.MeetingInput(title="別の会", starts_at=__import__("datetime").datetime(
            2027, 2, 1, 14))).id
        result = importing.import_file(s, SEC, mid, data, "english_headers.csv")
        assert not result.error and result.headers
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "列の対応・書き戻し")  # a new browser session
    assert not at.exception
    mapping = next(d.value for d in at.dataframe if "見出し" in d.value.columns)
    assert mapping["見出し"].tolist() == list(result.headers)
    assert any("ファイル「english_headers.csv」" in c.value.replace("\\", "") for c in at.caption)  # escaped Markdown
    at.selectbox(key="meeting_id").set_value(other).run()  # another meeting: not this file's headers
    assert not at.exception
    assert not [d for d in at.dataframe if "見出し" in d.value.columns]
    assert any("ファイルを取り込むと、見出しと項目の対応" in i.value for i in at.info)
