"""Benchmark: invitations from coverage gaps on the demo data (issue 26).

    .venv/bin/python bench/invitations.py [--world bench/world.sqlite3]

Builds the demo into a temporary SQLite file (or copies a given database), then times: the
invitation list (coverage gaps with contacts and states) for the next open meeting, the send of
every sendable organisation to an aiosmtpd server on loopback (no per-minute limit), a second run
over the same organisations (all skipped: nothing sent twice), the outcome table and the
committee pack's page of outcomes.
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--world", help="an existing SQLite database to copy (default: the demo)")
    parser.add_argument("--lapsed", type=int, default=0,
                        help="add this many target organisations whose one registrant came to the oldest meeting only")
    args = parser.parse_args()

    from facilitation.demo import dataset
    from facilitation.history import participation
    from facilitation.invitations import invite, outcome
    from facilitation.mail.smtp import Transport
    from facilitation.roles import SECRETARIAT_LOCAL as V
    from facilitation.storage import db
    from facilitation.storage.models import Meeting, Organisation, Person, Registration
    from facilitation.text import vocab
    from tests.mail_world import SmtpServer

    home = Path(tempfile.mkdtemp())
    path = home / "bench.sqlite3"
    url = f"sqlite:///{path}"
    if args.world:
        shutil.copy(args.world, path)
    else:
        with db.session(url, actor="demo") as s:
            dataset.generate(s, activity=False)
    with db.session(url) as s:
        oldest = s.query(Meeting).order_by(Meeting.starts_at).first()
        regions = list(vocab.REGIONS)
        for i in range(args.lapsed):
            org = Organisation(name=f"ベンチ支援機関{i}", kind="NPO等", region=regions[i % len(regions)],
                               is_target=True, name_key=f"bench{i}")
            person = Person(name=f"試験 {i}", email=f"bench{i}@example.org", organisation=org, name_key=f"b{i}")
            s.add_all([org, person, Registration(meeting=oldest, person=person, status="出席")])
        meetings = invite.open_meetings(s)
        if not meetings:
            m = s.query(Meeting).order_by(Meeting.starts_at.desc()).first()
            m.status = "募集中"
            meetings = [m]
        mid = meetings[0].id
        h = participation.load(s, V)
    t0 = time.perf_counter()
    with db.session(url) as s:
        period, text = invite.gap_period(h)
        table = invite.candidates(s, V, mid, h, period)
    t_list = time.perf_counter() - t0
    if table.empty:
        print("no coverage gaps in this world (try --lapsed 300)")
        return 0
    ready = table[table["state"].isin(invite.SENDABLE)]["org_id"].astype(int).tolist()
    print(f"history: {len(h.meetings)} meetings, {len(h.att)} attendances; gap period {text}")
    print(f"list: {len(table)} organisations ({table['state'].value_counts().to_dict()}) in {t_list * 1000:.0f} ms")
    with SmtpServer() as server:
        settings = server.settings()
        for label in ("first run", "second run"):
            t0 = time.perf_counter()
            with Transport(settings) as t:
                report = invite.send(lambda: db.session(url, actor="bench"), V, mid, ready, settings, t)
            took = time.perf_counter() - t0
            print(f"send ({label}): {report.sent.sent} sent, {len(report.results) - report.sent.sent} not sent, "
                  f"{took:.2f} s ({took / max(len(ready), 1) * 1000:.0f} ms per organisation)")
        print(f"messages received by the server: {len(server.handler.messages)}")
    t0 = time.perf_counter()
    with db.session(url) as s:
        out = outcome.outcome(s, V, mid)
    print(f"outcome: {len(out) - 1} regions in {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    with db.session(url) as s:
        page = outcome.pack_section(s, V, participation.Scope())
    print(f"committee pack page: {len(page.frame)} rows in {(time.perf_counter() - t0) * 1000:.0f} ms")
    shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
