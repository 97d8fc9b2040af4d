"""What the home page shows: the upcoming meeting with its key counts, and recent meetings.

Frames for a page or the CLI have English snake_case columns, shown under the Japanese headers of
the *_LABELS dict next to each.
"""

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


RECENT_LABELS = {"fiscal_year": "年度", "number": "回", "kind": "種別", "date": "開催日", "format": "方法",
                 "status": "状態", "people": "参加者（申込）", "rooms": "ルーム数"}


def recent_meetings(session: Session, limit: int = 10) -> pd.DataFrame:
    """Recent meetings with people and organisations counted the reports' way (`people` is the
    line 「27名（15機関：…）」; headers: RECENT_LABELS)."""
    rows = []
    for m in schedule.list_meetings(session)[:limit]:
        c = schedule.meeting_counts(session, m.id)
        rows.append({
            "fiscal_year": ja_fiscal_year(m.fiscal_year),
            "number": f"第{m.number}回" if m.number else "",
            "kind": m.kind,
            "date": ja_date(m.starts_at),
            "format": m.format,
            "status": m.status,
            "people": c.line,
            "rooms": c.rooms,
        })
    return pd.DataFrame(rows, columns=list(RECENT_LABELS))
