"""The committee never sees who answered a survey: identity columns recognised widely, small cells hidden.

A form with 記入者 / ご担当者名 / 連絡先 columns (which the answers alone would make single choices)
and a free 所属 answer given once: the committee's results, Excel and HTML exports contain none of
the names, phone numbers or rare answers; counts below k, and those that would give one away by
difference, read 「非表示」 (disclosure; k = 3 here, the smallest setting, so that 8 answers show
something). The secretariat's view still has them.
"""

from __future__ import annotations

import io

import openpyxl
import pytest

from facilitation.files.tabular import Table
from facilitation.roles import COMMITTEE, SECRETARIAT, Viewer
from facilitation.surveys import charts, comments, disclosure, report
from facilitation.surveys.questions import CONTACT, IDENTITY, NAME, SINGLE, detect
from facilitation.surveys.summary import FEW_ANSWERS, SMALL_LABEL, Survey, crosstab, summarize
from facilitation.text.normalize import clean

COMMITTEE_V = Viewer(role=COMMITTEE, email="iinkai@example.org")
ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")
NAMES = ["山田 太郎", "佐藤 花子", "鈴木 一郎", "高橋 次郎", "田中 三郎", "伊藤 四郎", "渡辺 五郎", "山本 六子"]
HANDLES = ["やまだ", "さとう", "すずき", "たかはし", "たなか", "いとう", "わたなべ", "やまもと"]
PHONES = ["011-111-1111", "011-222-2222", "0123-33-3333", "090-4444-4444", "011-555-5555",
          "0126-66-6666", "080-7777-7777", "011-888-8888"]
USEFUL = ["とても役に立った"] * 4 + ["役に立った"] * 2 + ["あまり役に立たなかった"] * 2
# 「どこで知りましたか」: two common answers and two given once (one of them names a person).
HEARD = ["事務局からの案内"] * 3 + ["ホームページ"] * 3 + ["りんくの石川さんから", "岩見沢市の広報"]
OTHER = ["年1-2回"] * 4 + ["毎月"] * 3 + ["その他: 山田さんと相談して決めたい"]
HEADERS = ["タイムスタンプ", "記入者", "ご担当者名", "連絡先", "所属・氏名", "情報交換会に参加して、いかがでしたか",
           "どこで知りましたか", "希望する開催頻度"]


def table() -> Table:
    rows = [[f"2026/02/0{i + 1} 10:00:00", NAMES[i], HANDLES[i] + "様", PHONES[i], f"りんく {NAMES[i]}",
             USEFUL[i], HEARD[i], OTHER[i]] for i in range(8)]
    return Table(headers=list(HEADERS), rows=rows)


def identifying() -> list[str]:
    """Every name, phone number and rare answer, as typed and as stored (clean() drops the space)."""
    parts = NAMES + [n.replace(" ", "") for n in NAMES] + [h + "様" for h in HANDLES] + PHONES
    return parts + ["石川", "岩見沢市の広報", "山田さんと相談"]


@pytest.fixture
def survey() -> Survey:
    t = table()
    return Survey.from_table(t, title="第3回アンケート")


def test_identity_columns_are_recognised_by_header_and_by_answers(survey):
    kinds = {q.key: (q.kind, q.identity) for q in survey.questions}
    assert kinds["記入者"] == (IDENTITY, NAME)
    assert kinds["ご担当者名"] == (IDENTITY, NAME)
    assert kinds["連絡先"] == (IDENTITY, CONTACT)
    assert kinds["所属・氏名"] == (IDENTITY, NAME)
    # Without a telling header, answers that look like names or phone numbers (all different) too.
    qs = detect(["Q1", "Q2", "Q3"], [[clean(NAMES[i]), PHONES[i], USEFUL[i]] for i in range(8)])
    assert [(q.kind, q.identity) for q in qs] == [(IDENTITY, NAME), (IDENTITY, CONTACT), ("scale", "")]
    # Ordinary short answers that repeat stay choices; a question about 担当者 is not a name column.
    qs = detect(["担当者として困っていること", "地域"], [["人手不足", "札幌市"], ["人手不足", "旭川市"], ["予算", "札幌市"]])
    assert [q.kind for q in qs] == [SINGLE, SINGLE]
    qs = detect(["どちらから"], [["札幌市"], ["旭川市"], ["函館市"], ["北斗市"], ["社会福祉協議会"]])
    assert qs[0].kind != IDENTITY  # all different, but places and agencies are not names


K = 3


def _committee_texts(survey) -> str:
    summary = disclosure.committee_summary(survey, None, K)
    xlsx = report.workbook(summary, "第3回アンケート")
    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    html = report.html_report(summary, "第3回アンケート")
    frames = [report.question_table(q).to_string() for q in summary.questions]
    figs = [charts.figure(q).to_json() for q in summary.questions if charts.figure(q) is not None]
    return "\n".join([*cells, html, *frames, *figs, repr(summary.as_json())])


def test_the_committee_sees_no_respondent_in_results_or_exports(survey):
    text = _committee_texts(survey)
    leaked = [x for x in identifying() if x in text]
    assert not leaked, f"shown to the committee: {leaked}"
    summary = disclosure.committee_summary(survey, None, K)
    assert not [q for q in summary.questions if q.kind == IDENTITY]
    heard = summary.question("どこで知りましたか")
    shown = report.question_table(heard).set_index("選択肢")["件数"].to_dict()
    # The two answers given once (1 + 1 < 3) are hidden, and ホームページ (3) too: 8 − 3 − 3 would be 2.
    assert shown == {"事務局からの案内": 3, FEW_ANSWERS: SMALL_LABEL}
    useful = report.question_table(summary.question("情報交換会に参加して、いかがでしたか"))
    assert useful.set_index("選択肢")["件数"].to_dict() == {
        "とても役に立った": 4, "役に立った": SMALL_LABEL, "あまり役に立たなかった": SMALL_LABEL, "役に立たなかった": 0}
    assert useful.set_index("選択肢")["割合（%）"]["役に立った"] == "—"  # 2 of 8 would give the count away
    # With the default k = 5 a group of 4 is hidden as well.
    useful5 = report.question_table(disclosure.committee_summary(survey, None, 5).question("情報交換会に参加して、いかがでしたか"))
    assert useful5.set_index("選択肢")["件数"]["とても役に立った"] == SMALL_LABEL
    assert summary.question("希望する開催頻度").other_texts == []
    assert SMALL_LABEL in report.html_report(summary, "x") and "nan" not in report.html_report(summary, "x")


def test_the_committee_crosstab_shows_only_groups_of_k(survey):
    import pandas as pd

    groups = ["札幌"] * 5 + ["岩見沢市生活サポートセンター"] + ["旭川"] * 2
    full = crosstab(survey, "情報交換会に参加して、いかがでしたか", groups)
    assert "岩見沢市生活サポートセンター" in set(full.group)  # the secretariat's view
    attrs = pd.DataFrame({a: groups for a in ("room", "sector", "region", "first_time", "category")})
    shown = disclosure.crosstab(survey, attrs, K, "情報交換会に参加して、いかがでしたか", "region")
    assert set(shown.group) == {"札幌"}  # 5 of 8, and 3 outside it; groups of 1 and 2 are not shown
    assert not ((shown["count"] > 0) & (shown["count"] < K)).any()
    assert charts.crosstab_figure(shown, ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった"],
                                  True).to_json()


def test_the_secretariat_still_sees_the_respondents(survey):
    summary = comments.trim(summarize(survey), ADMIN)
    assert [q.key for q in summary.questions if q.kind == IDENTITY] == ["タイムスタンプ", "記入者", "ご担当者名", "連絡先", "所属・氏名"]
    assert survey.identity(NAME)[:2] == ["山田太郎", "佐藤花子"]
    heard = report.question_table(summary.question("どこで知りましたか")).set_index("選択肢")["件数"].to_dict()
    assert heard["りんくの石川さんから"] == 1
    assert summary.question("希望する開催頻度").other_texts == ["山田さんと相談して決めたい"]


def test_a_date_question_reads_japanese_dates():
    import pandas as pd

    fig = charts.date_bars(pd.DataFrame({"option": ["2026-02-01", "2026-02-08"], "count": [3, 4]}))
    assert fig.layout.xaxis.tickformat == "%Y年%-m月%-d日"  # not plotly's "Feb 1, 2026"
