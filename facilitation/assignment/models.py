"""Tables of the room assignment: published versions, choice mappings and optimiser runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow


class AssignmentVersion(Base):
    """A published assignment: what participants were told, to show what moved since."""

    __tablename__ = "assignment_versions"
    __table_args__ = (UniqueConstraint("meeting_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per meeting
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(String(300), default="")
    # [{"registration_id": 1, "room_id": 2, "room": "ルーム1", "facilitator": false}, …]
    snapshot: Mapped[list[Any]] = mapped_column(JSON, default=list)


class ChoiceMapping(Base):
    """How a free-text theme choice from the form maps to a room (room_id None: matches no room)."""

    __tablename__ = "assignment_choice_mappings"
    __table_args__ = (UniqueConstraint("meeting_id", "text_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    text_key: Mapped[str] = mapped_column(String(300))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"))
    ignored: Mapped[bool] = mapped_column(Boolean, default=False)  # reviewed: not a room (「特になし」)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class SolverRun(Base):
    """One optimiser run: rules, status, figures (no personal data)."""

    __tablename__ = "assignment_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(254), default="")
    backend: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(20))
    objective: Mapped[float | None] = mapped_column(Float)
    bound: Mapped[float | None] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    people: Mapped[int] = mapped_column(Integer, default=0)
    rooms: Mapped[int] = mapped_column(Integer, default=0)
    saved: Mapped[bool] = mapped_column(Boolean, default=False)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
