"""A phone's roster reruns only when something changed: a stamp route and a waiting component.

Periodic fragment reruns cost the server ~30 ms of CPU each per phone (notes/issue-5.md), whether or
not anything changed. When the app is started through `serve.py` (an `st.App` with the route below),
a facilitator's roster instead holds one long-poll request open against `/_roster/stamp`: the route
answers as soon as the room's change stamp (`live.room_stamp`: placements, taps, registrations,
the room's name and theme, link revocations) differs from the one the page shows, or after
WAIT_SECONDS with "unchanged". The stamp is read from the database at most once per POLL_SECONDS
per room and process, shared by every waiting phone of the room, so an idle phone costs one cheap request every WAIT_SECONDS and a change reaches
it within about POLL_SECONDS. Several app processes each read the shared database, so a change made
through one process is seen by phones attached to another.

On a change (or a link that is no longer valid) the component triggers a rerun of the fragment it is
in; that rerun checks the link again (`live.check_room`), so a revoked link stops at once. If the
route is missing or fails, the component falls back to a rerun every `fallback_seconds`. With plain
`streamlit run streamlit_app.py` (no route), `ui/roster.py` keeps the periodic `run_every` refresh.
"""

from __future__ import annotations

import asyncio
import os
import time

import streamlit as st

ROUTE = "/_roster/stamp"
ACTIVE_ENV = "FACILITATION_LIVE_ROUTE"  # set by serve.py: this process serves ROUTE
POLL_SECONDS = 0.5  # how often a waiting request looks at the meeting's (shared) stamp
WAIT_SECONDS = 20.0  # longest a request is held before it answers "unchanged"


def route_active() -> bool:
    return os.environ.get(ACTIVE_ENV) == "1"


# --- server side (runs in the ASGI event loop, never in a script run) ---

_stamps: dict[tuple[int, int], tuple[float, str]] = {}  # (meeting, room) → (monotonic time read, stamp)
_locks: dict[tuple[int, int], asyncio.Lock] = {}


def _read_stamp(meeting_id: int, room_id: int) -> str:
    from facilitation.rosters import live
    from facilitation.storage import db

    from .common import db_url
    with db.session(db_url(), actor="roster") as s:
        return live.room_stamp(s, meeting_id, room_id)


async def current_stamp(meeting_id: int, room_id: int) -> str:
    """The room's stamp, read at most once per POLL_SECONDS however many phones wait."""
    key = (meeting_id, room_id)
    lock = _locks.setdefault(key, asyncio.Lock())
    async with lock:
        at, value = _stamps.get(key, (-1e9, ""))
        if time.monotonic() - at >= POLL_SECONDS:
            value = await asyncio.to_thread(_read_stamp, meeting_id, room_id)
            _stamps[key] = (time.monotonic(), value)
        return value


def _link_ok(token: str) -> tuple[bool, tuple[int, int] | None, float]:
    """(valid now, (meeting, room), seconds until expiry) from the link itself and its row."""
    from facilitation.access import gate
    from facilitation.storage import db

    from .auth import link_secret
    from .common import db_url
    with db.session(db_url(), actor="roster") as s:
        check = gate.check_link(s, token, link_secret())
    if not check.ok:
        return False, None, 0.0
    from facilitation.text.dates import utcnow
    return True, (check.meeting_id, check.room_id), (check.expires_at - utcnow()).total_seconds()


async def stamp_endpoint(request):  # a Starlette endpoint; imports kept local (no starlette at script time)
    from starlette.responses import JSONResponse

    headers = {"Cache-Control": "no-store"}
    token = request.query_params.get("token", "")[:300]
    since = request.query_params.get("since", "")[:500]
    try:
        ok, scope, left = await asyncio.to_thread(_link_ok, token)
    except Exception:  # the database is away: let the page rerun and say so in Japanese
        return JSONResponse({"changed": True}, headers=headers)
    if not ok:
        return JSONResponse({"changed": True}, headers=headers)  # the rerun's gate shows why
    deadline = time.monotonic() + min(WAIT_SECONDS, max(left, 0.0))
    while True:
        try:
            now = await current_stamp(*scope)
        except Exception:
            return JSONResponse({"changed": True}, headers=headers)
        if now != since:
            return JSONResponse({"changed": True}, headers=headers)
        if time.monotonic() >= deadline:
            return JSONResponse({"changed": left <= WAIT_SECONDS}, headers=headers)  # expired: rerun
        if await request.is_disconnected():
            return JSONResponse({"changed": False}, headers=headers)
        await asyncio.sleep(POLL_SECONDS)


def routes() -> list:
    from starlette.routing import Route
    return [Route(ROUTE, stamp_endpoint, methods=["GET"])]


# --- the phone side ---

_JS = """
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const root = parentElement.querySelector(".live-stamp");
  root._since = data.since;   // the stamp this rerun showed
  root._alive = true;
  if (!root._loop) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    root._loop = (async () => {
      let count = 0;
      while (root._alive) {
        let changed = false;
        try {
          const url = data.route + "?token=" + encodeURIComponent(data.token) + "&since=" + encodeURIComponent(root._since);
          const res = await fetch(url, { cache: "no-store" });
          if (!res.ok) throw new Error(String(res.status));
          changed = (await res.json()).changed;
        } catch (e) {
          await sleep(data.fallback_ms);  // no route, or the server is away: rerun periodically
          changed = true;
        }
        if (!root._alive) break;
        if (changed) {
          const shown = root._since;
          setTriggerValue("changed", ++count);
          // wait for the rerun to show a new stamp (or a short while), never a tight loop
          for (let i = 0; i < 30 && root._alive && root._since === shown; i++) await sleep(100);
        }
      }
      root._loop = null;
    })();
  }
  return () => { root._alive = false; };
}
"""

_WAITER = st.components.v2.component(
    "facilitation_live_stamp", html='<div class="live-stamp" hidden></div>', js=_JS)


def wait_for_change(*, key: str, token: str, since: str, fallback_seconds: float) -> None:
    """Inside a fragment: rerun that fragment as soon as the room's stamp differs from `since`."""
    _WAITER(key=key, data={"route": ROUTE, "token": token, "since": since,
                           "fallback_ms": int(fallback_seconds * 1000)},
            on_changed_change=lambda: None)
