"""A facilitator's journey on a phone, in a real browser (issue 13).

The link the secretariat sends (issued before the journey, as the rooms page does) opens straight
onto the room's roster: no dialog, no picker. Two taps record attendance, a note is typed and
saves itself, and a second phone on the same link sees both. After every action: no English error
box and no "Page not found" (tests/browser_checks.py).
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import live, notes
from facilitation.storage import db
from facilitation.storage.models import Organisation, Person
from tests.browser_checks import english_on_screen, settle_and_check
from tests.conftest import served_demo, upcoming_with_link

PHONE = {"width": 390, "height": 844}
NOTE = "家族からの相談が増えている。学校との連携が課題。"
WAIT = 45_000


@pytest.fixture(scope="module")
def room_link(demo_url, tmp_path_factory):
    """The app on a private copy of the demo whose upcoming meeting has people in its rooms, and
    the facilitator link of its first room (issued as the secretariat's rooms page issues it)."""
    with served_demo(demo_url, tmp_path_factory.mktemp("journey_facilitator"), prepare=upcoming_with_link) as app:
        w = app["world"]
        yield {**app, "link": f"{app['base']}/roster?token={w['token']}", "room": w["rooms"][0]}


def data_words(url: str) -> set[str]:
    """Latin-letter words of the demo's own names (organisations such as 「CoCo-BuLa」)."""
    with db.session(url) as s:
        names = s.scalars(select(Organisation.name)).all() + s.scalars(select(Person.name)).all()
    return set(re.findall(r"[A-Za-z]{3,}", " ".join(names)))


def check(page, step: str, allowed: set[str]) -> None:
    """No English error box, no "Page not found", no English words on the phone's screen."""
    settle_and_check(page, step)
    english = english_on_screen(page, allowed)
    assert not english, f"{step}: 英語の表示 {english}"


def phone_context(browser):
    return browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)


def open_link(context, link: str, room_name: str):
    page = context.new_page()
    page.goto(link, wait_until="domcontentloaded")
    page.get_by_role("heading", name=room_name, exact=False).first.wait_for(timeout=WAIT)
    settle_and_check(page, "リンクを開く")
    return page


def mark_of(page, name: str) -> list[str]:
    """The attendance mark shown for a person (the checked choice of their four)."""
    group = page.get_by_role("radiogroup", name=f"{name}さんの出欠")
    return group.get_by_role("radio", checked=True).all_inner_texts()


@pytest.mark.timeout(300)
def test_facilitator_journey_on_a_phone(room_link, browser, output_dir):
    w, room, url = room_link["world"], room_link["room"], room_link["url"]
    room_name = w["room_names"][room]
    people = [w["names"][r] for r in w["placed"][room]]
    first, second = w["placed"][room][1], w["placed"][room][2]
    phone = phone_context(browser)
    page = open_link(phone, room_link["link"], room_name)
    started = time.monotonic()
    allowed = data_words(url)
    check(page, "リンクを開く", allowed)

    # The room's roster is the first thing shown: no dialog, no picker, the people on the first screen.
    assert page.get_by_role("dialog").count() == 0
    assert page.get_by_role("combobox").count() == 0
    heading = page.get_by_role("heading", name=room_name, exact=False).first.bounding_box()
    assert heading["y"] < PHONE["height"] / 2, heading
    page.get_by_text(people[0].split()[0]).first.wait_for(timeout=WAIT)
    card = page.get_by_role("radiogroup", name=f"{people[0]}さんの出欠").bounding_box()
    assert card["y"] + card["height"] <= PHONE["height"], card  # the first person, without scrolling
    assert page.get_by_text("未確認 4（4名）").count() == 1

    # Two taps: one present, one late.
    page.get_by_role("radiogroup", name=f"{w['names'][first]}さんの出欠").get_by_role("radio", name="出席").tap()
    page.get_by_text("出席 1・遅刻 0").first.wait_for(timeout=WAIT)
    check(page, "出席をタップ", allowed)
    page.get_by_role("radiogroup", name=f"{w['names'][second]}さんの出欠").get_by_role("radio", name="遅刻").tap()
    page.get_by_text("出席 1・遅刻 1").first.wait_for(timeout=WAIT)
    check(page, "遅刻をタップ", allowed)
    assert mark_of(page, w["names"][first]) == ["出席"] and mark_of(page, w["names"][second]) == ["遅刻"]

    # A note, typed on the phone: it saves itself after a pause (no button).
    issues = page.get_by_role("textbox", name="現状の課題")
    issues.tap()
    issues.press_sequentially(NOTE, delay=15)
    page.get_by_text("保存済み").first.wait_for(timeout=WAIT)
    check(page, "記録を入力", allowed)
    deadline = time.monotonic() + 15
    while True:
        with db.session(url) as s:
            if notes.get_note(s, SECRETARIAT_LOCAL, room).values()["issues"] == NOTE:
                break
        assert time.monotonic() < deadline, "記録が保存されません"
        time.sleep(0.3)
    seconds = time.monotonic() - started

    # A second phone on the same link sees both marks and the note.
    other = phone_context(browser)
    again = open_link(other, room_link["link"], room_name)
    again.get_by_text("出席 1・遅刻 1").first.wait_for(timeout=WAIT)
    assert mark_of(again, w["names"][first]) == ["出席"] and mark_of(again, w["names"][second]) == ["遅刻"]
    assert again.get_by_role("textbox", name="現状の課題").input_value() == NOTE
    check(again, "2台目の端末", allowed)
    with db.session(url) as s:
        marks = live.marks_of(s, w["meeting_id"])
    assert marks[first] == "出席" and marks[second] == "遅刻"
    print(f"\nファシリテーターの流れ: リンクを開いてから出欠2件と記録1件の保存まで {seconds:.1f} 秒（タップ2回・入力1回）")
    again.get_by_role("radiogroup", name=f"{w['names'][second]}さんの出欠").scroll_into_view_if_needed()
    again.screenshot(path=str(output_dir / "journey_facilitator_second_phone.png"))
    other.close()
    phone.close()
