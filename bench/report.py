"""Benchmark: the 報告レポート of a 100-person, 12-room meeting (build + .docx + .md + .html).

    .venv/bin/python bench/report.py [--db URL] [--repeat 5]

Without --db, a fresh SQLite file gets a demo history whose one meeting has 100 people in 12 rooms
(attendance marked, every room's notes written). Target: under 3 s per report.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from facilitation.demo import dataset  # noqa: E402
from facilitation.meetings import schedule  # noqa: E402
from facilitation.roles import SECRETARIAT_LOCAL  # noqa: E402
from facilitation.rosters import report  # noqa: E402
from facilitation.storage import db  # noqa: E402
from facilitation.storage.models import Registration, Room  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", help="an empty database URL (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = args.db or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench_report.sqlite3'}"
    with db.session(url, actor="bench") as s:
        dataset.generate(s, dataset.DemoSize(meeting_sizes=(100,), upcoming_registrations=0))
    with db.session(url) as s:
        meeting = schedule.list_meetings(s)[0]
        n_rooms = s.scalar(select(func.count()).select_from(Room).where(Room.meeting_id == meeting.id))
        n_regs = s.scalar(select(func.count()).select_from(Registration).where(Registration.meeting_id == meeting.id))
        meeting_id = meeting.id
    print(f"meeting {meeting_id}: {n_regs} registrations, {n_rooms} rooms ({url.split(':')[0]})")
    timings: dict[str, list[float]] = {"build": [], ".docx": [], ".md": [], ".html": [], "total": []}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        with db.session(url) as s:
            data = report.build_report(s, SECRETARIAT_LOCAL, meeting_id)
        t1 = time.perf_counter()
        timings["build"].append(t1 - t0)
        for suffix in (".docx", ".md", ".html"):
            t = time.perf_counter()
            out = report.render(data, suffix)
            timings[suffix].append(time.perf_counter() - t)
            assert len(out) > 1000
        timings["total"].append(time.perf_counter() - t0)
    print(data.total_line)
    for name, values in timings.items():
        print(f"{name:>6}: median {statistics.median(values) * 1000:7.1f} ms   max {max(values) * 1000:7.1f} ms")
    worst = max(timings["total"])
    print(f"worst total {worst:.3f} s ({'OK' if worst < 3 else 'over'} the 3 s target)")
    return 0 if worst < 3 else 1


if __name__ == "__main__":
    raise SystemExit(main())
