"""The operations part of the demo terminal: equipment for the quay cranes and yard blocks, a
pool of straddle carriers and terminal trucks, the work orders and crane queues of the vessel
calls that have stowage plans, and the receivals and deliveries of the trucks in the terminal.

Called by ``tos.core.demo.demo_seed`` after the gate's day (the hook for the lead:
``from operations.demo import operations_demo_seed; operations_demo_seed(terminal=terminal)``).
Idempotent: running it again adds nothing."""

from __future__ import annotations

from typing import Any

from operations import services
from operations.choices import EquipmentKind
from operations.models import Equipment
from tos.core.errors import ApplicationError
from tos.core.models import Terminal, VesselVisit

#: Horizontal transport of the demo: six straddle carriers and four terminal trucks in the
#: general pool (the quay-crane pools are named after their cranes).
STRADDLES = 6
TRUCKS = 4


def operations_demo_seed(*, terminal: Terminal) -> dict[str, Any]:
    """Create the demo equipment and plan the work of the calls with stowage plans."""
    from django.utils import timezone

    from berthing.models import QuayCrane
    from yard.models import YardBlock

    started = timezone.now()
    made = 0
    for crane in QuayCrane.objects.filter(quay__terminal=terminal).order_by("rail_order"):
        _, created = Equipment.objects.get_or_create(
            terminal=terminal,
            name=crane.name,
            defaults={"kind": EquipmentKind.QUAY_CRANE, "quay_crane": crane},
        )
        made += created
    for block in YardBlock.objects.filter(terminal=terminal, equipment__in=["rtg", "rmg"]):
        _, created = Equipment.objects.get_or_create(
            terminal=terminal,
            name=f"{block.equipment.upper()}-{block.name}"[:20],
            defaults={
                "kind": block.equipment,
                "block": block,
                "position_block": block,
                "position_bay": 1,
                "x_m": block.x_m,
                "y_m": block.y_m,
            },
        )
        made += created
    for kind, count, prefix in (
        (EquipmentKind.STRADDLE, STRADDLES, "SC"),
        (EquipmentKind.TRUCK, TRUCKS, "TT"),
    ):
        for i in range(1, count + 1):
            _, created = Equipment.objects.get_or_create(
                terminal=terminal, name=f"{prefix}{i:02d}", defaults={"kind": kind}
            )
            made += created
    orders = queues = 0
    visits = VesselVisit.objects.filter(terminal=terminal, stowage_plans__isnull=False).distinct()
    for visit in visits.order_by("eta", "pk"):
        counts = services.work_orders_from_stowage(visit=visit)
        orders += counts["discharge"] + counts["load"] + counts["restow"]
        if visit.crane_queues.exists():
            continue
        try:
            queues += len(services.crane_queues_build(visit=visit))
        except ApplicationError:
            continue  # no published crane split, or work already under way: nothing to build
    from gate.models import GateTransaction

    for tx in GateTransaction.objects.filter(
        accepted=True, visit__status="accepted", visit__terminal=terminal, unit__isnull=False
    ).select_related("visit__lane", "yard_move__to_block"):
        try:
            wo = services.work_order_from_gate(gate_transaction=tx)
        except ApplicationError:
            continue  # the box is not where a move can start (e.g. not in the yard)
        orders += wo.created_at >= started
    return {"equipment": made, "work_orders": orders, "crane_queues": queues}
