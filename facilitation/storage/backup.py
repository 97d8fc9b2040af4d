"""One archive of the whole database, and its restore (also into a newer schema version).

The archive is a zip: `manifest.json` (format, creation time, the schema's Alembic revisions, row
counts and a SHA-256 per table) and `tables/<name>.json` (a list of rows, columns by name). A
restore replaces every table's rows. When the archive comes from an older schema, its rows are
first loaded into a scratch SQLite database migrated to the archive's revisions, that database is
upgraded to the newest schema, and the upgraded rows are then loaded into the target.

A restore either replaces everything or changes nothing. An archive is refused, with a Japanese
message and the database left exactly as it was, when it is not a zip, uses a compression this
Python cannot read, would expand beyond the limits, has a broken or missing manifest or table, lacks
any table of its schema revision (an incomplete backup must not empty the database), holds no row at
all while the database has data (unless `allow_empty`), or has rows that do not fit the schema
(duplicate primary keys, dates that are not dates, text in a number column, NUL in text, a missing
required value). Values are checked before the first row is deleted; what only the database can
check runs inside the one transaction that is rolled back.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import hashlib
import io
import json
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
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
from sqlalchemy.exc import SQLAlchemyError

from facilitation.errors import UserError
from facilitation.files.uploads import read_file
from facilitation.storage import db
from facilitation.text.dates import to_jst, utcnow

FORMAT = 1
MAX_ARCHIVE = 1024**3  # the .zip itself, refused from its size before it is read
MAX_UNCOMPRESSED = 2 * 1024**3  # refuse archives that would expand beyond 2 GB
MAX_MANIFEST = 1024 * 1024  # the manifest is a few KB
MAX_TABLE = 1024**3  # one table's JSON
KEEP = "今のデータはそのままです。"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)
SKIP = {"alembic_version"}
CHUNK = 2000


class BackupError(UserError):
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

def _open(data: bytes) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise BackupError("バックアップファイルとして読めません（zip 形式ではありません）。"
                          "このツールで作ったバックアップ（.zip）を選んでください。") from None
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        zf.close()
        raise BackupError(f"バックアップファイルが大きすぎます（展開後 {MAX_UNCOMPRESSED // 1024**3}GB 超）。{KEEP}")
    return zf


def _member(zf: zipfile.ZipFile, name: str, limit: int, label: str) -> bytes:
    """One member's bytes; KeyError when it is missing, BackupError when it cannot be read."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise BackupError(f"バックアップの{label}が大きすぎます（展開後 {info.file_size / 1024**2:,.0f}MB）。{KEEP}")
    try:
        return zf.read(info)
    except NotImplementedError:
        raise BackupError(f"バックアップの{label}は、対応していない圧縮方式で保存されています。"
                          f"このツールで作ったバックアップを選んでください。{KEEP}") from None
    except _ZIP_ERRORS:
        raise BackupError(f"バックアップの{label}が壊れています（zip を展開できません）。{KEEP}") from None


def _manifest(raw: Any) -> Manifest:
    """A Manifest from parsed JSON, every field of the expected type (TypeError otherwise)."""
    if not isinstance(raw, dict):
        raise TypeError("manifest")
    m = Manifest(**{k: raw[k] for k in Manifest.__dataclass_fields__})
    ok = (isinstance(m.format, int) and isinstance(m.created_at, str) and isinstance(m.dialect, str)
          and isinstance(m.revisions, list) and all(isinstance(r, str) for r in m.revisions)
          and isinstance(m.tables, dict)
          and all(isinstance(k, str) and isinstance(v, dict) and type(v.get("rows")) is int and v["rows"] >= 0
                  and isinstance(v.get("sha256"), str) for k, v in m.tables.items()))
    if not ok:
        raise TypeError("manifest")
    return m


def read_manifest(data: bytes) -> Manifest:
    """The manifest of an archive, checked; BackupError with a Japanese message when unusable."""
    with _open(data) as zf:
        try:
            manifest = _manifest(json.loads(_member(zf, "manifest.json", MAX_MANIFEST, "目録（manifest.json）")))
        except (KeyError, ValueError, TypeError) as exc:
            if isinstance(exc, BackupError):
                raise
            raise BackupError("バックアップの目録（manifest.json）がないか壊れています。") from None
    if manifest.format != FORMAT:
        raise BackupError(f"このバックアップの形式（{manifest.format}）には対応していません。")
    return manifest


def _read_tables(data: bytes, manifest: Manifest) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with _open(data) as zf:
        for name, info in manifest.tables.items():
            try:
                payload = _member(zf, f"tables/{name}.json", MAX_TABLE, f"表「{name}」")
            except KeyError:
                raise BackupError(f"バックアップに表「{name}」のデータがありません（ファイルが欠けています）。") from None
            if hashlib.sha256(payload).hexdigest() != info.get("sha256"):
                raise BackupError(f"バックアップの表「{name}」が壊れています（チェックサムが一致しません）。")
            try:
                rows = json.loads(payload)
            except ValueError:
                raise BackupError(f"バックアップの表「{name}」が壊れています（JSON として読めません）。{KEEP}") from None
            if not isinstance(rows, list) or len(rows) != info.get("rows"):
                raise BackupError(f"バックアップの表「{name}」の行数が目録と一致しません。")
            bad = next((i for i, r in enumerate(rows, start=1) if not isinstance(r, dict)), None)
            if bad is not None:
                raise BackupError(f"バックアップの表「{name}」の{bad}行目が行の形式（列名と値）になっていません。{KEEP}")
            out[name] = rows
    return out


def _check_complete(tables: dict[str, list], expected: Iterable[str], revisions: list[str]) -> None:
    """An archive must hold every table of its schema revision, or restoring it would empty them."""
    missing = sorted(set(expected) - set(tables))
    if missing:
        raise BackupError(f"このバックアップには、スキーマ {', '.join(revisions)} にあるはずの表がありません: "
                          f"{'、'.join(missing)}。不完全なバックアップのため復元しません。{KEEP}")


# --- Loading rows into a database ------------------------------------------------------------

def _checked(t: Table, rows: list[dict[str, Any]], strict: bool) -> list[dict[str, Any]]:
    """The rows decoded for `t`, every value checked against its column's type before anything is
    deleted (SQLite would store text in a number column; PostgreSQL refuses NUL in text)."""
    names = {c.name for c in t.columns}
    pk = [c.name for c in t.primary_key.columns]
    seen: dict[tuple, int] = {}
    out = []
    for n, row in enumerate(rows, start=1):
        extra = set(row) - names
        if extra and strict:
            raise BackupError(f"表「{t.name}」に、このデータベースにない列があります: {'、'.join(sorted(extra))}")
        decoded = {}
        for c in t.columns:
            if c.name not in row:
                continue
            where = f"バックアップの表「{t.name}」の{n}行目「{c.name}」"
            try:
                value = _decode(row[c.name], c.type)
            except (ValueError, TypeError, binascii.Error, OverflowError):
                raise BackupError(f"{where}の値「{str(row[c.name])[:40]}」を読み取れません（形式が正しくありません）。"
                                  f"{KEEP}") from None
            if isinstance(value, str) and "\x00" in value:
                raise BackupError(f"{where}に使えない文字（NUL）が含まれています。{KEEP}")
            if not _fits(value, c.type):
                raise BackupError(f"{where}の値「{str(value)[:40]}」は、この列の型に合いません。{KEEP}")
            decoded[c.name] = value
        if pk and all(k in decoded for k in pk):
            key = tuple(decoded[k] for k in pk)
            if key in seen:
                raise BackupError(f"バックアップの表「{t.name}」の{seen[key]}行目と{n}行目が同じID（{key[0] if len(key) == 1 else key}）"
                                  f"です。{KEEP}")
            seen[key] = n
        out.append(decoded)
    return out


def _fits(value: Any, column_type) -> bool:
    """True when `value` is of the column's Python type (None is left to the database)."""
    if value is None or isinstance(column_type, JSON):
        return True
    try:
        expected = column_type.python_type
    except NotImplementedError:
        return True
    if isinstance(column_type, Boolean):
        return isinstance(value, bool) or (type(value) is int and value in (0, 1))
    if expected is int:
        return type(value) is int
    if expected is float:
        return type(value) in (int, float)
    if expected is decimal.Decimal:
        return type(value) in (int, float, decimal.Decimal)
    if isinstance(column_type, Date) and not isinstance(column_type, DateTime):
        return type(value) is dt.date
    return isinstance(value, expected)


def _load(engine: Engine, metadata: MetaData, data: dict[str, list[dict[str, Any]]],
          *, strict: bool = True) -> dict[str, int]:
    """Replace every table's rows with `data` in one transaction; returns rows per table.

    BackupError (Japanese) when a row does not fit; the transaction is then rolled back, so the
    database is exactly as it was.
    """
    tables = _tables(metadata)
    unknown = set(data) - {t.name for t in tables}
    if unknown and strict:
        raise BackupError("バックアップに、このデータベースにない表があります: " + "、".join(sorted(unknown)))
    decoded = {t.name: _checked(t, data.get(t.name, []), strict) for t in tables}
    counts = {}
    current = ""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for t in reversed(tables):
                conn.execute(delete(t))
            for t in tables:
                current = t.name
                rows = decoded[t.name]
                for i in range(0, len(rows), CHUNK):
                    conn.execute(insert(t), rows[i:i + CHUNK])
                counts[t.name] = len(rows)
            current = ""
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
    except SQLAlchemyError as exc:
        what = f"表「{current}」の行" if current else "表どうしの参照（外部キー）"
        raise BackupError(f"バックアップの{what}をデータベースに入れられませんでした（必須の値が空、参照先の行がない、"
                          f"または値の形式がデータベースに合いません）。復元を取り消しました。{KEEP}") from exc
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


def restore_bytes(data: bytes, url: str | None = None, actor: str = "restore", *,
                  allow_empty: bool = False) -> RestoreResult:
    """Replace the whole database with the archive's contents, migrating it up when it is older.

    BackupError (Japanese) when the archive is refused; the database is then unchanged.
    `allow_empty`: restore an archive without a single row even when the database has data.
    """
    manifest = read_manifest(data)
    tables = _read_tables(data, manifest)
    engine = db.get_engine(url)
    target_revs = current_revisions(engine)
    from facilitation.storage.schema import metadata

    migrated_from = None
    if sorted(manifest.revisions) != target_revs:
        unknown = [r for r in manifest.revisions if not _known_revision(r)]
        if unknown or not manifest.revisions:
            raise BackupError("このバックアップは、より新しい版のツールで作られています（スキーマ "
                              f"{', '.join(unknown or ['なし'])}）。ツールを更新してから復元してください。")
        tables = _upgrade_rows(tables, manifest.revisions)
        migrated_from = manifest.revisions
    else:
        _check_complete(tables, (t.name for t in _tables(metadata)), manifest.revisions)
    if not allow_empty and not any(tables.values()) and any(backup_rows(engine).values()):
        raise BackupError("このバックアップには1行もデータがありません。復元すると今のデータがすべて消えるため、"
                          f"中止しました。{KEEP}")
    counts = _load(engine, metadata, tables)
    from facilitation.storage import audit

    with db.session(url, actor=actor) as s:
        audit.record(s, "restore", "database", "", None,
                     {"created_at": manifest.created_at, "revisions": manifest.revisions,
                      "rows": sum(counts.values())})
    return RestoreResult(manifest=manifest, rows=counts, migrated_from=migrated_from)


def backup_rows(engine: Engine) -> dict[str, int]:
    """Rows per table of the database (the tables a backup takes)."""
    from facilitation.storage.schema import metadata

    existing = set(_inspect_tables(engine))
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t))
                for t in _tables(metadata) if t.name in existing}


def _upgrade_rows(tables: dict[str, list[dict[str, Any]]], revisions: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Load old rows into a scratch database at the archive's revisions, upgrade it, dump it."""
    with tempfile.TemporaryDirectory(prefix="facilitation-restore-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'old.sqlite3'}"
        engine = create_engine(url)
        try:
            try:
                for rev in revisions:
                    db.migrate(engine, rev)
                old = MetaData()
                old.reflect(engine)
            except Exception as exc:  # alembic and SQLAlchemy raise many kinds for revisions that do not fit
                raise BackupError(f"バックアップのスキーマ（{', '.join(revisions)}）を再現できませんでした。{KEEP}") from exc
            _check_complete(tables, (t.name for t in _tables(old)), revisions)
            _load(engine, old, tables)
            try:
                db.migrate(engine, "heads")
            except Exception as exc:
                raise BackupError(f"古い形式のバックアップを最新の形式に変換できませんでした。{KEEP}") from exc
            from facilitation.storage.schema import metadata

            return dump(engine, metadata)
        finally:
            engine.dispose()


def restore_file(path: str | Path, url: str | None = None, actor: str = "restore") -> RestoreResult:
    return restore_bytes(read_file(path, MAX_ARCHIVE), url, actor)


def archive_name(now: dt.datetime | None = None) -> str:
    """「facilitation-backup-20261210-1830.zip」 (Japan time)."""
    local = to_jst(now or utcnow())
    return f"facilitation-backup-{local:%Y%m%d-%H%M}.zip"

