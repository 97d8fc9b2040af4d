"""A real browser opens every page of the running app: no error box, screenshots saved."""

import pytest

from ui.shell import PAGES


@pytest.mark.timeout(300)
def test_every_page_opens_without_error(app_server, browser, output_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = context.new_page()
    problems = []
    for _name, (_, title, url_path, *_rest) in PAGES.items():
        page.goto(f"{app_server['base']}/{url_path}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=title).first.wait_for(timeout=45_000)
        page.wait_for_timeout(1500)  # let the rest of the script finish
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=45_000)
        page.screenshot(path=str(output_dir / f"page-{url_path}.png"), full_page=True)
        if page.locator('[data-testid="stException"]').count():
            problems.append(f"{title}: 例外が表示されました")
        if page.locator('[data-testid="stAlertContentError"]').count():
            problems.append(f"{title}: エラーが表示されました")
    context.close()
    assert problems == [], problems
