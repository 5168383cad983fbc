"""The live control room in Chromium against the full ASGI app (daphne, Redis channel layer,
PostgreSQL): a move completed through the operations API advances the crane's counter and the
vessel's progress within a second; after the connection drops and moves happen meanwhile, the
counters converge to the server's. Read through the page's DOM hooks (``data-crane``/``data-done``
on each crane's counter, ``data-visit``/``data-done`` on each vessel's progress)."""

# ruff: noqa: F811  (the operations fixtures imported below are used as test arguments)
from __future__ import annotations

import json
import time
import uuid

import pytest
from rest_framework.authtoken.models import Token

from operations import selectors, services
from operations.models import Equipment
from operations.tests.conftest import scene  # noqa: F401  (fixture)
from tests.support import on_server
from tos.core.models import Terminal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIVE_WITHIN_MS = 1_000
#: Where the discharged boxes are put down (block A01, bay, row, tier).
YARD_SLOTS = [(3, 2, 1), (3, 3, 1), (7, 2, 1)]


def _working_call(scene) -> None:
    """QC01: two discharges in bay 02; QC02: a discharge and a load in bay 10; the call is
    alongside and its queues are built."""

    def build():
        scene.visit.phase = "working"
        scene.visit.save(update_fields=["phase"])
        scene.discharge_cell(2, 1, 84)
        scene.discharge_cell(2, 1, 82)
        scene.discharge_cell(10, 1, 82)
        scene.load_cell(10, 2, 82, yard=(5, 1, 1))
        services.work_orders_from_stowage(visit=scene.visit)
        services.crane_queues_build(visit=scene.visit)

    on_server(build)


def _complete_next(scene, crane: str, slot: tuple[int, int, int] | None, by) -> None:
    """The crane's driver takes its next move and completes it (on the server, as the equipment
    client would)."""

    def run():
        equipment = Equipment.objects.get(terminal=scene.terminal, name=crane)
        wo = services.dispatch_next(equipment=equipment, by=by)
        if wo.kind == "load":
            data = {"place": "vessel", "bay": wo.to_bay, "row": wo.to_row, "tier": wo.to_tier}
        else:
            data = {
                "place": "yard",
                "block": "A01",
                "bay": slot[0],
                "row": slot[1],
                "tier": slot[2],
            }
        position = services.position_parse(terminal_id=scene.terminal.pk, data=data)
        services.work_order_complete(work_order=wo, equipment=equipment, position=position, by=by)

    on_server(run)


def _open(page, server, user) -> None:
    user.set_password("pw-2026-x")
    user.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-2026-x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/operations/control-room/")
    page.wait_for_function(
        "window.controlRoom && window.controlRoom.ready && window.controlRoom.status === 'live'",
        timeout=15_000,
    )


def _counter(page, crane: str) -> tuple[str, str]:
    c = page.locator(f'.counter[data-crane="{crane}"]')
    return c.get_attribute("data-done"), c.get_attribute("data-total")


def test_a_move_completed_through_the_api_advances_the_crane_counter_and_vessel_progress(
    asgi_live_server, browser_page, operator, scene
):
    page, log = browser_page
    _working_call(scene)
    _open(page, asgi_live_server, operator)
    visit = scene.visit.pk
    assert _counter(page, "QC01") == ("0", "2")
    assert _counter(page, "QC02") == ("0", "2")
    assert page.locator(f'tr[data-visit="{visit}"]').get_attribute("data-done") == "0"
    assert page.text_content(f'.vessel-progress[data-visit="{visit}"]').startswith("0/4 moves")

    # A person clicks crane QC01 on the quay: its queue shows both moves of bay 02.
    page.click('[data-crane-marker="QC01"] .hit')
    page.wait_for_selector("#queue-title:has-text('Crane QC01')")
    assert page.locator("#queue tbody tr").count() == 2

    # QC01's driver takes the next move and completes it through the REST API.
    token = Token.objects.create(user=operator).key
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    base = f"{asgi_live_server}/api/v1/operations"
    qc1 = Equipment.objects.get(name="QC01").pk
    job = page.request.post(
        f"{base}/equipment/{qc1}/next/", headers=headers | {"Idempotency-Key": str(uuid.uuid4())}
    )
    assert job.status == 200, job.text()
    job_id = job.json()["job"]["id"]
    page.wait_for_function(f"window.controlRoom.crane('QC01').job === {job_id}")
    sent = time.time()
    done = page.request.post(
        f"{base}/work-orders/{job_id}/complete/",
        headers=headers | {"Idempotency-Key": str(uuid.uuid4())},
        data=json.dumps(
            {
                "equipment": qc1,
                "position": {"place": "yard", "block": "A01", "bay": 3, "row": 2, "tier": 1},
            }
        ),
    )
    assert done.status == 200, done.text()
    page.wait_for_selector('.counter[data-crane="QC01"][data-done="1"]', timeout=LIVE_WITHIN_MS)
    page.wait_for_selector(f'tr[data-visit="{visit}"][data-done="1"]', timeout=LIVE_WITHIN_MS)
    assert time.time() - sent < LIVE_WITHIN_MS / 1000 + 0.5  # the POST's own time included
    assert _counter(page, "QC01") == ("1", "2")
    assert _counter(page, "QC02") == ("0", "2")
    assert page.text_content(f'.vessel-progress[data-visit="{visit}"]').startswith(
        "1/4 moves · D 1/3 · L 0/1"
    )
    assert page.text_content('[data-crane-rate="QC01"]') == "1/h"
    assert page.locator("#queue tbody tr").count() == 1
    assert page.evaluate(f"window.controlRoom.vessel({visit})")["discharge"] == {
        "done": 1,
        "total": 3,
    }
    assert log.problems == []


def test_after_the_connection_drops_the_counters_converge_to_the_server(
    asgi_live_server, browser_page, operator, scene
):
    page, log = browser_page
    _working_call(scene)
    _complete_next(scene, "QC01", YARD_SLOTS[0], operator)
    _open(page, asgi_live_server, operator)
    assert _counter(page, "QC01") == ("1", "2")

    context = page.context
    context.set_offline(True)
    page.evaluate("window.__live.ws && window.__live.ws.close()")
    page.wait_for_function("window.controlRoom.status !== 'live'")
    page.wait_for_selector("#stale:not([hidden])")

    # Meanwhile QC01 finishes its queue and QC02 discharges and loads.
    _complete_next(scene, "QC01", YARD_SLOTS[1], operator)
    _complete_next(scene, "QC02", YARD_SLOTS[2], operator)
    _complete_next(scene, "QC02", None, operator)
    assert _counter(page, "QC01") == ("1", "2")  # still the old picture

    context.set_offline(False)
    seq = Terminal.objects.filter(pk=scene.terminal.pk).values_list("event_seq", flat=True).get()
    page.wait_for_function(
        f"window.controlRoom.status === 'live' && window.controlRoom.seq >= {seq}",
        timeout=15_000,
    )
    page.wait_for_selector('.counter[data-crane="QC02"][data-done="2"]')
    server = selectors.control_room_snapshot(terminal=scene.terminal)
    for crane in server["cranes"]:
        assert _counter(page, crane["name"]) == (str(crane["done"]), str(crane["total"]))
    assert [(c["name"], c["done"], c["total"]) for c in server["cranes"]] == [
        ("QC01", 2, 2),
        ("QC02", 2, 2),
    ]
    [vessel] = server["vessels"]
    shown = page.evaluate(f"window.controlRoom.vessel({scene.visit.pk})")
    assert (shown["done"], shown["total"], shown["discharge"], shown["load"]) == (
        vessel["done"],
        vessel["total"],
        vessel["discharge"],
        vessel["load"],
    )
    assert (vessel["done"], vessel["total"]) == (4, 4)
    assert page.evaluate("window.controlRoom.crane('QC02').movesLastHour") == 2
    page.wait_for_selector("#stale", state="hidden")
    assert page.inner_text("#conn").startswith("Live")
    assert [p for p in log.problems if "WebSocket connection to" not in p] == []
