"""What keeps coming back (issue 26): recurring terms of notes' 課題・要望 by year and region, and
theme candidates from wishes and unanswered chat questions that had no room recently, added to a
draft meeting in one step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from facilitation.errors import UserError
from facilitation.openchat import store as chat_store
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, AccessDenied, Viewer
from facilitation.rosters import notes
from facilitation.search import recurring
from facilitation.storage import db
from facilitation.storage.models import Meeting, Room
from tests import rosters_world

SEC = SECRETARIAT_LOCAL
COM = Viewer(role=COMMITTEE, email="iin@example.org")
CHAT = ("[LINE] どうねっとのトーク履歴\r\n保存日時：2026/09/30 21:00\r\n\r\n2026/09/01(火)\r\n"
        "10:00\tりんく&佐藤\t統計システムの入力、皆さんいかがでしょうか？\r\n"
        "10:05\t江別市社協&高橋\t統計システムは月末にまとめて入力しています。\r\n\r\n2026/09/10(木)\r\n"
        "09:00\tりんく&佐藤\t居住支援法人との連携はどう進めていますか？\r\n")


@pytest.fixture
def world(sqlite_url):
    with db.session(sqlite_url) as s:
        w = rosters_world.build(s)
        earlier = s.get(Meeting, w.earlier_meeting_id)
        old_room = Room(meeting_id=earlier.id, position=1, name="ルーム1", theme="家計改善支援事業")
        s.add(old_room)
        s.flush()
        notes.save_note(s, SEC, old_room.id, {"issues": "フードバンクの在庫が足りない。",
                                              "requests": "居住支援法人の一覧がほしい。"})
        notes.save_note(s, SEC, w.rooms["R1"], {"issues": "フードバンクの寄付が減った。",
                                                "requests": "居住支援法人との連携の事例を知りたい。"})
        notes.save_note(s, SEC, w.rooms["R2"], {"requests": "ひきこもり支援の研修がほしい。"})
        chat_store.import_bytes(s, SEC, CHAT.encode(), file_name="talk.txt")
    return sqlite_url, w


def test_recurring_terms_across_meetings_with_years_and_regions(world):
    url, w = world
    with db.session(url) as s:
        frame = recurring.recurring(s, SEC)
        row = frame.set_index("term").loc["フードバンク"]
        assert (row.passages, row.meetings, row.years) == (2, 2, "2026年度")
        assert "石狩" in row.regions and row.example
        assert "引きこもり" not in set(frame.term)  # one meeting only
        assert "居住支援" in set(recurring.recurring(s, SEC, sections=("後方支援への要望",)).term)
        assert "フードバンク" not in set(recurring.recurring(s, SEC, sections=("後方支援への要望",)).term)
        committee = recurring.recurring(s, COM)
        assert "example" not in committee.columns and "フードバンク" in set(committee.term)
        regions = recurring.by_region(s, COM)
        food = regions.set_index("言葉").loc["フードバンク"]
        # the older room had no one placed; both counts are below the small-group rule (5)
        assert (food["記録の件数"], food["石狩"], food["（不明）"]) == (2, "5未満", "5未満")
        assert "オホーツク" not in regions.columns
        table = recurring.breakdown(s, SEC, "フードバンク")
        assert table.columns[0] == "年度" and table.iloc[0]["年度"] == "2026年度" and table.iloc[0]["石狩"] == 1
        with pytest.raises(AccessDenied):
            recurring.recurring(s, Viewer(role="ファシリテーター", meeting_id=w.meeting_id, room_id=1))


def test_theme_candidates_come_from_wishes_and_unanswered_questions_without_a_recent_room(world):
    url, w = world
    with db.session(url) as s:
        found = {c.term: c for c in recurring.theme_candidates(s, SEC)}
        assert found["居住支援"].wishes == 2 and found["居住支援"].unanswered == 1
        assert "統計システム" not in found  # its question was answered, and one mention is not a pattern
        assert "引きこもり" not in found  # the meeting has a room 「ひきこもり支援」
        assert found["居住支援"].examples
        assert all(not c.examples for c in recurring.theme_candidates(s, COM))


def test_one_click_adds_the_theme_as_a_room_of_a_draft_meeting(world):
    url, w = world
    with db.session(url) as s:
        meeting = s.get(Meeting, w.meeting_id)  # 募集中: rooms still being planned
        name = recurring.add_room(s, SEC, meeting.id, "居住支援")
        rooms = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).all()
        assert (rooms[-1].name, rooms[-1].theme) == (name, "居住支援") and name == "ルーム4"
        with pytest.raises(UserError, match="すでに"):
            recurring.add_room(s, SEC, meeting.id, "居住支援")
        with pytest.raises(UserError, match="準備中または募集中"):
            recurring.add_room(s, SEC, w.earlier_meeting_id, "居住支援")
        with pytest.raises(AccessDenied):
            recurring.add_room(s, COM, meeting.id, "フードバンク")
    with db.session(url) as s:  # now it has a room: no longer a candidate
        assert "居住支援" not in {c.term for c in recurring.theme_candidates(s, SEC)}


def test_the_page_adds_a_candidate_room_with_one_click(world, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    url, w = world
    monkeypatch.setenv(db.ENV_VAR, url)
    at = AppTest.from_file(str(ROOT / "pages" / "search.py"), default_timeout=60)
    at.session_state["viewer"] = SEC
    at.session_state["search_tab"] = "次回のテーマ候補"
    at.run()
    assert not at.exception
    at.button(key="candidate_add_居住支援").click().run()
    assert not at.exception
    assert any("「居住支援」のルーム（ルーム4）を追加しました" in s.value for s in at.success)
    with db.session(url) as s:
        assert s.scalar(select(Room.theme).where(Room.meeting_id == w.meeting_id, Room.name == "ルーム4")) == "居住支援"
    committee = AppTest.from_file(str(ROOT / "pages" / "search.py"), default_timeout=60)
    committee.session_state["viewer"] = COM
    committee.run()
    assert [t.label for t in committee.tabs] == ["検索", "何度も出てくる課題・要望"]  # candidates: the secretariat's


def test_a_region_count_below_the_rule_is_hidden_and_cannot_be_derived_from_the_total():
    from facilitation.search.query import hide_small

    assert hide_small([13, 0, 7, 5], 5) == [13, 0, 7, 5]
    assert hide_small([13, 2, 9, 0], 5) == [13, "5未満", "5未満", 0]  # 2 alone = total − the others
    assert hide_small([13, 2, 3, 8], 5) == [13, "5未満", "5未満", 8]  # hidden 2 + 3 = 5: enough
    assert hide_small([1, 1], 3) == ["3未満", "3未満"]


def test_the_committee_pack_has_the_recurring_needs_by_region_without_names(demo_url, tmp_path):
    import io

    import openpyxl

    from facilitation.history import committee_pack, participation
    from facilitation.history import coverage as cov
    from facilitation.storage.models import Person
    from tests.conftest import copy_database

    url = copy_database(demo_url, tmp_path)  # the demo's notes; the index is built on first use
    with db.session(url) as s:
        h = participation.load(s, SEC)  # the secretariat's data, names included: the pack must hold none
        pop = cov.population(s)
        needs = recurring.pack_section(s, SEC)
        wanted = {t: recurring.breakdown(s, SEC, t).drop(columns="年度").sum()
                  for t in needs.frame["言葉"].head(5)}
        people = [(p.name, p.email) for p in s.scalars(select(Person))]
    pack = committee_pack.build(h, participation.Scope(), pop, SEC, extra=(needs,))
    wb = openpyxl.load_workbook(io.BytesIO(pack.xlsx))
    assert recurring.PACK_TITLE in wb.sheetnames
    rows = list(wb[recurring.PACK_TITLE].values)
    header, body = rows[0], [r for r in rows[1:] if not str(r[0]).startswith("※")]
    assert header[:2] == ("言葉", "記録の件数") and "石狩" in header and len(body) == len(needs.frame) >= 10
    hidden = 0
    for row in body:  # each region's count is the secretariat's breakdown summed over the years
        if row[0] not in wanted:
            continue
        for area, n in wanted[row[0]].items():
            cell = row[header.index(area)]
            assert cell == (n if n == 0 or n >= 5 else "5未満"), (row[0], area)
            hidden += cell == "5未満"
    assert hidden  # the demo has small regions: the rule is at work
    assert f"<h2>{recurring.PACK_TITLE}</h2>" in pack.html and "「5未満」" in pack.html
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    everything = "\n".join(cells) + pack.html
    assert people
    for name, email in people:
        for needle in {name, name.replace(" ", "").replace("\u3000", ""), email} - {""}:
            assert needle not in everything, needle
