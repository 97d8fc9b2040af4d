"""The 横断検索 page in a real browser (issue 26): 「ひきこもり」 typed finds notes written 「引きこもり」
and 「引き籠り」, highlighted, as the secretariat; then through 「委員会の表示で確認」 the same search
shows those passages without the participant's name, and the chat only as a count."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from facilitation.openchat import store as chat_store
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import notes
from facilitation.storage import db
from facilitation.storage.models import Meeting, Person, Registration, Room
from tests.browser_checks import english_on_screen, settle_and_check
from tests.conftest import served_demo
from ui.auth import PREVIEW_BANNER

DATA = Path(__file__).parent / "data"
CHAT_QUESTION = "ひきこもりの方の家族支援、皆さんどうしていますか？"
ISSUE = "引きこもりの若者の居場所づくりが課題。"


def written_variants(url: str) -> dict:
    """A past meeting's room notes in two spellings, one naming a participant of that meeting."""
    with db.session(url) as s:
        meeting = s.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at.desc())).first()
        room = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).first()
        name = s.scalars(select(Person.name).join(Registration, Registration.person_id == Person.id)
                         .where(Registration.meeting_id == meeting.id).order_by(Person.id)).first()
        notes.save_note(s, SECRETARIAT_LOCAL, room.id, {
            "issues": ISSUE, "summary": f"{name}さんから、引き籠りの方の家族会を始めた報告がありました。"})
        chat_store.import_bytes(s, SECRETARIAT_LOCAL, (DATA / "openchat" / "ja_ios.txt").read_bytes(), "ja_ios.txt")
    return {"name": name, "surname": name.split(" ")[0]}


def search(page, words: str) -> str:
    box = page.get_by_label("検索する言葉")
    box.fill(words)
    page.get_by_role("button", name="検索", exact=True).click()
    page.get_by_text("の検索結果").first.wait_for(timeout=60_000)
    settle_and_check(page, f"検索「{words}」")
    return page.locator("body").inner_text()


@pytest.mark.timeout(600)
def test_search_finds_spelling_variants_for_the_secretariat_and_without_names_for_the_committee(
        demo_url, tmp_path_factory, desk):
    with served_demo(demo_url, tmp_path_factory.mktemp("search_browser"), prepare=written_variants) as app:
        world = app["world"]
        page = desk
        page.goto(app["base"] + "/search", wait_until="domcontentloaded")
        page.get_by_role("heading", name="横断検索").first.wait_for(timeout=60_000)
        settle_and_check(page, "横断検索")
        text = search(page, "ひきこもり")
        assert ISSUE in text
        assert f"{world['name']}さんから、引き籠りの方の家族会" in text  # the secretariat sees everything
        assert page.locator("strong", has_text="引き籠り").count() >= 1  # the hit is highlighted
        assert page.locator("strong", has_text="引きこもり").count() >= 1
        assert CHAT_QUESTION in search(page, "ひきこもり 皆さん")
        assert not english_on_screen(page)

        page.locator('[data-testid="stSidebar"]').get_by_text("委員会の表示で確認").click()
        page.get_by_text(PREVIEW_BANNER).wait_for(timeout=45_000)
        settle_and_check(page, "委員会の表示")
        text = search(page, "ひきこもり")
        assert ISSUE in text
        assert "（氏名）さんから、引き籠りの方の家族会" in text
        assert world["surname"] not in text.replace(PREVIEW_BANNER, "")
        text = search(page, "ひきこもり 皆さん")
        assert "皆さんどうしていますか" not in text and "5未満" in text  # the chat: a count only
        assert not english_on_screen(page)
