"""Benchmark: the secretariat's writing interactions on ten years of data, server time per click.

    .venv/bin/python bench/interactions.py [--reps 5] [--people 500] [--db sqlite:////tmp/world-10y.sqlite3]
                                           [--only save,decide,import,run]

The clicks that write (bench/pages.py measures the ones that only read), each through the page itself
in Streamlit's AppTest, so the figure is the whole server time of the click: the run that handles
the button, the write, and the rerun that shows its result.
- 申込管理 「変更を保存」: one cell edited in the registrant table of the upcoming meeting;
- ルーム割り当て 2. 希望の確認 「決定」: one wish that no room matched, decided (対象外);
- 申込管理 取り込み: a --people row file (CSV, half of them people already known) chosen, then
  「このファイルを取り込む」 into a new meeting with rooms;
- ルーム割り当て 3. 決まりと実行 「割り当てを実行」 for those --people people, every default rule on.
Goals (issue 27): a rerun ≤ 0.3 s at p95; the optimiser run and the import ≤ 3 s for 500 people.
Every figure is also a ratio to bench/table_10k_page.py (one plain 10,000-row table) measured in the
same run, interleaved. The writes go to a copy of the world (--work), never to --db. JSON goes to
test-output/bench-interactions.json with the machine's load average.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import logging
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pages import BASELINE, DEFAULT_DB, new_app, pct, rss_mb, timed, write_result  # noqa: E402

REGISTRATIONS = ROOT / "pages" / "registrations.py"
ROOMS = ROOT / "pages" / "rooms.py"
WISH = "ベンチの希望{}"  # wishes no room matches, one decided per repeat


def prepare(url: str, reps: int) -> dict:
    """The meeting the pages open on (the upcoming one, else the newest) with reps + 1 wishes that no room matches (the 決定 list is never empty)."""
    from sqlalchemy import select

    from facilitation.meetings import schedule
    from facilitation.orgs import directory
    from facilitation.storage import db
    from facilitation.storage.models import Person, Registration

    with db.session(url, actor="bench") as s:
        meeting = schedule.upcoming_meeting(s) or schedule.list_meetings(s)[0]  # what the pickers choose
        mid = meeting.id
        regs = s.scalars(select(Registration).where(Registration.meeting_id == mid).order_by(Registration.id)).all()
        for k, r in enumerate(regs[: reps + 1]):
            r.choice3 = WISH.format(k)
        known = [(e, n) for e, n in s.execute(select(Person.email, Person.name).order_by(Person.id)) if e][:3000]
        orgs = [o.name for o in directory.all_organisations(s)]
        return {"upcoming": mid, "people": len(regs), "known": known, "orgs": orgs}


def rooms_themes(people: int) -> list[str]:
    """One room per 20 people (500 people: 25 rooms, as the optimiser's target in issue 4)."""
    from facilitation.text import vocab

    n = max(2, -(-people // 20))
    return [vocab.THEME_LIBRARY[i % len(vocab.THEME_LIBRARY)] for i in range(n)]


def new_meeting(url: str, rep: int, people: int) -> int:
    """A meeting after the world's last, with a room per 20 people (themes from the library)."""
    from facilitation.meetings import schedule
    from facilitation.storage import db
    from facilitation.storage.models import Room

    themes = rooms_themes(people)
    capacity = -(-people * 12 // (10 * len(themes)))  # 20 % room to spare
    with db.session(url, actor="bench") as s:
        m = schedule.add_meeting(s, schedule.MeetingInput(title=f"ベンチマーク取り込み{rep + 1}",
                                                          starts_at=dt.datetime(2037, 6, 1 + rep, 14)))
        for i, t in enumerate(themes, start=1):
            s.add(Room(meeting_id=m.id, position=i, name=f"ルーム{i}", theme=t, capacity=capacity))
        return m.id


def csv_bytes(n: int, known, orgs, seed: int) -> bytes:
    from registrations_import import form_rows

    from facilitation.registrations import forms

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(forms.STANDARD_HEADERS)
    w.writerows(form_rows(n, known, orgs, list(dict.fromkeys(rooms_themes(n))), seed=seed))
    return buf.getvalue().encode("utf-8-sig")


def page(path: Path, meeting_id: int, **state):
    from facilitation.roles import SECRETARIAT_LOCAL
    from ui.common import MEETING_KEY

    at = new_app(path, SECRETARIAT_LOCAL)
    at.session_state[MEETING_KEY] = meeting_id
    for k, v in state.items():
        at.session_state[k] = v
    return at


def shown(at) -> str:
    return " ".join(str(e.value) for kind in ("success", "warning", "info", "error") for e in getattr(at, kind))


def edit_and_save(url: str, mid: int, rep: int):
    """One ふりがな edited in the registrant table, then 「変更を保存」."""
    from ui.registrations import LABELS

    at = page(REGISTRATIONS, mid)
    at.run()
    key = next(d.key for d in at.dataframe if (d.key or "").startswith(f"reg_editor_{mid}_"))  # with its digest
    at.session_state[key] = {"edited_rows": {0: {LABELS["furigana"]: f"べんち {rep}"}}, "added_rows": [],
                             "deleted_rows": []}
    t = timed(lambda: at.button(key="reg_save").click().run())
    assert "1 件の変更を保存しました" in shown(at), shown(at)
    return t


def decide_a_wish(mid: int):
    at = page(ROOMS, mid, rooms_tab="2. 希望の確認")
    at.run()
    button = next(b for b in at.button if b.key.startswith("rooms_choice_") and b.label == "決定")
    t = timed(lambda: button.click().run())
    assert "にしました" in shown(at), shown(at)
    return t


def import_file(mid: int, data: bytes, people: int):
    at = page(REGISTRATIONS, mid, registrations_tab="取り込み")
    at.run()
    chosen = timed(lambda: at.file_uploader(key=f"upload_{mid}").set_value(("申込.csv", data, "text/csv")).run())
    t = timed(lambda: at.button(key="import_file").click().run())
    assert "取り込みました" in shown(at) or "件" in shown(at), shown(at)
    return chosen, t


def run_optimiser(url: str, mid: int, people: int):
    from facilitation.meetings import schedule
    from facilitation.storage import db

    at = page(ROOMS, mid, rooms_tab="3. 決まりと実行")
    tab = timed(lambda: at.run())
    t = timed(lambda: at.button(key="rooms_run").click().run())
    assert "割り当てを保存しました" in shown(at), shown(at)
    with db.session(url) as s:
        n = schedule.meeting_counts(s, mid).people
    return tab, t, n


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_DB, help="the ten-year world (bench/world.py), only read")
    parser.add_argument("--work", default="/tmp/world-interactions.sqlite3", help="the copy that is written to")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--people", type=int, default=500)
    parser.add_argument("--out", default=str(ROOT / "test-output" / "bench-interactions.json"))
    parser.add_argument("--only", default="save,decide,import,run",
                        help="which clicks: save (変更を保存), decide (決定), import (a file), run (the optimiser)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import world

    world.build(args.db)
    shutil.copyfile(args.db.removeprefix("sqlite:///"), args.work)
    url = f"sqlite:///{args.work}"
    os.environ["FACILITATION_DB_URL"] = url
    from facilitation.roles import SECRETARIAT_LOCAL

    ctx = prepare(url, args.reps)
    load_before, rss_start = os.getloadavg(), rss_mb()
    for _ in range(2):  # warm up imports and the engine
        timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run())
    timed(lambda: page(REGISTRATIONS, ctx["upcoming"]).run())
    timed(lambda: page(ROOMS, ctx["upcoming"]).run())

    samples: dict[str, list[float]] = {}
    base: list[float] = []
    people = []
    for rep in range(args.reps):
        def add(label, value):
            samples.setdefault(label, []).append(value)
        if "save" in only:
            base.append(timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run()))
            add("申込管理 変更を保存（1セル）", edit_and_save(url, ctx["upcoming"], rep))
        if "decide" in only:
            base.append(timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run()))
            add("ルーム 希望の確認 決定", decide_a_wish(ctx["upcoming"]))
        if not only & {"import", "run"}:
            print(f"rep {rep + 1}/{args.reps} done, load {os.getloadavg()[0]:.1f}", flush=True)
            continue
        mid = new_meeting(url, rep, args.people)
        data = csv_bytes(args.people, ctx["known"], ctx["orgs"], seed=rep)
        base.append(timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run()))
        chosen, imported = import_file(mid, data, args.people)
        add(f"申込管理 ファイルを選ぶ（{args.people}行）", chosen)
        add(f"申込管理 取り込む（{args.people}行）", imported)
        base.append(timed(lambda: new_app(BASELINE, SECRETARIAT_LOCAL).run()))
        tab, run, n = run_optimiser(url, mid, args.people)
        people.append(n)
        add(f"ルーム 決まりと実行タブ（{args.people}行の会）", tab)
        add(f"ルーム 割り当てを実行（{args.people}行の会）", run)
        print(f"rep {rep + 1}/{args.reps} done ({n} people in the new meeting), load {os.getloadavg()[0]:.1f}",
              flush=True)

    b50, b95 = pct(base, 50), pct(base, 95)
    rows = []
    for label, values in samples.items():
        p50, p95 = pct(values, 50), pct(values, 95)
        rows.append({"interaction": label, "p50_ms": round(p50, 1), "p95_ms": round(p95, 1),
                     "ratio_p50": round(p50 / b50, 2), "ratio_p95": round(p95 / b95, 2), "n": len(values)})
    result = {"db": args.db, "reps": args.reps, "people": args.people, "people_registered": people,
              "upcoming_meeting_people": ctx["people"],
              "baseline_10k_table": {"p50_ms": round(b50, 1), "p95_ms": round(b95, 1)},
              "load_average_before": load_before, "load_average_after": os.getloadavg(), "cpus": os.cpu_count(),
              "rss_mb_start": round(rss_start, 1), "rss_mb_end": round(rss_mb(), 1), "rows": rows}
    print(f"\nbaseline (one 10,000-row table): p50 {b50:.0f} ms, p95 {b95:.0f} ms; "
          f"load {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
          f"upcoming meeting {ctx['people']} people; new meetings {people} people")
    print(f"{'interaction':34} {'p50 ms':>8} {'p95 ms':>8} {'×base50':>8} {'×base95':>8}")
    for r in rows:
        goal = 3000 if ("取り込む" in r["interaction"] or "割り当てを実行" in r["interaction"]) else 300
        flag = f"  >{goal / 1000:g}s" if r["p95_ms"] > goal else ""
        print(f"{r['interaction']:34} {r['p50_ms']:8.0f} {r['p95_ms']:8.0f} {r['ratio_p50']:8.2f} "
              f"{r['ratio_p95']:8.2f}{flag}")
    write_result(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
