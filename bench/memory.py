"""Benchmark: one app process's memory with the secretariat, the committee and 50 phones open.

    .venv/bin/python bench/memory.py [--db sqlite:////tmp/world-10y.sqlite3] [--phones 50] [--hold 20]

Copies the ten-year world of bench/world.py (it writes a facilitator link), serves it
(streamlit_app.py, local mode = the secretariat) and records the server process's RSS:
- idle (the app started, no session);
- after a secretariat session went through every page and every tab (Chromium, one session:
  the pages are opened from the sidebar, not reloaded), and after a second one did the same
  (the second's growth is what one more secretariat costs once the shared caches are filled);
- after a committee session (the secretariat's 「委員会の表示で確認」) went through its pages and tabs;
- after `--phones` phones opened one room's roster through the facilitator link (Streamlit's
  WebSocket protocol from this process, as bench/roster_load.py's protocol phones: each its own
  session, rerunning its roster fragment as the browser would) and stayed `--hold` seconds.
Prints the figures and each kind of session's growth (per phone for the phones); JSON to
test-output/bench-memory.json. Target (issue 27): under 500 MB with all of them open.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DONE = '[data-test-script-state="notRunning"]'
SECRET = "bench-memory-secret-at-least-32-characters!"


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """The process's resident memory (VmRSS), or its peak so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def anon_mb(pid: int) -> float:
    """The anonymous part of the RSS (the rest is mapped files: libraries, the Sudachi dictionary)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Anonymous:"):
            return int(line.split()[1]) / 1024
    return 0.0


def settle(page) -> None:
    page.wait_for_timeout(100)  # the rerun starts
    page.locator("h1").first.wait_for(timeout=300_000)
    page.locator(DONE).first.wait_for(state="attached", timeout=300_000)


def visit_every_page(page, titles: list[tuple[str, str]], pid: int | None = None,
                     steps: dict[str, list[float]] | None = None) -> list[str]:
    """Open each page from the sidebar (one session), and each of its tabs; what was seen.

    With `pid` and `steps`, records the server's RSS, anonymous RSS and peak after each page and tab."""
    seen = []

    def record(what: str) -> None:
        seen.append(what)
        if steps is not None:
            steps[what] = [round(rss_mb(pid), 1), round(anon_mb(pid), 1), round(rss_mb(pid, "VmHWM"), 1)]
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for title, path in titles:
        for attempt in range(5):  # a click made while the last page still draws can be lost
            page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]').first.click()
            try:
                page.locator("h1", has_text=title).first.wait_for(timeout=20_000 * (attempt + 1))
                break
            except PlaywrightTimeout:
                continue
        settle(page)
        record(title)
        for tab in page.get_by_role("tab").all_inner_texts():
            page.get_by_role("tab", name=tab, exact=True).first.click()
            settle(page)
            record(f"{title}/{tab}")
    return seen


def facilitator_link(url: str) -> str:
    """A link to room 1 of the newest meeting that has rooms (valid for a day)."""
    from sqlalchemy import select

    from facilitation.access import gate
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage import db
    from facilitation.storage.models import Meeting, Room

    with db.session(url, actor="bench") as s:
        room = s.scalars(select(Room).join(Meeting).order_by(Meeting.starts_at.desc(), Room.position)).first()
        return gate.issue_link(s, SECRETARIAT_LOCAL, room.id, SECRET.encode(), hours=24).token


def main() -> int:
    import world
    from playwright.sync_api import sync_playwright
    from roster_load import ProtocolPhones

    from facilitation.access import gate
    from facilitation.roles import COMMITTEE, SECRETARIAT
    from tests import streamlit_process
    from ui.shell import PAGES

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite:////tmp/world-10y.sqlite3")
    parser.add_argument("--phones", type=int, default=50)
    parser.add_argument("--hold", type=float, default=20, help="seconds the phones stay open, rerunning")
    args = parser.parse_args()
    world.build(args.db)
    tmp = Path(tempfile.mkdtemp())
    copy = tmp / "world.sqlite3"
    shutil.copyfile(args.db.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    token = facilitator_link(url)
    app = streamlit_process.start(url, tmp / "streamlit.log", timeout=120,
                                  env={"FACILITATION_DEMO": "0", gate.SECRET_ENV: SECRET})
    pid = app.proc.pid
    rss: dict[str, float] = {}
    load_before = os.getloadavg()
    time.sleep(2)
    rss["idle"] = rss_mb(pid)
    secretariat = [(title, path) for _, title, path, _, roles in PAGES.values() if SECRETARIAT in roles]
    committee = [(title, path) for _, title, path, _, roles in PAGES.values() if COMMITTEE in roles]
    phones = None
    steps: dict[str, dict[str, list[float]]] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium"))
            pages = []
            for who in ("secretariat 1", "secretariat 2", "committee"):
                page = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP").new_page()
                pages.append(page)  # kept open: the session stays alive
                page.goto(f"{app.base}/home")
                settle(page)
                if who == "committee":
                    page.get_by_text("委員会の表示で確認").first.click()
                    settle(page)
                    page.get_by_text("委員会の表示で確認中です").first.wait_for(timeout=60_000)
                t = time.perf_counter()
                steps[who] = {}
                seen = visit_every_page(page, committee if who == "committee" else secretariat, pid, steps[who])
                rss[who] = rss_mb(pid)
                print(f"{who}: {len(seen)} pages and tabs in {time.perf_counter() - t:.0f} s, RSS {rss[who]:.0f} MB "
                      f"(anonymous {anon_mb(pid):.0f} MB), peak so far {rss_mb(pid, 'VmHWM'):.0f} MB", flush=True)
                last = rss["idle"] if who == "secretariat 1" else rss[list(rss)[-2]]
                for what, (now, anon, peak) in steps[who].items():
                    print(f"  {what:40} RSS {now:5.0f} ({now - last:+5.0f}) anonymous {anon:5.0f} peak {peak:5.0f}")
                    last = now
            phones = ProtocolPhones(app.base, token, args.phones)
            t = time.monotonic()
            while phones.loaded < args.phones and time.monotonic() - t < 300:
                time.sleep(0.5)
            print(f"{phones.loaded} of {args.phones} phones loaded in {time.monotonic() - t:.0f} s", flush=True)
            time.sleep(args.hold)
            rss["phones"] = rss_mb(pid)
            rss["phones (anonymous)"] = anon_mb(pid)
            rss["peak"] = rss_mb(pid, "VmHWM")
            errors = list(phones.errors)
            phones.close()
            browser.close()
    finally:
        streamlit_process.stop(app)
        shutil.rmtree(tmp, ignore_errors=True)
    growth = {"secretariat (first, fills the shared caches)": rss["secretariat 1"] - rss["idle"],
              "secretariat (another)": rss["secretariat 2"] - rss["secretariat 1"],
              "committee": rss["committee"] - rss["secretariat 2"],
              "per phone": (rss["phones"] - rss["committee"]) / max(1, args.phones)}
    out = {"rss_mb": {k: round(v, 1) for k, v in rss.items()}, "growth_mb": {k: round(v, 1) for k, v in growth.items()},
           "phones": args.phones, "phones_loaded": phones.loaded if phones else 0, "errors": errors[:10],
           "load_average_before": load_before, "load_average_after": os.getloadavg(), "target_mb": 500,
           "steps": {who: {what: dict(zip(("rss", "anonymous", "peak"), v, strict=True)) for what, v in st.items()}
                     for who, st in steps.items()}}
    print(f"\nload {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}")
    for k, v in rss.items():
        print(f"RSS {k:22} {v:7.0f} MB")
    for k, v in growth.items():
        print(f"growth {k:45} {v:7.1f} MB")
    print(f"all open: {rss['phones']:.0f} MB ({'under' if rss['phones'] < 500 else 'OVER'} the 500 MB target), "
          f"peak {rss['peak']:.0f} MB ({'under' if rss['peak'] < 500 else 'OVER'})")
    if errors:
        print("errors:", *errors[:10], sep="\n  ")
    target = ROOT / "test-output" / "bench-memory.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
