"""Google Sheets through gspread 6 with a service account.

`gsheets` (the client: several tabs in one request, write-back), `resilience` (bounded retries and
the last good data), `emulator` (a local Sheets v4 API for tests and trying the sync by hand).
"""
