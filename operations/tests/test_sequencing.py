"""The crane sequencer without a database: the split, the order in a hatch, dual cycling and the
rules a resequence must keep."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from operations.sequencing import (
    Move,
    crane_order,
    crossing_violations,
    flatten,
    hatch_of,
    overstow_violations,
    split_hatches,
)


def test_bays_01_to_03_are_one_hatch_and_05_starts_the_next():
    assert [hatch_of(b) for b in (1, 2, 3, 5, 6, 7, 9)] == [0, 0, 0, 1, 1, 1, 2]


def test_the_split_minimises_the_largest_crane_workload_with_contiguous_ranges():
    assert split_hatches({0: 5, 1: 2, 2: 3}, 2) == [[0], [1, 2]]
    assert split_hatches({0: 1, 1: 1, 2: 1, 3: 9}, 2) == [[0, 1, 2], [3]]
    assert split_hatches({4: 3, 7: 3}, 3) == [[4], [7]]
    assert split_hatches({}, 2) == []


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=7),
    st.integers(min_value=1, max_value=4),
)
def test_no_other_contiguous_split_has_a_smaller_largest_workload(loads, cranes):
    workload = dict(enumerate(loads))
    groups = split_hatches(workload, cranes)
    assert [h for g in groups for h in g] == sorted(workload)
    best = max(sum(workload[h] for h in g) for g in groups)
    n, k = len(loads), min(cranes, len(loads))
    for cuts in itertools.combinations(range(1, n), k - 1):
        bounds = [0, *cuts, n]
        worst = max(sum(loads[a:b]) for a, b in itertools.pairwise(bounds))
        assert best <= worst


def test_a_hatch_is_discharged_deck_first_from_the_top_and_loaded_hold_first_from_the_bottom():
    moves = [
        Move(1, True, 2, 1, 82),
        Move(2, True, 2, 1, 84),
        Move(3, True, 2, 1, 4),
        Move(4, False, 2, 3, 84),
        Move(5, False, 2, 3, 82),
        Move(6, False, 2, 3, 2),
    ]
    steps = crane_order(moves)
    assert [m.id for m in flatten(steps)] == [2, 1, 6, 3, 5, 4]
    assert [(m.id, p.id if p else None) for m, p in steps] == [(2, None), (1, 6), (3, 5), (4, None)]
    assert overstow_violations(flatten(steps)) == []


def test_no_load_rides_a_discharge_while_its_own_stack_still_has_boxes_to_discharge():
    moves = [Move(1, True, 2, 1, 84), Move(2, True, 2, 1, 82), Move(3, False, 2, 1, 82)]
    assert [(m.id, p.id if p else None) for m, p in crane_order(moves)] == [
        (1, None),
        (2, 3),
    ]


def test_overstow_names_the_box_that_would_leave_too_early_and_the_box_above_it():
    low, high = Move(1, True, 6, 2, 82, "LOW"), Move(2, True, 6, 2, 84, "HIGH")
    hold = Move(3, True, 5, 4, 6, "HOLD")
    assert overstow_violations([low, high]) == [(low, high)]
    assert overstow_violations([hold, low, high]) == [(hold, low), (hold, high), (low, high)]
    assert overstow_violations([high, low, hold]) == []
    assert overstow_violations([Move(4, True, 10, 2, 82), low, high]) == [(low, high)]


def test_cranes_must_keep_their_hatches_apart_in_rail_order():
    assert crossing_violations([("QC1", 0, 1), ("QC2", 2, 4)]) == []
    assert crossing_violations([("QC1", 0, 1), ("QC2", None, None), ("QC3", 2, 3)]) == []
    problems = crossing_violations([("QC1", 0, 2), ("QC2", 2, 4)])
    assert problems == [
        "crane QC1 would work up to bay 11 but crane QC2, next along the rail, starts at bay 9: "
        "the cranes would cross"
    ]
