"""BAPLIE bay plans, SMDG 2.2 (D.95B, also reads 1.5/2.0/2.1) and 3.1 (D.13B): read and write.

In 2.2 a stowage-cell group (LOC+147) carries the unit's weights, ports, reefer and
out-of-gauge data and its EQD follows; in 3.1 the EQD group is nested under the cell and carries
them itself (edifact.md §1.3-1.4). Both map to the same :class:`BayPlan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Literal

from tos.edi.common import VesselCall, envelope_of, read_vessel_call, vessel_call_segments
from tos.edi.groups import Group, build, group, message
from tos.edi.report import EdiWriteError, Report
from tos.edi.syntax import MAX_BYTES, Message, Segment, read_document
from tos.edi.values import (
    Context,
    DangerousGoods,
    OutOfGauge,
    Position,
    container_number,
    dangerous_goods,
    dgs_elements,
    dim_segments,
    dtm,
    fmt_decimal,
    mea_weight,
    note_container,
    out_of_gauge,
    position,
    size_type,
    temperature,
)
from tos.edi.writer import Envelope, seg, write_interchange

Version = Literal["2.2", "3.1"]

BAPLIE_22 = message(
    "BGM DTM RFF NAD",
    group("SG1", "TDT", "LOC!147 DTM RFF FTX"),
    group(
        "SG2",
        "LOC=147",
        "GID GDS FTX MEA DIM TMP RNG LOC!147 RFF",
        group("SG3", "EQD", "EQA NAD"),
        group("SG4", "DGS", "FTX"),
    ),
)

BAPLIE_31 = message(
    "BGM DTM UNS CNT",
    group("SG1", "RFF", "DTM"),
    group("SG2", "NAD", "", group("SG3", "CTA", "COM")),
    group("SG4", "TDT", "RFF FTX", group("SG5", "LOC!147", "DTM")),
    group(
        "SG6",
        "LOC=147",
        "FTX RFF",
        group(
            "SG7",
            "EQD",
            "NAD MEA HAN DIM RFF GDS FTX",
            group("SG8", "LOC!147", "TSR TDT"),
            group("SG9", "TMP", "RNG DTM"),
            group("SG10", "EQA", "NAD"),
            group("SG11", "DGS", "ATT MEA FTX", group("SG12", "CTA", "COM")),
        ),
    ),
)

#: LOC qualifiers of a unit's ports and the StowedUnit field they fill (6/12 are BAPLIE 1.5).
_PORTS = {
    "9": "pol",
    "6": "pol",
    "11": "pod",
    "12": "pod",
    "13": "transhipment_port",
    "83": "final_destination",
    "76": "original_pol",
}
_PORT_WRITE = {
    "pol": "9",
    "pod": "11",
    "transhipment_port": "13",
    "original_pol": "76",
    "final_destination": "83",
}


@dataclass(frozen=True, slots=True)
class StowedUnit:
    """One unit in one stowage cell. Weights in kg, temperature in °C.

    ``status`` is EQD 8249 as sent (2 export, 3 import, 4 remain on board, 5 shifter,
    6 transhipment); ``full`` is EQD 8169 (True 5 full, False 4 empty, None not sent).
    Fields with ``compare=False`` say where the unit came from and what was sent raw.
    """

    position: Position | None
    container: str = ""
    size_type: str = ""
    status: str = ""
    full: bool | None = None
    gross_kg: Decimal | None = None
    vgm_kg: Decimal | None = None
    pol: str = ""
    pod: str = ""
    transhipment_port: str = ""
    final_destination: str = ""
    original_pol: str = ""
    operator: str = ""
    temperature_c: Decimal | None = None
    dangerous_goods: tuple[DangerousGoods, ...] = ()
    out_of_gauge: OutOfGauge | None = None
    attached_equipment: tuple[str, ...] = ()
    goods: str = ""  # FTX+AAA description
    nature_of_cargo: str = ""  # GDS
    handling: tuple[str, ...] = ()  # HAN codes (3.1)
    bl_reference: str = ""  # RFF+BM; the 2.x dummy "1" reads as ""
    position_raw: str = field(default="", compare=False)
    size_type_raw: str = field(default="", compare=False)
    segment: int = field(default=0, compare=False)

    @property
    def weight_kg(self) -> Decimal | None:
        """VGM when declared, else the gross weight."""
        return self.vgm_kg if self.vgm_kg is not None else self.gross_kg

    @property
    def is_reefer(self) -> bool:
        return self.temperature_c is not None or self.size_type[2:3] == "R"

    @property
    def imdg_classes(self) -> tuple[str, ...]:
        return tuple(dg.imdg_class for dg in self.dangerous_goods)


@dataclass(frozen=True, slots=True)
class BayPlan:
    """A bay plan: the vessel call and the units in their cells."""

    version: Version
    vessel: VesselCall
    units: tuple[StowedUnit, ...] = ()
    empty_cells: tuple[Position, ...] = ()  # cells sent without equipment (3.1: blocked etc.)
    document_number: str = ""
    message_function: str = "9"  # BGM 1225: 9 original, 5 replacement
    message_date: datetime | None = None
    message_reference: str = "1"
    envelope: Envelope = field(default_factory=Envelope)
    association: str = field(default="", compare=False)

    def unit(self, container: str) -> StowedUnit | None:
        return next((u for u in self.units if u.container == container), None)


# --- reading -------------------------------------------------------------------------------------


def read_baplie(
    data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES
) -> tuple[BayPlan, Report]:
    """Read a BAPLIE (2.x or 3.x, told apart by the S009 version/association code) into a
    :class:`BayPlan`. Several BAPLIE messages in one input are merged (units in order)."""
    doc, report = read_document(data, strict=strict, max_bytes=max_bytes)
    plans: list[BayPlan] = []
    by_number = {ic.number: ic for ic in doc.interchanges}
    for msg in doc.messages:
        ic = by_number[msg.interchange]
        ctx = Context(report, interchange=ic.number, decimal_mark=ic.decimal_mark)
        if msg.type != "BAPLIE":
            ctx.error(
                "WRONG_MESSAGE_TYPE",
                f"message {msg.reference} is {msg.type or 'untyped'}, not BAPLIE; not read",
                msg.segments[0],
            )
            continue
        version = _version(msg)
        spec = BAPLIE_31 if version == "3.1" else BAPLIE_22
        tree = build(msg.segments, spec, report, interchange=ic.number)
        plans.append(_map(msg, tree, ic, ctx, version))
    if not plans:
        return BayPlan(version="2.2", vessel=VesselCall()), report
    plan = plans[0]
    if len(plans) > 1:
        plan = replace(
            plan,
            units=tuple(u for p in plans for u in p.units),
            empty_cells=tuple(c for p in plans for c in p.empty_cells),
        )
    report.counts["units"] = len(plan.units)
    report.counts["empty_cells"] = len(plan.empty_cells)
    report.counts["reefers"] = sum(1 for u in plan.units if u.temperature_c is not None)
    report.counts["dangerous"] = sum(1 for u in plan.units if u.dangerous_goods)
    return plan, report


def _version(msg: Message) -> Version:
    assoc = msg.association.upper()
    year = int(msg.release[:2]) if msg.release[:2].isdigit() else 95
    if assoc.startswith("SMDG3") or 13 <= year < 90:  # D.13B and later directories
        return "3.1"
    return "2.2"


def _map(msg, tree: Group, ic, ctx: Context, version: Version) -> BayPlan:
    bgm = tree.first("BGM")
    message_date = None
    for d in tree.all("DTM"):
        qualifier, when = dtm(d, ctx)
        if qualifier == "137":
            message_date = when
    vessel = read_vessel_call(tree.groups("SG1" if version == "2.2" else "SG4"), ctx)
    units: list[StowedUnit] = []
    empty: list[Position] = []
    cells = tree.groups("SG2" if version == "2.2" else "SG6")
    for cell in cells:
        pos = position(cell.trigger, ctx, required=True)
        if version == "2.2":
            equipment = cell.groups("SG3")
            if not equipment:
                if pos is not None:
                    empty.append(pos)
                continue
            shared = _unit_data(cell.segments[1:], cell.groups("SG4"), ctx)
            for eqd_group in equipment:
                units.append(_unit(cell.trigger, pos, eqd_group, shared, ctx))
        else:
            equipment = cell.groups("SG7")
            if not equipment:
                if pos is not None:
                    empty.append(pos)
                continue
            for eqd_group in equipment:
                own = eqd_group.segments[1:]
                nested = [s for g in eqd_group.children if g.name != "SG11" for s in g.segments]
                shared = _unit_data(own + nested, eqd_group.groups("SG11"), ctx)
                units.append(_unit(cell.trigger, pos, eqd_group, shared, ctx))
    return BayPlan(
        version=version,
        vessel=vessel,
        units=tuple(units),
        empty_cells=tuple(empty),
        document_number=bgm.get(1) if bgm else "",
        message_function=bgm.get(2) if bgm else "",
        message_date=message_date,
        message_reference=msg.reference,
        envelope=envelope_of(ic, ctx),
        association=msg.association,
    )


def _unit_data(segments: list[Segment], dgs_groups: list[Group], ctx: Context) -> dict:
    """Fields from a cell's (2.2) or an equipment group's (3.1) own segments."""
    data: dict[str, object] = {}
    dims: list[Segment] = []
    for s in segments:
        if s.tag == "MEA":
            kind, kg = mea_weight(s, ctx)
            if kind == "gross":
                data["gross_kg"] = kg
            elif kind == "vgm":
                data["vgm_kg"] = kg
            elif kind == "tare":
                continue
            else:
                ctx.warn("UNKNOWN_QUALIFIER", f"MEA {s.get(0)}/{s.get(1)} is not a weight", s)
        elif s.tag == "LOC":
            name = _PORTS.get(s.qualifier)
            if name:
                data[name] = s.get(1, 0)
            elif s.qualifier != "147":
                ctx.warn(
                    "UNKNOWN_QUALIFIER", f"LOC+{s.qualifier} is not a port this reader maps", s
                )
        elif s.tag == "TMP":
            data["temperature_c"] = temperature(s, ctx)
        elif s.tag == "DIM":
            dims.append(s)
        elif s.tag == "FTX" and s.qualifier == "AAA":
            data["goods"] = ":".join(c for c in s.components(3) if c)
        elif s.tag == "GDS":
            data["nature_of_cargo"] = s.get(0, 0)
        elif s.tag == "RFF" and s.qualifier == "BM":
            # 2.x requires RFF+BM and senders fill it with the dummy "1": that is no B/L
            data["bl_reference"] = "" if s.get(0, 1) == "1" else s.get(0, 1)
        elif s.tag == "HAN":
            data["handling"] = (*data.get("handling", ()), s.get(0, 0))
        elif s.tag == "NAD" and s.qualifier in ("CA", "CF"):
            data["operator"] = s.get(1, 0)
        elif s.tag == "EQA":
            data["attached_equipment"] = (*data.get("attached_equipment", ()), s.get(1, 0).strip())
    data["out_of_gauge"] = out_of_gauge(dims, ctx)
    data["dangerous_goods"] = tuple(dangerous_goods(g.trigger, ctx) for g in dgs_groups)
    return data


def _unit(cell: Segment, pos: Position | None, eqd_group: Group, shared: dict, ctx: Context):
    eqd = eqd_group.trigger
    data = dict(shared)
    # 2.2: the EQD group holds the operator and attached equipment
    own = _unit_data(eqd_group.segments[1:], [], ctx) if eqd_group.name == "SG3" else {}
    for key in ("operator", "attached_equipment"):
        if own.get(key):
            data[key] = own[key]
    number = container_number(eqd.get(1), ctx, eqd)
    note_container(number, ctx, eqd)
    unit = StowedUnit(
        position=pos,
        container=number,
        size_type=size_type(eqd.get(2, 0), ctx, eqd),
        status=eqd.get(4),
        full={"5": True, "4": False}.get(eqd.get(5)),
        position_raw=cell.get(1, 0),
        size_type_raw=eqd.get(2, 0),
        segment=cell.number,
        **data,
    )
    if unit.gross_kg is None and unit.vgm_kg is None:
        ctx.warn("WEIGHT_MISSING", f"{number or 'the unit'} has no gross weight and no VGM", eqd)
    return unit


# --- writing -------------------------------------------------------------------------------------


def write_baplie(
    plan: BayPlan, *, version: Version | None = None, envelope: Envelope | None = None
) -> str:
    """Serialise ``plan`` as BAPLIE 2.2 (D.95B/SMDG22) or 3.1 (D.13B/SMDG31)."""
    version = version or plan.version
    if version not in ("2.2", "3.1"):
        raise EdiWriteError(f"version: {version!r} is not 2.2 or 3.1")
    envelope = envelope or plan.envelope
    body = _body_22(plan) if version == "2.2" else _body_31(plan)
    return write_interchange(
        [(plan.message_reference, body)], envelope, prepared_at=plan.message_date
    )


def _header(plan: BayPlan, version: Version) -> list:
    s009 = ["BAPLIE", "D", "95B", "UN", "SMDG22"] if version == "2.2" else [
        "BAPLIE", "D", "13B", "UN", "SMDG31"
    ]  # fmt: skip
    out = [seg("UNH", plan.message_reference, s009)]
    out.append(
        seg("BGM", "", plan.document_number, plan.message_function)
        if version == "2.2"
        else seg("BGM", "659", plan.document_number, plan.message_function)
    )
    if plan.message_date is not None:
        out.append(seg("DTM", ["137", plan.message_date.strftime("%Y%m%d%H%M"), "203"]))
    return out


def _ports(unit: StowedUnit) -> list:
    return [
        seg("LOC", q, [getattr(unit, name), "139", "6"])
        for name, q in _PORT_WRITE.items()
        if getattr(unit, name)
    ]


def _body_22(plan: BayPlan) -> list:
    out = _header(plan, "2.2")
    out += vessel_call_segments(plan.vessel, carrier_list=("172", "20"))
    cells: list[tuple[Position | None, list[StowedUnit]]] = []
    for unit in plan.units:
        cells.append((unit.position, [unit]))
    for pos in plan.empty_cells:
        cells.append((pos, []))
    for pos, units in cells:
        out.append(seg("LOC", "147", [pos.code if pos else "", "", "5"]))
        if not units:
            continue
        unit = units[0]
        if unit.nature_of_cargo:
            out.append(seg("GDS", unit.nature_of_cargo))
        if unit.goods:
            out.append(seg("FTX", "AAA", "", "", unit.goods))
        if unit.gross_kg is not None:
            out.append(seg("MEA", "WT", "", ["KGM", fmt_decimal(unit.gross_kg)]))
        if unit.vgm_kg is not None:
            out.append(seg("MEA", "VGM", "", ["KGM", fmt_decimal(unit.vgm_kg)]))
        out += [seg("DIM", *d) for d in dim_segments(unit.out_of_gauge)]
        if unit.temperature_c is not None:
            out.append(seg("TMP", "2", [fmt_decimal(unit.temperature_c), "CEL"]))
        out += _ports(unit)
        out.append(seg("RFF", ["BM", unit.bl_reference or "1"]))
        out.append(_eqd(unit, ["", "", ""]))
        out += [seg("EQA", "CN", a) for a in unit.attached_equipment]
        if unit.operator:
            out.append(seg("NAD", "CA", [unit.operator, "172", "20"]))
        out += [seg("DGS", *dgs_elements(dg)) for dg in unit.dangerous_goods]
    return out


def _eqd(unit: StowedUnit, size_lists: list[str]) -> object:
    size = [unit.size_type, *size_lists[1:]] if unit.size_type else ""
    full = {True: "5", False: "4", None: ""}[unit.full]
    return seg("EQD", "CN", unit.container, size, "", unit.status, full)


def _body_31(plan: BayPlan) -> list:
    out = _header(plan, "3.1")
    out += vessel_call_segments(plan.vessel, carrier_list=("LINES", "306"))
    out.append(seg("UNS", "D"))
    cells: dict[str, tuple[Position | None, list[StowedUnit]]] = {}
    for unit in plan.units:
        key = unit.position.code if unit.position else f"?{len(cells)}"
        cells.setdefault(key, (unit.position, []))[1].append(unit)
    for pos in plan.empty_cells:
        cells.setdefault(pos.code, (pos, []))
    for pos, units in cells.values():
        out.append(seg("LOC", "147", [pos.code if pos else "", "9711", "5"]))
        for unit in units:
            out.append(_eqd(unit, ["", "6346", "5"]))
            if unit.operator:
                out.append(seg("NAD", "CF", [unit.operator, "LINES", "306"]))
            if unit.vgm_kg is not None:
                out.append(seg("MEA", "AAE", "VGM", ["KGM", fmt_decimal(unit.vgm_kg)]))
            if unit.gross_kg is not None:
                out.append(seg("MEA", "AAE", "AET", ["KGM", fmt_decimal(unit.gross_kg)]))
            out += [seg("HAN", h) for h in unit.handling]
            out += [seg("DIM", *d) for d in dim_segments(unit.out_of_gauge)]
            if unit.bl_reference:
                out.append(seg("RFF", ["BM", unit.bl_reference]))
            if unit.nature_of_cargo:
                out.append(seg("GDS", unit.nature_of_cargo))
            if unit.goods:
                out.append(seg("FTX", "AAA", "", "", unit.goods))
            out += _ports(unit)
            if unit.temperature_c is not None:
                out.append(seg("TMP", "2", [fmt_decimal(unit.temperature_c), "CEL"]))
            out += [seg("EQA", "CN", a) for a in unit.attached_equipment]
            out += [seg("DGS", *dgs_elements(dg)) for dg in unit.dangerous_goods]
    out.append(seg("CNT", ["16", str(len(plan.units))]))
    return out
