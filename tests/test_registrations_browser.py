"""The registrant table in a real browser: Japanese headers over the domain's English columns.

The domain gives the page English column names (frames.REGISTRANT_LABELS maps them to the headers);
a person must still read every header in Japanese, in the same order, type into a cell, save, and
download an Excel list with the same Japanese headers. Runs its own app server on a private copy of
the demo; every step ends with tests.browser_checks.settle_and_check.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest

from facilitation.meetings import schedule
from facilitation.registrations import frames
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.storage.models import Registration
from tests.browser_checks import english_on_screen, settle_and_check
from tests.conftest import served_demo
from tests.test_journey_secretariat import edit_cell

WAIT = 60_000
# What the secretariat reads above the registrant table, left to right (the Excel list: without ID).
HEADERS = ["ID", "氏名", "ふりがな", "メールアドレス", "所属（入力）", "機関", "区分", "地域", "担当事業", "職種・立場",
           "経験年数", "参加方法", "第1希望", "第2希望", "第3希望", "ファシリ協力", "状態", "取込元", "備考"]
NEW_FURIGANA = "てすと ふりがな"


@pytest.fixture(scope="module")
def reg_app(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("registrations_browser")) as app:
        yield app


def check(page, step: str) -> None:
    settle_and_check(page, step)
    english = english_on_screen(page)
    assert not english, f"{step}: 英語の表示 {english}"


HEADERS_JS = """(grid) => {
  const out = {};
  for (const th of grid.querySelectorAll('th[role="columnheader"]')) out[th.getAttribute('aria-colindex')] = th.textContent.trim();
  return out;
}"""


def grid_headers(page, grid) -> list[str]:
    """Every header of a st.dataframe / st.data_editor grid, left to right, as its accessible table
    names them (the grid draws only the columns in view: scrolled across to see them all)."""
    scroller = grid.locator(".dvn-scroller").first
    count = int(grid.locator('table[role="grid"]').get_attribute("aria-colcount"))
    seen: dict[str, str] = dict(grid.evaluate(HEADERS_JS))
    left = 0
    while len(seen) < count and left < scroller.evaluate("(s) => s.scrollWidth"):
        shown = grid.evaluate(HEADERS_JS)
        left += 400
        scroller.evaluate(f"(s) => {{ s.scrollLeft = {left}; }}")
        for _ in range(30):  # the grid redraws its accessible table a moment after the scroll
            page.wait_for_timeout(100)
            now = grid.evaluate(HEADERS_JS)
            if now != shown:
                break
        seen.update(now)
    scroller.evaluate("(s) => { s.scrollLeft = 0; }")
    page.wait_for_timeout(500)
    assert len(seen) == count, seen
    return [seen[k] for k in sorted(seen, key=int)]


@pytest.mark.timeout(300)
def test_registrant_table_headers_edit_and_excel(reg_app, desk):
    page, url = desk, reg_app["url"]
    with db.session(url) as s:
        mid = schedule.upcoming_meeting(s).id
        first = frames.registrant_frame(s, SECRETARIAT_LOCAL, mid).iloc[0]
    page.goto(f"{reg_app['base']}/registrations?meeting={mid}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="申込管理").first.wait_for(timeout=WAIT)
    check(page, "申込管理を開く")
    grid = page.locator('[data-testid="stDataFrame"]').locator("visible=true").first
    grid.wait_for(timeout=WAIT)
    assert grid_headers(page, grid) == HEADERS

    edit_cell(page, grid, 0, HEADERS.index("ふりがな"), NEW_FURIGANA)
    check(page, "ふりがなを直す")
    page.get_by_role("button", name="変更を保存").click()
    check(page, "変更を保存")
    page.wait_for_timeout(2_000)  # the message stays: no later run of the page takes it away
    check(page, "保存のあと")
    assert page.get_by_text("1 件の変更を保存しました。").count() == 1
    with db.session(url) as s:
        person = s.get(Registration, int(first["id"])).person
        assert (person.furigana, person.name) == (NEW_FURIGANA, first["name"])
    assert grid_headers(page, grid) == HEADERS  # the table drawn again after the save

    with page.expect_download(timeout=WAIT) as info:
        page.get_by_role("button", name="この一覧を Excel で保存").click()
    check(page, "Excel で保存")
    book = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()))
    rows = list(book["申込者"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADERS[1:]  # the document keeps the Japanese headers, without ID
    assert NEW_FURIGANA in rows[1]


@pytest.mark.timeout(300)
def test_unsaved_edits_survive_a_visit_to_another_tab(reg_app, desk):
    """The page draws only the open tab; what a person typed into the table and had not saved yet is
    still there when they come back, and 「変更を保存」 stores it. If the list changed meanwhile
    (another secretary), the typed edits are not applied to other rows: the page says so."""
    page, url = desk, reg_app["url"]
    with db.session(url) as s:
        mid = schedule.upcoming_meeting(s).id
        rows = frames.registrant_frame(s, SECRETARIAT_LOCAL, mid)
    second, third = rows.iloc[1], rows.iloc[2]
    page.goto(f"{reg_app['base']}/registrations?meeting={mid}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="申込管理").first.wait_for(timeout=WAIT)
    check(page, "申込管理を開く")

    def visit_other_tab_and_back(step: str) -> None:
        page.get_by_role("tab", name="取り込み").click()
        check(page, f"{step}: 取り込みへ")
        page.get_by_role("tab", name="申込者一覧").click()
        check(page, f"{step}: 申込者一覧へ戻る")

    grid = page.locator('[data-testid="stDataFrame"]').locator("visible=true").first
    grid.wait_for(timeout=WAIT)
    edit_cell(page, grid, 1, HEADERS.index("ふりがな"), "きえない ふりがな")
    check(page, "ふりがなを直す（未保存）")
    visit_other_tab_and_back("未保存のまま")
    page.get_by_role("button", name="変更を保存").click()
    check(page, "戻って保存")
    page.get_by_text("1 件の変更を保存しました。").wait_for(timeout=WAIT)
    with db.session(url) as s:
        assert s.get(Registration, int(second["id"])).person.furigana == "きえない ふりがな"

    # Typed, then the list changes behind the person's back: told, and nothing lands on another row.
    grid = page.locator('[data-testid="stDataFrame"]').locator("visible=true").first
    edit_cell(page, grid, 2, HEADERS.index("ふりがな"), "おきざり ふりがな")
    check(page, "もう一度直す（未保存）")
    page.get_by_role("tab", name="取り込み").click()
    check(page, "取り込みへ")
    with db.session(url) as s:
        s.get(Registration, int(rows.iloc[0]["id"])).note = "ほかの事務局員が書いた備考"
    page.get_by_role("tab", name="申込者一覧").click()
    check(page, "一覧が変わったあとに戻る")
    page.get_by_text("その間に一覧が新しくなったため反映していません").wait_for(timeout=WAIT)
    page.get_by_role("button", name="変更を保存").click()
    check(page, "保存（変更なし）")
    page.get_by_text("変更はありません。").wait_for(timeout=WAIT)
    with db.session(url) as s:
        assert s.get(Registration, int(third["id"])).person.furigana == third["furigana"]
