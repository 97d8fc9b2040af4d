"""Sending over SMTP: the settings, a correctly encoded Japanese message, the connection, a limit.

Settings come from the `[mail]` section of secrets, else FACILITATION_SMTP_* environment variables:
host, port, security ("starttls" / "ssl" / "none"), user, password, from_address, from_name,
reply_to, per_minute. Nothing here logs addresses or passwords. Messages are UTF-8 with the
subject and the sender's name as RFC 2047 encoded words and the body in base64, which every
Japanese mail client reads.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import io
import os
import smtplib
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from facilitation.errors import UserError
from facilitation.text.dates import JST
from facilitation.text.normalize import clean, email_key, one_line

ENV_PREFIX = "FACILITATION_SMTP_"
SECURITY = ("starttls", "ssl", "none")
DEFAULT_PER_MINUTE = 20  # Gmail and Google Workspace accept far more; this stays well clear


class MailError(UserError):
    """A problem the secretariat can fix (settings, addresses); the message is Japanese."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str = "starttls"
    user: str = ""
    password: str = ""
    from_address: str = ""
    from_name: str = "北海道生活困窮者支援ネットワーク事務局"
    reply_to: str = ""
    per_minute: int = DEFAULT_PER_MINUTE
    timeout: float = 30.0

    @property
    def sender_label(self) -> str:
        return f"{self.from_name} <{self.from_address}>" if self.from_name else self.from_address


def load_settings(section: Mapping | None = None, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The settings from the secrets section, else the environment; None when no host is set.

    Raises MailError with a Japanese reason when the settings are there but cannot work."""
    env = os.environ if env is None else env
    data = {k.lower(): v for k, v in dict(section or {}).items()}
    if not data.get("host"):
        data = {k[len(ENV_PREFIX):].lower(): v for k, v in env.items() if k.startswith(ENV_PREFIX)}
    host = clean(data.get("host"))
    if not host:
        return None
    security = clean(data.get("security") or "starttls").lower()
    if security not in SECURITY:
        raise MailError("メールの設定 security は starttls・ssl・none のどれかにしてください。")
    try:
        port = int(data.get("port") or (465 if security == "ssl" else 587))
        per_minute = int(data.get("per_minute") or DEFAULT_PER_MINUTE)
    except (TypeError, ValueError):
        raise MailError("メールの設定 port と per_minute は数字で書いてください。") from None
    from_address = clean(data.get("from_address") or data.get("user"))
    if "@" not in from_address:
        raise MailError("メールの差出人アドレス（from_address）を設定してください。")
    return SmtpSettings(host=host, port=port, security=security, user=clean(data.get("user")),
                        password=str(data.get("password") or ""), from_address=from_address,
                        from_name=clean(data.get("from_name")) or SmtpSettings.from_name,
                        reply_to=clean(data.get("reply_to")), per_minute=max(per_minute, 0))


def header_text(text: str) -> str:
    """Text for a header: one line (CR, LF, U+2028… become a space), so a name typed with a line
    break can neither add a header nor break the message."""
    return one_line(text)


def build_message(settings: SmtpSettings, to: str, subject: str, body: str, *, key: str = "") -> EmailMessage:
    """A UTF-8 message; `key` makes the Message-ID stable for one log row (the same on a retry).

    Raises SendFailure (permanent) when this one message cannot be written (an address the mail
    library refuses): the run goes on with the others."""
    try:
        return _build(settings, to, subject, body, key)
    except (ValueError, TypeError, UnicodeError, IndexError) as exc:
        raise SendFailure(f"このメールを組み立てられませんでした（{type(exc).__name__}）。宛先のアドレスと"
                          "氏名・所属に使えない文字がないか確かめてください。", permanent=True) from None


def _build(settings: SmtpSettings, to: str, subject: str, body: str, key: str) -> EmailMessage:
    msg = EmailMessage()
    domain = settings.from_address.rsplit("@", 1)[-1]
    msg["From"] = Address(display_name=header_text(settings.from_name), addr_spec=settings.from_address)
    msg["To"] = header_text(to)
    if settings.reply_to:
        msg["Reply-To"] = header_text(settings.reply_to)
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(dt.datetime.now(JST))
    if key:
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        msg["Message-ID"] = f"<facilitation.{digest}@{domain}>"
    else:
        msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(body.replace("\r\n", "\n"), charset="utf-8", cte="base64")
    return msg


class SendFailure(Exception):
    """One message was not accepted; `reason` is Japanese, `permanent` when retrying now cannot help,
    `unknown` when it may have arrived (the connection broke after the message was handed over)."""

    def __init__(self, reason: str, permanent: bool = False, unknown: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.unknown = unknown


UNKNOWN_REASON = ("本文を渡した後でメールサーバーとの接続が切れ、届いたかどうか分かりません。自動では再送しません。"
                  "ご本人か送信済みフォルダで確かめてから、「届いていた」か「届いていない」を選んでください。")


def _wire_bytes(msg: EmailMessage) -> bytes:
    """The message as smtplib.send_message would send it (Bcc and Resent-Bcc removed)."""
    m = copy.copy(msg)
    del m["Bcc"]
    del m["Resent-Bcc"]
    with io.BytesIO() as out:
        BytesGenerator(out).flatten(m, linesep="\r\n")
        return out.getvalue()


def _reset(smtp: smtplib.SMTP) -> None:
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass


def _code_text(code: int, text: bytes | str) -> str:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {raw}".strip()[:200]


class Transport:
    """One SMTP connection, opened on first use and reopened after the server drops it."""

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user:
                smtp.login(s.user, s.password)
        except smtplib.SMTPAuthenticationError:
            raise MailError("メールサーバーにログインできませんでした。ユーザー名とパスワード"
                            "（Gmail はアプリパスワード）を確かめてください。") from None
        except smtplib.SMTPNotSupportedError:
            raise MailError("メールサーバーが STARTTLS に対応していません。security の設定を確かめてください。") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"メールサーバー（{s.host}:{s.port}）に接続できませんでした"
                            f"（{type(exc).__name__}）。ホスト名・ポート・security を確かめてください。") from None
        return smtp

    def _alive(self) -> bool:
        try:
            return self._smtp is not None and self._smtp.noop()[0] == 250
        except (OSError, smtplib.SMTPException):
            return False

    def send(self, msg: EmailMessage) -> None:
        """Send one message; raises SendFailure (this message) or MailError (the connection).

        A connection the server closed while idle is reopened before the message; a message whose
        connection breaks halfway is never sent again by itself (it may have arrived)."""
        if self._smtp is not None and not self._alive():
            self.close()
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            data = _wire_bytes(msg)
        except (ValueError, TypeError, UnicodeError) as exc:
            raise SendFailure(f"このメールを送れる形にできませんでした（{type(exc).__name__}）。宛先と本文を"
                              "確かめてください。", permanent=True) from None
        smtp = self._smtp
        # The envelope first (MAIL, RCPT): a break here means the message did not go out. Then DATA:
        # a break after the message was handed over means nobody knows whether it arrived.
        try:
            recipients = [a.addr_spec for a in msg["To"].addresses]
            smtp.ehlo_or_helo_if_needed()
            code, resp = smtp.mail(self.settings.from_address)
            if code != 250:
                _reset(smtp)
                raise smtplib.SMTPSenderRefused(code, resp, self.settings.from_address)
            refused = {}
            for r in recipients:
                code, resp = smtp.rcpt(r)
                if code not in (250, 251):
                    refused[r] = (code, resp)
            if len(refused) == len(recipients):
                _reset(smtp)
                raise smtplib.SMTPRecipientsRefused(refused)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise SendFailure(f"宛先のメールサーバーに受け取りを断られました（{_code_text(code, text)}）。"
                              "アドレスに誤りがないか確かめてください。", permanent=code >= 500) from None
        except smtplib.SMTPSenderRefused as exc:
            raise MailError(f"メールサーバーが差出人アドレスを断りました（{_code_text(exc.smtp_code, exc.smtp_error)}）。"
                            "from_address の設定を確かめてください。") from None
        except (TimeoutError, smtplib.SMTPException, OSError):
            self.close()  # before the message itself went out: it has not arrived
            raise SendFailure("送信の前にメールサーバーとの接続が切れました（このメールは届いていません）。"
                              "再送できます。") from None
        try:
            code, resp = smtp.data(data)
        except smtplib.SMTPDataError as exc:  # the server answered DATA with a refusal: nothing went out
            _reset(smtp)
            raise SendFailure(f"メールサーバーが本文の受け取りを断りました（{_code_text(exc.smtp_code, exc.smtp_error)}）。",
                              permanent=exc.smtp_code >= 500) from None
        except (TimeoutError, smtplib.SMTPException, OSError):
            self.close()  # the message was handed over, the answer never came: it may have arrived
            raise SendFailure(UNKNOWN_REASON, unknown=True) from None
        if code != 250:
            _reset(smtp)
            raise SendFailure(f"メールサーバーが本文の受け取りを断りました（{_code_text(code, resp)}）。",
                              permanent=code >= 500)
        if refused:
            code, text = next(iter(refused.values()))
            raise SendFailure(f"宛先のメールサーバーに受け取りを断られました（{_code_text(code, text)}）。")

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RateLimit:
    """At most `per_minute` sends in any 60 seconds (0: no limit); the clock is injectable for tests."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.per_minute, self.clock, self.sleep = per_minute, clock, sleep
        self._times: deque[float] = deque()

    def wait(self) -> float:
        """Block until one more send is allowed; returns the seconds waited."""
        if self.per_minute <= 0:
            return 0.0
        now = self.clock()
        while self._times and now - self._times[0] >= 60:
            self._times.popleft()
        waited = 0.0
        if len(self._times) >= self.per_minute:
            waited = 60 - (now - self._times[0])
            self.sleep(waited)
            now = self.clock()
            self._times.popleft()
        self._times.append(now)
        return waited


def valid_address(text: str) -> bool:
    """A plain address one can send to (no display name, no spaces, one @, a dotted domain)."""
    t = email_key(text)
    if not t or " " in t or t.count("@") != 1 or any(c in t for c in "<>,;\"\r\n"):
        return False
    local, domain = t.split("@")
    return bool(local) and "." in domain.strip(".")
