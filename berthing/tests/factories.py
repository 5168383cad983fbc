"""factory_boy factories of the berthing app."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from berthing.choices import BerthPlanStatus, LinePriority, OutageKind
from berthing.models import (
    BerthAssignment,
    BerthPlan,
    BerthSection,
    BerthWindow,
    CraneAllocation,
    LineBerthTerms,
    Quay,
    QuayCrane,
    QuayCraneOutage,
)
from tos.core.tests.factories import LineFactory, TerminalFactory, VesselVisitFactory


def _hour(offset_hours: float = 0) -> dt.datetime:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    return now + dt.timedelta(hours=offset_hours)


class QuayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quay

    terminal = factory.SubFactory(TerminalFactory)
    name = factory.Sequence(lambda n: f"Quay {n}")
    length_m = 1000


class BerthSectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BerthSection

    quay = factory.SubFactory(QuayFactory)
    name = factory.Sequence(lambda n: f"S{n}")
    start_m = 0
    end_m = 1000
    depth_m = 16


class QuayCraneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuayCrane

    quay = factory.SubFactory(QuayFactory)
    name = factory.Sequence(lambda n: f"QC{n:02d}")
    rail_order = factory.Sequence(lambda n: n + 1)
    min_position_m = 0
    max_position_m = 1000
    gross_moves_per_hour = 30


class QuayCraneOutageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuayCraneOutage

    crane = factory.SubFactory(QuayCraneFactory)
    start = factory.LazyFunction(lambda: _hour(24))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=8))
    kind = OutageKind.MAINTENANCE


class LineBerthTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineBerthTerms

    terminal = factory.SubFactory(TerminalFactory)
    line = factory.SubFactory(LineFactory)
    weight_service = 1
    weight_late = 3
    priority = LinePriority.STANDARD


class BerthWindowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BerthWindow

    terminal = factory.SubFactory(TerminalFactory)
    line = factory.SubFactory(LineFactory)
    start = factory.LazyFunction(lambda: _hour(24))
    end = factory.LazyAttribute(lambda o: o.start + dt.timedelta(hours=30))
    penalty_per_hour = 10


class BerthPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BerthPlan

    quay = factory.SubFactory(QuayFactory)
    terminal = factory.LazyAttribute(lambda o: o.quay.terminal)
    version = factory.Sequence(lambda n: n + 1)
    status = BerthPlanStatus.DRAFT
    horizon_start = factory.LazyFunction(_hour)
    horizon_end = factory.LazyAttribute(lambda o: o.horizon_start + dt.timedelta(days=7))
    published_at = factory.LazyAttribute(
        lambda o: None if o.status == BerthPlanStatus.DRAFT else timezone.now()
    )


class BerthAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BerthAssignment

    plan = factory.SubFactory(BerthPlanFactory)
    quay = factory.LazyAttribute(lambda o: o.plan.quay)
    vessel_visit = factory.SubFactory(
        VesselVisitFactory, terminal=factory.SelfAttribute("..plan.terminal")
    )
    start_m = 0
    end_m = factory.LazyAttribute(lambda o: o.start_m + 320)
    berth_at = factory.LazyFunction(lambda: _hour(24))
    depart_at = factory.LazyAttribute(lambda o: o.berth_at + dt.timedelta(hours=20))


class CraneAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CraneAllocation

    assignment = factory.SubFactory(BerthAssignmentFactory)
    crane = factory.SubFactory(QuayCraneFactory, quay=factory.SelfAttribute("..assignment.quay"))
    start = factory.LazyAttribute(lambda o: o.assignment.berth_at)
    end = factory.LazyAttribute(lambda o: o.assignment.depart_at)
