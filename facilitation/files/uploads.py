"""The size guard for uploaded files, before any parser reads them.

The app's uploader refuses files over `server.maxUploadSize` (50 MB in .streamlit/config.toml);
this guard is the same limit for every other way in (the command line, a file path, a sheet export),
checked from the size alone so a 200 MB file is refused without being read (reading one as a table
takes about a minute and 2 GB of memory).
"""

from __future__ import annotations

import os
from pathlib import Path

from facilitation.errors import UserError

MAX_UPLOAD_MB = 50
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024


class UploadTooLarge(UserError):
    """A file over the limit; the message is Japanese and names the file."""


def check_size(size: int, filename: str, limit: int = MAX_UPLOAD_BYTES) -> None:
    """Raise UploadTooLarge when `size` bytes is over `limit`."""
    if size > limit:
        raise UploadTooLarge(
            f"「{Path(filename or 'ファイル').name}」は {size / 1024 / 1024:.0f}MB あり、上限の "
            f"{limit / 1024 / 1024:.0f}MB を超えています。必要な列と行だけを残して保存し直すか、"
            "期間を分けて取り込んでください。")


def read_file(path: str | os.PathLike, limit: int = MAX_UPLOAD_BYTES) -> bytes:
    """The bytes of a file, refused from its size before reading when it is over `limit`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"ファイル「{p}」が見つかりません。")
    check_size(p.stat().st_size, p.name, limit)
    with p.open("rb") as fh:
        data = fh.read(limit + 1)  # a file growing while we read is still bounded
    check_size(len(data), p.name, limit)
    return data
