"""The meeting report (報告レポート) in the secretariat's format, as Word, Markdown and printable HTML.

開催概要 (date, method, counts from attendance), 当日プログラム, one section per room from the
facilitators' notes, then 全体共有 and 次回について (kept in report_sections).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import AccessDenied, UserError
from facilitation.meetings.schedule import get_meeting, list_rooms, meeting_counts, time_range
from facilitation.roles import FACILITATOR, Viewer, require_secretariat
from facilitation.rosters.models import ReportSection
from facilitation.rosters.notes import FIELD_LABELS, notes_by_room, room_organisations, save_text_fields
from facilitation.storage.models import Assignment, Attendance, Registration, Room, utcnow
from facilitation.storage.settings import use_wareki
from facilitation.text import vocab
from facilitation.text.dates import format_date, ja_date, ja_time, now_jst
from facilitation.text.markup import escape_line

FONT = "游ゴシック"  # Word on the secretariat's Windows PCs; LibreOffice substitutes a CJK font
HTML_FONTS = '"Noto Sans CJK JP", "Noto Sans JP", "游ゴシック", "Yu Gothic", "Hiragino Sans", "Meiryo", sans-serif'
NOTE_PARTS = ("issues", "efforts", "requests", "summary")  # the per-room headings after 参加者
FORMATS = {".docx": "Word", ".md": "Markdown", ".html": "HTML"}
MIME = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".md": "text/markdown",
    ".html": "text/html",
}
SECTION_LABELS = {"overall": "全体共有", "next_meeting": "次回について"}


@dataclass
class RoomSection:
    name: str
    theme: str
    participants: str
    issues: str
    efforts: str
    requests: str
    summary: str


@dataclass
class ReportData:
    title: str
    date: str  # 2026年12月10日（木） 14:00〜16:30
    method: str
    total_line: str  # 合計56名（47機関：団体39(54)・自治体7(10)・国(1)）
    categories: list[tuple[str, int, int]]  # (団体 / 自治体 / 国, 機関, 名)
    modes: list[tuple[str, int]]  # (オンライン / 会場, 名) when more than one
    program: list[tuple[str, str]]  # (time, item)
    rooms: list[RoomSection]
    overall: str
    next_meeting: str
    generated_at: str
    problems: list[str] = field(default_factory=list)  # what is still missing, in Japanese
    count_note: str = ""  # the basis of 参加者数, and the rooms it leaves out (printed under it)


# --- sections kept for the report ---

def get_sections(session: Session, meeting_id: int) -> dict[str, str]:
    """{"overall": 全体共有, "next_meeting": 次回について} ("" when not written yet)."""
    row = session.scalar(select(ReportSection).where(ReportSection.meeting_id == meeting_id))
    return {"overall": row.overall if row else "", "next_meeting": row.next_meeting if row else ""}


def save_sections(session: Session, viewer: Viewer, meeting_id: int, **values: str) -> dt.datetime:
    """Save 全体共有 (overall) and/or 次回について (next_meeting); only the given fields are written."""
    require_secretariat(viewer, "全体共有・次回については事務局が記入します。")
    unknown = set(values) - set(SECTION_LABELS)
    if unknown:
        raise UserError(f"レポートの項目「{'、'.join(sorted(unknown))}」はありません。")
    get_meeting(session, meeting_id)
    return save_text_fields(session, viewer, ReportSection, "meeting_id", meeting_id, values)


# --- building ---

def _method(meeting) -> str:
    """「オンライン（Zoom）」「会場（札幌市）」: the format once, even when the venue repeats it."""
    fmt = (meeting.format or "").strip()
    venue = (meeting.venue or "").strip()
    if fmt:  # 「Zoom（オンライン）」 as the venue of an online meeting: the format is said outside
        venue = re.sub(rf"\s*[（(]\s*{re.escape(fmt)}\s*[）)]\s*", "", venue).strip()
    if fmt == "オンライン":
        return f"オンライン（{venue or 'Zoom'}）" if venue != fmt else fmt
    if not venue or venue == fmt:
        return fmt
    return f"{fmt}（{venue}）" if fmt else venue


def build_report(session: Session, viewer: Viewer, meeting_id: int, now: dt.datetime | None = None) -> ReportData:
    """Everything the report says, as data. Counts are of registrations marked 出席.

    The report names organisations, never people; facilitators (scoped to one room) are refused.
    """
    if viewer.role == FACILITATOR:
        raise AccessDenied("報告レポートは事務局が作成します。")
    meeting = get_meeting(session, meeting_id)
    counts = meeting_counts(session, meeting_id, statuses=(vocab.STATUS_ATTENDED,))
    problems = []
    if counts.people == 0:
        problems.append("出席の記録がまだないため、参加者数は0名になっています。")
    placed, marked = _rooms_with_attendance(session, meeting_id)
    categories = [(c, counts.orgs_by_category.get(c, 0), counts.by_category.get(c, 0))
                  for c in vocab.COUNT_CATEGORIES if counts.by_category.get(c, 0)]
    modes = sorted(counts.by_mode.items(), key=lambda kv: vocab.ATTENDANCE_MODES.index(kv[0])
                   if kv[0] in vocab.ATTENDANCE_MODES else 9)
    rooms = list_rooms(session, meeting_id)
    notes = notes_by_room(session, meeting_id)
    sections = []
    unmarked = [room.name for room in rooms if room.id in placed and room.id not in marked]
    count_note = "参加者数は、出席の記録（出席・遅刻・途中退室）がある方を数えています。"
    if unmarked and counts.people:
        count_note += (f"{'・'.join(unmarked)}は出席の記録がまだないため、この数に含まれていません"
                       "（参加者の欄は割り当てどおりです）。")
        problems.append(f"出席の記録がまだないルームがあります: {'・'.join(unmarked)}。"
                        "参加者数に含まれていないため、出席を記録してください。")
    today = ((now or utcnow()) + dt.timedelta(hours=9)).date()  # `now`: naive UTC
    if meeting.starts_at.date() > today:
        problems.append(f"この会の開催日（{ja_date(meeting.starts_at)}）はまだ先です。"
                        "いまの出席の記録は開催前に付けられたものです。")
    for room in rooms:
        note = notes.get(room.id)
        participants = (note.participants if note else "") or "、".join(
            room_organisations(session, room.id, attended_only=True))
        if room.name in unmarked and participants and not (note and note.participants):
            participants += "（出席の記録なし・割り当てどおり）"
        if note is None or not any(getattr(note, k) for k in NOTE_PARTS):
            problems.append(f"{room.name}の記録がまだありません。")
        sections.append(RoomSection(
            name=room.name, theme=(note.theme if note else "") or room.theme, participants=participants,
            **{k: (getattr(note, k) if note else "") or "" for k in NOTE_PARTS},
        ))
    extra = get_sections(session, meeting_id)
    number = f"第{meeting.number}回 " if meeting.number else ""
    wareki, made = use_wareki(session), now_jst()  # 和暦 or 西暦: the secretariat's setting in 設定
    return ReportData(
        title=f"{number}{meeting.title} 報告レポート",
        date=f"{format_date(meeting.starts_at, wareki)} {time_range(meeting)}",
        method=_method(meeting),
        total_line=f"合計{counts.line}",
        categories=categories,
        modes=modes if len(modes) > 1 else [],
        program=[(str(p.get("time", "")), str(p.get("item", ""))) for p in (meeting.program or [])
                 if isinstance(p, dict)],
        rooms=sections,
        overall=extra["overall"],
        next_meeting=extra["next_meeting"],
        generated_at=format_date(made, wareki) + ja_time(made),
        problems=problems,
        count_note=count_note,
    )


def _rooms_with_attendance(session: Session, meeting_id: int) -> tuple[set[int], set[int]]:
    """(rooms with someone placed who did not cancel, rooms where someone's attendance is marked)."""
    rows = session.execute(
        select(Assignment.room_id, Attendance.mark).join(Room, Assignment.room_id == Room.id)
        .join(Registration, Assignment.registration_id == Registration.id)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(Room.meeting_id == meeting_id, Registration.status != vocab.STATUS_CANCELLED)).all()
    return {r for r, _ in rows}, {r for r, mark in rows if mark}


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in (text or "").splitlines() if ln.strip()]


def _program_line(i: int, time: str, item: str) -> str:
    return f"{i}. {time}〜 {item}" if time else f"{i}. {item}"


def _room_heading(room: RoomSection) -> str:
    return f"【{room.name}】{room.theme}" if room.theme else f"【{room.name}】"


# --- Word ---

def _east_asian_fonts(doc, font: str = FONT) -> None:
    """Set the Japanese (w:eastAsia) font on the document defaults and every style, theme fonts removed.

    Without this Word falls back to a Latin theme font and Japanese may render as boxes.
    """
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def fix(rpr) -> None:
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia"):
            fonts.set(qn(attr), font)
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:eastAsia"), "ja-JP")

    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr_default = defaults.find(qn("w:rPrDefault"))
        if rpr_default is not None and rpr_default.find(qn("w:rPr")) is not None:
            fix(rpr_default.find(qn("w:rPr")))
    for style in doc.styles:
        element = style.element
        if element.get(qn("w:type")) in ("paragraph", "character", "table"):
            fix(element.get_or_add_rPr())


def to_docx(data: ReportData) -> bytes:
    """The report as a Word document (A4, Japanese fonts set on every style)."""
    from docx import Document
    from docx.shared import Mm, Pt

    doc = Document()
    _east_asian_fonts(doc)
    doc.styles["Normal"].font.size = Pt(10.5)
    for section in doc.sections:
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(18)
    doc.core_properties.title = data.title
    doc.add_heading(data.title, level=0)

    doc.add_heading("【開催概要】", level=1)
    for name, value in (("開催日時", data.date), ("開催方法", data.method), ("参加者数", data.total_line)):
        p = doc.add_paragraph()
        p.add_run(f"【{name}】").bold = True
        p.add_run(value)
    if data.count_note:
        doc.add_paragraph(f"※{data.count_note}")
    if data.categories:
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("区分", "機関数", "人数"), strict=True):
            cell.text = text
        for cat, orgs, people in data.categories:
            cells = table.add_row().cells
            cells[0].text = cat
            cells[1].text = f"{orgs}機関" if cat != vocab.CATEGORY_NATIONAL else "―"
            cells[2].text = f"{people}名"
    if data.modes:
        doc.add_paragraph("参加方法：" + "・".join(f"{m} {n}名" for m, n in data.modes))

    doc.add_heading("【当日プログラム】", level=1)
    for i, (time, item) in enumerate(data.program, 1):
        doc.add_paragraph(_program_line(i, time, item))

    doc.add_heading("【ブレイクアウトルーム】", level=1)
    for room in data.rooms:
        doc.add_heading(_room_heading(room), level=2)
        p = doc.add_paragraph()
        p.add_run(f"{FIELD_LABELS['participants']}：").bold = True
        p.add_run(room.participants)
        for part in NOTE_PARTS:
            p = doc.add_paragraph()
            p.add_run(f"【{FIELD_LABELS[part]}】").bold = True
            for line in _lines(getattr(room, part)) or ["（記録なし）"]:
                doc.add_paragraph(line)

    for key, title in SECTION_LABELS.items():
        doc.add_heading(f"【{title}】", level=1)
        for line in _lines(getattr(data, key)) or ["（記録なし）"]:
            doc.add_paragraph(line)
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = f"{data.title}（{data.generated_at} 作成）"
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --- Markdown ---

def _md(text: str) -> str:
    """One line of user text, shown literally (no image fetched, no link, no HTML): text.markup."""
    return escape_line(" ".join(str(text).splitlines()))


def _md_block(text: str) -> list[str]:
    lines = _lines(text)
    return [f"- {_md(ln.lstrip('・●- '))}" if ln[:1] in "・●-" else _md(ln) + "  " for ln in lines] or ["（記録なし）"]


def to_markdown(data: ReportData) -> str:
    """The report as Markdown (user text escaped)."""
    out = [f"# {_md(data.title)}", "", "## 開催概要", "",
           f"- **開催日時**：{_md(data.date)}", f"- **開催方法**：{_md(data.method)}",
           f"- **参加者数**：{_md(data.total_line)}", *([f"  - ※{_md(data.count_note)}"] if data.count_note else []), ""]
    if data.categories:
        out += ["| 区分 | 機関数 | 人数 |", "| --- | ---: | ---: |"]
        out += [f"| {c} | {o if c != vocab.CATEGORY_NATIONAL else '―'} | {n} |" for c, o, n in data.categories]
        out.append("")
    if data.modes:
        out += ["参加方法：" + "・".join(f"{m} {n}名" for m, n in data.modes), ""]
    out += ["## 当日プログラム", ""]
    out += [_md(_program_line(i, t, item)) for i, (t, item) in enumerate(data.program, 1)]
    out += ["", "## ブレイクアウトルーム", ""]
    for room in data.rooms:
        out += [f"### {_md(_room_heading(room))}", "", f"**{FIELD_LABELS['participants']}**：{_md(room.participants)}", ""]
        for part in NOTE_PARTS:
            out += [f"**{FIELD_LABELS[part]}**", "", *_md_block(getattr(room, part)), ""]
    for key, title in SECTION_LABELS.items():
        out += [f"## {title}", "", *_md_block(getattr(data, key)), ""]
    out.append(f"*{_md(data.generated_at)} 作成*")
    return "\n".join(out) + "\n"


# --- HTML ---

CSS = f"""
body {{ font-family: {HTML_FONTS}; line-height: 1.7; max-width: 46em; margin: 2em auto; padding: 0 1em;
       color: #222; }}
h1 {{ font-size: 1.5em; border-bottom: 2px solid #333; padding-bottom: .2em; }}
h2 {{ font-size: 1.2em; margin-top: 1.6em; background: #f1f3f5; padding: .2em .5em; }}
h3 {{ font-size: 1.05em; margin-top: 1.4em; border-left: 4px solid #4a6fa5; padding-left: .5em; }}
h4 {{ font-size: 1em; margin: .8em 0 .2em; }}
table {{ border-collapse: collapse; margin: .5em 0; }}
td, th {{ border: 1px solid #999; padding: .2em .8em; }}
td.n {{ text-align: right; }}
p, li {{ margin: .2em 0; }}
.room {{ break-inside: avoid-page; }}
.meta {{ color: #666; font-size: .85em; }}
@media print {{
  @page {{ size: A4; margin: 16mm; }}
  body {{ margin: 0; max-width: none; font-size: 10.5pt; }}
  h2, h3, h4 {{ break-after: avoid-page; }}
  .room {{ break-inside: avoid-page; }}
  .no-print {{ display: none; }}
}}
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _html_block(text: str) -> str:
    lines = _lines(text)
    if not lines:
        return "<p>（記録なし）</p>"
    return "\n".join(f"<p>{_h(ln)}</p>" for ln in lines)


def to_html(data: ReportData) -> str:
    """The report as one printable HTML page (every user text escaped; @media print for A4)."""
    parts = [
        "<!DOCTYPE html>", '<html lang="ja">', "<head>", '<meta charset="utf-8">',
        f"<title>{_h(data.title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>{_h(data.title)}</h1>", "<h2>開催概要</h2>",
        f"<p><strong>【開催日時】</strong>{_h(data.date)}</p>",
        f"<p><strong>【開催方法】</strong>{_h(data.method)}</p>",
        f"<p><strong>【参加者数】</strong>{_h(data.total_line)}</p>",
        *([f"<p><small>※{_h(data.count_note)}</small></p>"] if data.count_note else []),
    ]
    if data.categories:
        rows = "".join(
            f"<tr><td>{_h(c)}</td><td class='n'>{'―' if c == vocab.CATEGORY_NATIONAL else f'{o}機関'}</td>"
            f"<td class='n'>{n}名</td></tr>" for c, o, n in data.categories)
        parts.append(f"<table><tr><th>区分</th><th>機関数</th><th>人数</th></tr>{rows}</table>")
    if data.modes:
        parts.append("<p>参加方法：" + _h("・".join(f"{m} {n}名" for m, n in data.modes)) + "</p>")
    parts.append("<h2>当日プログラム</h2><ol>")
    parts += [f"<li>{_h(f'{t}〜 {item}' if t else item)}</li>" for t, item in data.program]
    parts.append("</ol><h2>ブレイクアウトルーム</h2>")
    for room in data.rooms:
        parts.append(f'<section class="room"><h3>{_h(_room_heading(room))}</h3>')
        parts.append(f"<p><strong>{FIELD_LABELS['participants']}：</strong>{_h(room.participants)}</p>")
        for part in NOTE_PARTS:
            parts.append(f"<h4>【{FIELD_LABELS[part]}】</h4>{_html_block(getattr(room, part))}")
        parts.append("</section>")
    for key, title in SECTION_LABELS.items():
        parts.append(f"<h2>{title}</h2>{_html_block(getattr(data, key))}")
    parts += [f'<p class="meta">{_h(data.generated_at)} 作成</p>', "</body>", "</html>"]
    return "\n".join(parts) + "\n"


def render(data: ReportData, suffix: str) -> bytes:
    """The report in the format named by a file suffix (.docx / .md / .html)."""
    suffix = suffix.lower()
    if suffix == ".docx":
        return to_docx(data)
    if suffix == ".md":
        return to_markdown(data).encode("utf-8")
    if suffix in (".html", ".htm"):
        return to_html(data).encode("utf-8")
    raise UserError(f"報告レポートの形式「{suffix or '（拡張子なし）'}」には対応していません（.docx / .md / .html）。")


def file_name(data: ReportData, suffix: str) -> str:
    """「第3回_…_報告レポート.docx」 without characters Windows refuses in file names."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", data.title).strip("_")
    return f"{stem}{suffix}"


def write(data: ReportData, path: Path) -> Path:
    path.write_bytes(render(data, path.suffix))
    return path

