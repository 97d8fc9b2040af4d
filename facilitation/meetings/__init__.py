"""Meetings (情報交換会 and others).

`schedule` (create, edit, list, the headline counts), `counts` (the one counting rule,
「90名（52機関：…）」), `overview` (what the home page shows).
"""
