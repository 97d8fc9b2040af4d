"""Registrations (申込): form columns, import from files and Google Sheets, manual entry.

`forms` (the standard form and its header variants), `rows` (a table's rows as written: values,
matching keys, fingerprint, problems), `people` (which person each row is), `importing` (import_table
and its stages, file import, column mappings, ImportResult), `sync` (the Google Sheet: settings,
sync, write-back, the newest import's headers), `manual` (manual entry), `edits` (editing,
cancelling and restoring one registration), `kept_aside` (kept-aside rows, rows to check, unmatched
choices), `frames` (the registrant list, the header counts, the cleaned list for the sheet),
`cancellations` (rows of people who do not take part), `checkins` (attendance a file records),
`models` (kept-aside rows, sources, sheet sync state). Names with a leading underscore are shared
between these modules only, never outside the area.
"""
