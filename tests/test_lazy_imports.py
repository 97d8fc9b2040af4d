"""What the app process loads only when a click needs it (issue 27: memory under 500 MB).

Google Sheets' client (gspread, requests, Google's auth and cryptography: 17 MB) loads on a sheet's
first request, not with the pages that offer one (申込管理, ルーム割り当て, アンケート)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_MODULES = sorted(f"ui.{p.stem}" for p in (ROOT / "ui").glob("*.py") if p.stem != "__init__")


def test_the_pages_modules_do_not_load_the_google_sheets_client():
    code = ("import importlib, sys\n"
            f"for m in {UI_MODULES!r}: importlib.import_module(m)\n"
            "from ui.sheets import sheets_client\n"
            "sheets_client()  # what the pages do while drawing: no request yet\n"
            "print(sorted(m for m in ('gspread', 'requests', 'google.oauth2') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
