"""Gate-in and gate-out latency at the API with concurrent lanes, on the demo terminal.

    python manage.py gate_bench [--terminal DCT] [--lanes 4] [--trucks 100] --i-know-this-writes

Each lane is a thread with its own database connection that sends its trucks one after the
other through ``POST /api/v1/gate/truck-visits/gate-in/`` and ``…/{id}/gate-out/`` (in-process
through the whole Django/DRF stack, with ``Idempotency-Key``; no HTTP server in between). Half the
trucks drop off a pre-advised export box (validation, unit in, yard allocation and a planned
receival move), half pick up an import box on top of its yard stack (PIN, holds check, yard
removal, departure). Prints p50/p95/max per operation and the share of trucks decided without a
person. It WRITES to the database (pre-advices, appointments, visits, units, moves): run it on a
scratch copy of the demo data.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from gate import services
from gate.choices import TransactionType
from gate.models import GateLane, PreAdvice
from tos.core import codes
from tos.core.choices import PositionKind, Role, UnitCategory, UnitState
from tos.core.models import ContainerVisit, Hold, Organisation, Terminal, User


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _tops(terminal: Terminal, limit: int) -> list[ContainerVisit]:
    """Import units without holds that stand on top of their yard stack, one per stack."""
    from yard.models import YardOccupancy

    current = list(
        YardOccupancy.objects.filter(block__terminal=terminal, valid_to__isnull=True).values(
            "unit_id", "block_id", "row", "tier", "ground_from", "ground_to"
        )
    )
    above = {(o["block_id"], o["row"], o["tier"]): [] for o in current}
    for o in current:
        above.setdefault((o["block_id"], o["row"], o["tier"]), []).append(o)
    held = set(Hold.objects.filter(released_at__isnull=True).values_list("unit_id", flat=True))
    held |= set(PreAdvice.objects.filter(status="open").values_list("unit_id", flat=True))
    candidates = []
    stacks_used = set()
    for o in current:
        blockers = [
            b
            for b in above.get((o["block_id"], o["row"], o["tier"] + 1), [])
            if b["ground_from"] < o["ground_to"] and o["ground_from"] < b["ground_to"]
        ]
        stack = (o["block_id"], o["row"], o["ground_from"])
        if blockers or o["unit_id"] in held or stack in stacks_used:
            continue
        stacks_used.add(stack)
        candidates.append(o["unit_id"])
    return list(
        ContainerVisit.objects.filter(
            pk__in=candidates,
            terminal=terminal,
            state=UnitState.ON_TERMINAL,
            category=UnitCategory.IMPORT,
            position_kind=PositionKind.YARD,
        )
        .select_related("container", "line")
        .order_by("pk")[:limit]
    )


class Command(BaseCommand):
    help = "Gate-in/gate-out API latency (p50/p95) with concurrent lanes on the demo data."

    def add_arguments(self, parser):
        parser.add_argument("--terminal", default="DCT")
        parser.add_argument("--lanes", type=int, default=4)
        parser.add_argument("--trucks", type=int, default=100)
        parser.add_argument("--i-know-this-writes", action="store_true", dest="writes")

    def handle(self, *args, terminal: str, lanes: int, trucks: int, writes: bool, **options):
        if not writes:
            raise CommandError("gate_bench writes gate data; pass --i-know-this-writes.")
        site = Terminal.objects.filter(code=terminal).first()
        if site is None:
            raise CommandError(f"No terminal {terminal}; run seed_demo first.")
        lanes_in = list(GateLane.objects.filter(terminal=site, direction__in=["in", "both"]))
        lanes_out = list(GateLane.objects.filter(terminal=site, direction__in=["out", "both"]))
        if not lanes_in or not lanes_out:
            raise CommandError("The terminal needs gate-in and gate-out lanes.")
        clerk, _ = User.objects.get_or_create(
            username="gate-bench", defaults={"role": Role.GATE_CLERK, "terminal": site}
        )
        haulier_org, _ = Organisation.objects.get_or_create(
            code="GBENCH", defaults={"kind": "haulier", "name": "Gate bench haulier"}
        )
        haulier, _ = User.objects.get_or_create(
            username="gate-bench-haulier",
            defaults={"role": Role.AGENT, "organisation": haulier_org, "terminal": site},
        )
        hour = timezone.now().replace(minute=0, second=0, microsecond=0)
        slots = {
            t: services.appointment_slot_set(
                terminal=site, starts_at=hour, transaction_type=t, capacity=100000
            )
            for t in (TransactionType.DROP_OFF_EXPORT, TransactionType.PICK_UP_IMPORT)
        }
        pick_ups = _tops(site, trucks // 2)
        line = Organisation.objects.filter(kind="line", units__terminal=site).distinct().first()
        stamp = int(time.time()) % 100000
        jobs = []
        serial = itertools.count(stamp * 10)
        for i in range(trucks):
            plate = f"GB{stamp:05d}{i:04d}"
            if i % 2 == 1 and pick_ups:
                unit = pick_ups.pop()
                advice, _pending = services.pre_advice_create(
                    terminal=site,
                    transaction_type=TransactionType.PICK_UP_IMPORT,
                    container_number=unit.container.number,
                    line=unit.line,
                    by=haulier,
                    release_ref="BENCH",
                )
                kind, box = (
                    "pick_up",
                    {"container_number": unit.container.number, "pin": advice.pin},
                )
            else:
                while True:
                    first = f"GBEU{next(serial) % 1_000_000:06d}"
                    number = first + str(codes.container_check_digit(first))
                    if not (
                        ContainerVisit.objects.filter(container__number=number).exists()
                        or PreAdvice.objects.filter(container_number=number).exists()
                    ):
                        break
                services.pre_advice_create(
                    terminal=site,
                    transaction_type=TransactionType.DROP_OFF_EXPORT,
                    container_number=number,
                    line=line,
                    by=haulier,
                    iso_type="22G1",
                    booking_ref="BENCH",
                    seals=["S1"],
                    vgm_kg=20000,
                )
                kind, box = "drop_off", {"container_number": number, "seals": ["S1"]}
            slot = slots[
                TransactionType.PICK_UP_IMPORT
                if kind == "pick_up"
                else TransactionType.DROP_OFF_EXPORT
            ]
            appointment = services.appointment_book(slot=slot, by=haulier, truck_plate=plate)
            jobs.append((plate, appointment.reference, kind, box))

        times: dict[str, list[float]] = {"gate_in": [], "gate_out": []}
        outcomes: Counter = Counter()
        lock = threading.Lock()

        def lane_worker(index: int) -> None:
            # Any host this installation allows (the test client's "testserver" may not be).
            hosts = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
            client = APIClient(SERVER_NAME=hosts[0] if hosts else "localhost")
            client.force_authenticate(clerk)
            lane_in, lane_out = lanes_in[index % len(lanes_in)], lanes_out[index % len(lanes_out)]
            try:
                for plate, ref, kind, box in jobs[index::lanes]:
                    t0 = time.perf_counter()
                    r = client.post(
                        "/api/v1/gate/truck-visits/gate-in/",
                        {
                            "lane": lane_in.name,
                            "truck_plate": plate,
                            "appointment": ref,
                            "containers": [box],
                        },
                        format="json",
                        HTTP_IDEMPOTENCY_KEY=f"in-{plate}",
                    )
                    t1 = time.perf_counter()
                    body = r.json()
                    status = body.get("status") if r.status_code == 201 else body.get("code")
                    position = (body.get("transactions") or [{}])[0].get("position_status", "")
                    with lock:
                        times["gate_in"].append((t1 - t0) * 1000)
                        outcomes[f"gate_in {kind} {r.status_code} {status} {position}"] += 1
                    if r.status_code != 201 or status != "accepted":
                        continue
                    t0 = time.perf_counter()
                    r = client.post(
                        f"/api/v1/gate/truck-visits/{body['id']}/gate-out/",
                        {"lane": lane_out.name},
                        format="json",
                        HTTP_IDEMPOTENCY_KEY=f"out-{plate}",
                    )
                    t1 = time.perf_counter()
                    with lock:
                        times["gate_out"].append((t1 - t0) * 1000)
                        code = r.json().get("status") or r.json().get("code")
                        outcomes[f"gate_out {kind} {r.status_code} {code}"] += 1
            finally:
                connections.close_all()

        started = time.perf_counter()
        threads = [threading.Thread(target=lane_worker, args=(i,)) for i in range(lanes)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        self.stdout.write(f"terminal {site.code}, {lanes} concurrent lanes, {len(jobs)} trucks")
        for name, values in times.items():
            if values:
                self.stdout.write(
                    f"{name}: n={len(values)} p50={_percentile(values, 50):.1f} ms "
                    f"p95={_percentile(values, 95):.1f} ms max={max(values):.1f} ms "
                    f"mean={statistics.mean(values):.1f} ms"
                )
        for key, n in sorted(outcomes.items()):
            self.stdout.write(f"  {key}: {n}")
        decided = sum(n for k, n in outcomes.items() if k.startswith("gate_in") and " 201 " in k)
        self.stdout.write(
            f"decided without a person at gate-in: {decided}/{len(jobs)} "
            f"({100 * decided / max(1, len(jobs)):.0f} %); wall {wall:.1f} s, "
            f"{2 * len(jobs) / wall:.1f} gate transactions/s"
        )
