"""Backup restore memory: an archive whose audit log expands to `--mb` MB (under the 256 MB cap)
restored into SQLite; peak RSS of the process before and after, and the time taken.

    .venv/bin/python bench/backup_memory.py --mb 200

Rows are streamed from the zip and inserted in chunks, so the peak should not grow with the table.
Figures go to notes/issue-23.md.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.demo import dataset  # noqa: E402
from facilitation.storage import backup, db  # noqa: E402


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=200)
    args = ap.parse_args()
    key = b"bench-installation-secret-0123456789abcdef"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/b.sqlite3"
        with db.session(url, actor="demo") as s:
            dataset.generate(s)
        with zipfile.ZipFile(io.BytesIO(backup.backup_bytes(url, key))) as zf:
            template = json.loads(zf.read("tables/audit_log.json"))[0]
        # A database with a big audit log, archived the normal way (signed, streamed).
        engine = db.get_engine(url)
        from facilitation.storage.schema import metadata

        audit = metadata.tables["audit_log"]
        row = {k: backup._decode(v, audit.c[k].type) for k, v in template.items() if k != "id"}
        row["after"] = {"note": "あ" * 300}
        size = len(json.dumps(template, ensure_ascii=False)) + 900
        n = args.mb * 1024**2 // size
        with engine.begin() as conn:
            for i in range(0, n, 5000):
                conn.execute(audit.insert(), [row] * min(5000, n - i))
        before = peak_mb()
        t = time.perf_counter()
        archive = backup.backup_bytes(url, key)
        made = time.perf_counter() - t
        with zipfile.ZipFile(io.BytesIO(archive)) as zf:
            expanded = zf.getinfo("tables/audit_log.json").file_size
        after_backup = peak_mb()
        t = time.perf_counter()
        result = backup.restore_bytes(archive, url, secret=key)
        took = time.perf_counter() - t
        print(f"audit log: {result.rows['audit_log']:,} rows, {expanded / 1024**2:,.0f} MB expanded, "
              f"archive {len(archive) / 1024**2:,.1f} MB; backup {made:.1f} s, restore {took:.1f} s; "
              f"peak RSS before {before} MB, after backup {after_backup} MB, after restore {peak_mb()} MB")


if __name__ == "__main__":
    main()
