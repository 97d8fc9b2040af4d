"""`registrations import FILE --meeting ID` and `registrations sync --meeting ID`.

With --json the result carries what the file was read as (format, format_label, confidence), the
counts, and `unplaced`: every row neither imported nor merged, with its number, outcome and reason."""

from __future__ import annotations

from pathlib import Path

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.files.uploads import read_file
from facilitation.storage import db


def register(sub) -> None:
    r = sub.add_parser("registrations", help="申込の取り込み（ファイル・Google スプレッドシート）").add_subparsers(
        dest="action", required=True)
    p = r.add_parser("import", help="CSV / Excel（.xlsx）の申込を取り込みます")
    p.add_argument("file", help="CSV または .xlsx ファイル")
    p.add_argument("--meeting", type=int, required=True, help="会のID（meetings list で確認）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力")
    p.set_defaults(func=cmd_import)
    p = r.add_parser("sync", help="会に設定したシートから申込を取り込みます")
    p.add_argument("--meeting", type=int, required=True, help="会の ID（meetings list で確認できます）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_sync)


def _report(result, as_json: bool) -> None:
    if as_json:
        print_json(result.as_dict())
        return
    if result.format_label:
        print(f"形式: {result.notes[0] if result.notes else result.format_label}")
    print(result.line())
    for q in result.quarantined:
        print(f"  保留: {q['reason']}")
    for c in result.cancelled:
        print(f"  不参加: {c['reason']}")
    for f in result.flagged:
        print(f"  要確認: {f['reason']}")
    for r in result.removed:
        print(f"  シートから消えた行: {r['reason']}")
    if result.reviews:
        print(f"  機関名の確認待ちが {result.reviews} 件増えました（申込管理ページで確認してください）。")


def cmd_import(args) -> int:
    from facilitation.registrations import intake

    data = read_file(args.file)
    with db.session(args.db, actor="cli") as s:
        result = intake.import_file(s, CLI_VIEWER, args.meeting, data, Path(args.file).name)
    _report(result, args.json)
    return 0


def cmd_sync(args) -> int:
    from facilitation.registrations import intake

    with db.session(args.db, actor="cli") as s:
        result = intake.sync(s, CLI_VIEWER, args.meeting, fresh=True)
    if result.error:
        if args.json:
            print_json({**result.as_dict(), "error": result.error})
        raise UserError(result.error)
    _report(result, args.json)
    return 0
