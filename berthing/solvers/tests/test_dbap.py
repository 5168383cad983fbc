"""The discrete dynamic BAP: reading the public files, hand-computed optima, the checker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from berthing.solvers import dbap
from berthing.solvers.check.dbap import check_dbap

SET = Path(__file__).resolve().parents[4] / "shared/benchmarks/bap/lalla_ruiz_2012_dbap"


def _instance(arrival, handling, *, open_=None, close=None, latest=None) -> dbap.Instance:
    berths = len(handling[0])
    return dbap.Instance(
        "tiny",
        tuple(arrival),
        tuple(latest or [1000] * len(arrival)),
        (1,) * len(arrival),
        tuple(open_ or [0] * berths),
        tuple(close or [1000] * berths),
        tuple(tuple(h) for h in handling),
    )


def test_it_makes_the_later_vessel_wait_when_one_berth_is_busy():
    # Both want berth 0 (berth 1 is slow for both): A 0–10, then B waits 5 and takes 10 → 10 + 15.
    inst = _instance([0, 5], [[10, 40], [10, 40]])
    result = dbap.solve(inst, time_limit=10)
    assert result.status == "optimal"
    assert result.objective == 25
    assert check_dbap(inst, dbap.solution_json(inst, result)).ok


def test_it_uses_the_slower_berth_when_waiting_costs_more():
    # B at berth 1 takes 12 (service 12) instead of waiting 8 and taking 10 at berth 0 (18).
    inst = _instance([0, 2], [[10, 30], [10, 12]])
    result = dbap.solve(inst, time_limit=10)
    assert result.objective == 10 + 12
    assert {(p.vessel, p.berth) for p in result.placements} == {(0, 0), (1, 1)}


def test_it_respects_forbidden_berths_and_opening_times():
    inst = _instance([0, 0], [[None, 10], [10, 10]], open_=[20, 0])
    result = dbap.solve(inst, time_limit=10)
    # A only fits berth 1 (0–10); B: berth 0 opens at 20 (service 30) or after A (service 20).
    assert result.objective == 10 + 20
    assert check_dbap(inst, dbap.solution_json(inst, result)).ok


@pytest.mark.parametrize(
    ("rows", "rule"),
    [
        ([(0, 0, 0), (1, 0, 5)], "starts at 5 while vessel 0 is there"),
        ([(0, 0, 0)], "vessel 1 is served 0 times"),
        ([(0, 0, 0), (1, 1, 1)], "before its arrival"),
        ([(0, 1, 0), (1, 0, 2)], "may not use berth 1"),
    ],
)
def test_the_checker_names_each_broken_rule(rows, rule):
    inst = _instance([0, 2], [[10, None], [10, 10]])
    solution = {"assignments": [{"vessel": v, "berth": k, "start": t} for v, k, t in rows]}
    report = check_dbap(inst, solution)
    assert any(rule in v for v in report.violations), report.violations


def test_it_reads_a_public_instance_with_its_padded_lines():
    if not SET.exists():
        pytest.skip("the shared benchmark folder is not beside this checkout")
    inst = dbap.read_instance(SET / "instances/f30x3-01.txt")
    assert (inst.vessels, inst.berths) == (30, 3)
    assert dbap.read_best_known(SET)["f30x3-01"] == 1763


def test_it_refuses_a_file_that_is_not_an_instance(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("3\n2\n1 2\n")
    with pytest.raises(ValueError, match=r"bad\.txt"):
        dbap.read_instance(bad)


def test_the_decomposition_path_finds_the_optimum_and_a_bound_below_it(monkeypatch):
    # Four vessels on two berths, all arriving together: the LP path proves 10+10+20+20 = 60.
    inst = _instance([0, 0, 0, 0], [[10, 10]] * 4)
    exact = dbap.solve(inst, time_limit=10)
    assert (exact.status, exact.objective) == ("optimal", 60)

    monkeypatch.setattr(dbap, "LP_COLUMNS", 0)  # as for a model too big for GLOP
    relaxed = dbap.solve(inst, time_limit=5)

    assert relaxed.objective == 60
    assert relaxed.bound is not None
    assert relaxed.bound <= 60
    assert check_dbap(inst, dbap.solution_json(inst, relaxed)).ok


def test_the_decomposition_over_berths_reaches_the_lp_bound_of_glop():
    # Seven vessels, three berths with different speeds and opening times: both ways of solving
    # the same LP must agree, and every reduced cost must be a true lower bound on its column.
    inst = _instance(
        [0, 3, 4, 9, 12, 15, 20],
        [[8, 12, 9], [6, 6, 10], [11, 7, 7], [5, 9, 6], [9, 9, 9], [4, 8, 5], [7, 5, 12]],
        open_=[0, 2, 5],
    )
    model = dbap._TimeIndexed(inst)
    lp, _, _ = model.relaxation(10)
    start = model.columns_of(dbap.greedy(inst))

    bound, reduced, values = dbap._BerthSchedules(model).solve(start, 10)

    assert bound == pytest.approx(lp, abs=1e-6)
    assert values.sum() == pytest.approx(inst.vessels)
    assert (reduced >= 0).all()
    optimum = dbap.solve(inst, time_limit=10)
    assert optimum.status == "optimal"
    used = model.columns_of(optimum.placements)
    # A schedule that uses column j costs at least bound + reduced[j].
    assert (bound + reduced[used] <= optimum.objective + 1e-6).all()


def test_the_berth_order_search_reaches_the_optimum_of_a_small_instance():
    inst = _instance([0, 0, 1, 2, 6], [[10, 14], [3, 5], [7, 7], [2, 9], [6, 4]])
    optimum = dbap.solve(inst, time_limit=10)
    assert optimum.status == "optimal"
    worst = [dbap.Placement(i, 0, 0) for i in range(inst.vessels)]  # all on berth 0, in order
    search = dbap._Sequences(inst, worst)

    found = search.search(time.monotonic() + 1.0, kick=2)

    assert dbap.objective_of(inst, found) == optimum.objective
    rows = [{"vessel": p.vessel, "berth": p.berth, "start": p.start} for p in found]
    assert check_dbap(inst, {"assignments": rows}).ok


def test_a_public_f30_instance_is_solved_to_its_proven_optimum():
    # f30x5-01's optimum 1149 is proven in about 3 s on the development machine.
    if not SET.exists():
        pytest.skip("the shared benchmark folder is not beside this checkout")
    inst = dbap.read_instance(SET / "instances" / "f30x5-01.txt")
    result = dbap.solve(inst, time_limit=60)
    assert (result.status, result.objective, result.bound) == ("optimal", 1149, 1149)
    assert check_dbap(inst, dbap.solution_json(inst, result)).ok
