"""Shared fixtures: real databases (SQLite file, PostgreSQL server), the demo data, the app, a browser.

Missing Chromium or PostgreSQL skips those tests with a reason, unless FACILITATION_STRICT=1
(set by CI), which turns such a skip into a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from facilitation.demo import dataset
from facilitation.storage import db

from . import streamlit_process
from .streamlit_process import ROOT, free_port  # noqa: F401  (re-exported for the tests)

# Property tests: no wall-clock deadline (the CI machine is shared), and the same examples on every
# run so a red CI is reproducible; each test may still ask for more examples.
settings.register_profile("facilitation", deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile("facilitation")

OUTPUT = ROOT / "test-output"
CHROMIUM = os.environ.get("FACILITATION_CHROMIUM", "/usr/bin/chromium")
STRICT = os.environ.get("FACILITATION_STRICT") == "1"


def require(condition: bool, reason: str) -> None:
    """Skip with `reason` when `condition` is false; fail instead in strict (CI) mode."""
    if not condition:
        if STRICT:
            pytest.fail(f"必須の環境がありません（FACILITATION_STRICT=1）: {reason}")
        pytest.skip(reason)


# --- PostgreSQL: a throw-away cluster on loopback, one per test session (per xdist worker) ---

def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PgCluster:
    def __init__(self):
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="facilitation-pg-"))
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self._counter = itertools.count()

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, cwd="/tmp")

    def start(self) -> None:
        data = self.dir / "data"
        if self.as_root:
            shutil.chown(self.dir, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                  "-E", "UTF8", "--locale=C")
        self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-w", "-l", str(self.dir / "log"),
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._counter)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def pg_cluster():
    bin_dir = _pg_bin()
    require(bin_dir is not None, "PostgreSQL が見つかりません（Debian の postgresql パッケージ）")
    if os.geteuid() == 0:
        require(shutil.which("runuser") is not None, "runuser がありません")
    cluster = PgCluster()
    cluster.start()
    yield cluster
    db.dispose_all()
    cluster.stop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """A fresh, migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    db.get_engine(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path) -> str:
    """The same test on a SQLite file and on a real PostgreSQL server, both freshly migrated."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    db.get_engine(url)
    return url


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory) -> str:
    """A SQLite file with the demo history (no survey or chat), shared by the session: read it only."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    url = f"sqlite:///{path}"
    with db.session(url, actor="test") as s:
        dataset.generate(s, activity=False)  # tests add the surveys and chats they count on
    return url


def copy_database(src_url: str, directory: Path, name: str = "app.sqlite3") -> str:
    """A private copy of a SQLite database (e.g. the shared demo) that a test or its app may change."""
    import sqlite3

    db.get_engine(src_url).dispose()
    dst = directory / name
    with sqlite3.connect(src_url.removeprefix("sqlite:///")) as a, sqlite3.connect(dst) as b:
        a.backup(b)
    return f"sqlite:///{dst}"


def place_upcoming(url: str, per_room: int = 4) -> dict:
    """Put the upcoming meeting's first registrations into its rooms (what the optimiser will do)."""
    import datetime as dt

    from sqlalchemy import select

    from facilitation.meetings import schedule
    from facilitation.storage.models import Assignment, Registration, Room

    with db.session(url) as s:
        meeting = schedule.upcoming_meeting(s, now=dt.datetime(2026, 12, 1))
        rooms = s.scalars(select(Room).where(Room.meeting_id == meeting.id).order_by(Room.position)).all()
        regs = s.scalars(select(Registration).where(Registration.meeting_id == meeting.id)
                         .order_by(Registration.id)).all()
        placed: dict[int, list[int]] = {r.id: [] for r in rooms}
        for i, reg in enumerate(regs[: per_room * len(rooms)]):
            room = rooms[i // per_room]
            s.add(Assignment(registration_id=reg.id, room_id=room.id, is_facilitator=i % per_room == 0))
            placed[room.id].append(reg.id)
        names = {reg.id: reg.person.name for reg in regs}
        return {"meeting_id": meeting.id, "rooms": [r.id for r in rooms], "placed": placed, "names": names,
                "room_names": {r.id: r.name for r in rooms}}


@contextmanager
def demo_sheet(url: str, monkeypatch):
    """The demo's Google Sheet served by the local Sheets emulator, with the app's Sheets client
    pointed at it; yields (emulator, the upcoming meeting's id)."""
    from facilitation.demo.sheets import DEMO_KEY, demo_tabs
    from facilitation.meetings import schedule
    from facilitation.sheets import gsheets
    from facilitation.sheets.emulator import SheetsEmulator

    gsheets.clear_cache()
    with SheetsEmulator() as em:
        em.add_spreadsheet(DEMO_KEY, demo_tabs(url))
        monkeypatch.setenv(gsheets.ENDPOINT_ENV, em.url)
        with db.session(url) as s:
            meeting_id = schedule.upcoming_meeting(s).id
        yield em, meeting_id


LINK_SECRET = "tests-facilitator-link-secret-0123456789abcdef"  # the served apps' link key
DESKTOP = {"width": 1280, "height": 900}


def upcoming_with_link(url: str) -> dict:
    """`place_upcoming`, and the first room's facilitator link ("token") as the rooms page issues it."""
    from facilitation.access import gate
    from facilitation.roles import SECRETARIAT_LOCAL

    world = place_upcoming(url)
    with db.session(url) as s:
        world["token"] = gate.issue_link(s, SECRETARIAT_LOCAL, world["rooms"][0], LINK_SECRET.encode()).token
    return world


@contextmanager
def served_demo(demo_url: str, home: Path, *, prepare=None, entry: str = "streamlit_app.py"):
    """The app served (`streamlit run`) on a private copy of the demo, with the link key set.

    `prepare(url)` changes the copy first and returns a dict; yields {"url", "base", "log", "world":
    what prepare returned}."""
    from facilitation.access import gate

    url = copy_database(demo_url, home)
    world = prepare(url) if prepare else {}
    app = streamlit_process.start(url, home / "streamlit.log", env={gate.SECRET_ENV: LINK_SECRET}, entry=entry)
    try:
        yield {"url": url, "base": app.base, "log": app.log, "world": world}
    finally:
        streamlit_process.stop(app)


@pytest.fixture
def demo_copy_url(demo_url, tmp_path) -> str:
    """A private copy of the demo database that a test may change."""
    return copy_database(demo_url, tmp_path, "demo.sqlite3")


# --- The app in a real server, and a real browser ---

@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """`streamlit run streamlit_app.py` on a free loopback port with a fresh demo database."""
    home = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{home / 'app.sqlite3'}"
    app = streamlit_process.start(url, home / "streamlit.log")
    yield {"base": app.base, "db_url": url, "log": app.log}
    streamlit_process.stop(app)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright (Playwright cannot download its own here)."""
    require(Path(CHROMIUM).exists(), f"Chromium がありません（{CHROMIUM}。apt-get install chromium）")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """test-output/: screenshots and files a person may want to look at after a run."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture
def desk(browser, output_dir, request):
    """A desktop page (1280×900, Japanese, downloads allowed); its last screen is kept as
    test-output/<test module>_last.png (where a failed journey stopped)."""
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    yield page
    page.screenshot(path=str(output_dir / f"{request.module.__name__.rsplit('.', 1)[-1]}_last.png"), full_page=True)
    context.close()
