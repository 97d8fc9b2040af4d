"""Column typing of Google-Forms-shaped files, multi-select splitting, and the secretariat's corrections."""

import json
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
    # 「感想」 is a comment box by its title (issue 15), whatever the bogus correction said.
    assert [(q.title, q.kind) for q in qs] == [("評価 [講演]", "single"), ("評価 [ルーム]", "single"), ("感想", "text")]


# --- small forms where the answers alone mislead (issue 15) ---

def test_small_form_kinds_come_from_titles_and_the_forms_other_scales():
    survey = load("small_form.csv")
    kinds = {q.title: q.kind for q in survey.questions}
    assert kinds == {
        "タイムスタンプ": "identity",
        "本日の進み具合（1〜5）": "scale",  # only 3 and 4 chosen: the title gives the scale
        "講義のわかりやすさ": "scale",
        "次回の参加意欲": "scale",  # only 4 and 5 chosen: the form's other questions are 1–5
        "あなたの機関からの参加人数": "number",  # a count, even among scales
        "ご意見・ご要望があればご自由にお書きください": "text",  # 「特になし」 twice
        "今日いちばん役立ったこと": "text",  # the same sentence twice, no title hint
        "ひとことメモ": "text",  # only 「特になし」
    }
    counts = summarize(survey).question("本日の進み具合(1〜5)").counts()
    assert counts == {"5": 0, "4": 2, "3": 4, "2": 0, "1": 0}
    assert survey.question("次回の参加意欲").options == ["5", "4", "3", "2", "1"]
    assert survey.question("本日の進み具合(1〜5)").reason == "題名の「1〜5」から1〜5の段階評価としました"
    assert survey.question("次回の参加意欲").reason == "同じフォームの1〜5の質問にそろえて段階評価としました"
    assert "自由" in survey.question("ご意見・ご要望があればご自由にお書きください").reason


@pytest.mark.parametrize("title,values,kind", [
    ("質問や何かリクエストがあれば自由にお書き下さい。", ["もっと例題がほしい"], "text"),  # answered once
    ("ご感想", ["よかった", "よかった", "特になし"], "text"),
    ("満足度（5段階）", ["4", "4", "5"], "scale"),
    ("進み具合はどうですか？", ["3", "4", "3"], "scale"),
    ("参加回数", ["3", "4", "3"], "number"),
    ("本日のご感想をお聞かせください", ["とても参考になった", "参考になった"], "scale"),  # a known scale beats the title
    ("開催形式のご希望", ["対面", "オンライン", "対面"], "single"),
])
def test_kind_of_one_column(title, values, kind):
    (q,) = detect([title], [[v] for v in values])
    assert q.kind == kind


def test_a_question_titled_like_a_comment_box_keeps_checkbox_answers_multi():
    rows = [["研修, 事例検討"], ["研修"], ["事例検討, 研修"], ["研修, 交流"], ["交流, 事例検討"]]
    (q,) = detect(["ご要望のテーマ（複数選択可）"], rows)
    assert q.kind == "multi"


def test_cli_names_the_format_and_why_a_kind_was_chosen(capsys):
    from facilitation import cli

    assert cli.main(["surveys", "summarize", str(DATA / "small_form.csv")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("形式: Google フォームの回答（CSV・UTF-8）")
    assert "（同じフォームの1〜5の質問にそろえて段階評価としました）" in out
    assert cli.main(["surveys", "summarize", str(DATA / "small_form.csv"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "Google フォームの回答（CSV・UTF-8）"
    by_title = {q["title"]: q for q in data["questions"]}
    assert by_title["本日の進み具合（1〜5）"]["reason"].startswith("題名の")
    assert "reason" not in by_title["講義のわかりやすさ"]  # the answers alone decided


REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-samples" / "forms" / "shibatch28_ank_data.csv"


@pytest.mark.skipif(not REAL.exists(), reason="real samples live beside the project")
def test_real_linear_scale_with_two_answers_is_a_scale():
    """Shibatch28/DataAndProgramming ank_data.csv: 「進み具合はどうですか？」 was answered only 3 or 4."""
    survey = Survey.from_table(read_table(REAL.read_bytes(), REAL.name))
    q = survey.question("進み具合はどうですか?")
    assert q.kind == "scale"
    assert summarize(survey).question(q.key).counts() == {"5": 0, "4": 5, "3": 17, "2": 0, "1": 0}


def test_a_middle_option_nobody_chose_is_not_shown_with_zero():
    """Issue 22: a grid (or scale) asked without 「どちらともいえない」 showed it with 0, from the known
    five-point scale. A middle option nobody chose is left out; chosen, it is there."""
    from facilitation.files.tabular import Table

    headers = ["満足度 [講演]", "満足度 [ルーム]"]
    four_point = [["満足", "やや満足"], ["不満", "満足"], ["やや満足", "やや不満"], ["満足", "満足"]]
    grid = detect(headers, four_point)[0]
    assert grid.kind == "grid" and grid.options == ["満足", "やや満足", "やや不満", "不満"]
    survey = Survey.from_table(Table(headers=headers, rows=four_point))
    assert "どちらともいえない" not in str(summarize(survey).questions)
    with_middle = [*four_point, ["どちらともいえない", "満足"]]
    assert detect(headers, with_middle)[0].options == ["満足", "やや満足", "どちらともいえない", "やや不満", "不満"]
    single = detect(["次年度も"], [["継続してほしい"], ["継続してほしい"], ["継続しなくてよい"]])[0]
    assert single.kind == "scale" and single.options == ["継続してほしい", "継続しなくてよい"]
