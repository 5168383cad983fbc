"""Block relocation solver, its checker and the benchmark command (no database)."""

import io
import json
import random
import time
from collections import deque
from pathlib import Path

import pytest

from yard.solvers import bench, brp
from yard.solvers.check import check_brp

SET = Path(__file__).resolve().parents[3] / "shared/benchmarks/brp/caserta_cv"


def _instance(stacks, max_height, retrieve=None) -> brp.Instance:
    stacks = tuple(tuple(s) for s in stacks)
    n = sum(len(s) for s in stacks)
    return brp.Instance("t", stacks, max_height, retrieve or n)


def _solution(instance, moves, objective=None) -> dict:
    return {
        "stacks": [list(s) for s in instance.stacks],
        "max_height": instance.max_height,
        "retrieve": instance.retrieve,
        "moves": moves,
        "objective": objective,
    }


def _breadth_first_optimum(instance: brp.Instance) -> int | None:
    """Fewest relocations by plain breadth-first search (shares no search code with brp)."""
    start = [list(s) for s in instance.stacks]

    def settle(stacks, t):
        while t <= instance.retrieve:
            tops = [s for s, st in enumerate(stacks) if st and st[-1] == t]
            if not tops:
                break
            stacks[tops[0]].pop()
            t += 1
        return t

    t0 = settle(start, 1)
    queue = deque([(start, t0, 0)])
    seen = set()
    while queue:
        stacks, t, cost = queue.popleft()
        if t > instance.retrieve:
            return cost
        s = next(i for i, st in enumerate(stacks) if t in st)
        for d in range(len(stacks)):
            if d == s or len(stacks[d]) >= instance.max_height:
                continue
            child = [list(st) for st in stacks]
            child[d].append(child[s].pop())
            t2 = settle(child, t)
            key = (tuple(tuple(st) for st in child), t2)
            if key not in seen:
                seen.add(key)
                queue.append((child, t2, cost + 1))
    return None


def test_a_bay_whose_boxes_leave_from_the_top_needs_no_relocation():
    result = brp.solve(_instance([[3, 2, 1], [6, 5, 4]], 3))
    assert (result.status, result.objective, result.bound) == ("optimal", 0, 0)
    assert [m.kind for m in result.moves] == ["retrieve"] * 6


def test_two_boxes_above_the_first_with_one_free_stack_cost_three_relocations():
    # 2 and 3 can only go onto the other stack, where 3 then blocks 2 once more.
    instance = _instance([[1, 3, 2], []], 3)
    result = brp.solve(instance)
    assert (result.status, result.objective) == ("optimal", 3)
    assert result.relocations == [(0, 1), (0, 1), (1, 0)]


def test_two_boxes_above_the_first_with_two_free_stacks_cost_two_relocations():
    result = brp.solve(_instance([[1, 3, 2], [], []], 3))
    assert (result.status, result.objective) == ("optimal", 2)


def test_a_full_bay_with_no_room_to_relocate_is_infeasible():
    result = brp.solve(_instance([[1, 2], [3, 4]], 2))
    assert result.status == "infeasible"
    assert result.objective is None


def test_the_caserta_example_bay_needs_six_relocations():
    # data3-3-1 of the CV set, restricted, maximum height 3 + 2.
    result = brp.solve(_instance([[3, 7, 1], [2, 6, 5], [8, 9, 4]], 5))
    assert (result.status, result.objective) == ("optimal", 6)


@pytest.mark.parametrize("seed", range(12))
def test_the_solver_matches_a_breadth_first_search_on_small_random_bays(seed):
    rng = random.Random(seed)
    boxes = list(range(1, 10))
    rng.shuffle(boxes)
    instance = _instance([boxes[0:3], boxes[3:6], boxes[6:9]], 4)
    result = brp.solve(instance, brp.Config(time_limit=5))
    assert result.status == "optimal"
    assert result.objective == _breadth_first_optimum(instance)
    assert brp.lower_bound(instance.stacks, 1, 9, 4) <= result.objective
    report = check_brp(brp.solution_json(instance, result), instance)
    assert report.ok, report.violations
    assert report.objective == result.objective


def test_boxes_outside_the_retrieval_order_stay_and_never_block_each_other():
    result = brp.plan_relocations([["A", "B"], ["C"]], ["A"], max_height=3)
    assert (result.status, result.objective) == ("optimal", 1)
    assert result.relocations == [(0, 1)]


def test_plan_relocations_refuses_a_box_that_is_not_in_the_bay():
    with pytest.raises(ValueError, match="not in the bay"):
        brp.plan_relocations([["A"]], ["Z"], max_height=2)


def test_the_checker_accepts_a_correct_plan_and_recounts_it():
    instance = _instance([[1, 3, 2], [], []], 3)
    moves = [
        {"kind": "relocate", "box": 2, "from": 0, "to": 1},
        {"kind": "relocate", "box": 3, "from": 0, "to": 2},
        {"kind": "retrieve", "box": 1, "from": 0},
        {"kind": "retrieve", "box": 2, "from": 1},
        {"kind": "retrieve", "box": 3, "from": 2},
    ]
    report = check_brp(_solution(instance, moves, 2), instance)
    assert report.ok
    assert report.objective == 2


@pytest.mark.parametrize(
    ("moves", "rule"),
    [
        ([{"kind": "relocate", "box": 3, "from": 0, "to": 1}], "is not on top of stack 0"),
        (
            [
                {"kind": "relocate", "box": 2, "from": 0, "to": 2},
                {"kind": "relocate", "box": 3, "from": 0, "to": 2},
            ],
            "stack 2 is full",
        ),
        (
            [
                {"kind": "relocate", "box": 2, "from": 0, "to": 1},
                {"kind": "retrieve", "box": 3, "from": 0},
            ],
            "next box to leave is 1",
        ),
        ([{"kind": "relocate", "box": 5, "from": 2, "to": 1}], "not above the target box 1"),
        ([{"kind": "relocate", "box": 2, "from": 0, "to": 0}], "put back onto stack 0"),
        ([{"kind": "relocate", "box": 2, "from": 0, "to": 1}], "never retrieved"),
    ],
)
def test_the_checker_rejects_a_bad_plan_naming_the_rule(moves, rule):
    instance = _instance([[1, 3, 2], [], [4, 5]], 3, retrieve=5)
    report = check_brp(_solution(instance, moves), instance)
    assert not report.ok
    assert rule in report.violations[0]


def test_the_checker_rejects_a_wrong_objective():
    instance = _instance([[2, 1], [], []], 3)
    moves = [{"kind": "retrieve", "box": 1, "from": 0}, {"kind": "retrieve", "box": 2, "from": 0}]
    report = check_brp(_solution(instance, moves, 1), instance)
    assert report.violations == ["objective 1 differs from the 0 relocations"]


def _need_set():
    if not SET.is_dir():
        pytest.skip("the shared benchmark folder is not beside this checkout")


def test_it_reads_a_caserta_file_with_two_extra_tiers():
    _need_set()
    instance = brp.read_instance(SET / "instances/3-3/data3-3-1.dat")
    assert instance.name == "data3-3-1"
    assert instance.stacks == ((3, 7, 1), (2, 6, 5), (8, 9, 4))
    assert (instance.max_height, instance.retrieve) == (5, 9)
    assert brp.read_best_known(SET)["data3-3-1"] == 6


def test_it_refuses_a_file_that_is_not_an_instance(tmp_path):
    path = tmp_path / "data3-3-1.dat"
    path.write_text("3 9\n3 1 2 3\n")
    with pytest.raises(ValueError, match="3 stacks announced"):
        brp.read_instance(path)


def test_public_4x5_bays_are_solved_to_their_proven_optima():
    _need_set()
    known = brp.read_best_known(SET)
    for path in brp.instance_files(SET)[:400:50]:
        instance = brp.read_instance(path)
        result = brp.solve(instance, brp.Config(time_limit=10))
        assert result.objective == known[instance.name], instance.name
        assert check_brp(brp.solution_json(instance, result), instance).ok


def test_the_bench_prints_the_design_header_one_row_per_instance_and_a_summary():
    _need_set()
    assert bench.detect(SET) == "brp"
    out = io.StringIO()
    bench.run("brp", SET, time_limit=2, limit=3, match="data3-4-*", out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "instance,objective,bound,best_known,gap_pct,seconds,status"
    assert [line.split(",")[0] for line in lines[1:4]] == ["data3-4-1", "data3-4-2", "data3-4-3"]
    assert all(line.split(",")[-1] == "optimal" for line in lines[1:4])
    assert lines[4].startswith("# instances=3 solved=3 optimal=3 equal_best_known=3")
    assert len(lines) == 5


def test_the_bench_writes_each_plan_with_the_checkers_verdict(tmp_path):
    _need_set()
    args = ["--set", str(SET), "--time-limit", "2", "--limit", "1"]
    bench.main([*args, "--solutions", str(tmp_path)])
    solution = json.loads((tmp_path / "data3-3-1.json").read_text())
    assert solution["check"] == {"ok": True, "violations": []}
    assert solution["objective"] == 6
    assert check_brp(solution).ok


def test_min_max_puts_a_box_on_the_stack_whose_smallest_box_is_the_tightest_later_one():
    # 3 may go onto [4] (it will not move again) or onto [2] (it would block 2): min-max picks 4.
    instance = _instance([[1, 3], [4], [2]], 3)
    assert brp.greedy(instance) == [(0, 1)]


def test_min_max_delays_the_next_relocation_when_no_stack_is_safe():
    # 4 blocks wherever it goes; on [3] it moves again only after 1 and 2 have left.
    instance = _instance([[1, 4], [2], [3]], 3)
    assert brp.greedy(instance) == [(0, 2), (2, 0)]
    result = brp.solve(instance)
    assert (result.status, result.objective) == ("optimal", 2)


def test_the_seeded_random_bay_is_a_full_ten_by_ten_bay_with_two_extra_tiers():
    instance = brp.random_bay(1)
    assert (instance.name, instance.width, instance.max_height) == ("random10x10-1", 10, 12)
    assert sorted(b for s in instance.stacks for b in s) == list(range(1, 101))
    assert brp.random_bay(1) == instance


def test_a_ten_by_ten_bay_gets_a_checked_plan_within_a_few_seconds():
    instance = brp.random_bay(3)
    result = brp.solve(instance, brp.Config(time_limit=3))
    assert result.seconds < 4
    assert result.status == "feasible"
    assert result.bound == brp.lower_bound(instance.stacks, 1, 100, 12)
    assert result.bound <= result.objective <= len(brp.greedy(instance))
    report = check_brp(brp.solution_json(instance, result), instance)
    assert report.ok, report.violations
    assert report.objective == result.objective


def test_the_pilot_beam_is_never_worse_than_the_greedy_it_starts_from():
    instance = brp.random_bay(2, 6, 6)
    plan = brp.greedy(instance)
    better = brp.pilot_beam(instance.stacks, 1, 36, 8, 2, plan, time.monotonic() + 5)
    assert len(better) <= len(plan)
    solution = brp.solution_json(
        instance,
        brp.Result("feasible", len(better), None, 0.0, tuple(brp.replay(instance, better))),
    )
    assert check_brp(solution, instance).ok


@pytest.mark.parametrize("name", ["data5-6-1", "data5-6-35"])
def test_the_caserta_bays_the_earlier_versions_missed_reach_their_proven_optimum(name):
    _need_set()
    instance = brp.read_instance(SET / f"instances/5-6/{name}.dat")
    result = brp.solve(instance, brp.Config(time_limit=10))
    assert result.objective == brp.read_best_known(SET)[name] == 26
    assert check_brp(brp.solution_json(instance, result), instance).ok


@pytest.mark.parametrize("seed", range(40))
def test_the_lower_bound_never_exceeds_the_breadth_first_optimum_on_tight_bays(seed):
    rng = random.Random(100 + seed)
    boxes = list(range(1, 11))
    rng.shuffle(boxes)
    cut = sorted(rng.sample(range(1, 10), 3))
    stacks = [boxes[a:b] for a, b in zip([0, *cut], [*cut, 10], strict=True)]
    hmax = max(len(s) for s in stacks) + rng.choice([0, 1])
    instance = _instance(stacks, hmax)
    optimum = _breadth_first_optimum(instance)
    if optimum is not None:
        assert brp.lower_bound(instance.stacks, 1, 10, hmax) <= optimum


def test_the_bench_runs_the_seeded_random_bays_and_checks_every_plan():
    out = io.StringIO()
    bays = bench.random_bays("4x4", 2)
    bench.run("brp", None, time_limit=0.5, instances=bays, heuristic=True, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "instance,objective,bound,best_known,gap_pct,seconds,status"
    rows = [line.split(",") for line in lines[1:3]]
    assert [row[0] for row in rows] == ["random4x4-1", "random4x4-2"]
    assert all(row[-1] in ("optimal", "feasible") for row in rows)
    assert all(row[3] == "" and int(row[1]) >= int(row[2]) for row in rows)
    assert lines[3].startswith("# instances=2 solved=2")
