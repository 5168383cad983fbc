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


def test_the_cached_yard_never_answers_stale_after_moves_unit_changes_or_a_rollback(
    terminal, dry, reefer_block, make_unit, visit, monkeypatch
):
    """Every answer from the cached yard (brought up to date from the events since) equals the
    answer computed from scratch, through places, moves, removals, unit and visit changes and
    a rolled-back change whose seq is then reached again by another one."""
    import contextlib
    import random

    from django.db import transaction

    from tos.core.services import unit_update, vessel_visit_update
    from yard import allocation
    from yard.models import YardOccupancy

    warm_loads = [0]
    counting = [True]
    real_load = allocation._load

    def counted_load(*args):
        warm_loads[0] += counting[0]
        return real_load(*args)

    monkeypatch.setattr(allocation, "_load", counted_load)
    rng = random.Random(11)
    export = {"category": UnitCategory.EXPORT, "outbound_visit": visit, "pod": "SGSIN"}
    probes = [make_unit("22G1", **export), make_unit("42G1"), make_unit("22R1")]
    later = VesselVisitFactory(
        terminal=terminal, line=visit.line, eta=visit.eta + dt.timedelta(hours=2)
    )
    pool = [
        make_unit(
            rng.choice(["22G1", "42G1", "22R1"]),
            **export | {"outbound_visit": rng.choice([visit, later])},
            gross_weight_kg=rng.choice([None, 8000, 24000]),
        )
        for _ in range(40)
    ]

    def answer(unit):
        r = allocation_suggest(unit=unit, top=500)
        return [c.as_dict() for c in r.candidates], r.explanation, r.considered

    def cold(unit):
        saved = dict(allocation._STATE_CACHE)
        allocation._STATE_CACHE.clear()
        counting[0] = False
        try:
            return answer(unit)
        finally:
            counting[0] = True
            allocation._STATE_CACHE.clear()
            allocation._STATE_CACHE.update(saved)

    def tops():
        current = list(YardOccupancy.objects.filter(valid_to__isnull=True, block=dry))
        return [
            o
            for o in current
            if not any(
                p.row == o.row
                and p.tier == o.tier + 1
                and p.ground_from < o.ground_to
                and o.ground_from < p.ground_to
                for p in current
            )
        ]

    def change(step):
        what = rng.choice(["place", "place", "move", "remove", "unit", "visit"])
        outside = [u for u in pool if not YardOccupancy.objects.filter(unit=u, valid_to=None)]
        if what == "place" and outside:
            unit = rng.choice(outside)
            chosen = allocation_suggest(unit=unit).chosen
            if chosen:
                block = reefer_block if chosen.block == "R01" else dry
                place(unit, block, chosen.bay, chosen.row, chosen.tier)
        elif what in ("move", "remove") and tops():
            occ = rng.choice(tops())
            if what == "remove":
                services.yard_unit_remove(unit=occ.unit)
                return
            chosen = allocation_suggest(
                unit=occ.unit, exclude=frozenset({(dry.pk, occ.bay, occ.row, occ.tier + 1)})
            ).chosen
            if chosen and chosen.block == "A01":
                with contextlib.suppress(ApplicationError):  # e.g. onto its own stack
                    services.yard_unit_move(
                        unit=occ.unit, block=dry, bay=chosen.bay, row=chosen.row, tier=chosen.tier
                    )
        elif what == "unit":
            on_top = [o.unit for o in tops()] or pool  # a top box's group is what scores
            unit_update(unit=rng.choice(on_top), gross_weight_kg=rng.choice([5000, 15000, 30000]))
        elif what == "visit":  # the later visit now leaves before the probe's, or after it
            hours = rng.choice([-3, 3])
            vessel_visit_update(visit=later, eta=visit.eta + dt.timedelta(hours=hours))

    for probe in probes:
        assert answer(probe) == cold(probe)
    for step in range(30):
        change(step)
        for probe in probes:
            assert answer(probe) == cold(probe), f"stale after step {step}"

    # a change rolled back after it was seen, then another change that reaches the same seq
    spare = YardBlockFactory(terminal=terminal, name="W01", bays=2, rows=1, max_tier=1)
    sid = transaction.savepoint()
    place(make_unit("22G1", **export), spare, 1, 1, 1)
    assert "W01.01.1.1" not in {c["position"] for c in answer(probes[0])[0]}
    transaction.savepoint_rollback(sid)
    place(make_unit("22G1", **export), spare, 3, 1, 1)
    warm = answer(probes[0])
    assert warm == cold(probes[0])
    assert "W01.01.1.1" in {c["position"] for c in warm[0]}
    # the steps that only moved boxes or changed units were replayed from the events
    assert warm_loads[0] < 30
