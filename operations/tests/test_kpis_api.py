"""The KPI API: the list of figures, one endpoint per figure over a period, the period's
validation (errors name the field, with a stable code), staff-only access and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from operations import kpis
from operations.tests.test_kpis_figures import build_day

PERIOD = {"start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"}


@pytest.fixture
def day(terminal, line_a):
    return build_day(terminal, line_a)


def test_the_list_names_every_figure_with_its_formula_and_url(planner_client):
    response = planner_client.get("/api/v1/kpis/")

    assert response.status_code == 200
    body = response.json()
    assert [f["name"] for f in body] == [
        "crane-rate",
        "berth-productivity",
        "berth-utilisation",
        "yard-occupancy",
        "dwell",
        "truck-turn",
        "gate-transactions",
        "customs-clearance",
        "reefer-plugs",
    ]
    assert body[0]["url"] == "/api/v1/kpis/crane-rate/"
    assert body[0]["formula"].startswith("GCR = completed crane moves / crane working hours")


def test_a_figure_answers_with_its_tiles_rows_and_period(planner_client, day):
    response = planner_client.get("/api/v1/kpis/crane-rate/", PERIOD)

    assert response.status_code == 200
    body = response.json()
    assert (body["figure"], body["unit"], body["empty"]) == ("crane-rate", "moves/h", "")
    assert (body["start"], body["end"], body["at"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-03T00:00:00Z",
        "2026-03-03T00:00:00Z",
    )
    assert body["tiles"][0] == {
        "key": "gcr",
        "label": "Gross crane rate",
        "value": 18.95,
        "unit": "moves/h",
    }
    assert [(r["crane"], r["gcr"]) for r in body["rows"]] == [("QC01", 26.67), ("QC02", 12.0)]


@pytest.mark.parametrize("figure", list(kpis.FIGURES))
def test_every_figure_has_an_endpoint_with_a_bounded_number_of_queries(
    planner_client, day, figure, django_assert_max_num_queries
):
    # the session user and the terminal, then the figure's own few queries
    with django_assert_max_num_queries(7):
        response = planner_client.get(f"/api/v1/kpis/{figure}/", PERIOD)

    assert response.status_code == 200
    assert response.json()["figure"] == figure
    assert response.json()["empty"] == ""


def test_a_time_without_offset_is_the_terminals_local_time(planner_client, day):
    # The test terminal is in Europe/Amsterdam (UTC+1 in March).
    response = planner_client.get(
        "/api/v1/kpis/dwell/", {"start": "2026-03-02T01:00", "end": "2026-03-03"}
    )

    assert response.status_code == 200
    assert (response.json()["start"], response.json()["end"]) == (
        "2026-03-02T00:00:00Z",
        "2026-03-02T23:00:00Z",
    )


def test_an_unencoded_plus_offset_is_still_understood(planner_client, day):
    response = planner_client.get(
        "/api/v1/kpis/dwell/?start=2026-03-02T01:00:00+01:00&end=2026-03-03T00:00:00Z"
    )

    assert response.status_code == 200
    assert response.json()["start"] == "2026-03-02T00:00:00Z"


def test_without_a_period_the_last_24_hours_to_the_next_full_hour_are_shown(planner_client):
    before = timezone.now()
    response = planner_client.get("/api/v1/kpis/gate-transactions/")

    assert response.status_code == 200
    end = dt.datetime.fromisoformat(response.json()["end"])
    start = dt.datetime.fromisoformat(response.json()["start"])
    assert end - start == dt.timedelta(hours=24)
    assert (end.minute, end.second) == (0, 0)
    assert dt.timedelta(0) < end - before <= dt.timedelta(hours=1)
    assert len(response.json()["series"]) == 24


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"start": "yesterday", "end": "2026-03-03T00:00:00Z"}, "invalid_datetime", "start"),
        ({"start": "2026-03-02T00:00:00Z", "end": "2026-13-40T00:00"}, "invalid_datetime", "end"),
        ({"start": "2026-03-02T00:00:00Z", "end": "x" * 500}, "invalid_datetime", "end"),
        ({"start": "2026-03-02T25:00:00Z"}, "invalid_datetime", "start"),
        ({"end": "0001-01-01T00:00:00Z"}, "invalid_datetime", "end"),
        ({"start": "9999-12-31T23:00:00Z"}, "invalid_datetime", "start"),
        (
            {"start": "2026-03-03T00:00:00Z", "end": "2026-03-02T00:00:00Z"},
            "period_not_positive",
            "end",
        ),
        (
            {"start": "2026-03-02T00:00:00Z", "end": "2026-03-02T00:00:00Z"},
            "period_not_positive",
            "end",
        ),
        (
            {"start": "2026-01-01T00:00:00Z", "end": "2026-04-03T00:00:01Z"},
            "period_too_long",
            "end",
        ),
    ],
)
def test_a_bad_period_is_refused_naming_the_field(planner_client, params, code, field):
    response = planner_client.get("/api/v1/kpis/yard-occupancy/", params)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert field in body["message"]
    assert list(body["details"]) == [field]


def test_a_period_of_exactly_92_days_is_accepted(planner_client):
    response = planner_client.get(
        "/api/v1/kpis/yard-occupancy/",
        {"start": "2026-01-01T00:00:00Z", "end": "2026-04-03T00:00:00Z"},
    )

    assert response.status_code == 200
    assert len(response.json()["series"]) == 93  # daily samples and the period end


def test_an_unknown_figure_is_a_404_with_the_list_of_figures(planner_client):
    response = planner_client.get("/api/v1/kpis/happiness/", PERIOD)

    assert response.status_code == 404
    assert response.json()["code"] == "unknown_figure"
    assert "crane-rate" in response.json()["details"]["figure"][0]


def test_agents_of_a_line_may_not_read_the_terminal_kpis(agent_a_client, day):
    for url in ("/api/v1/kpis/", "/api/v1/kpis/crane-rate/"):
        response = agent_a_client.get(url, PERIOD)
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"


def test_anonymous_callers_must_authenticate(anon_client):
    response = anon_client.get("/api/v1/kpis/crane-rate/", PERIOD)

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_the_kpi_page_is_for_terminal_staff(client, planner, agent_a):
    planner.set_password("pw-kpi-2026")
    planner.save()
    client.force_login(agent_a)
    assert client.get("/kpis/").status_code == 403
    client.force_login(planner)
    page = client.get("/kpis/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="kpi-crane-rate"' in html
    assert "vendor/echarts/echarts.min.js" in html
    assert 'href="/kpis/"' in html  # the staff navigation links the page


def test_the_kpi_link_is_not_shown_to_agents(client, agent_a):
    client.force_login(agent_a)
    assert 'href="/kpis/"' not in client.get("/").content.decode()


def test_reading_figures_changes_nothing(planner_client, day):
    from operations.models import WorkOrder
    from tos.core.models import Event

    before = (WorkOrder.objects.count(), Event.objects.count())
    for figure in kpis.FIGURES:
        assert planner_client.get(f"/api/v1/kpis/{figure}/", PERIOD).status_code == 200
    assert (WorkOrder.objects.count(), Event.objects.count()) == before
