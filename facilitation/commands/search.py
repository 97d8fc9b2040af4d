"""Subcommands: `search-index` (build the search index again) and `search` (one search, as the secretariat)."""

from __future__ import annotations

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.search import index, query
from facilitation.storage import db


def register(sub) -> None:
    p = sub.add_parser("search-index", help="検索用の索引を作り直します（記録・レポート・アンケート・チャット）")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("search", help="記録・レポート・アンケート・チャットを横断して検索します")
    p.add_argument("words", help="検索する言葉（空白で区切るとすべてを含むもの）")
    p.add_argument("--year", type=int, action="append", default=[], help="年度（例: 2025。複数指定可）")
    p.add_argument("--region", action="append", default=[], help="振興局（例: 空知総合振興局。複数指定可）")
    p.add_argument("--source", action="append", default=[], choices=list(index.SOURCES),
                   help="対象（note / report / survey / chat。複数指定可）")
    p.add_argument("--order", choices=list(query.ORDERS), default=query.RELEVANCE,
                   help="並べ方（relevance: 関連度順〈既定〉、newest: 新しい順）")
    p.add_argument("--limit", type=int, default=20, help="表示する件数（既定: 20）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_search)


def cmd_index(args) -> int:
    with db.session(args.db, actor="cli") as s:
        print(index.rebuild(s).message)
    return 0


def cmd_search(args) -> int:
    filters = query.Filters(fiscal_years=tuple(args.year), regions=tuple(args.region), sources=tuple(args.source))
    with db.session(args.db, actor="cli") as s:
        result = query.search(s, CLI_VIEWER, args.words, filters, limit=args.limit, order=args.order)
    rows = [{"source": h.source_label, "place": h.place, "section": h.section, "date": h.date,
             "text": "".join(f"【{t}】" if hit else t for t, hit in h.parts)} for h in result.hits]
    if args.json:
        print_json({"counts": result.counts, "hits": rows})
        return 0
    print("・".join(f"{index.SOURCES[k]} {v}" for k, v in result.shown_counts.items()))
    for r in rows:
        print(f"- {r['date']} {r['source']} {r['place']}（{r['section']}）\n  {r['text']}")
    return 0
