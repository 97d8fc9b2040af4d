"""Surveys in the database: import a sheet for a meeting, corrections, links to registrations,
respondent attributes for cross-tabs, the trend of one question across meetings, and tags.

A response links to a registration of the same meeting by e-mail first, then by name + organisation
(normalize.person_key + org_key). Unlinked responses stay in every count, under 「照合できず」.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.roles import COMMITTEE, Viewer, require_secretariat
from facilitation.storage import hooks
from facilitation.storage.models import Assignment, Meeting, Organisation, Person, Registration, Room, utcnow
from facilitation.surveys import questions
from facilitation.surveys.models import SurveyCommentTag, SurveyResponse, SurveySheet, SurveyTag
from facilitation.surveys.questions import EMAIL, GRID, IDENTITY, KINDS, NAME, ORG, TIMESTAMP
from facilitation.surveys.summary import Survey, summarize
from facilitation.text import vocab
from facilitation.text.dates import ja_date, parse_timestamp
from facilitation.text.normalize import as_typed, clean, email_key, key, org_key, person_key

DEFAULT_TAGS: tuple[str, ...] = ("財政面", "人材面", "連携", "研修・学び", "制度・運営", "会の運営", "要望")
UNLINKED = "照合できず"
FIRST_TIME, RETURNING = "初参加", "2回目以上"
ATTRIBUTES: dict[str, str] = {"room": "ルーム", "sector": "所属の種別", "region": "地域", "first_time": "初参加かどうか",
                              "category": "参加区分"}


class SurveyError(UserError):
    """Something the secretariat can fix (Japanese message)."""


@dataclass
class SurveyInfo:
    id: int
    title: str
    meeting_id: int | None
    meeting_label: str
    meeting_date: dt.datetime | None
    source: str
    source_ref: str
    responses: int
    linked: int
    imported_at: dt.datetime


NEW, SAME, APPENDED, REREAD = "new", "same", "appended", "reread"


@dataclass
class ImportResult:
    survey_id: int
    responses: int
    linked_by_email: int
    linked_by_name: int
    outcome: str = NEW  # NEW survey, SAME rows as a stored survey, rows APPENDED to one, or a REREAD
    title: str = ""  # the stored survey's title (for SAME / APPENDED)
    added: int = 0  # new rows (APPENDED)
    notes: list[str] = field(default_factory=list)  # Japanese, from the reader: which sheet was read, cut cells

    @property
    def linked(self) -> int:
        return self.linked_by_email + self.linked_by_name

    def message(self) -> str:
        if self.outcome == SAME:
            return (f"この回答（{self.responses}件）は「{self.title}」としてすでに取り込まれています。内容が同じため、"
                    "新しいアンケートは作らず、取り込み済みのアンケートを表示します。")
        links = (f"申込との照合: メール {self.linked_by_email}件、氏名と所属 {self.linked_by_name}件、"
                 f"照合できず {self.responses - self.linked}件")
        if self.outcome == APPENDED:
            return (f"取り込み済みの「{self.title}」に新しい回答 {self.added}件を追加しました"
                    f"（合計 {self.responses}件。{links}）。")
        return f"{self.responses}件の回答を取り込みました（{links}）。"


def _row_values(raw, width: int) -> list[str]:
    return [str(c) for c in (list(raw) + [""] * width)[:width]]


def find_stored(session: Session, table) -> tuple[int, int] | None:
    """A stored survey holding the same responses as `table`: (survey id, its stored row count).

    Same headers and the stored rows equal the table's first rows (the whole table: the same file
    imported again; fewer: Google Forms appended responses since). None when no survey matches.
    """
    headers = list(table.headers)
    width = len(headers)
    rows = [_row_values(r, width) for r in table.rows]
    for sheet in session.scalars(select(SurveySheet).order_by(SurveySheet.id)):
        if list(sheet.headers) != headers:
            continue
        stored = [list(r) for r in session.scalars(
            select(SurveyResponse.answers_raw).where(SurveyResponse.survey_id == sheet.id)
            .order_by(SurveyResponse.position))]
        if stored and len(stored) <= len(rows) and stored == rows[:len(stored)]:
            return sheet.id, len(stored)
    return None


IMPORT_SECRETARIAT_ONLY = "アンケートの取り込みは事務局のみ行えます。"


def import_table(session: Session, viewer: Viewer, table, *, title: str, meeting_id: int | None, source: str = "file",
                 source_ref: str = "", survey_id: int | None = None) -> ImportResult:
    """Store a sheet of responses as a survey (a new one, or replacing the rows of `survey_id`).

    Re-reading the same sheet keeps tags on rows whose position did not change (Google Forms
    appends). Responses are linked to the meeting's registrations at once. A new import whose rows
    are already stored (the same file again) creates nothing and names the stored survey; one that
    extends a stored survey's rows (responses added since) adds the new rows to that survey.
    """
    require_secretariat(viewer, IMPORT_SECRETARIAT_ONLY)
    if not table.headers:
        raise SurveyError("見出し行がありません。")
    if meeting_id is not None and session.get(Meeting, meeting_id) is None:
        raise SurveyError(f"会（ID {meeting_id}）が見つかりません。")
    outcome, added = (REREAD if survey_id is not None else NEW), 0
    if survey_id is None and (found := find_stored(session, table)) is not None:
        survey_id, stored_rows = found
        stored = session.get(SurveySheet, survey_id)
        if stored_rows == len(table.rows):
            linked = dict(session.execute(
                select(SurveyResponse.link_method, func.count()).where(SurveyResponse.survey_id == survey_id)
                .group_by(SurveyResponse.link_method)).all())
            return ImportResult(survey_id, stored_rows, linked.get("email", 0), linked.get("name_org", 0),
                                outcome=SAME, title=stored.title, notes=list(getattr(table, "notes", [])))
        outcome, added, title = APPENDED, len(table.rows) - stored_rows, ""
        source, source_ref = stored.source, stored.source_ref  # where it was first read from stays
    if survey_id is None:
        sheet = SurveySheet(title=as_typed(title) or "アンケート", meeting_id=meeting_id, source=source,
                            source_ref=source_ref, headers=list(table.headers))
        session.add(sheet)
        session.flush()
        sheet.kinds, sheet.options = remembered_kinds(session, table, exclude=sheet.id)
        existing: list[SurveyResponse] = []
    else:
        sheet = session.get(SurveySheet, survey_id)
        if sheet is None:
            raise SurveyError(f"アンケート（ID {survey_id}）が見つかりません。")
        if as_typed(title):
            sheet.title = as_typed(title)  # shown as typed (spaces kept)
        sheet.headers, sheet.source, sheet.source_ref = list(table.headers), source, source_ref or sheet.source_ref
        sheet.imported_at = utcnow()
        existing = list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == sheet.id)
                                        .order_by(SurveyResponse.position)))
    survey = Survey.from_table(table, sheet.kinds, sheet.options)
    identity = {role: survey.identity(role) for role in (EMAIL, NAME, ORG, TIMESTAMP)}
    row_numbers = getattr(table, "row_numbers", None) or [i + 2 for i in range(len(table.rows))]
    width = len(table.headers)
    for i, raw in enumerate(table.rows):
        resp = existing[i] if i < len(existing) else SurveyResponse(survey_id=sheet.id, position=i)
        resp.answers_raw = _row_values(raw, width)
        resp.source_row = row_numbers[i] if i < len(row_numbers) else None
        resp.email = email_key(identity[EMAIL][i])
        resp.name = identity[NAME][i][:100]
        resp.org_text = identity[ORG][i][:300]
        resp.submitted_at = parse_timestamp(identity[TIMESTAMP][i])
        if i >= len(existing):
            session.add(resp)
    for extra in existing[len(table.rows):]:
        session.delete(extra)
    session.flush()
    by_email, by_name = link_responses(session, sheet.id)
    hooks.emit(session, hooks.SURVEY_CHANGED, survey_id=sheet.id)
    return ImportResult(sheet.id, len(table.rows), by_email, by_name, outcome=outcome, title=sheet.title, added=added,
                        notes=list(getattr(table, "notes", [])))


def remembered_kinds(session: Session, table, exclude: int | None = None
                     ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Kinds (and scale options) for `table`'s questions that earlier surveys asked under the same
    title: what the secretariat set in 「質問の種類」, or a scale / free text detected there. Stored as
    the new survey's corrections, so 「質問の種類」 shows them and they can be changed."""
    memory: dict[str, questions.Remembered] = {}
    for sheet in session.scalars(select(SurveySheet).order_by(SurveySheet.imported_at, SurveySheet.id)):
        if sheet.id != exclude:
            questions.remember(memory, load(session, sheet.id).questions, set(sheet.kinds or {}), sheet.title)
    if not memory:
        return {}, {}
    return questions.carried_kinds(Survey.from_table(table).questions, memory)


def link_responses(session: Session, survey_id: int) -> tuple[int, int]:
    """Link every not manually linked response to a registration of the survey's meeting.

    Returns (linked by e-mail, linked by name + organisation). Without a meeting nothing links.
    """
    sheet = session.get(SurveySheet, survey_id)
    responses = list(session.scalars(select(SurveyResponse).where(SurveyResponse.survey_id == survey_id)))
    if sheet.meeting_id is None:
        return 0, 0
    regs = session.execute(
        select(Registration.id, Registration.person_id, Registration.org_text, Person.email, Person.name,
               Person.name_key, Organisation.name)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == sheet.meeting_id)).all()
    by_email: dict[str, tuple[int, int]] = {}
    by_name_org: dict[tuple[str, str], tuple[int, int]] = {}
    for reg_id, person_id, org_text, email, name, name_key, org_name in regs:
        if email_key(email):
            by_email.setdefault(email_key(email), (reg_id, person_id))
        pk = name_key or person_key(name)
        for org in (org_text, org_name):
            if pk and org_key(org):
                by_name_org.setdefault((pk, org_key(org)), (reg_id, person_id))
    n_email = n_name = 0
    for r in responses:
        if r.link_method == "manual":
            continue
        hit, method = None, ""
        if r.email and r.email in by_email:
            hit, method = by_email[r.email], "email"
        elif person_key(r.name) and (person_key(r.name), org_key(r.org_text)) in by_name_org:
            hit, method = by_name_org[(person_key(r.name), org_key(r.org_text))], "name_org"
        r.registration_id, r.person_id = (hit if hit else (None, None))
        r.link_method = method
        n_email += method == "email"
        n_name += method == "name_org"
    return n_email, n_name


def list_surveys(session: Session, meeting_id: int | None = None) -> list[SurveyInfo]:
    """Surveys, newest meeting first (surveys without a meeting last)."""
    counts = dict(session.execute(select(SurveyResponse.survey_id, func.count()).group_by(SurveyResponse.survey_id)).all())
    linked = dict(session.execute(select(SurveyResponse.survey_id, func.count())
                                  .where(SurveyResponse.registration_id.is_not(None))
                                  .group_by(SurveyResponse.survey_id)).all())
    q = select(SurveySheet, Meeting).outerjoin(Meeting, SurveySheet.meeting_id == Meeting.id)
    if meeting_id is not None:
        q = q.where(SurveySheet.meeting_id == meeting_id)
    out = []
    for sheet, meeting in session.execute(q).all():
        label = f"{meeting.title}（{ja_date(meeting.starts_at)}）" if meeting else "会の指定なし"
        out.append(SurveyInfo(sheet.id, sheet.title, sheet.meeting_id, label, meeting.starts_at if meeting else None,
                              sheet.source, sheet.source_ref, counts.get(sheet.id, 0), linked.get(sheet.id, 0),
                              sheet.imported_at))
    out.sort(key=lambda s: (s.meeting_date is None, -(s.meeting_date.timestamp() if s.meeting_date else 0), -s.id))
    return out


def load(session: Session, survey_id: int) -> Survey:
    """The survey's rows (sheet order) and corrections, ready for `summarize`."""
    sheet = session.get(SurveySheet, survey_id)
    if sheet is None:
        raise SurveyError(f"アンケート（ID {survey_id}）が見つかりません。")
    rows = session.scalars(select(SurveyResponse.answers_raw).where(SurveyResponse.survey_id == survey_id)
                           .order_by(SurveyResponse.position)).all()

    class _T:  # the Table interface from stored rows
        headers = list(sheet.headers)

    _T.rows = [list(r) for r in rows]
    return Survey.from_table(_T, sheet.kinds, sheet.options, title=sheet.title)


def version(session: Session, survey_id: int) -> tuple:
    """Changes whenever `load` would return something else (re-import, corrections, erasure) or the
    responses are linked to other registrations: a cache key read from the database."""
    found = versions(session, survey_id)
    if survey_id not in found:
        raise SurveyError(f"アンケート（ID {survey_id}）が見つかりません。")
    return found[survey_id]


def versions(session: Session, survey_id: int | None = None) -> dict[int, tuple]:
    """`version` of every survey (or of one) in two queries: survey id → its version."""
    sheets = select(SurveySheet.id, SurveySheet.imported_at, SurveySheet.kinds, SurveySheet.options)
    counts = (select(SurveyResponse.survey_id, func.count(),
                     func.coalesce(func.sum(func.length(SurveyResponse.name)), 0),
                     func.coalesce(func.sum(func.length(SurveyResponse.email)), 0),
                     func.count(SurveyResponse.registration_id),
                     func.coalesce(func.sum(SurveyResponse.registration_id), 0))
              .group_by(SurveyResponse.survey_id))
    if survey_id is not None:
        sheets, counts = sheets.where(SurveySheet.id == survey_id), counts.where(SurveyResponse.survey_id == survey_id)
    agg = {r[0]: tuple(int(x) for x in r[1:]) for r in session.execute(counts).all()}
    return {r.id: (r.id, r.imported_at.isoformat(), repr(sorted(r.kinds.items())),
                   repr(sorted((k, tuple(v)) for k, v in r.options.items())), *agg.get(r.id, (0, 0, 0, 0, 0)))
            for r in session.execute(sheets).all()}


def stamp(session: Session) -> str:
    """Changes whenever anything `list_surveys`, `trend` or `trend_candidates` return could change
    (an import, a re-read, corrections, a deletion, an erasure, a meeting renamed or moved): a
    cheap key for caches shared by sessions and correct across app processes (read from the database).
    """
    sheets = session.execute(select(SurveySheet.id, SurveySheet.title, SurveySheet.meeting_id, SurveySheet.imported_at,
                                    SurveySheet.kinds, SurveySheet.options).order_by(SurveySheet.id)).all()
    meetings = session.execute(select(Meeting.id, Meeting.title, Meeting.starts_at)
                               .where(Meeting.id.in_({r.meeting_id for r in sheets if r.meeting_id is not None}))
                               .order_by(Meeting.id)).all()
    responses = session.execute(
        select(func.count(), func.max(SurveyResponse.id), func.coalesce(func.sum(func.length(SurveyResponse.name)), 0),
               func.coalesce(func.sum(func.length(SurveyResponse.email)), 0),
               func.count(SurveyResponse.registration_id))).one()
    return repr(([(r.id, r.title, r.meeting_id, r.imported_at.isoformat(), sorted(r.kinds.items()),
                   sorted((k, tuple(v)) for k, v in r.options.items())) for r in sheets],
                 [tuple(m) for m in meetings], tuple(responses), rooms_stamp(session)))


def rooms_stamp(session: Session) -> tuple:
    """Changes with any room assignment (respondents' 「ルーム」 in `attributes`): a cache key."""
    return tuple(session.execute(select(func.count(Assignment.id), func.coalesce(func.sum(Assignment.version), 0),
                                        func.coalesce(func.sum(Assignment.registration_id * Assignment.room_id), 0))
                                 ).one())


def response_ids(session: Session, survey_id: int) -> list[int]:
    """Response ids in the same order as `load(...).rows`."""
    return list(session.scalars(select(SurveyResponse.id).where(SurveyResponse.survey_id == survey_id)
                                .order_by(SurveyResponse.position)))


EDIT_SECRETARIAT_ONLY = "アンケートの設定の変更は事務局のみ行えます。"


def set_corrections(session: Session, viewer: Viewer, survey_id: int, kinds: dict[str, str] | None = None,
                    options: dict[str, list[str]] | None = None) -> None:
    """Replace the secretariat's kind corrections and/or option sets (keys: question keys)."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    sheet = session.get(SurveySheet, survey_id)
    if sheet is None:
        raise SurveyError(f"アンケート（ID {survey_id}）が見つかりません。")
    if kinds is not None:
        bad = [k for k, v in kinds.items() if v not in KINDS]
        if bad:
            raise SurveyError(f"「{bad[0]}」の種類が正しくありません。")
        sheet.kinds = dict(kinds)
    if options is not None:
        sheet.options = {k: [clean(o) for o in v if clean(o)] for k, v in options.items() if v}
    session.flush()
    hooks.emit(session, hooks.SURVEY_CHANGED, survey_id=survey_id)  # a question that became free text


def delete_survey(session: Session, viewer: Viewer, survey_id: int) -> str:
    """Delete a survey with its responses and tags (a wrong file, a test import); its title, for the message."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    sheet = session.get(SurveySheet, survey_id)
    if sheet is None:
        raise SurveyError(f"アンケート（ID {survey_id}）が見つかりません。すでに削除されています。")
    title = sheet.title
    session.execute(delete(SurveySheet).where(SurveySheet.id == survey_id))  # responses and tags cascade
    hooks.emit(session, hooks.SURVEY_CHANGED, survey_id=survey_id)
    return title


# --- Respondent attributes for cross-tabs ---------------------------------------------------------

def attributes(session: Session, survey_id: int) -> pd.DataFrame:
    """Per response (sheet order): response_id, room, sector, region, first_time, category.

    Values are labels for grouping, never names; unlinked responses get 「照合できず」.
    """
    sheet = session.get(SurveySheet, survey_id)
    rows = session.execute(
        select(SurveyResponse.id, SurveyResponse.registration_id, SurveyResponse.person_id)
        .where(SurveyResponse.survey_id == survey_id).order_by(SurveyResponse.position)).all()
    reg_ids = [r.registration_id for r in rows if r.registration_id]
    info: dict[int, dict] = {}
    if reg_ids:
        for reg_id, person_id, kind, region, room in session.execute(
                select(Registration.id, Registration.person_id, Organisation.kind, Organisation.region, Room.name)
                .join(Person, Registration.person_id == Person.id)
                .outerjoin(Organisation, Person.organisation_id == Organisation.id)
                .outerjoin(Assignment, Assignment.registration_id == Registration.id)
                .outerjoin(Room, Assignment.room_id == Room.id)
                .where(Registration.id.in_(reg_ids))).all():
            info[reg_id] = {"person_id": person_id, "sector": vocab.sector(kind) if kind else "不明",
                            "region": vocab.short_region(region) if region else "不明", "room": room or "ルーム未割当",
                            "category": vocab.count_category(kind) if kind else "不明"}
        meeting = session.get(Meeting, sheet.meeting_id) if sheet.meeting_id else None
        people = {v["person_id"] for v in info.values()}
        earlier: set[int] = set()
        if meeting is not None and people:
            earlier = set(session.scalars(
                select(Registration.person_id).join(Meeting, Registration.meeting_id == Meeting.id)
                .where(Registration.person_id.in_(people), Meeting.starts_at < meeting.starts_at,
                       Registration.status != vocab.STATUS_CANCELLED)))
        for v in info.values():
            v["first_time"] = RETURNING if v["person_id"] in earlier else FIRST_TIME
    records = []
    for r in rows:
        v = info.get(r.registration_id) if r.registration_id else None
        records.append({"response_id": r.id, **({k: v[k] for k in ATTRIBUTES} if v else dict.fromkeys(ATTRIBUTES, UNLINKED))})
    return pd.DataFrame(records, columns=["response_id", *ATTRIBUTES])


# --- The same question across meetings ------------------------------------------------------------

@dataclass(frozen=True)
class TrendPoint:
    """One scale question of one survey in the trend (positive and positive_share NaN: hidden)."""
    n: int
    base: int
    positive: float
    positive_share: float
    label: str


@dataclass(frozen=True)
class SurveyTrend:
    """What one survey adds to the trend, computed once per survey version (see `trend`)."""
    titles: tuple[tuple[str, str], ...]  # (normalised title, title) of each scale question: trend candidates
    points: dict[str, TrendPoint]  # normalised title → its first question's point, when a scale question


def survey_trend(survey: Survey) -> SurveyTrend:
    """The trend points of one survey: every scale question's favourable share."""
    titles = tuple((key(q.title), q.title) for q in survey.questions if q.positive and q.kind != GRID)
    points: dict[str, TrendPoint] = {}
    summary = None
    for want in dict.fromkeys(k for k, _ in titles):
        q = next(q for q in survey.questions if key(q.title) == want and q.kind != IDENTITY)
        if q.kind == GRID or not q.positive:  # the first question of that title is not a scale question
            continue
        summary = summary or summarize(survey, with_terms=False)
        s = summary.question(q.key)
        points[want] = TrendPoint(s.n, s.base, int(s.table[s.table.option.isin(q.positive)]["count"].sum()),
                                  s.positive_share, s.positive_label)
    return SurveyTrend(titles, points)


TrendSource = Callable[[int], "SurveyTrend | None"]  # survey id → its trend points (None: left out)


def trend(session: Session, question_title: str, meeting_only: bool = True, viewer: Viewer | None = None,
          trends: TrendSource | None = None) -> pd.DataFrame:
    """The favourable share of one scale question in every survey that asked it, oldest first.

    Questions match by normalised title (normalize.key). Columns: survey_id, survey, meeting,
    date, n, base, positive, positive_share, label. The committee's (`viewer`) leaves out surveys
    it may not see and hides a share that would single someone out (disclosure.trend).
    `trends`: each survey's points (`survey_trend`, or the committee's), e.g. from a cache keyed by
    `versions`; by default computed here from every survey.
    """
    if viewer is not None and viewer.role == COMMITTEE:
        from facilitation.surveys import disclosure

        return disclosure.trend(session, question_title, disclosure.threshold(session), trends)
    return trend_frame(session, question_title, trends or (lambda sid: survey_trend(load(session, sid))), meeting_only)


def trend_frame(session: Session, question_title: str, trends: TrendSource, meeting_only: bool = True
                ) -> pd.DataFrame:
    """The trend table from each survey's points (`trend`)."""
    want = key(question_title)
    rows = []
    for info in reversed(list_surveys(session)):
        if meeting_only and info.meeting_id is None:
            continue
        points = trends(info.id)
        if points is None or (p := points.points.get(want)) is None:
            continue
        rows.append({"survey_id": info.id, "survey": info.title, "meeting": info.meeting_label,
                     "date": info.meeting_date, "n": p.n, "base": p.base, "positive": p.positive,
                     "positive_share": p.positive_share, "label": p.label})
    return pd.DataFrame(rows, columns=["survey_id", "survey", "meeting", "date", "n", "base", "positive",
                                       "positive_share", "label"])


def trend_candidates(session: Session, trends: TrendSource | None = None) -> list[str]:
    """Titles of scale questions asked in two or more surveys (for the trend selector)."""
    trends = trends or (lambda sid: survey_trend(load(session, sid)))
    seen: dict[str, set[int]] = {}
    titles: dict[str, str] = {}
    for info in list_surveys(session):
        points = trends(info.id)
        for k, title in (points.titles if points is not None else ()):
            seen.setdefault(k, set()).add(info.id)
            titles.setdefault(k, title)
    return [titles[k] for k, ids in seen.items() if len(ids) >= 2]


# --- Tags -------------------------------------------------------------------------------------------

def tag_names(session: Session) -> list[str]:
    """The tag list in display order (the defaults until the secretariat edits it)."""
    names = list(session.scalars(select(SurveyTag.name).order_by(SurveyTag.position, SurveyTag.id)))
    return names or list(DEFAULT_TAGS)


TAGS_SECRETARIAT_ONLY = "コメントのタグ付けは事務局のみ行えます。"


def set_tag_names(session: Session, viewer: Viewer, names: list[str]) -> list[str]:
    """Replace the tag list (blank and repeated names dropped). Tags already on comments stay."""
    require_secretariat(viewer, TAGS_SECRETARIAT_ONLY)
    cleaned: list[str] = []
    for n in names:
        c = clean(n)[:50]
        if c and c not in cleaned:
            cleaned.append(c)
    session.execute(delete(SurveyTag))
    session.flush()
    for i, n in enumerate(cleaned):
        session.add(SurveyTag(name=n, position=i))
    return cleaned


def comment_tags(session: Session, survey_id: int, question_key: str) -> dict[int, list[str]]:
    """response_id → tags on its answer to `question_key`."""
    out: dict[int, list[str]] = {}
    for rid, tag in session.execute(
            select(SurveyCommentTag.response_id, SurveyCommentTag.tag)
            .join(SurveyResponse, SurveyCommentTag.response_id == SurveyResponse.id)
            .where(SurveyResponse.survey_id == survey_id, SurveyCommentTag.question_key == question_key)
            .order_by(SurveyCommentTag.id)).all():
        out.setdefault(rid, []).append(tag)
    return out


def set_comment_tags(session: Session, viewer: Viewer, response_id: int, question_key: str,
                     tags: list[str]) -> None:
    """Replace the tags of one answer (the secretariat only)."""
    require_secretariat(viewer, TAGS_SECRETARIAT_ONLY)
    session.execute(delete(SurveyCommentTag).where(SurveyCommentTag.response_id == response_id,
                                                   SurveyCommentTag.question_key == question_key))
    for t in dict.fromkeys(clean(t)[:50] for t in tags if clean(t)):
        session.add(SurveyCommentTag(response_id=response_id, question_key=question_key, tag=t))
