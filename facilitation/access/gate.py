"""Who may come in: the e-mail → role table, signed facilitator links, and the local-mode check.

Facilitator links carry `v1.<meeting>.<room>.<expiry>.<jti>.<signature>` where the signature is
HMAC-SHA256 over everything before it with a secret that lives in st.secrets / the environment (or,
for a local installation without one, in a file under data/, which git ignores). A link is accepted
only when its signature is right, it has not expired, and its row in `facilitator_links` exists and
is not revoked. The secretariat's all-rooms overview waits for changes with a ticket of the same
kind (`o1.<meeting>.<expiry>.<e-mail>.<signature>`, `overview_ticket`), signed with the same key
for another purpose, so neither is ever valid as the other. The functions here never log tokens,
e-mails or names.

Frames for a page or the CLI have English snake_case columns, shown under the Japanese headers of
the *_LABELS dict next to each.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import os
import secrets as pysecrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.access.models import Account, FacilitatorLink
from facilitation.errors import AccessDenied, UserError
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer, actor_label, require_secretariat
from facilitation.storage.models import Meeting, Room, utcnow
from facilitation.text.dates import ja_date, ja_time, jst_to_utc, to_jst
from facilitation.text.normalize import clean, email_key

SECRET_ENV = "FACILITATION_LINK_SECRET"
SECRET_FILE = Path(__file__).resolve().parents[2] / "data" / "link_secret"
TABLE_ROLES: tuple[str, ...] = (SECRETARIAT, COMMITTEE)  # facilitators come in by link only
MIN_SECRET_BYTES = 32
TOKEN_VERSION = "v1"
TICKET_VERSION = "o1"  # the overview's ticket (never a facilitator link: those start with v1)
TICKET_HOURS = 12  # a ticket is minted again on every rerun of the overview

MESSAGES = {
    "malformed": "リンクの形式が正しくありません。事務局から届いたリンクを、途中で切れないようにそのまま開いてください。",
    "signature": "このリンクは正しくありません（書き換えられたか、別の設定で作られたリンクです）。事務局に新しいリンクを依頼してください。",
    "expired": "このリンクの有効期限（{when}）が過ぎています。事務局に新しいリンクを依頼してください。",
    "revoked": "このリンクは事務局によって無効にされました。必要な場合は事務局に新しいリンクを依頼してください。",
    "unknown": "このリンクは登録されていません。事務局に新しいリンクを依頼してください。",
    "no_room": "このリンクのルームは見つかりませんでした（会やルームが削除された可能性があります）。",
}


class AccessError(UserError):
    """A request the secretariat can correct (bad e-mail, unknown role…); the message is Japanese."""


# --- Secrets -------------------------------------------------------------------------------

def link_secret(configured: str | None = None, fallback: Path | None = SECRET_FILE) -> bytes:
    """The signing key: the configured value, else $FACILITATION_LINK_SECRET, else a local file.

    The file (created once, 32 random bytes, mode 600) serves installations without secrets;
    `fallback=None` refuses that and raises AccessError instead.
    """
    value = configured or os.environ.get(SECRET_ENV)
    if value:
        raw = value.encode()
        if len(raw) < MIN_SECRET_BYTES:
            raise AccessError(f"リンク用の秘密鍵が短すぎます（{MIN_SECRET_BYTES}文字以上にしてください）。")
        return raw
    if fallback is None:
        raise AccessError("リンク用の秘密鍵が設定されていません（[facilitation] link_secret）。")
    fallback.parent.mkdir(parents=True, exist_ok=True)
    if not fallback.exists():
        fd = os.open(fallback, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(pysecrets.token_urlsafe(48))
    return fallback.read_text().strip().encode()


# --- Tokens: pure functions ----------------------------------------------------------------

@dataclass(frozen=True)
class TokenCheck:
    """The outcome of checking a link: either ok with its scope, or a Japanese reason."""

    ok: bool
    meeting_id: int | None = None
    room_id: int | None = None
    jti: str = ""
    expires_at: dt.datetime | None = None  # naive UTC
    reason: str = ""  # key of MESSAGES when not ok
    message: str = ""

    def viewer(self) -> Viewer:
        """The facilitator this link admits (the link id names them in the audit log)."""
        if not self.ok:
            raise AccessDenied(self.message)
        return Viewer(role=FACILITATOR, email=f"link:{self.jti}", meeting_id=self.meeting_id,
                      room_id=self.room_id)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signature(secret: bytes, body: str) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())


def _epoch(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp())


def _from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).replace(tzinfo=None)


def sign_token(secret: bytes, meeting_id: int, room_id: int, expires_at: dt.datetime, jti: str) -> str:
    """The link token for one room of one meeting, valid until `expires_at` (naive UTC)."""
    if not jti.isalnum():
        raise AccessError("リンクIDの形式が正しくありません。")
    body = f"{TOKEN_VERSION}.{int(meeting_id)}.{int(room_id)}.{_epoch(expires_at)}.{jti}"
    return f"{body}.{_signature(secret, body)}"


def _failure(reason: str, **kw) -> TokenCheck:
    when = kw.pop("when", None)
    return TokenCheck(ok=False, reason=reason, message=MESSAGES[reason].format(when=when), **kw)


def jst_text(moment_utc: dt.datetime) -> str:
    """「2026年12月10日（木） 18:00」 in Japan time for a naive UTC moment."""
    local = to_jst(moment_utc)
    return f"{ja_date(local)} {ja_time(local)}"


def verify_token(token: str | None, secret: bytes, now: dt.datetime | None = None) -> TokenCheck:
    """Check signature and expiry only (no database): the part that needs no trust in storage."""
    now = now or utcnow()
    text = (token or "").strip()
    parts = text.split(".")
    if len(text) > 300 or len(parts) != 6 or parts[0] != TOKEN_VERSION:
        return _failure("malformed")
    _, m, r, exp, jti, sig = parts
    if not (m.isdigit() and r.isdigit() and exp.isdigit() and jti.isalnum() and len(exp) <= 12):
        return _failure("malformed")
    expected = _signature(secret, ".".join(parts[:5]))
    if not hmac.compare_digest(expected.encode(), sig.encode()):
        return _failure("signature")
    expires = _from_epoch(int(exp))
    scope = {"meeting_id": int(m), "room_id": int(r), "jti": jti, "expires_at": expires}
    if now >= expires:
        return _failure("expired", when=jst_text(expires), **scope)
    return TokenCheck(ok=True, **scope)


# --- The secretariat overview's ticket (the live roster's wait route) ----------------------

def _sign(secret: bytes, body: str) -> str:
    return _signature(secret, "overview-stamp:" + body)  # never valid as a link's signature


def overview_ticket(secret: bytes, meeting_id: int, email: str, now: float | None = None) -> str:
    """The ticket a secretariat overview sends with each wait: meeting, viewer, expiry, signature."""
    expires = int((now or time.time()) + TICKET_HOURS * 3600)
    body = f"{TICKET_VERSION}.{int(meeting_id)}.{expires}.{_b64(email.encode())}"
    return f"{body}.{_sign(secret, body)}"


def ticket_email(ticket: str, secret: bytes, meeting_id: int, now: float | None = None) -> str | None:
    """The viewer's e-mail ("local" in local mode) of a valid ticket for this meeting, else None."""
    parts = (ticket or "").split(".")
    if len(ticket or "") > 500 or len(parts) != 5 or parts[0] != TICKET_VERSION:
        return None
    _, meeting, expires, email, sig = parts
    if not (meeting.isdigit() and expires.isdigit() and len(expires) <= 12):
        return None
    if not hmac.compare_digest(_sign(secret, ".".join(parts[:4])).encode(), sig.encode()):
        return None
    if int(meeting) != meeting_id or int(expires) <= (now or time.time()):
        return None
    try:
        return base64.urlsafe_b64decode(email + "=" * (-len(email) % 4)).decode()
    except ValueError:
        return None


# --- Links in the database -----------------------------------------------------------------

@dataclass(frozen=True)
class IssuedLink:
    id: int
    token: str
    meeting_id: int
    room_id: int
    expires_at: dt.datetime  # naive UTC
    revoked: bool = False

    @property
    def expires_text(self) -> str:
        return jst_text(self.expires_at)


def default_expiry(meeting: Meeting, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the day after the meeting (Japan time), and at least 24 hours from now."""
    now = now or utcnow()
    day_after = dt.datetime.combine(meeting.starts_at.date() + dt.timedelta(days=2), dt.time())
    end_utc = jst_to_utc(day_after)
    return max(end_utc, now + dt.timedelta(hours=24))


def _as_link(row: FacilitatorLink, secret: bytes) -> IssuedLink:
    token = sign_token(secret, row.meeting_id, row.room_id, row.expires_at, row.jti)
    return IssuedLink(id=row.id, token=token, meeting_id=row.meeting_id, room_id=row.room_id,
                      expires_at=row.expires_at, revoked=row.revoked_at is not None)


def issue_link(session: Session, viewer: Viewer, room_id: int, secret: bytes, *,
               hours: float | None = None, now: dt.datetime | None = None) -> IssuedLink:
    """A new link for the room's facilitator; `hours` from now, or the default expiry."""
    require_secretariat(viewer)
    now = now or utcnow()
    room = session.get(Room, room_id)
    if room is None:
        raise AccessError(f"ルーム（ID {room_id}）が見つかりません。")
    if hours is not None and not (0 < hours <= 24 * 90):
        raise AccessError("有効時間は 1〜2160 時間（90日）の範囲で指定してください。")
    expires = now + dt.timedelta(hours=hours) if hours is not None else default_expiry(room.meeting, now)
    row = FacilitatorLink(jti=pysecrets.token_hex(8), meeting_id=room.meeting_id, room_id=room.id,
                          expires_at=expires.replace(microsecond=0), issued_by=viewer.actor,
                          issued_at=now)
    session.add(row)
    session.flush()
    return _as_link(row, secret)


def current_link(session: Session, room_id: int, secret: bytes,
                 now: dt.datetime | None = None) -> IssuedLink | None:
    """The newest valid (not revoked, not expired) link of a room, re-signed; None if there is none."""
    now = now or utcnow()
    row = session.scalars(
        select(FacilitatorLink)
        .where(FacilitatorLink.room_id == room_id, FacilitatorLink.revoked_at.is_(None),
               FacilitatorLink.expires_at > now)
        .order_by(FacilitatorLink.issued_at.desc(), FacilitatorLink.id.desc())
    ).first()
    return _as_link(row, secret) if row else None


def revoke_links(session: Session, viewer: Viewer, *, link_id: int | None = None,
                 room_id: int | None = None, meeting_id: int | None = None,
                 now: dt.datetime | None = None) -> int:
    """Revoke one link, every link of a room, or of a meeting; returns how many were revoked."""
    require_secretariat(viewer)
    query = select(FacilitatorLink).where(FacilitatorLink.revoked_at.is_(None))
    if link_id is not None:
        query = query.where(FacilitatorLink.id == link_id)
    elif room_id is not None:
        query = query.where(FacilitatorLink.room_id == room_id)
    elif meeting_id is not None:
        query = query.where(FacilitatorLink.meeting_id == meeting_id)
    else:
        raise AccessError("無効にするリンクを指定してください。")
    rows = session.scalars(query).all()
    for row in rows:
        row.revoked_at = now or utcnow()
        row.revoked_by = viewer.actor
    session.flush()
    return len(rows)


def check_link(session: Session, token: str | None, secret: bytes,
               now: dt.datetime | None = None) -> TokenCheck:
    """verify_token plus the database: the link must be on record, unrevoked, for an existing room."""
    result = verify_token(token, secret, now)
    if not result.ok:
        return result
    row = session.scalar(select(FacilitatorLink).where(FacilitatorLink.jti == result.jti))
    if row is None:
        return _failure("unknown")
    if (row.meeting_id, row.room_id) != (result.meeting_id, result.room_id) or \
            _epoch(row.expires_at) != _epoch(result.expires_at):
        return _failure("signature")
    if row.revoked_at is not None:
        return _failure("revoked")
    room = session.get(Room, row.room_id)
    if room is None or room.meeting_id != row.meeting_id:
        return _failure("no_room")
    return result


def require_current(session: Session, viewer: Viewer, now: dt.datetime | None = None) -> None:
    """Raise AccessDenied (Japanese, polite) when a link viewer's link is revoked, expired or gone.

    Every domain function that reads a room's people or writes for a facilitator calls this, so a
    tab opened before the link was revoked stops at its next refresh, tap or note save, not only at
    the next page load. Viewers who did not come in by a link (signed-in, local) pass; one indexed
    query per call.
    """
    jti = viewer.link_id
    if jti is None:
        return
    row = session.scalar(select(FacilitatorLink).where(FacilitatorLink.jti == jti))
    if row is None:
        raise AccessDenied(MESSAGES["unknown"])
    if row.revoked_at is not None:
        raise AccessDenied(MESSAGES["revoked"])
    if (now or utcnow()) >= row.expires_at:
        raise AccessDenied(MESSAGES["expired"].format(when=jst_text(row.expires_at)))
    if (row.meeting_id, row.room_id) != (viewer.meeting_id, viewer.room_id):
        raise AccessDenied(MESSAGES["signature"])


LINK_LABELS = {"room": "ルーム", "status": "状態", "expires": "有効期限", "issued": "発行", "issued_by": "発行者"}


def links_frame(session: Session, viewer: Viewer, meeting_id: int,
                now: dt.datetime | None = None) -> pd.DataFrame:
    """The links issued for a meeting, for the secretariat's list (no tokens in it): id, then
    LINK_LABELS."""
    require_secretariat(viewer)
    now = now or utcnow()
    rows = session.execute(
        select(FacilitatorLink, Room.name).join(Room, Room.id == FacilitatorLink.room_id)
        .where(FacilitatorLink.meeting_id == meeting_id)
        .order_by(Room.position, FacilitatorLink.issued_at)
    ).all()
    data = []
    for link, room_name in rows:
        if link.revoked_at is not None:
            state = "無効（取り消し済み）"
        elif link.expires_at <= now:
            state = "期限切れ"
        else:
            state = "有効"
        data.append({"id": link.id, "room": room_name, "status": state,
                     "expires": jst_text(link.expires_at), "issued": jst_text(link.issued_at),
                     "issued_by": actor_label(link.issued_by)})
    return pd.DataFrame(data, columns=["id", *LINK_LABELS])


# --- The e-mail → role table ---------------------------------------------------------------

def normalise_admins(emails: Iterable[str] | str | None) -> set[str]:
    """The admin e-mails from secrets as keys (a single string is accepted too)."""
    if not emails:
        return set()
    if isinstance(emails, str):
        emails = [emails]
    return {k for k in (email_key(e) for e in emails) if k}


def role_for(session: Session, email: str | None, admin_emails: Iterable[str] | str | None = ()) -> str | None:
    """The role of a signed-in e-mail: 事務局 for admins from secrets, else the table, else None."""
    k = email_key(email)
    if not k:
        return None
    if k in normalise_admins(admin_emails):
        return SECRETARIAT
    return session.scalar(select(Account.role).where(Account.email == k))


def viewer_for(session: Session, email: str | None, admin_emails: Iterable[str] | str | None = ()) -> Viewer | None:
    """The Viewer for a signed-in e-mail, or None when the address has no role."""
    role = role_for(session, email, admin_emails)
    return Viewer(role=role, email=email_key(email)) if role else None


def set_account(session: Session, viewer: Viewer, email: str, role: str, label: str = "") -> Account:
    """Add or change one account's role (the secretariat only)."""
    require_secretariat(viewer)
    k = email_key(email)
    if not k:
        raise AccessError(f"「{clean(email)[:60]}」はメールアドレスの形式ではありません。")
    if role not in TABLE_ROLES:
        raise AccessError(f"役割は {'・'.join(TABLE_ROLES)} のどれかを選んでください"
                          "（ファシリテーターにはルームごとのリンクを送ります）。")
    row = session.scalar(select(Account).where(Account.email == k))
    if row is None:
        row = Account(email=k, role=role, label=clean(label)[:100], created_by=viewer.actor)
        session.add(row)
    else:
        row.role, row.label = role, clean(label)[:100]
    session.flush()
    return row


def remove_account(session: Session, viewer: Viewer, email: str) -> bool:
    """Remove an account from the table; True when it was there. One cannot remove oneself."""
    require_secretariat(viewer)
    k = email_key(email)
    if k and k == email_key(viewer.email):
        raise AccessError("ご自身のアカウントは削除できません（別の事務局の方に依頼してください）。")
    row = session.scalar(select(Account).where(Account.email == k))
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


ACCOUNT_LABELS = {"email": "メールアドレス", "role": "役割", "note": "メモ", "editable": "編集"}


def accounts_frame(session: Session, viewer: Viewer, admin_emails: Iterable[str] | str | None = ()) -> pd.DataFrame:
    """The role table for 設定, with the admins from secrets listed first (not editable here;
    `editable` reads 可 / 不可). Headers: ACCOUNT_LABELS."""
    require_secretariat(viewer)
    data = [{"email": e, "role": SECRETARIAT, "note": "設定ファイル（secrets）で指定", "editable": "不可"}
            for e in sorted(normalise_admins(admin_emails))]
    for row in session.scalars(select(Account).order_by(Account.email)):
        data.append({"email": row.email, "role": row.role, "note": row.label, "editable": "可"})
    return pd.DataFrame(data, columns=list(ACCOUNT_LABELS))


# --- Local mode ------------------------------------------------------------------------------

PROXY_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip", "x-forwarded-host", "x-forwarded-proto",
                 "cf-connecting-ip", "true-client-ip", "x-client-ip", "fly-client-ip")
BEHIND_PROXY_ENV = "FACILITATION_BEHIND_PROXY"
_TRUE = ("1", "true", "yes", "on")


def behind_proxy(configured: object = None) -> bool:
    """True when the app is declared to run behind a reverse proxy or tunnel.

    `[facilitation] behind_proxy = true` in secrets, or FACILITATION_BEHIND_PROXY=1. A proxy that
    forwards without X-Forwarded-* headers makes every browser look like this computer, so with
    this set local mode is off altogether and sign-in ([auth]) is required.
    """
    if configured is not None and str(configured).strip() != "":
        return configured is True or str(configured).strip().lower() in _TRUE
    return os.environ.get(BEHIND_PROXY_ENV, "").strip().lower() in _TRUE


def _is_loopback_ip(text: str) -> bool:
    try:
        addr = ipaddress.ip_address(text.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(addr, "ipv4_mapped", None)  # ::ffff:127.0.0.1 from a dual-stack socket
    return (mapped or addr).is_loopback


def is_local_host(host: str) -> bool:
    """A Host header naming this computer: `localhost` or a loopback address, with an optional port.

    Anything else is refused, e.g. `127.attacker.example` (DNS rebinding: a public name the attacker
    points at 127.0.0.1 once the page is open) or a LAN address.
    """
    host = host.strip()
    if host.startswith("["):  # [::1] or [::1]:8501
        name, _, rest = host[1:].partition("]")
        if rest and not (rest.startswith(":") and rest[1:].isdigit()):
            return False
        return _is_loopback_ip(name)
    if host.count(":") == 1:
        host, port = host.split(":")
        if not port.isdigit():
            return False
    elif ":" in host:  # a bare IPv6 address (not valid in a Host header, but unambiguous)
        return _is_loopback_ip(host)
    if host.lower() == "localhost":
        return True
    if not all(part.isdigit() for part in host.split(".")) or host.count(".") != 3:
        return False  # only a dotted IPv4 address, never a name that merely starts with 127.
    return _is_loopback_ip(host)


def is_loopback_request(ip: str | None, headers: Mapping[str, str] | None = None, *,
                        proxied: bool = False) -> bool:
    """True when the browser talks to the app directly over loopback.

    `ip` is what Streamlit reports (st.context.ip_address: None for 127.0.0.1 / ::1). A request
    relayed by a proxy (forwarding headers) or addressed to a host other than localhost or a
    loopback address is not local, even when the TCP peer is loopback: that is how a reverse proxy,
    a tunnel or DNS rebinding looks. `proxied` (see behind_proxy) refuses every request.
    """
    if proxied:
        return False
    if ip is not None and not _is_loopback_ip(ip):
        return False
    lowered = {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    if any(h in lowered for h in PROXY_HEADERS):
        return False
    host = lowered.get("host")
    return host is None or is_local_host(host)
