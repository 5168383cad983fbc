"""The database is the arbiter (DESIGN.md §5.3): these rules hold even when Python validation is
bypassed with ``create``, ``bulk_create`` or ``update``."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from tos.core.choices import HoldKind, PositionKind, UnitCategory, UnitState
from tos.core.models import Container, ContainerVisit, Event, Hold, SolverRun, VesselVisit
from tos.core.tests.factories import (
    ContainerFactory,
    TerminalFactory,
    UnitFactory,
    VesselFactory,
    VesselVisitFactory,
)

pytestmark = pytest.mark.django_db

ETA = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)


def _violated(exc_info) -> str:
    """The name of the constraint PostgreSQL reported."""
    return exc_info.value.__cause__.diag.constraint_name


def _container_fields(number: str) -> dict:
    return {
        "number": number,
        "iso_type": "22G1",
        "length_ft": 20,
        "height_mm": 2591,
        "type_group": "G",
        "teu": 1,
    }


@pytest.fixture
def container(db):
    return ContainerFactory(number="CSQU3054383")


@pytest.fixture
def visit(terminal, line_a):
    return VesselVisitFactory(terminal=terminal, line=line_a, eta=ETA)


# --- container number -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["csqu3054383", "CSQU305438", "CSQX3054383", "CS1U3054383", "CSQU 305438", "CSQU30543A3"],
)
def test_the_database_refuses_a_malformed_container_number(number):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Container.objects.create(**_container_fields(number))

    assert _violated(exc) == "container_number_format"
    assert Container.objects.count() == 0


def test_the_database_refuses_renaming_a_container_to_a_malformed_number(container):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Container.objects.filter(pk=container.pk).update(number="CSQU-305438")

    assert _violated(exc) == "container_number_format"
    assert Container.objects.get().number == "CSQU3054383"


def test_the_database_refuses_a_malformed_number_in_a_bulk_insert():
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Container.objects.bulk_create(
            [Container(**_container_fields("KOSU4954710")), Container(**_container_fields("X"))]
        )

    assert _violated(exc) == "container_number_format"
    assert Container.objects.count() == 0


def test_the_format_check_does_not_judge_the_check_digit():
    """The check digit is Python's job (real BAPLIEs carry bad ones, which are warned about)."""
    Container.objects.create(**_container_fields("GLDU2028920"))

    assert Container.objects.get().number == "GLDU2028920"


# --- one active visit per container -----------------------------------------------------------


@pytest.mark.parametrize(
    "state", [UnitState.ADVISED, UnitState.INBOUND, UnitState.ON_TERMINAL, UnitState.OUTBOUND]
)
def test_the_database_refuses_a_second_active_visit_of_a_container(
    terminal, line_a, container, state
):
    UnitFactory(terminal=terminal, line=line_a, container=container, state=UnitState.ADVISED)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.create(
            terminal=terminal,
            container=container,
            line=line_a,
            category=UnitCategory.EXPORT,
            state=state,
        )

    assert _violated(exc) == "unit_one_active_visit_per_container"
    assert ContainerVisit.objects.count() == 1


def test_the_database_refuses_two_active_visits_in_one_bulk_insert(terminal, line_a, container):
    rows = [
        ContainerVisit(terminal=terminal, container=container, line=line_a, category=category)
        for category in (UnitCategory.IMPORT, UnitCategory.EXPORT)
    ]

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.bulk_create(rows)

    assert _violated(exc) == "unit_one_active_visit_per_container"
    assert ContainerVisit.objects.count() == 0


def test_the_database_refuses_reopening_a_departed_visit_while_another_is_active(
    terminal, line_a, container
):
    old = UnitFactory(terminal=terminal, line=line_a, container=container, state="departed")
    UnitFactory(terminal=terminal, line=line_a, container=container, state=UnitState.ADVISED)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.filter(pk=old.pk).update(state=UnitState.ON_TERMINAL)

    assert _violated(exc) == "unit_one_active_visit_per_container"
    assert ContainerVisit.objects.get(pk=old.pk).state == UnitState.DEPARTED


def test_closed_visits_of_a_container_do_not_count_against_the_active_one(
    terminal, line_a, container
):
    for state in (UnitState.DEPARTED, UnitState.CANCELLED, UnitState.DEPARTED, UnitState.ADVISED):
        ContainerVisit.objects.create(
            terminal=terminal,
            container=container,
            line=line_a,
            category=UnitCategory.IMPORT,
            state=state,
        )

    assert ContainerVisit.objects.filter(container=container).count() == 4


# --- positions --------------------------------------------------------------------------------


def test_the_database_refuses_a_vessel_position_without_a_visit(terminal, line_a, container):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.create(
            terminal=terminal,
            container=container,
            line=line_a,
            category=UnitCategory.IMPORT,
            state=UnitState.INBOUND,
            position_kind=PositionKind.VESSEL,
            position_ref="0120482",
        )

    assert _violated(exc) == "unit_vessel_position_has_visit"
    assert ContainerVisit.objects.count() == 0


def test_the_database_refuses_moving_a_unit_onto_a_vessel_without_a_visit(
    terminal, line_a, container
):
    unit = UnitFactory(
        terminal=terminal,
        line=line_a,
        container=container,
        state=UnitState.ON_TERMINAL,
        position_kind=PositionKind.YARD,
        position_ref="A01.12.03.2",
    )

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.filter(pk=unit.pk).update(position_kind=PositionKind.VESSEL)

    assert _violated(exc) == "unit_vessel_position_has_visit"
    unit.refresh_from_db()
    assert unit.position_kind == PositionKind.YARD


def test_the_database_refuses_a_vessel_visit_on_a_yard_position(terminal, line_a, container, visit):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.create(
            terminal=terminal,
            container=container,
            line=line_a,
            category=UnitCategory.IMPORT,
            position_kind=PositionKind.YARD,
            position_visit=visit,
        )

    assert _violated(exc) == "unit_visit_only_for_vessel_position"
    assert ContainerVisit.objects.count() == 0


def test_a_vessel_position_with_its_visit_is_accepted(terminal, line_a, container, visit):
    ContainerVisit.objects.create(
        terminal=terminal,
        container=container,
        line=line_a,
        category=UnitCategory.IMPORT,
        position_kind=PositionKind.VESSEL,
        position_ref="0120482",
        position_visit=visit,
    )

    assert ContainerVisit.objects.get().position_visit == visit


# --- holds ------------------------------------------------------------------------------------


def test_the_database_refuses_a_hold_that_blocks_nothing(terminal, line_a, container):
    unit = UnitFactory(terminal=terminal, line=line_a, container=container)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Hold.objects.create(
            terminal=terminal,
            unit=unit,
            kind=HoldKind.CUSTOMS,
            reason="Nothing blocked",
            applied_at=ETA,
        )

    assert _violated(exc) == "hold_blocks_something"
    assert Hold.objects.count() == 0


def test_the_database_refuses_clearing_every_block_of_a_hold(terminal, line_a, container):
    unit = UnitFactory(terminal=terminal, line=line_a, container=container)
    hold = Hold.objects.create(
        terminal=terminal,
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks_gate_out=True,
        reason="Declaration not cleared",
        applied_at=ETA,
    )

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Hold.objects.filter(pk=hold.pk).update(blocks_gate_out=False)

    assert _violated(exc) == "hold_blocks_something"
    hold.refresh_from_db()
    assert hold.blocked_events == ["gate_out"]


def test_the_database_refuses_a_second_active_hold_of_the_same_kind_and_reference(
    terminal, line_a, container
):
    unit = UnitFactory(terminal=terminal, line=line_a, container=container)
    rows = [
        Hold(
            terminal=terminal,
            unit=unit,
            kind=HoldKind.CUSTOMS,
            blocks_gate_out=True,
            reason=reason,
            reference="MRN-1",
            applied_at=ETA,
        )
        for reason in ("First", "Second")
    ]

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Hold.objects.bulk_create(rows)

    assert _violated(exc) == "hold_one_active_per_unit_kind_reference"
    assert Hold.objects.count() == 0


# --- vessel visits ----------------------------------------------------------------------------


@pytest.mark.parametrize("etd", [ETA, ETA - dt.timedelta(minutes=1)])
def test_the_database_refuses_a_visit_whose_etd_is_not_after_its_eta(terminal, line_a, etd):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        VesselVisit.objects.create(
            terminal=terminal,
            vessel=VesselFactory(),
            line=line_a,
            reference="LINA-1",
            inbound_voyage="1W",
            outbound_voyage="1E",
            eta=ETA,
            etd=etd,
        )

    assert _violated(exc) == "vessel_visit_etd_after_eta"
    assert VesselVisit.objects.count() == 0


def test_the_database_refuses_moving_the_etd_onto_the_eta(visit):
    etd = visit.etd

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        VesselVisit.objects.filter(pk=visit.pk).update(etd=F("eta"))

    assert _violated(exc) == "vessel_visit_etd_after_eta"
    visit.refresh_from_db()
    assert visit.etd == etd


# --- events -----------------------------------------------------------------------------------


def test_the_database_refuses_a_second_event_with_the_same_sequence_number(terminal):
    Event.objects.create(terminal=terminal, seq=1, topic="units", type="unit.created")

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Event.objects.create(terminal=terminal, seq=1, topic="units", type="unit.updated")

    assert _violated(exc) == "event_seq_unique"
    assert list(Event.objects.values_list("seq", "type")) == [(1, "unit.created")]


def test_the_same_sequence_number_in_another_terminal_is_accepted(terminal):
    other = TerminalFactory(code="OTHER", name="Other Terminal")
    Event.objects.bulk_create(
        [
            Event(terminal=terminal, seq=1, topic="units", type="unit.created"),
            Event(terminal=other, seq=1, topic="units", type="unit.created"),
        ]
    )

    assert Event.objects.filter(seq=1).count() == 2


@pytest.mark.parametrize("seq", [0, -1])
def test_the_database_refuses_an_event_sequence_number_below_one(terminal, seq):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        Event.objects.create(terminal=terminal, seq=seq, topic="units", type="unit.created")

    assert _violated(exc) == "event_seq_positive"
    assert Event.objects.count() == 0


# --- solver runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("progress", [-0.01, 1.01, 2.0])
def test_the_database_refuses_solver_run_progress_outside_zero_to_one(terminal, progress):
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        SolverRun.objects.create(terminal=terminal, kind="berthing.bap", progress=progress)

    assert _violated(exc) == "solver_run_progress_0_1"
    assert SolverRun.objects.count() == 0


def test_the_database_refuses_pushing_solver_run_progress_past_one(terminal):
    run = SolverRun.objects.create(terminal=terminal, kind="berthing.bap", progress=0.9)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        SolverRun.objects.filter(pk=run.pk).update(progress=F("progress") + 0.2)

    assert _violated(exc) == "solver_run_progress_0_1"
    run.refresh_from_db()
    assert run.progress == 0.9


@pytest.mark.parametrize("progress", [0.0, 0.5, 1.0])
def test_solver_run_progress_at_the_bounds_is_accepted(terminal, progress):
    run = SolverRun.objects.create(terminal=terminal, kind="berthing.bap", progress=progress)

    assert SolverRun.objects.get(pk=run.pk).progress == progress
