"""Subcommands: `report` (報告レポート as .docx / .md / .html) and `attendance zoom` (出席 from Zoom)."""

from __future__ import annotations

from pathlib import Path

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.files.uploads import read_file
from facilitation.rosters import report, zoom
from facilitation.storage import db


def register(sub) -> None:
    p = sub.add_parser("report", help="会の報告レポートを作成します（.docx / .md / .html）")
    p.add_argument("--meeting", type=int, required=True, help="会のID（meetings list で確認）")
    p.add_argument("-o", "--output", required=True, help="出力ファイル（拡張子で形式を決めます: .docx / .md / .html）")
    p.set_defaults(func=cmd_report)

    a = sub.add_parser("attendance", help="出欠の取り込み").add_subparsers(dest="action", required=True)
    p = a.add_parser("zoom", help="出席の記録（Zoomの参加者レポート・ウェビナーの出席者レポート、"
                                  "Microsoft Teams の出席レポート）から出席を記録します")
    p.add_argument("file", help="Zoom / Teams の出席の記録（CSV）")
    p.add_argument("--meeting", type=int, required=True, help="会のID")
    p.add_argument("--no-fill", action="store_true", help="照合だけ行い、出席は記録しない")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_attendance_zoom)


def cmd_report(args) -> int:
    out = Path(args.output)
    if out.suffix.lower() not in (*report.FORMATS, ".htm"):
        raise UserError(f"出力ファイル「{out.name}」の拡張子は .docx / .md / .html のいずれかにしてください。")
    with db.session(args.db, actor="cli") as s:
        data = report.build_report(s, CLI_VIEWER, args.meeting)
    out.write_bytes(report.render(data, out.suffix))
    print(f"報告レポートを作成しました: {out}（{data.total_line}、ルーム {len(data.rooms)} 件）")
    for problem in data.problems:
        print(f"注意: {problem}")
    return 0


def cmd_attendance_zoom(args) -> int:
    data = read_file(args.file)
    with db.session(args.db, actor="cli") as s:
        result = zoom.import_report(s, CLI_VIEWER, args.meeting, data, Path(args.file).name,
                                    fill=not args.no_fill)
    if args.json:
        print_json(result.as_dict())
        return 0
    print(result.format_message)
    print(f"{Path(args.file).name}: {result.rows} 行（再入室をまとめて {result.people} 名）、"
          f"一致 {len(result.matched)} 名、出席を記録 {result.marked} 名、記録済み {result.already} 名")
    for problem in result.problems:
        print(f"注意: {problem}")
    if result.listed:
        print(f"出席として読まなかった行 {len(result.listed)} 行:")
        for x in result.listed:
            print(f"  {x['line']}行目: {x['reason']}: {x['text'][:60]}")
    if result.unmatched:
        print(f"申込と一致しなかった {len(result.unmatched)} 名（画面の「Zoom出席」で確認してください）:")
        for p in result.unmatched:
            extra = f"（元の名前: {p.original_name}）" if p.original_name else ""
            print(f"  {p.lines}行目  {p.display_name}{extra}  {p.email}  {p.minutes}分  {p.note}")
    return 0
