"""The committee's journey in a real browser, through the secretariat's 「委員会の表示で確認」.

Its own app server on the full demo (with a survey and an open-chat history). The secretariat
switches the preview on, then visits every committee page (home, history with every tab,
surveys with every tab, openchat with every tab) through the sidebar, in one browser session.
After every step: no English error box or "Page not found" (tests.browser_checks), and nothing
personal in the page text: no registrant's name or e-mail from the database, no free-text survey
answer, no open-chat message text.

The text checked is the page's text (body.innerText). st.dataframe draws its cells on a canvas,
so table cells are checked in AppTest instead (tests/test_role_matrix.py, the same data kinds).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from facilitation.demo import dataset
from facilitation.openchat.models import ChatMessage
from facilitation.storage import db
from facilitation.storage.models import Person
from facilitation.surveys import store as survey_store
from facilitation.surveys.models import SurveySheet
from facilitation.surveys.questions import CHOICE_KINDS, TEXT
from tests import streamlit_process
from tests.browser_checks import settle_and_check
from ui.auth import PREVIEW_BANNER

DESKTOP = {"width": 1280, "height": 900}
COMMITTEE_PAGES = {"ホーム": (), "参加履歴": None, "アンケート": None, "オープンチャット": None, "横断検索": None}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


@pytest.fixture(scope="module")
def committee_app(tmp_path_factory):
    home = tmp_path_factory.mktemp("committee_app")
    url = f"sqlite:///{home / 'app.sqlite3'}"
    with db.session(url, actor="demo") as s:
        dataset.generate(s)  # the full demo: with its survey and open-chat history
    with db.session(url) as s:
        names = {n for n in s.scalars(select(Person.name)) if len(n.replace(" ", "")) >= 2}
        emails = {e for e in s.scalars(select(Person.email)) if e}
        chat = {t for t in s.scalars(select(ChatMessage.text)) if t and len(t) >= 12}
        answers: set[str] = set()
        for sid in s.scalars(select(SurveySheet.id)):
            survey = survey_store.load(s, sid)
            for q in survey.questions:
                if q.kind == TEXT:
                    answers.update(v for v in survey.column(q.columns[0]) if len(v) >= 10)
                elif q.kind in CHOICE_KINDS:
                    answers.update(t for t in survey.other_texts(q) if len(t) >= 6)
    assert names and emails and chat and answers, "the demo must hold what could leak"
    app = streamlit_process.start(url, home / "streamlit.log")
    yield {"base": app.base, "names": names, "emails": emails, "chat": chat, "answers": answers}
    streamlit_process.stop(app)


def check_private(page, world, step: str) -> None:
    text = page.locator("body").inner_text()
    assert not [n for n in world["names"] if n in text], f"{step}: 氏名が表示されました"
    assert not set(EMAIL.findall(text)) & world["emails"], f"{step}: メールアドレスが表示されました"
    assert not [a for a in world["answers"] if a in text], f"{step}: 自由記述の回答が表示されました"
    assert not [t for t in world["chat"] if t in text], f"{step}: トークの本文が表示されました"


CHART_TEXTS = "() => [...document.querySelectorAll('.js-plotly-plot text')].map(t => t.textContent)"


def chart_texts(page, name: str) -> list[str]:
    """The texts the page's plotly charts draw (titles, legends, axes): Japanese, never a column name."""
    charts = page.locator('[data-testid="stPlotlyChart"]').count()
    if charts:
        page.wait_for_function(
            f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=30_000)
    texts = page.evaluate(CHART_TEXTS)
    words = sorted({w for t in texts for w in re.findall(r"[A-Za-z]{3,}", t)})
    assert not words, f"{name}: グラフに英語 {words}"
    return texts


def step(page, world, name: str) -> None:
    settle_and_check(page, name)
    check_private(page, world, name)
    assert page.get_by_text(PREVIEW_BANNER).count() == 1, f"{name}: 委員会の表示の案内がありません"


@pytest.mark.timeout(600)
def test_committee_journey_through_the_preview(committee_app, browser, output_dir):
    world = committee_app
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    page.goto(world["base"] + "/", wait_until="domcontentloaded")
    page.get_by_role("heading", name="ホーム").first.wait_for(timeout=60_000)
    settle_and_check(page, "ホーム（事務局）")
    nav = page.locator('[data-testid="stSidebarNav"]')
    assert nav.get_by_text("申込管理").count() == 1  # the secretariat's own list first

    page.locator('[data-testid="stSidebar"]').get_by_text("委員会の表示で確認").click()
    page.get_by_text(PREVIEW_BANNER).wait_for(timeout=45_000)
    step(page, world, "委員会の表示に切り替え")
    links = nav.locator("a").all_inner_texts()
    assert [x.split("\n")[-1].strip() for x in links] == list(COMMITTEE_PAGES), links  # the committee's page list
    assert page.get_by_role("button", name="事務局の表示に戻る").count() == 1

    visited, history_charts = [], []
    for title in COMMITTEE_PAGES:
        nav.get_by_text(title, exact=True).click()
        page.get_by_role("heading", name=title).first.wait_for(timeout=60_000)
        step(page, world, title)
        tabs = page.get_by_role("tab").all_inner_texts()
        for tab in tabs:
            page.get_by_role("tab", name=tab, exact=True).click()
            step(page, world, f"{title}・{tab}")
            visited.append(f"{title}・{tab}")
            if title == "参加履歴":
                history_charts += chart_texts(page, f"{title}・{tab}")
    assert any(v.startswith("参加履歴・") for v in visited) and any(v.startswith("アンケート・") for v in visited)
    assert any(v.startswith("オープンチャット・") for v in visited)
    # The history's charts were drawn and checked: titles and legends under the tables' Japanese headers.
    assert {"会ごとの参加者数と機関数", "延べ参加者数", "実機関数", "初参加", "離脱（新たに）"} <= set(history_charts)
    page.screenshot(path=str(output_dir / "committee_preview.png"), full_page=True)

    # The way back: the secretariat's pages again, and names are shown again (the check can fail).
    page.get_by_role("button", name="事務局の表示に戻る").click()
    nav.get_by_text("申込管理").wait_for(timeout=45_000)
    settle_and_check(page, "事務局の表示に戻る")
    assert page.get_by_text(PREVIEW_BANNER).count() == 0
    nav.get_by_text("ルーム名簿", exact=True).click()
    page.get_by_role("heading", name="ルーム名簿").first.wait_for(timeout=60_000)
    settle_and_check(page, "ルーム名簿（事務局）")
    page.wait_for_timeout(1500)
    with pytest.raises(AssertionError, match="氏名"):
        check_private(page, world, "ルーム名簿（事務局）")
    context.close()
