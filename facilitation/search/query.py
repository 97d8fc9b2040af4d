"""Answering a search, as each role may see it.

The secretariat sees every matching passage. The committee sees passages from room notes and
report sections only, with the names of the meeting's participants (and e-mail addresses and phone
numbers) replaced by 「（氏名）」, and a passage is shown only if it still matches after that (a
search for a name finds nothing); from surveys and the open chat it sees how many passages match,
never the passages, and a count below the small-group threshold reads 「5未満」. Facilitators do not
search. Both databases match the same folded tokens (see search.terms): SQLite through FTS5
phrases, PostgreSQL through phraseto_tsquery on the GIN-indexed terms_tsv (to_tsvector('simple', terms)).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from sqlalchemy import Integer, column, func, or_, select, text
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.roles import COMMITTEE, AccessDenied, Viewer
from facilitation.search import index
from facilitation.search import terms as T
from facilitation.search.models import SearchPassage
from facilitation.storage.models import Person, Registration, Room
from facilitation.text.dates import ja_date

MIN_GROUP_DEFAULT = 5  # what Result.threshold reads before a search (surveys.disclosure.DEFAULT_K)
COMMITTEE_SOURCES = ("note", "report")
COUNT_ONLY_SOURCES = ("survey", "chat")
NAME_MARK = "（氏名）"
MAX_QUERY = 200
SNIPPET = 90  # characters either side of the first hit
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_PHONE = re.compile(r"0\d{1,4}[-‐－(（ ]?\d{1,4}[-‐－)） ]?\d{3,4}")
_HONORIFIC = "(?:さん|様|さま|氏|先生|委員|ファシリ)"


@dataclass(frozen=True)
class Filters:
    themes: tuple[str, ...] = ()  # room theme or survey question, contains
    regions: tuple[str, ...] = ()
    municipalities: tuple[str, ...] = ()
    org_kinds: tuple[str, ...] = ()
    fiscal_years: tuple[int, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass
class Hit:
    id: int
    source: str
    source_label: str
    section: str
    theme: str
    place: str
    date: str
    link: str
    parts: list[tuple[str, bool]]  # the passage (or its window around the hit): (text, highlighted)


@dataclass
class Result:
    query: str
    hits: list[Hit]
    counts: dict[str, int]  # matching passages per source (all, not only those shown)
    shown_counts: dict[str, str] = field(default_factory=dict)  # what the viewer may read of `counts`
    limited: bool = False  # more passages matched than are shown
    threshold: int = MIN_GROUP_DEFAULT  # the small-group rule the committee's counts follow

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def min_group(session: Session) -> int:
    """The committee's small-group rule, the one the survey pages use (設定 → アンケート)."""
    from facilitation.surveys import disclosure

    return disclosure.threshold(session)


def shown_count(n: int, threshold: int) -> str:
    """「12件」, or 「5未満」 for 1..threshold-1 (a small group is not singled out)."""
    return f"{n:,}件" if n == 0 or n >= threshold else f"{threshold}未満"


def hide_small(counts: list[int], threshold: int) -> list[int | str]:
    """A row of counts for the committee whose total is shown elsewhere: 1..threshold-1 read
    「5未満」, and while the hidden ones add up to 1..threshold-1 (the total minus the shown ones
    would give them away) the smallest shown count is hidden too."""
    hidden = [0 < n < threshold for n in counts]
    while 0 < sum(n for n, h in zip(counts, hidden, strict=True) if h) < threshold:
        shown = [(n, i) for i, n in enumerate(counts) if not hidden[i] and n > 0]
        if not shown:
            break
        hidden[min(shown)[1]] = True
    return [f"{threshold}未満" if h else n for n, h in zip(counts, hidden, strict=True)]


def query_phrases(query: str) -> list[list[str]]:
    """The query's parts (split at spaces) as token lists; parts without a word are dropped. The
    last word of the query is also a beginning (T.PREFIX): 「シェル」 finds 「シェルター」."""
    q = (query or "").strip()[:MAX_QUERY]
    phrases = [ts for part in re.split(r"[\s\u3000]+", q) if (ts := [t.term for t in T.tokens(part)])]
    if phrases and len(phrases[-1][-1]) >= 2:
        phrases[-1][-1] += T.PREFIX
    return phrases


RELEVANCE, NEWEST = "relevance", "newest"
ORDERS = {RELEVANCE: "関連度順", NEWEST: "新しい順"}  # how the passages found are listed (relevance first)


def _pg_queries(phrases: list[list[str]], prefix: str) -> tuple[list[str], dict[str, str]]:
    """One tsquery per phrase: 'a' <-> 'b' (tokens hold word characters only), the last word 'x':*;
    as SQL with parameters named prefix0, prefix1…"""
    sql, params = [], {}
    for i, p in enumerate(phrases):
        name = f"{prefix}{i}"
        if p[-1].endswith(T.PREFIX):
            params[name] = (" <-> ".join(f"'{t}'" for t in p[:-1]) + (" <-> " if len(p) > 1 else "")
                            + f"'{p[-1][:-1]}':*")
            sql.append(f"to_tsquery('simple', :{name})")
        else:
            params[name] = " ".join(p)
            sql.append(f"phraseto_tsquery('simple', :{name})")
    return sql, params


def _fts_expr(phrases: list[list[str]]) -> str:
    return " AND ".join('"' + " ".join(p).removesuffix(T.PREFIX) + '"' + (" *" if p[-1].endswith(T.PREFIX) else "")
                        for p in phrases)


def _match(session: Session, phrases: list[list[str]]):
    """The condition on search_passages: every phrase found."""
    if session.get_bind().dialect.name == "postgresql":
        sql, params = _pg_queries(phrases, "p")
        return text(" AND ".join(f"search_passages.terms_tsv @@ {q}" for q in sql)).bindparams(**params)
    return SearchPassage.id.in_(text("SELECT rowid FROM search_fts WHERE search_fts MATCH :q")
                                .bindparams(q=_fts_expr(phrases)).columns(column("rowid", Integer)))


def _ranked(session: Session, phrases: list[list[str]], q):
    """`q` (a select of search_passages, filtered) restricted to the matches and ordered by relevance: FTS5's
    bm25() on SQLite, ts_rank() (normalised by the passage's length) on PostgreSQL; the more and the
    denser the hits, the higher. Ties newest first."""
    newest = (SearchPassage.at.desc().nulls_last(), SearchPassage.id.desc())
    if session.get_bind().dialect.name == "postgresql":
        sql, params = _pg_queries(phrases, "r")
        rank = text(f"ts_rank(search_passages.terms_tsv, {' && '.join(sql)}, 1) DESC").bindparams(**params)
        return q.where(_match(session, phrases)).order_by(rank, *newest)
    scores = (text("SELECT rowid, bm25(search_fts) AS score FROM search_fts WHERE search_fts MATCH :q")
              .bindparams(q=_fts_expr(phrases)).columns(column("rowid", Integer), column("score"))
              .subquery("fts_rank"))
    return q.join(scores, scores.c.rowid == SearchPassage.id).order_by(scores.c.score, *newest)


def _like(values: tuple[str, ...]):
    return lambda col: or_(*(col.contains(f"|{v}|", autoescape=True) for v in values))


def _filtered(f: Filters) -> list:
    conds = []
    if f.themes:
        conds.append(or_(*(c.contains(t, autoescape=True) for t in f.themes
                           for c in (SearchPassage.theme, SearchPassage.section))))
    for values, col in ((f.regions, SearchPassage.regions), (f.municipalities, SearchPassage.municipalities),
                        (f.org_kinds, SearchPassage.org_kinds)):
        if values:
            conds.append(_like(values)(col))
    if f.fiscal_years:
        conds.append(SearchPassage.fiscal_year.in_(f.fiscal_years))
    if f.sources:
        conds.append(SearchPassage.source.in_(f.sources))
    return conds


def _link(p: SearchPassage, viewer: Viewer) -> str:
    if p.source in ("note", "report"):
        return f"/roster?meeting={p.meeting_id}" if viewer.is_secretariat and p.meeting_id else ""
    if p.source == "survey":
        return f"/surveys?meeting={p.meeting_id}" if p.meeting_id else "/surveys"
    return "/openchat"


# --- names out, for the committee -----------------------------------------------------------------

def names_of_meeting(session: Session, meeting_id: int | None) -> list[str]:
    """The names of the meeting's registered people and facilitators, longest first."""
    if meeting_id is None:
        return []
    names = set(session.scalars(select(Person.name).join(Registration, Registration.person_id == Person.id)
                                .where(Registration.meeting_id == meeting_id)))
    names |= set(session.scalars(select(Person.name).join(Room, Room.facilitator_id == Person.id)
                                 .where(Room.meeting_id == meeting_id)))
    return sorted({n for n in names if n and n.strip()}, key=len, reverse=True)


def _name_pattern(names: list[str]) -> re.Pattern[str] | None:
    return _compiled_names(tuple(names))


@functools.lru_cache(maxsize=256)
def _compiled_names(names: tuple[str, ...]) -> re.Pattern[str] | None:
    alts: set[str] = set()
    for n in names:
        n = n.strip()
        parts = [p for p in re.split(r"[\s\u3000]+", n) if p]
        alts.add(re.escape(n))
        alts.add(r"[\s\u3000]*".join(re.escape(p) for p in parts))
        if len(parts) > 1 and len(parts[0]) >= 2:  # the surname with an honorific (山田さん)
            alts.add(re.escape(parts[0]) + f"(?={_HONORIFIC})")
    if not alts:
        return None
    return re.compile("|".join(sorted(alts, key=len, reverse=True)))


def without_names(text_: str, names: list[str] | re.Pattern[str] | None) -> str:
    """`text_` with the given people's names (a list, or the pattern `_name_pattern` made of one),
    e-mail addresses and phone numbers replaced."""
    pattern = _name_pattern(names) if isinstance(names, list) else names
    out = pattern.sub(NAME_MARK, text_) if pattern else text_
    out = _EMAIL.sub("（メール）", out)
    return _PHONE.sub("（電話）", out)


def name_tokens(session: Session) -> frozenset[str]:
    """The tokens of every person's name (surnames and given names), cached until people change."""
    signature = tuple(session.execute(select(func.count(Person.id), func.max(Person.id))).one())
    key = (str(session.get_bind().url), signature)
    found = _NAME_TOKENS.get(key)
    if found is None:
        out: set[str] = set()
        for name in session.scalars(select(Person.name).where(Person.deleted_at.is_(None))):
            for part in re.split(r"[\s\u3000]+", name or ""):
                out.update(t.term for t in T.tokens(part))
        found = _NAME_TOKENS[key] = frozenset(out)
    return found


_NAME_TOKENS: dict[tuple, frozenset[str]] = {}
NAMES_REFUSED = "委員会の画面では、人の名前やメールアドレス（名前と同じ言葉を含みます）では検索できません。"


def refuse_names(session: Session, query: str, phrases: list[list[str]]) -> None:
    """The committee never searches by a person's name or an e-mail: even a count would say that a
    passage names them. UserError when a word of the query is (or begins) a name."""
    if "@" in query or "＠" in query:
        raise UserError(NAMES_REFUSED)
    names = name_tokens(session)
    for p in phrases:
        for t in p:
            if t in names or (t.endswith(T.PREFIX) and any(n.startswith(t[:-1]) for n in names)):
                raise UserError(NAMES_REFUSED)


# --- the search -----------------------------------------------------------------------------------

def _snippet(passage: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    merged = spans
    lo, hi = 0, len(passage)
    if merged and len(passage) > 2 * SNIPPET + 40:
        lo = max(0, merged[0][0] - SNIPPET)
        hi = min(len(passage), merged[0][1] + SNIPPET)
    parts: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
    pos = lo
    for a, b in merged:
        if b <= lo or a >= hi:
            continue
        a, b = max(a, lo), min(b, hi)
        if a > pos:
            parts.append((passage[pos:a], False))
        parts.append((passage[a:b], True))
        pos = b
    if pos < hi:
        parts.append((passage[pos:hi], False))
    if hi < len(passage):
        parts.append(("…", False))
    return parts


def search(session: Session, viewer: Viewer, query: str, filters: Filters = Filters(), *,
           limit: int = 50, order: str = RELEVANCE) -> Result:
    """Passages matching every part of `query` (ORDERS: most relevant or newest first), with counts
    per source."""
    if not (viewer.is_secretariat or viewer.role == COMMITTEE):
        raise AccessDenied("検索は事務局と検討委員会の方が使えます。")
    phrases = query_phrases(query)
    if not phrases:
        raise UserError("検索する言葉を入力してください（助詞や記号だけでは検索できません）。")
    if not viewer.is_secretariat:
        refuse_names(session, query, phrases)
    index.ensure(session)
    conds = [_match(session, phrases), *_filtered(filters)]
    counts = {k: 0 for k in index.SOURCES}
    for source, n in session.execute(select(SearchPassage.source, func.count()).where(*conds)
                                     .group_by(SearchPassage.source)):
        counts[source] = int(n)
    committee = not viewer.is_secretariat
    visible = COMMITTEE_SOURCES if committee else tuple(index.SOURCES)
    if order == RELEVANCE:  # the ranking matches (SQLite: joins FTS5's scores of the matches) and orders
        q = _ranked(session, phrases, select(SearchPassage).where(*conds[1:], SearchPassage.source.in_(visible)))
    else:
        q = select(SearchPassage).where(*conds, SearchPassage.source.in_(visible))
        q = q.order_by(SearchPassage.at.desc().nulls_last(), SearchPassage.id.desc())
    rows = session.scalars(q.limit(limit * 2 if committee else limit)).all()
    hits: list[Hit] = []
    names: dict[int | None, re.Pattern[str] | None] = {}
    for p in rows:
        passage = p.passage
        if committee:
            if p.meeting_id not in names:
                names[p.meeting_id] = _name_pattern(names_of_meeting(session, p.meeting_id))
            passage = without_names(passage, names[p.meeting_id])
        spans = T.phrase_spans(passage, phrases)
        if spans is None:  # a name was the match: the passage without it is not found
            continue
        hits.append(Hit(id=p.id, source=p.source, source_label=index.SOURCES[p.source], section=p.section,
                        theme=p.theme, place=p.place, date=ja_date(p.at, weekday=False) if p.at else "",
                        link=_link(p, viewer), parts=_snippet(passage, spans)))
        if len(hits) >= limit:
            break
    shown_total = sum(counts[s] for s in visible)
    result = Result(query=query, hits=hits, counts=counts, limited=shown_total > len(hits))
    threshold = result.threshold = min_group(session)
    result.shown_counts = {s: (shown_count(n, threshold) if committee and s in COUNT_ONLY_SOURCES else f"{n:,}件")
                           for s, n in counts.items()}
    return result


def filter_options(session: Session) -> dict[str, list]:
    """The values the filters offer: themes, regions, municipalities, kinds, years (from the index)."""
    index.ensure(session)
    rows = session.execute(select(SearchPassage.regions, SearchPassage.municipalities, SearchPassage.org_kinds)
                           .distinct()).all()
    split = [set(), set(), set()]
    for r in rows:
        for i, v in enumerate(r):
            split[i] |= {x for x in (v or "").split("|") if x}
    themes = sorted(t for t in session.scalars(select(SearchPassage.theme).distinct()) if t)
    years = sorted((y for y in session.scalars(select(SearchPassage.fiscal_year).distinct()) if y), reverse=True)
    return {"themes": themes, "regions": sorted(split[0]), "municipalities": sorted(split[1]),
            "org_kinds": sorted(split[2]), "fiscal_years": years}
