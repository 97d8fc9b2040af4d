"""Meetings (情報交換会 and others).

`schedule` (create, edit, list, the headline counts), `overview` (what the home page shows).
"""
