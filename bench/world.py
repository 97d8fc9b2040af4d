"""Ten years of the network, generated reproducibly (seeded) for the page benchmarks (issue 27).

    .venv/bin/python bench/world.py [--db sqlite:////tmp/world-10y.sqlite3] [--force]

About 80 meetings (8 a year), 5,000 people, 120 organisations (the master list), 10 surveys a year
with 100 answers each and 200,000 open-chat lines. Built with the demo generators
(facilitation/demo/dataset.py for meetings, people, registrations, rooms and notes;
facilitation/demo/surveys_chat.py for the survey table and the chat lines) and stored through the
same import functions the pages use. Prints how long it took and how big the SQLite file is.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "sqlite:////tmp/world-10y.sqlite3"
YEARS, MEETINGS_PER_YEAR, REGISTRATIONS = 10, 8, 28_000
SURVEYS_PER_YEAR, ANSWERS, CHAT_LINES = 10, 100, 200_000
SEED = 27


def _surveys(s, rng: random.Random) -> int:
    """10 surveys a fiscal year: the post-event survey of each meeting, plus repeats up to 10."""
    from sqlalchemy import select

    from facilitation.demo import surveys_chat
    from facilitation.files.tabular import Table
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage.models import Meeting
    from facilitation.surveys import store as survey_store

    past = list(s.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at)))
    by_year: dict[int, list] = {}
    for m in past:
        by_year.setdefault(m.fiscal_year, []).append(m)
    n = 0
    for fy, meetings in sorted(by_year.items()):
        for i in range(SURVEYS_PER_YEAR):
            meeting = meetings[i % len(meetings)]
            table = surveys_chat.survey_table(s, meeting, rng)
            rows = list(table.rows)
            while len(rows) < ANSWERS:  # a small meeting: more answers from the same attendees
                rows.extend(table.rows[: ANSWERS - len(rows)] or [table.rows[0]])
            rows = rows[:ANSWERS]
            # distinct timestamps, so each answer is its own response
            base = meeting.starts_at + dt.timedelta(hours=3, days=i // len(meetings) * 7)
            rows = [[(base + dt.timedelta(minutes=k)).strftime("%Y/%m/%d %H:%M:%S"), *r[1:]] for k, r in enumerate(rows)]
            title = f"{fy}年度 第{meeting.number}回 {meeting.kind} アンケート" + (f"（{i // len(meetings) + 1}）" if i >= len(meetings) else "")
            survey_store.import_table(s, SECRETARIAT_LOCAL, Table(headers=table.headers, rows=rows, source=title),
                                      title=title, meeting_id=meeting.id if i < len(meetings) else None,
                                      source="demo", source_ref=f"world-{fy}-{i}")
            n += 1
    return n


def _chat(s, rng: random.Random) -> int:
    """200,000 open-chat lines over ten years, from attendees, in LINE's Japanese iOS format."""
    from sqlalchemy import select

    from facilitation.demo import surveys_chat
    from facilitation.openchat import store as chat_store
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage.models import Meeting

    past = list(s.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at)))
    people = {}
    for m in past:
        for person, org in surveys_chat._attended(s, m):
            if org is not None and org.kind != "国":
                people[person.id] = (person, org)
    members = rng.sample(sorted(people.values(), key=lambda po: po[0].id), k=min(600, len(people)))

    def nick(person, org) -> str:
        short = next((a.alias for a in org.aliases), org.municipality or org.office or org.name)
        return f"{short}&{person.name.split(' ')[0]}#{person.id}"

    nicks = [nick(p, o) for p, o in members]
    first = past[0].starts_at.date()
    last = past[-1].starts_at.date()
    n_days = (last - first).days + 1
    per_day = CHAT_LINES / n_days
    texts = [t for t, _ in surveys_chat.CHAT_LINES[1:]] + surveys_chat.COMMENTS
    lines = ["[LINE] どうねっと（北海道生活困窮者支援ネットワーク）のトーク履歴",
             f"保存日時：{last + dt.timedelta(days=1):%Y/%m/%d} 21:00", ""]
    written, joined = 0, set()
    for d in range(n_days):
        day = first + dt.timedelta(days=d)
        k = round(per_day * (d + 1)) - round(per_day * d)
        if not k:
            continue
        lines.append(f"{day:%Y/%m/%d}({'月火水木金土日'[day.weekday()]})")
        for minute in sorted(rng.sample(range(8 * 60, 22 * 60), k=k)):
            i = rng.randrange(len(members))
            hhmm = f"{minute // 60:02d}:{minute % 60:02d}"
            if i not in joined:
                joined.add(i)
                lines.append(f"{hhmm}\t\t{nicks[i]}が参加しました。")
            else:
                lines.append(f"{hhmm}\t{nicks[i]}\t{rng.choice(texts)}")
            written += 1
        lines.append("")
    result = chat_store.import_bytes(s, SECRETARIAT_LOCAL, "\r\n".join(lines).encode("utf-8"),
                                     file_name="world_トーク履歴.txt")
    return result.messages_added


def build(url: str, force: bool = False) -> dict:
    """Build the ten-year world into `url` (an empty database); returns counts and timings."""
    from facilitation.demo import dataset
    from facilitation.storage import db

    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite") else None
    if force and path is not None and path.exists():
        path.unlink()
    if not db.is_empty(url):
        return {}
    rng = random.Random(SEED)
    timings, t = {}, time.perf_counter()
    size = dataset.DemoSize.bench(years=YEARS, per_year=MEETINGS_PER_YEAR, registrations=REGISTRATIONS, seed=SEED)
    with db.session(url, actor="bench") as s:
        counts = dataset.generate(s, size, activity=False)
    timings["history_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with db.session(url, actor="bench") as s:
        counts["surveys"] = _surveys(s, rng)
    timings["surveys_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    with db.session(url, actor="bench") as s:
        counts["chat_messages"] = _chat(s, rng)
    timings["chat_s"] = round(time.perf_counter() - t, 1)
    out = {"counts": counts, "timings": timings}
    if path is not None:
        out["sqlite_mb"] = round(path.stat().st_size / 1e6, 1)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--force", action="store_true", help="delete and rebuild an existing SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("FACILITATION_DB_URL", args.db)
    t = time.perf_counter()
    out = build(args.db, args.force)
    if not out:
        print(f"{args.db} is not empty; nothing built (use --force to rebuild)")
        return 0
    print(f"built in {time.perf_counter() - t:.1f} s: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
