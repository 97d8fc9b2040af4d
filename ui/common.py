"""What every page needs: the database, the viewer, a meeting picker, Japanese messages."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from facilitation.access.roles import Viewer
from facilitation.meetings import schedule
from facilitation.storage import db


def db_url() -> str:
    """The database URL: [database] url in secrets, else $FACILITATION_DB_URL, else the SQLite file."""
    try:
        url = st.secrets.get("database", {}).get("url")
    except Exception:  # no secrets.toml at all is the normal local case
        url = None
    return db.resolve_url(url or os.environ.get(db.ENV_VAR))


def viewer() -> Viewer:
    """Who is looking, as decided by streamlit_app.py's gate (never a default: see auth.page_viewer)."""
    from . import auth

    return auth.page_viewer()


def leave_legacy_pages_mode() -> None:
    """Make sure this run went through streamlit_app.py (its sign-in gate and database set-up).

    Right after a restart Streamlit treats an app with a pages/ folder as a legacy multipage app
    until st.navigation has run once, and runs a page opened directly (/home) without the entry
    point. Switch to st.navigation mode (what st.navigation itself does) and rerun through the gate.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@contextmanager
def session() -> Iterator[Session]:
    """A database unit of work on behalf of the current viewer (named in the audit log)."""
    decided = st.session_state.get("viewer")  # not viewer(): the gate itself opens sessions
    if not isinstance(decided, Viewer):
        leave_legacy_pages_mode()
    with db.session(db_url(), actor=decided.actor if isinstance(decided, Viewer) else "") as s:
        yield s


def meeting_picker(key: str = "meeting_id", label: str = "対象の会") -> int | None:
    """A select box of meetings (newest first; the upcoming one preselected); returns its id."""
    v = viewer()
    with session() as s:
        items = schedule.list_meetings(s)
        if v.meeting_id is not None:
            items = [m for m in items if m.id == v.meeting_id]
        options = {m.id: schedule.label(m) for m in items}
        upcoming = schedule.upcoming_meeting(s)
    if not options:
        st.info("まだ会が登録されていません。設定ページから会を追加してください。")
        return None
    ids = list(options)
    default = ids.index(upcoming.id) if upcoming and upcoming.id in options else 0
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    return st.selectbox(label, ids, index=default, format_func=options.get, key=key)


def show_problems(problems: list[str], title: str = "確認が必要な点があります") -> None:
    """A list of Japanese messages the user can act on (never a traceback)."""
    if problems:
        st.warning(title + "\n\n" + "\n".join(f"- {esc(p)}" for p in problems))  # messages quote user text


_MARKUP = re.compile(r"([\\`*_\[\]#<>$:|~&!])")
_LINE_START = re.compile(r"^(\s*)(\d+(?=[.)])|[-+=])")  # lists, setext underlines: only at a line start
# GFM turns bare URLs into links after escapes are resolved; an invisible word joiner breaks them.
_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(www)(?=\.)")


def esc(text: object) -> str:
    """User text (names, organisations, notes, chat, answers) made to show literally in Markdown.

    Every character Markdown, Streamlit's extensions (colours, icons, emoji shortcodes, math) or
    HTML could act on is backslash-escaped, so `![x](http://…)` is not fetched as an image,
    `[a](http://…)` is not a link, bare URLs are not auto-linked (a word joiner, U+2060, is put
    into `://` and `www.`; it does not show), and `<b>` is text.
    Line breaks are kept as Markdown line breaks. Use it for every f-string that puts user text
    into st.markdown / st.write / st.caption / st.info / st.success / st.warning / st.error and
    into widget or expander labels (which are Markdown too).
    """
    lines = str("" if text is None else text).splitlines() or [""]
    out = []
    for line in lines:
        line = _MARKUP.sub(r"\\\1", _AUTOLINK.sub("\\1\\2\u2060", line))
        out.append(_LINE_START.sub(lambda m: m[1] + (m[2] + "\\" if m[2][0].isdigit() else "\\" + m[2]), line))
    return "  \n".join(out)
