"""One archive of the whole database, and its restore (also into a newer schema version).

The archive is a zip: `manifest.json` (format, creation time, the schema's Alembic revisions, row
counts and a SHA-256 per table) and `tables/<name>.json` (a list of rows, columns by name). A
restore replaces every table's rows. When the archive comes from an older schema, its rows are
first loaded into a scratch SQLite database migrated to the archive's revisions, that database is
upgraded to the newest schema, and the upgraded rows are then loaded into the target.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    text,
)

from facilitation.storage import db
from facilitation.text.dates import to_jst, utcnow

FORMAT = 1
MAX_UNCOMPRESSED = 2 * 1024**3  # refuse archives that would expand beyond 2 GB
SKIP = {"alembic_version"}
CHUNK = 2000


class BackupError(ValueError):
    """An archive we cannot restore; the message is Japanese."""


@dataclass
class Manifest:
    format: int
    created_at: str
    revisions: list[str]
    dialect: str
    tables: dict[str, dict[str, Any]]  # name → {"rows": n, "sha256": ...}


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes | memoryview):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, column_type) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (k, v), = value.items()
        if k == "$dt":
            return dt.datetime.fromisoformat(v)
        if k == "$date":
            return dt.date.fromisoformat(v)
        if k == "$time":
            return dt.time.fromisoformat(v)
        if k == "$dec":
            return decimal.Decimal(v)
        if k == "$b64":
            return base64.b64decode(v)
    if value is not None and isinstance(column_type, DateTime) and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _json_value(value: Any, column_type) -> Any:
    """JSON columns keep their structure as is; other values get the tagged encoding."""
    if isinstance(column_type, JSON):
        return value
    return _encode(value)


def current_revisions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


def _tables(metadata: MetaData) -> list[Table]:
    return [t for t in metadata.sorted_tables if t.name not in SKIP]


def _dump_table(conn, table: Table) -> list[dict[str, Any]]:
    pk = list(table.primary_key.columns)
    rows = conn.execute(select(table).order_by(*pk)).mappings()
    return [{c.name: _json_value(row[c.name], c.type) for c in table.columns} for row in rows]


def dump(engine: Engine, metadata: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as JSON-ready dicts, ordered by primary key (used by tests too)."""
    if metadata is None:
        from facilitation.storage.schema import metadata as md

        metadata = md
    existing = set(_inspect_tables(engine))
    with engine.connect() as conn:
        return {t.name: _dump_table(conn, t) for t in _tables(metadata) if t.name in existing}


def _inspect_tables(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    return inspect(engine).get_table_names()


def backup_bytes(url: str | None = None) -> bytes:
    """The whole database as one zip archive."""
    return archive_bytes(db.get_engine(url))


def archive_bytes(engine: Engine, metadata: MetaData | None = None) -> bytes:
    """The archive of an engine's database (`metadata`: the tables to take, default all known)."""
    data = dump(engine, metadata)
    buf = io.BytesIO()
    tables = {}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, rows in data.items():
            payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
            zf.writestr(f"tables/{name}.json", payload)
            tables[name] = {"rows": len(rows), "sha256": hashlib.sha256(payload).hexdigest()}
        manifest = Manifest(format=FORMAT, created_at=utcnow().replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
                            revisions=current_revisions(engine), dialect=engine.dialect.name, tables=tables)
        zf.writestr("manifest.json", json.dumps(manifest.__dict__, ensure_ascii=False, indent=2))
    return buf.getvalue()


def write_backup(path: str | Path, url: str | None = None) -> Manifest:
    data = backup_bytes(url)
    Path(path).write_bytes(data)
    return read_manifest(data)


# --- Reading an archive ----------------------------------------------------------------------

def read_manifest(data: bytes) -> Manifest:
    """The manifest of an archive, checked; BackupError with a Japanese message when unusable."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise BackupError("バックアップファイルとして読めません（zip 形式ではありません）。"
                          "このツールで作ったバックアップ（.zip）を選んでください。") from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_UNCOMPRESSED:
            raise BackupError("バックアップファイルが大きすぎます（展開後 2GB 超）。")
        try:
            raw = json.loads(zf.read("manifest.json"))
            manifest = Manifest(**{k: raw[k] for k in Manifest.__dataclass_fields__})
        except (KeyError, ValueError, TypeError):
            raise BackupError("バックアップの目録（manifest.json）がないか壊れています。") from None
    if manifest.format != FORMAT:
        raise BackupError(f"このバックアップの形式（{manifest.format}）には対応していません。")
    return manifest


def _read_tables(data: bytes, manifest: Manifest) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name, info in manifest.tables.items():
            try:
                payload = zf.read(f"tables/{name}.json")
            except KeyError:
                raise BackupError(f"バックアップに表「{name}」のデータがありません（ファイルが欠けています）。") from None
            if hashlib.sha256(payload).hexdigest() != info.get("sha256"):
                raise BackupError(f"バックアップの表「{name}」が壊れています（チェックサムが一致しません）。")
            rows = json.loads(payload)
            if not isinstance(rows, list) or len(rows) != info.get("rows"):
                raise BackupError(f"バックアップの表「{name}」の行数が目録と一致しません。")
            out[name] = rows
    return out


# --- Loading rows into a database ------------------------------------------------------------

def _load(engine: Engine, metadata: MetaData, data: dict[str, list[dict[str, Any]]],
          *, strict: bool = True) -> dict[str, int]:
    """Replace every table's rows with `data` in one transaction; returns rows per table."""
    tables = _tables(metadata)
    unknown = set(data) - {t.name for t in tables}
    if unknown and strict:
        raise BackupError("バックアップに、このデータベースにない表があります: " + "、".join(sorted(unknown)))
    counts = {}
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
        for t in reversed(tables):
            conn.execute(delete(t))
        for t in tables:
            rows = data.get(t.name, [])
            names = {c.name for c in t.columns}
            decoded = []
            for row in rows:
                extra = set(row) - names
                if extra and strict:
                    raise BackupError(f"表「{t.name}」に、このデータベースにない列があります: {'、'.join(sorted(extra))}")
                decoded.append({c.name: _decode(row[c.name], c.type) for c in t.columns if c.name in row})
            for i in range(0, len(decoded), CHUNK):
                conn.execute(insert(t), decoded[i:i + CHUNK])
            counts[t.name] = len(decoded)
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn, tables)
    return counts


def _reset_sequences(conn, tables: Iterable[Table]) -> None:
    """PostgreSQL: after inserting explicit ids, the next id must come after the largest one."""
    for t in tables:
        pk = list(t.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, Integer):
            continue
        col = pk[0].name
        seq = conn.scalar(text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": col})
        if not seq:
            continue
        top = conn.scalar(select(func.max(t.c[col])))
        if top is None:
            conn.execute(text("SELECT setval(CAST(:s AS regclass), 1, false)"), {"s": seq})
        else:
            conn.execute(text("SELECT setval(CAST(:s AS regclass), :v, true)"), {"s": seq, "v": int(top)})


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(db.alembic_config(create_engine("sqlite://")))


def _known_revision(rev: str) -> bool:
    try:
        return _script().get_revision(rev) is not None
    except Exception:  # alembic raises several kinds for unknown ids
        return False


@dataclass
class RestoreResult:
    manifest: Manifest
    rows: dict[str, int]
    migrated_from: list[str] | None  # the archive's revisions when it was upgraded on the way

    @property
    def message(self) -> str:
        total = sum(self.rows.values())
        note = "（古い形式のバックアップを最新の形式に変換しました）" if self.migrated_from else ""
        return f"バックアップから復元しました: {len(self.rows)}表・{total}行{note}。"


def restore_bytes(data: bytes, url: str | None = None, actor: str = "restore") -> RestoreResult:
    """Replace the whole database with the archive's contents, migrating it up when it is older."""
    manifest = read_manifest(data)
    tables = _read_tables(data, manifest)
    engine = db.get_engine(url)
    target_revs = current_revisions(engine)
    from facilitation.storage.schema import metadata

    migrated_from = None
    if sorted(manifest.revisions) != target_revs:
        unknown = [r for r in manifest.revisions if not _known_revision(r)]
        if unknown:
            raise BackupError("このバックアップは、より新しい版のツールで作られています（スキーマ "
                              f"{', '.join(unknown)}）。ツールを更新してから復元してください。")
        tables = _upgrade_rows(tables, manifest.revisions)
        migrated_from = manifest.revisions
    counts = _load(engine, metadata, tables)
    from facilitation.storage import audit

    with db.session(url, actor=actor) as s:
        audit.record(s, "restore", "database", "", None,
                     {"created_at": manifest.created_at, "revisions": manifest.revisions,
                      "rows": sum(counts.values())})
    return RestoreResult(manifest=manifest, rows=counts, migrated_from=migrated_from)


def _upgrade_rows(tables: dict[str, list[dict[str, Any]]], revisions: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Load old rows into a scratch database at the archive's revisions, upgrade it, dump it."""
    with tempfile.TemporaryDirectory(prefix="facilitation-restore-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'old.sqlite3'}"
        engine = create_engine(url)
        try:
            for rev in revisions:
                db.migrate(engine, rev)
            old = MetaData()
            old.reflect(engine)
            _load(engine, old, tables)
            db.migrate(engine, "heads")
            from facilitation.storage.schema import metadata

            return dump(engine, metadata)
        finally:
            engine.dispose()


def restore_file(path: str | Path, url: str | None = None, actor: str = "restore") -> RestoreResult:
    p = Path(path)
    if not p.is_file():
        raise BackupError(f"ファイル「{p}」が見つかりません。")
    return restore_bytes(p.read_bytes(), url, actor)


def archive_name(now: dt.datetime | None = None) -> str:
    """「facilitation-backup-20261210-1830.zip」 (Japan time)."""
    local = to_jst(now or utcnow())
    return f"facilitation-backup-{local:%Y%m%d-%H%M}.zip"

