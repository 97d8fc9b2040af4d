"""Sending a batch of e-mails safely, whatever they are (room e-mails, invitations).

For each message: wait for the per-minute limit, then in its own unit of work `claim` it — check it
may still be sent and log it 「送信中」 under the caller's unique key (committed before the message
goes out) — hand it to the server, and in another unit of work mark the row sent, failed, or
「不明」 (UNCONFIRMED: the connection broke after the message was handed over; never resent by
itself). A claim that returns None, or loses a race on the unique key, skips the message. A
connection or settings problem stops the run (every later message would fail too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from facilitation.mail.models import FAILED, SENDING, SENT, UNCONFIRMED
from facilitation.mail.smtp import MailError, RateLimit, SendFailure, SmtpSettings, build_message
from facilitation.text.dates import utcnow

OpenSession = Callable[[], AbstractContextManager[Session]]
T = TypeVar("T")


class LogRow(Protocol):
    """A send-log row: mail_sends, invitation_sends."""

    status: str
    error: str
    sent_at: Any


@dataclass(frozen=True)
class Outgoing:
    to: str
    subject: str
    body: str
    key: str  # stable per log row, so a retry keeps the Message-ID


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # not to be sent any more, or someone else logged it first
    unknown: int = 0  # handed over, no answer: listed for checking, never resent by itself
    waited_s: float = 0.0
    stopped: str = ""  # Japanese: why the run stopped early (the connection), "" when it finished

    @property
    def message(self) -> str:
        text = f"{self.sent} 通を送信しました。"
        if self.failed:
            text += f" {self.failed} 通は送信できませんでした（下の一覧に理由があります。再送できます）。"
        if self.unknown:
            text += (f" {self.unknown} 通は届いたかどうか分かりません（自動では再送しません。"
                     "下の「確認が必要なメール」で確かめてください）。")
        if self.stopped:
            text += f" 途中で止まりました: {self.stopped}"
        return text


def mark(row: LogRow, error: str = "", status: str = FAILED) -> None:
    """Record what became of a message: sent (no error), else `status` with the Japanese reason."""
    row.status, row.error = (status, error[:500]) if error else (SENT, "")
    if not error:
        row.sent_at = utcnow()


def deliver(open_session: OpenSession, settings: SmtpSettings, transport: Any, items: Sequence[T],
            outgoing: Callable[[T], Outgoing], claim: Callable[[Session, T], int | None],
            row_of: Callable[[Session, int], LogRow], *, rate: RateLimit | None = None,
            on_progress: Callable[[int, int], None] | None = None) -> SendReport:
    """Send `items` one by one: claim (log 「送信中」, committed), send, mark. `row_of(session, id)`
    loads a claimed log row to mark it."""
    rate = rate or RateLimit(settings.per_minute)
    report = SendReport()

    def finish(send_id: int, error: str = "", status: str = FAILED) -> None:
        with open_session() as s:
            mark(row_of(s, send_id), error, status)

    for n, item in enumerate(items, start=1):
        report.waited_s += rate.wait()
        try:
            with open_session() as s:
                send_id = claim(s, item)
        except IntegrityError:  # another run logged the same e-mail a moment ago
            send_id = None
        if send_id is None:
            report.skipped += 1
            continue
        out = outgoing(item)
        try:
            transport.send(build_message(settings, out.to, out.subject, out.body, key=out.key))
        except SendFailure as exc:
            finish(send_id, exc.reason, UNCONFIRMED if exc.unknown else FAILED)
            if exc.unknown:
                report.unknown += 1
            else:
                report.failed += 1
        except MailError as exc:  # the connection or the settings: every later message would fail too
            finish(send_id, str(exc))
            report.failed += 1
            report.stopped = str(exc)
            break
        else:
            finish(send_id)
            report.sent += 1
        if on_progress:
            on_progress(n, len(items))
    return report


def resolve(row: LogRow | None, delivered: bool) -> None:
    """The secretariat checked a message left 「送信中」 by an interrupted run (or 「不明」 after a
    broken connection): mark it sent, or failed (so that it can be sent again)."""
    if row is None or row.status not in (SENDING, UNCONFIRMED):
        raise MailError("このメールの状態はすでに変わっています。画面を更新してください。")
    if delivered:
        row.status, row.sent_at = SENT, row.sent_at or utcnow()
    else:
        row.status, row.error = FAILED, "送信できたか確認できなかったため、再送の対象にしました。"
