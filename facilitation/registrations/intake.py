"""Registrations: import from files and Google Sheets, merge without losing anyone, manual entry.

Every input row ends in exactly one of five outcomes, and `ImportResult` counts them so that
rows = imported + updated + duplicates + len(quarantined) + len(cancelled):
- imported: a new registration for this meeting;
- updated: the same person's newer answer (later timestamp, or changed content without one);
- duplicate: nothing new (the same row again, an older answer, a second row of the same person);
- quarantined (保留): kept aside with a Japanese reason naming the row and column, visible and
  fixable on the page;
- cancelled (不参加): a person the file's status column says does not take part (connpass / Peatix
  キャンセル, 補欠…), listed with the reason; their earlier registration is cancelled (cancellations).
What the file is (Google フォーム, Microsoft Forms, connpass, Peatix, any table) is decided once by
facilitation.files.formats and named in the result; a format's own column meanings come first,
then what the secretariat saved for that format (any meeting), then this meeting's mapping. Nothing is dropped and nothing is deleted: a row that disappeared from the
  sheet is reported, its registration kept.
People are matched across meetings by e-mail first, then by name + organisation, so each person
has one history. Organisation names go through `matching`; uncertain ones wait for review.
Frames returned for a page or the CLI have English snake_case columns, shown under the Japanese
headers of the LABELS dict next to the function (`REGISTRANT_LABELS`); `cleaned_frame`, written back
to the sheet, keeps the form's Japanese headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache

import pandas as pd
from rapidfuzz.distance import Levenshtein
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from facilitation.assignment import choices
from facilitation.errors import AccessDenied, UserError
from facilitation.files import formats
from facilitation.files.tabular import MAX_CELL_CHARS, Table, read_table
from facilitation.meetings import schedule
from facilitation.orgs import matching
from facilitation.registrations import cancellations, checkins, forms
from facilitation.registrations.models import KeptAsideRow, RegistrationSource, SheetSync
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT_LOCAL, Viewer, require_secretariat
from facilitation.storage import audit, settings
from facilitation.storage.models import Assignment, Meeting, Organisation, Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.dates import ja_datetime, now_jst, parse_timestamp
from facilitation.text.normalize import as_typed, clean, email_key, key, one_line, org_key, person_key, tidy

DEFAULT_TAB = "フォームの回答 1"  # the tab Google Forms creates in a Japanese account
SOURCE_SHEET, SOURCE_FILE, SOURCE_MANUAL = "sheet", "file", "manual"
SOURCE_LABELS = {SOURCE_SHEET: "シート", SOURCE_FILE: "ファイル", SOURCE_MANUAL: "手入力", "demo": "デモ"}
MAX_LEN = {"name": 100, "furigana": 100, "email": 254, "org": 300, "department": 200, "role_title": 50,
           "choice1": 300, "choice2": 300, "choice3": 300}


class RegistrationError(UserError):
    """A change the user can fix (Japanese message naming the field)."""


@dataclass
class ImportResult:
    """What happened to each input row; rows = imported + updated + duplicates + len(quarantined)
    + len(cancelled)."""

    rows: int = 0
    imported: int = 0
    updated: int = 0
    duplicates: int = 0
    quarantined: list[dict] = field(default_factory=list)  # [{"row": N, "reason": "..."}]
    duplicate_rows: list[dict] = field(default_factory=list)
    flagged: list[dict] = field(default_factory=list)  # imported, but a choice needs mapping
    checks: list[dict] = field(default_factory=list)  # imported, but the secretariat should look (確認)
    removed: list[dict] = field(default_factory=list)  # in the previous sync, not in the sheet now
    reviews: int = 0  # new organisation spellings sent to the review queue
    unmatched_orgs: int = 0  # rows whose organisation waits for review
    source: str = ""
    error: str = ""
    headers: list[str] = field(default_factory=list)  # the table's headers, for the mapping editor
    notes: list[str] = field(default_factory=list)  # Japanese, from the reader: which sheet was read, cut cells
    sheet: str = ""  # the workbook sheet that was read (.xlsx)
    sheets: list[str] = field(default_factory=list)  # the workbook's visible sheets, to pick another
    registration_ids: list[int] = field(default_factory=list)  # imported or updated, in row order
    cancelled: list[dict] = field(default_factory=list)  # [{"row", "reason", "registration_id"}]: not taking part
    format: str = ""  # formats.Format.id: google_forms / ms_forms / connpass / peatix / table
    format_label: str = ""  # 「connpass の参加者CSV」
    confidence: float = 0.0  # how sure the format is (0–1)
    attendance: int = 0  # attendance marks the file recorded on the roster (connpass 出欠ステータス)

    @property
    def consistent(self) -> bool:
        return self.rows == (self.imported + self.updated + self.duplicates + len(self.quarantined)
                             + len(self.cancelled))

    @property
    def unplaced(self) -> list[dict]:
        """Every row not imported, updated or merged, by row: [{row, outcome (保留 / 不参加), reason}]."""
        out = [{"row": q["row"], "outcome": "保留", "reason": q["reason"]} for q in self.quarantined]
        out += [{"row": c["row"], "outcome": "不参加", "reason": c["reason"]} for c in self.cancelled]
        return sorted(out, key=lambda u: u["row"] or 0)

    def as_dict(self) -> dict:
        out = asdict(self)
        out.pop("registration_ids")
        out["unplaced"] = self.unplaced
        return out

    def line(self) -> str:
        """「40行: 新規 30件・更新 2件・重複 6件・保留 2件」（不参加の行があれば「・不参加 3件」）."""
        return (f"{self.rows}行: 新規 {self.imported}件・更新 {self.updated}件・重複 {self.duplicates}件・"
                f"保留 {len(self.quarantined)}件" + (f"・不参加 {len(self.cancelled)}件" if self.cancelled else ""))


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


SECRETARIAT_ONLY = "この情報は事務局だけが見られます。"
EDIT_SECRETARIAT_ONLY = "申込の登録・修正は事務局だけが行えます。"


def same_name(a: str, b: str) -> bool:
    """Two name keys (normalize.person_key) that may be one person: equal, a surname alone, or one
    character apart (斉藤/斎藤, 太郎/太朗). 「山田太郎」 and 「佐藤花子」 are clearly two people."""
    if not a or not b or a == b:
        return a == b
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and long_.startswith(short):
        return True
    return min(len(a), len(b)) >= 3 and Levenshtein.distance(a, b) <= 1


def _clusters(rows: list[_Row]) -> list[list[_Row]]:
    """The batch's rows grouped by person, from the rows alone (never from the database, so reading
    the same rows again groups them the same way).

    The same e-mail with a compatible name is one person; the same e-mail with a clearly different
    name is another person (a shared office address). A row without e-mail joins the first group with
    the same name at the same organisation (by matched organisation, else by the typed name).
    """
    clusters: list[list[_Row]] = []
    by_email: dict[str, list[int]] = {}
    for r in rows:
        if not r.email:
            continue
        for ci in by_email.get(r.email, []):
            if same_name(clusters[ci][0].name_key, r.name_key):
                clusters[ci].append(r)
                break
        else:
            by_email.setdefault(r.email, []).append(len(clusters))
            clusters.append([r])
    by_name: dict[tuple, int] = {}
    for ci, group in enumerate(clusters):
        for r in group:
            if r.org_id is not None:
                by_name.setdefault((r.name_key, "id", r.org_id), ci)
            by_name.setdefault((r.name_key, "text", r.org_key), ci)
    for r in rows:
        if r.email:
            continue
        ci = by_name.get((r.name_key, "id", r.org_id)) if r.org_id is not None else None
        if ci is None:
            ci = by_name.get((r.name_key, "text", r.org_key))
        if ci is None:
            ci = len(clusters)
            clusters.append([])
            if r.org_id is not None:
                by_name[(r.name_key, "id", r.org_id)] = ci
            by_name[(r.name_key, "text", r.org_key)] = ci
        clusters[ci].append(r)
    return clusters


def _winner(rows: list[_Row]) -> _Row:
    """A person's answer that counts: the latest (ties: the lower row)."""
    return max(rows, key=lambda r: (r.timestamp or dt.datetime.min, r.row))


class _People:
    """Every person's keys, preloaded once: e-mail, (name, organisation), (name, typed organisation),
    and which person each of this meeting's stored rows went to."""

    def __init__(self, session: Session, meeting_id: int):
        self.by_email: dict[str, list[int]] = {}
        self.by_name_org: dict[tuple[str, int], list[int]] = {}
        self.by_name_text: dict[tuple[str, str], list[int]] = {}
        self.email_of: dict[int, str] = {}
        self.name_of: dict[int, tuple[str, str, str]] = {}  # name key, furigana key, name as stored
        self.data: dict[int, dict] = {}
        for pid, email, name_key, org_id, name, furigana, role_title, years in session.execute(
            select(Person.id, Person.email, Person.name_key, Person.organisation_id, Person.name,
                   Person.furigana, Person.role_title, Person.years_experience)
            .where(Person.deleted_at.is_(None)).order_by(Person.id)
        ):
            ek = email_key(email)
            if ek:
                self.by_email.setdefault(ek, []).append(pid)
            self.email_of[pid] = ek
            self.name_of[pid] = (name_key, _person_key(furigana or ""), name)
            if name_key and org_id is not None:
                self.by_name_org.setdefault((name_key, org_id), []).append(pid)
            self.data[pid] = {"name": name, "furigana": furigana, "role_title": role_title,
                              "years_experience": years, "organisation_id": org_id}
        for pid, org_text, mid, name_key in session.execute(
            select(Registration.person_id, Registration.org_text, Registration.meeting_id, Person.name_key)
            .join(Person, Registration.person_id == Person.id).where(Person.deleted_at.is_(None))
            .order_by(Registration.person_id)
        ):
            ok = _org_key(org_text)
            if name_key and (ok or mid == meeting_id):
                ids = self.by_name_text.setdefault((name_key, ok), [])
                if pid not in ids:
                    ids.append(pid)
        self.registered: set[int] = set()
        self.sticky: dict[str, int] = {}  # this meeting's stored row fingerprints → person
        for pid, h in session.execute(
            select(Registration.person_id, RegistrationSource.row_hash)
            .outerjoin(RegistrationSource, RegistrationSource.registration_id == Registration.id)
            .where(Registration.meeting_id == meeting_id).order_by(Registration.id)
        ):
            self.registered.add(pid)
            if h:
                self.sticky.setdefault(h, pid)
        self.latest: dict[int, dt.datetime] = dict(session.execute(
            select(Registration.person_id, func.max(Meeting.starts_at))
            .join(Meeting, Registration.meeting_id == Meeting.id).group_by(Registration.person_id)
        ).all())
        self.claimed: set[int] = set()
        self.new_email: dict[int, str] = {}  # a person found by name gets the e-mail they gave now
        self._next = -1

    def _compatible(self, pid: int, name_key: str) -> bool:
        known, furigana, _ = self.name_of.get(pid, ("", "", ""))
        return same_name(known, name_key) or (bool(furigana) and furigana == name_key)

    def _pick(self, ids) -> int | None:
        """This meeting's registrants first, then the oldest person: the same choice on every run."""
        free = [p for p in dict.fromkeys(ids) if p not in self.claimed]
        if not free:
            return None
        return min(free, key=lambda p: (p not in self.registered, p))

    def resolve_all(self, clusters: list[list[_Row]]) -> tuple[dict[int, int], dict[int, list[str]]]:
        """Give each group of rows a person (a person id, or a new person's temporary id < 0).

        In this order, each person going to one group only: the person a row of the group went to
        last time (reading the same rows again changes nothing, whatever happened since), then the
        e-mail (with a compatible name), then the same name at the same organisation (no other
        e-mail), or this meeting's registrant of that name stored without an organisation. Returns {group index: person} and, per group index, notes on shared addresses.
        """
        person: dict[int, int] = {}
        notes: dict[int, list[str]] = {}
        order = sorted(range(len(clusters)), key=lambda ci: min(r.row for r in clusters[ci]))
        for ci in order:  # 1. rows read before
            rows = clusters[ci]
            win = _winner(rows)
            for r in [win, *sorted((r for r in rows if r is not win), key=lambda r: r.row)]:
                pid = self.sticky.get(r.hash)
                if pid is not None and pid not in self.claimed:
                    person[ci] = pid
                    self.claimed.add(pid)
                    break
        for ci in order:  # 2. e-mail
            rows = clusters[ci]
            email = next((r.email for r in rows if r.email), "")
            if ci in person or not email:
                continue
            name_key = next(r.name_key for r in rows if r.email)
            same = [p for p in self.by_email.get(email, []) if self._compatible(p, name_key)]
            pid = self._pick(same)
            if pid is not None:
                person[ci] = pid
                self.claimed.add(pid)
        for ci in order:  # 3. name and organisation
            rows = clusters[ci]
            if ci in person:
                continue
            email = next((r.email for r in rows if r.email), "")
            ids = []
            for r in rows:
                if r.org_id is not None:
                    ids += self.by_name_org.get((r.name_key, r.org_id), [])
                ids += self.by_name_text.get((r.name_key, r.org_key), [])
            if not ids:  # this meeting's registrant of that name read without an organisation (a list
                # without the column, a column mapped only later): the same person, not a second one
                ids = [p for r in rows for p in self.by_name_text.get((r.name_key, ""), [])]
            if email:  # the same name with another e-mail is another person
                ids = [p for p in ids if not self.email_of.get(p)]
            pid = self._pick(ids)
            if pid is None:
                pid, self._next = self._next, self._next - 1
                if email:
                    self.new_email[pid] = email
            else:
                self.claimed.add(pid)
                if email and not self.email_of.get(pid):
                    self.new_email[pid] = email
            person[ci] = pid
        taken = set(person.values())
        first_of = {ci: next((r for r in clusters[ci] if r.email), None) for ci in order}
        by_email: dict[str, list[int]] = {}
        for ci in order:  # shared addresses: the same e-mail, a clearly different name
            first = first_of[ci]
            if first is None:
                continue
            others = [p for p in self.by_email.get(first.email, []) if p not in taken
                      and not self._compatible(p, first.name_key)]
            for p in others[:3]:
                notes.setdefault(ci, []).append(
                    f"{first.row}行目の{first.values.get('name', '')}さんのメールアドレス（{first.email}）は、"
                    f"登録済みの{self.name_of[p][2]}さん（ID {p}）と同じです。")
            for cj in by_email.get(first.email, []):  # earlier groups with this address
                o = first_of[cj]
                notes.setdefault(ci, []).append(
                    f"{first.row}行目の{first.values.get('name', '')}さんと{o.row}行目の"
                    f"{o.values.get('name', '')}さんは同じメールアドレス（{first.email}）です。")
            by_email.setdefault(first.email, []).append(ci)
        return person, notes


CHECK_OPEN, CHECK_DONE = "flagged", "checked"  # KeptAsideRow.resolution of imported rows to look at
CHECK_EMAIL, CHECK_NO_ORG, CHECK_NO_EMAIL = "check:email", "check:no_org", "check:no_email"  # KeptAsideRow.column


def _checks(clusters: list[list[_Row]], notes: dict[int, list[str]], people: _People,
            cmap: forms.ColumnMap) -> list[tuple[int, _Row, str, str]]:
    """(group, row, kind, Japanese reason) for imported rows the secretariat should look at."""
    out = []
    org_h = cmap.header_of("org")
    no_email_column = "email" not in cmap.columns
    for ci, rows in enumerate(clusters):
        if ci in notes:
            first = next(r for r in rows if r.email)
            out.append((ci, first, CHECK_EMAIL, "".join(notes[ci]) + (
                "氏名が異なるため別の方として取り込みました。同じ方の場合は、どちらかの申込をキャンセルしてください。")))
        w = _winner(rows)
        known = people.data.get(w.person, {}).get("organisation_id") if w.person > 0 else None
        if not w.org_key and known is None:
            out.append((ci, w, CHECK_NO_ORG, (
                f"{w.row}行目「{org_h}」: {w.values.get('name', '')}さんの所属が空欄です。"
                "機関別の集計（団体・自治体）には数えていません。所属が分かったら一覧の「所属（入力）」に入力してください。")))
        if not any(r.email for r in rows) and not people.email_of.get(w.person) and not people.new_email.get(w.person):
            out.append((ci, w, CHECK_NO_EMAIL, (
                f"{w.row}行目: {w.values.get('name', '')}さんのメールアドレスがありません"
                + ("（この名簿にはメールアドレスの列がありません）" if no_email_column else "")
                + "。申込は取り込みました。案内の送付や Zoom の事前割り当てに使うので、分かったら一覧の"
                "「メールアドレス」に入力してください。")))
    return out


def _save_checks(session: Session, meeting_id: int, checks: list[tuple[int, _Row, str, str]],
                 clusters: list[list[_Row]], source: str, result: ImportResult) -> None:
    """Report each check and keep it on the review list once (a checked one is not raised again)."""
    if not checks:
        return
    reg_of = dict(session.execute(select(Registration.person_id, Registration.id)
                                  .where(Registration.meeting_id == meeting_id)).all())
    stored = {h: (kid, res) for kid, h, res in session.execute(
        select(KeptAsideRow.id, KeptAsideRow.row_hash, KeptAsideRow.resolution)
        .where(KeptAsideRow.meeting_id == meeting_id, KeptAsideRow.resolution.in_((CHECK_OPEN, CHECK_DONE))))}
    new, refresh = [], []
    for ci, r, kind, reason in checks:
        h = hashlib.sha1(f"{kind}\x1d{_digest(r.raw)}".encode()).hexdigest()
        have = stored.get(h)
        if have is not None and have[1] == CHECK_DONE:
            continue
        result.checks.append({"row": r.row, "reason": reason})
        reg = reg_of.get(_winner(clusters[ci]).person)
        if have is not None:
            refresh.append({"id": have[0], "reason": reason, "row_number": r.row, "registration_id": reg})
        else:
            stored[h] = (0, CHECK_OPEN)
            new.append({"meeting_id": meeting_id, "source": source, "source_ref": result.source,
                        "row_number": r.row, "raw": r.raw, "reason": reason, "column": kind, "row_hash": h,
                        "resolved": False, "resolution": CHECK_OPEN, "registration_id": reg,
                        "created_at": utcnow(), "resolved_by": ""})
    _insert(session, KeptAsideRow, new)
    _update(session, KeptAsideRow, refresh)
    result.checks.sort(key=lambda c: c["row"])


def _truncate(values: dict[str, str], extra: dict[str, str], cmap: forms.ColumnMap) -> None:
    for f, limit in MAX_LEN.items():
        v = values.get(f, "")
        if len(v) > limit:
            extra[cmap.header_of(f)] = v  # the whole answer stays readable
            values[f] = v[: limit - 1] + "…"


def import_table(session: Session, viewer: Viewer, meeting_id: int, table: Table, *, source: str = SOURCE_FILE,
                 source_ref: str = "", mapping: dict[str, str] | None = None, keep_aside: bool = True,
                 update_existing: bool = True, report_removed: bool = False) -> ImportResult:
    """Merge a table of form answers into a meeting's registrations (see the module docstring).

    `mapping` overrides the meeting's saved column mapping. With `keep_aside=False` problem rows are
    only reported (manual entry shows them as errors). Bulk statements keep 10,000 rows under 2 s.
    """
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    meeting = schedule.get_meeting(session, meeting_id)
    detected = formats.detect(table)
    table = formats.prepare(table, detected)
    saved = mapping if mapping is not None else mapping_for(session, meeting_id, table.headers)
    cmap = forms.map_columns(table.headers, saved)
    default_mode = "会場" if meeting.format == "会場" else "オンライン"
    result = ImportResult(rows=len(table.rows), source=source_ref or table.source, headers=list(table.headers),
                          notes=list(table.notes), sheet=table.sheet, sheets=list(table.sheets),
                          format=detected.id, format_label=detected.label, confidence=round(detected.confidence, 2))
    if source != SOURCE_MANUAL:
        result.notes.insert(0, detected.message(table))
    not_attending, keep = [], []  # rows of people the status column says do not take part
    for i, cells in enumerate(table.rows):
        reason = detected.not_attending(cells, table.headers, table.row_number(i))
        if reason:
            not_attending.append((table.row_number(i), cells, reason))
        else:
            keep.append(i)
    if not_attending:
        table = replace(table, rows=[table.rows[i] for i in keep], row_numbers=[table.row_number(i) for i in keep])
    parsed = _parse(table, cmap, default_mode)

    # Rows that cannot be registrations, and rows already fixed from the kept-aside list.
    kept = {h: (rid, resolved) for rid, h, resolved in session.execute(
        select(KeptAsideRow.id, KeptAsideRow.row_hash, KeptAsideRow.resolved)
        .where(KeptAsideRow.meeting_id == meeting_id))}
    good: list[_Row] = []
    new_kept: list[dict] = []
    refresh_kept: list[dict] = []
    for r in parsed:
        problem = _problem(r, cmap)
        if problem is None:
            good.append(r)
            continue
        raw_hash = _digest(r.raw)
        if raw_hash in kept and kept[raw_hash][1]:
            result.duplicates += 1
            result.duplicate_rows.append({"row": r.row, "reason": f"{r.row}行目: 保留から修正済みの行です。"})
            continue
        result.quarantined.append({"row": r.row, "reason": problem[0]})
        if not keep_aside:
            continue
        entry = {"meeting_id": meeting_id, "source": source, "source_ref": result.source, "row_number": r.row,
                 "raw": r.raw, "reason": problem[0], "column": problem[1], "row_hash": raw_hash}
        if raw_hash in kept:
            refresh_kept.append({"id": kept[raw_hash][0], "row_number": r.row, "reason": problem[0],
                                 "source_ref": result.source})
        else:
            kept[raw_hash] = (0, False)
            new_kept.append(entry)

    # Organisations: one match per distinct spelling.
    matcher = matching.OrgMatcher(session)
    to_review = []
    for r in good:
        if not r.org_key:
            continue
        m = matcher.match(r.values.get("org", ""), matching.Evidence(
            region=r.values.get("region", ""), department=r.values.get("department", ""), email=r.email))
        r.org_id = m.org_id
        r.org_pending = m.needs_review
        if m.needs_review:
            to_review.append(m)
            result.unmatched_orgs += 1
    result.reviews = matching.queue(session, to_review, meeting_id) if to_review else 0

    # Choices (kept as written; assignment.choices resolves them) and the row's fingerprint.
    mapper = choices.ChoiceMapper(session, meeting_id)
    for r in good:
        _truncate(r.values, r.extra, cmap)
        for n in (1, 2, 3):
            text = r.values.get(f"choice{n}", "")
            if text and mapper.rooms and mapper.match(text).needs_decision:
                # rooms exist: the secretariat decides on the registrations or rooms page
                h = cmap.header_of(f"choice{n}")
                result.flagged.append({"row": r.row, "reason": (
                    f"{r.row}行目「{h}」: 「{text}」はこの会のルームにありません（申込は取り込み済みです。"
                    "ルームとの対応を設定してください）。")})
            r.choices.append(text)
        if r.values.get("region"):
            r.extra[forms.STANDARD["region"]] = r.values["region"]
        r.hash = _row_hash(r)

    # People: the rows grouped by person, each group given a person; one winner per person.
    people = _People(session, meeting_id)
    clusters = _clusters(good)
    person_of, notes = people.resolve_all(clusters)
    groups: dict[int, list[_Row]] = {}
    for ci, rows in enumerate(clusters):
        for r in rows:
            r.person = person_of[ci]
        groups[person_of[ci]] = rows
    checks = _checks(clusters, notes, people, cmap)

    existing = {pid: (rid, submitted, h, status) for rid, pid, submitted, h, status in session.execute(
        select(Registration.id, Registration.person_id, Registration.submitted_at, RegistrationSource.row_hash,
               Registration.status)
        .outerjoin(RegistrationSource, RegistrationSource.registration_id == Registration.id)
        .where(Registration.meeting_id == meeting_id))}
    sources = dict(session.execute(
        select(RegistrationSource.registration_id, RegistrationSource.id)
        .join(Registration, Registration.id == RegistrationSource.registration_id)
        .where(Registration.meeting_id == meeting_id)).all())

    winners: list[tuple[_Row, str]] = []  # (row, "new" / "update")
    for pid, rows in groups.items():
        winner = _winner(rows)
        for r in rows:
            if r is not winner:
                result.duplicates += 1
                result.duplicate_rows.append({"row": r.row, "reason": (
                    f"{r.row}行目: {winner.row}行目と同じ方の申込です（{winner.row}行目の回答を使います）。")})
        stored = existing.get(pid)
        if stored is None:
            winners.append((winner, "new"))
            continue
        _rid, submitted, stored_hash, _status = stored
        if stored_hash == winner.hash:
            reason = f"{winner.row}行目: 取り込み済みの内容と同じです。"
        elif not update_existing:
            reason = f"{winner.row}行目: この方はすでに申込済みです。"
        elif winner.timestamp and submitted and winner.timestamp < submitted:
            reason = f"{winner.row}行目: 登録済みの回答（{ja_datetime(submitted)}）の方が新しいため更新しません。"
        else:
            winners.append((winner, "update"))
            continue
        result.duplicates += 1
        result.duplicate_rows.append({"row": winner.row, "reason": reason})

    _write(session, meeting, winners, people, existing, sources, source, result)
    _save_checks(session, meeting_id, checks, clusters, source, result)
    if detected.attendance_column is not None:  # connpass 出欠ステータス: marks on the roster
        _checkins(session, viewer, meeting_id, groups, table, detected, result)

    _insert(session, KeptAsideRow, [{**k, "resolved": False, "resolution": "", "created_at": utcnow(),
                                      "resolved_by": ""} for k in new_kept])
    _update(session, KeptAsideRow, refresh_kept)
    result.cancelled = cancellations.apply(session, meeting_id, not_attending, cmap, set(result.registration_ids))

    if report_removed:
        seen = {r.person for r in good}
        for rid, pid, row, name, status in session.execute(
            select(Registration.id, Registration.person_id, Registration.source_row, Person.name,
                   Registration.status)
            .join(Person, Registration.person_id == Person.id)
            .where(Registration.meeting_id == meeting_id, Registration.source == source,
                   Registration.source_ref == result.source)
        ):
            if pid not in seen and status != vocab.STATUS_CANCELLED:
                result.removed.append({"row": row, "registration_id": rid, "reason": (
                    f"前回{row}行目にあった{name}さんの行がシートにありません。申込は残しています"
                    "（取り消す場合は「キャンセル」にしてください）。")})
    result.quarantined.sort(key=lambda q: q["row"])
    result.duplicate_rows.sort(key=lambda q: q["row"])
    audit.record(session, "import", "registrations", str(meeting_id), after={
        "source": result.source, "rows": result.rows, "imported": result.imported, "updated": result.updated,
        "duplicates": result.duplicates, "quarantined": len(result.quarantined), "cancelled": len(result.cancelled),
        "format": result.format})
    session.flush()
    assert result.consistent, result.as_dict()
    return result


def _checkins(session: Session, viewer: Viewer, meeting_id: int, groups: dict[int, list[_Row]], table: Table,
              detected: formats.Detected, result: ImportResult) -> None:
    reg_of = dict(session.execute(select(Registration.person_id, Registration.id)
                                  .where(Registration.meeting_id == meeting_id)).all())
    marks = {}
    for rows in groups.values():
        w = _winner(rows)
        mark = next((m for r in [w, *rows] if (m := detected.attendance_mark(table.rows[r.index]))), "")
        if mark and w.person in reg_of:
            marks[reg_of[w.person]] = mark
    result.attendance = checkins.apply(session, viewer, meeting_id, marks, f"{detected.label}（{result.source}）")
    if result.attendance:
        result.notes.append(f"{detected.label}の出欠の列から、{result.attendance}名の出欠を名簿に記録しました"
                            "（すでに記録のある方はそのままです）。")


def _insert_ids(session: Session, model, rows: list[dict]) -> list[int]:
    """Insert many rows in a few statements and return their ids in order (Core: the ORM bulk path
    with RETURNING is far slower on SQLite)."""
    table = model.__table__
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.connection().execute(stmt, rows).scalars())


def _insert(session: Session, model, rows: list[dict]) -> None:
    if rows:
        session.connection().execute(insert(model.__table__), rows)


def _update(session: Session, model, rows: list[dict]) -> None:
    """UPDATE … WHERE id = :id for many rows, grouped by the set of columns each row changes."""
    table = model.__table__
    groups: dict[tuple[str, ...], list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(k for k in row if k != "id")), []).append(row)
    for cols, group in groups.items():
        if not cols:
            continue
        stmt = (update(table).where(table.c.id == bindparam("b_id"))
                .values({c: bindparam(f"b_{c}") for c in cols}))
        session.connection().execute(stmt, [{"b_id": r["id"], **{f"b_{c}": r[c] for c in cols}} for r in group])


def _person_fields(r: _Row) -> dict:
    v = r.values
    return {"name": v.get("name", ""), "furigana": v.get("furigana", ""), "email": r.email,
            "organisation_id": r.org_id, "role_title": v.get("role_title", ""),
            "years_experience": forms.parse_years(v.get("years", "")), "name_key": r.name_key}


def _registration_fields(r: _Row, source: str, source_ref: str, now: dt.datetime) -> dict:
    v = r.values
    return {"choice1": r.choices[0], "choice2": r.choices[1], "choice3": r.choices[2],
            "attendance_mode": v.get("mode", "オンライン"),
            "willing_facilitator": forms.parse_yes(v.get("facilitator", "")),
            "programs": r.programs, "org_text": v.get("org", ""), "department": v.get("department", ""),
            "note": v.get("note", ""), "source": source, "source_ref": source_ref, "source_row": r.row,
            "submitted_at": r.timestamp, "extra": r.extra, "updated_at": now}


def _write(session: Session, meeting: Meeting, winners: list[tuple[_Row, str]], people: _People,
           existing: dict, sources: dict, source: str, result: ImportResult) -> None:
    now = utcnow()
    # New people (one per temporary id), in one statement.
    new_people = {r.person: r for r, _ in winners if r.person < 0}
    if new_people:
        temp_ids = list(new_people)
        ids = _insert_ids(session, Person, [
            {**_person_fields(new_people[t]), "email": new_people[t].email or people.new_email.get(t, ""),
             "created_at": now} for t in temp_ids])
        real = dict(zip(temp_ids, ids, strict=True))
        for r, _ in winners:
            if r.person < 0:
                r.person = real[r.person]
    # Known people: fill blanks; overwrite when this is their newest meeting (people change jobs).
    person_updates = []
    for r, _ in winners:
        old = people.data.get(r.person)
        if old is None:
            continue
        newest = people.latest.get(r.person) is None or meeting.starts_at >= people.latest[r.person]
        fresh = _person_fields(r)
        change = {}
        for k in ("furigana", "role_title", "years_experience", "organisation_id"):
            if fresh[k] not in (None, "") and (newest or old[k] in (None, "")) and fresh[k] != old[k]:
                change[k] = fresh[k]
        email = r.email or people.new_email.get(r.person, "")
        if email and not people.email_of.get(r.person):
            change["email"] = email
        if change:
            person_updates.append({"id": r.person, **change})
    if person_updates:
        _update(session, Person, person_updates)

    inserts = [r for r, kind in winners if kind == "new"]
    if inserts:
        ids = _insert_ids(session, Registration, [
            {**_registration_fields(r, source, result.source, now), "meeting_id": meeting.id,
             "person_id": r.person, "role": "参加者", "status": vocab.STATUS_APPLIED, "created_at": now}
            for r in inserts])
        _insert(session, RegistrationSource, [
            {"registration_id": rid, "row_hash": r.hash, "raw": r.raw, "updated_at": now}
            for rid, r in zip(ids, inserts, strict=True)])
        result.imported = len(inserts)
        result.registration_ids.extend(ids)
    updates = [r for r, kind in winners if kind == "update"]
    if updates:
        rows = [{"id": existing[r.person][0], **_registration_fields(r, source, result.source, now)} for r in updates]
        _update(session, Registration, rows)
        have = [r for r in updates if existing[r.person][0] in sources]
        missing = [r for r in updates if existing[r.person][0] not in sources]
        if have:
            _update(session, RegistrationSource, [
                {"id": sources[existing[r.person][0]], "row_hash": r.hash, "raw": r.raw, "updated_at": now}
                for r in have])
        if missing:
            _insert(session, RegistrationSource, [
                {"registration_id": existing[r.person][0], "row_hash": r.hash, "raw": r.raw, "updated_at": now}
                for r in missing])
        result.updated = len(updates)
        result.registration_ids.extend(existing[r.person][0] for r in updates)


# --- files and sheets ------------------------------------------------------------------------

def import_file(session: Session, viewer: Viewer, meeting_id: int, data: bytes, filename: str,
                sheet: str | None = None) -> ImportResult:
    """Import an uploaded CSV / Excel file (TableError when it cannot be read as a table).

    `sheet` names the workbook sheet to read (else tabular picks one); the result's `notes` say
    which sheet was read, and `sheets` lists the others to choose from."""
    table = read_table(data, filename, sheet=sheet)
    result = import_table(session, viewer, meeting_id, table, source=SOURCE_FILE, source_ref=table.source)
    if not result.error:  # the mapping editor shows these headers in any later browser session too
        settings.put(session, _LAST_FILE.format(meeting_id), {
            "headers": list(result.headers), "format": result.format, "format_label": result.format_label,
            "file": filename, "at": utcnow().isoformat()})
    return result


_LAST_FILE = "registrations.last_file_import.{}"  # a meeting's last file import (its headers and format)


@dataclass
class LastImport:
    """What the column-mapping editor works on: the headers of a meeting's newest import."""

    headers: list[str]
    format: str = ""
    format_label: str = ""
    source: str = ""  # 「ファイル「…」」 / 「スプレッドシート」


def last_import(session: Session, meeting_id: int) -> LastImport | None:
    """The headers (and format) of the meeting's newest import, a file or a sheet sync, as stored."""
    found = []
    stored = settings.get(session, _LAST_FILE.format(meeting_id), None, kind=dict)
    if stored and stored.get("headers"):
        found.append((stored.get("at", ""), LastImport(list(stored["headers"]), stored.get("format", ""),
                                                       stored.get("format_label", ""), f"ファイル「{stored.get('file', '')}」")))
    state = session.scalar(select(SheetSync).where(SheetSync.meeting_id == meeting_id))
    if state is not None and state.last_result and state.last_result.get("headers"):
        r = state.last_result
        at = state.last_synced_at.isoformat() if state.last_synced_at else ""
        found.append((at, LastImport(list(r["headers"]), r.get("format", ""), r.get("format_label", ""), "スプレッドシート")))
    return max(found, key=lambda f: f[0])[1] if found else None


def sheet_state(session: Session, meeting_id: int) -> SheetSync:
    """The meeting's sheet settings and last sync (created empty on first use)."""
    state = session.scalar(select(SheetSync).where(SheetSync.meeting_id == meeting_id))
    if state is None:
        meeting = schedule.get_meeting(session, meeting_id)
        state = SheetSync(meeting_id=meeting_id, sheet_url=meeting.sheet_url or "", tab=DEFAULT_TAB,
                          survey_tab="", last_error="", row_count=0)
        session.add(state)
        session.flush()
    return state


def configure_sheet(session: Session, viewer: Viewer, meeting_id: int, url: str, tab: str = DEFAULT_TAB,
                    survey_tab: str = "") -> SheetSync:
    """Save the sheet URL (the key must be readable from it) and the tab names for a meeting."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    from facilitation.sheets.gsheets import SheetsError, parse_key

    url = (url or "").strip()
    try:
        parse_key(url)
    except SheetsError as exc:
        raise RegistrationError(str(exc)) from exc
    state = sheet_state(session, meeting_id)
    state.sheet_url = url
    state.tab = clean(tab) or DEFAULT_TAB
    state.survey_tab = clean(survey_tab)
    schedule.get_meeting(session, meeting_id).sheet_url = url
    session.flush()
    return state


def sync(session: Session, viewer: Viewer, meeting_id: int, client=None, *, fresh: bool = False) -> ImportResult:
    """Read the meeting's sheet (one API request for all its tabs) and import the registration tab.

    A Sheets problem comes back as `result.error` (Japanese) and is kept as the last error.
    """
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    from facilitation.sheets.gsheets import SheetsClient, SheetsError, parse_key

    state = sheet_state(session, meeting_id)
    state.last_attempt_at = utcnow()
    if not state.sheet_url:
        state.last_error = "この会のシートのURLが設定されていません。"
        return ImportResult(error=state.last_error)
    tabs = [state.tab or DEFAULT_TAB] + ([state.survey_tab] if state.survey_tab else [])
    try:
        client = client or SheetsClient()
        tables = client.fetch(state.sheet_url, tabs, max_age=0 if fresh else None)
        key_ = parse_key(state.sheet_url)
    except SheetsError as exc:
        state.last_error = str(exc)
        session.flush()
        return ImportResult(error=str(exc))
    table = tables[tabs[0]]
    result = import_table(session, viewer, meeting_id, table, source=SOURCE_SHEET, source_ref=f"{key_}/{tabs[0]}",
                          report_removed=True)
    state.last_synced_at = utcnow()
    state.last_error = ""
    state.row_count = result.rows
    summary = result.as_dict()
    for k in ("quarantined", "duplicate_rows", "flagged", "removed", "checks", "cancelled", "unplaced"):
        summary[k] = summary[k][:200]
    state.last_result = summary
    session.flush()
    return result


def write_back(session: Session, viewer: Viewer, meeting_id: int, tab: str, client=None) -> int:
    """Write the cleaned registrant list to a tab of the meeting's sheet (secretariat only); returns rows written."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    from facilitation.sheets.gsheets import SheetsClient

    state = sheet_state(session, meeting_id)
    if not state.sheet_url:
        raise RegistrationError("この会のシートのURLが設定されていません。")
    if not clean(tab):
        raise RegistrationError("書き出し先のタブ名を入力してください。")
    if clean(tab) == clean(state.tab):
        raise RegistrationError("申込フォームの回答タブには書き出せません。別のタブ名にしてください。")
    frame = cleaned_frame(session, viewer, meeting_id)
    (client or SheetsClient()).write_tab(state.sheet_url, clean(tab), frame)
    return len(frame)


# --- manual entry, edits, cancellation -------------------------------------------------------

@dataclass
class ManualEntry:
    """One registration typed in by the secretariat (from an e-mail, a phone call, a fax…)."""

    name: str
    email: str = ""
    furigana: str = ""
    org: str = ""
    department: str = ""
    region: str = ""
    programs: list[str] = field(default_factory=list)
    role_title: str = ""
    years: str = ""
    mode: str = "オンライン"
    choice1: str = ""
    choice2: str = ""
    choice3: str = ""
    facilitator: bool = False
    note: str = ""


def add_manual(session: Session, viewer: Viewer, meeting_id: int, entry: ManualEntry) -> Registration:
    """Register one person by hand; RegistrationError when the entry is incomplete or already there."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    values = {f: getattr(entry, f) for f in forms.FIELDS if hasattr(entry, f)}
    values["programs"] = ", ".join(entry.programs)
    values["facilitator"] = "はい" if entry.facilitator else "いいえ"
    values["timestamp"] = now_jst().replace(microsecond=0)
    values["timestamp"] = values["timestamp"].strftime("%Y/%m/%d %H:%M:%S")
    table = Table(headers=forms.STANDARD_HEADERS, rows=[[str(values.get(f, "")) for f in forms.FIELDS]],
                  source="手入力", row_numbers=[1])
    result = import_table(session, viewer, meeting_id, table, source=SOURCE_MANUAL, source_ref="手入力",
                          mapping={}, keep_aside=False, update_existing=False)
    if result.quarantined:
        raise RegistrationError(_manual_reason(result.quarantined[0]["reason"]))
    if result.duplicates:
        raise RegistrationError(f"{clean(entry.name)}さんはこの会にすでに申込済みです。一覧から修正してください。")
    return session.get(Registration, result.registration_ids[0])


def _manual_reason(reason: str) -> str:
    """「1行目「氏名」: …」 → 「「氏名」: …」: a form has no rows."""
    return reason.replace("1行目「", "「").replace("1行目: ", "")


EDITABLE = {"name", "furigana", "email", "org_text", "department", "choice1", "choice2", "choice3",
            "attendance_mode", "role", "status", "willing_facilitator", "note", "programs"}


def update_registration(session: Session, viewer: Viewer, registration_id: int, changes: dict) -> Registration:
    """Edit one registration (and its person's name, furigana, e-mail); checked like an import."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    reg = session.get(Registration, registration_id)
    if reg is None:
        raise RegistrationError(f"申込（ID {registration_id}）が見つかりません。")
    unknown = set(changes) - EDITABLE
    if unknown:
        raise RegistrationError(f"変更できない項目です: {'、'.join(sorted(unknown))}")
    person = reg.person
    for k, value in changes.items():
        if k == "name":
            text = one_line(value)
            if not person_key(text):
                raise RegistrationError("氏名を入力してください。")
            person.name, person.name_key = text[: MAX_LEN["name"]], person_key(text)
        elif k == "furigana":
            person.furigana = one_line(value)[: MAX_LEN["furigana"]]
        elif k == "email":
            text = clean(value)
            if text and not email_key(text):
                raise RegistrationError(f"「{text}」はメールアドレスの形式ではありません。")
            other = session.scalar(select(Person.id).where(Person.email == email_key(text), Person.id != person.id)
                                   ) if text else None
            if other is not None:
                raise RegistrationError(f"メールアドレス「{text}」は別の方（ID {other}）に登録されています。")
            person.email = email_key(text)
        elif k == "org_text":
            reg.org_text = one_line(value)[: MAX_LEN["org"]]
            m = matching.OrgMatcher(session).match(reg.org_text, matching.Evidence(
                region=(reg.extra or {}).get(forms.STANDARD["region"], ""), department=reg.department,
                email=person.email))
            person.organisation_id = m.org_id
            if m.needs_review:
                matching.queue(session, [m], reg.meeting_id)
        elif k == "attendance_mode":
            if value not in vocab.ATTENDANCE_MODES:
                raise RegistrationError(f"参加方法は {' / '.join(vocab.ATTENDANCE_MODES)} から選んでください。")
            reg.attendance_mode = value
        elif k == "status":
            if value not in vocab.REGISTRATION_STATUSES:
                raise RegistrationError(f"状態は {' / '.join(vocab.REGISTRATION_STATUSES)} から選んでください。")
            reg.status = value
        elif k == "role":
            if value not in vocab.MEETING_ROLES:
                raise RegistrationError(f"役割は {' / '.join(vocab.MEETING_ROLES)} から選んでください。")
            reg.role = value
        elif k == "willing_facilitator":
            reg.willing_facilitator = bool(value)
        elif k == "programs":
            reg.programs = list(value) if isinstance(value, list | tuple) else forms.split_multi(str(value))
        elif k in ("choice1", "choice2", "choice3", "department", "note"):
            text = (as_typed if k in MULTI_LINE else one_line)(value)
            setattr(reg, k, text[: MAX_LEN.get(k, 10_000)])
    reg.updated_at = utcnow()
    session.flush()
    return reg


def cancel(session: Session, viewer: Viewer, registration_id: int) -> Registration:
    """Mark a registration cancelled (kept, counted apart; a re-sync does not bring it back)."""
    return update_registration(session, viewer, registration_id, {"status": vocab.STATUS_CANCELLED})


def restore(session: Session, viewer: Viewer, registration_id: int) -> Registration:
    """Undo a cancellation."""
    return update_registration(session, viewer, registration_id, {"status": vocab.STATUS_APPLIED})


def saved_mapping(session: Session, meeting_id: int) -> dict[str, str]:
    """The meeting's saved {header: field id or ""}."""
    return dict((schedule.get_meeting(session, meeting_id).settings or {}).get("column_mapping", {}))


_REMEMBERED = {f.id for f in formats.FORMATS} - {formats.GOOGLE_FORMS.id}  # exports whose mapping any meeting reuses


def mapping_for(session: Session, meeting_id: int, headers: list[str]) -> dict[str, str]:
    """The {header: field or ""} an import of a table with these headers uses (and the mapping editor
    shows): the format's own meanings, then what was saved for that format, then this meeting's."""
    detected = formats.detect(Table(headers=list(headers), rows=[]))
    return {**detected.preset, **remembered_mapping(session, detected.id), **saved_mapping(session, meeting_id)}


def remembers(format_id: str) -> bool:
    """Whether a mapping saved for a file of this format is used for that format's files of every meeting."""
    return format_id in _REMEMBERED


def _mapping_key(format_id: str) -> str:
    return f"registrations.column_mapping.{format_id}"


def remembered_mapping(session: Session, format_id: str) -> dict[str, str]:
    """{header: field id or ""} saved for a known export (connpass, Peatix, Microsoft Forms…) by any
    meeting: the next file of that kind needs no questions. {} for Google Forms and other tables."""
    if format_id not in _REMEMBERED:
        return {}
    return dict(settings.get(session, _mapping_key(format_id), {}, kind=dict))


def save_column_mapping(session: Session, viewer: Viewer, meeting_id: int, mapping: dict[str, str],
                        source_format: str = "") -> None:
    """Remember {header: field id or ""} for this meeting's sheet and files, and, when the file was a
    known export (`source_format`, ImportResult.format), for every later file of that kind."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    bad = {v for v in mapping.values() if v and v not in forms.FIELDS}
    if bad:
        raise RegistrationError(f"不明な項目です: {'、'.join(sorted(bad))}")
    meeting = schedule.get_meeting(session, meeting_id)
    meeting.settings = {**(meeting.settings or {}), "column_mapping": dict(mapping)}
    if source_format in _REMEMBERED:
        settings.put(session, _mapping_key(source_format),
                     {**remembered_mapping(session, source_format), **dict(mapping)})
    session.flush()


# --- kept-aside rows and unmatched choices ---------------------------------------------------

def room_themes(session: Session, meeting_id: int) -> list[str]:
    """The meeting's room themes in room order (what a choice should name)."""
    return [r.theme or r.name for r in schedule.list_rooms(session, meeting_id)]




def kept_aside(session: Session, viewer: Viewer, meeting_id: int, include_resolved: bool = False) -> list[KeptAsideRow]:
    """Rows kept aside (raw personal data: the secretariat only), by source and row."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    stmt = select(KeptAsideRow).where(KeptAsideRow.meeting_id == meeting_id,
                                      KeptAsideRow.resolution.not_in((CHECK_OPEN, CHECK_DONE)))
    if not include_resolved:
        stmt = stmt.where(KeptAsideRow.resolved.is_(False))
    return list(session.scalars(stmt.order_by(KeptAsideRow.source_ref, KeptAsideRow.row_number)))


def to_check(session: Session, viewer: Viewer, meeting_id: int) -> list[KeptAsideRow]:
    """Imported rows the secretariat should look at (a shared e-mail, no organisation, no e-mail), by row.

    A registrant without an organisation or an e-mail drops off the list once it is known.
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = list(session.scalars(
        select(KeptAsideRow).where(KeptAsideRow.meeting_id == meeting_id, KeptAsideRow.resolution == CHECK_OPEN)
        .order_by(KeptAsideRow.source_ref, KeptAsideRow.row_number, KeptAsideRow.id)))
    known = {rid for rid, in session.execute(
        select(Registration.id).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id,
               (Person.organisation_id.is_not(None)) | (Registration.org_text != "")))}
    with_email = {rid for rid, in session.execute(
        select(Registration.id).join(Person, Registration.person_id == Person.id)
        .where(Registration.meeting_id == meeting_id, Person.email != ""))}
    return [k for k in rows if not (k.column == CHECK_NO_ORG and k.registration_id in known)
            and not (k.column == CHECK_NO_EMAIL and k.registration_id in with_email)]


def mark_checked(session: Session, viewer: Viewer, row_id: int) -> None:
    """The secretariat has looked at an imported row: off the list, and not raised again."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None or entry.resolution not in (CHECK_OPEN, CHECK_DONE):
        raise RegistrationError(f"確認が必要な申込（ID {row_id}）が見つかりません。")
    entry.resolved, entry.resolution = True, CHECK_DONE
    entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
    session.flush()


def retry_kept_aside(session: Session, viewer: Viewer, row_id: int, values: dict[str, str]) -> ImportResult:
    """Import a kept-aside row again with the secretariat's corrections; resolved when it goes in."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None:
        raise RegistrationError(f"保留の行（ID {row_id}）が見つかりません。")
    headers = list(values)
    table = Table(headers=headers, rows=[[as_typed(values[h]) for h in headers]], source=entry.source_ref,
                  row_numbers=[entry.row_number or 0])
    result = import_table(session, viewer, entry.meeting_id, table, source=entry.source, source_ref=entry.source_ref,
                          keep_aside=False)
    if result.quarantined:
        entry.raw, entry.reason = dict(values), result.quarantined[0]["reason"]
    else:
        entry.resolved, entry.resolution = True, "imported"
        entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
        entry.registration_id = result.registration_ids[0] if result.registration_ids else None
    session.flush()
    return result


def dismiss_kept_aside(session: Session, viewer: Viewer, row_id: int) -> None:
    """Mark a kept-aside row as needing nothing (a test answer, an empty line); it stays on record."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    entry = session.get(KeptAsideRow, row_id)
    if entry is None:
        raise RegistrationError(f"保留の行（ID {row_id}）が見つかりません。")
    entry.resolved, entry.resolution = True, "dismissed"
    entry.resolved_at, entry.resolved_by = utcnow(), viewer.actor
    session.flush()


def unmatched_choices(session: Session, meeting_id: int) -> pd.DataFrame:
    """Choice texts that map to no room and wait for a decision (the 「対応なし」 rows of
    `choices.choice_review`, columns and headers `choices.REVIEW_LABELS`); empty while the meeting
    has no rooms."""
    review = choices.choice_review(session, meeting_id)
    if not schedule.list_rooms(session, meeting_id):
        return review.iloc[0:0]
    return review[review["match"] == choices.NO_ROOM].reset_index(drop=True)


# --- what the page shows ---------------------------------------------------------------------

# registrant_frame's columns → the headers a person reads, in the order shown. The editable ones carry
# update_registration's field names, so an edited row goes back as it is.
REGISTRANT_LABELS = {
    "name": "氏名", "furigana": "ふりがな", "email": "メールアドレス", "org_text": "所属（入力）",
    "organisation": "機関", "category": "区分", "region": "地域", "programs": "担当事業",
    "role_title": "職種・立場", "years_experience": "経験年数", "attendance_mode": "参加方法",
    "choice1": "第1希望", "choice2": "第2希望", "choice3": "第3希望", "willing_facilitator": "ファシリ協力",
    "status": "状態", "source": "取込元", "note": "備考",
}
COLUMNS = ["id", *REGISTRANT_LABELS]
PERSONAL = ["name", "furigana", "email", "note"]


def registrant_frame(session: Session, viewer: Viewer, meeting_id: int, search: str = "",
                     include_cancelled: bool = True) -> pd.DataFrame:
    """The registrants of a meeting, trimmed to the viewer: the committee sees no names or e-mails
    (PERSONAL columns dropped). Columns `COLUMNS`, shown under `REGISTRANT_LABELS`.

    `search` looks in name, furigana, e-mail and organisation (secretariat and facilitators only).
    """
    if viewer.role == FACILITATOR and viewer.meeting_id != meeting_id:
        raise AccessDenied("この会の申込は見られません。")
    stmt = (select(Registration, Person, Organisation)
            .join(Person, Registration.person_id == Person.id)
            .outerjoin(Organisation, Person.organisation_id == Organisation.id)
            .where(Registration.meeting_id == meeting_id)
            .order_by(Registration.submitted_at.is_(None), Registration.submitted_at, Registration.id))
    if viewer.role == FACILITATOR and viewer.room_id is not None:
        stmt = stmt.join(Assignment, Assignment.registration_id == Registration.id).where(
            Assignment.room_id == viewer.room_id)
    rows = []
    for reg, person, org in session.execute(stmt):
        if not include_cancelled and reg.status == vocab.STATUS_CANCELLED:
            continue
        rows.append({
            "id": reg.id, "name": person.name, "furigana": person.furigana, "email": person.email,
            "org_text": reg.org_text, "organisation": org.name if org else "（確認待ち）" if reg.org_text else "",
            "category": vocab.count_category(org.kind) if org else "",
            "region": org.region if org else (reg.extra or {}).get(forms.STANDARD["region"], ""),
            "programs": "、".join(reg.programs or []), "role_title": person.role_title,
            "years_experience": person.years_experience, "attendance_mode": reg.attendance_mode,
            "choice1": reg.choice1, "choice2": reg.choice2, "choice3": reg.choice3,
            "willing_facilitator": bool(reg.willing_facilitator), "status": reg.status,
            "source": SOURCE_LABELS.get(reg.source, reg.source), "note": reg.note,
        })
    df = pd.DataFrame(rows, columns=COLUMNS)
    if viewer.role == COMMITTEE or not viewer.sees_names:
        df = df.drop(columns=PERSONAL)
    elif search.strip():
        needle = search.strip().lower()
        hay = (df["name"] + " " + df["furigana"] + " " + df["email"] + " " + df["org_text"] + " "
               + df["organisation"]).str.lower()
        hay_key = hay.map(key)
        df = df[hay.str.contains(needle, regex=False) | hay_key.str.contains(key(needle), regex=False)]
    return df.reset_index(drop=True)


@dataclass
class Summary:
    """Counts for the page's header (registrations not cancelled)."""

    line: str
    people: int
    cancelled: int
    by_category: dict[str, int]
    by_program: dict[str, int]
    by_region: dict[str, int]
    by_mode: dict[str, int]
    org_pending: int
    kept_aside: int
    reviews: int
    unmatched_choices: int
    to_check: int = 0


def summary(session: Session, meeting_id: int) -> Summary:
    counts = schedule.meeting_counts(session, meeting_id)
    by_program: Counter[str] = Counter()
    by_region: Counter[str] = Counter()
    pending_org = 0
    for programs, extra, org_id, region in session.execute(
        select(Registration.programs, Registration.extra, Person.organisation_id, Organisation.region)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id, Registration.status != vocab.STATUS_CANCELLED)
    ):
        for p in programs or ["（未回答）"]:
            by_program[p] += 1
        by_region[region or (extra or {}).get(forms.STANDARD["region"]) or "不明"] += 1
        pending_org += org_id is None
    return Summary(
        line=counts.line, people=counts.people, cancelled=counts.cancelled, by_category=counts.by_category,
        by_program=dict(by_program.most_common()), by_region=dict(by_region.most_common()),
        by_mode=counts.by_mode, org_pending=pending_org, kept_aside=len(kept_aside(session, SECRETARIAT_LOCAL, meeting_id)),
        reviews=matching.pending_count(session, meeting_id),
        unmatched_choices=int(unmatched_choices(session, meeting_id)["count"].sum()),
        to_check=len(to_check(session, SECRETARIAT_LOCAL, meeting_id)),
    )


def cleaned_frame(session: Session, viewer: Viewer, meeting_id: int) -> pd.DataFrame:
    """The registrant list in the form's column order, cleaned, for writing back to the sheet."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    rows = []
    for reg, person, org in session.execute(
        select(Registration, Person, Organisation)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting_id)
        .order_by(Registration.submitted_at.is_(None), Registration.submitted_at, Registration.id)
    ):
        rows.append({
            "タイムスタンプ": reg.submitted_at.strftime("%Y/%m/%d %H:%M:%S") if reg.submitted_at else "",
            "メールアドレス": person.email, "氏名": person.name, "ふりがな": person.furigana,
            "所属（法人・機関名）": reg.org_text, "機関（名簿の名称）": org.name if org else "",
            "区分": vocab.count_category(org.kind) if org else "",
            "部署・事業所名": reg.department,
            "地域（振興局）": org.region if org else (reg.extra or {}).get(forms.STANDARD["region"], ""),
            "担当している事業（複数選択可）": ", ".join(reg.programs or []), "職種・立場": person.role_title,
            "経験年数": "" if person.years_experience is None else f"{person.years_experience:g}",
            "参加方法": reg.attendance_mode, "希望テーマ（第1希望）": reg.choice1,
            "希望テーマ（第2希望）": reg.choice2, "希望テーマ（第3希望）": reg.choice3,
            "ファシリテーターの協力": "はい" if reg.willing_facilitator else "いいえ", "備考": reg.note,
            "状態": reg.status,
        })
    return pd.DataFrame(rows)
