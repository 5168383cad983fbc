"""Unit (container visit) services: the lifecycle, one active visit per container, closed units and
the live event each successful write records."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import IntegrityError, transaction

from tos.core import services
from tos.core.choices import UNIT_TRANSITIONS, PositionKind, UnitCategory, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Event, Organisation
from tos.core.tests.factories import ContainerFactory, UnitFactory, VesselVisitFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)

ALLOWED = sorted((a, b) for a, targets in UNIT_TRANSITIONS.items() for b in targets)
DISALLOWED = sorted(
    (a, b) for a, b in itertools.product(UnitState.values, repeat=2) if b not in UNIT_TRANSITIONS[a]
)


@pytest.fixture
def container(db):
    return ContainerFactory(number="CSQU3054383")


@pytest.fixture
def make_unit(terminal, line_a, container):
    """A unit of ``container`` put directly into ``state`` (arrange only; the services are what
    the tests exercise)."""

    def make(state=UnitState.ADVISED, **fields):
        if state in (UnitState.ON_TERMINAL, UnitState.OUTBOUND, UnitState.DEPARTED):
            fields.setdefault("time_in", T0)
        if state == UnitState.DEPARTED:
            fields.setdefault("time_out", T0 + dt.timedelta(days=2))
        if state in (UnitState.ON_TERMINAL, UnitState.OUTBOUND):
            fields.setdefault("position_kind", PositionKind.YARD)
            fields.setdefault("position_ref", "A01.12.03.2")
        return UnitFactory(
            terminal=terminal, container=container, line=line_a, state=state, **fields
        )

    return make


def _snapshot(unit: ContainerVisit) -> dict:
    row = ContainerVisit.objects.filter(pk=unit.pk).values().get()
    row.pop("updated_at")
    return row


# --- lifecycle --------------------------------------------------------------------------------


def test_the_transition_table_leaves_no_way_out_of_departed_or_cancelled():
    assert UNIT_TRANSITIONS[UnitState.DEPARTED] == frozenset()
    assert UNIT_TRANSITIONS[UnitState.CANCELLED] == frozenset()
    assert set(UNIT_TRANSITIONS) == set(UnitState.values)
    assert len(ALLOWED) + len(DISALLOWED) == len(UnitState.values) ** 2


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_unit_transition_succeeds_and_records_one_event(
    make_unit, line_a, source, target
):
    unit = make_unit(source)

    result = services.unit_transition(unit=unit, state=target, at=T0 + dt.timedelta(days=3))

    assert result.state == target
    unit.refresh_from_db()
    assert unit.state == target
    event = Event.objects.get()
    assert (event.type, event.topic, event.line_id) == ("unit.state_changed", "units", line_a.pk)
    assert event.payload["from"] == source
    assert event.payload["state"] == target
    assert event.payload["container"] == "CSQU3054383"


@pytest.mark.parametrize(("source", "target"), DISALLOWED)
def test_every_disallowed_unit_transition_is_refused_and_changes_nothing(
    make_unit, terminal, source, target
):
    unit = make_unit(source)
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(
            unit=unit, state=target, position_kind=PositionKind.YARD, position_ref="B02.01.01.1"
        )

    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409
    assert exc.value.details == {"state": [f"Not allowed from {source}."]}
    assert exc.value.message.startswith(f"CSQU3054383 cannot go from {source} to {target}; ")
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0
    terminal.refresh_from_db()
    assert terminal.event_seq == 0


def test_an_unknown_target_state_is_an_invalid_transition(make_unit):
    unit = make_unit(UnitState.ADVISED)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(unit=unit, state="teleported")

    assert (exc.value.code, exc.value.status) == ("invalid_transition", 409)
    unit.refresh_from_db()
    assert unit.state == UnitState.ADVISED


def test_arriving_on_terminal_stamps_time_in_and_sets_the_yard_position(make_unit):
    unit = make_unit(UnitState.INBOUND)

    services.unit_transition(
        unit=unit,
        state=UnitState.ON_TERMINAL,
        position_kind=PositionKind.YARD,
        position_ref="A01.12.03.2",
        at=T0,
    )

    unit.refresh_from_db()
    assert unit.time_in == T0
    assert unit.time_out is None
    assert (unit.position_kind, unit.position_ref, unit.position_visit) == (
        PositionKind.YARD,
        "A01.12.03.2",
        None,
    )


def test_coming_back_on_terminal_keeps_the_first_time_in(make_unit):
    unit = make_unit(UnitState.OUTBOUND, time_in=T0)

    services.unit_transition(unit=unit, state=UnitState.ON_TERMINAL, at=T0 + dt.timedelta(days=1))

    unit.refresh_from_db()
    assert unit.state == UnitState.ON_TERMINAL
    assert unit.time_in == T0


def test_departing_clears_the_position_and_sets_time_out(make_unit):
    unit = make_unit(UnitState.OUTBOUND, time_in=T0)
    left = T0 + dt.timedelta(days=4)

    services.unit_transition(
        unit=unit,
        state=UnitState.DEPARTED,
        position_kind=PositionKind.TRUCK,
        position_ref="AB-123-C",
        at=left,
    )

    unit.refresh_from_db()
    assert unit.state == UnitState.DEPARTED
    assert unit.time_in == T0
    assert unit.time_out == left
    assert (unit.position_kind, unit.position_ref, unit.position_visit_id) == (
        PositionKind.NONE,
        "",
        None,
    )


def test_departing_on_a_vessel_clears_the_vessel_visit_too(make_unit, terminal, line_a):
    visit = VesselVisitFactory(terminal=terminal, line=line_a)
    unit = make_unit(UnitState.OUTBOUND)

    services.unit_transition(
        unit=unit,
        state=UnitState.DEPARTED,
        position_kind=PositionKind.VESSEL,
        position_ref="0120482",
        position_visit=visit,
        at=T0 + dt.timedelta(days=1),
    )

    unit.refresh_from_db()
    assert (unit.position_kind, unit.position_ref, unit.position_visit_id) == (
        PositionKind.NONE,
        "",
        None,
    )


def test_a_vessel_position_without_a_visit_is_refused_and_changes_nothing(make_unit):
    unit = make_unit(UnitState.ON_TERMINAL)
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(
            unit=unit,
            state=UnitState.OUTBOUND,
            position_kind=PositionKind.VESSEL,
            position_ref="0120482",
        )

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0


def test_a_departure_before_the_arrival_is_refused_and_changes_nothing(make_unit):
    unit = make_unit(UnitState.OUTBOUND, time_in=T0)
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(unit=unit, state=UnitState.DEPARTED, at=T0 - dt.timedelta(hours=1))

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0


# --- one active visit per container -----------------------------------------------------------


def test_creating_a_unit_records_one_created_event(terminal, line_a, container):
    unit = services.unit_create(
        terminal=terminal, container=container, category=UnitCategory.IMPORT, line=line_a
    )

    assert unit.state == UnitState.ADVISED
    event = Event.objects.get()
    assert (event.type, event.topic, event.line_id, event.seq) == (
        "unit.created",
        "units",
        line_a.pk,
        1,
    )
    assert event.payload["id"] == unit.pk
    assert event.payload["container"] == "CSQU3054383"


@pytest.mark.parametrize(
    "state", [UnitState.ADVISED, UnitState.INBOUND, UnitState.ON_TERMINAL, UnitState.OUTBOUND]
)
def test_a_second_visit_is_refused_while_one_is_active(
    make_unit, terminal, line_a, container, state
):
    make_unit(state)

    with pytest.raises(ApplicationError) as exc:
        services.unit_create(
            terminal=terminal, container=container, category=UnitCategory.EXPORT, line=line_a
        )

    assert exc.value.code == "unit_already_active"
    assert exc.value.status == 409
    assert exc.value.message == "CSQU3054383 already has an active visit."
    assert exc.value.details == {"container": ["Already has an active visit."]}
    assert ContainerVisit.objects.count() == 1
    assert Event.objects.count() == 0


def test_the_database_refuses_a_second_active_visit_inserted_directly(make_unit, line_a):
    first = make_unit(UnitState.ON_TERMINAL)

    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        ContainerVisit.objects.create(
            terminal=first.terminal,
            container=first.container,
            category=UnitCategory.EXPORT,
            line=line_a,
            state=UnitState.ADVISED,
        )

    assert exc.value.__cause__.diag.constraint_name == "unit_one_active_visit_per_container"
    assert ContainerVisit.objects.count() == 1


@pytest.mark.parametrize("state", [UnitState.DEPARTED, UnitState.CANCELLED])
def test_a_container_whose_visit_is_closed_can_start_a_new_visit(
    make_unit, terminal, line_a, line_b, container, state
):
    old = make_unit(state)

    new = services.unit_create(
        terminal=terminal, container=container, category=UnitCategory.EXPORT, line=line_b
    )

    assert new.pk != old.pk
    assert new.state == UnitState.ADVISED
    assert list(
        ContainerVisit.objects.filter(container=container).order_by("pk").values_list("state")
    ) == [(state,), (UnitState.ADVISED,)]
    event = Event.objects.get()
    assert (event.type, event.line_id) == ("unit.created", line_b.pk)


def test_a_departed_unit_can_be_followed_by_a_new_visit_through_the_services(
    terminal, line_a, container
):
    unit = services.unit_create(
        terminal=terminal, container=container, category=UnitCategory.IMPORT, line=line_a
    )
    for state in (UnitState.ON_TERMINAL, UnitState.OUTBOUND, UnitState.DEPARTED):
        services.unit_transition(
            unit=unit, state=state, position_kind=PositionKind.YARD, position_ref="A01.01.01.1"
        )

    again = services.unit_create(
        terminal=terminal, container=container, category=UnitCategory.EMPTY, line=line_a
    )

    assert again.state == UnitState.ADVISED
    assert list(Event.objects.order_by("seq").values_list("seq", "type")) == [
        (1, "unit.created"),
        (2, "unit.state_changed"),
        (3, "unit.state_changed"),
        (4, "unit.state_changed"),
        (5, "unit.created"),
    ]


def test_a_unit_for_an_organisation_that_is_not_a_line_is_refused(terminal, agent_a, container):
    agent_org = agent_a.organisation

    with pytest.raises(ApplicationError) as exc:
        services.unit_create(
            terminal=terminal, container=container, category=UnitCategory.IMPORT, line=agent_org
        )

    assert (exc.value.code, exc.value.status) == ("invalid_line", 400)
    assert exc.value.details == {"line": ["Must be a shipping line."]}
    assert ContainerVisit.objects.count() == 0
    assert Event.objects.count() == 0
    assert Organisation.objects.get(pk=agent_org.pk).kind == "agent"


# --- updates ----------------------------------------------------------------------------------


def test_updating_a_unit_records_one_updated_event_naming_the_fields(make_unit, line_a):
    unit = make_unit(UnitState.ON_TERMINAL)

    services.unit_update(unit=unit, pod="BHBAH", booking_ref="BK123", seals=["SL-778812"])

    unit.refresh_from_db()
    assert (unit.pod, unit.booking_ref, unit.seals) == ("BHBAH", "BK123", ["SL-778812"])
    event = Event.objects.get()
    assert (event.type, event.line_id) == ("unit.updated", line_a.pk)
    assert event.payload["changed"] == ["booking_ref", "pod", "seals"]


@pytest.mark.parametrize("state", [UnitState.DEPARTED, UnitState.CANCELLED])
def test_updating_a_closed_unit_is_refused_and_changes_nothing(make_unit, state):
    unit = make_unit(state, pod="AEJEA")
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_update(unit=unit, pod="BHBAH")

    assert exc.value.code == "unit_closed"
    assert exc.value.status == 409
    assert exc.value.message == f"Unit {unit.pk} is {state}; it is history now."
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0


def test_updating_a_field_that_is_not_editable_is_refused_and_changes_nothing(make_unit):
    unit = make_unit(UnitState.ON_TERMINAL)
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_update(unit=unit, state=UnitState.DEPARTED, pod="BHBAH")

    assert (exc.value.code, exc.value.status) == ("unknown_field", 400)
    assert exc.value.details == {"state": ["Cannot be set here."]}
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0


def test_a_vgm_below_the_tare_is_refused_naming_the_field_and_changes_nothing(make_unit):
    unit = make_unit(UnitState.ON_TERMINAL)
    before = _snapshot(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_update(unit=unit, vgm_kg=1500)

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.details == {"vgm_kg": ["VGM 1500 kg is below the container's tare 2200 kg."]}
    assert _snapshot(unit) == before
    assert Event.objects.count() == 0


def test_event_sequence_numbers_are_contiguous_across_unit_services(make_unit, terminal):
    unit = make_unit(UnitState.ADVISED)

    services.unit_update(unit=unit, pod="BHKBS")
    with pytest.raises(ApplicationError):
        services.unit_transition(unit=unit, state=UnitState.DEPARTED)
    services.unit_transition(unit=unit, state=UnitState.INBOUND)

    assert list(Event.objects.order_by("seq").values_list("seq", "type")) == [
        (1, "unit.updated"),
        (2, "unit.state_changed"),
    ]
    terminal.refresh_from_db()
    assert terminal.event_seq == 2
