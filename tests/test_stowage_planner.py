"""The bay plan page in Chromium: import a BAPLIE through the stowage page, open the visit's bay
plan, press Plan (the real planner on the real Celery path) and see the bay views fill with the
loaded boxes; drag a box onto a cell it may not go to (refused with the reasons, nothing
changes), then to a good one (moved), and undo."""

from __future__ import annotations

import os

import pytest

from stowage import services
from stowage.models import PlanCell, StowagePlan
from stowage.tests.plan_support import baplie, feeder_call
from tests.support import on_server
from tos.core.tests.test_celery_path import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    """A worker on the configured broker (the server process enqueues the run)."""
    from tos.celery import app

    if not (app.conf.broker_url or "").startswith("redis"):
        pytest.skip("the Plan button needs the Redis broker shared with the server")
    with running_worker(app) as outcomes:
        yield outcomes


def _sign_in(page, server, user) -> None:
    user.set_password("pw-2026-x")
    user.save()
    page.goto(f"{server}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", "pw-2026-x")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/")
    page.wait_for_load_state("networkidle")


def _shot(page, name: str) -> None:
    """A screenshot under ``TOS_SCREENSHOT_DIR`` when it is set (to look at the page)."""
    folder = os.environ.get("TOS_SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _centre(page, selector: str) -> tuple[float, float]:
    box = page.locator(selector).first.bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def _drag(page, source: str, target: str) -> None:
    page.mouse.move(*_centre(page, source))
    page.mouse.down()
    x, y = _centre(page, target)
    page.mouse.move(x - 6, y - 3, steps=8)
    page.mouse.move(x, y, steps=4)


def test_a_planner_imports_a_baplie_plans_the_call_and_sees_the_bay_views_filled(
    asgi_live_server, browser_page, planner, terminal, line_a, worker
):
    call = feeder_call(terminal=terminal, line=line_a)
    page, log = browser_page
    _sign_in(page, asgi_live_server, planner)

    # Import the arrival BAPLIE through the stowage page.
    page.goto(f"{asgi_live_server}/stowage/")
    page.set_input_files(
        "input[name=file]",
        {"name": "tf11.edi", "mimeType": "text/plain", "buffer": baplie(locode=terminal.locode)},
    )
    page.select_option("select[name=vessel_visit]", str(call.visit.pk))
    page.click("#edi-upload button[type=submit]")
    page.wait_for_selector("text=Received as upload")

    # The visit's bay plan: the arrival boxes in the bay sections.
    page.click(f"a[href='/stowage/visits/{call.visit.pk}/']")
    page.wait_for_function("window.__live && window.__live.status === 'live'", timeout=15000)
    page.wait_for_selector("#bays svg rect.box")
    assert page.locator("#bays rect.box").count() == 5
    assert page.locator(".sp-bay h3").all_inner_texts() == ["Bay 01 (02)", "Bay 03 (02)", "Bay 05"]
    assert page.get_attribute("#show-arrival", "aria-pressed") == "true"

    # Plan: progress, then the departure plan with the loaded boxes.
    page.fill("#time-limit", "3")
    page.click("#plan")
    page.wait_for_selector("#progress-text:has-text('Planning succeeded')", timeout=60000)
    page.wait_for_function(
        "window.__stowage.plans.departure && window.__stowage.kind === 'departure'"
    )
    assert page.get_attribute("#show-departure", "aria-pressed") == "true"
    plan = StowagePlan.objects.get(vessel_visit=call.visit, kind="departure")
    loads = set(
        PlanCell.objects.filter(plan=plan, move="load").values_list("container_number", flat=True)
    )
    assert loads == {call.loads["L1"], call.loads["L2"], call.loads["L3"]}
    for number in loads:
        assert page.locator(f"#bays rect.box[data-box='{number}']").count() >= 1
    # 4 boxes stay on board, 2 twenty-foot and one forty-foot (drawn in both 20' bays) loaded.
    assert page.locator("#bays rect.box").count() == 8
    assert page.inner_text("#unplaced") == (
        f"{call.loads['L4']}: no_vgm\n{call.loads['L5']}: loading_hold"
    )
    _shot(page, "stowage-departure-pod")
    page.select_option("#colour", "move")
    assert "load" in page.inner_text("#legend")

    # Drag a twenty-foot load box onto a box staying on board: refused with the reason.
    box = call.loads["L1"]
    before = PlanCell.objects.get(plan=plan, container_number=box).position
    remain = (
        PlanCell.objects.filter(plan=plan, move="remain").order_by("bay", "row", "tier").first()
    )
    taken = (
        f"#bays rect.slot[data-bay='{remain.bay}'][data-row='{remain.row}']"
        f"[data-tier='{remain.tier}']"
    )
    _drag(page, f"#bays rect.box[data-box='{box}']", taken)
    page.wait_for_selector("#preview .bad:has-text('refused')")
    assert "cell_taken" in page.inner_text("#preview")
    assert page.locator("#bays rect.slot.bad").count() == 1
    _shot(page, "stowage-drag-refused")
    page.mouse.up()
    page.wait_for_selector("#message:has-text('Not moved')")
    assert PlanCell.objects.get(plan=plan, container_number=box).position == before
    plan.refresh_from_db()
    assert plan.revision == 1

    # An empty deck cell on the hatch cover or on a 20' box: green, dropped, moved; then undo.
    free = page.evaluate(
        """() => {
          const s = window.__stowage;
          const dep = s.plans.departure;
          for (const b of s.ship.bays) {
            const cells = dep.byBay.get(b.bay) || new Map();
            for (const st of s.ship.stacks.get(b.bay)) {
              if (!st.deck) continue;
              const t = st.tiers.find((t) => !cells.has(`${st.row},${t}`));
              const i = st.tiers.indexOf(t);
              const under = i > 0 ? cells.get(`${st.row},${st.tiers[i - 1]}`) : null;
              const ok = t !== undefined && (i === 0 || (under && !under.forty));
              if (ok) return [b.bay, st.row, t];
            }
          }
          return null;
        }"""
    )
    assert free is not None
    target = f"#bays rect.slot[data-bay='{free[0]}'][data-row='{free[1]}'][data-tier='{free[2]}']"
    _drag(page, f"#bays rect.box[data-box='{box}']", target)
    page.wait_for_selector("#preview .ok:has-text('allowed')")
    page.mouse.up()
    page.wait_for_selector("#message:has-text('moved to')")
    moved = "{:03d}{:02d}{:02d}".format(*free)
    assert PlanCell.objects.get(plan=plan, container_number=box).position == moved
    assert page.locator(f"{target}.box").count() == 1
    page.click("#undo")
    page.wait_for_selector("#message:has-text('Undone')")
    assert PlanCell.objects.get(plan=plan, container_number=box).position == before
    plan.refresh_from_db()
    assert plan.revision == 3
    _shot(page, "stowage-after-undo")

    # Another planner moves the box: the page redraws it where it went, live.
    on_server(
        services.departure_plan_move,
        plan=plan,
        box=box,
        to=tuple(free),
        expected_revision=3,
        by=planner,
    )
    page.wait_for_selector(f"{target}.box[data-box='{box}']")
    page.wait_for_function("window.__stowage.plans.departure.revision === 4")
    assert page.locator(f"#bays rect.box[data-box='{box}']").count() == 1
    assert log.problems == []
