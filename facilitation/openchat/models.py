"""The open chat's tables: imports of talk-history exports, posts, system events, chat members.

Message texts are the only sensitive part: they stay nullable so a redaction removes the text
while the row (time, sender, kind, question flag) keeps the counts right.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from facilitation.storage.models import Base, Organisation, Person, utcnow


class ChatImport(Base):
    """One uploaded export: what it held and what was new."""

    __tablename__ = "openchat_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    file_hash: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the bytes
    chat_name: Mapped[str] = mapped_column(String(200), default="")
    saved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # 保存日時 in the header
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)
    total_lines: Mapped[int] = mapped_column(Integer, default=0)
    messages_found: Mapped[int] = mapped_column(Integer, default=0)
    messages_added: Mapped[int] = mapped_column(Integer, default=0)
    events_found: Mapped[int] = mapped_column(Integer, default=0)
    events_added: Mapped[int] = mapped_column(Integer, default=0)
    unparsed_count: Mapped[int] = mapped_column(Integer, default=0)
    unparsed_lines: Mapped[list[Any]] = mapped_column(default=list)  # [{"line", "text", "reason"}], first 500
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(254), default="")


class ChatMember(Base):
    """A display name seen in the chat, matched to an organisation (and a person when clear)."""

    __tablename__ = "openchat_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    nickname: Mapped[str] = mapped_column(String(200), unique=True)
    org_text: Mapped[str] = mapped_column(String(200), default="")  # the 機関名 part of 機関名&名字
    surname: Mapped[str] = mapped_column(String(100), default="")  # the 名字 part
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="要確認")  # members.REVIEW_STATUSES
    score: Mapped[float | None] = mapped_column(Float)  # fuzzy score of the suggestion, 0-100
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"))
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
    organisation: Mapped[Organisation | None] = relationship(foreign_keys=[organisation_id])
    suggestion: Mapped[Organisation | None] = relationship(foreign_keys=[suggestion_id])
    person: Mapped[Person | None] = relationship()


class ChatMessage(Base):
    """One post. `text` is None once redacted; the fingerprint keeps re-imports from adding it back."""

    __tablename__ = "openchat_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # Japan local time
    sender: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("openchat_members.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(10), default="message")  # message / media
    media: Mapped[str] = mapped_column(String(20), default="")
    text: Mapped[str | None] = mapped_column(Text)
    length: Mapped[int] = mapped_column(Integer, default=0)  # characters, kept after redaction
    is_question: Mapped[bool] = mapped_column(Boolean, default=False)  # kept after redaction
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)
    redacted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    redacted_by: Mapped[str] = mapped_column(String(254), default="")
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("openchat_imports.id", ondelete="SET NULL"))


class ChatEvent(Base):
    """A system line: join, leave, rename, unsend, announcement, other."""

    __tablename__ = "openchat_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200), default="")
    new_name: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("openchat_imports.id", ondelete="SET NULL"))
