"""The KPI page in Chromium on the hand-made day of the KPI tests: the planner opens /kpis/ for
that day, sees the gross crane rate tile and a chart drawn for every figure, each formula as a
tooltip, and the empty states when the period holds nothing."""

from __future__ import annotations

import pytest

from operations import kpis
from operations.tests.test_kpis_figures import build_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = "start=2026-03-02T00:00:00Z&end=2026-03-03T00:00:00Z"


def _sign_in(page, server, user) -> None:
    user.set_password("pw-kpi-2026")
    user.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-kpi-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_a_planner_sees_the_crane_rate_tile_and_a_chart_per_figure_for_the_day(
    asgi_live_server, browser_page, planner, terminal, line_a
):
    build_day(terminal, line_a)
    page, log = browser_page
    _sign_in(page, asgi_live_server, planner)
    page.click("nav >> text=KPIs")
    page.wait_for_url(f"{asgi_live_server}/kpis/?start=*")  # the last 24 hours by default
    page.wait_for_function("document.getElementById('kpis').dataset.loaded === '1'")
    page.goto(f"{asgi_live_server}/kpis/?{DAY}")
    page.wait_for_function("document.getElementById('kpis').dataset.loaded === '1'")

    gcr = page.locator("#kpi-crane-rate .kpi-tile[data-key=gcr]")
    assert gcr.locator(".label").inner_text() == "Gross crane rate"
    assert gcr.locator(".value").inner_text() == "18.95 moves/h"
    assert (
        page.locator("#kpi-berth-utilisation .kpi-tile[data-key=utilisation] .value").inner_text()
        == "18.5 %"
    )
    assert (
        page.locator("#kpi-gate-transactions .kpi-tile[data-key=total] .value").inner_text() == "10"
    )
    for name in kpis.FIGURES:
        card = page.locator(f"#kpi-{name}")
        assert card.get_attribute("data-state") == "ready", name
        assert card.locator(".kpi-chart canvas").count() >= 1, name
        assert card.locator(".formula").get_attribute("title") == kpis.FIGURES[name].formula
    bars = page.evaluate("window.__kpis.charts['crane-rate'].getOption().series[0].data")
    assert bars == [26.67, 12.0]
    assert page.input_value("#start").startswith("2026-03-02")
    assert log.problems == []


def test_a_period_without_data_shows_what_is_missing_instead_of_a_chart(
    asgi_live_server, browser_page, planner, terminal, line_a
):
    build_day(terminal, line_a)
    page, log = browser_page
    _sign_in(page, asgi_live_server, planner)
    page.goto(f"{asgi_live_server}/kpis/?{DAY}")
    page.wait_for_function("document.getElementById('kpis').dataset.loaded === '1'")

    page.click("button[data-preset='24']")  # the last 24 hours: nothing happened then
    page.wait_for_function("document.getElementById('kpis').dataset.loaded === '2'")

    empty = page.locator("#kpi-crane-rate .kpi-empty")
    assert empty.inner_text() == "No completed crane moves in this period."
    assert page.locator("#kpi-crane-rate").get_attribute("data-state") == "empty"
    assert page.locator("#kpi-crane-rate .kpi-chart").is_hidden()
    assert page.locator("#kpi-crane-rate .kpi-tile[data-key=gcr] .value").inner_text() == "—"
    assert "start=" in page.url
    assert "2026-03-02" not in page.url
    assert log.problems == []


def test_an_agent_gets_no_kpi_page(asgi_live_server, browser_page, agent_a):
    page, _log = browser_page
    _sign_in(page, asgi_live_server, agent_a)
    assert page.locator("nav >> text=KPIs").count() == 0
    response = page.goto(f"{asgi_live_server}/kpis/")
    assert response.status == 403
