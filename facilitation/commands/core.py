"""Core subcommands: init, demo, meetings."""

from __future__ import annotations

import datetime as dt

from facilitation import demo
from facilitation.commands import print_json
from facilitation.demo import dataset
from facilitation.errors import UserError
from facilitation.meetings import schedule
from facilitation.storage import db


def register(sub) -> None:
    p = sub.add_parser("init", help="データベースを作成・更新し、空の SQLite ならデモデータを入れます"
                                    "（FACILITATION_DEMO=0 で入れない、=1 で PostgreSQL にも入れる）")
    p.add_argument("--no-demo", action="store_true", help="デモデータを入れない")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("demo", help="デモデータを作成します（空のデータベースに）")
    p.add_argument("--bench", action="store_true", help="ベンチマーク用の大きなデータ（10年・60回・約1万件）")
    p.add_argument("--years", type=int, default=10, help="--bench のときの年数（既定 10）")
    p.add_argument("--registrations", type=int, default=10_000, help="--bench のときの申込数（既定 10,000）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_demo)

    m = sub.add_parser("meetings", help="会の一覧・追加").add_subparsers(dest="action", required=True)
    p = m.add_parser("list", help="会の一覧")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_meetings_list)
    p = m.add_parser("add", help="会を追加")
    p.add_argument("--title", required=True, help="会のタイトル（例: 第4回 情報交換会）")
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--time", default="14:00", help="HH:MM（既定 14:00）")
    p.add_argument("--format", default="オンライン", help="オンライン / 会場 / ハイブリッド")
    p.add_argument("--kind", default="情報交換会", help="会の種別（既定: 情報交換会）")
    p.add_argument("--venue", default="", help="会場（会場・ハイブリッド開催のとき）")
    p.add_argument("--capacity", type=int, help="定員の目安（名）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_meetings_add)


def cmd_init(args) -> int:
    db.get_engine(args.db)
    if not args.no_demo and demo.wanted(db.resolve_url(args.db)) and db.is_empty(args.db):
        with db.session(args.db, actor="init") as s:
            made = dataset.generate(s)
        print(f"デモデータを作成しました: 会 {made['meetings']} 件、申込 {made['registrations']} 件")
    else:
        print("データベースは最新です。")
    return 0


def cmd_demo(args) -> int:
    if not db.is_empty(args.db):
        raise UserError("データベースが空ではありません。新しいデータベースURLを --db で指定してください。")
    size = dataset.DemoSize.bench(years=args.years, registrations=args.registrations) if args.bench else None
    with db.session(args.db, actor="demo") as s:
        made = dataset.generate(s, size)
    if args.json:
        print_json(made)
    else:
        print(f"デモデータを作成しました: 会 {made['meetings']} 件、ルーム {made['rooms']} 件、"
              f"申込 {made['registrations']} 件、人 {made['people']} 名")
    return 0


def cmd_meetings_list(args) -> int:
    with db.session(args.db) as s:
        rows = [schedule.as_dict(m) for m in schedule.list_meetings(s)]
        labels = [schedule.label(m) for m in schedule.list_meetings(s)]
    if args.json:
        print_json(rows)
    else:
        for row, text in zip(rows, labels, strict=False):
            print(f"{row['id']:>4}  {text}  {row['format']}  {row['status']}")
    return 0


def cmd_meetings_add(args) -> int:
    try:
        day = dt.date.fromisoformat(args.date)
        hour, minute = (int(x) for x in args.time.split(":"))
    except ValueError:
        raise UserError(f"日付「{args.date}」または時刻「{args.time}」の形式が正しくありません（例: 2026-12-10 14:00）。") from None
    starts = dt.datetime(day.year, day.month, day.day, hour, minute)
    data = schedule.MeetingInput(title=args.title, starts_at=starts, format=args.format, kind=args.kind,
                                 venue=args.venue, capacity=args.capacity, status="準備中")
    with db.session(args.db, actor="cli") as s:
        meeting = schedule.add_meeting(s, data)
        out = schedule.as_dict(meeting)
    if args.json:
        print_json(out)
    else:
        print(f"会を追加しました: ID {out['id']} {out['title']}")
    return 0
