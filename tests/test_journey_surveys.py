"""The secretariat imports a survey in a real browser while another survey already exists (issue 13).

Its own app server on a private copy of the demo with one survey stored beforehand. アンケート →
取り込み → choose a Google Forms-shaped CSV (tests/data/surveys/journey_form.csv) → 取り込む: no
English error box, the new survey is the one shown, one survey more in the database. The same file
again (the button pressed again, then the file chosen again): the page says it is already imported
and nothing is added. Switching tabs and back keeps the survey and the tab. Every step ends with
tests.browser_checks.settle_and_check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from facilitation.files.tabular import read_table
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.surveys import store as survey_store
from facilitation.surveys.models import SurveyResponse, SurveySheet
from tests.browser_checks import settle_and_check
from tests.conftest import DESKTOP, served_demo

DATA = Path(__file__).parent / "data" / "surveys"
FORM = DATA / "journey_form.csv"
EARLIER = DATA / "evaluation_utf8.csv"
TITLE = "第5回 情報交換会 事後アンケート"


def _earlier_survey(url: str) -> dict:
    """The survey that already exists when the journey starts."""
    with db.session(url) as s:
        survey_store.import_table(s, SECRETARIAT_LOCAL, read_table(EARLIER.read_bytes(), EARLIER.name),
                                  title="前回の事後アンケート", meeting_id=None)
    return {}


@pytest.fixture(scope="module")
def surveys_app(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("surveys_app"), prepare=_earlier_survey) as app:
        yield app


def counts(url: str) -> tuple[int, int]:
    """(surveys, responses) in the database."""
    with db.session(url) as s:
        return (s.scalar(select(func.count()).select_from(SurveySheet)),
                s.scalar(select(func.count()).select_from(SurveyResponse)))


def shown_survey(page) -> str:
    return page.get_by_role("combobox", name="アンケート").first.input_value()


def selected_tab(page) -> list[str]:
    return page.get_by_role("tab", selected=True).all_inner_texts()


@pytest.mark.timeout(400)
def test_import_a_survey_when_one_exists_and_again(surveys_app, browser, output_dir):
    base, url = surveys_app["base"], surveys_app["url"]
    surveys_before, responses_before = counts(url)
    assert surveys_before == 1
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{base}/surveys", wait_until="domcontentloaded")
    page.get_by_role("heading", name="アンケート").first.wait_for(timeout=60_000)
    settle_and_check(page, "アンケート")
    assert shown_survey(page).startswith("前回の事後アンケート")

    page.get_by_role("tab", name="取り込み", exact=True).click()
    settle_and_check(page, "取り込みタブ")
    page.get_by_label("アンケート名").fill(TITLE)
    page.keyboard.press("Tab")
    settle_and_check(page, "アンケート名")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(FORM))
    settle_and_check(page, "ファイルを選ぶ")
    page.get_by_role("button", name="取り込む", exact=True).click()
    page.get_by_text("5件の回答を取り込みました").wait_for(timeout=60_000)
    settle_and_check(page, "取り込む（1回目）")
    assert counts(url) == (surveys_before + 1, responses_before + 5)
    page.screenshot(path=str(output_dir / "survey_imported.png"), full_page=True)
    assert shown_survey(page).startswith(TITLE), shown_survey(page)
    assert selected_tab(page) == ["取り込み"]

    # The same file again: first the button once more (the file is still chosen), then chosen anew.
    for attempt in ("もう一度押す", "選び直して押す"):
        if attempt == "選び直して押す":
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(FORM))
            settle_and_check(page, "同じファイルを選び直す")
        page.get_by_role("button", name="取り込む", exact=True).click()
        page.get_by_text("すでに取り込まれています").wait_for(timeout=60_000)
        settle_and_check(page, f"同じファイル（{attempt}）")
        assert counts(url) == (surveys_before + 1, responses_before + 5), attempt
        assert shown_survey(page).startswith(TITLE), attempt
        assert selected_tab(page) == ["取り込み"], attempt

    # Away to the results and back: the same survey, its results, then the import tab again.
    page.get_by_role("tab", name="結果", exact=True).click()
    settle_and_check(page, "結果タブ")
    assert shown_survey(page).startswith(TITLE)
    assert page.get_by_text("本日の情報交換会はいかがでしたか（5段階）").count() >= 1
    page.get_by_role("tab", name="取り込み", exact=True).click()
    settle_and_check(page, "取り込みタブに戻る")
    assert shown_survey(page).startswith(TITLE)
    assert selected_tab(page) == ["取り込み"]
    with db.session(url) as s:
        titles = sorted(s.scalars(select(SurveySheet.title)))
    assert titles == sorted(["前回の事後アンケート", TITLE])

    # The trial import is deleted again: only after the confirmation, and nothing else goes with it.
    page.get_by_text("このアンケートを削除する").click()
    settle_and_check(page, "削除を開く")
    delete = page.get_by_role("button", name="削除する", exact=True)
    assert delete.is_disabled()
    page.get_by_text("削除してよいことを確認しました").click()
    settle_and_check(page, "削除の確認")
    delete.click()
    page.get_by_text(f"「{TITLE}」を削除しました。").wait_for(timeout=60_000)
    settle_and_check(page, "削除する")
    assert counts(url) == (surveys_before, responses_before)
    assert shown_survey(page).startswith("前回の事後アンケート")
    assert selected_tab(page) == ["取り込み"]
    context.close()
