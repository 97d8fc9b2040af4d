"""From the published assignment to e-mails: drafts, sending with a log, retries, counts.

A draft is built for every registrant of the latest published version: the facilitator e-mail for
a room's facilitator (their room, their signed roster link, the room's organisations, Zoom), the
participant e-mail for everyone else (their room, Zoom, the 「R3_氏名」 rename rule, what to
prepare). Only registrations of this meeting that still take part are written to.

Sending is safe to interrupt: each message is logged as 「送信中」 and committed before it goes
out, and marked sent after the server accepted it, under a unique key (version, registration,
kind). A run that is started again sends only what has no row yet (and, when asked, what failed);
a row left 「送信中」 by a crash, or one whose connection broke after the message was handed over
(「不明」: it may have arrived), is listed for the secretariat to check, never sent again by itself.
A message that cannot even be written (a name the mail library refuses) is marked failed with its
reason and the run goes on.
After a new version is published, a person whose room (and role) did not change is not written
to again.

Frames for a page or the CLI have English snake_case columns, shown under the Japanese headers of
the *_LABELS dict next to each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.access import gate
from facilitation.assignment.choices import EXCLUDED_ROLES, EXCLUDED_STATUSES, active_registrations
from facilitation.assignment.exports import RosterRoom, guest_name
from facilitation.assignment.models import AssignmentVersion
from facilitation.errors import AccessDenied
from facilitation.mail import delivery, templates
from facilitation.mail.delivery import OpenSession, SendReport
from facilitation.mail.models import FAILED, SENDING, SENT, UNCONFIRMED, MailSend
from facilitation.mail.smtp import MailError, RateLimit, SendFailure, SmtpSettings, build_message, valid_address
from facilitation.meetings.schedule import get_meeting, label, time_range
from facilitation.roles import Viewer
from facilitation.storage.models import Meeting, Person, Registration, Room
from facilitation.storage.templates import fill
from facilitation.text.dates import ja_date, to_jst, utcnow
from facilitation.text.normalize import clean, with_note

MEETING_SETTING = "mail"  # key in Meeting.settings: Zoom URL, meeting ID, passcode, what to prepare
MEETING_FIELDS = {"zoom_url": "Zoom の URL", "zoom_id": "ミーティングID", "passcode": "パスコード",
                  "prepare": "ご準備いただきたいこと"}
DEFAULT_PREPARE = ("・カメラとマイクが使える環境（できればイヤホン）\n"
                   "・ルームで話したい事例や悩みを1つ（個人が特定される情報は含めないでください）")
NOT_SET = "（未定です。決まり次第お知らせします）"
LINK_LATER = "（送信するときにリンクを発行します）"

# Draft states, as the page shows them.
PENDING = "未送信"
UNCHANGED = "送信済み（ルームの変更なし）"
DONE = "送信済み"
FAILED_TEXT = "送信できませんでした"
UNKNOWN = "送信中または不明"
NO_ADDRESS = "メールアドレスなし"
STATE_OF_ROW = {SENT: DONE, FAILED: FAILED_TEXT, SENDING: UNKNOWN, UNCONFIRMED: UNKNOWN}
STALE_SENDING = dt.timedelta(minutes=10)  # a 「送信中」 row older than this is not being sent any more

def _require_secretariat(viewer: Viewer) -> None:
    if not viewer.is_secretariat:
        raise AccessDenied("メールの送信と宛先の確認は事務局だけができます。")


# --- per-meeting details (Zoom, what to prepare) ---

def meeting_details(session: Session, meeting_id: int) -> dict[str, str]:
    saved = (get_meeting(session, meeting_id).settings or {}).get(MEETING_SETTING) or {}
    out = {k: str(saved.get(k) or "") for k in MEETING_FIELDS}
    if "prepare" not in saved:
        out["prepare"] = DEFAULT_PREPARE
    return out


def save_meeting_details(session: Session, viewer: Viewer, meeting_id: int, values: dict[str, str]) -> list[str]:
    """Save the Zoom details and what to prepare; returns Japanese warnings (an odd URL)."""
    _require_secretariat(viewer)
    meeting = get_meeting(session, meeting_id)
    clean_values = {k: str(values.get(k, "")).replace("\r\n", "\n").strip() for k in MEETING_FIELDS}
    meeting.settings = {**(meeting.settings or {}), MEETING_SETTING: clean_values}
    session.flush()
    url = clean_values["zoom_url"]
    return ["Zoom の URL は https:// で始まる形で入力してください。"] if url and not url.startswith("https://") else []


# --- drafts ---

@dataclass
class Draft:
    kind: str  # participant / facilitator
    registration_id: int
    name: str
    org: str
    email: str  # "" when there is no usable address
    room_id: int
    room_name: str
    subject: str
    body: str
    state: str  # PENDING / UNCHANGED / DONE / FAILED_TEXT / UNKNOWN / NO_ADDRESS
    error: str = ""
    send_id: int | None = None

    @property
    def kind_label(self) -> str:
        return templates.KIND_LABELS[self.kind]

    @property
    def label(self) -> str:
        return with_note(self.name, self.org, self.room_name, self.kind_label)


@dataclass
class Plan:
    meeting_id: int
    version: AssignmentVersion | None
    drafts: list[Draft] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Japanese

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.drafts:
            out[d.state] = out.get(d.state, 0) + 1
        return out

    def to_send(self, retry: bool = False) -> list[Draft]:
        states = (PENDING, FAILED_TEXT) if retry else (PENDING,)
        return [d for d in self.drafts if d.state in states]

    def find(self, registration_id: int) -> Draft | None:
        return next((d for d in self.drafts if d.registration_id == registration_id), None)


def _org_name(person: Person, reg: Registration) -> str:
    return person.organisation.name if person.organisation else clean(reg.org_text)


def _facilitator_link(session: Session, viewer: Viewer, room_id: int, secret: bytes | None,
                      make_url: Callable[[str], str] | None, issue: bool) -> tuple[str, str]:
    if secret is None or make_url is None:
        return LINK_LATER, ""
    link = gate.current_link(session, room_id, secret)
    if link is None and issue:
        link = gate.issue_link(session, viewer, room_id, secret)
    return (make_url(link.token), link.expires_text) if link else (LINK_LATER, "")


def plan(session: Session, viewer: Viewer, meeting_id: int, *, secret: bytes | None = None,
         make_url: Callable[[str], str] | None = None, issue_links: bool = False,
         sender_name: str = "") -> Plan:
    """Every e-mail of the latest published version, with what has become of it."""
    _require_secretariat(viewer)
    meeting = get_meeting(session, meeting_id)
    version = session.scalar(select(AssignmentVersion).where(AssignmentVersion.meeting_id == meeting_id)
                             .order_by(AssignmentVersion.number.desc()).limit(1))
    out = Plan(meeting_id=meeting_id, version=version)
    if version is None:
        out.problems.append("まだ割り当てが公開されていません。公開すると、ルームのご案内メールを送れます。")
        return out
    active = {r.id: r for r in active_registrations(session, meeting_id)}
    rooms = {r.id: r for r in session.scalars(select(Room).where(Room.meeting_id == meeting_id))}
    log = list(session.scalars(select(MailSend).where(MailSend.meeting_id == meeting_id,
                                                      MailSend.registration_id.is_not(None))
                               .order_by(MailSend.version_number, MailSend.id)))
    this_version = {(m.registration_id, m.kind): m for m in log if m.version_id == version.id}
    last_sent_room = {(m.registration_id, m.kind): m.room_id for m in log
                      if m.status == SENT and m.version_number < version.number}
    tpl = templates.TEMPLATES.get(session)
    common = _common_values(session, meeting, sender_name)
    members: dict[int, list[tuple[Person, Registration]]] = {}
    rows = []
    for row in version.snapshot:
        reg = active.get(row.get("registration_id"))
        room = rooms.get(row.get("room_id"))
        if reg is None or room is None:
            continue  # cancelled since, or the room was deleted: nothing to tell
        person = session.get(Person, reg.person_id)
        if person is None or person.deleted_at is not None:
            continue
        members.setdefault(room.id, []).append((person, reg))
        rows.append((row, reg, person, room))
    links: dict[int, tuple[str, str]] = {}
    for row, reg, person, room in rows:
        kind = "facilitator" if row.get("facilitator") else "participant"
        if kind == "facilitator" and room.id not in links:
            links[room.id] = _facilitator_link(session, viewer, room.id, secret, make_url, issue_links)
        values = {**common, **_person_values(person, reg, room), **(
            _facilitator_values(members.get(room.id, []), *links[room.id]) if kind == "facilitator" else {})}
        subject_key, body_key = templates.KINDS[kind]
        email = clean(person.email) if valid_address(person.email) else ""
        logged = this_version.get((reg.id, kind))
        if logged is not None:
            state = STATE_OF_ROW[logged.status]
        elif not email:
            state = NO_ADDRESS
        elif last_sent_room.get((reg.id, kind)) == room.id:
            state = UNCHANGED
        else:
            state = PENDING
        subject, body = fill(tpl[subject_key], values), fill(tpl[body_key], values)
        before = last_sent_room.get((reg.id, kind))
        if before is not None and before != room.id:  # moved since the last mail: say so, old and new
            subject, body = room_changed(subject, body, rooms[before].name if before in rooms else "", room.name)
        out.drafts.append(Draft(kind=kind, registration_id=reg.id, name=person.name, org=_org_name(person, reg),
                                email=email, room_id=room.id, room_name=room.name,
                                subject=subject, body=body, state=state,
                                error=logged.error if logged is not None else "",
                                send_id=logged.id if logged is not None else None))
    details = meeting_details(session, meeting_id)
    if not details["zoom_url"]:
        out.problems.append("Zoom の URL がまだ入力されていません（メールには「未定」と書かれます）。")
    return out


CHANGED_MARK = "【ルーム変更】"


def room_changed(subject: str, body: str, old_room: str, new_room: str) -> tuple[str, str]:
    """A second e-mail after a move must not read like the first: the subject starts with
    【ルーム変更】 (in place of the template's own 【…】) and the body opens with the old and new rooms,
    whatever the templates say."""
    subject = CHANGED_MARK + re.sub(r"^\s*【[^】]*】", "", subject)
    was = f"「{old_room}」" if old_room else "先にお知らせしたルーム"
    notice = (f"■ルームが変わりました：{was} → 「{new_room}」\n"
              f"先にお送りしたご案内から、ルームが変更になりました。お手数ですが、このメールの内容でご確認ください。\n\n")
    return subject, notice + body


def _common_values(session: Session, meeting: Meeting, sender_name: str) -> dict[str, str]:
    details = meeting_details(session, meeting.id)
    title = label(meeting).split("（")[0]
    return {"会名": title, "日付": ja_date(meeting.starts_at), "時間": time_range(meeting),
            "ZoomURL": details["zoom_url"] or NOT_SET, "ミーティングID": details["zoom_id"] or NOT_SET,
            "パスコード": details["passcode"] or "なし", "準備": details["prepare"] or "特にありません。",
            "事務局名": sender_name or "北海道生活困窮者支援ネットワーク事務局"}


def _person_values(person: Person, reg: Registration, room: Room) -> dict[str, str]:
    code = RosterRoom(id=str(room.id), name=room.name, zoom_name=room.zoom_name, position=room.position)
    return {"氏名": person.name, "所属": _org_name(person, reg), "ルーム名": room.name,
            "テーマ": room.theme or room.name, "ルーム番号": code.code, "Zoom表示名": guest_name(code, person.name)}


def _facilitator_values(members: list[tuple[Person, Registration]], url: str, expires: str) -> dict[str, str]:
    orgs = list(dict.fromkeys(_org_name(p, r) for p, r in members if _org_name(p, r)))
    return {"名簿リンク": url, "有効期限": f"{expires}まで" if expires else "（送信するときに決まります）",
            "参加機関": "\n".join(f"・{o}" for o in orgs) or "・（まだいません）", "人数": str(len(members))}


def preview(session: Session, viewer: Viewer, meeting_id: int, registration_id: int, **kw: Any) -> Draft:
    """The e-mail one registrant would receive (no link is issued for a preview)."""
    found = plan(session, viewer, meeting_id, **kw).find(registration_id)
    if found is None:
        raise MailError("この方は公開済みの割り当てに入っていないため、メールの対象ではありません。")
    return found


# --- sending ---

def _allowed(session: Session, meeting_id: int, registration_id: int, email: str) -> bool:
    """The address still belongs to a registrant of this meeting who takes part."""
    reg = session.get(Registration, registration_id)
    if (reg is None or reg.meeting_id != meeting_id or reg.status in EXCLUDED_STATUSES
            or reg.role in EXCLUDED_ROLES):
        return False
    person = session.get(Person, reg.person_id)
    return person is not None and person.deleted_at is None and clean(person.email) == email


def _claim(s: Session, viewer: Viewer, meeting_id: int, version: AssignmentVersion, d: Draft,
           retry: bool) -> int | None:
    """Log the draft as 「送信中」 (new row, or a failed one when retrying); None: not to be sent."""
    row = s.scalar(select(MailSend).where(MailSend.version_id == version.id, MailSend.registration_id == d.registration_id,
                                          MailSend.kind == d.kind))
    if row is not None:
        if not (retry and row.status == FAILED):
            return None
        row.status, row.error, row.recipient = SENDING, "", d.email
        row.attempts += 1
    else:
        row = MailSend(meeting_id=meeting_id, version_id=version.id, version_number=version.number,
                       registration_id=d.registration_id, kind=d.kind, template=templates.KINDS[d.kind][1],
                       recipient=d.email, room_id=d.room_id, room_name=d.room_name, status=SENDING,
                       attempts=1, sent_by=viewer.actor)
        s.add(row)
    s.flush()
    return row.id


def _finish(open_session: OpenSession, send_id: int, error: str = "", status: str = FAILED) -> None:
    with open_session() as s:
        delivery.mark(s.get(MailSend, send_id), error, status)


def send(open_session: OpenSession, viewer: Viewer, meeting_id: int, settings: SmtpSettings, transport: Any, *,
         secret: bytes | None = None, make_url: Callable[[str], str] | None = None, retry: bool = False,
         only: Iterable[int] | None = None, rate: RateLimit | None = None,
         on_progress: Callable[[int, int], None] | None = None) -> SendReport:
    """Send every e-mail not sent yet for the latest version (and failed ones when `retry`).

    `open_session` opens a unit of work (committed on exit): each message gets its own, before and
    after it goes out (mail.delivery). `only` limits the run to some registrations (retrying one person)."""
    _require_secretariat(viewer)
    with open_session() as s:
        p = plan(s, viewer, meeting_id, secret=secret, make_url=make_url, issue_links=True,
                 sender_name=settings.from_name)
        version = p.version
    if version is None:
        raise MailError(p.problems[0])
    chosen = set(only) if only is not None else None
    todo = [d for d in p.to_send(retry) if chosen is None or d.registration_id in chosen]

    def claim(s: Session, d: Draft) -> int | None:
        if not _allowed(s, meeting_id, d.registration_id, d.email):
            return None
        return _claim(s, viewer, meeting_id, version, d, retry)

    return delivery.deliver(
        open_session, settings, transport, todo,
        lambda d: delivery.Outgoing(d.email, d.subject, d.body, f"{version.id}:{d.registration_id}:{d.kind}"),
        claim, lambda s, send_id: s.get(MailSend, send_id), rate=rate, on_progress=on_progress)


def send_test(open_session: OpenSession, viewer: Viewer, meeting_id: int, settings: SmtpSettings, transport: Any,
              registration_id: int, *, to: str | None = None) -> str:
    """Send one person's e-mail to the secretariat's own address (the sender address); logged as a
    test, never counted as that person's e-mail. Returns a Japanese message."""
    _require_secretariat(viewer)
    to = clean(to or settings.from_address)
    if not valid_address(to):
        raise MailError("テスト送信の宛先（事務局のアドレス）が正しくありません。")
    with open_session() as s:
        d = preview(s, viewer, meeting_id, registration_id, sender_name=settings.from_name)
        p_version = plan(s, viewer, meeting_id).version
        row = MailSend(meeting_id=meeting_id, version_id=p_version.id, version_number=p_version.number,
                       registration_id=None, kind="test", template=templates.KINDS[d.kind][1], recipient=to,
                       room_id=d.room_id, room_name=d.room_name, status=SENDING, attempts=1, sent_by=viewer.actor)
        s.add(row)
        s.flush()
        send_id = row.id
    try:
        transport.send(build_message(settings, to, f"【テスト送信】{d.subject}", d.body))
    except (SendFailure, MailError) as exc:
        reason = exc.reason if isinstance(exc, SendFailure) else str(exc)
        _finish(open_session, send_id, reason)
        raise MailError(f"テスト送信できませんでした: {reason}") from None
    _finish(open_session, send_id)
    return f"{d.name}さん宛てのメールを、テストとして {to} に送信しました。"


def resolve_unknown(session: Session, viewer: Viewer, send_id: int, delivered: bool) -> None:
    """The secretariat checked a message left 「送信中」 by an interrupted run (or 「不明」 after a
    broken connection): mark it sent, or failed (so that 「再送」 sends it)."""
    _require_secretariat(viewer)
    delivery.resolve(session.get(MailSend, send_id), delivered)
    session.flush()


# --- what the pages show ---

LOG_LABELS = {"sent_at": "送信日時", "version": "版", "kind": "種類", "recipient": "宛先", "name": "氏名",
              "room": "ルーム", "status": "結果", "reason": "理由", "attempts": "回数"}
LOG_COLUMNS = ["id", *LOG_LABELS]


def log_frame(session: Session, viewer: Viewer, meeting_id: int, *, failures_only: bool = False) -> pd.DataFrame:
    """The send log with recipients (secretariat only), newest first; `status` reads 送信済み /
    送信できず / 確認が必要 (headers: LOG_LABELS)."""
    _require_secretariat(viewer)
    q = select(MailSend).where(MailSend.meeting_id == meeting_id).order_by(MailSend.id.desc())
    rows = []
    for m in session.scalars(q):
        if failures_only and m.status == SENT:
            continue
        reg = session.get(Registration, m.registration_id) if m.registration_id else None
        person = session.get(Person, reg.person_id) if reg else None
        when = to_jst(m.sent_at or m.updated_at)
        rows.append({"id": m.id, "sent_at": f"{ja_date(when)} {when:%H:%M}" if when else "",
                     "version": f"第{m.version_number}版", "kind": templates.KIND_LABELS.get(m.kind, m.kind),
                     "recipient": m.recipient,
                     "name": person.name if person else ("（テスト送信）" if m.kind == "test" else ""),
                     "room": m.room_name, "status": STATE_OF_ROW[m.status], "reason": m.error, "attempts": m.attempts})
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def stale_sending(session: Session, viewer: Viewer, meeting_id: int, now: dt.datetime | None = None) -> list[int]:
    """Ids of the messages to be checked: rows left 「送信中」 longer than a run takes (an interrupted
    run), and rows whose connection broke after the message was handed over."""
    _require_secretariat(viewer)
    limit = (now or utcnow()) - STALE_SENDING
    return list(session.scalars(select(MailSend.id).where(
        MailSend.meeting_id == meeting_id,
        ((MailSend.status == SENDING) & (MailSend.updated_at < limit)) | (MailSend.status == UNCONFIRMED))))


def summary(session: Session, viewer: Viewer, meeting_id: int) -> dict[str, int]:
    """Counts only (no addresses, no names): what the committee may see too."""
    if viewer.meeting_id is not None and viewer.meeting_id != meeting_id:
        raise AccessDenied("この会の送信状況は見られません。")
    out = {DONE: 0, FAILED_TEXT: 0, UNKNOWN: 0}
    for status in session.scalars(select(MailSend.status).where(MailSend.meeting_id == meeting_id,
                                                                MailSend.kind != "test")):
        out[STATE_OF_ROW[status]] += 1
    return out
