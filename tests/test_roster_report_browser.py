"""ルーム名簿 › レポート・Zoom出席 in a real browser: the report is built after the import (issue 22).

The secretariat uploads Zoom's participant report and, at once, downloads the Word report: its
【参加者数】 must be the count now stored (it once said 「合計0名」, built before the import in the
same run). The screen's 参加者数 line, the database and the three downloads must agree.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import live, report
from facilitation.storage import db
from facilitation.storage.models import Registration
from tests.browser_checks import settle_and_check
from tests.conftest import place_upcoming, served_demo

WAIT = 60_000


@pytest.fixture(scope="module")
def report_app(demo_url, tmp_path_factory):
    with served_demo(demo_url, tmp_path_factory.mktemp("roster_report"), prepare=place_upcoming) as app:
        yield app


def zoom_csv(people: list[tuple[str, str]]) -> bytes:
    """Zoom's participant report (Japanese UI) for these (name, e-mail): 45 minutes each."""
    lines = ["ミーティングID,トピック,開始時刻,終了時刻,ユーザーメール,期間（分）,参加者",
             f"812 3456 7890,情報交換会,2026/12/10 13:45:02,2026/12/10 16:35:40,office@example.org,171,{len(people)}",
             "", "名前（元の名前）,ユーザーメール,参加時刻,退出時刻,期間（分）,ゲスト,録画の同意,待機室で"]
    lines += [f"{name},{email},2026/12/10 14:00:00,2026/12/10 14:45:00,45,いいえ,はい,いいえ" for name, email in people]
    return ("\ufeff" + "\n".join(lines) + "\n").encode("utf-8")


def docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    return re.sub(r"<[^>]+>", "", xml.replace("</w:p>", "\n"))


@pytest.mark.timeout(300)
def test_report_downloaded_right_after_a_zoom_import_counts_the_import(report_app, desk, tmp_path):
    url, world = report_app["url"], report_app["world"]
    meeting_id = world["meeting_id"]
    placed = [r for regs in world["placed"].values() for r in regs]
    with db.session(url) as s:
        regs = s.scalars(select(Registration).where(Registration.id.in_(placed))).all()
        people = [(r.person.name, r.person.email) for r in regs]
        before = report.build_report(s, SECRETARIAT_LOCAL, meeting_id)
        assert not live.marks_of(s, meeting_id)  # nobody marked yet
    file = tmp_path / "participants.csv"
    file.write_bytes(zoom_csv(people))

    page = desk
    page.goto(f"{report_app['base']}/roster?meeting={meeting_id}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="ルーム名簿").first.wait_for(timeout=WAIT)
    page.get_by_role("radio", name="レポート・Zoom出席").or_(page.get_by_text("レポート・Zoom出席", exact=True)).first.click()
    page.get_by_text("参加者数：").first.wait_for(timeout=WAIT)
    settle_and_check(page, "レポート・Zoom出席を開く")
    shown_before = page.get_by_text(re.compile("^参加者数：")).first.inner_text()
    assert shown_before == f"参加者数：{before.total_line}"

    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(file)
    page.get_by_role("button", name="取り込んで出席を記録する").click()
    page.get_by_text(f"出席を記録 {len(people)}名").first.wait_for(timeout=WAIT)
    settle_and_check(page, "Zoom の参加者レポートを取り込む")

    with db.session(url) as s:  # the database after the write
        marks = live.marks_of(s, meeting_id)
        stored = report.build_report(s, SECRETARIAT_LOCAL, meeting_id)
    assert sorted(marks) == sorted(placed) and set(marks.values()) == {"出席"}
    assert stored.total_line != before.total_line  # the import changed the counts

    # The screen, at once (no switching away and back), says what is stored.
    assert page.get_by_text(re.compile("^参加者数：")).first.inner_text() == f"参加者数：{stored.total_line}"
    with page.expect_download(timeout=WAIT) as info:
        page.get_by_role("button", name=re.compile(r"（\.docx）をダウンロード")).click()
    word = docx_text(Path(info.value.path()).read_bytes())
    assert "合計0名" not in word
    assert stored.total_line in word, word[:500]
    with page.expect_download(timeout=WAIT) as info:
        page.get_by_role("button", name=re.compile(r"（\.html）をダウンロード")).click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    assert f"【参加者数】</strong>{stored.total_line}" in html
