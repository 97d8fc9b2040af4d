"""Per-question counts with the right base, filters, cross-tabs, the cache, the CLI and the exports."""

import io
import json
import re
from pathlib import Path

import openpyxl

from facilitation import cli
from facilitation.files.tabular import read_table
from facilitation.surveys import charts, report
from facilitation.surveys.summary import Survey, answer_mask, crosstab, summarize

DATA = Path(__file__).parent / "data" / "surveys"
USEFUL = "情報交換会に参加して、いかがでしたか"
MULTI = "開催内容についての希望(複数選択可)"


def load(name="evaluation_cp932.csv") -> Survey:
    return Survey.from_table(read_table((DATA / name).read_bytes(), name), title="第3回アンケート")


def test_scale_counts_exclude_non_attendance_from_the_base():
    s = summarize(load()).question(USEFUL)
    assert (s.respondents, s.n, s.base) == (12, 11, 10)  # one blank, one 参加できなかった
    assert s.table.set_index("option").percent.to_dict() == {
        "とても役に立った": 40.0, "役に立った": 50.0, "あまり役に立たなかった": 10.0, "役に立たなかった": 0.0}
    assert s.not_applicable.values.tolist() == [["参加できなかった", 1]]
    assert s.positive_share == 90.0


def test_single_choice_with_other_text():
    s = summarize(load()).question("希望する開催頻度")
    assert s.counts() == {"年1-2回": 4, "3-4か月に1回": 3, "年6回": 2, "毎月": 1, "その他": 1}
    assert (s.n, s.base) == (11, 11)
    assert s.other_texts == ["年度初めに1回"]


def test_multi_select_percent_is_of_respondents_not_of_ticks():
    s = summarize(load()).question(MULTI)
    assert s.counts() == {"テーマ別のディスカッション": 6, "事例検討、ケース検討": 5, "講師を招いた勉強会(制度, 実務など)": 4,
                          "その他": 1, "当てはまるものはない": 1}
    assert (s.n, s.base) == (10, 9)  # 当てはまるものはない alone is outside the base
    assert s.table.set_index("option").percent["テーマ別のディスカッション"] == 66.7
    assert s.table["count"].sum() == 16 and s.table.percent.sum() > 100
    assert s.other_texts == ["オンラインでの交流会"]


def test_ten_point_scale_grid_number_date_and_text():
    result = summarize(load())
    ten = result.question("今回の満足度を10段階で教えてください")
    assert ten.n == 10 and ten.counts()["10"] == 2 and ten.counts()["4"] == 0
    grid = result.question("各プログラムの評価")
    assert grid.counts()["ブレイクアウトルーム"] == {"とても役に立った": 5, "役に立った": 4, "あまり役に立たなかった": 0,
                                                 "役に立たなかった": 1, "参加できなかった": 1}
    row = grid.table[grid.table.row == "全体講演"].set_index("option")
    assert row.loc["役に立った", "percent"] == 60.0 and row.base.iloc[0] == 10
    usage = result.question("支援メニューの利用状況")
    assert usage.counts()["就労準備"] == {"利用した": 2, "検討した": 5, "利用していない": 3}
    number = result.question("あなたの機関からの参加人数")
    assert number.n == 12 and number.stats["mean"] == 1.67 and number.stats["max"] == 4  # 「２名」 read as 2
    date = result.question("参加した日")
    assert date.table.values.tolist() == [["2021-12-17", 9], ["2021-12-18", 1]]
    text = result.question("ご意見・ご感想")
    assert text.n == 9 and "引きこもり" in text.terms.term.tolist()
    assert text.terms.set_index("term").loc["引きこもり", "documents"] == 3  # ひきこもり and 引きこもり (rows 4, 11, 12)


def test_identity_columns_are_reported_but_never_counted():
    for q in summarize(load()).questions[:4]:
        assert q.kind == "identity" and q.n == 12 and q.counts() == {} and q.table.empty
        assert charts.figure(q) is None


def test_filter_by_answer_and_crosstab():
    survey = load()
    mask = answer_mask(survey, "希望する開催頻度", ["年1-2回"])
    assert sum(mask) == 4
    s = summarize(survey, mask).question(USEFUL)
    assert s.counts()["とても役に立った"] == 4 and s.n == 4
    groups = ["社協" if "社会福祉協議会" in org else "その他" for org in survey.identity("org")]
    table = crosstab(survey, USEFUL, groups)
    shakyo = table[table.group == "社協"].set_index("option")
    assert shakyo.loc["役に立った", "count"] == 1 and shakyo.base.iloc[0] == 1  # 函館 did not attend, 北見 blank
    multi = crosstab(survey, MULTI, groups)
    other = multi[multi.group == "その他"].set_index("option")
    assert other.base.iloc[0] == 8 and other.loc["テーマ別のディスカッション", "percent"] == 62.5  # 5 of 8


def test_summaries_are_cached_by_content_and_filter():
    a = summarize(load())
    assert summarize(load()) is a  # same content read again: no recount
    survey = load()
    survey.kinds = {"希望する開催頻度": "text"}
    assert summarize(Survey(survey.headers, survey.rows, survey.kinds)) is not a


def test_charts_match_the_kind():
    result = summarize(load())
    scale = charts.figure(result.question(USEFUL))
    names = {t.name for t in scale.data}
    assert names == {"とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった"}
    negative = [t for t in scale.data if t.name == "あまり役に立たなかった"][0]
    assert negative.x[0] == -10.0  # unfavourable to the left of zero
    bars = charts.figure(result.question("希望する開催頻度"))
    assert list(bars.data[0].y) == ["年1-2回", "3-4か月に1回", "年6回", "その他", "毎月"]  # sorted by count
    assert charts.figure(result.question("あなたの機関からの参加人数")).data[0].type == "histogram"
    grid = charts.figure(result.question("各プログラムの評価"))
    assert len(grid.data[0].y) == 2


def test_cli_summarize_json(capsys):
    assert cli.main(["surveys", "summarize", str(DATA / "evaluation_bom.csv"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["respondents"] == 12
    q = {x["title"]: x for x in out["questions"]}
    assert q[USEFUL]["kind"] == "scale" and q[USEFUL]["n"] == 11
    assert q[USEFUL]["counts"]["参加できなかった"] == 1
    assert q["メールアドレス"] == {"title": "メールアドレス", "kind": "identity", "n": 12}
    assert q["開催内容についての希望（複数選択可）"]["counts"]["講師を招いた勉強会(制度, 実務など)"] == 4
    assert {x["kind"] for x in out["questions"]} == {"identity", "scale", "single", "multi", "grid", "number", "date", "text"}


def test_cli_reports_unreadable_file_in_japanese(tmp_path, capsys):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    assert cli.main(["surveys", "summarize", str(bad)]) == 2
    assert "空です" in capsys.readouterr().err


def test_excel_workbook_reads_back_one_sheet_per_question():
    result = summarize(load())
    book = openpyxl.load_workbook(io.BytesIO(report.workbook(result, "第3回")))
    names = book.sheetnames
    assert names[0] == "概要"
    assert names[1].startswith("Q5 情報交換会に参加して") and not any("メール" in n for n in names)
    ws = book[names[1]]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("選択肢", "件数", "割合（%）")
    assert rows[1] == ("とても役に立った", 4, 40.0)
    assert rows[-1][0] == "参加できなかった（集計対象外）" and rows[-1][1] == 1
    overview = list(book["概要"].iter_rows(values_only=True))
    assert overview[5][1:4] == ("情報交換会に参加して、いかがでしたか", "段階評価", 11)


def test_html_report_has_charts_in_form_order_and_no_identity():
    result = summarize(load())
    page = report.html_report(result, "第3回 情報交換会 アンケート結果")
    titles = re.findall(r"<h2>Q\d+\. (.*?)</h2>", page)
    assert titles[0] == USEFUL and titles[-1] == "ご意見・ご感想" and len(titles) == 9
    assert page.count("<svg") == 9  # every question has a chart (free text: word frequencies)
    assert "kato@example.jp" not in page and "加藤" not in page
    assert "割合の母数 10：参加できなかった 1件を除く" in page
    assert "<script" not in page
