"""The one way the pages get a Google Sheets client: the service account from secrets."""

from __future__ import annotations

from facilitation.sheets.gsheets import SheetsClient

from .common import secrets_section


def sheets_client() -> SheetsClient:
    """The service account in secrets ([gcp_service_account]), else $FACILITATION_SHEETS_CREDENTIALS
    or the local emulator ($FACILITATION_SHEETS_ENDPOINT)."""
    return SheetsClient(credentials_info=secrets_section("gcp_service_account") or None)
