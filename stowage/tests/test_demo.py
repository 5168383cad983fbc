"""The stowage demo seed: every call at berth gets a vessel profile and an arrival plan received
as a BAPLIE, stowed bottom-up, from which the operations seed builds work orders and crane
queues. One demo terminal is seeded for the whole module and rolled back at the end."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from operations.demo import operations_demo_seed
from operations.models import CraneQueue, WorkOrder
from operations.selectors import control_room_snapshot
from stowage.demo import AT_BERTH, stowage_demo_seed
from stowage.models import EdiUpload, PlanCell, StowagePlan, VesselProfile
from stowage.profile import layout_errors
from tos.core.choices import PositionKind, UnitState
from tos.core.demo import DEMO_TERMINAL_CODE, demo_seed
from tos.core.models import ContainerVisit, Terminal, VesselVisit

pytestmark = pytest.mark.django_db

SEED = 3
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo terminal, its stowage and its operations, seeded once and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        demo_seed(seed=SEED, now=NOW)
        terminal = Terminal.objects.get(code=DEMO_TERMINAL_CODE)
        stowage = stowage_demo_seed(terminal=terminal, seed=SEED)
        work = operations_demo_seed(terminal=terminal)
        connection.check_constraints()
        yield terminal, stowage, work
        transaction.set_rollback(True)


@pytest.fixture
def terminal(seeded):
    return seeded[0]


@pytest.fixture
def at_berth(terminal):
    return list(VesselVisit.objects.filter(terminal=terminal, phase__in=AT_BERTH).order_by("pk"))


def _stacks(layout: dict) -> dict[tuple[int, int, bool], list[int]]:
    return {(s["bay"], s["row"], s["deck"]): s["tiers"] for s in layout["stacks"]}


def test_every_call_at_berth_gets_a_valid_profile_and_an_arrival_plan_from_a_baplie(
    seeded, at_berth
):
    _, stowage, _ = seeded
    assert len(at_berth) >= 2
    assert stowage["arrival_plans"] == len(at_berth)
    assert stowage["profiles"] == len(at_berth)
    for visit in at_berth:
        profile = VesselProfile.objects.get(vessel=visit.vessel)
        assert layout_errors(profile.layout) == []
        plan = StowagePlan.objects.get(vessel_visit=visit, kind="arrival")
        upload = EdiUpload.objects.get(pk=plan.source_upload_id)
        assert (upload.message_type, upload.vessel_visit_id) == ("BAPLIE", visit.pk)
        assert upload.filename == f"{visit.reference}-arrival.edi"
    assert stowage["cells"] == PlanCell.objects.filter(plan__vessel_visit__in=at_berth).count()


def test_every_box_aboard_for_this_port_has_a_cell_and_its_unit_points_at_it(at_berth):
    for visit in at_berth:
        units = ContainerVisit.objects.filter(
            inbound_visit=visit, state=UnitState.INBOUND, position_kind=PositionKind.VESSEL
        )
        cells = PlanCell.objects.filter(plan__vessel_visit=visit, plan__kind="arrival")
        assert units.count() == cells.count() > 0
        assert {(u.pk, u.position_ref) for u in units} == {(c.unit_id, c.position) for c in cells}
        assert set(cells.values_list("move", flat=True)) == {"discharge"}


def test_the_arrival_plans_fit_the_profile_with_nothing_floating_and_sizes_kept_apart(at_berth):
    for visit in at_berth:
        stacks = _stacks(VesselProfile.objects.get(vessel=visit.vessel).layout)
        cells = list(PlanCell.objects.filter(plan__vessel_visit=visit, plan__kind="arrival"))
        taken: dict[tuple[int, int, int], int] = {}  # 20' cell -> box length
        for c in cells:
            deck = c.tier >= 50
            if c.length_ft == 20:
                assert c.bay % 2 == 1, c.position
                halves = [c.bay]
            else:
                assert c.bay % 2 == 0, c.position
                assert deck or c.length_ft == 40, c.position  # 45' on deck only
                halves = [c.bay - 1, c.bay + 1]
            for bay in halves:
                assert c.tier in stacks[(bay, c.row, deck)], c.position
                assert (bay, c.row, c.tier) not in taken, c.position
                taken[(bay, c.row, c.tier)] = c.length_ft
        for (bay, row, tier), length in taken.items():
            tiers = stacks[(bay, row, tier >= 50)]
            below = tiers.index(tier) - 1
            if below >= 0:
                assert taken.get((bay, row, tiers[below])) == length, (bay, row, tier)


def test_the_operations_seed_then_has_work_orders_and_crane_queues_in_the_control_room(
    seeded, terminal, at_berth
):
    _, _, work = seeded
    discharge = PlanCell.objects.filter(plan__vessel_visit__in=at_berth, move="discharge")
    orders = WorkOrder.objects.filter(vessel_visit__in=at_berth, kind="discharge")
    assert orders.count() == discharge.count()
    assert work["crane_queues"] == CraneQueue.objects.filter(vessel_visit__in=at_berth).count()
    assert work["crane_queues"] >= 2 * len(at_berth)
    queues = CraneQueue.objects.filter(vessel_visit__in=at_berth)
    assert WorkOrder.objects.filter(crane_queue__in=queues).count() == discharge.count()
    snapshot = control_room_snapshot(terminal=terminal, now=NOW)
    working = [c for c in snapshot["cranes"] if c["vessel_visit"] in {v.pk for v in at_berth}]
    assert len(working) >= 4
    assert all(c["total"] > 0 and c["done"] == 0 for c in working)
    assert {v["vessel_visit"] for v in snapshot["vessels"]} == {v.pk for v in at_berth}


def test_seeding_the_stowage_again_changes_nothing(terminal):
    before = (
        VesselProfile.objects.count(),
        StowagePlan.objects.count(),
        PlanCell.objects.count(),
        EdiUpload.objects.count(),
    )

    again = stowage_demo_seed(terminal=terminal, seed=SEED)

    assert again == {"profiles": 0, "arrival_plans": 0, "cells": 0}
    after = (
        VesselProfile.objects.count(),
        StowagePlan.objects.count(),
        PlanCell.objects.count(),
        EdiUpload.objects.count(),
    )
    assert after == before


def test_transhipment_boxes_are_discharged_here_and_keep_their_onward_port(at_berth, terminal):
    here = terminal.locode
    cells = PlanCell.objects.filter(
        plan__vessel_visit__in=at_berth, unit__category="transhipment"
    ).select_related("unit")
    assert cells.count() > 0
    for cell in cells:
        assert (cell.move, cell.pod) == ("discharge", here)
        assert cell.final_destination == cell.unit.pod != here
