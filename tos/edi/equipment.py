"""Container messages built around one EQD group per container: COPRAR (discharge/loading order,
read), COARRI (discharge/loading report, read and write), CODECO (gate-in/out report, read) and
COPARN (container announcement, read). They share :class:`ContainerLine` and one tolerant group
structure covering D.95B, D.00B and the D.23A generator output seen in the samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tos.edi.common import (
    VesselCall,
    check_cnt,
    envelope_of,
    read_vessel_call,
    select,
    vessel_call_segments,
)
from tos.edi.groups import Group, group, message
from tos.edi.report import EdiWriteError, Report
from tos.edi.syntax import MAX_BYTES, Segment
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

CONTAINER_MESSAGE = message(
    "BGM DTM FTX RFF TMD TSR LOC CNT",
    group("TDT", "TDT", "RFF LOC DTM FTX"),
    group("NAD", "NAD", "CTA COM RFF DTM"),
    group("GID", "GID", "HAN FTX PIA MEA TMP RNG SGP", group("GDGS", "DGS", "FTX")),
    group(
        "EQD",
        "EQD",
        "RFF EQN TMD DTM TSR LOC MEA DIM TMP RNG SEL FTX PCD DGS EQA COD HAN PIA MOA GOR NAD",
        group("DAM", "DAM", "COD"),
        group("CARRIAGE", "TDT", "RFF LOC DTM"),
    ),
)

#: BGM document codes → kind. COPRAR 45 loading order, 43/44 discharge order; COARRI 44/98
#: discharge report, 46 loading report (ITG), 119/122 the D.23A generator's; CODECO 34/36.
KINDS = {
    "COPRAR": {"45": "load", "43": "discharge", "44": "discharge"},
    "COARRI": {
        "44": "discharge",
        "98": "discharge",
        "119": "discharge",
        "46": "load",
        "122": "load",
    },
    "CODECO": {"34": "gate_in", "36": "gate_out"},
    "COPARN": {"126": "acceptance_order", "11": "release_order", "12": "acceptance_order"},
}
_WRITE_BGM = {"discharge": "44", "load": "46"}

_LOC_FIELDS = {"9": "pol", "11": "pod", "7": "place_of_delivery", "13": "transhipment_port"}
_DTM_FIELDS = {"203": "moved_at", "7": "moved_at", "798": "vgm_verified_at"}
_RFF_FIELDS = {"BN": "booking", "BM": "bl_reference", "SQ": "sequence", "RE": "release_reference"}


@dataclass(frozen=True, slots=True)
class ContainerLine:
    """One container of an order or report. Weights kg, temperature °C, times local.

    For COARRI this is an executed move: ``moved_at`` (DTM+203) and ``position`` (LOC+147, the
    cell it was discharged from or loaded to). For CODECO ``moved_at`` is the gate time (DTM+7)
    and ``carriage_id`` the truck/wagon identification of the TDT under the EQD.
    """

    container: str
    size_type: str = ""
    status: str = ""  # EQD 8249: 2 export, 3 import, 4 remain on board, 5 shifter, 6 tranship
    full: bool | None = None
    booking: str = ""
    bl_reference: str = ""
    release_reference: str = ""
    sequence: str = ""
    pol: str = ""
    pod: str = ""
    place_of_delivery: str = ""
    transhipment_port: str = ""
    position: Position | None = None
    moved_at: datetime | None = None
    gross_kg: Decimal | None = None
    vgm_kg: Decimal | None = None
    tare_kg: Decimal | None = None
    vgm_verified_at: datetime | None = None
    temperature_c: Decimal | None = None
    out_of_gauge: OutOfGauge | None = None
    dangerous_goods: tuple[DangerousGoods, ...] = ()
    seals: tuple[str, ...] = ()
    operator: str = ""
    goods: str = ""
    damage: tuple[str, ...] = ()
    carriage_mode: str = ""  # TDT 8067 under the EQD: 1 sea, 2 rail, 3 road, 8 inland water
    carriage_id: str = ""
    segment: int = field(default=0, compare=False)

    @property
    def imdg_classes(self) -> tuple[str, ...]:
        return tuple(dg.imdg_class for dg in self.dangerous_goods)


#: COARRI's executed moves are container lines with ``moved_at`` and ``position``.
ExecutedMove = ContainerLine


@dataclass(frozen=True, slots=True)
class ContainerList:
    """A COPRAR, COARRI, CODECO or COPARN message: header, vessel call and container lines.

    ``kind``: COPRAR/COARRI 'load' or 'discharge'; CODECO 'gate_in' or 'gate_out'; COPARN
    'acceptance_order'/'release_order'; '' when the BGM code is not a known one (``document_code``
    keeps it).
    """

    message_type: str
    kind: str
    lines: tuple[ContainerLine, ...] = ()
    vessel: VesselCall = field(default_factory=VesselCall)
    document_code: str = field(default="", compare=False)  # BGM 1001 as sent
    document_number: str = ""
    message_function: str = "9"
    message_date: datetime | None = None
    message_reference: str = "1"
    carrier: str = ""  # NAD+CA / NAD+CF at header level
    booking: str = ""  # RFF+BN at header level (COPARN)
    envelope: Envelope = field(default_factory=Envelope)

    def line(self, container: str) -> ContainerLine | None:
        return next((x for x in self.lines if x.container == container), None)


# --- reading -------------------------------------------------------------------------------------


def _read(
    data: bytes | str, message_type: str, *, strict: bool, max_bytes: int
) -> tuple[ContainerList, Report]:
    chosen, report = select(
        data, (message_type,), CONTAINER_MESSAGE, strict=strict, max_bytes=max_bytes
    )
    lists = [_map(c.message, c.tree, c.interchange, c.ctx, message_type) for c in chosen]
    if not lists:
        return ContainerList(message_type=message_type, kind=""), report
    result = lists[0]
    if len(lists) > 1:
        from dataclasses import replace

        result = replace(result, lines=tuple(x for lst in lists for x in lst.lines))
    report.counts["containers"] = len(result.lines)
    return result, report


def read_coprar(data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES):
    """COPRAR loading or discharge order → (:class:`ContainerList`, Report)."""
    return _read(data, "COPRAR", strict=strict, max_bytes=max_bytes)


def read_coarri(data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES):
    """COARRI discharge or loading report → (:class:`ContainerList`, Report)."""
    return _read(data, "COARRI", strict=strict, max_bytes=max_bytes)


def read_codeco(data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES):
    """CODECO gate-in/gate-out report → (:class:`ContainerList`, Report)."""
    return _read(data, "CODECO", strict=strict, max_bytes=max_bytes)


def read_coparn(data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES):
    """COPARN container announcement → (:class:`ContainerList`, Report)."""
    return _read(data, "COPARN", strict=strict, max_bytes=max_bytes)


def _map(msg, tree: Group, ic, ctx: Context, message_type: str) -> ContainerList:
    bgm = tree.first("BGM")
    code = bgm.get(0, 0) if bgm else ""
    kind = KINDS[message_type].get(code, "")
    if bgm is not None and not kind:
        ctx.warn("UNKNOWN_QUALIFIER", f"BGM {code!r} is not a known {message_type} code", bgm)
    message_date = None
    for d in tree.all("DTM"):
        qualifier, when = dtm(d, ctx)
        if qualifier == "137":
            message_date = when
    carrier = ""
    for nad_group in tree.groups("NAD"):
        if nad_group.trigger.qualifier in ("CA", "CF") and not carrier:
            carrier = nad_group.trigger.get(1, 0)
    booking = next((r.get(0, 1) for r in tree.all("RFF") if r.get(0, 0) == "BN"), "")
    lines = tuple(_line(g, ctx) for g in tree.groups("EQD"))
    if not kind and lines:  # infer from the equipment status when the BGM code is unknown
        statuses = {x.status for x in lines}
        kind = {"2": "load", "3": "discharge"}.get(statuses.pop(), "") if len(statuses) == 1 else ""
        if message_type not in ("COPRAR", "COARRI"):
            kind = ""
    check_cnt(tree, ctx, len(lines))
    return ContainerList(
        message_type=message_type,
        kind=kind,
        lines=lines,
        vessel=read_vessel_call(tree.groups("TDT"), ctx),
        document_code=code,
        document_number=bgm.get(1, 0) if bgm else "",
        message_function=bgm.get(2) if bgm else "",
        message_date=message_date,
        message_reference=msg.reference,
        carrier=carrier,
        booking=booking,
        envelope=envelope_of(ic, ctx),
    )


def _line(g: Group, ctx: Context) -> ContainerLine:
    eqd = g.trigger
    number = container_number(eqd.get(1), ctx, eqd)
    note_container(number, ctx, eqd)
    values: dict[str, object] = {}
    dims: list[Segment] = []
    seals: list[str] = []
    dgs: list[DangerousGoods] = []
    for s in g.segments[1:]:
        q = s.qualifier
        if s.tag == "RFF" and s.get(0, 0) in _RFF_FIELDS:
            values[_RFF_FIELDS[s.get(0, 0)]] = s.get(0, 1)
        elif s.tag == "DTM":
            qualifier, when = dtm(s, ctx)
            if qualifier in _DTM_FIELDS and when is not None:
                values[_DTM_FIELDS[qualifier]] = when
        elif s.tag == "LOC" and q == "147":
            values["position"] = position(s, ctx, required=False)
        elif s.tag == "LOC" and q in _LOC_FIELDS:
            values[_LOC_FIELDS[q]] = s.get(1, 0)
        elif s.tag == "MEA":
            kind, kg = mea_weight(s, ctx)
            if kind:
                values[f"{kind}_kg"] = kg
            else:
                ctx.warn("UNKNOWN_QUALIFIER", f"MEA {s.get(0)}/{s.get(1)} is not read", s)
        elif s.tag == "TMP":
            values["temperature_c"] = temperature(s, ctx)
        elif s.tag == "DIM":
            dims.append(s)
        elif s.tag == "SEL" and s.get(0, 0):
            seals.append(s.get(0, 0))
        elif s.tag == "DGS":
            dgs.append(dangerous_goods(s, ctx))
        elif s.tag == "FTX" and q == "AAA":
            values["goods"] = ":".join(c for c in s.components(3) if c)
        elif s.tag == "NAD" and q in ("CF", "CA"):
            values["operator"] = s.get(1, 0)
    damage = tuple(d.trigger.get(1, 0) or d.trigger.get(0) for d in g.groups("DAM"))
    carriage = g.groups("CARRIAGE")
    if carriage:
        tdt = carriage[0].trigger
        values["carriage_mode"] = tdt.get(2, 0)
        values["carriage_id"] = tdt.get(7, 0)
    return ContainerLine(
        container=number,
        size_type=size_type(eqd.get(2, 0), ctx, eqd),
        status=eqd.get(4),
        full={"5": True, "4": False}.get(eqd.get(5)),
        out_of_gauge=out_of_gauge(dims, ctx),
        dangerous_goods=tuple(dgs),
        seals=tuple(seals),
        damage=damage,
        segment=eqd.number,
        **values,
    )


# --- writing COARRI ------------------------------------------------------------------------------


def write_coarri(report: ContainerList, *, envelope: Envelope | None = None) -> str:
    """COARRI (D.95B, ITG13 profile) from executed moves: BGM 44 discharge / 46 loading report,
    one EQD group per move with its time (DTM+203) and cell (LOC+147)."""
    if report.kind not in _WRITE_BGM:
        raise EdiWriteError(f"kind: {report.kind!r} is not 'discharge' or 'load'")
    out = [seg("UNH", report.message_reference, ["COARRI", "D", "95B", "UN", "ITG13"])]
    out.append(seg("BGM", _WRITE_BGM[report.kind], report.document_number, report.message_function))
    if report.message_date is not None:
        out.append(seg("DTM", ["137", report.message_date.strftime("%Y%m%d%H%M"), "203"]))
    out += vessel_call_segments(report.vessel, carrier_list=("172", "20"))
    if report.booking:
        out.insert(2, seg("RFF", ["BN", report.booking]))
    if report.carrier:
        out.append(seg("NAD", "CA", [report.carrier, "172", "20"]))
    for line in report.lines:
        out += _line_segments(line)
    out.append(seg("CNT", ["16", str(len(report.lines))]))
    return write_interchange(
        [(report.message_reference, out)],
        envelope or report.envelope,
        prepared_at=report.message_date,
    )


def _line_segments(x: ContainerLine) -> list:
    full = {True: "5", False: "4", None: ""}[x.full]
    size = [x.size_type, "102", "5"] if x.size_type else ""
    out = [seg("EQD", "CN", x.container, size, "", x.status, full)]
    for code, name in _RFF_FIELDS.items():
        if getattr(x, name):
            out.append(seg("RFF", [code, getattr(x, name)]))
    if x.moved_at is not None:
        out.append(seg("DTM", ["203", x.moved_at.strftime("%Y%m%d%H%M"), "203"]))
    if x.vgm_verified_at is not None:
        out.append(seg("DTM", ["798", x.vgm_verified_at.strftime("%Y%m%d%H%M"), "203"]))
    if x.position is not None:
        out.append(seg("LOC", "147", [x.position.code, "", "5"]))
    for q, name in _LOC_FIELDS.items():
        if getattr(x, name):
            out.append(seg("LOC", q, [getattr(x, name), "139", "6"]))
    for dim, kg in (("VGM", x.vgm_kg), ("G", x.gross_kg), ("T", x.tare_kg)):
        if kg is not None:
            out.append(seg("MEA", "AAE", dim, ["KGM", fmt_decimal(kg)]))
    out += [seg("DIM", *d) for d in dim_segments(x.out_of_gauge)]
    if x.temperature_c is not None:
        out.append(seg("TMP", "2", [fmt_decimal(x.temperature_c), "CEL"]))
    out += [seg("SEL", s, "CA") for s in x.seals]
    if x.goods:
        out.append(seg("FTX", "AAA", "", "", x.goods))
    out += [seg("DGS", *dgs_elements(dg)) for dg in x.dangerous_goods]
    out += [seg("DAM", "1", d) for d in x.damage]
    if x.carriage_mode or x.carriage_id:
        out.append(seg("TDT", "30", "", x.carriage_mode, "", "", "", "", x.carriage_id))
    if x.operator:
        out.append(seg("NAD", "CF", [x.operator, "172", "20"]))
    return out
