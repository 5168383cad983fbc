"""Thin Celery wrappers (DESIGN.md §5.4): ids in, claim, call the registered job, record."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from tos.core import jobs
from tos.core.choices import SolverRunStatus

logger = logging.getLogger(__name__)


@shared_task(
    name="core.solver_run_execute",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=5,
    soft_time_limit=3600,
    time_limit=3660,
)
def solver_run_execute(run_id: int) -> str:
    """Claim run ``run_id`` (no-op when already claimed) and run its registered job."""
    from tos.core.models import SolverRun
    from tos.core.services import solver_run_claim, solver_run_finish

    if not solver_run_claim(run_id=run_id):
        return "not-claimed"
    run = SolverRun.objects.get(pk=run_id)
    ctx = jobs.RunContext(run_id=run.pk, params=run.params)
    try:
        result = jobs.get(run.kind).func(ctx)
    except jobs.RunCancelled:
        solver_run_finish(run_id=run_id, status=SolverRunStatus.CANCELLED, error="cancelled")
        return "cancelled"
    except Exception as exc:
        logger.exception("solver run %s failed", run_id)
        solver_run_finish(
            run_id=run_id, status=SolverRunStatus.FAILED, error=f"{type(exc).__name__}: {exc}"
        )
        return "failed"
    solver_run_finish(
        run_id=run_id,
        status=SolverRunStatus.SUCCEEDED,
        result=result,
        objective=(result or {}).get("objective"),
        bound=(result or {}).get("bound"),
    )
    return "succeeded"


@shared_task(name="core.solver_runs_reap")
def solver_runs_reap() -> int:
    """Fail runs whose worker stopped sending heartbeats (died without redelivery)."""
    from tos.core.models import SolverRun
    from tos.core.services import solver_run_finish

    cutoff = timezone.now() - timedelta(minutes=10)
    stale = SolverRun.objects.filter(status=SolverRunStatus.RUNNING, heartbeat_at__lt=cutoff)
    count = 0
    for run_id in stale.values_list("pk", flat=True):
        solver_run_finish(
            run_id=run_id,
            status=SolverRunStatus.FAILED,
            error="no heartbeat for 10 minutes: the worker was lost",
        )
        count += 1
    return count


@shared_task(name="core.idempotency_prune")
def idempotency_prune() -> int:
    """Forget idempotency keys older than TOS_IDEMPOTENCY_TTL_HOURS."""
    from tos.core.models import IdempotencyRecord

    cutoff = timezone.now() - timedelta(hours=settings.TOS_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
