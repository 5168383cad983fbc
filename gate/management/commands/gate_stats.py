"""``manage.py gate_stats``: how many gate decisions were made without a person.

A gate decision is a truck's gate-in (accepted or refused) or its gate-out. It was made without a
person when the automatic validation decided it (``decided_by`` / ``out_decided_by`` =
``system``: an OCR lane or a system calling the API, no clerk typing or correcting anything);
a clerk's manual entry, a correction after a refusal and the lane without OCR count as a
person's decision. The share is automatic decisions over all decisions; the container
transactions at gate-in (one per box) are shown too.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gate.selectors import gate_decision_stats
from tos.core.models import Terminal


class Command(BaseCommand):
    help = "Share of gate transactions decided without a person (and the counts)."

    def add_arguments(self, parser):
        parser.add_argument("--terminal", default="", help="Terminal code (default: every one).")
        parser.add_argument(
            "--hours", type=int, default=0, help="Only the last N hours (default: all time)."
        )

    def handle(self, *args, terminal: str, hours: int, **options) -> None:
        terminals = Terminal.objects.order_by("pk")
        if terminal:
            terminals = terminals.filter(code=terminal)
            if not terminals.exists():
                raise CommandError(f"No terminal {terminal}.")
        if hours < 0:
            raise CommandError("--hours: 0 or more.")
        since = timezone.now() - dt.timedelta(hours=hours) if hours else None
        for t in terminals:
            s = gate_decision_stats(terminal=t, since=since)
            window = f"last {hours} h" if hours else "all time"
            self.stdout.write(f"Gate decisions at {t.code} ({window}):")
            self.stdout.write(
                f"  gate-in:  {s['gate_in']} (accepted {s['accepted']}, refused {s['refused']}); "
                f"automatic {s['gate_in_system']}, clerk {s['gate_in_clerk']}"
            )
            self.stdout.write(
                f"  gate-out: {s['gate_out']}; "
                f"automatic {s['gate_out_system']}, clerk {s['gate_out_clerk']}"
            )
            self.stdout.write(
                f"  container transactions at gate-in: {s['transactions']}; "
                f"automatic {s['transactions_system']}, clerk {s['transactions_clerk']}"
            )
            self.stdout.write(f"  refusal reasons: {_join(s['reasons'])}")
            share = s["share_automatic"]
            self.stdout.write(
                f"Decided without a person: {s['decisions_system']} of {s['decisions']} gate "
                f"decisions = {share * 100:.1f} %"
                if share is not None
                else "Decided without a person: no gate decisions yet."
            )


def _join(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in counts.items()) or "none"
