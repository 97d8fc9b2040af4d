"""Breakout-room assignment: instance format, exact optimiser, diagnosis, quality, exports, service.

`instance` (JSON in/out) → `solver` (HiGHS / CP-SAT) → `diagnose` (why infeasible, in Japanese) →
`quality` (vs random and greedy, reasons per person) → `exports` (Zoom CSV, Excel, HTML) → `service`
(the database: rooms, choices, runs, moves, published versions, Google Sheet).
Beside them: `choices` (free-text theme choices → rooms), `check` (re-checking and scoring an
assignment), `baselines` (Zoom's random split, a first-come greedy), `concurrency` (two people
editing at once), `paper` (printables for the venue), `synthetic` (random instances for the
benchmark and tests), `models` (published versions, choice mappings, runs).
"""
