"""The independent slot-plan checker: it accepts a correct plan with its exact cost and rejects
hand-made violations of every rule. No database."""

from __future__ import annotations

import pytest

from stowage.solvers.delgado import parse
from stowage.solvers.slot_check import check_plan
from stowage.tests.test_slot_planner import AFT_ONLY, ALL, bay

BOXES = [
    "1000 2.59 20 1 0 0",  # 0
    "1000 2.59 20 2 0 0",  # 1
    "1000 2.59 40 1 0 0",  # 2
    "1000 2.59 20 1 1 0",  # 3 reefer
    "1000 2.59 20 1 0 1",  # 4 dangerous
    "1000 2.59 20 1 0 3",  # 5 dangerous
]


@pytest.fixture
def instance():
    plug = "1 1 1 1 1"
    return parse(bay([("3000", "5.40")] * 3, [[plug, ALL, ALL]] * 3, BOXES), "bay")


def placement(container, stack, cell, code):
    return {"container": container, "stack": stack, "cell": cell, "for": code}


def test_it_accepts_a_good_plan_and_prices_it(instance):
    plan = {
        "placements": [
            placement(1, 1, 1, 1),
            placement(0, 1, 2, 1),  # port 1 over port 2: no overstow
            placement(3, 2, 1, 1),  # reefer on the plug
            placement(2, 3, 1, 0),  # a 40' on two plugs: a dry box on a plug
        ],
        "rolled_out": [4, 5],
    }
    report = check_plan(instance, plan)
    assert report.ok, report.violations
    assert report.components == {
        "overstow": 0,
        "pods": 1,
        "stacks": 3,
        "reefer": 2,
        "rollout": 2,
    }
    assert report.objective == 20 + 30 + 10 + 2000


@pytest.mark.parametrize(
    ("placements", "violation"),
    [
        ([placement(0, 1, 2, 1)], "the 20' in stack 1 cell 2 hangs in the air"),
        (
            [placement(2, 1, 1, 0), placement(0, 1, 2, 1)],
            "the 20' in stack 1 cell 2 stands on a 40'",
        ),
        (
            [placement(0, 1, 1, 1), placement(2, 1, 2, 0)],
            "the 40' in stack 1 cell 2 does not stand",
        ),
        ([placement(0, 1, 1, 1), placement(1, 1, 1, 1)], "stack 1 cell 1 is already taken"),
        ([placement(0, 1, 1, 1), placement(0, 2, 1, 1)], "container 0 is placed twice"),
        ([placement(0, 4, 1, 1)], "container 0: stack 4 cell 1 is not in the bay"),
        ([placement(2, 1, 1, 1)], "container 2: a 40' container cannot take 'for' 1"),
        ([placement(9, 1, 1, 1)], "placement 0: there is no container 9 to load"),
        ([placement(4, 1, 1, 1), placement(5, 2, 1, 1)], "dangerous containers side by side"),
        ([{"container": "x", "stack": 1}], "placement 0: needs integer container, stack, cell"),
    ],
)
def test_it_rejects_a_broken_rule(instance, placements, violation):
    report = check_plan(instance, {"placements": placements, "rolled_out": []})
    assert not report.ok
    assert any(violation in message for message in report.violations), report.violations


def test_it_rejects_a_stack_over_its_weight_and_height_limits():
    instance = parse(bay([("1500", "5.00")], [[AFT_ONLY] * 2], BOXES[:2]), "bay")
    plan = {"placements": [placement(1, 1, 1, 1), placement(0, 1, 2, 1)], "rolled_out": []}
    report = check_plan(instance, plan)
    assert report.violations == [
        "stack 1 weighs 2000000 g, the limit is 1500000 g",
        "stack 1 aft column is 518 cm high, the limit is 500 cm",
    ]


def test_it_rejects_a_reefer_without_plug_and_a_container_left_unaccounted(instance):
    report = check_plan(instance, {"placements": [placement(3, 1, 2, 1)], "rolled_out": []})
    assert "reefer in stack 1 cell 2 has no plug" in report.violations
    assert "the 20' in stack 1 cell 2 hangs in the air" in report.violations
    assert "container 0 is neither placed nor rolled out" in report.violations
    no_plug = parse(bay([("3000", "9")], [[ALL]], BOXES[3:4]), "dry")
    report = check_plan(no_plug, {"placements": [placement(0, 1, 1, -1)], "rolled_out": []})
    assert report.violations == ["reefer in stack 1 cell 1 has no plug"]


def test_it_counts_an_overstow_once_per_container():
    instance = parse(
        bay([("9000", "9")], [[ALL] * 2], ["1000 2.59 20 1 0 0"] * 2 + ["1000 2.59 40 2 0 0"]),
        "bay",
    )
    plan = {
        "placements": [placement(0, 1, 1, 1), placement(1, 1, 1, -1), placement(2, 1, 2, 0)],
        "rolled_out": [],
    }
    report = check_plan(instance, plan)
    assert report.ok
    assert report.components["overstow"] == 1
    assert report.objective == 100 + 20 + 10
