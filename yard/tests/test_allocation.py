"""Yard allocation: the rules per kind, grouping, retrieval order, and its explanation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tos.core.choices import UnitCategory
from tos.core.errors import ApplicationError
from tos.core.tests.factories import VesselVisitFactory
from yard import services
from yard.allocation import allocation_suggest
from yard.tests.factories import YardBlockFactory


def place(unit, block, bay, row, tier):
    services.yard_unit_place(unit=unit, block=block, bay=bay, row=row, tier=tier)


@pytest.fixture
def visit(terminal, line_a):
    return VesselVisitFactory(terminal=terminal, line=line_a, eta=timezone.now())


def test_an_export_goes_on_a_stack_of_its_own_visit_pod_and_weight_class(dry, make_unit, visit):
    export = {"category": UnitCategory.EXPORT, "outbound_visit": visit, "pod": "SGSIN"}
    place(make_unit(**export, gross_weight_kg=22000), dry, 9, 3, 1)
    place(make_unit(**export | {"pod": "CNSHA"}, gross_weight_kg=22000), dry, 1, 1, 1)
    result = allocation_suggest(unit=make_unit(**export, gross_weight_kg=23000))
    assert result.chosen.ref == "A01.09.3.2"
    assert result.chosen.components["group"] == -30
    assert result.chosen.score == sum(result.chosen.components.values())
    assert [c.score for c in result.candidates] == sorted(c.score for c in result.candidates)
    assert len(result.candidates) == 5
    assert "Grouped as export for visit" in result.explanation[1]


def test_a_box_is_not_put_on_a_box_that_leaves_before_it(terminal, dry, make_unit, line_a):
    early = VesselVisitFactory(terminal=terminal, line=line_a, eta=timezone.now())
    late = VesselVisitFactory(
        terminal=terminal, line=line_a, eta=timezone.now() + dt.timedelta(days=3)
    )
    # the yard has only two free stacks: one on an early box, one on a late box
    small = YardBlockFactory(terminal=terminal, name="S01", bays=2, rows=1, max_tier=2)
    place(make_unit(category="export", outbound_visit=early, pod="SGSIN"), small, 1, 1, 1)
    place(make_unit(category="export", outbound_visit=late, pod="SGSIN"), small, 3, 1, 1)
    unit = make_unit(category="export", outbound_visit=late, pod="DEHAM")
    result = allocation_suggest(unit=unit, top=50)
    by_ref = {c.ref: c for c in result.candidates}
    assert by_ref["S01.01.1.2"].components["rehandle"] == 25
    assert by_ref["S01.03.1.2"].components["rehandle"] == 0
    assert by_ref["S01.01.1.2"].score > by_ref["S01.03.1.2"].score


def test_reefers_are_offered_only_plugged_rows_with_free_plugs(dry, reefer_block, make_unit):
    for bay in (1, 3, 5):
        place(make_unit("22R1"), reefer_block, bay, 1, 1)
    result = allocation_suggest(unit=make_unit("45R1"), top=500)
    assert {(c.block, c.row) for c in result.candidates} == {("R01", 2)}


def test_dangerous_goods_are_offered_only_zones_admitting_their_class(dry, dg_block, make_unit):
    result = allocation_suggest(unit=make_unit(imdg_class="8"), top=500)
    assert {c.block for c in result.candidates} == {"G01"}
    assert {c.bay for c in result.candidates} == {9, 11}
    result = allocation_suggest(unit=make_unit(imdg_class="6.1"), top=500)
    assert result.chosen is None
    assert result.candidates == []
    assert result.explanation[-1].startswith("No feasible slot")


def test_empties_prefer_the_empties_block_and_full_boxes_never_go_there(
    dry, empty_block, make_unit
):
    result = allocation_suggest(unit=make_unit(category=UnitCategory.EMPTY), top=500)
    assert result.chosen.block == "E01"
    assert all(c.components.get("kind") == 40 for c in result.candidates if c.block == "A01")
    result = allocation_suggest(unit=make_unit(category=UnitCategory.IMPORT), top=500)
    assert {c.block for c in result.candidates} == {"A01"}


def test_a_full_stack_a_reserved_stack_and_a_twenty_on_a_forty_are_not_offered(terminal, make_unit):
    tiny = YardBlockFactory(terminal=terminal, name="T01", bays=2, rows=1, max_tier=1)
    place(make_unit(), tiny, 1, 1, 1)
    services.yard_slot_reserve(unit=make_unit(), block=tiny, bay=3, row=1, tier=1)
    assert allocation_suggest(unit=make_unit()).chosen is None
    two = YardBlockFactory(terminal=terminal, name="T02", bays=2, rows=1, max_tier=2)
    place(make_unit("42G1"), two, 2, 1, 1)
    assert allocation_suggest(unit=make_unit()).chosen is None
    assert allocation_suggest(unit=make_unit("42G1")).chosen.ref == "T02.02.1.2"


def test_workload_and_travel_steer_between_equal_blocks(terminal, make_unit):
    YardBlockFactory(terminal=terminal, name="N01", bays=1, rows=1, x_m=0, y_m=50)
    far = YardBlockFactory(terminal=terminal, name="F01", bays=1, rows=1, x_m=0, y_m=450)
    result = allocation_suggest(unit=make_unit(), origin="berth", berth_x_m=0)
    assert (result.chosen.block, result.chosen.components["travel"]) == ("N01", 2)
    assert allocation_suggest(unit=make_unit(), origin="gate").chosen.block == "F01"
    # a planned move into the near block's only stack: the near block is busy and reserved
    near2 = YardBlockFactory(terminal=terminal, name="N02", bays=2, rows=1, x_m=0, y_m=60)
    services.yard_move_plan(unit=make_unit(), block=near2, bay=1, row=1, tier=1)
    result = allocation_suggest(unit=make_unit(), origin="berth", berth_x_m=0, top=10)
    by_ref = {c.ref: c for c in result.candidates}
    assert by_ref["N02.03.1.1"].components["workload"] == 3
    assert "N02.01.1.1" not in by_ref
    assert far.pk


def test_the_allocation_refuses_unknown_weights_and_origins(dry, make_unit):
    unit = make_unit()
    with pytest.raises(ApplicationError) as info:
        allocation_suggest(unit=unit, weight_overrides={"bogus": 1})
    assert info.value.code == "unknown_weight"
    with pytest.raises(ApplicationError) as info:
        allocation_suggest(unit=unit, weight_overrides={"rehandle": "x"})
    assert info.value.code == "invalid_weight"
    with pytest.raises(ApplicationError) as info:
        allocation_suggest(unit=unit, origin="sky")
    assert info.value.code == "invalid_origin"


def test_weights_change_the_choice(terminal, make_unit):
    near = YardBlockFactory(terminal=terminal, name="N01", bays=1, rows=1, x_m=0, y_m=50)
    YardBlockFactory(terminal=terminal, name="F01", bays=1, rows=1, x_m=0, y_m=450)
    assert near.pk
    result = allocation_suggest(unit=make_unit(), berth_x_m=0, weight_overrides={"per_100m": -10})
    assert result.chosen.block == "F01"
    assert result.weights["per_100m"] == -10
