"""The roster in a real browser at phone size: a tap is recorded, a move appears without reloading.

Runs its own app server (same command as the shared `app_server` fixture) on a private copy of the
demo, because it places people into the upcoming meeting's rooms and taps attendance.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from facilitation.meetings import schedule
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import live, report
from facilitation.storage import db
from facilitation.storage.models import Assignment
from tests.conftest import served_demo, upcoming_with_link
from ui.roster import REFRESH_SECONDS

PHONE = {"width": 375, "height": 812}
LIVE_WAIT_MS = REFRESH_SECONDS * 1000 + 6000  # the refresh interval + slack for a loaded 2-core machine


@pytest.fixture(scope="module")
def roster_app(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("roster_app"), prepare=upcoming_with_link) as app:
        yield app  # world["token"]: the facilitator's personal link for room 1


def open_roster(context, base: str, token: str = ""):
    """The facilitator's link (the app's entry with ?token=), or the secretariat's /roster."""
    page = context.new_page()
    page.goto(f"{base}/?token={token}" if token else f"{base}/roster", wait_until="domcontentloaded")
    page.get_by_role("heading", name="ルーム名簿").first.wait_for(timeout=45_000)
    return page


@pytest.mark.timeout(300)
def test_phone_roster_tap_and_live_move(roster_app, browser, output_dir):
    base, url, w = roster_app["base"], roster_app["url"], roster_app["world"]
    room1, room2 = w["rooms"][0], w["rooms"][1]
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True, device_scale_factor=2)
    page = open_roster(phone, base, w["token"])  # a facilitator opens their personal link
    page.get_by_text("Zoom表示名").first.wait_for(timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_role("radio", name="ルームごと").count() == 0  # no room picker, no other rooms
    assert page.get_by_role("heading", name=w["room_names"][room1], exact=False).count() == 1

    # Phone-first: no horizontal scroll, tap targets at least 40 px high.
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1] <= PHONE["width"], width
    target = w["placed"][room1][1]
    name = w["names"][target]
    group = page.get_by_role("radiogroup", name=f"{name}さんの出欠")
    box = group.get_by_role("radio", name="出席").bounding_box()
    assert box["height"] >= 40 and box["x"] + box["width"] <= PHONE["width"]

    # One tap records attendance.
    group.get_by_role("radio", name="出席").tap()
    page.get_by_text("出席 1・遅刻 0").first.wait_for(timeout=LIVE_WAIT_MS)
    with db.session(url) as s:
        assert live.marks_of(s, w["meeting_id"]).get(target) == "出席"

    # The secretariat's desktop overview in a second context shows the count.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    overview = open_roster(desk, base)
    overview.get_by_text(f"{w['room_names'][room1]}　出席 1 / 4名").wait_for(timeout=30_000)

    # A move (what the room editor does) appears on the phone and the overview without reloading.
    moved = w["placed"][room2][2]
    moved_name = w["names"][moved]
    assert page.get_by_role("radiogroup", name=f"{moved_name}さんの出欠").count() == 0
    with db.session(url) as s:
        s.scalar(select(Assignment).where(Assignment.registration_id == moved)).room_id = room1
    started = time.monotonic()
    page.get_by_role("radiogroup", name=f"{moved_name}さんの出欠").wait_for(timeout=LIVE_WAIT_MS)
    phone_seconds = time.monotonic() - started
    overview.get_by_text(f"{w['room_names'][room1]}　出席 1 / 5名").wait_for(timeout=LIVE_WAIT_MS)
    print(f"move visible on the phone after {phone_seconds:.1f} s (refresh {REFRESH_SECONDS} s)")
    page.screenshot(path=str(output_dir / "roster-phone.png"), full_page=True)
    overview.screenshot(path=str(output_dir / "roster-overview.png"), full_page=True)

    # Tapping the selected mark clears it (as Streamlit's segmented control did); two quick taps on
    # two people both arrive (the second waits for the first's rerun, ui/roster_people.py).
    group.get_by_role("radio", name="出席").tap()
    page.get_by_role("radiogroup", name=f"{moved_name}さんの出欠").get_by_role("radio", name="遅刻").tap()
    page.get_by_text("出席 0・遅刻 1").first.wait_for(timeout=LIVE_WAIT_MS)
    # The summary and the people are two elements: the people may be painted a moment later.
    expect(group.get_by_role("radio", checked=True)).to_have_count(0, timeout=LIVE_WAIT_MS)
    with db.session(url) as s:
        marks = live.marks_of(s, w["meeting_id"])
    assert target not in marks and marks.get(moved) == "遅刻"
    # The cleared mark can be put back: the phone says what one tap erased, and 「元に戻す」 restores it.
    page.get_by_text(f"{name}さんの「出席」を取り消しました。").wait_for(timeout=LIVE_WAIT_MS)
    page.get_by_role("button", name="元に戻す").tap()
    page.get_by_text("出席 1・遅刻 1").first.wait_for(timeout=LIVE_WAIT_MS)
    with db.session(url) as s:
        assert live.marks_of(s, w["meeting_id"]).get(target) == "出席"
    expect(group.get_by_role("radio", name="出席", checked=True)).to_have_count(1, timeout=LIVE_WAIT_MS)
    page.get_by_role("button", name="元に戻す").wait_for(state="detached", timeout=LIVE_WAIT_MS)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert overview.locator('[data-testid="stException"]').count() == 0
    phone.close()
    desk.close()


@pytest.mark.timeout(120)
def test_printable_report_renders_japanese_with_a_cjk_font(roster_app, browser, output_dir):
    with db.session(roster_app["url"]) as s:
        held = next(m for m in schedule.list_meetings(s) if m.status == "開催済" and len(m.rooms) >= 10)
        page_html = report.to_html(report.build_report(s, SECRETARIAT_LOCAL, held.id))
    path = Path(output_dir / "report.html")
    path.write_text(page_html, encoding="utf-8")
    context = browser.new_context(viewport={"width": 900, "height": 1200}, locale="ja-JP")
    page = context.new_page()
    page.goto(path.as_uri())
    page.get_by_role("heading", name="開催概要").wait_for(timeout=10_000)
    # Ask Chromium which fonts actually drew the Japanese text of a room heading.
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "section.room h3"})["nodeId"]
    fonts = [f["familyName"] for f in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]]
    assert any("CJK" in f or "JP" in f or "Gothic" in f for f in fonts), fonts
    page.emulate_media(media="print")
    page.screenshot(path=str(output_dir / "report-print.png"), full_page=True)
    context.close()


def note_of(url: str, room_id: int) -> dict[str, str]:
    from facilitation.rosters import notes
    with db.session(url) as s:
        return notes.get_note(s, SECRETARIAT_LOCAL, room_id).values()


def wait_for_note(page, url: str, room_id: int, field: str, text: str, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while note_of(url, room_id)[field] != text:
        assert time.monotonic() < deadline, f"{field} not saved: {note_of(url, room_id)[field]!r} != {text!r}"
        page.wait_for_timeout(200)  # not time.sleep: Playwright relays the websocket only while called


@pytest.mark.timeout(300)
def test_notes_save_while_typing_and_survive_a_dropped_connection(roster_app, browser):
    base, url, w = roster_app["base"], roster_app["url"], roster_app["world"]
    room1 = w["rooms"][0]
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    online = {"up": True}

    def relay(ws):  # the phone's websocket to the app, which the test can cut like a lost signal
        server = ws.connect_to_server()
        ws.on_message(lambda m: server.send(m) if online["up"] else None)
        server.on_message(lambda m: ws.send(m) if online["up"] else None)

    phone.route_web_socket("**/_stcore/stream", relay)
    page = open_roster(phone, base, w["token"])
    issues = page.get_by_role("textbox", name="現状の課題")
    issues.wait_for(timeout=30_000)

    # Typing alone saves, after a short pause, without leaving the field.
    issues.tap()
    issues.press_sequentially("家族からの相談で止まってしまう。", delay=20)
    wait_for_note(page, url, room1, "issues", "家族からの相談で止まってしまう。")
    assert issues.evaluate("el => el.getRootNode().activeElement === el")  # still typing there
    page.get_by_text("保存済み").wait_for(timeout=10_000)

    # The signal drops while typing: nothing reaches the server...
    online["up"] = False
    summary = page.get_by_role("textbox", name="まとめ")
    summary.tap()
    summary.press_sequentially("焦らず関係を作る。", delay=20)
    page.wait_for_timeout(2500)
    assert note_of(url, room1)["summary"] == ""
    # ...the phone reopens the page later (new connection): the kept draft is put back and saved.
    online["up"] = True
    page.reload(wait_until="domcontentloaded")
    wait_for_note(page, url, room1, "summary", "焦らず関係を作る。")
    assert page.get_by_role("textbox", name="まとめ").input_value() == "焦らず関係を作る。"

    # Someone else's save of another field shows up on this phone at its next save.
    with db.session(url) as s:
        from facilitation.rosters import notes
        notes.save_note(s, SECRETARIAT_LOCAL, room1, {"efforts": "手紙から始めている。"})
    requests = page.get_by_role("textbox", name="後方支援への要望")
    requests.tap()
    requests.press_sequentially("研修を道内各地で。", delay=20)
    wait_for_note(page, url, room1, "requests", "研修を道内各地で。")
    deadline = time.monotonic() + 10
    while page.get_by_role("textbox", name="取り組み・工夫").input_value() != "手紙から始めている。":
        assert time.monotonic() < deadline
        page.wait_for_timeout(200)
    assert note_of(url, room1)["issues"] == "家族からの相談で止まってしまう。"  # nothing overwritten

    # Same field, both at once: the phone adds to 現状の課題 while its signal is gone; the
    # secretariat saves a correction of it. When the phone's next message arrives, its text does
    # not replace the correction unseen: the field shows the other text and asks.
    online["up"] = False
    issues.click()
    issues.press("End")
    issues.press_sequentially("（追記）", delay=20)
    page.wait_for_timeout(1500)
    with db.session(url) as s:
        notes.save_note(s, SECRETARIAT_LOCAL, room1, {"issues": "事務局で直しました。"})
    online["up"] = True
    summary = page.get_by_role("textbox", name="まとめ")
    summary.click()
    summary.press("End")
    summary.press_sequentially("次回も。", delay=20)
    page.get_by_text("事務局で直しました。").wait_for(timeout=15_000)
    assert note_of(url, room1)["issues"] == "事務局で直しました。"
    assert issues.input_value() == "家族からの相談で止まってしまう。（追記）"
    page.get_by_role("button", name="自分の入力で保存する").click()
    wait_for_note(page, url, room1, "issues", "家族からの相談で止まってしまう。（追記）")
    assert page.locator('[data-testid="stException"]').count() == 0
    phone.close()


@pytest.mark.timeout(300)
def test_a_person_marked_absent_leaves_the_prefilled_participants_on_the_phone(roster_app, browser):
    """ルームの記録 › 参加者 is prefilled with the room's organisations; a person marked 欠席 took no
    part, so their organisation leaves the field at once, as it does in the Word report (issue 22)."""
    from facilitation.rosters import notes

    base, url, w = roster_app["base"], roster_app["url"], roster_app["world"]
    room1 = w["rooms"][0]
    with db.session(url) as s:
        roster = live.room_roster(s, SECRETARIAT_LOCAL, w["meeting_id"], room1)
        orgs = [p.organisation for p in roster.people]
        target = next(p for p in roster.people if p.mark != "欠席" and p.organisation and orgs.count(p.organisation) == 1)
        assert notes.get_note(s, SECRETARIAT_LOCAL, room1).prefilled  # nobody saved the participants yet
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP", is_mobile=True, has_touch=True)
    page = open_roster(phone, base, w["token"])
    field = page.get_by_role("textbox", name="参加者")
    field.wait_for(timeout=30_000)
    assert target.organisation in field.input_value()
    page.get_by_role("radiogroup", name=f"{target.name}さんの出欠").get_by_role("radio", name="欠席").tap()
    deadline = time.monotonic() + LIVE_WAIT_MS / 1000
    while target.organisation in field.input_value():
        assert time.monotonic() < deadline, field.input_value()
        page.wait_for_timeout(200)
    with db.session(url) as s:
        assert live.marks_of(s, w["meeting_id"]).get(target.registration_id) == "欠席"
        docx_participants = notes.room_organisations(s, room1, attended_only=True)
    assert target.organisation not in field.input_value() and target.organisation not in "".join(docx_participants)
    assert page.locator('[data-testid="stException"]').count() == 0
    phone.close()
