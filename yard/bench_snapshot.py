"""Benchmark of the live map's snapshot: build a 50,000-slot yard, fill it, and time
:func:`yard.selectors.yard_snapshot` plus JSON encoding and gzip as the endpoint serves it.

    DATABASE_URL=postgres://… python -m yard.bench_snapshot [--slots 50000] [--fill 0.8]
        [--runs 20] [--keep]

The yard is written into a scratch terminal (code ``BENCH-SNAP``) of the configured database
and deleted afterwards unless ``--keep``. Prints the fill, then p50/p95/p99/max of the server
time (query + build + JSON + gzip) and the raw and gzip-compressed sizes.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import time


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tos.settings.dev")
    import django

    django.setup()


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def build_yard(*, slots: int, fill: float, seed: int = 7):
    """A terminal with blocks of 40 ground bays × 10 rows × 5 tiers (2,000 slots each) until
    ``slots`` 20' slots, filled to ``fill`` with a realistic mix (60 % 40' boxes, reefers on a
    reefer block, lines, PODs, weights, holds). Returns the terminal."""
    from django.db import transaction
    from django.utils import timezone

    from tos.core import codes
    from tos.core.choices import OrganisationKind, PositionKind, UnitState
    from tos.core.models import Container, ContainerVisit, Hold, Organisation, Terminal
    from yard.models import YardBlock, YardOccupancy, ground_bays, yard_ref
    from yard.services import yard_block_stacks_ensure

    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        terminal = Terminal.objects.create(
            name="Snapshot benchmark", locode="NLRTM", code="BENCH-SNAP"
        )
        lines = [
            Organisation.objects.get_or_create(
                code=f"BS{i}", defaults={"kind": OrganisationKind.LINE, "name": f"Bench {i}"}
            )[0]
            for i in range(8)
        ]
        per_block = 40 * 10 * 5
        blocks = []
        for i in range((slots + per_block - 1) // per_block):
            kind = "reefer" if i % 8 == 3 else "dry"
            block = YardBlock.objects.create(
                terminal=terminal,
                name=f"B{i:02d}",
                kind=kind,
                bays=40,
                rows=10,
                max_tier=5,
                reefer_plugs_per_row=200 if kind == "reefer" else 0,
                x_m=40 + (i % 5) * 290,
                y_m=90 + (i // 5) * 60,
            )
            yard_block_stacks_ensure(block=block)
            blocks.append(block)
        pods = ["SGSIN", "CNSHA", "USNYC", "DEHAM", "BRSSZ", "AEJEA", "KRPUS", "GBFXT"]
        placements = []
        for block in blocks:
            for pair in range(20):
                for row in range(1, 11):
                    if rng.random() < 0.6:
                        height = min(5, max(0, round(rng.gauss(5 * fill, 1))))
                        placements += [
                            (block, 4 * pair + 2, row, t, 40) for t in range(1, height + 1)
                        ]
                    else:
                        for bay in (4 * pair + 1, 4 * pair + 3):
                            height = min(5, max(0, round(rng.gauss(5 * fill, 1))))
                            placements += [(block, bay, row, t, 20) for t in range(1, height + 1)]
        containers = []
        for n, (block, _bay, _row, _tier, size) in enumerate(placements):
            serial = f"{n:06d}"
            reefer = block.kind == "reefer"
            iso = ("22R1" if reefer else "22G1") if size == 20 else ("45R1" if reefer else "45G1")
            containers.append(
                Container(
                    number=f"BNCU{serial}{codes.container_check_digit('BNCU' + serial)}",
                    iso_type=iso,
                    length_ft=size,
                    height_mm=2896,
                    type_group="R" if reefer else "G",
                    teu=1 if size == 20 else 2,
                )
            )
        Container.objects.bulk_create(containers, batch_size=5000)
        units = [
            ContainerVisit(
                terminal=terminal,
                container=c,
                category=rng.choice(["import", "export", "export", "transhipment", "empty"]),
                state=UnitState.ON_TERMINAL,
                line=rng.choice(lines),
                pod=rng.choice(pods),
                gross_weight_kg=rng.randint(3000, 30000),
                position_kind=PositionKind.YARD,
                position_ref=yard_ref(p[0].name, p[1], p[2], p[3]),
                time_in=now,
            )
            for c, p in zip(containers, placements, strict=True)
        ]
        ContainerVisit.objects.bulk_create(units, batch_size=5000)
        occupancies = []
        for unit, (block, bay, row, tier, size) in zip(units, placements, strict=True):
            start, end = ground_bays(bay, size)
            occupancies.append(
                YardOccupancy(
                    terminal=terminal,
                    unit=unit,
                    block=block,
                    bay=bay,
                    row=row,
                    tier=tier,
                    size_ft=size,
                    ground_from=start,
                    ground_to=end,
                    valid_from=now,
                )
            )
        YardOccupancy.objects.bulk_create(occupancies, batch_size=5000)
        Hold.objects.bulk_create(
            [
                Hold(
                    terminal=terminal,
                    unit=u,
                    kind="customs",
                    blocks_gate_out=True,
                    reason="bench",
                    applied_at=now,
                )
                for u in rng.sample(units, len(units) // 50)
            ],
            batch_size=5000,
        )
    return terminal


def drop_yard(terminal) -> None:
    from django.db import transaction

    from tos.core.models import Container, ContainerVisit, Event, Hold
    from yard.models import YardBlock, YardOccupancy, YardStack

    with transaction.atomic():
        Hold.objects.filter(terminal=terminal).delete()
        YardOccupancy.objects.filter(terminal=terminal).delete()
        YardStack.objects.filter(block__terminal=terminal).delete()
        numbers = list(
            ContainerVisit.objects.filter(terminal=terminal).values_list("container_id", flat=True)
        )
        ContainerVisit.objects.filter(terminal=terminal).delete()
        Container.objects.filter(pk__in=numbers).delete()
        for block in YardBlock.objects.filter(terminal=terminal):
            block.history.all().delete()
            block.delete()
        Event.objects.filter(terminal=terminal).delete()
        terminal.history.all().delete()
        terminal.delete()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slots", type=int, default=50_000)
    parser.add_argument("--fill", type=float, default=0.8)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    _setup()
    from django.db import connection
    from django.db.models import Count

    from tos.core.models import Terminal
    from yard.models import YardBlock
    from yard.selectors import current_occupancy, yard_snapshot

    stale = Terminal.objects.filter(code="BENCH-SNAP").first()
    if stale is not None:
        drop_yard(stale)
    started = time.perf_counter()
    terminal = build_yard(slots=args.slots, fill=args.fill)
    built = time.perf_counter() - started
    blocks = YardBlock.objects.filter(terminal=terminal)
    capacity = sum(b.capacity_teu for b in blocks)
    counts = current_occupancy(terminal=terminal).aggregate(n=Count("pk"))
    sys.stderr.write(
        f"# {connection.vendor}: {blocks.count()} blocks, {capacity} slots (TEU), "
        f"{counts['n']} boxes; built in {built:.1f} s\n"
    )
    try:
        times, raw_sizes, gz_sizes = [], [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            snapshot = yard_snapshot(terminal=terminal)
            body = json.dumps(snapshot, separators=(",", ":")).encode()
            packed = gzip.compress(body, compresslevel=6)
            times.append((time.perf_counter() - t0) * 1000)
            raw_sizes.append(len(body))
            gz_sizes.append(len(packed))
        sys.stdout.write("metric,p50,p95,p99,max\n")
        for name, values in (
            ("server_ms", times),
            ("raw_bytes", raw_sizes),
            ("gzip_bytes", gz_sizes),
        ):
            sys.stdout.write(
                f"{name},{statistics.median(values):.0f},{_percentile(values, 95):.0f},"
                f"{_percentile(values, 99):.0f},{max(values):.0f}\n"
            )
    finally:
        if not args.keep:
            drop_yard(terminal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
