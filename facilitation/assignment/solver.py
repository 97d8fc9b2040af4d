"""The exact optimiser: one integer model, solved by OR-Tools CP-SAT (default) or HiGHS via scipy.

Model (x[p,r] = 1 when person p is in room r; maximised):
  sum of choice weights − repeat_penalty · (pairs meeting again, per past group) ± grouping term
subject to: everyone in exactly one room; pins; capacities; minimum room size; one facilitator per
room chosen from willing people; at most k per organisation per room; officials per room between
floor(G/R) and ceil(G/R) (i.e. counts differ by at most one).

Pairs meeting again are counted without pair variables: for a past group g and a room r with
n = members of g in r, the pairs are C(n, 2) = 1 + 2 + … + (n − 1), a convex function of n, written
exactly with increments δ_2…δ_top in [0, 1] costing 1, 2, …: n − 1 ≤ Σ δ_k, and minimisation fills
the cheapest first. One row per (group, room) keeps the LP small and as tight as the convex hull. Least change is lexicographic: first the
fewest moves of people who had a room, then the best objective among those answers.

Both backends read the same `LinearModel`; bench/assignment.py compares them and HiGHS was chosen
(it proves the 500 × 25 benchmark optimal where CP-SAT does not within 30 s; notes/issue-4.md).
Large instances (people × rooms above FULL_MODEL_MAX) are first solved with each person limited to
their choices plus a few rooms with spare places; the answer is then checked against upper bounds
of the full problem, so "optimal" is only claimed when proven for the full problem.
"""

from __future__ import annotations

import math
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from facilitation.assignment.check import (
    RULE_CAPACITY,
    RULE_FACILITATOR,
    RULE_FIXED_FACILITATOR,
    RULE_GOV,
    RULE_MIN,
    RULE_ORG,
    RULE_PINS,
    gov_bounds,
    group_values,
    score,
)
from facilitation.assignment.instance import (
    GROUP_HOMOGENEOUS,
    STATUS_FEASIBLE,
    STATUS_INFEASIBLE,
    STATUS_OPTIMAL,
    STATUS_UNKNOWN,
    Instance,
    Result,
)
from facilitation.errors import UserError

BACKEND_CPSAT = "cp-sat"
BACKEND_HIGHS = "highs"
BACKENDS = (BACKEND_CPSAT, BACKEND_HIGHS)
DEFAULT_BACKEND = BACKEND_HIGHS


@dataclass
class LinearModel:
    """A pure integer linear model both backends can read (maximisation, integer coefficients)."""

    lb: list[int] = field(default_factory=list)
    ub: list[int] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)  # False: continuous for HiGHS (tight anyway)
    rows: list[tuple[list[int], list[int], float, float]] = field(default_factory=list)
    objective: dict[int, int] = field(default_factory=dict)

    def var(self, lb: int = 0, ub: int = 1, integer: bool = True) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(integer)
        return len(self.lb) - 1

    def row(self, idx: list[int], coef: list[int], lo: float, hi: float) -> None:
        if idx:
            self.rows.append((idx, coef, lo, hi))

    def gain(self, idx: int, coef: int) -> None:
        if coef:
            self.objective[idx] = self.objective.get(idx, 0) + coef

    @property
    def size(self) -> tuple[int, int]:
        return len(self.lb), len(self.rows)


@dataclass
class Built:
    model: LinearModel
    x: list[dict[int, int]]  # [person] → {room index: variable}
    f: dict[tuple[int, int], int]  # (person, room) → facilitator variable
    scale: int
    stay: list[int]  # x variables of people staying in their previous room


@dataclass
class Solution:
    status: str
    values: np.ndarray | None
    objective: float | None
    bound: float | None
    seconds: float


def _scale(instance: Instance) -> int:
    """1 when every weight is an integer, else 100 (weights rounded to hundredths)."""
    r = instance.rules
    ws = [*r.choice_weights, r.repeat_penalty, r.grouping.weight if r.grouping else 0]
    return 1 if all(float(w).is_integer() for w in ws) else 100


def build(instance: Instance, relax: frozenset[str] = frozenset(), objective: bool = True,
          candidates: list[set[int]] | None = None) -> Built:
    """The integer model of an instance; `relax` names rules to leave out (for diagnosis);
    `candidates` limits each person to some rooms (a restricted model for large instances)."""
    rules = instance.rules
    m = LinearModel()
    room_index = {r.id: j for j, r in enumerate(instance.rooms)}
    scale = _scale(instance)
    x, in_room = _placements(instance, m, relax, candidates)
    size = _room_sizes(instance, m, relax, x, in_room)
    f: dict[tuple[int, int], int] = {}
    if rules.one_facilitator_per_room and RULE_FACILITATOR not in relax:
        f = _one_facilitator_per_room(instance, m, relax, x, in_room)
    if rules.max_per_org is not None and RULE_ORG not in relax:
        _few_per_organisation(instance, m, x)
    if rules.spread_government and RULE_GOV not in relax:
        _government_spread(instance, m, x)
    stay = [x[i][room_index[p.previous]] for i, p in enumerate(instance.people)
            if p.previous is not None and room_index[p.previous] in x[i]]
    if objective:
        _objective(instance, m, x, size, scale)
    return Built(model=m, x=x, f=f, scale=scale, stay=stay)


def _placements(instance: Instance, m: LinearModel, relax: frozenset[str],
                candidates: list[set[int]] | None) -> tuple[list[dict[int, int]], list[list[int]]]:
    """x[i][j]: person i in room j, one room each; pinned people and fixed facilitators have one
    room. Also, for each room, the persons who may be in it."""
    rooms, people = instance.rooms, instance.people
    room_index = {r.id: j for j, r in enumerate(rooms)}
    pins = RULE_PINS not in relax
    fixed_fac = RULE_FIXED_FACILITATOR not in relax
    fixed_by_person = {r.facilitator: room_index[r.id] for r in rooms if r.facilitator is not None}
    x: list[dict[int, int]] = []
    for i, p in enumerate(people):
        only = None
        if pins and p.pinned is not None:
            only = room_index[p.pinned]
        if fixed_fac and p.id in fixed_by_person:
            only = fixed_by_person[p.id] if only is None or only == fixed_by_person[p.id] else -1
        if only is not None:
            allowed = [only] if only >= 0 else []
        elif candidates is not None:
            allowed = sorted(candidates[i])
        else:
            allowed = list(range(len(rooms)))
        row = {j: m.var(1 if only == j else 0, 1) for j in allowed}
        x.append(row)
        if row:
            m.row(list(row.values()), [1] * len(row), 1, 1)
        else:
            m.row([m.var(0, 0)], [1], 1, 1)  # two fixed rooms at once: infeasible, diagnose says why
    in_room: list[list[int]] = [[] for _ in rooms]  # persons who may be in each room
    for i, row in enumerate(x):
        for j in row:
            in_room[j].append(i)
    return x, in_room


def _room_sizes(instance: Instance, m: LinearModel, relax: frozenset[str], x: list[dict[int, int]],
                in_room: list[list[int]]) -> list[int]:
    """size[j]: the people in room j, between the minimum per room and the room's capacity."""
    rules, n_people = instance.rules, len(instance.people)
    size = [m.var(0, n_people, integer=False) for _ in instance.rooms]
    for j, r in enumerate(instance.rooms):
        m.row([x[i][j] for i in in_room[j]] + [size[j]], [1] * len(in_room[j]) + [-1], 0, 0)
        hi = r.capacity if (r.capacity is not None and RULE_CAPACITY not in relax) else n_people
        lo = rules.min_per_room if (rules.min_per_room and RULE_MIN not in relax) else 0
        m.lb[size[j]], m.ub[size[j]] = min(lo, hi), hi
        if lo > hi:
            m.lb[size[j]] = lo  # keeps the contradiction visible to the solver (infeasible)
    return size


def _one_facilitator_per_room(instance: Instance, m: LinearModel, relax: frozenset[str], x: list[dict[int, int]],
                              in_room: list[list[int]]) -> dict[tuple[int, int], int]:
    """f[i, j]: willing person i facilitates room j (a fixed facilitator is the only candidate)."""
    fixed_fac = RULE_FIXED_FACILITATOR not in relax
    f: dict[tuple[int, int], int] = {}
    for j, r in enumerate(instance.rooms):
        cands = []
        for i in in_room[j]:
            p = instance.people[i]
            fixed_here = fixed_fac and r.facilitator == p.id
            if fixed_fac and r.facilitator is not None and not fixed_here:
                continue
            if p.facilitator or fixed_here:
                v = m.var(1 if fixed_here else 0, 1)
                f[i, j] = v
                m.row([v, x[i][j]], [1, -1], -math.inf, 0)
                cands.append(v)
        if cands:
            m.row(cands, [1] * len(cands), 1, 1)
        else:
            m.row([m.var(0, 0)], [1], 1, 1)  # no candidate: infeasible, diagnose says why
    return f


def _few_per_organisation(instance: Instance, m: LinearModel, x: list[dict[int, int]]) -> None:
    """At most `max_per_org` people of one organisation in a room."""
    limit = instance.rules.max_per_org
    orgs: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(instance.people):
        if p.org:
            orgs[p.org].append(i)
    for members in orgs.values():
        if len(members) > limit:
            for j in range(len(instance.rooms)):
                here = [x[i][j] for i in members if j in x[i]]
                if len(here) > limit:
                    m.row(here, [1] * len(here), 0, limit)


def _government_spread(instance: Instance, m: LinearModel, x: list[dict[int, int]]) -> None:
    """Officials spread evenly over the rooms (gov_bounds per room)."""
    gov = [i for i, p in enumerate(instance.people) if p.government]
    if gov:
        lo, hi = gov_bounds(instance)
        for j in range(len(instance.rooms)):
            here = [x[i][j] for i in gov if j in x[i]]
            if here:
                m.row(here, [1] * len(here), lo, hi)
            elif lo > 0:
                m.row([m.var(0, 0)], [1], lo, hi)


def _objective(instance: Instance, m: LinearModel, x: list[dict[int, int]], size: list[int], scale: int) -> None:
    rules = instance.rules
    rooms, people = instance.rooms, instance.people
    room_index = {r.id: j for j, r in enumerate(rooms)}
    weights = [round(w * scale) for w in rules.choice_weights]
    for i, p in enumerate(people):
        for k, rid in enumerate(p.choices[: len(weights)]):
            j = room_index[rid]
            if j in x[i]:
                m.gain(x[i][j], weights[k])

    penalty = round(rules.repeat_penalty * scale)
    if penalty:
        index = {p.id: i for i, p in enumerate(people)}
        for group in instance.past_rooms:
            members = [index[pid] for pid in group]
            for j, r in enumerate(rooms):
                here = [x[i][j] for i in members if j in x[i]]
                top = min(len(here), r.capacity if r.capacity is not None else len(here))
                if top < 2:
                    continue
                # n − 1 ≤ Σ δ_k (k = 2…top), each δ_k ≤ 1 costing k − 1: the cheapest fill is C(n, 2).
                deltas = [m.var(0, 1, integer=False) for _ in range(2, top + 1)]
                for k, d in enumerate(deltas, start=2):
                    m.gain(d, -penalty * (k - 1))
                m.row(here + deltas, [1] * len(here) + [-1] * len(deltas), -math.inf, 1)

    g = rules.grouping
    if g is None or not g.weight:
        return
    w = round(g.weight * scale)
    n_people = len(people)
    for key in g.by:
        values: dict[str, list[int]] = defaultdict(list)
        for i, p in enumerate(people):
            for v in group_values(p, key):
                values[v].append(i)
        values = {v: ids for v, ids in values.items() if len(ids) >= 2}
        if not values:
            continue
        for j, r in enumerate(rooms):
            cap = r.capacity if r.capacity is not None else n_people
            if g.mode == GROUP_HOMOGENEOUS:
                labels = []
                for ids in values.values():
                    here = [x[i][j] for i in ids if j in x[i]]
                    if len(here) < 2:
                        continue
                    top = min(cap, len(here))
                    lab = m.var(0, 1)
                    h = m.var(0, top, integer=False)
                    labels.append(lab)
                    m.row([h] + here, [1] + [-1] * len(here), -math.inf, 0)
                    m.row([h, lab], [1, -top], -math.inf, 0)
                    m.gain(h, w)
                if labels:
                    m.row(labels, [1] * len(labels), 0, 1)
            else:  # mixed: e ≥ count − share·size, rounded up to whole people
                for ids in values.values():
                    here = [x[i][j] for i in ids if j in x[i]]
                    if not here:
                        continue
                    e = m.var(0, min(cap, len(here)))
                    m.row([e] + here + [size[j]], [n_people] + [-n_people] * len(here) + [len(ids)], 0, math.inf)
                    m.gain(e, -w)


# --- backends ---

def _solve_cpsat(model: LinearModel, time_limit: float, workers: int | None,
                 hint: dict[int, int] | None = None, feasibility: bool = False) -> Solution:
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    cp = cp_model.CpModel()
    vs = [
        cp.new_bool_var("") if (lo == 0 and hi == 1) else cp.new_int_var(int(lo), int(hi), "")
        for lo, hi in zip(model.lb, model.ub, strict=True)
    ]
    for idx, coef, lo, hi in model.rows:
        expr = cp_model.LinearExpr.weighted_sum([vs[i] for i in idx], coef)
        lo_i = int(math.ceil(lo)) if lo != -math.inf else -(2**62)
        hi_i = int(math.floor(hi)) if hi != math.inf else 2**62
        cp.add_linear_constraint(expr, lo_i, hi_i)
    if model.objective and not feasibility:
        keys = list(model.objective)
        cp.maximize(cp_model.LinearExpr.weighted_sum([vs[i] for i in keys], [model.objective[i] for i in keys]))
    if hint:
        for i, v in hint.items():
            cp.add_hint(vs[i], v)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit)
    solver.parameters.num_workers = workers or 2  # measured best on 2 cores (bench/assignment.py)
    solver.parameters.random_seed = 1
    solver.parameters.absolute_gap_limit = 0.99  # integer objective: a gap below 1 proves optimality
    code = solver.solve(cp)
    seconds = time.perf_counter() - started
    if code == cp_model.OPTIMAL:
        status = STATUS_OPTIMAL
    elif code == cp_model.FEASIBLE:
        status = STATUS_FEASIBLE
    elif code == cp_model.INFEASIBLE:
        return Solution(STATUS_INFEASIBLE, None, None, None, seconds)
    elif code == cp_model.MODEL_INVALID:
        raise RuntimeError("CP-SAT: model invalid: " + cp.validate())
    else:
        return Solution(STATUS_UNKNOWN, None, None, None, seconds)
    values = np.array(solver.values(vs), dtype=np.int64)
    has_obj = bool(model.objective) and not feasibility
    return Solution(status, values, solver.objective_value if has_obj else 0.0,
                    solver.best_objective_bound if has_obj else 0.0, seconds)


def _solve_highs(model: LinearModel, time_limit: float, feasibility: bool = False,
                 relaxed: bool = False) -> Solution:
    """scipy's HiGHS; `relaxed` solves the LP relaxation (its value bounds the integer optimum)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_array

    started = time.perf_counter()
    n = len(model.lb)
    lengths = np.fromiter((len(r[0]) for r in model.rows), dtype=np.int64, count=len(model.rows))
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.fromiter((i for r in model.rows for i in r[0]), dtype=np.int64, count=int(indptr[-1]))
    data = np.fromiter((c for r in model.rows for c in r[1]), dtype=float, count=int(indptr[-1]))
    lo = np.fromiter((r[2] for r in model.rows), dtype=float, count=len(model.rows))
    hi = np.fromiter((r[3] for r in model.rows), dtype=float, count=len(model.rows))
    A = csr_array((data, indices, indptr), shape=(len(model.rows), n))
    c = np.zeros(n)
    if not feasibility:
        for i, w in model.objective.items():
            c[i] = -w  # milp minimises
    integrality = np.zeros(n, dtype=int) if relaxed else np.array(model.integer, dtype=int)
    options = {"time_limit": max(0.05, time_limit), "disp": False}
    if not relaxed:
        options["mip_rel_gap"] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # options scipy passes to HiGHS verbatim
        if not relaxed:
            options["mip_abs_gap"] = 0.99  # integer objective: a gap below 1 proves optimality
        res = milp(c, constraints=LinearConstraint(A, lo, hi), integrality=integrality,
                   bounds=Bounds(np.array(model.lb, float), np.array(model.ub, float)), options=options)
    seconds = time.perf_counter() - started
    if res.status == 2:
        return Solution(STATUS_INFEASIBLE, None, None, None, seconds)
    if res.x is None:
        return Solution(STATUS_UNKNOWN, None, None, None, seconds)
    obj = -float(res.fun) if not feasibility else 0.0
    if relaxed:
        return Solution(STATUS_OPTIMAL if res.status == 0 else STATUS_UNKNOWN, None, obj, obj, seconds)
    values = np.rint(res.x).astype(np.int64)
    bound = -float(res.mip_dual_bound) if (not feasibility and res.mip_dual_bound is not None) else obj
    status = STATUS_OPTIMAL if res.status == 0 else STATUS_FEASIBLE
    return Solution(status, values, obj, bound, seconds)


def run(model: LinearModel, backend: str, time_limit: float, workers: int | None = None,
        hint: dict[int, int] | None = None, feasibility: bool = False) -> Solution:
    if backend == BACKEND_CPSAT:
        return _solve_cpsat(model, time_limit, workers, hint, feasibility)
    if backend == BACKEND_HIGHS:
        return _solve_highs(model, time_limit, feasibility)
    raise UserError(f"ソルバー「{backend}」は使えません（{' / '.join(BACKENDS)}）。")


def feasible(instance: Instance, relax: frozenset[str] = frozenset(), time_limit: float = 5.0,
             backend: str | None = None) -> bool | None:
    """Whether the hard rules (minus `relax`) can all hold; None when time ran out."""
    built = build(instance, relax=relax, objective=False)
    sol = run(built.model, backend or DEFAULT_BACKEND, time_limit, feasibility=True)
    if sol.status == STATUS_INFEASIBLE:
        return False
    if sol.status == STATUS_UNKNOWN:
        return None
    return True


# --- large instances: a restricted model, and bounds that keep the answer honest ---

FULL_MODEL_MAX = 30_000  # people × rooms up to which every person may go to every room
EXTRA_ROOMS = 5  # rooms beyond their choices each person may go to in the restricted model


def candidate_rooms(instance: Instance, extra: int = EXTRA_ROOMS) -> list[set[int]]:
    """Each person's choices, previous room and `extra` rooms with spare places (rotated so every
    such room is open to many people); officials get twice as many, over all rooms, to be spread."""
    rooms, people = instance.rooms, instance.people
    room_index = {r.id: j for j, r in enumerate(rooms)}
    n_rooms = len(rooms)
    demand = [0] * n_rooms
    for p in people:
        if p.choices:
            demand[room_index[p.choices[0]]] += 1
    spare = [(r.capacity if r.capacity is not None else len(people)) - demand[j] for j, r in enumerate(rooms)]
    pool = sorted((j for j in range(n_rooms) if spare[j] > 0), key=lambda j: -spare[j]) or list(range(n_rooms))
    out: list[set[int]] = []
    for i, p in enumerate(people):
        cand = {room_index[c] for c in p.choices}
        if p.previous is not None:
            cand.add(room_index[p.previous])
        if p.government and instance.rules.spread_government:
            for t in range(2 * extra):  # officials must reach every room to be spread evenly
                cand.add((i * 2 * extra + t) % n_rooms)
        else:
            for t in range(extra):
                cand.add(pool[(i * extra + t) % len(pool)])
        out.append(cand)
    if instance.rules.one_facilitator_per_room:  # at least three willing candidates per room
        willing = [i for i, p in enumerate(people) if p.facilitator]
        for j in range(n_rooms):
            have = sum(1 for i in willing if j in out[i])
            for i in sorted(willing, key=lambda i: len(out[i])):
                if have >= 3:
                    break
                if j not in out[i]:
                    out[i].add(j)
                    have += 1
    return out


def choices_bound(instance: Instance, time_limit: float = 5.0) -> float | None:
    """A quick upper bound (scaled): the best choice weights capacities allow, with every other
    rule dropped and every penalty taken as zero (homogeneous grouping counted at its maximum)."""
    rules = instance.rules
    scale = _scale(instance)
    weights = [round(w * scale) for w in rules.choice_weights]
    room_index = {r.id: j for j, r in enumerate(instance.rooms)}
    m = LinearModel()
    by_room: dict[int, list[int]] = defaultdict(list)
    fixed = 0
    for p in instance.people:
        if p.pinned is not None:
            j = room_index[p.pinned]
            by_room[j].append(m.var(1, 1))
            if p.pinned in p.choices[: len(weights)]:
                fixed += weights[p.choices.index(p.pinned)]
            continue
        vs = []
        for k, rid in enumerate(p.choices[: len(weights)]):
            v = m.var(0, 1)
            m.gain(v, weights[k])
            by_room[room_index[rid]].append(v)
            vs.append(v)
        m.row(vs, [1] * len(vs), 0, 1)
    for j, r in enumerate(instance.rooms):
        if r.capacity is not None and by_room[j]:
            m.row(by_room[j], [1] * len(by_room[j]), 0, r.capacity)
    if not m.lb:
        return float(fixed)
    sol = _solve_highs(m, time_limit, relaxed=True)
    if sol.objective is None or sol.status != STATUS_OPTIMAL:
        return None
    extra = 0.0
    g = rules.grouping
    if g is not None and g.mode == GROUP_HOMOGENEOUS:
        extra = round(g.weight * scale) * len(instance.people) * len(g.by)
    return sol.objective + fixed + extra


# --- the public entry point ---

def _hint(instance: Instance, built: Built) -> dict[int, int]:
    """A starting point for CP-SAT: previous rooms, else the greedy split."""
    from facilitation.assignment.baselines import greedy_split

    assignment, facilitators = greedy_split(instance)
    room_index = {r.id: j for j, r in enumerate(instance.rooms)}
    hint: dict[int, int] = {}
    for i, p in enumerate(instance.people):
        room = p.previous or assignment.get(p.id)
        for j, v in built.x[i].items():
            hint[v] = 1 if room is not None and room_index[room] == j else 0
    fac = {(pid, rid) for rid, pid in facilitators.items()}
    for (i, j), v in built.f.items():
        hint[v] = 1 if (instance.people[i].id, instance.rooms[j].id) in fac else 0
    return hint


def _optimise(instance: Instance, built: Built, backend: str, limit: float, workers: int | None,
              reasons: list[str]) -> tuple[Solution, LinearModel, int | None]:
    """Solve a built model (both phases when least change is on): (solution, final model, stay_max)."""
    started = time.perf_counter()
    model = built.model
    hint = _hint(instance, built) if backend == BACKEND_CPSAT else None
    stay_max = None
    if instance.rules.least_change and built.stay:
        # Phase 1: the fewest moves that keep every hard rule.
        first = LinearModel(model.lb, model.ub, model.integer, model.rows, {v: 1 for v in built.stay})
        sol1 = run(first, backend, limit / 2, workers, hint)
        if sol1.status in (STATUS_INFEASIBLE, STATUS_UNKNOWN):
            return sol1, model, None
        stay_max = round(sol1.objective)
        if sol1.status != STATUS_OPTIMAL:
            reasons.append("移動人数の最小化は制限時間内に証明できませんでした（見つかった中で最少の移動で解いています）。")
        model = LinearModel(model.lb, model.ub, model.integer,
                            [*model.rows, (built.stay, [1] * len(built.stay), stay_max, math.inf)],
                            model.objective)
        hint = {i: int(v) for i, v in enumerate(sol1.values)} if backend == BACKEND_CPSAT else None
        limit = max(0.5, limit - (time.perf_counter() - started))
    return run(model, backend, limit, workers, hint), model, stay_max


def solve(instance: Instance, backend: str = DEFAULT_BACKEND, time_limit: float | None = None,
          workers: int | None = None, explain: bool = True) -> Result:
    """Solve an instance within its time limit (seconds, model building included).

    The status says whether the answer is proven optimal ("optimal"), only feasible ("feasible",
    with its gap to a proven bound) or impossible ("infeasible", with Japanese reasons naming the
    rules that conflict); "unknown" when time ran out before any answer was found.
    """
    started = time.perf_counter()
    limit = float(time_limit if time_limit is not None else instance.time_limit_s)
    reasons = list(instance.notes)
    large = len(instance.people) * len(instance.rooms) > FULL_MODEL_MAX
    built = build(instance, candidates=candidate_rooms(instance) if large else None)
    left = lambda: max(0.5, limit - (time.perf_counter() - started))  # noqa: E731
    sol, model, stay_max = _optimise(instance, built, backend, left() * (0.6 if large else 1.0), workers, reasons)
    if large and sol.status in (STATUS_INFEASIBLE, STATUS_UNKNOWN):
        built = build(instance)  # the restriction may be what made it impossible: try everyone everywhere
        sol, model, stay_max = _optimise(instance, built, backend, left(), workers, reasons)
        large = False
    if sol.status in (STATUS_INFEASIBLE, STATUS_UNKNOWN):
        return _failed(instance, sol, started, backend, reasons)

    scale = built.scale
    bound = sol.bound
    proven = sol.status == STATUS_OPTIMAL
    if large:  # the restricted optimum is proven globally only against a bound of the full problem
        proven = False
        cb = choices_bound(instance, min(2.0, left()))
        if cb is not None:
            bound = cb
        if bound is None or bound - sol.objective >= 1:
            lp = _full_lp_bound(instance, stay_max, started + limit)
            if lp is not None:
                bound = lp if bound is None else min(bound, lp)
        proven = bound is not None and bound - sol.objective < 1
    status = STATUS_OPTIMAL if proven else STATUS_FEASIBLE

    values = sol.values
    assignment: dict[str, str] = {}
    for i, p in enumerate(instance.people):
        for j, v in built.x[i].items():
            if values[v] > 0:
                assignment[p.id] = instance.rooms[j].id
                break
    facilitators = {instance.rooms[j].id: instance.people[i].id for (i, j), v in built.f.items() if values[v] > 0}
    for r in instance.rooms:  # fixed facilitators count even when the one-per-room rule is off
        if r.facilitator is not None and r.id not in facilitators:
            facilitators[r.id] = r.facilitator
    s = score(instance, assignment, facilitators)
    objective = sol.objective / scale
    bound_u = bound / scale if bound is not None else None
    gap = 0.0 if proven else (None if bound_u is None else max(0.0, bound_u - objective) / max(1.0, abs(objective)))
    if not proven:
        gap_text = f"{gap * 100:.2f}%" if gap is not None else "不明"
        reasons.append(f"制限時間 {limit:g} 秒で打ち切りました。最適とまでは証明できていません"
                       f"（理論上の上限との差は最大 {gap_text}）。")
    result = Result(
        status=status, assignment=assignment, facilitators=facilitators,
        objective=_round(objective), reasons=reasons, seconds=time.perf_counter() - started,
        backend=backend, bound=_round(bound_u) if bound_u is not None else None,
        gap=round(gap, 6) if gap is not None else None,
        moves=s.moves if (instance.rules.least_change and built.stay) else None,
        breakdown={"choices": _round(s.choices), "repeats": s.repeats, "repeat_pairs": s.repeat_pairs,
                   "grouping": _round(s.grouping), "moves": s.moves},
    )
    if explain:
        from facilitation.assignment.quality import explain_all

        result.why = explain_all(instance, assignment, facilitators)
    return result


def _full_lp_bound(instance: Instance, stay_max: int | None, deadline: float) -> float | None:
    """The LP relaxation of the whole problem (everyone may go everywhere): a valid upper bound.

    The facilitator rule is left out (a relaxation, so still valid): it barely moves the bound and
    its variables make the LP a third slower."""
    if deadline - time.perf_counter() < 1:
        return None
    full = build(instance, relax=frozenset({RULE_FACILITATOR}))
    time_limit = deadline - time.perf_counter()
    if time_limit < 0.5:
        return None
    model = full.model
    if stay_max is not None and full.stay:
        model = LinearModel(model.lb, model.ub, model.integer,
                            [*model.rows, (full.stay, [1] * len(full.stay), stay_max, math.inf)], model.objective)
    sol = _solve_highs(model, time_limit, relaxed=True)
    return sol.objective if sol.status == STATUS_OPTIMAL else None


def _round(x: float) -> float:
    return int(round(x)) if abs(x - round(x)) < 1e-6 else round(x, 4)


def _failed(instance: Instance, sol: Solution, started: float, backend: str, reasons: list[str]) -> Result:
    if sol.status == STATUS_INFEASIBLE:
        from facilitation.assignment.diagnose import diagnose

        reasons = reasons + diagnose(instance, backend=backend)
    else:
        reasons = reasons + ["制限時間内に割り当て案が見つかりませんでした。制限時間を延ばすか、決まりを減らしてください。"]
    return Result(status=sol.status, reasons=reasons, seconds=time.perf_counter() - started, backend=backend)
