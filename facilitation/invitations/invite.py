"""From coverage gaps to invitations: the list, the contacts, the opt-outs, the e-mail, sending.

The list: the coverage page's target organisations never reached or not reached in the period
(history.coverage.outreach_list), each with the address an invitation would go to and its state
for the chosen meeting (one being prepared: 準備中 or 募集中).

Which address (one per organisation): the contact the secretariat stored for the organisation
(「機関の連絡先」, org_contacts), else the e-mail of its most recent registrant (latest meeting first;
people of organisations merged into it count; erased people never). None: 「連絡先なし」.

Nothing is dropped silently: every ticked organisation is sent, or skipped with its reason —
no contact, the address asked not to be sent invitations (「案内不要」), already invited for this
meeting (this organisation, or another one with the same address), already registered for it, or
a message whose fate is unknown (never resent by itself). Sending goes through mail.delivery
(「送信中」 committed first, unique per meeting × address, the per-minute limit).

Frames for a page or the CLI have English snake_case columns, shown under the *_LABELS headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.history import coverage as cov
from facilitation.history.participation import History, Scope, scoped
from facilitation.history.participation import fiscal_years as fiscal_years_of
from facilitation.invitations import templates
from facilitation.invitations.models import ERASED, InvitationSend, OptOut, OrgContact, address_key
from facilitation.mail import delivery
from facilitation.mail.delivery import OpenSession, SendReport
from facilitation.mail.models import FAILED, SENDING, SENT, UNCONFIRMED
from facilitation.mail.smtp import MailError, RateLimit, SmtpSettings, valid_address
from facilitation.meetings.schedule import get_meeting, label, list_rooms, time_range
from facilitation.orgs.merges import merges, resolve_merge
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Meeting, Organisation, Person, Registration
from facilitation.storage.templates import fill
from facilitation.text import vocab
from facilitation.text.dates import ja_date, to_jst
from facilitation.text.normalize import email_key

OPEN_STATUSES = ("準備中", "募集中")  # meetings one can still invite to
REFUSAL = "ご案内の宛先・送信・案内不要の設定は事務局だけが扱えます。"

# An organisation's state for one meeting, as the page shows it.
READY = "送信できます"
NO_CONTACT = "連絡先なし"
OPTED_OUT = "案内不要"
INVITED = "ご案内済み"
SAME_ADDRESS = "同じアドレスにご案内済み"
REGISTERED = "この会に申込済み"
FAILED_TEXT = "送信できませんでした"
UNKNOWN = "送信中または不明"
SENDABLE = (READY, FAILED_TEXT)
STATE_OF_ROW = {SENT: INVITED, FAILED: FAILED_TEXT, SENDING: UNKNOWN, UNCONFIRMED: UNKNOWN}
SKIP_REASON = {NO_CONTACT: "送りませんでした（連絡先がありません）",
               OPTED_OUT: "送りませんでした（このアドレスは「案内不要」です）",
               INVITED: "送りませんでした（この会にはすでにご案内済みです）",
               SAME_ADDRESS: "送りませんでした（同じアドレスに、この会のご案内をすでに送っています）",
               REGISTERED: "送りませんでした（この会にすでに申し込まれています）",
               UNKNOWN: "送りませんでした（前回の送信が届いたか分かりません。記録で確かめてください）"}
STORED = "機関の連絡先"
NO_URL = "（お申し込み方法は、追ってお知らせします）"
NO_THEMES = "・（ルームのテーマは決まり次第お知らせします）"


def open_meetings(session: Session) -> list[Meeting]:
    """Meetings one can invite to (準備中・募集中), soonest first."""
    return list(session.scalars(select(Meeting).where(Meeting.status.in_(OPEN_STATUSES))
                                .order_by(Meeting.starts_at, Meeting.id)))


def invited_meetings(session: Session) -> list[Meeting]:
    """Meetings that are no longer open but were invited to (their outcome), newest first."""
    ids = select(InvitationSend.meeting_id).distinct()
    return list(session.scalars(select(Meeting).where(Meeting.id.in_(ids), Meeting.status.not_in(OPEN_STATUSES))
                                .order_by(Meeting.starts_at.desc())))


@dataclass
class Target:
    """One organisation as an invitation's addressee for one meeting."""

    org_id: int
    organisation: str
    region: str
    email: str  # "" when no contact is known
    source: str  # where the address comes from (Japanese), "" without one
    state: str  # READY / NO_CONTACT / OPTED_OUT / INVITED / SAME_ADDRESS / REGISTERED / FAILED_TEXT / UNKNOWN
    error: str = ""
    send_id: int | None = None

    @property
    def sendable(self) -> bool:
        return self.state in SENDABLE


# --- contacts and opt-outs -------------------------------------------------------------------------

def _registrant_contacts(session: Session, units: set[int], mapping: dict[int, int]) -> dict[int, tuple[str, str]]:
    """{organisation: (address, source)} from the most recent registrant of each organisation."""
    ids = units | {a for a in mapping if resolve_merge(a, mapping) in units}  # and those merged into them
    rows = session.execute(
        select(Person.email, Person.organisation_id, Meeting.starts_at)
        .join(Registration, Registration.person_id == Person.id).join(Meeting, Meeting.id == Registration.meeting_id)
        .where(Person.deleted_at.is_(None), Person.organisation_id.in_(ids), Person.email != "")
        .order_by(Meeting.starts_at.desc(), Registration.id.desc()))
    out: dict[int, tuple[str, str]] = {}
    for email, org_id, starts_at in rows:
        unit = resolve_merge(int(org_id), mapping)
        if unit in units and unit not in out and valid_address(email):
            out[unit] = (email_key(email), f"最近の申込者（{ja_date(starts_at)}の会）")
    return out


def contacts(session: Session, org_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """{organisation id: (address, where it comes from)} for those with a known address."""
    units = {int(i) for i in org_ids}
    stored = {c.organisation_id: (email_key(c.email), STORED) for c in
              session.scalars(select(OrgContact).where(OrgContact.organisation_id.in_(units)))}
    found = _registrant_contacts(session, units - set(stored), merges(session))
    return {**found, **stored}


def set_contact(session: Session, viewer: Viewer, org_id: int, email: str) -> str:
    """Store (or with "" remove) an organisation's contact address; returns a Japanese message."""
    require_secretariat(viewer, REFUSAL)
    org = session.get(Organisation, int(org_id))
    if org is None:
        raise UserError(f"ID {org_id} の機関はありません。")
    row = session.get(OrgContact, org.id)
    address = email_key(email)
    if not str(email or "").strip():
        if row is not None:
            session.delete(row)
        session.flush()
        return f"{org.name} の連絡先を削除しました（最近の申込者のアドレスを使います）。"
    if not valid_address(address):
        raise UserError(f"「{email}」はメールアドレスとして使えません。例: soudan@example.jp")
    if row is None:
        session.add(OrgContact(organisation_id=org.id, email=address, updated_by=viewer.actor))
    else:
        row.email, row.updated_by = address, viewer.actor
    session.flush()
    return f"{org.name} の連絡先を {address} にしました。"


def _opted_out(session: Session) -> set[str]:
    return set(session.scalars(select(OptOut.address_key)))


def opt_out(session: Session, viewer: Viewer, address: str, note: str = "") -> str:
    """Mark an address 「案内不要」: no invitation is ever sent to it. Returns a Japanese message."""
    require_secretariat(viewer, REFUSAL)
    key = email_key(address)
    if not valid_address(key):
        raise UserError(f"「{address}」はメールアドレスとして使えません。")
    if session.scalar(select(OptOut.id).where(OptOut.address_key == address_key(key))) is not None:
        raise UserError(f"{key} はすでに「案内不要」になっています。")
    session.add(OptOut(address_key=address_key(key), address=key, note=str(note or "").strip()[:300],
                       created_by=viewer.actor))
    session.flush()
    return f"{key} を「案内不要」にしました。今後このアドレスにはご案内を送りません。"


def undo_opt_out(session: Session, viewer: Viewer, opt_out_id: int) -> str:
    """Take an address off the 「案内不要」 list (it asked to be invited again)."""
    require_secretariat(viewer, REFUSAL)
    row = session.get(OptOut, int(opt_out_id))
    if row is None:
        raise UserError("この「案内不要」の記録はすでにありません。画面を更新してください。")
    shown = row.address
    session.delete(row)
    session.flush()
    return f"{shown} の「案内不要」を取り消しました。"


OPT_OUT_LABELS = {"address": "メールアドレス", "note": "メモ", "since": "登録日", "by": "登録した人"}


def opt_out_frame(session: Session, viewer: Viewer) -> pd.DataFrame:
    """The 「案内不要」 list (secretariat only), newest first; columns id + OPT_OUT_LABELS."""
    require_secretariat(viewer, REFUSAL)
    rows = [{"id": o.id, "address": o.address, "note": o.note, "since": ja_date(to_jst(o.created_at)),
             "by": o.created_by} for o in session.scalars(select(OptOut).order_by(OptOut.id.desc()))]
    return pd.DataFrame(rows, columns=["id", *OPT_OUT_LABELS])


# --- the targets' states ---------------------------------------------------------------------------

def _registered_units(session: Session, meeting_id: int, mapping: dict[int, int]) -> set[int]:
    ids = session.scalars(select(Person.organisation_id).join(Registration, Registration.person_id == Person.id)
                          .where(Registration.meeting_id == meeting_id, Person.organisation_id.is_not(None),
                                 Registration.status != vocab.STATUS_CANCELLED))
    return {resolve_merge(int(i), mapping) for i in ids}


def targets(session: Session, viewer: Viewer, meeting_id: int, org_ids: Iterable[int]) -> dict[int, Target]:
    """{organisation id: its addressee and state for this meeting} (secretariat only)."""
    require_secretariat(viewer, REFUSAL)
    ids = list(dict.fromkeys(int(i) for i in org_ids))
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    known = contacts(session, ids)
    opted = _opted_out(session)
    registered = _registered_units(session, meeting_id, merges(session))
    log = list(session.scalars(select(InvitationSend).where(InvitationSend.meeting_id == meeting_id)
                               .order_by(InvitationSend.id)))
    by_org = {r.organisation_id: r for r in log if r.organisation_id is not None}
    by_address = {r.recipient: r for r in log}
    out = {}
    for oid in ids:
        org = orgs.get(oid)
        if org is None:
            continue
        email, source = known.get(oid, ("", ""))
        row = by_org.get(oid)
        error = ""
        if row is not None and row.status != FAILED:
            state = STATE_OF_ROW[row.status]
        elif oid in registered:
            state = REGISTERED
        elif not email:
            state = NO_CONTACT
        elif address_key(email) in opted:
            state = OPTED_OUT
        elif email in by_address and by_address[email].organisation_id != oid and by_address[email].status != FAILED:
            state = SAME_ADDRESS
        elif row is not None:  # failed before: ticking it again retries
            state, error = FAILED_TEXT, row.error
        else:
            state = READY
        out[oid] = Target(org_id=oid, organisation=org.name, region=org.region, email=email, source=source,
                          state=state, error=error, send_id=row.id if row is not None else None)
    return out


def gap_period(history: History, fiscal_years: tuple[int, ...] = ()) -> tuple[History, str]:
    """The period whose absence makes a target organisation a candidate: the given 年度, else the
    last 年度 with a meeting; with its Japanese name (「2025年度」)."""
    years = tuple(fiscal_years) or tuple(fiscal_years_of(history)[-1:])
    return scoped(history, Scope(fiscal_years=years)), "・".join(f"{y}年度" for y in years)


CANDIDATE_LABELS = {"status": "参加状況", "organisation": "機関名", "region": "地域", "municipality": "市町村",
                    "kind": "種別", "last_came": "最終参加", "email": "送信先", "source": "送信先の出どころ",
                    "state": "この会のご案内"}


def candidates(session: Session, viewer: Viewer, meeting_id: int, history: History, period: History) -> pd.DataFrame:
    """The coverage gaps as an invitation list for `meeting_id`: org_id + CANDIDATE_LABELS columns.

    `history`: the whole history (who ever came); `period`: the period whose absence counts."""
    require_secretariat(viewer, REFUSAL)
    gaps = cov.outreach_list(history, period, with_ids=True)
    cols = ["org_id", *CANDIDATE_LABELS]
    if gaps.empty:
        return pd.DataFrame(columns=cols)
    found = targets(session, viewer, meeting_id, gaps["org_id"].astype(int))
    gaps = gaps[gaps["org_id"].isin(list(found))].copy()
    for col in ("email", "source", "state"):
        gaps[col] = [getattr(found[int(i)], col) for i in gaps["org_id"]]
    return gaps[cols].reset_index(drop=True)


# --- the e-mail ------------------------------------------------------------------------------------

def meeting_values(session: Session, meeting: Meeting, sender_name: str = "") -> dict[str, str]:
    themes = list(dict.fromkeys((r.theme or r.name).strip() for r in list_rooms(session, meeting.id)
                                if (r.theme or r.name).strip()))
    how = meeting.format + (f"（会場: {meeting.venue}）" if meeting.venue else "")
    return {"会名": label(meeting).split("（")[0], "日付": ja_date(meeting.starts_at), "時間": time_range(meeting),
            "開催方法": how, "テーマ一覧": "\n".join(f"・{t}" for t in themes) or NO_THEMES,
            "申込URL": meeting.registration_url or NO_URL,
            "事務局名": sender_name or "北海道生活困窮者支援ネットワーク事務局"}


def problems(session: Session, meeting_id: int) -> list[str]:
    """What the secretariat should fill in before sending (Japanese)."""
    meeting = get_meeting(session, meeting_id)
    out = []
    if meeting.status not in OPEN_STATUSES:
        out.append(f"この会は「{meeting.status}」です。ご案内は準備中・募集中の会についてだけ送れます。")
    if not meeting.registration_url:
        out.append("この会の申込フォームの URL がまだ登録されていません（メールには「追ってお知らせします」と"
                   "書かれます）。「設定 › 会の管理」で登録できます。")
    return out


@dataclass(frozen=True)
class Draft:
    to: str
    subject: str
    body: str


def draft(session: Session, viewer: Viewer, meeting_id: int, org_id: int, sender_name: str = "") -> Draft:
    """The invitation one organisation would receive (the opt-out note always at its end)."""
    require_secretariat(viewer, REFUSAL)
    meeting = get_meeting(session, meeting_id)
    org = session.get(Organisation, int(org_id))
    if org is None:
        raise UserError(f"ID {org_id} の機関はありません。")
    target = targets(session, viewer, meeting_id, [org.id])[org.id]
    return _draft(templates.TEMPLATES.get(session), meeting_values(session, meeting, sender_name), target)


def _draft(tpl: dict[str, str], common: dict[str, str], target: Target) -> Draft:
    values = {**common, "機関名": target.organisation}
    return Draft(target.email, fill(tpl[templates.SUBJECT], values),
                 fill(tpl[templates.BODY], values).rstrip() + templates.STOP_NOTE)


# --- sending ---------------------------------------------------------------------------------------

RESULT_LABELS = {"organisation": "機関名", "region": "地域", "email": "送信先", "result": "結果"}


@dataclass
class InviteReport:
    sent: SendReport
    results: list[dict[str, str]] = field(default_factory=list)  # one per ticked organisation (RESULT_LABELS)

    @property
    def message(self) -> str:
        skipped = sum(1 for r in self.results if r["result"].startswith("送りませんでした"))
        text = self.sent.message
        return text + (f" {skipped} 機関には送りませんでした（理由は下の一覧にあります）。" if skipped else "")


def _claim(s: Session, viewer: Viewer, meeting_id: int, t: Target, subject: str) -> int | None:
    now = targets(s, viewer, meeting_id, [t.org_id]).get(t.org_id)
    if now is None or not now.sendable or now.email != t.email:
        return None  # opted out, invited or changed a moment ago
    row = s.scalar(select(InvitationSend).where(InvitationSend.meeting_id == meeting_id,
                                                InvitationSend.recipient == t.email))
    if row is not None:
        if row.status != FAILED:
            return None
        row.status, row.error, row.organisation_id = SENDING, "", t.org_id
        row.attempts += 1
    else:
        row = InvitationSend(meeting_id=meeting_id, organisation_id=t.org_id, org_name=t.organisation,
                             region=t.region, recipient=t.email, subject=subject[:300], status=SENDING,
                             attempts=1, sent_by=viewer.actor)
        s.add(row)
    s.flush()
    return row.id


def send(open_session: OpenSession, viewer: Viewer, meeting_id: int, org_ids: Iterable[int],
         settings: SmtpSettings, transport: Any, *, rate: RateLimit | None = None,
         on_progress: Callable[[int, int], None] | None = None) -> InviteReport:
    """Invite the ticked organisations; every one gets a result (sent, failed, or why not sent)."""
    require_secretariat(viewer, REFUSAL)
    chosen = list(dict.fromkeys(int(i) for i in org_ids))
    if not chosen:
        raise UserError("ご案内を送る機関を1つ以上選んでください。")
    with open_session() as s:
        meeting = get_meeting(s, meeting_id)
        if meeting.status not in OPEN_STATUSES:
            raise MailError(problems(s, meeting_id)[0])
        before = targets(s, viewer, meeting_id, chosen)
        tpl = templates.TEMPLATES.get(s)
        common = meeting_values(s, meeting, settings.from_name)
    todo = [(t, _draft(tpl, common, t)) for t in before.values() if t.sendable]
    report = delivery.deliver(
        open_session, settings, transport, todo,
        lambda item: delivery.Outgoing(item[1].to, item[1].subject, item[1].body, f"invitation:{meeting_id}:{item[1].to}"),
        lambda s, item: _claim(s, viewer, meeting_id, item[0], item[1].subject),
        lambda s, send_id: s.get(InvitationSend, send_id), rate=rate, on_progress=on_progress)
    with open_session() as s:
        after = targets(s, viewer, meeting_id, chosen)
    results = []
    for oid in chosen:
        b, a = before.get(oid), after.get(oid)
        if b is None or a is None:
            results.append({"organisation": f"ID {oid}", "region": "", "email": "", "result": "送りませんでした（機関がありません）"})
            continue
        if not b.sendable:
            result = SKIP_REASON[b.state]
        elif a.state == INVITED:
            result = "送信しました"
        elif a.state == FAILED_TEXT:
            result = f"送信できませんでした（{a.error}）"
        elif a.state == UNKNOWN:
            result = "届いたか分かりません（自動では再送しません。記録で確かめてください）"
        else:
            result = SKIP_REASON.get(a.state, "送りませんでした")
        results.append({"organisation": a.organisation, "region": a.region, "email": a.email, "result": result})
    return InviteReport(sent=report, results=results)


def resolve_unknown(session: Session, viewer: Viewer, send_id: int, delivered: bool) -> None:
    """The secretariat checked an invitation left 「送信中」/「不明」: mark it sent, or failed (so that
    ticking the organisation again resends it)."""
    require_secretariat(viewer, REFUSAL)
    delivery.resolve(session.get(InvitationSend, send_id), delivered)
    session.flush()


LOG_STATUS = {SENT: "送信済み", FAILED: FAILED_TEXT, SENDING: UNKNOWN, UNCONFIRMED: UNKNOWN}
LOG_LABELS = {"sent_at": "送信日時", "organisation": "機関名", "region": "地域", "recipient": "送信先",
              "status": "結果", "reason": "理由", "attempts": "回数"}


def log_frame(session: Session, viewer: Viewer, meeting_id: int) -> pd.DataFrame:
    """The invitations sent for a meeting, newest first (secretariat only): id + LOG_LABELS."""
    require_secretariat(viewer, REFUSAL)
    rows = []
    for r in session.scalars(select(InvitationSend).where(InvitationSend.meeting_id == meeting_id)
                             .order_by(InvitationSend.id.desc())):
        when = to_jst(r.sent_at or r.updated_at)
        rows.append({"id": r.id, "sent_at": f"{ja_date(when)} {when:%H:%M}" if when else "",
                     "organisation": r.org_name, "region": r.region,
                     "recipient": ERASED if r.recipient.startswith(ERASED) else r.recipient,
                     "status": LOG_STATUS[r.status], "reason": r.error, "attempts": r.attempts})
    return pd.DataFrame(rows, columns=["id", *LOG_LABELS])
