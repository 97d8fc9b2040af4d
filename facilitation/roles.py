"""Who is looking: every function that returns personal data takes a Viewer and trims to its role."""

from __future__ import annotations

from dataclasses import dataclass

from facilitation.errors import AccessDenied

SECRETARIAT = "事務局"
FACILITATOR = "ファシリテーター"
COMMITTEE = "委員会"
ROLES: tuple[str, ...] = (SECRETARIAT, FACILITATOR, COMMITTEE)
LINK_PREFIX = "link:"  # a facilitator who came in by a signed link is named "link:<link id>"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person (or link holder) and what they may see.

    A facilitator is scoped to one meeting and one room; the committee sees aggregates only.
    """

    role: str
    email: str = ""
    meeting_id: int | None = None
    room_id: int | None = None

    @property
    def sees_names(self) -> bool:
        """Names and e-mails: the secretariat, and a facilitator for their own room."""
        return self.role in (SECRETARIAT, FACILITATOR)

    @property
    def is_secretariat(self) -> bool:
        return self.role == SECRETARIAT

    def facilitates(self, meeting_id: int | None, room_id: int | None) -> bool:
        """Whether this viewer is the facilitator (by link) of this room of this meeting."""
        return (self.role == FACILITATOR and room_id is not None
                and (self.meeting_id, self.room_id) == (meeting_id, room_id))

    @property
    def link_id(self) -> str | None:
        """The id (jti) of the facilitator link this viewer came in with, or None."""
        return self.email.removeprefix(LINK_PREFIX) if self.email.startswith(LINK_PREFIX) else None

    @property
    def actor(self) -> str:
        """How this viewer is named in the audit log."""
        return self.email or self.role


SECRETARIAT_LOCAL = Viewer(role=SECRETARIAT, email="local")
LOCAL_ACTOR_LABEL = "事務局（ローカルモード）"


def actor_label(actor: str) -> str:
    """An audit actor as a person reads it (the local mode's "local" is not a name)."""
    return LOCAL_ACTOR_LABEL if actor == SECRETARIAT_LOCAL.actor else actor


def require_secretariat(viewer: Viewer, message: str = "この操作は事務局だけが行えます。") -> None:
    """Raise AccessDenied (with the Japanese `message`) unless the viewer is the secretariat."""
    if not viewer.is_secretariat:
        raise AccessDenied(message)
