"""What every browser journey checks after each step: the page settled, and nothing English broke.

Streamlit shows an uncaught exception as an English box ("This app has encountered an error",
[data-testid=stException]) and an address it does not know as an English "Page not found" dialog.
Neither may ever reach a user: `settle_and_check` fails the journey at the step that showed one.
"""

from __future__ import annotations

ENGLISH_PROBLEMS = ("This app has encountered an error", "Page not found")


def settle(page, timeout: int = 45_000) -> None:
    """Wait until the app has finished its run (the "running" indicator is gone)."""
    page.wait_for_timeout(700)  # a click's rerun may take a moment to start
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)


def check_clean(page, step: str) -> None:
    """Fail with the step's name when an exception box or the "Page not found" dialog is shown."""
    assert page.locator('[data-testid="stException"]').count() == 0, f"{step}: 例外の表示（stException）"
    body = page.locator("body").inner_text()
    for text in ENGLISH_PROBLEMS:
        assert text not in body, f"{step}: 英語のエラー「{text}」が表示されました"


def settle_and_check(page, step: str) -> None:
    settle(page)
    check_clean(page, step)
