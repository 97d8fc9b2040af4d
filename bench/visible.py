"""Benchmark: time until the browser shows a page (Chromium), and the app process's memory.

    .venv/bin/python bench/visible.py [--reps 3] [--db sqlite:////tmp/world-10y.sqlite3]

Serves the app (streamlit_app.py, local mode = the secretariat) on the ten-year world of
bench/world.py and opens pages in Chromium (/usr/bin/chromium through Playwright): the time from the
navigation (or the tab click: a rerun in the same session, as every click on a page) until the script
has finished and the page (the tab's heading) is drawn. Prints p50 / p95
and the server process's RSS after the visits; JSON to test-output/bench-visible.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DONE = '[data-test-script-state="notRunning"]'
PAGES = ["home", "history", "surveys", "openchat", "registrations", "rooms"]
TABS = {"history": ["個人別", "地域"], "openchat": ["機関・地域", "話題"], "surveys": ["推移"],
        "registrations": ["取り込み", "申込者一覧"],
        "rooms": ["2. 希望の確認", "3. 決まりと実行", "4. 手直し", "5. 公開・書き出し", "1. ルーム"]}
SHOWN = {  # a tab's heading: the tab is drawn only when chosen (lazy pages), so wait until it is seen
    "2. 希望の確認": "申込の希望とルームの対応", "3. 決まりと実行": "割り当ての質", "4. 手直し": "一人ずつの割り当てと理由",
    "5. 公開・書き出し": "書き出し", "1. ルーム": "ルーム"}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def settle(page) -> None:
    page.locator("h1").first.wait_for(timeout=120_000)
    page.locator(DONE).first.wait_for(state="attached", timeout=120_000)


def main() -> int:
    import numpy as np
    import world
    from playwright.sync_api import sync_playwright

    from tests import streamlit_process

    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="sqlite:////tmp/world-10y.sqlite3")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated page names")
    parser.add_argument("--out", default=str(ROOT / "test-output" / "bench-visible.json"))
    args = parser.parse_args()
    pages = [p for p in PAGES if not args.only or p in args.only.split(",")]
    world.build(args.db)
    log = Path(tempfile.mkdtemp()) / "streamlit.log"
    app = streamlit_process.start(args.db, log, env={"FACILITATION_DEMO": "0"})
    samples: dict[str, list[float]] = {}
    load_before = os.getloadavg()
    rss_idle = rss_mb(app.proc.pid)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium"))
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
            page = context.new_page()
            page.goto(f"{app.base}/home")
            settle(page)
            for rep in range(args.reps + 1):  # the first round warms the server up and is not counted
                for name in pages:
                    t = time.perf_counter()
                    page.goto(f"{app.base}/{name}")
                    settle(page)
                    if rep:
                        samples.setdefault(f"{name} open", []).append(time.perf_counter() - t)
                    for tab in TABS.get(name, []):
                        t = time.perf_counter()
                        page.get_by_role("tab", name=tab, exact=True).click()
                        page.wait_for_timeout(50)  # the rerun starts
                        if tab in SHOWN and name == "rooms":
                            page.get_by_role("heading", name=SHOWN[tab], exact=True).first.wait_for(timeout=120_000)
                        settle(page)
                        if rep:
                            samples.setdefault(f"{name} tab {tab}", []).append(time.perf_counter() - t)
            rss_one = rss_mb(app.proc.pid)
            second = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP").new_page()
            for name in pages:
                second.goto(f"{app.base}/{name}")
                settle(second)
            rss_two = rss_mb(app.proc.pid)
            browser.close()
    finally:
        streamlit_process.stop(app)
    rows = [{"what": k, "p50_ms": round(float(np.percentile(v, 50)) * 1000), "p95_ms": round(float(np.percentile(v, 95)) * 1000),
             "n": len(v)} for k, v in samples.items()]
    out = {"rows": rows, "rss_mb": {"idle": round(rss_idle), "one_session": round(rss_one), "two_sessions": round(rss_two)},
           "load_average_before": load_before, "load_average_after": os.getloadavg()}
    print(f"load {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}; RSS idle {rss_idle:.0f} MB, one session {rss_one:.0f} MB, "
          f"two sessions {rss_two:.0f} MB")
    for r in rows:
        print(f"{r['what']:28} p50 {r['p50_ms']:6d} ms  p95 {r['p95_ms']:6d} ms{'  >1s' if r['p95_ms'] > 1000 else ''}")
    target = Path(args.out)
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
