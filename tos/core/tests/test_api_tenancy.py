"""Tenant isolation of the kernel API as a matrix: line A's agent against line B's objects.

Detail routes answer 404 ``not_found`` (the same answer as for an id that does not exist), lists
never include B's objects and filters cannot reach them; the positive controls show that agent A
does see and work on its own objects through the same routes.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tos.core import services
from tos.core.choices import HoldKind, UnitCategory, VisitPhase
from tos.core.models import Container, ContainerVisit, Event, Hold, VesselVisit
from tos.core.tests.factories import ContainerFactory, VesselFactory, container_number

pytestmark = pytest.mark.django_db

NOT_FOUND = {"code": "not_found", "message": "Not found.", "details": {}}
MISSING_ID = 987654321


@pytest.fixture
def world(terminal, line_a, line_b, planner):
    """Two lines' worlds at one terminal, written through the services (so events exist)."""
    eta = timezone.now().replace(microsecond=0) + dt.timedelta(days=2)
    objects = {}
    for tag, line in (("a", line_a), ("b", line_b)):
        visit = services.vessel_visit_create(
            terminal=terminal,
            vessel=VesselFactory(),
            line=line,
            by=planner,
            reference=f"REF-{tag.upper()}",
            inbound_voyage=f"01{tag.upper()}W",
            outbound_voyage=f"01{tag.upper()}E",
            eta=eta,
            etd=eta + dt.timedelta(hours=30),
        )
        container = ContainerFactory(number=container_number(ord(tag), owner="TENU"))
        unit = services.unit_create(
            terminal=terminal,
            container=container,
            category=UnitCategory.IMPORT,
            line=line,
            by=planner,
            inbound_visit=visit,
            pod="NLRTM",
        )
        hold = services.hold_apply(
            unit=unit, kind=HoldKind.LINE, blocks=["gate_out"], reason="Freight unpaid", by=planner
        )
        objects[tag] = {"visit": visit, "container": container, "unit": unit, "hold": hold}
    return objects


def _snapshot() -> dict[str, object]:
    """Everything an agent's request could change: row counts and B's mutable fields."""
    return {
        "units": list(
            ContainerVisit.objects.order_by("pk").values_list(
                "pk", "state", "pod", "booking_ref", "updated_at"
            )
        ),
        "visits": list(
            VesselVisit.objects.order_by("pk").values_list(
                "pk", "phase", "reference", "service", "updated_at"
            )
        ),
        "holds": list(Hold.objects.order_by("pk").values_list("pk", "released_at", "reason")),
        "containers": Container.objects.count(),
        "events": Event.objects.count(),
    }


def _visit_body(visit: VesselVisit, **overrides) -> dict[str, object]:
    body = {
        "reference": visit.reference,
        "vessel": visit.vessel.imo,
        "line": "LINA",
        "service": "AE7",
        "inbound_voyage": visit.inbound_voyage,
        "outbound_voyage": visit.outbound_voyage,
        "eta": visit.eta.isoformat(),
        "etd": visit.etd.isoformat(),
    }
    return body | overrides


def _detail_requests(world):
    """(method, path, body) of every detail route, aimed at line B's objects."""
    b = world["b"]
    unit, visit, hold = b["unit"].pk, b["visit"].pk, b["hold"].pk
    return {
        "unit retrieve": ("get", f"/api/v1/units/{unit}/", None),
        "unit put": ("put", f"/api/v1/units/{unit}/", {"line": "LINA", "pod": "DEHAM"}),
        "unit patch": ("patch", f"/api/v1/units/{unit}/", {"booking_ref": "STOLEN"}),
        "unit transition": ("post", f"/api/v1/units/{unit}/transition/", {"state": "cancelled"}),
        "unit hold-check": ("get", f"/api/v1/units/{unit}/hold-check/?event=gate_out", None),
        "visit retrieve": ("get", f"/api/v1/vessel-visits/{visit}/", None),
        "visit put": (
            "put",
            f"/api/v1/vessel-visits/{visit}/",
            _visit_body(b["visit"], service="HIJACK"),
        ),
        "visit patch": ("patch", f"/api/v1/vessel-visits/{visit}/", {"service": "HIJACK"}),
        "visit transition": (
            "post",
            f"/api/v1/vessel-visits/{visit}/transition/",
            {"phase": "cancelled"},
        ),
        "hold retrieve": ("get", f"/api/v1/holds/{hold}/", None),
        "hold release": ("post", f"/api/v1/holds/{hold}/release/", {"note": "not mine"}),
        "container retrieve": ("get", f"/api/v1/containers/{b['container'].pk}/", None),
    }


DETAIL_ROUTES = [
    "unit retrieve",
    "unit put",
    "unit patch",
    "unit transition",
    "unit hold-check",
    "visit retrieve",
    "visit put",
    "visit patch",
    "visit transition",
    "hold retrieve",
    "hold release",
    "container retrieve",
]


def _send(client, method, path, body):
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


@pytest.mark.parametrize("route", DETAIL_ROUTES)
def test_line_a_agent_gets_not_found_on_every_detail_route_of_line_b_objects(
    route, world, agent_a_client
):
    method, path, body = _detail_requests(world)[route]
    before = _snapshot()

    response = _send(agent_a_client, method, path, body)

    assert response.status_code == 404, response.content
    assert response.json() == NOT_FOUND
    assert _snapshot() == before


@pytest.mark.parametrize("route", DETAIL_ROUTES)
def test_line_b_objects_answer_exactly_like_ids_that_do_not_exist(route, world, agent_a_client):
    method, path, body = _detail_requests(world)[route]
    b = world["b"]
    missing_path = path
    for obj in (b["unit"], b["visit"], b["hold"], b["container"]):
        missing_path = missing_path.replace(f"/{obj.pk}/", f"/{MISSING_ID}/")
    assert missing_path != path

    hidden = _send(agent_a_client, method, path, body)
    missing = _send(agent_a_client, method, missing_path, body)

    assert (hidden.status_code, hidden.json()) == (missing.status_code, missing.json())


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/units/", ["unit"]),
        ("/api/v1/units/?line=LINB", []),
        ("/api/v1/units/?line=LINA", ["unit"]),
        ("/api/v1/units/?vessel_visit={b[visit].pk}", []),
        ("/api/v1/units/?vessel_visit={a[visit].pk}", ["unit"]),
        ("/api/v1/units/?search={b[container].number}", []),
        ("/api/v1/units/?search={a[container].number}", ["unit"]),
        ("/api/v1/units/?container={b[container].number}", []),
        ("/api/v1/units/?pod=NLRTM", ["unit"]),
        ("/api/v1/units/?state=advised", ["unit"]),
        ("/api/v1/vessel-visits/", ["visit"]),
        ("/api/v1/vessel-visits/?line=LINB", []),
        ("/api/v1/vessel-visits/?vessel={b[visit].vessel.imo}", []),
        ("/api/v1/vessel-visits/?phase=planned", ["visit"]),
        ("/api/v1/holds/", ["hold"]),
        ("/api/v1/holds/?unit={b[unit].pk}", []),
        ("/api/v1/holds/?container={b[container].number}", []),
        ("/api/v1/holds/?active=true", ["hold"]),
        ("/api/v1/containers/", ["container"]),
        ("/api/v1/containers/?number={b[container].number}", []),
    ],
)
def test_line_a_agent_lists_and_filters_never_reach_line_b_objects(
    path, expected, world, agent_a_client
):
    kind = expected[0] if expected else None
    response = agent_a_client.get(path.format(a=world["a"], b=world["b"]))

    assert response.status_code == 200, response.content
    ids = [row["id"] for row in response.json()["results"]]
    assert ids == ([world["a"][kind].pk] if kind else [])
    assert response.json()["count"] == len(ids)


def test_the_planner_sees_both_lines_in_the_same_lists(world, planner_client):
    units = planner_client.get("/api/v1/units/?ordering=id").json()["results"]
    visits = planner_client.get("/api/v1/vessel-visits/").json()["results"]
    holds = planner_client.get("/api/v1/holds/").json()["results"]

    assert [u["id"] for u in units] == [world["a"]["unit"].pk, world["b"]["unit"].pk]
    assert sorted(v["id"] for v in visits) == [world["a"]["visit"].pk, world["b"]["visit"].pk]
    assert sorted(h["id"] for h in holds) == [world["a"]["hold"].pk, world["b"]["hold"].pk]


def test_line_a_agent_replays_only_its_own_lines_events(world, agent_a_client, line_a, terminal):
    own = list(
        Event.objects.filter(terminal=terminal, line=line_a)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert len(own) == 3  # visit created, unit created, hold applied
    assert Event.objects.filter(terminal=terminal).exclude(line=line_a).count() == 3

    response = agent_a_client.get("/api/v1/events/?after=0")

    assert response.status_code == 200
    body = response.json()
    assert [e["seq"] for e in body["results"]] == own
    assert {e["payload"].get("line") or e["payload"].get("container") for e in body["results"]} <= {
        "LINA",
        world["a"]["container"].number,
    }
    assert body["last_seq"] == 6
    assert body["has_more"] is False


def test_line_a_agent_sees_only_its_own_organisation_and_line(world, agent_a_client):
    response = agent_a_client.get("/api/v1/organisations/")

    assert response.status_code == 200
    assert sorted(o["code"] for o in response.json()["results"]) == ["AGA", "LINA"]


# --- positive controls ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "route",
    ["unit retrieve", "unit hold-check", "visit retrieve", "hold retrieve", "container retrieve"],
)
def test_line_a_agent_reads_its_own_objects_through_the_same_detail_routes(
    route, world, agent_a_client
):
    method, path, body = _detail_requests(world)[route]
    a = world["a"]
    own_path = path
    for tag in ("unit", "visit", "hold", "container"):
        own_path = own_path.replace(f"/{world['b'][tag].pk}/", f"/{a[tag].pk}/")

    response = _send(agent_a_client, method, own_path, body)

    assert response.status_code == 200, response.content
    if route == "unit hold-check":
        body = response.json()
        assert (body["unit"], body["allowed"]) == (a["unit"].pk, False)
        assert [h["id"] for h in body["blocking"]] == [a["hold"].pk]
    else:
        assert response.json()["id"] == a[route.split()[0]].pk


def test_line_a_agent_changes_and_cancels_its_own_visit(world, agent_a_client):
    visit = world["a"]["visit"]

    patched = agent_a_client.patch(
        f"/api/v1/vessel-visits/{visit.pk}/", {"service": "AE7"}, format="json"
    )
    cancelled = agent_a_client.post(
        f"/api/v1/vessel-visits/{visit.pk}/transition/", {"phase": "cancelled"}, format="json"
    )

    assert patched.status_code == 200, patched.content
    assert patched.json()["service"] == "AE7"
    assert cancelled.status_code == 200, cancelled.content
    assert cancelled.json()["phase"] == VisitPhase.CANCELLED
    visit.refresh_from_db()
    assert (visit.service, visit.phase) == ("AE7", VisitPhase.CANCELLED)


def test_line_a_agent_releases_its_own_line_hold_and_applies_a_new_one(world, agent_a_client):
    a = world["a"]

    released = agent_a_client.post(
        f"/api/v1/holds/{a['hold'].pk}/release/", {"note": "paid"}, format="json"
    )
    applied = agent_a_client.post(
        "/api/v1/holds/",
        {"unit": a["unit"].pk, "kind": "line", "blocks": ["loading"], "reason": "Docs missing"},
        format="json",
    )

    assert released.status_code == 200, released.content
    assert (released.json()["active"], released.json()["release_note"]) == (False, "paid")
    assert applied.status_code == 201, applied.content
    assert (applied.json()["unit"], applied.json()["blocks"]) == (a["unit"].pk, ["loading"])


def test_line_a_agent_cannot_apply_a_hold_to_line_b_unit(world, agent_a_client):
    unit_b = world["b"]["unit"]
    before = _snapshot()
    body = {"kind": "line", "blocks": ["gate_out"], "reason": "Sabotage"}

    hidden = agent_a_client.post("/api/v1/holds/", body | {"unit": unit_b.pk}, format="json")
    missing = agent_a_client.post("/api/v1/holds/", body | {"unit": MISSING_ID}, format="json")

    assert hidden.status_code == 400
    assert hidden.json() == {
        "code": "validation_error",
        "message": f"unit: no unit {unit_b.pk}.",
        "details": {"unit": [f"No unit {unit_b.pk}."]},
    }
    assert missing.json()["details"] == {"unit": [f"No unit {MISSING_ID}."]}
    assert _snapshot() == before


def test_line_a_agent_cannot_link_its_unit_to_line_b_visit(world, agent_a_client):
    """Agents do not write units at all, so the link to B's visit is refused before it is read."""
    unit_a = world["a"]["unit"]
    visit_b = world["b"]["visit"]
    before = _snapshot()

    response = agent_a_client.patch(
        f"/api/v1/units/{unit_a.pk}/", {"outbound_visit": visit_b.pk}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _snapshot() == before


def test_the_planner_cannot_link_a_unit_to_a_visit_that_does_not_exist(world, planner_client):
    unit_a = world["a"]["unit"]
    before = _snapshot()

    response = planner_client.patch(
        f"/api/v1/units/{unit_a.pk}/", {"outbound_visit": MISSING_ID}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["details"]) == ["outbound_visit"]
    assert _snapshot() == before


# --- what agents may not do at all ------------------------------------------------------------


def test_agents_cannot_create_units(world, agent_a_client):
    before = _snapshot()

    response = agent_a_client.post(
        "/api/v1/units/",
        {
            "container_number": container_number(555, owner="TENU"),
            "iso_type": "22G1",
            "category": "export",
            "line": "LINA",
        },
        format="json",
    )

    assert response.status_code == 403
    assert response.json() == {
        "code": "permission_denied",
        "message": "Only terminal staff may change this.",
        "details": {},
    }
    assert _snapshot() == before


def test_agents_cannot_change_their_own_units(world, agent_a_client):
    before = _snapshot()

    response = agent_a_client.patch(
        f"/api/v1/units/{world['a']['unit'].pk}/", {"booking_ref": "X"}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert _snapshot() == before


def test_an_agent_cannot_apply_for_a_visit_of_line_b(world, agent_a_client):
    before = _snapshot()
    eta = timezone.now() + dt.timedelta(days=3)

    response = agent_a_client.post(
        "/api/v1/vessel-visits/",
        {
            "reference": "REF-NEW",
            "vessel": VesselFactory().imo,
            "line": "LINB",
            "inbound_voyage": "77W",
            "outbound_voyage": "77E",
            "eta": eta.isoformat(),
            "etd": (eta + dt.timedelta(hours=20)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "validation_error",
        "message": "Invalid input. line: LINB is not one of the lines you represent.",
        "details": {"line": ["LINB is not one of the lines you represent."]},
    }
    assert _snapshot() == before


@pytest.mark.parametrize("method", ["put", "patch"])
def test_an_agent_cannot_move_its_own_visit_to_line_b(method, world, agent_a_client):
    visit = world["a"]["visit"]
    before = _snapshot()
    body = _visit_body(visit, line="LINB") if method == "put" else {"line": "LINB"}

    response = getattr(agent_a_client, method)(
        f"/api/v1/vessel-visits/{visit.pk}/", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["details"] == {"line": ["LINB is not one of the lines you represent."]}
    assert _snapshot() == before


def test_an_agent_applying_for_its_own_line_succeeds(world, agent_a_client, line_a):
    eta = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    vessel = VesselFactory()

    response = agent_a_client.post(
        "/api/v1/vessel-visits/",
        {
            "reference": "REF-NEW",
            "vessel": vessel.imo,
            "line": "LINA",
            "inbound_voyage": "77W",
            "outbound_voyage": "77E",
            "eta": eta.isoformat(),
            "etd": (eta + dt.timedelta(hours=20)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    visit = VesselVisit.objects.get(pk=response.json()["id"])
    assert (visit.line, visit.vessel, visit.reference) == (line_a, vessel, "REF-NEW")
