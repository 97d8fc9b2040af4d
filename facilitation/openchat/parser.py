"""A tolerant reader for LINE's talk-history export (トーク履歴を送信, a .txt file).

The format differs by app version, OS and language: header lines, date lines
(2024/01/14(日), 2024.01.14 日曜日, Sun, 1/14/2024 …), message lines
"HH:MM<TAB>name<TAB>text" with 午前/午後 or AM/PM times, multi-line messages quoted with doubled
quotes (newer apps) or simply continued on the next lines (older apps), system lines and media
placeholders. Every line of the file is accounted for in `ParsedExport.line_counts`; lines that
cannot be read are returned in `ParsedExport.unparsed`, never dropped.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

# Line categories; their counts always add up to the number of lines in the file.
HEADER, BLANK, DATE, MESSAGE, SYSTEM, CONTINUATION, UNPARSED = (
    "header", "blank", "date", "message", "system", "continuation", "unparsed",
)
LINE_KINDS = (HEADER, BLANK, DATE, MESSAGE, SYSTEM, CONTINUATION, UNPARSED)

# Kinds of posts and of system events.
KIND_TEXT, KIND_MEDIA = "message", "media"
EVENT_JOIN, EVENT_LEAVE, EVENT_RENAME, EVENT_UNSEND, EVENT_ANNOUNCE, EVENT_OTHER = (
    "join", "leave", "rename", "unsend", "announcement", "other",
)

# Media placeholders as the apps write them (Japanese and English), mapped to one Japanese label.
MEDIA: dict[str, str] = {
    "写真": "写真", "photo": "写真", "photos": "写真", "画像": "写真",
    "スタンプ": "スタンプ", "sticker": "スタンプ", "stickers": "スタンプ",
    "ファイル": "ファイル", "file": "ファイル",
    "ノート": "ノート", "note": "ノート", "notes": "ノート",
    "動画": "動画", "video": "動画", "videos": "動画",
    "アルバム": "アルバム", "album": "アルバム",
    "ボイスメッセージ": "ボイスメッセージ", "voice message": "ボイスメッセージ", "audio": "ボイスメッセージ",
    "連絡先": "連絡先", "contact": "連絡先",
    "位置情報": "位置情報", "location": "位置情報",
    "投票": "投票", "poll": "投票",
    "イベント": "イベント", "event": "イベント",
    "プレゼント": "プレゼント", "gift": "プレゼント",
}
_MEDIA_RE = re.compile(r"^\[([^\[\]]{1,20})\]")

_WEEKDAYS: dict[str, int] = {}
for _i, (_ja, _en3, _en) in enumerate(zip(
        "月火水木金土日", ("mon", "tue", "wed", "thu", "fri", "sat", "sun"),
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), strict=True)):
    for _w in (_ja, f"{_ja}曜", f"{_ja}曜日", _en3, _en, f"{_en3}."):
        _WEEKDAYS[_w] = _i
_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}

_YMD_RE = re.compile(r"^(\d{4})\s*[/.\-年]\s*(\d{1,2})\s*[/.\-月]\s*(\d{1,2})\s*(?:日(?!曜))?\s*(.*)$")
_WD_MDY_RE = re.compile(r"^([A-Za-z]{3,9}\.?)\s*,?\s*(\d{1,2})/(\d{1,2})/(\d{4})$")
_MDY_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})\s*(.*)$")
_WD_MONTH_RE = re.compile(r"^([A-Za-z]{3,9}\.?)\s*,?\s*([A-Za-z]{3,9})\.?\s+(\d{1,2})\s*,?\s*(\d{4})$")
_WD_DAY_MONTH_RE = re.compile(r"^([A-Za-z]{3,9}\.?)\s*,?\s*(\d{1,2})\s+([A-Za-z]{3,9})\.?\s*,?\s*(\d{4})$")

_TIME_RE = re.compile(
    r"^(?:(午前|午後|am|pm|a\.m\.|p\.m\.)\s*)?(\d{1,2}):(\d{2})(?::\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?$",
    re.IGNORECASE,
)
# A line that starts with a time followed by a space (the PC/Mac layout with spaces, no tabs).
_SPACE_LINE_RE = re.compile(
    r"^((?:午前|午後|AM|PM)?\s?\d{1,2}:\d{2}(?:\s?[AaPp][Mm])?) (\S.*)$"
)
_HEADER_RES = (
    re.compile(r"^\[LINE\]"),
    re.compile(r"^(?:chat history (?:with|in) |talk history )", re.IGNORECASE),
    re.compile(r"のトーク履歴\s*$"),
    re.compile(r"^保存日時\s*[:：]"),
    re.compile(r"^saved on\s*:", re.IGNORECASE),
)
_CHAT_NAME_RES = (
    re.compile(r"^\[LINE\]\s*(?:chat history (?:with|in)\s+)(.+)$", re.IGNORECASE),
    re.compile(r"^\[LINE\]\s*(.+?)(?:との|の)トーク履歴\s*$"),
    re.compile(r"^(?:chat history (?:with|in)\s+)(.+)$", re.IGNORECASE),
    re.compile(r"^\[LINE\]\s*(.+)$"),
)
_SAVED_RES = (
    re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})\D+?(\d{1,2}):(\d{2})"),
    re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\D+?(\d{1,2}):(\d{2})"),
)

# System lines. Each pattern names the actor (and for renames the new name).
_Q = r"[「『\"]?"
_QE = r"[」』\"]?"
_SYSTEM_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (EVENT_UNSEND, re.compile(r"^(?P<actor>.*?)(?:さん)?が?メッセージの送信を取り消しました。?$")),
    (EVENT_UNSEND, re.compile(r"^(?P<actor>.+?) unsent a message\.?$", re.IGNORECASE)),
    (EVENT_UNSEND, re.compile(r"^(?P<actor>)message unsent\.?$", re.IGNORECASE)),
    (EVENT_JOIN, re.compile(r"^(?P<actor>.+?)(?:さん)?が(?:オープンチャット|グループ|トーク)?に?参加しました。?$")),
    (EVENT_JOIN, re.compile(r"^(?P<actor>.+?) joined (?:the )?(?:chat|group|openchat|open chat)\.?$",
                            re.IGNORECASE)),
    (EVENT_LEAVE, re.compile(
        r"^(?P<actor>.+?)(?:さん)?が(?:オープンチャット|グループ|トーク)?(?:から|を)?(?:退出|退会)しました。?$")),
    (EVENT_LEAVE, re.compile(r"^(?P<actor>.+?)(?:さん)?が(?:強制)?退会(?:させられ|され)ました。?$")),
    (EVENT_LEAVE, re.compile(r"^(?P<actor>.+?) left (?:the )?(?:chat|group|openchat|open chat)\.?$",
                             re.IGNORECASE)),
    (EVENT_LEAVE, re.compile(r"^(?P<actor>.+?) (?:was|has been) removed from (?:the )?\S+\.?$",
                             re.IGNORECASE)),
    (EVENT_RENAME, re.compile(
        rf"^(?P<actor>.+?)(?:さん)?が(?:ニックネーム|表示名|名前)を{_Q}(?P<new>.+?){_QE}に変更しました。?$")),
    (EVENT_RENAME, re.compile(
        rf"^(?P<actor>.+?)(?:さん)?が{_Q}(?P<new>.+?){_QE}に(?:ニックネーム|表示名|名前)を変更しました。?$")),
    (EVENT_RENAME, re.compile(
        r"^(?P<actor>.+?) changed (?:their|his|her|the)? ?(?:display )?(?:name|nickname) to "
        r"[\"“]?(?P<new>.+?)[\"”]?\.?$", re.IGNORECASE)),
    (EVENT_ANNOUNCE, re.compile(r"^(?P<actor>.+?)(?:さん)?が[^が]*アナウンス[^が]*しました。?$")),
    (EVENT_ANNOUNCE, re.compile(r"^(?P<actor>)[^が]*アナウンス.*しました。?$")),
    (EVENT_ANNOUNCE, re.compile(r"^(?P<actor>.+?) (?:made an announcement|pinned .*announcement).*$",
                                re.IGNORECASE)),
    (EVENT_ANNOUNCE, re.compile(r"^(?P<actor>)(?:announcement|アナウンス).*$", re.IGNORECASE)),
]


@dataclass
class ChatMessage:
    """One post by a member: text, or a media placeholder ([写真], [スタンプ]…)."""

    at: dt.datetime  # Japan local time, to the minute
    sender: str  # the display name as exported (機関名&名字 by the chat's rule)
    text: str  # the message; for media, the placeholder line as exported
    kind: str = KIND_TEXT  # "message" or "media"
    media: str = ""  # 写真 / スタンプ / ファイル / ノート / 動画 …
    line_no: int = 0  # 1-based line of the file where the post starts


@dataclass
class SystemEvent:
    """A line written by LINE itself: joins, leaves, nickname changes, unsends, announcements."""

    at: dt.datetime
    kind: str  # join / leave / rename / unsend / announcement / other
    actor: str  # the display name concerned ("" when the line names nobody)
    text: str  # the system line as exported
    new_name: str = ""  # for renames
    line_no: int = 0


@dataclass
class UnparsedLine:
    line_no: int  # 1-based
    text: str
    reason: str  # Japanese, for the secretariat


@dataclass
class ParsedExport:
    """Everything read from one export, with every line accounted for."""

    chat_name: str = ""
    saved_at: dt.datetime | None = None
    messages: list[ChatMessage] = field(default_factory=list)
    events: list[SystemEvent] = field(default_factory=list)
    unparsed: list[UnparsedLine] = field(default_factory=list)
    line_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LINE_KINDS, 0))
    total_lines: int = 0
    encoding: str = "utf-8"

    @property
    def joins(self) -> list[SystemEvent]:
        return [e for e in self.events if e.kind == EVENT_JOIN]

    @property
    def leaves(self) -> list[SystemEvent]:
        return [e for e in self.events if e.kind == EVENT_LEAVE]

    @property
    def members(self) -> list[str]:
        """Display names that posted, in order of first post."""
        return list(dict.fromkeys(m.sender for m in self.messages))

    @property
    def first_date(self) -> dt.date | None:
        times = [x.at for x in (*self.messages[:1], *self.events[:1])]
        return min(times).date() if times else None

    @property
    def last_date(self) -> dt.date | None:
        times = [x.at for x in (*self.messages[-1:], *self.events[-1:])]
        return max(times).date() if times else None

    def summary(self) -> dict:
        """The plain-data summary the command line prints (ISO dates)."""
        kinds = Counter(e.kind for e in self.events)
        return {
            "chat_name": self.chat_name,
            "saved_at": self.saved_at.isoformat(timespec="minutes") if self.saved_at else None,
            "messages": len(self.messages),
            "text_messages": sum(1 for m in self.messages if m.kind == KIND_TEXT),
            "media": sum(1 for m in self.messages if m.kind == KIND_MEDIA),
            "system_events": len(self.events),
            "joins": kinds[EVENT_JOIN],
            "leaves": kinds[EVENT_LEAVE],
            "renames": kinds[EVENT_RENAME],
            "unsends": kinds[EVENT_UNSEND],
            "announcements": kinds[EVENT_ANNOUNCE],
            "members": self.members,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            "total_lines": self.total_lines,
            "line_counts": dict(self.line_counts),
            "unparsed_lines": len(self.unparsed),
            "unparsed": [{"line": u.line_no, "text": u.text, "reason": u.reason} for u in self.unparsed],
        }


# --- small readers -------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """Bytes of an export as text, and the encoding used (UTF-8 with or without BOM, UTF-16, cp932)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "utf-8 (一部読めない文字)"


def split_lines(text: str) -> list[str]:
    """Lines of a text: CRLF, CR and LF all end a line; a final line end makes no extra empty line."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


@functools.lru_cache(maxsize=8192)  # an export repeats the same few thousand time strings
def parse_time(text: str) -> dt.time | None:
    """「9:05」「09:05」「午後1:30」「1:30 PM」「PM 1:30」 → time; None when it is not a time."""
    m = _TIME_RE.match(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return None
    pre, hour, minute, post = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
    marker = (pre or post or "").lower().replace(".", "")
    if minute > 59:
        return None
    if marker:
        if hour > 12:
            if hour > 23 or marker in ("午前", "am"):
                return None  # 13:00 PM is tolerated as 13:00, 13:00 AM is not a time
        elif marker in ("午後", "pm") and hour < 12:
            hour += 12
        elif marker in ("午前", "am") and hour == 12:
            hour = 0
    if hour > 23:
        return None
    return dt.time(hour, minute)


def _weekday(text: str) -> int | None | bool:
    """Weekday index from 「(日)」「日曜日」「Sun」「(Sunday)」; None when empty; False when unreadable."""
    s = text.strip().strip("()（）[]").strip().rstrip(",").lower()
    if not s:
        return None
    return _WEEKDAYS.get(s, False)


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_date_line(line: str) -> dt.date | None:
    """The date of a date line in any of the apps' forms; None when the line is not one.

    A weekday, when written, must agree with the date (so a typed 「2024/01/14(月)」 is not taken).
    """
    if "\t" in line or len(line) > 60:  # date lines are short and never hold a tab
        return None
    s = unicodedata.normalize("NFKC", line).strip()
    if len(s) > 40 or not s[:1].isalnum():
        return None
    day: dt.date | None = None
    wd: int | None | bool = None
    if m := _YMD_RE.match(s):
        day = _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        wd = _weekday(m.group(4))
    elif m := _WD_MDY_RE.match(s):
        a, b = int(m.group(2)), int(m.group(3))
        day = _date(int(m.group(4)), a, b) if a <= 12 else _date(int(m.group(4)), b, a)
        wd = _weekday(m.group(1))
    elif m := _MDY_RE.match(s):
        a, b = int(m.group(1)), int(m.group(2))
        day = _date(int(m.group(3)), a, b) if a <= 12 else _date(int(m.group(3)), b, a)
        wd = _weekday(m.group(4))
    elif m := _WD_MONTH_RE.match(s):
        month = _MONTHS.get(m.group(2).lower()[:3])
        day = _date(int(m.group(4)), month, int(m.group(3))) if month else None
        wd = _weekday(m.group(1))
    elif m := _WD_DAY_MONTH_RE.match(s):
        month = _MONTHS.get(m.group(3).lower()[:3])
        day = _date(int(m.group(4)), month, int(m.group(2))) if month else None
        wd = _weekday(m.group(1))
    if day is None or wd is False or (wd is not None and wd != day.weekday()):
        return None
    return day


def system_event(text: str) -> tuple[str, str, str]:
    """(kind, actor, new_name) for a system line's text; kind "other" when not recognised."""
    s = text.strip()
    for kind, pattern in _SYSTEM_PATTERNS:
        if m := pattern.match(s):
            groups = m.groupdict()
            return kind, (groups.get("actor") or "").strip(), (groups.get("new") or "").strip()
    return EVENT_OTHER, "", ""


def media_kind(text: str) -> str:
    """「写真」 for 「[写真]」 or 「[Photo]」…; "" when the text is not a media placeholder."""
    text = text.strip()
    if not text.startswith("["):
        return ""
    m = _MEDIA_RE.match(text)
    if not m:
        return ""
    return MEDIA.get(m.group(1).strip().lower(), "")


def _header_line(s: str) -> bool:
    return any(r.search(s) for r in _HEADER_RES)


def _chat_name(s: str) -> str:
    for r in _CHAT_NAME_RES:
        if m := r.match(s):
            return m.group(1).strip().strip("「」")
    return ""


def _saved_at(s: str) -> dt.datetime | None:
    n = unicodedata.normalize("NFKC", s)
    if m := _SAVED_RES[0].search(n):
        y, mo, d, h, mi = (int(x) for x in m.groups())
    elif m := _SAVED_RES[1].search(n):
        mo, d, y, h, mi = (int(x) for x in m.groups())
    else:
        return None
    try:
        return dt.datetime(y, mo, d, h, mi)
    except ValueError:
        return None


def _closes_quote(s: str) -> bool:
    """True when a line of a quoted message ends it: an odd run of quotes at its end."""
    s = s.rstrip()
    n = len(s) - len(s.rstrip('"'))
    return n % 2 == 1


# --- the parser ----------------------------------------------------------------------------

class _Parser:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.out = ParsedExport(total_lines=len(lines))
        self.day: dt.date | None = None
        self.last: ChatMessage | SystemEvent | None = None
        self.quote: list[tuple[int, str]] | None = None  # open quoted message: lines held after the first
        self.in_header = True
        self.prev_blank = True
        self.known: set[str] = set()
        self.space_layout = self._detect_space_layout()

    def _detect_space_layout(self) -> bool:
        """Older PC/Mac exports separate time, name and text with spaces instead of tabs."""
        tabs = spaces = 0
        for line in self.lines[:2000]:
            if "\t" in line:
                tabs += 1
            elif (m := _SPACE_LINE_RE.match(line)) and parse_time(m.group(1)):
                spaces += 1
        if spaces > tabs:
            for line in self.lines:  # names from join lines help split "name text"
                if "\t" not in line and (m := _SPACE_LINE_RE.match(line)):
                    kind, actor, new = system_event(m.group(2))
                    if actor:
                        self.known.add(actor)
                    if new:
                        self.known.add(new)
        return spaces > tabs

    def count(self, kind: str, n: int = 1) -> None:
        self.out.line_counts[kind] += n

    def unparsed(self, no: int, text: str, reason: str) -> None:
        self.count(UNPARSED)
        self.out.unparsed.append(UnparsedLine(no, text, reason))

    def run(self) -> ParsedExport:
        for no, line in enumerate(self.lines, start=1):
            self._feed(no, line)
        while self.quote is not None:
            self._abandon_quote()
        self.out.messages.sort(key=lambda m: (m.at, m.line_no))
        self.out.events.sort(key=lambda e: (e.at, e.line_no))
        return self.out

    def _feed(self, no: int, line: str) -> None:
        if self.quote is not None and self._quoted_line(no, line):
            return  # (when the quote was abandoned, this line is read normally below)
        stripped = line.strip()
        if not stripped:
            self.count(BLANK)
            self.prev_blank = True
            return
        if self.in_header and self.day is None and _header_line(stripped):
            self.count(HEADER)
            self.out.chat_name = self.out.chat_name or _chat_name(stripped)
            if self.out.saved_at is None and ("保存" in stripped or "saved" in stripped.lower()):
                self.out.saved_at = _saved_at(stripped)
            self.prev_blank = False
            return
        day = parse_date_line(stripped)
        # A date typed inside an old-style multi-line message must not move the calendar back.
        if day is not None and (self.day is None or self.prev_blank or day >= self.day):
            self.in_header = False
            self.day = day
            self.last = None
            self.count(DATE)
            self.prev_blank = False
            return
        self.prev_blank = False
        if "\t" in line:
            self._tab_line(no, line)
        elif self.space_layout and (m := _SPACE_LINE_RE.match(line)) and parse_time(m.group(1)):
            self._space_line(no, m.group(1), m.group(2))
        else:
            self._continuation(no, line)

    # each kind of line

    def _when(self, no: int, line: str, time_text: str) -> dt.datetime | None:
        t = parse_time(time_text)
        if t is None:
            self.unparsed(no, line, "時刻が読み取れません")
            return None
        if self.day is None:
            self.unparsed(no, line, "日付の行より前にあります")
            return None
        return dt.datetime.combine(self.day, t)

    def _tab_line(self, no: int, line: str) -> None:
        parts = line.split("\t", 2)
        if parse_time(parts[0]) is None:
            if isinstance(self.last, ChatMessage):  # a tab typed inside an old-style multi-line message
                self._continuation(no, line)
            else:
                self.unparsed(no, line, "時刻が読み取れません")
            return
        at = self._when(no, line, parts[0])
        if at is None:
            return
        if len(parts) == 2 or not parts[1].strip():
            text = parts[-1].strip()
            if not text:
                self.unparsed(no, line, "内容がありません")
                return
            self._system(no, at, text)
            return
        sender, text = parts[1].strip(), parts[2]
        self._post(no, at, sender, text)

    def _space_line(self, no: int, time_text: str, rest: str) -> None:
        at = self._when(no, f"{time_text} {rest}", time_text)
        if at is None:
            return
        kind, _actor, _new = system_event(rest)
        if kind != EVENT_OTHER:
            self._system(no, at, rest)
            return
        sender = next((n for n in sorted(self.known, key=len, reverse=True) if rest.startswith(n + " ")), "")
        if not sender:
            sender, _, _ = rest.partition(" ")
        text = rest[len(sender) + 1:]
        if not text:
            self._system(no, at, rest)
            return
        self.known.add(sender)
        self._post(no, at, sender, text)

    def _system(self, no: int, at: dt.datetime, text: str) -> None:
        kind, actor, new = system_event(text)
        event = SystemEvent(at=at, kind=kind, actor=actor, text=text, new_name=new, line_no=no)
        self.out.events.append(event)
        self.last = event
        self.count(SYSTEM)

    def _post(self, no: int, at: dt.datetime, sender: str, text: str) -> None:
        stripped = text.strip()
        if stripped in ("メッセージの送信を取り消しました", "メッセージの送信を取り消しました。",
                        "Message unsent.", "Message unsent", "unsent a message."):
            event = SystemEvent(at=at, kind=EVENT_UNSEND, actor=sender, text=f"{sender}\t{stripped}", line_no=no)
            self.out.events.append(event)
            self.last = event
            self.count(SYSTEM)
            return
        self.count(MESSAGE)
        media = media_kind(stripped)
        msg = ChatMessage(at=at, sender=sender, text=text.rstrip(), kind=KIND_MEDIA if media else KIND_TEXT,
                          media=media, line_no=no)
        self.out.messages.append(msg)
        self.last = msg
        if text.startswith('"') and not (len(text) > 1 and _closes_quote(text[1:])):
            self.quote = []

    def _quoted_line(self, no: int, line: str) -> bool:
        """A line inside a quoted multi-line message (newer apps); False when it ends the quote unread."""
        parts = line.split("\t", 2)
        if self.quote is None or (len(parts) >= 2 and parse_time(parts[0]) is not None):
            # a new message line: the opening quote was a literal quote after all
            self._abandon_quote()
            return False
        self.quote.append((no, line))
        if _closes_quote(line):
            msg = self.last
            lines = [text for _, text in self.quote]
            self.count(CONTINUATION, len(lines))
            self.quote = None
            if isinstance(msg, ChatMessage):
                body = "\n".join([msg.text[1:], *lines]).rstrip()[:-1]
                msg.text = body.replace('""', '"')
                msg.media = media_kind(msg.text)
                msg.kind = KIND_MEDIA if msg.media else KIND_TEXT
        return True

    def _abandon_quote(self) -> None:
        """No closing quote: the opening quote was typed by the member. The text stays as written
        and the held lines are read again as ordinary lines (blank, date, continuation…)."""
        held, self.quote = self.quote or [], None
        for no, line in held:
            self._feed(no, line)

    def _continuation(self, no: int, line: str) -> None:
        if isinstance(self.last, ChatMessage):
            self.last.text = f"{self.last.text}\n{line.rstrip()}"
            self.count(CONTINUATION)
        elif self.day is None:
            self.unparsed(no, line, "日付の行より前にあります")
        else:
            self.unparsed(no, line, "メッセージの形になっていません")


def parse_text(text: str) -> ParsedExport:
    """Read an export already decoded to text. Never raises on odd input."""
    return _Parser(split_lines(text)).run()


def parse_bytes(data: bytes) -> ParsedExport:
    """Read an export as uploaded (any of the encodings the apps write)."""
    text, encoding = decode(data)
    out = parse_text(text)
    out.encoding = encoding
    return out
