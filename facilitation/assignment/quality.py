"""How good an assignment is, at a glance, against Zoom's random split and a first-come greedy;
and, for each person, a Japanese sentence saying why they are in their room.

Frames for a page or the CLI have English snake_case columns, shown under the Japanese headers of
the *_LABELS dict next to each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from facilitation.assignment.baselines import greedy_split, random_split
from facilitation.assignment.check import Violation, gov_bounds, room_members, score, violations
from facilitation.assignment.instance import GROUP_HOMOGENEOUS, Instance, PersonSpec, Rules
from facilitation.text import vocab

RANK_NAMES = ("第1希望", "第2希望", "第3希望", "第4希望", "第5希望")
SECTOR_ORDER = (vocab.KIND_MUNICIPALITY, vocab.KIND_NATIONAL, vocab.KIND_SHAKYO, vocab.KIND_PRIVATE)
OPTIMISED, RANDOM, GREEDY = "この割り当て", "ランダム（Zoomの自動割り当て）", "先着順（希望順に空きへ）"  # method names
TABLE_LABELS = {"metric": "指標", "optimised": OPTIMISED, "random": RANDOM, "greedy": GREEDY}


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
        """The comparison as rows of figures (Japanese row names), one column per method (headers:
        TABLE_LABELS).

        The rule violations come first and stand beside each score: a method that breaks rules gets
        its score marked as not comparable, since breaking rules is what lets it score higher.
        """
        rows = []
        ms = (self.optimised, self.random, self.greedy)
        rows.append(["決まりの違反（件）", *(_num(m.violations) for m in ms)])
        for k in range(3):
            rows.append([f"{RANK_NAMES[k]}に入った割合", *(f"{m.shares[k] * 100:.0f}%" for m in ms)])
        rows.append(["希望外のルームの割合", *(f"{m.unchosen * 100:.0f}%" for m in ms)])
        rows.append(["前回までと同じ顔ぶれの重なり（組）", *(_num(m.repeats) for m in ms)])
        rows.append(["評価値（大きいほど良い）", *(_score_cell(m) for m in ms)])
        return pd.DataFrame(rows, columns=list(TABLE_LABELS))

    def comparison_note(self) -> str:
        """One or two Japanese sentences on how to read the comparison (which scores count)."""
        o = self.optimised
        breakers = [m for m in (self.random, self.greedy) if m.violations > 0]
        parts = []
        if breakers:
            names = "・".join(f"{m.label.split('（')[0]}（決まりの違反 {_num(m.violations)}件）" for m in breakers)
            parts.append(f"{names}は決まりを守っていないため、評価値が高くても使えません。評価値を比べられるのは"
                         "決まりを守った割り当てどうしだけです。")
        if o.violations > 0:
            parts.append(f"この割り当ても決まりに合わない点が {_num(o.violations)}件あります（手直しの後など）。")
        elif breakers:
            parts.append("この割り当ては決まりをすべて守っています。")
        return "".join(parts)


def _num(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.1f}"


def _score_cell(m: Metrics) -> str:
    if m.violations > 0:
        return f"{_num(m.objective)}（決まりの違反 {_num(m.violations)}件のため比較できません）"
    return _num(m.objective)


# --- the rules, in words ---

GROUP_BY_LABELS = {"programs": "担当事業", "role": "職種", "experience": "経験年数", "sector": "区分", "area": "地域"}


def describe_rules(rules: Rules) -> list[str]:
    """The rules an assignment was made with, one Japanese phrase each (room capacity always)."""
    out = ["ルームの定員"]
    if rules.one_facilitator_per_room:
        out.append("各ルームにファシリテーター1名（希望者から）")
    if rules.spread_government:
        out.append("自治体・国の方を各ルームに均等に")
    if rules.max_per_org is not None:
        out.append(f"同じ機関の方は1ルームに{rules.max_per_org}名まで")
    if rules.min_per_room is not None:
        out.append(f"1ルーム{rules.min_per_room}名以上")
    if rules.repeat_penalty:
        out.append("以前同じルームだった方となるべく重ならないように")
    if rules.grouping is not None:
        how = "同じ立場・経験でまとめる" if rules.grouping.mode == GROUP_HOMOGENEOUS else "地域・立場を混ぜる"
        by = "・".join(GROUP_BY_LABELS.get(b, b) for b in rules.grouping.by)
        out.append(f"{how}（{by}）")
    if rules.least_change:
        out.append("公開済みの割り当てからなるべく動かさない")
    return out


def rules_sentence(rules: Rules) -> str:
    """「決まり: …。希望の点: …」 for the page and the roster."""
    w = list(rules.choice_weights)
    points = "・".join(f"第{k + 1}希望 {_num(float(x))}点" for k, x in enumerate(w[:3]))
    return f"決まり: {'、'.join(describe_rules(rules))}。希望の点: {points}。"


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
        label=RANDOM,
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
        optimised=metrics(instance, assignment, facilitators, OPTIMISED),
        random=random_metrics(instance, random_runs),
        greedy=metrics(instance, *greedy_split(instance), GREEDY),
        violations=violations(instance, assignment, facilitators),
        composition=composition(instance, assignment, facilitators),
        with_choices=len(instance.people) - s.no_choice,
        no_choice=s.no_choice,
    )


COMPOSITION_LABELS = {"room": "ルーム", "theme": "テーマ", "people": "人数", "capacity": "定員",
                      "facilitator": "ファシリテーター", "regions": "地域数", "region_breakdown": "地域の内訳",
                      "program_breakdown": "事業の内訳"}


def composition(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]) -> pd.DataFrame:
    """Per room: size, capacity, people by sector, regions and programs (counts only, no names).

    Headers: COMPOSITION_LABELS; the sector columns between facilitator and regions are named by
    the sectors themselves (自治体, 社協…: values of the data, shown as they are)."""
    members = room_members(instance, assignment)
    sectors = [s for s in SECTOR_ORDER if any(p.sector == s for p in instance.people)]
    sectors += sorted({p.sector for p in instance.people if p.sector and p.sector not in sectors})
    rows = []
    for r in instance.rooms:
        ps = members[r.id]
        row: dict[str, object] = {"room": r.label, "theme": r.theme, "people": len(ps),
                                  "capacity": r.capacity if r.capacity is not None else "",
                                  "facilitator": "あり" if r.id in facilitators else "なし"}
        for sec in sectors:
            row[sec] = sum(1 for p in ps if p.sector == sec)
        areas = Counter(vocab.short_region(p.area) for p in ps if p.area)
        row["regions"] = len(areas)
        row["region_breakdown"] = "・".join(f"{a}{n}" for a, n in areas.most_common())
        programs = Counter(x for p in ps for x in p.programs)
        row["program_breakdown"] = "・".join(f"{a}{n}" for a, n in programs.most_common(4))
        rows.append(row)
    return pd.DataFrame(rows)


# --- why each person is where they are ---

CAUSE_CAPACITY, CAUSE_ORG, CAUSE_GOV, CAUSE_FACILITATOR = "capacity", "org", "gov", "facilitator"
CAUSE_PAST, CAUSE_LEAST_CHANGE, CAUSE_GROUPING, CAUSE_BALANCE = "past", "least_change", "grouping", "balance"
CAUSE_LABELS = {CAUSE_CAPACITY: "定員", CAUSE_ORG: "同じ機関の上限", CAUSE_GOV: "自治体・国の方を均等に",
                CAUSE_FACILITATOR: "ファシリテーターの配置", CAUSE_PAST: "以前同じルームだった方との重なり",
                CAUSE_LEAST_CHANGE: "公開済みの割り当てからなるべく動かさない",
                CAUSE_GROUPING: "グループの作り方", CAUSE_BALANCE: "全体で希望がかなう人を増やすため"}


def overall_explanation(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]) -> str:
    """A few Japanese sentences on the whole assignment: the rules it used, how many got their 1st,
    2nd and 3rd choice, what was traded off for whom, facilitators, and whether every rule holds."""
    rules = instance.rules
    placed = [p for p in instance.people if p.id in assignment]
    ctx = _Context(instance, assignment, facilitators)
    s = score(instance, {p.id: assignment[p.id] for p in placed}, facilitators)
    chose = [p for p in placed if p.choices]
    out = [f"この割り当ては「{'」「'.join(describe_rules(rules))}」の決まりで作りました。"]
    if chose:
        ranks = "、".join(f"{RANK_NAMES[k]} {s.by_rank[k]}名" for k in range(3))
        out.append(f"希望を出した {len(chose)}名のうち、{ranks}、希望外 {s.unchosen}名です。")
    blocked = Counter(ctx.cause(p, p.choices[0])[0] for p in chose
                      if assignment[p.id] != p.choices[0] and p.pinned != assignment[p.id]
                      and instance.room(assignment[p.id]).facilitator != p.id)
    if blocked:
        why = "、".join(f"{CAUSE_LABELS[c]}（{n}名）" for c, n in blocked.most_common())
        out.append(f"第1希望に入れなかった {sum(blocked.values())}名は、主に次のために調整しました: {why}。")
    elif chose:
        out.append("希望を出した方は全員が第1希望のルームです。")
    no_choice = sum(1 for p in placed if not p.choices)
    if no_choice:
        out.append(f"希望の記入がない {no_choice}名は、決まりを満たす空きのあるルームに入っています。")
    with_fac = sum(1 for r in instance.rooms if r.id in facilitators)
    if rules.one_facilitator_per_room:
        out.append(f"ファシリテーターは {len(instance.rooms)}室すべてに1名ずついます。" if with_fac == len(instance.rooms)
                   else f"ファシリテーターがいるのは {len(instance.rooms)}室中 {with_fac}室です。")
    else:
        out.append("「各ルームにファシリテーター1名」の決まりは使っていません"
                   + (f"（ファシリテーターがいるのは {len(instance.rooms)}室中 {with_fac}室）。"
                      if with_fac < len(instance.rooms) else "。"))
    if rules.repeat_penalty and instance.past_rooms:
        out.append(f"以前同じルームだった方どうしの重なりは {s.repeats}組です。" if s.repeats
                   else "以前同じルームだった方どうしは、同じルームになっていません。")
    broken = violations(instance, assignment, facilitators)
    out.append(f"決まりに合わない点が {len(broken)}件あります（下の一覧を確認してください）。" if broken
               else "決まりはすべて守られています。")
    return "".join(out)

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
        return self.cause(p, rid)[1]

    def cause(self, p: PersonSpec, rid: str) -> tuple[str, str]:
        """(cause key, Japanese clause) of a first choice not granted; only rules that were on count."""
        rules, r = self.instance.rules, self.rooms[rid]
        first = f"第1希望の{r.label}"
        if r.capacity is not None and self.size[rid] >= r.capacity:
            return CAUSE_CAPACITY, f"{first}は定員 {r.capacity} 名に達しているため"
        if rules.max_per_org is not None and p.org and self.org[p.org, rid] >= rules.max_per_org:
            return CAUSE_ORG, f"{first}には同じ機関の方がすでに {self.org[p.org, rid]} 名いるため"
        if rules.spread_government and p.government and self.gov[rid] >= self.gov_hi:
            return CAUSE_GOV, f"{first}には自治体・国の方がすでに {self.gov[rid]} 名いて、各ルームに均等に分けるため"
        if p.id in self.fac_of and rules.one_facilitator_per_room:
            return CAUSE_FACILITATOR, "ファシリテーターが必要なルームに入っていただくため"
        if rules.repeat_penalty and self.past.get(p.id, set()) & self.members[rid]:
            return CAUSE_PAST, f"{first}には以前同じルームだった方がいるため"
        if rules.least_change and p.previous is not None and p.previous == self.assignment.get(p.id):
            return CAUSE_LEAST_CHANGE, "公開済みの割り当てからなるべく動かさないため"
        if rules.grouping is not None:
            return CAUSE_GROUPING, "グループの作り方（まとめる・混ぜる）と希望の両方を考えて調整したため"
        return CAUSE_BALANCE, "全体で希望がなるべく多くかなうように調整したため"

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
        if (self.instance.rules.least_change and p.previous is not None and p.previous == rid and p.pinned != rid
                and not any("動かさない" in x for x in parts)):
            parts.append("公開済みの割り当てから動かしていません（なるべく動かさない決まり）。")
        return "".join(parts)
