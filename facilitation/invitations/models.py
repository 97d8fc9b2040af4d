"""The invitations' tables: the send log, the organisations' stored contacts, the opt-outs.

- `invitation_sends`: one row per invitation e-mail, unique per (meeting, address): a second run,
  or a second organisation with the same address, never sends twice. Written 「送信中」 and
  committed before the message goes out (mail.delivery), like the room e-mails.
- `org_contacts`: an organisation's contact address, when the secretariat stored one (it is used
  before the most recent registrant's address).
- `mail_opt_outs`: addresses that asked not to receive invitations (「案内不要」), keyed by a hash of
  the address, so the request is still honoured after the address itself is erased on request.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from facilitation.storage.models import Base, utcnow
from facilitation.text.normalize import email_key

ERASED = "（消去済み）"


def address_key(address: str) -> str:
    """The opt-out key of an address: sha256 of its lower-cased form."""
    return hashlib.sha256(email_key(address).encode()).hexdigest()


class InvitationSend(Base):
    """One invitation e-mail to one address for one meeting, and what became of it."""

    __tablename__ = "invitation_sends"
    __table_args__ = (UniqueConstraint("meeting_id", "recipient"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        index=True)
    org_name: Mapped[str] = mapped_column(String(200), default="")  # as it was when invited
    region: Mapped[str] = mapped_column(String(30), default="")
    recipient: Mapped[str] = mapped_column(String(254))  # lower-cased address
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(10))  # mail.models: SENDING / SENT / FAILED / UNCONFIRMED
    error: Mapped[str] = mapped_column(String(500), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_by: Mapped[str] = mapped_column(String(254), default="")


class OrgContact(Base):
    """The address the secretariat stored for an organisation's invitations."""

    __tablename__ = "org_contacts"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"),
                                                 primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(254), default="")


class OptOut(Base):
    """An address that asked not to be sent invitations (「案内不要」)."""

    __tablename__ = "mail_opt_outs"
    id: Mapped[int] = mapped_column(primary_key=True)
    address_key: Mapped[str] = mapped_column(String(64), unique=True)  # address_key(address)
    address: Mapped[str] = mapped_column(String(254))  # shown to the secretariat; ERASED after erasure
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254), default="")


def _erase(session, subject):
    """Erasure on request: the person's address leaves the send log and the stored contacts; an
    opt-out keeps only its hash (the request not to be written to still holds)."""
    from sqlalchemy import select

    from facilitation.access import privacy

    address = email_key(subject.email)
    if not address:
        return []
    out = []
    sends = list(session.scalars(select(InvitationSend).where(InvitationSend.recipient == address)))
    for row in sends:
        row.recipient = f"{ERASED}{row.id}"
    contacts = list(session.scalars(select(OrgContact).where(OrgContact.email == address)))
    for row in contacts:
        session.delete(row)
    opt = session.scalar(select(OptOut).where(OptOut.address_key == address_key(address)))
    if opt is not None:
        opt.address = ERASED
    session.flush()
    if sends:
        out.append(privacy.Erased("invitation_sends", [r.id for r in sends], ["recipient"]))
    if contacts:
        out.append(privacy.Erased("org_contacts", [r.organisation_id for r in contacts], ["email"]))
    if opt is not None:
        out.append(privacy.Erased("mail_opt_outs", [opt.id], ["address"]))
    return out


def _connect() -> None:
    from facilitation.access import privacy

    privacy.eraser("70_invitations")(_erase)


_connect()
