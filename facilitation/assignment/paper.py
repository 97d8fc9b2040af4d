"""Paper for the venue of a hybrid or in-person meeting, from the saved assignment's roster.

- attendance sheets: one A4 page per room (No, 氏名, ふりがな, 所属, 署名 column);
- name cards (名札): organisation and name in large type, eight cards to an A4 page, cut lines;
- a reception list sorted by ふりがな (katakana read as hiragana; people without ふりがな last).

Each as printable HTML (A4 via @page) and the lists also as .xlsx: a Japanese font, A4 portrait
fitted to the page width, header rows repeated on every printed page. No e-mail addresses: paper
gets left on tables.
"""

from __future__ import annotations

import html
import io
import unicodedata
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from facilitation.assignment.exports import Roster, RosterEntry
from facilitation.files.exports import FONT, a4_page, safe_cell, sheet_name

_CSS_FONT = "'BIZ UDPGothic','Yu Gothic','游ゴシック','Hiragino Sans','Noto Sans JP',sans-serif"
_THIN = Side(style="thin", color="666666")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def kana_key(entry: RosterEntry) -> tuple[int, str, str]:
    """Sort key by ふりがな: katakana as hiragana, width-normalised; without ふりがな, last by name."""
    reading = unicodedata.normalize("NFKC", entry.furigana or "").replace(" ", "").replace("　", "")
    reading = "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in reading)
    return (0 if reading else 1, reading, entry.name)


def _room_of(roster: Roster) -> dict[str, str]:
    return {r.id: r.name for r in roster.rooms}


# --- rows, shared by HTML and Excel ---

ATTENDANCE_COLUMNS = ("No", "氏名", "ふりがな", "所属", "署名")
ATTENDANCE_WIDTHS = (5, 18, 18, 34, 24)
RECEPTION_COLUMNS = ("No", "ふりがな", "氏名", "所属", "ルーム", "受付")
RECEPTION_WIDTHS = (5, 18, 16, 32, 22, 7)


def attendance_rows(roster: Roster, room_id: str) -> list[tuple]:
    members = roster.members(room_id)
    return [(k, e.name + ("（ファシリテーター）" if e.facilitator else ""), e.furigana, e.org, "")
            for k, e in enumerate(members, start=1)]


def reception_rows(roster: Roster) -> list[tuple]:
    rooms = _room_of(roster)
    people = sorted(roster.entries, key=kana_key)
    return [(k, e.furigana, e.name, e.org, rooms.get(e.room_id, ""), "□") for k, e in enumerate(people, start=1)]


# --- HTML ---

def _page(title: str, body: str, extra_css: str = "") -> str:
    css = (f"@page{{size:A4 portrait;margin:12mm}}body{{font-family:{_CSS_FONT};margin:0;color:#000}}"
           "h1{font-size:15pt;margin:0 0 2mm}h2{font-size:13pt;margin:0 0 2mm}p.meta{font-size:10pt;margin:0 0 3mm}"
           "table{border-collapse:collapse;width:100%}thead{display:table-header-group}"
           "th,td{border:1px solid #555;padding:2mm 2mm;font-size:10.5pt;text-align:left;vertical-align:middle}"
           "th{background:#eee}td.sign{width:45mm}td.no{width:9mm;text-align:right}td.mark{width:12mm;text-align:center}"
           "section.sheet{break-after:page;page-break-after:always}section.sheet:last-child{break-after:auto}"
           "@media screen{body{margin:8mm;background:#f4f4f4}section.sheet{background:#fff;padding:10mm;"
           "margin-bottom:8mm;box-shadow:0 0 3px #999;max-width:186mm}}" + extra_css)
    return (f"<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{css}</style></head><body>{body}</body></html>")


def _table(columns: Sequence[str], rows: list[tuple], classes: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td class='{cls}'>{html.escape(str(v))}</td>" for cls, v in zip(classes, row, strict=True))
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def attendance_html(roster: Roster, meeting_line: str) -> str:
    """One A4 sheet per room: who is expected, with a column to sign."""
    esc = html.escape
    parts = []
    for r in roster.rooms:
        rows = attendance_rows(roster, r.id)
        parts.append(f"<section class='sheet'><h1>出席表　{esc(r.name)}</h1>"
                     f"<p class='meta'>{esc(meeting_line)}　テーマ: {esc(r.theme or r.name)}　{len(rows)}名</p>"
                     + _table(ATTENDANCE_COLUMNS, rows, ("no", "", "", "", "sign")) + "</section>")
    return _page(f"出席表 {meeting_line}", "".join(parts) or "<p>まだ割り当てがありません。</p>")


def reception_html(roster: Roster, meeting_line: str) -> str:
    """Everyone, sorted by ふりがな, with their room and a box to tick at the reception desk."""
    rows = reception_rows(roster)
    missing = sum(1 for e in roster.entries if not e.furigana)
    note = f"　ふりがなのない {missing} 名は最後に氏名順で並べています。" if missing else ""
    body = (f"<section class='sheet'><h1>受付名簿</h1><p class='meta'>{html.escape(meeting_line)}　"
            f"{len(rows)}名（ふりがな順）{note}</p>"
            + _table(RECEPTION_COLUMNS, rows, ("no", "", "", "", "", "mark")) + "</section>")
    return _page(f"受付名簿 {meeting_line}", body)


def name_cards_html(roster: Roster, meeting_line: str) -> str:
    """名札: organisation above, name in large type, eight 90×65 mm cards per A4 page with cut lines."""
    esc = html.escape
    rooms = _room_of(roster)
    people = sorted(roster.entries, key=lambda e: (rooms.get(e.room_id, ""), kana_key(e)))
    cards = [f"<div class='card'><div class='org'>{esc(e.org)}</div><div class='name'>{esc(e.name)}</div>"
             f"<div class='room'>{esc(rooms.get(e.room_id, ''))}</div></div>" for e in people]
    pages = ["<section class='cards'>" + "".join(cards[i:i + 8]) + "</section>" for i in range(0, len(cards), 8)]
    css = ("section.cards{display:grid;grid-template-columns:90mm 90mm;grid-auto-rows:65mm;gap:0;"
           "break-after:page;page-break-after:always}section.cards:last-child{break-after:auto}"
           ".card{border:1px dashed #888;box-sizing:border-box;padding:6mm 5mm;display:flex;flex-direction:column;"
           "justify-content:center;text-align:center;overflow:hidden}"
           ".org{font-size:13pt;line-height:1.3}.name{font-size:30pt;font-weight:bold;margin:3mm 0;line-height:1.2}"
           ".room{font-size:9pt;color:#444}"
           "@media screen{section.cards{background:#fff;margin-bottom:8mm;box-shadow:0 0 3px #999;width:180mm}}")
    return _page(f"名札 {meeting_line}", "".join(pages) or "<p>まだ割り当てがありません。</p>", css)


# --- Excel ---

def _a4_sheet(ws: Worksheet, title: str, meta: str, columns: Sequence[str], widths: Sequence[int],
              rows: list[tuple], tall: bool = False) -> None:
    """Title, a meta line, a header row (repeated on every page), boxed rows; A4 fitted to width."""
    for c in range(1, len(columns) + 1):  # the title rows' empty cells too, so every printed cell is Japanese
        ws.cell(row=1, column=c).font = Font(name=FONT, size=14, bold=True)
        ws.cell(row=2, column=c).font = Font(name=FONT, size=10)
    ws["A1"] = safe_cell(title)
    ws["A2"] = safe_cell(meta)
    for i, (name, width) in enumerate(zip(columns, widths, strict=True), start=1):
        cell = ws.cell(row=3, column=i, value=name)
        cell.font = Font(name=FONT, size=10.5, bold=True)
        cell.fill = PatternFill("solid", fgColor="EEEEEE")
        cell.border = _BOX
        ws.column_dimensions[get_column_letter(i)].width = width
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            cell = ws.cell(row=r, column=c, value=safe_cell(value))
            cell.font = Font(name=FONT, size=10.5)
            cell.border = _BOX
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        if tall:
            ws.row_dimensions[r].height = 28  # room to sign
    a4_page(ws, "3:3")


def _save(wb: Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def attendance_xlsx(roster: Roster, meeting_line: str) -> bytes:
    """One sheet per room, each an A4 attendance sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for r in roster.rooms:
        rows = attendance_rows(roster, r.id)
        _a4_sheet(wb.create_sheet(sheet_name(r.name, used)), f"出席表　{r.name}",
                  f"{meeting_line}　テーマ: {r.theme or r.name}　{len(rows)}名",
                  ATTENDANCE_COLUMNS, ATTENDANCE_WIDTHS, rows, tall=True)
    if not wb.worksheets:
        wb.create_sheet("出席表")["A1"] = "まだ割り当てがありません。"
    return _save(wb)


def reception_xlsx(roster: Roster, meeting_line: str) -> bytes:
    wb = Workbook()
    rows = reception_rows(roster)
    ws = wb.active
    ws.title = "受付名簿"
    _a4_sheet(ws, "受付名簿", f"{meeting_line}　{len(rows)}名（ふりがな順）", RECEPTION_COLUMNS, RECEPTION_WIDTHS, rows)
    return _save(wb)
