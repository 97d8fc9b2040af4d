"""Choices written in another spelling of the network's vocabulary reach the room (issue 13)."""

from __future__ import annotations

import datetime as dt

import pytest

from facilitation.assignment import choices, service
from facilitation.assignment.models import ChoiceMapping
from facilitation.meetings import schedule
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db

V = SECRETARIAT_LOCAL
THEMES = ["引きこもり", "就労準備", "自立相談支援事業【支援に関する事】（引きこもりと家族支援）", "子どもの学習・生活支援事業"]


@pytest.mark.parametrize(("written", "theme"), [
    ("ひきこもり", "引きこもり"), ("ヒキコモリ", "引きこもり"), ("引き籠もり", "引きこもり"),
    ("ひきこもり支援", "引きこもり"), ("2. ひきこもり支援", "引きこもり"), ("引きこもり支援", "引きこもり"),
    ("就労準備支援", "就労準備"), ("就労準備支援事業", "就労準備"),
    ("自立相談支援事業【支援に関する事】（ひきこもりと家族支援）", THEMES[2]),
    ("子どもの学習支援", "学習支援"), ("子供の学習・生活支援事業", "学習支援"),
])
def test_known_spellings_share_a_key(written, theme):
    assert choices._choice_key(written) == choices._choice_key(theme)


@pytest.mark.parametrize(("a", "b"), [
    ("就労準備支援の立ち上げ", "就労準備"),  # a longer wish is not rewritten into the room's theme
    ("引きこもり", "就労準備"), ("家族支援", "引きこもり"), ("家計改善", "就労準備"),
])
def test_other_texts_stay_apart(a, b):
    assert choices._choice_key(a) != choices._choice_key(b)


def test_room_suggestions_for_other_spellings(db_url):
    with db.session(db_url) as s:
        m = schedule.add_meeting(s, schedule.MeetingInput(title="第6回", starts_at=dt.datetime(2027, 3, 5, 14)))
        service.save_rooms(s, V, m.id, [service.RoomInput(f"ルーム{i + 1}", t, 8) for i, t in enumerate(THEMES)])
        rooms = dict(zip(THEMES, (r.id for r in service.list_rooms(s, m.id)), strict=True))
        mapper = choices.ChoiceMapper(s, m.id)
        got = mapper.match("ひきこもり")
        assert (got.room_id, got.how) == (rooms["引きこもり"], "一致")
        assert mapper.match("ひきこもり支援").room_id == rooms["引きこもり"]
        assert mapper.match("就労準備支援事業").room_id == rooms["就労準備"]
        assert mapper.match("自立相談支援事業【支援に関する事】（ひきこもりと家族支援）").room_id == rooms[THEMES[2]]
        longer = mapper.match("就労準備支援の立ち上げ")  # not taken without review, but suggested
        assert (longer.room_id, longer.how, longer.suggestion) == (None, choices.NO_ROOM, rooms["就労準備"])
        # A decision stored under the plain key before the table existed is still honoured.
        s.add(ChoiceMapping(meeting_id=m.id, text="ひきこもりの居場所", text_key=choices._plain_key("ひきこもりの居場所"),
                            room_id=rooms["引きこもり"]))
        s.flush()
        kept = choices.ChoiceMapper(s, m.id).match("ひきこもりの居場所")
        assert (kept.room_id, kept.how) == (rooms["引きこもり"], choices.REVIEWED)
        # A decision made now covers both spellings.
        choices.map_choice(s, V, m.id, "ひきこもりの家族会", rooms[THEMES[2]])
        mapper = choices.ChoiceMapper(s, m.id)
        assert mapper.match("引きこもりの家族会").room_id == rooms[THEMES[2]]
        assert mapper.match("ヒキコモリの家族会").how == choices.REVIEWED
