"""Tables of the rosters area: Zoom participant rows kept for resolution, and the report's shared sections."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow


class ZoomParticipant(Base):
    """One person's presence in Zoom's participant report, rejoins merged; unmatched rows wait here."""

    __tablename__ = "zoom_participants"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    original_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    joined_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    left_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    sessions: Mapped[int] = mapped_column(Integer, default=1)  # rows merged (rejoins)
    guest: Mapped[bool] = mapped_column(Boolean, default=False)
    source_rows: Mapped[str] = mapped_column(String(200), default="")  # "3, 17" in the file
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    match: Mapped[str] = mapped_column(String(20), default="")  # email / name / room_name / manual / ignored
    note: Mapped[str] = mapped_column(String(300), default="")  # why it stayed unmatched
    source_ref: Mapped[str] = mapped_column(String(300), default="")  # file name
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ReportSection(Base):
    """The report's meeting-wide parts the secretariat writes: 全体共有 and 次回について."""

    __tablename__ = "report_sections"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    overall: Mapped[str] = mapped_column(Text, default="")  # 全体共有
    next_meeting: Mapped[str] = mapped_column(Text, default="")  # 次回について
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
