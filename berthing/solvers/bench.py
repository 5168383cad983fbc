"""Benchmark command for the berth-planning solvers (DESIGN.md §7)::

    python -m berthing.solvers.bench --set ../shared/benchmarks/bap/lalla_ruiz_2012_dbap \\
        --time-limit 60 [--match GLOB] [--limit N] [--solutions DIR] [--workers 2] \\
        [--problem dbap|qcsp]

prints ``instance,objective,bound,best_known,gap_pct,seconds,status`` per instance in file-name
order and a final ``#`` summary line. ``--match`` keeps the instances whose name matches a
shell pattern (``f55*``). The problem is recognised from the set's ``SOURCE.md`` (or
its folder name); ``--problem`` overrides.

Every result is checked by the independent checker of :mod:`berthing.solvers.check`; a result
that fails it is reported with status ``error``. With ``--solutions DIR`` each instance's
decisions go to ``DIR/<instance>.json`` in the format documented by the problem's module
(:mod:`berthing.solvers.dbap` for berth allocation: which vessel at which berth from when to
when; :mod:`berthing.solvers.qcsp` for quay-crane scheduling: which crane does which task when),
together with the checker's verdict under ``"check"``.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import sys
import time
from pathlib import Path
from types import ModuleType

from tos.benchmarks import HEADER, gap_pct, number, select

PROBLEMS = {
    "dbap": ("berthing.solvers.dbap", "berthing.solvers.check.dbap", "check_dbap"),
    "qcsp": ("berthing.solvers.qcsp", "berthing.solvers.check.qcsp", "check_qcsp"),
}


def detect(set_dir: Path) -> str:
    """The problem a benchmark set holds, from its SOURCE.md title or its folder name."""
    source = set_dir / "SOURCE.md"
    text = source.read_text()[:400].lower() if source.exists() else ""
    name = str(set_dir.resolve()).lower()
    if "qcsp" in text or "crane scheduling" in text or "qcsp" in name:
        return "qcsp"
    if "bap" in text or "berth allocation" in text or "bap" in name:
        return "dbap"
    raise SystemExit(f"cannot tell which problem {set_dir} holds; pass --problem")


def run(
    problem: str,
    set_dir: Path,
    *,
    time_limit: float,
    limit: int | None,
    match: str | None = None,
    solutions: Path | None,
    workers: int,
    out=sys.stdout,
) -> list[dict]:
    module_name, check_module, check_name = PROBLEMS[problem]
    module: ModuleType = importlib.import_module(module_name)
    check = getattr(importlib.import_module(check_module), check_name)
    files = select(module.instance_files(set_dir), module.instance_name, match=match, limit=limit)
    best_known = module.read_best_known(set_dir)
    if solutions:
        solutions.mkdir(parents=True, exist_ok=True)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    rows = []
    started = time.monotonic()
    for path in files:
        name = module.instance_name(path)
        instance = module.read_instance(path)
        result = module.solve(instance, time_limit=time_limit, workers=workers)
        status, objective, bound = result.status, result.objective, result.bound
        solution = module.solution_json(instance, result)
        if objective is not None:
            report = check(instance, solution)
            solution["check"] = {"ok": not report.violations, "violations": report.violations}
            if report.violations or report.objective != objective:
                status = "error"
        if solutions:
            target = solutions / f"{name.replace('/', '_')}.json"
            target.write_text(json.dumps(solution, indent=1))
        known = best_known.get(name)
        row = {
            "instance": name,
            "objective": objective,
            "bound": bound,
            "best_known": known,
            "gap_pct": gap_pct(objective, known if known is not None else bound),
            "seconds": f"{result.seconds:.1f}",
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
                row["seconds"],
                status,
            ]
        )
        out.flush()
    gaps = [float(r["gap_pct"]) for r in rows if r["gap_pct"] != ""]
    solved = sum(1 for r in rows if r["objective"] is not None and r["status"] != "error")
    optimal = sum(1 for r in rows if r["status"] == "optimal")
    out.write(
        f"# instances={len(rows)} solved={solved} optimal={optimal} "
        f"mean_gap_pct={sum(gaps) / len(gaps) if gaps else 0:.2f} "
        f"max_gap_pct={max(gaps) if gaps else 0:.2f} "
        f"total_seconds={time.monotonic() - started:.1f} time_limit={time_limit:g}\n"
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m berthing.solvers.bench", description=__doc__)
    parser.add_argument("--set", required=True, type=Path, help="a benchmark set folder")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per instance")
    parser.add_argument("--match", help="only instances whose name matches this pattern")
    parser.add_argument("--limit", type=int, help="only the first N instances")
    parser.add_argument("--solutions", type=Path, help="write DIR/<instance>.json")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--problem", choices=sorted(PROBLEMS))
    args = parser.parse_args(argv)
    if not args.set.is_dir():
        parser.error(f"--set {args.set} is not a folder")
    run(
        args.problem or detect(args.set),
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
