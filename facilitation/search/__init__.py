"""Search across years: room notes, report sections, survey free text and open-chat messages.

- models.py: the search_passages table (one row per passage, its tokens and where it came from);
- terms.py: Japanese text → the folded tokens both databases match (spelling variants, Sudachi);
- index.py: keeping the index current on every write and erasure, rebuilding it;
- query.py: one search as each role may see it (filters, highlighting, names out for the committee);
- recurring.py: recurring terms of 課題・要望, and theme candidates for the next meeting's rooms.
"""
