"""Reads of the stowage app: uploads, profiles, plans in a compact form for the bay views and
the solver, and the outbound EDI built from them (departure BAPLIE, COARRI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from stowage.choices import CellMove, ListKind, PlanKind
from stowage.models import EdiUpload, ListEntry, PlanCell, StowagePlan, VesselProfile
from tos import edi
from tos.core import codes
from tos.core.errors import ApplicationError
from tos.core.models import Hold, User, VesselVisit
from tos.core.selectors import user_sees_all_lines, vessel_visits_visible_to
from yard.selectors import current_occupancy

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


# --- the planner's input -----------------------------------------------------------------------

#: Quay cranes assumed for a visit that has no cranes in the published berth plan.
DEFAULT_CRANES = 2


@dataclass(frozen=True)
class PlanMapping:
    """How a solver :class:`~stowage.solvers.call.Instance` maps back to the visit: box ids are
    container numbers; POD ``k`` is ``rotation[k - 1]`` (the ports after this one, in order of
    call); ``rotation_source`` says where the order came from (``given`` or ``inferred``)."""

    visit_id: int
    rotation: tuple[str, ...]
    rotation_source: str
    remain_cells: dict[str, tuple[int, int, int]]
    load_numbers: frozenset[str]
    cranes_source: str

    def pod_code(self, pod: int) -> str:
        return self.rotation[pod - 1] if 0 < pod <= len(self.rotation) else ""


def _size(iso_type: str, container: Any) -> tuple[int, int]:
    """Length (ft) and height (mm) of a box: the registered container, else its size-type."""
    if container is not None:
        return container.length_ft, container.height_mm
    try:
        size = codes.decode_size_type(iso_type or "")
    except codes.CodeError:
        return 20, 2591
    return size.length_ft, size.height_mm


def pod_rotation_infer(
    *, stacks: list[list[str]], load_pods: list[str], known: tuple[str, ...] = ()
) -> tuple[str, ...]:
    """The order of call of the ports after this one, read from how the arriving ship was
    stowed: a box standing on another normally leaves the ship first, so every pair of PODs
    seen stacked (upper over lower, different ports) is one vote that the upper port comes
    first. Ports are ordered by their net votes (ties: more boxes first, then by code); ports
    only on the load list follow. ``known`` ports keep their given order and come first.

    ``stacks`` are the arrival stacks bottom-up as lists of POD codes."""
    votes: dict[str, int] = {}
    boxes: dict[str, int] = {}
    for stack in stacks:
        for i, lower in enumerate(stack):
            boxes[lower] = boxes.get(lower, 0) + 1
            for upper in stack[i + 1 :]:
                if upper != lower:
                    votes[upper] = votes.get(upper, 0) + 1
                    votes[lower] = votes.get(lower, 0) - 1
    inferred = sorted(
        (p for p in boxes if p and p not in known),
        key=lambda p: (-votes.get(p, 0), -boxes[p], p),
    )
    rest = sorted({p for p in load_pods if p and p not in known and p not in boxes})
    return (*known, *inferred, *rest)


def plan_instance(visit: VesselVisit, *, rotation: tuple[str, ...] = ()) -> tuple[Any, PlanMapping]:
    """The stowage planner's input for a visit and how to map its answer back.

    * the layout: the vessel profile (404-worthy ``ApplicationError`` when there is none);
    * remain: the arrival plan's boxes that stay on board (not to discharge here, not on the
      discharge list), at their cells;
    * load: the load list, with the VGM of the entry or else of the unit (VERMAS), an active
      loading hold (the holds engine's ``blocks_loading``), the yard position of the unit;
    * PODs as 1, 2, ... in order of call: ``rotation`` when given, else inferred
      (:func:`pod_rotation_infer`);
    * cranes: those the published berth plan allocates to the visit, else ``DEFAULT_CRANES``.
    """
    from stowage.solvers.call import Box, Instance, Weights

    profile = vessel_profile_get(visit=visit)
    if profile is None or not profile.layout.get("stacks"):
        raise ApplicationError(
            "no_profile",
            f"Vessel {visit.vessel.name} has no stowage profile: upload its arrival BAPLIE "
            "or enter the profile in admin first.",
            status=409,
        )
    here = visit.terminal.locode
    discharge = set(
        ListEntry.objects.filter(vessel_visit=visit, kind=ListKind.DISCHARGE).values_list(
            "container_number", flat=True
        )
    )
    arrival = stowage_plan_get(visit=visit, kind=PlanKind.ARRIVAL)
    remain_cells = (
        list(
            arrival.cells.exclude(move=CellMove.DISCHARGE)
            .exclude(container_number__in=discharge)
            .exclude(pod=here)
            .select_related("container")
            .order_by("bay", "row", "tier")
        )
        if arrival is not None
        else []
    )
    entries = list(
        ListEntry.objects.filter(vessel_visit=visit, kind=ListKind.LOAD)
        .select_related("container", "unit")
        .order_by("container_number")
    )
    on_board = {c.container_number for c in remain_cells}
    entries = [e for e in entries if e.container_number not in on_board]
    unit_ids = [e.unit_id for e in entries if e.unit_id]
    held = set(
        Hold.objects.filter(
            unit_id__in=unit_ids, released_at__isnull=True, blocks_loading=True
        ).values_list("unit_id", flat=True)
    )
    yard = {
        o.unit_id: (o.block.name, o.bay, o.row, o.tier)
        for o in current_occupancy(terminal=visit.terminal)
        .filter(unit_id__in=unit_ids)
        .select_related("block")
    }
    if not rotation:
        stacks: dict[tuple[int, int, bool], list[tuple[int, str]]] = {}
        for c in remain_cells:
            stacks.setdefault((c.bay, c.row, c.tier >= 50), []).append((c.tier, c.pod))
        rotation = pod_rotation_infer(
            stacks=[[pod for _, pod in sorted(s)] for s in stacks.values()],
            load_pods=[e.pod for e in entries],
        )
        rotation_source = "inferred"
    else:
        missing = sorted(
            ({c.pod for c in remain_cells} | {e.pod for e in entries}) - set(rotation) - {""}
        )
        rotation = (*rotation, *missing)
        rotation_source = "given"
    pod_index = {code: i + 1 for i, code in enumerate(rotation)}
    last = len(rotation) + 1  # a box without a known POD leaves last

    def classes(text: str) -> tuple[str, ...]:
        return tuple(c for c in text.split(",") if c)

    remain = []
    for c in remain_cells:
        length, height = _size(c.iso_type, c.container)
        remain.append(
            Box(
                id=c.container_number,
                length_ft=c.length_ft or length,
                height_mm=height,
                weight_kg=c.vgm_kg or c.gross_kg,
                pod=pod_index.get(c.pod, last),
                reefer=c.reefer_c is not None,
                imdg=classes(c.imdg_classes),
                loading_hold=False,
                yard=None,
                position=(c.bay, c.row, c.tier),
            )
        )
    load = []
    for e in entries:
        unit = e.unit
        length, height = _size(e.iso_type, e.container)
        reefer = e.reefer_c is not None or (unit is not None and unit.reefer_setpoint_c is not None)
        load.append(
            Box(
                id=e.container_number,
                length_ft=length,
                height_mm=height,
                weight_kg=e.vgm_kg or (unit.vgm_kg if unit is not None else None),
                pod=pod_index.get(e.pod, last),
                reefer=reefer,
                imdg=classes(e.imdg_classes or (unit.imdg_class if unit is not None else "")),
                loading_hold=e.unit_id in held,
                yard=yard.get(e.unit_id),
                position=None,
            )
        )
    cranes, cranes_source = _visit_cranes(visit)
    instance = Instance(
        layout=profile.layout,
        load=tuple(load),
        remain=tuple(remain),
        cranes=cranes,
        weights=Weights(),
    )
    mapping = PlanMapping(
        visit_id=visit.pk,
        rotation=tuple(rotation),
        rotation_source=rotation_source,
        remain_cells={c.container_number: (c.bay, c.row, c.tier) for c in remain_cells},
        load_numbers=frozenset(e.container_number for e in entries),
        cranes_source=cranes_source,
    )
    return instance, mapping


def _visit_cranes(visit: VesselVisit) -> tuple[int, str]:
    """Quay cranes the published berth plan gives the visit (distinct cranes), else the
    default."""
    from berthing.models import CraneAllocation

    n = (
        CraneAllocation.objects.filter(
            assignment__vessel_visit=visit, assignment__is_published=True
        )
        .values("crane_id")
        .distinct()
        .count()
    )
    return (n, "berth-plan") if n else (DEFAULT_CRANES, "default")
