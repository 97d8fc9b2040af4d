"""A table's rows as written: each row's values and matching keys, its fingerprint, what keeps it
from being a registration, and the length limits of each field."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from facilitation.files.tabular import MAX_CELL_CHARS, Table
from facilitation.registrations import forms
from facilitation.text.dates import parse_timestamp
from facilitation.text.normalize import as_typed, clean, email_key, one_line, org_key, person_key, tidy

MAX_LEN = {"name": 100, "furigana": 100, "email": 254, "org": 300, "department": 200, "role_title": 50,
           "choice1": 300, "choice2": 300, "choice3": 300}


@dataclass
class _Row:
    index: int
    row: int
    raw: dict[str, str]
    values: dict[str, str]
    extra: dict[str, str]
    timestamp: dt.datetime | None = None
    email: str = ""
    name_key: str = ""
    org_key: str = ""
    org_id: int | None = None
    org_pending: bool = False
    person: int = 0  # a person id (> 0) or a new person's temporary id (< 0)
    hash: str = ""
    choices: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)


@lru_cache(maxsize=65536)
def _clean(text: str) -> str:
    return clean(text)




def _clean_once(text: str) -> str:
    """normalize.clean, short-cut for plain ASCII without inner spaces (e-mails, timestamps)."""
    t = text.strip()
    if t.isascii() and not any(c in t for c in " \t\n\r\x0b\x0c"):
        return t
    return clean(t)


@lru_cache(maxsize=8192)
def _org_key(text: str) -> str:
    return org_key(text)


@lru_cache(maxsize=65536)
def _person_key(text: str) -> str:
    return person_key(text)


def _digest(values: dict[str, str], extra: dict[str, str] | None = None) -> str:
    """A fingerprint of a row's content (order of columns does not matter)."""
    parts = [f"{k}\x1e{v}" for k, v in sorted(values.items())]
    if extra:
        parts.append("\x1d")
        parts.extend(f"{k}\x1e{v}" for k, v in sorted(extra.items()))
    return hashlib.sha1("\x1f".join(parts).encode()).hexdigest()


MULTI_LINE = frozenset({"note"})  # every other field is one line: a line break in a name would reach mail headers
_UNIQUE = frozenset({"email", "note"})  # values that rarely repeat: not cached


def _parse(table: Table, cmap: forms.ColumnMap, default_mode: str) -> list[_Row]:
    """Rows as written (normalize.as_typed: what is stored and shown) with their matching keys."""
    cols = cmap.columns
    out = []
    for i, cells in enumerate(table.rows):
        raw = dict(zip(table.headers, cells, strict=True))
        values = {f: (as_typed if f in MULTI_LINE else one_line)(cells[j]) for f, j in cols.items() if f != "timestamp"}
        if "timestamp" in cols:
            values["timestamp"] = cells[cols["timestamp"]].strip()
        extra = {table.headers[j]: as_typed(cells[j]) for j in cmap.extras if cells[j].strip()}
        r = _Row(index=i, row=table.row_number(i), raw=raw, values=values, extra=extra)
        r.timestamp = parse_timestamp(values.get("timestamp", ""))
        r.email = email_key(values.get("email", ""))
        r.name_key = _person_key(values.get("name", ""))
        r.org_key = _org_key(values.get("org", ""))
        r.programs = forms.split_multi(values.get("programs", ""))
        values["years"] = values.get("years", "")
        values["mode"] = forms.parse_mode(values.get("mode", ""), default_mode)
        out.append(r)
    return out


def _hash_form(f: str, v: str) -> str:
    """The normalised text a row's fingerprint is made of: the same answer typed with other widths
    or spaces is the same content (and fingerprints stay those of earlier versions)."""
    if f in ("name", "furigana"):
        return tidy(v)  # NFKC, but the space between surname and given name kept
    if f in ("timestamp", "years", "mode"):
        return v
    return _clean_once(v) if f in _UNIQUE else _clean(v)


def _row_hash(r: _Row) -> str:
    return _digest({f: _hash_form(f, v) for f, v in r.values.items()},
                   {h: _clean(v) for h, v in r.extra.items()})


def _problem(r: _Row, cmap: forms.ColumnMap) -> tuple[str, str] | None:
    """(reason, column) when a row cannot become a registration."""
    name_h, email_h = cmap.header_of("name"), cmap.header_of("email")
    if not cmap.has_identity:
        return (f"{r.row}行目: 「氏名」「メールアドレス」にあたる列がありません。見出しを確認するか、"
                "列の対応を設定してください。", "")
    cut = next((h for h, v in r.raw.items() if len(v) > MAX_CELL_CHARS), None)
    if cut is not None:  # tabular cut this cell: importing it would keep part of what was written
        return (f"{r.row}行目「{cut}」: 記入が長すぎるため（上限 {MAX_CELL_CHARS:,}文字）、途中までしか読み込めません"
                "でした。元のファイルで内容を確かめ、短くしてから「修正して取り込む」を押してください。", cut)
    name, email_text = r.values.get("name", ""), r.values.get("email", "")
    if not name and not email_text:
        return f"{r.row}行目: 「{name_h}」と「{email_h}」がどちらも空欄です。", name_h
    if email_text and not r.email:
        return f"{r.row}行目「{email_h}」: 「{email_text}」はメールアドレスの形式ではありません。", email_h
    if not name:
        return f"{r.row}行目「{name_h}」: 氏名が空欄です（メールアドレス {email_text}）。", name_h
    if not r.name_key:
        return f"{r.row}行目「{name_h}」: 「{name}」を氏名として読み取れません。", name_h
    if len(name) > MAX_LEN["name"]:
        return f"{r.row}行目「{name_h}」: 氏名が{MAX_LEN['name']}文字を超えています。", name_h
    if len(r.email) > MAX_LEN["email"]:
        return f"{r.row}行目「{email_h}」: メールアドレスが長すぎます。", email_h
    return None


def _truncate(values: dict[str, str], extra: dict[str, str], cmap: forms.ColumnMap) -> None:
    for f, limit in MAX_LEN.items():
        v = values.get(f, "")
        if len(v) > limit:
            extra[cmap.header_of(f)] = v  # the whole answer stays readable
            values[f] = v[: limit - 1] + "…"
