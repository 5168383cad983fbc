"""``python manage.py simulate --days 1 --speed 60 --seed 7``: a day of the terminal through the
services (see :mod:`operations.simulator`). ``--speed max`` runs as fast as the machine allows
and is the load generator: it prints the completion and event latency percentiles."""

from __future__ import annotations

import signal
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from operations.simulator import Completed, day_kpis, moves_by_kind, simulate
from tos.core.models import Terminal, User


def _speed(value: str) -> float | None:
    if value == "max":
        return None
    try:
        speed = float(value)
    except ValueError as exc:
        raise CommandError("--speed is a number of simulated seconds per second, or max") from exc
    if speed <= 0:
        raise CommandError("--speed must be more than 0")
    return speed


def _fmt(value: Any) -> str:
    return "-" if value is None else f"{value:.1f}"


class Command(BaseCommand):
    help = "Simulate a day of terminal operations through the services; print KPIs and latency."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=1)
        parser.add_argument("--speed", default="60", help="simulated s per wall s, or max")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--moves", type=int, default=None, help="vessel moves (cap)")
        parser.add_argument("--terminal", default=None, help="terminal code (default: the first)")
        parser.add_argument("--user", default="operator", help="who confirms the moves")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        speed = _speed(o["speed"])
        if o["days"] < 1:
            raise CommandError("--days must be at least 1")
        moves = o["moves"] if o["moves"] is not None else (20000 if speed is None else 600)
        if moves < 1:
            raise CommandError("--moves must be at least 1")
        terminals = Terminal.objects.order_by("pk")
        terminal = (
            terminals.filter(code=o["terminal"]).first() if o["terminal"] else terminals.first()
        )
        if terminal is None:
            raise CommandError("no such terminal; run manage.py seed_demo first")
        by = User.objects.filter(username=o["user"]).first()
        if by is None:
            raise CommandError(f"no user {o['user']!r}")
        quiet = o["quiet"]

        def show(move: Completed) -> None:
            if not quiet:
                h, rest = divmod(move.at_s, 3600)
                self.stdout.write(
                    f"{h:02d}:{rest // 60:02d}:{rest % 60:02d} {move.equipment:<10} "
                    f"{move.kind:<9} {move.container} {dict(move.position)}"
                )

        def stop(signum: int, frame: Any) -> None:
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, stop)  # a stopped run still prints what it measured
        started = timezone.now()
        plan, report = simulate(
            terminal=terminal,
            seed=o["seed"],
            days=o["days"],
            moves=moves,
            speed=speed,
            by=by,
            on_move=show,
        )
        ended = timezone.now()
        w = self.stdout.write
        w(
            f"# calls: {len(plan.visits)} ({', '.join(v.reference for v in plan.visits)}); "
            f"work orders made: {plan.counts['work_orders']}"
        )
        done = len(report.moves)
        w(
            f"# moves completed: {done} {moves_by_kind(report)} in {report.sim_s / 3600:.2f} "
            f"simulated h, {report.wall_s:.1f} wall s ({done / max(report.wall_s, 1e-9):.1f}/s)"
        )
        w(f"# rehandles (boxes shifted off a box to load): {report.rehandles}")
        if report.interrupted:
            w("# stopped before the end of the day (interrupted); figures are of the moves done")
        if report.refused:
            w(f"# refused or problems: {dict(report.refused)}")
        w("measurement,samples,p50_ms,p95_ms,p99_ms")
        for name, n, p50, p95, p99 in report.latency_rows():
            w(f"{name},{n},{_fmt(p50)},{_fmt(p95)},{_fmt(p99)}")
        w(f"# completion events not seen by the subscriber within 3 s: {report.events_lost}")
        w(f"# KPIs of the run's period {started:%Y-%m-%d %H:%M:%S} to {ended:%H:%M:%S} UTC")
        for name, figure in day_kpis(terminal=terminal, start=started, end=ended).items():
            tiles = figure.get("tiles") if isinstance(figure, dict) else None
            if tiles:
                text = "; ".join(
                    f"{t.get('label')}: {t.get('value')} {t.get('unit', '')}".rstrip()
                    for t in tiles
                )
            else:
                text = str(figure.get("error") or figure.get("empty") or "")[:200]
            w(f"{name}: {text}")
