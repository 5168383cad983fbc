"""Celery tasks of the yard (DESIGN.md §5.4). The relocation job has no task of its own: it is
the registered kind ``yard.relocation`` (:mod:`yard.jobs`), which the one generic task
``core.solver_run_execute`` claims with a compare-and-set and runs (``acks_late``,
``reject_on_worker_lost``, on the ``solvers`` queue). :func:`relocation_job_execute` is that
task under the yard's name, for callers that want to re-deliver a yard run by id."""

from __future__ import annotations

from tos.core.tasks import solver_run_execute


def relocation_job_execute(run_id: int) -> None:
    """Enqueue (again) the yard relocation run ``run_id``; the claim makes it idempotent."""
    solver_run_execute.apply_async((run_id,), queue="solvers")
