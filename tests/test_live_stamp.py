"""Served through serve.py (st.App + /_roster/stamp), a facilitator's phone waits for a change.

An idle phone does not rerun its roster (its 「最終更新」 time stays put for longer than the periodic
refresh interval), a change made elsewhere shows within the change route's polling delay, and the
route itself refuses to wait for a bad link (it answers "changed" at once, so the page's own gate
shows why). The periodic fallback with `streamlit run streamlit_app.py` is covered by
tests/test_rosters_browser.py and tests/test_access_revocation.py (which runs both entries).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request

import pytest
from sqlalchemy import select

from facilitation.access import gate
from facilitation.access.roles import SECRETARIAT_LOCAL
from facilitation.rosters import live
from facilitation.storage import db
from facilitation.storage.models import Assignment
from tests import streamlit_process
from tests.browser_checks import check_clean
from tests.conftest import copy_database
from tests.test_rosters_pages import place_upcoming
from ui.live_stamp import ROUTE
from ui.roster import REFRESH_SECONDS

PHONE = {"width": 375, "height": 812}
SECRET = "live-stamp-test-link-secret-0123456789abcdef"


@pytest.fixture(scope="module")
def served(demo_url, tmp_path_factory):
    home = tmp_path_factory.mktemp("live_stamp")
    url = copy_database(demo_url, home)
    world = place_upcoming(url)
    with db.session(url) as s:
        world["token"] = gate.issue_link(s, SECRETARIAT_LOCAL, world["rooms"][0], SECRET.encode()).token
    app = streamlit_process.start(url, home / "streamlit.log", env={gate.SECRET_ENV: SECRET}, entry="serve.py")
    yield {"base": app.base, "url": url, "world": world, "log": app.log}
    streamlit_process.stop(app)


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
