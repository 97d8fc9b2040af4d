"""Matching the organisation a registrant typed to the organisation master.

Exact first (normalised key of the name, or of a confirmed alias), then fuzzy with a score
(rapidfuzz). Only a clear fuzzy winner is taken without asking; everything uncertain goes to the
review queue, where the secretariat confirms, picks another, or creates a new organisation, and
the answer becomes an alias so the same spelling matches exactly next time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.orgs import directory
from facilitation.registrations.models import OrgReview
from facilitation.storage.models import OrgAlias, Organisation, Person, Registration, utcnow
from facilitation.text.normalize import clean, org_key

AUTO_SCORE = 90.0  # a fuzzy match at least this good, and clearly ahead, is taken without review
AUTO_MARGIN = 6.0  # …ahead of the best other organisation by at least this
SUGGEST_SCORE = 55.0  # below this the review shows no suggestion
PENDING, RESOLVED = "pending", "resolved"


@dataclass
class OrgMatch:
    """The outcome for one typed name: `org_id` is set for exact and sure fuzzy matches."""

    text: str
    key: str
    org_id: int | None = None
    method: str = "none"  # exact / fuzzy / review / empty
    score: float = 0.0
    candidates: list[dict] = field(default_factory=list)  # [{"id", "name", "score"}] best first

    @property
    def needs_review(self) -> bool:
        return self.method == "review"

    @property
    def suggestion(self) -> int | None:
        return self.candidates[0]["id"] if self.candidates and self.candidates[0]["score"] >= SUGGEST_SCORE else None


def _score(query: str, choice: str, **_) -> float:
    """Similarity of two org keys (0–100): whole-string ratio, or containment for short names.

    A typed short name inside a long official name (「りんく」) scores high when it has at least
    3 characters; an official name found inside a longer typed text is discounted, because short
    official parts are often generic (「自立相談支援センター」).
    """
    if not query or not choice:
        return 0.0
    full = fuzz.ratio(query, choice)
    short, long_ = (query, choice) if len(query) <= len(choice) else (choice, query)
    if len(short) < 3:
        return full
    partial = fuzz.partial_ratio(short, long_)
    coverage = len(short) / len(long_)
    if short is query:  # the typed name is part of an official name (a short name)
        factor = 0.82 + 0.18 * min(1.0, coverage * 2)
    else:  # an official name inside a longer typed text: generic words like 「自立相談支援センター」
        factor = 0.6 + 0.35 * coverage
    return max(full, partial * factor)


class OrgMatcher:
    """Preloaded keys of every organisation and alias: fast for 10,000 rows, one query each."""

    def __init__(self, session: Session):
        self.session = session
        self.names: dict[int, str] = {}
        by_name: dict[str, list[int]] = {}
        self.choices: list[str] = []
        self.choice_org: list[int] = []
        for oid, name, name_key, legal_body, office in session.execute(
            select(Organisation.id, Organisation.name, Organisation.name_key, Organisation.legal_body,
                   Organisation.office)
        ):
            self.names[oid] = name
            by_name.setdefault(name_key, []).append(oid)
            for k in {name_key, org_key(office), org_key(f"{legal_body}{office}")}:
                if len(k) >= 3:
                    self.choices.append(k)
                    self.choice_org.append(oid)
        self.exact: dict[str, int] = {k: ids[0] for k, ids in by_name.items() if len(ids) == 1 and k}
        for oid, alias_key in session.execute(select(OrgAlias.organisation_id, OrgAlias.alias_key)):
            self.exact.setdefault(alias_key, oid)
            self.choices.append(alias_key)
            self.choice_org.append(oid)
        self._cache: dict[str, OrgMatch] = {}
        self._by_text: dict[str, OrgMatch] = {}

    def match(self, text: str) -> OrgMatch:
        """Match one typed organisation name (cached by text and by key)."""
        done = self._by_text.get(text)
        if done is not None:
            return done
        k = org_key(text)
        hit = self._cache.get(k)
        if hit is not None:
            self._by_text[text] = OrgMatch(text=clean(text), key=k, org_id=hit.org_id, method=hit.method,
                                           score=hit.score, candidates=hit.candidates)
            return self._by_text[text]
        result = self._match_key(clean(text), k)
        self._cache[k] = self._by_text[text] = result
        return result

    def _match_key(self, text: str, k: str) -> OrgMatch:
        if not k:
            return OrgMatch(text=text, key=k, method="empty")
        if k in self.exact:
            return OrgMatch(text=text, key=k, org_id=self.exact[k], method="exact", score=100.0,
                            candidates=[{"id": self.exact[k], "name": self.names.get(self.exact[k], ""),
                                         "score": 100.0}])
        best: dict[int, float] = {}
        for _choice, score, idx in process.extract(k, self.choices, scorer=_score, limit=40,
                                                   score_cutoff=30):
            oid = self.choice_org[idx]
            best[oid] = max(best.get(oid, 0.0), float(score))
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:5]
        candidates = [{"id": oid, "name": self.names[oid], "score": round(s, 1)} for oid, s in ranked]
        top = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if top >= AUTO_SCORE and top - second >= AUTO_MARGIN:
            return OrgMatch(text=text, key=k, org_id=ranked[0][0], method="fuzzy", score=round(top, 1),
                            candidates=candidates)
        return OrgMatch(text=text, key=k, method="review", score=round(top, 1), candidates=candidates)


def match_org(session: Session, text: str) -> OrgMatch:
    """Match one name: orgs.find_exact (name or alias key), else the fuzzy matcher."""
    found = directory.find_exact(session, text)
    if found is not None:
        return OrgMatch(text=clean(text), key=org_key(text), org_id=found.id, method="exact", score=100.0,
                        candidates=[{"id": found.id, "name": found.name, "score": 100.0}])
    return OrgMatcher(session).match(text)


# --- the review queue ------------------------------------------------------------------------

def queue(session: Session, matches: list[OrgMatch], meeting_id: int | None = None) -> int:
    """Add uncertain matches to the review queue (one entry per spelling); returns how many are new."""
    wanted = {m.key: m for m in matches if m.needs_review and m.key}
    if not wanted:
        return 0
    existing = {r.text_key: r for r in session.scalars(select(OrgReview).where(OrgReview.text_key.in_(list(wanted))))}
    new = 0
    for k, m in wanted.items():
        row = existing.get(k)
        if row is None:
            session.add(OrgReview(text=m.text, text_key=k, meeting_id=meeting_id, suggestion_id=m.suggestion,
                                  score=m.score, candidates=m.candidates, seen=1, status=PENDING))
            new += 1
        elif row.status == PENDING:
            row.seen += 1
            row.candidates, row.score, row.suggestion_id = m.candidates, m.score, m.suggestion
    session.flush()
    return new


def pending(session: Session, meeting_id: int | None = None) -> list[OrgReview]:
    """Reviews waiting for the secretariat (of one meeting's registrants when given), oldest first."""
    stmt = select(OrgReview).where(OrgReview.status == PENDING).order_by(OrgReview.id)
    rows = list(session.scalars(stmt))
    if meeting_id is None:
        return rows
    keys = {org_key(t) for t, in session.execute(
        select(Registration.org_text).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id, Person.organisation_id.is_(None))
    )}
    return [r for r in rows if r.text_key in keys or r.meeting_id == meeting_id]


def pending_frame(session: Session, meeting_id: int | None = None) -> pd.DataFrame:
    """The review queue as a table: 入力された名称, 候補, 一致度, 件数."""
    rows = []
    for r in pending(session, meeting_id):
        top = r.candidates[0] if r.candidates else None
        rows.append({"id": r.id, "入力された名称": r.text, "候補": top["name"] if top else "",
                     "一致度": top["score"] if top else 0.0, "件数": r.seen})
    return pd.DataFrame(rows, columns=["id", "入力された名称", "候補", "一致度", "件数"])


def _apply(session: Session, review: OrgReview, org: Organisation, actor: str) -> int:
    """Give every registrant who typed this spelling (and has no organisation yet) the organisation."""
    directory.add_alias(session, org, review.text)
    review.status = RESOLVED
    review.resolved_org_id = org.id
    review.resolved_at = utcnow()
    review.resolved_by = actor
    people = session.execute(
        select(Person.id, Registration.org_text).join(Registration, Registration.person_id == Person.id)
        .where(Person.organisation_id.is_(None))
    ).all()
    ids = {pid for pid, text in people if org_key(text) == review.text_key}
    for person in session.scalars(select(Person).where(Person.id.in_(ids))):
        person.organisation_id = org.id
    session.flush()
    return len(ids)


def _review(session: Session, review_id: int) -> OrgReview:
    review = session.get(OrgReview, review_id)
    if review is None:
        raise LookupError(f"確認待ちの項目（ID {review_id}）が見つかりません。")
    return review


def confirm(session: Session, review_id: int, org_id: int | None = None, actor: str = "") -> int:
    """Accept the suggestion (or pick `org_id`); the spelling becomes an alias. Returns people updated."""
    review = _review(session, review_id)
    target = org_id or review.suggestion_id
    if target is None:
        raise ValueError(f"「{review.text}」の候補がありません。一覧から機関を選ぶか、新しい機関として登録してください。")
    org = session.get(Organisation, target)
    if org is None:
        raise LookupError(f"機関（ID {target}）が見つかりません。")
    return _apply(session, review, org, actor)


def create_and_confirm(session: Session, review_id: int, name: str, kind: str, region: str,
                       actor: str = "", **fields) -> Organisation:
    """Register a new organisation for a reviewed spelling, and resolve the review with it."""
    review = _review(session, review_id)
    if not clean(name):
        raise ValueError("新しい機関の名称を入力してください。")
    org = directory.find_exact(session, name) or directory.create_organisation(
        session, name, kind=kind, region=region, **fields)
    _apply(session, review, org, actor)
    return org
