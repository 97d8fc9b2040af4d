"""A text field that saves while the facilitator types, for room notes on a phone.

Streamlit's own text area sends its text only when the field loses focus (or on Ctrl+Enter); a
phone that sleeps mid-sentence would lose it. This field (a components v2 element, inline HTML and
JavaScript, no build step) sends its text after a short pause in typing, at once when the page is
hidden (the phone sleeps, the browser is switched away) or the field is left, and keeps a draft in
the browser's localStorage until the server has the text, so a reload or a dropped connection
loses nothing: the draft is offered back and sent when the page is open again.

It follows the database: a value saved elsewhere replaces the field's text when this person has
nothing unsent. If they do, their text stays, the other text is shown beside it and nothing is sent
until they choose 「自分の入力で保存する」 or 「ほかの方の内容にする」; each send carries the saved text the
typing began from, so the server refuses to replace a newer save unseen (notes.save_field).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

PAUSE_MS = 800  # send after this long without a keystroke

_HTML = """<div class="field"><label></label><div class="help"></div><textarea></textarea>
<div class="status" aria-live="polite"></div>
<div class="conflict" hidden><p>ほかの方がこの欄を保存しました。その内容：</p><blockquote></blockquote>
<button type="button" class="mine">自分の入力で保存する</button> <button type="button" class="theirs">ほかの方の内容にする</button>
</div></div>"""

_CSS = """
.field { font-family: var(--st-font, sans-serif); color: var(--st-text-color, #1F2A2E); margin-bottom: 0.25rem; }
label { display: block; font-size: 0.875rem; margin-bottom: 0.25rem; }
.help { font-size: 0.8rem; color: #5f6b70; margin-bottom: 0.25rem; }
.help:empty, .status:empty { display: none; }
textarea { box-sizing: border-box; width: 100%; font: inherit; font-size: 1rem; line-height: 1.5;
  padding: 0.5rem 0.75rem; border: 1px solid var(--st-border-color, #c9d8d2);
  border-radius: var(--st-base-radius, 0.5rem); background: var(--st-secondary-background-color, #EAF2EF);
  color: inherit; resize: vertical; }
textarea:focus { outline: 2px solid var(--st-primary-color, #2E7D6B); outline-offset: 0; }
textarea.single { resize: none; overflow: hidden; white-space: nowrap; }
.status { font-size: 0.8rem; color: #8a4b00; margin-top: 0.25rem; }
.conflict { font-size: 0.875rem; border-left: 3px solid #c77700; background: #fff6e5; padding: 0.5rem 0.75rem; margin-top: 0.5rem; }
.conflict p { margin: 0 0 0.25rem; }
.conflict blockquote { margin: 0 0 0.5rem; white-space: pre-wrap; color: #3d3d3d; max-height: 8rem; overflow-y: auto; }
.conflict button { font: inherit; min-height: 2.75rem; padding: 0.25rem 0.75rem; margin: 0.25rem 0.25rem 0 0;
  border: 1px solid var(--st-border-color, #c9d8d2); border-radius: var(--st-base-radius, 0.5rem); background: white; color: inherit; }
"""

# One instance per field. Its state lives on the root element because Streamlit calls this function
# again with new `data` on every rerun, with the same parentElement.
_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".field");
  const box = root.querySelector("textarea");
  const status = root.querySelector(".status");
  const conflict = root.querySelector(".conflict");
  const draftKey = "facilitation-draft:" + data.draft_key;
  const server = data.value;  // the saved text, as of this rerun
  root._setState = setStateValue;

  if (!root._ready) {
    root._ready = true;
    const label = root.querySelector("label");
    box.id = "f-" + Math.random().toString(36).slice(2);
    label.htmlFor = box.id;
    label.textContent = data.label;
    root.querySelector(".help").textContent = data.help || "";
    box.rows = data.rows;
    root._base = server;
    root._sent = new Set();
    root._lastText = null;
    root._lastAt = 0;
    box.value = server;
    root._draft = (keep) => {
      try {
        if (keep && box.value !== root._base) localStorage.setItem(draftKey, JSON.stringify({ text: box.value, base: root._base }));
        else if (!keep || box.value === root._base) localStorage.removeItem(draftKey);
      } catch (e) { /* storage unavailable: the pause and page-hide sends still apply */ }
    };
    // Someone else saved this field while this person had text the server did not: show theirs,
    // hold our sends, and let the person choose.
    root._conflict = (theirs) => {
      conflict.querySelector("blockquote").textContent = theirs;
      conflict.hidden = false;
    };
    root._resolved = () => { conflict.hidden = true; status.textContent = ""; };
    conflict.querySelector(".mine").addEventListener("click", () => { root._resolved(); root._lastText = null; root._send(); });
    conflict.querySelector(".theirs").addEventListener("click", () => { box.value = root._base; root._resolved(); root._draft(false); });
    root._send = () => {
      clearTimeout(root._timer);
      root._timer = null;
      if (!conflict.hidden) return;  // waiting for the person's choice
      if (box.value === root._base) return;  // the server has it
      if (box.value === root._lastText && Date.now() - root._lastAt < 5000) return;  // just sent
      root._lastText = box.value;
      root._lastAt = Date.now();
      root._sent.add(box.value);
      // A fresh object each time, so the server sees a change even if this text was sent before.
      // `base`: the saved text this typing started from; the server refuses to replace anything newer.
      root._setState("text", { text: box.value, base: root._base, at: root._lastAt });
    };
    if (data.rows === 1) {
      box.classList.add("single");
      box.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.isComposing) { e.preventDefault(); root._send(); } });
    }
    box.addEventListener("input", () => {
      root._draft(true);
      clearTimeout(root._timer);
      root._timer = setTimeout(root._send, data.pause_ms);
    });
    box.addEventListener("blur", () => root._send());
    root._onHide = () => { if (document.visibilityState === "hidden") { root._draft(true); root._send(); } };
    root._onPageHide = () => { root._draft(true); root._send(); };
    document.addEventListener("visibilitychange", root._onHide);
    window.addEventListener("pagehide", root._onPageHide);
    // A draft from an earlier visit that never reached the server (the phone slept, the
    // connection dropped, the page was reloaded): put it back and send it.
    try {
      const draft = JSON.parse(localStorage.getItem(draftKey) || "null");
      if (draft && draft.text !== server) {
        box.value = draft.text;
        if (draft.base === server) root._send();
        else {
          status.textContent = "保存できていなかった入力を戻しました。";
          root._conflict(server);
        }
      } else if (draft) {
        localStorage.removeItem(draftKey);
      }
    } catch (e) {}
  } else if (server !== root._base) {  // the saved text changed since the last rerun
    const ours = root._sent.has(server);
    if (box.value === root._base) box.value = server;  // nothing of ours pending: follow it
    root._base = server;
    if (box.value !== server && !ours) root._conflict(server);
  }
  if (box.value === server) {
    root._resolved();
    root._draft(false);
  } else if (!root._timer) {
    root._send();  // text the server does not have and no typing pause pending: (re)send it
  }

  return () => {
    document.removeEventListener("visibilitychange", root._onHide);
    window.removeEventListener("pagehide", root._onPageHide);
    root._draft(true);
  };
}
"""

_FIELD = st.components.v2.component("facilitation_autosave_text", html=_HTML, css=_CSS, js=_JS)


def autosave_text(label: str, *, key: str, value: str, on_save: Callable[[str, str | None], None],
                  rows: int = 4, help: str = "", draft_key: str | None = None) -> None:
    """Show a field holding `value` (the saved text); `on_save(text, started_from)` runs whenever the
    browser sends: `started_from` is the saved text the typing began from (None if unknown), so the
    callback can refuse to replace a newer save (then this field shows the other text and asks).

    `rows=1` makes a one-line field (Enter sends). `draft_key` names the browser's draft (default
    `key`): make it unique per room and field.
    """
    def changed() -> None:
        sent = (st.session_state.get(key) or {}).get("text")
        if isinstance(sent, dict) and isinstance(sent.get("text"), str):
            base = sent.get("base")
            on_save(sent["text"], base if isinstance(base, str) else None)

    _FIELD(key=key, data={"label": label, "help": help, "value": value, "rows": rows, "pause_ms": PAUSE_MS,
                          "draft_key": draft_key or key},
           default={"text": None}, on_text_change=changed)
