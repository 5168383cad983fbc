"""The slot planner on tiny hand-made bays with known optima, one rule family at a time; every
plan is also replayed by the independent checker. No database."""

from __future__ import annotations

from stowage.solvers.bench import plan_json
from stowage.solvers.delgado import parse
from stowage.solvers.slot import solve
from stowage.solvers.slot_check import check_plan

ALL = "0 0 1 1 1"  # ForeReefer AftReefer ForeFeasible AftFeasible 40Feasible
AFT_ONLY = "0 0 0 1 0"


def bay(
    stacks: list[tuple[str, str]],
    cells: list[list[str]],
    to_load: list[str],
    loaded: tuple[str, ...] = (),
    ports: str = "1 2",
) -> str:
    """An instance file: stacks as (max weight kg, max height m), cells per stack bottom to top,
    containers as ``Weight Height Length POD Reefer IMO`` (loaded ones prefixed with their
    ``IDstack IDcell IDfor``)."""
    tiers = len(cells[0])
    lines = [
        f"{len(ports.split())} {len(to_load)} {len(loaded)} {len(stacks)} "
        f"{sum(len(c) for c in cells)} 1 {tiers}",
        "#POD",
        ports,
        "#LOCATIONS",
        "1",
        "#CONTAINERS_TOLOAD",
    ]
    for line in to_load:
        w, h, length, pod, reefer, imo = line.split()
        lines.append(f"0 0 0 {w} {h} {length} {pod} {reefer} 1 {imo}")
    lines.append("#CONTAINERS_LOADED")
    for line in loaded:
        s, c, f, w, h, length, pod, reefer, imo = line.split()
        lines.append(f"{s} {c} {f} {w} {h} {length} {pod} {reefer} 1 {imo}")
    lines.append("#STACKS")
    lines += [f"{w} {h} 1" for w, h in stacks]
    lines.append("#CELLS")
    for s, column in enumerate(cells, 1):
        lines += [f"{s} {flags} 1" for flags in column]
    return "\n".join(lines) + "\n"


def solved(text: str):
    instance = parse(text, "tiny")
    result = solve(instance, time_limit=10)
    report = check_plan(instance, plan_json(result))
    assert report.ok, report.violations
    assert report.objective == result.objective
    return instance, result


def test_a_stack_weight_limit_splits_two_heavy_boxes_over_two_stacks():
    boxes = ["20000.00 2.59 20 1 0 0", "20000.00 2.59 20 1 0 0"]
    light = bay([("50000", "10")] * 2, [[AFT_ONLY] * 2] * 2, boxes)
    heavy = bay([("30000", "10")] * 2, [[AFT_ONLY] * 2] * 2, boxes)
    assert solved(light)[1].objective == 10
    _, result = solved(heavy)
    assert (result.status, result.objective) == ("optimal", 20)
    assert {stack for stack, _, _ in result.assignment.values()} == {0, 1}


def test_a_stack_height_limit_keeps_two_high_cubes_apart_but_not_two_standard_boxes():
    stacks, cells = [("99000", "5.40")] * 2, [[AFT_ONLY] * 2] * 2
    high_cubes = bay(stacks, cells, ["1000.00 2.90 20 1 0 0"] * 2)
    standard = bay(stacks, cells, ["1000.00 2.59 20 1 0 0"] * 2)
    assert solved(high_cubes)[1].objective == 20
    assert solved(standard)[1].objective == 10


def test_a_reefer_takes_the_plug_and_a_dry_box_on_a_plug_costs_five():
    cells = [["0 1 0 1 0", AFT_ONLY]]  # plug at the aft slot of the bottom cell
    _, mixed = solved(bay([("99000", "10")], cells, ["1000 2.59 20 1 1 0", "1000 2.59 20 1 0 0"]))
    assert mixed.objective == 10
    assert mixed.assignment[0] == (0, 0, "aft")
    _, dry = solved(bay([("99000", "10")], cells, ["1000 2.59 20 1 0 0"] * 2))
    assert (dry.objective, dry.components["reefer"]) == (15, 1)


def test_a_reefer_without_any_plug_is_rolled_out():
    _, result = solved(bay([("99000", "10")], [[AFT_ONLY] * 2], ["1000 2.59 20 1 1 0"]))
    assert (result.objective, result.rolled_out, result.assignment) == (1000, [0], {})


def test_a_forty_stands_on_two_twenties_and_never_under_one():
    boxes = ["1000 2.59 40 1 0 0", "1000 2.59 20 1 0 0", "1000 2.59 20 1 0 0"]
    _, result = solved(bay([("99000", "10")], [[ALL] * 2], boxes))
    assert result.objective == 10
    assert result.assignment[0] == (0, 1, "40")
    assert sorted(result.assignment[i][1:] for i in (1, 2)) == [(0, "aft"), (0, "fore")]


def test_a_forty_and_a_single_twenty_need_two_stacks():
    boxes = ["1000 2.59 40 1 0 0", "1000 2.59 20 1 0 0"]
    assert solved(bay([("99000", "10")], [[ALL] * 2], boxes))[1].objective == 1010
    assert solved(bay([("99000", "10")] * 2, [[ALL] * 2] * 2, boxes))[1].objective == 20


def test_the_later_port_goes_below_the_earlier_one():
    boxes = ["1000 2.59 20 1 0 0", "1000 2.59 20 2 0 0"]
    _, result = solved(bay([("99000", "10")], [[AFT_ONLY] * 2], boxes))
    assert (result.objective, result.components["overstow"]) == (30, 0)
    assert result.assignment == {0: (0, 1, "aft"), 1: (0, 0, "aft")}


def test_a_box_for_a_later_port_on_an_earlier_loaded_box_is_one_overstow():
    loaded = ("1 1 1 1000 2.59 20 1 0 0",)
    _, result = solved(
        bay([("99000", "10")], [[AFT_ONLY] * 2], ["1000 2.59 20 2 0 0"], loaded=loaded)
    )
    assert result.components == {
        "overstow": 1,
        "pods": 1,
        "stacks": 1,
        "reefer": 0,
        "rollout": 0,
    }
    assert result.objective == 130


def test_dangerous_boxes_never_sit_side_by_side_but_may_stand_on_each_other():
    boxes = ["1000 2.59 20 1 0 1", "1000 2.59 20 1 0 3"]
    two_low = bay([("99000", "10")] * 2, [[AFT_ONLY]] * 2, boxes)
    three_low = bay([("99000", "10")] * 3, [[AFT_ONLY]] * 3, boxes)
    two_high = bay([("99000", "10")] * 2, [[AFT_ONLY] * 2] * 2, boxes)
    assert solved(two_low)[1].objective == 1010
    _, apart = solved(three_low)
    assert apart.objective == 20
    assert {stack for stack, _, _ in apart.assignment.values()} == {0, 2}
    assert solved(two_high)[1].objective == 10


def test_the_planner_solves_a_real_delgado_instance_to_optimality():
    from stowage.solvers.delgado import read_instance
    from stowage.tests.test_slot_reader import DELGADO

    instance = read_instance(DELGADO / "Instance_1_11_0_3_24_1_8_1.txt")
    result = solve(instance, time_limit=10)
    report = check_plan(instance, plan_json(result))
    assert (result.status, result.objective, result.bound) == ("optimal", 30, 30)
    assert report.ok
    assert report.objective == 30
    assert len(result.assignment) == 11


def test_a_plan_cut_short_by_the_time_limit_is_priced_exactly_as_the_checker_prices_it():
    from stowage.solvers.delgado import read_instance
    from stowage.tests.test_slot_reader import SET

    path = SET / "instances" / "Parreno" / "111_slotPlanningMax_HC_2_0_3.txt"
    instance = read_instance(path)
    result = solve(instance, time_limit=2)
    report = check_plan(instance, plan_json(result))
    assert result.status in ("optimal", "feasible")
    assert report.ok, report.violations
    assert (report.objective, report.components) == (result.objective, result.components)
    assert result.bound <= result.objective


def test_the_stack_counting_cuts_still_let_a_box_too_many_roll_out():
    """Three boxes, two stacks of one aft slot each: the cuts say three stacks are needed, less
    one per rolled-out box, so one box rolls out and the plan is proven optimal."""
    boxes = ["1000.00 2.59 20 1 0 0"] * 3
    _, result = solved(bay([("99000", "10")] * 2, [[AFT_ONLY]] * 2, boxes))
    assert (result.status, result.objective) == ("optimal", 1020)
    assert len(result.rolled_out) == 1
    assert result.components == {
        "overstow": 0,
        "pods": 0,
        "stacks": 2,
        "reefer": 0,
        "rollout": 1,
    }


def test_weight_and_height_counting_cuts_keep_the_cheapest_packing_of_a_port():
    """Four boxes of one port: two fit a stack by weight but not three, or by height (high
    cubes, two per column); either way the optimum is two stacks of two, proven."""
    boxes = ["14000.00 2.59 20 1 0 0"] * 4
    text = bay([("30000", "10")] * 3, [[AFT_ONLY] * 3] * 3, boxes)
    _, result = solved(text)
    assert (result.status, result.objective) == ("optimal", 20)
    high = ["1000.00 2.90 20 1 0 0"] * 4
    _, result = solved(bay([("99000", "5.90")] * 3, [[AFT_ONLY] * 3] * 3, high))
    assert (result.status, result.objective) == ("optimal", 20)
    assert sorted(
        sum(1 for s, _, _ in result.assignment.values() if s == stack) for stack in range(3)
    ) == [0, 2, 2]
