"""The app's frame: database preparation on first start and the page list per role."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from facilitation import demo
from facilitation.access.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.demo import dataset
from facilitation.storage import db

from .common import db_url

ROOT = Path(__file__).resolve().parent.parent
PAGES = {  # file, title, url path, icon, roles that see it
    "home": ("pages/home.py", "ホーム", "home", ":material/home:", (SECRETARIAT, COMMITTEE)),
    "registrations": ("pages/registrations.py", "申込管理", "registrations", ":material/how_to_reg:", (SECRETARIAT,)),
    "rooms": ("pages/rooms.py", "ルーム割り当て", "rooms", ":material/meeting_room:", (SECRETARIAT,)),
    "roster": ("pages/roster.py", "ルーム名簿", "roster", ":material/groups:", (SECRETARIAT, FACILITATOR)),
    "history": ("pages/history.py", "参加履歴", "history", ":material/insights:", (SECRETARIAT, COMMITTEE)),
    "surveys": ("pages/surveys.py", "アンケート", "surveys", ":material/poll:", (SECRETARIAT, COMMITTEE)),
    "openchat": ("pages/openchat.py", "オープンチャット", "openchat", ":material/forum:", (SECRETARIAT, COMMITTEE)),
    "settings": ("pages/settings.py", "設定", "settings", ":material/settings:", (SECRETARIAT,)),
}


@st.cache_resource(show_spinner="データベースを準備しています…")
def prepare_database(url: str) -> str:
    """Migrate to the newest schema; on an empty embedded database, load the demo history.

    The demo is loaded into an empty SQLite database unless FACILITATION_DEMO=0, and into an
    empty PostgreSQL database only with FACILITATION_DEMO=1.
    """
    db.get_engine(url)
    if demo.wanted(url) and db.is_empty(url):
        with db.session(url, actor="demo") as s:
            dataset.generate(s)
        return "demo"
    return "ready"


def pages_for(viewer: Viewer) -> list:
    """st.Page objects this viewer may open, the first one being the default."""
    out = []
    for _name, (path, title, url_path, icon, roles) in PAGES.items():
        if viewer.role in roles and (ROOT / path).exists():  # pages still being built are left out
            out.append(st.Page(path, title=title, url_path=url_path, icon=icon, default=not out))
    if not out:  # a role whose pages are not installed: say so instead of failing
        out.append(st.Page(_nothing_here, title="お知らせ", url_path="notice", default=True))
    return out


def _nothing_here() -> None:
    st.info("この役割で開けるページは、いまはありません。事務局にお問い合わせください。")


def start() -> None:
    """Page config and database; call first in streamlit_app.py."""
    st.set_page_config(page_title="どうねっと 事務局ツール", page_icon=":material/diversity_3:", layout="wide")
    prepare_database(db_url())
