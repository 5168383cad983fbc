"""Benchmark command for the relocation solvers (DESIGN.md §7)::

    python -m yard.solvers.bench --set ../shared/benchmarks/brp/caserta_cv --time-limit 10 \\
        [--match GLOB] [--limit N] [--solutions DIR] [--problem brp|premarshalling]

prints ``instance,objective,bound,best_known,gap_pct,seconds,status`` per instance in file-name
order (classes and instance numbers in numeric order: ``data3-3-1, data3-3-2, …, data3-3-40,
data3-4-1``) and a final ``#`` summary line. ``--match`` keeps the instances whose name matches
a shell pattern (``data5-6-*``). ``--random 10x10 --count 10`` replaces ``--set`` by the seeded
random full bays of :func:`yard.solvers.brp.random_bay` (10 tiers × 10 stacks, maximum height 12,
seeds 1..10; no best-known values, so ``gap_pct`` is against the solver's lower bound).
``--heuristic`` (BRP) skips the exact search, to measure the heuristic alone against the
proven optima of a set.
The problem is recognised from the set's ``SOURCE.md`` title
(or its folder name); ``--problem`` overrides. ``best_known`` holds only values the set marks as
proven optimal; ``gap_pct`` is measured against it, or against the solver's own lower bound when
there is none. For pre-marshalling, ``#`` lines before the summary give each class (the folder of
the instance file): instances, solved, mean moves, mean lower bound, mean and max seconds.

Every result is replayed by the independent checker of :mod:`yard.solvers.check`; a result that
fails it (or whose objective differs from the replay) is reported with status ``error``. With
``--solutions DIR`` each instance's plan goes to ``DIR/<instance>.json``:

* block relocation (:mod:`yard.solvers.brp`)::

    {"problem": "brp", "instance": "data3-3-1", "objective": 6, "bound": 6,
     "status": "optimal", "max_height": 5, "retrieve": 9,
     "stacks": [[3, 7, 1], [2, 6, 5], [8, 9, 4]],
     "moves": [{"kind": "relocate", "box": 4, "from": 2, "to": 1},
               {"kind": "retrieve", "box": 1, "from": 0}, ...],
     "check": {"ok": true, "violations": []}}

* pre-marshalling (:mod:`yard.solvers.premarshalling`)::

    {"problem": "premarshalling", "instance": "cpmp_16_5_48_10_29_1", "objective": 31,
     "bound": 29, "status": "feasible", "max_height": 5,
     "stacks": [[2, 10, 1, 2, 2], [9], ...],
     "moves": [{"box": 2, "from": 0, "to": 4}, ...],
     "check": {"ok": true, "violations": []}}

``stacks`` lists each stack's boxes (priorities or groups, 1 leaves first) from bottom to top,
stacks numbered from 0 in file order; every move takes the top box of ``from``.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

from tos.benchmarks import HEADER, gap_pct, number, select

from yard.solvers import brp, premarshalling
from yard.solvers.check import check_brp, check_premarshalling

PROBLEMS = {"brp": (brp, check_brp), "premarshalling": (premarshalling, check_premarshalling)}


def detect(set_dir: Path) -> str:
    """The problem a benchmark set holds, from its SOURCE.md title or its folder name."""
    source = set_dir / "SOURCE.md"
    title = source.read_text().splitlines()[0].lower() if source.exists() else ""
    name = str(set_dir.resolve()).lower()
    for text in (title, name):
        if "pre-marshalling" in text or "premarshalling" in text or "cpmp" in text:
            return "premarshalling"
        if "relocation" in text or "brp" in text or "crp" in text:
            return "brp"
    raise SystemExit(f"cannot tell which problem {set_dir} holds; pass --problem")


def random_bays(spec: str, count: int) -> list[tuple[str, object]]:
    """(class, instance) of the seeded random BRP bays ``TIERSxSTACKS`` with seeds 1..count
    (:func:`yard.solvers.brp.random_bay`)."""
    tiers, stacks = (int(x) for x in spec.lower().split("x"))
    return [(spec, brp.random_bay(seed, tiers, stacks)) for seed in range(1, count + 1)]


def run(
    problem: str,
    set_dir: Path | None,
    *,
    time_limit: float,
    limit: int | None = None,
    match: str | None = None,
    solutions: Path | None = None,
    out=sys.stdout,
    instances: list[tuple[str, object]] | None = None,
    heuristic: bool = False,
) -> list[dict]:
    """Solve, check and print every instance of ``set_dir`` (or the given (class, instance)
    pairs, which have no best-known values)."""
    module, check = PROBLEMS[problem]
    if instances is None:
        files = select(
            module.instance_files(set_dir), module.instance_name, match=match, limit=limit
        )
        instances = [(path.parent.name, path) for path in files]
        best_known = module.read_best_known(set_dir)
    else:
        instances = instances[: limit or None]
        best_known = {}
    if solutions:
        solutions.mkdir(parents=True, exist_ok=True)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = []
    started = time.monotonic()
    for klass, source in instances:
        instance = module.read_instance(source) if isinstance(source, Path) else source
        name = instance.name
        try:
            config = module.Config(time_limit=time_limit)
            if heuristic:
                config = module.Config(time_limit=time_limit, exact=False)
            result = module.solve(instance, config)
        except Exception as exc:  # a crash is a benchmark row, not the end of the sweep
            result = module.Result("error", None, None, 0.0, stats={"error": repr(exc)})
        status, objective, bound = result.status, result.objective, result.bound
        solution = module.solution_json(instance, result)
        if objective is not None:
            report = check(solution, instance)
            solution["check"] = {"ok": report.ok, "violations": report.violations}
            if not report.ok or report.objective != objective:
                status = "error"
        if solutions:
            (solutions / f"{name}.json").write_text(json.dumps(solution, indent=1))
        known = best_known.get(name)
        row = {
            "instance": name,
            "class": klass,
            "objective": objective,
            "bound": bound,
            "best_known": known,
            "gap_pct": gap_pct(objective, known if known is not None else bound),
            "seconds": result.seconds,
            "status": status,
        }
        rows.append(row)
        writer.writerow(
            [
                name,
                number(objective),
                number(bound),
                number(known),
                row["gap_pct"],
                f"{result.seconds:.1f}",
                status,
            ]
        )
        out.flush()
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"] != ""]
    solved = [r for r in rows if r["objective"] is not None and r["status"] != "error"]
    optimal = sum(1 for r in rows if r["status"] == "optimal")
    equal = sum(
        1 for r in solved if r["best_known"] is not None and r["objective"] == r["best_known"]
    )
    if problem == "premarshalling":
        for klass in dict.fromkeys(r["class"] for r in rows):
            group = [r for r in rows if r["class"] == klass]
            ok = [r for r in group if r in solved]
            bounds = [r["bound"] for r in group if r["bound"] is not None]
            seconds = [r["seconds"] for r in group]
            out.write(
                f"# class={klass} instances={len(group)} solved={len(ok)} "
                f"optimal={sum(1 for r in ok if r['status'] == 'optimal')} "
                f"mean_moves={statistics.mean(r['objective'] for r in ok) if ok else 0:.2f} "
                f"mean_bound={statistics.mean(bounds) if bounds else 0:.2f} "
                f"mean_seconds={statistics.mean(seconds):.2f} max_seconds={max(seconds):.2f}\n"
            )
    out.write(
        f"# instances={len(rows)} solved={len(solved)} optimal={optimal} "
        f"equal_best_known={equal} "
        f"mean_gap_pct={sum(gaps) / len(gaps) if gaps else 0:.2f} "
        f"max_gap_pct={max(gaps) if gaps else 0:.2f} "
        f"mean_seconds={statistics.mean(r['seconds'] for r in rows) if rows else 0:.2f} "
        f"max_seconds={max((r['seconds'] for r in rows), default=0):.2f} "
        f"total_seconds={time.monotonic() - started:.1f} time_limit={time_limit:g}\n"
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m yard.solvers.bench", description=__doc__)
    parser.add_argument("--set", type=Path, help="a benchmark set folder")
    parser.add_argument(
        "--random",
        metavar="TIERSxSTACKS",
        help="instead of --set: seeded random full BRP bays (seeds 1..--count), e.g. 10x10",
    )
    parser.add_argument("--count", type=int, default=10, help="how many --random bays")
    parser.add_argument(
        "--heuristic",
        action="store_true",
        help="BRP only: no exact search (greedy and pilot beams; bound = root lower bound)",
    )
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance")
    parser.add_argument("--match", help="only instances whose name matches this pattern")
    parser.add_argument("--limit", type=int, help="only the first N instances")
    parser.add_argument("--solutions", type=Path, help="write DIR/<instance>.json")
    parser.add_argument("--problem", choices=sorted(PROBLEMS))
    args = parser.parse_args(argv)
    if args.random:
        run(
            "brp",
            None,
            time_limit=args.time_limit,
            limit=args.limit,
            solutions=args.solutions,
            instances=random_bays(args.random, args.count),
            heuristic=args.heuristic,
        )
        return 0
    if args.set is None or not args.set.is_dir():
        parser.error(f"--set {args.set} is not a folder")
    problem = args.problem or detect(args.set)
    if args.heuristic and problem != "brp":
        parser.error("--heuristic is for the BRP only")
    run(
        problem,
        args.set,
        time_limit=args.time_limit,
        limit=args.limit,
        match=args.match,
        solutions=args.solutions,
        heuristic=args.heuristic,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
