"""Attendance a registration file records (connpass 出欠ステータス: checked in at the door): each
such person's mark on the meeting's roster, as if tapped, named after the file.

A mark already there (a facilitator's tap, a Zoom report, the secretariat's correction) is never
overwritten, and a cancelled registration gets none: reading the same file again changes nothing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.roles import Viewer
from facilitation.storage.models import Registration
from facilitation.text import vocab


def apply(session: Session, viewer: Viewer, meeting_id: int, marks: dict[int, str], recorded_as: str) -> int:
    """Record {registration id: 出席 / 欠席} where nothing is recorded yet; how many were recorded."""
    if not marks:
        return 0
    from facilitation.rosters import live  # rosters reads registrations; imported here, not at module load

    have = live.marks_of(session, meeting_id)
    cancelled = set(session.scalars(select(Registration.id).where(
        Registration.meeting_id == meeting_id, Registration.status == vocab.STATUS_CANCELLED)))
    done = 0
    for rid, mark in sorted(marks.items()):
        if rid in have or rid in cancelled:
            continue
        live.mark_attendance(session, viewer, rid, mark, recorded_as=recorded_as)
        done += 1
    return done
