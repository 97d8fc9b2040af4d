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
