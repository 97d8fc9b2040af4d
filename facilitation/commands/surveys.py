"""Survey subcommands: summarize a responses file, import it into the database for a meeting, list."""

from __future__ import annotations

from pathlib import Path

from facilitation.commands import CLI_VIEWER, print_json
from facilitation.files import formats
from facilitation.files.tabular import read_table
from facilitation.files.uploads import read_file
from facilitation.storage import db
from facilitation.surveys import disclosure, report, store
from facilitation.surveys.questions import IDENTITY
from facilitation.surveys.summary import Survey, summarize

KIND_LABELS = {"single": "単一選択", "scale": "段階評価", "multi": "複数選択", "number": "数値", "date": "日付",
               "grid": "グリッド", "text": "自由記述", "identity": "回答者情報"}


def register(sub) -> None:
    s = sub.add_parser("surveys", help="アンケートの集計・取り込み").add_subparsers(dest="action", required=True)
    p = s.add_parser("summarize", help="回答ファイル（CSV / Excel）を集計します")
    p.add_argument("file", help="Google フォームの回答を書き出した CSV または .xlsx")
    p.add_argument("--json", action="store_true", help="JSON で出力（respondents と questions）")
    p.add_argument("--xlsx", help="集計表を Excel ファイルに書き出す（質問ごとに1シート）")
    p.add_argument("--html", help="印刷用の HTML レポートを書き出す")
    p.set_defaults(func=cmd_summarize)

    p = s.add_parser("import", help="回答ファイルを会のアンケートとして取り込みます")
    p.add_argument("file", help="アンケート回答のファイル（CSV・Excel）")
    p.add_argument("--meeting", type=int, help="会の ID（python -m facilitation meetings list で確認）")
    p.add_argument("--title", default="", help="アンケート名（既定: ファイル名）")
    p.add_argument("--survey", type=int, help="既存のアンケート ID（その回答を読み直す）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_import)

    p = s.add_parser("threshold", help="委員会に見せる集計の最小人数（k）を表示・変更します")
    p.add_argument("--set", type=int, dest="value", help="新しい最小人数（3〜50）")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_threshold)

    p = s.add_parser("list", help="取り込んだアンケートの一覧")
    p.add_argument("--json", action="store_true", help="結果を JSON で出力します")
    p.set_defaults(func=cmd_list)


def _read(path: str):
    """The responses file, read and prepared as the export it is (formats.for_survey)."""
    return formats.for_survey(read_table(read_file(path), Path(path).name))


def _format(table) -> str:
    """「Google フォームの回答（CSV・UTF-8）」: what the file looked like to the reader (formats.detect)."""
    return table.notes[0].removesuffix("として読みました。") if table.notes else formats.detect(table).label


def cmd_summarize(args) -> int:
    table = _read(args.file)
    survey = Survey.from_table(table, title=Path(args.file).stem)
    result = summarize(survey)
    reasons = {q.key: q.reason for q in survey.questions}
    if args.xlsx:
        Path(args.xlsx).write_bytes(report.workbook(result, survey.title))
    if args.html:
        Path(args.html).write_text(report.html_report(result, survey.title), encoding="utf-8")
    if args.json:
        data = result.as_json()
        data["format"] = _format(table)
        for out, q in zip(data["questions"], result.questions, strict=True):
            if reasons.get(q.key):
                out["reason"] = reasons[q.key]  # why the kind was chosen when the answers alone did not say
        print_json(data)
        return 0
    print(f"形式: {_format(table)}")
    print(f"回答者 {result.respondents}名")
    for i, q in enumerate(result.questions, start=1):
        print(f"\n{i}. {q.title}（{KIND_LABELS[q.kind]}） 回答 n={q.n}")
        if reasons.get(q.key):
            print(f"   （{reasons[q.key]}）")
        if q.kind == IDENTITY:
            continue
        if q.kind in ("single", "scale", "multi"):
            for r in q.table.itertuples():
                print(f"   {r.option}: {r.count}件（{r.percent:.1f}%）")
            for r in q.not_applicable.itertuples():
                print(f"   （集計対象外）{r.option}: {r.count}件")
        elif q.kind == "grid":
            for r in q.table.itertuples():
                print(f"   [{r.row}] {r.option}: {r.count}件（{r.percent:.1f}%）")
        elif q.kind == "number" and q.stats:
            print(f"   平均 {q.stats['mean']} / 中央値 {q.stats['median']} / 最小 {q.stats['min']} / 最大 {q.stats['max']}")
        elif q.kind == "text" and q.terms is not None:
            print("   よく出る語: " + "、".join(f"{t}({c})" for t, c in zip(q.terms.term.head(10), q.terms["count"], strict=False)))
    return 0


def cmd_import(args) -> int:
    table = _read(args.file)
    with db.session(args.db, actor="cli") as s:
        result = store.import_table(s, CLI_VIEWER, table, title=args.title or Path(args.file).stem, meeting_id=args.meeting,
                                    source="file", source_ref=Path(args.file).name, survey_id=args.survey)
    if args.json:
        print_json({"survey_id": result.survey_id, "responses": result.responses,
                    "linked_by_email": result.linked_by_email, "linked_by_name": result.linked_by_name,
                    **formats.detect(table).as_dict()})
    else:
        print(f"アンケート ID {result.survey_id}: " + result.message())
    return 0


def cmd_threshold(args) -> int:
    with db.session(args.db, actor="cli") as s:
        k = disclosure.set_threshold(s, CLI_VIEWER, args.value) if args.value is not None else disclosure.threshold(s)
    if args.json:
        print_json({"committee_min_group": k})
    else:
        print(f"委員会に見せるアンケート集計の最小人数: {k}名（これ未満のグループ・欄は委員会の画面に表示しません）")
    return 0


def cmd_list(args) -> int:
    with db.session(args.db) as s:
        items = store.list_surveys(s)
    if args.json:
        print_json([vars(i) for i in items])
    else:
        for i in items:
            print(f"{i.id:>4}  {i.title}  {i.meeting_label}  回答 {i.responses}件（照合 {i.linked}件）")
    return 0
