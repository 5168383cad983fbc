"""Downloads per visit (departure BAPLIE, COARRI) and the compact profile and plan reads."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from stowage import services
from stowage.models import ListEntry, PlanCell
from stowage.profile import layout_errors
from stowage.tests.conftest import BAPLIE
from tos import edi

pytestmark = pytest.mark.django_db


@pytest.fixture
def arrived(upload, euphrates_visit):
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 201, response.content
    return euphrates_visit


def _remain() -> set[tuple[str, str]]:
    return {(c.container_number, c.position) for c in PlanCell.objects.filter(move="remain")}


@pytest.mark.parametrize("version", ["2.2", "3.1"])
def test_the_departure_baplie_without_a_plan_is_the_arrival_minus_discharges_and_reads_back(
    planner_client, arrived, version
):
    response = planner_client.get(
        f"/api/v1/edi/vessel-visits/{arrived.pk}/baplie/", {"version": version}
    )
    assert response.status_code == 200
    assert response["X-TOS-Plan-Source"] == "arrival-minus-discharge"
    assert response["Content-Type"] == "application/edifact; charset=utf-8"
    plan, report = edi.read_baplie(response.content)
    assert report.ok, report.as_dict()
    assert report.errors == []
    assert plan.version == version
    assert plan.vessel.voyage == "0134"
    assert plan.vessel.imo == arrived.vessel.imo  # TDT names the vessel by IMO when known
    assert len(plan.units) == 296
    assert {(u.container, u.position.code) for u in plan.units} == _remain()
    by_number = {u.container: u for u in plan.units}
    for cell in PlanCell.objects.filter(move="remain")[:50]:
        unit = by_number[cell.container_number]
        assert (unit.pod, unit.operator) == (cell.pod, cell.operator)


def test_the_departure_baplie_comes_from_the_departure_plan_once_there_is_one(
    planner_client, planner, arrived
):
    ListEntry.objects.create(
        vessel_visit=arrived,
        kind="load",
        source="coprar",
        container_number="MSKU1234565",
        iso_type="22G1",
        pod="SGSIN",
        vgm_kg=20000,
        operator="LINA",
    )
    services.departure_plan_save(
        visit=arrived, by=planner, cells=[services.CellInput("MSKU1234565", 1, 0, 2)]
    )
    response = planner_client.get(f"/api/v1/edi/vessel-visits/{arrived.pk}/baplie/")
    assert response.status_code == 200
    assert response["X-TOS-Plan-Source"] == "departure-plan"
    plan, report = edi.read_baplie(response.content)
    assert report.ok
    assert [(u.container, u.position.code, u.pod, u.vgm_kg) for u in plan.units] == [
        ("MSKU1234565", "0010002", "SGSIN", 20000)
    ]


def test_the_coarri_lists_the_confirmed_discharges(planner_client, planner, arrived):
    cells = list(PlanCell.objects.filter(move="discharge").order_by("bay", "row", "tier")[:3])
    at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    confirmed = services.plan_moves_confirm(
        visit=arrived,
        kind="discharge",
        container_numbers=[c.container_number for c in cells],
        at=at,
        by=planner,
    )
    assert confirmed == 3
    response = planner_client.get(
        f"/api/v1/edi/vessel-visits/{arrived.pk}/coarri/", {"kind": "discharge"}
    )
    assert response.status_code == 200
    assert response["X-TOS-Moves"] == "3"
    moves, report = edi.read_coarri(response.content)
    assert report.ok, report.as_dict()
    assert moves.kind == "discharge"
    assert sorted((m.container, m.position.code) for m in moves.lines) == sorted(
        (c.container_number, c.position) for c in cells
    )
    load = planner_client.get(f"/api/v1/edi/vessel-visits/{arrived.pk}/coarri/", {"kind": "load"})
    assert load.status_code == 200
    assert load["X-TOS-Moves"] == "0"


def test_bad_download_parameters_name_the_parameter(planner_client, arrived):
    version = planner_client.get(
        f"/api/v1/edi/vessel-visits/{arrived.pk}/baplie/", {"version": "1.0"}
    )
    assert version.status_code == 400
    assert version.json()["details"] == {"version": ["2.2 or 3.1."]}
    kind = planner_client.get(f"/api/v1/edi/vessel-visits/{arrived.pk}/coarri/")
    assert kind.status_code == 400
    assert kind.json()["details"] == {"kind": ["discharge or load."]}


def test_an_agent_downloads_only_its_own_lines_visits(agent_a_client, agent_b_client, arrived):
    assert agent_a_client.get(f"/api/v1/edi/vessel-visits/{arrived.pk}/baplie/").status_code == 200
    for path in (
        "edi/vessel-visits/{}/baplie/",
        "edi/vessel-visits/{}/coarri/?kind=load",
        "stowage/vessel-visits/{}/profile/",
        "stowage/vessel-visits/{}/arrival-plan/",
    ):
        response = agent_b_client.get("/api/v1/" + path.format(arrived.pk))
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


def test_the_profile_api_gives_the_inferred_layout(planner_client, arrived):
    response = planner_client.get(f"/api/v1/stowage/vessel-visits/{arrived.pk}/profile/")
    assert response.status_code == 200
    body = response.json()
    assert (body["vessel_name"], body["source"], body["cells"]) == (
        "X-PRESS EUPHRATES",
        "baplie",
        904,
    )
    assert layout_errors(body["layout"]) == []
    bays = {b["bay"]: b for b in body["layout"]["bays"]}
    assert bays[1] == {"bay": 1, "pair": 2, "hatch": 2}
    stack = next(
        s for s in body["layout"]["stacks"] if (s["bay"], s["row"], s["deck"]) == (11, 3, True)
    )
    assert 82 in stack["tiers"]


def test_the_arrival_plan_api_is_compact(planner_client, arrived):
    response = planner_client.get(f"/api/v1/stowage/vessel-visits/{arrived.pk}/arrival-plan/")
    assert response.status_code == 200
    body = response.json()
    assert body["fields"][:4] == ["position", "container", "iso_type", "move"]
    assert len(body["cells"]) == 609
    first = dict(zip(body["fields"], body["cells"][0], strict=True))
    cell = PlanCell.objects.order_by("bay", "row", "tier").first()
    assert (first["position"], first["container"], first["move"]) == (
        cell.position,
        cell.container_number,
        cell.move,
    )
    missing = planner_client.get(f"/api/v1/stowage/vessel-visits/{arrived.pk}/departure-plan/")
    assert missing.status_code == 404
