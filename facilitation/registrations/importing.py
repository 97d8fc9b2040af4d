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
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from facilitation.assignment import choices
from facilitation.errors import UserError
from facilitation.files import formats
from facilitation.files.tabular import Table, read_table
from facilitation.meetings import schedule
from facilitation.orgs import matching
from facilitation.registrations import cancellations, checkins, forms
from facilitation.registrations.models import KeptAsideRow, RegistrationSource
from facilitation.registrations.people import _clusters, _People, _winner
from facilitation.registrations.rows import _digest, _parse, _problem, _Row, _row_hash, _truncate
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import audit, settings
from facilitation.storage.models import Meeting, Person, Registration, utcnow
from facilitation.text import vocab
from facilitation.text.dates import ja_datetime

SOURCE_SHEET, SOURCE_FILE, SOURCE_MANUAL = "sheet", "file", "manual"
SOURCE_LABELS = {SOURCE_SHEET: "シート", SOURCE_FILE: "ファイル", SOURCE_MANUAL: "手入力", "demo": "デモ"}


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


SECRETARIAT_ONLY = "この情報は事務局だけが見られます。"
EDIT_SECRETARIAT_ONLY = "申込の登録・修正は事務局だけが行えます。"


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


class ImportCountError(RegistrationError):
    """The import's own bookkeeping did not add up (a row neither imported, updated, merged, kept aside
    nor cancelled): a bug, refused so that nothing is written and no row is lost silently."""


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
    table, not_attending = _set_aside_not_attending(table, detected)
    parsed = _parse(table, cmap, default_mode)
    good, new_kept, refresh_kept = _set_aside_problem_rows(session, meeting_id, parsed, cmap, source, keep_aside,
                                                           result)
    _match_organisations(session, meeting_id, good, result)
    _flag_unknown_choices(session, meeting_id, good, cmap, result)
    people = _People(session, meeting_id)
    clusters, groups, checks = _group_by_person(people, good, cmap)
    winners, existing, sources = _pick_one_row_per_person(session, meeting_id, groups, update_existing, result)

    _write(session, meeting, winners, people, existing, sources, source, result)
    _save_checks(session, meeting_id, checks, clusters, source, result)
    if detected.attendance_column is not None:  # connpass 出欠ステータス: marks on the roster
        _checkins(session, viewer, meeting_id, groups, table, detected, result)
    _insert(session, KeptAsideRow, [{**k, "resolved": False, "resolution": "", "created_at": utcnow(),
                                      "resolved_by": ""} for k in new_kept])
    _update(session, KeptAsideRow, refresh_kept)
    result.cancelled = cancellations.apply(session, meeting_id, not_attending, cmap, set(result.registration_ids))
    if report_removed:
        _report_removed(session, meeting_id, good, source, result)
    result.quarantined.sort(key=lambda q: q["row"])
    result.duplicate_rows.sort(key=lambda q: q["row"])
    audit.record(session, "import", "registrations", str(meeting_id), after={
        "source": result.source, "rows": result.rows, "imported": result.imported, "updated": result.updated,
        "duplicates": result.duplicates, "quarantined": len(result.quarantined), "cancelled": len(result.cancelled),
        "format": result.format})
    session.flush()
    _check_every_row_accounted(result)
    return result


def _set_aside_not_attending(table: Table, detected: formats.Detected) -> tuple[Table, list[tuple[int, list[str], str]]]:
    """The table without the rows of people its status column says do not take part, and those rows
    as (row number, cells, reason)."""
    not_attending, keep = [], []
    for i, cells in enumerate(table.rows):
        reason = detected.not_attending(cells, table.headers, table.row_number(i))
        if reason:
            not_attending.append((table.row_number(i), cells, reason))
        else:
            keep.append(i)
    if not_attending:
        table = replace(table, rows=[table.rows[i] for i in keep], row_numbers=[table.row_number(i) for i in keep])
    return table, not_attending


def _set_aside_problem_rows(session: Session, meeting_id: int, parsed: list[_Row], cmap: forms.ColumnMap,
                            source: str, keep_aside: bool,
                            result: ImportResult) -> tuple[list[_Row], list[dict], list[dict]]:
    """Rows that cannot be registrations, and rows already fixed from the kept-aside list: (the good
    rows, kept-aside rows to insert, kept-aside rows to refresh)."""
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
    return good, new_kept, refresh_kept


def _match_organisations(session: Session, meeting_id: int, good: list[_Row], result: ImportResult) -> None:
    """One match per distinct spelling; uncertain ones go to the review queue."""
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


def _flag_unknown_choices(session: Session, meeting_id: int, good: list[_Row], cmap: forms.ColumnMap,
                          result: ImportResult) -> None:
    """Choices (kept as written; assignment.choices resolves them) and the row's fingerprint."""
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


def _group_by_person(people: _People, good: list[_Row], cmap: forms.ColumnMap):
    """The rows grouped by person, each group given a person: (the groups, {person: rows}, the checks
    for the secretariat)."""
    clusters = _clusters(good)
    person_of, notes = people.resolve_all(clusters)
    groups: dict[int, list[_Row]] = {}
    for ci, rows in enumerate(clusters):
        for r in rows:
            r.person = person_of[ci]
        groups[person_of[ci]] = rows
    return clusters, groups, _checks(clusters, notes, people, cmap)


def _pick_one_row_per_person(session: Session, meeting_id: int, groups: dict[int, list[_Row]],
                             update_existing: bool, result: ImportResult):
    """One winner per person, new or updating the stored registration; every other row is counted as a
    duplicate with its reason. Returns (winners as (row, "new" / "update"), {person: stored
    registration}, {registration: source row id})."""
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
    return winners, existing, sources


def _report_removed(session: Session, meeting_id: int, good: list[_Row], source: str, result: ImportResult) -> None:
    """Rows of the previous sync no longer in the sheet: reported, their registrations kept."""
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


def _check_every_row_accounted(result: ImportResult) -> None:
    """rows = imported + updated + duplicates + kept aside + cancelled, else ImportCountError."""
    if not result.consistent:
        placed = (result.imported + result.updated + result.duplicates + len(result.quarantined)
                  + len(result.cancelled))
        raise ImportCountError(
            f"取り込みの集計が合わないため、取り込みを中止しました（{result.rows}行に対して、新規・更新・重複・保留・"
            f"不参加の合計が{placed}行です）。何も保存していません。お手数ですが、このファイルを添えて担当者に"
            "お知らせください。")


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
