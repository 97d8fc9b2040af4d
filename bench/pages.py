"""Benchmark: server time of every page and main tab, as 事務局 and as 委員会, on ten years of data.

    .venv/bin/python bench/pages.py [--reps 5] [--db sqlite:////tmp/world-10y.sqlite3] [--only history]

Builds the ten-year world once (bench/world.py), then measures with Streamlit's AppTest (script run
+ element tree = the server time of one rerun) for each page and role:
- first: a new session's first render, the process's caches warm (the usual case);
- cold: the same after every st.cache_data / st.cache_resource was cleared (first visitor after a
  restart or a change);
- rerun: a click that changes nothing the page reads (what every checkbox costs at least);
- each common interaction: choosing a tab (pages whose tabs rerun), a meeting, a survey, a filter;
- with --changes, "after a change": the rerun after one registration (history) or one survey's
  corrections (surveys) changed in the database, as another process would (writes to --db).
Every figure is also given as a ratio to bench/table_10k_page.py (one plain 10,000-row table, no
cache) measured in the same run, interleaved. p50 / p95 over --reps repeats, in milliseconds.
The machine's load average is recorded with the figures; JSON goes to test-output/bench-pages.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "sqlite:////tmp/world-10y.sqlite3"
BASELINE = ROOT / "bench" / "table_10k_page.py"

_COMPONENTS = None


def new_app(path: Path, viewer):
    global _COMPONENTS
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.testing.v1 import AppTest

    if _COMPONENTS is None:  # a server scans component packages once; share one scan (see history_render)
        _COMPONENTS = BidiComponentManager()
        _COMPONENTS.discover_and_register_components(start_file_watching=False)
    at = AppTest.from_file(str(path), default_timeout=300)
    at._bidi_component_manager = _COMPONENTS
    if viewer is not None:
        at.session_state["viewer"] = viewer
    return at


def timed(fn) -> float:
    t = time.perf_counter()
    at = fn()
    elapsed = time.perf_counter() - t
    if at is not None and at.exception:
        raise RuntimeError(at.exception[0].value)
    return elapsed


def set_state(key, value):
    def step(at):
        at.session_state[key] = value
        return at.run()
    return step


def pick(key: str, index: int, state_key: str | None = None, kind: str = "selectbox"):
    """Choose the `index`-th option of a select box whose labels come from a dict (options.get)."""
    def step(at):
        widget = getattr(at, kind)(key=key)
        values = list(widget.format_func.__self__)
        at.session_state[state_key or key] = values[min(index, len(values) - 1)]
        return at.run()
    return step


def years_filter(at):
    """年度: the newest fiscal year (labels "2035年度")."""
    newest = at.multiselect(key="h_years").options[-1]
    at.session_state["h_years"] = [int(newest.removesuffix("年度"))]
    return at.run()


def survey_filter(at):
    """The first attribute filter of 結果 (e.g. ルーム): its first value."""
    from ui.surveys import ATTRIBUTES

    widget = at.multiselect(key=f"res_{next(iter(ATTRIBUTES))}")
    return widget.select(widget.options[0]).run()


def after_a_change(name: str):
    """A step that changes one thing the page reads, as another process would, then reruns: the
    history's newest registration (出席 ↔ 欠席), or the oldest survey's scale options (reversed).
    It writes to --db: use a copy of the world. The write is made before the timed rerun (`before`)."""
    def change():
        from sqlalchemy import select

        from facilitation.roles import SECRETARIAT_LOCAL
        from facilitation.storage import db
        from facilitation.storage.models import Meeting, Registration
        from facilitation.surveys import store
        from facilitation.text import vocab

        with db.session(os.environ["FACILITATION_DB_URL"], actor="bench") as s:
            if name == "history":
                r = s.scalars(select(Registration).join(Meeting).where(Meeting.status == "開催済")
                              .where(Registration.status.in_([vocab.STATUS_ATTENDED, vocab.STATUS_ABSENT]))
                              .order_by(Meeting.starts_at.desc(), Registration.id)).first()
                r.status = vocab.STATUS_ABSENT if r.status == vocab.STATUS_ATTENDED else vocab.STATUS_ATTENDED
            else:
                sid = store.list_surveys(s)[-1].id
                survey = store.load(s, sid)
                q = next(q for q in survey.questions if q.positive)
                store.set_corrections(s, SECRETARIAT_LOCAL, sid, options={**survey.options,
                                                                          q.key: list(reversed(q.options))})

    def step(at):
        return at.run()
    step.before = change
    return step


def interactions(name: str, viewer) -> list[tuple[str, object]]:
    """(label, step) pairs for one page and role, run in order in one session after the first render."""
    from ui import history as hui
    from ui.common import MEETING_KEY

    steps: list[tuple[str, object]] = [("rerun", lambda at: at.run())]
    if name == "history":
        labels = hui.tab_labels(viewer)
        steps += [(f"tab {label}", set_state(hui.TAB_KEY, label)) for label in labels[1:]]
        steps += [(f"tab {labels[0]}", set_state(hui.TAB_KEY, labels[0])), ("filter 年度", years_filter)]
    elif name == "surveys":
        from ui import surveys as sui

        names = sui.tab_labels(viewer)
        steps += [("choose survey", pick("survey_id", 1)), ("filter ルーム", survey_filter)]
        steps += [(f"tab {n}", set_state("surveys_tab", n)) for n in names[1:]]
        if "推移" in names:  # a lazy page: the first 推移 above computed the trend after `cold`; now warm,
            # and the change below is measured where it shows (the trend re-reads the changed survey)
            steps += [("tab 推移 (warm)", set_state("surveys_tab", "推移"))]
    elif name == "openchat":
        names = (["概要", "機関・地域", "質問と回答", "話題", "取り込み", "メンバー確認", "投稿と削除", "お知らせ作成"]
                 if viewer.is_secretariat else ["概要", "機関・地域", "質問と回答", "話題"])
        steps += [(f"tab {n}", set_state("openchat_tab", n)) for n in names[1:]]
    elif name == "rooms" and viewer.is_secretariat:
        names = ["1. ルーム", "2. 希望の確認", "3. 決まりと実行", "4. 手直し", "5. 公開・書き出し"]
        steps += [(f"tab {n}", set_state("rooms_tab", n)) for n in names[1:]]
        steps += [("rerun on 5. 公開・書き出し", lambda at: at.run()), ("tab 1. ルーム", set_state("rooms_tab", names[0]))]
        steps += [("choose meeting", pick("rooms_meeting", 1, MEETING_KEY))]
    elif name == "registrations" and viewer.is_secretariat:
        steps += [("tab 取り込み", set_state("registrations_tab", "取り込み")),
                  ("tab 確認待ち", set_state("registrations_tab", "確認待ち")),
                  ("tab 申込者一覧", set_state("registrations_tab", "申込者一覧")),
                  ("choose meeting", pick("meeting_id", 1, MEETING_KEY))]
    elif name in ("registrations", "rooms", "roster"):
        key = {"registrations": "meeting_id", "rooms": "rooms_meeting", "roster": "roster_meeting"}[name]
        steps += [("choose meeting", pick(key, 1, MEETING_KEY))]
    elif name == "search":
        from facilitation.search import query
        from ui import search as sui

        def asked(words: str):  # what 「検索」 leaves in the session (a form: the box alone does not search)
            return set_state(sui.STATE, (words, query.Filters(), query.RELEVANCE))

        steps += [("search ひきこもり", asked("ひきこもり")), ("search ひきこもり 家族", asked("ひきこもり 家族")),
                  ("search シェルター", asked("シェルター")), ("rerun with results", lambda at: at.run()),
                  ("tab 何度も出てくる課題・要望", set_state("search_tab", "何度も出てくる課題・要望"))]
        if viewer.is_secretariat:
            steps += [("tab 次回のテーマ候補", set_state("search_tab", "次回のテーマ候補")),
                      ("rerun on 次回のテーマ候補", lambda at: at.run())]
        steps += [("tab 検索", set_state("search_tab", "検索"))]
    elif name == "settings":
        steps += [("tab 組織マスタ", set_state("settings_tab", "組織マスタ")),
                  ("tab 会の管理", set_state("settings_tab", "会の管理")),
                  ("mode 編集", set_state("settings_meeting_mode", "会を編集・削除する")),
                  ("choose meeting", pick("settings_meeting", 1, MEETING_KEY))]
    if name in ("history", "surveys") and os.environ.get("BENCH_CHANGES"):
        steps += [("after a change", after_a_change(name))]
    return steps


def clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def pct(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) * 1000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_result(path: str, result: dict) -> None:
    """The figures as JSON (test-output/ by default, ignored by git)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(f"\nwritten {out}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--out", default=str(ROOT / "test-output" / "bench-pages.json"))
    parser.add_argument("--changes", action="store_true",
                        help="also measure the first rerun after a change (writes to --db: give a copy)")
    args = parser.parse_args()
    if args.changes:
        os.environ["BENCH_CHANGES"] = "1"
    os.environ["FACILITATION_DB_URL"] = args.db
    logging.getLogger("streamlit").setLevel(logging.ERROR)

    import world

    built = world.build(args.db)
    if built:
        print(f"built the ten-year world: {built}")

    from facilitation.roles import SECRETARIAT_LOCAL, Viewer
    from ui.shell import PAGES

    roles = {"事務局": SECRETARIAT_LOCAL, "委員会": Viewer(role="委員会")}
    only = {p for p in args.only.split(",") if p}
    plan = [(name, rname, v) for name, (_, _, _, _, allowed) in PAGES.items() if not only or name in only
            for rname, v in roles.items() if v.role in allowed]
    load_before = os.getloadavg()
    rss_start = rss_mb()

    # warm up imports, the engine and each page once
    for _ in range(2):
        timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run())
    for name, _, v in plan:
        timed(lambda name=name, v=v: new_app(ROOT / PAGES[name][0], v).run())

    samples: dict[tuple[str, str, str], list[float]] = {}
    base: list[float] = []
    for rep in range(args.reps):
        for name, rname, v in plan:
            path = ROOT / PAGES[name][0]
            base.append(timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run()))  # interleaved
            clear_caches()
            samples.setdefault((name, rname, "cold"), []).append(timed(lambda path=path, v=v: new_app(path, v).run()))
            at = new_app(path, v)
            samples.setdefault((name, rname, "first"), []).append(timed(lambda at=at: at.run()))
            for label, step in interactions(name, v):
                try:
                    if hasattr(step, "before"):
                        step.before()
                    t = timed(lambda at=at, step=step: step(at))
                except (KeyError, IndexError, ValueError, RuntimeError) as exc:  # widget absent for this role/data
                    if rep == 0:
                        print(f"  skip {name}/{rname}/{label}: {type(exc).__name__} {exc}", flush=True)
                    continue
                samples.setdefault((name, rname, label), []).append(t)
        print(f"rep {rep + 1}/{args.reps} done, load {os.getloadavg()[0]:.1f}", flush=True)

    b50, b95 = pct(base, 50), pct(base, 95)
    rows = []
    for (name, rname, label), values in samples.items():
        p50, p95 = pct(values, 50), pct(values, 95)
        rows.append({"page": name, "role": rname, "interaction": label, "p50_ms": round(p50, 1),
                     "p95_ms": round(p95, 1), "ratio_p50": round(p50 / b50, 2), "ratio_p95": round(p95 / b95, 2),
                     "n": len(values)})
    result = {"db": args.db, "reps": args.reps, "baseline_10k_table": {"p50_ms": round(b50, 1), "p95_ms": round(b95, 1)},
              "load_average_before": load_before, "load_average_after": os.getloadavg(), "cpus": os.cpu_count(),
              "rss_mb_start": round(rss_start, 1), "rss_mb_end": round(rss_mb(), 1), "rows": rows}
    print(f"\nbaseline (one 10,000-row table): p50 {b50:.0f} ms, p95 {b95:.0f} ms; "
          f"load {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"RSS {rss_start:.0f} -> {rss_mb():.0f} MB")
    print(f"{'page':14} {'role':4} {'interaction':22} {'p50 ms':>8} {'p95 ms':>8} {'×base50':>8} {'×base95':>8}")
    for r in rows:
        flag = "  >0.3s" if r["p95_ms"] > 300 else ""
        print(f"{r['page']:14} {r['role']:4} {r['interaction']:22} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} "
              f"{r['ratio_p50']:8.2f} {r['ratio_p95']:8.2f}{flag}")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
