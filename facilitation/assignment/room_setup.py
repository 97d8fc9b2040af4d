"""Rooms and themes: the room editor's table, saving and copying rooms, the theme library."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from facilitation.assignment.errors import SECRETARIAT_ONLY, AssignmentError
from facilitation.meetings.schedule import label, list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings
from facilitation.storage.models import Assignment, Meeting, Person, Room
from facilitation.text import vocab
from facilitation.text.normalize import as_typed, clean, key

THEMES_SETTING = "assignment.theme_library"  # Setting: themes the secretariat added


@dataclass
class RoomInput:
    name: str
    theme: str = ""
    capacity: int | None = None
    zoom_name: str = ""
    id: int | None = None


ROOM_LABELS = {"name": "ルーム名", "theme": "テーマ", "capacity": "定員", "zoom_name": "Zoomのルーム名",
               "facilitator": "ファシリテーター", "people": "人数"}


def rooms_frame(session: Session, meeting_id: int) -> pd.DataFrame:
    """The meeting's rooms for the editor: id, name, theme, capacity, Zoom name, facilitator, people
    placed (headers: ROOM_LABELS)."""
    counts = dict(session.execute(
        select(Assignment.room_id, func.count()).join(Room).where(Room.meeting_id == meeting_id)
        .group_by(Assignment.room_id)).all())
    rows = []
    for r in list_rooms(session, meeting_id):
        fac = session.get(Person, r.facilitator_id) if r.facilitator_id else None
        rows.append({"id": r.id, "name": r.name, "theme": r.theme, "capacity": r.capacity,
                     "zoom_name": r.zoom_name, "facilitator": fac.name if fac else "",
                     "people": counts.get(r.id, 0)})
    return pd.DataFrame(rows, columns=["id", *ROOM_LABELS])


def save_rooms(session: Session, viewer: Viewer, meeting_id: int, rows: list[RoomInput]) -> list[Room]:
    """Replace the meeting's rooms with `rows` (kept ids are updated, missing ones deleted)."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    problems = []
    names = [key(r.name) for r in rows]  # 「ルーム１」 and 「ルーム1」 are one name
    for k, r in enumerate(rows, start=1):
        if not clean(r.name):
            problems.append(f"{k}行目: ルーム名を入力してください。")
        if r.capacity is not None and r.capacity < 1:
            problems.append(f"{k}行目: 定員は1以上の数で入力してください。")
    for dup in sorted({_one_line(r.name) for r, n in zip(rows, names, strict=True) if n and names.count(n) > 1}):
        problems.append(f"ルーム名「{dup}」が重複しています。")
    if problems:
        raise AssignmentError("\n".join(problems))
    existing = {r.id: r for r in list_rooms(session, meeting_id)}
    kept: list[Room] = []
    for k, row in enumerate(rows, start=1):
        room = existing.pop(row.id, None) if row.id is not None else None
        if room is None:
            room = Room(meeting_id=meeting_id)
            session.add(room)
        room.position, room.name, room.theme = k, _one_line(row.name), _one_line(row.theme)  # as typed
        room.capacity = row.capacity
        room.zoom_name = clean(row.zoom_name) or f"R{k}"
        kept.append(room)
    for room in existing.values():
        session.delete(room)
    session.flush()
    return kept


def meetings_with_rooms(session: Session, exclude: int | None = None) -> list[tuple[int, str, int]]:
    """(meeting id, label, number of rooms) of meetings that have rooms, newest first."""
    rows = session.execute(
        select(Meeting, func.count(Room.id)).join(Room, Room.meeting_id == Meeting.id)
        .group_by(Meeting.id).order_by(Meeting.starts_at.desc())).all()
    return [(m.id, label(m), n) for m, n in rows if m.id != exclude]


def copy_rooms(session: Session, viewer: Viewer, from_meeting_id: int, to_meeting_id: int) -> int:
    """Copy names, themes, capacities and Zoom names of another meeting's rooms; returns how many."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    if from_meeting_id == to_meeting_id:
        raise AssignmentError("同じ会からはコピーできません。")
    source = list_rooms(session, from_meeting_id)
    if not source:
        raise AssignmentError("コピー元の会にはルームがありません。")
    placed = session.scalar(select(func.count()).select_from(Assignment).join(Room)
                            .where(Room.meeting_id == to_meeting_id)) or 0
    if placed:
        raise AssignmentError(f"この会ではすでに {placed} 名をルームに割り当てています。"
                              "ルームをコピーすると割り当てが消えるため、先に割り当てを消してください。")
    session.execute(delete(Room).where(Room.meeting_id == to_meeting_id))
    for k, r in enumerate(source, start=1):
        session.add(Room(meeting_id=to_meeting_id, position=k, name=r.name, theme=r.theme,
                         capacity=r.capacity, zoom_name=r.zoom_name or f"R{k}"))
    session.flush()
    return len(source)


def theme_library(session: Session) -> list[str]:
    """Themes to choose from: the network's usual ones, those used in past meetings (most used
    first) and those the secretariat added."""
    used = session.execute(select(Room.theme, func.count()).where(Room.theme != "").group_by(Room.theme)).all()
    added = list(settings.get(session, THEMES_SETTING, [], kind=list))
    out: dict[str, str] = {}
    for theme in [*vocab.THEME_LIBRARY, *(t for t, _ in sorted(used, key=lambda x: -x[1])), *added]:
        out.setdefault(key(theme), str(theme).strip())
    return [t for t in out.values() if t]


def _one_line(text: object) -> str:
    """A room's name or theme as typed (full-width brackets stay 「（…）」), on one line."""
    return " ".join(as_typed(text).splitlines())


def add_theme(session: Session, viewer: Viewer, theme: str) -> None:
    """Add a theme to the library (kept in settings), as typed."""
    require_secretariat(viewer, SECRETARIAT_ONLY)
    theme = _one_line(theme)
    if not theme:
        raise AssignmentError("テーマを入力してください。")
    added = list(settings.get(session, THEMES_SETTING, [], kind=list))
    if key(theme) not in {key(t) for t in added}:
        settings.put(session, THEMES_SETTING, [*added, theme])
