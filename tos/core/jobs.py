"""The registry of solver-run kinds. Apps register the function that does a kind's work; the one
Celery task ``core.solver_run_execute`` claims the run and calls it with a :class:`RunContext`."""

from __future__ import annotations

import platform
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tos.core.errors import ApplicationError


class RunCancelled(Exception):
    """Raised by :meth:`RunContext.report` when a cancel was asked for."""


@dataclass
class RunContext:
    """What a job sees of its run: its id, parameters and a way to report progress."""

    run_id: int
    params: dict[str, Any]

    def report(
        self,
        progress: float,
        message: str = "",
        *,
        objective: float | None = None,
        bound: float | None = None,
    ) -> None:
        from tos.core.services import solver_run_progress

        if not solver_run_progress(
            run_id=self.run_id, progress=progress, message=message, objective=objective, bound=bound
        ):
            raise RunCancelled


@dataclass(frozen=True)
class JobKind:
    kind: str
    func: Callable[[RunContext], dict[str, Any]]
    queue: str = "solvers"
    api_startable: bool = False
    description: str = ""


_REGISTRY: dict[str, JobKind] = {}


def register(
    kind: str, *, queue: str = "solvers", api_startable: bool = False, description: str = ""
) -> Callable:
    """Decorator: register ``func(ctx) -> result dict`` as the work of ``kind``."""

    def wrap(func: Callable[[RunContext], dict[str, Any]]) -> Callable:
        _REGISTRY[kind] = JobKind(
            kind, func, queue, api_startable, description or func.__doc__ or ""
        )
        return func

    return wrap


def get(kind: str) -> JobKind:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ApplicationError(
            "unknown_kind",
            f"No solver-run kind {kind!r}; known: {', '.join(sorted(_REGISTRY))}",
            details={"kind": ["Unknown kind."]},
        ) from None


def kinds() -> list[JobKind]:
    return sorted(_REGISTRY.values(), key=lambda k: k.kind)


@register(
    "core.worker_check",
    api_startable=True,
    description="Round trip through the solver queue: proves a worker is consuming it and "
    "reports its host, queue latency and OR-Tools version.",
)
def worker_check(ctx: RunContext) -> dict[str, Any]:
    """Check that a worker consumes the solver queue and that OR-Tools works on it."""
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    ctx.report(0.1, "worker picked up the run")
    model = cp_model.CpModel()
    x = model.new_int_var(0, 10, "x")
    y = model.new_int_var(0, 10, "y")
    model.add(x + y <= 7)
    model.maximize(2 * x + 3 * y)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 5
    status = solver.solve(model)
    ctx.report(
        0.9, "CP-SAT answered", objective=solver.objective_value, bound=solver.best_objective_bound
    )
    import ortools

    return {
        "worker_host": socket.gethostname(),
        "python": platform.python_version(),
        "ortools": ortools.__version__,
        "cp_sat_status": solver.status_name(status),
        "objective": solver.objective_value,
        "bound": solver.best_objective_bound,
        "seconds": round(time.perf_counter() - started, 4),
    }
