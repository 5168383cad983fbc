"""Reads of the stowage app: uploads, profiles, plans in a compact form for the bay views and
the solver, and the outbound EDI built from them (departure BAPLIE, COARRI)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from stowage.choices import CellMove, PlanKind
from stowage.models import EdiUpload, PlanCell, StowagePlan, VesselProfile
from tos import edi
from tos.core.models import User, VesselVisit
from tos.core.selectors import user_sees_all_lines, vessel_visits_visible_to

#: The order of a compact cell's fields (``plan_cells_compact``).
CELL_FIELDS = (
    "position",
    "container",
    "iso_type",
    "move",
    "pol",
    "pod",
    "weight_kg",
    "vgm_kg",
    "operator",
    "reefer_c",
    "imdg",
    "unit",
    "confirmed",
)


def edi_uploads_visible_to(user: User) -> QuerySet[EdiUpload]:
    """Terminal staff: every upload of their terminal; agents: their own uploads and those
    about their lines' visits."""
    qs = EdiUpload.objects.select_related("uploaded_by", "vessel_visit")
    if user_sees_all_lines(user):
        if user.terminal_id and not user.is_superuser:
            return qs.filter(terminal_id=user.terminal_id)
        return qs
    visits = vessel_visits_visible_to(user).values("pk")
    return qs.filter(vessel_visit__in=visits) | qs.filter(
        uploaded_by=user, vessel_visit__isnull=True
    )


def vessel_profile_get(*, visit: VesselVisit) -> VesselProfile | None:
    return VesselProfile.objects.filter(vessel_id=visit.vessel_id).first()


def stowage_plan_get(*, visit: VesselVisit, kind: str) -> StowagePlan | None:
    return StowagePlan.objects.filter(vessel_visit=visit, kind=kind).first()


def plan_cells_compact(*, plan: StowagePlan) -> list[list[Any]]:
    """Every cell of a plan as a list in ``CELL_FIELDS`` order (one query, no per-cell dicts:
    a full 20,000 TEU ship stays a few hundred kilobytes)."""
    rows = PlanCell.objects.filter(plan=plan).values_list(
        "bay",
        "row",
        "tier",
        "container_number",
        "iso_type",
        "move",
        "pol",
        "pod",
        "gross_kg",
        "vgm_kg",
        "operator",
        "reefer_c",
        "imdg_classes",
        "unit_id",
        "confirmed",
    )
    return [
        [
            f"{bay:03d}{row:02d}{tier:02d}",
            number,
            iso,
            move,
            pol,
            pod,
            gross,
            vgm,
            operator,
            float(reefer) if reefer is not None else None,
            imdg,
            unit,
            confirmed,
        ]
        for (
            bay,
            row,
            tier,
            number,
            iso,
            move,
            pol,
            pod,
            gross,
            vgm,
            operator,
            reefer,
            imdg,
            unit,
            confirmed,
        ) in rows
    ]


# --- outbound EDI -------------------------------------------------------------------------------


def _naive_local(value: datetime | None, visit: VesselVisit) -> datetime | None:
    if value is None:
        return None
    import zoneinfo

    if timezone.is_aware(value):
        value = value.astimezone(zoneinfo.ZoneInfo(visit.terminal.timezone))
    return value.replace(tzinfo=None, microsecond=0)


def _call(visit: VesselVisit, *, outbound: bool) -> edi.VesselCall:
    return edi.VesselCall(
        voyage=visit.outbound_voyage if outbound else visit.inbound_voyage,
        vessel_name=visit.vessel.name,
        imo=visit.vessel.imo,
        call_sign=visit.vessel.call_sign,
        carrier=visit.line.code,
        departure_port=visit.terminal.locode,
        eta=_naive_local(visit.eta, visit),
        etd=_naive_local(visit.etd, visit),
        ata=_naive_local(visit.ata, visit),
        atd=_naive_local(visit.atd, visit),
    )


def _envelope(visit: VesselVisit, plan: StowagePlan | None, suffix: str) -> edi.Envelope:
    revision = plan.revision if plan else 0
    return edi.Envelope(
        sender=visit.terminal.code.upper().replace("-", "")[:35],
        recipient=visit.line.code,
        reference=f"{visit.pk}{suffix}{revision}"[:14],
        prepared_at=_naive_local(plan.updated_at if plan else visit.updated_at, visit),
    )


def _dangerous(cell: PlanCell) -> tuple[edi.DangerousGoods, ...]:
    classes = [c for c in cell.imdg_classes.split(",") if c]
    uns = [u for u in cell.un_numbers.split(",") if u]
    return tuple(
        edi.DangerousGoods(imdg_class=c, un_number=uns[i] if i < len(uns) else "")
        for i, c in enumerate(classes)
    )


def _stowed(cell: PlanCell) -> edi.StowedUnit:
    from decimal import Decimal

    return edi.StowedUnit(
        position=edi.Position(cell.bay, cell.row, cell.tier),
        container=cell.container_number,
        size_type=cell.iso_type,
        full=cell.full,
        gross_kg=Decimal(cell.gross_kg) if cell.gross_kg is not None else None,
        vgm_kg=Decimal(cell.vgm_kg) if cell.vgm_kg is not None else None,
        pol=cell.pol,
        pod=cell.pod,
        final_destination=cell.final_destination,
        operator=cell.operator,
        temperature_c=cell.reefer_c,
        dangerous_goods=_dangerous(cell),
    )


def departure_baplie(*, visit: VesselVisit, version: str = "2.2") -> tuple[str, str]:
    """The departure BAPLIE of a visit and where it came from: ``departure-plan`` (the
    departure plan's cells) or ``arrival-minus-discharge`` (no departure plan yet: the arrival
    plan without the boxes discharged here), or ``empty`` when neither exists."""
    departure = stowage_plan_get(visit=visit, kind=PlanKind.DEPARTURE)
    if departure is not None:
        plan, source = departure, "departure-plan"
        cells = plan.cells.all()
    else:
        plan = stowage_plan_get(visit=visit, kind=PlanKind.ARRIVAL)
        source = "arrival-minus-discharge" if plan else "empty"
        cells = plan.cells.exclude(move=CellMove.DISCHARGE) if plan else PlanCell.objects.none()
    bay_plan = edi.BayPlan(
        version=version,
        vessel=_call(visit, outbound=True),
        units=tuple(_stowed(c) for c in cells.order_by("bay", "row", "tier")),
        document_number=f"{visit.reference}-DEP"[:35],
        message_date=_naive_local(plan.updated_at if plan else visit.updated_at, visit),
        message_reference=f"{visit.pk}",
    )
    text = edi.write_baplie(bay_plan, version=version, envelope=_envelope(visit, plan, "B"))
    return text, source


def coarri(*, visit: VesselVisit, kind: str) -> tuple[str, int]:
    """The COARRI discharge or load report of a visit and its number of moves.

    Until an operations moves model exists, the executed moves are the plan cells marked
    ``confirmed``: discharge from the arrival plan (cells to discharge), load from the
    departure plan (cells to load)."""
    plan_kind = PlanKind.ARRIVAL if kind == "discharge" else PlanKind.DEPARTURE
    move = CellMove.DISCHARGE if kind == "discharge" else CellMove.LOAD
    plan = stowage_plan_get(visit=visit, kind=plan_kind)
    cells = (
        plan.cells.filter(move=move, confirmed=True).order_by("moved_at", "bay", "row", "tier")
        if plan
        else PlanCell.objects.none()
    )
    lines = tuple(
        edi.ExecutedMove(
            container=c.container_number,
            size_type=c.iso_type,
            full=c.full,
            pol=c.pol,
            pod=c.pod,
            position=edi.Position(c.bay, c.row, c.tier),
            moved_at=_naive_local(c.moved_at, visit),
            vgm_kg=_stowed(c).vgm_kg,
            operator=c.operator,
        )
        for c in cells
    )
    report = edi.ContainerList(
        message_type="COARRI",
        kind=kind,
        lines=lines,
        vessel=_call(visit, outbound=kind == "load"),
        document_number=f"{visit.reference}-{kind[:3].upper()}"[:35],
        message_date=_naive_local(plan.updated_at if plan else visit.updated_at, visit),
        message_reference=f"{visit.pk}",
    )
    return edi.write_coarri(report, envelope=_envelope(visit, plan, kind[0].upper())), len(lines)


#: The order of a compact list entry's fields (``list_entries_compact``).
LIST_FIELDS = (
    "container",
    "iso_type",
    "full",
    "source",
    "booking",
    "pol",
    "pod",
    "vgm_kg",
    "operator",
    "reefer_c",
    "imdg",
    "position",
    "unit",
)


def list_entries_compact(*, visit: VesselVisit, kind: str) -> list[list[Any]]:
    """A visit's load or discharge list as rows in ``LIST_FIELDS`` order."""
    from stowage.models import ListEntry

    rows = ListEntry.objects.filter(vessel_visit=visit, kind=kind).values_list(
        "container_number",
        "iso_type",
        "full",
        "source",
        "booking",
        "pol",
        "pod",
        "vgm_kg",
        "operator",
        "reefer_c",
        "imdg_classes",
        "position",
        "unit_id",
    )
    return [[*row[:9], float(row[9]) if row[9] is not None else None, *row[10:]] for row in rows]
