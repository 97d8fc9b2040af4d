#!/usr/bin/env python3
"""The two set-up commands of the README, for a fresh machine with only Python 3.11 and git.

    python3 dev.py run    # venv + requirements.txt + database (demo on first start) + app on :8501
    python3 dev.py test   # venv + requirements-dev.txt (app + test tools) + the whole test suite

`run` serves serve.py: the same app as streamlit_app.py plus the live roster's change route, so the
facilitators' phones and the secretariat's overview wait for a change instead of refreshing every
3 s (ui/live_stamp.py). `streamlit run streamlit_app.py` still works (AppTest and tests start it).
Extra arguments after `run` go to streamlit, after `test` to pytest (e.g. `python3 dev.py test
tests/test_model.py -x`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ROOT / "requirements.txt"  # what the app needs
DEV_REQUIREMENTS = ROOT / "requirements-dev.txt"  # the app plus the test tools
CONSTRAINTS = ROOT / "constraints.txt"  # every transitive version, as tested
STAMP = VENV / ".requirements.sha256"
ENTRY = "serve.py"  # streamlit_app.py + the live roster's change route (see the README's サーバーで動かす)


def _digest(requirements: Path) -> str:
    files = [requirements, CONSTRAINTS] + ([REQUIREMENTS] if requirements != REQUIREMENTS else [])
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def ensure_venv(requirements: Path = REQUIREMENTS) -> None:
    """Create .venv and install `requirements` (with constraints.txt) when new or changed.

    A venv set up for the tests also serves `run` (the test set includes the app's).
    """
    if not PYTHON.exists():
        print("仮想環境 .venv を作成しています…", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    installed = STAMP.read_text().split() if STAMP.exists() else []
    wanted = _digest(requirements)
    if wanted in installed or (requirements == REQUIREMENTS and _digest(DEV_REQUIREMENTS) in installed):
        return
    print("必要なパッケージをインストールしています（初回は数分かかります）…", flush=True)
    subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements,
                    "-c", CONSTRAINTS], check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    ensure_venv()
    subprocess.run([PYTHON, "-m", "facilitation", "init"], check=True, cwd=ROOT)
    port = os.environ.get("PORT", "8501")
    print(f"ブラウザで http://localhost:{port} を開いてください（終了は Ctrl+C）。", flush=True)
    cmd = [PYTHON, "-m", "streamlit", "run", ENTRY, "--server.port", port,
           "--server.address", os.environ.get("ADDRESS", "localhost"), *args]
    try:
        return subprocess.call(cmd, cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def test(args: list[str]) -> int:
    ensure_venv(DEV_REQUIREMENTS)
    return subprocess.call([PYTHON, "-m", "pytest", *(args or ["-n", "2"])], cwd=ROOT)


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
