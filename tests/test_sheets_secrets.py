"""The one Sheets client of the pages takes the service account from secrets (the README's set-up),
so every page that reads a sheet (registrations sync, survey import, rooms write-back) has it."""

from streamlit.testing.v1 import AppTest

ACCOUNT = "donet-sync@donet-project.iam.gserviceaccount.com"


def _page():
    import streamlit as st

    from ui.sheets import sheets_client

    client = sheets_client()
    st.write(f"account={client.account_email}")


def test_pages_client_uses_the_service_account_from_secrets(monkeypatch):
    monkeypatch.delenv("FACILITATION_SHEETS_ENDPOINT", raising=False)
    monkeypatch.delenv("FACILITATION_SHEETS_CREDENTIALS", raising=False)
    at = AppTest.from_function(_page)
    at.secrets["gcp_service_account"] = {"type": "service_account", "client_email": ACCOUNT}
    at.run()
    assert not at.exception
    assert at.markdown[0].value == f"account={ACCOUNT}"


def test_every_page_module_gets_the_client_the_same_way():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("ui/*.py"), *root.glob("pages/*.py")]:
        if path.name == "sheets.py":
            continue
        assert "SheetsClient(" not in path.read_text(), f"{path.name} builds its own Sheets client"


def test_secrets_are_read_one_way_and_a_missing_file_is_looked_for_once(tmp_path, monkeypatch):
    """Without secrets.toml Streamlit searches for the files on every access (the live roster reads
    the database URL many times a second): ui.common.secrets_section remembers that there is none."""
    from pathlib import Path

    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    from ui import common

    root = Path(__file__).resolve().parent.parent
    for path in [*root.glob("ui/*.py"), *root.glob("pages/*.py"), root / "streamlit_app.py"]:
        if path.name != "common.py":
            assert "st.secrets" not in path.read_text(), f"{path.name} reads secrets its own way"

    missing, present = tmp_path / "none.toml", tmp_path / "secrets.toml"
    present.write_text('[database]\nurl = "sqlite:///x.sqlite3"\n[mail]\nhost = "smtp.example.org"\n')

    def reads(files: list[str]) -> tuple[list[dict], int]:
        """Five reads of [database] with these secrets files; how many times Streamlit looked for them."""
        real_get = config.get_option
        monkeypatch.setattr(config, "get_option", lambda key: files if key == "secrets.files" else real_get(key))
        looked, real_look = [], Secrets._parse_file_path
        monkeypatch.setattr(Secrets, "_parse_file_path", lambda self, path: looked.append(path) or real_look(self, path))
        monkeypatch.setattr(common.st, "secrets", Secrets())
        out = [common.secrets_section("database") for _ in range(5)]
        assert common.secrets_section("nothing") == {}
        monkeypatch.undo()
        return out, len(looked)

    assert reads([str(missing)]) == ([{}] * 5, 1)  # looked for once, then remembered as absent
    assert reads([str(present)]) == ([{"url": "sqlite:///x.sqlite3"}] * 5, 1)  # Streamlit keeps a file it found


def test_a_secrets_file_added_while_the_app_runs_is_read_without_a_restart(tmp_path, monkeypatch):
    """Issue 22: after `[mail]` was added to .streamlit/secrets.toml the app needed a restart (the
    absence of the file was remembered for good). The next access reads the new file."""
    from streamlit import config
    from streamlit.runtime.secrets import Secrets

    from ui import common

    path = tmp_path / "secrets.toml"
    real_get = config.get_option
    monkeypatch.setattr(config, "get_option", lambda key: [str(path)] if key == "secrets.files" else real_get(key))
    monkeypatch.setattr(common.st, "secrets", Secrets())
    assert common.secrets_section("mail") == {}
    assert common.secrets_section("mail") == {}  # remembered as absent
    path.write_text('[mail]\nhost = "smtp.example.org"\nport = 587\n')
    assert common.secrets_section("mail") == {"host": "smtp.example.org", "port": 587}
