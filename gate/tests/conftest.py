"""Fixtures of the gate tests: hauliers, a gate clerk, lanes, slots and pre-advised boxes."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from gate import services
from gate.choices import LaneDirection, TransactionType
from gate.models import GateLane
from tos.core.choices import OrganisationKind, Role, UnitCategory, UnitState
from tos.core.models import Organisation
from tos.core.tests.factories import ContainerFactory, UnitFactory, UserFactory, container_number

_numbers = itertools.count(700_000)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def this_hour() -> dt.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def haulier_org(db):
    return Organisation.objects.create(kind=OrganisationKind.HAULIER, name="Haul One", code="HA1")


@pytest.fixture
def haulier(terminal, haulier_org):
    return UserFactory(
        username="haulier1", role=Role.AGENT, organisation=haulier_org, terminal=terminal
    )


@pytest.fixture
def haulier2(terminal):
    org = Organisation.objects.create(kind=OrganisationKind.HAULIER, name="Haul Two", code="HA2")
    return UserFactory(username="haulier2", role=Role.AGENT, organisation=org, terminal=terminal)


@pytest.fixture
def clerk(terminal):
    return UserFactory(username="clerk", role=Role.GATE_CLERK, terminal=terminal)


@pytest.fixture
def haulier_client(haulier):
    return client_for(haulier)


@pytest.fixture
def haulier2_client(haulier2):
    return client_for(haulier2)


@pytest.fixture
def clerk_client(clerk):
    return client_for(clerk)


@pytest.fixture
def lane_in(terminal):
    return GateLane.objects.create(terminal=terminal, name="IN1", direction=LaneDirection.IN)


@pytest.fixture
def lane_out(terminal):
    return GateLane.objects.create(terminal=terminal, name="OUT1", direction=LaneDirection.OUT)


@pytest.fixture
def make_slot(terminal):
    def make(transaction_type=TransactionType.DROP_OFF_EXPORT, capacity=5, hours=0):
        return services.appointment_slot_set(
            terminal=terminal,
            starts_at=this_hour() + dt.timedelta(hours=hours),
            transaction_type=transaction_type,
            capacity=capacity,
        )

    return make


@pytest.fixture
def new_number():
    return lambda: container_number(next(_numbers), owner="GATU")


@pytest.fixture
def import_unit(terminal, line_a):
    """An import box of line A standing in the yard (position mirrored on the unit)."""

    def make():
        container = ContainerFactory(number=container_number(next(_numbers), owner="IMPU"))
        return UnitFactory(
            terminal=terminal,
            container=container,
            line=line_a,
            category=UnitCategory.IMPORT,
            state=UnitState.ON_TERMINAL,
            bl_ref="BL1",
        )

    return make


EXPORT_ADVICE = {
    "transaction_type": "drop_off_export",
    "line": "LINA",
    "iso_type": "22G1",
    "booking_ref": "BK100",
    "seals": ["SL1"],
    "vgm_kg": 21000,
}


@pytest.fixture
def advise_export(haulier_client, new_number, line_a):
    """Pre-advise an export drop-off through the API; overrides change the advised data."""

    def make(**overrides):
        body = EXPORT_ADVICE | {"container_number": new_number()} | overrides
        response = haulier_client.post("/api/v1/gate/pre-advices/", body, format="json")
        assert response.status_code == 201, response.json()
        return response.json()

    return make


@pytest.fixture
def book(haulier_client, make_slot):
    """Book an appointment (this hour unless ``hours`` says otherwise) and return its body."""

    def make(transaction_type=TransactionType.DROP_OFF_EXPORT, hours=0):
        slot = make_slot(transaction_type=transaction_type, hours=hours)
        response = haulier_client.post("/api/v1/gate/appointments/", {"slot": slot.pk})
        assert response.status_code == 201, response.json()
        return response.json()

    return make


@pytest.fixture
def gate_in(clerk_client, lane_in):
    keys = itertools.count(1)

    def post(containers, appointment="", plate="AB-12-CD", key=None):
        return clerk_client.post(
            "/api/v1/gate/truck-visits/gate-in/",
            {
                "lane": lane_in.name,
                "truck_plate": plate,
                "driver_name": "J. Driver",
                "appointment": appointment,
                "containers": containers,
            },
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or f"in-{next(keys)}",
        )

    return post


@pytest.fixture
def gate_out(clerk_client, lane_out):
    keys = itertools.count(1)

    def post(visit_id, key=None):
        return clerk_client.post(
            f"/api/v1/gate/truck-visits/{visit_id}/gate-out/",
            {"lane": lane_out.name},
            format="json",
            HTTP_IDEMPOTENCY_KEY=key or f"out-{next(keys)}",
        )

    return post
