"""What the page and the roster say about an assignment: the rules in words, the overall
explanation, per-person reasons that name only rules that were on, and the baseline comparison."""

from __future__ import annotations

from facilitation.assignment import quality
from facilitation.assignment.instance import Instance


def inst(people, rules, cap=2, past=None):
    rooms = [{"id": "R1", "name": "ルーム1", "theme": "引きこもり", "capacity": cap},
             {"id": "R2", "name": "ルーム2", "theme": "就労準備", "capacity": cap}]
    return Instance.from_dict({"rooms": rooms, "people": people, "past_rooms": past or [], "rules": rules})


def person(pid, choices, **kw):
    return {"id": pid, "name": f"氏名{pid}", "org": kw.pop("org", f"機関{pid}"), "choices": choices, **kw}


def test_rules_in_words():
    rules = inst([person("p1", ["R1"])], {"one_facilitator_per_room": True, "max_per_org": 1, "min_per_room": 3,
                                          "grouping": {"mode": "mixed", "by": ["sector", "area"]},
                                          "choice_weights": [3, 2, 1]}).rules
    assert quality.describe_rules(rules) == ["ルームの定員", "各ルームにファシリテーター1名（希望者から）",
                                             "同じ機関の方は1ルームに1名まで", "1ルーム3名以上", "地域・立場を混ぜる（区分・地域）"]
    assert quality.rules_sentence(rules).endswith("希望の点: 第1希望 3点・第2希望 2点・第3希望 1点。")
    assert quality.describe_rules(inst([person("p1", ["R1"])], {}).rules) == ["ルームの定員"]


def test_overall_explanation_counts_choices_and_names_the_trade_offs():
    # Four want R1 (2 seats): two get their 2nd choice because of capacity; p5 gave no choice.
    people = [person(f"p{i}", ["R1", "R2"], facilitator=i in (1, 3)) for i in range(1, 5)] + [person("p5", [])]
    i = inst(people, {"one_facilitator_per_room": True}, cap=3)
    assignment = {"p1": "R1", "p2": "R1", "p4": "R1", "p3": "R2", "p5": "R2"}
    text = quality.overall_explanation(i, assignment, {"R1": "p1", "R2": "p3"})
    assert text.startswith("この割り当ては「ルームの定員」「各ルームにファシリテーター1名（希望者から）」の決まりで作りました。")
    assert "希望を出した 4名のうち、第1希望 3名、第2希望 1名、第3希望 0名、希望外 0名です。" in text
    assert "第1希望に入れなかった 1名は、主に次のために調整しました: 定員（1名）。" in text
    assert "希望の記入がない 1名" in text
    assert "ファシリテーターは 2室すべてに1名ずついます。" in text
    assert text.endswith("決まりはすべて守られています。")


def test_overall_explanation_says_when_the_facilitator_rule_was_off_and_when_rules_break():
    people = [person("p1", ["R1"]), person("p2", ["R1"], org="同じ機関"), person("p3", ["R1"], org="同じ機関")]
    i = inst(people, {"max_per_org": 1}, cap=3)
    text = quality.overall_explanation(i, {"p1": "R1", "p2": "R1", "p3": "R1"}, {})
    assert "「各ルームにファシリテーター1名」の決まりは使っていません（ファシリテーターがいるのは 2室中 0室）。" in text
    assert "決まりに合わない点が 1件あります" in text


def test_reasons_name_least_change_only_when_that_rule_was_on():
    # Published before (previous): p1, p2 in R1. Both still there; p3 wanted R1 but it is full.
    people = [person("p1", ["R1"], previous="R1"), person("p2", ["R1"], previous="R1"),
              person("p3", ["R1", "R2"], previous="R2")]
    assignment = {"p1": "R1", "p2": "R1", "p3": "R2"}
    off = quality.explain_all(inst(people, {}), assignment, {})
    assert not any("公開済み" in why or "動かさない" in why for why in off.values()), off
    assert off["p3"] == "第2希望の「就労準備」です（第1希望のルーム1は定員 2 名に達しているため）。"
    on = quality.explain_all(inst(people, {"least_change": True}), assignment, {})
    assert on["p1"].endswith("公開済みの割り当てから動かしていません（なるべく動かさない決まり）。")


def test_a_rule_breaking_baseline_is_never_shown_as_better():
    # Everyone wants R1; one per organisation per room. First-come greedy keeps the org rule, Zoom's
    # random split does not: its score stands next to its violations and is marked as not comparable.
    people = [person(f"p{i}", ["R1", "R2"], org="札幌市" if i <= 4 else f"機関{i}") for i in range(1, 9)]
    i = inst(people, {"max_per_org": 2}, cap=4)
    assignment = {"p1": "R1", "p2": "R1", "p3": "R2", "p4": "R2", "p5": "R1", "p6": "R1", "p7": "R2", "p8": "R2"}
    q = quality.report(i, assignment, {}, random_runs=5)
    table = q.table().set_index("metric")
    assert table.index[0] == "決まりの違反（件）"
    assert table.loc["決まりの違反（件）", "optimised"] == "0"
    rnd = q.random
    assert rnd.violations > 0
    assert "決まりの違反" in table.loc["評価値（大きいほど良い）", "random"] and "比較できません" in table.loc[
        "評価値（大きいほど良い）", "random"]
    assert table.loc["評価値（大きいほど良い）", "optimised"] == "20"  # 4 × 3 + 4 × 2
    note = q.comparison_note()
    assert "ランダム" in note and "評価値が高くても使えません" in note and "この割り当ては決まりをすべて守っています" in note
    assert not any("Jaccard" in str(x) for x in table.index)
