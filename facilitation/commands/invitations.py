"""Subcommands: `invitations list / send / outcome` (invitations from coverage gaps to the next meeting).

`send` reads the mail server from FACILITATION_SMTP_* environment variables (as the app does when
secrets have no [mail] section); `--dry-run` only says what would be sent and what skipped, and why.
"""

from __future__ import annotations

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.history import participation
from facilitation.invitations import invite, outcome
from facilitation.mail.smtp import Transport, load_settings
from facilitation.storage import db


def register(sub) -> None:
    inv = sub.add_parser("invitations", help="参加のない対象機関への、次の会のご案内メール") \
        .add_subparsers(dest="action", required=True)

    p = inv.add_parser("list", help="ご案内の候補（未参加・最近参加のない対象機関）と送信先・状態")
    p.add_argument("--meeting", type=int, required=True, help="ご案内する会の ID（準備中・募集中の会）")
    p.add_argument("--year", type=int, action="append", default=[],
                   help="この年度に参加のない機関を候補にします（既定: 最後の年度。複数指定可）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_list)

    p = inv.add_parser("send", help="選んだ機関にご案内を送信します（--dry-run で確認だけ）")
    p.add_argument("--meeting", type=int, required=True, help="ご案内する会の ID")
    p.add_argument("--org", type=int, action="append", default=[], help="送る機関の ID（複数指定可）")
    p.add_argument("--dry-run", action="store_true", help="送らずに、送る先と送らない理由だけを表示します")
    p.set_defaults(func=cmd_send)

    p = inv.add_parser("outcome", help="ご案内した機関・申し込んだ機関（うちご案内後）・参加した機関の数（地域別）")
    p.add_argument("--meeting", type=int, required=True, help="会の ID")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_outcome)


def cmd_list(args) -> int:
    with db.session(args.db, actor="cli") as s:
        h = participation.load(s, CLI_VIEWER)
        period, text = invite.gap_period(h, tuple(sorted(args.year)))
        table = invite.candidates(s, CLI_VIEWER, args.meeting, h, period)
    if args.json:
        print_json(table.rename(columns={"org_id": "ID", **invite.CANDIDATE_LABELS}).to_dict("records"))
        return 0
    print(f"一度も参加がない機関と、{text}に参加がない機関: {len(table)}機関")
    for r in table.itertuples(index=False):
        print(f"- [{r.org_id}] {r.organisation}（{r.region}）{r.status}　{r.email or '連絡先なし'}　{r.state}")
    return 0


def cmd_send(args) -> int:
    if not args.org:
        raise UserError("送る機関を --org で指定してください（ID は invitations list で確かめられます）。")
    if args.dry_run:
        with db.session(args.db, actor="cli") as s:
            found = invite.targets(s, CLI_VIEWER, args.meeting, args.org)
        for oid in args.org:
            t = found.get(oid)
            if t is None:
                print(f"- [{oid}] 機関がありません")
            else:
                verdict = f"送ります → {t.email}" if t.sendable else invite.SKIP_REASON[t.state]
                print(f"- [{oid}] {t.organisation}: {verdict}")
        return 0
    settings = load_settings()
    if settings is None:
        raise UserError("メールサーバーの設定がありません（FACILITATION_SMTP_HOST などの環境変数を設定してください）。")
    with Transport(settings) as t:
        report = invite.send(lambda: db.session(args.db, actor="cli"), CLI_VIEWER, args.meeting, args.org, settings, t)
    print(report.message)
    for r in report.results:
        print(f"- {r['organisation']}（{r['email'] or '連絡先なし'}）: {r['result']}")
    return 0


def cmd_outcome(args) -> int:
    with db.session(args.db, actor="cli") as s:
        table = outcome.outcome(s, CLI_VIEWER, args.meeting)
    if args.json:
        print_json(table.rename(columns=outcome.LABELS).to_dict("records"))
        return 0
    for r in table.itertuples(index=False):
        print(f"{r.region}: ご案内 {r.invited}・申込 {r.registered}・参加 {r.attended}")
    return 0
