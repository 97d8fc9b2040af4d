"""Streamlit's own English words in the page, said in Japanese.

Streamlit (1.67) has no setting for the language of its own controls: the table toolbar's tooltips
(Show/hide columns, Download as CSV, Search, Fullscreen), an empty date field's 「yyyy / mm / dd」,
the number field's and date field's screen-reader labels. One small element, drawn once per page
by the shell, watches the page and replaces exactly these texts (a fixed table: nothing else is
touched, and nothing the app's data says is changed) in tooltips, the toolbar, the date fields and
the accessible names of controls.
"""

from __future__ import annotations

import streamlit as st

WORDS = {
    "Show/hide columns": "列の表示・非表示",
    "Download as CSV": "CSVでダウンロード",
    "Search": "表の中を検索",
    "Fullscreen": "全画面で表示",
    "Close fullscreen": "全画面表示を閉じる",
    "Exit fullscreen": "全画面表示を閉じる",
    "Add row": "行を追加",
    "Delete row": "行を削除",
    "Delete rows": "行を削除",
    "Choose date": "カレンダーから選ぶ",
    "Increment": "1つ増やす",
    "Decrement": "1つ減らす",
    "Skip to main content": "本文へ移動",
    "yyyy": "年",
    "mm": "月",
    "dd": "日",
}
# Where a text (not an attribute) is replaced: Streamlit's tooltips, skip link and date fields only.
TEXT_PLACES = '[role="tooltip"], [data-testid="stSkipToContent"], [data-testid="stDateInputFieldsScroller"]'

_JS = """
export default function (component) {
  const { data } = component;
  if (window.__facilitationWords) return;  // one watcher per browser tab
  const words = window.__facilitationWords = data.words;
  const places = data.places;
  const ATTRS = ["aria-label", "title", "placeholder"];
  const fix = (root) => {
    const scope = root.nodeType === 1 ? root : root.parentElement;
    if (!scope) return;
    for (const el of [scope, ...scope.querySelectorAll("[aria-label], [title], [placeholder]")]) {
      for (const a of ATTRS) {
        const v = el.getAttribute && el.getAttribute(a);
        if (v && Object.prototype.hasOwnProperty.call(words, v.trim())) el.setAttribute(a, words[v.trim()]);
      }
    }
    const walk = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const t = n.textContent.trim();
      if (t && Object.prototype.hasOwnProperty.call(words, t) && n.parentElement && n.parentElement.closest(places)) {
        n.textContent = n.textContent.replace(t, words[t]);
      }
    }
  };
  fix(document.body);
  document.documentElement.setAttribute("data-ja-chrome", "ready");  // browser tests wait for this
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "attributes") fix(c.target);
      else if (c.type === "characterData") fix(c.target);
      else for (const node of c.addedNodes) fix(node);
    }
  }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true,
                              attributeFilter: ["aria-label", "title", "placeholder"] });
}
"""

_ELEMENT = st.components.v2.component("facilitation_japanese_chrome", html="<span hidden></span>", js=_JS)


def render() -> None:
    """Draw the (invisible) element once on this page."""
    with st.sidebar:  # the sidebar's gap, not the page's: nothing moves
        _ELEMENT(key="japanese_chrome", data={"words": WORDS, "places": TEXT_PLACES})
