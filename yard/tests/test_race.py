"""Races on real PostgreSQL: 64 threads × 50 rounds go for a handful of free slots at once.
Whatever the interleaving, no slot is ever given twice (not by occupancy, not by reservation),
nothing fails with anything but a 409 refusal, and the losers are told so."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection, connections
from django.utils import timezone

from tos.core.errors import ApplicationError
from yard import services
from yard.models import YardMove, YardOccupancy, YardReservation
from yard.tests.factories import YardBlockFactory

THREADS = 64
ROUNDS = 50

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent PostgreSQL"),
    pytest.mark.timeout(900),
]


def overlapping_pairs(rows) -> list:
    """Pairs of rows (occupancies or live reservations) that share a ground bay of one level."""
    pairs = []
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if (
                (a.block_id, a.row, a.tier) == (b.block_id, b.row, b.tier)
                and a.ground_from < b.ground_to
                and b.ground_from < a.ground_to
            ):
                pairs.append((a.pk, b.pk))
    return pairs


def test_64_threads_racing_for_four_slots_never_double_allocate_and_losers_get_409(
    transactional_db, terminal, make_unit
):
    # Ground bays 1 and 3 on two rows, one tier: four 20' slots, or 40' slots in bay 2.
    block = YardBlockFactory(terminal=terminal, name="RACE", bays=2, rows=2, max_tier=1)
    units = [make_unit("42G1" if i % 4 == 3 else "22G1") for i in range(THREADS)]
    outcomes: Counter = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    state = {"round": 0}

    def target(index: int) -> dict:
        unit = units[index]
        row = 1 + (index + state["round"]) % 2
        if unit.container.length_ft == 20:
            return {"block": block, "bay": 1 + 2 * ((index // 2) % 2), "row": row, "tier": 1}
        return {"block": block, "bay": 2, "row": row, "tier": 1}

    def check_and_reset() -> None:
        """Runs once per round, when every thread is done: audit, then empty the block."""
        try:
            current = list(YardOccupancy.objects.filter(block=block, valid_to__isnull=True))
            now = timezone.now()
            live = list(
                YardReservation.objects.filter(
                    block=block, reserved_from__lte=now, reserved_until__gt=now
                )
            )
            if overlapping_pairs(current):
                failures.append(f"round {state['round']}: double occupancy")
            if overlapping_pairs(live):
                failures.append(f"round {state['round']}: double reservation")
            if len({o.unit_id for o in current}) != len(current):
                failures.append(f"round {state['round']}: a unit in two places")
            for occ in current:
                services.yard_unit_remove(unit=occ.unit)
            for move in YardMove.objects.filter(to_block=block, status="planned"):
                services.yard_move_cancel(move=move)
        except Exception as exc:  # reported below; a raising barrier action breaks the barrier
            failures.append(f"reset failed: {exc!r}")
        state["round"] += 1

    barrier = threading.Barrier(THREADS, action=check_and_reset)

    def worker(index: int) -> None:
        try:
            for _ in range(ROUNDS):
                try:
                    # Even rounds place boxes directly, odd rounds plan moves (reservations).
                    if state["round"] % 2 == 0:
                        services.yard_unit_place(unit=units[index], **target(index))
                    else:
                        services.yard_move_plan(unit=units[index], **target(index))
                    result = "won"
                except ApplicationError as exc:
                    result = f"{exc.status} {exc.code}"
                except Exception as exc:
                    result = f"500 {type(exc).__name__}"
                with lock:
                    outcomes[result] += 1
                barrier.wait(timeout=120)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert state["round"] == ROUNDS
    assert sum(outcomes.values()) == THREADS * ROUNDS
    assert not [k for k in outcomes if not (k == "won" or k.startswith("409 "))], outcomes
    assert {k for k in outcomes if k != "won"} <= {
        "409 slot_occupied",
        "409 slot_overlap",
        "409 slot_reserved",
    }
    # At most four 20' boxes (or fewer with 40' boxes) per round, and someone always wins.
    assert ROUNDS <= outcomes["won"] <= 4 * ROUNDS
    assert YardOccupancy.objects.filter(block=block, valid_to__isnull=True).count() == 0
