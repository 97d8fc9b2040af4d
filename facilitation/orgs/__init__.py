"""The organisation master, matching what registrants typed to it, and merged organisations.

`directory` (the master: loading the network list, aliases, exact look-ups), `matching` (fuzzy
matching of typed names and the review queue), `merges` (organisations merged into another),
`models` (the review queue's table).
"""
