"""The standard registration form: its questions, the header variants real sheets drift into,
per-meeting column mappings, and how each answer is read (dates, years, yes/no, multi-select).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from facilitation.text import headers, vocab
from facilitation.text.normalize import clean

# field id → the question as printed on the standard form (domain data, so Japanese).
STANDARD: dict[str, str] = {
    "timestamp": "タイムスタンプ",
    "email": "メールアドレス",
    "name": "氏名",
    "furigana": "ふりがな",
    "org": "所属（法人・機関名）",
    "department": "部署・事業所名",
    "region": "地域（振興局）",
    "programs": "担当している事業（複数選択可）",
    "role_title": "職種・立場",
    "years": "経験年数",
    "mode": "参加方法",
    "choice1": "希望テーマ（第1希望）",
    "choice2": "希望テーマ（第2希望）",
    "choice3": "希望テーマ（第3希望）",
    "facilitator": "ファシリテーターの協力",
    "note": "備考",
}
FIELDS: tuple[str, ...] = tuple(STANDARD)
STANDARD_HEADERS: list[str] = list(STANDARD.values())
IGNORE = ""  # a saved mapping value meaning "keep this column as an extra field"
TEMPLATE_CSV = vocab.DATA_DIR / "registration_form_template.csv"

def header_key(text: str) -> str:
    """See headers.header_key (the one vocabulary every importer shares)."""
    return headers.header_key(text)


def recognise(header: str) -> tuple[str | None, int]:
    """The field a header most likely means, with a strength (0 = unknown, 1000 = standard text);
    the words are headers.CONTAINS / headers.EXACT, shared with the surveys and format detection."""
    return headers.recognise(header, STANDARD)


@dataclass
class ColumnMap:
    """Which column holds which field; everything else is kept as extra fields."""

    headers: list[str]
    columns: dict[str, int] = field(default_factory=dict)  # field → column index
    extras: list[int] = field(default_factory=list)
    saved: dict[str, str] = field(default_factory=dict)  # the mapping the secretariat saved

    def header_of(self, field_id: str) -> str:
        i = self.columns.get(field_id)
        return self.headers[i] if i is not None else STANDARD[field_id]

    @property
    def has_identity(self) -> bool:
        """A person can be told apart only with a name or an e-mail column."""
        return "name" in self.columns or "email" in self.columns

    def as_rows(self) -> list[dict[str, str]]:
        """[{見出し, 項目}] for the mapping editor (項目 is "" for extra fields)."""
        by_index = {i: f for f, i in self.columns.items()}
        return [{"header": h, "field": by_index.get(i, IGNORE)} for i, h in enumerate(self.headers)]


def map_columns(headers: list[str], saved: dict[str, str] | None = None) -> ColumnMap:
    """Recognise each header; a saved mapping ({header: field or ""}) takes precedence.

    Each field is given to at most one column: the strongest match, the leftmost on a tie. A list
    whose only name column is a reading (「参加者名（カナ）」 from Peatix, 「フリガナ」 alone) reads it as
    the name: it is the only way to tell those people apart.
    """
    saved = {str(k): v for k, v in (saved or {}).items() if v in FIELDS or v == IGNORE}
    cmap = ColumnMap(headers=list(headers), saved=saved)
    taken: dict[str, tuple[int, int]] = {}  # field → (strength, index)
    for i, h in enumerate(headers):
        if h in saved:
            f, strength = (saved[h] or None), 10_000
        else:
            f, strength = recognise(h)
        if f is None:
            continue
        if f not in taken or strength > taken[f][0]:
            taken[f] = (strength, i)
    if "name" not in taken and "furigana" in taken:
        taken["name"] = taken.pop("furigana")
    cmap.columns = {f: i for f, (_, i) in taken.items()}
    used = set(cmap.columns.values())
    cmap.extras = [i for i in range(len(headers)) if i not in used]
    return cmap


def mapping_problems(cmap: ColumnMap) -> list[str]:
    """Japanese notes about a mapping the secretariat should look at."""
    out = []
    if not cmap.has_identity:
        out.append("「氏名」と「メールアドレス」の列が見つかりません。列の対応を設定してください。")
    if "org" not in cmap.columns:
        out.append("「所属（法人・機関名）」の列が見つかりません。機関別の集計ができません。")
    return out


# --- reading answers -------------------------------------------------------------------------

_NUM = re.compile(r"(\d+(?:\.\d+)?)")


@lru_cache(maxsize=4096)
def parse_years(text: str) -> float | None:
    """「3年」→3, 「1年未満」→0.5, 「3年6か月」→3.5, 「半年」→0.5, 「10年以上」→10; None when no number."""
    s = clean(text)
    if not s:
        return None
    if "半年" in s:
        return 0.5
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s*年\s*(\d+)\s*(?:か|ヶ|ケ|カ|箇)?月", s)
    if m:
        return round(float(m.group(1)) + int(m.group(2)) / 12, 1)
    m = re.match(r"^\s*(\d+)\s*(?:か|ヶ|ケ|カ|箇)?月", s)
    if m:
        return round(int(m.group(1)) / 12, 1)
    m = _NUM.search(s)
    if not m:
        return None
    value = float(m.group(1))
    if "未満" in s and value <= 1:
        return 0.5
    return value


@lru_cache(maxsize=4096)
def parse_mode(text: str, default: str = "オンライン") -> str:
    """参加方法 → オンライン / 会場 (「会場（札幌）」「対面」「Zoom」…)."""
    s = clean(text).lower()
    if any(w in s for w in ("会場", "対面", "来場", "現地")):
        return "会場"
    if any(w in s for w in ("オンライン", "zoom", "web", "リモート")):
        return "オンライン"
    return default


_NO = ("いいえ", "できない", "できません", "不可", "難しい", "むずかしい", "しない", "no", "×", "✕")
_YES = ("はい", "可", "できる", "できます", "協力", "引き受け", "yes", "○", "◯", "ok")


@lru_cache(maxsize=4096)
def parse_yes(text: str) -> bool:
    """ファシリテーターの協力: 「はい」「協力できる」→ True; 「いいえ」「難しい」や空欄 → False."""
    s = clean(text).lower()
    if not s or any(w in s for w in _NO):
        return False
    return any(w in s for w in _YES)


KNOWN_PROGRAMS: tuple[str, ...] = (*vocab.PROGRAMS[:-1], "住居確保給付金", "認定就労訓練事業")
_SPLIT = re.compile(r"\s*(?:,|、|，|;|；|/|／|\n)\s*")


@lru_cache(maxsize=4096)
def _split_multi_cached(text: str, options: tuple[str, ...]) -> tuple[str, ...]:
    s = clean(text)
    found: list[tuple[int, str]] = []
    for opt in sorted(options, key=len, reverse=True):
        pos = s.find(opt)
        if pos >= 0:
            found.append((pos, opt))
            s = s[:pos] + "\x00" * len(opt) + s[pos + len(opt):]
    rest = [(s.find(p), p) for p in _SPLIT.split(s.replace("\x00", ",")) if p.strip(" ・")]
    return tuple(t for _, t in sorted(found + rest))


def split_multi(text: str, options: tuple[str, ...] = KNOWN_PROGRAMS) -> list[str]:
    """A checkbox answer 「A, B, その他の文」 → [A, B, その他の文]; known options may contain commas."""
    if not text:
        return []
    return list(_split_multi_cached(text, tuple(options)))
