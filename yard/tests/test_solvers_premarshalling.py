"""Pre-marshalling solver, its checker and the benchmark command (no database)."""

import io
import random
from pathlib import Path

import pytest

from yard.solvers import bench, premarshalling
from yard.solvers.check import badly_placed, check_premarshalling

SET = Path(__file__).resolve().parents[3] / "shared/benchmarks/premarshalling/bortfeldt_forster_bf"


def _instance(stacks, max_height) -> premarshalling.Instance:
    return premarshalling.Instance("t", tuple(tuple(s) for s in stacks), max_height)


def _solution(instance, moves, objective=None) -> dict:
    return {
        "stacks": [list(s) for s in instance.stacks],
        "max_height": instance.max_height,
        "moves": moves,
        "objective": objective,
    }


def test_a_sorted_bay_needs_no_move():
    result = premarshalling.solve(_instance([[5, 3, 3, 1], [4, 2], []], 4))
    assert (result.status, result.objective, result.bound) == ("optimal", 0, 0)


def test_one_box_above_an_earlier_one_moves_once_to_the_empty_stack():
    result = premarshalling.solve(_instance([[1, 2], []], 2))
    assert (result.status, result.objective) == ("optimal", 1)
    assert result.shifts == [(0, 1)]


def test_two_late_boxes_share_the_empty_stack_in_two_moves():
    result = premarshalling.solve(_instance([[1, 2], [1, 2], []], 2))
    assert (result.status, result.objective) == ("optimal", 2)
    assert sorted(result.shifts) == [(0, 2), (1, 2)]


def test_a_box_that_fits_nowhere_costs_one_move_more_than_the_badly_placed_count():
    # 3 is badly placed and every other stack holds a 1, so a well-placed box must move too.
    instance = _instance([[2, 3], [1], [1]], 3)
    assert premarshalling.lower_bound(instance.stacks, 3) == 2
    result = premarshalling.solve(instance)
    assert (result.status, result.objective) == ("optimal", 2)


@pytest.mark.parametrize("seed", range(8))
def test_solver_plans_on_random_bays_always_pass_the_checker(seed):
    rng = random.Random(seed)
    boxes = [rng.randint(1, 6) for _ in range(18)]
    stacks = [boxes[i : i + 3] for i in range(0, 18, 3)] + [[], []]
    instance = _instance(stacks, 5)
    result = premarshalling.solve(instance, premarshalling.Config(time_limit=0.5))
    assert result.objective is not None
    assert result.bound <= result.objective
    report = check_premarshalling(premarshalling.solution_json(instance, result), instance)
    assert report.ok, report.violations
    assert report.objective == result.objective


def test_plan_premarshalling_returns_the_shift_moves():
    result = premarshalling.plan_premarshalling([[3, 1, 2], [4]], max_height=3)
    assert result.objective == len(result.shifts)
    stacks = [[3, 1, 2], [4]]
    for s, d in result.shifts:
        stacks[d].append(stacks[s].pop())
    assert badly_placed(stacks) == []


@pytest.mark.parametrize(
    ("moves", "rule"),
    [
        ([{"box": 1, "from": 0, "to": 1}], "is not on top of stack 0"),
        ([{"box": 2, "from": 0, "to": 2}], "stack 2 is full"),
        ([{"box": 5, "from": 1, "to": 0}], "stack 1 is empty"),
        ([{"box": 2, "from": 0, "to": 7}], "no stack 7"),
        ([], "badly placed at the end"),
    ],
)
def test_the_checker_rejects_a_bad_plan_naming_the_rule(moves, rule):
    instance = _instance([[1, 2], [], [4, 3]], 2)
    report = check_premarshalling(_solution(instance, moves), instance)
    assert not report.ok
    assert rule in report.violations[0]


def test_the_checker_accepts_a_sorting_plan_and_rejects_a_wrong_objective():
    instance = _instance([[1, 2], [], [4, 3]], 2)
    moves = [{"box": 2, "from": 0, "to": 1}]
    assert check_premarshalling(_solution(instance, moves, 1), instance).ok
    report = check_premarshalling(_solution(instance, moves, 0), instance)
    assert report.violations == ["objective 0 differs from the 1 moves"]


def _need_set():
    if not SET.is_dir():
        pytest.skip("the shared benchmark folder is not beside this checkout")


def test_it_reads_a_bf_file_with_the_height_from_its_name():
    _need_set()
    path = SET / "instances/BF1/cpmp_16_5_48_10_29_1.bay"
    instance = premarshalling.read_instance(path)
    assert (instance.name, instance.max_height, len(instance.stacks)) == (path.stem, 5, 16)
    assert instance.stacks[0] == (2, 10, 1, 2, 2)
    assert premarshalling.badly_placed_count(instance.stacks) == 29


def test_public_bf_instances_of_every_size_are_solved_and_pass_the_checker():
    _need_set()
    files = premarshalling.instance_files(SET)
    assert len(files) == 320
    for path in files[::80]:
        instance = premarshalling.read_instance(path)
        result = premarshalling.solve(instance, premarshalling.Config(time_limit=3))
        assert result.objective is not None, instance.name
        report = check_premarshalling(premarshalling.solution_json(instance, result), instance)
        assert report.ok, (instance.name, report.violations)


def test_the_bench_prints_a_class_summary_before_the_final_line():
    _need_set()
    assert bench.detect(SET) == "premarshalling"
    out = io.StringIO()
    bench.run("premarshalling", SET, time_limit=1, limit=2, out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "instance,objective,bound,best_known,gap_pct,seconds,status"
    assert [line.split(",")[0] for line in lines[1:3]] == [
        "cpmp_16_5_48_10_29_1",
        "cpmp_16_5_48_10_29_2",
    ]
    assert lines[3].startswith("# class=BF1 instances=2 solved=2")
    assert lines[4].startswith("# instances=2 solved=2")
    assert len(lines) == 5


def test_the_bound_counts_well_placed_boxes_that_must_leave_to_make_room():
    # 3 is the only badly placed box, but every stack holds a 2 and a 1 below any free tier:
    # some stack must lose both before 3 can be placed well (Bortfeldt & Forster).
    instance = _instance([[2, 1, 3], [2, 1], [2, 1]], 4)
    assert premarshalling.badly_placed_count(instance.stacks) == 1
    assert premarshalling.lower_bound(instance.stacks, 4) == 3
    result = premarshalling.solve(instance, premarshalling.Config(time_limit=1))
    assert result.objective >= 3
    assert check_premarshalling(premarshalling.solution_json(instance, result), instance).ok


def test_the_bf13_bay_the_first_greedy_cycles_on_gets_a_checked_plan_within_a_second():
    _need_set()
    path = SET / "instances/BF13/cpmp_16_8_103_21_62_1.bay"
    instance = premarshalling.read_instance(path)
    result = premarshalling.solve(instance, premarshalling.Config(time_limit=1))
    assert result.objective is not None
    assert result.bound == 64
    report = check_premarshalling(premarshalling.solution_json(instance, result), instance)
    assert report.ok, report.violations
    assert report.objective == result.objective
