"""KPI selectors computed from the completed moves: gross crane rate per crane, berth moves per
hour, job cycle times and moves per equipment."""

from __future__ import annotations

import datetime as dt

from operations import selectors, services
from operations.models import WorkOrder

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def completed(wo: WorkOrder, equipment, start_min: float, end_min: float) -> None:
    """Record a move as done between two minutes after T0 (dispatched 30 s before it began)."""
    start = T0 + dt.timedelta(minutes=start_min)
    WorkOrder.objects.filter(pk=wo.pk).update(
        status="completed",
        equipment=equipment,
        dispatched_at=start - dt.timedelta(seconds=30),
        started_at=start,
        completed_at=T0 + dt.timedelta(minutes=end_min),
    )


def test_vessel_kpis_give_the_gross_crane_rate_per_crane_and_the_berth_rate(scene):
    units = [scene.discharge_cell(2, 1, 84), scene.discharge_cell(2, 1, 82)]
    units.append(scene.discharge_cell(10, 1, 82))
    scene.discharge_cell(10, 2, 82)  # still on board
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    a, b, c = (WorkOrder.objects.get(unit=u) for u in units)
    completed(a, scene.qc[0], 0, 2)
    completed(b, scene.qc[0], 2, 4)
    completed(c, scene.qc[1], 1, 5)

    kpi = selectors.kpi_vessel(visit=scene.visit)

    assert (kpi["moves_done"], kpi["moves_open"]) == (3, 1)
    assert kpi["by_kind"] == {"discharge": 3, "load": 0, "restow": 0}
    assert (kpi["first_move_at"], kpi["last_move_at"]) == (T0, T0 + dt.timedelta(minutes=5))
    assert (kpi["hours"], kpi["bmph"]) == (0.08, 36.0)
    assert [(r["crane"], r["done"], r["total"], r["gcr"]) for r in kpi["cranes"]] == [
        ("QC01", 2, 2, 30.0),
        ("QC02", 1, 2, 15.0),
    ]


def test_terminal_kpis_count_moves_in_the_window_with_cycle_times_and_equipment(scene, operator):
    units = [scene.discharge_cell(2, 1, 84), scene.discharge_cell(2, 1, 82)]
    units.append(scene.discharge_cell(10, 1, 82))
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    a, b, c = (WorkOrder.objects.get(unit=u) for u in units)
    completed(a, scene.qc[0], 0, 2)
    completed(b, scene.qc[0], 2, 4)
    completed(c, scene.qc[1], 1, 5)
    late = WorkOrder.objects.get(pk=c.pk)
    services.equipment_state_set(equipment=scene.rtg, state="down", by=operator)

    kpi = selectors.kpi_terminal(
        terminal_id=scene.terminal.pk, since=T0, until=T0 + dt.timedelta(minutes=5)
    )

    assert kpi["moves"] == 2  # the third finished at minute 5, outside [since, until)
    assert late.completed_at == T0 + dt.timedelta(minutes=5)
    assert kpi["by_kind"]["discharge"] == 2
    assert kpi["cycle_seconds"] == {"discharge": {"mean": 150.0, "p95": 150.0, "n": 2}}
    assert kpi["per_equipment"] == {"QC01": 2}
    assert kpi["equipment_states"] == {"idle": 4, "down": 1}
    assert kpi["open_problems"] == {}

    wide = selectors.kpi_terminal(
        terminal_id=scene.terminal.pk, since=T0, until=T0 + dt.timedelta(hours=1)
    )
    assert wide["cycle_seconds"]["discharge"] == {"mean": 190.0, "p95": 270.0, "n": 3}
    assert wide["per_equipment"] == {"QC01": 2, "QC02": 1}


def test_the_kpi_endpoints_answer_for_staff_and_refuse_a_bad_window(scene, planner_client):
    scene.discharge_cell(2, 1, 84)
    services.work_orders_from_stowage(visit=scene.visit)
    r = planner_client.get(f"/api/v1/operations/vessel-visits/{scene.visit.pk}/kpis/")
    assert r.status_code == 200
    assert (r.json()["moves_done"], r.json()["moves_open"], r.json()["bmph"]) == (0, 1, None)
    r = planner_client.get("/api/v1/operations/kpis/", {"since": "2026-03-02T08:00:00Z"})
    assert (r.status_code, r.json()["moves"]) == (200, 0)
    bad = planner_client.get("/api/v1/operations/kpis/", {"since": "yesterday"})
    assert (bad.status_code, bad.json()["code"]) == (400, "validation_error")
    assert "since" in bad.json()["details"]
