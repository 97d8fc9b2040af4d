"""Japanese text → the folded tokens the index stores and a query is matched by.

Steps, the same for a passage and for a query, so both engines match the same way:
1. each character NFKC-normalised (全角/半角), invisible characters dropped;
2. the network's spelling variants rewritten to one form (assignment.choices.SPELLINGS plus the
   okurigana variants below: 「ひきこもり」「引き籠り」「引篭り」 → 「引きこもり」);
3. SudachiPy (the project's tokenizer, split mode A: the smallest units, so a word inside a
   compound is found) gives each word's normalised form (取組 → 取り組み, 引き籠もり …);
4. katakana folded to hiragana, Latin to lower case; particles, auxiliaries and symbols dropped
   (「家族の支援」 finds 「家族支援」).
Every token keeps its span in the original text, for highlighting.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

from facilitation.assignment.choices import SPELLINGS
from facilitation.text import textmining
from facilitation.text.normalize import to_hiragana, visible
from facilitation.text.textmining import VARIANTS

# Okurigana variants SPELLINGS does not list (Sudachi would read them as the verb 引き籠もる).
EXTRA_SPELLINGS: dict[str, tuple[str, ...]] = {
    "引きこもり": ("引き籠り", "引き篭り", "引篭り", "引き籠もり", "引き篭もり", "ひき籠もり", "ひきこもり"),
}
_DROPPED_POS = frozenset({"助詞", "助動詞", "補助記号", "空白"})
_WORDLESS = re.compile(r"^\W*$")
_NON_WORD = re.compile(r"\W+")


@functools.lru_cache(maxsize=1)
def _spellings() -> tuple[re.Pattern[str], dict[str, str]]:
    table: dict[str, str] = {}
    for canonical, variants in (*SPELLINGS.items(), *EXTRA_SPELLINGS.items()):
        for v in variants:
            table[unicodedata.normalize("NFKC", v)] = canonical
    for v, canonical in VARIANTS.items():
        table.setdefault(unicodedata.normalize("NFKC", v), canonical)
    table = {v: c for v, c in table.items() if v != c}
    words = sorted(table, key=lambda w: (-len(w), w))
    return re.compile("|".join(re.escape(w) for w in words)), table


@functools.lru_cache(maxsize=16384)
def _char(c: str) -> str:
    return visible(unicodedata.normalize("NFKC", c))


def prepare(text: str) -> tuple[str, list[int]]:
    """The text normalised for the tokenizer, and for each of its characters the index of the
    original character it came from."""
    out: list[str] = []
    origin: list[int] = []
    for i, c in enumerate(text):
        n = _char(c) if c > "\x7e" or c < " " else c  # ASCII letters and digits as they are
        out.append(n)
        if len(n) == 1:
            origin.append(i)
        else:
            origin.extend([i] * len(n))
    s = "".join(out)
    pattern, table = _spellings()
    if not table:
        return s, origin
    pieces: list[str] = []
    mapped: list[int] = []
    last = 0
    for m in pattern.finditer(s):
        pieces.append(s[last:m.start()])
        mapped.extend(origin[last:m.start()])
        repl = table[m.group(0)]
        pieces.append(repl)
        start, end = origin[m.start()], origin[m.end() - 1]
        mapped.extend([start] * (len(repl) - 1) + [end])
        last = m.end()
    pieces.append(s[last:])
    mapped.extend(origin[last:])
    return "".join(pieces), mapped


_local = threading.local()


def _tokenizer():
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import SplitMode

        tok = textmining.dictionary().tokenizer(mode=SplitMode.A, fields={"pos", "normalized_form"})
        _local.tokenizer = tok
    return tok


@functools.lru_cache(maxsize=1)
def _dropped_pos() -> frozenset[int]:
    d = textmining.dictionary()
    out, i = set(), 0
    while (pos := d.pos_of(i)) is not None:
        if pos[0] in _DROPPED_POS:
            out.add(i)
        i += 1
    return frozenset(out)


@functools.lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One token as stored: hiragana for katakana, lower case, no inner punctuation."""
    return _NON_WORD.sub("", to_hiragana(unicodedata.normalize("NFKC", word)).lower())


@dataclass(frozen=True)
class Token:
    term: str
    start: int  # span in the original text
    end: int


_MAX_CHUNK = 2000


def tokens(text: str) -> list[Token]:
    """The text's tokens with their spans in `text`."""
    if not text or not text.strip():
        return []
    s, origin = prepare(text)
    tok = _tokenizer()
    dropped = _dropped_pos()
    out: list[Token] = []
    offset = 0
    while offset < len(s):
        chunk = s[offset:offset + _MAX_CHUNK]
        if len(s) - offset > _MAX_CHUNK:  # cut after a sentence end where possible
            cut = max(chunk.rfind(c) for c in "。！？!?\n ")
            chunk = chunk[:cut + 1] if cut > 0 else chunk
        for m in tok.tokenize(chunk):
            if m.part_of_speech_id() in dropped:
                continue
            term = fold(m.normalized_form())
            if not term or _WORDLESS.match(term):
                continue
            b, e = offset + m.begin(), offset + m.end()
            if e <= b:
                continue
            out.append(Token(term, origin[b], origin[e - 1] + 1))
        offset += len(chunk)
    return out


def terms(text: str) -> str:
    """The text's tokens, space-separated: what the index stores."""
    return " ".join(t.term for t in tokens(text))


PREFIX = "*"  # a query token ending so matches every token it begins (tokens never hold it)


def _same(term: str, wanted: str) -> bool:
    return term.startswith(wanted[:-1]) if wanted.endswith(PREFIX) else term == wanted


def phrase_spans(text: str, phrases: list[list[str]]) -> list[tuple[int, int]] | None:
    """Where each phrase (a query part's tokens; one ending in PREFIX is a beginning) occurs in
    `text`, as merged spans of the original text (what is highlighted); None when one of the phrases
    does not occur. One tokenization."""
    toks = tokens(text)
    found: list[tuple[int, int]] = []
    for p in phrases:
        n = len(p)
        here = [(toks[i].start, toks[i + n - 1].end) for i in range(len(toks) - n + 1)
                if all(_same(toks[i + j].term, p[j]) for j in range(n))]
        if not here:
            return None
        found += here
    merged: list[tuple[int, int]] = []
    for a, b in sorted(found):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged
