"""The day-of-operations simulator: deterministic for a seed, driving the real services."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from berthing.models import BerthAssignment
from operations.models import WorkOrder
from operations.simulator import Simulator, day_plan, percentile
from tos.core.models import User

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


def _day(scene, boxes: int) -> None:
    """``boxes`` imports on deck to discharge and as many exports in the yard to load above
    them, spread over four bays (two hatches per crane)."""
    for i in range(boxes):
        bay, row = 1 + 2 * (i % 4), 1 + i // 4
        scene.discharge_cell(bay, row, 82)
        scene.load_cell(bay, row, 84, yard=(1 + 2 * (i % 5), 1 + (i // 5) % 4, 1))


def _run(scene, seed: int) -> tuple[list, dict]:
    """Run the day in a transaction that is rolled back, so that each run starts from the same
    data (as two fresh databases would)."""
    by = User.objects.get_or_create(username="simulator")[0]
    start = BerthAssignment.objects.get(vessel_visit=scene.visit).berth_at
    out: dict = {}
    try:
        with transaction.atomic():
            plan = day_plan(terminal=scene.terminal, start=start, days=1, moves=1000, by=by)
            report = Simulator(
                terminal=scene.terminal, plan=plan, seed=seed, by=by, listen=False
            ).run()
            out["moves"] = [
                (m.at_s, m.equipment, m.kind, m.container, m.position) for m in report.moves
            ]
            out["open"] = WorkOrder.objects.filter(status__in=["planned", "dispatched"]).count()
            out["refused"] = dict(report.refused)
            out["work_orders"] = plan.counts["work_orders"]
            raise _Rollback
    except _Rollback:
        pass
    return out["moves"], out


def test_two_runs_with_the_same_seed_complete_the_same_moves_in_the_same_order(scene):
    _day(scene, 8)
    first, info = _run(scene, seed=7)
    second, _ = _run(scene, seed=7)
    assert len(first) == 16
    assert info["work_orders"] == 16
    assert first == second
    assert info["open"] == 0
    assert info["refused"] == {}
    assert WorkOrder.objects.count() == 0  # both runs were rolled back


def test_every_move_of_the_day_is_confirmed_through_the_services(scene):
    _day(scene, 4)
    moves, _ = _run(scene, seed=3)
    kinds = sorted(m[2] for m in moves)
    assert kinds == ["discharge"] * 4 + ["load"] * 4
    assert {m[1] for m in moves} == {"QC01", "QC02"}
    loads = [dict(m[4]) for m in moves if m[2] == "load"]
    assert all(p["place"] == "vessel" and p["tier"] == 84 for p in loads)


def test_another_seed_gives_other_crane_timings(scene):
    _day(scene, 4)
    seven, _ = _run(scene, seed=7)
    eight, _ = _run(scene, seed=8)
    assert [m[0] for m in seven] != [m[0] for m in eight]


def test_crane_cycles_keep_to_25_to_35_moves_an_hour_plus_delays(scene):
    _day(scene, 8)
    moves, _ = _run(scene, seed=11)
    for crane in ("QC01", "QC02"):
        times = [m[0] for m in moves if m[1] == crane]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert gaps, crane
        assert min(gaps) >= 3600 / 35 * 0.8 - 1


def test_percentile_is_the_nearest_rank():
    assert percentile([], 95) is None
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0
    assert percentile([float(i) for i in range(1, 101)], 95) == 95.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "fast"], "--speed is a number"),
        (["--speed", "0"], "--speed must be more than 0"),
        (["--days", "0"], "--days must be at least 1"),
        (["--moves", "0"], "--moves must be at least 1"),
        (["--terminal", "NOPE"], "no such terminal"),
    ],
)
def test_the_command_refuses_bad_flags_naming_them(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("simulate", *args)
    assert WorkOrder.objects.count() == 0
