"""Reading a backup archive without trusting it: the zip, its manifest and each table, bounded.

Every member's declared size is checked before it is opened and its bytes are counted as they come
(a member whose header understates its size stops at the limit); a table's rows are streamed one at
a time, its row count and SHA-256 checked at its end. Everything refused is a BackupError with a
Japanese message. Used by `storage.backup` (restore, inspection); nothing here writes.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from facilitation.errors import UserError

FORMAT = 1
MAX_ARCHIVE = 1024**3  # the .zip itself, refused from its size before it is read
MAX_UNCOMPRESSED = 1024**3  # refuse archives that would expand beyond 1 GB (the demo database: 1.4 MB)
MAX_MANIFEST = 1024 * 1024  # the manifest is a few KB
MAX_TABLE = 256 * 1024**2  # one table's JSON (the demo's audit log: 0.8 MB)
MAX_ROW = 32 * 1024**2  # one row's JSON
READ_CHUNK = 1024 * 1024
KEEP = "今のデータはそのままです。"
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, RuntimeError)


class BackupError(UserError):
    """An archive we cannot restore; the message is Japanese."""


@dataclass
class Manifest:
    format: int
    created_at: str
    revisions: list[str]
    dialect: str
    tables: dict[str, dict[str, Any]]  # name → {"rows": n, "sha256": ...}


# --- Reading an archive ----------------------------------------------------------------------

def open_archive(data: bytes) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise BackupError("バックアップファイルとして読めません（zip 形式ではありません）。"
                          "このツールで作ったバックアップ（.zip）を選んでください。") from None
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        zf.close()
        raise BackupError(f"バックアップの中に同じ名前のファイル（{twice[:80]}）が2つあります。"
                          f"作成後に手が加えられたおそれがあるため、復元しません。{KEEP}")
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        zf.close()
        raise BackupError(f"バックアップファイルが大きすぎます（展開後 {MAX_UNCOMPRESSED // 1024**3}GB 超）。{KEEP}")
    return zf


def _too_big(label: str, size: int, limit: int) -> BackupError:
    return BackupError(f"バックアップの{label}が大きすぎます（展開後 {size / 1024**2:,.0f}MB、"
                       f"上限 {limit // 1024**2:,}MB）。{KEEP}")


def _chunks(zf: zipfile.ZipFile, name: str, limit: int, label: str) -> Iterator[bytes]:
    """One member's bytes a chunk at a time, never more than `limit` in all: its declared size is
    checked before it is opened and the bytes are counted as they come (a member whose header
    understates its size stops at the limit). KeyError when it is missing."""
    info = zf.getinfo(name)
    if info.file_size > limit:
        raise _too_big(label, info.file_size, limit)
    total = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(READ_CHUNK):
                total += len(chunk)
                if total > limit:
                    raise _too_big(label, total, limit)
                yield chunk
    except BackupError:
        raise
    except NotImplementedError:
        raise BackupError(f"バックアップの{label}は、対応していない圧縮方式で保存されています。"
                          f"このツールで作ったバックアップを選んでください。{KEEP}") from None
    except _ZIP_ERRORS:
        raise BackupError(f"バックアップの{label}が壊れています（zip を展開できません）。{KEEP}") from None


def member_bytes(zf: zipfile.ZipFile, name: str, limit: int, label: str) -> bytes:
    """One small member's bytes (the manifest, its signature); KeyError when it is missing."""
    return b"".join(_chunks(zf, name, limit, label))


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        twice = next(k for k in keys if keys.count(k) > 1)
        raise BackupError(f"バックアップの目録（manifest.json）に「{str(twice)[:60]}」が2回書かれています。"
                          f"作成後に手が加えられたおそれがあるため、復元しません。{KEEP}")
    return dict(pairs)


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


def manifest_and_raw(zf: zipfile.ZipFile) -> tuple[Manifest, bytes]:
    try:
        raw = member_bytes(zf, "manifest.json", MAX_MANIFEST, "目録（manifest.json）")
        manifest = _manifest(json.loads(raw, object_pairs_hook=_unique_keys))
    except (KeyError, ValueError, TypeError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError("バックアップの目録（manifest.json）がないか壊れています。") from None
    if manifest.format != FORMAT:
        raise BackupError(f"このバックアップの形式（{manifest.format}）には対応していません。")
    return manifest, raw


def read_manifest(data: bytes) -> Manifest:
    """The manifest of an archive, checked; BackupError with a Japanese message when unusable."""
    with open_archive(data) as zf:
        return manifest_and_raw(zf)[0]


_WS = frozenset(" \t\r\n")


class _JsonRows:
    """The items of one JSON array read from byte chunks, one at a time (a table never sits in
    memory whole). ValueError when the text is not JSON; TypeError when it is not an array."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks = chunks
        self.text = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.more = "", 0, True

    def _fill(self) -> bool:
        """Append the next chunk to what is left; False at the end of the member."""
        if not self.more:
            return False
        chunk = next(self.chunks, None)
        tail = self.text.decode(chunk if chunk is not None else b"", final=chunk is None)
        self.more = chunk is not None
        self.buf, self.pos = self.buf[self.pos:] + tail, 0
        return self.more or bool(tail)

    def _skip_space(self) -> bool:
        """Move past white space; False when the member ends first."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return True
            if not self._fill():
                return False

    def __iter__(self) -> Iterator[Any]:
        decoder = json.JSONDecoder()
        if not self._skip_space() or self.buf[self.pos] != "[":
            raise TypeError("not an array")
        self.pos += 1
        first = True
        while True:
            if not self._skip_space():
                raise ValueError("unterminated")
            c = self.buf[self.pos]
            if c == "]":
                self.pos += 1
                if self._skip_space():
                    raise ValueError("text after the array")
                return
            if not first:
                if c != ",":
                    raise ValueError("no comma")
                self.pos += 1
                if not self._skip_space():
                    raise ValueError("unterminated")
            first = False
            while True:
                try:
                    item, end = decoder.raw_decode(self.buf, self.pos)
                    if end == len(self.buf) and self.more and not isinstance(item, dict | list | str):
                        raise ValueError("a number or word may go on in the next chunk")
                    break
                except ValueError:
                    if len(self.buf) - self.pos > MAX_ROW:
                        raise ValueError("row too long") from None
                    if not self._fill():
                        raise
            self.pos = end
            yield item


def table_rows(zf: zipfile.ZipFile, name: str, info: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows of tables/<name>.json as they are read; its row count and SHA-256 are checked at its end
    (BackupError then, inside the restore's transaction, which is rolled back)."""
    label = f"表「{name}」"
    digest, n = hashlib.sha256(), 0
    try:
        chunks = _chunks(zf, f"tables/{name}.json", MAX_TABLE, label)

        def hashed() -> Iterator[bytes]:
            for chunk in chunks:
                digest.update(chunk)
                yield chunk

        for row in _JsonRows(hashed()):
            n += 1
            if not isinstance(row, dict):
                raise BackupError(f"バックアップの{label}の{n}行目が行の形式（列名と値）になっていません。{KEEP}")
            if n > info["rows"]:
                raise BackupError(f"バックアップの{label}の行数が目録と一致しません。{KEEP}")
            yield row
    except KeyError:
        raise BackupError(f"バックアップに{label}のデータがありません（ファイルが欠けています）。") from None
    except TypeError:
        raise BackupError(f"バックアップの{label}が行の一覧になっていません（行数が目録と一致しません）。{KEEP}") from None
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"バックアップの{label}が壊れています（JSON として読めません）。{KEEP}") from None
    if digest.hexdigest() != info.get("sha256"):
        raise BackupError(f"バックアップの{label}が壊れています（チェックサムが一致しません）。{KEEP}")
    if n != info["rows"]:
        raise BackupError(f"バックアップの{label}の行数が目録と一致しません。{KEEP}")


def check_complete(names: Iterable[str], expected: Iterable[str], revisions: list[str]) -> None:
    """An archive must hold every table of its schema revision, or restoring it would empty them."""
    missing = sorted(set(expected) - set(names))
    if missing:
        raise BackupError(f"このバックアップには、スキーマ {', '.join(revisions)} にあるはずの表がありません: "
                          f"{'、'.join(missing)}。不完全なバックアップのため復元しません。{KEEP}")


def check_members(zf: zipfile.ZipFile, manifest: Manifest) -> None:
    """Every table the manifest lists is there and within the size limit, before anything is read."""
    for name in manifest.tables:
        try:
            info = zf.getinfo(f"tables/{name}.json")
        except KeyError:
            raise BackupError(f"バックアップに表「{name}」のデータがありません（ファイルが欠けています）。") from None
        if info.file_size > MAX_TABLE:
            raise _too_big(f"表「{name}」", info.file_size, MAX_TABLE)
