"""The demo terminal's yard: every box has its occupancy row and obeys every stacking rule."""

from __future__ import annotations

from collections import Counter

from tos.core.choices import PositionKind
from tos.core.demo import demo_seed
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit
from yard import services
from yard.allocation import allocation_suggest
from yard.models import YardOccupancy


def test_the_demo_yard_is_stacked_by_the_rules_and_matches_the_units_positions(db):
    demo_seed(seed=1)
    current = list(
        YardOccupancy.objects.filter(valid_to__isnull=True).select_related(
            "block", "unit__container", "unit__line"
        )
    )
    in_yard = ContainerVisit.objects.filter(position_kind=PositionKind.YARD)
    assert len(current) == in_yard.count() > 300
    assert {o.unit_id: o.ref for o in current} == dict(in_yard.values_list("pk", "position_ref"))
    sizes = Counter(o.size_ft for o in current)
    assert sizes[20] > 100
    assert sizes[40] > 100
    refusals = Counter()
    for occ in current:
        slot = services.slot_for(
            block=occ.block,
            bay=occ.bay,
            row=occ.row,
            tier=occ.tier,
            length_ft=occ.unit.container.length_ft,
        )
        try:
            services.check_slot(unit=occ.unit, slot=slot)
        except ApplicationError as exc:
            refusals[exc.code] += 1
    assert refusals == Counter()
    kinds = Counter(
        (o.block.kind, bool(o.unit.imdg_class), o.unit.container.type_group == "R") for o in current
    )
    assert kinds[("dangerous", True, False)] > 10
    assert kinds[("reefer", False, True)] > 10


def test_allocation_on_the_demo_yard_picks_a_slot_the_services_accept(db):
    demo_seed(seed=1)
    unit = ContainerVisit.objects.filter(position_kind=PositionKind.NONE, state="advised").first()
    result = allocation_suggest(unit=unit)
    chosen = result.chosen
    assert chosen is not None
    from yard.models import YardBlock

    services.yard_unit_place(
        unit=unit,
        block=YardBlock.objects.get(pk=chosen.block_id),
        bay=chosen.bay,
        row=chosen.row,
        tier=chosen.tier,
    )
    assert YardOccupancy.objects.get(unit=unit, valid_to__isnull=True).ref == chosen.ref
