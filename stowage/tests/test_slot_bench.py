"""The slot-planning benchmark command on a tiny set folder: DESIGN.md §7 CSV, file-name order,
``--limit``, the ``#`` summary lines and the solution files. No database."""

from __future__ import annotations

import io
import json

from stowage.solvers.bench import HEADER, main, run
from stowage.tests.test_slot_planner import AFT_ONLY, bay


def make_set(root):
    """A set folder with an ``instances/`` subfolder holding two Delgado-named bays."""
    folder = root / "instances" / "Delgado"
    folder.mkdir(parents=True)
    one_stack = bay([("99000", "10")], [[AFT_ONLY] * 2], ["1000 2.59 20 1 0 0"] * 2)
    two_stacks = bay([("30000", "10")] * 2, [[AFT_ONLY] * 2] * 2, ["20000 2.59 20 1 0 0"] * 2)
    (folder / "Instance_b.txt").write_text(two_stacks)
    (folder / "Instance_a.txt").write_text(one_stack)
    return root


def test_it_prints_one_checked_row_per_instance_in_file_name_order(tmp_path):
    out = io.StringIO()
    rows = run(make_set(tmp_path), time_limit=10, solutions=tmp_path / "plans", out=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == ",".join(HEADER)
    assert [line.split(",")[:5] for line in lines[1:3]] == [
        ["Instance_a", "10", "10", "", "0.00"],
        ["Instance_b", "20", "20", "", "0.00"],
    ]
    assert [line.split(",")[6] for line in lines[1:3]] == ["optimal", "optimal"]
    assert lines[3].startswith("# Delgado: instances=2 optimal=2 optimal_pct=100.0 errors=0")
    assert lines[4].startswith("# all: instances=2 optimal=2")
    assert [row["status"] for row in rows] == ["optimal", "optimal"]
    plan = json.loads((tmp_path / "plans" / "Instance_b.json").read_text())
    assert plan["check"] == {"ok": True, "violations": [], "objective": 20}
    assert plan["rolled_out"] == []
    assert sorted(p["stack"] for p in plan["placements"]) == [1, 2]


def test_limit_takes_the_first_instances_and_a_broken_file_is_an_error_row(tmp_path, capsys):
    root = make_set(tmp_path)
    (root / "instances" / "Delgado" / "Instance_0.txt").write_text("not a bay\n")
    assert main(["--set", str(root), "--time-limit", "5", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines[1:3]] == ["Instance_0", "Instance_a"]
    assert lines[1] == "Instance_0,,,,,0.00,error"
    assert lines[3].startswith("# Delgado: instances=2 optimal=1 optimal_pct=50.0 errors=1")


def test_the_published_plan_of_a_delgado_file_passes_the_checker_at_its_cost():
    from stowage.solvers.bench import published_plan
    from stowage.solvers.delgado import read_instance
    from stowage.solvers.slot_check import check_plan
    from stowage.tests.test_slot_reader import DELGADO

    path = DELGADO / "Instance_1_103_0_10_90_1_9_1.txt"
    instance = read_instance(path)
    plan = published_plan(path, instance)
    report = check_plan(instance, plan)
    assert (report.ok, len(plan["placements"]), plan["rolled_out"]) == (True, 103, [])
    assert report.components == {
        "overstow": 0,
        "pods": 0,
        "stacks": 10,
        "reefer": 36,
        "rollout": 0,
    }
    loaded_file = DELGADO / "Instance_1_23_117_10_90_1_9_2.txt"
    assert published_plan(loaded_file, read_instance(loaded_file)) is None
