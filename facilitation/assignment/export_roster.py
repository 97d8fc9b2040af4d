"""The saved assignment as an `exports.Roster` (Zoom CSV, Excel, HTML, printables) and as a tab of the
meeting's Google Sheet (Japanese headers)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from facilitation.assignment import exports
from facilitation.assignment.building import rid
from facilitation.assignment.checking import _as_run, check
from facilitation.assignment.errors import AssignmentError
from facilitation.assignment.quality import explain_all
from facilitation.assignment.room_links import RoomLink
from facilitation.meetings.schedule import get_meeting, label, list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.sheets.gsheets import SheetsClient, SheetsError
from facilitation.text.normalize import clean

SHEET_TAB = "ルーム割り当て"


def roster(session: Session, viewer: Viewer, meeting_id: int, links: list[RoomLink] | None = None) -> exports.Roster:
    """The saved assignment as a roster for the exports (names and e-mails: secretariat only);
    `links` (facilitator_links) go into the overview sheet."""
    require_secretariat(viewer, "名簿の書き出しは事務局だけができます。")
    status = check(session, meeting_id)
    built = status.built
    why = explain_all(_as_run(status, session), status.assignment, status.facilitators)
    rooms = [exports.RosterRoom(id=rid(r.id), name=r.name, theme=r.theme, zoom_name=r.zoom_name,
                                capacity=r.capacity, position=k)
             for k, r in enumerate(list_rooms(session, meeting_id), start=1)]
    fac = set(status.facilitators.values())
    entries = []
    for p in built.instance.people:
        room = status.assignment.get(p.id)
        if room is None:
            continue
        person = built.person[p.id]
        entries.append(exports.RosterEntry(
            room_id=room, name=p.name, furigana=person.furigana, org=p.org, email=person.email, area=p.area,
            sector=p.sector, facilitator=p.id in fac,
            choice_rank=p.choices.index(room) + 1 if room in p.choices else None,
            reason=why.get(p.id, ""), pinned=p.pinned == room))
    meeting = get_meeting(session, meeting_id)
    return exports.Roster(title=f"{label(meeting)} ルーム名簿", rooms=rooms, entries=entries,
                          links={rid(k.room_id): (k.url, k.expires) for k in links or []})


def sheet_frame(r: exports.Roster) -> pd.DataFrame:
    """The assignment as one table (for the Google Sheet tab)."""
    rows = []
    for room in r.rooms:
        for e in r.members(room.id):
            rows.append({"ルーム": room.name, "Zoomのルーム名": room.zoom_label, "テーマ": room.theme, "氏名": e.name,
                         "所属": e.org, "役割": "ファシリテーター" if e.facilitator else "",
                         "希望": f"第{e.choice_rank}希望" if e.choice_rank else "希望外",
                         "Zoom表示名": exports.guest_name(room, e.name)})
    return pd.DataFrame(rows, columns=["ルーム", "Zoomのルーム名", "テーマ", "氏名", "所属", "役割", "希望", "Zoom表示名"])


def write_to_sheet(session: Session, viewer: Viewer, meeting_id: int, client: Any = None, tab: str = SHEET_TAB) -> str:
    """Write the assignment to a tab of the meeting's Google Sheet; returns a Japanese message."""
    meeting = get_meeting(session, meeting_id)
    if not clean(meeting.sheet_url):
        raise AssignmentError("この会には Google スプレッドシートが登録されていません。申込ページでシートを登録してください。")
    frame = sheet_frame(roster(session, viewer, meeting_id))
    client = client or SheetsClient()
    try:
        client.write_tab(meeting.sheet_url, tab, frame)
    except SheetsError as exc:
        raise AssignmentError(f"Google スプレッドシートに書き込めませんでした: {exc}") from None
    return f"スプレッドシートのタブ「{tab}」に {len(frame)} 名分の割り当てを書き込みました。"
