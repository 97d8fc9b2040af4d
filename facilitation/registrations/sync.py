"""The meeting's Google Sheet: its settings, the sync that imports its registration tab, the cleaned
list written back to another tab, and the headers of the newest import (a file or a sync) for the
column-mapping editor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.meetings import schedule
from facilitation.registrations.frames import cleaned_frame
from facilitation.registrations.importing import (
    _LAST_FILE,
    EDIT_SECRETARIAT_ONLY,
    SOURCE_SHEET,
    ImportResult,
    RegistrationError,
    import_table,
)
from facilitation.registrations.models import SheetSync
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings
from facilitation.storage.models import utcnow
from facilitation.text.normalize import clean

DEFAULT_TAB = "フォームの回答 1"  # the tab Google Forms creates in a Japanese account


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
