"""The demo gate: a day of slots, appointments and truck visits made through the gate services,
mostly decided automatically, some refused with reasons, one corrected by a clerk; no live
events left behind; ``gate_stats`` prints the share decided without a person."""

from __future__ import annotations

import itertools

from django.core.management import call_command
from django.db.models import Count

from gate import demo
from gate.choices import LaneDirection
from gate.demo import gate_demo_seed
from gate.models import Appointment, AppointmentSlot, GateLane, TruckVisit
from gate.selectors import gate_decision_stats
from tos.core.choices import OrganisationKind, Role, UnitCategory, UnitState
from tos.core.models import Event, Organisation
from tos.core.tests.factories import ContainerFactory, UnitFactory, UserFactory, container_number

_numbers = itertools.count(300_000)


def demo_gate(terminal, line_a):
    """A terminal with OCR lanes and a clerk's lane, a gate clerk, a haulier and 60 export boxes
    announced by line A (no yard: receivals get "no position yet")."""
    for name, direction, ocr in (
        ("IN-1", LaneDirection.IN, True),
        ("IN-2", LaneDirection.IN, True),
        ("OUT-1", LaneDirection.OUT, True),
        ("SPECIAL", LaneDirection.BOTH, False),
    ):
        GateLane.objects.create(terminal=terminal, name=name, direction=direction, has_ocr=ocr)
    UserFactory(username="gate", role=Role.GATE_CLERK, terminal=terminal)
    Organisation.objects.create(kind=OrganisationKind.HAULIER, name="Demo Haul", code="DHL1")
    for i in range(60):
        UnitFactory(
            terminal=terminal,
            container=ContainerFactory(number=container_number(next(_numbers), owner="DEXU")),
            line=line_a,
            category=UnitCategory.EXPORT,
            state=UnitState.ADVISED,
            booking_ref=f"BK{i:04d}",
            vgm_kg=None if i % 10 == 0 else 18_000 + 10 * i,
        )


def test_the_demo_gate_has_a_realistic_mix_and_leaves_no_live_events(terminal, line_a):
    demo_gate(terminal, line_a)
    seq = terminal.event_seq
    counts = gate_demo_seed(terminal=terminal, seed=7)
    terminal.refresh_from_db()
    assert terminal.event_seq == seq
    assert not Event.objects.filter(terminal=terminal).exists()
    hours = demo.HISTORY_HOURS + 3 + demo.FUTURE_HOURS + 1
    assert AppointmentSlot.objects.filter(terminal=terminal).count() == hours * 4
    statuses = dict(TruckVisit.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses["departed"] > 10
    assert statuses["refused"] >= 2
    assert counts["queued"] == 4
    assert Appointment.objects.filter(status="booked", arrived_at__isnull=False).count() == 4
    assert counts["no_shows"] == Appointment.objects.filter(status="no_show").count() > 0
    reasons = {r["code"] for v in TruckVisit.objects.filter(status="refused") for r in v.reasons}
    assert reasons & {"appointment_missing", "missing_vgm", "seal_mismatch", "wrong_check_digit"}
    stats = gate_decision_stats(terminal=terminal)
    assert stats["gate_in"] == TruckVisit.objects.count()
    assert 0.75 <= stats["share_automatic"] < 1
    assert stats["gate_in_clerk"] + stats["gate_out_clerk"] >= 1


def test_a_demo_truck_comes_back_only_after_a_refusal_and_every_departure_has_its_eir(
    terminal, line_a
):
    demo_gate(terminal, line_a)
    gate_demo_seed(terminal=terminal, seed=7)
    first = list(
        TruckVisit.objects.order_by("gate_in_at", "pk").values_list("status", "truck_plate")
    )
    assert len(first) > 20
    by_plate: dict[str, list[str]] = {}
    for status, plate in first:
        by_plate.setdefault(plate, []).append(status)
    # A plate comes back only after a refusal (a clerk corrects a misread seal).
    assert all(set(statuses[:-1]) <= {"refused"} for statuses in by_plate.values())
    departed = TruckVisit.objects.filter(status="departed")
    assert all(v.eir_number == f"EIR{v.pk:08d}" and v.turn_time_s > 0 for v in departed)


def test_gate_stats_prints_the_counts_and_the_share(terminal, line_a, capsys):
    demo_gate(terminal, line_a)
    gate_demo_seed(terminal=terminal, seed=7)
    stats = gate_decision_stats(terminal=terminal)
    call_command("gate_stats", "--terminal", terminal.code)
    out = capsys.readouterr().out
    share = 100 * stats["decisions_system"] / stats["decisions"]
    assert f"Gate decisions at {terminal.code} (all time):" in out
    assert (
        f"Decided without a person: {stats['decisions_system']} of {stats['decisions']} gate "
        f"decisions = {share:.1f} %"
    ) in out
    assert f"gate-out: {stats['gate_out']}; automatic {stats['gate_out_system']}" in out
