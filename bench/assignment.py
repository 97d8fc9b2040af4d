"""Room-assignment benchmark: solver choice (HiGHS vs CP-SAT), the two size targets, and quality
against Zoom's random split and a first-come greedy on the same instances.

    .venv/bin/python bench/assignment.py            # everything (about 3 minutes)
    .venv/bin/python bench/assignment.py --quick    # fewer seeds, no dense-history case

Targets (issue 4): 500 people × 25 rooms with all rules on proven optimal in < 2 s on 2 cores;
2,000 × 80 feasible within a 10 s limit, with its optimality gap. Figures go to notes/issue-4.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.assignment import synthetic  # noqa: E402
from facilitation.assignment.baselines import greedy_split  # noqa: E402
from facilitation.assignment.check import violations  # noqa: E402
from facilitation.assignment.quality import metrics, random_metrics  # noqa: E402
from facilitation.assignment.solver import solve  # noqa: E402


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f} on {os.cpu_count()} cores"


def run(label: str, inst, backend: str, limit: float) -> dict:
    started = time.perf_counter()
    res = solve(inst, backend=backend, time_limit=limit, explain=False)
    wall = time.perf_counter() - started
    bad = len(violations(inst, res.assignment, res.facilitators)) if res.ok else None
    gap = "-" if res.gap is None else f"{res.gap * 100:.3f}%"
    print(f"| {label} | {backend} | {res.status} | {wall:.2f} | {res.objective} | {res.bound} | {gap} | {bad} | {load()} |",
          flush=True)
    return {"status": res.status, "seconds": wall, "result": res}


def quality_rows(label: str, inst, res) -> None:
    rows = [metrics(inst, res.assignment, res.facilitators, "optimiser"), random_metrics(inst, 20),
            metrics(inst, *greedy_split(inst), "greedy")]
    for m in rows:
        print(f"| {label} | {m.label} | {m.shares[0] * 100:.1f}% | {sum(m.shares) * 100:.1f}% | "
              f"{m.unchosen * 100:.1f}% | {m.violations:.1f} | {m.repeats:.1f} | {m.objective:.1f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    seeds = [1] if args.quick else [1, 2, 3]
    print(f"# room assignment benchmark ({load()})\n")
    print("| instance | backend | status | seconds | objective | bound | gap | violations | machine |")
    print("|---|---|---|---|---|---|---|---|---|")
    solved = {}
    for seed in seeds:
        inst = synthetic.instance(500, 25, seed=seed)
        for backend in ("highs", "cp-sat"):
            out = run(f"500×25 all rules, seed {seed}", inst, backend, 10)
            if backend == "highs":
                solved[f"500×25 s{seed}"] = (inst, out["result"])
    if not args.quick:
        dense = synthetic.instance(500, 25, seed=1, past_meetings=3, past_size=300, past_room_size=20)
        for backend in ("highs", "cp-sat"):
            run("500×25 dense history (3 past meetings of 300 in rooms of 20)", dense, backend, 30)
    for seed in seeds[:2]:
        big = synthetic.instance(2000, 80, seed=seed)
        for backend in ("highs", "cp-sat"):
            out = run(f"2000×80 all rules, seed {seed}", big, backend, 10)
            if backend == "highs" and out["result"].ok:
                solved[f"2000×80 s{seed}"] = (big, out["result"])
    print("\n| instance | method | 1st choice | 1st–3rd | not chosen | violations | repeat pairs | objective |")
    print("|---|---|---|---|---|---|---|---|")
    for label, (inst, res) in solved.items():
        quality_rows(label, inst, res)


if __name__ == "__main__":
    main()
