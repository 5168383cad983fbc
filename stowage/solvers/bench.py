"""Benchmark command for the stowage slot planner (DESIGN.md §7)::

    python -m stowage.solvers.bench \\
        --set ../shared/benchmarks/stowage/slot_planning_delgado_parreno --time-limit 10 \\
        [--match GLOB] [--limit N] [--solutions DIR] [--workers 8]

prints ``instance,objective,bound,best_known,gap_pct,seconds,status`` per instance in file-name
order (all ``*.txt`` under the set's ``instances/`` folder, or under ``--set`` itself) and a
final ``#`` summary line; before it, one ``#`` line per family (Delgado ``Instance_*``, Parreño
``*slotPlanning*``) with instances, optimal count and share, mean and max gap and seconds.
``--match`` keeps the instances whose name matches a shell pattern (``Instance_*``).
``--published`` solves nothing: it replays the plans printed in the Delgado files
(``#SOLUTION-AFT``/``#SOLUTION-FWD``, files without containers on board) through the checker
and prints each one's verdict and objective under our weights. The set has
no ``best_known.csv``: ``best_known`` stays empty and ``gap_pct`` is measured against the
solver's own lower bound.

Every plan is replayed by the independent checker :func:`stowage.solvers.slot_check.check_plan`;
a plan that breaks a rule, or whose recomputed objective differs from the solver's, is reported
with status ``error``. With ``--solutions DIR`` each instance's plan goes to
``DIR/<instance>.json``::

    {"problem": "slot", "instance": "Instance_1_11_0_3_24_1_8_1", "status": "optimal",
     "objective": 30, "bound": 30,
     "components": {"overstow": 0, "pods": 0, "stacks": 3, "reefer": 0, "rollout": 0},
     "placements": [{"container": 0, "stack": 2, "cell": 1, "for": 1, "position": "aft"}, ...],
     "rolled_out": [],
     "check": {"ok": true, "violations": []}}

``container`` is the 0-based line of the container in ``#CONTAINERS_TOLOAD``; ``stack`` and
``cell`` are 1-based in the file's order (cells bottom to top, as for the loaded containers);
``for`` is the file's code: ``1`` aft 20' slot, ``-1`` fore 20' slot, ``0`` the whole cell for a
40'. ``components`` count overstowing containers, ports beyond the first per stack, used stacks,
non-reefers on plugs and rolled-out containers; the objective weighs them 100/20/10/5/1000.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import json
import statistics
import sys
import time
from pathlib import Path

from tos.benchmarks import HEADER, gap_pct, number, select

from stowage.solvers import slot
from stowage.solvers.delgado import POSITION_FILE, instance_files, read_instance
from stowage.solvers.slot_check import check_plan

FAMILIES = {"Delgado": "Instance_*", "Parreno": "*slotPlanning*"}


def plan_json(result: slot.Result) -> dict:
    """The decisions of ``result`` in the documented JSON shape (without ``check``)."""
    return {
        "placements": [
            {
                "container": index,
                "stack": stack + 1,
                "cell": tier + 1,
                "for": POSITION_FILE[position],
                "position": position,
            }
            for index, (stack, tier, position) in sorted(result.assignment.items())
        ],
        "rolled_out": list(result.rolled_out),
    }


def published_plan(path: Path, instance) -> dict | None:
    """The plan printed in a Delgado file's ``#SOLUTION-AFT`` / ``#SOLUTION-FWD`` grids (rows
    from the top tier down, one column per stack, numbers = 1-based line of
    ``#CONTAINERS_TOLOAD``, 0 = empty) in the plan JSON shape, or None without grids or when
    the file has containers on board (the grids then number them in an unstated order)."""
    lines = path.read_text().splitlines()
    starts = {line.strip(): i for i, line in enumerate(lines) if line.startswith("#SOLUTION")}
    if instance.loaded or not {"#SOLUTION-AFT", "#SOLUTION-FWD"} <= set(starts):
        return None
    tiers, stacks = instance.tiers, len(instance.stacks)

    def grid(name: str) -> list[list[int]]:
        rows = [[int(v) for v in lines[starts[name] + 1 + r].split()] for r in range(tiers)]
        if any(len(row) != stacks for row in rows):
            raise ValueError(f"{path.name}: {name} rows need {stacks} numbers")
        return rows[::-1]  # bottom tier first

    aft, fore = grid("#SOLUTION-AFT"), grid("#SOLUTION-FWD")
    placements, seen = [], set()
    for tier in range(tiers):
        for stack in range(stacks):
            a, f = aft[tier][stack], fore[tier][stack]
            if a and a == f and instance.to_load[a - 1].length == 40:
                codes = [(a, 0)]
            else:
                codes = [(a, 1), (f, -1)]
            for line_number, code in codes:
                if line_number:
                    seen.add(line_number - 1)
                    placements.append(
                        {
                            "container": line_number - 1,
                            "stack": stack + 1,
                            "cell": tier + 1,
                            "for": code,
                        }
                    )
    rolled = [i for i in range(len(instance.to_load)) if i not in seen]
    return {"placements": placements, "rolled_out": rolled}


def run_published(set_dir: Path, *, match: str | None, limit: int | None, out=None) -> None:
    """Replay the published plans of the set through the checker: one line per instance with
    its rule verdict, objective under our weights and the first violation."""
    out = out or sys.stdout
    files = select(instance_files(set_dir), lambda path: path.stem, match=match, limit=limit)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["instance", "objective", "ok", "first_violation"])
    checked = passed = 0
    for path in files:
        instance = read_instance(path)
        plan = published_plan(path, instance)
        if plan is None:
            continue
        report = check_plan(instance, plan)
        checked += 1
        passed += report.ok
        writer.writerow([path.stem, report.objective, report.ok, (report.violations or [""])[0]])
    out.write(f"# published plans: checked={checked} pass={passed}\n")


def run(
    set_dir: Path,
    *,
    time_limit: float,
    limit: int | None = None,
    match: str | None = None,
    solutions: Path | None = None,
    workers: int = 8,
    out=None,
) -> list[dict]:
    """Solve, check and print every selected instance of ``set_dir`` (to ``out``, by default
    standard output)."""
    out = out or sys.stdout
    files = select(instance_files(set_dir), lambda path: path.stem, match=match, limit=limit)
    if solutions:
        solutions.mkdir(parents=True, exist_ok=True)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = []
    started = time.monotonic()
    for path in files:
        name = path.stem
        solution: dict = {"problem": "slot", "instance": name}
        try:
            instance = read_instance(path)
            result = slot.solve(instance, time_limit=time_limit, workers=workers)
        except Exception as exc:  # a crash is a benchmark row, not the end
            result = slot.Result("error", None, None, 0.0)
            solution["error"] = repr(exc)
            instance = None
        status, objective, bound = result.status, result.objective, result.bound
        solution.update(
            status=status, objective=objective, bound=bound, components=result.components
        )
        if objective is not None and instance is not None:
            solution.update(plan_json(result))
            report = check_plan(instance, solution)
            solution["check"] = {
                "ok": report.ok,
                "violations": report.violations,
                "objective": report.objective,
            }
            if not report.ok or report.objective != objective:
                status = solution["status"] = "error"
        if solutions:
            (solutions / f"{name}.json").write_text(json.dumps(solution, indent=1))
        row = {
            "instance": name,
            "objective": objective,
            "bound": bound,
            "gap_pct": "0.00"
            if objective is not None and objective == bound
            else gap_pct(objective, bound),
            "seconds": result.seconds,
            "status": status,
        }
        rows.append(row)
        writer.writerow(
            [
                name,
                number(objective),
                number(bound),
                "",
                row["gap_pct"],
                f"{result.seconds:.2f}",
                status,
            ]
        )
        out.flush()
    for family, pattern in FAMILIES.items():
        group = [r for r in rows if fnmatch.fnmatch(r["instance"], pattern)]
        if group:
            out.write(f"# {family}: {_summary(group)}\n")
    out.write(
        f"# all: {_summary(rows)} solved="
        f"{sum(1 for r in rows if r['objective'] is not None and r['status'] != 'error')} "
        f"total_seconds={time.monotonic() - started:.1f} "
        f"time_limit={time_limit:g}\n"
    )
    return rows


def _summary(rows: list[dict]) -> str:
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"] not in ("", None)]
    optimal = sum(1 for r in rows if r["status"] == "optimal")
    seconds = [r["seconds"] for r in rows]
    return (
        f"instances={len(rows)} optimal={optimal} "
        f"optimal_pct={100 * optimal / len(rows):.1f} "
        f"errors={sum(1 for r in rows if r['status'] == 'error')} "
        f"mean_gap_pct={statistics.mean(gaps) if gaps else 0:.2f} "
        f"max_gap_pct={max(gaps) if gaps else 0:.2f} "
        f"mean_seconds={statistics.mean(seconds):.2f} max_seconds={max(seconds):.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stowage.solvers.bench", description=__doc__)
    parser.add_argument("--set", type=Path, required=True, help="a benchmark set folder")
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--match", help="only instances whose name matches this pattern")
    parser.add_argument("--limit", type=int, help="only the first N instances")
    parser.add_argument("--solutions", type=Path, help="write DIR/<instance>.json")
    parser.add_argument(
        "--workers", type=int, default=8, help="CP-SAT workers (8 threads share 2 cores)"
    )
    parser.add_argument(
        "--published",
        action="store_true",
        help="check the plans printed in the Delgado files instead of solving",
    )
    args = parser.parse_args(argv)
    if not args.set.is_dir():
        parser.error(f"--set {args.set} is not a folder")
    if args.published:
        run_published(args.set, match=args.match, limit=args.limit)
        return 0
    run(
        args.set,
        time_limit=args.time_limit,
        limit=args.limit,
        match=args.match,
        solutions=args.solutions,
        workers=args.workers,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
