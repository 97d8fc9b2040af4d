"""Why no assignment exists, in Japanese: counting conditions first, then rule-by-rule relaxation.

The counting checks catch the usual mistakes in words the secretariat recognises (定員の合計 60 が
参加者 69 より少ない). When they find nothing, a deletion filter over the switched-on rules finds a
smallest set of rules that cannot hold together, and which single rule, if switched off, would let
the optimiser answer.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from facilitation.assignment.check import (
    RULE_CAPACITY,
    RULE_FACILITATOR,
    RULE_FIXED_FACILITATOR,
    RULE_GOV,
    RULE_LABELS,
    RULE_MIN,
    RULE_ORG,
    RULE_PINS,
    display,
    gov_bounds,
)
from facilitation.assignment.instance import Instance


def counting_problems(instance: Instance) -> list[str]:
    """Plain arithmetic reasons an instance cannot be solved (empty when none are found)."""
    rules = instance.rules
    out = _capacity_problems(instance)
    fixed_room, placed, fixed_out = _fixed_places(instance)
    out += fixed_out
    if rules.one_facilitator_per_room:
        out += _facilitator_problems(instance, fixed_room, placed)
    if rules.max_per_org is not None:
        out += _organisation_problems(instance, placed)
    if rules.spread_government:
        out += _government_problems(instance, placed)
    return out


def _capacity_problems(instance: Instance) -> list[str]:
    """Seats against people, and the minimum per room against rooms and their capacities."""
    rules = instance.rules
    n, n_rooms = len(instance.people), len(instance.rooms)
    out: list[str] = []
    if all(r.capacity is not None for r in instance.rooms):
        total = sum(r.capacity for r in instance.rooms)
        if total < n:
            out.append(f"定員の合計 {total} が参加者 {n} より少ないため、全員をルームに入れられません"
                       f"（あと {n - total} 名分の定員が必要です）。")
    if rules.min_per_room:
        if rules.min_per_room * n_rooms > n:
            out.append(f"1ルームの最少人数 {rules.min_per_room} 名 × ルーム {n_rooms} 室 = "
                       f"{rules.min_per_room * n_rooms} 名に対し、参加者が {n} 名しかいません。")
        for r in instance.rooms:
            if r.capacity is not None and r.capacity < rules.min_per_room:
                out.append(f"{r.label}の定員 {r.capacity} が、1ルームの最少人数 {rules.min_per_room} より少なくなっています。")
    return out


def _fixed_places(instance: Instance) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """Where people must be: {facilitator: their fixed room}, {room: people pinned or fixed there},
    and the contradictions among those pins."""
    rooms = {r.id: r for r in instance.rooms}
    people = {p.id: p for p in instance.people}
    out: list[str] = []
    fixed_room: dict[str, str] = {}
    for r in instance.rooms:
        if r.facilitator is None:
            continue
        p = people[r.facilitator]
        if r.facilitator in fixed_room:
            out.append(f"{display(p)}が{rooms[fixed_room[r.facilitator]].label}と{r.label}の"
                       f"両方のファシリテーターに指定されています。")
        elif p.pinned is not None and p.pinned != r.id:
            out.append(f"{display(p)}は{rooms[p.pinned].label}に固定されていますが、"
                       f"{r.label}のファシリテーターに指定されています。")
        fixed_room.setdefault(r.facilitator, r.id)
    placed: dict[str, list[str]] = defaultdict(list)
    for p in instance.people:
        room = p.pinned or fixed_room.get(p.id)
        if room:
            placed[room].append(p.id)
    for r in instance.rooms:
        k = len(placed[r.id])
        if r.capacity is not None and k > r.capacity:
            out.append(f"{r.label}に固定した {k} 名が定員 {r.capacity} を超えています。")
    return fixed_room, placed, out


def _facilitator_problems(instance: Instance, fixed_room: dict[str, str], placed: dict[str, list[str]]) -> list[str]:
    """Not enough willing facilitators, or none free for a room, or two fixed in one room."""
    rooms = {r.id: r for r in instance.rooms}
    people = {p.id: p for p in instance.people}
    n_rooms = len(instance.rooms)
    out: list[str] = []
    willing = {p.id for p in instance.people if p.facilitator} | set(fixed_room)
    if len(willing) < n_rooms:
        out.append(f"ファシリテーター希望者が {len(willing)} 名でルーム {n_rooms} 室に足りません。")
    else:
        for r in instance.rooms:
            if r.facilitator is not None:
                continue
            free = [pid for pid in willing if pid not in fixed_room
                    and people[pid].pinned in (None, r.id)]
            if not free:
                out.append(f"{r.label}に入れるファシリテーター希望者がいません"
                           f"（希望者は全員ほかのルームに固定されています）。")
    for rid, pids in placed.items():
        fac_here = [pid for pid in pids if pid in fixed_room and fixed_room[pid] == rid]
        if len(fac_here) > 1:
            out.append(f"{rooms[rid].label}にファシリテーターが {len(fac_here)} 名固定されています（1名まで）。")
    return out


def _organisation_problems(instance: Instance, placed: dict[str, list[str]]) -> list[str]:
    """An organisation too large for the rooms, or too many of it pinned in one room."""
    rooms = {r.id: r for r in instance.rooms}
    people = {p.id: p for p in instance.people}
    n_rooms = len(instance.rooms)
    out: list[str] = []
    k = instance.rules.max_per_org
    by_org = Counter(p.org for p in instance.people if p.org)
    for org, m in by_org.most_common():
        if m > k * n_rooms:
            out.append(f"「{org}」の参加者 {m} 名は、1ルーム {k} 名までの決まりでは"
                       f"ルーム {n_rooms} 室（最大 {k * n_rooms} 名）に入りきりません。")
    for rid, pids in placed.items():
        for org, m in Counter(people[pid].org for pid in pids if people[pid].org).items():
            if m > k:
                out.append(f"{rooms[rid].label}に固定した「{org}」の方が {m} 名で、上限 {k} 名を超えています。")
    return out


def _government_problems(instance: Instance, placed: dict[str, list[str]]) -> list[str]:
    """Officials that cannot be spread evenly: too many pinned in a room, or too few seats."""
    rooms = {r.id: r for r in instance.rooms}
    people = {p.id: p for p in instance.people}
    n_rooms = len(instance.rooms)
    out: list[str] = []
    lo, hi = gov_bounds(instance)
    g = sum(1 for p in instance.people if p.government)
    for rid, pids in placed.items():
        m = sum(1 for pid in pids if people[pid].government)
        if m > hi:
            out.append(f"{rooms[rid].label}に固定した自治体・国の方 {m} 名が、均等に分けたときの上限 "
                       f"{hi} 名（{g} 名を {n_rooms} 室に）を超えています。")
    for r in instance.rooms:
        if r.capacity is not None and r.capacity < lo:
            out.append(f"{r.label}の定員 {r.capacity} では、自治体・国の方を各ルーム {lo} 名ずつ入れられません。")
    if g:
        room_slots = sum(min(hi, r.capacity if r.capacity is not None else hi) for r in instance.rooms)
        if room_slots < g:
            out.append(f"自治体・国の方 {g} 名を各ルーム {hi} 名までに分けると、定員が足りません。")
    return out


def wishes_against_rules(instance: Instance) -> list[str]:
    """Switched-on rules that will move people off their first wish, said before a run (a room for
    自治体担当者 with 「自治体・国の方を各ルームに均等に」 on sends most of them elsewhere, silently)."""
    rules = instance.rules
    out: list[str] = []
    first = defaultdict(list)
    for p in instance.people:
        if p.choices and not p.pinned:
            first[p.choices[0]].append(p)
    if rules.spread_government and instance.rooms:
        _lo, hi = gov_bounds(instance)
        for r in instance.rooms:
            m = sum(1 for p in first.get(r.id, []) if p.government)
            if m > hi:
                out.append(f"{r.label}を第1希望にした自治体・国の方は {m} 名ですが、「{RULE_LABELS[RULE_GOV]}」では"
                           f"1ルーム {hi} 名までのため、{m - hi} 名以上は第1希望のルームに入れません。このルームを自治体・"
                           "国の方のためのルームにするときは、この決まりをオフにしてください。")
    if rules.max_per_org is not None:
        k = rules.max_per_org
        for r in instance.rooms:
            for org, m in Counter(p.org for p in first.get(r.id, []) if p.org).items():
                if m > k:
                    out.append(f"「{org}」の {m} 名が{r.label}を第1希望にしていますが、「{RULE_LABELS[RULE_ORG]}」"
                               f"（{k} 名まで）のため、{m - k} 名は第1希望のルームに入れません。")
    return out


def active_rules(instance: Instance) -> list[str]:
    """The hard rules this instance switches on (the candidates for relaxation)."""
    rules = instance.rules
    out = []
    if any(r.capacity is not None for r in instance.rooms):
        out.append(RULE_CAPACITY)
    if rules.min_per_room:
        out.append(RULE_MIN)
    if rules.one_facilitator_per_room:
        out.append(RULE_FACILITATOR)
    if rules.max_per_org is not None:
        out.append(RULE_ORG)
    if rules.spread_government:
        out.append(RULE_GOV)
    if any(p.pinned for p in instance.people):
        out.append(RULE_PINS)
    if any(r.facilitator for r in instance.rooms):
        out.append(RULE_FIXED_FACILITATOR)
    return out


def conflicting_rules(instance: Instance, time_limit: float = 3.0, backend: str | None = None) -> tuple[list[str], list[str]]:
    """(a smallest set of rules that cannot hold together, the rules whose removal alone helps)."""
    from facilitation.assignment.solver import DEFAULT_BACKEND, feasible

    backend = backend or DEFAULT_BACKEND
    active = active_rules(instance)

    def ok(kept: list[str]) -> bool:
        relax = frozenset(r for r in active if r not in kept)
        return feasible(instance, relax=relax, time_limit=time_limit, backend=backend) is True

    single = [r for r in active if ok([x for x in active if x != r])]
    core = list(active)
    for rule in list(active):  # deletion filter: drop every rule the conflict does not need
        trial = [x for x in core if x != rule]
        if not ok(trial):
            core = trial
    return core, single


def diagnose(instance: Instance, backend: str | None = None, time_limit: float = 3.0) -> list[str]:
    """Japanese sentences saying which rules conflict; never empty for an infeasible instance."""
    found = counting_problems(instance)
    if found:
        return found
    core, single = conflicting_rules(instance, time_limit=time_limit, backend=backend)
    labels = [f"「{RULE_LABELS[r]}」" for r in core]
    out = []
    if len(labels) >= 2:
        out.append(f"{'と'.join(labels)}を同時には満たせません。")
    elif len(labels) == 1:
        out.append(f"{labels[0]}の決まりだけで、全員を割り当てられません。")
    else:
        out.append("全員を1つずつのルームに入れる割り当てが見つかりません。")
    if single:
        names = "、".join(f"「{RULE_LABELS[r]}」" for r in single)
        out.append(f"次のどれか1つを外すか緩めると割り当てられます: {names}。")
    elif len(core) >= 2:
        out.append("1つ外すだけでは足りません。定員やルーム数も見直してください。")
    return out
