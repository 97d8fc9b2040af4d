"""One configuration, read by the app and by `python -m facilitation` alike.

An installation that writes its settings only in `.streamlit/secrets.toml` (as the README says)
gets the same link key and the same database in the CLI as in the app: a facilitator link made with
`python -m facilitation token` opens in the app.
"""

from __future__ import annotations

import os
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from facilitation.access import gate
from facilitation.storage import db
from facilitation.storage.models import Meeting, Room

from .conftest import ROOT

SECRET = "secrets-only-" + "k" * 40


def _upcoming_room(url: str) -> tuple[int, int]:
    with db.session(url, actor="test") as s:
        meeting = s.query(Meeting).order_by(Meeting.starts_at.desc()).first()
        room = s.query(Room).filter(Room.meeting_id == meeting.id).order_by(Room.position).first()
        return meeting.id, room.id


def _project(tmp_path, db_url: str):
    """A folder with only `.streamlit/secrets.toml` (and a HOME without a global one)."""
    project = tmp_path / "project"
    (project / ".streamlit").mkdir(parents=True)
    (project / ".streamlit" / "secrets.toml").write_text(
        f'[facilitation]\nlink_secret = "{SECRET}"\n\n[database]\nurl = "{db_url}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in (gate.SECRET_ENV, db.ENV_VAR)}
    env.update(PYTHONPATH=str(ROOT), HOME=str(tmp_path))
    return project, env


def _cli(project, env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facilitation", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_cli_token_opens_in_the_app_configured_by_secrets_only(demo_copy_url, tmp_path, monkeypatch):
    meeting_id, room_id = _upcoming_room(demo_copy_url)
    project, env = _project(tmp_path, demo_copy_url)
    done = _cli(project, env, "--db", demo_copy_url, "token", "--meeting", str(meeting_id), "--room", str(room_id))
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().rsplit("token=", 1)[-1]

    monkeypatch.delenv(gate.SECRET_ENV, raising=False)
    monkeypatch.setenv(db.ENV_VAR, demo_copy_url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    at.secrets["facilitation"] = {"link_secret": SECRET}
    at.query_params["token"] = token
    at.run()
    assert not at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    viewer = at.session_state["viewer"]
    assert (viewer.meeting_id, viewer.room_id) == (meeting_id, room_id)


def test_the_cli_uses_the_database_named_in_secrets(demo_copy_url, tmp_path):
    """Without --db or $FACILITATION_DB_URL the CLI opens `[database] url`, as the app does."""
    project, env = _project(tmp_path, demo_copy_url)
    done = _cli(project, env, "meetings", "list")
    assert done.returncode == 0, done.stderr
    with db.session(demo_copy_url) as s:
        titles = [m.title for m in s.query(Meeting)]
    assert titles and all(t in done.stdout for t in titles)


def test_the_cli_shows_exactly_the_pages_user_errors_and_never_hides_a_bug(sqlite_url, monkeypatch, capsys):
    """Like the pages: UserError and AccessDenied are told in Japanese (exit 2); a LookupError is a bug."""
    import pytest

    from facilitation import cli
    from facilitation.commands import core
    from facilitation.errors import SHOWN_ERRORS, AccessDenied, UserError

    assert SHOWN_ERRORS == (UserError, AccessDenied)
    for error in (UserError("会が見つかりません。"), AccessDenied("事務局だけが行えます。")):
        monkeypatch.setattr(core, "cmd_meetings_list", lambda args, e=error: (_ for _ in ()).throw(e))
        assert cli.main(["--db", sqlite_url, "meetings", "list"]) == 2
        assert capsys.readouterr().err.strip() == f"エラー: {error}"
    monkeypatch.setattr(core, "cmd_meetings_list", lambda args: {}["missing"])
    with pytest.raises(KeyError):  # before: 「エラー: 'missing'」 and exit 2, as if the person had erred
        cli.main(["--db", sqlite_url, "meetings", "list"])
    assert cli.main(["--db", sqlite_url, "token", "--meeting", "999", "--room", "999"]) == 2
    assert "ルーム 999 はありません" in capsys.readouterr().err
