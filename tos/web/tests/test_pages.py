"""Server-rendered pages: sign-in required, every module page renders, agents see only their
lines, and the dashboard renders whatever events exist."""

import pytest
from django.test import Client

from tos.core import services
from tos.core.tests.factories import UnitFactory, VesselVisitFactory

pytestmark = pytest.mark.django_db

PAGES = ["/", "/berthing/", "/yard/", "/stowage/", "/gate/", "/customs/", "/operations/"]


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_sends_a_signed_out_visitor_to_the_login_page(path):
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_for_a_planner(planner, terminal, line_a, path):
    VesselVisitFactory(terminal=terminal, line=line_a)
    assert _client_for(planner).get(path).status_code == 200


def test_the_dashboard_renders_events_of_every_shape(planner, terminal, line_a):
    unit = UnitFactory(terminal=terminal, line=line_a)
    services.hold_apply(unit=unit, kind="customs", blocks=["gate_out"], reason="check", by=planner)
    services.solver_run_enqueue(terminal=terminal, kind="core.worker_check", by=planner)

    response = _client_for(planner).get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "hold.applied" in body
    assert unit.container.number in body
    assert "solver_run.queued" in body
    assert "core.worker_check" in body


def test_an_agent_sees_only_its_own_lines_visits_on_the_berth_page(
    agent_a, terminal, line_a, line_b
):
    mine = VesselVisitFactory(terminal=terminal, line=line_a, reference="MINE-1")
    theirs = VesselVisitFactory(terminal=terminal, line=line_b, reference="THEIRS-1")

    body = _client_for(agent_a).get("/berthing/").content.decode()

    assert mine.reference in body
    assert theirs.reference not in body


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/berthing/planner/", "The berth planner is for terminal staff; lines use the API."),
        ("/yard/map/", "The yard map is for terminal staff; lines use the API."),
    ],
)
def test_an_agent_gets_a_page_saying_why_a_staff_page_is_closed(agent_a, path, reason):
    response = _client_for(agent_a).get(path)

    assert response.status_code == 403
    body = response.content.decode()
    assert reason in body
    assert 'href="/yard/map/"' not in body  # the navigation offers no staff-only page
    assert "Back to the dashboard" in body


def test_a_planner_finds_the_yard_map_in_the_navigation(planner):
    assert 'href="/yard/map/"' in _client_for(planner).get("/").content.decode()
