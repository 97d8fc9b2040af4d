"""Breakout-room assignment: instance format, exact optimiser, diagnosis, quality, exports, service.

instance (JSON in/out) → solver (HiGHS / CP-SAT) → diagnose (why infeasible, in Japanese) →
quality (vs random and greedy, reasons per person) → exports (Zoom CSV, Excel, HTML) → service
(the database: rooms, choices, runs, moves, published versions, Google Sheet).
"""
