"""What the home page shows: the upcoming meeting with its key counts, and recent meetings."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from facilitation.meetings import schedule
from facilitation.meetings.schedule import MeetingCounts
from facilitation.text.dates import ja_date, ja_fiscal_year


@dataclass
class Upcoming:
    meeting_id: int
    label: str
    date: str
    time: str
    format: str
    venue: str
    status: str
    counts: MeetingCounts


def upcoming(session: Session) -> Upcoming | None:
    """The next meeting and its registration counts (None when nothing is planned)."""
    m = schedule.upcoming_meeting(session)
    if m is None:
        return None
    return Upcoming(
        meeting_id=m.id,
        label=schedule.label(m),
        date=ja_date(m.starts_at),
        time=schedule.time_range(m),
        format=m.format,
        venue=m.venue,
        status=m.status,
        counts=schedule.meeting_counts(session, m.id),
    )


def recent_meetings(session: Session, limit: int = 10) -> pd.DataFrame:
    """Recent meetings with people and organisations counted the reports' way."""
    rows = []
    for m in schedule.list_meetings(session)[:limit]:
        c = schedule.meeting_counts(session, m.id)
        rows.append({
            "年度": ja_fiscal_year(m.fiscal_year),
            "回": f"第{m.number}回" if m.number else "",
            "種別": m.kind,
            "開催日": ja_date(m.starts_at),
            "方法": m.format,
            "状態": m.status,
            "参加者（申込）": c.line,
            "ルーム数": c.rooms,
        })
    return pd.DataFrame(rows)
