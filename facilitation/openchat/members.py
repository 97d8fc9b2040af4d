"""Chat members: display names (機関名&名字 by the chat's rule) matched to organisations and people.

Exact matches (name or alias key) are taken at once; close ones are suggested and wait in a
review queue where the secretariat confirms, picks another organisation, creates a new one, or
marks the name as not an organisation. A choice is remembered as an alias of the organisation,
so the next member of the same body is matched exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from facilitation.errors import UserError
from facilitation.openchat.models import ChatMember, ChatMessage
from facilitation.orgs import directory
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Organisation, Person, Registration
from facilitation.text.normalize import clean, org_key, person_key, tidy, to_hiragana

SECRETARIAT_ONLY = "ニックネームの確認は事務局のみが行えます。"

REVIEW_AUTO = "自動一致"  # exact name or alias: no review needed
REVIEW_PENDING = "要確認"
REVIEW_CONFIRMED = "確認済"
REVIEW_IGNORED = "対象外"  # the secretariat's own account, an individual, a bot…
REVIEW_STATUSES = (REVIEW_AUTO, REVIEW_PENDING, REVIEW_CONFIRMED, REVIEW_IGNORED)

SUGGEST_AT = 70.0  # fuzzy score (0-100) from which a suggestion is shown
_SEPARATORS = re.compile(r"\s*(?:&|＆|&amp;|＠|@|/|／|\||｜)\s*")
_SOFT_SEPARATORS = re.compile(r"[\s・_＿]+")
_HONORIFICS = re.compile(r"(?:さん|様|です)$")
_PARENS = re.compile(r"[（(][^()（）]*[)）]")


def split_nickname(nickname: str) -> tuple[str, str]:
    """(機関名, 名字) from a display name: 「りんく&佐藤」→(りんく, 佐藤); no separator → (whole, "")."""
    s = tidy(nickname)  # split before clean() joins CJK words
    parts = [clean(p) for p in _SEPARATORS.split(s) if clean(p)]
    if len(parts) >= 2:
        org_text, surname = "".join(parts[:-1]), parts[-1]
        surname = _PARENS.sub("", surname).strip() or surname  # 「佐藤(岩見沢)」: a note, not the name
        return org_text, _HONORIFICS.sub("", surname)
    soft = [clean(p) for p in _SOFT_SEPARATORS.split(s) if clean(p)]
    if len(soft) >= 2 and len(_HONORIFICS.sub("", soft[-1])) <= 4:  # 「りんく 佐藤」「りんく・佐藤さん」
        return "".join(soft[:-1]), _HONORIFICS.sub("", soft[-1])
    return clean(s), ""


@dataclass
class Candidate:
    organisation_id: int
    name: str
    region: str
    score: float  # 0-100


@dataclass
class _Index:
    """Every organisation key (name, legal body + office, aliases) for fuzzy look-ups."""

    keys: list[str] = field(default_factory=list)
    org_ids: list[int] = field(default_factory=list)
    orgs: dict[int, Organisation] = field(default_factory=dict)


def _index(session: Session) -> _Index:
    idx = _Index()
    for org in directory.all_organisations(session):
        idx.orgs[org.id] = org
        names = {org.name_key, org_key(org.office), org_key(f"{org.legal_body}{org.office}")}
        names |= {a.alias_key for a in org.aliases}
        for k in names:
            if k and len(k) >= 2:
                idx.keys.append(k)
                idx.org_ids.append(org.id)
    return idx


def candidates(session: Session, org_text: str, limit: int = 5, index: _Index | None = None) -> list[Candidate]:
    """Organisations whose names are close to `org_text`, best first (one entry per organisation)."""
    k = org_key(org_text)
    if not k:
        return []
    idx = index or _index(session)
    hits = process.extract(k, idx.keys, scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=50)
    best: dict[int, float] = {}
    for _key, score, i in hits:
        oid = idx.org_ids[i]
        best[oid] = max(best.get(oid, 0.0), float(score))
    ranked = sorted(best.items(), key=lambda kv: -kv[1])[:limit]
    return [Candidate(oid, idx.orgs[oid].name, idx.orgs[oid].region, round(s, 1)) for oid, s in ranked]


def find_person(session: Session, organisation_id: int, surname: str) -> Person | None:
    """The one current person of an organisation with this surname (kanji or kana); None if not one.

    When several match, the one who registered for a meeting most recently (staff change yearly).
    """
    s_key = person_key(surname)
    if not s_key:
        return None
    s_kana = to_hiragana(s_key)
    people = session.scalars(
        select(Person).where(Person.organisation_id == organisation_id, Person.deleted_at.is_(None))
    ).all()
    hits = [p for p in people
            if (p.name_key or person_key(p.name)).startswith(s_key)
            or to_hiragana(person_key(p.furigana)).startswith(s_kana)]
    if len(hits) <= 1:
        return hits[0] if hits else None
    latest = dict(session.execute(
        select(Registration.person_id, func.max(Registration.submitted_at))
        .where(Registration.person_id.in_([p.id for p in hits])).group_by(Registration.person_id)
    ).all())
    hits.sort(key=lambda p: (latest.get(p.id) is not None, latest.get(p.id) or p.created_at), reverse=True)
    return hits[0]


def match_members(session: Session, member_ids: list[int] | None = None) -> dict[str, int]:
    """Match members not yet decided by a person: exact org → 自動一致, close → 要確認 with a suggestion.

    Returns how many ended in each status.
    """
    stmt = select(ChatMember).where(ChatMember.status.in_((REVIEW_PENDING, REVIEW_AUTO)))
    if member_ids is not None:
        stmt = stmt.where(ChatMember.id.in_(member_ids))
    todo = list(session.scalars(stmt))
    index = _index(session) if todo else None
    out = dict.fromkeys(REVIEW_STATUSES, 0)
    with session.no_autoflush:
        for member in todo:
            _match_one(session, member, index)
            out[member.status] += 1
    session.flush()
    return out


def _match_one(session: Session, member: ChatMember, index: _Index | None) -> None:
    """Exact organisation (name or alias key) → 自動一致 with the person; else a suggestion to review."""
    org = directory.find_exact(session, member.org_text) if member.org_text else None
    if org is None and member.surname and (swapped := directory.find_exact(session, member.surname)):
        org = swapped  # written the other way round: 名字&機関名
        member.org_text, member.surname = member.surname, member.org_text
    if org is None and member.org_text != member.nickname:
        org = directory.find_exact(session, member.nickname)
    if org is not None:
        member.organisation_id, member.suggestion_id, member.score = org.id, org.id, 100.0
        member.status = REVIEW_AUTO
        person = find_person(session, org.id, member.surname)
        member.person_id = person.id if person else None
    else:
        cands = candidates(session, member.org_text or member.nickname, limit=1, index=index)
        member.organisation_id, member.person_id = None, None
        member.status = REVIEW_PENDING
        if cands and cands[0].score >= SUGGEST_AT:
            member.suggestion_id, member.score = cands[0].organisation_id, cands[0].score
        else:
            member.suggestion_id, member.score = None, (cands[0].score if cands else None)


@dataclass
class ReviewItem:
    member_id: int
    nickname: str
    org_text: str
    surname: str
    status: str
    messages: int
    suggestion_id: int | None
    suggestion: str
    score: float | None
    candidates: list[Candidate]


def review_queue(session: Session, viewer: Viewer, include_done: bool = False,
                 limit: int | None = None) -> list[ReviewItem]:
    """Members waiting for a decision (要確認), most active first; the first `limit` (all by default)
    come with up to 5 candidate organisations."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    stmt = select(ChatMember).options(selectinload(ChatMember.suggestion))
    if not include_done:
        stmt = stmt.where(ChatMember.status == REVIEW_PENDING)
    todo = list(session.scalars(stmt))
    counts = dict(session.execute(
        select(ChatMessage.member_id, func.count()).group_by(ChatMessage.member_id)).all())
    todo.sort(key=lambda m: (-counts.get(m.id, 0), m.nickname))
    shown = len(todo) if limit is None else limit
    index = _index(session) if todo[:shown] else None
    return [ReviewItem(
        member_id=m.id, nickname=m.nickname, org_text=m.org_text, surname=m.surname, status=m.status,
        messages=counts.get(m.id, 0), suggestion_id=m.suggestion_id,
        suggestion=m.suggestion.name if m.suggestion else "", score=m.score,
        candidates=candidates(session, m.org_text or m.nickname, limit=5, index=index) if n < shown else [],
    ) for n, m in enumerate(todo)]


def _decide(session: Session, member_id: int, viewer: Viewer) -> ChatMember:
    require_secretariat(viewer, SECRETARIAT_ONLY)
    member = session.get(ChatMember, member_id)
    if member is None:
        raise UserError(f"ID {member_id} のメンバーはいません。")
    member.updated_by = viewer.actor
    return member


def _remember(session: Session, member: ChatMember, org: Organisation) -> None:
    if member.org_text and org_key(member.org_text) != org.name_key:
        directory.add_alias(session, org, member.org_text)


def confirm(session: Session, viewer: Viewer, member_id: int) -> ChatMember:
    """Accept the suggested organisation (and remember the spelling as an alias)."""
    member = _decide(session, member_id, viewer)
    if member.suggestion_id is None and member.organisation_id is None:
        raise UserError(f"「{member.nickname}」には候補の機関がありません。機関を選ぶか新しく登録してください。")
    return pick(session, viewer, member_id, member.organisation_id or member.suggestion_id)


def pick(session: Session, viewer: Viewer, member_id: int, organisation_id: int,
         person_id: int | None = None) -> ChatMember:
    """Set the member's organisation (and person); the spelling becomes an alias of that organisation."""
    member = _decide(session, member_id, viewer)
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise UserError(f"ID {organisation_id} の機関はありません。")
    member.organisation_id, member.suggestion_id = org.id, org.id
    if person_id is None:
        person = find_person(session, org.id, member.surname)
        person_id = person.id if person else None
    member.person_id = person_id
    member.status = REVIEW_CONFIRMED
    _remember(session, member, org)
    session.flush()
    return member


def create(session: Session, viewer: Viewer, member_id: int, name: str, kind: str, region: str,
           municipality: str = "") -> ChatMember:
    """Register a new organisation from the member's 機関名 and link the member to it."""
    member = _decide(session, member_id, viewer)
    if not clean(name):
        raise UserError("機関名を入力してください。")
    org = directory.create_organisation(session, name, kind=kind, region=region, municipality=municipality)
    return pick(session, viewer, member.id, org.id)


def ignore(session: Session, viewer: Viewer, member_id: int) -> ChatMember:
    """Mark a display name as not an organisation (the secretariat, an individual…)."""
    member = _decide(session, member_id, viewer)
    member.organisation_id = member.person_id = None
    member.status = REVIEW_IGNORED
    session.flush()
    return member


def reopen(session: Session, viewer: Viewer, member_id: int) -> ChatMember:
    """Put a decided member back in the queue."""
    member = _decide(session, member_id, viewer)
    member.status = REVIEW_PENDING
    session.flush()
    match_members(session, [member.id])
    return member
