"""`assign`: the room optimiser on a JSON instance (no database) or on a meeting in the database."""

from __future__ import annotations

import json
from pathlib import Path

from facilitation.assignment import service
from facilitation.assignment.check import score
from facilitation.assignment.instance import STATUS_FEASIBLE, STATUS_INFEASIBLE, STATUS_OPTIMAL, Instance, Result
from facilitation.assignment.solver import BACKENDS, DEFAULT_BACKEND, solve
from facilitation.commands import CLI_VIEWER, print_json
from facilitation.errors import UserError
from facilitation.storage import db

STATUS_TEXT = {
    STATUS_OPTIMAL: "最適な割り当てが見つかりました（最適であることを証明済み）。",
    STATUS_FEASIBLE: "決まりを満たす割り当てが見つかりました（最適とまでは証明できていません）。",
    STATUS_INFEASIBLE: "決まりをすべて満たす割り当てはありません。",
}


def register(sub) -> None:
    p = sub.add_parser("assign", help="ルーム割り当ての最適化（JSON のインスタンス、または --meeting で会を指定）")
    p.add_argument("--meeting", type=int, help="データベースの会の ID")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力")
    p.add_argument("--save", action="store_true", help="結果を割り当てとして保存（--meeting のとき）")
    p.add_argument("--time-limit", type=float, default=10.0, help="制限時間（秒、既定 10）")
    p.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="ソルバー（既定 highs）")
    p.set_defaults(func=cmd_meeting)
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    s = actions.add_parser("solve", help="JSON のインスタンスを解く（データベース不要）")
    s.add_argument("instance", help="インスタンスの JSON ファイル")
    s.add_argument("--out", help="結果を書き出す JSON ファイル（省略時は画面に JSON）")
    s.add_argument("--time-limit", type=float, help="制限時間（秒）。省略時はインスタンスの time_limit_s")
    s.add_argument("--backend", choices=BACKENDS, default=DEFAULT_BACKEND, help="使うソルバー（既定は最適化ソルバー）")
    s.set_defaults(func=cmd_solve)


def summary(instance: Instance, result: Result) -> list[str]:
    """A few Japanese lines: status, figures, reasons."""
    lines = [STATUS_TEXT.get(result.status, "制限時間内に割り当て案が見つかりませんでした。")]
    if result.ok:
        s = score(instance, result.assignment, result.facilitators)
        base = max(1, len(instance.people) - s.no_choice)
        ranks = "・".join(f"第{k + 1}希望 {s.by_rank[k] / base * 100:.0f}%" for k in range(3))
        lines.append(f"参加者 {len(instance.people)} 名・ルーム {len(instance.rooms)} 室: {ranks}"
                     f"・希望外 {s.unchosen / base * 100:.0f}%")
        lines.append(f"評価値 {result.objective}（上限 {result.bound}）、以前と同じ顔ぶれのペア {s.repeats} 組、"
                     f"所要 {result.seconds:.1f} 秒（{result.backend}）")
        if result.moves is not None:
            lines.append(f"公開済みの割り当てから動いた方: {result.moves} 名")
    lines.extend(f"- {r}" for r in result.reasons)
    return lines


def cmd_solve(args) -> int:
    instance = Instance.load(args.instance)
    result = solve(instance, backend=args.backend, time_limit=args.time_limit)
    if args.out:
        Path(args.out).write_text(json.dumps(result.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        print("\n".join(summary(instance, result)))
        print(f"結果を {args.out} に書き出しました。")
    else:
        print_json(result.to_dict())
    return 0 if result.ok else 3


def cmd_meeting(args) -> int:
    if args.meeting is None:
        raise UserError("会の ID を --meeting で指定するか、`assign solve INSTANCE.json` を使ってください。")
    viewer = CLI_VIEWER
    with db.session(args.db, actor="cli") as s:
        outcome = service.run_optimiser(s, viewer, args.meeting, time_limit_s=args.time_limit,
                                        save=args.save, backend=args.backend)
        instance, result = outcome.built.instance, outcome.result
        unmatched = outcome.built.unmatched_choices
    if args.json:
        print_json(result.to_dict())
    else:
        lines = summary(instance, result)
        if unmatched:
            lines.append(f"- どのルームにも当たらない希望の記入が {unmatched} 件あります（/rooms の「希望の確認」）。")
        if args.save and result.ok:
            lines.append("割り当てを保存しました。")
        print("\n".join(lines))
    return 0 if result.ok else 3
