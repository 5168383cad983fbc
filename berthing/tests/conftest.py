"""Fixtures of the berthing tests: a 1,000 m quay (deep water 0–600 m, 10 m 600–1000 m), four
cranes, and a factory of vessel visits in whole hours from the current hour."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from berthing.tests.factories import BerthSectionFactory, QuayCraneFactory, QuayFactory
from tos.core.models import VesselVisit
from tos.core.tests.factories import VesselFactory, VesselVisitFactory


@pytest.fixture
def base():
    """The current hour: visit times are whole hours from it."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


@pytest.fixture
def quay(terminal):
    quay = QuayFactory(terminal=terminal, name="Main Quay", length_m=1000)
    BerthSectionFactory(quay=quay, name="Deep", start_m=0, end_m=600, depth_m=Decimal("16.0"))
    BerthSectionFactory(quay=quay, name="Shallow", start_m=600, end_m=1000, depth_m=Decimal("10.0"))
    return quay


@pytest.fixture
def cranes(quay):
    ranges = [(0, 500), (100, 600), (400, 900), (500, 1000)]
    return [
        QuayCraneFactory(
            quay=quay,
            name=f"QC{i}",
            rail_order=i,
            min_position_m=lo,
            max_position_m=hi,
            gross_moves_per_hour=30,
        )
        for i, (lo, hi) in enumerate(ranges, start=1)
    ]


@pytest.fixture
def make_visit(terminal, line_a, base):
    """``make_visit(eta_h=…, stay_h=…, loa=…, draft=…, moves=…, line=…, etb_h=…, phase=…)``."""

    def make(
        *,
        eta_h: float,
        stay_h: float = 20,
        loa: str | int = 200,
        draft: str | int = 9,
        moves: int = 0,
        line=None,
        etb_h: float | None = None,
        phase: str = "planned",
        name: str | None = None,
        service: str = "",
    ) -> VesselVisit:
        vessel = VesselFactory(
            loa_m=Decimal(str(loa)),
            max_draft_m=Decimal(str(draft)),
            **({"name": name} if name else {}),
        )
        eta = base + dt.timedelta(hours=eta_h)
        return VesselVisitFactory(
            terminal=terminal,
            vessel=vessel,
            line=line or line_a,
            eta=eta,
            etb=None if etb_h is None else base + dt.timedelta(hours=etb_h),
            etd=eta + dt.timedelta(hours=stay_h),
            expected_discharge_moves=moves // 2,
            expected_load_moves=moves - moves // 2,
            phase=phase,
            service=service,
        )

    return make
