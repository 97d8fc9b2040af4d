"""The app's frame: database preparation on first start and the page list per role."""

from __future__ import annotations

import ctypes
import threading
import time

import streamlit as st

from facilitation import demo
from facilitation.demo import dataset
from facilitation.roles import COMMITTEE, FACILITATOR, SECRETARIAT, Viewer
from facilitation.storage import db

from . import japanese_chrome
from .common import db_url

PAGES = {  # file, title, url path, icon, roles that see it
    "home": ("pages/home.py", "ホーム", "home", ":material/home:", (SECRETARIAT, COMMITTEE)),
    "registrations": ("pages/registrations.py", "申込管理", "registrations", ":material/how_to_reg:", (SECRETARIAT,)),
    "rooms": ("pages/rooms.py", "ルーム割り当て", "rooms", ":material/meeting_room:", (SECRETARIAT,)),
    "roster": ("pages/roster.py", "ルーム名簿", "roster", ":material/groups:", (SECRETARIAT, FACILITATOR)),
    "history": ("pages/history.py", "参加履歴", "history", ":material/insights:", (SECRETARIAT, COMMITTEE)),
    "surveys": ("pages/surveys.py", "アンケート", "surveys", ":material/poll:", (SECRETARIAT, COMMITTEE)),
    "openchat": ("pages/openchat.py", "オープンチャット", "openchat", ":material/forum:", (SECRETARIAT, COMMITTEE)),
    "search": ("pages/search.py", "横断検索", "search", ":material/search:", (SECRETARIAT, COMMITTEE)),
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
    """st.Page objects for this viewer: every page of PAGES opens at its own URL.

    Streamlit serves the default page at `/` only, so a visible page marked default would be
    "not found" at its own address (/home, /roster?token=...). The default is therefore a hidden
    start page that moves on to the viewer's first page, keeping the query string (?token=).
    Pages the viewer may not open stay reachable by URL but hidden, and say so politely.
    """
    allowed, refused = [], []
    for name, (path, title, url_path, icon, roles) in PAGES.items():
        if viewer.role in roles:
            allowed.append(st.Page(path, title=title, url_path=url_path, icon=icon))
        else:
            refused.append((name, title, url_path, icon))
    start = st.Page(_start(allowed[0]), title=allowed[0].title, url_path="start", default=True,
                    visibility="hidden")
    hidden = [st.Page(_refusal(name, title, allowed[0]), title=title, url_path=url_path, icon=icon,
                      visibility="hidden") for name, title, url_path, icon in refused]
    return [*allowed, *hidden, start]


def _start(first):
    """The default page (`/`): open the viewer's first page with the same query parameters."""
    def start_page() -> None:
        st.switch_page(first, query_params=st.query_params.to_dict())

    return start_page


def _refusal(name: str, title: str, first):
    """A page the viewer's role may not open: a polite message instead of "Page not found"."""
    def refused() -> None:
        st.title(title)
        st.info(f"「{title}」のページは、いまの役割（{_role_name()}）では開けません。"
                "必要な場合は事務局にお問い合わせください。")
        st.page_link(first, label=f"{first.title}を開く", icon=":material/arrow_forward:")

    refused.__name__ = f"refused_{name}"
    return refused


def _role_name() -> str:
    current = st.session_state.get("viewer")
    return current.role if isinstance(current, Viewer) else "不明"


# Streamlit writes a few words of its own in English on the page; these static rules put Japanese in
# their place (the file uploader's button and size line; "Press Enter to submit form" under a text
# field, whose meaning the form's own button already says). No user text goes in here.
JAPANESE_CSS = """<style>
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"] p { display: none; }
[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] [data-testid="stMarkdownContainer"]::after { content: "ファイルを選ぶ"; }
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after { content: "ここにファイルをドラッグしても選べます"; font-size: 0.875rem; }
[data-testid="InputInstructions"] { display: none; }
</style>"""


def start() -> None:
    """Page config, the Japanese wording rules and the database; call first in streamlit_app.py."""
    st.set_page_config(page_title="どうねっと 事務局ツール", page_icon=":material/diversity_3:", layout="wide")
    st.html(JAPANESE_CSS)  # static CSS only (a style-only st.html takes no space on the page)
    japanese_chrome.render()  # Streamlit's own tooltips and field hints in Japanese
    prepare_database(db_url())


TRIM_EVERY = 20.0  # seconds: how often, at most, a finished run gives freed memory back
_trim = {"last": 0.0, "lock": threading.Lock()}


def _libc():
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:  # not glibc (macOS, musl): nothing to tune
        return None


_LIBC = _libc()
if _LIBC is not None:
    # Large buffers (frames' columns, pickled cache entries) in their own mappings, returned to the
    # system when freed; glibc's default raises this threshold after the first big free, after
    # which such buffers stay in the heap as free space the process keeps.
    _LIBC.mallopt(-3, 256 * 1024)  # M_MMAP_THRESHOLD


def release_memory() -> None:
    """After a run: give the memory a page's computation freed back to the system (glibc keeps it
    in each script thread's arena otherwise); at most every TRIM_EVERY seconds per process."""
    if _LIBC is None or time.monotonic() - _trim["last"] < TRIM_EVERY or not _trim["lock"].acquire(blocking=False):
        return
    try:
        _LIBC.malloc_trim(0)
        _trim["last"] = time.monotonic()
    finally:
        _trim["lock"].release()
