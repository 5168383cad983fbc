"""The berth planner in Chromium: open it, press Optimise, watch the run finish through the real
Celery path and the vessels move; a drag goes through If-Match."""

# ruff: noqa: F811  (the berthing fixtures imported below are used as test arguments)
from __future__ import annotations

import datetime as dt
import re

import pytest

from berthing import services
from berthing.models import BerthAssignment, BerthPlan
from berthing.tests.conftest import base, cranes, make_visit, quay  # noqa: F401  (fixtures)
from tos.core.tests.test_celery_path import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker on the configured broker (no key prefix: the server process enqueues too)."""
    from tos.celery import app

    if not (app.conf.broker_url or "").startswith("redis"):
        pytest.skip("the planner's Optimise needs the Redis broker shared with the server")
    with running_worker(app) as outcomes:
        yield outcomes


def _open_planner(page, server, planner) -> None:
    planner.set_password("pw-2026-x")
    planner.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", planner.username)
    page.fill("input[name=password]", "pw-2026-x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")  # the dashboard loads before we leave it
    page.wait_for_load_state("networkidle")
    page.goto(f"{server}/berthing/planner/")
    page.wait_for_function("window.__live && window.__live.status === 'live'", timeout=15000)


def test_a_planner_optimises_and_sees_the_vessels_move_and_the_progress_finish(
    asgi_live_server,
    browser_page,
    planner,
    quay,
    cranes,
    make_visit,
    worker,
):
    for i, name in enumerate(["ALPHA", "BRAVO", "CHARLIE", "DELTA"]):
        make_visit(eta_h=2 + i, stay_h=30, loa=250, moves=500, name=name)
    page, log = browser_page
    _open_planner(page, asgi_live_server, planner)
    page.click("#new-draft")
    page.wait_for_selector("text=Draft v1 created")
    page.wait_for_function(
        "window.__planner.state.plan && window.__planner.state.plan.assignments.length === 4"
    )
    plan = BerthPlan.objects.get()
    before = page.evaluate(
        "window.__planner.state.plan.assignments.map(a => [a.visit.vessel, a.cranes.length])"
    )
    assert sorted(name for name, _ in before) == ["ALPHA", "BRAVO", "CHARLIE", "DELTA"]
    assert all(cranes == 0 for _, cranes in before)

    page.fill("#time-limit", "3")
    page.click("#optimise")
    page.wait_for_selector("#progress-text:has-text('Optimisation succeeded')", timeout=60000)
    page.wait_for_function(
        "window.__planner.state.plan.source === 'solver'"
        " && window.__planner.state.plan.assignments.every(a => a.cranes.length > 0)",
        timeout=15000,
    )
    assert page.inner_text("#conflicts") == "no conflicts"
    plan.refresh_from_db()
    assert plan.source == "solver"
    assert re.search(r"revision \d+", page.inner_text("#plan-title"))

    # Publishing makes it the quay's plan.
    page.click("#publish")
    page.wait_for_selector("text=is published")
    plan.refresh_from_db()
    assert plan.status == "published"
    assert log.problems == []


def test_a_planner_moves_a_vessel_with_the_keyboard_and_undoes_it(
    asgi_live_server, browser_page, planner, quay, cranes, make_visit
):
    make_visit(eta_h=6, stay_h=20, loa=250, moves=0, name="ECHO")
    page, log = browser_page
    _open_planner(page, asgi_live_server, planner)
    page.click("#new-draft")
    page.wait_for_function(
        "window.__planner.state.plan && window.__planner.state.plan.assignments.length === 1"
    )
    row = BerthAssignment.objects.get()
    berth_at, start_m = row.berth_at, row.start_m
    point = page.evaluate(
        """() => {
          const a = window.__planner.state.plan.assignments[0];
          const t = (Date.parse(a.berth_at) + Date.parse(a.depart_at)) / 2;
          const m = (a.start_m + a.end_m) / 2;
          return window.__planner.chart.convertToPixel({ gridIndex: 0 }, [t, m]);
        }"""
    )
    box = page.locator("#chart").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_selector("#details .nudge")

    def settled(expected_revision: int) -> None:
        page.wait_for_function(
            f"window.__planner.state.plan.revision === {expected_revision}"
            " && !window.__planner.state.busy"
        )
        row.refresh_from_db()

    revision = page.evaluate("window.__planner.state.plan.revision")
    page.keyboard.press("ArrowRight")
    settled(revision + 1)
    assert row.berth_at == berth_at + dt.timedelta(minutes=30)
    page.keyboard.press("ArrowDown")
    settled(revision + 2)
    assert row.start_m == start_m + 5
    page.keyboard.press("Control+z")
    settled(revision + 3)
    assert row.start_m == start_m
    page.click("[data-nudge='-1,0']")
    settled(revision + 4)
    assert (row.berth_at, row.start_m) == (berth_at, start_m)
    assert log.problems == []


def test_a_vessel_of_the_published_plan_shows_its_details_when_clicked(
    asgi_live_server, browser_page, planner, quay, cranes, make_visit
):
    make_visit(eta_h=6, stay_h=20, loa=250, moves=0, name="FOXTROT")
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    services.berth_plan_publish(plan=draft, user=planner, expected_revision=draft.revision)
    page, log = browser_page
    _open_planner(page, asgi_live_server, planner)
    page.wait_for_function(
        "window.__planner.state.plan && window.__planner.state.plan.status === 'published'"
    )
    point = page.evaluate(
        """() => {
          const a = window.__planner.state.plan.assignments[0];
          const t = (Date.parse(a.berth_at) + Date.parse(a.depart_at)) / 2;
          const m = (a.start_m + a.end_m) / 2;
          return window.__planner.chart.convertToPixel({ gridIndex: 0 }, [t, m]);
        }"""
    )
    box = page.locator("#chart").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])

    page.wait_for_selector("#details dl")
    assert "FOXTROT" in page.inner_text("#details")
    assert page.locator("#details .nudge").count() == 0  # a published plan is not edited here
    assert not log.problems
