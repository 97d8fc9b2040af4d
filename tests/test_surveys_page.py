"""The アンケート page in AppTest: results with n and charts (figure JSON), roles, comments, exports."""

import datetime as dt
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from facilitation.files.tabular import read_table
from facilitation.meetings import schedule
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.surveys import store

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "surveys"


@pytest.fixture
def survey_db(monkeypatch, sqlite_url):
    with db.session(sqlite_url) as s:
        m = schedule.add_meeting(s, schedule.MeetingInput(title="第3回 情報交換会", starts_at=dt.datetime(2021, 12, 17, 14)))
        table = read_table((DATA / "evaluation_utf8.csv").read_bytes(), "evaluation_utf8.csv")
        store.import_table(s, SECRETARIAT_LOCAL, table, title="第3回 事後アンケート", meeting_id=m.id)
    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    return sqlite_url


def run(viewer=None, tab: str | None = None) -> AppTest:
    """The page as `viewer`, with `tab` open (only the open tab is drawn; 結果 first)."""
    at = AppTest.from_file(str(ROOT / "pages/surveys.py"), default_timeout=60)
    if viewer is not None:
        at.session_state["viewer"] = viewer
    if tab is not None:
        at.session_state["surveys_tab"] = tab
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")]


def all_text(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "subheader", "title", "info", "success", "error")
             for e in getattr(at, kind)]
    parts += [df.value.to_string() for df in at.dataframe]
    return "\n".join(str(p) for p in parts)


def test_results_show_n_and_a_chart_per_question(survey_db):
    at = run()
    assert "アンケート" in [t.value for t in at.title]
    subheaders = [h.value for h in at.subheader]
    assert subheaders[4] == "Q5. 情報交換会に参加して、いかがでしたか"
    captions = [c.value for c in at.caption]
    assert any("回答 n=11（割合の母数 10：参加できなかった 1件を除く）" in c for c in captions)
    assert any("回答 n=10（割合は回答者 9名に対する％" in c for c in captions)
    figs = figures(at)
    # scale, single, multi, 10-point, two grids, number, date, free-text words (+ nothing for identity).
    assert len(figs) >= 9
    scale = figs[0]["data"]
    assert {t["name"] for t in scale} == {"とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった"}
    assert [t for t in scale if t["name"] == "役に立った"][0]["x"] == [50.0]
    bars = figs[1]["data"][0]
    assert bars["orientation"] == "h" and bars["y"][0] == "年1-2回" and bars["x"][0] == 4
    assert any(d["type"] == "histogram" for f in figs for d in f["data"])
    # Identity columns are listed, never charted or tabulated.
    assert any("申込との照合に使う列" in c for c in captions)


def test_committee_sees_counts_but_no_names_or_comments(survey_db):
    at = run(Viewer(role=COMMITTEE, email="iin@example.jp"))
    labels = [t.label for t in at.tabs]
    assert "自由記述" not in labels and "取り込み" not in labels and "結果" in labels
    text = all_text(at)
    for private in ("加藤", "kato@example.jp", "年度初めに1回", "オンラインでの交流会", "財源確保が課題"):
        assert private not in text
    assert "Q1. 情報交換会に参加して、いかがでしたか" in [h.value for h in at.subheader]  # identity questions left out
    assert len(figures(at)) >= 5  # 12 answers and k = 5: questions with every count hidden draw little
    assert any("「非表示」" in c.value for c in at.caption)


def test_committee_filters_offer_only_groups_of_k_and_refuse_a_combination(survey_db):
    """Rare answers are no filter options; two groups together show only why they are not shown."""
    at = run(Viewer(role=COMMITTEE, email="iin@example.jp"))
    questions = at.selectbox(key="res_q").options
    assert "希望する開催頻度" not in questions  # 4, 3, 2, 2 and 1 answers: no group of 5 with 5 outside it
    at.selectbox(key="res_q").set_value("開催内容についての希望（複数選択可）").run()
    options = at.multiselect(key="res_opts").options
    assert options == ["テーマ別のディスカッション", "事例検討、ケース検討"]  # not 「オンラインでの交流会」 (1)
    at.multiselect(key="res_opts").set_value(["テーマ別のディスカッション"]).run()
    assert not at.exception
    assert "Q1. 情報交換会に参加して、いかがでしたか" in [h.value for h in at.subheader]  # 6 of 12: shown
    at.multiselect(key="res_opts").set_value(["テーマ別のディスカッション", "事例検討、ケース検討"]).run()
    assert not at.exception
    assert any("この絞り込みは、委員会の画面では表示しません" in i.value for i in at.info)
    assert not [h for h in at.subheader if h.value.startswith("Q")]  # no table, no count
    assert not [c for c in at.caption if "絞り込み後の回答者" in c.value]


def test_committee_sees_only_the_fact_when_the_survey_is_smaller_than_k(survey_db):
    from facilitation.surveys import disclosure

    with db.session(survey_db) as s:
        disclosure.set_threshold(s, SECRETARIAT_LOCAL, 13)
    at = run(Viewer(role=COMMITTEE, email="iin@example.jp"))
    assert any("回答者は13名未満のため、委員会の画面では結果を表示しません" in i.value for i in at.info), \
        [i.value for i in at.info]
    assert not [h for h in at.subheader if h.value.startswith("Q")] and not at.dataframe
    secretariat = run()  # the secretariat still sees everything
    assert [h for h in secretariat.subheader if h.value.startswith("Q")]


def test_keyword_search_in_comments(survey_db):
    at = run(tab="自由記述")
    box = next(t for t in at.text_input if t.label.startswith("キーワード"))
    box.set_value("連携").run()
    assert not at.exception
    kwic = next(df.value for df in at.dataframe if "キーワード" in df.value.columns)
    assert kwic.values.tolist() == [[9, "社協との", "連携", "や関係機関との連携、地域づくりについて情"],  # 20 characters
                                    [9, "社協との連携や関係機関との", "連携", "、地域づくりについて情報交換できました。"]]
    comments = next(df.value for df in at.dataframe if "コメント" in df.value.columns)
    assert comments["回答No."].tolist() == [9]


def test_filter_by_answer_changes_the_counts(survey_db):
    at = run()
    at.selectbox(key="res_q").set_value("希望する開催頻度").run()
    at.multiselect(key="res_opts").set_value(["年1-2回"]).run()
    assert not at.exception
    assert any("絞り込み後の回答者: 4名 / 12名" in c.value for c in at.caption)
    assert figures(at)[0]["data"][-1]["x"] == [100.0]  # all four said とても役に立った


def test_exports_are_offered(survey_db):
    at = run(tab="出力")
    labels = [b.label for b in at.get("download_button")] if at.get("download_button") else []
    assert any("Excel" in str(b.proto.label) for b in at.get("download_button"))
    assert len(labels) == 2


def test_the_results_filters_are_kept_while_another_tab_is_open_and_the_export_follows_them(survey_db):
    """Only the open tab is drawn; the 結果 tab's filters still wait for the person who comes back,
    and 出力 exports the filtered results meanwhile."""
    at = run()
    at.selectbox(key="res_q").set_value("希望する開催頻度").run()
    at.multiselect(key="res_opts").set_value(["年1-2回"]).run()
    at.session_state["surveys_tab"] = "出力"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("「結果」タブの絞り込みを反映" in c.value for c in at.caption)
    assert not [w for w in at.warning if "Session State" in w.value]  # no double value
    at.session_state["surveys_tab"] = "クロス集計"
    at.run()
    at.session_state["surveys_tab"] = "結果"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not [w for w in at.warning if "Session State" in w.value]
    assert at.selectbox(key="res_q").value == "希望する開催頻度"
    assert at.multiselect(key="res_opts").value == ["年1-2回"]
    assert any("絞り込み後の回答者: 4名 / 12名" in c.value for c in at.caption)
    assert figures(at)[0]["data"][-1]["x"] == [100.0]


def _upload_and_import(at: AppTest, name: str, data: bytes, title: str = "") -> AppTest:
    if title:
        at.text_input(key="sv_title").set_value(title)
    at.file_uploader(key="sv_file").set_value((name, data, "text/csv"))
    at.run()
    at.button(key="sv_go_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_importing_when_a_survey_exists_shows_it_and_the_same_file_is_not_doubled(survey_db):
    at = run(tab="取り込み")
    data = (DATA / "evaluation_utf8.csv").read_bytes()
    other = data.decode("utf-8").splitlines()
    other = ("\n".join(other[:-1]) + "\n").encode("utf-8")  # one response fewer: another survey
    _upload_and_import(at, "other.csv", other, title="第3回追加アンケート")
    assert any("11件の回答を取り込みました" in s.value for s in at.success), [s.value for s in at.success]
    with db.session(survey_db) as s:
        surveys = store.list_surveys(s)
    assert len(surveys) == 2
    new_id = max(i.id for i in surveys)
    assert at.selectbox(key="survey_id").value == new_id  # the page shows the survey just imported
    # Pressing 取り込む again with the same file: recognised, nothing doubled, said in Japanese.
    at.button(key="sv_go_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("すでに取り込まれています" in i.value and "第3回追加アンケート" in i.value for i in at.info), [
        e.value for e in (*at.info, *at.success, *at.error)]
    with db.session(survey_db) as s:
        assert len(store.list_surveys(s)) == 2
        assert len(store.response_ids(s, new_id)) == 11
    # The file of the survey stored first, uploaded again: that survey, still one of it.
    _upload_and_import(at, "evaluation_utf8.csv", data)
    assert any("「第3回 事後アンケート」としてすでに取り込まれています" in i.value for i in at.info)
    with db.session(survey_db) as s:
        surveys = store.list_surveys(s)
    assert len(surveys) == 2
    assert at.selectbox(key="survey_id").value == min(i.id for i in surveys)


def test_comment_word_pairs_are_labelled_without_jargon(survey_db):
    at = run(tab="自由記述")
    pairs = next(df.value for df in at.dataframe if "語1" in df.value.columns)
    assert "結びつきの強さ（0〜1）" in pairs.columns
    assert "Jaccard" not in all_text(at) and not any("Jaccard" in c for df in at.dataframe for c in df.value.columns)


def test_survey_upload_of_a_workbook_picks_the_form_tab_and_can_read_another(survey_db):
    """Issue 14 item 8: a summary sheet before the 「フォームの回答 1」 tab; the form tab is read, the
    page says so, and the other sheet can be chosen."""
    import csv
    import io

    import openpyxl

    rows = list(csv.reader(io.StringIO((DATA / "evaluation_utf8.csv").read_bytes().decode("utf-8-sig"))))
    book = openpyxl.Workbook()
    book.active.title = "集計"
    book.active.append(["項目", "件数"])
    book.active.append(["回答数", len(rows) - 1])
    form = book.create_sheet("フォームの回答 1")
    for r in rows[:6]:
        form.append(r)
    buf = io.BytesIO()
    book.save(buf)
    at = run(tab="取り込み")
    at.text_input(key="sv_title").set_value("ブックのアンケート")
    at.file_uploader(key="sv_file").set_value(("回答.xlsx", buf.getvalue(), "application/vnd.ms-excel")).run()
    assert not at.exception, [e.value for e in at.exception]
    picker = at.selectbox(key="sv_sheet")
    assert picker.options == ["集計", "フォームの回答 1"] and picker.value == "フォームの回答 1"
    at.button(key="sv_go_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("5件の回答を取り込みました" in s.value for s in at.success), [s.value for s in at.success]
    assert any("シート「フォームの回答 1」を読みました" in i.value for i in at.info), [i.value for i in at.info]
    at.selectbox(key="sv_sheet").set_value("集計").run()
    at.button(key="sv_go_file").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("シート「集計」を読みました" in i.value for i in at.info), [i.value for i in at.info]


def test_the_secretariat_sets_k_in_settings(survey_db):
    from facilitation.surveys import disclosure

    at = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="settings_survey_k").value == 5
    at.number_input(key="settings_survey_k").set_value(7).run()
    at.button(key="settings_survey_k_save").click().run()
    assert any("最小人数を7名にしました" in s.value for s in at.success)  # flashed, shown after the rerun
    assert at.number_input(key="settings_survey_k").value == 7
    with db.session(survey_db) as s:
        assert disclosure.threshold(s) == 7
