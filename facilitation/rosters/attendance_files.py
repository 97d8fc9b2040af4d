"""What an attendance file is, and its rows: the one place that recognises the exports people send.

Recognised, each named to the person in Japanese with a confidence (0–1):
- Zoom's participant report (参加者レポート), Japanese or English, with or without the meeting summary
  on top, including the Japanese web UI's newer spellings (「参加時間」「退出時間」「メール」);
- the same report exported with 「重複しないユーザーを表示」 / "Show unique users": one row per person,
  a total duration, no join or leave times;
- Zoom's webinar attendee report (出席者レポート / Attendee Report): a summary block, then sections
  (Host / Panelist / Attendee Details, Other Attended) each with its own header, 「Attended」 Yes/No
  and 「Time in Session (minutes)」;
- Microsoft Teams' attendance report (meetingAttendanceReport): 「1. Summary / 2. Participants /
  3. In-Meeting Activities」 (「1. 要約 / 2. 参加者 / 3. 会議中のアクティビティ」), older files UTF-16
  with tabs, newer ones UTF-8 CSV; and the first Teams attendance list (2020), one row per join or
  leave: 「Full Name / User Action / Timestamp」.

Every non-blank row of the file is accounted for: read as attendance (a `ZoomRow`), recognised as a
title, summary, section or header row, folded into a person already read (Teams lists each join and
leave again under its activities), or listed with its row number and the reason.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from facilitation.errors import UserError
from facilitation.files import uploads
from facilitation.files.encoding import decode_bytes
from facilitation.text.normalize import clean, email_key, key, person_key, tidy

MAX_MINUTES = 30 * 60  # Zoom ends a meeting after 30 hours: a longer row is a corrupt value
XLSX_MAGIC = b"PK\x03\x04"

# Header spellings (compared by normalize.key) for each column read.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("名前（元の名前）", "名前 (元の名前)", "Name (original name)", "Name (Original Name)", "名前",
             "Name", "ユーザー名", "User Name", "User Name (Original Name)", "ユーザー名（元の名前）",
             "ユーザー名 (元の名前)", "Full Name", "フルネーム", "表示名"),
    "first": ("First Name", "名"),
    "last": ("Last Name", "姓"),
    "email": ("ユーザーメール", "User Email", "メール", "Email", "メールアドレス", "メール アドレス", "E-mail",
              "Email Address", "ユーザーのメールアドレス", "Participant ID (UPN)", "参加者 ID (UPN)", "UPN"),
    "join": ("参加時刻", "入室時刻", "Join time", "Join Time", "参加時間", "First Join", "最初の参加",
             "初めての参加", "First join"),
    "leave": ("退出時刻", "退室時刻", "Leave time", "Leave Time", "退出時間", "Last Leave", "最終退出", "Last leave"),
    "minutes": ("期間（分）", "期間 (分)", "時間（分）", "参加時間（分）", "所要時間（分）", "所要時間 (分)", "所要時間",
                "Duration (minutes)", "Duration (Minutes)", "Duration", "Time in Session (minutes)",
                "セッション時間（分）", "セッションの時間（分）", "セッション内の時間（分）",
                "Total Duration (Minutes)", "Total duration (minutes)", "合計期間（分）", "合計時間（分）",
                "合計所要時間（分）", "期間の合計（分）", "In-Meeting Duration", "In-meeting duration",
                "会議の長さ", "会議中の期間", "会議中の時間", "出席時間"),
    "guest": ("ゲスト", "Guest", "Is Guest"),
    "attended": ("Attended", "出席", "出席済み", "出席した"),
    "role": ("Role", "役割", "ロール"),
    "action": ("User Action", "ユーザーの操作", "ユーザー アクション", "操作"),
    "timestamp": ("Timestamp", "タイムスタンプ", "日時"),
}
_KEYS = {col: {key(s) for s in names} for col, names in COLUMNS.items()}
# A total over a person's sessions: the report was exported with "Show unique users".
_TOTAL_MINUTES = {key(s) for s in ("Total Duration (Minutes)", "Total duration (minutes)", "合計期間（分）",
                                   "合計時間（分）", "合計所要時間（分）", "期間の合計（分）")}
_TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
                 "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M",
                 "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M",
                 "%b %d, %Y %H:%M:%S", "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %I:%M %p", "%b %d, %Y %H:%M",
                 "%m/%d/%y, %I:%M:%S %p", "%m/%d/%Y, %I:%M:%S %p", "%m/%d/%y %I:%M:%S %p",
                 "%Y/%m/%d, %H:%M:%S", "%Y-%m-%dT%H:%M:%S")
_YES = {"yes", "はい", "true", "1", "y", "ゲスト"}
_NO = {"no", "いいえ", "false", "0", "n"}
_ORIGINAL = re.compile(r"^(.*?)\s*[(（]([^()（）]+)[)）]\s*$")
# Teams marks people from outside the organisation after their name: not an original name.
_GUEST_MARKS = {key(s) for s in ("ゲスト", "Guest", "外部", "External", "Unverified", "未確認")}

# Zoom webinar attendee report: title and section rows (first cell).
_WEBINAR_TITLES = {key(s) for s in ("Attendee Report", "出席者レポート", "Report Generated:", "レポート生成日時:",
                                    "レポート作成日時:")}
_WEBINAR_SECTIONS = {key(s): s for s in ("Host Details", "Panelist Details", "Attendee Details", "Other Attended",
                                         "Other Details", "ホストの詳細", "パネリストの詳細", "出席者の詳細",
                                         "その他の出席者", "その他の詳細")}
# Microsoft Teams attendance report: numbered section rows.
_TEAMS_SECTION = re.compile(r"^\s*([123])\s*[.．]\s*(.+?)\s*$")
_TEAMS_NAMES = {
    "1": ("summary", "meeting summary", "要約", "概要", "会議の概要"),
    "2": ("participants", "参加者", "出席者"),
    "3": ("in-meeting activities", "in-meeting activity", "会議中のアクティビティ", "会議内アクティビティ",
          "アクティビティ"),
}
_JAPANESE = re.compile(r"[ぁ-んァ-ン一-龥]")
# Teams durations: 「1h 5m 3s」「59m 35s」「1 時間 2 分 3 秒」「30 分 0 秒」.
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s|時間|分|秒)", re.IGNORECASE)


class AttendanceFileError(UserError):
    """A file that is not an attendance report we can read; Japanese message."""


@dataclass
class ZoomRow:
    """One person's row (or session) of an attendance file (1-based row number in the file)."""

    line: int
    display_name: str
    original_name: str
    email: str
    joined_at: dt.datetime | None
    left_at: dt.datetime | None
    minutes: int
    guest: bool


@dataclass
class Listed:
    """A row that is not attendance, with why (Japanese)."""

    line: int
    text: str
    reason: str


@dataclass
class AttendanceFile:
    """What a file was read as, its attendance rows, and where every other row went."""

    format: str  # 「Microsoft Teams 出席レポート（日本語）」…
    kind: str  # zoom_participants / zoom_unique / zoom_webinar / teams
    confidence: float  # 0–1: how many of the format's marks were found
    rows: list[ZoomRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    listed: list[Listed] = field(default_factory=list)
    recognised: int = 0  # title, summary, section and header rows
    folded: int = 0  # rows repeating a person already read (Teams' in-meeting activities)
    total: int = 0  # non-blank rows in the file

    @property
    def message(self) -> str:
        """「Microsoft Teams 出席レポート（日本語）として読みました」, with a doubt when unsure."""
        doubt = "（形式の判定に自信がありません。結果を確認してください）" if self.confidence < 0.6 else ""
        return f"{self.format}として読みました{doubt}。"

    def counts(self) -> dict[str, int]:
        return {"rows_in_file": self.total, "attendance_rows": len(self.rows), "recognised": self.recognised,
                "folded": self.folded, "listed": len(self.listed)}


# --- reading the grid ---

Grid = list[tuple[int, list[str]]]  # (row number in the file, cells) of non-blank rows


def read_grid(data: bytes, file_name: str = "") -> Grid:
    """The file's non-blank rows with their 1-based row numbers (CSV, TSV, UTF-16 or Excel)."""
    where = PurePath(file_name or "").name or "ファイル"
    if not data:
        raise AttendanceFileError(f"「{where}」は空です（0バイト）。")
    try:
        uploads.check_size(len(data), where)
    except uploads.UploadTooLarge as exc:
        raise AttendanceFileError(str(exc)) from None
    if data.startswith(XLSX_MAGIC):
        from facilitation.files.tabular import TableError, read_table

        try:
            table = read_table(data, where)
        except TableError as exc:
            raise AttendanceFileError(str(exc)) from exc
        first = table.row_number(0) if table.rows else 2
        return [(first - 1, table.headers), *((table.row_number(i), r) for i, r in enumerate(table.rows))]
    decoded = decode_bytes(data)
    if decoded is None:
        raise AttendanceFileError(f"「{where}」の文字コードを判別できませんでした。"
                                  "Excel で「CSV UTF-8（コンマ区切り）」として保存し直してください。")
    text = decoded[0].replace("\x00", "")
    top = text[:20_000]
    delimiter = max(("\t", ",", ";"), key=lambda d: (top.count(d), d == "\t"))
    grid: Grid = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            cells = [c.replace("\ufeff", "").strip() for c in row]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                grid.append((number, cells))
    except csv.Error as exc:
        raise AttendanceFileError(f"「{where}」を CSV として読めませんでした（{reader.line_num}行目付近の区切りや"
                                  "引用符 \" の形が崩れています）。") from exc
    return grid


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(header):
        k = key(cell)
        for col, keys in _KEYS.items():
            if col not in found and k in keys:
                found[col] = i
                break
    return found


def _time(text: str) -> dt.datetime | None:
    s = clean(text)
    if not s:
        return None
    for fmt in _TIME_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    return None


def _minutes_between(joined: dt.datetime | None, left: dt.datetime | None) -> int | None:
    if joined is None or left is None or left < joined:
        return None
    minutes = math.ceil((left - joined).total_seconds() / 60)
    return minutes if minutes <= MAX_MINUTES else None


def duration_minutes(text: str) -> float | None:
    """Minutes in 「120」「1h 5m 3s」「1 時間 2 分 3 秒」「00:59:35」; None when unreadable."""
    s = clean(text).replace(",", "")
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        return None if math.isnan(value) else value
    if m := re.fullmatch(r"(\d+):(\d{2}):(\d{2})", s):
        return int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3)) / 60
    parts = _DURATION_PART.findall(s)
    if not parts or _DURATION_PART.sub("", s).strip():
        return None
    scale = {"h": 60, "時間": 60, "m": 1, "分": 1, "s": 1 / 60, "秒": 1 / 60}
    return sum(float(n) * scale[u.lower()] for n, u in parts)


def split_name(raw: str) -> tuple[str, str, bool]:
    """(display name, original name, guest) of 「R1_佐藤 (佐藤 陽子)」 or Teams' 「高橋 美咲 (ゲスト)」."""
    m = _ORIGINAL.match(raw)
    if not m:
        return raw, "", False
    display, inner = m.group(1).strip() or raw, m.group(2).strip()
    if key(inner) in _GUEST_MARKS:
        return display, "", True
    return display, inner, False


# --- the formats ---

def _teams_section(cells: list[str]) -> str:
    """"1" / "2" / "3" for a Teams section row (「2. Participants」「2. 参加者」), "" otherwise."""
    if len([c for c in cells if c]) != 1:
        return ""
    m = _TEAMS_SECTION.match(cells[0])
    if not m:
        return ""
    name = clean(m.group(2)).lower()
    return m.group(1) if name in _TEAMS_NAMES[m.group(1)] else ""


def _webinar_section(cells: list[str]) -> str:
    if len([c for c in cells if c]) != 1:
        return ""
    return _WEBINAR_SECTIONS.get(key(cells[0]), "")


def read_attendance(data: bytes, file_name: str = "") -> AttendanceFile:
    """Recognise the file and read it; AttendanceFileError (Japanese) when no format fits."""
    where = file_name or "ファイル"
    grid = read_grid(data, file_name)
    if any(_teams_section(cells) for _, cells in grid[:400]):
        out = _read_teams(grid, where)
    elif any(_webinar_section(cells) for _, cells in grid[:400]):
        out = _read_webinar(grid, where)
    else:
        out = _read_participants(grid, where)
    out.total = len(grid)
    return out


class _Reader:
    """Rows of one table (a header and the rows under it) → ZoomRow, problems, listed rows."""

    def __init__(self, out: AttendanceFile, where: str, header: list[str], cols: dict[str, int]):
        self.out, self.where, self.cols = out, where, cols
        self.minutes_label = header[cols["minutes"]].strip() if "minutes" in cols else "期間（分）"
        self.blank_minutes: list[int] = []

    def cell(self, cells: list[str], col: str) -> str:
        j = self.cols.get(col)
        return cells[j] if j is not None and j < len(cells) else ""

    def row(self, i: int, cells: list[str]) -> ZoomRow | None:
        where, cell = self.where, self.cell
        raw_name = tidy(cell(cells, "name")) or tidy(f"{cell(cells, 'first')} {cell(cells, 'last')}")
        if not raw_name:
            self.out.problems.append(f"{where} {i}行目: 名前が空欄のため読み飛ばしました。")
            self.out.listed.append(Listed(i, ",".join(cells), "名前が空欄です"))
            return None
        attended = clean(cell(cells, "attended")).lower()
        if "attended" in self.cols and attended in _NO:
            self.out.listed.append(Listed(i, ",".join(cells), f"出席していません（「{cell(cells, 'attended')}」）"))
            return None
        display, original, marked_guest = split_name(raw_name)
        joined, left = _time(cell(cells, "join")), _time(cell(cells, "leave"))
        if clean(cell(cells, "join")) not in ("", "--", "NA") and joined is None:
            self.out.problems.append(f"{where} {i}行目「参加時刻」: 「{clean(cell(cells, 'join'))}」を日時として読めません。")
        from_times = _minutes_between(joined, left)
        fallback = f"参加時刻と退出時刻から {from_times}分としました" if from_times is not None else "0分とします"
        minutes_text = clean(cell(cells, "minutes"))
        minutes = 0
        if "minutes" not in self.cols:
            minutes = from_times or 0
            if from_times is None:
                self.out.problems.append(f"{where} {i}行目: 参加時刻・退出時刻から参加時間を計算できません（0分とします）。")
        elif not minutes_text:
            self.blank_minutes.append(i)
            minutes = from_times or 0
        else:
            value = duration_minutes(minutes_text)
            if value is None:
                self.out.problems.append(f"{where} {i}行目「{self.minutes_label}」: 「{minutes_text}」を数として読めません"
                                         f"（{fallback}）。")
                minutes = from_times or 0
            elif not 0 <= value <= MAX_MINUTES:
                self.out.problems.append(f"{where} {i}行目「{self.minutes_label}」: 「{minutes_text}」は参加時間として"
                                         f"ありえない値です（{fallback}）。")
                minutes = from_times or 0
            else:
                minutes = int(value) if float(value).is_integer() else math.ceil(value)
        return ZoomRow(line=i, display_name=display or raw_name, original_name=original,
                       email=email_key(cell(cells, "email")), joined_at=joined, left_at=left, minutes=minutes,
                       guest=marked_guest or clean(cell(cells, "guest")).lower() in _YES)

    def finish(self) -> None:
        if self.blank_minutes:
            shown = "、".join(str(n) for n in self.blank_minutes[:10]) + ("ほか" if len(self.blank_minutes) > 10 else "")
            self.out.problems.append(f"{self.where} {shown}行目: 「{self.minutes_label}」が空欄のため、参加時間は"
                                     "参加時刻・退出時刻から計算しました（計算できない行は0分）。")


def _read_participants(grid: Grid, where: str) -> AttendanceFile:
    """Zoom's participant report, per session or with unique users; a summary block may sit on top."""
    for i, (_, cells) in enumerate(grid[:30]):
        cols = _columns(cells)
        if {"name", "action", "timestamp"} <= set(cols):
            return _read_teams_actions(grid, i, cols, where)
    header_at, cols = None, {}
    for i, (_, cells) in enumerate(grid[:30]):
        cols = _columns(cells)
        # The meeting summary above has e-mail and minutes, no names.
        if "name" in cols and ("join" in cols or "minutes" in cols):
            header_at = i
            break
    if header_at is None:
        raise AttendanceFileError(
            f"{where}: 出席の記録として読める見出し（Zoom の「名前（元の名前）」「参加時刻」、Teams の"
            "「2. 参加者」など）が見つかりません。Zoom の参加者レポート・ウェビナーの出席者レポート、"
            "Microsoft Teams の出席レポートに対応しています。")
    header = grid[header_at][1]
    japanese = bool(_JAPANESE.search("".join(header)))
    language = "日本語" if japanese else "英語"
    unique = "join" not in cols and "leave" not in cols
    if unique:
        total = cols.get("minutes") is not None and key(header[cols["minutes"]]) in _TOTAL_MINUTES
        name = f"Zoom参加者レポート（重複しないユーザー・{language}）"
        confidence = 0.9 if total else 0.6
    else:
        name = f"Zoom参加者レポート（{language}" + ("・会議の概要つき" if header_at else "") + "）"
        confidence = 1.0 if "minutes" in cols else 0.8
    out = AttendanceFile(format=name, kind="zoom_unique" if unique else "zoom_participants", confidence=confidence)
    out.recognised = header_at + 1  # the summary block and the header
    if "minutes" not in cols:
        out.problems.append(f"{where}: 参加時間（「期間（分）」「所要時間（分）」など）の列が見つかりません。"
                            "参加時間は参加時刻と退出時刻から計算しました。")
    reader = _Reader(out, where, header, cols)
    for i, cells in grid[header_at + 1:]:
        if (row := reader.row(i, cells)) is not None:
            out.rows.append(row)
    reader.finish()
    return out


def _read_webinar(grid: Grid, where: str) -> AttendanceFile:
    """Zoom's webinar attendee report: sections, each a title row, a header and its rows."""
    japanese = any(_JAPANESE.search(cells[0]) for _, cells in grid if _webinar_section(cells))
    out = AttendanceFile(format=f"Zoomウェビナー出席者レポート（{'日本語' if japanese else '英語'}）",
                         kind="zoom_webinar", confidence=0.0)
    sections, headers = 0, 0
    reader: _Reader | None = None
    expect_header = False
    for i, cells in grid:
        if _webinar_section(cells):
            sections += 1
            out.recognised += 1
            if reader:
                reader.finish()
            reader, expect_header = None, True
            continue
        if expect_header:
            cols = _columns(cells)
            if "name" in cols or "first" in cols:
                out.recognised += 1
                headers += 1
                reader, expect_header = _Reader(out, where, cells, cols), False
                continue
        if not sections:
            out.recognised += 1  # the report's title and summary block
        elif reader is None:
            out.listed.append(Listed(i, ",".join(cells), "見出し行が見つからない表の行です"))
        elif (row := reader.row(i, cells)) is not None:
            out.rows.append(row)
    if reader:
        reader.finish()
    if not headers:
        raise AttendanceFileError(f"{where}: Zoom のウェビナー出席者レポートのようですが、出席者の表の見出し"
                                  "（「Attended」「User Name (Original Name)」など）が見つかりません。")
    out.confidence = min(1.0, 0.5 + 0.25 * min(sections, 2))
    return out


def _read_teams(grid: Grid, where: str) -> AttendanceFile:
    """Microsoft Teams' attendance report: the participants section is the attendance (one row a
    person, Teams has already added up the sessions); the activities section repeats each join and
    leave and is folded into those people. Without a participants section the activities are read."""
    japanese = any(_JAPANESE.search(cells[0]) for _, cells in grid if _teams_section(cells))
    out = AttendanceFile(format=f"Microsoft Teams 出席レポート（{'日本語' if japanese else '英語'}）",
                         kind="teams", confidence=0.0)
    found: set[str] = set()
    section = ""
    header_wanted = False
    cols: dict[str, int] = {}
    reader: _Reader | None = None
    activities: list[tuple[int, list[str], dict[str, int]]] = []
    activity_header: list[str] = []
    for i, cells in grid:
        if s := _teams_section(cells):
            found.add(s)
            out.recognised += 1
            if reader:
                reader.finish()
            section, header_wanted, reader = s, s in ("2", "3"), None
            continue
        if section in ("", "1"):
            out.recognised += 1  # the summary: title, start and end, counts
            continue
        if header_wanted:
            cols = _columns(cells)
            if "name" in cols:
                out.recognised += 1
                header_wanted = False
                if section == "2":
                    reader = _Reader(out, where, cells, cols)
                else:
                    activity_header = cells
                continue
            out.listed.append(Listed(i, ",".join(cells), "見出し行が見つからない表の行です"))
            continue
        if section == "2" and reader is not None:
            if (row := reader.row(i, cells)) is not None:
                out.rows.append(row)
        elif section == "3":
            activities.append((i, cells, cols))
    if reader:
        reader.finish()
    people = {r.email for r in out.rows if r.email} | {person_key(r.display_name) for r in out.rows}
    if "2" in found and out.rows:
        for i, cells, acols in activities:
            name = split_name(tidy(cells[acols["name"]]))[0] if acols.get("name", 99) < len(cells) else ""
            email = email_key(cells[acols["email"]]) if acols.get("email", 99) < len(cells) else ""
            if (email and email in people) or (name and person_key(name) in people):
                out.folded += 1
            else:
                out.listed.append(Listed(i, ",".join(cells), "入退室の記録ですが、参加者の表にない方です"))
    elif activities:
        reader = _Reader(out, where, activity_header, activities[0][2])
        for i, cells, _cols in activities:
            if (row := reader.row(i, cells)) is not None:
                out.rows.append(row)
        reader.finish()
    if not out.rows and not out.listed:
        raise AttendanceFileError(f"{where}: Microsoft Teams の出席レポートのようですが、参加者の表"
                                  "（「2. 参加者」「2. Participants」の下の見出しと行）が見つかりません。")
    out.confidence = min(1.0, 0.4 + 0.2 * len(found))
    return out


def _read_teams_actions(grid: Grid, header_at: int, cols: dict[str, int], where: str) -> AttendanceFile:
    """The first Teams attendance list: a row per join (「Joined」「Joined before」) or leave (「Left」).
    Each join opens a session of that person, closed by their next leave (folded into the session)."""
    header = grid[header_at][1]
    japanese = bool(_JAPANESE.search("".join(header)))
    out = AttendanceFile(format=f"Microsoft Teams 出席者一覧（旧形式・{'日本語' if japanese else '英語'}）",
                         kind="teams_actions", confidence=0.9, recognised=header_at + 1)

    def cell(cells: list[str], col: str) -> str:
        j = cols[col]
        return cells[j] if j < len(cells) else ""

    open_rows: dict[str, ZoomRow] = {}
    for i, cells in grid[header_at + 1:]:
        display, _original, guest = split_name(tidy(cell(cells, "name")))
        action = clean(cell(cells, "action")).lower()
        when = _time(cell(cells, "timestamp"))
        if not display or when is None:
            out.listed.append(Listed(i, ",".join(cells), "名前か日時が読み取れません"))
            continue
        who = person_key(display)
        if "left" in action or "退出" in action or "退室" in action:
            row = open_rows.pop(who, None)
            if row is None:
                out.listed.append(Listed(i, ",".join(cells), "参加の記録がない退出です"))
                continue
            row.left_at = when
            row.minutes = _minutes_between(row.joined_at, when) or 0
            out.folded += 1
        elif "join" in action or "参加" in action or "入室" in action:
            if who in open_rows:  # joined again without a leave: the earlier session stays open-ended
                out.problems.append(f"{where} {open_rows[who].line}行目: 退出の記録がないまま再び参加しています"
                                    "（この参加は0分とします）。")
            row = ZoomRow(line=i, display_name=display, original_name="", email="", joined_at=when, left_at=None,
                          minutes=0, guest=guest)
            open_rows[who] = row
            out.rows.append(row)
        else:
            out.listed.append(Listed(i, ",".join(cells), f"「{cell(cells, 'action')}」は参加・退出として読めません"))
    for row in open_rows.values():
        out.problems.append(f"{where} {row.line}行目: {row.display_name} さんの退出の記録がありません（0分とします）。")
    return out
