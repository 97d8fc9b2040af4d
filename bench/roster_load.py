"""Benchmark: 30 phones on one room's roster plus the secretariat's overview, in real browsers.

    .venv/bin/python bench/roster_load.py [--phones 30] [--rounds 6]

Starts the app (streamlit_app.py, loopback only) on a fresh demo database with 12 people in room 1
of the upcoming meeting, opens N phone-sized pages (Debian Chromium via Playwright, one browser) on
that room's facilitator link (?token=…, each page its own Streamlit session) and one desktop page
on the secretariat's all-rooms overview. Each round
makes one change — a real tap on one of the phones, or a move / tap written to the database as the
secretariat's other screens would — and records, in every page, when the change became visible
(an in-page poller every 100 ms), counted from when the change was recorded in the database (for
a tap on a phone: the attendance row's time; how long the tap itself took is printed). Reports median / p95 / max latency, and checks that no page
showed a refresh that began after the change without the change (each page's 「最終更新 HH:MM:SS」 is
the time its refresh read the database), any error shown or logged, and the CPU the server and the
browsers used while the changes were made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from facilitation.access import gate  # noqa: E402
from facilitation.access.roles import SECRETARIAT_LOCAL  # noqa: E402
from facilitation.demo import dataset  # noqa: E402
from facilitation.meetings import schedule  # noqa: E402
from facilitation.rosters import live  # noqa: E402
from facilitation.storage import db  # noqa: E402
from facilitation.storage.models import Assignment, Attendance, Registration, Room  # noqa: E402
from tests import streamlit_process  # noqa: E402

CHROMIUM = os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium")
WATCH_JS = """([needle, since]) => {
  window.__seen = null;
  window.__refreshes = [];
  clearInterval(window.__watch);
  window.__watch = setInterval(() => {
    if (window.__seen !== null) return;
    const text = document.body.textContent;  // not innerText: that forces a layout 10 times a second
    const m = text.match(/最終更新 (\\d\\d:\\d\\d:\\d\\d)/);
    if (text.includes(needle)) window.__seen = Date.now();
    else if (m && (window.__refreshes.length === 0 || window.__refreshes.at(-1) !== m[1])) window.__refreshes.push(m[1]);
  }, 100);
}"""
JST = dt.timezone(dt.timedelta(hours=9))


class ProtocolPhones:
    """Phones that speak Streamlit's WebSocket protocol from a thread of this process (no browser, so
    their rendering does not share the server's CPU): each loads the facilitator link and then does
    what the page's JavaScript does — rerun the roster fragment every interval (streamlit_app.py), or
    wait on /_roster/stamp and rerun it when told (serve.py). Each records when a needle first
    appears in what the server sends it."""

    def __init__(self, base: str, token: str, n: int):
        import asyncio
        import threading

        self.base, self.token, self.n = base, token, n
        self.needle = ""
        self.seen: dict[int, float] = {}
        self.loaded = 0
        self.errors: list[str] = []
        self.stop = False
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks = [asyncio.run_coroutine_threadsafe(self.phone(i), self.loop) for i in range(n)]

    def watch(self, needle: str) -> None:
        self.seen = {}
        self.needle = needle

    async def phone(self, i: int) -> None:
        import asyncio
        import json
        import urllib.parse
        import urllib.request

        import websockets
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        query = f"token={self.token}"

        def rerun(fragment_id: str = "") -> bytes:
            msg = BackMsg()
            msg.rerun_script.query_string = query
            msg.rerun_script.context_info.url = f"{self.base}/?{query}"
            if fragment_id:
                msg.rerun_script.fragment_id = fragment_id
                msg.rerun_script.is_auto_rerun = True
            return msg.SerializeToString()

        waiter: dict = {}
        changed_since = asyncio.Event()
        fragments: dict[str, float] = {}
        try:
            async with websockets.connect(self.base.replace("http", "ws") + "/_stcore/stream", subprotocols=["streamlit"],
                                          max_size=None, additional_headers={"Origin": self.base},
                                          open_timeout=120, ping_interval=None) as ws:
                async def reader() -> None:
                    first = True
                    async for data in ws:  # ends quietly when the connection closes
                        fm = ForwardMsg()
                        fm.ParseFromString(data)
                        if fm.WhichOneof("type") == "script_finished" and first:
                            first = False
                            self.loaded += 1
                        if fm.WhichOneof("type") == "auto_rerun" and fm.auto_rerun.fragment_id:
                            fragments[fm.auto_rerun.fragment_id] = fm.auto_rerun.interval
                        if fm.WhichOneof("type") != "delta" or fm.delta.WhichOneof("type") != "new_element":
                            continue
                        el = fm.delta.new_element
                        kind = el.WhichOneof("type")
                        if kind == "markdown" and self.needle and i not in self.seen and self.needle in el.markdown.body:
                            self.seen[i] = time.time() * 1000
                        elif kind == "exception":
                            self.errors.append(f"protocol phone {i}: {el.exception.message}"[:300])
                        elif kind == "bidi_component" and "live_stamp" in el.bidi_component.component_name:
                            data = json.loads(el.bidi_component.json or "{}")
                            if data.get("since") != waiter.get("since"):
                                waiter.update(since=data.get("since"), fragment=fm.delta.fragment_id)
                                changed_since.set()

                async def periodic() -> None:  # st.fragment(run_every=…) in the browser
                    while not self.stop:
                        for fid, interval in list(fragments.items()):
                            await ws.send(rerun(fid))
                            await asyncio.sleep(max(1.0, interval))
                        if not fragments:
                            await asyncio.sleep(1)

                async def waiting() -> None:  # ui/live_stamp.py's component
                    while not self.stop:
                        if not waiter:
                            await asyncio.sleep(0.5)
                            continue
                        url = (f"{self.base}/_roster/stamp?token={urllib.parse.quote(self.token)}"
                               f"&since={urllib.parse.quote(waiter['since'])}")
                        body = await asyncio.to_thread(lambda u=url: json.loads(urllib.request.urlopen(u, timeout=60).read()))
                        if body.get("changed") and not self.stop:
                            changed_since.clear()
                            await ws.send(rerun(waiter["fragment"]))
                            try:
                                await asyncio.wait_for(changed_since.wait(), 3)
                            except TimeoutError:
                                pass

                async def quiet_reader() -> None:
                    try:
                        await reader()
                    except websockets.ConnectionClosed:
                        pass

                read_task = asyncio.create_task(quiet_reader())
                await ws.send(rerun())
                while not self.stop and not (fragments or waiter):
                    await asyncio.sleep(0.2)
                await (waiting() if waiter else periodic())
                read_task.cancel()
        except Exception as exc:  # noqa: BLE001 - a benchmark records every failure
            if not self.stop:
                self.errors.append(f"protocol phone {i}: {type(exc).__name__}: {exc}"[:300])

    def close(self) -> None:
        self.stop = True
        for task in self.tasks:
            task.cancel()
        time.sleep(1)
        self.loop.call_soon_threadsafe(self.loop.stop)


def missed_refreshes(shown: list[str], t0_ms: float) -> int:
    """Refreshes a page showed without the change although they read the database after it was made.

    `shown` are the 「最終更新」 times (JST, whole seconds) seen before the change appeared; the first
    is the one already on screen. A time in a later second than the change is certainly after it.
    """
    changed = dt.datetime.fromtimestamp(t0_ms / 1000, JST)
    day = changed.date()
    later = [t for t in shown[1:] if dt.datetime.combine(day, dt.time.fromisoformat(t), JST).timestamp()
             >= int(changed.timestamp()) + 1]
    return len(later)


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def chromium_pids() -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if "chrom" in (proc / "comm").read_text():
                    pids.append(int(proc.name))
            except OSError:
                pass
    return pids


SECRET = "bench-roster-load-secret-at-least-32-characters"


def prepare(url: str, in_room: int) -> dict:
    with db.session(url, actor="bench") as s:
        dataset.generate(s)
    with db.session(url, actor="bench") as s:
        meeting = schedule.upcoming_meeting(s, now=dt.datetime(2026, 12, 1))
        rooms = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).all()
        regs = s.scalars(select(Registration).where(Registration.meeting_id == meeting.id).order_by(Registration.id)).all()
        for i, reg in enumerate(regs[:in_room]):
            s.add(Assignment(registration_id=reg.id, room_id=rooms[0].id, is_facilitator=i == 0))
        for i, reg in enumerate(regs[in_room:in_room + 8]):
            s.add(Assignment(registration_id=reg.id, room_id=rooms[1 + i % (len(rooms) - 1)].id))
        s.flush()
        link = gate.issue_link(s, SECRETARIAT_LOCAL, rooms[0].id, SECRET.encode())
        return {"meeting_id": meeting.id, "room": rooms[0].id, "room_name": rooms[0].name, "token": link.token,
                "members": [(r.id, r.person.name) for r in regs[:in_room]],
                "spare": [(r.id, r.person.name) for r in regs[in_room:in_room + 8]]}


def start_app(url: str, log: Path, entry: str = "streamlit_app.py") -> tuple[subprocess.Popen, str]:
    app = streamlit_process.start(url, log, env={gate.SECRET_ENV: SECRET}, timeout=60, entry=entry)
    return app.proc, app.base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phones", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--in-room", type=int, default=12)
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds a change may take before it counts as missed")
    parser.add_argument("--protocol-phones", type=int, default=0,
                        help="also this many phones speaking Streamlit's protocol from this process (no browser)")
    parser.add_argument("--entry", default="streamlit_app.py",
                        help="serve.py: phones wait on the change route instead of refreshing every few seconds")
    parser.add_argument("--idle", type=float, default=0.0,
                        help="first measure the server's CPU for this many seconds with nothing changing")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from ui.roster import REFRESH_SECONDS

    home = Path(tempfile.mkdtemp(prefix="roster-load-"))
    url = f"sqlite:///{home / 'app.sqlite3'}"
    world = prepare(url, args.in_room)
    proc, base = start_app(url, home / "streamlit.log", args.entry)
    errors: list[str] = []
    missed = 0
    server_cpu = browser_cpu = float("nan")
    latencies: dict[str, list[float]] = {"phones": [], "overview": [], "protocol": []}
    proto = None
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-renderer-backgrounding",
                "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"])
            phones = []
            t_open = time.monotonic()
            # Pages share a context five at a time: every page is its own Streamlit session (its own
            # websocket); sharing the HTTP cache spares re-parsing the app's JavaScript, and separate
            # contexts keep Chromium's per-profile connection limits out of the measurement.
            contexts = []
            for i in range(args.phones):
                if i % 5 == 0:
                    contexts.append(browser.new_context(viewport={"width": 375, "height": 812}, locale="ja-JP",
                                                        is_mobile=True, has_touch=True))
                page = contexts[-1].new_page()
                page.on("pageerror", lambda exc, i=i: errors.append(f"phone {i}: {exc}"))
                t_page = time.monotonic()
                page.goto(f"{base}/?token={world['token']}", wait_until="domcontentloaded")
                try:
                    page.get_by_text("Zoom表示名").first.wait_for(timeout=120_000)
                except Exception:
                    page.screenshot(path=str(home / f"stuck-{i}.png"), full_page=True)
                    raise SystemExit(f"phone {i} did not show the roster; see {home}/stuck-{i}.png and streamlit.log") from None
                phones.append(page)
                print(f"  phone {i} open in {time.monotonic() - t_page:.1f} s", flush=True)
            desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP").new_page()
            desk.on("pageerror", lambda exc: errors.append(f"overview: {exc}"))
            desk.goto(f"{base}/roster", wait_until="domcontentloaded")
            desk.get_by_text(f"{world['room_name']}　出席").first.wait_for(timeout=90_000)
            print(f"{args.phones} phones + overview open in {time.monotonic() - t_open:.0f} s; "
                  f"refresh every {REFRESH_SECONDS} s")
            if args.protocol_phones:
                proto = ProtocolPhones(base, world["token"], args.protocol_phones)
                t_proto = time.monotonic()
                while proto.loaded < args.protocol_phones and time.monotonic() - t_proto < 180:
                    time.sleep(0.5)
                print(f"{proto.loaded} of {args.protocol_phones} protocol phones loaded in "
                      f"{time.monotonic() - t_proto:.0f} s", flush=True)
            time.sleep(REFRESH_SECONDS)
            idle_cpu = float("nan")
            if args.idle:
                cpu0, wall0 = cpu_seconds([proc.pid]), time.monotonic()
                time.sleep(args.idle)
                idle_cpu = (cpu_seconds([proc.pid]) - cpu0) / (time.monotonic() - wall0)
                print(f"idle server CPU over {args.idle:.0f} s: {idle_cpu * 100:.1f} % of a core "
                      f"({idle_cpu * 100 * 10 / (args.phones + args.protocol_phones + 1):.1f} % per 10 pages)", flush=True)
            browsers = chromium_pids()
            cpu0, browser_cpu0, wall0 = cpu_seconds([proc.pid]), cpu_seconds(browsers), time.monotonic()

            present, total = 0, len(world["members"])
            members = list(world["members"])
            spare = list(world["spare"])
            for round_ in range(args.rounds):
                if round_ % 3 == 2 and spare:  # a move into the room, written by the secretariat's editor
                    rid, name = spare.pop(0)
                    total += 1
                    needle_phone, needle_desk = name, f"{world['room_name']}　出席 {present} / {total}名"
                    for page in [*phones, desk]:
                        page.evaluate(WATCH_JS, [needle_desk if page is desk else needle_phone, 0])
                    if proto:
                        proto.watch(needle_phone)
                    t0 = time.time() * 1000
                    with db.session(url, actor="bench") as s:
                        s.scalar(select(Assignment).where(Assignment.registration_id == rid)).room_id = world["room"]
                    committed = time.time() * 1000
                    members.append((rid, name))
                    what = f"move of {name}"
                else:
                    rid, name = members[present]
                    present += 1
                    needle_phone = f"出席 {present}・遅刻"
                    needle_desk = f"{world['room_name']}　出席 {present} / {total}名"
                    for page in [*phones, desk]:
                        page.evaluate(WATCH_JS, [needle_desk if page is desk else needle_phone, 0])
                    if proto:
                        proto.watch(needle_phone)
                    if round_ % 3 == 0:  # a real tap on one phone
                        tapper = phones[(round_ * 7) % len(phones)]
                        t0 = time.time() * 1000
                        tapper.get_by_role("radiogroup", name=f"{name}さんの出欠").get_by_role("radio", name="出席").click()
                        committed = None  # read back below: the tap is written when the phone's message arrives
                        what = f"tap on phone {(round_ * 7) % len(phones)}"
                    else:  # the secretariat's screen taps
                        t0 = time.time() * 1000
                        with db.session(url, actor="bench") as s:
                            live.mark_attendance(s, SECRETARIAT_LOCAL, rid, "出席")
                        committed = time.time() * 1000
                        what = "tap from the secretariat"
                deadline = time.monotonic() + args.timeout
                pending = {id(p): p for p in [*phones, desk]}
                seen: dict[int, float] = {}
                refreshes: dict[int, list[str]] = {}
                while (pending or (proto and len(proto.seen) < proto.n)) and time.monotonic() < deadline:
                    for key, page in list(pending.items()):
                        got = page.evaluate("() => window.__seen")
                        if got is not None:
                            seen[key] = got
                            refreshes[key] = page.evaluate("() => window.__refreshes")
                            del pending[key]
                    time.sleep(0.5)  # the in-page poller keeps the time; this only collects it
                if committed is None:
                    with db.session(url, actor="bench") as s:
                        marked = s.scalar(select(Attendance.marked_at).where(Attendance.registration_id == rid))  # UTC, naive
                    committed = marked.replace(tzinfo=dt.UTC).timestamp() * 1000
                missed += sum(missed_refreshes(shown, committed) for shown in refreshes.values())
                seen = {key: (got - committed) / 1000 for key, got in seen.items()}  # from when the change was made
                for page in pending.values():
                    text = page.evaluate("() => document.body.innerText")
                    at = text.find("出席")
                    errors.append(f"round {round_}: change not visible within {args.timeout:.0f} s on a page showing "
                                  f"{text[max(0, at - 10):at + 40]!r}")
                phone_lat = [seen[id(p)] for p in phones if id(p) in seen]
                if proto:
                    proto_lat = [(got - committed) / 1000 for got in dict(proto.seen).values()]
                    latencies["protocol"] += proto_lat
                    if len(proto_lat) < proto.n:
                        errors.append(f"round {round_}: {proto.n - len(proto_lat)} protocol phones did not see the change")
                desk_lat = seen.get(id(desk))
                latencies["phones"] += phone_lat
                if desk_lat is not None:
                    latencies["overview"].append(desk_lat)
                if committed - t0 > 500:
                    what += f" (recorded {(committed - t0) / 1000:.1f} s after the click began)"
                print(f"round {round_}: {what}: phones max {max(phone_lat, default=0):.1f} s, "
                      f"overview {desk_lat if desk_lat is not None else float('nan'):.1f} s, missed {len(pending)}")
            wall = time.monotonic() - wall0
            server_cpu = (cpu_seconds([proc.pid]) - cpu0) / wall
            browser_cpu = (cpu_seconds(browsers) - browser_cpu0) / wall
            for i, page in enumerate([*phones, desk]):
                if page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
                    errors.append(f"page {i}: an error box is shown")
            browser.close()
            if proto:
                errors += proto.errors
                proto.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    log = (home / "streamlit.log").read_text(errors="replace")
    if "Traceback" in log:
        errors.append("the server log has a traceback: " + log[log.index("Traceback"):][:800])
    if latencies["protocol"]:
        ordered = sorted(latencies["protocol"])
        print(f"protocol phones: {len(ordered)} observations, median {statistics.median(ordered):.1f} s, "
              f"p95 {ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]:.1f} s, max {ordered[-1]:.1f} s")
    every = latencies["phones"] + latencies["overview"] + latencies["protocol"]
    if every:
        ordered = sorted(every)
        p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
        print(f"observations {len(every)}: median {statistics.median(every):.1f} s, p95 {p95:.1f} s, "
              f"max {max(every):.1f} s (refresh interval {REFRESH_SECONDS} s)")
    print(f"refreshes that read the database after a change but did not show it: {missed}")
    print(f"CPU while the changes were made: server {server_cpu:.2f} of a core, browsers {browser_cpu:.2f}")
    print(f"errors: {len(errors)}")
    for e in errors[:20]:
        print("  " + e)
    return 0 if not errors and not missed else 1


if __name__ == "__main__":
    raise SystemExit(main())
