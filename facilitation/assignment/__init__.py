"""Breakout-room assignment: instance format, exact optimiser, diagnosis, quality, exports, and the
meeting's rooms, runs and published versions in the database.

`instance` (JSON in/out) → `solver` (HiGHS / CP-SAT) → `diagnose` (why infeasible, in Japanese) →
`quality` (vs random and greedy, reasons per person) → `exports` (Zoom CSV, Excel, HTML).
The database side, one module per job: `room_setup` (rooms and themes), `rule_settings` (the
meeting's rule switches), `building` (the meeting as an instance), `running` (run the optimiser and
save its answer), `checking` (the saved assignment re-checked, its quality and the people table),
`manual_moves` (editor moves, designated facilitators, pins), `publishing` (published versions and
who moved since), `room_links` (facilitator links for every room), `export_roster` (the saved
assignment as a roster and as a Google Sheet tab), `errors` (AssignmentError).
Beside them: `choices` (free-text theme choices → rooms), `check` (re-checking and scoring an
assignment), `baselines` (Zoom's random split, a first-come greedy), `concurrency` (two people
editing at once), `paper` (printables for the venue), `synthetic` (random instances for the
benchmark and tests), `models` (published versions, choice mappings, runs). Names with a leading
underscore are shared between these modules only, never outside the area. Frames for a page or the
CLI have English snake_case columns, shown under the Japanese headers of the *_LABELS dict next to
each; documents (the Google Sheet tab, exports) keep Japanese headers.
"""
