"""Quay crane scheduling: tiny hand-computed instances, the independent checker against
hand-made violations, and the readers on one real file of each benchmark set. No database."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from berthing.solvers.check.qcsp import check_qcsp
from berthing.solvers.qcsp import (
    Instance,
    instance_files,
    instance_name,
    read_best_known,
    read_instance,
    solution_json,
    solve,
)

BENCH = Path(__file__).resolve().parents[3].parent / "shared" / "benchmarks" / "qcsp"
KIM_PARK = BENCH / "kim_park_2004"
MEISEL = BENCH / "meisel_bierwirth_2011"
needs_benchmarks = pytest.mark.skipif(not BENCH.is_dir(), reason="benchmark files not present")


def vessel(
    processing: tuple[int, ...],
    location: tuple[int, ...],
    *,
    bays: int = 10,
    ready: tuple[int, ...] = (0, 0),
    initial_bay: tuple[int, ...] = (1, 10),
    travel_time: int = 1,
    safety_margin: int = 1,
    precedence: tuple[tuple[int, int], ...] = (),
    non_simultaneous: tuple[tuple[int, int], ...] = (),
) -> Instance:
    return Instance(
        name="tiny",
        bays=bays,
        travel_time=travel_time,
        safety_margin=safety_margin,
        processing=processing,
        location=location,
        ready=ready,
        initial_bay=initial_bay,
        precedence=precedence,
        non_simultaneous=non_simultaneous,
    )


def solved(instance: Instance) -> dict:
    """Solve to optimality (tiny instances), check independently, return the solution JSON."""
    result = solve(instance, time_limit=5, workers=2)
    assert result.status == "optimal"
    solution = solution_json(instance, result)
    report = check_qcsp(instance, solution)
    assert report.violations == []
    assert report.objective == result.objective
    return solution


def crane_of(solution: dict, task: int) -> int:
    return next(
        row["crane"] for row in solution["cranes"] for job in row["tasks"] if job["task"] == task
    )


def job_of(solution: dict, task: int) -> dict:
    return next(job for row in solution["cranes"] for job in row["tasks"] if job["task"] == task)


# --------------------------------------------------------------------------------------------
# Hand-computed optimal makespans, one per rule family
# --------------------------------------------------------------------------------------------


def test_two_cranes_work_far_apart_tasks_at_the_same_time() -> None:
    solution = solved(vessel((5, 5), (1, 10)))
    assert solution["objective"] == 5


def test_it_makes_a_successor_wait_for_its_predecessor() -> None:
    solution = solved(vessel((5, 5), (1, 10), precedence=((0, 1),)))
    assert solution["objective"] == 10
    assert job_of(solution, 2)["start"] >= job_of(solution, 1)["end"]


def test_it_never_works_a_non_simultaneous_pair_at_the_same_moment() -> None:
    solution = solved(vessel((5, 3), (1, 10), non_simultaneous=((0, 1),)))
    assert solution["objective"] == 8


def test_it_keeps_cranes_apart_by_the_safety_margin() -> None:
    """Bays 3 and 4 are too close for two cranes with one empty bay between them: the second
    task waits for the crane in the way to step back (travel 2 + work 10 + step 1 + work 10)."""
    spaced = vessel((10, 10), (3, 4), initial_bay=(1, 6))
    assert solved(spaced)["objective"] == 23
    no_margin = vessel((10, 10), (3, 4), initial_bay=(1, 6), safety_margin=0)
    assert solved(no_margin)["objective"] == 12


def test_cranes_never_cross_to_reach_a_task() -> None:
    """Crane 1 could reach bay 5 by time 4, but crane 2 stands in bay 3 until it is ready at
    100: crane 2 does the task (arrives at 102, ends 112)."""
    instance = vessel((10,), (5,), ready=(0, 100), initial_bay=(1, 3))
    solution = solved(instance)
    assert solution["objective"] == 112
    assert crane_of(solution, 1) == 2


def test_it_charges_the_travel_time_between_bays() -> None:
    """One crane, three time units per bay: bay 1 first (0-2), then 4 bays to bay 5 (14-16)."""
    instance = vessel((2, 2), (5, 1), ready=(0,), initial_bay=(1,), travel_time=3, bays=5)
    solution = solved(instance)
    assert solution["objective"] == 16
    assert [job["task"] for job in solution["cranes"][0]["tasks"]] == [2, 1]


def test_a_crane_starts_at_its_ready_time_from_its_initial_bay() -> None:
    instance = vessel((3,), (4,), ready=(7,), initial_bay=(2,), bays=5)
    assert solved(instance)["objective"] == 7 + 2 + 3


def test_the_crane_that_is_ready_first_takes_the_work() -> None:
    instance = vessel((10,), (4,), ready=(50, 0), initial_bay=(1, 6))
    solution = solved(instance)
    assert solution["objective"] == 12
    assert crane_of(solution, 1) == 2


# --------------------------------------------------------------------------------------------
# Solver results always pass the checker
# --------------------------------------------------------------------------------------------


def test_solver_schedules_on_a_crowded_vessel_pass_the_checker() -> None:
    instance = vessel(
        (7, 3, 9, 4, 6, 2, 8, 5, 3, 6),
        (1, 2, 2, 3, 4, 4, 5, 6, 7, 7),
        bays=7,
        ready=(0, 4, 2),
        initial_bay=(1, 3, 6),
        precedence=((1, 2), (4, 5), (8, 9)),
        non_simultaneous=((0, 7),),
    )
    result = solve(instance, time_limit=5)
    assert result.status in ("optimal", "feasible")
    report = check_qcsp(instance, solution_json(instance, result))
    assert report.violations == []
    assert report.objective == result.objective
    assert result.bound is not None
    assert result.bound <= result.objective


def test_a_previous_solution_warm_starts_the_solver() -> None:
    instance = vessel((6, 4, 5, 7), (2, 3, 7, 9), precedence=((0, 1),), initial_bay=(1, 6))
    first = solve(instance, time_limit=5)
    again = solve(instance, time_limit=5, hint=solution_json(instance, first))
    assert again.objective == first.objective
    assert check_qcsp(instance, solution_json(instance, again)).violations == []


@needs_benchmarks
@pytest.mark.parametrize(
    "path",
    [
        KIM_PARK / "instances" / "k013_n10_b10_q2.txt",
        KIM_PARK / "instances" / "k023_n15_b15_q2.txt",
        MEISEL / "setA" / "instances" / "A_n10_b10_q2_01.txt",
    ],
    ids=lambda p: p.stem,
)
def test_solver_schedules_for_real_instances_pass_the_checker_and_reach_the_best_known(
    path: Path,
) -> None:
    instance = read_instance(path)
    result = solve(instance, time_limit=5)
    report = check_qcsp(instance, solution_json(instance, result))
    assert report.violations == []
    best = read_best_known(path.parents[1])[instance_name(path)]
    assert result.objective == best


# --------------------------------------------------------------------------------------------
# The checker rejects hand-made violations, one per rule
# --------------------------------------------------------------------------------------------


@pytest.fixture
def valid() -> tuple[Instance, dict]:
    """Two cranes, four tasks, a precedence and a non-simultaneity pair."""
    instance = vessel(
        (4, 4, 5, 3),
        (2, 2, 8, 9),
        precedence=((0, 1),),
        non_simultaneous=((2, 3),),
        ready=(0, 0),
        initial_bay=(1, 6),
    )
    result = solve(instance, time_limit=5)
    solution = solution_json(instance, result)
    assert check_qcsp(instance, solution).violations == []
    return instance, solution


def rules(report) -> set[str]:
    return {violation.split(":")[0] for violation in report.violations}


def test_the_checker_rejects_a_task_done_twice_or_not_at_all(valid) -> None:
    instance, solution = valid
    broken = copy.deepcopy(solution)
    row = broken["cranes"][0]
    row["tasks"].append(dict(row["tasks"][0]))
    report = check_qcsp(instance, broken)
    assert "assignment" in rules(report)
    assert any("done 2 times" in v for v in report.violations)
    broken = copy.deepcopy(solution)
    dropped = broken["cranes"][0]["tasks"].pop()
    report = check_qcsp(instance, broken)
    assert f"assignment: task {dropped['task']} is not done by any crane" in report.violations


def test_the_checker_rejects_a_task_cut_short(valid) -> None:
    instance, solution = valid
    broken = copy.deepcopy(solution)
    broken["cranes"][0]["tasks"][0]["end"] -= 1
    assert "processing" in rules(check_qcsp(instance, broken))


def test_the_checker_rejects_a_successor_before_its_predecessor(valid) -> None:
    instance, solution = valid
    broken = copy.deepcopy(solution)
    first, second = job_of(broken, 1), job_of(broken, 2)
    first["start"], second["start"] = second["start"], first["start"]
    first["end"], second["end"] = first["start"] + 4, second["start"] + 4
    assert any(v.startswith("precedence: task 1") for v in check_qcsp(instance, broken).violations)


def test_the_checker_rejects_a_non_simultaneous_pair_worked_together() -> None:
    instance = vessel((5, 5), (1, 10), non_simultaneous=((0, 1),))
    solution = {
        "objective": 5,
        "cranes": [
            {"crane": 1, "tasks": [{"task": 1, "start": 0, "end": 5}], "path": [[0, 1]]},
            {"crane": 2, "tasks": [{"task": 2, "start": 0, "end": 5}], "path": [[0, 10]]},
        ],
    }
    report = check_qcsp(instance, solution)
    assert rules(report) == {"non-simultaneity"}
    assert "task 1 (crane 1) and task 2 (crane 2)" in report.violations[0]


def test_the_checker_rejects_a_crane_that_skips_the_travel_between_bays() -> None:
    instance = vessel((2, 2), (1, 5), ready=(0,), initial_bay=(1,), travel_time=3, bays=5)
    solution = {
        "objective": 10,
        "cranes": [
            {
                "crane": 1,
                "tasks": [{"task": 1, "start": 0, "end": 2}, {"task": 2, "start": 8, "end": 10}],
                "path": [[0, 1], [2, 1], [8, 5], [10, 5]],
            }
        ],
    }
    report = check_qcsp(instance, solution)
    assert "sequence" in rules(report)
    assert "path" in rules(report)  # 4 bays in 6 time units is faster than one bay per 3


def test_the_checker_rejects_a_start_before_the_crane_is_ready() -> None:
    instance = vessel((3,), (2,), ready=(7,), initial_bay=(2,), bays=5)
    solution = {
        "objective": 3,
        "cranes": [
            {"crane": 1, "tasks": [{"task": 1, "start": 0, "end": 3}], "path": [[0, 2], [3, 2]]}
        ],
    }
    assert rules(check_qcsp(instance, solution)) == {"ready-time"}


def test_the_checker_rejects_a_crane_away_from_its_task_bay(valid) -> None:
    instance, solution = valid
    broken = copy.deepcopy(solution)
    row = next(r for r in broken["cranes"] if r["tasks"])
    job = row["tasks"][0]
    row["path"] = [[0, instance.initial_bay[row["crane"] - 1]], [job["end"] + 100, 5]]
    report = check_qcsp(instance, broken)
    assert any(f"during task {job['task']}" in v for v in report.violations)


def test_the_checker_rejects_cranes_closer_than_the_safety_margin() -> None:
    """Both tasks at once in bays 3 and 4, with one bay of safety margin: too close."""
    instance = vessel((10, 10), (3, 4), initial_bay=(1, 6))
    solution = {
        "objective": 12,
        "cranes": [
            {
                "crane": 1,
                "tasks": [{"task": 1, "start": 2, "end": 12}],
                "path": [[0, 1], [2, 3], [12, 3]],
            },
            {
                "crane": 2,
                "tasks": [{"task": 2, "start": 2, "end": 12}],
                "path": [[0, 6], [2, 4], [12, 4]],
            },
        ],
    }
    report = check_qcsp(instance, solution)
    assert rules(report) == {"non-crossing"}
    assert "cranes 1 and 2 are 1 bays apart" in report.violations[0]


def test_the_checker_rejects_cranes_that_cross() -> None:
    instance = vessel((5, 5), (8, 2), initial_bay=(4, 6))
    solution = {
        "objective": 9,
        "cranes": [
            {
                "crane": 1,
                "tasks": [{"task": 1, "start": 4, "end": 9}],
                "path": [[0, 4], [4, 8], [9, 8]],
            },
            {
                "crane": 2,
                "tasks": [{"task": 2, "start": 4, "end": 9}],
                "path": [[0, 6], [4, 2], [9, 2]],
            },
        ],
    }
    assert "non-crossing" in rules(check_qcsp(instance, solution))


def test_the_checker_rejects_a_wrong_objective(valid) -> None:
    instance, solution = valid
    broken = copy.deepcopy(solution)
    broken["objective"] -= 1
    report = check_qcsp(instance, broken)
    assert rules(report) == {"objective"}
    assert report.objective == solution["objective"]


def test_the_checker_rejects_a_solution_without_cranes() -> None:
    instance = vessel((5,), (1,))
    assert rules(check_qcsp(instance, {"objective": 5})) == {"format"}


# --------------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------------


@needs_benchmarks
def test_it_reads_a_kim_park_file_and_its_best_known_in_file_units() -> None:
    path = KIM_PARK / "instances" / "k013_n10_b10_q2.txt"
    instance = read_instance(path)
    assert (instance.tasks, instance.bays, instance.cranes) == (10, 10, 2)
    assert (instance.travel_time, instance.safety_margin) == (1, 1)
    assert instance.processing[:3] == (12, 41, 34)
    assert instance.location[:3] == (2, 2, 2)
    assert instance.initial_bay == (1, 6)
    assert instance.precedence == ((0, 1), (0, 2), (1, 2), (3, 4), (7, 8))
    assert read_best_known(KIM_PARK)["k013_n10_b10_q2"] == 151  # 453 / 3
    assert len(instance_files(KIM_PARK)) == 90


@needs_benchmarks
def test_it_reads_the_zero_based_pairs_of_the_larger_kim_park_files() -> None:
    instance = read_instance(KIM_PARK / "instances" / "k023_n15_b15_q2.txt")
    assert instance.precedence[0] == (0, 1)
    assert all(instance.location[a] == instance.location[b] for a, b in instance.precedence)
    assert "task numbers in pairs read as 0-based" in instance.notes


@needs_benchmarks
def test_it_reads_a_meisel_bierwirth_set_a_file() -> None:
    instance = read_instance(MEISEL / "setA" / "instances" / "A_n10_b10_q2_01.txt")
    assert (instance.tasks, instance.bays, instance.cranes) == (10, 10, 2)
    assert instance.processing == (131, 190, 8, 69, 8, 2, 200, 192, 99, 101)
    assert instance.initial_bay == (1, 3)
    assert instance.precedence == ((3, 4), (8, 9))
    assert read_best_known(MEISEL / "setA")["A_n10_b10_q2_01"] == 520


@needs_benchmarks
def test_it_reads_a_meisel_bierwirth_set_b_file() -> None:
    instance = read_instance(MEISEL / "setB" / "instances" / "B_n45_b15_q4_01.txt")
    assert (instance.tasks, instance.bays, instance.cranes) == (45, 15, 4)
    assert instance.initial_bay == (1, 3, 5, 7)
    assert len(instance.precedence) == 67
    assert sum(instance.processing) == 3000
    assert read_best_known(MEISEL / "setB")["B_n45_b15_q4_01"] == 758


@needs_benchmarks
def test_the_meisel_bierwirth_top_folder_lists_both_sets_with_unique_names() -> None:
    files = instance_files(MEISEL)
    names = [instance_name(path) for path in files]
    assert len(names) == len(set(names)) == 130
    assert names[0] == "A_n10_b10_q2_01"
    assert names[-1] == "B_n70_b15_q4_10"
    assert set(names) == set(read_best_known(MEISEL))


@needs_benchmarks
def test_it_repairs_the_known_defects_of_the_public_files_and_says_so() -> None:
    header = read_instance(MEISEL / "setA" / "instances" / "A_n15_b10_q2_01.txt")
    assert (header.travel_time, header.safety_margin) == (1, 1)
    cranes = read_instance(MEISEL / "setA" / "instances" / "A_n25_b10_q2_01.txt")
    assert cranes.cranes == 2
    bracket = read_instance(MEISEL / "setB" / "instances" / "B_n50_b15_q4_09.txt")
    assert len(bracket.precedence) == 75
    for instance in (header, cranes, bracket):
        assert instance.notes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[2, 2, 0, 0, 2, 1, 1] [3, 4] [1, 2]", "expected at least 5 bracketed lists"),
        ("[2, 2, 0, 0, 2, 1] [3, 4] [1, 2] [0] [1]", "header must have 7 values"),
        ("[3, 2, 0, 0, 1, 1, 1] [3, 4] [1, 2] [0] [1]", "header says 3 tasks"),
        ("[2, 2, 1, 0, 1, 1, 1] [3, 4] [1, 2] [0] [1] [1, 5]", "names task 5"),
        ("[2, 2, 0, 0, 1, 1, 1] [3, x] [1, 2] [0] [1]", "other than integers"),
        ("[2, 2, 0, 0, 1, 1, 1] [3, 4] [1, 2] [0] [1] oops", "unexpected text"),
        ("[2, 2, 2, 0, 1, 1, 1] [3, 4] [1, 1] [0] [1] [1, 2] [2, 1]", "cycle"),
        ("[1, 2, 0, 0, 2, 1, 1] [3] [1] [0, 0] [1, 2]", "start closer than 2 bays"),
    ],
)
def test_it_refuses_malformed_files_with_a_clear_message(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as caught:
        read_instance(path)
    assert "bad.txt" in str(caught.value)
