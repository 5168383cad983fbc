"""Helpers shared by the berthing tests."""

from __future__ import annotations

from django.forms.models import model_to_dict

from berthing.models import BerthAssignment, BerthPlan, CraneAllocation
from tos.core.models import Event, VesselVisit


def plan_snapshot(plan: BerthPlan) -> dict:
    """Everything a refused service must leave as it was."""
    plan = BerthPlan.objects.get(pk=plan.pk)
    return {
        "plan": model_to_dict(plan) | {"updated_at": plan.updated_at},
        "assignments": [
            model_to_dict(a) | {"is_published": a.is_published}
            for a in BerthAssignment.objects.filter(plan=plan).order_by("pk")
        ],
        "allocations": [
            model_to_dict(c) | {"is_published": c.is_published}
            for c in CraneAllocation.objects.filter(assignment__plan=plan).order_by("pk")
        ],
        "plans": list(BerthPlan.objects.order_by("pk").values_list("pk", "status", "revision")),
        "events": Event.objects.count(),
        "visits": list(VesselVisit.objects.order_by("pk").values_list("pk", "etb", "etd")),
    }
