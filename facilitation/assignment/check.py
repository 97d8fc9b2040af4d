"""Re-checking an assignment against the rules, and scoring it the way the solver does.

Used after every manual move, by the quality report, and by tests to confirm solver answers
independently of the model that produced them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from facilitation.assignment.instance import GROUP_HOMOGENEOUS, Instance, PersonSpec, experience_band

# Rule names shared with diagnose (relaxations) and the page's rule switches.
RULE_CAPACITY = "capacity"
RULE_MIN = "min_per_room"
RULE_FACILITATOR = "one_facilitator_per_room"
RULE_ORG = "max_per_org"
RULE_GOV = "spread_government"
RULE_PINS = "pins"
RULE_FIXED_FACILITATOR = "fixed_facilitator"
RULE_EVERYONE = "everyone"

RULE_LABELS = {
    RULE_CAPACITY: "ルームの定員",
    RULE_MIN: "1ルームの最少人数",
    RULE_FACILITATOR: "各ルームにファシリテーター1名",
    RULE_ORG: "同じ機関は1ルームに上限まで",
    RULE_GOV: "自治体・国の方を各ルームに均等に",
    RULE_PINS: "事務局が固定した配置",
    RULE_FIXED_FACILITATOR: "ルームに指定したファシリテーター",
    RULE_EVERYONE: "全員をどこかのルームに",
}


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str  # Japanese, names the room and the people


@dataclass
class Score:
    """What an assignment achieves, in the objective's own terms (unscaled)."""

    by_rank: list[int]  # people placed in their 1st, 2nd, 3rd… choice
    unchosen: int  # had choices, placed elsewhere
    no_choice: int  # gave no (valid) choice
    choices: float  # sum of choice weights
    repeats: int  # pairs meeting again, counted per past group
    repeat_pairs: int  # distinct pairs meeting again
    grouping: float  # homogeneous: people matching their room's label; mixed: excess over fair share
    moves: int  # people with a previous room who are elsewhere now
    objective: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def display(p: PersonSpec) -> str:
    return f"{p.name}さん" if p.name else f"参加者「{p.id}」"


def group_values(p: PersonSpec, key: str) -> list[str]:
    """The values a person has for a grouping key (several programs, one of the others)."""
    if key == "programs":
        return list(dict.fromkeys(p.programs))
    if key == "experience":
        band = experience_band(p.experience)
        return [band] if band else []
    value = {"role": p.role, "sector": p.sector, "area": p.area}[key]
    return [value] if value else []


def gov_bounds(instance: Instance) -> tuple[int, int]:
    """Officials per room when spread evenly: (floor, ceil) of their number over the rooms."""
    g = sum(1 for p in instance.people if p.government)
    r = len(instance.rooms)
    return g // r, math.ceil(g / r)


def violations(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str]) -> list[Violation]:
    """Every hard rule the assignment breaks, in Japanese (empty when all hold)."""
    rules = instance.rules
    rooms = {r.id: r for r in instance.rooms}
    people = {p.id: p for p in instance.people}
    out: list[Violation] = []
    members: dict[str, list[PersonSpec]] = defaultdict(list)
    for p in instance.people:
        room = assignment.get(p.id)
        if room is None:
            out.append(Violation(RULE_EVERYONE, f"{display(p)}がどのルームにも入っていません。"))
        elif room not in rooms:
            out.append(Violation(RULE_EVERYONE, f"{display(p)}のルーム「{room}」はありません。"))
        else:
            members[room].append(p)
    for r in instance.rooms:
        n = len(members[r.id])
        if r.capacity is not None and n > r.capacity:
            out.append(Violation(RULE_CAPACITY, f"{r.label}は {n} 名で、定員 {r.capacity} 名を超えています。"))
        if rules.min_per_room and n < rules.min_per_room:
            out.append(Violation(RULE_MIN, f"{r.label}は {n} 名で、最少人数 {rules.min_per_room} 名に足りません。"))
    for p in instance.people:
        if p.pinned and assignment.get(p.id) not in (None, p.pinned):
            out.append(Violation(RULE_PINS, f"{display(p)}は{rooms[p.pinned].label}に固定されていますが、"
                                            f"{rooms[assignment[p.id]].label if assignment[p.id] in rooms else assignment[p.id]}にいます。"))
    for r in instance.rooms:
        fid = facilitators.get(r.id)
        if r.facilitator is not None and fid != r.facilitator:
            out.append(Violation(RULE_FIXED_FACILITATOR,
                                 f"{r.label}のファシリテーターは{display(people[r.facilitator])}と指定されています。"))
        if fid is not None:
            if fid not in people:
                out.append(Violation(RULE_FACILITATOR, f"{r.label}のファシリテーター「{fid}」は参加者にいません。"))
                continue
            if assignment.get(fid) != r.id:
                out.append(Violation(RULE_FACILITATOR, f"{r.label}のファシリテーター{display(people[fid])}が"
                                                       f"そのルームにいません。"))
            if rules.one_facilitator_per_room and not people[fid].facilitator and r.facilitator != fid:
                out.append(Violation(RULE_FACILITATOR, f"{r.label}のファシリテーター{display(people[fid])}は"
                                                       f"ファシリテーター希望者ではありません。"))
        elif rules.one_facilitator_per_room:
            out.append(Violation(RULE_FACILITATOR, f"{r.label}にファシリテーターがいません。"))
    if rules.max_per_org is not None:
        for r in instance.rooms:
            counts = Counter(p.org for p in members[r.id] if p.org)
            for org, n in sorted(counts.items()):
                if n > rules.max_per_org:
                    out.append(Violation(RULE_ORG, f"{r.label}に「{org}」の方が {n} 名います"
                                                   f"（上限 {rules.max_per_org} 名）。"))
    if rules.spread_government:
        lo, hi = gov_bounds(instance)
        for r in instance.rooms:
            n = sum(1 for p in members[r.id] if p.government)
            if n < lo or n > hi:
                want = f"{lo} 名" if lo == hi else f"{lo}〜{hi} 名"
                out.append(Violation(RULE_GOV, f"{r.label}の自治体・国の方は {n} 名です（均等にするには {want}）。"))
    return out


def room_members(instance: Instance, assignment: dict[str, str]) -> dict[str, list[PersonSpec]]:
    members: dict[str, list[PersonSpec]] = {r.id: [] for r in instance.rooms}
    for p in instance.people:
        room = assignment.get(p.id)
        if room in members:
            members[room].append(p)
    return members


def repeats(instance: Instance, assignment: dict[str, str]) -> tuple[int, set[tuple[str, str]]]:
    """(pairs meeting again counted per past group, the distinct pairs)."""
    total = 0
    pairs: set[tuple[str, str]] = set()
    for group in instance.past_rooms:
        by_room: dict[str, list[str]] = defaultdict(list)
        for pid in group:
            room = assignment.get(pid)
            if room is not None:
                by_room[room].append(pid)
        for ids in by_room.values():
            k = len(ids)
            total += k * (k - 1) // 2
            for i in range(k):
                for j in range(i + 1, k):
                    pairs.add(tuple(sorted((ids[i], ids[j]))))
    return total, pairs


def grouping_score(instance: Instance, assignment: dict[str, str]) -> float:
    """The soft grouping term as the solver counts it (0 when no grouping mode is on).

    Homogeneous: for each room, people sharing the room's most common value (summed over keys).
    Mixed: for each room and value, people above the value's proportional share (rounded up).
    """
    g = instance.rules.grouping
    if g is None:
        return 0.0
    members = room_members(instance, assignment)
    n_total = len(instance.people)
    total = 0.0
    for key in g.by:
        counts = Counter(v for p in instance.people for v in group_values(p, key))
        for r in instance.rooms:
            here = Counter(v for p in members[r.id] for v in group_values(p, key))
            if g.mode == GROUP_HOMOGENEOUS:
                total += max((n for v, n in here.items() if counts[v] >= 2), default=0)
            else:
                size = len(members[r.id])
                for v, c in counts.items():
                    if c >= 2:
                        total += max(0, math.ceil(here[v] - c * size / n_total - 1e-9))
    return total


def score(instance: Instance, assignment: dict[str, str], facilitators: dict[str, str] | None = None) -> Score:
    """The objective and its parts for an assignment (facilitators do not change the score)."""
    rules = instance.rules
    weights = list(rules.choice_weights)
    by_rank = [0] * max(3, len(weights))
    unchosen = no_choice = moves = 0
    choices = 0.0
    for p in instance.people:
        room = assignment.get(p.id)
        if not p.choices:
            no_choice += 1
        elif room in p.choices:
            k = p.choices.index(room)
            if k >= len(by_rank):
                by_rank.extend([0] * (k + 1 - len(by_rank)))
            by_rank[k] += 1
            choices += weights[k] if k < len(weights) else 0
        else:
            unchosen += 1
        if p.previous is not None and room != p.previous:
            moves += 1
    rep, pairs = repeats(instance, assignment)
    grp = grouping_score(instance, assignment)
    sign = 1 if rules.grouping and rules.grouping.mode == GROUP_HOMOGENEOUS else -1
    gw = rules.grouping.weight if rules.grouping else 0
    objective = choices - rules.repeat_penalty * rep + sign * gw * grp
    return Score(by_rank=by_rank, unchosen=unchosen, no_choice=no_choice, choices=choices, repeats=rep,
                 repeat_pairs=len(pairs), grouping=grp, moves=moves, objective=objective)
