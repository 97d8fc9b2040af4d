"""Newcomers, returning, lapsed and retention on the hand-made history (see history_world)."""

import math

import pytest

from facilitation.history import participation, presence
from tests import history_world as hw


@pytest.fixture(scope="module")
def world_history(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('flows') / 'world.sqlite3'}"
    hw.make(url)
    return hw.load(url)


def test_people_flows_with_a_person_who_changes_organisation(world_history):
    flows = presence.flows(world_history, presence.UNIT_PERSON, lapse_after=2)
    assert flows["came"].tolist() == [10, 6, 4, 6]
    assert flows["newcomers"].tolist() == [10, 2, 0, 0]  # p10 moved to B but is no newcomer at m3
    assert flows["continuing"].tolist() == [0, 4, 2, 3]
    assert flows["returned"].tolist() == [0, 0, 2, 3]
    # Lapsed = came before, not in the last 2 meetings: p2 p7 p9 p12 at m3; p6 p8 at m4 (p7 came back).
    assert flows["newly_lapsed"].tolist() == [0, 0, 4, 2]
    assert flows["lapsed_total"].tolist() == [0, 0, 4, 5]
    assert flows["came_next"].tolist() == [4, 2, 3, 0]
    assert flows["came_next_rate"].tolist()[:3] == [40.0, 33.3, 75.0]
    assert math.isnan(flows["came_next_rate"].tolist()[3])  # no next meeting yet
    assert [presence.FLOW_LABELS[c] for c in flows.columns] == [
        "年度", "日付", "会", "参加", "初参加", "継続", "再参加", "離脱（新たに）", "離脱（累計）", "次回も参加",
        "次回も参加率"]


def test_organisation_flows_follow_the_merge(world_history):
    flows = presence.flows(world_history, presence.UNIT_ORG, lapse_after=2)
    # Units: A (with merged H), B, C, G, I and the ministry as one.
    assert flows["came"].tolist() == [4, 4, 3, 4]
    assert flows["newcomers"].tolist() == [4, 2, 0, 0]
    assert flows["continuing"].tolist() == [0, 2, 2, 3]
    assert flows["returned"].tolist() == [0, 0, 1, 1]
    assert flows["newly_lapsed"].tolist() == [0, 0, 1, 1]  # I at m3, G at m4; merged H never lapses


def test_unmerged_organisation_would_count_separately(tmp_path):
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    hw.make(url, merge=False)
    flows = presence.flows(hw.load(url), presence.UNIT_ORG, lapse_after=2)
    assert flows["came"].tolist() == [5, 5, 3, 5]  # H separately at m1, m2, m4


def test_year_filter_keeps_earlier_meetings_as_history(world_history):
    only_2025 = presence.flows(world_history, presence.UNIT_PERSON, lapse_after=2, fiscal_years=[2025])
    assert only_2025["newcomers"].tolist() == [0]  # everyone at m4 had come in 2024 already
    assert only_2025["returned"].tolist() == [3]
    scoped = participation.scoped(world_history, participation.Scope(fiscal_years=(2025,)))
    naive = presence.flows(scoped, presence.UNIT_PERSON)
    assert naive["newcomers"].tolist() == [6]  # why flows run on the history without the year filter


def test_cohort_retention_by_fiscal_year(world_history):
    people = presence.cohort_retention(world_history, presence.UNIT_PERSON)
    assert people["fiscal_year"].tolist() == ["2024年度", "2025年度"]
    assert people["size"].tolist() == [12, 0]
    assert people.loc[0, "初年度"] == 100.0
    assert people.loc[0, "2年目"] == 50.0  # p1 p3 p4 p7 p10 p11 of 12
    orgs = presence.cohort_retention(world_history, presence.UNIT_ORG)
    assert orgs.loc[0, "size"] == 6 and orgs.loc[0, "2年目"] == 66.7  # A B C 国 of A B C G I 国


def test_lapse_window_of_one_meeting(world_history):
    flows = presence.flows(world_history, presence.UNIT_PERSON, lapse_after=1)
    # Came at m(i-1) but not at m(i): m2 loses p2 p4 p5 p7 p9 p12; m3 loses p6 p8 p11 (p3 too).
    assert flows["newly_lapsed"].tolist() == [0, 6, 4, 1]


def test_empty_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    h = hw.load(url)
    assert presence.flows(h).empty and participation.meeting_table(h).empty
    assert list(presence.flows(h).columns) == list(presence.FLOW_LABELS)  # the page can label it
    assert presence.org_matrix(h).empty
    assert participation.period_counts(h) == {"meetings": 0, "total": 0, "distinct_people": 0, "distinct_orgs": 0}
