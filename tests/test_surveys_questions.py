"""Column typing of Google-Forms-shaped files, multi-select splitting, and the secretariat's corrections."""

from pathlib import Path

import pytest

from facilitation.files.tabular import read_table
from facilitation.surveys.questions import detect, learn_options, split_multi
from facilitation.surveys.summary import Survey, summarize

DATA = Path(__file__).parent / "data" / "surveys"
FILES = ["evaluation_utf8.csv", "evaluation_bom.csv", "evaluation_cp932.csv", "evaluation.xlsx"]
EXPECTED_KINDS = [
    ("タイムスタンプ", "identity"), ("メールアドレス", "identity"), ("お名前", "identity"),
    ("ご所属（機関名）", "identity"), ("情報交換会に参加して、いかがでしたか", "scale"), ("希望する開催頻度", "single"),
    ("開催内容についての希望（複数選択可）", "multi"), ("今回の満足度を10段階で教えてください", "scale"),
    ("支援メニューの利用状況", "grid"), ("各プログラムの評価", "grid"), ("あなたの機関からの参加人数", "number"),
    ("参加した日", "date"), ("ご意見・ご感想", "text"),
]
MULTI_OPTION_WITH_COMMA = "講師を招いた勉強会(制度, 実務など)"


def load(name: str) -> Survey:
    return Survey.from_table(read_table((DATA / name).read_bytes(), name))


@pytest.mark.parametrize("name", FILES)
def test_every_encoding_gives_the_same_questions_in_form_order(name):
    survey = load(name)
    assert [(q.title, q.kind) for q in survey.questions] == EXPECTED_KINDS
    roles = [q.identity for q in survey.questions if q.kind == "identity"]
    assert roles == ["timestamp", "email", "name", "org"]
    grid = survey.question("支援メニューの利用状況")
    assert grid.rows == ["家計相談", "就労準備"] and not grid.ordered
    rating = survey.question("各プログラムの評価")
    assert rating.ordered and rating.not_applicable == ["参加できなかった"]


def test_scale_options_are_ordered_and_non_attendance_is_not_an_option():
    survey = load("evaluation_utf8.csv")
    q = survey.question("情報交換会に参加して、いかがでしたか")
    assert q.options == ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった"]
    assert q.not_applicable == ["参加できなかった"]
    assert q.positive == ["とても役に立った", "役に立った"]
    ten = survey.question("今回の満足度を10段階で教えてください")
    assert ten.options == [str(i) for i in range(10, 0, -1)]  # a 10-point scale even though 1, 2, 4 are unused


def test_multi_select_options_learned_from_answers_keep_commas_and_japanese_commas():
    q = load("evaluation_utf8.csv").question("開催内容についての希望(複数選択可)")
    assert q.options == ["テーマ別のディスカッション", "事例検討、ケース検討", MULTI_OPTION_WITH_COMMA, "その他"]
    assert q.not_applicable == ["当てはまるものはない"]


def test_split_multi_puts_unknown_text_under_other():
    options = ["A案", "B案（制度, 実務）", "その他"]
    assert split_multi("A案, B案（制度, 実務）", options) == (["A案", "B案（制度, 実務）"], "")
    assert split_multi("B案（制度, 実務）, オンライン交流, 夜の開催", options) == (
        ["B案（制度, 実務）", "その他"], "オンライン交流, 夜の開催")
    assert split_multi("その他: 現地見学", options) == (["その他"], "現地見学")
    assert split_multi("", options) == ([], "")


def test_learn_options_needs_two_answers_unless_known():
    cells = ["A, B", "A", "C", "独自の意見"]
    assert learn_options(cells) == ["A", "その他"]  # B, C and the typed text were each seen once
    assert learn_options(cells, known=["A", "B", "C"]) == ["A", "B", "C", "その他"]


def test_secretariat_corrections_change_kind_and_option_set():
    table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "x.csv")
    multi_key = "開催内容についての希望(複数選択可)"
    survey = Survey.from_table(table, kinds={"希望する開催頻度": "text", "お名前": "single"},
                               options={multi_key: ["テーマ別のディスカッション", "講師を招いた勉強会(制度, 実務など)"]})
    kinds = {q.key: q.kind for q in survey.questions}
    assert kinds["希望する開催頻度"] == "text" and kinds["お名前"] == "single"
    assert survey.question("希望する開催頻度").detected == "single"
    q = survey.question(multi_key)
    # Given options come first; 事例検討、ケース検討 is still learned (chosen 5 times).
    assert q.options[:2] == ["テーマ別のディスカッション", MULTI_OPTION_WITH_COMMA]
    counts = summarize(survey).question(multi_key).counts()
    assert counts[MULTI_OPTION_WITH_COMMA] == 4 and counts["事例検討、ケース検討"] == 5


def test_unknown_kind_in_corrections_is_ignored_and_grid_can_be_split():
    headers = ["評価 [講演]", "評価 [ルーム]", "感想"]
    rows = [["良い", "普通", "とても良かった"], ["普通", "悪い", "よかった"]]
    qs = detect(headers, rows, kinds={"感想": "bogus", "評価": "single"})
    assert [(q.title, q.kind) for q in qs] == [("評価 [講演]", "single"), ("評価 [ルーム]", "single"), ("感想", "single")]
