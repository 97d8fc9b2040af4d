"""Access tables: who may sign in with which role, and the facilitator links handed out.

A facilitator link is never stored as a whole: the row keeps its id (`jti`), scope and expiry, and
the link can be signed again from them. A link whose row is missing or revoked is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow


class Account(Base):
    """One e-mail address allowed to sign in, and its role (事務局 / 委員会)."""

    __tablename__ = "access_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # normalize.email_key
    role: Mapped[str] = mapped_column(String(20))
    label: Mapped[str] = mapped_column(String(100), default="")  # who this is, for the secretariat
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")


class FacilitatorLink(Base):
    """A signed link for one meeting's room; valid until `expires_at` unless revoked."""

    __tablename__ = "facilitator_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    jti: Mapped[str] = mapped_column(String(32), unique=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    issued_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)  # naive UTC
    issued_by: Mapped[str] = mapped_column(String(254), default="")
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str] = mapped_column(String(254), default="")
