"""Participation history across meetings, for the secretariat and the committee.

`participation` (who came when, the counts the network reports), `presence` (who keeps
coming: flows, cohorts, the participation matrices), `coverage` (target organisations
reached), `charts` (trend figures), `geo` (the offline Hokkaido map), `committee_pack` (Excel + HTML).
"""
