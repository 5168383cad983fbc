"""MOVINS stowage instructions (D.95B, SMDG 2.0): read. One instruction per stowage cell under a
HAN handling instruction (LOA load, DIS discharge, RES restow …); planned cells usually carry a
size-type but no container number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tos.edi.common import VesselCall, envelope_of, read_vessel_call, select
from tos.edi.groups import Group, group, message
from tos.edi.report import Report
from tos.edi.syntax import MAX_BYTES
from tos.edi.values import (
    Context,
    DangerousGoods,
    Position,
    container_number,
    dangerous_goods,
    dtm,
    mea_weight,
    position,
    size_type,
    temperature,
)
from tos.edi.writer import Envelope

MOVINS = message(
    "BGM DTM RFF NAD",
    group("SG1", "TDT", "LOC!147 DTM RFF FTX"),
    group(
        "SG2",
        "HAN",
        "",
        group(
            "SG3",
            "LOC=147",
            "RFF FTX MEA DIM LOC!147 NAD GDS",
            group("SG4", "TMP", "RNG"),
            group("SG5", "EQD", "EQN"),
            group("SG6", "EQA", "EQN"),
            group("SG7", "GID", "GDS"),
            group("SG9", "DGS", "FTX"),
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class StowageInstruction:
    """What to do at one cell: ``instruction`` is the HAN code (LOA, DIS, RES, …)."""

    instruction: str
    position: Position | None
    container: str = ""
    size_type: str = ""
    status: str = ""
    full: bool | None = None
    weight_kg: Decimal | None = None
    pol: str = ""
    pod: str = ""
    temperature_c: Decimal | None = None
    dangerous_goods: tuple[DangerousGoods, ...] = ()
    operator: str = ""
    segment: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Movins:
    vessel: VesselCall
    instructions: tuple[StowageInstruction, ...] = ()
    document_number: str = ""
    message_date: datetime | None = None
    message_reference: str = "1"
    envelope: Envelope = field(default_factory=Envelope)


def read_movins(
    data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES
) -> tuple[Movins, Report]:
    """MOVINS → (:class:`Movins`, Report)."""
    chosen, report = select(data, ("MOVINS",), MOVINS, strict=strict, max_bytes=max_bytes)
    if not chosen:
        return Movins(vessel=VesselCall()), report
    c = chosen[0]
    ctx, tree = c.ctx, c.tree
    bgm = tree.first("BGM")
    message_date = None
    for d in tree.all("DTM"):
        qualifier, when = dtm(d, ctx)
        if qualifier == "137":
            message_date = when
    instructions = []
    for other in chosen:
        for han in other.tree.groups("SG2"):
            for cell in han.groups("SG3"):
                instructions.append(_instruction(han.trigger.get(0, 0), cell, other.ctx))
    report.counts["instructions"] = len(instructions)
    return (
        Movins(
            vessel=read_vessel_call(tree.groups("SG1"), ctx),
            instructions=tuple(instructions),
            document_number=bgm.get(1) if bgm else "",
            message_date=message_date,
            message_reference=c.message.reference,
            envelope=envelope_of(c.interchange, ctx),
        ),
        report,
    )


def _instruction(code: str, cell: Group, ctx: Context) -> StowageInstruction:
    values: dict[str, object] = {}
    for s in cell.segments[1:]:
        if s.tag == "MEA":
            kind, kg = mea_weight(s, ctx)
            if kind in ("gross", "vgm"):
                values["weight_kg"] = kg
        elif s.tag == "LOC" and s.qualifier in ("9", "11"):
            values["pol" if s.qualifier == "9" else "pod"] = s.get(1, 0)
        elif s.tag == "NAD" and s.qualifier in ("CA", "CF"):
            values["operator"] = s.get(1, 0)
    for tmp in cell.groups("SG4"):
        values["temperature_c"] = temperature(tmp.trigger, ctx)
    equipment = cell.groups("SG5")
    if equipment:
        eqd = equipment[0].trigger
        values["container"] = container_number(eqd.get(1), ctx, eqd, required=False)
        values["size_type"] = size_type(eqd.get(2, 0), ctx, eqd)
        values["status"] = eqd.get(4)
        values["full"] = {"5": True, "4": False}.get(eqd.get(5))
    return StowageInstruction(
        instruction=code,
        position=position(cell.trigger, ctx, required=True),
        dangerous_goods=tuple(dangerous_goods(g.trigger, ctx) for g in cell.groups("SG9")),
        segment=cell.trigger.number,
        **values,
    )
