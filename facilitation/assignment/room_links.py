"""A facilitator link for every room of a meeting, and the text to send them in one e-mail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from facilitation.access import gate
from facilitation.assignment.errors import SECRETARIAT_ONLY
from facilitation.meetings.schedule import list_rooms
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Person


@dataclass
class RoomLink:
    room_id: int
    room: str
    zoom_name: str
    facilitator: str  # "" when the room has none yet
    url: str
    expires: str  # Japan time, 「2026年12月10日（木） 0:00」
    new: bool  # issued just now (False: a link still valid was reused)


def facilitator_links(session: Session, viewer: Viewer, meeting_id: int, secret: bytes,
                      make_url: Callable[[str], str], *, issue: bool = True) -> list[RoomLink]:
    """A link for every room of the meeting: the room's valid link, else a new one (`issue`).

    Reusing valid links keeps one live link per room when the action is repeated. `make_url`
    turns a token into the address people open (the app knows its public base URL).
    """
    require_secretariat(viewer, SECRETARIAT_ONLY)
    out = []
    for r in list_rooms(session, meeting_id):
        link = gate.current_link(session, r.id, secret)
        new = False
        if link is None and issue:
            link, new = gate.issue_link(session, viewer, r.id, secret), True
        if link is None:
            continue
        fac = session.get(Person, r.facilitator_id) if r.facilitator_id else None
        out.append(RoomLink(room_id=r.id, room=r.name, zoom_name=r.zoom_name, facilitator=fac.name if fac else "",
                            url=make_url(link.token), expires=link.expires_text, new=new))
    return out


def links_message(meeting_title: str, links: list[RoomLink]) -> str:
    """The links as plain text to paste into one e-mail to the facilitators (room, facilitator, link, expiry)."""
    lines = [f"{meeting_title} ファシリテーター用リンク", "",
             "担当するルームのリンクを開くと、そのルームの名簿とメモの欄が見られます（ログインは不要です）。",
             "リンクはご自分のルームのものだけを開き、ほかの方には転送しないでください。", ""]
    for k in links:
        lines.append(f"■ {k.room}" + (f"（Zoom: {k.zoom_name}）" if k.zoom_name and k.zoom_name != k.room else ""))
        lines.append(f"ファシリテーター: {k.facilitator}さん" if k.facilitator else "ファシリテーター: 未定")
        lines.append(k.url)
        lines.append(f"有効期限: {k.expires}まで")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
