"""Search across years: room notes, report sections, survey free text and open-chat messages.

`terms` turns Japanese text into the folded tokens both databases match on, `index` keeps the
search_passages table (and SQLite's FTS5 / PostgreSQL's GIN index over it) current, `query` answers
a search as each role may see it.
"""
