"""A room's people and their attendance marks as ONE element (a components v2 element, inline
HTML/CSS/JavaScript, no build step).

Before, each person was a markdown element and a segmented control (~45 elements for a room of
19): every rerun of 50 phones paid Streamlit's per-element and per-widget work for each
(notes/issue-17.md, session 4). Here the people travel as one JSON list and the phone draws them
with createElement/textContent only (never innerHTML: a name stays text, tests/test_access_markup.py).

A tap is a trigger value {"rid", "mark", "shown"}: `shown` is the mark this element showed when it
was tapped, and nothing persists in widget state, so no old value can come back on a later rerun
(the segmented control's could). Tapping the selected mark clears it. The tapped mark shows at once
(pending style) until the rerun brings the stored one; while a tap is on its way, further taps wait
and are sent after that rerun, based on what it shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import streamlit as st

from facilitation.rosters import live

_HTML = '<div class="people"></div>'

_CSS = """
.people { font-family: var(--st-font, sans-serif); color: var(--st-text-color, #1F2A2E);
  font-size: var(--st-base-font-size, 1rem); line-height: 1.6; overflow-wrap: anywhere; }
.person { border-bottom: 1px solid #C9D8D2; padding-bottom: 0.9rem; margin-bottom: 1rem; }
.name { font-weight: 700; }
.badge { display: inline-block; font-size: 0.875rem; line-height: 1.4; padding: 0 0.375rem; margin-left: 0.25rem;
  border-radius: 0.25rem; vertical-align: 0.05em; }
.b-blue { background: var(--st-blue-background-color, rgba(28, 131, 225, 0.1)); color: var(--st-blue-text-color, #0054a3); }
.b-orange { background: var(--st-orange-background-color, rgba(255, 164, 33, 0.1)); color: var(--st-orange-text-color, #bd4800); }
.b-gray { background: var(--st-gray-background-color, rgba(49, 51, 63, 0.1)); color: var(--st-gray-text-color, #5f6b70); }
.meta { font-size: 0.875rem; color: var(--st-gray-text-color, #5f6b70); }
.zoom code { font-family: var(--st-code-font, monospace); font-size: 0.875em; padding: 0.1em 0.25em;
  border-radius: 0.25rem; background: var(--st-code-background-color, rgba(0, 0, 0, 0.05));
  color: var(--st-code-text-color, inherit); }
.marks { display: flex; width: 100%; margin-top: 0.5rem; }
.marks button { flex: 1 1 0; min-width: 3.6rem; min-height: 2.9rem; font: inherit; font-size: 1rem;
  padding: 0.25rem 0.5rem; margin: 0; cursor: pointer; color: inherit; background: var(--st-background-color, #fff);
  border: 1px solid var(--st-border-color, #c9d8d2); border-right-width: 0; border-radius: 0;
  -webkit-tap-highlight-color: transparent; touch-action: manipulation; }
.marks button:first-child { border-radius: var(--st-base-radius, 0.5rem) 0 0 var(--st-base-radius, 0.5rem); }
.marks button:last-child { border-right-width: 1px; border-radius: 0 var(--st-base-radius, 0.5rem) var(--st-base-radius, 0.5rem) 0; }
.marks button[aria-checked="true"] { color: var(--st-primary-color, #2E7D6B); font-weight: 600;
  background: color-mix(in srgb, var(--st-primary-color, #2E7D6B) 12%, white);
  box-shadow: inset 0 0 0 1px var(--st-primary-color, #2E7D6B); }
.marks.pending button[aria-checked="true"] { opacity: 0.65; box-shadow: inset 0 0 0 1px var(--st-primary-color, #2E7D6B); }
.marks button:focus-visible { outline: 2px solid var(--st-primary-color, #2E7D6B); outline-offset: -2px; }
"""

# Streamlit calls this function again with new `data` on every rerun, with the same parentElement:
# the state (people drawn, taps on their way) lives on the root element.
_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".people");
  root._send = setTriggerValue;
  if (!root._ready) {
    root._ready = true;
    root._rows = new Map();      // rid → { el, sig, group, buttons, truth }
    root._pending = new Map();   // rid → the mark shown before the rerun brings the stored one
    root._queued = new Map();    // rid → a tap made while another was on its way
    root._inflight = null;       // the rid whose tap is on its way
    root._timer = null;
    root._marks = [];
    root._sendTap = (rid, mark) => {
      const row = root._rows.get(rid);
      root._inflight = rid;
      clearTimeout(root._timer);
      // no rerun within a few seconds (the connection is away): show the stored mark again
      root._timer = setTimeout(() => { root._inflight = null; root._pending.clear(); root._queued.clear(); root._paintAll(); }, 5000);
      root._send("tap", { rid: rid, mark: mark, shown: row ? row.truth : "" });
    };
    root._paint = (row) => {
      const pending = root._pending.has(row.rid);
      const shown = pending ? root._pending.get(row.rid) : row.truth;
      row.group.classList.toggle("pending", pending);
      row.group.setAttribute("aria-busy", pending ? "true" : "false");
      row.buttons.forEach((b) => b.setAttribute("aria-checked", b.dataset.mark === shown ? "true" : "false"));
    };
    root._paintAll = () => root._rows.forEach((row) => root._paint(row));
    root._tap = (rid, mark) => {
      const row = root._rows.get(rid);
      if (!row) return;
      const showing = root._pending.has(rid) ? root._pending.get(rid) : row.truth;
      const target = mark === showing ? "" : mark;  // tapping the selected mark clears it
      root._pending.set(rid, target);
      if (root._inflight !== null) root._queued.set(rid, target);
      else if (target === row.truth) root._pending.delete(rid);
      else root._sendTap(rid, target);
      root._paint(row);
    };
  }
  root._marks = data.marks;

  const build = (p) => {
    const el = document.createElement("div");
    el.className = "person";
    const head = document.createElement("div");
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = p.name;
    head.appendChild(name);
    if (p.furigana) head.appendChild(document.createTextNode("（" + p.furigana + "）"));
    for (const [label, colour] of p.badges) {
      const b = document.createElement("span");
      b.className = "badge b-" + colour;
      b.textContent = label;
      head.appendChild(b);
    }
    el.appendChild(head);
    if (p.meta) {
      const meta = document.createElement("div");
      meta.className = "meta";
      meta.textContent = p.meta;
      el.appendChild(meta);
    }
    if (p.zoom) {
      const zoom = document.createElement("div");
      zoom.className = "zoom";
      zoom.appendChild(document.createTextNode("Zoom表示名："));
      const code = document.createElement("code");
      code.textContent = p.zoom;
      zoom.appendChild(code);
      el.appendChild(zoom);
    }
    const group = document.createElement("div");
    group.className = "marks";
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", p.name + "さんの出欠");
    const buttons = data.marks.map((m) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "radio");
      b.dataset.mark = m;
      b.textContent = m;
      b.addEventListener("click", () => root._tap(p.rid, m));
      group.appendChild(b);
      return b;
    });
    el.appendChild(group);
    return { rid: p.rid, el, group, buttons };
  };

  // Draw what changed, keep the rest (a focused button keeps its focus across reruns).
  const seen = new Set();
  let before = null;
  for (let i = data.people.length - 1; i >= 0; i--) {
    const p = data.people[i];
    const sig = JSON.stringify([p.name, p.furigana, p.badges, p.meta, p.zoom, data.marks]);
    let row = root._rows.get(p.rid);
    if (!row || row.sig !== sig) {
      if (row) row.el.remove();
      row = build(p);
      row.sig = sig;
      root._rows.set(p.rid, row);
    }
    row.truth = p.mark;
    seen.add(p.rid);
    if (row.el.nextSibling !== before || row.el.parentNode !== root) root.insertBefore(row.el, before);
    before = row.el;
  }
  for (const [rid, row] of root._rows) {
    if (!seen.has(rid)) { row.el.remove(); root._rows.delete(rid); }
  }

  // This rerun shows the stored marks: a tap on its way has been answered.
  if (root._inflight !== null) {
    root._inflight = null;
    clearTimeout(root._timer);
    root._pending.clear();
    const queued = [...root._queued].filter(([rid]) => root._rows.has(rid));
    root._queued.clear();
    for (const [rid, target] of queued) {
      if (root._inflight === null) {
        if (target !== root._rows.get(rid).truth) { root._pending.set(rid, target); root._sendTap(rid, target); }
      } else {
        root._pending.set(rid, target);
        root._queued.set(rid, target);
      }
    }
  }
  root._paintAll();
}
"""

_PEOPLE = st.components.v2.component("facilitation_roster_people", html=_HTML, css=_CSS, js=_JS)


def person_data(p: live.RosterPerson) -> dict:
    """What the phone draws for one person (all as text)."""
    badges = []
    if p.is_facilitator:
        badges.append(("ファシリ", "blue"))
    if p.first_time:
        badges.append(("初参加", "orange"))
    if p.attendance_mode == "会場":
        badges.append(("会場", "gray"))
    meta = "・".join(x for x in (p.organisation, p.region, p.role_title, "、".join(p.programs)) if x)
    return {"rid": p.registration_id, "name": p.name, "furigana": p.furigana, "badges": badges, "meta": meta,
            "zoom": p.zoom_name, "mark": p.mark or ""}


def tap_of(value: object) -> tuple[int, str, str] | None:
    """(registration id, mark, shown) of a trigger value from the phone, or None if it is not one."""
    if not isinstance(value, dict):
        return None
    rid, mark, shown = value.get("rid"), value.get("mark"), value.get("shown")
    if not (isinstance(rid, int) and not isinstance(rid, bool) and isinstance(mark, str) and isinstance(shown, str)):
        return None
    return rid, mark, shown


def roster_people(people: Iterable[live.RosterPerson], *, key: str,
                  on_tap: Callable[[int, str, str], None]) -> None:
    """Draw the people with their marks; `on_tap(registration_id, mark, shown)` runs for each tap
    ("" clears the mark; `shown` is the mark the phone showed when it was tapped)."""
    def tapped() -> None:
        value = (st.session_state.get(key) or {}).get("tap")
        tap = tap_of(value)
        if tap is not None:
            on_tap(*tap)

    _PEOPLE(key=key, data={"people": [person_data(p) for p in people], "marks": list(live.MARKS),
                           "run": time.monotonic_ns()},
            on_tap_change=tapped)
