"""Time yard allocation on a terminal's yard (the demo terminal by default).

    python manage.py yard_bench_allocation [--terminal DCT] [--units 200] [--origin berth|gate]

Suggests a position for up to ``--units`` units that are not in the yard (advised or inbound,
mixed kinds) and prints p50/p95/p99/max of the wall time per suggestion (all queries included).
With ``--place`` each unit is then placed at its chosen slot (so every suggestion sees a changed
yard and reloads it, the worst case), all in one transaction that is rolled back at the end;
otherwise it only reads.
"""

from __future__ import annotations

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tos.core.choices import PositionKind, UnitState
from tos.core.models import ContainerVisit, Terminal
from yard.allocation import allocation_suggest
from yard.models import YardBlock
from yard.services import yard_unit_place


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Time yard allocation suggestions (p50/p95/p99)."

    def add_arguments(self, parser):
        parser.add_argument("--terminal", default="DCT")
        parser.add_argument("--units", type=int, default=200)
        parser.add_argument("--origin", default="berth", choices=["berth", "gate"])
        parser.add_argument("--place", action="store_true")

    def handle(self, *args, place: bool, **options):
        with transaction.atomic():
            self._run(place=place, **options)
            transaction.set_rollback(True)

    def _run(self, *, terminal: str, units: int, origin: str, place: bool, **options):
        site = Terminal.objects.filter(code=terminal).first()
        if site is None:
            raise CommandError(f"No terminal {terminal}; run seed_demo first.")
        todo = list(
            ContainerVisit.objects.filter(
                terminal=site,
                state__in=[UnitState.ADVISED, UnitState.INBOUND],
                position_kind__in=[PositionKind.NONE, PositionKind.VESSEL],
            ).order_by("pk")[:units]
        )
        if not todo:
            raise CommandError("No incoming units to allocate.")
        allocation_suggest(unit=todo[0], origin=origin)  # warm caches and connections
        times, found = [], 0
        for unit in todo:
            started = time.perf_counter()
            result = allocation_suggest(unit=unit, origin=origin)
            times.append((time.perf_counter() - started) * 1000)
            found += result.chosen is not None
            if place and result.chosen is not None:
                c = result.chosen
                yard_unit_place(
                    unit=unit,
                    block=YardBlock.objects.get(pk=c.block_id),
                    bay=c.bay,
                    row=c.row,
                    tier=c.tier,
                )
        print(
            f"# {len(todo)} units, {found} with a slot"
            + (" (each placed: yard reloaded every time)" if place else "")
            + f", {result.considered} positions considered for the last one"
        )
        print("metric,p50,p95,p99,max")
        print(
            f"allocation_ms,{statistics.median(times):.1f},{_percentile(times, 95):.1f},"
            f"{_percentile(times, 99):.1f},{max(times):.1f}"
        )
