"""Registrations (申込): form columns, import from files and Google Sheets, manual entry.

`forms` (the standard form and its header variants), `intake` (import, merge, sync, edits,
kept-aside rows, frames for the page), `cancellations` (rows of people who do not take part), `checkins` (attendance a file records),
`models` (kept-aside rows, sources, sheet sync state).
"""
