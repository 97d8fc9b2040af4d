"""Markdown and HTML typed by registrants and chat members are shown as text, never rendered (issue 14).

A registrant named `![x](http://127.0.0.1:PORT/pixel.png)` would make the secretariat's browser fetch
an image from that server (a tracking pixel); `[link](http://evil.example)` would be a clickable link.
A real app and Chromium visit 申込管理 (list, 保留の行), ルーム割り当て, ルーム名簿 and オープンチャット:
the pixel server must record no request and no link to evil.example may exist; the text itself shows.
"""

from __future__ import annotations

import http.server
import threading

import pytest
from sqlalchemy import select

from facilitation.openchat import store as chat_store
from facilitation.registrations.models import KeptAsideRow
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import notes, report
from facilitation.storage import db
from facilitation.storage.models import Person, Registration
from tests import streamlit_process
from tests.conftest import copy_database, place_upcoming
from ui.common import esc

LINK = "[link](http://evil.example)"


class _Pixel(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802
        _Pixel.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pixel():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pixel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture(scope="module")
def hostile_app(demo_url, pixel, tmp_path_factory):
    home = tmp_path_factory.mktemp("markup")
    url = copy_database(demo_url, home)
    w = place_upcoming(url)
    image = f"![x](http://127.0.0.1:{pixel}/pixel.png)"
    with db.session(url, actor="test") as s:
        room = w["rooms"][0]
        for rid in w["placed"][room][:2]:
            reg = s.get(Registration, rid)
            reg.org_text, reg.note = LINK, f"{LINK} <img src=http://127.0.0.1:{pixel}/html.png>"
        first = s.get(Registration, w["placed"][room][0])
        s.get(Person, first.person_id).name = image + "山田"
        s.get(Person, first.person_id).furigana = f"<img src=http://127.0.0.1:{pixel}/kana.png>やまだ"
        s.get(Person, s.get(Registration, w["placed"][room][1]).person_id).name = LINK + "佐々木"
        s.add(KeptAsideRow(meeting_id=w["meeting_id"], source="file", source_ref=f"{LINK}.csv", row_number=3,
                           raw={"氏名": image, "所属": LINK}, reason=f"「{image}」の行は所属が空です。{LINK}",
                           row_hash="h" * 64))
        chat = ("[LINE] どうねっとのトーク履歴\n保存日時：2024/03/01 21:15\n\n2024/01/14(日)\n"
                f"09:05\t\t{image}&佐藤が参加しました。\n"
                f"09:06\t{image}&佐藤\tはじめまして。{LINK} を見てください？\n"
                f"09:07\t{LINK}&田中\t{image} よろしくお願いします。\n")
        chat_store.import_bytes(s, SECRETARIAT_LOCAL, chat.encode(), f"{LINK}.txt")
        # The report's own fields and a room's notes (the report preview renders them as Markdown).
        report.save_sections(s, SECRETARIAT_LOCAL, w["meeting_id"], overall=f"{image} {LINK}",
                             next_meeting=f"- {image}\nhttp://127.0.0.1:{pixel}/bare.png")
        notes.save_note(s, SECRETARIAT_LOCAL, room, {"issues": f"・{image}\n{LINK}",
                                                     "summary": f"<img src=http://127.0.0.1:{pixel}/html.png>"})
        names = list(s.scalars(select(Person.name).where(Person.name.contains("evil"))))
    assert names
    app = streamlit_process.start(url, home / "streamlit.log")
    yield app.base
    streamlit_process.stop(app)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path,tabs", [
    ("registrations", ["申込者一覧", "保留の行"]),
    ("rooms", ["2. 希望の確認", "3. 決まりと実行", "4. 手直し", "5. 公開・書き出し"]),
    ("roster", []),
    ("openchat", ["概要", "機関・地域", "質問と回答", "メンバー確認", "投稿と削除"]),
])
def test_markup_from_people_is_shown_as_text(hostile_app, browser, pixel, path, tabs):
    _Pixel.hits.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{hostile_app}/{path}", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=45_000)
    page.wait_for_timeout(2500)
    for tab in tabs:
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(1500)
    page.mouse.wheel(0, 20000)
    page.wait_for_timeout(1000)
    assert page.locator('[data-testid="stException"]').count() == 0
    links = page.locator('a[href*="evil.example"]')
    assert links.count() == 0, [links.nth(i).evaluate("e => e.closest('[data-testid]').outerHTML.slice(0, 300)")
                                for i in range(links.count())]
    assert page.locator(f'img[src*="127.0.0.1:{pixel}"]').count() == 0
    assert _Pixel.hits == [], f"{path}: the browser fetched {_Pixel.hits}"
    html = page.content()
    context.close()
    assert "evil.example" in html or path == "rooms"  # the text is there, as text


@pytest.mark.timeout(300)
def test_room_roster_people_are_shown_as_text(hostile_app, browser, pixel):
    """ルーム名簿 → ルームごと → the room with the markup names: the people are drawn by one
    components v2 element (ui/roster_people.py) inside a shadow root; still no fetch, no link."""
    _Pixel.hits.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{hostile_app}/roster", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=45_000)
    page.get_by_text("ルームごと", exact=True).click()
    page.get_by_role("combobox", name="ルーム").click()
    page.get_by_role("option").first.click()
    group = page.get_by_role("radiogroup", name=f"{LINK}佐々木さんの出欠")  # Playwright reaches into shadow roots
    group.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.get_by_text(f"{LINK}佐々木", exact=True).count() == 1  # the name, as typed
    assert page.get_by_text(f"（<img src=http://127.0.0.1:{pixel}/kana.png>やまだ）").count() == 1
    assert page.get_by_role("radiogroup", name=f"![x](http://127.0.0.1:{pixel}/pixel.png)山田さんの出欠").count() == 1
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.locator(f'img[src*="127.0.0.1:{pixel}"]').count() == 0
    page.wait_for_timeout(1000)
    context.close()
    assert _Pixel.hits == [], f"the room roster fetched {_Pixel.hits}"


@pytest.mark.timeout(300)
def test_report_preview_shows_notes_as_text(hostile_app, browser, pixel):
    """ルーム名簿 → レポート・Zoom出席 → 「レポートの内容を確認する」: the report rendered as Markdown,
    with the notes, 全体共有 and 次回について people typed; nothing fetched, no link."""
    _Pixel.hits.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{hostile_app}/roster", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=45_000)
    page.get_by_text("レポート・Zoom出席", exact=True).click()
    page.get_by_text("レポートの内容を確認する").click()
    preview = page.locator('[data-testid="stExpander"]').filter(has_text="レポートの内容を確認する")
    preview.get_by_text("全体共有").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    text = preview.inner_text()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert f"![x](http://127.0.0.1:{pixel}/pixel.png)" in text.replace("\u2060", "")  # shown as typed
    assert "[link](http://evil.example)" in text.replace("\u2060", "")
    external = preview.locator('a[href*="//"]')  # headings carry their own #anchor links
    assert preview.locator("img").count() == 0
    assert external.count() == 0, [external.nth(i).get_attribute("href") for i in range(external.count())]
    assert page.locator('a[href*="evil.example"]').count() == 0
    page.wait_for_timeout(1000)
    context.close()
    assert _Pixel.hits == [], f"the report preview fetched {_Pixel.hits}"


def test_escape_helper_shows_text_literally():
    assert esc(LINK) == "\\[link\\](http\\:\u2060//evil.example)"
    assert esc("1. 一番目") == "1\\. 一番目"  # would become a numbered list
    assert esc("stranger@example.org（株）") == "stranger@example.org（株）"  # ordinary text unchanged
    assert esc("佐藤 陽子") == "佐藤 陽子"
    assert esc("一行目\n- 二行目") == "一行目  \n\\- 二行目"
    assert esc(None) == ""


@pytest.mark.timeout(300)
def test_privacy_search_lists_people_as_text(hostile_app, browser, pixel):
    """設定 › 権限・バックアップ・記録 › 個人情報の削除: the search lists registrants as radio options,
    which Streamlit draws as Markdown; the image name is shown as typed and nothing is fetched."""
    _Pixel.hits.clear()
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{hostile_app}/settings", wait_until="domcontentloaded")
    page.locator("h1").first.wait_for(timeout=45_000)
    page.get_by_role("tab", name="権限・バックアップ・記録").click()
    page.get_by_role("tab", name="個人情報の削除").click()
    search = page.get_by_label("氏名・ふりがな・メールアドレスで検索")
    search.fill("山田")
    search.press("Enter")
    radios = page.get_by_role("radiogroup", name="削除する方")
    radios.wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert f"![x](http://127.0.0.1:{pixel}/pixel.png)山田" in radios.inner_text().replace("\u2060", "")
    assert page.locator(f'img[src*="127.0.0.1:{pixel}"]').count() == 0
    context.close()
    assert _Pixel.hits == [], f"the privacy search fetched {_Pixel.hits}"
