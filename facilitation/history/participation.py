"""Participation history: who came to which meeting, counted the way the network's reports count.

Counting rules (the reports' rules, written down once):
- "Came" (参加): a live attendance mark 出席 / 遅刻 / 途中退室 counts, a mark 欠席 does not. Without a
  mark, status 出席 counts and キャンセル / 欠席 do not. Status 申込 counts only for a past meeting
  that has no attendance data at all (no 出席 / 欠席 status and no mark on any registration):
  older meetings were recorded as registrations only, and the reports counted those.
- Only past meetings (started before `now`, Japan time) that are not 中止 are history.
- Every role counts as a person who came (参加者, ファシリテーター, 登壇者, 運営スタッフ, オブザーバー);
  the matrices show the role.
- People (名): one per person per meeting. 延べ = the sum over meetings; 実人数 = distinct people.
- Organisations (機関): the organisation the person came from *at that meeting*: the registration's
  typed organisation when it names exactly one organisation of the master (name or alias key),
  otherwise the person's current organisation. A person without an organisation counts as a
  person of 団体 but as no 機関. The ministry (国) counts as one 機関 however many offices came.
- Merged organisations: a mapping {absorbed id: surviving id} (orgs.merges) sends
  the absorbed organisation's whole history to the surviving one.
- Flows (newcomers, returning, lapsed, retention) run over the meetings of the selected kinds and
  formats across all years; a fiscal-year filter only chooses which rows are shown, so the first
  meeting of a year is not full of false "newcomers".

Frames returned for a page or the CLI have English snake_case columns; each has its Japanese headers
in a *_LABELS dict next to it (pages show them through show_table(labels=...), documents rename).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from sqlalchemy import String, case, cast, false, func, select
from sqlalchemy.orm import Session

from facilitation.meetings.counts import Counts, tally, unique_org_keys
from facilitation.orgs.merges import merges, resolve_merge
from facilitation.roles import Viewer
from facilitation.storage.models import Attendance, Meeting, OrgAlias, Organisation, Person, Registration, Setting
from facilitation.text import vocab
from facilitation.text.dates import ja_date, ja_fiscal_year, now_jst
from facilitation.text.normalize import org_key

UNKNOWN_REGION = "不明"
DEFAULT_LAPSE = 3  # a unit is lapsed after missing this many meetings in a row

# The reports' counting categories by program, in the reports' order (one per person and meeting).
PROGRAM_CATEGORIES: tuple[str, ...] = (
    "自立相談支援事業",
    "自治体",
    "一時生活支援事業",
    "家計改善支援事業",
    "就労準備支援事業",
    "子どもの学習・生活支援事業",
    "その他",
    "運営スタッフ",
)
# When a person answers several programs, the first of these wins.
_PROGRAM_PRIORITY = ("自立相談支援事業", "一時生活支援事業", "家計改善支援事業", "就労準備支援事業",
                     "子どもの学習・生活支援事業")
STAFF_ROLE = "運営スタッフ"

# Marks in the attendance matrices: what a person came as.
ROLE_MARKS: dict[str, str] = {
    "参加者": "○",
    "ファシリテーター": "F",
    "登壇者": "講",
    "運営スタッフ": "運",
    "オブザーバー": "見",
}
ROLE_LEGEND = "○ 参加者　F ファシリテーター　講 登壇者　運 運営スタッフ　見 オブザーバー"

# Column keys of the counting categories and of the reports' programs (the headers are the labels).
CATEGORY_KEYS: dict[str, str] = {
    vocab.CATEGORY_GROUP: "group",
    vocab.CATEGORY_GOVERNMENT: "government",
    vocab.CATEGORY_NATIONAL: "national",
}
PROGRAM_KEYS: dict[str, str] = {
    "自立相談支援事業": "program_consultation",
    "自治体": "program_government",
    "一時生活支援事業": "program_temporary_housing",
    "家計改善支援事業": "program_household_budget",
    "就労準備支援事業": "program_work_readiness",
    "子どもの学習・生活支援事業": "program_children",
    "その他": "program_other",
    "運営スタッフ": "program_staff",
}


@dataclass(frozen=True)
class Scope:
    """Which meetings to look at. Empty tuples mean "all"."""

    fiscal_years: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()


@dataclass
class History:
    """Attendance of past meetings with the "came" rule applied, plus the lookup tables.

    `att`: one row per person per meeting they came to (string columns are categoricals, org ids
    are int with 0 for "no organisation"); `meetings`: past meetings, oldest first, with their
    registration counts; `orgs`: the organisation master with merges resolved. The personal
    columns (name, email) exist only when the viewer may see names.
    """

    att: pd.DataFrame
    meetings: pd.DataFrame
    orgs: pd.DataFrame
    merges: dict[int, int] = field(default_factory=dict)
    shows_names: bool = False

    @property
    def attended(self) -> pd.DataFrame:
        return self.att


NO_ORG = 0  # org_id / org_unit of a person without an organisation


def _with_org(att: pd.DataFrame) -> pd.DataFrame:
    return att[att["org_unit"].to_numpy() != NO_ORG]


# --- loading ------------------------------------------------------------------------------------

def data_version(session: Session) -> tuple:
    """A cheap fingerprint of everything the history reads, for cache keys.

    Counts, newest timestamps and small checksums: it changes with practically every edit (the page
    cache also expires after an hour, as a safety net for an edit that would leave it equal).
    """
    reg = session.execute(select(func.count(Registration.id), func.max(Registration.updated_at))).one()
    att = session.execute(select(func.count(Attendance.id), func.max(Attendance.marked_at),
                                 func.sum(_code(Attendance.mark, vocab.ATTENDANCE_MARKS)
                                          * Attendance.registration_id))).one()
    ppl = session.execute(select(func.count(Person.id), func.max(Person.id),
                                 func.sum(Person.id * func.coalesce(Person.organisation_id, 0)),
                                 func.count(Person.deleted_at))).one()
    org = session.execute(select(func.count(Organisation.id), func.max(Organisation.id),
                                 func.sum(case((Organisation.is_target, Organisation.id), else_=0)),
                                 func.sum((_code(Organisation.kind, vocab.ORG_KINDS)
                                           + 10 * _code(Organisation.region, vocab.ALL_AREAS)
                                           + 1000 * func.length(Organisation.municipality))
                                          * Organisation.id))).one()
    ali = session.execute(select(func.count(OrgAlias.id), func.max(OrgAlias.id))).one()
    mtg = session.execute(select(Meeting.id, Meeting.starts_at, Meeting.kind, Meeting.format,
                                 Meeting.status, Meeting.number, Meeting.title)).all()
    sets = session.execute(select(func.max(Setting.updated_at), func.count(Setting.key))).one()
    return (tuple(reg), tuple(att), tuple(ppl), tuple(org), tuple(ali),
            hash(tuple(tuple(r) for r in mtg)), tuple(sets))


def _code(column, values: Iterable[str]):
    """SQL: a small number per known value of a text column (for the checksums above)."""
    return case({v: i + 1 for i, v in enumerate(values)}, value=column, else_=0)


def _frame(session: Session, stmt, columns: list[str], categorical: Iterable[str] = (),
           text: Iterable[str] = ()) -> pd.DataFrame:
    """A query result as a DataFrame, built column-wise (much faster than from Row objects).

    Columns named in `categorical` (short texts that repeat) become pandas categoricals; those in
    `text` stay plain Python objects (cheaper to build and filter than Arrow strings here).
    """
    data = session.connection().execute(stmt).all()  # Core: no ORM row processing
    if not data:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    cats, texts = set(categorical), set(text)

    def column(name: str, values: tuple) -> object:
        if name in cats:
            return pd.Categorical(values)
        if name in texts:
            return np.array(values, dtype=object)
        return list(values)

    return pd.DataFrame({name: column(name, values) for name, values in zip(columns, zip(*data, strict=True), strict=True)})


def _org_frame(session: Session, mapping: dict[int, int]) -> tuple[pd.DataFrame, dict[str, int]]:
    cols = (Organisation.id, Organisation.name, Organisation.kind, Organisation.gov_mode,
            Organisation.region, Organisation.municipality, Organisation.programs,
            Organisation.is_target, Organisation.facilitator_body, Organisation.name_key)
    orgs = _frame(session, select(*cols),
                  ["org_id", "org_name", "kind", "gov_mode", "region", "municipality",
                   "org_programs", "is_target", "facilitator_body", "name_key"])
    # Keys that name exactly one organisation (names first, then confirmed aliases).
    key_to_org = unique_org_keys(session)
    orgs["merged_into"] = [mapping.get(int(i)) and resolve_merge(int(i), mapping) for i in orgs["org_id"]]
    orgs["category"] = orgs["kind"].map(vocab.count_category)
    orgs["region"] = orgs["region"].replace("", UNKNOWN_REGION).fillna(UNKNOWN_REGION)
    orgs = orgs.drop(columns=["name_key"]).set_index("org_id", drop=False)
    for col in ("org_name", "kind", "region", "municipality", "category"):
        # object, so that spreading them over thousands of rows is a cheap take
        orgs[col] = orgs[col].astype(object)
    return orgs, key_to_org


def _meeting_label(number, kind: str, starts_at: dt.datetime) -> str:
    n = f"第{int(number)}回 " if number is not None and not pd.isna(number) else ""
    return f"{n}{kind}（{ja_date(starts_at)}）"


def _short_label(kind: str, starts_at: dt.datetime) -> str:
    suffix = "" if kind == "情報交換会" else f"・{kind}"
    return f"{ja_date(starts_at, weekday=False)}{suffix}"


def load(session: Session, viewer: Viewer, *, now: dt.datetime | None = None,
         registrations: Callable[[int], pd.DataFrame] | None = None) -> History:
    """Read the whole participation history: meetings, organisations, people, and the registrations
    of every past meeting (in one query, or per meeting from `registrations`: a cache of
    `meeting_registrations` keyed by `meeting_stamps`, so a change re-reads one meeting).

    Names and e-mails are loaded only for a viewer who may see names (the secretariat).
    """
    now = now or now_jst()
    mapping = merges(session)
    shows_names = viewer.is_secretariat
    meetings = _frame(
        session,
        select(Meeting.id, Meeting.number, Meeting.kind, Meeting.title, Meeting.starts_at,
               Meeting.format, Meeting.fiscal_year)
        .where(Meeting.starts_at < now, Meeting.status != vocab.MEETING_CANCELLED)
        .order_by(Meeting.starts_at, Meeting.id),
        ["meeting_id", "number", "meeting_kind", "title", "starts_at", "format", "fiscal_year"],
    )
    meetings["label"] = [_meeting_label(n, k, s) for n, k, s in
                         zip(meetings["number"], meetings["meeting_kind"], meetings["starts_at"], strict=True)]
    shorts = [_short_label(k, s) for k, s in zip(meetings["meeting_kind"], meetings["starts_at"], strict=True)]
    seen: dict[str, int] = {}
    for i, s in enumerate(shorts):  # two meetings on one day keep distinct column names
        seen[s] = seen.get(s, 0) + 1
        if seen[s] > 1:
            shorts[i] = f"{s}（{seen[s]}）"
    meetings["short"] = shorts
    meetings["date"] = [ja_date(s) for s in meetings["starts_at"]]
    meetings = meetings.set_index("meeting_id", drop=False)

    orgs, key_to_org = _org_frame(session, mapping)
    if registrations is None:  # the CLI: every past meeting's registrations in one query
        regs = _registrations(session, Registration.meeting_id.in_(
            select(Meeting.id).where(Meeting.starts_at < now, Meeting.status != vocab.MEETING_CANCELLED)))
    else:
        parts = [registrations(int(m)) for m in meetings["meeting_id"]]
        regs = (pd.concat(parts).sort_values("registration_id", kind="stable") if parts
                else _registrations(session, false()))
    for col in _REGISTRATION_TEXTS:  # short texts that repeat: categoricals (built once, after concat)
        regs[col] = pd.Categorical(regs[col].to_numpy())
    return _prepare(_with_people(session, regs, shows_names), meetings, orgs, key_to_org, mapping, shows_names)


_REGISTRATION_TEXTS = ("role", "status", "programs", "org_text", "mark")
REGISTRATION_COLUMNS = ["registration_id", "meeting_id", "person_id", *_REGISTRATION_TEXTS]


def _registrations(session: Session, where) -> pd.DataFrame:
    """Registrations (with their attendance mark) matching `where`, in the order they were made."""
    stmt = (
        select(Registration.id, Registration.meeting_id, Registration.person_id, Registration.role, Registration.status,
               cast(Registration.programs, String), Registration.org_text, Attendance.mark)
        .outerjoin(Attendance, Attendance.registration_id == Registration.id)
        .where(where).order_by(Registration.id)
    )
    return _frame(session, stmt, REGISTRATION_COLUMNS, text=_REGISTRATION_TEXTS)


def meeting_registrations(session: Session, meeting_id: int) -> pd.DataFrame:
    """One meeting's registrations as `load` reads them (no personal columns): what a cache keeps per
    meeting, keyed by `meeting_stamps`."""
    return _registrations(session, Registration.meeting_id == meeting_id)


def meeting_stamps(session: Session) -> dict[int, tuple]:
    """A cheap fingerprint of each meeting's registrations and attendance marks (counts, newest
    timestamps, checksums of who, role, status and mark), for per-meeting cache keys."""
    reg = session.execute(
        select(Registration.meeting_id, func.count(Registration.id), func.max(Registration.updated_at),
               func.sum(Registration.person_id * (1 + _code(Registration.role, vocab.MEETING_ROLES)
                                                  + 16 * _code(Registration.status, vocab.REGISTRATION_STATUSES))),
               func.sum(func.coalesce(func.length(Registration.org_text), 0)
                        + func.coalesce(func.length(cast(Registration.programs, String)), 0)))
        .group_by(Registration.meeting_id)).all()
    att = session.execute(
        select(Registration.meeting_id, func.count(Attendance.id), func.max(Attendance.marked_at),
               func.sum(_code(Attendance.mark, vocab.ATTENDANCE_MARKS) * Attendance.registration_id))
        .join(Registration, Attendance.registration_id == Registration.id)
        .group_by(Registration.meeting_id)).all()
    marks = {r[0]: tuple(r[1:]) for r in att}
    return {r[0]: (*r[1:], *marks.get(r[0], ())) for r in reg}


def _with_people(session: Session, regs: pd.DataFrame, shows_names: bool) -> pd.DataFrame:
    """The registrations with each person's current organisation and erasure (and, for a viewer who
    may see names, name and e-mail)."""
    cols, names = [Person.id, Person.organisation_id, Person.deleted_at], ["person_id", "person_org_id", "deleted_at"]
    if shows_names:
        cols += [Person.name, Person.email]
        names += ["name", "email"]
    people = _frame(session, select(*cols), names, text=("name", "email")).set_index("person_id")
    known = regs["person_id"].isin(people.index)
    regs = regs[known].reset_index(drop=True) if not known.all() else regs.reset_index(drop=True)
    info = people.reindex(regs["person_id"].to_numpy())
    for name in names[1:]:
        regs[name] = info[name].to_numpy()
    return regs


_CATEGORICAL = ("role", "status", "mark", "org_name", "kind", "region",
                "municipality", "category", "program_category", "meeting_kind", "format")


_org_key = lru_cache(maxsize=1 << 14)(org_key)  # the same typed names come back on every load


def _prepare(rows: pd.DataFrame, meetings: pd.DataFrame, orgs: pd.DataFrame,
             key_to_org: dict[str, int], mapping: dict[int, int], shows_names: bool) -> History:
    # Came: marks first, then status; 申込 only where the meeting has no attendance data at all.
    mark, status = rows["mark"], rows["status"]
    has_data = mark.notna() | status.isin([vocab.STATUS_ATTENDED, vocab.STATUS_ABSENT])
    meetings_with_data = set(rows.loc[has_data, "meeting_id"])
    meetings["has_attendance_data"] = meetings["meeting_id"].isin(meetings_with_data)
    by_status = (status == vocab.STATUS_ATTENDED) | (
        (status == vocab.STATUS_APPLIED) & ~rows["meeting_id"].isin(meetings_with_data))
    came = np.where(mark.notna(), mark.isin(vocab.CAME_MARKS), by_status).astype(bool)
    meetings["registrations"] = rows.groupby("meeting_id").size().reindex(meetings.index, fill_value=0)
    meetings["cancelled"] = rows[status == vocab.STATUS_CANCELLED].groupby("meeting_id").size() \
        .reindex(meetings.index, fill_value=0)
    # One row per person and meeting: the registrations table is unique on (meeting, person).
    rows = rows[came].reset_index(drop=True)

    # Organisation at the time: the typed organisation if it names one, else the person's current one.
    typed = {t: key_to_org.get(_org_key(t)) for t in rows["org_text"].dropna().unique() if t}
    at_time = rows["org_text"].map(typed)
    org_id = at_time.where(at_time.notna(), rows["person_org_id"]).fillna(NO_ORG).astype("int64")
    if mapping:
        resolved = {i: resolve_merge(i, mapping) for i in org_id.unique() if i != NO_ORG}
        org_id = org_id.map(lambda i: resolved.get(i, i)).astype("int64")
    rows["org_id"] = org_id
    info = orgs.reindex(org_id.to_numpy())
    rows["org_name"] = info["org_name"].to_numpy()
    rows["kind"] = info["kind"].to_numpy()
    rows["region"] = info["region"].fillna(UNKNOWN_REGION).to_numpy()
    rows["municipality"] = info["municipality"].fillna("").to_numpy()
    rows["category"] = info["category"].fillna(vocab.CATEGORY_GROUP).to_numpy()
    # One organisation unit per 機関; every national office is the one ministry.
    national = orgs.loc[orgs["category"] == vocab.CATEGORY_NATIONAL, "org_id"]
    national_unit = int(national.min()) if len(national) else NO_ORG
    rows["org_unit"] = np.where(rows["category"].to_numpy() == vocab.CATEGORY_NATIONAL, national_unit,
                                org_id.to_numpy()).astype("int64")
    rows["program_category"] = _program_categories(rows, orgs)

    mt = meetings.reindex(rows["meeting_id"].to_numpy())
    for col in ("fiscal_year", "meeting_kind", "format", "starts_at"):
        rows[col] = mt[col].to_numpy()
    if shows_names:
        erased = rows["deleted_at"].notna()
        rows.loc[erased, "name"] = "（削除済み）"
        rows.loc[erased, "email"] = ""
    rows = rows.drop(columns=["registration_id", "deleted_at", "programs", "person_org_id", "org_text"])
    for col in _CATEGORICAL:
        rows[col] = rows[col].astype("category")
    return History(att=rows, meetings=meetings, orgs=orgs, merges=dict(mapping), shows_names=shows_names)


def _program_of(programs: Iterable[str]) -> str | None:
    """The counting category of a list of programs (first by priority), None for an empty list."""
    programs = list(programs or ())
    if not programs:
        return None
    return next((p for p in _PROGRAM_PRIORITY if p in programs), "その他")


def _program_categories(rows: pd.DataFrame, orgs: pd.DataFrame) -> np.ndarray:
    """One counting category per registration: staff, government, else the answered program
    (or the organisation's programs when none was answered)."""
    answered = {t: _program_of(json.loads(t)) if isinstance(t, str) and t else None
                for t in rows["programs"].unique()}
    by_org = {int(i): _program_of(p if isinstance(p, list) else ()) for i, p in
              zip(orgs["org_id"], orgs["org_programs"], strict=True)}
    from_answer = rows["programs"].map(answered)
    from_org = rows["org_id"].map(by_org)
    program = from_answer.where(from_answer.notna(), from_org).fillna("その他")
    out = np.where(rows["category"] == vocab.CATEGORY_GOVERNMENT, vocab.CATEGORY_GOVERNMENT, program)
    return np.where(rows["role"] == STAFF_ROLE, STAFF_ROLE, out)


# --- scoping ------------------------------------------------------------------------------------

def scoped(history: History, scope: Scope, *, years: bool = True) -> History:
    """The history restricted to the scope's kinds and formats (and fiscal years unless years=False)."""
    m = history.meetings
    keep = pd.Series(True, index=m.index)
    if scope.kinds:
        keep &= m["meeting_kind"].isin(scope.kinds)
    if scope.formats:
        keep &= m["format"].isin(scope.formats)
    if years and scope.fiscal_years:
        keep &= m["fiscal_year"].isin(scope.fiscal_years)
    if keep.all():
        return history
    m = m[keep]
    att = history.att[history.att["meeting_id"].isin(m.index)]
    return replace(history, att=att, meetings=m)


def fiscal_years(history: History) -> list[int]:
    return sorted(int(y) for y in history.meetings["fiscal_year"].unique())


# --- per meeting counts -------------------------------------------------------------------------

def counts_of(attended: pd.DataFrame) -> Counts:
    """Counts for the attendance rows of ONE meeting (the rule of `meetings.counts`)."""
    units = attended["org_unit"].to_numpy()
    return tally(zip(attended["person_id"].tolist(), [None if u == NO_ORG else int(u) for u in units],
                     attended["category"].astype(object).tolist(), strict=True))


def _count_by(frame: pd.DataFrame, row: str, col: str, index: pd.Index, columns: Iterable[str]) -> pd.DataFrame:
    """A rows × columns table of counts with every wanted row and column present (zeros filled)."""
    table = frame.groupby([row, col], observed=True).size().unstack(fill_value=0)
    return table.reindex(index=index, columns=list(columns), fill_value=0).fillna(0).astype("int64")


def _org_units(att: pd.DataFrame, by: str) -> pd.DataFrame:
    """Distinct (by, org_unit) pairs with their category: each 機関 once per meeting / year."""
    return _with_org(att)[[by, "org_unit", "category"]].drop_duplicates([by, "org_unit"])


MEETING_LABELS: dict[str, str] = {
    "fiscal_year": "年度", "date": "日付", "meeting": "会", "kind": "種別", "format": "開催方法",
    "people": "参加者数", "organisations": "機関数",
    **{f"people_{k}": f"{c}（名）" for c, k in CATEGORY_KEYS.items()},
    **{f"orgs_{k}": f"{c}（機関）" for c, k in CATEGORY_KEYS.items()},
    **{k: p for p, k in PROGRAM_KEYS.items()},
    "report_line": "報告の表記",
}


def meeting_table(history: History, national_label: str = "厚労省") -> pd.DataFrame:
    """One row per meeting: people, 機関, the split by category and by program, the report line.

    Columns (MEETING_LABELS): fiscal_year (「2024年度」), date, meeting, kind, format, people,
    organisations, people_<category> and orgs_<category> (CATEGORY_KEYS), the programs
    (PROGRAM_KEYS), report_line."""
    att = history.att
    m = history.meetings
    cats = vocab.COUNT_CATEGORIES
    people = _count_by(att, "meeting_id", "category", m.index, cats)
    orgs = _count_by(_org_units(att, "meeting_id"), "meeting_id", "category", m.index, cats)
    orgs[vocab.CATEGORY_NATIONAL] = orgs[vocab.CATEGORY_NATIONAL].clip(upper=1)
    programs = _count_by(att, "meeting_id", "program_category", m.index, PROGRAM_CATEGORIES)
    out = pd.DataFrame({
        "fiscal_year": [ja_fiscal_year(int(y)) for y in m["fiscal_year"]],
        "date": m["date"].to_numpy(),
        "meeting": m["label"].to_numpy(),
        "kind": m["meeting_kind"].to_numpy(),
        "format": m["format"].to_numpy(),
        "people": people.sum(axis=1).to_numpy(),
        "organisations": orgs.sum(axis=1).to_numpy(),
    })
    for c in cats:
        out[f"people_{CATEGORY_KEYS[c]}"] = people[c].to_numpy()
    for c in cats:
        out[f"orgs_{CATEGORY_KEYS[c]}"] = orgs[c].to_numpy()
    for p in PROGRAM_CATEGORIES:
        out[PROGRAM_KEYS[p]] = programs[p].to_numpy()
    out["report_line"] = [
        Counts(people=int(n), organisations=int(o), by_category=dict(zip(cats, pc, strict=True)),
               orgs_by_category=dict(zip(cats, oc, strict=True))).line_as(national_label)
        for n, o, pc, oc in zip(out["people"], out["organisations"], people.to_numpy().tolist(),
                                orgs.to_numpy().tolist(), strict=True)
    ]
    return out[list(MEETING_LABELS)]


YEAR_LABELS: dict[str, str] = {
    "fiscal_year": "年度", "meetings": "開催回数", "total": "延べ参加者数", "distinct_people": "実人数",
    "total_orgs": "延べ機関数", "distinct_orgs": "実機関数",
    **{f"distinct_orgs_{k}": f"{c}（実機関）" for c, k in CATEGORY_KEYS.items()},
}


def year_table(history: History) -> pd.DataFrame:
    """Per fiscal year: meetings, 延べ and 実人数, 延べ and 実 機関 (the ministry as one), by category.

    Columns: YEAR_LABELS (fiscal_year is the text 「2024年度」)."""
    att = history.att
    cats = vocab.COUNT_CATEGORIES
    years = pd.Index(fiscal_years(history))
    grp = att.groupby("fiscal_year")
    units = _with_org(att)
    distinct = _org_units(att, "fiscal_year")
    by_cat = _count_by(distinct, "fiscal_year", "category", years, cats)
    out = pd.DataFrame({
        "fiscal_year": [ja_fiscal_year(int(y)) for y in years],
        "meetings": history.meetings.groupby("fiscal_year").size().reindex(years, fill_value=0).to_numpy(),
        "total": grp.size().reindex(years, fill_value=0).to_numpy(),
        "distinct_people": grp["person_id"].nunique().reindex(years, fill_value=0).to_numpy(),
        # Σ over meetings of the 機関 that came (the ministry once per meeting).
        "total_orgs": units[["meeting_id", "org_unit", "fiscal_year"]].drop_duplicates(["meeting_id", "org_unit"])
        .groupby("fiscal_year").size().reindex(years, fill_value=0).to_numpy(),
        "distinct_orgs": by_cat.sum(axis=1).to_numpy(),
    })
    for c in cats:
        out[f"distinct_orgs_{CATEGORY_KEYS[c]}"] = by_cat[c].to_numpy()
    return out.astype({c: "int64" for c in out.columns if c != "fiscal_year"})


def period_counts(history: History) -> dict[str, int]:
    """Headline figures for the scope: meetings, 延べ, 実人数, 実機関数."""
    att = history.att
    return {
        "meetings": len(history.meetings),
        "total": len(att),
        "distinct_people": int(att["person_id"].nunique()),
        "distinct_orgs": int(_with_org(att)["org_unit"].nunique()),
    }


# --- regions ------------------------------------------------------------------------------------

REGION_TABLE_LABELS: dict[str, str] = {"region": "地域", "total": "延べ参加者数", "distinct_people": "実人数",
                                       "distinct_orgs": "実機関数"}


def region_table(history: History) -> pd.DataFrame:
    """Per 振興局 (then 北海道・道外・不明): 延べ, 実人数, 実機関数 (REGION_TABLE_LABELS)."""
    att = history.att
    grp = att.groupby("region", observed=True)
    table = pd.DataFrame({
        "total": grp.size(),
        "distinct_people": grp["person_id"].nunique(),
        "distinct_orgs": _with_org(att).groupby("region", observed=True)["org_unit"].nunique(),
    })
    order = [*vocab.ALL_AREAS, UNKNOWN_REGION]
    table = table.reindex(order).fillna(0).astype("int64")
    table = table[(table.index.isin(vocab.REGIONS)) | (table["total"] > 0)]
    table.index.name = "region"
    return table.reset_index()


def municipality_table(history: History) -> pd.DataFrame:
    """Per (region, municipality) of the organisations: 延べ (total) and 実機関数 (distinct_orgs),
    for the map."""
    att = history.att
    grp = att.groupby(["region", "municipality"], observed=True)
    orgs = _with_org(att).groupby(["region", "municipality"], observed=True)["org_unit"].nunique()
    out = pd.DataFrame({"total": grp.size()})
    out["distinct_orgs"] = orgs.reindex(out.index).fillna(0).astype("int64")
    out = out.reset_index()
    out["region"] = out["region"].astype(str)
    out["municipality"] = out["municipality"].astype(str)
    return out
