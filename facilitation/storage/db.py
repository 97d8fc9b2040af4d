"""Where the data lives: the database URL, the engine, migrations at start, and sessions.

SQLite file under data/ by default; PostgreSQL when FACILITATION_DB_URL (or --db, or the app's
secrets) names one. Every engine is migrated to the newest schema before first use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

ENV_VAR = "FACILITATION_DB_URL"
PROJECT_DIR = Path(__file__).resolve().parents[2]
DEFAULT_PATH = PROJECT_DIR / "data" / "facilitation.sqlite3"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"

BUSY_TIMEOUT_MS = 15000  # SQLite: how long a writer waits for another one's transaction
_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def resolve_url(url: str | None = None) -> str:
    """The URL to use: the argument, else $FACILITATION_DB_URL, else the embedded SQLite file."""
    url = url or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_PATH}"
    if url.startswith("postgres://"):  # the form many hosts hand out
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")  # readers (30 phones) never block the writer
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default); data is kept."""
    command.upgrade(alembic_config(engine), revision)


def get_engine(url: str | None = None, *, migrate_schema: bool = True) -> Engine:
    """One engine per URL for the process, migrated on first use.

    `hide_parameters`: a database error's text (IntegrityError…) never carries the statement's
    values, so names and e-mails do not reach logs or stderr through an exception.
    """
    url = resolve_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite:///"):
                Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
                engine = create_engine(url, connect_args={"timeout": 15, "check_same_thread": False},
                                       hide_parameters=True)
                event.listen(engine, "connect", _sqlite_pragmas)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20,
                                       hide_parameters=True)
            if migrate_schema:
                migrate(engine)
            _engines[url] = engine
    return engine


def dispose_all() -> None:
    """Close every pooled connection (tests, restore)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session(url: str | None = None, actor: str = "") -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on error. `actor` goes to the audit log."""
    factory = sessionmaker(get_engine(url), expire_on_commit=False)
    with factory() as s:
        s.info["actor"] = actor
        try:
            yield s
            s.commit()
        except Exception:
            s.rollback()
            raise


def is_empty(url: str | None = None) -> bool:
    """True when the database has no meetings and no organisations yet."""
    from sqlalchemy import func, select

    from facilitation.storage.models import Meeting, Organisation

    engine = get_engine(url)
    if not inspect(engine).has_table("meetings"):
        return True
    with Session(engine) as s:
        n = s.scalar(select(func.count()).select_from(Meeting)) or 0
        n += s.scalar(select(func.count()).select_from(Organisation)) or 0
    return n == 0


from facilitation.storage import audit as _audit  # noqa: E402,F401  (registers the audit log on every Session)


def upsert(session: Session, table, key: str, values: dict) -> None:
    """INSERT … ON CONFLICT (key) DO UPDATE the other given columns, on SQLite and PostgreSQL.

    Concurrent writers of different rows never collide, and for the same row the last write wins
    without an error (attendance taps, note fields, report sections).
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = getattr(table, "__table__", table)
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: stmt.excluded[name] for name in values if name != key},
    )
    session.connection().execute(stmt)
