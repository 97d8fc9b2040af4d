"""The real app in its own process (`streamlit run streamlit_app.py`), for tests and benchmarks."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class App:
    proc: subprocess.Popen
    port: int
    base: str  # http://127.0.0.1:PORT
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(db_url: str, log: Path, *, address: str = "127.0.0.1", env: dict | None = None,
          timeout: float = 60, entry: str = "streamlit_app.py", port: int | None = None) -> App:
    """Serve the app on a free port with `db_url`; returns once /_stcore/health answers.

    `entry="serve.py"` serves it with the live roster's change route (ui/live_stamp.py)."""
    port = port or free_port()
    full_env = {**os.environ, "FACILITATION_DB_URL": db_url, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
                **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / entry), "--server.port", str(port),
         "--server.address", address, "--server.headless", "true", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=full_env, stdout=open(log, "wb"), stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return App(proc, port, base, log)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError("Streamlit が起動しませんでした: " + log.read_text()[-2000:])


def stop(app: App) -> None:
    app.proc.terminate()
    try:
        app.proc.wait(10)
    except subprocess.TimeoutExpired:
        app.proc.kill()
