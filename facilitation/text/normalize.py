"""Text normalisation: the one place where messy Japanese input becomes comparable keys.

The same organisation arrives typed five ways (ＮＰＯ法人／NPO 法人／（特非）／特定非営利活動法人…);
every matcher in the package compares the keys made here, never raw text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Legal-form variants, longest first, mapped to one canonical spelling.
_LEGAL_FORMS: list[tuple[str, str]] = [
    (r"特定非営利活動法人", "NPO法人"),
    (r"[（(]\s*特非\s*[)）]", "NPO法人"),
    (r"特非\s*[)）]?", "NPO法人"),
    (r"NPO\s*法人", "NPO法人"),
    (r"[（(]\s*一社\s*[)）]", "一般社団法人"),
    (r"一社\s*[)）]", "一般社団法人"),
    (r"^一社(?=\S)", "一般社団法人"),
    (r"[（(]\s*一財\s*[)）]", "一般財団法人"),
    (r"[（(]\s*公社\s*[)）]", "公益社団法人"),
    (r"[（(]\s*公財\s*[)）]", "公益財団法人"),
    (r"社会福祉法人", "社会福祉法人"),
    (r"[（(]\s*社福\s*[)）]", "社会福祉法人"),
    (r"^社福(?=\S)", "社会福祉法人"),
    (r"[（(]\s*福\s*[)）]", "社会福祉法人"),
    (r"[（(]\s*株\s*[)）]", "株式会社"),
    (r"[（(]\s*有\s*[)）]", "有限会社"),
    (r"社協", "社会福祉協議会"),
]
_LEGAL_FORM_RES = [(re.compile(p), r) for p, r in _LEGAL_FORMS]

# Canonical legal forms stripped when comparing organisations by what they are called.
LEGAL_FORM_WORDS = (
    "NPO法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "社会福祉法人",
    "株式会社",
    "有限会社",
    "生活協同組合",
)

# Characters that never belong in what people type into a form: C0/C1 controls (tab and newline are
# kept; CR LF and CR become LF), and invisible format characters — zero-width space, soft hyphen,
# word joiner, BOM, the bidi marks and overrides (U+200E/F, U+202A–E, U+2066–9) that can make a
# name or an e-mail look like something else. PostgreSQL refuses NUL in text, SQLite stores it.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u202a-\u202e"
                       "\u2060-\u2064\u2066-\u2069\ufeff]")
_CONTROL_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")  # vertical tab, form feed, separators, NEL
_DROP = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u180e\u200b\u200e\u200f"
                   "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_JOINERS = re.compile("[\u200c\u200d]")


def _pictographic(c: str) -> bool:
    o = ord(c)
    return 0x2190 <= o <= 0x2BFF or 0x1F000 <= o <= 0x1FAFF or o == 0xFE0F


def _joiner(m: re.Match) -> str:
    """A zero-width joiner stays only inside an emoji sequence (👩‍💼); elsewhere it is invisible noise."""
    s, i = m.string, m.start()
    if m.group() == "\u200d" and 0 < i < len(s) - 1 and _pictographic(s[i - 1]) and _pictographic(s[i + 1]):
        return m.group()
    return ""


def visible(text: str) -> str:
    """`text` without control characters (tab and newline kept; CR LF and CR become LF) and
    without invisible format characters (zero-width space / joiner, BOM, bidi marks). Line-like
    controls (vertical tab, form feed, NEL) become a space. Emoji sequences keep their joiner."""
    if not _UNWANTED.search(text):
        return text
    s = text.replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL_SPACE.sub(" ", s)
    s = _DROP.sub("", s)
    if "\u200c" in s or "\u200d" in s:
        s = _JOINERS.sub(_joiner, s)
    return s


_SPACE_RE = re.compile(r"\s+")
_LINE_EDGES = re.compile(r"[ \t\u3000]*\n[ \t\u3000]*")
_CJK = r"\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")
_SPACE_AROUND_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])\s+(?=[{_CJK}])")
_SPACED_LATIN = re.compile(r"(?<![A-Za-z])(?:[A-Za-z] ){2,}[A-Za-z](?![A-Za-z])")  # "C o C o" printed with spaces
_KEY_DROP = re.compile(r"[\s・･\-‐−–—_/／.,、。()（）\[\]「」『』【】〈〉<>&＆'\"“”’]")
_EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$")


def clean(text: object) -> str:
    """NFKC, trimmed, inner whitespace collapsed; spaces between Japanese characters removed.

    Control and invisible characters are removed (see `visible`). None and NaN become "". Keeps the text readable: this is what we store and show.
    """
    if text is None:
        return ""
    if isinstance(text, float) and text != text:  # NaN from pandas
        return ""
    s = visible(unicodedata.normalize("NFKC", str(text)))
    s = _SPACE_RE.sub(" ", s).strip()
    s = _SPACED_LATIN.sub(lambda m: m.group(0).replace(" ", ""), s)
    s = _SPACE_BETWEEN_CJK.sub("", s)
    return s


@lru_cache(maxsize=65536)
def _as_typed(s: str) -> str:
    s = visible(s).replace("\t", " ").strip()
    return _LINE_EDGES.sub("\n", s) if "\n" in s else s


def as_typed(text: object) -> str:
    """What a person wrote, as stored and shown: trimmed, control and invisible characters removed.

    Nothing else changes (full-width brackets, spaces inside a name stay as typed); matching
    compares the keys below (`key`, `org_key`, `person_key`), never this text.
    """
    if text is None or (isinstance(text, float) and text != text):
        return ""
    s = str(text)
    return _as_typed.__wrapped__(s) if len(s) > 500 else _as_typed(s)


_LINE_BREAKS = re.compile("[ \t\u3000]*[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+[ \t\u3000]*")


def one_line(text: object) -> str:
    """`as_typed` on one line: every line break (CR, LF, U+2028/U+2029, NEL…) and the spaces around
    it become one space. For what must never span lines: names, organisations, mail headers."""
    s = as_typed(text)
    return _LINE_BREAKS.sub(" ", s).strip() if _LINE_BREAKS.search(s) else s


def tidy(text: object) -> str:
    """NFKC, invisible characters removed, whitespace collapsed to single spaces but kept: what a
    person wrote, made comparable without joining words (「山田　太郎」 → 「山田 太郎」)."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return _SPACE_RE.sub(" ", visible(unicodedata.normalize("NFKC", str(text)))).strip()


def legal_forms(text: str) -> str:
    """Rewrite every legal-form variant to its canonical spelling (NPO法人, 一般社団法人…)."""
    s = clean(text)
    for pattern, repl in _LEGAL_FORM_RES:
        s = pattern.sub(repl, s)
    return _SPACE_AROUND_CJK.sub("", s).strip()


def to_hiragana(text: str) -> str:
    """Katakana to hiragana (for furigana and kana-insensitive keys)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def key(text: object) -> str:
    """A comparison key: canonical legal forms, no spaces or punctuation, lower case, hiragana."""
    s = legal_forms(clean(text))
    s = _KEY_DROP.sub("", s).lower()
    return to_hiragana(s)


def org_key(text: object) -> str:
    """Key for an organisation name with legal forms removed, so 「NPO法人りんく」 and 「りんく」 meet."""
    s = legal_forms(clean(text))
    for word in LEGAL_FORM_WORDS:
        s = s.replace(word, "")
    s = s.replace("市役所", "市").replace("町役場", "町").replace("村役場", "村")
    return key(s)


def person_key(name: object) -> str:
    """Key for a person's name: spaces (full or half width) and kana differences ignored."""
    return key(name)


def email_key(email: object) -> str:
    """Lower-cased trimmed e-mail, or "" when the text is not an e-mail address."""
    s = clean(email).lower().replace(" ", "")
    s = s.removeprefix("mailto:")
    return s if _EMAIL_RE.match(s) else ""


def with_note(name: str, *notes: object) -> str:
    """「西村 光（札幌市）」: a name with what identifies it in brackets, empty parts left out (never
    「西村 光（）」)."""
    parts = [str(n) for n in notes if n is not None and str(n).strip()]
    return f"{name}（{'・'.join(parts)}）" if parts else name
