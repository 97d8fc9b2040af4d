"""What a file is: the one place that recognises the exports partners send (Google フォーム,
Microsoft Forms, connpass, Peatix, or any other table), says so in Japanese with how sure it is,
and prepares the table the way that export needs.

Recognition looks at the header row only (the rows vary, the headers a tool writes do not): each
format lists groups of headers it always writes; the share of groups found is the confidence.
Every importer of people's answers (registrations, surveys) asks `detect`; nothing else guesses.

What a format changes before the rows are read:
- Microsoft Forms writes 「anonymous」 in メール / 名前 when the form does not ask people to sign
  in: those cells become blank (an address that is not one would keep every row aside).
- Microsoft Forms joins a multi-select answer with 「;」 (「A;B;」); for a survey it becomes the
  「A, B」 Google Forms writes, so the survey reader counts each option.
- A participation status column (connpass 参加ステータス, Peatix ステータス, any 「状態」) marks rows
  of people who cancelled, were not drawn or wait for a seat: `not_attending` says which and why;
  the importer lists them with that reason instead of counting them as participants.
- connpass's 出欠ステータス (checked in at the door) gives an attendance mark: `attendance_mark`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from facilitation.text.headers import header_key
from facilitation.text.normalize import clean


@dataclass(frozen=True)
class Format:
    """A known export: how to recognise it, and what its columns mean."""

    id: str
    label: str  # Japanese, as in 「connpass の参加者CSVとして読みました」
    groups: tuple[tuple[str, ...], ...] = ()  # header spellings; one point for each group found
    required: int = 1  # groups that must be found before the format is claimed
    must: tuple[int, ...] = ()  # indexes of groups that must be among them
    preset: tuple[tuple[str, str], ...] = ()  # (header, registration field or "" = keep as extra field)
    status: tuple[str, ...] = ()  # headers of its participation status column
    anonymous: tuple[str, ...] = ()  # headers whose 「anonymous」 means blank
    multi_join: str = ""  # how it joins the options of a multi-select answer
    attendance: tuple[str, ...] = ()  # headers of its attendance column (checked in at the door)


GOOGLE_FORMS = Format("google_forms", "Google フォームの回答", groups=(("タイムスタンプ", "timestamp"),))
MS_FORMS = Format(
    "ms_forms", "Microsoft Forms の回答",
    groups=(("ID",), ("開始時刻", "start time"), ("完了時刻", "completion time"), ("メール", "email"),
            ("名前", "name"), ("最終変更時刻", "last modified time")),
    required=3, must=(1, 2),
    preset=(("ID", ""), ("開始時刻", ""), ("Start time", ""), ("最終変更時刻", ""), ("Last modified time", ""),
            ("完了時刻", "timestamp"), ("Completion time", "timestamp")),
    anonymous=("メール", "名前", "Email", "Name"), multi_join=";")
CONNPASS = Format(
    "connpass", "connpass の参加者CSV",
    groups=(("参加枠名",), ("ユーザー名",), ("表示名",), ("参加ステータス",), ("出欠ステータス",), ("受付番号",),
            ("利用開始日", "コメント", "更新日時", "出席日時")),
    required=4,
    # 表示名 (name) and コメント (note) come from the shared vocabulary, so a questionnaire's 「氏名」 or
    # 「備考」 still wins; the account (ユーザー名) is never the name.
    preset=(("参加枠名", ""), ("ユーザー名", ""), ("利用開始日", ""), ("参加ステータス", ""), ("出欠ステータス", ""),
            ("出席日時", ""), ("更新日時", "timestamp"), ("受付番号", "")),
    status=("参加ステータス",), attendance=("出欠ステータス",))
PEATIX = Format(
    "peatix", "Peatix の参加者CSV",
    groups=(("販売ID", "注文ID", "注文番号"), ("チケット名", "チケット"), ("枚数",), ("ステータス", "支払状況", "支払い状況"),
            ("参加者名", "参加者名（カナ）", "参加者名(カナ)"), ("注文日時", "申込日", "申込日時", "購入日時"),
            ("アカウント名", "チケットID", "チケット番号", "割引コード", "ユーザーID")),
    required=4,
    # 参加者名 is the name in katakana (Peatix shows no other): the reading, or the name when the
    # event's form asked none (forms.map_columns).
    preset=(("参加者名", "furigana"), ("販売ID", ""), ("注文ID", ""), ("注文番号", ""), ("ユーザーID", ""),
            ("アカウント名", ""), ("チケット名", ""), ("枚数", ""), ("チケットID", ""), ("チケット番号", ""),
            ("ステータス", ""), ("支払状況", ""), ("支払い状況", ""), ("割引コード", ""), ("注文日時", "timestamp"),
            ("申込日", "timestamp")),
    status=("ステータス", "支払状況", "支払い状況"))
TABLE = Format("table", "表形式のファイル")
FORMATS: tuple[Format, ...] = (MS_FORMS, CONNPASS, PEATIX, GOOGLE_FORMS)
SURE = 0.8  # below this the message says the headers differ from the usual ones

# Any table: a column with one of these headers says whether the person still takes part.
STATUS_HEADERS = ("参加ステータス", "ステータス", "状態", "申込状況", "参加状況", "支払状況", "支払い状況", "status")
_NOT_ATTENDING = re.compile(r"キャンセル|取消|取り消|cancel|期限切れ|expired|補欠|落選|抽選待ち|waitlist|waiting|辞退|不参加",
                            re.I)
_ANONYMOUS = {"anonymous"}
_PRESENT = re.compile(r"出席|受付済|来場|チェックイン済|checked.?in|attended", re.I)
_ABSENT = re.compile(r"欠席|不参加|未出席|absent|no.?show", re.I)


@dataclass
class Detected:
    """What a table was recognised as."""

    format: Format
    confidence: float  # 0–1: the share of the format's header groups found
    missing: list[str] = field(default_factory=list)  # a header of each group not found (when not sure)
    status_column: int | None = None  # the participation status column, if any
    attendance_column: int | None = None  # the attendance column (connpass 出欠ステータス), if any

    @property
    def id(self) -> str:
        return self.format.id

    @property
    def label(self) -> str:
        return self.format.label

    @property
    def preset(self) -> dict[str, str]:
        """The format's own column mapping ({header: field or ""}), under a saved one."""
        return dict(self.format.preset)

    def message(self, table=None) -> str:
        """「connpass の参加者CSV（Shift_JIS）として読みました。」 and, when not sure, which headers differ."""
        how = _how(table) if table is not None else ""
        if "CSV" in self.label:
            how = how.replace("（CSV・", "（").replace("（CSV）", "")
        text = f"{self.label}{how}として読みました。"
        if self.format is not TABLE and self.confidence < SURE:
            text = (f"{self.label}{how}とみて読みました（いつもの見出しのうち「{'」「'.join(self.missing)}」が"
                    "ありません。列の対応を確認してください）。")
        return text

    def not_attending(self, row: list[str], headers: list[str], number: int) -> str:
        """The Japanese reason a row is not a participant (cancelled, not drawn, waiting), or ""."""
        i = self.status_column
        if i is None or i >= len(row):
            return ""
        value = clean(row[i])
        if not value or not _NOT_ATTENDING.search(value):
            return ""
        return f"{number}行目「{headers[i]}」: 「{value}」の方です。参加者としては取り込んでいません。"

    def attendance_mark(self, row: list[str]) -> str:
        """「出席」 or 「欠席」 when the attendance column says so (「出席」「受付済」「チェックイン済」…), else ""."""
        i = self.attendance_column
        value = clean(row[i]) if i is not None and i < len(row) else ""
        if not value:
            return ""
        if _ABSENT.search(value):
            return "欠席"
        return "出席" if _PRESENT.search(value) else ""

    def as_dict(self) -> dict:
        return {"format": self.id, "format_label": self.label, "confidence": round(self.confidence, 2)}


ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "cp932": "Shift_JIS", "utf-16": "UTF-16"}
DELIMITERS = {"\t": "タブ区切り", ";": "セミコロン区切り", "|": "縦棒区切り"}


def _how(table) -> str:
    """「（CSV・Shift_JIS）」「（Excel）」「（CSV・UTF-8・セミコロン区切り）」: what the reader found."""
    encoding = getattr(table, "encoding", "") or ""
    if encoding == "xlsx":
        return "（Excel）"
    if encoding == "sheets":
        return "（Google スプレッドシート）"
    if not encoding:
        return ""
    parts = ["CSV", ENCODINGS.get(encoding, encoding)]
    if getattr(table, "delimiter", "") in DELIMITERS:
        parts.append(DELIMITERS[table.delimiter])
    return f"（{'・'.join(parts)}）"


@lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return header_key(text)


def detect(table) -> Detected:
    """What `table` (anything with `.headers`) is: the known format whose header groups are found
    best, or TABLE (any other table, confidence 1)."""
    keys = [_key(h) for h in table.headers]
    if not keys:
        return Detected(TABLE, 1.0)
    have = set(keys)
    best: Detected | None = None
    for fmt in FORMATS:
        found = [any(_key(h) in have for h in group) for group in fmt.groups]
        if sum(found) < fmt.required or not all(found[i] for i in fmt.must):
            continue
        if fmt is GOOGLE_FORMS and keys[0] not in {_key(h) for h in fmt.groups[0]}:
            continue  # a form's timestamp is its first column
        confidence = sum(found) / len(found)
        if best is None or confidence > best.confidence:
            best = Detected(fmt, confidence, [g[0] for g, ok in zip(fmt.groups, found, strict=True) if not ok])
    best = best or Detected(TABLE, 1.0)
    statuses = [_key(h) for h in (best.format.status or STATUS_HEADERS)]
    best.status_column = next((keys.index(s) for s in statuses if s in have), None)
    best.attendance_column = next((keys.index(_key(h)) for h in best.format.attendance if _key(h) in have), None)
    return best


def _anonymous(value: str) -> bool:
    return value.strip().lower() in _ANONYMOUS


def prepare(table, detected: Detected, *, for_survey: bool = False):
    """The table as its format means it (see the module docstring); the same object when nothing changes."""
    fmt = detected.format
    blank = [i for i, h in enumerate(table.headers) if _key(h) in {_key(a) for a in fmt.anonymous}]
    join = fmt.multi_join if for_survey else ""
    if not blank and not join:
        return table
    rows = []
    for row in table.rows:
        row = list(row)
        for i in blank:
            if i < len(row) and _anonymous(str(row[i])):
                row[i] = ""
        if join:
            row = [_joined(c, join) if isinstance(c, str) else c for c in row]
        rows.append(row)
    return replace(table, rows=rows)


def _joined(cell: str, join: str) -> str:
    """「A;B;」 → 「A, B」 (Microsoft Forms' multi-select); a cell without the trailing mark is left alone."""
    s = cell.strip()
    if not s.endswith(join):
        return cell
    return ", ".join(p.strip() for p in s.split(join) if p.strip())


def for_survey(table):
    """A survey's table: detected, prepared, and a note saying what it was read as."""
    detected = detect(table)
    out = prepare(table, detected, for_survey=True)
    if out is table:
        out = replace(table, notes=list(table.notes))
    out.notes.insert(0, detected.message(table))
    return out
