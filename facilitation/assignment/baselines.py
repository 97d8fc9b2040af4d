"""What the optimiser is compared with: Zoom's random split and a simple first-come greedy."""

from __future__ import annotations

import random
from collections import Counter

from facilitation.assignment.check import gov_bounds
from facilitation.assignment.instance import Instance


def random_split(instance: Instance, seed: int = 0) -> tuple[dict[str, str], dict[str, str]]:
    """Zoom's 自動割り当て: shuffle everyone and deal them into rooms in turn (choices ignored)."""
    rng = random.Random(seed)
    ids = [p.id for p in instance.people]
    rng.shuffle(ids)
    rooms = [r.id for r in instance.rooms]
    assignment = {pid: rooms[k % len(rooms)] for k, pid in enumerate(ids)}
    return assignment, _pick_facilitators(instance, assignment)


def greedy_split(instance: Instance) -> tuple[dict[str, str], dict[str, str]]:
    """First come, first served: each person in order gets their highest choice that still has room
    and keeps the organisation and officials rules; otherwise the emptiest room that does."""
    rules = instance.rules
    cap = {r.id: (r.capacity if r.capacity is not None else len(instance.people)) for r in instance.rooms}
    size: Counter[str] = Counter()
    org_count: Counter[tuple[str, str]] = Counter()
    gov_count: Counter[str] = Counter()
    _lo, gov_hi = gov_bounds(instance)
    assignment: dict[str, str] = {}
    fixed = {r.facilitator: r.id for r in instance.rooms if r.facilitator}

    def place(pid: str, room: str, org: str, gov: bool) -> None:
        assignment[pid] = room
        size[room] += 1
        if org:
            org_count[org, room] += 1
        if gov:
            gov_count[room] += 1

    def fits(room: str, org: str, gov: bool) -> bool:
        if size[room] >= cap[room]:
            return False
        if rules.max_per_org is not None and org and org_count[org, room] >= rules.max_per_org:
            return False
        return not (rules.spread_government and gov and gov_count[room] >= gov_hi)

    rest = []
    for p in instance.people:
        room = p.pinned or fixed.get(p.id)
        if room:
            place(p.id, room, p.org, p.government)
        else:
            rest.append(p)
    for p in rest:
        options = [c for c in p.choices if fits(c, p.org, p.government)]
        if not options:
            options = sorted((r.id for r in instance.rooms if fits(r.id, p.org, p.government)), key=size.__getitem__)
        if not options:
            options = sorted((r.id for r in instance.rooms if size[r.id] < cap[r.id]), key=size.__getitem__)
        if not options:
            options = sorted((r.id for r in instance.rooms), key=size.__getitem__)
        place(p.id, options[0], p.org, p.government)
    return assignment, _pick_facilitators(instance, assignment)


def _pick_facilitators(instance: Instance, assignment: dict[str, str]) -> dict[str, str]:
    """The fixed facilitator, else the first willing person in the room (none when nobody is)."""
    out: dict[str, str] = {}
    for r in instance.rooms:
        if r.facilitator and assignment.get(r.facilitator) == r.id:
            out[r.id] = r.facilitator
    for p in instance.people:
        room = assignment.get(p.id)
        if p.facilitator and room is not None and room not in out:
            out[room] = p.id
    return out
