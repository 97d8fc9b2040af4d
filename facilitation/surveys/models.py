"""Survey tables: a survey per meeting (where it came from, the secretariat's column corrections),
its responses (raw answers, identity fields, the registration it links to), comment tags and the
tag list.

Identity fields (`email`, `name`) and the raw answers are what a privacy deletion erases
(access.privacy's survey eraser looks for exactly these column names).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.storage.models import Base, Meeting, utcnow


class SurveySheet(Base):
    """One survey (a Google Form's responses) for a meeting, or for a yearly evaluation (no meeting)."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(20), default="file")  # sheet / file
    source_ref: Mapped[str] = mapped_column(String(500), default="")  # sheet URL + tab, or file name
    headers: Mapped[list[str]] = mapped_column(default=list)
    kinds: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question key → kind (corrections)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)  # question key → option list
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    meeting: Mapped[Meeting | None] = relationship()


class SurveyResponse(Base):
    """One respondent's row, in sheet order; `answers_raw` is aligned with the survey's headers."""

    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    source_row: Mapped[int | None] = mapped_column(Integer)
    answers_raw: Mapped[list[Any]] = mapped_column(default=list)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    email: Mapped[str] = mapped_column(String(254), default="", index=True)  # normalize.email_key
    name: Mapped[str] = mapped_column(String(100), default="")
    org_text: Mapped[str] = mapped_column(String(300), default="")
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    link_method: Mapped[str] = mapped_column(String(20), default="")  # email / name_org / manual / ""


class SurveyCommentTag(Base):
    """A tag the secretariat put on one free-text answer (財政面, 人材面, 連携…)."""

    __tablename__ = "survey_comment_tags"
    __table_args__ = (UniqueConstraint("response_id", "question_key", "tag"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id", ondelete="CASCADE"), index=True)
    question_key: Mapped[str] = mapped_column(String(300))
    tag: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class SurveyTag(Base):
    """The editable list of comment tags, in display order."""

    __tablename__ = "survey_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
