"""Benchmark: importing a 10,000-row registration sheet, and API requests per sync.

    .venv/bin/python bench/registrations_import.py [--rows 10000] [--history]

Figures: wall and CPU seconds of (a) reading a 10,000-row CSV and importing it into a meeting,
(b) re-importing the same rows (idempotent: all duplicates), (c) the same 10,000 rows synced from
the local Sheets server through gspread; and the number of Sheets API requests one sync makes
for a sheet with a registration tab and a survey tab (must be exactly 1).
With --history the database first holds the 10-year benchmark history (60 meetings, 10,000
registrations), so people are matched against a realistic number of earlier registrants.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select  # noqa: E402

from facilitation.demo import dataset  # noqa: E402
from facilitation.files.tabular import read_table  # noqa: E402
from facilitation.meetings import schedule  # noqa: E402
from facilitation.orgs import directory  # noqa: E402
from facilitation.registrations import forms, intake  # noqa: E402
from facilitation.roles import SECRETARIAT_LOCAL  # noqa: E402
from facilitation.sheets import gsheets  # noqa: E402
from facilitation.sheets.emulator import SheetsEmulator  # noqa: E402
from facilitation.storage import db  # noqa: E402
from facilitation.storage.models import Person, Room  # noqa: E402


def form_rows(n: int, known: list[tuple[str, str]], org_names: list[str], themes: list[str], seed: int = 3):
    rng = random.Random(seed)
    rows = []
    start = dt.datetime(2027, 1, 5, 9)
    for i in range(n):
        if known and rng.random() < 0.5:
            email, name = rng.choice(known)
        else:
            sur, giv = rng.choice(dataset.SURNAMES), rng.choice(dataset.GIVEN)
            email, name = f"{sur[2]}.{giv[2]}.{i}@example.net", f"{sur[0]} {giv[0]}"
        org = rng.choice(org_names)
        org = rng.choice([org, org.replace("NPO法人", "（特非）"), org.replace("社会福祉協議会", "社協"),
                          org.replace("NPO法人", "ＮＰＯ法人 ")])
        if rng.random() < 0.003:
            email = "broken@"
        picks = rng.sample(themes, k=3)
        rows.append([(start + dt.timedelta(minutes=i)).strftime("%Y/%m/%d %H:%M:%S"), email, name, "",
                     org, "", "", "自立相談支援事業, 家計改善支援事業", "相談支援員", f"{rng.randint(0, 12)}年",
                     rng.choice(["オンライン（Zoom）", "会場（札幌）"]), *picks, rng.choice(["はい", "いいえ"]), ""])
    return rows


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--history", action="store_true", help="start from the 60-meeting benchmark history")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-reg-"))
    url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    with db.session(url, actor="bench") as s:
        if args.history:
            dataset.generate(s, dataset.DemoSize.bench())
        else:
            directory.load_master(s)
        m = schedule.add_meeting(s, schedule.MeetingInput(title="ベンチマーク", starts_at=dt.datetime(2027, 2, 1, 14)))
        themes = list(dataset.REAL_ROOMS)
        for i, t in enumerate(themes, start=1):
            s.add(Room(meeting_id=m.id, position=i, name=f"ルーム{i}", theme=t))
        mid = m.id
        known = [(e, n) for e, n in s.execute(select(Person.email, Person.name)) if e][:3000]
        org_names = [o.name for o in directory.all_organisations(s)]
    rows = form_rows(args.rows, known, org_names, themes)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(forms.STANDARD_HEADERS)
    w.writerows(rows)
    data = buf.getvalue().encode("utf-8-sig")

    def file_import():
        with db.session(url, actor="bench") as s:
            return intake.import_table(s, SECRETARIAT_LOCAL, mid, read_table(data, "bench.csv"), source="file",
                                              source_ref="bench.csv")

    res, wall, cpu = timed(file_import)
    print(f"file import of {args.rows} rows: {wall:.2f} s wall, {cpu:.2f} s CPU — {res.line()}")
    res, wall, cpu = timed(file_import)
    print(f"same file again (idempotent): {wall:.2f} s wall, {cpu:.2f} s CPU — {res.line()}")

    gsheets.clear_cache()
    with SheetsEmulator() as em:
        key = "benchSheetKey0123456789"
        survey = [["タイムスタンプ", "情報交換会に参加して"]] + [["2027/02/01 16:30:00", "役に立った"]] * 40
        em.add_spreadsheet(key, {intake.DEFAULT_TAB: [forms.STANDARD_HEADERS, *rows], "アンケート": survey})
        client = gsheets.SheetsClient(endpoint=em.url)
        with db.session(url, actor="bench") as s:
            other = schedule.add_meeting(s, schedule.MeetingInput(title="ベンチマーク2",
                                                                  starts_at=dt.datetime(2027, 3, 1, 14))).id
            intake.configure_sheet(s, SECRETARIAT_LOCAL, other, f"https://docs.google.com/spreadsheets/d/{key}/edit",
                                          survey_tab="アンケート")
        em.reset_counts()

        def sync():
            with db.session(url, actor="bench") as s:
                return intake.sync(s, SECRETARIAT_LOCAL, other, client=client, fresh=True)

        res, wall, cpu = timed(sync)
        print(f"sheet sync of {args.rows} rows via gspread + local server: {wall:.2f} s wall, {cpu:.2f} s CPU — "
              f"{res.line()}")
        print(f"Sheets API requests for that sync (registration + survey tabs): {em.request_count}")
        em.reset_counts()
        with db.session(url, actor="bench") as s:
            intake.sync(s, SECRETARIAT_LOCAL, other, client=client)  # within the cache minute
        print(f"requests for a second sync within the cache minute: {em.request_count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
