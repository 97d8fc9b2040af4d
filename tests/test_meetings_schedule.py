"""Meetings as the secretariat manages them: no double entry, numbers in date order, safe deletion.

Runs on a SQLite file and on a real PostgreSQL server (the `db_url` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from facilitation.meetings import schedule
from facilitation.meetings.schedule import MeetingError, MeetingInput
from facilitation.storage import db
from facilitation.storage.models import Meeting, Organisation, Person, Registration, Room

TITLE = "北海道生活困窮者支援ネットワーク 情報交換会"


def add(s, when: dt.datetime, title: str = TITLE, **kw) -> Meeting:
    return schedule.add_meeting(s, MeetingInput(title=title, starts_at=when, **kw))


def numbers(url: str) -> dict[str, int | None]:
    with db.session(url) as s:
        return {m.starts_at.strftime("%m/%d"): m.number for m in s.scalars(select(Meeting).order_by(Meeting.starts_at))}


def test_exact_duplicate_is_refused_but_another_time_is_not(db_url):
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 6, 10, 14))
    with db.session(db_url) as s, pytest.raises(MeetingError, match="同じタイトル・同じ開始日時の会がすでにあります"):
        add(s, dt.datetime(2026, 6, 10, 14), title=f"  {TITLE} ")  # the same after trimming spaces
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 6, 10, 18))  # an evening session the same day is another meeting
        assert s.scalar(select(func.count()).select_from(Meeting)) == 2


def test_editing_a_meeting_into_a_copy_of_another_is_refused(db_url):
    with db.session(db_url) as s:
        a = add(s, dt.datetime(2026, 6, 10, 14))
        b = add(s, dt.datetime(2026, 7, 10, 14))
        a_id, b_id = a.id, b.id
    with db.session(db_url) as s, pytest.raises(MeetingError, match="すでにあります"):
        schedule.update_meeting(s, b_id, MeetingInput(title=TITLE, starts_at=dt.datetime(2026, 6, 10, 14)))
    with db.session(db_url) as s:  # saving a meeting unchanged is not a duplicate of itself
        schedule.update_meeting(s, a_id, MeetingInput(title=TITLE, starts_at=dt.datetime(2026, 6, 10, 14), number=1))


def test_numbers_follow_the_date_not_the_order_of_entry(db_url):
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 9, 1, 14))
        add(s, dt.datetime(2026, 12, 10, 14))
        add(s, dt.datetime(2026, 6, 5, 14))  # entered last, held first
        add(s, dt.datetime(2027, 2, 20, 14))  # still fiscal 2026 (April to March)
        add(s, dt.datetime(2027, 5, 1, 14))  # fiscal 2027 starts again at 1
        add(s, dt.datetime(2026, 10, 1, 14), kind="勉強会")  # another kind has its own series
    assert numbers(db_url) == {"06/05": 1, "09/01": 2, "10/01": 1, "12/10": 3, "02/20": 4, "05/01": 1}


def test_moving_a_meeting_renumbers_both_years(db_url):
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 6, 5, 14))
        moved = add(s, dt.datetime(2026, 9, 1, 14))
        add(s, dt.datetime(2027, 6, 1, 14))
        moved_id = moved.id
    with db.session(db_url) as s:  # 空欄（自動） on edit: moved into the next fiscal year, before 6/1
        schedule.update_meeting(s, moved_id, MeetingInput(title=TITLE, starts_at=dt.datetime(2027, 5, 1, 14)))
    assert numbers(db_url) == {"06/05": 1, "05/01": 1, "06/01": 2}


def test_a_number_typed_by_hand_is_kept(db_url):
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 6, 5, 14), number=7)
    assert numbers(db_url) == {"06/05": 7}


def test_delete_an_empty_meeting_with_its_rooms_and_renumber(db_url):
    with db.session(db_url) as s:
        add(s, dt.datetime(2026, 6, 5, 14))
        wrong = add(s, dt.datetime(2026, 7, 1, 14))
        add(s, dt.datetime(2026, 9, 1, 14))
        s.add(Room(meeting_id=wrong.id, position=1, name="ルーム1", theme="就労準備支援事業", zoom_name="R1"))
        wrong_id = wrong.id
    with db.session(db_url) as s:
        text = schedule.delete_meeting(s, wrong_id)
    assert "第2回" in text and "2026年7月1日" in text
    assert numbers(db_url) == {"06/05": 1, "09/01": 2}
    with db.session(db_url) as s:
        assert s.get(Meeting, wrong_id) is None
        assert s.scalar(select(func.count()).select_from(Room)) == 0


def test_a_meeting_with_registrations_cannot_be_deleted(db_url):
    with db.session(db_url) as s:
        m = add(s, dt.datetime(2026, 6, 5, 14))
        org = Organisation(name="江別市社会福祉協議会", kind="社会福祉協議会", region="石狩",
                           name_key="江別市社会福祉協議会")
        s.add(org)
        s.flush()
        person = Person(name="山田 花子", organisation_id=org.id)
        s.add(person)
        s.flush()
        s.add(Registration(meeting_id=m.id, person_id=person.id))
        m_id = m.id
    with db.session(db_url) as s, pytest.raises(MeetingError, match="申込が 1 件あるため削除できません"):
        schedule.delete_meeting(s, m_id)
    with db.session(db_url) as s:
        assert s.get(Meeting, m_id) is not None


def test_previous_meeting_is_the_latest_before(db_url):
    with db.session(db_url) as s:
        a = add(s, dt.datetime(2026, 6, 5, 14))
        b = add(s, dt.datetime(2026, 9, 1, 14))
        c = add(s, dt.datetime(2026, 12, 10, 14))
        d = add(s, dt.datetime(2027, 2, 20, 14))
        assert schedule.previous_meeting(s, c.id) == b.id
        assert schedule.previous_meeting(s, c.id, among=[a.id, d.id]) == a.id
        assert schedule.previous_meeting(s, a.id) is None
