"""Fixtures of the customs tests: a customs officer, import boxes in the yard, a bulk lot and
helpers that lodge declarations and post readings through the API."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from customs import services
from tos.core.choices import OrganisationKind, Role, UnitCategory, UnitState
from tos.core.models import Organisation
from tos.core.tests.factories import (
    ContainerFactory,
    UnitFactory,
    UserFactory,
    VesselVisitFactory,
    container_number,
)

_numbers = itertools.count(400_000)
_refs = itertools.count(1)
_ids = itertools.count(1)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def officer(terminal):
    return UserFactory(username="officer", role=Role.CUSTOMS_OFFICER, terminal=terminal)


@pytest.fixture
def officer_client(officer):
    return client_for(officer)


@pytest.fixture
def operator_client(operator):
    return client_for(operator)


@pytest.fixture
def haulier(terminal):
    org = Organisation.objects.create(kind=OrganisationKind.HAULIER, name="Haul", code="HAUL")
    return UserFactory(username="haulier", role=Role.AGENT, organisation=org, terminal=terminal)


@pytest.fixture
def make_unit(terminal, line_a):
    """An import box (line A unless given) standing in the yard, VGM 24 t, seal SEAL1."""

    def make(line=None, state=UnitState.ON_TERMINAL, **fields):
        container = ContainerFactory(number=container_number(next(_numbers), owner="CUSU"))
        return UnitFactory(
            terminal=terminal,
            container=container,
            line=line or line_a,
            category=UnitCategory.IMPORT,
            state=state,
            bl_ref="BL-CUS-1",
            vgm_kg=fields.pop("vgm_kg", 24000),
            seals=fields.pop("seals", ["SEAL1"]),
            position_kind="yard" if state == UnitState.ON_TERMINAL else "none",
            position_ref="A01.01.1.1" if state == UnitState.ON_TERMINAL else "",
            **fields,
        )

    return make


def lodge(terminal, units, *, by=None, **overrides):
    """Lodge a consistent import declaration for ``units`` through the service."""
    fields = {
        "reference": f"DEC{next(_refs):05d}",
        "kind": "import",
        "declarant": "Ceramica Export SA",
        "consignee": "Tiles BV",
        "goods_description": "ceramic floor tiles",
        "hs_code": "690721",
        "origin_country": "ES",
        "declared_gross_kg": 24000 if len(units) == 1 else None,
        "bl_ref": "BL-CUS-1",
    } | overrides
    return services.declaration_lodge(terminal=terminal, units=units, by=by, **fields)


@pytest.fixture
def lodged(terminal, make_unit):
    """Lodge a declaration for one new unit; returns (declaration, unit)."""

    def make(**overrides):
        unit = make_unit()
        declaration = lodge(terminal, [unit], **overrides)
        unit.refresh_from_db()
        return declaration, unit

    return make


def reading(kind, *, container=None, lot=None, payload, minutes_ago=5, sensor=None, ext=None):
    """A reading body for the API."""
    body = {
        "kind": kind,
        "sensor_id": sensor or f"{kind.upper()}-1",
        "external_id": ext or f"r{next(_ids)}",
        "taken_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
        "payload": payload,
    }
    if container:
        body["container"] = container
    if lot:
        body["lot"] = lot
    return body


@pytest.fixture
def post_reading(officer_client):
    def post(body):
        return officer_client.post("/api/v1/customs/readings/", body, format="json")

    return post


@pytest.fixture
def iron_ore_lot(terminal, line_a):
    visit = VesselVisitFactory(terminal=terminal, line=line_a)
    lot = services.bulk_lot_create(
        terminal=terminal,
        reference="LOT-ORE-1",
        vessel_visit=visit,
        commodity="iron ore fines",
        declared_tonnage=Decimal("60000.0"),
        declared_composition={"Fe": 62.0, "SiO2": 4.5, "Al2O3": 2.3, "moisture": 8.5},
    )
    lodge(
        terminal,
        [],
        lots=[lot],
        reference="DEC-ORE-1",
        declarant="Vale SA",
        consignee="Steel Works BV",
        goods_description="iron ore fines",
        hs_code="260111",
        origin_country="BR",
        declared_gross_kg=60_000_000,
    )
    lot.refresh_from_db()
    return lot
