"""Benchmark: the first render of /history against a page with one static table of the same size.

    .venv/bin/python bench/history_render.py [--reps 7] [--db sqlite:////tmp/history-bench.sqlite3]

Builds the 10-year benchmark history (60 meetings, 10,000 registrations) once, then, in the same
process and run, measures with Streamlit's AppTest (script run + element tree = server time):
- history_cold: /history first render with every cache cleared (the first visitor after a change);
- history_warm: /history for a new session when the cached history is still valid;
- baseline: bench/static_table_page.py, one st.dataframe of all 10,000 registrations (no cache);
- all_tabs_cold: bench/history_all_tabs_page.py, every tab of /history rendered eagerly in one run
  (the real page computes only the open tab; this is the worst case);
- each tab of /history (cold cache), and the committee pack build.
Reports medians (and min/max) in milliseconds. Python imports and the database engine are warmed
up first (a running server has them), so only the page's own work is timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "sqlite:////tmp/history-bench.sqlite3"


def build(url: str) -> None:
    from facilitation.demo import dataset
    from facilitation.storage import db

    if not db.is_empty(url):
        return
    t = time.perf_counter()
    with db.session(url, actor="bench") as s:
        made = dataset.generate(s, dataset.DemoSize.bench())
    print(f"built benchmark data in {time.perf_counter() - t:.1f} s: {made}", flush=True)


_COMPONENTS = None


def run_page(path: Path, session_state: dict | None = None) -> tuple[float, object]:
    """One fresh session's first run of a page; seconds of AppTest.run() and the AppTest."""
    global _COMPONENTS
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

    if _COMPONENTS is None:
        # A server scans installed component packages once at start; AppTest does it for every
        # new AppTest (about 0.4 s here). Share one scan so only the page's own run is timed.
        _COMPONENTS = BidiComponentManager()
        _COMPONENTS.discover_and_register_components(start_file_watching=False)
    at = AppTest.from_file(str(path), default_timeout=120)
    at._bidi_component_manager = _COMPONENTS
    for k, v in (session_state or {}).items():
        at.session_state[k] = v
    t = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - t
    if at.exception:
        raise RuntimeError(f"{path.name}: {at.exception[0].value}")
    return elapsed, at


def clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()


def stats(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return f"median {statistics.median(ms):7.1f} ms  (min {min(ms):7.1f}, max {max(ms):7.1f}, n={len(ms)})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    os.environ["FACILITATION_DB_URL"] = args.db
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    build(args.db)

    from sqlalchemy import func, select

    from facilitation.storage import db
    from facilitation.storage.models import Meeting, Registration

    with db.session(args.db) as s:
        n_meetings = s.scalar(select(func.count()).select_from(Meeting))
        n_regs = s.scalar(select(func.count()).select_from(Registration))
    print(f"dataset: {n_meetings} meetings, {n_regs} registrations ({args.db})")

    history_page = ROOT / "pages" / "history.py"
    baseline_page = ROOT / "bench" / "static_table_page.py"
    all_tabs_page = ROOT / "bench" / "history_all_tabs_page.py"
    # Warm up imports, the engine and Streamlit's own first-run costs for both pages.
    for _ in range(2):
        clear_caches()
        run_page(history_page)
        run_page(baseline_page)
        run_page(all_tabs_page)

    cold, warm, base, eager = [], [], [], []
    for _ in range(args.reps):  # interleaved, so load on the machine hits every variant alike
        clear_caches()
        t, at = run_page(history_page)
        cold.append(t)
        warm.append(run_page(history_page)[0])
        base.append(run_page(baseline_page)[0])
        clear_caches()
        eager.append(run_page(all_tabs_page)[0])
    shown = {m.label: m.value for m in at.metric}
    print(f"/history shows: {shown}")
    print(f"history_cold  {stats(cold)}")
    print(f"history_warm  {stats(warm)}")
    print(f"baseline      {stats(base)}")
    print(f"all_tabs_cold {stats(eager)}")
    ratio = statistics.median(cold) / statistics.median(base)
    print(f"ratio cold/baseline = {ratio:.2f} (limit 3.0); cold under 1 s: {statistics.median(cold) < 1.0}")
    print(f"ratio all_tabs_cold/baseline = {statistics.median(eager) / statistics.median(base):.2f}")

    from facilitation.roles import SECRETARIAT_LOCAL
    from ui.history import TAB_KEY, tab_labels

    print("per tab (cold cache, then warm):")
    for label in tab_labels(SECRETARIAT_LOCAL):
        c, w = [], []
        for _ in range(max(3, args.reps // 2)):
            clear_caches()
            c.append(run_page(history_page, {TAB_KEY: label})[0])
            w.append(run_page(history_page, {TAB_KEY: label})[0])
        print(f"  {label:<12} cold {stats(c)}\n  {'':<12} warm {stats(w)}")

    from facilitation.history import committee_pack, coverage, participation
    from facilitation.roles import Viewer

    with db.session(args.db) as s:
        h = participation.load(s, Viewer(role="委員会"))
        pop = coverage.population(s)
    packs = []
    for _ in range(3):
        t = time.perf_counter()
        pack = committee_pack.build(h, participation.Scope(), pop, Viewer(role="委員会"))
        packs.append(time.perf_counter() - t)
    print(f"committee pack build {stats(packs)}; xlsx {len(pack.xlsx):,} B, html {len(pack.html):,} B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
