"""Benchmark: search over 10 years of generated data (issue 26), on SQLite and PostgreSQL.

    .venv/bin/python bench/search.py [--lines 200000] [--repeat 10] [--skip-postgres] [--keep DIR]

The data: the 10-year benchmark history (DemoSize.bench: 60 meetings, 10,000 registrations) with
every room's notes written from varied sentences in several spellings, one survey per meeting
(two free-text questions, one answer in two), and a 200,000-line open-chat export
(bench/openchat.make_export), all seeded. Prints the index build time and size, the time the chat
import spends indexing, first-results time per query (p50 / p95 over every query × repeat, as the
secretariat and the committee), and recall/precision on tests/data/search_labelled.json against
the plain substring search the survey page uses. PostgreSQL: a private cluster (tests/conftest's
PgCluster, as root through runuser), filled by restoring a backup of the SQLite database (backups
carry no index: it is built as the first search after the restore does).
Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select, text  # noqa: E402

from facilitation.demo import dataset  # noqa: E402
from facilitation.files.tabular import Table  # noqa: E402
from facilitation.openchat import store as chat_store  # noqa: E402
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer  # noqa: E402
from facilitation.search import index, query  # noqa: E402
from facilitation.search.models import SearchPassage  # noqa: E402
from facilitation.storage import backup, db  # noqa: E402
from facilitation.storage.models import Meeting, Registration, RoomNote  # noqa: E402
from facilitation.surveys import store as survey_store  # noqa: E402
from facilitation.text import textmining  # noqa: E402

COMMITTEE_VIEWER = Viewer(role=COMMITTEE, email="bench@example.org")
VARIANTS = ["ひきこもり", "引きこもり", "引き籠り", "引篭もり", "ヒキコモリ"]
SENTENCES = [
    "{h}の方への最初の接点づくりが難しく、家族からの相談で止まってしまう。",
    "{h}支援の研修を道内各地で開催してほしい。",
    "就労準備支援事業の利用者が少なく、事業として継続できるか不安がある。",
    "町村部では相談が少なく、支援のノウハウが蓄積しにくい。",
    "関係機関との情報共有の方法が決まっておらず、支援調整会議が形骸化している。",
    "家族会と連携し、訪問の前に手紙でのやりとりから始めている。",
    "地域の農家や商店に協力してもらい、短時間の就労体験の場を増やした。",
    "社協のボランティアと一緒にフードバンクを活用した見守りを行っている。",
    "シェルターの空きが少なく、一時生活支援事業の利用が難しい。",
    "ｼｪﾙﾀｰの取組を共有してほしい。",
    "統計システムの入力方法について、改めて説明の機会がほしい。",
    "住居確保給付金の再支給について、運用の違いを知りたい。",
    "子供の学習支援の会場探しで困っている。",
    "８０５０問題の相談が増えている。",
    "焦らず関係を作ること、家族支援を並行することが大切という話になりました。",
    "小さな町でもできる工夫を持ち帰れる時間になりました。",
]
QUERIES = [
    ("ひきこもり", {}), ("引き籠り 家族", {}), ("シェルター", {}), ("フードバンク", {"regions": ("空知総合振興局",)}),
    ("就労準備", {"fiscal_years": (2020, 2021)}), ("統計システム", {}), ("社協 連携", {}), ("8050", {}),
    ("住居確保給付金", {"sources": ("chat",)}), ("学習支援", {"org_kinds": ("社協",)}),
    ("家計改善", {"sources": ("survey",)}), ("ひきこもり 就労", {"themes": ("引きこもり",)}),
]


def timed(label: str, fn, out: dict):
    t0 = time.perf_counter()
    value = fn()
    out[label] = time.perf_counter() - t0
    print(f"{label:<52} {out[label]:8.2f} s", flush=True)
    return value


def _text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(SENTENCES).format(h=rng.choice(VARIANTS)) for _ in range(n))


def build(url: str, lines: int, out: dict) -> None:
    from openchat import make_export  # bench/openchat.py

    with db.session(url, actor="bench") as s:
        timed("generate the 10-year history", lambda: dataset.generate(s, dataset.DemoSize.bench(), activity=False), out)
    with db.session(url, actor="bench") as s:  # built once: from here on every import keeps it current
        index.rebuild(s)
    rng = random.Random(26)
    with db.session(url, actor="bench") as s:
        for note in s.scalars(select(RoomNote)):
            note.issues, note.efforts, note.requests, note.summary = (_text(rng, rng.randint(1, 3)) for _ in range(4))
        meetings = list(s.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at)))
    headers = ["タイムスタンプ", "情報交換会に参加して", "ご意見・ご感想", "次回取り上げてほしいテーマ"]

    def surveys():
        for m in meetings:
            with db.session(url, actor="bench") as s:
                n = s.scalar(select(func.count()).select_from(Registration).where(Registration.meeting_id == m.id)) // 2
                rows = [[f"{m.starts_at:%Y/%m/%d} 17:{i % 60:02d}:00", rng.choice(["とても役に立った", "役に立った"]),
                         _text(rng, rng.randint(1, 2)) if rng.random() < 0.5 else "",
                         _text(rng, 1) if rng.random() < 0.3 else ""] for i in range(max(n, 3))]
                survey_store.import_table(s, SECRETARIAT_LOCAL, Table(headers=headers, rows=rows),
                                          title=f"第{m.number}回アンケート", meeting_id=m.id)

    timed(f"import {len(meetings)} surveys (indexing included)", surveys, out)
    raw = make_export(lines)

    def chat():
        with db.session(url, actor="bench") as s:
            return chat_store.import_bytes(s, SECRETARIAT_LOCAL, raw, "bench.txt").messages_added

    added = timed(f"import a {lines:,}-line chat (indexing included)", chat, out)
    print(f"  chat messages added: {added:,}")


def index_size(url: str) -> str:
    engine = db.get_engine(url)
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            n = c.scalar(text("SELECT pg_total_relation_size('search_passages')"))
            return f"{n / 1e6:.1f} MB (table + GIN index + TOAST)"
        table = c.scalar(text("SELECT SUM(pgsize) FROM dbstat WHERE name IN ('search_passages') "
                              "OR name LIKE 'ix_search_passages%' OR name LIKE 'sqlite_autoindex_search_passages%'"))
        fts = c.scalar(text("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'"))
        return f"{(table or 0) / 1e6:.1f} MB table + {(fts or 0) / 1e6:.1f} MB FTS5"


def run_queries(url: str, repeat: int, out: dict, label: str) -> None:
    with db.session(url) as s:
        query.search(s, SECRETARIAT_LOCAL, "準備")  # warm: tokenizer dictionary, connection
        for order, order_label in query.ORDERS.items():
            for viewer in (SECRETARIAT_LOCAL, COMMITTEE_VIEWER):
                times = []
                for words, f in QUERIES:
                    for _ in range(repeat):
                        t0 = time.perf_counter()
                        r = query.search(s, viewer, words, query.Filters(**f), limit=30, order=order)
                        times.append(time.perf_counter() - t0)
                    if viewer is SECRETARIAT_LOCAL and label == "SQLite" and order == query.RELEVANCE:
                        print(f"    {words} {f or ''}: {r.total:,} passages")
                times.sort()
                p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
                out[f"{label} {order} {viewer.role} p95"] = p95
                print(f"  {label} first results ({order_label}) as {viewer.role}: p50 {p50 * 1000:.0f} ms, "
                      f"p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms ({len(times)} searches)", flush=True)


def labelled() -> None:
    data = json.loads((ROOT / "tests" / "data" / "search_labelled.json").read_text(encoding="utf-8"))
    url = f"sqlite:///{tempfile.mkdtemp(prefix='search-labels-')}/l.sqlite3"
    with db.session(url) as s:
        index._replace(s, [], [index._row(f"label:{k}", f"label:{k}", "note", v) for k, v in data["passages"].items()])
        from facilitation.storage import settings

        settings.put(s, index.BUILT_SETTING, "bench")
    for name in ("index (FTS5 over Sudachi tokens)", "substring (textmining.fold)"):
        tp = fp = fn = 0
        for words, expected in data["queries"].items():
            if name.startswith("index"):
                with db.session(url) as s:
                    got = {s.get(SearchPassage, h.id).ref.removeprefix("label:")
                           for h in query.search(s, SECRETARIAT_LOCAL, words, limit=100).hits}
            else:
                parts = [textmining.fold(p) for p in words.split()]
                got = {k for k, v in data["passages"].items() if all(p in textmining.fold(v) for p in parts)}
            tp += len(got & set(expected))
            fp += len(got - set(expected))
            fn += len(set(expected) - got)
        print(f"  {name:<36} recall {tp / (tp + fn):.2f}  precision {tp / max(tp + fp, 1):.2f}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument("--keep", help="keep the SQLite database in this directory (a kept one is used again)")
    ap.add_argument("--no-rebuild", action="store_true", help="do not time a rebuild of the index")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="search-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    path = work / "bench.sqlite3"
    url = f"sqlite:///{path}"
    out: dict[str, float] = {}
    print("-- labelled spelling variants (tests/data/search_labelled.json)")
    labelled()
    if not path.exists():
        build(url, args.lines, out)
    if not args.no_rebuild:
        with db.session(url) as s:
            rebuilt = timed("SQLite: rebuild the whole index", lambda: index.rebuild(s), out)
        print(f"  {rebuilt.message}")
    print(f"  size: {index_size(url)}; database file {path.stat().st_size / 1e6:.0f} MB")
    run_queries(url, args.repeat, out, "SQLite")
    if args.skip_postgres:
        return 0
    from tests.conftest import PgCluster

    cluster = PgCluster()
    cluster.start()
    try:
        pg = cluster.new_database()
        secret = b"search-bench-secret"
        archive = timed("backup of the SQLite database (no index rows)", lambda: backup.backup_bytes(url, secret), out)
        print(f"  archive {len(archive) / 1e6:.1f} MB")
        timed("PostgreSQL: restore it", lambda: backup.restore_bytes(archive, pg, secret=secret), out)
        with db.session(pg) as s:
            timed("PostgreSQL: build the index (the first search after a restore)", lambda: index.ensure(s), out)
        with db.session(pg) as s:
            s.execute(text("ANALYZE search_passages"))
        print(f"  size: {index_size(pg)}")
        run_queries(pg, args.repeat, out, "PostgreSQL")
        if not args.no_rebuild:
            with db.session(pg) as s:
                timed("PostgreSQL: rebuild the whole index", lambda: index.rebuild(s), out)
    finally:
        db.dispose_all()
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
