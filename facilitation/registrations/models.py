"""Tables of the registrations area: rows kept aside (保留), where each registration was last
read from, and each meeting's sheet sync state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow


class KeptAsideRow(Base):
    """An input row that could not become a registration, with the Japanese reason; fixable later."""

    __tablename__ = "kept_aside_rows"
    __table_args__ = (UniqueConstraint("meeting_id", "row_hash"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # sheet / file / manual
    source_ref: Mapped[str] = mapped_column(String(300), default="")
    row_number: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # {header: value} as received
    reason: Mapped[str] = mapped_column(Text)
    column: Mapped[str] = mapped_column(String(200), default="")
    row_hash: Mapped[str] = mapped_column(String(64))
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[str] = mapped_column(String(20), default="")  # imported / dismissed
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str] = mapped_column(String(254), default="")


class RegistrationSource(Base):
    """The input row a registration was last taken from: re-reading the same row changes nothing."""

    __tablename__ = "registration_sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    row_hash: Mapped[str] = mapped_column(String(64))
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SheetSync(Base):
    """A meeting's Google Sheet: which tabs to read, and how the last sync went."""

    __tablename__ = "sheet_syncs"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), unique=True)
    sheet_url: Mapped[str] = mapped_column(String(500), default="")
    tab: Mapped[str] = mapped_column(String(100), default="")
    survey_tab: Mapped[str] = mapped_column(String(100), default="")
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # UTC, naive
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    last_error: Mapped[str] = mapped_column(Text, default="")
    row_count: Mapped[int] = mapped_column(Integer, default=0)
