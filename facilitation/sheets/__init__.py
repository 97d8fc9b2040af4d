"""Google Sheets through gspread 6 with a service account.

`gsheets` (the one client: several tabs in one request, a one-minute cache cleared on erasure,
retries bounded by a deadline, write-back; `http` its retrying gspread client, imported on the
first request so the pages do not load gspread), `emulator` (a local Sheets v4 API for tests and for
trying the sync by hand; its demo spreadsheet is built in demo/sheets.py).
"""
