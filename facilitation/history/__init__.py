"""Participation history across meetings, for the secretariat and the committee.

`participation` (who came when, the counts the network reports), `coverage` (target organisations
reached), `charts` (trend figures), `geo` (the offline Hokkaido map), `committee_pack` (Excel + HTML).
"""
