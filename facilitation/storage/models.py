"""The core tables: organisations, people, meetings, rooms, registrations, assignments, notes.

Each later area (surveys, open chat, access) keeps its tables in its own module on the same `Base`;
every table is created by an Alembic migration in `facilitation/migrations/versions/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from facilitation.text import dates

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


utcnow = dates.utcnow  # column defaults: timestamps are stored naive in UTC (see text.dates)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, list[str]: JSON}


class Organisation(Base):
    """An office or program of a legal body, as the network counts 機関."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_body: Mapped[str] = mapped_column(String(200), default="")
    office: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # vocab.ORG_KINDS
    gov_mode: Mapped[str] = mapped_column(String(10), default="")  # 直営 / 委託元 for governments
    region: Mapped[str] = mapped_column(String(30), index=True)  # vocab.ALL_AREAS
    municipality: Mapped[str] = mapped_column(String(30), default="")
    programs: Mapped[list[str]] = mapped_column(default=list)
    facilitator_body: Mapped[bool] = mapped_column(Boolean, default=False)
    is_target: Mapped[bool] = mapped_column(Boolean, default=False)  # in the coverage population
    source_no: Mapped[int | None] = mapped_column(Integer)  # No. in the printed 2021 list
    name_key: Mapped[str] = mapped_column(String(200), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    aliases: Mapped[list[OrgAlias]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class OrgAlias(Base):
    """Another way people write an organisation (short names, typos confirmed in review)."""

    __tablename__ = "org_aliases"
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(String(200))
    alias_key: Mapped[str] = mapped_column(String(200), unique=True)
    organisation: Mapped[Organisation] = relationship(back_populates="aliases")


class Person(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    furigana: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(254), default="", index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="SET NULL"), index=True
    )
    role_title: Mapped[str] = mapped_column(String(50), default="")
    years_experience: Mapped[float | None] = mapped_column()
    name_key: Mapped[str] = mapped_column(String(100), index=True, default="")
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)  # personal data erased on request
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    organisation: Mapped[Organisation | None] = relationship()


class Meeting(Base):
    __tablename__ = "meetings"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer)  # 第N回
    kind: Mapped[str] = mapped_column(String(20), default="情報交換会")  # vocab.MEETING_KINDS
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)  # Japan local time
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    format: Mapped[str] = mapped_column(String(20), default="オンライン")
    venue: Mapped[str] = mapped_column(String(200), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)  # soft limit
    fiscal_year: Mapped[int] = mapped_column(Integer, index=True)
    program: Mapped[list[Any]] = mapped_column(default=list)  # [{"time": "14:00", "item": "開会"}]
    status: Mapped[str] = mapped_column(String(10), default="準備中")
    registration_url: Mapped[str] = mapped_column(String(500), default="")
    sheet_url: Mapped[str] = mapped_column(String(500), default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)  # per-meeting options
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    rooms: Mapped[list[Room]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Room.position"
    )


class Room(Base):
    __tablename__ = "rooms"
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(100))
    theme: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    facilitator_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    zoom_name: Mapped[str] = mapped_column(String(100), default="")
    meeting: Mapped[Meeting] = relationship(back_populates="rooms")
    facilitator: Mapped[Person | None] = relationship()


class Registration(Base):
    """One person's application to one meeting, with where it came from."""

    __tablename__ = "registrations"
    __table_args__ = (UniqueConstraint("meeting_id", "person_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    choice1: Mapped[str] = mapped_column(String(300), default="")
    choice2: Mapped[str] = mapped_column(String(300), default="")
    choice3: Mapped[str] = mapped_column(String(300), default="")
    attendance_mode: Mapped[str] = mapped_column(String(10), default="オンライン")
    role: Mapped[str] = mapped_column(String(20), default="参加者")
    status: Mapped[str] = mapped_column(String(10), default="申込")
    willing_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    programs: Mapped[list[str]] = mapped_column(default=list)  # 担当している事業 as answered
    org_text: Mapped[str] = mapped_column(String(300), default="")  # organisation as typed
    department: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(20), default="manual")  # sheet / file / manual / demo
    source_ref: Mapped[str] = mapped_column(String(300), default="")  # sheet key + tab, or file name
    source_row: Mapped[int | None] = mapped_column(Integer)  # 1-based row in the source incl. header
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)  # unknown form columns, kept
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    person: Mapped[Person] = relationship()
    meeting: Mapped[Meeting] = relationship()


class Assignment(Base):
    """A registration placed in a room; `version` refuses stale concurrent edits."""

    __tablename__ = "assignments"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    is_facilitator: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(300), default="")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")
    registration: Mapped[Registration] = relationship()
    room: Mapped[Room] = relationship()
    __mapper_args__ = {"version_id_col": version}


class Attendance(Base):
    """The live mark a facilitator taps for one registration (出席 / 欠席 / 遅刻 / 途中退室)."""

    __tablename__ = "attendance"
    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("registrations.id", ondelete="CASCADE"), unique=True
    )
    mark: Mapped[str] = mapped_column(String(10))
    marked_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    marked_by: Mapped[str] = mapped_column(String(254), default="")
    registration: Mapped[Registration] = relationship()


class RoomNote(Base):
    """A facilitator's notes, in the report's structure."""

    __tablename__ = "room_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), unique=True)
    theme: Mapped[str] = mapped_column(Text, default="")
    participants: Mapped[str] = mapped_column(Text, default="")
    issues: Mapped[str] = mapped_column(Text, default="")  # 現状の課題
    efforts: Mapped[str] = mapped_column(Text, default="")  # 取り組み・工夫
    requests: Mapped[str] = mapped_column(Text, default="")  # 後方支援への要望
    summary: Mapped[str] = mapped_column(Text, default="")  # まとめ (1分30秒の報告)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class AuditEntry(Base):
    """Who changed what, when, with the values before and after."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(20))  # insert / update / delete / ...
    entity: Mapped[str] = mapped_column(String(50), index=True)
    entity_id: Mapped[str] = mapped_column(String(50), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Setting(Base):
    """Small key → JSON settings edited in 設定 (templates, theme library, role table…)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
