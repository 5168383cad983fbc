"""Solver runs through the real Celery path: the Redis broker from settings, a worker consuming
the ``solvers`` and ``default`` queues (in a thread of this process), never eager mode.

The broker keys get a prefix of this test's own (kombu's ``global_keyprefix``), so a run never
meets messages left in Redis by another test session and leaves none behind."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections, transaction

from tos.celery import app as celery_app
from tos.core import services
from tos.core.choices import SolverRunStatus
from tos.core.models import Event, SolverRun
from tos.core.tasks import solver_run_execute

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]

FINISHED = {SolverRunStatus.SUCCEEDED, SolverRunStatus.FAILED, SolverRunStatus.CANCELLED}
TIMEOUT = 60


def _reset_producer_pools(app: Any) -> None:
    """Drop the app's cached broker connections so new transport options take effect."""
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def broker() -> Iterator[Any]:
    """The Celery app on the configured Redis broker, under a key prefix of this test's own."""
    import redis

    url = celery_app.conf.broker_url or ""
    if not url.startswith(("redis://", "rediss://")):
        pytest.skip(
            f"the real Celery path needs the Redis broker; this run has {url.split(':')[0]!r} "
            "(REDIS_URL unset and 127.0.0.1:6379 unreachable). CI always has Redis."
        )
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis broker {url} is unreachable ({exc}); CI always has Redis.")

    prefix = f"tos-test-{uuid.uuid4().hex[:12]}:"
    saved = dict(celery_app.conf.broker_transport_options or {})
    celery_app.conf.broker_transport_options = {**saved, "global_keyprefix": prefix}
    _reset_producer_pools(celery_app)
    try:
        yield celery_app
    finally:
        celery_app.conf.broker_transport_options = saved
        _reset_producer_pools(celery_app)
        keys = list(client.scan_iter(f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


@contextlib.contextmanager
def running_worker(app: Any) -> Iterator[list[dict[str, Any]]]:
    """A worker thread on the solvers and default queues; yields what each task returned."""
    outcomes: list[dict[str, Any]] = []

    def on_postrun(sender=None, task=None, args=None, retval=None, **kwargs):
        if task is not None and task.name == "core.solver_run_execute":
            outcomes.append(
                {
                    "run_id": args[0],
                    "retval": retval,
                    "eager": bool(task.request.is_eager),
                    "queue": (task.request.delivery_info or {}).get("routing_key"),
                    "thread": threading.get_ident(),
                }
            )
        # The worker thread's connection would otherwise outlive the test (CONN_MAX_AGE).
        connections.close_all()

    task_postrun.connect(on_postrun, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            queues=["solvers", "default"],
            perform_ping_check=False,
            shutdown_timeout=30,
        ):
            yield outcomes
    finally:
        task_postrun.disconnect(on_postrun)


def _wait_for(predicate: Callable[[], Any], *, timeout: float = TIMEOUT, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _finished(run_id: int) -> SolverRun | None:
    run = SolverRun.objects.get(pk=run_id)
    return run if run.status in FINISHED else None


def _run_events(run_id: int) -> list[tuple[int, str, float]]:
    return [
        (e.seq, e.type, e.payload["progress"])
        for e in Event.objects.filter(topic="solver_runs", payload__id=run_id).order_by("seq")
    ]


def test_a_worker_check_run_travels_the_real_celery_path_to_success(
    broker, planner_client, terminal
):
    with running_worker(broker) as outcomes:
        started = time.monotonic()
        response = planner_client.post(
            "/api/v1/solver-runs/", {"kind": "core.worker_check", "params": {}}, format="json"
        )
        assert response.status_code == 202, response.content
        body = response.json()
        assert (body["kind"], body["status"], body["attempt"]) == ("core.worker_check", "queued", 0)

        run = _wait_for(lambda: _finished(body["id"]), what="the run to finish")
        elapsed = time.monotonic() - started
        _wait_for(lambda: outcomes, timeout=10, what="the task's postrun signal")

    assert run.status == SolverRunStatus.SUCCEEDED, run.error
    assert run.error == ""
    assert run.attempt == 1
    assert run.progress == 1.0
    assert run.started_at is not None
    assert run.finished_at is not None
    assert run.created_at <= run.started_at <= run.finished_at
    # max 2x + 3y subject to x + y <= 7, x and y in 0..10: y = 7, x = 0, so 21.
    assert run.result["cp_sat_status"] == "OPTIMAL"
    assert run.result["objective"] == 21
    assert run.result["bound"] == 21
    assert run.objective == 21
    assert run.bound == 21
    assert run.gap == 0
    assert set(run.result) >= {"worker_host", "python", "ortools", "seconds"}

    assert outcomes == [
        {
            "run_id": run.pk,
            "retval": "succeeded",
            "eager": False,
            "queue": "solvers",
            "thread": outcomes[0]["thread"],
        }
    ]
    assert outcomes[0]["thread"] != threading.get_ident()

    events = _run_events(run.pk)
    assert [t for _, t, _ in events] == [
        "solver_run.queued",
        "solver_run.started",
        "solver_run.progress",
        "solver_run.progress",
        "solver_run.succeeded",
    ]
    assert [p for _, _, p in events] == [0.0, 0.0, 0.1, 0.9, 1.0]
    seqs = [s for s, _, _ in events]
    assert seqs == list(range(seqs[0], seqs[0] + 5))
    assert elapsed < TIMEOUT


def test_a_second_delivery_of_a_finished_run_is_a_no_op(broker, planner, terminal):
    with running_worker(broker) as outcomes:
        with transaction.atomic():
            run = services.solver_run_enqueue(
                terminal=terminal, kind="core.worker_check", params={"case": "dup"}, by=planner
            )
        run = _wait_for(lambda: _finished(run.pk), what="the first delivery to finish")
        assert run.status == SolverRunStatus.SUCCEEDED
        events_before = _run_events(run.pk)

        solver_run_execute.apply_async((run.pk,), queue="solvers")
        _wait_for(lambda: len(outcomes) == 2, what="the duplicate delivery")

    assert [o["retval"] for o in outcomes] == ["succeeded", "not-claimed"]
    again = SolverRun.objects.get(pk=run.pk)
    assert (again.status, again.attempt, again.finished_at, again.result) == (
        SolverRunStatus.SUCCEEDED,
        1,
        run.finished_at,
        run.result,
    )
    assert _run_events(run.pk) == events_before


def test_a_run_cancelled_while_queued_is_never_run_by_the_worker(
    broker, planner, planner_client, terminal
):
    # No worker yet: the task message waits in the solvers queue while the run is cancelled.
    with transaction.atomic():
        run = services.solver_run_enqueue(
            terminal=terminal, kind="core.worker_check", params={"case": "cancel"}, by=planner
        )
    response = planner_client.post(f"/api/v1/solver-runs/{run.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"

    with running_worker(broker) as outcomes:
        _wait_for(lambda: outcomes, what="the worker to take the queued message")

    assert [(o["run_id"], o["retval"], o["queue"]) for o in outcomes] == [
        (run.pk, "not-claimed", "solvers")
    ]
    run.refresh_from_db()
    assert run.status == SolverRunStatus.CANCELLED
    assert run.cancel_requested is True
    assert run.error == "cancelled by planner"
    assert run.attempt == 0
    assert run.started_at is None
    assert run.result is None
    assert run.progress == 0.0
    assert [t for _, t, _ in _run_events(run.pk)] == [
        "solver_run.queued",
        "solver_run.cancelled",
    ]
