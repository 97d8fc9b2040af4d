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
required value). Rows are streamed: each table's JSON is read row by row from the zip (its expanded
size bounded before and while it is read, its SHA-256 and row count checked at its end) and
inserted in chunks inside one transaction, which is rolled back on any problem, so memory stays
small whatever the archive holds.

Derived tables (a table whose `info` has `derived=True`: the search index) are made again from the
others, so an archive holds none of their rows (an empty list, so the manifest stays complete) and a
restore leaves them empty, whatever an older archive holds; `hooks.RESTORED` then tells their area
(search rebuilds its index on the first search). A backup is smaller, and erased text has one less
copy to chase.

Trust: the manifest is signed (`manifest.sig`, HMAC-SHA256) with a key derived from the
installation's secret (the facilitator-link secret: secrets, environment or the local key file).
An archive that is unsigned or signed by another installation, or that would add or change an
account's role, restores only after the secretariat has seen and accepted exactly that
(`inspect_archive` → `restore_bytes(accepted=...)`). A signature that claims this installation's
key but does not match is refused: the archive was changed after it was made.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import decimal
import hashlib
import hmac
import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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

from facilitation.files.uploads import read_file
from facilitation.storage import db
from facilitation.storage.archive import (
    FORMAT,
    KEEP,
    MAX_ARCHIVE,
    BackupError,
    Manifest,
    check_complete,
    check_members,
    manifest_and_raw,
    member_bytes,
    open_archive,
    read_manifest,
    table_rows,
)
from facilitation.text.dates import to_jst, utcnow
from facilitation.text.normalize import clean

SIGNATURE = "manifest.sig"
OWN, OTHER, UNSIGNED = "own", "other", "unsigned"
ROLE_TABLE = "access_accounts"
SKIP = {"alembic_version"}
CHUNK = 2000


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


def derived(table: Table) -> bool:
    """A table made again from the others (its rows are never archived nor restored)."""
    return bool(table.info.get("derived"))


def _stream_table(conn, table: Table) -> Iterator[dict[str, Any]]:
    """A table's rows as JSON-ready dicts, ordered by primary key, fetched a chunk at a time."""
    pk = list(table.primary_key.columns)
    rows = conn.execution_options(yield_per=CHUNK).execute(select(table).order_by(*pk)).mappings()
    for row in rows:
        yield {c.name: _json_value(row[c.name], c.type) for c in table.columns}


def dump(engine: Engine, metadata: MetaData | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every table's rows as JSON-ready dicts, ordered by primary key (used by tests too)."""
    if metadata is None:
        from facilitation.storage.schema import metadata as md

        metadata = md
    existing = set(_inspect_tables(engine))
    with engine.connect() as conn:
        return {t.name: list(_stream_table(conn, t)) for t in _tables(metadata) if t.name in existing}


def _inspect_tables(engine: Engine) -> list[str]:
    from sqlalchemy import inspect

    return inspect(engine).get_table_names()


# --- Signing ---------------------------------------------------------------------------------

def signing_key(secret: bytes) -> bytes:
    """The archive key, derived from the installation's secret (never the link key itself)."""
    return hmac.new(secret, b"facilitation backup archive v1", hashlib.sha256).digest()


def _key_id(key: bytes) -> str:
    """Names the installation's key in a signature without revealing it."""
    return hashlib.sha256(b"facilitation backup key id\x00" + key).hexdigest()[:16]


def _sign(key: bytes, manifest: bytes) -> bytes:
    return json.dumps({"key_id": _key_id(key), "hmac_sha256": hmac.new(key, manifest, hashlib.sha256).hexdigest()},
                      indent=2).encode()


def backup_bytes(url: str | None = None, secret: bytes | None = None) -> bytes:
    """The whole database as one zip archive, signed with the installation's `secret` when given."""
    return archive_bytes(db.get_engine(url), secret=secret)


def archive_bytes(engine: Engine, metadata: MetaData | None = None, *, secret: bytes | None = None) -> bytes:
    """The archive of an engine's database (`metadata`: the tables to take, default all known).

    Rows are written one at a time, so a large table never sits in memory as a whole."""
    if metadata is None:
        from facilitation.storage.schema import metadata as md

        metadata = md
    existing = set(_inspect_tables(engine))
    buf = io.BytesIO()
    tables = {}
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf, engine.connect() as conn:
        for t in _tables(metadata):
            if t.name not in existing:
                continue
            digest, n = hashlib.sha256(), 0
            with zf.open(f"tables/{t.name}.json", "w", force_zip64=True) as out:
                for part in _json_array(() if derived(t) else _stream_table(conn, t)):
                    out.write(part)
                    digest.update(part)
                    n += 1
            tables[t.name] = {"rows": n - 2, "sha256": digest.hexdigest()}  # not "[" and "]"
        manifest = Manifest(format=FORMAT, created_at=utcnow().replace(tzinfo=dt.UTC).isoformat(timespec="seconds"),
                            revisions=current_revisions(engine), dialect=engine.dialect.name, tables=tables)
        raw = json.dumps(manifest.__dict__, ensure_ascii=False, indent=2).encode()
        zf.writestr("manifest.json", raw)
        if secret:
            zf.writestr(SIGNATURE, _sign(signing_key(secret), raw))
    return buf.getvalue()


def _json_array(rows: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """`json.dumps(list(rows), separators=(",", ":"))` as bytes, one row at a time: "[", rows, "]"."""
    yield b"["
    sep = b""
    for row in rows:
        yield sep + json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()
        sep = b","
    yield b"]"


def write_backup(path: str | Path, url: str | None = None, secret: bytes | None = None) -> Manifest:
    data = backup_bytes(url, secret)
    Path(path).write_bytes(data)
    return read_manifest(data)


# --- Where an archive comes from, and whose roles it changes ---------------------------------

@dataclass(frozen=True)
class RoleChange:
    """One account whose role a restore would add, change or remove ("" for none)."""

    email: str
    before: str
    after: str

    @property
    def text(self) -> str:
        if not self.before:
            return f"{self.email} が「{self.after}」になります（新しく追加）"
        if not self.after:
            return f"{self.email} の「{self.before}」がなくなります"
        return f"{self.email} が「{self.before}」から「{self.after}」に変わります"


@dataclass(frozen=True)
class Inspection:
    """What the secretariat must see before a restore: where the archive comes from (OWN: signed
    by this installation, OTHER: by another one, UNSIGNED) and whose roles it would change."""

    created_at: str
    origin: str
    role_changes: tuple[RoleChange, ...] = ()
    manifest: Manifest | None = field(default=None, compare=False)

    @property
    def needs_confirmation(self) -> bool:
        return self.origin != OWN or bool(self.role_changes)

    @property
    def granted(self) -> tuple[RoleChange, ...]:
        return tuple(c for c in self.role_changes if c.after)

    def warnings(self) -> list[str]:
        out = []
        if self.origin == UNSIGNED:
            out.append("このバックアップには署名がありません（古い版のツールで作られたか、作成後に手が加えられたものです）。"
                       "中身が本物かどうか、このツールでは確かめられません。")
        elif self.origin == OTHER:
            out.append("このバックアップは、別の環境（別のインストール）で作られたものです。"
                       "どこから受け取ったものか確かめてください。")
        if self.role_changes:
            out.append(f"復元すると、{len(self.role_changes)}件のアカウントの役割が変わります: "
                       + "／".join(c.text for c in self.role_changes) + "。")
        return out


def _origin(zf: zipfile.ZipFile, raw_manifest: bytes, secret: bytes | None) -> str:
    try:
        sig = json.loads(member_bytes(zf, SIGNATURE, 4096, "署名"))
        key_id, mac = str(sig["key_id"]), str(sig["hmac_sha256"])
    except KeyError:
        return UNSIGNED
    except (ValueError, TypeError):
        raise BackupError(f"バックアップの署名が壊れています。{KEEP}") from None
    if not secret:
        return OTHER
    key = signing_key(secret)
    if not hmac.compare_digest(key_id, _key_id(key)):
        return OTHER
    if not hmac.compare_digest(mac, hmac.new(key, raw_manifest, hashlib.sha256).hexdigest()):
        raise BackupError("このバックアップは、この環境の署名と一致しません。作成後に中身が書き換えられています。"
                          f"復元しません。{KEEP}")
    return OWN


def _current_roles(engine: Engine) -> dict[str, str]:
    if ROLE_TABLE not in _inspect_tables(engine):
        return {}
    with engine.connect() as conn:
        return {str(e): str(r) for e, r in conn.execute(text(f"SELECT email, role FROM {ROLE_TABLE}"))}


def _role_changes(zf: zipfile.ZipFile, manifest: Manifest, engine: Engine) -> tuple[RoleChange, ...]:
    after: dict[str, str] = {}
    if ROLE_TABLE in manifest.tables:
        for row in table_rows(zf, ROLE_TABLE, manifest.tables[ROLE_TABLE]):
            after[clean(str(row.get("email") or ""))[:254]] = clean(str(row.get("role") or ""))[:40]
    before = _current_roles(engine)
    return tuple(RoleChange(e, before.get(e, ""), after.get(e, "")) for e in sorted(set(before) | set(after))
                 if before.get(e, "") != after.get(e, ""))


def inspect_archive(data: bytes, url: str | None = None, secret: bytes | None = None) -> Inspection:
    """Where the archive comes from and whose roles restoring it into `url` would change.

    BackupError when it cannot be read, or when it carries this installation's key id with a
    signature that does not match (changed after it was made)."""
    with open_archive(data) as zf:
        manifest, raw = manifest_and_raw(zf)
        origin = _origin(zf, raw, secret)
        changes = _role_changes(zf, manifest, db.get_engine(url))
    return Inspection(created_at=manifest.created_at, origin=origin, role_changes=changes, manifest=manifest)


# --- Loading rows into a database ------------------------------------------------------------

def _checked(t: Table, rows: list[dict[str, Any]], strict: bool, start: int = 1,
             seen: dict[tuple, int] | None = None) -> list[dict[str, Any]]:
    """The rows decoded for `t`, every value checked against its column's type before it is
    inserted (SQLite would store text in a number column; PostgreSQL refuses NUL in text).
    `start`: the number of the first row; `seen`: primary keys met so far in this table."""
    names = {c.name for c in t.columns}
    pk = [c.name for c in t.primary_key.columns]
    seen = {} if seen is None else seen
    out = []
    for n, row in enumerate(rows, start=start):
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




RowSource = Callable[[Table], Iterable[dict[str, Any]]]


def _load(engine: Engine, metadata: MetaData, names: Iterable[str], rows_of: RowSource,
          *, strict: bool = True) -> dict[str, int]:
    """Replace every table's rows with those `rows_of(table)` yields (for the tables in `names`;
    the others are emptied), in one transaction, a chunk at a time; returns rows per table.

    BackupError (Japanese) when a row does not fit; the transaction is then rolled back, so the
    database is exactly as it was.
    """
    tables = _tables(metadata)
    names = set(names)
    unknown = names - {t.name for t in tables}
    if unknown and strict:
        raise BackupError("バックアップに、このデータベースにない表があります: " + "、".join(sorted(unknown)))
    counts = {}
    current = ""
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for t in reversed(tables):
                conn.execute(delete(t))
            for t in tables:
                current, seen, n, batch = t.name, {}, 0, []
                for row in rows_of(t) if t.name in names and not derived(t) else ():
                    batch.append(row)
                    if len(batch) == CHUNK:
                        conn.execute(insert(t), _checked(t, batch, strict, n + 1, seen))
                        n, batch = n + len(batch), []
                if batch:
                    conn.execute(insert(t), _checked(t, batch, strict, n + 1, seen))
                    n += len(batch)
                counts[t.name] = n
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
    inspection: Inspection | None = None

    @property
    def message(self) -> str:
        total = sum(self.rows.values())
        note = "（古い形式のバックアップを最新の形式に変換しました）" if self.migrated_from else ""
        return f"バックアップから復元しました: {len(self.rows)}表・{total}行{note}。"


def restore_bytes(data: bytes, url: str | None = None, actor: str = "restore", *, secret: bytes | None = None,
                  accepted: Inspection | None = None, allow_empty: bool = False) -> RestoreResult:
    """Replace the whole database with the archive's contents, migrating it up when it is older.

    `secret`: the installation's secret (the archive's signature is checked with it). An archive
    that is not this installation's own, or that changes an account's role, restores only when
    `accepted` is the `inspect_archive` the secretariat was shown (the same origin and the same
    role changes). BackupError (Japanese) when the archive is refused; the database is then
    unchanged. `allow_empty`: restore an archive without a single row even when the database has data.
    """
    engine = db.get_engine(url)
    from facilitation.storage.schema import metadata

    with open_archive(data) as zf:
        manifest, raw = manifest_and_raw(zf)
        found = Inspection(created_at=manifest.created_at, origin=_origin(zf, raw, secret),
                           role_changes=_role_changes(zf, manifest, engine), manifest=manifest)
        if found.needs_confirmation and found != accepted:
            raise BackupError(" ".join(found.warnings()) + " 内容を確かめ、確認の上で復元してください。" + KEEP)
        check_members(zf, manifest)
        target_revs = current_revisions(engine)
        if sorted(manifest.revisions) == target_revs:
            check_complete(manifest.tables, (t.name for t in _tables(metadata)), manifest.revisions)
        else:
            unknown = [r for r in manifest.revisions if not _known_revision(r)]
            if unknown or not manifest.revisions:
                raise BackupError("このバックアップは、より新しい版のツールで作られています（スキーマ "
                                  f"{', '.join(unknown or ['なし'])}）。ツールを更新してから復元してください。")
        if (not allow_empty and not any(t["rows"] for t in manifest.tables.values())
                and any(backup_rows(engine).values())):
            raise BackupError("このバックアップには1行もデータがありません。復元すると今のデータがすべて消えるため、"
                              f"中止しました。{KEEP}")
        if sorted(manifest.revisions) == target_revs:
            counts = _load(engine, metadata, manifest.tables,
                           lambda t: table_rows(zf, t.name, manifest.tables[t.name]))
            migrated_from = None
        else:
            with _upgraded(zf, manifest) as scratch:
                existing = set(_inspect_tables(scratch))
                counts = _load(engine, metadata, (t.name for t in _tables(metadata) if t.name in existing),
                               lambda t: _database_rows(scratch, t))
            migrated_from = manifest.revisions
    from facilitation.storage import audit, hooks

    with db.session(url, actor=actor) as s:
        audit.record(s, "restore", "database", "", None,
                     {"created_at": manifest.created_at, "revisions": manifest.revisions,
                      "rows": sum(counts.values()), "origin": found.origin,
                      "role_changes": [c.text for c in found.role_changes]})
        hooks.emit(s, hooks.RESTORED)
    return RestoreResult(manifest=manifest, rows=counts, migrated_from=migrated_from, inspection=found)


def backup_rows(engine: Engine) -> dict[str, int]:
    """Rows per table of the database (the tables a backup takes)."""
    from facilitation.storage.schema import metadata

    existing = set(_inspect_tables(engine))
    with engine.connect() as conn:
        return {t.name: conn.scalar(select(func.count()).select_from(t))
                for t in _tables(metadata) if t.name in existing}


def _database_rows(engine: Engine, table: Table) -> Iterator[dict[str, Any]]:
    with engine.connect() as conn:
        yield from _stream_table(conn, table)


@contextlib.contextmanager
def _upgraded(zf: zipfile.ZipFile, manifest: Manifest) -> Iterator[Engine]:
    """A scratch database at the archive's revisions with its rows, upgraded to the newest schema."""
    revisions = manifest.revisions
    with tempfile.TemporaryDirectory(prefix="facilitation-restore-") as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'old.sqlite3'}")
        try:
            try:
                for rev in revisions:
                    db.migrate(engine, rev)
                old = MetaData()
                old.reflect(engine)
            except Exception as exc:  # alembic and SQLAlchemy raise many kinds for revisions that do not fit
                raise BackupError(f"バックアップのスキーマ（{', '.join(revisions)}）を再現できませんでした。{KEEP}") from exc
            check_complete(manifest.tables, (t.name for t in _tables(old)), revisions)
            _load(engine, old, manifest.tables, lambda t: table_rows(zf, t.name, manifest.tables[t.name]))
            try:
                db.migrate(engine, "heads")
            except Exception as exc:
                raise BackupError(f"古い形式のバックアップを最新の形式に変換できませんでした。{KEEP}") from exc
            yield engine
        finally:
            engine.dispose()


def restore_file(path: str | Path, url: str | None = None, actor: str = "restore", *, secret: bytes | None = None,
                 accepted: Inspection | None = None) -> RestoreResult:
    return restore_bytes(read_file(path, MAX_ARCHIVE), url, actor, secret=secret, accepted=accepted)


def archive_name(now: dt.datetime | None = None) -> str:
    """「facilitation-backup-20261210-1830.zip」 (Japan time)."""
    local = to_jst(now or utcnow())
    return f"facilitation-backup-{local:%Y%m%d-%H%M}.zip"
