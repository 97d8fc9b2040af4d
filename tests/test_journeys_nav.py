"""Journeys across pages in a real browser: addresses open directly, tabs and meetings stay chosen.

Runs its own app server on a private copy of the demo (it adds meetings and runs the optimiser),
with a link secret so a facilitator link can be opened on a phone. Every step ends with
tests.browser_checks.settle_and_check (no English error box, no "Page not found" dialog).
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from facilitation.meetings import schedule
from facilitation.storage import db
from facilitation.storage.models import Meeting
from tests.browser_checks import settle_and_check
from tests.conftest import served_demo, upcoming_with_link
from ui.shell import PAGES

PHONE = {"width": 390, "height": 844}


def _with_labels(url: str) -> dict:
    world = upcoming_with_link(url)
    with db.session(url) as s:
        world["labels"] = {m.id: schedule.label(m) for m in schedule.list_meetings(s)}
    return world


@pytest.fixture(scope="module")
def nav_app(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("nav_app"), prepare=_with_labels) as app:
        yield app


def open_page(page, base: str, path: str, heading: str) -> None:
    page.goto(f"{base}{path}", wait_until="domcontentloaded")
    page.get_by_role("heading", name=heading).first.wait_for(timeout=45_000)
    settle_and_check(page, path)


def selected_tab(page) -> list[str]:
    return page.get_by_role("tab", selected=True).all_inner_texts()


def picked_meeting(page) -> str:
    return page.get_by_role("combobox", name="対象の会").first.input_value()


@pytest.mark.timeout(300)
def test_every_address_opens_directly(nav_app, desk):
    for _name, (_, title, url_path, *_rest) in PAGES.items():
        open_page(desk, nav_app["base"], f"/{url_path}", title)
        assert desk.url.split("?")[0].endswith(f"/{url_path}")
    open_page(desk, nav_app["base"], "/", "ホーム")  # the root opens the role's first page
    assert desk.url.split("?")[0].endswith("/home")


@pytest.mark.timeout(300)
def test_facilitator_link_on_a_phone(nav_app, browser):
    w = nav_app["world"]
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", is_mobile=True, has_touch=True)
    page = phone.new_page()
    open_page(page, nav_app["base"], f"/roster?token={w['token']}", "ルーム名簿")  # the link as sent
    room_name = w["room_names"][w["rooms"][0]]
    page.get_by_role("heading", name=room_name, exact=False).first.wait_for(timeout=30_000)
    first_person = w["names"][w["placed"][w["rooms"][0]][0]]
    assert page.get_by_text(first_person).count() >= 1
    assert f"token={w['token']}" in page.url
    settle_and_check(page, "ファシリテーターの名簿")
    # A page the facilitator may not open: a polite Japanese message, not "Page not found".
    open_page(page, nav_app["base"], f"/home?token={w['token']}", "ホーム")
    assert page.get_by_text("いまの役割（ファシリテーター）では開けません").count() == 1
    assert page.get_by_text("次回の会").count() == 0  # nothing of the home page is drawn
    phone.close()


@pytest.mark.timeout(300)
def test_tab_stays_after_a_button(nav_app, desk):
    base = nav_app["base"]
    open_page(desk, base, "/registrations", "申込管理")
    desk.get_by_role("tab", name="手入力").click()
    settle_and_check(desk, "手入力タブ")
    desk.get_by_label("氏名（必須）").fill("道央 花子")
    desk.get_by_label("所属（法人・機関名）").fill("江別市社会福祉協議会")
    desk.get_by_role("button", name="登録する").click()
    desk.get_by_text("道央 花子さんの申込を登録しました").wait_for(timeout=30_000)
    settle_and_check(desk, "手入力で登録")
    assert selected_tab(desk) == ["手入力"]

    open_page(desk, base, "/rooms", "ルーム割り当て")
    desk.get_by_role("tab", name="3. 決まりと実行").click()
    settle_and_check(desk, "決まりと実行タブ")
    desk.get_by_role("button", name="割り当てを実行").first.click()
    desk.get_by_text("割り当てを保存しました").first.wait_for(timeout=60_000)
    settle_and_check(desk, "割り当てを実行")
    assert selected_tab(desk) == ["3. 決まりと実行"]


@pytest.mark.timeout(300)
def test_the_chosen_meeting_follows_the_person(nav_app, desk):
    base, labels = nav_app["base"], nav_app["world"]["labels"]
    open_page(desk, base, "/rooms", "ルーム割り当て")
    upcoming = picked_meeting(desk)
    other_id, other = next((i, t) for i, t in labels.items() if t != upcoming)
    desk.get_by_role("combobox", name="対象の会").first.click()
    desk.get_by_role("option", name=other).click()
    settle_and_check(desk, "会を選ぶ")
    assert picked_meeting(desk) == other
    assert f"meeting={other_id}" in desk.url

    desk.locator('[data-testid="stSidebarNav"]').get_by_text("申込管理").click()
    desk.get_by_role("heading", name="申込管理").first.wait_for(timeout=45_000)
    settle_and_check(desk, "サイドバーで申込管理へ")
    assert picked_meeting(desk) == other
    assert f"meeting={other_id}" in desk.url

    desk.locator('[data-testid="stSidebarNav"]').get_by_text("ルーム名簿").click()
    desk.get_by_role("heading", name="ルーム名簿").first.wait_for(timeout=45_000)
    settle_and_check(desk, "サイドバーでルーム名簿へ")
    assert picked_meeting(desk) == other


@pytest.mark.timeout(300)
def test_a_link_with_meeting_opens_that_meeting(nav_app, desk):
    labels = nav_app["world"]["labels"]
    oldest_id = list(labels)[-1]
    open_page(desk, nav_app["base"], f"/rooms?meeting={oldest_id}", "ルーム割り当て")
    assert picked_meeting(desk) == labels[oldest_id]
    open_page(desk, nav_app["base"], "/rooms?meeting=999999", "ルーム割り当て")  # unknown: the upcoming one
    assert picked_meeting(desk) in labels.values()


@pytest.mark.timeout(300)
def test_adding_a_meeting_twice_adds_it_once(nav_app, desk):
    url = nav_app["url"]
    with db.session(url) as s:
        before = s.scalar(select(func.count()).select_from(Meeting))
    open_page(desk, nav_app["base"], "/settings", "設定")
    desk.get_by_label("タイトル").fill("北海道生活困窮者支援ネットワーク 臨時の情報交換会")
    desk.get_by_role("spinbutton", name="year, 開催日").click()  # the date field's year, month, day
    desk.keyboard.type("20270305")
    button = desk.get_by_role("button", name="会を追加する")
    button.click()
    desk.get_by_text("会を追加しました").first.wait_for(timeout=30_000)
    settle_and_check(desk, "会を追加（1回目）")
    assert desk.get_by_label("タイトル").input_value() == ""  # the form starts empty again
    button.click()  # a second press on the emptied form
    settle_and_check(desk, "会を追加（2回目）")
    assert desk.get_by_text("開催日を選んでください").count() == 1
    with db.session(url) as s:
        assert s.scalar(select(func.count()).select_from(Meeting)) == before + 1
        added = s.scalars(select(Meeting).where(Meeting.title.like("%臨時%"))).all()
    assert len(added) == 1 and added[0].starts_at.date().isoformat() == "2027-03-05"
    assert selected_tab(desk) == ["会の管理"]
