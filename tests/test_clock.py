"""One clock for the package: on a host whose local clock is not Japan time (servers run on UTC),
the home page's "next meeting" and the history's "past meetings" agree."""

import datetime as dt
import time

import pytest

from facilitation.history import participation
from facilitation.meetings import schedule
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage import db
from facilitation.text.dates import jst_to_utc, now_jst, to_jst, utcnow


@pytest.fixture(params=["UTC", "America/Los_Angeles"])
def host_clock(request, monkeypatch):
    """The process's local time zone set to a host's (not Japan's)."""
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def test_next_and_past_meetings_agree_on_a_non_japanese_host_clock(sqlite_url, host_clock):
    started = now_jst().replace(second=0, microsecond=0) - dt.timedelta(hours=2)
    later = now_jst().replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    with db.session(sqlite_url) as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="始まった会", starts_at=started))
        schedule.add_meeting(s, schedule.MeetingInput(title="これからの会", starts_at=later))
    with db.session(sqlite_url) as s:
        upcoming = schedule.upcoming_meeting(s)
        history = participation.load(s, Viewer(role=COMMITTEE))
    assert upcoming is not None and upcoming.title == "これからの会"
    past_titles = set(history.meetings["title"])
    assert "始まった会" in past_titles and "これからの会" not in past_titles


def test_japan_time_conversions_round_trip(host_clock):
    now = utcnow()
    local = to_jst(now)
    assert local - now == dt.timedelta(hours=9)
    assert jst_to_utc(local) == now
    assert abs(now_jst() - local) < dt.timedelta(seconds=5)
    assert to_jst(None) is None
    aware = dt.datetime(2026, 12, 10, 5, 0, tzinfo=dt.UTC)
    assert to_jst(aware) == dt.datetime(2026, 12, 10, 14, 0)
