"""Administration subcommands: backup, restore, forget-person, token, audit."""

from __future__ import annotations

import sys
from pathlib import Path

from facilitation.access import gate, privacy
from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.files.uploads import read_file
from facilitation.storage import audit, backup, db


def register(sub) -> None:
    p = sub.add_parser("backup", help="データベース全体をひとつのファイル（.zip）にバックアップします")
    p.add_argument("-o", "--output", required=True, help="書き出すファイル（例: backup.zip）")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="バックアップファイルからデータベース全体を復元します（今のデータは置き換わります）")
    p.add_argument("file", help="バックアップファイル（.zip）")
    p.add_argument("--yes", action="store_true", help="確認せずに復元する")
    p.add_argument("--trust", action="store_true",
                   help="署名のないバックアップ・別の環境のバックアップ・アカウントの役割の変更を、確認済みとして受け入れる")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("forget-person", help="個人情報の削除依頼: ひとりの個人情報を全データから削除します（集計は残ります）")
    p.add_argument("--person", type=int, required=True, help="人のID")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_forget)

    p = sub.add_parser("token", help="ファシリテーター用のリンクを発行します（会とルームを限定・期限付き）")
    p.add_argument("--meeting", type=int, required=True, help="会のID")
    p.add_argument("--room", type=int, required=True, help="ルームのID")
    p.add_argument("--hours", type=float, help="有効時間（既定: 会の翌日の終わりまで）")
    p.add_argument("--base-url", help="アプリのURL（既定: secrets.toml の [facilitation] public_url、"
                                      "$FACILITATION_PUBLIC_URL、http://localhost:8501 の順）")
    p.add_argument("--revoke", action="store_true", help="発行する代わりに、このルームのリンクをすべて無効にする")
    p.set_defaults(func=cmd_token)

    p = sub.add_parser("audit", help="変更履歴（監査ログ）を表示します")
    p.add_argument("--entity", default="", help="対象の表（例: assignments, people）")
    p.add_argument("--actor", default="", help="操作者（一部一致）")
    p.add_argument("--limit", type=int, default=50, help="表示する件数（既定 50）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_audit)


def cmd_backup(args) -> int:
    manifest = backup.write_backup(args.output, args.db, gate.link_secret(args.config.link_secret))
    rows = sum(t["rows"] for t in manifest.tables.values())
    print(f"バックアップを作成しました: {args.output}（{len(manifest.tables)}表・{rows}行、"
          f"スキーマ {', '.join(manifest.revisions)}）")
    return 0


def cmd_restore(args) -> int:
    path = Path(args.file)
    data = read_file(path, backup.MAX_ARCHIVE)
    secret = gate.link_secret(args.config.link_secret)
    found = backup.inspect_archive(data, args.db, secret)
    for line in found.warnings():
        print(f"注意: {line}", file=sys.stderr)
    if found.needs_confirmation and args.yes and not args.trust:
        print("署名や役割の変更を確かめる必要があるため、復元を中止しました（データベースは変わっていません）。"
              "内容を確かめた上で復元する場合は --trust も付けてください。", file=sys.stderr)
        return 2
    if not args.yes:
        if not sys.stdin or not sys.stdin.isatty():
            print("確認の入力ができないため、復元を中止しました（データベースは変わっていません）。"
                  "確認なしで復元する場合は --yes を付けてください。", file=sys.stderr)
            return 2
        try:
            answer = input(f"{found.created_at} のバックアップで、今のデータベースを置き換えます。"
                           f"{'上の注意を確かめましたか。' if found.needs_confirmation else ''}よろしいですか？ [y/N] ")
        except (EOFError, KeyboardInterrupt):
            answer = ""
            print()
        if answer.strip().lower() not in ("y", "yes", "はい"):
            print("中止しました（データベースは変わっていません）。")
            return 1
    result = backup.restore_bytes(data, args.db, actor="cli", secret=secret, accepted=found)
    db.dispose_all()
    print(result.message)
    return 0


def cmd_forget(args) -> int:
    with db.session(args.db, actor="cli") as s:
        report = privacy.forget_person(s, CLI_VIEWER, args.person)
    if args.json:
        print_json({"person_id": report.person_id, "audit_entries_scrubbed": report.audit_entries_scrubbed,
                    "erased": [{"table": e.table, "rows": len(e.ids), "fields": e.fields} for e in report.erased]})
    else:
        print(report.message)
    return 0


def cmd_token(args) -> int:
    secret = gate.link_secret(args.config.link_secret)
    with db.session(args.db, actor="cli") as s:
        from facilitation.storage.models import Room

        room = s.get(Room, args.room)
        if room is None or room.meeting_id != args.meeting:
            raise UserError(f"会 {args.meeting} にルーム {args.room} はありません。")
        if args.revoke:
            n = gate.revoke_links(s, CLI_VIEWER, room_id=args.room)
            print(f"ルーム「{room.name}」のリンクを {n} 件無効にしました。")
            return 0
        link = gate.issue_link(s, CLI_VIEWER, args.room, secret, hours=args.hours)
        room_name = room.name
    print(f"ルーム「{room_name}」のファシリテーター用リンク（有効期限 {link.expires_text}）:")
    base = args.base_url or args.config.public_url or "http://localhost:8501"
    print(f"{base.rstrip('/')}/roster?token={link.token}")
    return 0


def cmd_audit(args) -> int:
    with db.session(args.db) as s:
        df = audit.read_log(s, CLI_VIEWER, audit.AuditFilter(entity=args.entity, actor=args.actor,
                                                              limit=args.limit))
    if args.json:
        print_json(df.drop(columns=["entry_id"]).to_dict(orient="records"))
    else:
        for row in df.itertuples(index=False):
            print(f"{row[0]}  {row[1]:<20}  {row[2]}  {row[3]} {row[4]}  {row[5]}")
    return 0
