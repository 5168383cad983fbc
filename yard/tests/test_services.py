"""Placing, moving and removing boxes, and every stacking rule of yard.services."""

from __future__ import annotations

import pytest

from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import Event
from yard import services
from yard.models import YardOccupancy


def place(unit, block, bay, row, tier, **kw):
    return services.yard_unit_place(unit=unit, block=block, bay=bay, row=row, tier=tier, **kw)


def move(unit, block, bay, row, tier, **kw):
    return services.yard_unit_move(unit=unit, block=block, bay=bay, row=row, tier=tier, **kw)


def refused(code, func, *args, **kwargs) -> ApplicationError:
    """Call ``func``, expect an ApplicationError with ``code``, and that nothing changed."""
    before = (
        list(YardOccupancy.objects.order_by("pk").values_list("pk", "valid_to")),
        Event.objects.count(),
    )
    with pytest.raises(ApplicationError) as info:
        func(*args, **kwargs)
    assert info.value.code == code, info.value.message
    after = (
        list(YardOccupancy.objects.order_by("pk").values_list("pk", "valid_to")),
        Event.objects.count(),
    )
    assert after == before
    return info.value


def current_refs():
    return sorted(
        (o.unit.container.number, o.ref)
        for o in YardOccupancy.objects.filter(valid_to__isnull=True).select_related(
            "block", "unit__container"
        )
    )


def test_placing_a_box_records_current_occupancy_mirrors_the_position_and_writes_an_event(
    dry, make_unit, planner
):
    unit = make_unit("22G1", pod="SGSIN", gross_weight_kg=24000)
    occ = place(unit, dry, 3, 2, 1, by=planner)
    unit.refresh_from_db()
    assert (occ.bay, occ.row, occ.tier, occ.size_ft, occ.ground_from, occ.ground_to) == (
        3,
        2,
        1,
        20,
        3,
        4,
    )
    assert occ.valid_to is None
    assert (unit.position_kind, unit.position_ref) == (PositionKind.YARD, "A01.03.2.1")
    event = Event.objects.get(type="yard.unit_placed")
    assert event.topic == "yard"
    assert event.line_id == unit.line_id
    assert event.payload == {
        "unit": unit.pk,
        "container": unit.container.number,
        "block": "A01",
        "bay": 3,
        "row": 2,
        "tier": 1,
        "size": 20,
        "line": "LINA",
        "pod": "SGSIN",
        "category": "import",
        "weight_class": 3,
        "reefer": False,
        "imdg": "",
        "visit": None,
        "holds": 0,
        "time_in": None,
        "move": None,
        "by": "planner",
    }


def test_moving_a_box_closes_the_old_occupancy_and_opens_a_new_one(dry, make_unit):
    unit = make_unit("42G1")
    first = place(unit, dry, 2, 1, 1)
    second = move(unit, dry, 6, 3, 1)
    first.refresh_from_db()
    assert first.valid_to == second.valid_from
    assert current_refs() == [(unit.container.number, "A01.06.3.1")]
    event = Event.objects.get(type="yard.unit_moved")
    assert event.payload["from"] == {"block": "A01", "bay": 2, "row": 1, "tier": 1}
    assert (event.payload["bay"], event.payload["size"]) == (6, 40)


def test_removing_a_box_closes_its_occupancy_and_clears_the_position(dry, make_unit):
    unit = make_unit()
    place(unit, dry, 1, 1, 1)
    services.yard_unit_remove(unit=unit)
    unit.refresh_from_db()
    assert current_refs() == []
    assert (unit.position_kind, unit.position_ref) == (PositionKind.NONE, "")
    assert YardOccupancy.objects.get().valid_to is not None
    assert Event.objects.filter(type="yard.unit_removed").count() == 1


def test_it_refuses_a_second_box_on_the_same_position(dry, make_unit):
    place(make_unit(), dry, 1, 1, 1)
    other = make_unit()
    error = refused("slot_occupied", place, other, dry, 1, 1, 1)
    assert error.status == 409
    assert "A01.01.1.1 is taken" in error.message


def test_it_refuses_a_forty_over_a_twenty_and_a_twenty_under_a_forty(dry, make_unit):
    place(make_unit("22G1"), dry, 3, 1, 1)
    error = refused("slot_overlap", place, make_unit("42G1"), dry, 2, 1, 1)
    assert error.status == 409
    place(make_unit("45G1"), dry, 6, 1, 1)
    refused("slot_overlap", place, make_unit("22G1"), dry, 7, 1, 1)
    refused("slot_overlap", place, make_unit("42G1"), dry, 8, 1, 1)


def test_it_refuses_to_place_a_unit_that_is_already_in_the_yard(dry, make_unit):
    unit = make_unit()
    place(unit, dry, 1, 1, 1)
    refused("unit_already_in_yard", place, unit, dry, 5, 1, 1)


def test_it_refuses_floating_boxes(dry, make_unit):
    error = refused("floating", place, make_unit(), dry, 1, 1, 2)
    assert error.details["tier"] == ["Nothing stands below A01.01.1.2; stacks fill from tier 1 up."]
    place(make_unit(), dry, 1, 2, 1)
    refused("floating", place, make_unit("42G1"), dry, 2, 2, 2)


def test_a_forty_may_stand_on_two_twenties_or_an_aligned_forty_but_not_offset(dry, make_unit):
    place(make_unit(), dry, 1, 1, 1)
    place(make_unit(), dry, 3, 1, 1)
    place(make_unit("42G1"), dry, 2, 1, 2)
    place(make_unit("42G1"), dry, 2, 1, 3)
    place(make_unit("42G1"), dry, 6, 2, 1)
    place(make_unit("22G1"), dry, 9, 2, 1)
    refused("misaligned_support", place, make_unit("42G1"), dry, 8, 2, 2)


def test_a_twenty_never_stands_on_a_forty_unless_the_block_allows_it(dry, make_unit):
    place(make_unit("42G1"), dry, 2, 1, 1)
    error = refused("twenty_on_forty", place, make_unit("22G1"), dry, 1, 1, 2)
    assert "may not stand on the 40' box" in error.message
    dry.allow_20_on_40 = True
    dry.save()
    place(make_unit("22G1"), dry, 1, 1, 2)


def test_it_refuses_positions_outside_the_block_naming_the_field(dry, make_unit):
    unit = make_unit()
    assert refused("tier_out_of_range", place, unit, dry, 1, 1, 5).details == {
        "tier": ["Block A01 stacks 4 high; tier 5 is outside 1 to 4."]
    }
    assert "bay" in refused("bay_out_of_range", place, unit, dry, 21, 1, 1).details
    assert "bay" in refused("bay_parity", place, unit, dry, 2, 1, 1).details
    assert "bay" in refused("bay_parity", place, make_unit("42G1"), dry, 3, 1, 1).details
    assert "bay" in refused("bay_out_of_range", place, make_unit("42G1"), dry, 20, 1, 1).details
    assert "row" in refused("row_out_of_range", place, unit, dry, 1, 5, 1).details


def test_it_refuses_to_move_or_remove_a_box_with_another_on_top(dry, make_unit):
    low, high = make_unit(), make_unit()
    place(low, dry, 1, 1, 1)
    place(high, dry, 1, 1, 2)
    error = refused("unit_blocked", services.yard_unit_remove, unit=low)
    assert error.details["blocking"] == [high.pk]
    refused("unit_blocked", move, low, dry, 5, 1, 1)


def test_a_box_cannot_be_moved_onto_itself_or_float_on_its_old_place(dry, make_unit):
    unit = make_unit()
    place(unit, dry, 1, 1, 1)
    refused("same_position", move, unit, dry, 1, 1, 1)
    refused("floating", move, unit, dry, 1, 1, 2)


def test_reefers_stand_only_on_plugged_rows_of_reefer_blocks(dry, reefer_block, make_unit):
    reefer = make_unit("45R1")
    refused("reefer_needs_plug", place, reefer, dry, 2, 1, 1)
    error = refused("reefer_needs_plug", place, reefer, reefer_block, 2, 3, 1)
    assert error.message.endswith("row 3 of block R01 has no plugs.")
    place(reefer, reefer_block, 2, 1, 1)
    empty_reefer = make_unit("22R1", category=UnitCategory.EMPTY)
    place(empty_reefer, dry, 1, 1, 1)


def test_a_row_takes_no_more_powered_reefers_than_it_has_plugs(reefer_block, make_unit):
    for bay in (1, 3, 5):
        place(make_unit("22R1"), reefer_block, bay, 1, 1)
    error = refused("no_free_plug", place, make_unit("22R1"), reefer_block, 7, 1, 1)
    assert error.message == "All 3 plugs of row 1 of block R01 are taken."
    place(make_unit("22G1"), reefer_block, 7, 1, 1)


def test_dangerous_goods_stand_only_in_a_zone_that_admits_their_class(dg_block, dry, make_unit):
    flammable = make_unit(imdg_class="3", un_number="1203")
    refused("dg_not_allowed", place, flammable, dry, 1, 1, 1)
    error = refused("dg_not_allowed", place, flammable, dg_block, 9, 1, 1)
    assert "zone Z8 admits classes 8, 2" in error.message
    refused("dg_not_allowed", place, flammable, dg_block, 7, 1, 1)
    place(flammable, dg_block, 3, 1, 1)
    gas = make_unit(imdg_class="2.1")
    place(gas, dg_block, 11, 1, 1)
    refused("dg_not_allowed", place, make_unit("42G1", imdg_class="3"), dg_block, 6, 1, 1)
    refused("dg_block_reserved", place, make_unit(), dg_block, 1, 2, 1)


def test_empties_blocks_take_only_empties(empty_block, make_unit):
    refused("empties_only", place, make_unit(category=UnitCategory.IMPORT), empty_block, 1, 1, 1)
    place(make_unit(category=UnitCategory.EMPTY), empty_block, 1, 1, 1)


def test_departed_units_and_other_terminals_blocks_are_refused(dry, make_unit):
    from yard.tests.factories import YardBlockFactory

    refused("unit_not_active", place, make_unit(state=UnitState.DEPARTED), dry, 1, 1, 1)
    other = YardBlockFactory(terminal__code="OTHER", terminal__name="Other", name="X01")
    refused("other_terminal", place, make_unit(), other, 1, 1, 1)


def test_a_database_constraint_refusal_answers_409_with_its_rule(dry, make_unit):
    unit = make_unit()
    place(unit, dry, 1, 1, 1)
    occ = YardOccupancy(
        terminal=dry.terminal,
        unit=unit,
        block=dry,
        bay=5,
        row=1,
        tier=1,
        size_ft=20,
        ground_from=5,
        ground_to=6,
        valid_from=occ_time(),
    )
    with pytest.raises(ApplicationError) as info:
        services._write(occ)
    assert (info.value.code, info.value.status) == ("unit_already_in_yard", 409)


def occ_time():
    from django.utils import timezone

    return timezone.now()
