"""Load test: 50 concurrent viewers (roster via facilitator links, history, surveys) in real browsers,
plus the secretariat editing assignments at the same time. Bounded, loopback only.

    .venv/bin/python bench/load.py [--viewers 50] [--duration 60] [--editors 2] [--json out.json]

Starts the app (local mode, 127.0.0.1) on a fresh demo database with every registration of the
upcoming meeting assigned to a room, a survey imported, and one facilitator link per room. The
viewers are 60 % facilitators on /roster?token=… (whose live roster also reruns itself every 3 s,
as a phone does), 20 % on /history, 20 % on /surveys. Each loads its page, then asks for a page
update (a full rerun) every 10–20 s (`--think`) until the time is up. `--browsers` of them are real headless
Debian Chromium pages (Playwright, the R key = rerun); the others speak Streamlit's own WebSocket
protocol (the same BackMsg / ForwardMsg the browser sends and receives), because 50 Chromium
pages on the same two cores would measure the browsers, not the app. Meanwhile `--editors`
secretariat threads move assignments between rooms with the version check
(facilitation.assignment.service.apply_edits, as the rooms page saves) against the same database.

Reported: page load and page update (rerun) times (p50 / p95 / max), errors (exceptions shown
on a page, browser errors, lost connections), the editors' writes and stale refusals, and the
"no lost writes" check: every assignment ends in the room of its last successful write, with
version = 1 + its successful writes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import select  # noqa: E402

from facilitation.access import gate  # noqa: E402
from facilitation.assignment import service  # noqa: E402
from facilitation.demo import dataset  # noqa: E402
from facilitation.meetings import schedule  # noqa: E402
from facilitation.roles import SECRETARIAT, SECRETARIAT_LOCAL, Viewer  # noqa: E402
from facilitation.storage import db  # noqa: E402
from facilitation.storage.models import Assignment, Registration, Room  # noqa: E402
from tests import streamlit_process  # noqa: E402

CHROMIUM = os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium")
SECRET = "bench-link-secret-" + "x" * 32
OBSERVE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  window.__states = [];
  new MutationObserver(() => window.__states.push([performance.now(), app.getAttribute('data-test-script-state')]))
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
DONE_JS = """(t0) => (window.__states || []).some(([t, s]) => t > t0 && s === 'running') &&
  (document.querySelector('[data-testid="stApp"]') || {}).getAttribute('data-test-script-state') === 'notRunning'"""
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
THINK = (10.0, 20.0)  # seconds between a person's page updates (set by --think)


def prepare(url: str) -> dict:
    from facilitation.files.tabular import read_table
    from facilitation.openchat import store as chat_store
    from facilitation.surveys import store as survey_store

    with db.session(url, actor="bench") as s:
        dataset.generate(s)
    admin = Viewer(role=SECRETARIAT, email="bench")
    with db.session(url, actor="bench") as s:
        meeting = schedule.upcoming_meeting(s, now=dt.datetime(2026, 12, 1))
        rooms = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).all()
        regs = s.scalars(select(Registration).where(Registration.meeting_id == meeting.id)
                         .order_by(Registration.id)).all()
        existing = {a.registration_id for a in s.scalars(select(Assignment).join(Registration).where(
            Registration.meeting_id == meeting.id))}
        for i, reg in enumerate(regs):
            if reg.id not in existing:
                s.add(Assignment(registration_id=reg.id, room_id=rooms[i % len(rooms)].id))
        s.flush()
        links = [gate.issue_link(s, admin, r.id, SECRET.encode(), hours=12).token for r in rooms]
        data = ROOT / "tests" / "data"
        table = read_table((data / "surveys" / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
        survey_store.import_table(s, SECRETARIAT_LOCAL, table, title="評価アンケート", meeting_id=None)
        chat_store.import_bytes(s, admin, (data / "openchat" / "ja_ios.txt").read_bytes(), "ja_ios.txt")
        assignment_ids = list(s.scalars(select(Assignment.id).join(Registration)
                                        .where(Registration.meeting_id == meeting.id)))
        return {"meeting_id": meeting.id, "rooms": [r.id for r in rooms], "links": links,
                "room_names": {r.id: r.name for r in rooms},
                "assignments": assignment_ids}


def start_app(url: str, log: Path) -> tuple[subprocess.Popen, str]:
    app = streamlit_process.start(url, log, env={gate.SECRET_ENV: SECRET}, timeout=90)
    return app.proc, app.base


class Editors:
    """Secretariat threads moving assignments with the version check; every write is recorded."""

    def __init__(self, url: str, world: dict, n: int, seed: int = 1):
        self.url, self.world, self.n = url, world, n
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.writes: dict[int, list[tuple[int, int]]] = {}  # assignment → [(version, room)]
        self.stale = 0
        self.errors: list[str] = []
        self.latencies: list[float] = []
        self.rng = random.Random(seed)

    def _one(self, who: int) -> None:
        viewer = Viewer(role=SECRETARIAT, email=f"editor{who}@example.org")
        rng = random.Random(who)
        while not self.stop.is_set():
            aid = rng.choice(self.world["assignments"][:12])  # a few hot rows: real conflicts
            try:
                with db.session(self.url, actor=viewer.actor) as s:
                    a = s.get(Assignment, aid)
                    seen, current = a.version, a.room_id
                time.sleep(rng.uniform(0.05, 0.4))  # the person looks at the screen, then moves
                target = rng.choice([r for r in self.world["rooms"] if r != current])  # a real move
                t0 = time.perf_counter()
                row = {"assignment_id": aid, "version": seen, "room": self.world["room_names"][target],
                       "pinned": False, "facilitator": False}
                with db.session(self.url, actor=viewer.actor) as s:  # the rooms page's save
                    result = service.apply_edits(s, viewer, self.world["meeting_id"], pd.DataFrame([row]))
                    ok = result.changed == 1
                    version = s.get(Assignment, aid).version if ok else None
                with self.lock:
                    self.latencies.append(time.perf_counter() - t0)
                    if ok:
                        self.writes.setdefault(aid, []).append((version, target))
                    else:
                        self.stale += 1
            except Exception as exc:  # noqa: BLE001 - a benchmark records every failure
                with self.lock:
                    self.errors.append(f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(rng.uniform(0.2, 0.8))

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._one, args=(i,), daemon=True) for i in range(self.n)]
        for t in threads:
            t.start()
        return threads

    def verify(self) -> dict:
        lost = []
        with db.session(self.url) as s:
            for aid, writes in self.writes.items():
                a = s.get(Assignment, aid)
                last_version, last_room = max(writes)
                if (a.room_id, a.version) != (last_room, last_version) or a.version != 1 + len(writes):
                    lost.append({"assignment": aid, "db": (a.room_id, a.version), "last": (last_room, last_version),
                                 "writes": len(writes)})
        return {"writes": sum(len(w) for w in self.writes.values()), "stale_refused": self.stale,
                "lost_writes": lost, "errors": self.errors,
                "write_p95_ms": round(1000 * pct(self.latencies, 95), 1) if self.latencies else None}


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def viewer(browser, url: str, kind: str, deadline: float, stats: dict, rng: random.Random) -> None:
    mobile = kind == "roster"
    ctx = await browser.new_context(viewport={"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900})
    page = await ctx.new_page()
    page.on("pageerror", lambda e: stats["browser_errors"].append(str(e)[:200]))
    try:
        t0 = time.perf_counter()
        await page.goto(url, wait_until="domcontentloaded", timeout=120_000)
        await page.wait_for_selector("h1", timeout=120_000)
        await page.wait_for_selector(IDLE, timeout=120_000)
        stats["browser_load"].append(time.perf_counter() - t0)
        await page.evaluate(OBSERVE_JS)
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(*THINK))
            if time.monotonic() >= deadline:
                break
            start = await page.evaluate("performance.now()")
            t0 = time.perf_counter()
            await page.locator("body").press("r")
            try:
                await page.wait_for_function(DONE_JS, arg=start, timeout=60_000, polling=50)
                stats["browser_update"].append(time.perf_counter() - t0)
            except Exception:  # noqa: BLE001
                stats["timeouts"] += 1
        shown = await page.locator('[data-testid="stException"]').count()
        if shown:
            stats["page_exceptions"].append(f"{kind}: {await page.locator('[data-testid=stException]').first.inner_text()}"[:300])
        if await page.get_by_text("Connection error").count():
            stats["disconnects"] += 1
    except Exception as exc:  # noqa: BLE001
        stats["viewer_failures"].append(f"{kind}: {type(exc).__name__}: {exc}"[:300])
    finally:
        await ctx.close()


async def protocol_viewer(base: str, page_name: str, query: str, kind: str, deadline: float, stats: dict,
                          rng: random.Random) -> None:
    """One Streamlit session over the WebSocket protocol: load, fragment auto-reruns, page updates."""
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def rerun(fragment_id: str = "") -> bytes:
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page_name
        msg.rerun_script.context_info.url = f"{base}/{page_name}"
        if fragment_id:
            msg.rerun_script.fragment_id = fragment_id
            msg.rerun_script.is_auto_rerun = True
        return msg.SerializeToString()

    pending_full: list[float] = []
    pending_fragment: list[float] = []
    loaded = asyncio.Event()
    fragments: dict[str, float] = {}
    try:
        async with websockets.connect(base.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                      max_size=None, additional_headers={"Origin": base},
                                      open_timeout=120, ping_interval=None) as ws:  # like the browser
            async def reader() -> None:
                async for data in ws:
                    fm = ForwardMsg()
                    fm.ParseFromString(data)
                    kind_ = fm.WhichOneof("type")
                    if kind_ == "delta" and "ファシリテーター用リンクで表示中" in str(fm.delta.new_element.markdown.body) \
                            and not loaded.is_set():
                        stats["facilitator_sessions"] += 1  # the link was accepted: the facilitator's view
                    if kind_ == "delta" and fm.delta.WhichOneof("type") == "new_element" and \
                            fm.delta.new_element.WhichOneof("type") == "exception":
                        stats["page_exceptions"].append(f"{kind}: {fm.delta.new_element.exception.message}"[:300])
                    elif kind_ == "auto_rerun" and fm.auto_rerun.fragment_id:
                        fragments[fm.auto_rerun.fragment_id] = fm.auto_rerun.interval
                    elif kind_ == "script_finished":
                        status = fm.script_finished
                        now = time.perf_counter()
                        if status == 0 and pending_full:
                            t0 = pending_full.pop(0)
                            key = "load" if not loaded.is_set() else "update"
                            stats[key][kind].append(now - t0)
                            loaded.set()
                        elif status == 3 and pending_fragment:
                            stats["fragment"].append(now - pending_fragment.pop(0))

            async def auto() -> None:  # what the browser does for st.fragment(run_every=…)
                await loaded.wait()
                while time.monotonic() < deadline:
                    for fid, interval in list(fragments.items()):
                        pending_fragment.append(time.perf_counter())
                        await ws.send(rerun(fid))
                        await asyncio.sleep(max(1.0, interval))
                    if not fragments:
                        await asyncio.sleep(1)

            read_task = asyncio.create_task(reader())
            auto_task = asyncio.create_task(auto())
            pending_full.append(time.perf_counter())
            await ws.send(rerun())
            await asyncio.wait_for(loaded.wait(), timeout=300)
            while time.monotonic() < deadline:
                await asyncio.sleep(rng.uniform(*THINK))
                if time.monotonic() >= deadline:
                    break
                pending_full.clear()
                pending_fragment.clear()
                pending_full.append(time.perf_counter())
                await ws.send(rerun())
            await asyncio.sleep(2)
            auto_task.cancel()
            read_task.cancel()
    except Exception as exc:  # noqa: BLE001
        stats["viewer_failures"].append(f"{kind}: {type(exc).__name__}: {exc}"[:300])


async def run_viewers(base: str, world: dict, n: int, duration: float, ramp: float, browsers: int,
                      only: str = "") -> dict:
    from playwright.async_api import async_playwright

    stats = {"load": {"roster": [], "history": [], "surveys": []},
             "update": {"roster": [], "history": [], "surveys": []},
             "browser_load": [], "browser_update": [], "fragment": [], "facilitator_sessions": 0,
             "browser_errors": [], "page_exceptions": [], "viewer_failures": [], "timeouts": 0, "disconnects": 0}
    rng = random.Random(7)
    kinds = ["roster"] * round(n * 0.6) + ["history"] * round(n * 0.2)
    kinds += ["surveys"] * (n - len(kinds))
    if only:
        kinds = [only] * n
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        deadline = time.monotonic() + ramp + duration
        tasks = []
        real = set(rng.sample(range(n), min(browsers, n)))
        for i, kind in enumerate(kinds):
            query = f"token={world['links'][i % len(world['links'])]}" if kind == "roster" else ""
            if i in real:
                url = f"{base}/{kind}" + (f"?{query}" if query else "")
                tasks.append(asyncio.create_task(viewer(browser, url, kind, deadline, stats, random.Random(i))))
            else:
                tasks.append(asyncio.create_task(protocol_viewer(base, kind, query, kind, deadline, stats,
                                                                 random.Random(i))))
            await asyncio.sleep(ramp / max(1, n))
        await asyncio.gather(*tasks)
        await browser.close()
    return stats


def warm_up(base: str) -> None:
    """Open the home page once, as after any restart (see notes/issue-9.md: pages/ folder mode)."""
    import websockets.sync.client as wsc
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    with wsc.connect(base.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                     additional_headers={"Origin": base}, max_size=None, open_timeout=60) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(ws.recv(timeout=120))
            if fm.WhichOneof("type") == "script_finished" and fm.script_finished != 2:
                return


def summarise(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_ms": round(1000 * statistics.median(values)),
            "p95_ms": round(1000 * pct(values, 95)), "max_ms": round(1000 * max(values))}


def main() -> int:
    global THINK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--viewers", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60, help="seconds of steady load after the ramp")
    ap.add_argument("--ramp", type=float, default=25, help="seconds over which viewers arrive")
    ap.add_argument("--editors", type=int, default=2)
    ap.add_argument("--browsers", type=int, default=5, help="how many of the viewers are real Chromium pages")
    ap.add_argument("--only", choices=["roster", "history", "surveys"], default="",
                    help="every viewer on this page (to see which page costs what)")
    ap.add_argument("--think", type=float, nargs=2, default=THINK, metavar=("MIN", "MAX"),
                    help="seconds between one viewer's page updates (default 10 20)")
    ap.add_argument("--json", help="write the results here too")
    args = ap.parse_args()
    THINK = tuple(args.think)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}")
    with tempfile.TemporaryDirectory(prefix="facilitation-load-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'load.sqlite3'}"
        world = prepare(url)
        proc, base = start_app(url, Path(tmp) / "streamlit.log")
        editors = Editors(url, world, args.editors)
        try:
            started = time.time()
            threads = editors.start()
            warm_up(base)
            stats = asyncio.run(run_viewers(base, world, args.viewers, args.duration, args.ramp, args.browsers,
                                            args.only))
            editors.stop.set()
            for t in threads:
                t.join(10)
            elapsed = time.time() - started
            log_tail = (Path(tmp) / "streamlit.log").read_text(errors="replace")
            out = ROOT / "bench" / "out"
            out.mkdir(exist_ok=True)
            (out / "load-streamlit.log").write_text(log_tail)
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        writes = editors.verify()
    all_updates = [v for vs in stats["update"].values() for v in vs]
    all_loads = [v for vs in stats["load"].values() for v in vs]
    result = {
        "viewers": args.viewers, "editors": args.editors, "seconds": round(elapsed), "think_s": list(THINK), "only": args.only,
        "load": {k: summarise(v) for k, v in stats["load"].items()} | {"all": summarise(all_loads)},
        "update": {k: summarise(v) for k, v in stats["update"].items()} | {"all": summarise(all_updates)},
        "roster_auto_refresh": summarise(stats["fragment"]),
        "facilitator_link_sessions": stats["facilitator_sessions"],
        "real_browsers": {"load": summarise(stats["browser_load"]), "update": summarise(stats["browser_update"])},
        "errors": {"page_exceptions": stats["page_exceptions"], "browser_errors": stats["browser_errors"][:10],
                   "viewer_failures": stats["viewer_failures"], "update_timeouts": stats["timeouts"],
                   "disconnects": stats["disconnects"],
                   "server_log_tracebacks": log_tail.count("Traceback")},
        "secretariat": writes,
        "cpu": os.cpu_count(), "loadavg_at_end": os.getloadavg(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2))
    ok = not (stats["page_exceptions"] or stats["viewer_failures"] or writes["lost_writes"] or writes["errors"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
