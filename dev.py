#!/usr/bin/env python3
"""The two set-up commands of the README, for a fresh machine with only Python 3.11 and git.

    python3 dev.py run    # venv + pinned requirements + database (demo on first start) + app on :8501
    python3 dev.py test   # venv + pinned requirements + the whole test suite

Extra arguments after `test` go to pytest (e.g. `python3 dev.py test tests/test_model.py -x`).
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
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"


def ensure_venv() -> None:
    """Create .venv and install requirements.txt when it is new or has changed."""
    if not PYTHON.exists():
        print("仮想環境 .venv を作成しています…", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("必要なパッケージをインストールしています（初回は数分かかります）…", flush=True)
        subprocess.run([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r",
                        REQUIREMENTS], check=True)
        STAMP.write_text(digest)


def run(args: list[str]) -> int:
    ensure_venv()
    subprocess.run([PYTHON, "-m", "facilitation", "init"], check=True, cwd=ROOT)
    port = os.environ.get("PORT", "8501")
    print(f"ブラウザで http://localhost:{port} を開いてください（終了は Ctrl+C）。", flush=True)
    cmd = [PYTHON, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", port,
           "--server.address", os.environ.get("ADDRESS", "localhost"), *args]
    try:
        return subprocess.call(cmd, cwd=ROOT)
    except KeyboardInterrupt:
        return 0


def test(args: list[str]) -> int:
    ensure_venv()
    return subprocess.call([PYTHON, "-m", "pytest", *(args or ["-n", "2"])], cwd=ROOT)


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
