"""Paper for the venue: attendance sheets, name cards and the reception list, read back and printed."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from facilitation.assignment import paper, service
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage import db
from facilitation.storage.models import Person
from tests.mail_world import build

LINE = "第3回 情報交換会（2026年12月10日（木））"
READINGS = {0: "サトウ ヨウコ", 1: "すずき ようこ", 2: "たかはし ようこ", 3: "タナカ ヨウコ", 4: "いとう ようこ",
            5: "ワタナベ ヨウコ", 6: "やまもと ようこ", 7: "なかむら ようこ", 8: "こばやし ようこ"}  # 9–11: none


@pytest.fixture(scope="module")
def roster(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('paper') / 'p.sqlite3'}"
    mid = build(url, people=12)
    with db.session(url) as s:
        for p in s.scalars(select(Person)):
            k = int(p.email[6:9])
            p.furigana = READINGS.get(k, "")
        s.flush()
        return service.roster(s, SECRETARIAT_LOCAL, mid)


def test_reception_list_is_in_kana_order_with_the_unread_last(roster):
    rows = paper.reception_rows(roster)
    readings = [r[1] for r in rows]
    assert readings[:9] == ["いとう ようこ", "こばやし ようこ", "サトウ ヨウコ", "すずき ようこ",
                            "たかはし ようこ", "タナカ ヨウコ", "なかむら ようこ", "やまもと ようこ", "ワタナベ ヨウコ"]
    assert readings[9:] == ["", "", ""] and [r[0] for r in rows] == list(range(1, 13))
    html = paper.reception_html(roster, LINE)
    assert "ふりがなのない 3 名は最後に氏名順で並べています" in html and "@example.org" not in html


def test_attendance_workbook_is_a4_with_repeated_headers_and_a_japanese_font(roster):
    wb = openpyxl.load_workbook(io.BytesIO(paper.attendance_xlsx(roster, LINE)))
    assert wb.sheetnames == [r.name for r in roster.rooms]
    for ws, room in zip(wb.worksheets, roster.rooms, strict=True):
        assert ws["A1"].value == f"出席表　{room.name}"
        assert [c.value for c in ws[3]] == list(paper.ATTENDANCE_COLUMNS)
        assert ws.print_title_rows == "$3:$3"
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "portrait"
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert {c.font.name for row in ws.iter_rows() for c in row} == {paper.FONT}  # empty cells too
        names = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
        assert len(names) == 3 and names[0].endswith("（ファシリテーター）")
        assert all(ws.cell(row=r, column=5).value is None for r in range(4, ws.max_row + 1))  # to sign
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v]
    assert not any("@example.org" in c for c in cells)
    wb = openpyxl.load_workbook(io.BytesIO(paper.reception_xlsx(roster, LINE)))
    ws = wb["受付名簿"]
    assert ws.max_row == 3 + 12 and ws.print_title_rows == "$3:$3" and ws["B4"].value == "いとう ようこ"


def _pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.mark.timeout(120)
def test_printed_pages_in_chromium(roster, browser, tmp_path, output_dir):
    page = browser.new_context(viewport={"width": 900, "height": 1200}, locale="ja-JP").new_page()
    for name, text, pages in (("attendance", paper.attendance_html(roster, LINE), 4),
                              ("name_cards", paper.name_cards_html(roster, LINE), 2),
                              ("reception", paper.reception_html(roster, LINE), 1)):
        path = tmp_path / f"{name}.html"
        path.write_text(text, encoding="utf-8")
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        assert _pdf_pages(page.pdf(format="A4", prefer_css_page_size=True)) == pages, name
        page.emulate_media(media="screen")
        page.screenshot(path=str(output_dir / f"paper_{name}.png"), full_page=True)
    # Name cards: 90 mm wide (340 px at 96 dpi), the name in large type.
    page.goto((tmp_path / "name_cards.html").as_uri())
    page.emulate_media(media="print")
    box = page.locator(".card").first.bounding_box()
    assert abs(box["width"] - 90 / 25.4 * 96) < 2 and abs(box["height"] - 65 / 25.4 * 96) < 2
    size = page.locator(".card .name").first.evaluate("e => getComputedStyle(e).fontSize")
    assert size == "40px"  # 30 pt
    assert page.locator(".card").count() == 12
