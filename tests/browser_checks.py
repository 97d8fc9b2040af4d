"""What every browser journey checks after each step: the page settled, and nothing English broke.

Streamlit shows an uncaught exception as an English box ("This app has encountered an error",
[data-testid=stException]) and an address it does not know as an English "Page not found" dialog.
Neither may ever reach a user: `settle_and_check` fails the journey at the step that showed one.
`english_on_screen` lists the Latin-letter words a person can see (Streamlit's own English labels
show up there), for journeys that assert a page is Japanese throughout.
"""

from __future__ import annotations

import re

ENGLISH_PROBLEMS = ("This app has encountered an error", "Page not found")


def settle(page, timeout: int = 45_000) -> None:
    """Wait until the app has finished its run (the "running" indicator is gone)."""
    page.wait_for_timeout(700)  # a click's rerun may take a moment to start
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout)
    # ...and nothing of the run before is still on the screen (Streamlit marks such elements stale)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)
    # ...and Streamlit's own words are in Japanese (ui/japanese_chrome.py, loaded with the page)
    page.wait_for_function("() => document.documentElement.dataset.jaChrome === 'ready'", timeout=timeout)


def check_clean(page, step: str) -> None:
    """Fail with the step's name when an exception box or the "Page not found" dialog is shown."""
    assert page.locator('[data-testid="stException"]').count() == 0, f"{step}: 例外の表示（stException）"
    body = page.locator("body").inner_text()
    for text in ENGLISH_PROBLEMS:
        assert text not in body, f"{step}: 英語のエラー「{text}」が表示されました"


def settle_and_check(page, step: str) -> None:
    settle(page)
    check_clean(page, step)


# Words a Japanese page may show in Latin letters: products, file kinds and the Zoom CSV's header.
LATIN_OK = {"Zoom", "CSV", "Excel", "Google", "URL", "HTML", "XLSX", "TSV", "TXT", "UTF", "Shift", "JIS", "NPO",
            "QR", "README", "csv", "xlsx", "html", "Pre", "assign", "Room", "Name", "Email", "Address",
            "Microsoft", "Forms", "Peatix", "connpass"}  # the tools partners export from, by their names
VISIBLE_TEXT = """() => {
  const out = [];
  // the page, and the open shadow roots components v2 elements draw in (the roster's people)
  const roots = [document.body, ...[...document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')]
    .map((host) => host.shadowRoot).filter(Boolean)];
  for (const root of roots) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent.trim()) continue;
      if (el.closest('[data-testid="stIconMaterial"], [data-testid$="DynamicIcon"], [translate="no"], [data-testid="stCode"], script, style')) continue;
      if (!el.checkVisibility({opacityProperty: true, visibilityProperty: true})) continue;
      const r = el.getBoundingClientRect();
      if (r.width <= 2 || r.height <= 2) continue;  // visually hidden (skip links, live regions)
      out.push(n.textContent);
    }
  }
  return out.join("\\n");
}"""


def english_on_screen(page, data_words: set[str] = frozenset()) -> list[str]:
    """Latin-letter words a person can see on the page, other than LATIN_OK, e-mails, links, file
    names and `data_words` (words of the data shown, such as an organisation called 「CoCo-BuLa」)."""
    text = page.evaluate(VISIBLE_TEXT)
    text = re.sub(r"\S+[@＠]\S+|https?://\S+|\S+\.(?:csv|xlsx|txt|tsv|html|zip)\b", " ", text)
    return sorted({w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in LATIN_OK | data_words})
