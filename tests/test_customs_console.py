"""The customs console in Chromium: an officer sees the held container at the top of the ranked
queue, reads the reasons, releases it with a reason; the queue and the unit's hold status update,
and a reading posted through the API appears live in the open case."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customs import services
from customs.models import Decision, InspectionCase
from tos.core.choices import HoldKind, Role, UnitCategory, UnitState
from tos.core.models import Hold
from tos.core.tests.factories import ContainerFactory, UnitFactory, UserFactory, container_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "pw-customs-2026"


def _unit(terminal, line, n):
    return UnitFactory(
        terminal=terminal,
        container=ContainerFactory(number=container_number(n, owner="CONU")),
        line=line,
        category=UnitCategory.IMPORT,
        state=UnitState.ON_TERMINAL,
        position_kind="yard",
        position_ref=f"B0{n % 9 + 1}.01.1.1",
        vgm_kg=24000,
        seals=["SEAL1"],
    )


def _reading(unit, kind, payload, ext, minutes_ago=5):
    return {
        "kind": kind,
        "container": unit.container.number,
        "sensor_id": f"{kind.upper()}-LANE-1",
        "external_id": ext,
        "taken_at": (timezone.now() - dt.timedelta(minutes=minutes_ago)).isoformat(),
        "payload": payload,
    }


def _lodge(terminal, unit, reference):
    return services.declaration_lodge(
        terminal=terminal,
        units=[unit],
        reference=reference,
        kind="import",
        declarant="Ceramica Export SA",
        consignee="Tiles BV",
        goods_description="ceramic floor tiles",
        hs_code="690721",
        origin_country="ES",
        declared_gross_kg=24000,
    )


def test_an_officer_releases_the_top_held_container_and_sees_a_reading_arrive_live(
    asgi_live_server, browser_page, terminal, line_a
):
    officer = UserFactory(username="officer1", role=Role.CUSTOMS_OFFICER, terminal=terminal)
    officer.set_password(PASSWORD)
    officer.save()
    api = APIClient()
    api.force_authenticate(officer)
    hot, door = _unit(terminal, line_a, 11), _unit(terminal, line_a, 12)
    _lodge(terminal, hot, "DEC-HOT-1")
    _lodge(terminal, door, "DEC-DOOR-1")
    posted = api.post(
        "/api/v1/customs/readings/",
        {
            "readings": [
                _reading(
                    hot,
                    "radiation",
                    {"gross_cps": 2400, "background_cps": 300, "gamma_spectrum": {"Cs137": 1900}},
                    "rpm-1",
                ),
                _reading(door, "seal", {"event": "door_open", "seal_number": "SEAL1"}, "seal-1"),
            ]
        },
        format="json",
    )
    assert posted.status_code == 201, posted.json()
    hot_case = InspectionCase.objects.get(unit=hot)

    page, log = browser_page
    page.goto(f"{asgi_live_server}/login/")
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{asgi_live_server}/")
    page.goto(f"{asgi_live_server}/customs/")
    page.wait_for_function("window.__live && window.__live.status === 'live'", timeout=15000)

    rows = page.locator("#queue tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert hot.container.number in rows.nth(0).inner_text()
    assert door.container.number in rows.nth(1).inner_text()

    page.click(f"#queue tr[data-case='{hot_case.pk}']")
    page.wait_for_selector("#models li.triggered[data-model=radiation]")
    reasons = page.inner_text("#models li.triggered[data-model=radiation]")
    assert "Cs137" in reasons
    assert f"INSP-{hot_case.pk}: blocks gate_out, loading, delivery" in page.inner_text("#holds")

    page.click("#decide button.release")  # no reason yet: refused in the page, nothing sent
    page.wait_for_selector("#message:has-text('Write a reason')")
    assert Decision.objects.filter(case=hot_case).count() == 0

    page.fill("#reason", "Handheld check: Cs-137 check source declared in the manifest")
    page.click("#decide button.release")
    page.wait_for_selector("#holds li.released")
    page.wait_for_function(f"!window.customsConsole.queue.some(c => c.id === {hot_case.pk})")
    assert rows.count() == 1
    assert door.container.number in rows.nth(0).inner_text()
    decision = Decision.objects.get(case=hot_case)
    assert (decision.officer, decision.action) == (officer, "release")
    assert decision.reason == "Handheld check: Cs-137 check source declared in the manifest"
    assert not Hold.objects.filter(unit=hot, kind=HoldKind.CUSTOMS, released_at=None).exists()

    door_case = InspectionCase.objects.get(unit=door)
    page.click(f"#queue tr[data-case='{door_case.pk}']")
    page.wait_for_function(f"window.customsConsole.selected === {door_case.pk}")
    page.wait_for_selector("#models li.triggered[data-model=seal_door]")
    before = page.evaluate("window.customsConsole.readings.length")
    # The lane's radiation portal posts a reading through the REST API of the running server.
    token = Token.objects.create(user=officer).key
    more = page.request.post(
        f"{asgi_live_server}/api/v1/customs/readings/",
        headers={
            "Authorization": f"Token {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": "rpm-2",
        },
        data=json.dumps(
            _reading(door, "radiation", {"gross_cps": 320, "background_cps": 300}, "rpm-2", 1)
        ),
    )
    assert more.status == 201
    page.wait_for_function(f"window.customsConsole.readings.length === {before + 1}")
    assert page.inner_text("#reading-count") == f"{before + 1} readings"
    page.screenshot(path="/tmp/customs_console.png", full_page=True)
    assert log.problems == []
