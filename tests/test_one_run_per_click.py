"""A writing click costs one page run (issue 27): the write runs in the button's callback, before the
page is drawn, so the one run that follows shows the stored state and the message, once."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ui.common
import ui.registrations
from facilitation.assignment import choices
from facilitation.meetings import schedule
from facilitation.registrations import manual
from facilitation.roles import SECRETARIAT_LOCAL as SEC
from facilitation.storage import db
from facilitation.storage.models import Registration

PAGES = Path(__file__).resolve().parent.parent / "pages"


@pytest.fixture
def app_db(demo_copy_url, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    return demo_copy_url


def count_runs(monkeypatch, module) -> list[int]:
    """Every page run draws the flash slot once: count them."""
    runs = []
    real = module.show_flash

    def counted():
        runs.append(1)
        real()

    monkeypatch.setattr(module, "show_flash", counted)
    return runs


def test_a_saved_edit_is_shown_by_the_one_run_after_the_click(app_db, monkeypatch):
    from ui.registrations import LABELS

    runs = count_runs(monkeypatch, ui.registrations)
    at = AppTest.from_file(str(PAGES / "registrations.py"), default_timeout=60).run()
    editor = next(d for d in at.dataframe if (d.key or "").startswith("reg_editor_"))
    rid = int(editor.value["id"].iloc[0])
    # The edit arrives with the click (the person typed, then pressed 「変更を保存」 at once).
    at.session_state[editor.key] = {"edited_rows": {0: {LABELS["furigana"]: "いっかい ほぞん"}},
                                    "added_rows": [], "deleted_rows": []}
    runs.clear()
    at.button(key="reg_save").click().run()
    assert not at.exception
    assert len(runs) == 1  # before: the click's run, then st.rerun's
    assert [s.value for s in at.success] == ["1 件の変更を保存しました。"]
    shown = next(d for d in at.dataframe if (d.key or "").startswith("reg_editor_"))
    assert shown.key != editor.key  # a new grid, from what is stored
    assert shown.value.set_index("id").at[rid, LABELS["furigana"]] == "いっかい ほぞん"
    with db.session(app_db) as s:
        assert s.get(Registration, rid).person.furigana == "いっかい ほぞん"
    at.run()  # the next run (any other click): the message has been shown
    assert not at.success


def test_a_decided_wish_is_shown_by_the_one_run_after_the_click(app_db, monkeypatch):
    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
        room = choices.list_rooms(s, mid)[1]
        manual.add_manual(s, SEC, mid, manual.ManualEntry(name="一度 決子", email="ichido@example.org",
                                                         org="ＪＯＩＮ", choice1="一回で決める話"))
    runs = count_runs(monkeypatch, ui.common)
    at = AppTest.from_file(str(PAGES / "rooms.py"), default_timeout=60)
    at.session_state["rooms_tab"] = "2. 希望の確認"
    at.run()
    picker = next(b for b in at.selectbox if b.label == "「一回で決める話」のルーム")
    runs.clear()
    picker.set_value(room.id)  # picked and decided in one message to the server
    at.button(key=f"{picker.key}_btn").click().run()
    assert not at.exception
    assert len(runs) == 1
    assert [s.value for s in at.success if "一回で決める話" in s.value] == [
        f"「一回で決める話」を{room.name}（{room.theme}）にしました。"]
    assert all(b.label != "「一回で決める話」のルーム" for b in at.selectbox)  # the list drawn after the write
    with db.session(app_db) as s:
        review = {r["text"]: r for r in choices.choice_review(s, mid).to_dict("records")}
        assert review["一回で決める話"]["room"] == room.name


def test_the_organisation_picked_with_the_click_is_the_one_confirmed(app_db, monkeypatch):
    """The callback reads the picker as the click arrives, not as it was when the button was drawn."""
    from facilitation.orgs import directory, matching

    with db.session(app_db) as s:
        mid = schedule.upcoming_meeting(s).id
        reg = manual.add_manual(s, SEC, mid, manual.ManualEntry(name="選択 確子", email="sentaku@example.org",
                                                               org="石狩市", region="石狩振興局"))
        review = next(r for r in matching.pending(s, SEC, mid) if r.text == "石狩市")
        target = next(o for o in directory.all_organisations(s) if o.id != review.suggestion_id)
        reg_id, target_id, target_name = reg.id, target.id, target.name
    runs = count_runs(monkeypatch, ui.registrations)
    at = AppTest.from_file(str(PAGES / "registrations.py"), default_timeout=60)
    at.session_state["registrations_tab"] = "確認待ち"
    at.run()
    runs.clear()
    at.selectbox(key=f"review_pick_{review.id}").set_value(target_id)
    at.button(key=f"review_ok_{review.id}").click().run()
    assert not at.exception
    assert len(runs) == 1
    assert any("「石狩市」を確定しました" in m.value for m in at.success)
    with db.session(app_db) as s:
        assert s.get(Registration, reg_id).person.organisation.name == target_name


def test_a_manual_move_is_saved_and_checked_in_the_one_run_after_the_click(app_db, monkeypatch):
    from facilitation.assignment import checking
    from facilitation.storage.models import Assignment

    at = AppTest.from_file(str(PAGES / "rooms.py"), default_timeout=60)
    at.session_state["rooms_tab"] = "1. ルーム"
    at.run()
    at.button(key="rooms_copy").click().run()
    at.session_state["rooms_tab"] = "3. 決まりと実行"
    at.run().button(key="rooms_run").click().run()
    at.session_state["rooms_tab"] = "4. 手直し"
    at.run()
    editor = next(d for d in at.dataframe if "理由" in d.value.columns)
    room = checking.PEOPLE_LABELS["room"]
    first = editor.value.iloc[0]
    other = next(n for n in editor.value[room].unique() if n != first[room])
    at.session_state[editor.key] = {"edited_rows": {0: {room: other}}, "added_rows": [], "deleted_rows": []}
    at.run()  # the edit's own run: the button now counts one change
    assert at.button(key="people_save").label == "変更を保存して確認（1件）"
    runs = count_runs(monkeypatch, ui.common)
    at.button(key="people_save").click().run()
    assert not at.exception
    assert len(runs) == 1
    assert any("1 件を保存しました" in m.value for m in [*at.success, *at.warning])
    with db.session(app_db) as s:
        moved = s.get(Assignment, int(first["assignment_id"]))
        assert (moved.room.name, moved.pinned) == (other, True)
    shown = next(d for d in at.dataframe if "理由" in d.value.columns).value
    assert shown.set_index("assignment_id").at[first["assignment_id"], room] == other
