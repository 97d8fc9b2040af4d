"""Served through serve.py (st.App + /_roster/stamp), a facilitator's phone waits for a change.

An idle phone does not rerun its roster (its 「最終更新」 time stays put for longer than the periodic
refresh interval), a change made elsewhere shows within the change route's polling delay, and the
route itself refuses to wait for a bad link (it answers "changed" at once, so the page's own gate
shows why). The secretariat's overview waits the same way on the whole meeting's stamp, and its
route serves only a page the secretariat opened (a signed ticket, checked like the gate): a
facilitator link or no session is refused. The periodic fallback with `streamlit run
streamlit_app.py` is covered by tests/test_rosters_browser.py and tests/test_access_revocation.py
(which runs both entries).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from facilitation.access import gate
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.rosters import live
from facilitation.storage import db
from facilitation.storage.models import Assignment
from tests.browser_checks import check_clean
from tests.conftest import LINK_SECRET, place_upcoming, served_demo, upcoming_with_link
from ui import live_stamp
from ui.live_stamp import ROUTE
from ui.roster import REFRESH_SECONDS

PHONE = {"width": 375, "height": 812}
SECRET = LINK_SECRET


@pytest.fixture(scope="module")
def served(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("live_stamp"), prepare=upcoming_with_link,
                     entry="serve.py") as app:
        yield app


def test_the_room_stamp_moves_with_what_the_room_shows_only(demo_copy_url):
    w = place_upcoming(demo_copy_url)
    room1, room2 = w["rooms"][0], w["rooms"][1]
    member, other = w["placed"][room1][1], w["placed"][room2][1]

    def stamp() -> str:
        with db.session(demo_copy_url) as s:
            return live.room_stamp(s, w["meeting_id"], room1)

    def moved(change) -> bool:
        before = stamp()
        with db.session(demo_copy_url) as s:
            change(s)
        return stamp() != before

    from facilitation.storage.models import Room
    assert not moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, other, "出席"))  # another room's tap
    assert moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, member, "出席"))
    assert moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, member, "遅刻"))
    assert moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, member, ""))  # a cleared tap
    assert moved(lambda s: setattr(s.scalar(select(Assignment).where(Assignment.registration_id == other)),
                                   "room_id", room1))  # a move in
    assert moved(lambda s: setattr(s.scalar(select(Assignment).where(Assignment.registration_id == other)),
                                   "room_id", room2))  # and out again
    assert moved(lambda s: setattr(s.get(Room, room1), "theme", "新しいテーマ"))
    assert not moved(lambda s: setattr(s.get(Room, room2), "theme", "別のルームのテーマ"))
    with db.session(demo_copy_url) as s:
        gate.issue_link(s, SECRETARIAT_LOCAL, room1, SECRET.encode())
    assert moved(lambda s: gate.revoke_links(s, SECRETARIAT_LOCAL, room_id=room1))


def _get(url: str, timeout: float = 30) -> tuple[float, dict]:
    started = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return time.monotonic() - started, json.loads(r.read())


def test_the_route_answers_at_once_for_a_bad_link_or_a_moved_stamp(served):
    base, url, w = served["base"], served["url"], served["world"]
    took, body = _get(f"{base}{ROUTE}?token=v1.1.1.1.x.forged&since=")
    assert body == {"changed": True} and took < 5
    took, body = _get(f"{base}{ROUTE}?token={w['token']}&since=an-old-stamp")
    assert body == {"changed": True} and took < 5
    with db.session(url) as s:
        current = live.room_stamp(s, w["meeting_id"], w["rooms"][0])

    def later() -> None:
        time.sleep(1.5)
        with db.session(url) as s:
            live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][w["rooms"][0]][1], "遅刻")
    threading.Thread(target=later).start()  # a change 1.5 s into the wait ends it
    took, body = _get(f"{base}{ROUTE}?token={w['token']}&since={urllib.request.quote(current)}")
    assert body == {"changed": True}
    assert 1.2 < took < 6, took  # it waited for the change, then answered promptly
    with db.session(url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][w["rooms"][0]][1], "")


@pytest.mark.timeout(300)
def test_an_idle_phone_does_not_rerun_and_a_change_shows_at_once(served, browser, output_dir):
    base, url, w = served["base"], served["url"], served["world"]
    room1, room2 = w["rooms"][0], w["rooms"][1]
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(f"{base}/?token={w['token']}", wait_until="domcontentloaded")
    page.get_by_text("Zoom表示名").first.wait_for(timeout=45_000)
    page.get_by_text("変更があるとすぐに自動で表示されます").wait_for(timeout=10_000)
    check_clean(page, "phone opened through serve.py")

    def shown_time() -> str:
        text = page.get_by_text("最終更新").first.text_content()
        return re.search(r"最終更新 (\d\d:\d\d:\d\d)", text).group(1)

    page.wait_for_timeout(1500)  # let the first render settle
    before = shown_time()
    with db.session(url) as s:  # a tap in another room is not this phone's business
        live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][room2][1], "出席")
    page.wait_for_timeout((2 * REFRESH_SECONDS + 1) * 1000)  # two periodic refreshes would have happened
    assert shown_time() == before, "an idle phone reran its roster"

    moved = w["placed"][room2][2]
    with db.session(url) as s:  # the room editor moves someone into the room
        s.scalar(select(Assignment).where(Assignment.registration_id == moved)).room_id = room1
    started = time.monotonic()
    page.get_by_role("radiogroup", name=f"{w['names'][moved]}さんの出欠").wait_for(timeout=REFRESH_SECONDS * 1000 + 3000)
    seconds = time.monotonic() - started
    print(f"move visible on the waiting phone after {seconds:.1f} s")
    assert shown_time() != before
    check_clean(page, "after the move")
    page.screenshot(path=str(output_dir / "roster-phone-waiting.png"), full_page=True)
    phone.close()
    log = served["log"].read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]


# --- the secretariat's overview waits on the whole meeting's stamp ---

def _status(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[float, int, dict]:
    """(seconds, HTTP status, body) of one wait, refusals included."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as r:
            return time.monotonic() - started, r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        return time.monotonic() - started, exc.code, json.loads(exc.read())


def test_the_meeting_stamp_moves_with_any_room_and_the_rooms_themselves(demo_copy_url):
    w = place_upcoming(demo_copy_url)
    room2 = w["rooms"][1]

    def stamp() -> str:
        with db.session(demo_copy_url) as s:
            return live.meeting_stamp(s, w["meeting_id"])

    def moved(change) -> bool:
        before = stamp()
        with db.session(demo_copy_url) as s:
            change(s)
        return stamp() != before

    from facilitation.storage.models import Room
    assert stamp() == stamp()
    assert moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][room2][1], "欠席"))
    assert moved(lambda s: live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][room2][1], ""))
    assert moved(lambda s: setattr(s.scalar(select(Assignment).where(
        Assignment.registration_id == w["placed"][room2][2])), "room_id", w["rooms"][0]))
    assert moved(lambda s: setattr(s.get(Room, room2), "name", "ルーム2（会場）"))


def test_the_overview_route_serves_a_secretariat_page_only(served):
    base, url, w = served["base"], served["url"], served["world"]
    meeting = w["meeting_id"]
    ticket = gate.overview_ticket(SECRET.encode(), meeting, SECRETARIAT_LOCAL.email)
    wait = f"{base}{ROUTE}?meeting={meeting}"
    refused = {
        "no session (no ticket)": f"{wait}&since=",
        "a facilitator link": f"{wait}&token={w['token']}&since=",
        "a facilitator link as the ticket": f"{wait}&ticket={w['token']}&since=",
        "a forged ticket": f"{wait}&ticket={gate.overview_ticket(b'x' * 40, meeting, 'local')}&since=",
        "another meeting's ticket": f"{base}{ROUTE}?meeting={meeting + 1}&ticket={ticket}&since=",
        "an expired ticket": f"{wait}&ticket="
                             f"{gate.overview_ticket(SECRET.encode(), meeting, 'local', time.time() - 13 * 3600)}&since=",
        "an account while no sign-in is configured": f"{wait}&ticket="
                             f"{gate.overview_ticket(SECRET.encode(), meeting, 'jimukyoku@example.org')}&since=",
    }
    for why, address in refused.items():
        took, status, body = _status(address)
        assert (status, body.get("refused")) == (403, True), why
        assert took < 5, why  # refused before any wait
    took, status, _ = _status(f"{wait}&ticket={ticket}&since=", headers={"X-Forwarded-For": "203.0.113.7"})
    assert status == 403, "local mode through a proxy is not this computer"

    took, status, body = _status(f"{wait}&ticket={ticket}&since=an-old-stamp")
    assert (status, body) == (200, {"changed": True}) and took < 5
    with db.session(url) as s:
        current = live.meeting_stamp(s, meeting)
    last_room = w["rooms"][-1]

    def later() -> None:
        time.sleep(1.5)
        with db.session(url) as s:  # a tap in any room ends the overview's wait
            live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][last_room][1], "遅刻")
    threading.Thread(target=later).start()
    took, status, body = _status(f"{wait}&ticket={ticket}&since={urllib.request.quote(current)}")
    assert (status, body) == (200, {"changed": True})
    assert 1.2 < took < 6, took
    with db.session(url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][last_room][1], "")



def test_with_sign_in_the_overview_route_serves_a_current_secretariat_account_only(demo_copy_url, monkeypatch):
    """The route's check for signed-in accounts (no OIDC provider here: the settings are patched):
    the ticket's account must still be 事務局 in the role table or the admin list at each wait."""
    from facilitation.roles import COMMITTEE, SECRETARIAT
    from ui import auth

    monkeypatch.setenv("FACILITATION_DB_URL", demo_copy_url)
    monkeypatch.setenv(gate.SECRET_ENV, SECRET)
    monkeypatch.setattr(auth, "auth_configured", lambda: True)
    monkeypatch.setattr(auth, "admin_emails", lambda: ["admin@example.org"])
    meeting = 1
    local = {"host": "127.0.0.1:8501"}

    def ok(email: str, ticket_meeting: int = meeting) -> bool:
        ticket = gate.overview_ticket(SECRET.encode(), ticket_meeting, email)
        return live_stamp._overview_ok(ticket, meeting, "127.0.0.1", local)

    with db.session(demo_copy_url) as s:
        gate.set_account(s, SECRETARIAT_LOCAL, "staff@example.org", SECRETARIAT)
        gate.set_account(s, SECRETARIAT_LOCAL, "iin@example.org", COMMITTEE)
    assert ok("admin@example.org") and ok("staff@example.org")
    assert not ok("iin@example.org")  # the committee sees counts only, never this route
    assert not ok("stranger@example.org")
    assert not ok("local")  # local mode ends once sign-in is configured
    assert not ok("staff@example.org", ticket_meeting=meeting + 1)
    with db.session(demo_copy_url) as s:  # a secretary who leaves is refused at the next wait
        gate.remove_account(s, Viewer(role=SECRETARIAT, email="admin@example.org"), "staff@example.org")
    assert not ok("staff@example.org")

@pytest.mark.timeout(300)
def test_an_idle_overview_does_not_rerun_and_a_tap_shows_at_once(served, browser, output_dir):
    base, url, w = served["base"], served["url"], served["world"]
    room = w["rooms"][2]
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page = desk.new_page()
    page.goto(f"{base}/roster?meeting={w['meeting_id']}", wait_until="domcontentloaded")
    page.get_by_text("変更があるとすぐに自動で表示されます").wait_for(timeout=45_000)
    check_clean(page, "overview opened through serve.py")

    def shown_time() -> str:
        text = page.get_by_text("最終更新").first.text_content()
        return re.search(r"最終更新 (\d\d:\d\d:\d\d)", text).group(1)

    page.wait_for_timeout(1500)
    before = shown_time()
    page.wait_for_timeout((2 * REFRESH_SECONDS + 1) * 1000)  # two periodic refreshes would have happened
    assert shown_time() == before, "an idle overview reran"

    with db.session(url) as s:  # a facilitator taps in room 3
        live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][room][1], "出席")
        status = next(r for r in live.overview(s, SECRETARIAT_LOCAL, w["meeting_id"]).rooms if r.room_id == room)
    c = status.counts
    needle = f"{w['room_names'][room]}　出席 {c['出席'] + c['遅刻'] + c['途中退室']} / {c['合計']}名"
    started = time.monotonic()
    page.get_by_text(needle).wait_for(timeout=REFRESH_SECONDS * 1000 + 3000)
    print(f"tap visible on the waiting overview after {time.monotonic() - started:.1f} s")
    assert shown_time() != before
    check_clean(page, "after the tap")
    page.screenshot(path=str(output_dir / "roster-overview-waiting.png"), full_page=True)
    desk.close()
    with db.session(url) as s:
        live.mark_attendance(s, SECRETARIAT_LOCAL, w["placed"][room][1], "")
    log = served["log"].read_text(errors="replace")
    assert "Traceback" not in log, log[-2000:]

