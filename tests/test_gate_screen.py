"""The live gate screen in Chromium: a truck goes through gate-in and gate-out through the API
(token auth, as an OCR portal would) while the screen follows the events; a refused gate-in shows
its reasons."""

# ruff: noqa: F811  (the gate fixtures imported below are used as test arguments)
from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest
from rest_framework.authtoken.models import Token

from gate import services
from gate.choices import TransactionType
from gate.models import TruckVisit
from gate.tests.conftest import (  # noqa: F401  (fixtures)
    clerk,
    haulier,
    haulier_org,
    lane_in,
    lane_out,
    make_slot,
    new_number,
    this_hour,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def api_post(server: str, token: str, path: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{server}{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read())


def _open_screen(page, server, operator) -> None:
    operator.set_password("pw-2026-x")
    operator.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", operator.username)
    page.fill("input[name=password]", "pw-2026-x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.goto(f"{server}/gate/")
    page.wait_for_function("window.__live && window.__live.status === 'live'", timeout=15000)


def test_a_truck_goes_in_and_out_while_the_gate_screen_follows_and_a_refusal_shows_why(
    asgi_live_server,
    browser_page,
    operator,
    clerk,
    haulier,
    line_a,
    lane_in,
    lane_out,
    make_slot,
    new_number,
    terminal,
):
    number = new_number()
    services.pre_advice_create(
        terminal=terminal,
        transaction_type=TransactionType.DROP_OFF_EXPORT,
        container_number=number,
        line=line_a,
        by=haulier,
        iso_type="22G1",
        booking_ref="BK100",
        seals=["SL1"],
        vgm_kg=21000,
    )
    appointment = services.appointment_book(slot=make_slot(), by=haulier, truck_plate="GT-01-IN")
    token = Token.objects.create(user=clerk).key
    page, log = browser_page
    _open_screen(page, asgi_live_server, operator)
    assert page.inner_text("#c-inside") == "0"
    assert page.inner_text("#inside") == "No truck in the terminal."

    # The truck reports at the pre-gate and queues.
    status, _ = api_post(
        asgi_live_server, token, f"/api/v1/gate/appointments/{appointment.pk}/arrive/", {}
    )
    assert status == 200
    page.wait_for_selector(f'#queue tr[data-appointment="{appointment.reference}"]', timeout=2000)
    assert page.inner_text("#c-queued") == "1"

    # Gate-in through the API: it is at the lane and in the terminal within a second.
    status, visit = api_post(
        asgi_live_server,
        token,
        "/api/v1/gate/truck-visits/gate-in/",
        {
            "lane": "IN1",
            "truck_plate": "GT-01-IN",
            "appointment": appointment.reference,
            "containers": [{"container_number": number, "seals": ["SL1"]}],
        },
    )
    answered = time.monotonic()
    assert (status, visit["status"]) == (201, "accepted")
    page.wait_for_selector('#inside tr[data-plate="GT-01-IN"]', timeout=1000)
    seen_after = time.monotonic() - answered
    assert seen_after < 1.0
    row = page.inner_text('#inside tr[data-plate="GT-01-IN"]')
    assert number in row
    assert "IN1" in row
    lane = page.locator('.gs-lane[data-lane="IN1"]')
    assert lane.get_attribute("data-state") == "accepted"
    assert lane.locator(".plate").inner_text() == "GT-01-IN"
    assert page.locator(f'#queue tr[data-appointment="{appointment.reference}"]').count() == 0
    assert page.inner_text("#c-inside") == "1"
    assert page.inner_text("#c-queued") == "0"
    # The turn time ticks.
    page.wait_for_function(
        "document.querySelector('#inside tr[data-plate=\"GT-01-IN\"] td.turn')"
        ".textContent !== '0 s'",
        timeout=3000,
    )

    # Gate-out: it leaves the terminal list and shows its turn time among the departures.
    status, out = api_post(
        asgi_live_server,
        token,
        f"/api/v1/gate/truck-visits/{visit['id']}/gate-out/",
        {"lane": "OUT1"},
    )
    assert (status, out["status"]) == (200, "departed")
    page.wait_for_selector('#departed tr[data-plate="GT-01-IN"]', timeout=1000)
    assert page.locator('#inside tr[data-plate="GT-01-IN"]').count() == 0
    turn = page.inner_text('#departed tr[data-plate="GT-01-IN"] td.turn-time')
    assert turn.endswith(" s") or "min" in turn
    assert page.locator('.gs-lane[data-lane="OUT1"]').get_attribute("data-state") == "departed"
    assert page.inner_text("#c-inside") == "0"
    assert page.inner_text("#c-transactions") == "2"

    # A truck without appointment and pre-advice is refused; the screen says why.
    status, refused = api_post(
        asgi_live_server,
        token,
        "/api/v1/gate/truck-visits/gate-in/",
        {
            "lane": "IN1",
            "truck_plate": "GT-02-NO",
            "containers": [{"container_number": new_number()}],
        },
    )
    assert (status, refused["status"]) == (201, "refused")
    item = page.locator('#refusals li[data-plate="GT-02-NO"]')
    item.wait_for(timeout=1000)
    text = item.inner_text()
    assert "The truck has no appointment." in text
    assert "has no pre-advice." in text
    assert page.locator('.gs-lane[data-lane="IN1"]').get_attribute("data-state") == "refused"
    assert page.inner_text("#c-refusals") == "1"
    assert page.inner_text("#c-transactions") == "3"
    page.screenshot(path="/tmp/gate_screen_test.png", full_page=True)
    assert log.problems == []


def test_a_clerk_gates_a_truck_in_and_out_by_hand_and_the_decisions_are_the_clerks(
    asgi_live_server,
    browser_page,
    operator,
    haulier,
    line_a,
    lane_in,
    lane_out,
    make_slot,
    new_number,
    terminal,
):
    number = new_number()
    services.pre_advice_create(
        terminal=terminal,
        transaction_type=TransactionType.DROP_OFF_EXPORT,
        container_number=number,
        line=line_a,
        by=haulier,
        iso_type="22G1",
        booking_ref="BK100",
        seals=["SL9"],
        vgm_kg=21000,
    )
    appointment = services.appointment_book(slot=make_slot(), by=haulier)
    page, log = browser_page
    _open_screen(page, asgi_live_server, operator)
    form = page.locator("#manual-in")
    form.locator("input[name=truck_plate]").fill("GT-03-MN")
    form.locator("input[name=appointment]").fill(appointment.reference)
    form.locator("input[name=container_number]").fill(number)
    form.locator("input[name=seals]").fill("SL8")
    form.locator("button").click()
    page.wait_for_selector("#clerk-result.bad")
    assert page.inner_text("#clerk-result") == (
        f"GT-03-MN refused: {number}: seals SL8 presented, SL9 pre-advised."
    )
    page.locator('#refusals li[data-plate="GT-03-MN"]').wait_for(timeout=2000)

    form.locator("input[name=seals]").fill("SL9")
    form.locator("button").click()
    page.wait_for_selector("#clerk-result.ok")
    assert page.inner_text("#clerk-result").startswith(f"GT-03-MN accepted: {number} → ")
    page.wait_for_selector('#inside tr[data-plate="GT-03-MN"]', timeout=2000)
    assert "clerk" in page.inner_text('#inside tr[data-plate="GT-03-MN"]')

    out = page.locator("#manual-out")
    out.locator("select[name=visit]").select_option(label="GT-03-MN")
    out.locator("button").click()
    page.wait_for_selector('#departed tr[data-plate="GT-03-MN"]', timeout=2000)
    assert "GT-03-MN out, turn time" in page.inner_text("#clerk-result")
    visits = list(
        TruckVisit.objects.filter(truck_plate="GT-03-MN")
        .order_by("pk")
        .values_list("status", "decided_by", "out_decided_by")
    )
    assert visits == [("refused", "clerk", ""), ("departed", "clerk", "clerk")]
    page.screenshot(path="/tmp/gate_screen_clerk.png", full_page=True)
    assert log.problems == []
