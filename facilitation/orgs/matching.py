"""Matching the organisation a registrant typed to the organisation master.

Exact first (normalised key of the name, or of a confirmed alias), then fuzzy with a score
(rapidfuzz) adjusted by evidence: the municipality named in the text, the registrant's region
(振興局), department and e-mail domain, and the kind of office the text names (a city office is
never its 社協, nor the reverse). Only a clear fuzzy winner of a compatible kind is taken without
asking; everything uncertain goes to the review queue, where the secretariat confirms, picks
another, or creates a new organisation, and the answer becomes an alias so the same spelling
matches exactly next time.
Frames returned for a page or the CLI have English snake_case columns, shown under the Japanese
headers of the LABELS dict next to the function (`PENDING_LABELS`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.orgs import directory
from facilitation.orgs.models import OrgReview
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import OrgAlias, Organisation, Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.normalize import as_typed, clean, email_key, legal_forms, org_key

AUTO_SCORE = 90.0  # a fuzzy match at least this good, and clearly ahead, is taken without review
AUTO_MARGIN = 6.0  # …ahead of the best other organisation by at least this
SUGGEST_SCORE = 55.0  # below this the review shows no suggestion
PENDING, RESOLVED = "pending", "resolved"
BULK_SCORE = 90.0  # the default threshold of 「一致度 N 以上をまとめて確定」

# Evidence, in score points added to (or taken from) the name's similarity.
KIND_CONFLICT = -30.0  # a city office typed, a 社協 offered (or the reverse)
NOT_AN_OFFICE = -12.0  # a city office typed, a private body of that city offered
OTHER_KIND_CAP = 79.0  # an organisation of another kind than the text names never scores above this
SAME_MUNICIPALITY, OTHER_MUNICIPALITY = 15.0, -12.0
SAME_REGION, OTHER_REGION = 8.0, -5.0
DEPARTMENT = 6.0
SAME_DOMAIN = 12.0  # colleagues with the same e-mail domain belong to this organisation

GOV, SHAKYO, OTHER = "gov", "shakyo", "other"
_GOV_KINDS = {vocab.KIND_MUNICIPALITY, vocab.KIND_SHINKOKYOKU, vocab.KIND_PREFECTURE}
_OFFICE_END = re.compile(r"(?:部|課|係|室|局|担当|グループ|事務所|役所|役場)$")
_PRIVATE_WORDS = ("法人", "株式会社", "有限会社", "センター", "協同組合", "組合", "ステーション", "学院")
_FREE_MAIL = {"gmail.com", "yahoo.co.jp", "ymail.ne.jp", "icloud.com", "me.com", "outlook.com", "outlook.jp",
              "hotmail.com", "hotmail.co.jp", "live.jp", "docomo.ne.jp", "ezweb.ne.jp", "au.com",
              "softbank.ne.jp", "i.softbank.jp", "nifty.com", "biglobe.ne.jp", "ocn.ne.jp"}
# Municipalities of the network's list as their lg.jp domains spell them (city.chitose.lg.jp).
_ROMAJI = {
    "札幌市": "sapporo", "江別市": "ebetsu", "千歳市": "chitose", "恵庭市": "eniwa", "石狩市": "ishikari",
    "北広島市": "kitahiroshima", "当別町": "tobetsu", "夕張市": "yubari", "岩見沢市": "iwamizawa",
    "美唄市": "bibai", "芦別市": "ashibetsu", "赤平市": "akabira", "三笠市": "mikasa", "滝川市": "takikawa",
    "砂川市": "sunagawa", "歌志内市": "utashinai", "深川市": "fukagawa", "小樽市": "otaru",
    "京極町": "kyogoku", "倶知安町": "kutchan", "黒松内町": "kuromatsunai", "室蘭市": "muroran",
    "苫小牧市": "tomakomai", "登別市": "noboribetsu", "伊達市": "date", "新ひだか町": "shinhidaka",
    "浦河町": "urakawa", "平取町": "biratori", "函館市": "hakodate", "北斗市": "hokuto", "旭川市": "asahikawa",
    "名寄市": "nayoro", "富良野市": "furano", "士別市": "shibetsu", "鷹栖町": "takasu", "留萌市": "rumoi",
    "稚内市": "wakkanai", "枝幸町": "esashi", "北見市": "kitami", "網走市": "abashiri", "紋別市": "monbetsu",
    "帯広市": "obihiro", "釧路市": "kushiro", "根室市": "nemuro", "中標津町": "nakashibetsu",
}


def _areas() -> dict[str, str]:
    """{municipality: 振興局} from the shipped list of areas (cities with a welfare office)."""
    out = {}
    with (vocab.DATA_DIR / "hokkaido_areas.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            for m in filter(None, row["cities_with_welfare_office"].split(";")):
                out[m] = row["area"]
    return out


def typed_kind(text: str, municipality: str = "") -> str:
    """What kind of office a typed name names: GOV (市役所, 〜市 〜課, a bare 〜市), SHAKYO (社協), or ""."""
    s = re.sub(r"\s+", "", legal_forms(clean(text)))
    if "社会福祉協議会" in s:
        return SHAKYO
    if re.search(r"(?:市|町|村)(?:役所|役場)|道庁|振興局", s):
        return GOV
    if s.startswith("北海道") and _OFFICE_END.search(s) and not any(w in s for w in _PRIVATE_WORDS):
        return GOV  # 北海道保健福祉部…課: the prefecture's own office
    if municipality and municipality in s:
        rest = s.replace(municipality, "", 1)
        if not rest or (_OFFICE_END.search(rest) and not any(w in rest for w in _PRIVATE_WORDS)):
            return GOV
    return ""


def _kind_sector(kind: str) -> str:
    return GOV if kind in _GOV_KINDS else SHAKYO if kind == vocab.KIND_SHAKYO else OTHER


def email_domain(email: str) -> str:
    """The domain of an e-mail address, "" for free mail (it says nothing about the organisation)."""
    k = email if email.isascii() and email == email.strip().lower() else email_key(email)
    domain = k.rsplit("@", 1)[1] if "@" in k else ""
    return "" if domain in _FREE_MAIL else domain


@dataclass(frozen=True)
class Evidence:
    """What else the registrant told us besides the organisation's name."""

    region: str = ""
    department: str = ""
    email: str = ""


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


@dataclass(frozen=True)
class _Facts:
    municipality: str = ""
    region: str = ""
    kind: str = ""  # GOV / SHAKYO / "" (what the typed text names)
    department: str = ""
    domain: str = ""


class OrgMatcher:
    """Preloaded keys of every organisation and alias: fast for 10,000 rows, one query each."""

    def __init__(self, session: Session):
        self.session = session
        self.names: dict[int, str] = {}
        self.info: dict[int, tuple[str, str, str, str]] = {}  # sector, region, municipality, name key
        by_name: dict[str, list[int]] = {}
        self.choices: list[str] = []
        self.choice_org: list[int] = []
        self.region_of = _areas()
        for oid, name, name_key, legal_body, office, kind, region, municipality in session.execute(
            select(Organisation.id, Organisation.name, Organisation.name_key, Organisation.legal_body,
                   Organisation.office, Organisation.kind, Organisation.region, Organisation.municipality)
        ):
            self.names[oid] = name
            self.info[oid] = (_kind_sector(kind), region or "", municipality or "", name_key)
            if municipality and region and region != "北海道":
                self.region_of.setdefault(municipality, region)
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
        # Longest first, so 「北広島市」 is found before 「広島」-like shorter names.
        self.municipalities = sorted(set(self.region_of) | set(_ROMAJI), key=len, reverse=True)
        self.domains: dict[str, set[int]] = {}
        for email, oid in session.execute(select(Person.email, Person.organisation_id)
                                          .where(Person.organisation_id.is_not(None), Person.email != "")):
            d = email_domain(email)
            if d:
                self.domains.setdefault(d, set()).add(oid)
        self._cache: dict[tuple, OrgMatch] = {}
        self._by_text: dict[tuple, OrgMatch] = {}

    def match(self, text: str, evidence: Evidence | None = None) -> OrgMatch:
        """Match one typed organisation name; the evidence ranks the candidates of an inexact name.
        Cached by text, and by key and what the evidence says."""
        ev = evidence or Evidence()
        seen = (text, ev.region, ev.department, email_domain(ev.email) if ev.email else "")
        done = self._by_text.get(seen)
        if done is not None:
            return done
        k = org_key(text)
        facts = self.facts(text, ev) if k and k not in self.exact else None
        hit = self._cache.get((k, facts))
        if hit is None:
            hit = self._cache[(k, facts)] = self._match_key(clean(text), k, facts)
        result = OrgMatch(text=as_typed(text), key=k, org_id=hit.org_id, method=hit.method, score=hit.score,
                          candidates=hit.candidates)
        self._by_text[seen] = result
        return result

    def _municipality(self, *texts: str) -> str:
        for t in texts:
            s = re.sub(r"\s+", "", clean(t))
            for m in self.municipalities:
                if m in s:
                    return m
        return ""

    def facts(self, text: str, ev: Evidence = Evidence()) -> _Facts:  # noqa: B008  (frozen)
        """What the typed name and the rest of the answer say about the organisation."""
        domain = email_domain(ev.email)
        municipality = self._municipality(text, ev.department)
        if not municipality and domain:
            parts = set(re.split(r"[.\-]", domain))
            municipality = next((m for m, r in _ROMAJI.items() if r in parts), "")
        region = ev.region if ev.region in vocab.ALL_AREAS else self.region_of.get(municipality, "")
        kind = typed_kind(f"{text}{ev.department}", municipality) or (
            GOV if domain.endswith(".lg.jp") else SHAKYO if "shakyo" in domain or "syakyo" in domain else "")
        return _Facts(municipality=municipality, region=region, kind=kind, department=org_key(ev.department),
                      domain=domain)

    def _evidence(self, oid: int, f: _Facts) -> float:
        sector, region, municipality, name_key = self.info[oid]
        points = 0.0
        if {f.kind, sector} == {GOV, SHAKYO}:
            points += KIND_CONFLICT
        elif f.kind == GOV and sector == OTHER:
            points += NOT_AN_OFFICE
        if f.municipality and municipality:
            points += SAME_MUNICIPALITY if municipality == f.municipality else OTHER_MUNICIPALITY
        elif f.municipality and f.municipality in self.names[oid]:
            points += SAME_MUNICIPALITY
        if f.region and region and region != "北海道":
            points += SAME_REGION if region == f.region else OTHER_REGION
        if len(f.department) >= 3 and f.department in name_key:
            points += DEPARTMENT
        if f.domain and oid in self.domains.get(f.domain, ()):
            points += SAME_DOMAIN
        return points

    def _kind_ok(self, oid: int, f: _Facts) -> bool:
        """A city office typed is only a city office; a 社協 typed is only a 社協."""
        sector = self.info[oid][0]
        return not (f.kind == GOV and sector != GOV or f.kind == SHAKYO and sector != SHAKYO)

    def _compatible(self, oid: int, f: _Facts) -> bool:
        """May this organisation be taken without asking? Never across city office / 社協, never a
        city office for a private body's name, never another municipality than the one written."""
        sector, _region, municipality, _ = self.info[oid]
        if not self._kind_ok(oid, f):
            return False
        if sector == GOV and f.kind != GOV:
            return False
        return not (f.municipality and municipality and municipality != f.municipality)

    def _match_key(self, text: str, k: str, f: _Facts | None) -> OrgMatch:
        if not k:
            return OrgMatch(text=text, key=k, method="empty")
        if k in self.exact:
            return OrgMatch(text=text, key=k, org_id=self.exact[k], method="exact", score=100.0,
                            candidates=[{"id": self.exact[k], "name": self.names.get(self.exact[k], ""),
                                         "score": 100.0}])
        f = f or _Facts()
        base: dict[int, float] = {}
        for _choice, score, idx in process.extract(k, self.choices, scorer=_score, limit=40,
                                                   score_cutoff=30):
            oid = self.choice_org[idx]
            base[oid] = max(base.get(oid, 0.0), float(score))
        if f.municipality:  # every organisation of the municipality written is a candidate
            for oid, (_s, _r, municipality, name_key) in self.info.items():
                if municipality == f.municipality and oid not in base:
                    base[oid] = _score(k, name_key)
        adjusted = {oid: s + self._evidence(oid, f) if self._kind_ok(oid, f)
                    else min(OTHER_KIND_CAP, s + self._evidence(oid, f)) for oid, s in base.items()}
        ranked = sorted(adjusted.items(), key=lambda kv: (-kv[1], -base[kv[0]], kv[0]))[:5]
        candidates = [{"id": oid, "name": self.names[oid], "score": round(max(0.0, min(100.0, s)), 1),
                       "kind_ok": self._kind_ok(oid, f)} for oid, s in ranked]
        top = ranked[0][1] if ranked else 0.0
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        if ranked and base[ranked[0][0]] >= AUTO_SCORE and top - second >= AUTO_MARGIN \
                and self._compatible(ranked[0][0], f):
            return OrgMatch(text=text, key=k, org_id=ranked[0][0], method="fuzzy",
                            score=candidates[0]["score"], candidates=candidates)
        return OrgMatch(text=text, key=k, method="review", score=candidates[0]["score"] if candidates else 0.0,
                        candidates=candidates)


def match_org(session: Session, text: str) -> OrgMatch:
    """Match one name: directory.find_exact (name or alias key), else the fuzzy matcher."""
    found = directory.find_exact(session, text)
    if found is not None:
        return OrgMatch(text=as_typed(text), key=org_key(text), org_id=found.id, method="exact", score=100.0,
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


SECRETARIAT_ONLY = "機関名の確認は事務局だけが行えます。"


def pending(session: Session, viewer: Viewer, meeting_id: int | None = None) -> list[OrgReview]:
    """Reviews waiting for the secretariat (of one meeting's registrants when given), oldest first."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    return _pending(session, meeting_id)


def pending_count(session: Session, meeting_id: int | None = None) -> int:
    """How many reviews wait (a count, for every role's summary)."""
    return len(_pending(session, meeting_id))


def _pending(session: Session, meeting_id: int | None = None) -> list[OrgReview]:
    stmt = select(OrgReview).where(OrgReview.status == PENDING).order_by(OrgReview.id)
    rows = list(session.scalars(stmt))
    if meeting_id is None:
        return rows
    keys = {org_key(t) for t, in session.execute(
        select(Registration.org_text).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id, Person.organisation_id.is_(None))
    )}
    return [r for r in rows if r.text_key in keys or r.meeting_id == meeting_id]


# pending_frame's columns → the headers a person reads.
PENDING_LABELS = {"text": "入力された名称", "candidate": "候補", "score": "一致度", "seen": "件数"}


def pending_frame(session: Session, viewer: Viewer, meeting_id: int | None = None) -> pd.DataFrame:
    """The review queue as a table: id, text, candidate (the best one's name), score, seen
    (headers `PENDING_LABELS`)."""
    rows = []
    for r in pending(session, viewer, meeting_id):
        top = r.candidates[0] if r.candidates else None
        rows.append({"id": r.id, "text": r.text, "candidate": top["name"] if top else "",
                     "score": top["score"] if top else 0.0, "seen": r.seen})
    return pd.DataFrame(rows, columns=["id", *PENDING_LABELS])


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
        raise UserError(f"確認待ちの項目（ID {review_id}）が見つかりません。")
    return review


def confirm(session: Session, viewer: Viewer, review_id: int, org_id: int | None = None) -> int:
    """Accept the suggestion (or pick `org_id`); the spelling becomes an alias. Returns people updated."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    review = _review(session, review_id)
    target = org_id or review.suggestion_id
    if target is None:
        raise UserError(f"「{review.text}」の候補がありません。一覧から機関を選ぶか、新しい機関として登録してください。")
    org = session.get(Organisation, target)
    if org is None:
        raise UserError(f"機関（ID {target}）が見つかりません。")
    return _apply(session, review, org, viewer.actor)


def _sure_suggestion(review: OrgReview, threshold: float) -> dict | None:
    """The review's first candidate when it reaches `threshold` and is of the kind the text names."""
    top = review.candidates[0] if review.candidates else None
    if top is None or top.get("score", 0) < threshold or top.get("kind_ok") is False:
        return None
    return top


def above(session: Session, viewer: Viewer, threshold: float = BULK_SCORE,
          meeting_id: int | None = None) -> list[OrgReview]:
    """Pending reviews whose suggestion reaches `threshold` (what 「まとめて確定」 would confirm)."""
    return [r for r in pending(session, viewer, meeting_id) if _sure_suggestion(r, threshold) is not None]


def confirm_above(session: Session, viewer: Viewer, threshold: float = BULK_SCORE,
                  meeting_id: int | None = None) -> tuple[int, int]:
    """Confirm every pending suggestion that reaches `threshold` (never one of another kind, such as a
    社協 for a city office); returns (names confirmed, people updated)."""
    names = people = 0
    for review in above(session, viewer, threshold, meeting_id):
        org = session.get(Organisation, _sure_suggestion(review, threshold)["id"])
        if org is None:
            continue
        people += _apply(session, review, org, viewer.actor)
        names += 1
    return names, people


def create_and_confirm(session: Session, viewer: Viewer, review_id: int, name: str, kind: str, region: str,
                       **fields) -> Organisation:
    """Register a new organisation for a reviewed spelling, and resolve the review with it."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    review = _review(session, review_id)
    if not clean(name):
        raise UserError("新しい機関の名称を入力してください。")
    org = directory.find_exact(session, name) or directory.create_organisation(
        session, name, kind=kind, region=region, **fields)
    _apply(session, review, org, viewer.actor)
    return org
