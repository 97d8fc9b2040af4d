"""The installation's configuration: one object for the app and for `python -m facilitation` alike.

Values come from the secrets file first (`[facilitation]`, `[database]` of `.streamlit/secrets.toml`),
then from the environment. The app hands over what Streamlit read (st.secrets); the CLI reads the
same files Streamlit reads by default: `~/.streamlit/secrets.toml`, then `.streamlit/secrets.toml` of
the folder it runs in, then the one beside streamlit_app.py (a section of a later file replaces the
same section of an earlier one). So a facilitator link made at the command line opens in the app,
and both open the same database.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from facilitation.access.gate import SECRET_ENV
from facilitation.errors import UserError
from facilitation.storage.db import ENV_VAR as DB_URL_ENV

PUBLIC_URL_ENV = "FACILITATION_PUBLIC_URL"
SECTIONS = ("facilitation", "database")
SECRETS_FILE = Path(".streamlit") / "secrets.toml"
APP_FOLDER = Path(__file__).resolve().parents[1]  # where streamlit_app.py is


@dataclass(frozen=True)
class Config:
    """What the app and the CLI both need to agree on (None: not configured)."""

    db_url: str | None = None  # [database] url, else $FACILITATION_DB_URL (None: the embedded SQLite file)
    link_secret: str | None = None  # [facilitation] link_secret, else $FACILITATION_LINK_SECRET
    public_url: str | None = None  # [facilitation] public_url, else $FACILITATION_PUBLIC_URL
    admin_emails: tuple[str, ...] = ()  # [facilitation] admin_emails (a list, or one address)
    behind_proxy: object = None  # [facilitation] behind_proxy (access.gate.behind_proxy reads the environment too)

    @classmethod
    def from_sections(cls, sections: Mapping[str, Mapping], env: Mapping[str, str] | None = None) -> Config:
        """The configuration from secrets sections ({"facilitation": {...}, "database": {...}}) and `env`."""
        env = os.environ if env is None else env
        app = dict(sections.get("facilitation") or {})
        database = dict(sections.get("database") or {})
        admins = app.get("admin_emails") or ()
        return cls(
            db_url=str(database.get("url") or env.get(DB_URL_ENV) or "") or None,
            link_secret=str(app.get("link_secret") or env.get(SECRET_ENV) or "") or None,
            public_url=str(app.get("public_url") or env.get(PUBLIC_URL_ENV) or "").rstrip("/") or None,
            admin_emails=(admins,) if isinstance(admins, str) else tuple(admins),
            behind_proxy=app.get("behind_proxy"),
        )


def secrets_files(folder: Path | None = None, home: Path | None = None) -> list[Path]:
    """The secrets files Streamlit reads by default, in order (later ones win)."""
    files = [(home or Path.home()) / SECRETS_FILE, (folder or Path.cwd()) / SECRETS_FILE, APP_FOLDER / SECRETS_FILE]
    return [f for i, f in enumerate(files) if f.resolve() not in {g.resolve() for g in files[:i]}]


def read_secrets(files: list[Path]) -> dict[str, dict]:
    """The sections of the existing files; an unreadable file is an error naming it."""
    sections: dict[str, dict] = {}
    for path in files:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise UserError(f"設定ファイル「{path}」を読めません（{exc}）。") from None
        sections.update({k: v for k, v in data.items() if isinstance(v, dict)})
    return sections


def load(folder: Path | None = None, env: Mapping[str, str] | None = None, home: Path | None = None) -> Config:
    """The configuration the CLI runs with: the secrets files as Streamlit finds them, then `env`."""
    return Config.from_sections(read_secrets(secrets_files(folder, home)), env)
