"""Keeping the search index current: one function per source, called where that source is written.

- `refresh_note(room_id)` / `refresh_report(meeting_id)`: after rosters.notes.save_text_fields (every
  save of a note field or a report section goes through it);
- `refresh_survey(survey_id)`: after an import, a change of question kinds, a deletion;
- `refresh_chat_import(import_id)` / `refresh_chat(ids, purge=True)`: after an open-chat import or
  a redaction;
- `erase`: the eraser "95_search" (run by access.privacy.forget_person after the areas' erasers, in
  the same transaction) re-indexes what the person's erasure changed, so erased text leaves the
  index when the erasure is committed.
The writers never import this module: they emit storage.hooks events, and search.models (imported
with every area's tables) connects them here.
- `rebuild()`: everything again (`python -m facilitation search-index`), and `ensure()` on every
  search: a database whose index was never built (new, the demo, a restored older backup) is
  indexed once. Backups leave the index out (storage.backup.derived): `forget()` after a restore
  empties it, and the first search builds it from the restored data.
Each passage is indexed with the meeting, room, theme and the participants' regions,
municipalities and organisation kinds (room notes), or the writer's (survey answers, chat).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.orm import Session

from facilitation.access import privacy
from facilitation.search import terms as T
from facilitation.search.models import SearchPassage
from facilitation.storage import db, settings
from facilitation.storage.models import (
    Assignment,
    Meeting,
    Organisation,
    Person,
    Registration,
    Room,
    RoomNote,
    Setting,
    utcnow,
)
from facilitation.text import vocab
from facilitation.text.dates import fiscal_year

NOTE_FIELDS = {"issues": "現状の課題", "efforts": "取り組み・工夫", "requests": "後方支援への要望", "summary": "まとめ"}
REPORT_FIELDS = {"overall": "全体共有", "next_meeting": "次回について"}
SOURCES = {"note": "ルームの記録", "report": "報告レポート", "survey": "アンケート", "chat": "オープンチャット"}
CHAT_PLACE = "オープンチャット"
_BATCH = 2000
TABLE = SearchPassage.__table__
BUILT_SETTING = "search_index_built"  # when the whole index was last built (the writes keep it current since)


def _bars(values: Iterable[str]) -> str:
    """|a|b| for LIKE '%|a|%' filters; "" when there is nothing."""
    vals = sorted({v for v in values if v})
    return f"|{'|'.join(vals)}|" if vals else ""


def _row(ref: str, parent: str, source: str, text: str, **kw) -> dict | None:
    terms = T.terms(text)
    if not terms:
        return None
    row = dict(ref=ref, parent=parent, source=source, passage=text, terms=terms, meeting_id=None, room_id=None,
               section="", theme="", place="", regions="", municipalities="", org_kinds="", fiscal_year=None, at=None)
    row.update(kw)
    return row


def _replace(session: Session, parents: list[str], rows: list[dict | None]) -> int:
    conn = session.connection()  # Core statements: the index is derived data, not in the audit log
    for i in range(0, len(parents), 500):
        conn.execute(delete(TABLE).where(TABLE.c.parent.in_(parents[i:i + 500])))
    rows = [r for r in rows if r]
    for i in range(0, len(rows), _BATCH):
        conn.execute(insert(TABLE), rows[i:i + _BATCH])
    return len(rows)


def _orgs_of(orgs: Iterable[Organisation | None]) -> dict[str, str]:
    orgs = [o for o in orgs if o is not None]
    return {"regions": _bars(o.region for o in orgs), "municipalities": _bars(o.municipality for o in orgs),
            "org_kinds": _bars(o.kind for o in orgs)}


def _room_orgs(session: Session, room_ids: list[int]) -> dict[int, list[Organisation]]:
    out: dict[int, list[Organisation]] = {}
    for i in range(0, len(room_ids), 500):
        rows = session.execute(
            select(Assignment.room_id, Organisation)
            .join(Registration, Assignment.registration_id == Registration.id)
            .join(Person, Registration.person_id == Person.id)
            .join(Organisation, Person.organisation_id == Organisation.id)
            .where(Assignment.room_id.in_(room_ids[i:i + 500]),
                   Registration.status != vocab.STATUS_CANCELLED)).all()
        for room_id, org in rows:
            out.setdefault(room_id, []).append(org)
    return out


# --- room notes and report sections -----------------------------------------------------------

def _note_rows(session: Session, room_ids: list[int] | None) -> tuple[list[str], list[dict | None]]:
    q = (select(RoomNote, Room, Meeting).join(Room, RoomNote.room_id == Room.id)
         .join(Meeting, Room.meeting_id == Meeting.id))
    if room_ids is not None:
        q = q.where(RoomNote.room_id.in_(room_ids))
    found = session.execute(q).all()
    orgs = _room_orgs(session, [room.id for _, room, _ in found])
    rows = []
    for note, room, meeting in found:
        common = dict(meeting_id=meeting.id, room_id=room.id, theme=(room.theme or note.theme or room.name)[:300],
                      place=f"{meeting.title} ／ {room.name}"[:300], fiscal_year=meeting.fiscal_year,
                      at=meeting.starts_at, **_orgs_of(orgs.get(room.id, [])))
        for field, label in NOTE_FIELDS.items():
            rows.append(_row(f"note:{room.id}:{field}", f"note:{room.id}", "note", getattr(note, field) or "",
                             section=label, **common))
    parents = [f"note:{r}" for r in room_ids] if room_ids is not None else []
    return parents, rows


def refresh_note(session: Session, room_id: int) -> int:
    parents, rows = _note_rows(session, [room_id])
    return _replace(session, parents, rows)


def _report_rows(session: Session, meeting_ids: list[int] | None) -> tuple[list[str], list[dict | None]]:
    from facilitation.rosters.models import ReportSection

    q = select(ReportSection, Meeting).join(Meeting, ReportSection.meeting_id == Meeting.id)
    if meeting_ids is not None:
        q = q.where(ReportSection.meeting_id.in_(meeting_ids))
    rows = []
    for sec, meeting in session.execute(q).all():
        for field, label in REPORT_FIELDS.items():
            rows.append(_row(f"report:{meeting.id}:{field}", f"report:{meeting.id}", "report",
                             getattr(sec, field) or "", meeting_id=meeting.id, section=label,
                             place=f"{meeting.title} ／ 報告レポート"[:300], fiscal_year=meeting.fiscal_year,
                             at=meeting.starts_at))
    parents = [f"report:{m}" for m in meeting_ids] if meeting_ids is not None else []
    return parents, rows


def refresh_report(session: Session, meeting_id: int) -> int:
    parents, rows = _report_rows(session, [meeting_id])
    return _replace(session, parents, rows)


def refresh_saved(session: Session, table: str, key: int) -> int:
    """After a save through rosters.notes.save_text_fields: the room's notes or the meeting's report."""
    if table == RoomNote.__tablename__:
        return refresh_note(session, key)
    if table == "report_sections":
        return refresh_report(session, key)
    return 0


# --- surveys -------------------------------------------------------------------------------------

def _survey_rows(session: Session, survey_id: int) -> list[dict | None]:
    from facilitation.surveys import store
    from facilitation.surveys.models import SurveyResponse, SurveySheet
    from facilitation.surveys.questions import TEXT

    sheet = session.get(SurveySheet, survey_id)
    if sheet is None:
        return []
    survey = store.load(session, survey_id)
    questions = [q for q in survey.questions if q.kind == TEXT]
    if not questions:
        return []
    meeting = session.get(Meeting, sheet.meeting_id) if sheet.meeting_id else None
    responses = session.execute(
        select(SurveyResponse.id, SurveyResponse.submitted_at, Organisation, Room.theme)
        .outerjoin(Registration, SurveyResponse.registration_id == Registration.id)
        .outerjoin(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .outerjoin(Assignment, Assignment.registration_id == Registration.id)
        .outerjoin(Room, Assignment.room_id == Room.id)
        .where(SurveyResponse.survey_id == survey_id).order_by(SurveyResponse.position)).all()
    at = meeting.starts_at if meeting else sheet.imported_at
    rows = []
    for (response_id, submitted, org, theme), answers in zip(responses, survey.rows, strict=False):
        for q in questions:
            text = answers[q.columns[0]]
            rows.append(_row(f"survey:{response_id}:{q.columns[0]}", f"survey:{survey_id}", "survey", text,
                             meeting_id=sheet.meeting_id, section=q.title[:300], theme=(theme or "")[:300],
                             place=sheet.title[:300], at=submitted or at,
                             fiscal_year=meeting.fiscal_year if meeting else fiscal_year(at),
                             **_orgs_of([org])))
    return rows


def refresh_survey(session: Session, survey_id: int) -> int:
    """Re-index one survey's free-text answers (nothing left when it was deleted)."""
    return _replace(session, [f"survey:{survey_id}"], _survey_rows(session, survey_id))


# --- open chat -----------------------------------------------------------------------------------

def _chat_rows(session: Session, ids: list[int]) -> tuple[list[str], list[dict | None]]:
    from facilitation.openchat.models import ChatMember, ChatMessage

    q = (select(ChatMessage.id, ChatMessage.at, ChatMessage.text, ChatMessage.is_question, Organisation)
         .outerjoin(ChatMember, ChatMessage.member_id == ChatMember.id)
         .outerjoin(Organisation, ChatMember.organisation_id == Organisation.id)
         .where(ChatMessage.kind == "message", ChatMessage.redacted.is_(False), ChatMessage.text.is_not(None))
         .order_by(ChatMessage.id))
    rows: list[dict | None] = []
    parents: list[str] = []
    for chunk in [ids[i:i + 500] for i in range(0, len(ids), 500)]:
        for mid, at, body, is_question, org in session.execute(q.where(ChatMessage.id.in_(chunk))):
            rows.append(_row(f"chat:{mid}", f"chat:{mid}", "chat", body or "", section="質問" if is_question else "発言",
                             place=CHAT_PLACE, at=at, fiscal_year=fiscal_year(at), **_orgs_of([org])))
        parents.extend(f"chat:{m}" for m in chunk)
    return parents, rows


def refresh_chat(session: Session, ids: Iterable[int] | None = None, *, purge: bool = False) -> int:
    """Re-index the given chat messages (all with no ids); redacted messages leave the index
    (`purge`: and their words leave the engine's index files too, see `purge_deleted`)."""
    if ids is None:  # all of them, a batch at a time (years of chat: never every passage in memory at once)
        from facilitation.openchat.models import ChatMessage

        session.connection().execute(delete(TABLE).where(TABLE.c.source == "chat"))
        every = list(session.scalars(select(ChatMessage.id).order_by(ChatMessage.id)))
        n = sum(_replace(session, [], _chat_rows(session, every[i:i + _BATCH])[1])
                for i in range(0, len(every), _BATCH))
    else:
        parents, rows = _chat_rows(session, list(ids))
        n = _replace(session, parents, rows)
    if purge:
        purge_deleted(session)
    return n


def refresh_chat_import(session: Session, import_id: int) -> int:
    """Index the messages one open-chat import added."""
    from facilitation.openchat.models import ChatMessage

    ids = list(session.scalars(select(ChatMessage.id).where(ChatMessage.import_id == import_id)))
    return refresh_chat(session, ids) if ids else 0


def purge_deleted(session: Session) -> None:
    """SQLite's FTS5 keeps a deleted row's words in its segments until they are merged: merge them
    now (after an erasure or a redaction), so no erased word stays in the file. PostgreSQL's GIN
    entries go with the row (VACUUM reclaims the space)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))


# --- everything ----------------------------------------------------------------------------------

@dataclass
class Rebuilt:
    passages: dict[str, int]

    @property
    def message(self) -> str:
        parts = "・".join(f"{SOURCES[k]} {v:,}件" for k, v in self.passages.items())
        return f"検索用の索引を作り直しました（{parts}）。"


def rebuild(session: Session) -> Rebuilt:
    """Empty the index and index every source again (one build at a time: a second one waits)."""
    from facilitation.surveys.models import SurveySheet

    _lock_for_build(session)
    session.connection().execute(delete(TABLE))
    counts = {"note": _replace(session, [], _note_rows(session, None)[1]),
              "report": _replace(session, [], _report_rows(session, None)[1]),
              "survey": sum(_replace(session, [], _survey_rows(session, sid))
                            for sid in session.scalars(select(SurveySheet.id).order_by(SurveySheet.id))),
              "chat": refresh_chat(session)}
    settings.put(session, BUILT_SETTING, utcnow().isoformat(timespec="seconds"))
    session.flush()
    return Rebuilt(counts)


def is_built(session: Session) -> bool:
    """True once the whole index was built in this database (after that, every write keeps it current)."""
    return settings.get(session, BUILT_SETTING) is not None


BUILD_LOCK = 2026_0026  # PostgreSQL advisory lock key: one first build at a time per database
BUILD_WAIT_MS = 600_000  # SQLite: how long a second process waits for the first one's build


def _lock_for_build(session: Session) -> None:
    """Hold, until this transaction ends, the lock every first build takes: PostgreSQL's advisory
    transaction lock; on SQLite the database's write lock, taken by a write that changes nothing
    (waiting as long as a build of years of data takes, not the usual busy timeout)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": BUILD_LOCK})
        return
    session.execute(text(f"PRAGMA busy_timeout={BUILD_WAIT_MS}"))
    try:
        session.execute(text("UPDATE settings SET key = key WHERE key = :k"), {"k": BUILT_SETTING})
    finally:
        session.execute(text(f"PRAGMA busy_timeout={db.BUSY_TIMEOUT_MS}"))


def ensure(session: Session) -> bool:
    """Build the index when it was never built in this database (a new database, the demo, a
    restored backup, which carries no index); True when this call built it. After that, the writes
    keep it current. Two processes that start on a new database at once build it once: the second
    waits for the first one's build lock and then finds the index built."""
    if is_built(session):
        return False
    _lock_for_build(session)
    if is_built(session):
        return False
    rebuild(session)
    return True


def forget(session: Session) -> None:
    """After a restore (backups carry no index): the index is empty, and the next search builds it."""
    session.connection().execute(delete(TABLE))
    session.connection().execute(delete(Setting.__table__).where(Setting.__table__.c.key == BUILT_SETTING))
    purge_deleted(session)


def size(session: Session) -> dict[str, int]:
    """Passages in the index per source."""
    rows = session.execute(select(SearchPassage.source, func.count()).group_by(SearchPassage.source)).all()
    return {k: 0 for k in SOURCES} | {k: int(v) for k, v in rows}


def erase(session: Session, subject: privacy.Subject) -> list[privacy.Erased]:
    """After the areas' erasers (same transaction): chat messages they redacted leave the index,
    and the surveys the person answered, or whose answers named them, are indexed again."""
    from facilitation.openchat.models import ChatMessage
    from facilitation.surveys.models import SurveyResponse

    session.flush()
    redacted = list(session.scalars(select(ChatMessage.id).where(ChatMessage.redacted.is_(True))))
    refs = {f"chat:{i}" for i in redacted}
    gone = [i for i, parent in session.execute(select(SearchPassage.id, SearchPassage.parent)
                                               .where(SearchPassage.source == "chat")) if parent in refs]
    if gone:
        session.connection().execute(delete(TABLE).where(TABLE.c.id.in_(gone)))
    cond = SurveyResponse.person_id == subject.person_id
    if subject.registration_ids:
        cond = cond | SurveyResponse.registration_id.in_(subject.registration_ids)
    surveys = set(session.scalars(select(SurveyResponse.survey_id).where(cond)))
    for needle in {n for n in (subject.name.strip(), subject.name.replace(" ", "").replace("\u3000", ""),
                               subject.email) if len(n) >= 2}:
        for parent in session.scalars(select(SearchPassage.parent).where(
                SearchPassage.source == "survey", SearchPassage.passage.contains(needle, autoescape=True))):
            surveys.add(int(parent.split(":")[1]))
    for sid in sorted(surveys):
        refresh_survey(session, sid)
    purge_deleted(session)
    return [privacy.Erased("search_passages", gone, ["passage", "terms"])]
