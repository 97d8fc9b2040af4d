"""Subcommands: `history` (participation counts per meeting, coverage, outreach list, committee pack).

The domain's tables have English column names; what is printed or written carries their Japanese
headers (the *_LABELS dicts), renamed here before output.
"""

from __future__ import annotations

from pathlib import Path

from facilitation.commands import print_json
from facilitation.errors import UserError
from facilitation.files.exports import to_csv_bytes, to_xlsx_bytes
from facilitation.history import committee_pack, participation
from facilitation.history import coverage as cov
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage import db

# The command line shows aggregates only, so it reads the history as the committee does.
AGGREGATES = Viewer(role=COMMITTEE, email="cli")


def register(sub) -> None:
    h = sub.add_parser("history", help="参加履歴の集計（会ごと・対象機関・委員会資料）") \
        .add_subparsers(dest="action", required=True)

    def scope_args(p) -> None:
        p.add_argument("--year", type=int, action="append", default=[], help="年度（例: 2025。複数指定可）")
        p.add_argument("--kind", action="append", default=[], help="種別（情報交換会 / シンポジウム / 勉強会 / 最終報告会）")
        p.add_argument("--format", action="append", default=[], dest="formats", help="開催方法")

    p = h.add_parser("meetings", help="会ごとの参加者数・機関数（報告の表記つき）")
    scope_args(p)
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_meetings)

    p = h.add_parser("coverage", help="対象機関の参加率と、声かけ候補の機関")
    scope_args(p)
    p.add_argument("-o", "--output", help="声かけ候補の一覧を保存（.csv / .xlsx）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_coverage)

    p = h.add_parser("pack", help="委員会資料（Excel と HTML）を作成します")
    scope_args(p)
    p.add_argument("-o", "--output-dir", default=".", help="保存先のフォルダ（既定: 現在のフォルダ）")
    p.set_defaults(func=cmd_pack)


def _scope(args) -> participation.Scope:
    return participation.Scope(tuple(sorted(args.year)), tuple(args.kind), tuple(args.formats))


def _load(args):
    with db.session(args.db) as s:
        return participation.load(s, AGGREGATES), cov.population(s)


def cmd_meetings(args) -> int:
    h, _ = _load(args)
    table = participation.meeting_table(participation.scoped(h, _scope(args)))
    if args.json:
        print_json(table.rename(columns=participation.MEETING_LABELS).to_dict("records"))
    else:
        for row in table.itertuples(index=False):
            print(f"{row.meeting}  {row.report_line}")
    return 0


def cmd_coverage(args) -> int:
    h, pop = _load(args)
    scope = _scope(args)
    period = participation.scoped(h, scope)
    c = cov.coverage(period, pop)
    outreach = cov.outreach_list(participation.scoped(h, scope, years=False), period) \
        .rename(columns=cov.OUTREACH_LABELS)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() == ".csv":
            out.write_bytes(to_csv_bytes(outreach))
        elif out.suffix.lower() == ".xlsx":
            out.write_bytes(to_xlsx_bytes({"声かけ候補": outreach}))
        else:
            raise UserError(f"出力ファイル「{out.name}」の拡張子は .csv か .xlsx にしてください。")
    if args.json:
        print_json({"label": c.label, "reached": c.reached, "total": c.total, "share": c.share,
                    "outreach": outreach.to_dict("records")})
    else:
        print(c.line)
        print(f"声かけ候補: {len(outreach)}機関" + (f"（{args.output} に保存しました）" if args.output else ""))
    return 0


def cmd_pack(args) -> int:
    from facilitation.invitations import outcome
    from facilitation.search import recurring

    h, pop = _load(args)
    scope = _scope(args)
    with db.session(args.db) as s:
        extra = (recurring.pack_section(s, AGGREGATES, scope.fiscal_years), outcome.pack_section(s, AGGREGATES, scope))
    pack = committee_pack.build(h, scope, pop, AGGREGATES, extra=extra)
    folder = Path(args.output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / pack.xlsx_name).write_bytes(pack.xlsx)
    (folder / pack.html_name).write_text(pack.html, encoding="utf-8")
    print(f"委員会資料を作成しました: {folder / pack.xlsx_name}、{folder / pack.html_name}")
    return 0
