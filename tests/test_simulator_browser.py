"""The control room and the yard map in Chromium while the simulator runs a small day at
``--speed max`` in a thread against the test server's database: a quay crane's move counter
goes up and the boxes loaded on board leave the yard map, live (no reload)."""

# ruff: noqa: F811  (fixtures imported below are used as test arguments)
from __future__ import annotations

import threading

import pytest
from django.db import connections

from berthing.models import BerthAssignment
from operations.simulator import Simulator, day_plan
from operations.tests.conftest import scene  # noqa: F401  (fixture)
from tests.support import on_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, server: str, user) -> None:
    user.set_password("pw-2026-x")
    user.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-2026-x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")


def test_the_control_room_counter_and_the_yard_map_advance_while_the_simulator_runs(
    asgi_live_server, browser_page, chromium, scene, operator
):
    page, log = browser_page
    boxes = 4
    yard_slots = []
    for i in range(boxes):
        bay, row = 1 + 2 * (i % 4), 1 + i // 4
        scene.discharge_cell(bay, row, 82)
        yard_slots.append((1 + 2 * i, 1, 1))
        scene.load_cell(bay, row, 84, yard=yard_slots[-1])
    start = BerthAssignment.objects.get(vessel_visit=scene.visit).berth_at
    plan = on_server(day_plan, terminal=scene.terminal, start=start, days=1, moves=100, by=operator)
    assert plan.counts["work_orders"] == 2 * boxes

    _sign_in(page, asgi_live_server, operator)
    page.goto(f"{asgi_live_server}/operations/control-room/")
    page.wait_for_function("window.controlRoom && window.controlRoom.ready", timeout=15_000)
    page.wait_for_selector('[data-crane="QC01"][data-done="0"]', state="attached", timeout=15_000)
    total = int(page.get_attribute('[data-crane="QC01"]', "data-total"))
    assert total >= 2

    yard = page.context.new_page()
    yard.goto(f"{asgi_live_server}/yard/map/")
    yard.wait_for_function(
        "window.yardMap && window.yardMap.ready && window.yardMap.status === 'live'",
        timeout=15_000,
    )
    on_map = [
        yard.evaluate(f"window.yardMap.boxAt('A01', {b}, {r}, {t})") for b, r, t in yard_slots
    ]
    assert all(on_map), on_map

    result: dict = {}

    def run() -> None:
        try:
            sim = Simulator(
                terminal=scene.terminal, plan=plan, seed=7, by=operator, speed=None, listen=False
            )
            result["report"] = sim.run()
        except BaseException as exc:  # surfaced by the assertion below
            result["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    page.wait_for_selector('[data-crane="QC01"][data-done="1"]', state="attached", timeout=60_000)
    page.wait_for_selector(
        f'[data-crane="QC01"][data-done="{total}"]', state="attached", timeout=120_000
    )
    for b, r, t in yard_slots:
        yard.wait_for_function(
            f"window.yardMap.boxAt('A01', {b}, {r}, {t}) === null", timeout=60_000
        )
    thread.join(120)
    assert "error" not in result, result.get("error")
    assert len(result["report"].moves) == 2 * boxes
    assert page.get_attribute('[data-crane="QC01"]', "data-done") == str(total)
    page.screenshot(path="/tmp/sim_control_room.png")
    yard.screenshot(path="/tmp/sim_yard_map.png")
    assert log.problems == []
