"""Open chat subcommands: parse a LINE talk-history export, import it into the database."""

from __future__ import annotations

import hashlib
from pathlib import Path

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.files.uploads import read_file
from facilitation.openchat import parser, store
from facilitation.storage import db


def register(sub) -> None:
    oc = sub.add_parser("openchat", help="LINE オープンチャットのトーク履歴").add_subparsers(dest="action", required=True)
    p = oc.add_parser("parse", help="トーク履歴（.txt）を読み取り、件数を表示します（保存はしません）")
    p.add_argument("file", help="トーク履歴のファイル")
    p.add_argument("--json", action="store_true", help="JSON で出力")
    p.set_defaults(func=cmd_parse)

    p = oc.add_parser("import", help="トーク履歴（.txt）をデータベースに取り込みます（重複は除きます）")
    p.add_argument("file", help="トーク履歴のファイル")
    p.add_argument("--json", action="store_true", help="JSON で出力")
    p.set_defaults(func=cmd_import)


def _read(path: str) -> bytes:
    return read_file(path)


def _parse(raw: bytes) -> parser.ParsedExport:
    """The parsed export; an export in a UI language not read is refused with its Japanese message."""
    parsed = parser.parse_bytes(raw)
    if parsed.refusal:
        raise UserError(parsed.refusal)
    return parsed


def cmd_parse(args) -> int:
    parsed = _parse(_read(args.file))
    data = parsed.summary()
    if args.json:
        print_json(data)
        return 0
    print(f"形式: {data['format'] or '不明（LINE のトーク履歴の形が見つかりません）'}（文字コード {data['encoding']}）")
    print(f"トーク名: {data['chat_name'] or '（不明）'}")
    print(f"期間: {data['first_date'] or '-'} 〜 {data['last_date'] or '-'}")
    print(f"投稿: {data['messages']} 件（うち写真・スタンプ等 {data['media']} 件）、投稿したメンバー {len(data['members'])} 名")
    print(f"システム行: {data['system_events']} 件（参加 {data['joins']}、退出 {data['leaves']}）")
    _print_lines(data["warnings"], data["unparsed"])
    return 0


def _print_lines(warnings: list[dict], unparsed: list[dict]) -> None:
    """Warnings, then every line that could not be placed, each with its line number."""
    for w in warnings:
        print(f"注意: {w['message']}")
    print(f"読み取れなかった行: {len(unparsed)} 行")
    for u in unparsed:
        print(f"  {u['line']}行目: {u['reason']}: {u['text'][:60]}")


def cmd_import(args) -> int:
    raw = _read(args.file)
    viewer = CLI_VIEWER
    parsed = _parse(raw)
    with db.session(args.db, actor=viewer.actor) as s:
        result = store.import_export(s, viewer, parsed, file_name=Path(args.file).name,
                                     file_hash=hashlib.sha256(raw).hexdigest())
    warnings = [{"line": w.line_no, "text": w.text, "message": w.message} for w in parsed.warnings]
    out = {
        "format": parsed.format,
        "import_id": result.import_id,
        "file_name": result.file_name,
        "already_imported": result.already_imported,
        "messages_found": result.messages_found,
        "messages_added": result.messages_added,
        "duplicates": result.duplicates,
        "events_found": result.events_found,
        "events_added": result.events_added,
        "new_members": result.new_members,
        "unparsed_lines": result.unparsed_count,
        "first_date": result.first_date.isoformat() if result.first_date else None,
        "last_date": result.last_date.isoformat() if result.last_date else None,
        "warnings": warnings,
        "unparsed": [{"line": u.line_no, "text": u.text, "reason": u.reason} for u in parsed.unparsed],
    }
    if args.json:
        print_json(out)
    else:
        print(f"取り込みました: 新しい投稿 {out['messages_added']} 件（重複 {out['duplicates']} 件は除外）、"
              f"システム行 {out['events_added']} 件、新しいメンバー {out['new_members']} 名、"
              f"読み取れなかった行 {out['unparsed_lines']} 行（形式: {parsed.format or '不明'}）")
        _print_lines(warnings, out["unparsed"])
    return 0
