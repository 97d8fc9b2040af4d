"""What the committee (委員会) may see of a survey: no count from which one respondent's answer can be
read or derived. The one place of this rule; summaries, cross-tabs, word counts and trends use it.

The rule, as statistical offices apply it to published tables (threshold + complementary suppression):

1. Threshold k (a setting, default 5, changed by the secretariat in 設定): a count of respondents with
   an answer is shown only when it is 0 or at least k. A survey with fewer than k respondents is not
   shown at all.
2. Filters are groups: a value of a respondent attribute (room, sector, region, first time, category)
   or an answer to a choice question. A group is offered to the committee only when it holds at least
   k respondents and the rest of the survey does too (otherwise "all" minus the group is a small
   group). Rare answers and small groups are never offered, and their labels never shown.
3. The committee sees one group at a time (or everything). Any other filter (two groups combined, a
   group that is not offered) shows only that it cannot be shown: its count alone, or its difference
   from a group, could isolate fewer than k respondents. A filter by attributes that leaves fewer
   than k says so; one by answers says only that it is not shown (its size would be a count of an
   answer, and "5 or more of a room of 6 chose X" is nearly everyone's answer).
4. Complementary suppression over every view the committee can see together ("all" and each offered
   group), per question: for each attribute, the offered groups and the rest (all respondents in no
   offered group of it, never shown) add up to "all". A hidden cell must never be derivable:
   - in a view, the hidden cells of a single-choice question add up to base − the shown cells: that
     sum must be 0 or ≥ k (else the next smallest cell is hidden too);
   - in a column (an option across the groups of one attribute), "all" minus the shown groups is the
     sum of the hidden cells (the rest's included): it must be 0 or ≥ k, and when "all" itself is hidden
     some group's cell must be hidden too.
   Cells only ever get hidden, so the iteration ends; an answer group whose own count got hidden is
   withdrawn and the suppression recomputed.
5. The same for word counts (the number of comments containing a word, or a pair of words: only
   words and pairs found in at least k comments of the whole survey are candidates), for the number of
   answers to a number question (its mean and median are shown only where that count is; never the
   minimum, maximum or a histogram, which are single answers), for trends (a favourable share only
   when each of its options is shown in that survey's committee table) and for the committee's
   exports, which are made from the same protected summary.

Not protected (documented limit): whether a respondent answered a question at all, or chose a
not-applicable option (参加できなかった…): the committee sees the respondents, n and the base, whose
difference is that number. Not-applicable answers are not listed to the committee.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.roles import Viewer, require_secretariat
from facilitation.surveys.questions import (
    DATE,
    GRID,
    IDENTITY,
    MULTI,
    NUMBER,
    SCALE,
    SINGLE,
    TEXT,
    is_not_applicable,
    parse_date,
    parse_number,
)
from facilitation.surveys.store import ATTRIBUTES
from facilitation.surveys.summary import (
    FEW_ANSWERS,
    TOP_PAIRS,
    TOP_TERMS,
    QuestionSummary,
    Survey,
    SurveySummary,
    summarize,
)
from facilitation.text import textmining
from facilitation.text.normalize import key

SETTING = "surveys.committee_min_group"  # key in the settings table
DEFAULT_K, MIN_K, MAX_K = 5, 3, 50
ANSWER = "answer"
_SEP = "\x1f"


class TooFew(UserError):
    """The committee asked for a view that could single a respondent out (Japanese message)."""


def threshold(session: Session) -> int:
    """k: the smallest group whose counts the committee sees (a setting; DEFAULT_K when unset)."""
    from facilitation.storage import settings

    value = settings.get(session, SETTING, DEFAULT_K, kind=int)
    return min(max(int(value), MIN_K), MAX_K)


def set_threshold(session: Session, viewer: Viewer, k: int) -> int:
    """Store k (the secretariat only; MIN_K..MAX_K)."""
    from facilitation.storage import settings

    require_secretariat(viewer, "委員会に見せる最小の人数は事務局だけが変更できます。")
    if not MIN_K <= int(k) <= MAX_K:
        raise UserError(f"最小の人数は{MIN_K}〜{MAX_K}名の範囲で指定してください（指定: {k}）。")
    settings.put(session, SETTING, int(k))
    return int(k)


def refusal_small(k: int) -> str:
    return (f"絞り込み後の回答者が{k}名未満のため、結果は表示しません。"
            f"委員会の画面では、一人ひとりの回答が分からないよう、{k}名以上のグループだけを集計しています。")


def refusal_combined(k: int) -> str:
    return ("この絞り込みは、委員会の画面では表示しません。組み合わせによっては回答者が"
            f"{k}名未満になったり、ほかの表との差し引きで{k}名未満の回答が分かってしまったりするためです。"
            "絞り込みは1つのグループずつお選びください。")


@dataclass(frozen=True)
class Group:
    """A filter the committee may use: an attribute value, or an answer (attr ANSWER, question key)."""

    attr: str
    value: str
    question: str = ""
    question_title: str = ""

    @property
    def label(self) -> str:
        if self.attr == ANSWER:
            return f"回答「{self.question_title}」: {self.value}"
        return f"{ATTRIBUTES.get(self.attr, self.attr)}: {self.value}"


@dataclass
class _Table:
    """Counted cells of one question (or grid row, or word list): one indicator column per category."""

    key: str
    categories: list[str]
    ind: np.ndarray  # bool [respondents, categories]
    disjoint: bool  # one category per respondent: the shown cells and the base give the hidden sum


@dataclass
class Protection:
    """The committee's views of one survey and which of their cells are shown.

    Views: 0 = all respondents, then one per offered group. `shown[key]` is bool [views, categories];
    `counts[key]` the true counts (int) of the same shape.
    """

    k: int
    respondents: int
    groups: list[Group]
    masks: list[np.ndarray]
    tables: dict[str, _Table]
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    shown: dict[str, np.ndarray] = field(default_factory=dict)
    group_views: list[int] = field(default_factory=list)  # per group, its view
    _index: dict[bytes, int] = field(default_factory=dict)
    _questions: dict[int, list] = field(default_factory=dict)  # view → its protected questions (committee_summary)

    def view(self, mask: Sequence[bool] | None, by_attributes: bool = False) -> int:
        """The view a filter mask is (0 for None), or TooFew with the Japanese reason. `by_attributes`:
        the filter uses no answer, so "fewer than k" may be said (of answers it would count one)."""
        if self.respondents < self.k:
            raise TooFew(f"このアンケートの回答者は{self.k}名未満のため、委員会の画面では結果を表示しません。")
        if mask is None:
            return 0
        m = np.asarray(mask, dtype=bool)
        hit = self._index.get(m.tobytes())
        if hit is not None:
            return hit
        # "Fewer than k" is said only of a filter by attributes: said of one by answers, it would tell
        # that fewer than k gave an answer (or, with the group's size, that nearly all of it did).
        raise TooFew(refusal_small(self.k) if by_attributes and m.sum() < self.k else refusal_combined(self.k))

    def cells(self, view: int, key: str) -> dict[str, int | None]:
        """category → its count in the view, None when hidden."""
        t = self.tables.get(key)
        if t is None:
            return {}
        c, s = self.counts[key][view], self.shown[key][view]
        return {cat: (int(c[j]) if s[j] else None) for j, cat in enumerate(t.categories)}

    def labelled(self, key: str) -> set[str]:
        """Categories whose label the committee may read: shown in "all" (not rare)."""
        t = self.tables.get(key)
        if t is None:
            return set()
        return {cat for j, cat in enumerate(t.categories) if self.shown[key][0][j]}

    def offered(self, attr: str, question: str = "") -> list[Group]:
        return [g for g in self.groups if g.attr == attr and g.question == question]


# --- Building the tables -------------------------------------------------------------------------

def _choice_tables(survey: Survey) -> list[_Table]:
    out: list[_Table] = []
    n = survey.respondents
    for q in survey.questions:
        if q.kind in (SINGLE, SCALE, MULTI):
            chosen = survey.choices(q)
            cats = list(dict.fromkeys([*q.options, *(o for c in chosen for o in c)]))
            cats = [c for c in cats if not is_not_applicable(c)]
            ind = np.zeros((n, len(cats)), dtype=bool)
            pos = {c: j for j, c in enumerate(cats)}
            for i, c in enumerate(chosen):
                for o in c:
                    if o in pos:
                        ind[i, pos[o]] = True
            out.append(_Table(q.key, cats, ind, q.kind != MULTI))
        elif q.kind == GRID:
            for row, col in zip(q.rows, q.columns, strict=False):
                values = survey.column(col)
                cats = list(dict.fromkeys([*q.options, *(v for v in values if v)]))
                cats = [c for c in cats if not is_not_applicable(c)]
                pos = {c: j for j, c in enumerate(cats)}
                ind = np.zeros((n, len(cats)), dtype=bool)
                for i, v in enumerate(values):
                    if v in pos:
                        ind[i, pos[v]] = True
                out.append(_Table(q.key + _SEP + row, cats, ind, True))
        elif q.kind == DATE:
            days = [parse_date(v) for v in survey.column(q.columns[0])]
            cats = sorted({d.isoformat() for d in days if d is not None})
            pos = {c: j for j, c in enumerate(cats)}
            ind = np.zeros((n, len(cats)), dtype=bool)
            for i, d in enumerate(days):
                if d is not None:
                    ind[i, pos[d.isoformat()]] = True
            out.append(_Table(q.key, cats, ind, True))
        elif q.kind == NUMBER:
            ind = np.array([[parse_number(v) is not None] for v in survey.column(q.columns[0])], dtype=bool)
            out.append(_Table(q.key, ["answered"], ind.reshape(n, 1), False))
        elif q.kind == TEXT:
            texts = survey.column(q.columns[0])
            docs = textmining.document_terms(texts)
            all_terms = textmining.term_frequencies(texts, top=TOP_TERMS * 4)
            terms = [t for t, d in zip(all_terms.term, all_terms.documents, strict=True) if d > 0]
            ind = np.array([[t in d for t in terms] for d in docs], dtype=bool).reshape(n, len(terms))
            out.append(_Table(q.key + _SEP + "terms", terms, ind, False))
            pairs = textmining.cooccurrence(texts, top=TOP_PAIRS * 4)
            names = [a + _SEP + b for a, b in zip(pairs.term_a, pairs.term_b, strict=True)]
            ind = np.array([[a in d and b in d for a, b in zip(pairs.term_a, pairs.term_b, strict=True)] for d in docs],
                           dtype=bool).reshape(n, len(names))
            out.append(_Table(q.key + _SEP + "pairs", names, ind, False))
    return out


def _partitions(survey: Survey, attrs: pd.DataFrame | None) -> list[tuple[str, str, list[tuple[str, np.ndarray]]]]:
    """(attr, question key, [(class value, mask)]): every way of splitting the respondents into groups."""
    out = []
    if attrs is not None and len(attrs) == survey.respondents:
        for attr in ATTRIBUTES:
            if attr in attrs:
                col = attrs[attr].astype(str).to_numpy()
                out.append((attr, "", [(v, col == v) for v in sorted(set(col))]))
    for q in survey.questions:
        if q.kind not in (SINGLE, SCALE, MULTI):
            continue
        chosen = survey.choices(q)
        options = [o for o in dict.fromkeys([*q.options, *(o for c in chosen for o in c)]) if not is_not_applicable(o)]
        masks = [(o, np.array([o in c for c in chosen], dtype=bool)) for o in options]
        if q.kind == MULTI:  # each option splits the respondents in two
            out.extend((ANSWER, q.key, [(o, m), ("", ~m)]) for o, m in masks)
        else:
            rest = ~np.any([m for _, m in masks], axis=0) if masks else np.ones(survey.respondents, dtype=bool)
            out.append((ANSWER, q.key, [*masks, ("", rest)]))
    return out


def _suppress(counts: np.ndarray, displayed: int, parts: list[tuple[int, list[int]]], disjoint: bool, k: int,
              bases: np.ndarray) -> np.ndarray:
    """Which cells are shown: counts [rows, categories], rows < `displayed` are views (0 = all), the others
    rests (never shown); each of `parts` is (a view, the rows that add up to it)."""
    rows, cols = counts.shape
    hidden = np.zeros((rows, cols), dtype=bool)
    hidden[displayed:, :] = True
    hidden[:displayed] |= (counts[:displayed] > 0) & (counts[:displayed] < k)
    for r in range(displayed):
        if 0 < bases[r] < k:  # too few answers in this view: nothing of it (zeros too: with the base
            hidden[r, :] = True  # shown, the zeros would say which option the few chose)

    def hide_smallest(candidates: list[tuple[int, int]]) -> bool:
        best = min(((counts[r, c], r, c) for r, c in candidates if not hidden[r, c] and counts[r, c] > 0), default=None)
        if best is None:
            return False
        hidden[best[1], best[2]] = True
        return True

    changed = True
    while changed:
        changed = False
        if disjoint:
            for r in range(displayed):
                s = int(counts[r][hidden[r]].sum())
                if 0 < s < k and hide_smallest([(r, c) for c in range(cols)]):
                    changed = True
            # A rest (a view minus the groups inside it) has a known base too: its cells that cannot
            # be derived one by one add up to a known sum, which must be 0 or ≥ k as well.
            for whole, atoms in parts:
                rest = atoms[-1]
                if rest < displayed:
                    continue
                others = [whole, *atoms[:-1]]
                unknown = [c for c in range(cols) if any(hidden[a, c] for a in others)]
                s = int(counts[rest, unknown].sum())
                if 0 < s < k:
                    known = [c for c in range(cols) if c not in unknown and counts[rest, c] > 0]
                    for c in sorted(known, key=lambda c: counts[rest, c]):
                        if hide_smallest([(a, c) for a in others if a < displayed]):
                            changed = True
                            break
        for whole, atoms in parts:
            for c in range(cols):
                s = int(sum(counts[a, c] for a in atoms if hidden[a, c]))
                total = int(counts[whole, c])
                if not hidden[whole, c]:
                    if 0 < s < k:
                        if not hide_smallest([(a, c) for a in atoms if a < displayed]):
                            hidden[whole, c] = True
                        changed = True
                elif s < min(k, total) and hide_smallest([(a, c) for a in atoms if a < displayed]):
                    changed = True
    return ~hidden[:displayed]


def protection(survey: Survey, attrs: pd.DataFrame | None, k: int) -> Protection:
    """The committee's views of `survey` (cached by content, attributes and k)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(survey.fingerprint.encode())
    if attrs is not None:
        h.update(pd.util.hash_pandas_object(attrs[[c for c in ATTRIBUTES if c in attrs]].astype(str),
                                            index=False).values.tobytes())
    cache_key = (h.hexdigest(), k)
    with _lock:
        hit = _cache.get(cache_key)
        if hit is not None:
            _cache.move_to_end(cache_key)
            return hit
    result = _compute(survey, attrs, k)
    with _lock:
        _cache[cache_key] = result
        while len(_cache) > 16:
            _cache.popitem(last=False)
    return result


_cache: OrderedDict[tuple, Protection] = OrderedDict()
_lock = threading.Lock()


def _compute(survey: Survey, attrs: pd.DataFrame | None, k: int) -> Protection:
    n = survey.respondents
    if n < k:  # nothing of it is shown (Protection.view refuses)
        return Protection(k=k, respondents=n, groups=[], masks=[np.ones(n, dtype=bool)], tables={})
    tables = {t.key: t for t in _choice_tables(survey)}
    titles = {q.key: q.title for q in survey.questions}
    partitions = _partitions(survey, attrs)
    everyone = np.ones(n, dtype=bool)
    withdrawn: set[tuple[str, str, str]] = set()
    while True:
        groups: list[Group] = []
        masks: list[np.ndarray] = [everyone]
        families: list[list[int]] = []  # per partition, its offered groups (indices into masks)
        for attr, qkey, classes in partitions:
            rows = []
            for value, m in classes:
                size = int(m.sum())
                if value and k <= size <= n - k and (attr, qkey, value) not in withdrawn:
                    groups.append(Group(attr, value, qkey, titles.get(qkey, "")))
                    masks.append(m)
                    rows.append(len(masks) - 1)
            if rows:
                families.append(rows)
        # One view per distinct mask: two groups with the same respondents are one view.
        seen: dict[bytes, int] = {}
        view_of: list[int] = []
        uniq: list[np.ndarray] = []
        for m in masks:
            mkey = m.tobytes()
            if mkey not in seen:
                seen[mkey] = len(uniq)
                uniq.append(m)
            view_of.append(seen[mkey])
        displayed = len(uniq)
        # Sums the committee can form: a view = the groups of one kind inside it + the rest (never shown).
        extra: list[np.ndarray] = []
        atom_parts: list[tuple[int, list[int]]] = []
        done: set[tuple[int, tuple[int, ...]]] = set()
        kinds = [sorted({view_of[r] for r in rows}) for rows in families]
        for i, whole in enumerate(uniq):
            for views in [*kinds, *([v] for v in range(1, displayed))]:  # the groups of one kind, or one group
                inside = sorted(set(views) - {i})
                inside = [v for v in inside if not (uniq[v] & ~whole).any()]
                if not inside or (i, tuple(inside)) in done:
                    continue
                done.add((i, tuple(inside)))
                rest = whole & ~np.any([uniq[v] for v in inside], axis=0)
                atoms = list(inside)
                if rest.any():
                    atoms.append(displayed + len(extra))
                    extra.append(rest)
                atom_parts.append((i, atoms))
        row_masks = np.array(uniq + extra, dtype=np.int64).reshape(-1, n)
        counts, shown = {}, {}
        for tkey, t in tables.items():
            c = row_masks @ t.ind.astype(np.int64)
            base = row_masks[:displayed] @ t.ind.any(axis=1).astype(np.int64)
            counts[tkey] = c[:displayed]
            shown[tkey] = _suppress(c, displayed, atom_parts, t.disjoint, k, base)
        # An answer group whose own count got hidden would show it as its number of respondents.
        lost = {(g.attr, g.question, g.value) for g in groups if g.attr == ANSWER
                and not shown[g.question][0][tables[g.question].categories.index(g.value)]}
        if not lost:
            break
        withdrawn |= lost
    index = {uniq[i].tobytes(): i for i in range(displayed)}
    group_views = [view_of[i + 1] for i in range(len(groups))]
    return Protection(k=k, respondents=n, groups=groups, masks=uniq, tables=tables, counts=counts, shown=shown,
                      group_views=group_views, _index=index)


# --- The committee's results ----------------------------------------------------------------------

def _choice_frame(options: list[str], ordered: bool, cells: dict[str, int | None], labelled: set[str],
                  base: int) -> pd.DataFrame:
    """option, count (NaN hidden), percent: rare labels pooled into FEW_ANSWERS for learned options."""
    rows, pooled, pooled_hidden, pooled_count = [], False, False, 0
    for option in [*options, *(o for o in cells if o not in options)]:
        if option not in cells:
            continue
        c = cells[option]
        if not ordered and option not in labelled:
            if c is None or c > 0:
                pooled = True
                pooled_hidden |= c is None
                pooled_count += c or 0
            continue
        rows.append((option, c))
    if pooled:
        rows.append((FEW_ANSWERS, None if pooled_hidden else pooled_count))
    return pd.DataFrame({"option": [o for o, _ in rows],
                         "count": [float("nan") if c is None else float(c) for _, c in rows],
                         "percent": [float("nan") if c is None else (round(100.0 * c / base, 1) if base else 0.0)
                                     for _, c in rows]},
                        columns=["option", "count", "percent"]).astype({"option": object})


def _protect(q: QuestionSummary, p: Protection, view: int, survey: Survey) -> QuestionSummary:
    empty_na = q.not_applicable.iloc[0:0]
    if q.kind in (SINGLE, SCALE, MULTI):
        cells = p.cells(view, q.key)
        table = _choice_frame(q.options, q.ordered, cells, p.labelled(q.key), q.base)
        share = q.positive_share
        if share is not None and any(cells.get(o) is None for o in getattr(survey.question(q.key), "positive", [])):
            share = None
        options = list(table.option) if not q.ordered else list(q.options)
        return replace(q, table=table, not_applicable=empty_na, other_texts=[], positive_share=share, options=options)
    if q.kind == GRID:
        frames = []
        for row in q.rows:
            key = q.key + _SEP + row
            part = q.table[q.table.row == row]
            base = int(part.base.iloc[0]) if len(part) else 0
            t = _choice_frame(q.options, q.ordered, p.cells(view, key), p.labelled(key), base)
            t.insert(0, "row", row)
            t["base"] = base
            t["n"] = int(part.n.iloc[0]) if len(part) else 0
            frames.append(t)
        table = pd.concat(frames, ignore_index=True) if frames else q.table
        return replace(q, table=table, not_applicable=empty_na, other_texts=[])
    if q.kind == DATE:
        cells = p.cells(view, q.key)
        labelled = p.labelled(q.key)  # a date given by fewer than k is left out, with its count
        shown = [(d, c) for d, c in cells.items() if d in labelled and c != 0]
        t = pd.DataFrame({"option": [d for d, _ in shown], "count": [float("nan") if c is None else float(c) for _, c in shown]},
                         columns=["option", "count"]).astype({"option": object})
        return replace(q, table=t, not_applicable=empty_na)
    if q.kind == NUMBER:
        answered = p.cells(view, q.key).get("answered")
        stats = {s: v for s, v in q.stats.items() if s in ("mean", "median")} if answered else {}
        table = pd.DataFrame({"stat": list(stats), "value": list(stats.values())}, columns=["stat", "value"])
        return replace(q, table=table, values=[], stats=stats, not_applicable=empty_na)
    if q.kind == TEXT:
        terms = _words(p, view, q.key + _SEP + "terms", TOP_TERMS)
        terms = pd.DataFrame({"term": list(terms), "count": list(terms.values()), "documents": list(terms.values())},
                             columns=["term", "count", "documents"])
        pairs = _words(p, view, q.key + _SEP + "pairs", TOP_PAIRS)
        pairs = pd.DataFrame({"term_a": [x.split(_SEP)[0] for x in pairs], "term_b": [x.split(_SEP)[1] for x in pairs],
                              "count": list(pairs.values())}, columns=["term_a", "term_b", "count"])
        return replace(q, terms=terms, pairs=pairs, other_texts=[])
    return replace(q, other_texts=[])


def _words(p: Protection, view: int, key: str, top: int) -> dict[str, int]:
    """The shown words (or pairs) of a view with their comment counts, most frequent first."""
    labelled = p.labelled(key)
    shown = [(w, c) for w, c in p.cells(view, key).items() if c and w in labelled]
    return dict(sorted(shown, key=lambda wc: (-wc[1], wc[0]))[:top])


def committee_summary(survey: Survey, attrs: pd.DataFrame | None, k: int,
                      mask: Sequence[bool] | None = None, by_attributes: bool = False) -> SurveySummary:
    """The results the committee may see for a filter (None: everyone); TooFew when it may see none
    (`by_attributes`: see Protection.view)."""
    p = protection(survey, attrs, k)
    view = p.view(mask, by_attributes)
    full = summarize(survey, None if view == 0 else p.masks[view].tolist())
    if view not in p._questions:  # the same for every rerun and session: p is cached by content
        p._questions[view] = [_protect(q, p, view, survey) for q in full.questions if q.kind != IDENTITY]
    return SurveySummary(full.respondents, list(p._questions[view]), committee_k=k)


def crosstab(survey: Survey, attrs: pd.DataFrame | None, k: int, key: str, attr: str,
             row: str | None = None) -> pd.DataFrame:
    """The committee's cross-tab of one choice question by an attribute: its offered groups only.

    Long format like summary.crosstab (group, option, count, base, percent); hidden cells are NaN.
    """
    p = protection(survey, attrs, k)
    p.view(None)
    q = survey.question(key)
    tkey = key if q.kind != GRID else key + _SEP + (row if row in q.rows else q.rows[0])
    t = p.tables.get(tkey)
    out = []
    if t is None:
        return pd.DataFrame(out, columns=["group", "option", "count", "base", "percent"])
    labelled = p.labelled(tkey)
    base_all = t.ind.any(axis=1)
    for g, view in zip(p.groups, p.group_views, strict=True):
        if g.attr != attr:
            continue
        cells = p.cells(view, tkey)
        base = int((p.masks[view] & base_all).sum())
        frame = _choice_frame(q.options, q.ordered, cells, labelled, base)
        for rec in frame.itertuples():
            out.append((g.value, rec.option, rec.count, float(base), rec.percent))
    return pd.DataFrame(out, columns=["group", "option", "count", "base", "percent"])


def survey_trend(survey: Survey, attrs: pd.DataFrame | None, k: int):
    """store.survey_trend as the committee sees it: None for a survey with fewer than k respondents,
    and no favourable count or share (NaN) where a favourable option is hidden in its committee
    table or the question has fewer than k answers."""
    from facilitation.surveys import store

    p = protection(survey, attrs, k)
    if p.respondents < k:
        return None
    full = store.survey_trend(survey)
    points = {}
    for want, point in full.points.items():
        q = next(q for q in survey.questions if key(q.title) == want and q.kind != IDENTITY)
        cells = p.cells(0, q.key)
        if any(cells.get(o) is None for o in q.positive) or point.base < k:
            point = replace(point, positive=float("nan"), positive_share=float("nan"))
        points[want] = point
    return replace(full, points=points)


def trend(session: Session, question_title: str, k: int, trends=None) -> pd.DataFrame:
    """store.trend as the committee sees it (`survey_trend` of every survey; `trends` as in store.trend)."""
    from facilitation.surveys import store

    trends = trends or (lambda sid: survey_trend(store.load(session, sid), store.attributes(session, sid), k))
    frame = store.trend_frame(session, question_title, trends)
    return frame.astype({"positive": "float64", "positive_share": "float64"}) if not frame.empty else frame
