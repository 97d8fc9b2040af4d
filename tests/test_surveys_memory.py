"""A question asked again under the same title keeps the kind it had in earlier surveys (issue 15).

A 1–5 question where only 3 and 4 were chosen reads as a number on its own, and a comment box
answered twice with a place name as a single choice; in an earlier survey the same titles were a
scale and free text (detected, or set by the secretariat in 「質問の種類」): the new survey takes
those kinds, stored as its corrections so 「質問の種類」 shows them and they can be changed back.
"""

from __future__ import annotations

from facilitation.files.tabular import Table
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.surveys import questions, store
from facilitation.surveys.questions import IDENTITY, MULTI, NUMBER, SCALE, SINGLE, TEXT

HEADERS = ["タイムスタンプ", "講義の印象", "連絡事項", "参加の形", "お名前"]
EARLIER = Table(headers=HEADERS, rows=[
    ["2027/01/10 10:00", "5", "駐車場の案内を次回もお願いします。", "会場", "石狩 一郎"],
    ["2027/01/10 10:01", "4", "資料を事前に送ってほしいです。", "オンライン", "空知 花子"],
    ["2027/01/10 10:02", "3", "特になし", "会場", "上川 次郎"],
    ["2027/01/10 10:03", "2", "会場が寒かったです。", "会場, オンライン", "十勝 美咲"],
    ["2027/01/10 10:04", "1", "特になし", "オンライン", "釧路 健"],
])
LATER = Table(headers=[" 講義の印象 " if h == "講義の印象" else h for h in HEADERS], rows=[
    ["2027/02/10 10:00", "3", "会場", "会場", "石狩 一郎"],
    ["2027/02/10 10:01", "4", "会場", "オンライン", "宗谷 陽子"],
    ["2027/02/10 10:02", "4", "オンライン", "会場", "根室 誠"],
])


def kinds_of(url: str, survey_id: int) -> dict[str, str]:
    with db.session(url) as s:
        return {q.title.strip(): q.kind for q in store.load(s, survey_id).questions}


def test_alone_the_later_file_reads_otherwise():  # what the memory has to correct
    survey = store.Survey.from_table(LATER)
    got = {q.title.strip(): q.kind for q in survey.questions}
    assert (got["講義の印象"], got["連絡事項"], got["参加の形"]) == (NUMBER, SINGLE, SINGLE)


def test_a_later_survey_keeps_the_kinds_of_the_same_titles(sqlite_url):
    with db.session(sqlite_url) as s:
        first = store.import_table(s, SECRETARIAT_LOCAL, EARLIER, title="1月の事後アンケート", meeting_id=None).survey_id
        assert kinds_of_session(s, first)["参加の形"] == MULTI
        store.set_corrections(s, SECRETARIAT_LOCAL, first, kinds={"参加の形": SINGLE})  # the secretariat's choice
    with db.session(sqlite_url) as s:
        later = store.import_table(s, SECRETARIAT_LOCAL, LATER, title="2月の事後アンケート", meeting_id=None).survey_id
    got = kinds_of(sqlite_url, later)
    assert got["講義の印象"] == SCALE and got["連絡事項"] == TEXT  # detected so in January
    assert got["参加の形"] == SINGLE and got["お名前"] == IDENTITY
    with db.session(sqlite_url) as s:
        survey = store.load(s, later)
        scale = next(q for q in survey.questions if q.title.strip() == "講義の印象")
        assert scale.options == ["5", "4", "3", "2", "1"] and scale.detected == NUMBER  # 5 points, not 3 and 4
        store.set_corrections(s, SECRETARIAT_LOCAL, later, kinds={})  # changed back in 「質問の種類」: the detection again
    assert kinds_of(sqlite_url, later)["講義の印象"] == NUMBER


def test_without_earlier_surveys_nothing_changes(sqlite_url):
    with db.session(sqlite_url) as s:
        only = store.import_table(s, SECRETARIAT_LOCAL, LATER, title="2月", meeting_id=None).survey_id
    assert kinds_of(sqlite_url, only)["講義の印象"] == NUMBER


def test_the_secretariats_kind_wins_over_a_later_detection():
    memory: dict[str, questions.Remembered] = {}
    set_by_hand = store.Survey.from_table(EARLIER, kinds={"連絡事項": SINGLE}).questions
    questions.remember(memory, set_by_hand, {"連絡事項"}, "1月")
    questions.remember(memory, store.Survey.from_table(EARLIER).questions, set(), "3月")  # detected: text
    assert memory[questions.title_key("連絡事項")].kind == SINGLE
    assert memory[questions.title_key("講義の印象")].kind == SCALE
    assert questions.title_key("お名前") not in memory  # identity columns are never remembered


def kinds_of_session(s, survey_id: int) -> dict[str, str]:
    return {q.title.strip(): q.kind for q in store.load(s, survey_id).questions}
