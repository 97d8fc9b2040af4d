"""A tolerant reader for LINE's talk-history export (トーク履歴を送信, a .txt file).

The format differs by app version, OS and language: header lines, date lines
(2024/01/14(日), 2024.01.14 日曜日, Sun, 1/14/2024 …), message lines
"HH:MM<TAB>name<TAB>text" with 午前/午後 or AM/PM times, multi-line messages quoted with doubled
quotes (newer apps) or simply continued on the next lines (older apps), system lines and media
placeholders. Every line of the file is accounted for in `ParsedExport.line_counts`; lines that
cannot be placed are returned in `ParsedExport.unparsed` with their line number, never dropped or
guessed, and lines read with a doubt (a date whose weekday disagrees) are named in
`ParsedExport.warnings`. `ParsedExport.format` says which app layout and language were recognised.

Real exports differ from what one would expect in a few places, all handled here:
- the Japanese 12-hour apps write noon as 「午前12:03」 (the PC export of the same chat says 12:03);
- PC/Mac exports in English write media as bare words (「Photos」「Stickers」), without brackets;
- a date line may carry a weekday that does not match its date (the date is used, with a warning);
- a first line may hold only the chat name, without 「[LINE]」.
Dates outside the years LINE can have written (before 2011, or far in the future) are kept aside:
their posts are listed as unparsed, not read as posts.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from facilitation.files.encoding import decode_bytes

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
# PC/Mac exports in English write some media as a bare word, the whole post (no brackets).
BARE_MEDIA: dict[str, str] = {
    "photos": "写真", "photo": "写真", "stickers": "スタンプ", "sticker": "スタンプ", "videos": "動画",
    "video": "動画", "files": "ファイル", "file": "ファイル",
}

# Dates LINE can have written: the service started in June 2011; far-future dates are corrupt lines.
FIRST_YEAR = 2011
MAX_YEARS_AHEAD = 10

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
    re.compile(r"^\[LINE\]\s*(.+)のトーク履歴\s*$"),
    re.compile(r"^(?:chat history (?:with|in)\s+)(.+)$", re.IGNORECASE),
    re.compile(r"^\[LINE\]\s*(.+)$"),
    re.compile(r"^(.+)のトーク履歴\s*$"),
)
_SAVED_RES = (
    re.compile(r"(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})(.*)$"),
    re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(.*)$"),
)
_SAVED_TIME_RE = re.compile(r"(?:(午前|午後|am|pm)\s*)?\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:am|pm))?", re.IGNORECASE)
# A PC/Mac line whose time is glued to the sender's name: 「07:28奈緒 受けるかな」.
_GLUED_LINE_RE = re.compile(r"^(\d{1,2}:\d{2})([^\s\d:].*)$")

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
    last_line: int = 0  # the post's last line (its continuation lines run from line_no to here)


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
class ParseWarning:
    """A line that was read, but with a doubt the secretariat should know about."""

    line_no: int  # 1-based
    text: str
    message: str  # Japanese


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
    format: str = ""  # 「LINE（スマートフォン・日本語）」…; "" when no LINE layout was recognised
    warnings: list[ParseWarning] = field(default_factory=list)
    header_lines: list[int] = field(default_factory=list)  # line numbers of header and date lines
    language: str = ""  # a UI language not read (「中国語（繁体字）」…): the export is refused, nothing read
    refusal: str = ""  # the Japanese message saying so

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
            "format": self.format,
            "encoding": self.encoding,
            "warnings": [{"line": w.line_no, "text": w.text, "message": w.message} for w in self.warnings],
            "refused_language": self.language,
            "refusal": self.refusal,
        }


# --- small readers -------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, str]:
    """Bytes of an export as text, and the encoding used (files.encoding). A chat with a few broken
    bytes is still worth reading: they become U+FFFD and the encoding name says so."""
    decoded = decode_bytes(data)
    if decoded is not None:
        text, name = decoded
        return text, "utf-8" if name == "utf-8-sig" else name
    return data.decode("utf-8", errors="replace").removeprefix("\ufeff"), "utf-8 (一部読めない文字)"


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
    """「9:05」「09:05」「午後1:30」「1:30 PM」「PM 1:30」 → time; None when it is not a time.

    LINE's Japanese 12-hour layout writes noon as 「午前12:03」 (the same chat exported from LINE PC
    says 12:03) and midnight as 「午前0:03」, so 午前12 is noon; 「12:03 AM」 is midnight as in English.
    """
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
        elif marker == "am" and hour == 12:
            hour = 0
    if hour > 23:
        return None
    return dt.time(hour, minute)


_AFTER_MIDNIGHT_RE = re.compile(r"^24:([0-5]\d)$")


def line_time(text: str) -> tuple[dt.time | None, bool]:
    """The time of a post line, and whether it was written 「24:MM」.

    Older Android apps write the minutes just after midnight as 24:01 … 24:59 under the new day's
    date line: they are 00:01 … 00:59 of that date (True says so, for one warning per file).
    """
    t = parse_time(text)
    if t is not None:
        return t, False
    if m := _AFTER_MIDNIGHT_RE.match(unicodedata.normalize("NFKC", text).strip()):
        return dt.time(0, int(m.group(1))), True
    return None, False


def _is_time(text: str) -> bool:
    return line_time(text)[0] is not None


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

    A weekday, when written, must agree with the date (so a typed 「2024/01/14(月)」 is not taken);
    `read_date_line` also returns dates whose weekday disagrees, for the parser to judge by context.
    """
    day, weekday_ok = read_date_line(line)
    return day if weekday_ok else None


def read_date_line(line: str) -> tuple[dt.date | None, bool]:
    """(date, whether a written weekday agrees with it) for a date line; (None, False) otherwise.

    A readable weekday that disagrees gives (date, False); an unreadable word after the date means
    the line is no date line.
    """
    if "\t" in line or len(line) > 60:  # date lines are short and never hold a tab
        return None, False
    s = unicodedata.normalize("NFKC", line).strip()
    if len(s) > 40 or not s[:1].isalnum():
        return None, False
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
    if day is None or wd is False:
        return None, False
    return day, wd is None or wd == day.weekday()


def sane_date(day: dt.date, today: dt.date | None = None) -> bool:
    """False for dates LINE cannot have written: before 2011, or more than 10 years ahead."""
    today = today or dt.date.today()
    return FIRST_YEAR <= day.year <= today.year + MAX_YEARS_AHEAD


def system_event(text: str) -> tuple[str, str, str]:
    """(kind, actor, new_name) for a system line's text; kind "other" when not recognised."""
    s = text.strip()
    for kind, pattern in _SYSTEM_PATTERNS:
        if m := pattern.match(s):
            groups = m.groupdict()
            return kind, (groups.get("actor") or "").strip(), (groups.get("new") or "").strip()
    return EVENT_OTHER, "", ""


def media_kind(text: str, bare: bool = False) -> str:
    """「写真」 for 「[写真]」 or 「[Photo]」…; "" when the text is not a media placeholder.

    With `bare` (PC/Mac layouts), the English apps' bare words 「Photos」「Stickers」… count too.
    """
    text = text.strip()
    if bare and (label := BARE_MEDIA.get(text.lower())):
        return label
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
            name = m.group(1).strip().strip("「」")
            if len(name) > 2 and name[0] in "\"“" and name[-1] in "\"”":  # Chat history in "GroupChat"
                name = name[1:-1].strip()
            return name
    return ""


def _saved_at(s: str) -> dt.datetime | None:
    """「保存日時：2021/04/30 午後1:16」「Saved on: 3/1/2024, 9:15 PM」 → datetime (午前/午後, AM/PM read)."""
    n = unicodedata.normalize("NFKC", s)
    if m := _SAVED_RES[0].search(n):
        y, mo, d = (int(x) for x in m.groups()[:3])
    elif m := _SAVED_RES[1].search(n):
        mo, d, y = (int(x) for x in m.groups()[:3])
    else:
        return None
    t = _SAVED_TIME_RE.search(m.group(4))
    when = parse_time(t.group(0)) if t else None
    if when is None:
        return None
    try:
        return dt.datetime(y, mo, d, when.hour, when.minute)
    except ValueError:
        return None


def _closes_quote(s: str) -> bool:
    """True when a line of a quoted message ends it: an odd run of quotes at its end."""
    s = s.rstrip()
    n = len(s) - len(s.rstrip('"'))
    return n % 2 == 1


_QUOTES_RE = re.compile(r'"+')
# LINE limits a message to 10,000 characters; doubled quotes at most double that.
MAX_QUOTED_CHARS = 20_000


def _paired(s: str) -> bool:
    """True when every quote in a line of a quoted message is doubled, as the apps write them."""
    return all(len(q) % 2 == 0 for q in _QUOTES_RE.findall(s))


# --- languages the parser does not read ------------------------------------------------------

# Words of LINE's headers, date lines and times in the UI languages that are not read here
# (Japanese and English are). Each: (language in Japanese, pattern on a header line, pattern on a
# date line or a time).
_FOREIGN: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    ("中国語（繁体字）", re.compile(r"聊天記錄|儲存日期|與.*的聊天"), re.compile(r"^$")),
    ("中国語（簡体字）", re.compile(r"聊天记录|保存日期|与.*的聊天"), re.compile(r"^$")),
    ("中国語", re.compile(r"^$"), re.compile(r"星期[一二三四五六日天]|[（(][一二三四五六][)）]|^(?:上午|下午)\s*\d")),
    ("韓国語", re.compile(r"[\uac00-\ud7a3]"), re.compile(r"[\uac00-\ud7a3]")),
    ("タイ語", re.compile(r"[\u0e00-\u0e7f]"), re.compile(r"[\u0e00-\u0e7f]")),
    ("ドイツ語", re.compile(r"Chatverlauf|Gespeichert am", re.IGNORECASE),
     re.compile(r"\b(?:Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)\b|^(?:Mo|Di|Mi|Do|Fr|Sa|So)\.,? ",
                re.IGNORECASE)),
    ("スペイン語", re.compile(r"Historial de(?:l)? chat|Guardado el", re.IGNORECASE),
     re.compile(r"\b(?:lunes|martes|miércoles|jueves|viernes|sábado|domingo)\b", re.IGNORECASE)),
    ("フランス語", re.compile(r"Historique d|Enregistré le", re.IGNORECASE),
     re.compile(r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b", re.IGNORECASE)),
    ("インドネシア語", re.compile(r"Riwayat (?:obrolan|chat)|Disimpan pada", re.IGNORECASE),
     re.compile(r"\b(?:Senin|Selasa|Rabu|Kamis|Jumat|Sabtu|Minggu)\b", re.IGNORECASE)),
]
_DATE_LIKE_RE = re.compile(r"^(?:\d{4}\s*[/.\-年]\s*\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|[^\W\d_]{2,12}\.?,? \d)")
_FOREIGN_TIME_RE = re.compile(r"^(?:上午|下午|오전|오후)\s*\d{1,2}:\d{2}")


def foreign_language(lines: list[str]) -> str:
    """The UI language of an export that is LINE's but in a language this parser does not read
    (「中国語（繁体字）」「韓国語」…), judged from its header, date lines and times; "" otherwise.

    Japanese or English header and date lines count against it, so a Japanese chat where members
    write Korean or Chinese is still read.
    """
    known = 0
    foreign: Counter[str] = Counter()
    seen_header = 0
    for line in lines[:400]:
        s = line.strip()
        if not s:
            continue
        if seen_header < 3 and "\t" not in s:  # the first lines: the header
            seen_header += 1
            lang = next((lang for lang, header, _date in _FOREIGN if header.search(s)), "")
            if any(r.search(s) for r in _HEADER_RES[1:]):  # 「…のトーク履歴」「保存日時」「Chat history」
                known += 2  # whatever the chat's name is written in
            elif lang:  # 「[LINE] 與…的聊天記錄」 starts like a Japanese header: the words decide
                foreign[lang] += 2
            elif _header_line(s):
                known += 2
        if "\t" in s:
            head = s.split("\t", 1)[0]
            if _FOREIGN_TIME_RE.match(head):
                foreign["韓国語" if re.search(r"[\uac00-\ud7a3]", head) else "中国語"] += 1
            continue
        if len(s) > 40 or not _DATE_LIKE_RE.match(s):
            continue
        if read_date_line(s)[0] is not None:
            known += 1
            continue
        for lang, _header, date in _FOREIGN:
            if date.search(s):
                foreign[lang] += 1
                break
    if not foreign:
        return ""
    lang, n = foreign.most_common(1)[0]
    if n <= known:
        return ""
    if lang == "中国語":  # the header may say which script
        lang = max(("中国語（繁体字）", "中国語（簡体字）"), key=lambda k: foreign[k]) if (
            foreign["中国語（繁体字）"] or foreign["中国語（簡体字）"]) else lang
    return lang


def refusal_message(language: str) -> str:
    return (f"{language}の LINE の書き出しのようです。この読み取りは日本語と英語の表示にだけ対応しています。"
            "LINE の表示言語を日本語か英語にしてから、もう一度「トーク履歴を送信」で書き出してください。")


# --- the parser ----------------------------------------------------------------------------

class _Parser:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.out = ParsedExport(total_lines=len(lines))
        self.day: dt.date | None = None
        self.bad_day: dt.date | None = None  # an impossible date line: its posts are kept aside
        self.last: ChatMessage | SystemEvent | None = None
        self.quote: list[tuple[int, str]] | None = None  # open quoted message: lines held after the first
        self.quote_end = 0  # the line that closes the open quoted message
        self.after_midnight: list[tuple[int, str]] = []  # posts written 「24:MM」 (older Android)
        self.in_header = True
        self.prev_blank = True
        self.blanks = self.blanks_before = 0  # blank lines just read (kept inside an unquoted message)
        self.known: set[str] = set()
        self.today = dt.date.today()
        self.language: Counter[str] = Counter()  # "ja" / "en" signals from headers and date lines
        self.name_from_history = False  # the chat name came from 「…のトーク履歴」
        self.space_layout = self._detect_space_layout()

    def _detect_space_layout(self) -> bool:
        """Older PC/Mac exports separate time, name and text with spaces instead of tabs."""
        tabs = spaces = 0
        for line in self.lines[:2000]:
            if "\t" in line:
                tabs += 1
            elif (m := _SPACE_LINE_RE.match(line)) and _is_time(m.group(1)):
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

    def warn(self, no: int, text: str, message: str) -> None:
        self.out.warnings.append(ParseWarning(no, text, message))

    def run(self) -> ParsedExport:
        if language := foreign_language(self.lines):
            return self._refuse(language)
        for no, line in enumerate(self.lines, start=1):
            self._feed(no, line)
        while self.quote is not None:
            self._abandon_quote()
        if self.after_midnight:
            no, line = self.after_midnight[0]
            more = len(self.after_midnight) - 1
            self.warn(no, line, f"{no}行目{f'ほか{more}件' if more else ''}の「24:MM」という時刻（古い Android 版の"
                                "書き方）は、その日付の 0:MM として読みました。")
        self.out.messages.sort(key=lambda m: (m.at, m.line_no))
        self.out.events.sort(key=lambda e: (e.at, e.line_no))
        self.out.format = self._format()
        self._one_to_one_name()
        return self.out

    def _refuse(self, language: str) -> ParsedExport:
        """An export in a UI language not read: nothing is read, every line is listed with why."""
        self.out.language, self.out.refusal = language, refusal_message(language)
        reason = f"{language}の表示で書き出されたファイルのため読み取りません"
        for no, line in enumerate(self.lines, start=1):
            if line.strip():
                self.unparsed(no, line, reason)
            else:
                self.count(BLANK)
        return self.out

    def _one_to_one_name(self) -> None:
        """「[LINE] 佐藤とのトーク履歴」 names a one-to-one chat with 佐藤, 「[LINE] どうねっとのトーク履歴」
        a group called どうねっと: a name read as ending in 「と」 loses it when the chat is between two
        people (at most two posting members and nobody joining or leaving)."""
        name = self.out.chat_name
        if (name.endswith("と") and len(name) > 1 and not self.in_header and len(self.out.members) <= 2
                and not any(e.kind in (EVENT_JOIN, EVENT_LEAVE) for e in self.out.events)
                and self.name_from_history):
            self.out.chat_name = name[:-1]

    def _format(self) -> str:
        """「LINE（スマートフォン・日本語）」「LINE（PC/Mac・英語）」…; "" when nothing was recognised."""
        if not (self.out.line_counts[DATE] or self.out.messages or self.out.events):
            return ""
        layout = "PC/Mac" if self.space_layout else "スマートフォン"
        if not self.language:
            return f"LINE（{layout}）"
        language = "日本語" if self.language["ja"] >= self.language["en"] else "英語"
        return f"LINE（{layout}・{language}）"

    def _note_language(self, text: str) -> None:
        if re.search(r"[月火水木金土日年]|トーク|保存", text):
            self.language["ja"] += 1
        elif re.search(r"[A-Za-z]{3}", text):
            self.language["en"] += 1

    def _feed(self, no: int, line: str) -> None:
        if self.quote is not None and self._quoted_line(no, line):
            return  # (when the quote was abandoned, this line is read normally below)
        stripped = line.strip()
        if not stripped:
            self.count(BLANK)
            self.prev_blank = True
            self.blanks += 1
            return
        self.blanks_before, self.blanks = self.blanks, 0
        if self.in_header and self.day is None and _header_line(stripped):
            self.count(HEADER)
            self.out.header_lines.append(no)
            self._note_language(stripped)
            if not self.out.chat_name:
                self.out.chat_name = _chat_name(stripped)
                self.name_from_history = stripped.endswith("トーク履歴")
            if self.out.saved_at is None and ("保存" in stripped or "saved" in stripped.lower()):
                self.out.saved_at = _saved_at(stripped)
            self.prev_blank = False
            return
        day, weekday_ok = read_date_line(stripped)
        if day is not None and self._date(no, stripped, day, weekday_ok):
            self.prev_blank = False
            return
        if no == 1 and self._title_line(stripped):
            self.count(HEADER)
            self.out.header_lines.append(no)
            self.out.chat_name = stripped.strip("「」")
            self.prev_blank = False
            return
        self.prev_blank = False
        if "\t" in line:
            self._tab_line(no, line)
        elif self.space_layout and (m := _SPACE_LINE_RE.match(line)) and _is_time(m.group(1)):
            self._space_line(no, m.group(1), m.group(2))
        elif self.space_layout and self._glued_line(no, line):
            return
        else:
            self._continuation(no, line)

    def _date(self, no: int, line: str, day: dt.date, weekday_ok: bool) -> bool:
        """Take a date line (True), or leave it to be read as text typed in a message (False).

        A date typed inside an old-style multi-line message must not move the calendar back; a date
        line whose weekday disagrees, or whose date is impossible, is taken only where a date line
        stands: at the start, after a blank line, or right before a post.
        """
        doubtful = not weekday_ok or not sane_date(day, self.today)
        if doubtful:
            if not ((self.day is None and self.bad_day is None) or self.prev_blank or self._post_follows(no)):
                return False
        elif not (self.day is None or self.prev_blank or day >= self.day):
            return False
        self.in_header = False
        self.last = None
        self.count(DATE)
        self.out.header_lines.append(no)
        self._note_language(line)
        if not sane_date(day, self.today):
            self.day, self.bad_day = None, day
            self.warn(no, line, f"{no}行目の日付 {day:%Y/%m/%d} は LINE の記録としてありえないため、"
                                "この日付の投稿は取り込まず、読み取れなかった行として示します。")
            return True
        self.day, self.bad_day = day, None
        if not weekday_ok:
            self.warn(no, line, f"{no}行目の日付 {day:%Y/%m/%d} の曜日が合いません"
                                f"（{'月火水木金土日'[day.weekday()]}曜日のはずです）。日付のほうを使いました。")
        return True

    def _post_follows(self, no: int) -> bool:
        """True when the line after line `no` is a post or system line (time, then tab or space)."""
        if no >= len(self.lines):
            return False
        nxt = self.lines[no]  # lines are 1-based: line no + 1 is self.lines[no]
        if "\t" in nxt:
            return _is_time(nxt.split("\t", 1)[0])
        m = _SPACE_LINE_RE.match(nxt)
        return bool(m and _is_time(m.group(1)))

    def _title_line(self, stripped: str) -> bool:
        """The first line holds only the chat's name (no 「[LINE]」) when a header or date line follows."""
        if "\t" in stripped or len(stripped) > 100 or _SPACE_LINE_RE.match(stripped):
            return False
        for nxt in self.lines[1:4]:
            s = nxt.strip()
            if s:
                return _header_line(s) or read_date_line(s)[0] is not None
        return False

    # each kind of line

    def _when(self, no: int, line: str, time_text: str) -> dt.datetime | None:
        t, after_midnight = line_time(time_text)
        if t is None:
            self.unparsed(no, line, "時刻が読み取れません")
            return None
        if self.bad_day is not None:
            self.unparsed(no, line, f"ありえない日付（{self.bad_day:%Y/%m/%d}）の投稿のため取り込みません")
            return None
        if self.day is None:
            self.unparsed(no, line, "日付の行より前にあります")
            return None
        if after_midnight:
            self.after_midnight.append((no, line))
        return dt.datetime.combine(self.day, t)

    def _tab_line(self, no: int, line: str) -> None:
        parts = line.split("\t", 2)
        if not _is_time(parts[0]):
            if isinstance(self.last, ChatMessage):  # a tab typed inside an old-style multi-line message
                self._continuation(no, line)
            else:
                self.unparsed(no, line, "時刻が読み取れません")
            return
        at = self._when(no, line, parts[0])
        if at is None:
            self.last = None
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
            self.last = None
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
        self._post(no, at, sender, text, bare_media=True)

    def _glued_line(self, no: int, line: str) -> bool:
        """「07:28奈緒 受けるかな」: a post line missing the space after its time. It is listed as
        unreadable (True) rather than guessed; a line typed in a message such as 「10:00から」 is not."""
        m = _GLUED_LINE_RE.match(line)
        if not m or parse_time(m.group(1)) is None:
            return False
        rest = m.group(2)
        if not any(rest.startswith(n + " ") or rest == n for n in self.known):
            return False
        self.unparsed(no, line, "時刻と名前の間に空白がないため、投稿として読めません")
        self.last = None
        return True

    def _system(self, no: int, at: dt.datetime, text: str) -> None:
        kind, actor, new = system_event(text)
        event = SystemEvent(at=at, kind=kind, actor=actor, text=text, new_name=new, line_no=no)
        self.out.events.append(event)
        self.last = event
        self.count(SYSTEM)

    def _post(self, no: int, at: dt.datetime, sender: str, text: str, bare_media: bool = False) -> None:
        stripped = text.strip()
        if stripped in ("メッセージの送信を取り消しました", "メッセージの送信を取り消しました。",
                        "Message unsent.", "Message unsent", "unsent a message."):
            event = SystemEvent(at=at, kind=EVENT_UNSEND, actor=sender, text=f"{sender}\t{stripped}", line_no=no)
            self.out.events.append(event)
            self.last = event
            self.count(SYSTEM)
            return
        self.count(MESSAGE)
        media = media_kind(stripped, bare=bare_media)
        msg = ChatMessage(at=at, sender=sender, text=text.rstrip(), kind=KIND_MEDIA if media else KIND_TEXT,
                          media=media, line_no=no, last_line=no)
        self.out.messages.append(msg)
        self.last = msg
        if text.startswith('"') and (end := self._quote_end(no, text)):
            self.quote, self.quote_end = [], end

    def _quote_end(self, no: int, text: str) -> int:
        """The line closing a quoted multi-line message opened on line `no`; 0 when the opening quote
        was typed by the member (nothing closes it, or its quotes are not doubled as the apps write
        them inside a quoted message). Lines up to the closing one belong to the message whatever
        they look like: a line typed as 「12:00<TAB>佐藤<TAB>…」 inside it is text, not a post."""
        rest = text[1:].rstrip()
        if not _paired(rest):  # a quote of its own or an odd one: typed by the member
            return 0
        size = len(rest)
        for i in range(no, len(self.lines)):  # self.lines[i] is line i + 1
            line = self.lines[i].rstrip()
            size += len(line) + 1
            if size > MAX_QUOTED_CHARS:
                return 0
            if _closes_quote(line):
                return i + 1 if _paired(line[:-1]) else 0
            if not _paired(line):
                return 0
        return 0

    def _quoted_line(self, no: int, line: str) -> bool:
        """A line inside a quoted multi-line message (newer apps), up to its closing line."""
        if self.quote is None:
            return False
        self.quote.append((no, line))
        if no == self.quote_end:
            msg = self.last
            lines = [text for _, text in self.quote]
            self.count(CONTINUATION, len(lines))
            self.quote = None
            if isinstance(msg, ChatMessage):
                msg.last_line = no
                body = "\n".join([msg.text[1:], *lines]).rstrip()[:-1]
                msg.text = body.replace('""', '"').rstrip()  # blank lines before the closing quote
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
            gap = self.blanks_before  # blank lines typed inside the message belong to it
            self.last.text = f"{self.last.text}\n{chr(10) * gap}{line.rstrip()}"
            self.last.last_line = no
            self.count(CONTINUATION, 1 + gap)
            self.count(BLANK, -gap)
        elif self.bad_day is not None:
            self.unparsed(no, line, f"ありえない日付（{self.bad_day:%Y/%m/%d}）の投稿のため取り込みません")
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
