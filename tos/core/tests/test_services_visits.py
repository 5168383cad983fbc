"""Vessel visit services: phases and their ATA/ATD stamps, the agent's edit window, schedule
rules and the live event each successful write records."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from tos.core import services
from tos.core.choices import VISIT_TRANSITIONS, VisitPhase
from tos.core.errors import ApplicationError
from tos.core.models import Event, VesselVisit
from tos.core.tests.factories import VesselFactory, VesselVisitFactory

pytestmark = pytest.mark.django_db

ETA = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)
ETD = ETA + dt.timedelta(hours=30)
ATA = ETA + dt.timedelta(minutes=40)
ATD = ETA + dt.timedelta(hours=29)

ALLOWED = sorted((a, b) for a, targets in VISIT_TRANSITIONS.items() for b in targets)
DISALLOWED = sorted(
    (a, b)
    for a, b in itertools.product(VisitPhase.values, repeat=2)
    if b not in VISIT_TRANSITIONS[a]
)
_AFTER_ARRIVAL = (
    VisitPhase.ARRIVED,
    VisitPhase.WORKING,
    VisitPhase.COMPLETED,
    VisitPhase.DEPARTED,
    VisitPhase.CLOSED,
)


@pytest.fixture
def vessel(db):
    return VesselFactory(imo="9321483", name="EMMA MAERSK")


@pytest.fixture
def make_visit(terminal, line_a, vessel):
    """A visit put directly into ``phase`` with the stamps that phase implies (arrange only)."""

    def make(phase=VisitPhase.PLANNED, **fields):
        if phase in _AFTER_ARRIVAL:
            fields.setdefault("ata", ATA)
        if phase in (VisitPhase.DEPARTED, VisitPhase.CLOSED):
            fields.setdefault("atd", ATD)
        return VesselVisitFactory(
            terminal=terminal,
            vessel=vessel,
            line=line_a,
            reference="LINA-2611A",
            inbound_voyage="2611W",
            outbound_voyage="2611E",
            eta=ETA,
            etd=ETD,
            phase=phase,
            **fields,
        )

    return make


def _snapshot(visit: VesselVisit) -> dict:
    row = VesselVisit.objects.filter(pk=visit.pk).values().get()
    row.pop("updated_at")
    return row


# --- phases -----------------------------------------------------------------------------------


def test_the_phase_table_covers_every_phase_and_closed_and_cancelled_are_final():
    assert set(VISIT_TRANSITIONS) == set(VisitPhase.values)
    assert VISIT_TRANSITIONS[VisitPhase.CLOSED] == frozenset()
    assert VISIT_TRANSITIONS[VisitPhase.CANCELLED] == frozenset()


@pytest.mark.parametrize(("source", "target"), ALLOWED)
def test_every_allowed_visit_transition_succeeds_and_records_one_event(
    make_visit, line_a, source, target
):
    visit = make_visit(source)

    result = services.vessel_visit_transition(visit=visit, phase=target, at=ATD)

    assert result.phase == target
    visit.refresh_from_db()
    assert visit.phase == target
    event = Event.objects.get()
    assert (event.type, event.topic, event.line_id) == (
        "vessel_visit.phase_changed",
        "vessels",
        line_a.pk,
    )
    assert event.payload["from"] == source
    assert event.payload["phase"] == target
    assert event.payload["reference"] == "LINA-2611A"


@pytest.mark.parametrize(("source", "target"), DISALLOWED)
def test_every_disallowed_visit_transition_is_refused_and_changes_nothing(
    make_visit, source, target
):
    visit = make_visit(source)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_transition(visit=visit, phase=target, at=ATD)

    assert exc.value.code == "invalid_transition"
    assert exc.value.status == 409
    assert exc.value.details == {"phase": [f"Not allowed from {source}."]}
    assert exc.value.message.startswith(f"Visit LINA-2611A cannot go from {source} to {target}; ")
    assert _snapshot(visit) == before
    assert Event.objects.count() == 0


@pytest.mark.parametrize("source", [VisitPhase.PLANNED, VisitPhase.INBOUND])
def test_arrival_stamps_the_ata(make_visit, source):
    visit = make_visit(source)

    services.vessel_visit_transition(visit=visit, phase=VisitPhase.ARRIVED, at=ATA)

    visit.refresh_from_db()
    assert (visit.phase, visit.ata, visit.atd) == (VisitPhase.ARRIVED, ATA, None)


def test_arrival_without_a_time_stamps_now(make_visit):
    visit = make_visit(VisitPhase.INBOUND)

    services.vessel_visit_transition(visit=visit, phase=VisitPhase.ARRIVED)

    visit.refresh_from_db()
    assert visit.ata is not None
    assert abs((dt.datetime.now(dt.UTC) - visit.ata).total_seconds()) < 60


@pytest.mark.parametrize("source", [VisitPhase.ARRIVED, VisitPhase.COMPLETED])
def test_departure_stamps_the_atd_and_keeps_the_ata(make_visit, source):
    visit = make_visit(source)

    services.vessel_visit_transition(visit=visit, phase=VisitPhase.DEPARTED, at=ATD)

    visit.refresh_from_db()
    assert (visit.phase, visit.ata, visit.atd) == (VisitPhase.DEPARTED, ATA, ATD)


def test_working_and_completing_stamp_nothing(make_visit):
    visit = make_visit(VisitPhase.ARRIVED)

    services.vessel_visit_transition(visit=visit, phase=VisitPhase.WORKING, at=ATD)
    services.vessel_visit_transition(visit=visit, phase=VisitPhase.COMPLETED, at=ATD)

    visit.refresh_from_db()
    assert (visit.phase, visit.ata, visit.atd) == (VisitPhase.COMPLETED, ATA, None)
    assert Event.objects.count() == 2


def test_a_departure_before_the_arrival_is_refused_and_changes_nothing(make_visit):
    visit = make_visit(VisitPhase.COMPLETED)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_transition(
            visit=visit, phase=VisitPhase.DEPARTED, at=ATA - dt.timedelta(hours=1)
        )

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert _snapshot(visit) == before
    assert Event.objects.count() == 0


# --- the agent's edit window ------------------------------------------------------------------


@pytest.mark.parametrize("phase", [VisitPhase.PLANNED, VisitPhase.INBOUND])
def test_an_agent_may_change_the_schedule_before_arrival(make_visit, agent_a, line_a, phase):
    visit = make_visit(phase)
    new_etd = ETD + dt.timedelta(hours=6)

    services.vessel_visit_update(visit=visit, by=agent_a, etd=new_etd, service="AE7")

    visit.refresh_from_db()
    assert (visit.etd, visit.service) == (new_etd, "AE7")
    event = Event.objects.get()
    assert (event.type, event.line_id) == ("vessel_visit.updated", line_a.pk)
    assert event.payload["changed"] == ["etd", "service"]
    assert event.payload["by"] == "agent_a"


@pytest.mark.parametrize(
    "phase",
    [
        VisitPhase.ARRIVED,
        VisitPhase.WORKING,
        VisitPhase.COMPLETED,
        VisitPhase.DEPARTED,
        VisitPhase.CLOSED,
        VisitPhase.CANCELLED,
    ],
)
def test_an_agent_cannot_change_a_visit_once_it_has_arrived(make_visit, agent_a, phase):
    visit = make_visit(phase)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_update(visit=visit, by=agent_a, etd=ETD + dt.timedelta(hours=6))

    assert exc.value.code == "visit_locked"
    assert exc.value.status == 409
    assert exc.value.message == (
        f"Visit LINA-2611A is {phase}; only the terminal can change it now."
    )
    assert _snapshot(visit) == before
    assert Event.objects.count() == 0


def test_the_terminal_may_still_change_an_arrived_visit(make_visit, planner):
    visit = make_visit(VisitPhase.WORKING)
    new_etd = ETD + dt.timedelta(hours=2)

    services.vessel_visit_update(visit=visit, by=planner, etd=new_etd)

    visit.refresh_from_db()
    assert visit.etd == new_etd
    assert Event.objects.get().type == "vessel_visit.updated"


def test_an_update_that_changes_nothing_records_no_event(make_visit, planner):
    visit = make_visit(VisitPhase.PLANNED)

    services.vessel_visit_update(visit=visit, by=planner, etd=ETD, service="")

    assert Event.objects.count() == 0


# --- schedule rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("etd", [ETA, ETA - dt.timedelta(hours=1)])
def test_an_etd_not_after_the_eta_is_refused_on_update_and_changes_nothing(
    make_visit, planner, etd
):
    visit = make_visit(VisitPhase.PLANNED)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_update(visit=visit, by=planner, etd=etd)

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.details["etd"] == ["ETD must be after ETA."]
    assert _snapshot(visit) == before
    assert Event.objects.count() == 0


def test_an_etd_not_after_the_eta_is_refused_on_create_and_nothing_is_created(
    terminal, line_a, vessel
):
    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_create(
            terminal=terminal,
            vessel=vessel,
            line=line_a,
            reference="LINA-2611A",
            inbound_voyage="2611W",
            outbound_voyage="2611E",
            eta=ETA,
            etd=ETA,
        )

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.details["etd"] == ["ETD must be after ETA."]
    assert VesselVisit.objects.count() == 0
    assert Event.objects.count() == 0


def test_an_etb_outside_eta_and_etd_is_refused(make_visit, planner):
    visit = make_visit(VisitPhase.PLANNED)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_update(visit=visit, by=planner, etb=ETA - dt.timedelta(hours=1))

    assert (exc.value.code, exc.value.status) == ("validation_error", 400)
    assert exc.value.details["etb"] == ["ETB must be at or after ETA and before ETD."]
    assert _snapshot(visit) == before


def test_creating_a_visit_records_one_created_event(terminal, line_a, vessel, agent_a):
    visit = services.vessel_visit_create(
        terminal=terminal,
        vessel=vessel,
        line=line_a,
        by=agent_a,
        reference="LINA-2611A",
        inbound_voyage="2611W",
        outbound_voyage="2611E",
        eta=ETA,
        etd=ETD,
    )

    assert visit.phase == VisitPhase.PLANNED
    event = Event.objects.get()
    assert (event.type, event.topic, event.line_id, event.seq) == (
        "vessel_visit.created",
        "vessels",
        line_a.pk,
        1,
    )
    assert event.payload["vessel"] == "EMMA MAERSK"
    assert event.payload["by"] == "agent_a"


def test_a_visit_for_an_organisation_that_is_not_a_line_is_refused(terminal, vessel, agent_a):
    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_create(
            terminal=terminal,
            vessel=vessel,
            line=agent_a.organisation,
            reference="AGA-1",
            inbound_voyage="1W",
            outbound_voyage="1E",
            eta=ETA,
            etd=ETD,
        )

    assert (exc.value.code, exc.value.status) == ("invalid_line", 400)
    assert VesselVisit.objects.count() == 0
    assert Event.objects.count() == 0


def test_a_field_the_agent_may_not_set_is_refused(make_visit, agent_a):
    visit = make_visit(VisitPhase.PLANNED)
    before = _snapshot(visit)

    with pytest.raises(ApplicationError) as exc:
        services.vessel_visit_update(visit=visit, by=agent_a, phase=VisitPhase.ARRIVED)

    assert (exc.value.code, exc.value.status) == ("unknown_field", 400)
    assert _snapshot(visit) == before
    assert Event.objects.count() == 0
