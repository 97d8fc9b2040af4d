"""Benchmark: a 200,000-line LINE export parsed and stored, then what the page computes from it.

    .venv/bin/python bench/openchat.py [--lines 200000] [--keep DIR]

Targets (issue 8): parse + store < 5 s; the page's domain calls < 1 s; an AppTest run of the page
is timed as well (warm: second run in the same process, as a user's next click would be).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from facilitation.demo import dataset  # noqa: E402
from facilitation.openchat import activity, parser, store  # noqa: E402
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer  # noqa: E402
from facilitation.storage import db  # noqa: E402

ORGS = ["りんく", "ステップ", "JOIN", "江別市社協", "恵庭市社協", "石狩市社協", "千歳市", "コクリ", "ぽると",
        "ベトサダ", "みんなの広場", "くらし・しごと相談処しりべし", "そらち生活サポートセンター", "当別町社協",
        "札幌市", "北広島市", "ゆうゆう塾", "れおん", "Asyl", "釧路の相談センター", "帯広市", "旭川市社協"]
SURNAMES = [s[0] for s in dataset.SURNAMES]
PHRASES = [
    "ひきこもりの方の家族支援について、皆さんどうしていますか？",
    "うちでは家族会と連携して、訪問の前に手紙でのやりとりから始めています。",
    "就労準備支援事業の利用者が少なく、継続できるか不安があります。",
    "フードバンクの寄付を受け付けている団体があれば教えてください",
    "住居確保給付金の再支給について、他の自治体ではどのように運用されていますか？",
    "支援調整会議は月何回開いていますか",
    "ありがとうございます。参考にします。",
    "統計システムの入力、皆さんいかがでしょうか。",
    "先日の情報交換会、ありがとうございました。",
    "一時生活支援事業のシェルターに空きが出ました。",
    "家計改善支援の研修資料を共有します。",
    "学習支援の会場探しで困っています。",
]
MEDIA = ["[スタンプ]", "[写真]", "[ファイル]", "[ノート] 研修の記録", "[動画]"]


def make_export(lines: int, seed: int = 8) -> bytes:
    """A Japanese Android-style export of about `lines` lines, several years of daily talk."""
    rng = random.Random(seed)
    nicks = [f"{rng.choice(ORGS)}&{rng.choice(SURNAMES)}" for _ in range(220)]
    out = ["[LINE] どうねっと（北海道生活困窮者支援ネットワーク）のトーク履歴", "保存日時：2026/11/01 21:15", ""]
    day = dt.date(2021, 4, 1)
    per_day = 40
    while len(out) < lines:
        out.append(f"{day:%Y/%m/%d}({'月火水木金土日'[day.weekday()]})")
        minute = 8 * 60
        for _ in range(rng.randint(per_day // 2, per_day * 3 // 2)):
            minute = min(minute + rng.randint(0, 25), 23 * 60 + 59)
            t = f"{minute // 60:02d}:{minute % 60:02d}"
            r = rng.random()
            who = rng.choice(nicks)
            if r < 0.02:
                out.append(f"{t}\t\t{who}が参加しました。")
            elif r < 0.03:
                out.append(f"{t}\t\t{who}が退出しました。")
            elif r < 0.15:
                out.append(f"{t}\t{who}\t{rng.choice(MEDIA)}")
            elif r < 0.22:
                out.append(f'{t}\t{who}\t"{rng.choice(PHRASES)}')
                out.append("詳しくは添付の資料をご覧ください。")
                out.append('""担当者""までご連絡ください。"')
            else:
                out.append(f"{t}\t{who}\t{rng.choice(PHRASES)}")
        out.append("")
        day += dt.timedelta(days=1)
    return ("\n".join(out[:lines]) + "\n").encode("utf-8")


def timed(label: str, fn, results: dict):
    """Run fn; record wall time, print wall and this process's CPU time (the machine is shared)."""
    t0, c0 = time.perf_counter(), time.process_time()
    value = fn()
    results[label] = time.perf_counter() - t0
    results[label + " [cpu]"] = time.process_time() - c0
    print(f"{label:<48} {results[label]:7.3f} s wall {results[label + ' [cpu]']:7.3f} s cpu", flush=True)
    return value


def page_calls(url: str, role: Viewer, r: dict[str, float]) -> None:
    """What the page computes on its first render (before Streamlit's cache holds the frames)."""
    print(f"-- page domain calls as {role.role}")
    t0, c0 = time.perf_counter(), time.process_time()
    with db.session(url) as s:
        data = timed("  load frames", lambda: activity.load(s, role), r)
        timed("  data_version", lambda: activity.data_version(s), r)
        timed("  summary (incl. questions)", lambda: activity.summary(data), r)
        timed("  members over time", lambda: activity.members_over_time(data), r)
        timed("  active per month", lambda: activity.active_per_month(data), r)
        timed("  messages per week", lambda: activity.messages_per_week(data), r)
        timed("  organisations", lambda: activity.organisations(data), r)
        timed("  regions", lambda: activity.regions(data), r)
        timed("  overlap with meetings", lambda: activity.overlap_with_meetings(s, data), r)
        timed("  answers per month", lambda: activity.answer_stats_per_month(data), r)
        if role.is_secretariat:
            timed("  unanswered list (with texts)", lambda: activity.unanswered(s, role, data), r)
            timed("  latest 300 posts (with texts)", lambda: activity.recent_messages(s, role, limit=300), r)
        timed("  threads per month", lambda: activity.threads_per_month(data), r)
        month = activity.months(s)[0]
        timed("  topics of the latest month", lambda: activity.topics(s, role, month), r)
        timed("  term pairs of the latest month", lambda: activity.topic_pairs(s, role, month), r)
    total, cpu = time.perf_counter() - t0, time.process_time() - c0
    r[f"page domain calls ({role.role})"] = total
    print(f"{'page domain calls total (target < 1 s)':<48} {total:7.3f} s wall {cpu:7.3f} s cpu")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--keep", help="keep the database in this directory")
    args = ap.parse_args()
    work = Path(args.keep or tempfile.mkdtemp(prefix="openchat-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{work / 'bench.sqlite3'}"
    if Path(url.removeprefix("sqlite:///")).exists():
        Path(url.removeprefix("sqlite:///")).unlink()
    with db.session(url) as s:
        dataset.generate(s)
    raw = make_export(args.lines)
    (work / "export.txt").write_bytes(raw)
    print(f"export: {args.lines:,} lines, {len(raw) / 1e6:.1f} MB; database {url}")
    r: dict[str, float] = {}

    parsed = timed("parse (bytes → dataclasses)", lambda: parser.parse_bytes(raw), r)
    print(f"  posts {len(parsed.messages):,}, system lines {len(parsed.events):,}, "
          f"unparsed {len(parsed.unparsed)}, lines {sum(parsed.line_counts.values()):,}")

    def store_it():
        with db.session(url) as s:
            return store.import_export(s, SECRETARIAT_LOCAL, parsed, file_name="export.txt")

    res = timed("store (fingerprints, members, insert)", store_it, r)
    print(f"  added {res.messages_added:,} posts, {res.events_added:,} events, {res.new_members} members")
    r["parse + store"] = r["parse (bytes → dataclasses)"] + r["store (fingerprints, members, insert)"]
    cpu = r["parse (bytes → dataclasses) [cpu]"] + r["store (fingerprints, members, insert) [cpu]"]
    print(f"{'parse + store (target < 5 s)':<48} {r['parse + store']:7.3f} s wall {cpu:7.3f} s cpu")

    def again():
        with db.session(url) as s:
            return store.import_bytes(s, SECRETARIAT_LOCAL, raw, file_name="export.txt")

    dup = timed("re-import of the same file (all duplicates)", again, r)
    assert dup.messages_added == 0

    for role in (SECRETARIAT_LOCAL, Viewer(role=COMMITTEE)):
        page_calls(url, role, r)

    os.environ[db.ENV_VAR] = url
    from streamlit.testing.v1 import AppTest

    for label in ("AppTest page run, cold (imports, caches empty)", "AppTest page run, warm"):
        at = AppTest.from_file(str(ROOT / "pages" / "openchat.py"), default_timeout=120)
        t0, c0 = time.perf_counter(), time.process_time()
        at.run()
        r[label] = time.perf_counter() - t0
        assert not at.exception, at.exception
        print(f"{label:<48} {r[label]:7.3f} s wall {time.process_time() - c0:7.3f} s cpu")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
