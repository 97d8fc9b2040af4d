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

The secretariat's all-rooms overview waits the same way on `/_roster/stamp?meeting=…&ticket=…`
(`live.meeting_stamp`, the whole meeting). The ticket is minted by the overview's own run, which only
a secretariat session reaches (`gate.overview_ticket`): it names the meeting and the viewer, is signed
with the link key and expires after gate.TICKET_HOURS. The route checks it the way the room route checks a facilitator link
(signature, expiry, then the database and the settings: an account must still be 事務局; the local
mode's secretariat must still come over loopback without a proxy and with no sign-in configured), so
a facilitator link, a forged or foreign ticket, or no ticket at all is refused (403) before it waits.

On a change (or a link that is no longer valid) the component triggers a rerun of the fragment it is
in; that rerun checks the link again (`live.check_room`), so a revoked link stops at once. If the
route is missing or fails, the component falls back to a rerun every `fallback_seconds`. With plain
`streamlit run streamlit_app.py` (no route), `ui/roster.py` keeps the periodic `run_every` refresh.
"""

from __future__ import annotations

import asyncio
import os
import time
import urllib.parse

import streamlit as st

ROUTE = "/_roster/stamp"
ACTIVE_ENV = "FACILITATION_LIVE_ROUTE"  # set by serve.py: this process serves ROUTE
POLL_SECONDS = 0.5  # how often a waiting request looks at the meeting's (shared) stamp
WAIT_SECONDS = 20.0  # longest a request is held before it answers "unchanged"


def route_active() -> bool:
    return os.environ.get(ACTIVE_ENV) == "1"


# --- server side (runs in the ASGI event loop, never in a script run) ---

_stamps: dict[tuple[int, int | None], tuple[float, str]] = {}  # (meeting, room or None) → (time read, stamp)
_locks: dict[tuple[int, int | None], asyncio.Lock] = {}


def _read_stamp(meeting_id: int, room_id: int | None) -> str:
    from facilitation.rosters import live
    from facilitation.storage import db

    from .common import db_url
    with db.session(db_url(), actor="roster") as s:
        if room_id is None:
            return live.meeting_stamp(s, meeting_id)
        return live.room_stamp(s, meeting_id, room_id)


async def current_stamp(meeting_id: int, room_id: int | None) -> str:
    """The room's stamp (None: the whole meeting's), read at most once per POLL_SECONDS however
    many pages wait."""
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


def _overview_ok(ticket: str, meeting_id: int, client_ip: str | None, headers) -> bool:
    """Whether this request comes from a page the secretariat may still see, checked like the gate."""
    from facilitation.access import gate
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage import db

    from . import auth
    from .common import config, db_url
    email = gate.ticket_email(ticket, auth.link_secret(), meeting_id)
    if email is None:
        return False
    if email == SECRETARIAT_LOCAL.email:  # local mode: this computer only, as the gate decides it
        return not auth.auth_configured() and gate.is_loopback_request(
            client_ip, headers, proxied=gate.behind_proxy(config().behind_proxy))
    if not auth.auth_configured():
        return False
    with db.session(db_url(), actor="roster") as s:
        viewer = gate.viewer_for(s, email, auth.admin_emails())
    return viewer is not None and viewer.is_secretariat


async def _overview_endpoint(request, headers: dict):
    from starlette.responses import JSONResponse

    refused = JSONResponse({"changed": True, "refused": True}, status_code=403, headers=headers)
    meeting = request.query_params.get("meeting", "")[:12]
    ticket = request.query_params.get("ticket", "")[:500]
    since = request.query_params.get("since", "")[:500]
    if not meeting.isdigit() or "token" in request.query_params:
        return refused
    try:
        ok = await asyncio.to_thread(_overview_ok, ticket, int(meeting), request.client.host if request.client
                                     else None, dict(request.headers))
    except Exception:  # the database is away: the page's own rerun says so in Japanese
        return JSONResponse({"changed": True}, headers=headers)
    if not ok:
        return refused
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            now = await current_stamp(int(meeting), None)
        except Exception:
            return JSONResponse({"changed": True}, headers=headers)
        if now != since:
            return JSONResponse({"changed": True}, headers=headers)
        if time.monotonic() >= deadline:
            return JSONResponse({"changed": False}, headers=headers)
        if await request.is_disconnected():
            return JSONResponse({"changed": False}, headers=headers)
        await asyncio.sleep(POLL_SECONDS)


async def stamp_endpoint(request):  # a Starlette endpoint; imports kept local (no starlette at script time)
    from starlette.responses import JSONResponse

    headers = {"Cache-Control": "no-store"}
    if "meeting" in request.query_params:
        return await _overview_endpoint(request, headers)
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
  root._data = data;          // this rerun's address (a fresh overview ticket on every rerun)
  root._alive = true;
  if (!root._loop) {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    root._loop = (async () => {
      let count = 0;
      while (root._alive) {
        let changed = false;
        const d = root._data;
        try {
          const url = d.route + "?" + d.query + "&since=" + encodeURIComponent(root._since);
          const res = await fetch(url, { cache: "no-store" });
          if (!res.ok) throw new Error(String(res.status));
          changed = (await res.json()).changed;
        } catch (e) {
          await sleep(d.fallback_ms);  // no route, or the server is away: rerun periodically
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


def wait_for_change(*, key: str, since: str, fallback_seconds: float, token: str | None = None,
                    meeting_id: int | None = None, ticket: str | None = None) -> None:
    """Inside a fragment: rerun that fragment as soon as the stamp differs from `since`: the room's
    of a facilitator link (`token`), or the whole meeting's for the secretariat (`meeting_id`, `ticket`)."""
    query = {"token": token} if token else {"meeting": meeting_id, "ticket": ticket}
    _WAITER(key=key, data={"route": ROUTE, "query": urllib.parse.urlencode(query), "since": since,
                           "fallback_ms": int(fallback_seconds * 1000)},
            on_changed_change=lambda: None)
