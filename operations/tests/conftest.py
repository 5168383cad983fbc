"""Fixtures of the operations tests: a terminal with a yard block, a vessel visit berthed with
two quay cranes in the published berth plan, its arrival and departure plans, and equipment."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import pytest

from berthing.choices import BerthPlanStatus
from berthing.tests.factories import (
    BerthAssignmentFactory,
    BerthPlanFactory,
    CraneAllocationFactory,
    QuayCraneFactory,
    QuayFactory,
)
from gate.tests.conftest import (  # noqa: F401 (the gate fixtures, for the gate hook)
    advise_export,
    book,
    clerk,
    clerk_client,
    gate_in,
    haulier,
    haulier_client,
    haulier_org,
    lane_in,
    make_slot,
    new_number,
)
from operations.models import Equipment
from stowage.models import PlanCell, StowagePlan
from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.tests.factories import (
    ContainerFactory,
    UnitFactory,
    VesselVisitFactory,
    container_number,
)
from yard.tests.factories import YardBlockFactory

_numbers = itertools.count(700_000)


@dataclass
class Scene:
    terminal: Any
    line: Any
    visit: Any
    block: Any
    cranes: list
    qc: list
    rtg: Any
    straddles: list
    arrival: Any
    departure: Any
    units: dict = field(default_factory=dict)

    def unit(
        self,
        *,
        state: str = UnitState.ON_TERMINAL,
        category: str = UnitCategory.EXPORT,
        length: int = 20,
        **fields: Any,
    ):
        iso = "22G1" if length == 20 else "42G1"
        container = ContainerFactory(
            number=container_number(next(_numbers)),
            iso_type=iso,
            length_ft=length,
            type_group="G",
            teu=1 if length == 20 else 2,
        )
        return UnitFactory(
            terminal=self.terminal,
            container=container,
            line=self.line,
            category=category,
            state=state,
            **fields,
        )

    def discharge_cell(self, bay: int, row: int, tier: int):
        """An import box on board in the arrival plan, to be discharged here."""
        ref = f"{bay:03d}{row:02d}{tier:02d}"
        unit = self.unit(
            state=UnitState.INBOUND,
            category=UnitCategory.IMPORT,
            inbound_visit=self.visit,
            position_kind=PositionKind.VESSEL,
            position_ref=ref,
            position_visit=self.visit,
        )
        PlanCell.objects.create(
            plan=self.arrival,
            bay=bay,
            row=row,
            tier=tier,
            move="discharge",
            container_number=unit.container.number,
            container=unit.container,
            unit=unit,
            iso_type=unit.container.iso_type,
            length_ft=20,
            full=True,
            pol="CNSHA",
            pod="NLRTM",
            operator=self.line.code,
            line=self.line,
        )
        return unit

    def load_cell(self, bay: int, row: int, tier: int, *, yard: tuple | None = None):
        """An export box (in the yard at ``yard`` = (bay, row, tier) of the block) planned into
        a cell of the departure plan."""
        from yard import services as yard_services

        unit = self.unit(outbound_visit=self.visit, vgm_kg=21000, pod="USNYC", pol="NLRTM")
        if yard is not None:
            yard_services.yard_unit_place(
                unit=unit, block=self.block, bay=yard[0], row=yard[1], tier=yard[2]
            )
        PlanCell.objects.create(
            plan=self.departure,
            bay=bay,
            row=row,
            tier=tier,
            move="load",
            container_number=unit.container.number,
            container=unit.container,
            unit=unit,
            iso_type=unit.container.iso_type,
            length_ft=20,
            full=True,
            pol="NLRTM",
            pod="USNYC",
            operator=self.line.code,
            line=self.line,
        )
        return unit


@pytest.fixture
def scene(terminal, line_a) -> Scene:
    quay = QuayFactory(terminal=terminal, name="North")
    cranes = [
        QuayCraneFactory(quay=quay, name="QC01", rail_order=1),
        QuayCraneFactory(quay=quay, name="QC02", rail_order=2),
    ]
    plan = BerthPlanFactory(quay=quay, status=BerthPlanStatus.PUBLISHED)
    visit = VesselVisitFactory(terminal=terminal, line=line_a, reference="OPS-01")
    assignment = BerthAssignmentFactory(plan=plan, quay=quay, vessel_visit=visit, is_published=True)
    for crane in cranes:
        CraneAllocationFactory(assignment=assignment, crane=crane, is_published=True)
    block = YardBlockFactory(terminal=terminal, name="A01", bays=10, rows=4, max_tier=4)
    qc = [
        Equipment.objects.create(terminal=terminal, kind="quay_crane", name=c.name, quay_crane=c)
        for c in cranes
    ]
    rtg = Equipment.objects.create(
        terminal=terminal,
        kind="rtg",
        name="RTG1",
        block=block,
        position_block=block,
        position_bay=1,
    )
    straddles = [
        Equipment.objects.create(terminal=terminal, kind="straddle", name=f"SC{i}", x_m=0, y_m=0)
        for i in (1, 2)
    ]
    return Scene(
        terminal=terminal,
        line=line_a,
        visit=visit,
        block=block,
        cranes=cranes,
        qc=qc,
        rtg=rtg,
        straddles=straddles,
        arrival=StowagePlan.objects.create(vessel_visit=visit, kind="arrival", status="final"),
        departure=StowagePlan.objects.create(vessel_visit=visit, kind="departure"),
    )
