"""Per-question results of a survey: n answered, counts and percentages with the right base.

Bases: single choice and scales — answers minus not-applicable ones (参加できなかった…), which are
listed separately; multi-select — respondents who ticked at least one real option (percentages add
up to more than 100); grids — per row, like a scale. Summaries are cached by the sheet's content,
the secretariat's corrections and the row filter, so a page rerun costs a dictionary lookup.

What the committee may see (no count that singles a respondent out) is decided in one place,
`disclosure`: hidden counts are NaN here and read 「非表示」 (SMALL_LABEL).
"""

from __future__ import annotations

import hashlib
import statistics
import threading
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from facilitation.errors import UserError
from facilitation.surveys.questions import (
    DATE,
    GRID,
    IDENTITY,
    MULTI,
    NUMBER,
    OTHER,
    SCALE,
    SINGLE,
    TEXT,
    Question,
    detect,
    is_not_applicable,
    parse_date,
    parse_number,
    split_multi,
    split_single,
)
from facilitation.text import textmining
from facilitation.text.normalize import clean

TOP_TERMS = 30
TOP_PAIRS = 20
SMALL_LABEL = "非表示"  # a count the committee may not see (disclosure)
FEW_ANSWERS = "ほかの回答（まとめて表示）"


def is_hidden(count) -> bool:
    """A count the committee may not see (NaN, see disclosure)."""
    return count is None or count != count


def count_text(count, unit: str = "件") -> str:
    """「12件」, or 「非表示」 for a hidden count."""
    return SMALL_LABEL if is_hidden(count) else f"{int(count)}{unit}"


def share_text(count, percent) -> str:
    """「12件（40.0%）」, or 「非表示」 for a hidden cell."""
    return SMALL_LABEL if is_hidden(count) else f"{int(count)}件（{percent:.1f}%）"


@dataclass
class Survey:
    """A sheet of responses (clean strings, one row per respondent) and the secretariat's corrections.

    `kinds` / `options` are keyed by question key (see questions.detect).
    """

    headers: list[str]
    rows: list[list[str]]
    kinds: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    title: str = ""

    @classmethod
    def from_table(cls, table, kinds: dict | None = None, options: dict | None = None, title: str = "") -> Survey:
        """From anything with `.headers` and `.rows` (facilitation.tabular.Table, a sheet tab)."""
        width = len(table.headers)
        seen: dict[str, str] = {}  # choice answers repeat: clean each distinct text once

        def c(v: object) -> str:
            if not isinstance(v, str):
                return clean(v)
            out = seen.get(v)
            if out is None:
                out = seen[v] = clean(v)
            return out

        rows = [[c(v) for v in (list(r) + [""] * width)[:width]] for r in table.rows]
        return cls(list(table.headers), rows, dict(kinds or {}), dict(options or {}), title)

    @cached_property
    def questions(self) -> list[Question]:
        return detect(self.headers, self.rows, self.kinds, self.options)

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise UserError(f"質問「{key}」はこのアンケートにありません。")

    @cached_property
    def fingerprint(self) -> str:
        """A digest of the content and corrections: equal surveys share cached summaries."""
        h = hashlib.blake2b(digest_size=16)
        h.update("\x1f".join(self.headers).encode())
        for r in self.rows:
            h.update(("\x1e" + "\x1f".join(r)).encode())
        h.update(repr(sorted(self.kinds.items())).encode())
        h.update(repr(sorted((k, tuple(v)) for k, v in self.options.items())).encode())
        return h.hexdigest()

    @property
    def respondents(self) -> int:
        return len(self.rows)

    def column(self, index: int) -> list[str]:
        return [r[index] for r in self.rows]

    def identity(self, role: str) -> list[str]:
        """Each respondent's identity value of one role (email / name / org / timestamp); "" if none."""
        for q in self.questions:
            if q.kind == IDENTITY and q.identity == role:
                return self.column(q.columns[0])
        return [""] * len(self.rows)

    def choices(self, q: Question) -> list[list[str]]:
        """Per respondent, the options chosen for a single/scale/multi question ([] when blank)."""
        return self._coded(q.key)[0]

    def other_texts(self, q: Question) -> list[str]:
        """Per respondent, the text typed after 「その他」 ("" when none)."""
        return self._coded(q.key)[1]

    def _coded(self, key: str) -> tuple[list[list[str]], list[str]]:
        cache = self.__dict__.setdefault("_coded_cache", {})
        if key not in cache:
            q = self.question(key)
            values = self.column(q.columns[0])
            chosen: list[list[str]] = []
            others: list[str] = []
            allowed = q.options + q.not_applicable
            for v in values:
                if q.kind == MULTI:
                    c, o = split_multi(v, allowed)
                elif q.kind in (SINGLE, SCALE):
                    one, o = split_single(v, allowed)
                    c = [one] if one else []
                else:
                    c, o = ([v] if v else []), ""
                chosen.append(c)
                others.append(o)
            cache[key] = (chosen, others)
        return cache[key]


@dataclass
class QuestionSummary:
    """One question's result. `table` columns depend on the kind (see `summarize`)."""

    key: str
    title: str
    kind: str
    position: int
    respondents: int  # rows considered (after filters)
    n: int  # answered (not blank), always shown
    base: int  # the denominator of the percentages
    table: pd.DataFrame  # choice kinds: option, count, percent; grid: row, option, count, percent
    not_applicable: pd.DataFrame  # option, count (grid: row, option, count)
    other_texts: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)  # numbers, for the histogram
    stats: dict[str, float] = field(default_factory=dict)  # numbers: mean, median, min, max
    positive_share: float | None = None  # scales: % of the base in the favourable half
    positive_label: str = ""  # 「とても役に立った・役に立った」
    ordered: bool = False  # scale-like answers (diverging chart)
    options: list[str] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)  # grid rows
    identity: str = ""
    terms: pd.DataFrame | None = None  # free text: term, count, documents
    pairs: pd.DataFrame | None = None  # free text: term_a, term_b, count, jaccard

    def counts(self) -> dict:
        """option → count (grid: row → option → count), not-applicable answers included; {} otherwise."""
        if self.kind == GRID:
            out: dict[str, dict[str, int]] = {r: {} for r in self.rows}
            for t in (self.table, self.not_applicable):
                for rec in t.itertuples():
                    out[rec.row][rec.option] = _json_count(rec.count)
            return out
        if self.kind in (SINGLE, SCALE, MULTI):
            out1 = {rec.option: _json_count(rec.count) for rec in self.table.itertuples()}
            out1.update({rec.option: _json_count(rec.count) for rec in self.not_applicable.itertuples()})
            return out1
        return {}

    def as_json(self) -> dict:
        """title, kind, n, base and (choice kinds) counts; numbers add stats. Identity: n only."""
        out: dict = {"title": self.title, "kind": self.kind, "n": self.n}
        if self.kind == IDENTITY:
            return out
        out["base"] = self.base
        if self.kind in (SINGLE, SCALE, MULTI, GRID):
            out["counts"] = self.counts()
            out["not_applicable"] = (
                {f"{r.row} / {r.option}" if self.kind == GRID else r.option: _json_count(r.count)
                 for r in self.not_applicable.itertuples()})
        if self.positive_share is not None:
            out["positive_share"] = self.positive_share
        if self.kind == NUMBER:
            out["stats"] = self.stats
        if self.kind == DATE:
            out["counts"] = {r.option: int(r.count) for r in self.table.itertuples()}
        return out


@dataclass
class SurveySummary:
    respondents: int
    questions: list[QuestionSummary]
    committee_k: int = 0  # the committee's view (disclosure.committee_summary): counts below this are hidden

    def question(self, key: str) -> QuestionSummary:
        return next(q for q in self.questions if q.key == key)

    def as_json(self) -> dict:
        return {"respondents": self.respondents, "questions": [q.as_json() for q in self.questions]}


def _json_count(count) -> int | str:
    return SMALL_LABEL if is_hidden(count) else int(count)


def _pct(count: int, base: int) -> float:
    return round(100.0 * count / base, 1) if base else 0.0


def _choice_table(options: list[str], counts: Counter[str], base: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"option": options, "count": [counts.get(o, 0) for o in options],
         "percent": [_pct(counts.get(o, 0), base) for o in options]},
        columns=["option", "count", "percent"]).astype({"option": object, "count": "int64", "percent": "float64"})


def _na_table(counts: Counter[str], na: list[str]) -> pd.DataFrame:
    names = [o for o in na if counts.get(o)] + sorted(o for o in counts if o not in na and is_not_applicable(o))
    return pd.DataFrame({"option": names, "count": [counts[o] for o in names]},
                        columns=["option", "count"]).astype({"option": object, "count": "int64"})


def _mask_rows(values: Sequence, mask: Sequence[bool] | None) -> list:
    return list(values) if mask is None else [v for v, m in zip(values, mask, strict=False) if m]


def summarize_question(survey: Survey, q: Question, mask: Sequence[bool] | None = None,
                       with_terms: bool = True) -> QuestionSummary:
    """The result of one question over the rows where `mask` is true (all rows when None)."""
    respondents = len(survey.rows) if mask is None else sum(bool(m) for m in mask)
    empty_na = pd.DataFrame({"option": [], "count": []}, columns=["option", "count"])
    common = dict(key=q.key, title=q.title, kind=q.kind, position=q.position, respondents=respondents,
                  options=list(q.options), identity=q.identity, ordered=q.ordered)
    if q.kind in (SINGLE, SCALE, MULTI):
        chosen = _mask_rows(survey.choices(q), mask)
        others = _mask_rows(survey.other_texts(q), mask)
        counts: Counter[str] = Counter(o for c in chosen for o in c)
        n = sum(1 for c in chosen if c)
        base = sum(1 for c in chosen if any(not is_not_applicable(o) for o in c))
        options = list(q.options)
        if counts.get(OTHER) and OTHER not in options:
            options.append(OTHER)
        s = QuestionSummary(**common, n=n, base=base, table=_choice_table(options, counts, base),
                            not_applicable=_na_table(counts, q.not_applicable),
                            other_texts=[t for t in others if t])
        if q.kind == SCALE and q.positive:
            s.positive_share = _pct(sum(counts.get(o, 0) for o in q.positive), base)
            s.positive_label = "・".join(q.positive)
        return s
    if q.kind == GRID:
        frames, na_frames, n_total, base_total = [], [], 0, 0
        pos = 0
        for row, col in zip(q.rows, q.columns, strict=False):
            values = _mask_rows(survey.column(col), mask)
            counts = Counter(v for v in values if v)
            n = sum(counts.values())
            base = sum(c for o, c in counts.items() if not is_not_applicable(o))
            opts = list(q.options) + sorted(o for o in counts if o not in q.options and not is_not_applicable(o))
            t = _choice_table(opts, counts, base)
            t.insert(0, "row", row)
            t["base"] = base
            t["n"] = n
            frames.append(t)
            na = _na_table(counts, q.not_applicable)
            na.insert(0, "row", row)
            na_frames.append(na)
            n_total, base_total = max(n_total, n), max(base_total, base)
            pos += sum(counts.get(o, 0) for o in q.positive)
        s = QuestionSummary(**common, n=n_total, base=base_total, rows=list(q.rows),
                            table=pd.concat(frames, ignore_index=True),
                            not_applicable=pd.concat(na_frames, ignore_index=True))
        if q.ordered and q.positive:
            s.positive_label = "・".join(q.positive)
        return s
    values = _mask_rows(survey.column(q.columns[0]), mask)
    filled = [v for v in values if v]
    if q.kind == NUMBER:
        nums = [x for x in (parse_number(v) for v in filled) if x is not None]
        stats = ({"mean": round(statistics.fmean(nums), 2), "median": statistics.median(nums),
                  "min": min(nums), "max": max(nums)} if nums else {})
        table = pd.DataFrame({"stat": list(stats), "value": list(stats.values())}, columns=["stat", "value"])
        na = Counter(v for v in filled if parse_number(v) is None)
        return QuestionSummary(**common, n=len(filled), base=len(nums), table=table, values=nums, stats=stats,
                               not_applicable=_na_table(na, sorted(na)))
    if q.kind == DATE:
        days = Counter(d for d in (parse_date(v) for v in filled) if d is not None)
        table = pd.DataFrame({"option": [d.isoformat() for d in sorted(days)],
                              "count": [days[d] for d in sorted(days)]}, columns=["option", "count"])
        return QuestionSummary(**common, n=len(filled), base=sum(days.values()), table=table,
                               not_applicable=empty_na)
    s = QuestionSummary(**common, n=len(filled), base=len(filled), table=pd.DataFrame(), not_applicable=empty_na)
    if q.kind == TEXT and with_terms:
        s.terms = textmining.term_frequencies(filled, top=TOP_TERMS)
        s.pairs = textmining.cooccurrence(filled, top=TOP_PAIRS)
    return s


_cache: OrderedDict[tuple, SurveySummary] = OrderedDict()
_cache_lock = threading.Lock()
CACHE_SIZE = 32


def summarize(survey: Survey, mask: Sequence[bool] | None = None, with_terms: bool = True) -> SurveySummary:
    """Every question in form order, cached by content + corrections + filter (see module doc)."""
    mask_key = None if mask is None else hashlib.blake2b(bytes(bool(m) for m in mask), digest_size=16).hexdigest()
    key = (survey.fingerprint, mask_key, with_terms)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = SurveySummary(
        respondents=len(survey.rows) if mask is None else sum(bool(m) for m in mask),
        questions=[summarize_question(survey, q, mask, with_terms) for q in survey.questions],
    )
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def answer_mask(survey: Survey, key: str, options: Sequence[str]) -> list[bool]:
    """True for respondents who chose any of `options` in question `key` (a filter on answers)."""
    q = survey.question(key)
    wanted = set(options)
    if q.kind in (SINGLE, SCALE, MULTI):
        return [bool(wanted & set(c)) for c in survey.choices(q)]
    return [v in wanted for v in survey.column(q.columns[0])]


def crosstab(survey: Survey, key: str, groups: Sequence[str], mask: Sequence[bool] | None = None,
             row: str | None = None) -> pd.DataFrame:
    """Answers to one choice question split by a per-respondent group label (room, sector…).

    Long format: group, option, count, base, percent (percent of the group's base; multi-select:
    of the group's respondents to the question). Not-applicable answers are left out. For a grid,
    `row` picks the grid row (the first when None).
    """
    q = survey.question(key)
    if q.kind == GRID:
        col = q.columns[q.rows.index(row) if row in q.rows else 0]
        chosen = [[v] if v else [] for v in survey.column(col)]
    elif q.kind in (SINGLE, SCALE, MULTI):
        chosen = survey.choices(q)
    else:
        raise UserError(f"「{q.title}」は選択式の質問ではないため、クロス集計できません。")
    if mask is not None:
        chosen = [c for c, m in zip(chosen, mask, strict=False) if m]
        groups = [g for g, m in zip(groups, mask, strict=False) if m]
    by_group: dict[str, Counter[str]] = {}
    bases: Counter[str] = Counter()
    for g, c in zip(groups, chosen, strict=False):
        real = [o for o in c if not is_not_applicable(o)]
        by_group.setdefault(g, Counter())
        if real:
            bases[g] += 1
            by_group[g].update(real)
    options = list(q.options)
    extra = sorted({o for cnt in by_group.values() for o in cnt if o not in options})
    rows = []
    for g in sorted(by_group, key=lambda x: (x == "", x)):
        for o in options + extra:
            n = by_group[g].get(o, 0)
            rows.append((g, o, n, bases[g], _pct(n, bases[g])))
    return pd.DataFrame(rows, columns=["group", "option", "count", "base", "percent"])
