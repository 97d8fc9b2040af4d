"""What happens after a write, registered by an area above the one that writes.

An area that writes text others keep a copy of (a note, a survey, a chat import) says so with
`emit(session, EVENT, …)`, in the same transaction; an area above it (the search index) registers
with `on(EVENT, fn)`. The writer never imports the listener, so the tiers stay as they are
(tests/test_layers.py). Listeners register when their area's tables are registered
(storage.schema imports every area's models), so they are in place before any write.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

TEXT_SAVED = "text_saved"  # table=…, key=… (rosters.notes.save_text_fields: a room note or report sections)
SURVEY_CHANGED = "survey_changed"  # survey_id=… (imported, corrected, deleted)
CHAT_IMPORTED = "chat_imported"  # import_id=…
CHAT_REDACTED = "chat_redacted"  # message_ids=[…]
RESTORED = "restored"  # (no details) a backup replaced the database; derived tables are empty (storage.backup)

_LISTENERS: dict[str, list[Callable[..., None]]] = {}


def on(event: str, fn: Callable[..., None]) -> None:
    """Call fn(session, **details) after every `emit` of `event` (once per fn)."""
    listeners = _LISTENERS.setdefault(event, [])
    if fn not in listeners:
        listeners.append(fn)


def emit(session: Session, event: str, **details) -> None:
    for fn in _LISTENERS.get(event, ()):
        fn(session, **details)
