"""The committee can never read or derive one respondent's survey answer (issue 23, privacy).

An attacker's audit: every filter of up to two groups (a room, a sector, a region, first time or
not, a category, an answer — rare ones included; two groups of one kind are "either", of two kinds
"both") is asked for as the committee, on the demo survey and on a generated survey of 200. Every
count shown is turned back into the set of respondents it counts, and so is what can be derived from
it: the base minus the shown options (the hidden ones), "all" minus the groups of one kind, and the
difference of any two shown sets of the same question where one contains the other. No such set may
hold between 1 and k−1 respondents.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from facilitation.errors import UserError
from facilitation.files.tabular import Table
from facilitation.roles import COMMITTEE, SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.surveys import comments, store
from facilitation.surveys.questions import (
    DATE,
    GRID,
    MULTI,
    NUMBER,
    SCALE,
    SINGLE,
    TEXT,
    is_not_applicable,
    parse_number,
)
from facilitation.surveys.summary import FEW_ANSWERS, Survey, SurveySummary, is_hidden
from facilitation.text import textmining

K = 5  # the default threshold
COMMITTEE_V = Viewer(role=COMMITTEE, email="iinkai@example.org")
ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")
ATTRS = ("room", "sector", "region", "first_time", "category")


# --- The attacker ---------------------------------------------------------------------------------

def _bits(mask) -> int:
    return sum(1 << i for i, m in enumerate(mask) if m)


def candidate_groups(survey: Survey, attrs: pd.DataFrame) -> list[tuple[str, str, list[bool]]]:
    """(family, label, mask): every attribute value and every answer option, rare ones included."""
    out = []
    for a in ATTRS:
        for v in sorted(set(attrs[a])):
            out.append((a, f"{a}={v}", [x == v for x in attrs[a]]))
    for q in survey.questions:
        if q.kind in (SINGLE, SCALE, MULTI):
            chosen = survey.choices(q)
            for o in dict.fromkeys(o for c in chosen for o in c):
                out.append((q.key, f"{q.key}={o}", [o in c for c in chosen]))
    return out


def filters(groups) -> list[tuple[str, list[bool], tuple[str, ...]]]:
    """None of them, each one, and each pair (same family: either; two families: both)."""
    out = [("(all)", None, ())]
    out += [(label, mask, (fam,)) for fam, label, mask in groups]
    for (f1, l1, m1), (f2, l2, m2) in itertools.combinations(groups, 2):
        mask = [a or b for a, b in zip(m1, m2, strict=True)] if f1 == f2 else [a and b for a, b in zip(m1, m2, strict=True)]
        out.append((f"{l1} & {l2}", mask, (f1, f2)))
    return out


class Truth:
    """Each respondent's answers as sets per shown table (the test's own reading of the survey)."""

    def __init__(self, survey: Survey):
        self.survey = survey
        self.n = survey.respondents
        self.cells: dict[str, dict[str, int]] = {}  # table key → category → respondents (bits)
        self.base: dict[str, int] = {}
        self.disjoint: dict[str, bool] = {}
        for q in survey.questions:
            if q.kind in (SINGLE, SCALE, MULTI):
                chosen = survey.choices(q)
                cats = {o for c in chosen for o in c if not is_not_applicable(o)}
                self._add(q.key, {o: [o in c for c in chosen] for o in cats}, q.kind != MULTI)
            elif q.kind == GRID:
                for row, col in zip(q.rows, q.columns, strict=False):
                    vals = survey.column(col)
                    cats = {v for v in vals if v and not is_not_applicable(v)}
                    self._add(f"{q.key}[{row}]", {o: [v == o for v in vals] for o in cats}, True)
            elif q.kind == NUMBER:
                self._add(q.key, {"answered": [parse_number(v) is not None for v in survey.column(q.columns[0])]}, False)
            elif q.kind == DATE:
                from facilitation.surveys.questions import parse_date
                days = [parse_date(v) for v in survey.column(q.columns[0])]
                cats = {d.isoformat() for d in days if d}
                self._add(q.key, {c: [bool(d) and d.isoformat() == c for d in days] for c in cats}, True)
            elif q.kind == TEXT:
                docs = [frozenset(textmining.terms(t)) for t in survey.column(q.columns[0])]
                terms = {t for d in docs for t in d}
                self._add(q.key + "/terms", {t: [t in d for d in docs] for t in terms}, False)
                self.pair_docs = getattr(self, "pair_docs", {})
                self.pair_docs[q.key] = docs

    def _add(self, key: str, cats: dict[str, list[bool]], disjoint: bool) -> None:
        self.cells[key] = {c: _bits(m) for c, m in cats.items()}
        base = 0
        for b in self.cells[key].values():
            base |= b
        self.base[key] = base
        self.disjoint[key] = disjoint

    def shown_sets(self, summary: SurveySummary, mask) -> list[tuple[str, int, int]]:
        """(table key and category, respondents bits, the count shown) for every count the committee
        sees, plus the hidden remainder of a single choice (base minus the shown options)."""
        m = (1 << self.n) - 1 if mask is None else _bits(mask)
        out = []

        def table(key: str, rows) -> None:
            labelled = 0
            shown_union = 0
            cells = self.cells[key]
            for option, count in rows:
                if option == FEW_ANSWERS:
                    continue
                bits = cells.get(option, 0) & m
                labelled |= cells.get(option, 0)
                if not is_hidden(count):
                    assert bin(bits).count("1") == int(count), (key, option, count)
                    out.append((f"{key}/{option}", bits, int(count)))
                    shown_union |= bits
            for option, count in rows:
                if option == FEW_ANSWERS and not is_hidden(count):
                    bits = self.base[key] & m & ~labelled
                    out.append((f"{key}/{FEW_ANSWERS}", bits, int(count)))
                    shown_union |= bits
            if self.disjoint[key]:
                rest = self.base[key] & m & ~shown_union
                out.append((f"{key}/(hidden)", rest, bin(rest).count("1")))

        for q in summary.questions:
            if q.kind in (SINGLE, SCALE, MULTI):
                table(q.key, zip(q.table.option, q.table["count"], strict=True))
            elif q.kind == GRID:
                for row in q.rows:
                    part = q.table[q.table.row == row]
                    table(f"{q.key}[{row}]", zip(part.option, part["count"], strict=True))
            elif q.kind == NUMBER and q.stats:
                bits = self.cells[q.key]["answered"] & m
                out.append((q.key, bits, bin(bits).count("1")))
            elif q.kind == DATE and len(q.table):
                table(q.key, zip(q.table.option, q.table["count"], strict=True))
            elif q.kind == TEXT:
                docs = self.pair_docs[q.key]
                if q.terms is not None:
                    for term, documents in zip(q.terms.term, q.terms.documents, strict=True):
                        bits = self.cells[q.key + "/terms"].get(term, 0) & m
                        assert bin(bits).count("1") == int(documents), (term, documents)
                        out.append((f"{q.key}/terms/{term}", bits, int(documents)))
                if q.pairs is not None:
                    for a, b, count in zip(q.pairs.term_a, q.pairs.term_b, q.pairs["count"], strict=True):
                        bits = _bits([a in d and b in d for d in docs]) & m
                        out.append((f"{q.key}/pairs/{a}/{b}", bits, int(count)))
        return out


def audit(survey: Survey, attrs: pd.DataFrame, serve: Callable, k: int = K) -> tuple[int, int, set[int], int]:
    """Ask for every filter as the committee (`serve(mask, by_attributes)`): (filters tried, shown,
    respondents derivable, refused)."""
    truth = Truth(survey)
    sets: dict[str, dict[int, int]] = {}  # table key and category → bits → count
    per_family: dict[tuple[str, str], list[int]] = {}  # (family, table key): shown sets of one-group views
    tried, served, refused = 0, 0, 0
    everyone = None
    for _label, mask, fams in filters(candidate_groups(survey, attrs)):
        tried += 1
        try:
            summary = serve(mask, all(f in ATTRS for f in fams))
        except UserError as exc:
            refused += 1
            assert str(exc).strip() and "名" in str(exc)
            continue
        served += 1
        for key, bits, _count in truth.shown_sets(summary, mask):
            sets.setdefault(key, {})[bits] = 1
            if mask is None:
                everyone = everyone or {}
                everyone.setdefault(key, []).append(bits)
            elif len(fams) == 1:
                per_family.setdefault((fams[0], key), []).append(bits)
    derivable: set[int] = set()

    def small(bits: int) -> None:
        if 0 < bin(bits).count("1") < k:
            derivable.update(i for i in range(truth.n) if bits >> i & 1)

    for found in sets.values():
        items = sorted(found, key=lambda b: bin(b).count("1"))
        sizes = [bin(b).count("1") for b in items]
        for i, b in enumerate(items):
            small(b)
            for j in range(i + 1, len(items)):
                if sizes[j] - sizes[i] >= k:
                    break
                a = items[j]
                if b & ~a == 0:  # b inside a: a minus b is known
                    small(a & ~b)
    # "all" minus the shown groups of one kind (each cell of "all" against the same cells of the groups).
    for (_fam, key), group_sets in per_family.items():
        for whole in (everyone or {}).get(key, []):
            inside = [g for g in group_sets if g & ~whole == 0]
            union = 0
            disjoint = True
            for g in inside:
                disjoint &= union & g == 0
                union |= g
            if disjoint and inside:
                small(whole & ~union)
    return tried, served, derivable, refused


# --- The demo survey (through the page's own path: comments.results as the committee) ------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from facilitation.demo import dataset
    from facilitation.surveys.models import SurveySheet

    url = f"sqlite:///{tmp_path_factory.mktemp('disclosure') / 'demo.sqlite3'}"
    with db.session(url, actor="demo") as s:
        dataset.generate(s)
    with db.session(url) as s:
        sid = s.scalars(select(SurveySheet.id)).one()
        survey, attrs = store.load(s, sid), store.attributes(s, sid)
    return url, sid, survey, attrs


def test_no_filter_of_one_or_two_groups_lets_the_committee_derive_an_answer_on_the_demo(demo):
    url, sid, survey, attrs = demo

    with db.session(url) as s:
        def serve(mask, by_attributes):
            return comments.results(s, COMMITTEE_V, sid, mask, survey=survey, by_attributes=by_attributes)

        tried, served, derivable, refused = audit(survey, attrs, serve)
    print(f"demo: {tried} filters tried, {served} shown, {refused} refused, {len(derivable)} of "
          f"{survey.respondents} respondents derivable")
    assert tried > 500 and survey.respondents == 40
    assert not derivable, f"{len(derivable)} of {survey.respondents} respondents' answers derivable"
    assert served >= 10  # "all" and the groups of at least k (rooms of 5-8, sectors, answers) are still shown


# --- A generated survey of 200 --------------------------------------------------------------------

ROOMS = [f"ルーム{i}" for i in range(1, 13)]
REGIONS = ["石狩", "上川", "胆振", "渡島", "十勝", "釧路", "オホーツク", "空知", "後志", "日高", "宗谷", "留萌", "根室", "檜山", "道外"]
HEARD = ["事務局からの案内", "ホームページ", "同僚からの紹介", "同僚の〇〇さんの紹介", "岩見沢市の広報"]
COMMENTS = ["他の自治体の家計改善支援事業の取り組みを聞けて参考になりました。", "ブレイクアウトルームの時間が短かったです。",
            "ひきこもりの方への支援について話せて心強かったです。", "フードバンクとの連携の話が具体的でした。",
            "支援調整会議の工夫を職場で共有します。", "一時生活支援事業の実情を初めて知りました。"]


def generated(n: int = 200, seed: int = 23) -> tuple[Survey, pd.DataFrame]:
    rng = random.Random(seed)
    headers = ["タイムスタンプ", "お名前", "情報交換会に参加して、いかがでしたか", "どこで知りましたか", "希望する開催頻度",
               "開催内容についての希望（複数選択可）", "経験年数", "ご意見・ご感想"]
    rows, attrs = [], []
    for i in range(n):
        heard = rng.choices(HEARD, weights=[60, 30, 8, 1, 1])[0] if i > 1 else HEARD[3 + i]
        picked = [c for c in ("テーマ別のディスカッション", "講師を招いた勉強会", "事例検討", "施設見学") if rng.random() < 0.4]
        rows.append([f"2026/02/{1 + i % 28:02d} 10:{i % 60:02d}:00", f"回答者{i}",
                     rng.choices(["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった", "参加できなかった"],
                                 weights=[36, 56, 6, 1, 1])[0],
                     heard, rng.choices(["年1-2回", "3-4か月に1回", "年6回", "毎月"], weights=[36, 31, 25, 8])[0],
                     ", ".join(picked), str(rng.choice(range(1, 21))),
                     "" if rng.random() < 0.4 else "".join(rng.sample(COMMENTS, k=rng.choice([1, 2])))])
        sector = rng.choices(["NPO等", "社協", "自治体", "国"], weights=[40, 35, 22, 3])[0]
        attrs.append({"room": rng.choices(ROOMS, weights=[30, 25, 25, 20, 20, 20, 15, 15, 12, 8, 6, 4])[0],
                      "sector": sector, "region": rng.choices(REGIONS, weights=[60, 25, 20, 18, 15, 12, 10, 10, 8, 6, 5, 3, 3, 2, 3])[0],
                      "first_time": rng.choice(["初参加", "2回目以上"]), "category": "自治体" if sector == "自治体" else "団体"})
    return Survey.from_table(Table(headers=headers, rows=rows), title="生成アンケート"), pd.DataFrame(attrs)


def test_no_filter_of_one_or_two_groups_lets_the_committee_derive_an_answer_on_200_respondents():
    from facilitation.surveys import disclosure

    survey, attrs = generated()
    tried, served, derivable, refused = audit(
        survey, attrs, lambda mask, by_attributes: disclosure.committee_summary(survey, attrs, K, mask, by_attributes))
    print(f"200: {tried} filters tried, {served} shown, {refused} refused, {len(derivable)} derivable")
    assert survey.respondents == 200 and tried > 1000
    assert not derivable, f"{len(derivable)} of 200 respondents' answers derivable"
    offered = disclosure.protection(survey, attrs, K).groups
    labels = " ".join(g.label for g in offered)
    assert "〇〇さん" not in labels and "岩見沢市の広報" not in labels  # rare answers are never filter options
    assert any(g.attr == "room" for g in offered) and any(g.attr == "answer" for g in offered)


# --- Differencing -----------------------------------------------------------------------------------

def test_all_minus_every_other_room_does_not_give_one_persons_answer(demo):
    """The issue's attack: "all" and "every room but one" (both large) differ by one person."""
    url, sid, survey, attrs = demo
    useful = "情報交換会に参加して、いかがでしたか"
    rooms = sorted(set(attrs.room))
    found = []
    with db.session(url) as s:
        whole = comments.results(s, COMMITTEE_V, sid, None, survey=survey).question(useful)
        for room in rooms:
            mask = [r != room for r in attrs.room]
            assert sum(mask) >= K
            try:
                rest = comments.results(s, COMMITTEE_V, sid, mask, survey=survey).question(useful)
            except UserError as exc:
                assert "表示しません" in str(exc)
                continue
            for option in whole.options:
                a = whole.table.set_index("option")["count"].get(option)
                b = rest.table.set_index("option")["count"].get(option)
                if a is not None and b is not None and not is_hidden(a) and not is_hidden(b) and 0 < a - b < K:
                    found.append((room, option, a - b))
    assert not found, f"differences of fewer than {K} respondents: {found}"


def test_a_refused_filter_says_fewer_than_k_only_when_it_is_by_attributes(demo):
    """Room and region leaving 1 respondent: "fewer than 5" is said. Room and an answer: only that it is
    not shown (a "fewer than 5" would count an answer)."""
    url, sid, survey, attrs = demo
    room = attrs.room.value_counts().index[0]
    region = next(r for r in attrs.region if sum((attrs.room == room) & (attrs.region == r)) == 1)
    by_attrs = [a == room and b == region for a, b in zip(attrs.room, attrs.region, strict=True)]
    chosen = survey.choices(survey.question("情報交換会に参加して、いかがでしたか"))
    by_answer = [a == room and "とても役に立った" in c for a, c in zip(attrs.room, chosen, strict=True)]
    assert sum(by_answer) < K
    with db.session(url) as s:
        with pytest.raises(UserError, match=f"絞り込み後の回答者が{K}名未満のため"):
            comments.results(s, COMMITTEE_V, sid, by_attrs, survey=survey, by_attributes=True)
        with pytest.raises(UserError, match="この絞り込みは、委員会の画面では表示しません") as refused:
            comments.results(s, COMMITTEE_V, sid, by_answer, survey=survey, by_attributes=False)
    assert "名未満のため" not in str(refused.value)


def test_differences_between_shown_groups_are_never_small_on_200():
    """Every pair of shown views where one contains the other: each option's count differs by 0 or ≥ k."""
    from facilitation.surveys import disclosure

    survey, attrs = generated()
    p = disclosure.protection(survey, attrs, K)
    masks = [np.asarray(m) for m in p.masks]
    for key in p.tables:
        for i, j in itertools.permutations(range(len(masks)), 2):
            if (masks[j] & ~masks[i]).any():
                continue  # j not inside i
            diff = np.where(p.shown[key][i] & p.shown[key][j], p.counts[key][i] - p.counts[key][j], 0)
            assert not ((diff > 0) & (diff < K)).any(), (key, i, j, diff)


def exactly_derivable(p, k: int = K) -> list[tuple]:
    """Small quantities (1..k−1) an attacker can compute exactly from every count shown at once.

    Unknowns: each option's count in each "atom" (respondents in the same views). Known: every shown
    cell of every view, and each view's base (single choice). A quantity is exactly derivable when its
    vector lies in the span of the known ones. Checked: every atom's cell, every view's cell and every
    difference of two nested views' cells whose true value is 1..k−1.
    """
    views = np.array(p.masks)
    signature: dict[bytes, int] = {}
    atom = np.array([signature.setdefault(views[:, i].tobytes(), len(signature)) for i in range(views.shape[1])])
    inside = np.zeros((len(views), len(signature)), dtype=bool)  # view × atom
    for i in range(views.shape[1]):
        inside[:, atom[i]] |= views[:, i]
    tables = []
    for key, t in p.tables.items():  # options of a multi choice or a word list are independent
        cols = [list(range(len(t.categories)))] if t.disjoint else [[j] for j in range(len(t.categories))]
        tables += [(key, t, c) for c in cols if c]
    found = []
    for key, t, cols in tables:
        n_atoms, n_cols = len(signature), len(cols)
        true = np.zeros((n_atoms, n_cols), dtype=int)
        np.add.at(true, atom, t.ind[:, cols].astype(int))
        shown = p.shown[key][:, cols]

        def vec(atoms, col=None, n_atoms=n_atoms, n_cols=n_cols):
            v = np.zeros((n_atoms, n_cols))
            if col is None:
                v[atoms, :] = 1
            else:
                v[atoms, col] = 1
            return v.ravel()

        known = [vec(inside[v], c) for v in range(len(views)) for c in range(n_cols) if shown[v, c]]
        if t.disjoint:
            known += [vec(inside[v]) for v in range(len(views))]
        basis = np.zeros((0, n_atoms * n_cols))
        if known:
            _, sing, vt = np.linalg.svd(np.array(known), full_matrices=False)
            basis = vt[sing > 1e-9]
        targets = [(("atom", a, c), vec(np.arange(n_atoms) == a, c))
                   for a in range(n_atoms) for c in range(n_cols) if 0 < true[a, c] < k]
        for v in range(len(views)):
            for w in [None, *range(len(views))]:
                if w == v or (w is not None and (inside[w] & ~inside[v]).any()):
                    continue
                region = inside[v] if w is None else inside[v] & ~inside[w]
                targets += [(("cell" if w is None else "difference", v, w, c), vec(region, c))
                            for c in range(n_cols) if 0 < true[region, c].sum() < k]
        if targets:
            m = np.array([tv for _, tv in targets])
            residual = np.abs(m - (m @ basis.T) @ basis).max(axis=1)
            found += [(key, what) for (what, _), r in zip(targets, residual, strict=True) if r < 1e-8]
    return found


def test_no_small_count_is_exactly_derivable_from_every_shown_count_together(demo):
    """Beyond pairs: all the committee's counts as one system of equations (the standard audit of a
    suppressed table) determine no count of 1..k−1, on the demo and on 200 respondents."""
    from facilitation.surveys import disclosure

    _, _, survey, attrs = demo
    assert exactly_derivable(disclosure.protection(survey, attrs, K)) == []
    survey, attrs = generated()
    assert exactly_derivable(disclosure.protection(survey, attrs, K)) == []


# --- Trends and word bars -------------------------------------------------------------------------

USEFUL = "情報交換会に参加して、いかがでしたか"


@pytest.fixture
def two_meetings(tmp_path):
    """A meeting of 2 respondents, then one of 12 (1 「あまり役に立たなかった」; words in 6, 2 and 1 comments)."""
    import datetime as dt

    from facilitation.meetings import schedule

    url = f"sqlite:///{tmp_path / 't.sqlite3'}"
    headers = ["タイムスタンプ", USEFUL, "ご意見・ご感想"]
    answers = [["とても役に立った", "役に立った"],
               ["とても役に立った"] * 6 + ["役に立った"] * 5 + ["あまり役に立たなかった"]]
    texts = [["フードバンクの話がよかった", "家計改善の話"],
             ["フードバンクの連携が参考になった"] * 6 + ["家計改善支援事業の話"] * 2 + ["りんくの石川さんの話"] + [""] * 3]
    with db.session(url) as s:
        for i, (a, t) in enumerate(zip(answers, texts, strict=True)):
            m = schedule.add_meeting(s, schedule.MeetingInput(title=f"第{i + 1}回", starts_at=dt.datetime(2025, 6 + i, 1, 14)))
            rows = [[f"2025/0{6 + i}/01 1{j % 10}:00:00", x, y] for j, (x, y) in enumerate(zip(a, t, strict=True))]
            store.import_table(s, ADMIN, Table(headers=headers, rows=rows), title=f"第{i + 1}回アンケート", meeting_id=m.id)
    return url


def test_the_committees_trend_shows_no_group_below_k(two_meetings):
    with db.session(two_meetings) as s:
        trend = store.trend(s, USEFUL, viewer=COMMITTEE_V)
        full = store.trend(s, USEFUL)
    assert list(full.base) == [2, 12]  # the secretariat's trend is whole
    assert len(trend) == 1 and (trend.base >= K).all(), trend  # the survey of 2 is not in the committee's trend
    # 11 of 12 favourable: 12 − 11 = 1 person; the count and the share are hidden.
    assert trend.positive.isna().all() and trend.positive_share.isna().all()


def test_the_committees_word_bars_count_only_words_of_k_comments(two_meetings):
    with db.session(two_meetings) as s:
        sid = next(i.id for i in store.list_surveys(s) if i.responses == 12)
        terms = comments.results(s, COMMITTEE_V, sid).question("ご意見・ご感想").terms
        admin_terms = comments.results(s, ADMIN, sid).question("ご意見・ご感想").terms
    assert {"フードバンク", "連携"} <= set(terms.term) and (terms.documents >= K).all(), terms
    assert not {"家計改善支援事業", "石川"} & set(terms.term)  # in 2 comments and in 1
    assert {"家計改善支援事業", "フードバンク"} <= set(admin_terms.term)


def test_the_threshold_is_a_setting_the_secretariat_changes(sqlite_url):
    from facilitation.errors import AccessDenied
    from facilitation.surveys import disclosure

    with db.session(sqlite_url) as s:
        assert disclosure.threshold(s) == 5
        with pytest.raises(AccessDenied):
            disclosure.set_threshold(s, COMMITTEE_V, 2)
        with pytest.raises(UserError, match="3〜50名"):
            disclosure.set_threshold(s, ADMIN, 2)
        disclosure.set_threshold(s, ADMIN, 8)
    with db.session(sqlite_url) as s:
        assert disclosure.threshold(s) == 8
