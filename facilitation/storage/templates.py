"""Texts with named fields that the secretariat edits in 設定 (the open-chat announcements, the room
e-mails): the built-in texts, the saved ones over them, and filling `{会名}`-style fields.

Each area declares one `TemplateSet` (its texts, their labels and the fields it fills); this module
is the one way they are read, saved, checked and filled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings

_FIELD = re.compile(r"\{([^{}\n]{1,30})\}")


def fill(text: str, values: dict[str, str]) -> str:
    """Put values into a text's {fields}; unknown fields and stray braces stay as written."""
    return _FIELD.sub(lambda m: str(values[m[1]]) if m[1] in values else m[0], text)


@dataclass(frozen=True)
class TemplateSet:
    """Named texts saved under one settings key."""

    setting_key: str
    names: dict[str, str]  # text key → its label in 設定
    defaults: dict[str, str]  # text key → the built-in text
    fields: dict[str, str]  # field → what it stands for (shown in 設定)
    refusal: str  # the Japanese message for anyone but the secretariat
    subject_keys: tuple[str, ...] = ()  # the one-line texts (e-mail subjects)

    def get(self, session: Session) -> dict[str, str]:
        """The texts in use: saved ones over the built-in ones."""
        saved = settings.get(session, self.setting_key, {}, kind=dict)
        return {k: str(saved.get(k) or v) for k, v in self.defaults.items()}

    def save(self, session: Session, viewer: Viewer, texts: dict[str, str]) -> list[str]:
        """Save edited texts (secretariat only); returns Japanese warnings about unknown fields."""
        require_secretariat(viewer, self.refusal)
        value = {k: str(texts.get(k, "")).replace("\r\n", "\n") for k in self.defaults}
        settings.put(session, self.setting_key, value)
        return [w for k, text in value.items() for w in self.unknown_fields(text, self.names[k])]

    def reset(self, session: Session, viewer: Viewer) -> None:
        """Back to the built-in texts."""
        require_secretariat(viewer, self.refusal)
        settings.put(session, self.setting_key, {})

    def unknown_fields(self, text: str, where: str) -> list[str]:
        return [f"{where}: 「{{{name}}}」という項目はありません（そのまま表示されます）。"
                for name in dict.fromkeys(_FIELD.findall(text)) if name not in self.fields]
