"""The optimiser on hand-made instances whose optimum is known, on both backends."""

from __future__ import annotations

import pytest

from facilitation.assignment import synthetic
from facilitation.assignment.check import score, violations
from facilitation.assignment.diagnose import diagnose
from facilitation.assignment.instance import Instance, InstanceError, Result
from facilitation.assignment.solver import BACKENDS, solve


def two_rooms(people, rules=None, past=None, cap=2, **room_extra):
    rooms = [{"id": "R1", "name": "ルーム1", "theme": "引きこもり", "capacity": cap, **room_extra.get("R1", {})},
             {"id": "R2", "name": "ルーム2", "theme": "就労準備", "capacity": cap, **room_extra.get("R2", {})}]
    return Instance.from_dict({"rooms": rooms, "people": people, "past_rooms": past or [],
                               "rules": rules or {"choice_weights": [3, 2, 1]}, "time_limit_s": 10})


def person(pid, choices, **kw):
    return {"id": pid, "name": f"氏名{pid}", "org": kw.pop("org", f"機関{pid}"), "choices": choices, **kw}


FOUR = [person("p1", ["R1", "R2"]), person("p2", ["R1", "R2"]), person("p3", ["R2", "R1"]), person("p4", ["R2", "R1"])]


def checked(inst: Instance, backend: str) -> Result:
    res = solve(inst, backend=backend)
    assert res.status == "optimal", res.reasons
    assert violations(inst, res.assignment, res.facilitators) == []
    assert score(inst, res.assignment, res.facilitators).objective == pytest.approx(res.objective)
    return res


@pytest.mark.parametrize("backend", BACKENDS)
def test_everyone_gets_a_first_choice_when_capacity_allows(backend):
    res = checked(two_rooms(FOUR), backend)
    assert res.objective == 12
    assert res.assignment == {"p1": "R1", "p2": "R1", "p3": "R2", "p4": "R2"}
    assert res.why["p1"].startswith("第1希望の「引きこもり」です")


@pytest.mark.parametrize("backend", BACKENDS)
def test_capacity_forces_second_choices(backend):
    people = [person(f"p{i}", ["R1", "R2"]) for i in range(1, 5)]
    res = checked(two_rooms(people), backend)
    assert res.objective == 2 * 3 + 2 * 2
    second = [pid for pid, r in res.assignment.items() if r == "R2"]
    assert all("定員 2 名に達している" in res.why[pid] for pid in second)


@pytest.mark.parametrize("backend", BACKENDS)
def test_repeat_penalty_counts_pairs_per_past_group(backend):
    # Together again: 12 − penalty; split: 3 + 2 + 2 + 3 = 10.
    cheap = checked(two_rooms(FOUR, {"choice_weights": [3, 2, 1], "repeat_penalty": 1}, [["p1", "p2"]]), backend)
    assert cheap.objective == 11 and cheap.breakdown["repeats"] == 1
    dear = checked(two_rooms(FOUR, {"choice_weights": [3, 2, 1], "repeat_penalty": 3}, [["p1", "p2"]]), backend)
    assert dear.objective == 10 and dear.assignment["p1"] != dear.assignment["p2"]
    # A pair that shared two past rooms costs twice: 12 − 2·1.5 = 9 < 10, so they are split.
    twice = checked(two_rooms(FOUR, {"choice_weights": [3, 2, 1], "repeat_penalty": 1.5},
                              [["p1", "p2"], ["p2", "p1"]]), backend)
    assert twice.objective == 10 and twice.assignment["p1"] != twice.assignment["p2"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_facilitator_per_room_from_willing_people(backend):
    people = [person("p1", ["R1"]), person("p2", ["R1"]), person("p3", ["R2"], facilitator=True),
              person("p4", ["R2"], facilitator=True)]
    res = checked(two_rooms(people, {"one_facilitator_per_room": True, "choice_weights": [3, 2, 1]}), backend)
    # One willing person has to go to R1 (weight 0); someone from R1 moves to R2 (weight 0).
    assert res.objective == 6
    assert set(res.facilitators) == {"R1", "R2"}
    assert {res.facilitators["R1"], res.facilitators["R2"]} == {"p3", "p4"}
    assert "ファシリテーター" in res.why[res.facilitators["R1"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_org_limit_and_officials_spread(backend):
    people = [person("p1", ["R1"], org="江別市"), person("p2", ["R1"], org="江別市"),
              person("p3", ["R1"], government=True), person("p4", ["R1"], government=True)]
    res = checked(two_rooms(people, {"max_per_org": 1, "spread_government": True}, cap=3), backend)
    assert res.assignment["p1"] != res.assignment["p2"]
    assert res.assignment["p3"] != res.assignment["p4"]
    assert res.objective == 6


@pytest.mark.parametrize("backend", BACKENDS)
def test_pins_hold_even_against_choices(backend):
    people = [dict(FOUR[0], pinned="R2"), *FOUR[1:]]
    res = checked(two_rooms(people, cap=3), backend)
    assert res.assignment["p1"] == "R2"
    assert res.objective == 2 + 3 + 3 + 3
    assert "固定" in res.why["p1"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_facilitator_of_a_room(backend):
    people = [person("p1", ["R1"], facilitator=True), person("p2", ["R1"], facilitator=True), *FOUR[2:]]
    inst = two_rooms(people, {"one_facilitator_per_room": True}, cap=3, R1={"facilitator": "p2"})
    res = checked(inst, backend)
    assert res.facilitators["R1"] == "p2"
    assert res.facilitators["R2"] == "p1" and res.assignment["p1"] == "R2"


@pytest.mark.parametrize("backend", BACKENDS)
def test_least_change_moves_as_few_placed_people_as_possible(backend):
    # p1..p4 were published; p5 arrives late and wants R1, which is full (capacity 2).
    placed = [dict(FOUR[0], previous="R1"), dict(FOUR[1], previous="R1"),
              dict(FOUR[2], previous="R2"), dict(FOUR[3], previous="R2")]
    late = person("p5", ["R1", "R2"])
    rules = {"choice_weights": [3, 2, 1], "least_change": True}
    res = checked(two_rooms([*placed, late], rules, cap=3), backend)
    assert res.moves == 0
    assert all(res.assignment[p["id"]] == p["previous"] for p in placed)
    assert res.assignment["p5"] == "R1"
    # R1 shrinks to one place: exactly one of its two published members has to move.
    tight = two_rooms([*placed, late], rules, cap=4)
    tight.rooms[0].capacity = 1
    moved = checked(tight, backend)
    assert moved.moves == 1
    assert sum(moved.assignment[p["id"]] != p["previous"] for p in placed) == 1
    # Published in a room they did not choose: the plain optimum moves them, least change does not.
    unhappy = [dict(FOUR[0], previous="R2"), *placed[1:]]
    free = checked(two_rooms([*unhappy, late], {"choice_weights": [3, 2, 1]}, cap=3), backend)
    assert free.assignment["p1"] == "R1"
    kept = checked(two_rooms([*unhappy, late], rules, cap=3), backend)
    assert kept.assignment["p1"] == "R2" and kept.moves == 0
    assert kept.why["p1"] == "第2希望の「就労準備」です（公開済みの割り当てからなるべく動かさないため）。"


def test_infeasible_capacity_says_so_in_japanese():
    people = [person(f"p{i}", ["R1"]) for i in range(1, 6)]
    res = solve(two_rooms(people))
    assert res.status == "infeasible"
    assert any("定員の合計 4 が参加者 5 より少ない" in r for r in res.reasons)
    assert res.assignment == {}


def test_infeasible_facilitators_and_pins_and_orgs():
    people = [person("p1", ["R1"], facilitator=True), *FOUR[1:]]
    inst = two_rooms(people, {"one_facilitator_per_room": True})
    assert "ファシリテーター希望者が 1 名でルーム 2 室に足りません。" in diagnose(inst)
    pinned = [dict(p, pinned="R1") for p in FOUR[:3]] + [FOUR[3]]
    assert any("ルーム1に固定した 3 名が定員 2 を超えています" in r for r in diagnose(two_rooms(pinned, cap=2)))
    same_org = [dict(p, org="札幌市社会福祉協議会") for p in FOUR[:3]] + [FOUR[3]]
    reasons = diagnose(two_rooms(same_org, {"max_per_org": 1}, cap=3))
    assert any("「札幌市社会福祉協議会」の参加者 3 名" in r and "入りきりません" in r for r in reasons)


def test_relaxation_names_the_rules_that_conflict():
    # R1 is filled by two pinned people, yet two officials must be spread one per room.
    people = [person("p1", ["R1"], pinned="R1"), person("p2", ["R1"], pinned="R1"),
              person("p3", ["R2"], government=True), person("p4", ["R2"], government=True)]
    inst = two_rooms(people, {"spread_government": True}, cap=2)
    res = solve(inst)
    assert res.status == "infeasible"
    text = "".join(res.reasons)
    for label in ("ルームの定員", "自治体・国の方を各ルームに均等に", "事務局が固定した配置"):
        assert label in text
    assert "同時には満たせません" in text


def test_instance_errors_name_the_field():
    with pytest.raises(InstanceError) as err:
        Instance.from_dict({"rooms": [{"id": "R1", "capacity": "八"}], "people": [{"id": "p1", "pinned": "R9"}],
                           "rules": {"max_per_org": 0, "colour": 1}})
    text = str(err.value)
    assert "rooms[0].capacity" in text and "people[0].pinned" in text and "R9" in text
    assert "rules.max_per_org" in text and "rules.colour" in text
    inst = Instance.from_dict({"rooms": [{"id": "R1"}], "people": [{"id": "p1", "choices": ["R1", "R7"]}]})
    assert inst.people[0].choices == ["R1"]
    assert any("R7" in n for n in inst.notes)


@pytest.mark.parametrize("mode,by", [("homogeneous", ["role"]), ("mixed", ["sector"])])
def test_grouping_modes(mode, by):
    people = [person("a1", [], role="主任相談支援員", sector="自治体"), person("a2", [], role="主任相談支援員", sector="自治体"),
              person("b1", [], role="初任者", sector="社協"), person("b2", [], role="初任者", sector="社協")]
    res = solve(two_rooms(people, {"grouping": {"mode": mode, "by": by, "weight": 1}}))
    assert res.status == "optimal"
    together = res.assignment["a1"] == res.assignment["a2"] and res.assignment["b1"] == res.assignment["b2"]
    assert together == (mode == "homogeneous")


def test_round_trip_and_medium_instance_is_valid():
    inst = synthetic.instance(120, 8, seed=3)
    again = Instance.from_dict(inst.to_dict())
    assert again.to_dict() == inst.to_dict()
    res = solve(again, time_limit=10)  # dense history: may stop at the limit (a loaded CI core), must stay valid
    assert res.status in ("optimal", "feasible")
    assert violations(again, res.assignment, res.facilitators) == []
    assert Result.from_dict(res.to_dict()).assignment == res.assignment
