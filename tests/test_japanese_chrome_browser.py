"""Streamlit's own controls speak Japanese (issue 22): the table toolbar's tooltips and names, an
empty date field's hint, the number field's buttons. Checked in Chromium as a person hovers them."""

from __future__ import annotations

import pytest

from tests.browser_checks import english_on_screen, settle_and_check
from ui.japanese_chrome import WORDS

WAIT = 45_000


@pytest.mark.timeout(240)
def test_table_toolbar_and_date_field_are_japanese(app_server, desk):
    page = desk
    page.goto(f"{app_server['base']}/settings", wait_until="domcontentloaded")
    page.get_by_role("heading", name="設定").first.wait_for(timeout=WAIT)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("ホーム", exact=True).wait_for(timeout=WAIT)
    settle_and_check(page, "設定を開く")
    assert not english_on_screen(page)  # the empty 開催日 shows 年 / 月 / 日, not yyyy / mm / dd
    assert page.locator('[data-testid="stDateInputFieldsScroller"]').first.inner_text().split() != []
    assert "yyyy" not in page.locator('[data-testid="stDateInputFieldsScroller"]').first.inner_text()
    for name in ("1つ増やす", "1つ減らす"):
        assert page.get_by_role("button", name=name).count() >= 1

    page.goto(f"{app_server['base']}/history", wait_until="domcontentloaded")
    page.get_by_role("heading", name="参加履歴").first.wait_for(timeout=WAIT)
    settle_and_check(page, "参加履歴を開く")
    table = page.locator('[data-testid="stDataFrame"]').first
    table.hover()
    buttons = table.locator('[data-testid="stBaseButton-elementToolbar"]')
    buttons.first.wait_for(timeout=WAIT)
    names = [buttons.nth(i).get_attribute("aria-label") for i in range(buttons.count())]
    assert names and set(names) <= set(WORDS.values()), names
    tips = []
    for i in range(buttons.count()):  # as a person does: over the table, then onto each button
        page.mouse.move(0, 0)
        table.hover()
        page.wait_for_timeout(500)
        buttons.nth(i).hover()
        tip = page.locator('[role="tooltip"]').filter(has_text=names[i])
        tip.wait_for(timeout=5_000)
        tips.append(tip.inner_text().strip())
    assert tips == names, tips
