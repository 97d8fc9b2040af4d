"""The ルーム割り当て page in AppTest on a private copy of the demo: copy rooms, run, publish, files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from facilitation.assignment import checking, choices, manual_moves, room_setup, rule_settings
from facilitation.meetings import schedule
from facilitation.roles import SECRETARIAT_LOCAL as V
from facilitation.roles import Viewer
from facilitation.storage import db
from facilitation.storage.models import Assignment, Person

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "rooms.py")


@pytest.fixture
def app(demo_copy_url, monkeypatch):
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    return AppTest.from_file(PAGE, default_timeout=60)


def on_tab(at, name: str):
    """Open one of the page's tabs (only the open tab is drawn) and rerun."""
    at.session_state["rooms_tab"] = name
    return at.run()


def texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def column_config(table) -> dict:
    """A table's or editor's column options, keyed by the shown header."""
    return json.loads(table.proto.columns or "{}")


def hidden_columns(table) -> set[str]:
    """The data columns a table or editor hides (column_config None), by their shown header."""
    return {name for name, c in column_config(table).items() if c.get("hidden") and name != "_index"}


def read_only_columns(table) -> set[str]:
    return {name for name, c in column_config(table).items() if c.get("disabled")}


def test_rooms_page_flow(app, demo_copy_url):
    at = app.run()
    assert not at.exception
    assert texts(at, "title") == ["ルーム割り当て"]
    assert metric(at, "申込") == "38名" and metric(at, "公開") == "未公開"
    on_tab(at, "2. 希望の確認")
    assert any("すべての希望がどれかのルームに対応" in s for s in texts(at, "success"))
    on_tab(at, "4. 手直し")
    assert any("まだ割り当てがありません" in s for s in texts(at, "info"))
    on_tab(at, "1. ルーム")

    # Copy the rooms of an earlier meeting in one click (nothing is assigned yet).
    source = at.selectbox(key="rooms_copy_from").value
    with db.session(demo_copy_url) as s:
        n_source = len(schedule.list_rooms(s, source))
    at.button(key="rooms_copy").click().run()
    assert not at.exception
    assert any(f"ルーム {n_source} 室をコピーしました" in s for s in texts(at, "success"))
    assert metric(at, "ルーム") == f"{n_source}室"

    # Run the optimiser with the rules as switched on the page.
    on_tab(at, "3. 決まりと実行").button(key="rooms_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    messages = texts(at, "success") + texts(at, "warning")
    assert any("割り当てを保存しました" in m for m in messages), messages
    assert metric(at, "決まりの違反") == "0件"
    first = next(m for m in at.metric if m.label == "第1希望")
    assert first.delta.startswith("+")  # better than Zoom's random split
    tables = [d.value for d in at.dataframe]
    quality = next(t for t in tables if "指標" in t.columns)
    assert list(quality.columns) == ["指標", "この割り当て", "ランダム（Zoomの自動割り当て）", "先着順（希望順に空きへ）"]
    assert quality["指標"].iloc[0] == "決まりの違反（件）"  # violations stand first, beside every score
    scores = quality.set_index("指標").loc["評価値（大きいほど良い）"]
    for method in quality.columns[2:]:  # a baseline that breaks rules is never shown as a better score
        if quality.set_index("指標").loc["決まりの違反（件）", method] != "0":
            assert "比較できません" in scores[method]
    repeats = next(m for m in at.metric if m.label == "前回までと同じ顔ぶれの重なり")
    assert repeats.delta is None or "0.0" not in repeats.delta
    assert any("この割り当ての説明" in m for m in texts(at, "markdown"))
    make_up = next(t for t in tables if "地域の内訳" in t.columns)  # ルームごとの顔ぶれ
    assert list(make_up.columns[:5]) == ["ルーム", "テーマ", "人数", "定員", "ファシリテーター"]
    assert list(make_up.columns[-3:]) == ["地域数", "地域の内訳", "事業の内訳"]
    sectors = list(make_up.columns[5:-3])  # one column per sector, named by the sector
    assert sectors and set(sectors) <= {"自治体", "国", "社協", "NPO等"}, sectors
    assert make_up[sectors].to_numpy().sum() == make_up["人数"].sum() == 38
    # The editors read as before: Japanese headers in the same order, the ids hidden.
    on_tab(at, "1. ルーム")
    rooms_editor = next(d for d in at.dataframe if "ルーム名" in d.value.columns)
    assert list(rooms_editor.value.columns) == ["id", "ルーム名", "テーマ", "定員", "Zoomのルーム名", "ファシリテーター", "人数"]
    assert hidden_columns(rooms_editor) == {"id"}
    assert read_only_columns(rooms_editor) == {"ファシリテーター", "人数"}
    on_tab(at, "4. 手直し")
    people_editor = next(d for d in at.dataframe if "理由" in d.value.columns)
    assert list(people_editor.value.columns) == ["assignment_id", "version", "氏名", "所属", "区分", "ルーム", "固定",
                                                 "ファシリテーター", "希望", "理由"]
    assert hidden_columns(people_editor) == {"assignment_id", "version"}
    assert read_only_columns(people_editor) == {"氏名", "所属", "区分", "希望", "理由"}  # only moves are edited
    assert len(people_editor.value) == 38 and people_editor.value["理由"].str.len().min() > 5
    on_tab(at, "2. 希望の確認")
    review = next(d.value for d in at.dataframe if "希望の記入" in d.value.columns)
    assert set(review["判定"]) <= {"一致", "ほぼ一致", "対応なし"}
    if (review["判定"] == "対応なし").any():  # the copied rooms have other themes than the form offered
        assert any("どのルームにも当たらない希望" in w for w in texts(at, "warning"))

    # Publish, then the header shows the version and nothing has moved since.
    on_tab(at, "5. 公開・書き出し").button(key="rooms_publish").click().run()
    assert not at.exception
    assert any("第1版として公開しました" in s for s in texts(at, "success"))
    assert metric(at, "公開") == "第1版"
    assert any("公開後の変更はありません" in s for s in texts(at, "success"))
    with db.session(demo_copy_url) as s:
        mid = schedule.upcoming_meeting(s).id
        assert checking.check(s, mid).violations == []

    # Someone moved after publishing: the page lists who, under the same headers as always.
    with db.session(demo_copy_url) as s:
        rooms = schedule.list_rooms(s, mid)
        moved = s.scalars(select(Assignment).where(Assignment.room_id == rooms[0].id)).first()
        moved.room_id = rooms[1].id
        who = moved.registration.person.name
    at.run()
    assert not at.exception
    assert any("公開後に 1 名の割り当てが変わりました" in w for w in texts(at, "warning"))
    diff = next(d.value for d in at.dataframe if "公開時のルーム" in d.value.columns)
    assert list(diff.columns) == ["氏名", "所属", "公開時のルーム", "現在のルーム", "変更"]
    assert diff.iloc[0][["氏名", "公開時のルーム", "現在のルーム", "変更"]].tolist() == [
        who, rooms[0].name, rooms[1].name, "移動"]


def test_infeasible_rules_are_explained_on_the_page(app, demo_copy_url):
    with db.session(demo_copy_url) as s:
        mid = schedule.upcoming_meeting(s).id
        for r in schedule.list_rooms(s, mid):
            r.capacity = 3
    at = on_tab(app, "3. 決まりと実行")
    at.button(key="rooms_run").click().run()
    assert not at.exception
    warning = " ".join(texts(at, "warning"))
    assert "決まりをすべて満たす割り当てはありません" in warning and "が参加者 38 より少ない" in warning


def test_page_is_for_the_secretariat_only(app):
    app.session_state["viewer"] = Viewer(role="委員会", email="iin@example.org")
    at = app.run()
    assert not at.exception
    assert any("事務局のためのページ" in t for t in texts(at, "info"))
    assert not at.button


def _toggle(at, meeting_id: int, name: str):
    return at.toggle(key=f"rules_{meeting_id}_{name}")


def test_rules_are_saved_with_the_meeting_and_the_run_uses_them(app, demo_copy_url):
    mid = upcoming(demo_copy_url)
    at = app.run()
    at.button(key="rooms_copy").click().run()  # a flash message above the tabs, as in the report
    assert not at.exception
    on_tab(at, "3. 決まりと実行")
    assert _toggle(at, mid, "fac").value is True  # the meeting's default rules
    # Switching a rule saves it with the meeting at once (not only in the page's widgets).
    _toggle(at, mid, "fac").set_value(False).run()
    _toggle(at, mid, "min").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    with db.session(demo_copy_url) as s:
        saved = rule_settings.get_rules(s, mid)
    assert "one_facilitator_per_room" not in saved and saved["min_per_room"] == 3

    # Another session (or the page opened again) starts from the saved rules.
    again = on_tab(AppTest.from_file(PAGE, default_timeout=60), "3. 決まりと実行")
    assert _toggle(again, mid, "fac").value is False and _toggle(again, mid, "min").value is True

    # The run uses exactly these rules, and the page says which ones it used.
    at.button(key="rooms_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    done = " ".join(texts(at, "success") + texts(at, "warning"))
    assert "割り当てを保存しました" in done and "1ルーム3名以上" in done
    assert "ファシリテーター1名" not in done  # never claimed when it was off
    assert any("で使った決まり: ルームの定員" in c and "1ルーム3名以上" in c for c in texts(at, "caption"))
    explanation = " ".join(texts(at, "markdown"))
    assert "「各ルームにファシリテーター1名」の決まりは使っていません" in explanation
    with db.session(demo_copy_url) as s:
        run = rule_settings.last_run(s, mid)
    assert "one_facilitator_per_room" not in run.rules and run.rules["min_per_room"] == 3

    # Switching the facilitator rule on after the run: the page says the saved assignment predates it.
    _toggle(at, mid, "fac").set_value(True).run()
    assert any("決まりはその後に変わっています" in w for w in texts(at, "warning"))
    at.button(key="rooms_run").click().run()
    done = " ".join(texts(at, "success"))
    assert "各ルームにファシリテーター1名" in done
    with db.session(demo_copy_url) as s:
        assert all(r.facilitator_id is not None for r in schedule.list_rooms(s, mid))


def upcoming(url: str) -> int:
    with db.session(url) as s:
        return schedule.upcoming_meeting(s).id


def test_links_for_every_room_in_one_action_ready_for_one_email(app, demo_copy_url, monkeypatch):
    from facilitation.access import gate

    monkeypatch.setenv(gate.SECRET_ENV, "u" * 40)
    mid = upcoming(demo_copy_url)
    at = on_tab(app, "3. 決まりと実行")
    at.button(key="rooms_run").click().run()
    on_tab(at, "5. 公開・書き出し")
    assert not at.code  # nothing issued yet
    at.button(key=f"rooms_links_all_{mid}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with db.session(demo_copy_url) as s:
        rooms = schedule.list_rooms(s, mid)
        facilitators = {r.id: s.get(Person, r.facilitator_id).name for r in rooms}
    assert any(f"{len(rooms)} 室のリンクを用意しました（新しく発行 {len(rooms)} 室）" in m for m in texts(at, "success"))
    message = next(c.value for c in at.code if "ファシリテーター用リンク" in c.value)
    blocks = [b for b in message.split("■ ")[1:]]
    assert len(blocks) == len(rooms)
    for room, block in zip(rooms, blocks, strict=True):
        assert block.startswith(room.name) and f"ファシリテーター: {facilitators[room.id]}さん" in block
        assert "有効期限: " in block and "年" in block.split("有効期限: ")[1]
        token = block.split("token=")[1].split()[0]
        with db.session(demo_copy_url) as s:
            link = gate.check_link(s, token, ("u" * 40).encode())
        assert link.ok and link.room_id == room.id
    # Pressing again reuses the valid links: still one live link per room.
    at.button(key=f"rooms_links_all_{mid}").click().run()
    assert any("新しく発行 0 室" in m for m in texts(at, "success"))
    assert next(c.value for c in at.code if "ファシリテーター用リンク" in c.value) == message


def test_rooms_editor_saves_back_what_it_shows_and_adds_a_theme(app, demo_copy_url):
    mid = upcoming(demo_copy_url)

    def saved() -> list[tuple]:
        with db.session(demo_copy_url) as s:
            return [(r.name, r.theme, r.capacity, r.zoom_name) for r in schedule.list_rooms(s, mid)]

    before = saved()
    at = app.run()
    at.button(key="rooms_save").click().run()  # saving the editor as shown changes nothing
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"ルーム {len(before)} 室を保存しました" in s for s in texts(at, "success"))
    assert saved() == before  # stored as typed: full-width brackets stay (issue 22)
    before = saved()
    theme = at.selectbox(key="rooms_library_theme").value
    at.button(key="rooms_add_theme").click().run()
    assert not at.exception, [e.value for e in at.exception]
    n = len(before) + 1
    assert saved() == [*before, (f"ルーム{n}", theme, 8, f"R{n}")]
    shown = next(d.value for d in at.dataframe if "ルーム名" in d.value.columns)
    assert shown["ルーム名"].tolist() == [r[0] for r in saved()] and shown["人数"].tolist() == [0] * n


def test_before_any_run_the_page_describes_no_run(app, demo_copy_url):
    """Designating one facilitator is not a run: no 「決まりの違反 52件」 or 「希望外」 for a run that
    never happened (issue 22)."""
    at = app.run()
    at.button(key="rooms_copy").click().run()
    with db.session(demo_copy_url) as s:
        mid = schedule.upcoming_meeting(s).id
        room = schedule.list_rooms(s, mid)[0]
        person = manual_moves.registrants(s, mid)[0][0]
    at.selectbox(key="rooms_fac_room").set_value(room.id)
    at.selectbox(key="rooms_fac_person").set_value(person)
    at.button(key="rooms_fac_save").click().run()
    assert not at.exception
    assert any("ファシリテーターを指定しました" in m for m in texts(at, "success"))
    on_tab(at, "3. 決まりと実行")
    with db.session(demo_copy_url) as s:
        placed = s.scalars(select(Assignment).where(Assignment.registration_id == person)).all()
    assert [(a.room_id, a.is_facilitator) for a in placed] == [(room.id, True)]
    assert any("まだ割り当てを実行していません" in m for m in texts(at, "info"))
    assert any("手で決めた 1 名だけ" in m for m in texts(at, "caption"))
    assert "決まりの違反" not in [m.label for m in at.metric]
    assert not any("希望外" in m or "決まりに合わない点" in m for m in texts(at, "warning"))
    at.button(key="rooms_run").click().run()  # after a run the page describes it
    assert metric(at, "決まりの違反") == "0件"


def test_a_room_for_officials_with_the_spread_rule_is_pointed_out_before_the_run(app, demo_copy_url):
    """A room for 自治体担当者 and 「自治体・国の方を各ルームに均等に」 pull against each other: the page
    says so before the run, with the numbers (issue 22), and not when the rule is off."""
    from facilitation.text import vocab

    theme = "制度の運営について（自治体担当者）"
    with db.session(demo_copy_url) as s:
        mid = schedule.upcoming_meeting(s).id
        room_setup.save_rooms(s, V, mid, [
            room_setup.RoomInput(f"ルーム{k}", t, 12) for k, t in enumerate([theme, "就労準備", "一時生活", "家計改善"], 1)])
        regs = [r for r in choices.active_registrations(s, mid)
                if r.person.organisation and vocab.is_government(r.person.organisation.kind)]
        for r in regs:
            r.choice1 = theme
        rule_settings.set_rules(s, V, mid, {"spread_government": True})
    assert len(regs) >= 3
    at = on_tab(app, "3. 決まりと実行")
    warned = [w.value for w in at.warning if "第1希望に入れない方が出ます" in w.value]
    assert len(warned) == 1 and f"ルーム1を第1希望にした自治体・国の方は {len(regs)} 名" in warned[0], warned
    with db.session(demo_copy_url) as s:
        rule_settings.set_rules(s, V, mid, {})
    at = on_tab(AppTest.from_file(PAGE, default_timeout=60), "3. 決まりと実行")  # a new visit: the switches start from the saved rules
    assert not [w.value for w in at.warning if "第1希望に入れない方が出ます" in w.value]
