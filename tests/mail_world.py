"""A meeting with a published assignment and a real SMTP server on loopback, for the e-mail tests."""

from __future__ import annotations

import datetime as dt
import email
import os
import signal
import socket
import threading
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller

from facilitation.assignment import publishing
from facilitation.mail.smtp import SmtpSettings
from facilitation.meetings import schedule
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.storage.models import Assignment, Person, Registration, Room
from facilitation.text import vocab

ROOMS = [("自立相談支援事業（引きこもり）", "引きこもりと家族支援"), ("就労準備支援事業", "就労準備"),
         ("一時生活支援事業", "一時生活・住まい"), ("制度の運営について（自治体担当者）", "制度の運営")]
ORGS = ["NPO法人 りんく", "江別市社会福祉協議会", "札幌市 保護自立支援課", "一般社団法人 北の居場所", "釧路市社会福祉協議会"]
SURNAMES = "佐藤鈴木高橋田中伊藤渡辺山本中村小林加藤"
GIVEN = ["陽子", "健太", "美咲", "大輔", "花子", "翔", "由美", "誠", "千尋", "直樹"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Handler:
    """Keeps what arrives; refuses listed recipients (550); can kill a process at the Nth message."""

    messages: list[tuple[list[str], bytes]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    kill_pid_at: tuple[int, int] | None = None  # (pid, n): SIGKILL pid once n messages arrived
    drop_at: set[int] = field(default_factory=set)  # keep the nth message, then hang up before "250"
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)))
            n = len(self.messages)
        if self.kill_pid_at and n == self.kill_pid_at[1]:
            # The message is in; the sender dies before it hears "250" (the worst moment).
            os.kill(self.kill_pid_at[0], signal.SIGKILL)
        if n in self.drop_at:  # the message is in; the connection breaks before the sender hears so
            server.transport.close()
        return "250 Message accepted for delivery"

    def parsed(self) -> list[email.message.EmailMessage]:
        return [email.message_from_bytes(raw, policy=policy.default) for _, raw in self.messages]

    def recipients(self) -> list[str]:
        return [r for rcpts, _ in self.messages for r in rcpts]


class SmtpServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        """The app's FACILITATION_SMTP_* variables for this server (no limit per minute)."""
        return {"FACILITATION_SMTP_HOST": "127.0.0.1", "FACILITATION_SMTP_PORT": str(self.port),
                "FACILITATION_SMTP_SECURITY": "none", "FACILITATION_SMTP_FROM_ADDRESS": "jimukyoku@example.org",
                "FACILITATION_SMTP_PER_MINUTE": "0"}

    def settings(self, per_minute: int = 0) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, security="none", from_address="jimukyoku@example.org",
                            from_name="北海道生活困窮者支援ネットワーク事務局", per_minute=per_minute, timeout=10)


def email_of(k: int) -> str:
    return f"person{k:03d}@example.org"


def build(url: str, people: int = 12) -> int:
    """A meeting on 2026-12-10 with four rooms and `people` registrants placed round-robin (the
    first of each room facilitates), published as version 1. Returns the meeting id."""
    with db.session(url) as s:
        m = schedule.add_meeting(s, schedule.MeetingInput(
            title="情報交換会", number=3, starts_at=dt.datetime(2026, 12, 10, 14, 0),
            ends_at=dt.datetime(2026, 12, 10, 16, 30)))
        rooms = []
        for k, (name, theme) in enumerate(ROOMS, start=1):
            room = Room(meeting_id=m.id, position=k, name=name, theme=theme, zoom_name=f"R{k}")
            s.add(room)
            rooms.append(room)
        s.flush()
        for k in range(people):
            name = f"{SURNAMES[2 * (k % 10):2 * (k % 10) + 2]} {GIVEN[(k // 10) % 10]}{'' if k < 100 else k}"
            person = Person(name=name, email=email_of(k), furigana="", name_key=f"k{k}")
            s.add(person)
            s.flush()
            reg = Registration(meeting_id=m.id, person_id=person.id, org_text=ORGS[k % len(ORGS)],
                               status=vocab.STATUS_APPLIED)
            s.add(reg)
            s.flush()
            room = rooms[k % len(rooms)]
            first = k < len(rooms)
            s.add(Assignment(registration_id=reg.id, room_id=room.id, is_facilitator=first, pinned=first))
            if first:
                room.facilitator_id = person.id
        s.flush()
        publishing.publish(s, SECRETARIAT_LOCAL, m.id)
        return m.id
