"""The holds engine: ``unit_event_check`` answers "may event E happen to unit U", ``hold_apply`` /
``hold_release`` change holds, and ``unit_transition`` asks the engine at the moment of the move."""

from __future__ import annotations

import datetime as dt

import pytest

from tos.core import services
from tos.core.choices import HoldEvent, HoldKind, PositionKind, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Event, Hold
from tos.core.selectors import unit_event_check
from tos.core.tests.factories import ContainerFactory, UnitFactory, VesselVisitFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def unit(terminal, line_a):
    """An export box waiting in the yard for its vessel."""
    return UnitFactory(
        terminal=terminal,
        container=ContainerFactory(number="CSQU3054383"),
        line=line_a,
        state=UnitState.OUTBOUND,
        position_kind=PositionKind.YARD,
        position_ref="A01.12.03.2",
        time_in=T0,
    )


@pytest.fixture
def visit(terminal, line_a):
    return VesselVisitFactory(terminal=terminal, line=line_a, reference="LINA-2611A")


def _unit_row(unit: ContainerVisit) -> tuple:
    return (
        ContainerVisit.objects.filter(pk=unit.pk)
        .values_list("state", "position_kind", "position_ref", "position_visit", "time_out")
        .get()
    )


def _load(unit, visit):
    return services.unit_transition(
        unit=unit,
        state=UnitState.DEPARTED,
        position_kind=PositionKind.VESSEL,
        position_ref="0120482",
        position_visit=visit,
        at=T0 + dt.timedelta(days=1),
    )


# --- unit_event_check -------------------------------------------------------------------------


@pytest.mark.parametrize("event", HoldEvent.values)
def test_a_unit_without_holds_is_allowed_every_event(unit, event):
    decision = unit_event_check(unit=unit, event=event)

    assert decision.allowed is True
    assert decision.blocking == []
    assert decision.reasons == []
    assert (decision.unit_id, decision.event) == (unit.pk, event)


def test_a_customs_hold_on_gate_out_blocks_gate_out_but_not_loading(unit):
    hold = services.hold_apply(
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks=[HoldEvent.GATE_OUT],
        reason="Declaration not cleared",
        reference="24NL000123456789A1",
    )

    gate_out = unit_event_check(unit=unit, event=HoldEvent.GATE_OUT)
    loading = unit_event_check(unit=unit, event=HoldEvent.LOADING)

    assert gate_out.allowed is False
    assert gate_out.blocking == [hold]
    assert gate_out.reasons == ["Customs hold 24NL000123456789A1: Declaration not cleared"]
    assert loading.allowed is True
    assert loading.blocking == []


def test_several_holds_are_listed_in_the_order_they_were_applied_with_readable_reasons(unit):
    first = services.hold_apply(
        unit=unit, kind=HoldKind.LINE, blocks=["gate_out", "delivery"], reason="Freight unpaid"
    )
    second = services.hold_apply(
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks=["gate_out"],
        reason="Scan ordered",
        reference="SCAN-77",
    )
    third = services.hold_apply(
        unit=unit, kind=HoldKind.TERMINAL, blocks=["gate_out", "loading"], reason="Damaged door"
    )

    decision = unit_event_check(unit=unit, event=HoldEvent.GATE_OUT)

    assert decision.allowed is False
    assert [h.pk for h in decision.blocking] == [first.pk, second.pk, third.pk]
    assert decision.reasons == [
        "Line hold: Freight unpaid",
        "Customs hold SCAN-77: Scan ordered",
        "Terminal hold: Damaged door",
    ]
    assert [h.pk for h in unit_event_check(unit=unit, event="delivery").blocking] == [first.pk]
    assert [h.pk for h in unit_event_check(unit=unit, event="loading").blocking] == [third.pk]
    assert unit_event_check(unit=unit, event="discharge").allowed is True


def test_holds_applied_in_the_past_are_ordered_by_when_they_were_applied(unit):
    later = Hold.objects.create(
        terminal=unit.terminal,
        unit=unit,
        kind=HoldKind.LINE,
        blocks_gate_out=True,
        reason="Later",
        applied_at=T0 + dt.timedelta(hours=2),
    )
    earlier = Hold.objects.create(
        terminal=unit.terminal,
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks_gate_out=True,
        reason="Earlier",
        applied_at=T0,
    )

    decision = unit_event_check(unit=unit, event="gate_out")

    assert decision.blocking == [earlier, later]


def test_a_released_hold_no_longer_blocks(unit):
    hold = services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="Declaration not cleared"
    )

    services.hold_release(hold=hold, note="Cleared by customs")

    decision = unit_event_check(unit=unit, event="gate_out")
    assert decision.allowed is True
    assert decision.blocking == []


def test_a_hold_on_another_unit_does_not_block_this_one(unit, terminal, line_a):
    other = UnitFactory(
        terminal=terminal, container=ContainerFactory(number="KOSU4954710"), line=line_a
    )
    services.hold_apply(unit=other, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="X-ray")

    assert unit_event_check(unit=unit, event="gate_out").allowed is True
    assert unit_event_check(unit=other, event="gate_out").allowed is False


def test_the_engine_refuses_to_answer_for_an_unknown_event(unit):
    with pytest.raises(ValueError, match="unknown hold event 'teleport'"):
        unit_event_check(unit=unit, event="teleport")


# --- hold_apply / hold_release ----------------------------------------------------------------


def test_applying_a_hold_sets_its_blocks_and_records_one_event(unit, line_a, planner):
    hold = services.hold_apply(
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks=["gate_out", "loading", "gate_out"],
        reason="Declaration not cleared",
        reference="MRN-1",
        by=planner,
    )

    hold.refresh_from_db()
    assert hold.blocked_events == ["gate_out", "loading"]
    assert (hold.blocks_discharge, hold.blocks_delivery) == (False, False)
    assert hold.applied_by == planner
    assert hold.is_active is True
    event = Event.objects.get()
    assert (event.type, event.topic, event.line_id) == ("hold.applied", "holds", line_a.pk)
    assert event.payload == {
        "id": hold.pk,
        "unit": unit.pk,
        "container": "CSQU3054383",
        "kind": "customs",
        "blocks": ["gate_out", "loading"],
        "reason": "Declaration not cleared",
        "reference": "MRN-1",
        "active": True,
        "by": "planner",
    }


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        ([], "blocks must list one or more of gate_out, loading, discharge, delivery"),
        (
            ["gate_out", "customs"],
            "blocks must list one or more of gate_out, loading, discharge, delivery; "
            "unknown: customs",
        ),
        (
            ["GATE_OUT"],
            "blocks must list one or more of gate_out, loading, discharge, delivery; "
            "unknown: GATE_OUT",
        ),
    ],
)
def test_a_hold_that_blocks_nothing_known_is_refused(unit, blocks, message):
    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=blocks, reason="X")

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.message == message
    assert exc.value.details == {
        "blocks": ["One or more of gate_out, loading, discharge, delivery."]
    }
    assert Hold.objects.count() == 0
    assert Event.objects.count() == 0


def test_a_hold_of_unknown_kind_is_refused(unit):
    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(unit=unit, kind="harbour_master", blocks=["gate_out"], reason="X")

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.details == {"kind": ["Unknown hold kind."]}
    assert Hold.objects.count() == 0
    assert Event.objects.count() == 0


def test_a_hold_without_a_reason_is_refused(unit):
    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(unit=unit, kind=HoldKind.LINE, blocks=["gate_out"], reason="")

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert list(exc.value.details) == ["reason"]
    assert Hold.objects.count() == 0
    assert Event.objects.count() == 0


def test_a_duplicate_active_hold_is_refused(unit):
    services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="A", reference="MRN-1"
    )

    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(
            unit=unit, kind=HoldKind.CUSTOMS, blocks=["loading"], reason="B", reference="MRN-1"
        )

    assert (exc.value.code, exc.value.status) == ("duplicate", 409)
    assert exc.value.message == (
        "CSQU3054383 already has an active customs hold with reference MRN-1."
    )
    assert Hold.objects.count() == 1
    assert Event.objects.count() == 1


def test_a_duplicate_active_hold_without_reference_is_refused(unit):
    services.hold_apply(unit=unit, kind=HoldKind.LINE, blocks=["gate_out"], reason="A")

    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(unit=unit, kind=HoldKind.LINE, blocks=["gate_out"], reason="A")

    assert (exc.value.code, exc.value.status) == ("duplicate", 409)
    assert exc.value.message == "CSQU3054383 already has an active line hold."
    assert Hold.objects.count() == 1


def test_the_same_kind_with_another_reference_or_after_release_is_not_a_duplicate(unit):
    first = services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="A", reference="MRN-1"
    )
    services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="B", reference="MRN-2"
    )
    services.hold_release(hold=first)
    services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="C", reference="MRN-1"
    )

    assert Hold.objects.filter(released_at__isnull=True).count() == 2
    assert Hold.objects.count() == 3


@pytest.mark.parametrize("state", [UnitState.DEPARTED, UnitState.CANCELLED])
def test_a_unit_that_has_left_cannot_be_held(terminal, line_a, state):
    closed = UnitFactory(
        terminal=terminal,
        container=ContainerFactory(number="CSQU3054383"),
        line=line_a,
        state=state,
    )

    with pytest.raises(ApplicationError) as exc:
        services.hold_apply(unit=closed, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="X")

    assert (exc.value.code, exc.value.status) == ("unit_closed", 409)
    assert exc.value.message == f"CSQU3054383 has {state}; it cannot be held."
    assert Hold.objects.count() == 0
    assert Event.objects.count() == 0


def test_releasing_a_hold_stamps_it_and_records_one_event(unit, line_a, planner):
    hold = services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="X")

    services.hold_release(hold=hold, by=planner, note="Cleared")

    hold.refresh_from_db()
    assert hold.is_active is False
    assert hold.released_by == planner
    assert hold.release_note == "Cleared"
    assert hold.released_at >= hold.applied_at
    released = Event.objects.get(type="hold.released")
    assert released.line_id == line_a.pk
    assert released.payload["active"] is False
    assert Event.objects.count() == 2


def test_releasing_a_hold_twice_is_refused_and_changes_nothing(unit, planner):
    hold = services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="X")
    services.hold_release(hold=hold, note="Cleared")
    hold.refresh_from_db()
    released_at = hold.released_at

    with pytest.raises(ApplicationError) as exc:
        services.hold_release(hold=hold, by=planner, note="Again")

    assert (exc.value.code, exc.value.status) == ("already_released", 409)
    assert exc.value.message == (f"Hold {hold.pk} was released at {released_at:%Y-%m-%d %H:%M}.")
    hold.refresh_from_db()
    assert (hold.released_at, hold.released_by, hold.release_note) == (
        released_at,
        None,
        "Cleared",
    )
    assert Event.objects.filter(type="hold.released").count() == 1


# --- unit_transition asks the engine ------------------------------------------------------------


def test_loading_is_refused_while_a_loading_hold_is_active(unit, visit):
    hold = services.hold_apply(
        unit=unit, kind=HoldKind.TERMINAL, blocks=["loading"], reason="Lashing survey"
    )
    before = _unit_row(unit)
    events_before = Event.objects.count()

    with pytest.raises(ApplicationError) as exc:
        _load(unit, visit)

    assert exc.value.code == "held"
    assert exc.value.status == 409
    assert exc.value.message == "CSQU3054383: loading blocked by Terminal hold: Lashing survey"
    assert exc.value.details == {"holds": [hold.pk], "event": "loading"}
    assert _unit_row(unit) == before
    assert Event.objects.count() == events_before


def test_loading_is_allowed_once_the_loading_hold_is_released(unit, visit):
    hold = services.hold_apply(
        unit=unit, kind=HoldKind.TERMINAL, blocks=["loading"], reason="Lashing survey"
    )
    with pytest.raises(ApplicationError):
        _load(unit, visit)

    services.hold_release(hold=hold)
    _load(unit, visit)

    unit.refresh_from_db()
    assert unit.state == UnitState.DEPARTED
    assert Event.objects.filter(type="unit.state_changed").count() == 1


def test_a_gate_out_hold_does_not_stop_loading(unit, visit):
    services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="Import")

    _load(unit, visit)

    unit.refresh_from_db()
    assert unit.state == UnitState.DEPARTED


def test_a_gate_out_hold_stops_the_box_leaving_on_a_truck(unit):
    hold = services.hold_apply(
        unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="Declaration not cleared"
    )
    before = _unit_row(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(
            unit=unit,
            state=UnitState.DEPARTED,
            position_kind=PositionKind.TRUCK,
            position_ref="AB-123-C",
        )

    assert exc.value.code == "held"
    assert exc.value.details == {"holds": [hold.pk], "event": "gate_out"}
    assert _unit_row(unit) == before


def test_loading_from_a_terminal_tractor_is_checked_as_loading_not_gate_out(unit, visit):
    """The box waits on a terminal tractor under the crane (position truck) when it is loaded:
    the move is a loading, whatever it stood on before."""
    ContainerVisit.objects.filter(pk=unit.pk).update(
        position_kind=PositionKind.TRUCK, position_ref="TT-07"
    )
    hold = services.hold_apply(
        unit=unit, kind=HoldKind.TERMINAL, blocks=["loading"], reason="Lashing survey"
    )
    services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=["gate_out"], reason="Import")

    with pytest.raises(ApplicationError) as exc:
        _load(unit, visit)

    assert exc.value.code == "held"
    assert exc.value.details == {"holds": [hold.pk], "event": "loading"}
    unit.refresh_from_db()
    assert unit.state == UnitState.OUTBOUND


def test_a_discharge_hold_stops_the_box_coming_off_the_vessel(terminal, line_a, visit):
    inbound = UnitFactory(
        terminal=terminal,
        container=ContainerFactory(number="KOSU4954710"),
        line=line_a,
        state=UnitState.INBOUND,
        position_kind=PositionKind.VESSEL,
        position_ref="0120482",
        position_visit=visit,
    )
    hold = services.hold_apply(
        unit=inbound, kind=HoldKind.LINE, blocks=["discharge"], reason="Stay on board"
    )

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(
            unit=inbound,
            state=UnitState.ON_TERMINAL,
            position_kind=PositionKind.YARD,
            position_ref="A01.01.01.1",
        )

    assert exc.value.details == {"holds": [hold.pk], "event": "discharge"}
    inbound.refresh_from_db()
    assert (inbound.state, inbound.position_kind, inbound.position_visit_id) == (
        UnitState.INBOUND,
        PositionKind.VESSEL,
        visit.pk,
    )


def test_a_discharge_onto_a_terminal_tractor_is_checked_as_a_discharge(terminal, line_a, visit):
    inbound = UnitFactory(
        terminal=terminal,
        container=ContainerFactory(number="KOSU4954710"),
        line=line_a,
        state=UnitState.INBOUND,
        position_kind=PositionKind.VESSEL,
        position_ref="0120482",
        position_visit=visit,
    )
    hold = services.hold_apply(
        unit=inbound, kind=HoldKind.LINE, blocks=["discharge"], reason="Stay on board"
    )

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(
            unit=inbound,
            state=UnitState.ON_TERMINAL,
            position_kind=PositionKind.TRUCK,
            position_ref="TT-07",
        )

    assert exc.value.details == {"holds": [hold.pk], "event": "discharge"}
    inbound.refresh_from_db()
    assert inbound.state == UnitState.INBOUND


@pytest.mark.parametrize("blocked", ["gate_out", "loading", "delivery"])
@pytest.mark.parametrize("position_kind", [None, PositionKind.YARD, PositionKind.NONE])
def test_a_departure_by_an_unnamed_route_is_refused_while_any_departure_hold_is_active(
    unit, blocked, position_kind
):
    """Without a vessel, truck, gate or rail destination the engine cannot tell which event the
    departure is, so every hold that stops a box leaving applies."""
    hold = services.hold_apply(unit=unit, kind=HoldKind.CUSTOMS, blocks=[blocked], reason="X")
    before = _unit_row(unit)

    with pytest.raises(ApplicationError) as exc:
        services.unit_transition(unit=unit, state=UnitState.DEPARTED, position_kind=position_kind)

    assert exc.value.code == "held"
    assert exc.value.details == {"holds": [hold.pk], "event": blocked}
    assert _unit_row(unit) == before


def test_a_discharge_hold_does_not_stop_a_departure_by_an_unnamed_route(unit):
    services.hold_apply(unit=unit, kind=HoldKind.LINE, blocks=["discharge"], reason="X")

    services.unit_transition(unit=unit, state=UnitState.DEPARTED)

    unit.refresh_from_db()
    assert unit.state == UnitState.DEPARTED
