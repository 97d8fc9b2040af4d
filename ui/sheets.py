"""The one way the pages get a Google Sheets client: the service account from secrets."""

from __future__ import annotations

import streamlit as st

from facilitation.sheets.gsheets import SheetsClient


def sheets_client() -> SheetsClient:
    """The service account in secrets ([gcp_service_account]), else $FACILITATION_SHEETS_CREDENTIALS
    or the local emulator ($FACILITATION_SHEETS_ENDPOINT)."""
    try:
        info = dict(st.secrets["gcp_service_account"])
    except Exception:  # no secrets file or no such section: environment / emulator
        info = None
    return SheetsClient(credentials_info=info)
