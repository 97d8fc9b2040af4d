"""How good an assignment is, at a glance, against Zoom's random split and a first-come greedy;
and, for each person, a Japanese sentence saying why they are in their room."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from facilitation.assignment.baselines import greedy_split, random_split
from facilitation.assignment.check import Violation, gov_bounds, room_members, score, violations
from facilitation.assignment.instance import Instance, PersonSpec
from facilitation.text import vocab

RANK_NAMES = ("第1希望", "第2希望", "第3希望", "第4希望", "第5希望")
SECTOR_ORDER = (vocab.KIND_MUNICIPALITY, vocab.KIND_NATIONAL, vocab.KIND_SHAKYO, vocab.KIND_PRIVATE)


@dataclass
class Metrics:
    """One assignment's figures; shares are of the people who gave at least one valid choice."""

    label: str
    shares: list[float]  # 1st, 2nd, 3rd choice
    unchosen: float
    violations: float  # number of rule violations (mean over runs for the random split)
    repeats: float  # pairs meeting again, counted per past group
    objective: float


@dataclass
class QualityReport:
    optimised: Metrics
    random: Metrics
    greedy: Metrics
    violations: list[Violation]
    composition: pd.DataFrame
    with_choices: int
    no_choice: int
    notes: list[str] = field(default_factory=list)

    def table(self) -> pd.DataFrame:
        """The comparison as rows of figures (Japanese labels), one column per method."""
        rows = []
        ms = (self.optimised, self.random, self.greedy)
        for k in range(3):
            rows.append([f"{RANK_NAMES[k]}に入った割合", *(f"{m.shares[k] * 100:.0f}%" for m in ms)])
        rows.append(["希望外のルームの割合", *(f"{m.unchosen * 100:.0f}%" for m in ms)])
        rows.append(["決まりの違反（件）", *(_num(m.violations) for m in ms)])
        rows.append(["以前と同じ顔ぶれのペア（組）", *(_num(m.repeats) for m in ms)])
        rows.append(["評価値（大きいほど良い）", *(_num(m.objective) for m in ms)])
        return pd.DataFrame(rows, columns=["指標", *(m.label for m in ms)])


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def metrics(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str], label: str) -> Metrics:
    s = score(instance, assignment, facilitators)
    base = max(1, len(instance.people) - s.no_choice)
    return Metrics(label=label, shares=[s.by_rank[k] / base for k in range(3)], unchosen=s.unchosen / base,
                   violations=len(violations(instance, assignment, facilitators)), repeats=s.repeats,
                   objective=s.objective)


def random_metrics(instance: Instance, runs: int = 20) -> Metrics:
    """The average of `runs` random splits (Zoom's automatic assignment)."""
    ms = [metrics(instance, *random_split(instance, seed), "ランダム") for seed in range(runs)]
    n = len(ms)
    return Metrics(
        label="ランダム（Zoomの自動割り当て）",
        shares=[sum(m.shares[k] for m in ms) / n for k in range(3)],
        unchosen=sum(m.unchosen for m in ms) / n,
        violations=sum(m.violations for m in ms) / n,
        repeats=sum(m.repeats for m in ms) / n,
        objective=sum(m.objective for m in ms) / n,
    )


def report(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str],
           random_runs: int = 20) -> QualityReport:
    """Quality of an assignment next to a random split and a first-come greedy on the same people."""
    s = score(instance, assignment, facilitators)
    return QualityReport(
        optimised=metrics(instance, assignment, facilitators, "この割り当て"),
        random=random_metrics(instance, random_runs),
        greedy=metrics(instance, *greedy_split(instance), "先着順（希望順に空きへ）"),
        violations=violations(instance, assignment, facilitators),
        composition=composition(instance, assignment, facilitators),
        with_choices=len(instance.people) - s.no_choice,
        no_choice=s.no_choice,
    )


def composition(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]) -> pd.DataFrame:
    """Per room: size, capacity, people by sector, regions and programs (counts only, no names)."""
    members = room_members(instance, assignment)
    sectors = [s for s in SECTOR_ORDER if any(p.sector == s for p in instance.people)]
    sectors += sorted({p.sector for p in instance.people if p.sector and p.sector not in sectors})
    rows = []
    for r in instance.rooms:
        ps = members[r.id]
        row: dict[str, object] = {"ルーム": r.label, "テーマ": r.theme, "人数": len(ps),
                                  "定員": r.capacity if r.capacity is not None else "",
                                  "ファシリテーター": "あり" if r.id in facilitators else "なし"}
        for sec in sectors:
            row[sec] = sum(1 for p in ps if p.sector == sec)
        areas = Counter(vocab.short_region(p.area) for p in ps if p.area)
        row["地域数"] = len(areas)
        row["地域の内訳"] = "・".join(f"{a}{n}" for a, n in areas.most_common())
        programs = Counter(x for p in ps for x in p.programs)
        row["事業の内訳"] = "・".join(f"{a}{n}" for a, n in programs.most_common(4))
        rows.append(row)
    return pd.DataFrame(rows)


# --- why each person is where they are ---

def explain_all(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]) -> dict[str, str]:
    """Person id → one Japanese sentence on why they are in their room."""
    ctx = _Context(instance, assignment, facilitators)
    return {p.id: ctx.explain(p) for p in instance.people if p.id in assignment}


class _Context:
    def __init__(self, instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]):
        self.instance = instance
        self.assignment = assignment
        self.fac_of = {pid: rid for rid, pid in facilitators.items()}
        self.rooms = {r.id: r for r in instance.rooms}
        members = room_members(instance, assignment)
        self.size = {rid: len(ps) for rid, ps in members.items()}
        self.org = Counter((p.org, rid) for rid, ps in members.items() for p in ps if p.org)
        self.gov = Counter(rid for rid, ps in members.items() for p in ps if p.government)
        self.gov_hi = gov_bounds(instance)[1]
        self.past = {}
        for group in instance.past_rooms:
            for pid in group:
                self.past.setdefault(pid, set()).update(x for x in group if x != pid)
        self.members = {rid: {p.id for p in ps} for rid, ps in members.items()}

    def theme(self, rid: str) -> str:
        r = self.rooms[rid]
        return f"「{r.theme}」" if r.theme else r.label

    def blocked(self, p: PersonSpec, rid: str) -> str:
        """Why the first choice did not work out, best guess from the final rooms."""
        rules, r = self.instance.rules, self.rooms[rid]
        first = f"第1希望の{r.label}"
        if r.capacity is not None and self.size[rid] >= r.capacity:
            return f"{first}は定員 {r.capacity} 名に達しているため"
        if rules.max_per_org is not None and p.org and self.org[p.org, rid] >= rules.max_per_org:
            return f"{first}には同じ機関の方がすでに {self.org[p.org, rid]} 名いるため"
        if rules.spread_government and p.government and self.gov[rid] >= self.gov_hi:
            return f"{first}には自治体・国の方がすでに {self.gov[rid]} 名いて、各ルームに均等に分けるため"
        if p.id in self.fac_of:
            return "ファシリテーターが必要なルームに入っていただくため"
        if self.past.get(p.id, set()) & self.members[rid]:
            return f"{first}には以前同じルームだった方がいるため"
        if p.previous is not None and p.previous == self.assignment.get(p.id):
            return "公開済みの割り当てからなるべく動かさないため"
        return "全体で希望がなるべく多くかなうように調整したため"

    def explain(self, p: PersonSpec) -> str:
        rid = self.assignment[p.id]
        parts = []
        fixed = self.rooms[rid].facilitator == p.id
        if fixed:
            parts.append("事務局がこのルームのファシリテーターに指定しています。")
        elif p.id in self.fac_of:
            parts.append("ファシリテーターをお願いしています。")
        if p.pinned == rid:
            parts.append("事務局が手動でこのルームに固定しています。")
        if p.choices and rid in p.choices:
            k = p.choices.index(rid)
            text = f"{RANK_NAMES[k] if k < len(RANK_NAMES) else f'第{k + 1}希望'}の{self.theme(rid)}です"
            if k > 0:
                text += f"（{self.blocked(p, p.choices[0])}）"
            parts.append(text + "。")
        elif p.choices:
            if p.pinned != rid and not fixed:
                parts.append(f"希望のルームに入れませんでした（{self.blocked(p, p.choices[0])}）。")
        else:
            parts.append("希望の記入がないため、決まりを満たす空きのあるルームにしました。")
        if p.previous is not None and p.previous == rid and p.pinned != rid:
            parts.append("公開済みの割り当てから変わっていません。")
        return "".join(parts)
