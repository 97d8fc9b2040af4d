"""The organisation master and matching what registrants typed to it.

`directory` (the master: loading the network list, aliases, exact look-ups), `matching` (fuzzy
matching of typed names and the review queue).
"""
