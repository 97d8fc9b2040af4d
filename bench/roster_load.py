"""Benchmark: phones on one room's roster, the secretariat's overview, and secretaries editing meanwhile.

    .venv/bin/python bench/roster_load.py [--phones 30] [--protocol-phones 0] [--rounds 6]
        [--editors 2] [--entry streamlit_app.py|serve.py] [--idle 0] [--json out.json]

Starts the app (streamlit_app.py or serve.py, loopback only) on a fresh demo database with 12 people
in room 1 of the upcoming meeting, opens N phone-sized pages (Debian Chromium via Playwright, one
browser) on that room's facilitator link (?token=…, each page its own Streamlit session), optionally
`--protocol-phones` more that speak Streamlit's protocol from this process, and one desktop page on
the secretariat's all-rooms overview. Each round makes one change — a real tap on one of the phones,
or a move / tap written to the database as the secretariat's other screens would — and records, in
every page, when the change became visible (an in-page poller every 100 ms), counted from when the
change was recorded in the database (for a tap on a phone: the attendance row's time; how long the
tap itself took is printed). Reports median / p95 / max latency, and checks that no page showed a
refresh that began after the change without the change (each page's 「最終更新 HH:MM:SS」 is the time
its refresh read the database), any error shown or logged, and the CPU the server and the browsers
used while the changes were made.

During the rounds `--editors` secretaries (threads of this process, see Secretaries) edit
continuously through the domain functions the pages call: moves between rooms with the version
check, attendance marks and room notes, in room 1 too, so the phones rerun for their changes as
well. Afterwards every page must show room 1's last state, and every write is checked against the
database: attempted, applied, refused by the lock (and retried), and lost (applied, not there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
from facilitation.demo import dataset  # noqa: E402
from facilitation.meetings import schedule  # noqa: E402
from facilitation.roles import SECRETARIAT_LOCAL  # noqa: E402
from facilitation.rosters import live, notes  # noqa: E402
from facilitation.storage import db  # noqa: E402
from facilitation.storage.models import Assignment, Attendance, Registration, Room  # noqa: E402
from tests import streamlit_process  # noqa: E402

CHROMIUM = os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium")
WATCH_JS = """([needle, since]) => {
  window.__seen = null;
  window.__refreshes = [];
  window.__candidate = null;
  clearInterval(window.__watch);
  window.__watch = setInterval(() => {
    if (window.__seen !== null) return;
    let text = document.body.textContent;  // not innerText: that forces a layout 10 times a second
    // components v2 elements (the roster's people) draw inside an open shadow root
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      if (host.shadowRoot) text += host.shadowRoot.textContent;
    }
    const m = text.match(/最終更新 (\\d\\d:\\d\\d:\\d\\d)/);
    if (text.includes(needle)) window.__seen = Date.now();
    else if (m && window.__refreshes.length === 0) window.__refreshes.push(m[1]);  // the one on screen
    else if (m && window.__refreshes.at(-1) !== m[1]) {
      // A refresh counts once its time has shown for 300 ms without the needle: a components v2
      // element (the people) is drawn by its script a moment after the rerun's markdown (an effect
      // after paint), so its new names may lag the new 最終更新 by a frame or a few under load.
      if (!window.__candidate || window.__candidate.t !== m[1]) window.__candidate = { t: m[1], at: Date.now() };
      else if (Date.now() - window.__candidate.at >= 300) window.__refreshes.push(m[1]);
    }
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
        self.counts_shown: dict[int, str] = {}  # each phone's last counts line (「**出席 N・遅刻 …**」)
        self.loaded = 0
        self.errors: list[str] = []
        self.stop = False
        self.loop = asyncio.new_event_loop()
        # Each phone holds one long-poll in a thread (asyncio.to_thread). The default executor has
        # min(32, cores + 4) threads, 6 on this machine: the other phones' polls queued behind polls
        # held up to WAIT_SECONDS once nothing changed (after the secretaries stopped, some phones
        # then missed the last state for 20 s). One thread per phone, as 50 phones would be.
        from concurrent.futures import ThreadPoolExecutor

        self.loop.set_default_executor(ThreadPoolExecutor(max_workers=n + 4, thread_name_prefix="phone"))
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.tasks = [asyncio.run_coroutine_threadsafe(self.phone(i), self.loop) for i in range(n)]

    def watch(self, needle: str) -> None:
        """From now on record when each phone shows `needle` (at once if its counts line has it)."""
        now = time.time() * 1000
        self.seen = {i: now for i, body in list(self.counts_shown.items()) if needle in body}
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
                        if kind == "markdown" and el.markdown.body.startswith("**出席 "):
                            self.counts_shown[i] = el.markdown.body
                        if kind == "markdown" and self.needle and i not in self.seen and self.needle in el.markdown.body:
                            self.seen[i] = time.time() * 1000
                        elif (kind == "bidi_component" and self.needle and i not in self.seen
                              and "roster_people" in el.bidi_component.component_name
                              and self.needle in json.dumps(json.loads(el.bidi_component.json or "{}"),
                                                            ensure_ascii=False)):
                            self.seen[i] = time.time() * 1000  # a name among the people (ui/roster_people.py)
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


def move_row(assignment_id: int, version: int, room_name: str, pinned: bool, facilitator: bool) -> dict:
    """One changed line of the rooms page's people editor, as `service.apply_edits` reads it."""
    return {"assignment_id": assignment_id, "version": version, "room": room_name, "pinned": pinned,
            "facilitator": facilitator}


NOTE_FIELDS = ("issues", "efforts", "requests", "summary")


class Secretaries:
    """N secretaries editing continuously, in threads of this process, through the domain functions
    the pages call: moves between rooms as the rooms page saves them (`service.apply_edits`, refused
    when the version moved on: the secretary then looks again and redoes the move), attendance
    marks as the overview's room view records them (`live.mark_attendance`), and room notes as the
    autosaving fields save them (`notes.save_field` with the text the typing began from, refused
    with NoteConflict when someone else saved meanwhile: looked at again and redone).

    Moves and notes go to a shared pool (so the two secretaries do collide); each secretary marks
    only her own people (two people tapping the same person is the last-tap-wins case, not a lost
    write). Marks are 欠席 or cleared, so the rounds' 出席 counts stay what the bench expects, while
    moves in and out of the measured room and the marks there still make its phones rerun.

    `verify()` counts lost writes = applied writes that are not in the database at the end: a move
    whose version is missing from its assignment's consecutive versions (or whose room is not the
    last one), a mark that is not the person's mark at the end although it was that secretary's
    last, a note that is not on the chain from the final text back through each save's starting text.
    """

    def __init__(self, url: str, world: dict, n: int):
        import threading

        self.url, self.world, self.n = url, world, n
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads: list = []
        self.counts = {k: {"attempted": 0, "applied": 0, "refused": 0, "retried": 0, "gave_up": 0}
                       for k in ("move", "mark", "note")}
        self.moves: dict[int, list[tuple[int, int]]] = {}  # assignment → [(version seen, room)]
        self.marks: dict[int, list[str]] = {}  # registration → marks applied, in order (one writer each)
        self.notes: dict[tuple[int, str], list[tuple[str, str]]] = {}  # (room, field) → [(started from, text)]
        self.errors: list[str] = []
        self.seconds: list[float] = []  # each applied write, from the save's start
        with db.session(url) as s:
            self.start_versions = {aid: s.get(Assignment, aid).version for aid in world["pool"]}
            self.start_notes = {(room, f): notes.get_note(s, SECRETARIAT_LOCAL, room).values()[f]
                                for room in world["rooms"] for f in NOTE_FIELDS}

    def start(self) -> None:
        import threading

        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.n)]
        for t in self.threads:
            t.start()

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(30)

    def _count(self, kind: str, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[kind][key] += n

    def _run(self, who: int) -> None:
        import random

        from facilitation.roles import SECRETARIAT, Viewer

        viewer = Viewer(role=SECRETARIAT, email=f"editor{who}@example.org")
        rng = random.Random(1000 + who)
        mine = self.world["pool_regs"][who::self.n]
        step = 0
        while not self.stop.is_set():
            step += 1
            kind = rng.choices(("move", "mark", "note"), weights=(5, 3, 2))[0]
            if kind == "mark" and not mine:
                kind = "move"
            try:
                if kind == "move":
                    self._move(viewer, rng)
                elif kind == "mark":
                    self._mark(viewer, rng.choice(mine))
                else:
                    self._note(viewer, rng, f"{viewer.email.split('@')[0]} の記録 {step}")
            except Exception as exc:  # noqa: BLE001 - a benchmark records every failure
                with self.lock:
                    self.errors.append(f"editor {who} {kind}: {type(exc).__name__}: {exc}"[:300])
            self.stop.wait(rng.uniform(0.3, 1.0))  # the secretary looks at the screen between edits

    def _move(self, viewer, rng) -> None:
        import pandas as pd

        from facilitation.assignment import service

        aid = rng.choice(self.world["pool"][:6])  # a few hot rows: the two secretaries do collide
        target = None
        for attempt in range(4):
            with db.session(self.url, actor=viewer.actor) as s:  # what the editor shows
                a = s.get(Assignment, aid)
                seen, current, pinned, fac = a.version, a.room_id, a.pinned, a.is_facilitator
            if target is None or target == current:
                target = rng.choice([r for r in self.world["rooms"] if r != current])
            self.stop.wait(rng.uniform(0.05, 0.3))  # picks the new room in the table
            self._count("move", "attempted" if attempt == 0 else "retried")
            t0 = time.perf_counter()
            row = move_row(aid, seen, self.world["room_names"][target], pinned, fac)
            with db.session(self.url, actor=viewer.actor) as s:  # the rooms page's save
                out = service.apply_edits(s, viewer, self.world["meeting_id"], pd.DataFrame([row]))
            if out.changed == 1:
                with self.lock:
                    self.counts["move"]["applied"] += 1
                    self.seconds.append(time.perf_counter() - t0)
                    self.moves.setdefault(aid, []).append((seen, target))
                return
            self._count("move", "refused")  # shown in Japanese; the secretary looks again and redoes it
        self._count("move", "gave_up")

    def _mark(self, viewer, rid: int) -> None:
        with db.session(self.url, actor=viewer.actor) as s:
            before = live.marks_of(s, self.world["meeting_id"]).get(rid, "")
        mark = "" if before else "欠席"
        self._count("mark", "attempted")
        t0 = time.perf_counter()
        with db.session(self.url, actor=viewer.actor) as s:
            live.mark_attendance(s, viewer, rid, mark)
        with self.lock:
            self.counts["mark"]["applied"] += 1
            self.seconds.append(time.perf_counter() - t0)
            self.marks.setdefault(rid, []).append(mark)

    def _note(self, viewer, rng, text: str) -> None:
        room, field = rng.choice(self.world["rooms"]), rng.choice(NOTE_FIELDS)
        for attempt in range(4):
            with db.session(self.url, actor=viewer.actor) as s:  # what the field shows when typing starts
                started = notes.get_note(s, viewer, room).values()[field]
            self.stop.wait(rng.uniform(0.1, 0.4))  # typing
            self._count("note", "attempted" if attempt == 0 else "retried")
            t0 = time.perf_counter()
            try:
                with db.session(self.url, actor=viewer.actor) as s:
                    notes.save_field(s, viewer, room, field, text, started)
            except notes.NoteConflict:
                self._count("note", "refused")  # the field shows the other text; she types again
                continue
            with self.lock:
                self.counts["note"]["applied"] += 1
                self.seconds.append(time.perf_counter() - t0)
                self.notes.setdefault((room, field), []).append((started, text))
            return
        self._count("note", "gave_up")

    def verify(self) -> dict:
        """The writes checked against the database at the end; lost = applied but not there."""
        lost: list[str] = []
        with db.session(self.url) as s:
            for aid, writes in self.moves.items():
                a = s.get(Assignment, aid)
                versions = sorted(v for v, _ in writes)
                expected = list(range(self.start_versions[aid], self.start_versions[aid] + len(writes)))
                if versions != expected or a.version != expected[-1] + 1 or a.room_id != max(writes)[1]:
                    lost.append(f"move of assignment {aid}: versions seen {versions}, database version "
                                f"{a.version} in room {a.room_id}")
            marks = live.marks_of(s, self.world["meeting_id"])
            for rid, applied in self.marks.items():
                if marks.get(rid, "") != applied[-1]:
                    lost.append(f"mark of registration {rid}: last applied {applied[-1]!r}, database {marks.get(rid)!r}")
            for (room, field), writes in self.notes.items():
                final = notes.get_note(s, SECRETARIAT_LOCAL, room).values()[field]
                by_text = {text: started for started, text in writes}
                chain, text = set(), final
                while text in by_text and text not in chain:
                    chain.add(text)
                    text = by_text[text]
                if text != self.start_notes[(room, field)]:
                    lost.append(f"note {room}/{field}: the final text does not lead back to the first")
                lost += [f"note {room}/{field}: {t!r} was saved and then replaced unseen"
                         for _, t in writes if t not in chain]
        applied = sum(c["applied"] for c in self.counts.values())
        ordered = sorted(self.seconds)
        return {"editors": self.n, "writes": self.counts, "applied": applied, "lost_writes": len(lost),
                "lost": lost[:20], "errors": self.errors[:20],
                "save_p95_ms": round(1000 * ordered[int(round(0.95 * (len(ordered) - 1)))]) if ordered else None}


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


def spread(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(ordered), "median": round(statistics.median(ordered), 2),
            "p95": round(ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))], 2),
            "max": round(ordered[-1], 2)}


def final_state(url: str, world: dict, phones: list, desk, proto, timeout: float) -> dict:
    """After the secretaries stopped: does every page show the measured room's last state (their
    moves in and out and their marks there included)?"""
    from ui.roster import counts_line

    with db.session(url) as s:
        counts = live.room_roster(s, SECRETARIAT_LOCAL, world["meeting_id"], world["room"]).counts
    needle = counts_line(counts)
    on_desk = (f"{world['room_name']}　出席 {counts['出席'] + counts['遅刻'] + counts['途中退室']} / "
               f"{counts['合計']}名")
    for page in [*phones, desk]:
        page.evaluate(WATCH_JS, [on_desk if page is desk else needle, 0])
    if proto:
        proto.watch(needle)
    deadline = time.monotonic() + timeout
    pending = list(phones) + [desk]
    while (pending or (proto and len(proto.seen) < proto.n)) and time.monotonic() < deadline:
        pending = [p for p in pending if p.evaluate("() => window.__seen") is None]
        time.sleep(0.5)
    shown = len(phones) - len([p for p in pending if p is not desk]) + (len(proto.seen) if proto else 0)
    total = len(phones) + (proto.n if proto else 0)
    errors = [f"the room's last state {needle!r} not shown within {timeout:.0f} s on {total - shown} phones"] \
        if shown < total else []
    if shown < total:  # what those phones show instead
        lines = "() => document.body.innerText.split('\\n').filter(l => l.includes('未確認') || l.includes('最終更新'))"
        errors += [f"  Chromium phone {phones.index(p)} shows {p.evaluate(lines)}" for p in pending if p is not desk]
        errors += [f"  protocol phone {i} last counts line {proto.counts_shown.get(i)!r}"
                   for i in range(proto.n) if i not in proto.seen] if proto else []
    if desk in pending:
        errors.append(f"the overview did not show {on_desk!r} within {timeout:.0f} s")
    return {"needle": needle, "phones": total, "phones_shown": shown, "overview_shown": desk not in pending,
            "errors": errors}


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    out = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_by_pid(pids).values())


def cpu_since(before: dict[int, float]) -> float:
    """CPU seconds used since `before` by the processes still running (one that ended, e.g. a
    Chromium helper, no longer counts instead of making the sum negative)."""
    now = cpu_by_pid(list(before))
    return sum(now[pid] - before[pid] for pid in now)


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


def prepare(url: str, in_room: int, pool: int = 16) -> dict:
    """Room 1 of the upcoming meeting gets `in_room` people (the first its facilitator); 8 spares wait
    in the other rooms, already marked 出席, for the rounds' moves into room 1; `pool` more people
    are spread over every room (room 1 too) for the secretaries to move and mark."""
    with db.session(url, actor="bench") as s:
        dataset.generate(s)
    with db.session(url, actor="bench") as s:
        meeting = schedule.upcoming_meeting(s, now=dt.datetime(2026, 12, 1))
        rooms = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).all()
        regs = s.scalars(select(Registration).where(Registration.meeting_id == meeting.id).order_by(Registration.id)).all()
        for i, reg in enumerate(regs[:in_room]):
            s.add(Assignment(registration_id=reg.id, room_id=rooms[0].id, is_facilitator=i == 0))
        spares = regs[in_room:in_room + 8]
        for i, reg in enumerate(spares):
            s.add(Assignment(registration_id=reg.id, room_id=rooms[1 + i % (len(rooms) - 1)].id))
        pooled = regs[in_room + 8:in_room + 8 + pool]
        for i, reg in enumerate(pooled):
            s.add(Assignment(registration_id=reg.id, room_id=rooms[i % len(rooms)].id))
        s.flush()
        for reg in spares:
            live.mark_attendance(s, SECRETARIAT_LOCAL, reg.id, "出席")
        link = gate.issue_link(s, SECRETARIAT_LOCAL, rooms[0].id, SECRET.encode())
        pool_ids = [a.id for a in s.scalars(select(Assignment).where(
            Assignment.registration_id.in_([r.id for r in pooled])).order_by(Assignment.id))]
        return {"meeting_id": meeting.id, "room": rooms[0].id, "room_name": rooms[0].name, "token": link.token,
                "members": [(r.id, r.person.name) for r in regs[:in_room]],
                "spare": [(r.id, r.person.name) for r in spares],
                "rooms": [r.id for r in rooms], "room_names": {r.id: r.name for r in rooms},
                "pool": pool_ids, "pool_regs": [r.id for r in pooled]}


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
    parser.add_argument("--editors", type=int, default=2,
                        help="secretaries moving people, marking attendance and writing room notes during the rounds")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from ui.roster import REFRESH_SECONDS

    home = Path(tempfile.mkdtemp(prefix="roster-load-"))
    url = f"sqlite:///{home / 'app.sqlite3'}"
    world = prepare(url, args.in_room)
    proc, base = start_app(url, home / "streamlit.log", args.entry)
    secretaries = Secretaries(url, world, args.editors) if args.editors else None
    final: dict = {}
    idle_cpu = float("nan")
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
            if args.idle:
                cpu0, wall0 = cpu_seconds([proc.pid]), time.monotonic()
                time.sleep(args.idle)
                idle_cpu = (cpu_seconds([proc.pid]) - cpu0) / (time.monotonic() - wall0)
                print(f"idle server CPU over {args.idle:.0f} s: {idle_cpu * 100:.1f} % of a core "
                      f"({idle_cpu * 100 * 10 / (args.phones + args.protocol_phones + 1):.1f} % per 10 pages)", flush=True)
            browsers = chromium_pids()
            cpu0, browser_cpu0, wall0 = cpu_seconds([proc.pid]), cpu_by_pid(browsers), time.monotonic()

            if secretaries:
                secretaries.start()
                print(f"{secretaries.n} secretaries editing from now until the last round", flush=True)
            # The needles: a phone's 「出席 N・遅刻」, the overview's 「ルーム1　出席 N / 」 (its total moves
            # with the secretaries' moves), or a moved person's name on the phones.
            present = 0
            to_tap = list(world["members"])
            spare = list(world["spare"])
            for round_ in range(args.rounds):
                if round_ % 3 == 2 and spare:  # a move into the room, written by the secretariat's editor
                    rid, name = spare.pop(0)
                    present += 1  # the spares were marked 出席 in their first room
                    needle_phone, needle_desk = name, f"{world['room_name']}　出席 {present} / "
                    for page in [*phones, desk]:
                        page.evaluate(WATCH_JS, [needle_desk if page is desk else needle_phone, 0])
                    if proto:
                        proto.watch(needle_phone)
                    t0 = time.time() * 1000
                    with db.session(url, actor="bench") as s:
                        s.scalar(select(Assignment).where(Assignment.registration_id == rid)).room_id = world["room"]
                    committed = time.time() * 1000
                    what = f"move of {name}"
                else:
                    rid, name = to_tap.pop(0)
                    present += 1
                    needle_phone = f"出席 {present}・遅刻"
                    needle_desk = f"{world['room_name']}　出席 {present} / "
                    for page in [*phones, desk]:
                        page.evaluate(WATCH_JS, [needle_desk if page is desk else needle_phone, 0])
                    if proto:
                        proto.watch(needle_phone)
                    if round_ % 3 == 0:  # a real tap on one phone
                        tapper = phones[(round_ * 7) % len(phones)]
                        t0 = time.time() * 1000
                        tapper.get_by_role("radiogroup", name=f"{name}さんの出欠").get_by_role("radio", name="出席").click()
                        clicked = time.time() * 1000  # Playwright's click returned (scrolled, stable, dispatched)
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
                stale = {key: missed_refreshes(shown, committed) for key, shown in refreshes.items()}
                missed += sum(stale.values())
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
                    what += (f" (recorded {(committed - t0) / 1000:.1f} s after the click began,"
                             f" {(committed - clicked) / 1000:.1f} s after it returned)")
                stale_pages = [("overview" if key == id(desk) else f"phone {[id(p) for p in phones].index(key)}")
                               for key, n in stale.items() if n]
                print(f"round {round_}: {what}: phones max {max(phone_lat, default=0):.1f} s, "
                      f"overview {desk_lat if desk_lat is not None else float('nan'):.1f} s, missed {len(pending)}"
                      + (f", refreshed after the change without it: {', '.join(stale_pages)}" if stale_pages else ""))
            wall = time.monotonic() - wall0
            server_cpu = (cpu_seconds([proc.pid]) - cpu0) / wall
            browser_cpu = cpu_since(browser_cpu0) / wall
            if secretaries:
                secretaries.finish()
                final = final_state(url, world, phones, desk, proto, args.timeout)
                errors += final.pop("errors")
                print(f"after the secretaries stopped, the room's last state 「{final['needle']}」 reached "
                      f"{final['phones_shown']} of {final['phones']} phones and the overview: {final['overview_shown']}")
            for i, page in enumerate([*phones, desk]):
                if page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count():
                    errors.append(f"page {i}: an error box is shown")
            browser.close()
            if proto:
                errors += proto.errors
                proto.close()
    finally:
        if secretaries:
            secretaries.finish()
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    log = (home / "streamlit.log").read_text(errors="replace")
    if "Traceback" in log:
        errors.append("the server log has a traceback: " + log[log.index("Traceback"):][:800])
    figures: dict = {"entry": args.entry, "chromium_phones": args.phones, "protocol_phones": args.protocol_phones,
                     "rounds": args.rounds, "refresh_seconds": REFRESH_SECONDS,
                     "idle_server_cpu_core": None if idle_cpu != idle_cpu else round(idle_cpu, 4)}
    for kind, values in latencies.items():
        figures[f"latency_{kind}_s"] = spread(values)
    if latencies["protocol"]:
        s = figures["latency_protocol_s"]
        print(f"protocol phones: {s['n']} observations, median {s['median']:.1f} s, p95 {s['p95']:.1f} s, "
              f"max {s['max']:.1f} s")
    every = latencies["phones"] + latencies["overview"] + latencies["protocol"]
    figures["latency_all_s"] = spread(every)
    if every:
        s = figures["latency_all_s"]
        print(f"observations {s['n']}: median {s['median']:.1f} s, p95 {s['p95']:.1f} s, "
              f"max {s['max']:.1f} s (refresh interval {REFRESH_SECONDS} s)")
    print(f"refreshes that read the database after a change but did not show it: {missed}")
    print(f"CPU while the changes were made: server {server_cpu:.2f} of a core, browsers {browser_cpu:.2f}")
    figures.update(missed_refreshes=missed, server_cpu_core=round(server_cpu, 3), browser_cpu_core=round(browser_cpu, 3),
                   final_state=final)
    lost = 0
    if secretaries:
        writes = secretaries.verify()
        figures["secretaries"] = writes
        lost = writes["lost_writes"]
        errors += writes["errors"]
        w = writes["writes"]
        print(f"secretaries: {writes['editors']} editing; moves {w['move']['attempted']} attempted, "
              f"{w['move']['applied']} applied, {w['move']['refused']} refused by the version check "
              f"({w['move']['retried']} retries, {w['move']['gave_up']} given up); marks {w['mark']['applied']} "
              f"of {w['mark']['attempted']} applied; notes {w['note']['attempted']} attempted, {w['note']['applied']} "
              f"applied, {w['note']['refused']} refused as saved meanwhile ({w['note']['retried']} retries, "
              f"{w['note']['gave_up']} given up); save p95 {writes['save_p95_ms']} ms")
        print(f"lost writes (applied, not in the database at the end): {lost}")
        for line in writes["lost"]:
            print("  " + line)
    figures["errors"] = errors
    print(f"errors: {len(errors)}")
    for e in errors[:20]:
        print("  " + e)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    return 0 if not errors and not missed and not lost else 1


if __name__ == "__main__":
    raise SystemExit(main())
