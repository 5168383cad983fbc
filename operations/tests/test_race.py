"""Two equipment clients completing the same move at the same moment, on real PostgreSQL: one
wins, nothing is applied twice (yard occupancy, plan cell, unit, events)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections

from operations import services
from operations.models import WorkOrder
from operations.services import Position
from stowage.models import PlanCell
from tos.core.errors import ApplicationError
from tos.core.models import Event
from yard.models import YardOccupancy

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL"),
    pytest.mark.timeout(600),
]

ROUNDS = 5


def race(calls: list) -> list:
    """Run the callables in threads released together; answers their results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i]()
        except ApplicationError as exc:
            results[i] = exc
        except Exception as exc:  # reported by the assertions below
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def counts(types: list[str]) -> Counter:
    return Counter(Event.objects.filter(type__in=types).values_list("type", flat=True))


def test_two_clients_completing_one_discharge_to_different_slots_one_wins_once(
    transactional_db, scene, operator
):
    watched = ["work_order.completed", "yard.unit_placed", "stowage.moves_confirmed"]
    for i in range(ROUNDS):
        unit = scene.discharge_cell(2, i + 1, 82)
        services.work_orders_from_stowage(visit=scene.visit)
        if i == 0:
            services.crane_queues_build(visit=scene.visit)
        else:
            WorkOrder.objects.filter(unit=unit).update(
                crane_queue=scene.visit.crane_queues.get(crane=scene.cranes[0]), sequence=100 + i
            )
        job = services.dispatch_next(equipment=scene.qc[0], by=operator)
        assert job.unit_id == unit.pk
        before = counts(watched)
        slots = [
            Position(place="yard", block=scene.block, bay=1 + 2 * i, row=1, tier=1),
            Position(place="yard", block=scene.block, bay=1 + 2 * i, row=2, tier=1),
        ]
        results = race(
            [
                lambda s=s, job=job: services.work_order_complete(
                    work_order=job, equipment=scene.qc[0], position=s, by=operator
                )
                for s in slots
            ]
        )

        wins = [r for r in results if isinstance(r, WorkOrder)]
        losses = [r for r in results if isinstance(r, ApplicationError)]
        assert len(wins) == 1, results
        assert [(e.code, e.status) for e in losses] == [("work_order_completed", 409)]
        occupancy = list(YardOccupancy.objects.filter(unit=unit))
        assert len(occupancy) == 1
        assert occupancy[0].valid_to is None
        assert PlanCell.objects.get(unit=unit).confirmed is True
        after = counts(watched)
        assert {t: after[t] - before[t] for t in watched} == dict.fromkeys(watched, 1)
        job.refresh_from_db()
        assert job.completion["position"]["row"] == occupancy[0].row


def test_two_identical_completions_at_once_apply_once_and_the_second_replays(
    transactional_db, scene, operator
):
    unit = scene.discharge_cell(2, 1, 82)
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    job = services.dispatch_next(equipment=scene.qc[0], by=operator)
    slot = Position(place="yard", block=scene.block, bay=3, row=1, tier=1)

    results = race(
        [
            lambda: services.work_order_complete(
                work_order=job, equipment=scene.qc[0], position=slot, by=operator
            )
        ]
        * 2
    )

    assert all(isinstance(r, WorkOrder) for r in results), results
    assert sorted(r.replayed for r in results) == [False, True]
    assert YardOccupancy.objects.filter(unit=unit).count() == 1
    assert Event.objects.filter(type="work_order.completed").count() == 1
    assert Event.objects.filter(type="unit.state_changed", payload__id=unit.pk).count() == 1


def test_two_straddle_carriers_racing_for_one_planned_receival_one_wins(
    transactional_db, scene, operator
):
    unit = scene.unit(state="inbound", position_kind="truck", position_ref="AB123")
    job = WorkOrder.objects.create(
        terminal=scene.terminal,
        kind="receival",
        unit=unit,
        container_number=unit.container.number,
        source="gate",
        from_place="truck",
        from_truck="AB123",
        to_place="yard",
    )
    slot = Position(place="yard", block=scene.block, bay=9, row=1, tier=1)

    results = race(
        [
            lambda sc=sc: services.work_order_complete(
                work_order=job, equipment=sc, position=slot, by=operator
            )
            for sc in scene.straddles
        ]
    )

    wins = [r for r in results if isinstance(r, WorkOrder)]
    losses = [r for r in results if isinstance(r, ApplicationError)]
    assert len(wins) == 1, results
    assert [(e.code, e.status) for e in losses] == [("work_order_completed", 409)]
    assert YardOccupancy.objects.filter(unit=unit).count() == 1
    assert Event.objects.filter(type="work_order.completed").count() == 1


def test_two_carriers_asking_for_work_at_once_get_different_jobs(transactional_db, scene):
    from yard import services as yard_services

    jobs = []
    for bay in (1, 3):
        unit = scene.unit(state="outbound", category="import")
        yard_services.yard_unit_place(unit=unit, block=scene.block, bay=bay, row=1, tier=1)
        jobs.append(
            WorkOrder.objects.create(
                terminal=scene.terminal,
                kind="delivery",
                unit=unit,
                container_number=unit.container.number,
                source="gate",
                from_place="yard",
                from_block=scene.block,
                from_bay=bay,
                from_row=1,
                from_tier=1,
                to_place="truck",
                to_truck=f"TR{bay}",
            )
        )

    results = race([lambda sc=sc: services.dispatch_next(equipment=sc) for sc in scene.straddles])

    assert all(isinstance(r, WorkOrder) for r in results), results
    assert sorted(r.pk for r in results) == sorted(j.pk for j in jobs)
    assert sorted(
        WorkOrder.objects.filter(status="dispatched").values_list("equipment_id", flat=True)
    ) == sorted(sc.pk for sc in scene.straddles)
