"""``manage.py seed_demo``: load the demo terminal once (see ``tos.core.demo``)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tos.core.demo import DEFAULT_SEED, DEMO_PASSWORD, DEMO_USERS, demo_seed
from tos.core.models import Terminal


class Command(BaseCommand):
    help = (
        "Load the demo terminal (Delta Container Terminal: quay, cranes, yard, gate, lines, "
        "vessel visits, about 8,000 units and the demo users). Does nothing if it is loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed gives the same terminal (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--i-know-this-is-not-production",
            action="store_true",
            dest="not_production",
            help="Run although DEBUG is off (the demo users share a published password).",
        )

    def handle(self, *args, seed: int, not_production: bool, **options) -> None:
        if not settings.DEBUG and not not_production:
            raise CommandError(
                "seed_demo creates users with a published password, so it only runs with "
                "DEBUG on. If this database is not production, pass "
                "--i-know-this-is-not-production."
            )
        summary = demo_seed(seed=seed)
        if not summary.created:
            self.stdout.write(
                f"The demo terminal {summary.terminal_code} is already loaded; nothing to do."
            )
            return
        from gate.demo import gate_demo_seed  # the gate's day so far, on the real clock

        terminal = Terminal.objects.get(code=summary.terminal_code)
        gate = gate_demo_seed(terminal=terminal, seed=seed)
        from stowage.demo import stowage_demo_seed  # profiles and arrival plans at berth

        started = time.monotonic()
        stowage = stowage_demo_seed(terminal=terminal, seed=seed)
        stowage_s = time.monotonic() - started
        from operations.demo import operations_demo_seed  # equipment, and the trucks' work

        work = operations_demo_seed(terminal=terminal)
        c = summary.counts
        blocks = c["yard_blocks"]
        orgs = c["organisations"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded the demo terminal {summary.terminal_code} (seed {summary.seed}) "
                f"in {summary.seconds:.1f} s:"
            )
        )
        self.stdout.write(
            f"  quay {c['quay_m']} m, {c['berth_sections']} berth sections, "
            f"{c['quay_cranes']} quay cranes, {c['gate_lanes']} gate lanes"
        )
        self.stdout.write(f"  {sum(blocks.values())} yard blocks: " + _join(blocks))
        self.stdout.write(f"  organisations: {_join(orgs)}")
        self.stdout.write(f"  {c['vessel_visits']} vessel visits: {_join(c['visits_by_phase'])}")
        self.stdout.write(
            f"  {c['units']} units ({c['teu']} TEU), {c['reefers']} reefers, "
            f"{c['dangerous']} dangerous goods"
        )
        self.stdout.write(f"    by category: {_join(c['units_by_category'])}")
        self.stdout.write(f"    by state: {_join(c['units_by_state'])}")
        self.stdout.write(f"  holds: {c['holds_active']} active, {c['holds_released']} released")
        self.stdout.write(
            f"  gate: {gate.get('visits', 0)} truck visits in the last hours "
            f"({gate.get('inside', 0)} in the terminal, {gate.get('departed', 0)} departed, "
            f"{gate.get('refused', 0)} refused), {gate.get('queued', 0)} trucks queued"
        )
        self.stdout.write(
            f"  stowage: {stowage['profiles']} vessel profiles, {stowage['arrival_plans']} "
            f"arrival plans ({stowage['cells']} boxes aboard) in {stowage_s:.1f} s"
        )
        self.stdout.write(
            f"  operations: {work.get('equipment', 0)} pieces of equipment, "
            f"{work.get('work_orders', 0)} work orders, {work.get('crane_queues', 0)} crane queues"
        )
        if summary.skipped_users:
            self.stdout.write(
                "  existing users left unchanged: " + ", ".join(summary.skipped_users)
            )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, description in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {role:<16} {description}")


def _join(counts: dict) -> str:
    return ", ".join(f"{n} {name}" for name, n in counts.items())
