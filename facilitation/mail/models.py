"""The send log: one row per e-mail to one person for one published version and one kind.

A row is written as 「送信中」 (sending) and committed before the message goes out, and set to
「送信済み」 (sent) after the server accepted it. The unique key (version, registration, kind)
makes a second send of the same e-mail impossible, even after a crash: a row left in 「送信中」 is
shown as "unknown" for the secretariat to check, never sent again by itself; so is a row whose
connection broke after the message was handed over (UNCONFIRMED).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow

SENDING = "sending"
SENT = "sent"
FAILED = "failed"
UNCONFIRMED = "unknown"  # handed to the server, the answer never came: it may have arrived
STATUSES = (SENDING, SENT, FAILED, UNCONFIRMED)


class MailSend(Base):
    """One e-mail (or one test e-mail) and what became of it."""

    __tablename__ = "mail_sends"
    __table_args__ = (UniqueConstraint("version_id", "registration_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("assignment_versions.id", ondelete="CASCADE"), index=True)
    version_number: Mapped[int] = mapped_column(Integer)
    # None for a test send (to the secretariat's own address): those are never deduplicated.
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"),
                                                        index=True)
    kind: Mapped[str] = mapped_column(String(20))  # participant / facilitator / test
    template: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(254))
    room_id: Mapped[int | None] = mapped_column(Integer)
    room_name: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10))  # SENDING / SENT / FAILED / UNCONFIRMED
    error: Mapped[str] = mapped_column(String(500), default="")  # Japanese reason of a failure
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_by: Mapped[str] = mapped_column(String(254), default="")
