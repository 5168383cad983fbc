"""VERMAS verified gross mass (D.16A, SMDG VERMAS 1.0): read. One :class:`VgmRecord` per EQD:
the VGM (MEA+AAE+VGM), when it was verified (DTM+798), the method (DOC SM1 weighed /
SM2 calculated), the responsible party (NAD+SPC) and person (CTA+RP)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from tos.edi.common import envelope_of, select
from tos.edi.groups import Group, group, message
from tos.edi.report import Report
from tos.edi.syntax import MAX_BYTES
from tos.edi.values import Context, container_number, dtm, mea_weight, note_container, size_type
from tos.edi.writer import Envelope

VERMAS = message(
    "BGM DTM",
    group("SG1", "RFF", "DTM"),
    group("SG2", "NAD", "", group("SG3", "CTA", "COM")),
    group(
        "SG4",
        "EQD",
        "RFF LOC SEL",
        group("SG5", "MEA", "DTM"),
        group("SG6", "TDT", "RFF"),
        group("SG7", "DOC", "DTM", group("SG8", "NAD", "", group("SG9", "CTA", "COM"))),
    ),
)


@dataclass(frozen=True, slots=True)
class VgmRecord:
    container: str
    vgm_kg: Decimal | None
    method: str = ""  # SM1 weighed, SM2 calculated (SOLAS VI/2 methods 1 and 2)
    verified_at: datetime | None = None
    responsible_party: str = ""
    responsible_person: str = ""
    size_type: str = ""
    booking: str = ""
    seals: tuple[str, ...] = ()
    segment: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class VgmDeclaration:
    records: tuple[VgmRecord, ...] = ()
    submitter: str = ""
    document_number: str = ""
    message_date: datetime | None = None
    envelope: Envelope = field(default_factory=Envelope)

    def vgm(self, container: str) -> VgmRecord | None:
        return next((r for r in self.records if r.container == container), None)


def read_vermas(
    data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES
) -> tuple[VgmDeclaration, Report]:
    """VERMAS → (:class:`VgmDeclaration`, Report)."""
    chosen, report = select(data, ("VERMAS",), VERMAS, strict=strict, max_bytes=max_bytes)
    if not chosen:
        return VgmDeclaration(), report
    first = chosen[0]
    records = [_record(g, c.ctx) for c in chosen for g in c.tree.groups("SG4")]
    bgm = first.tree.first("BGM")
    message_date = None
    for d in first.tree.all("DTM"):
        qualifier, when = dtm(d, first.ctx)
        if qualifier == "137":
            message_date = when
    submitter = next(
        (g.trigger.get(1, 0) or g.trigger.get(3, 0) for g in first.tree.groups("SG2")), ""
    )
    report.counts["containers"] = len(records)
    report.counts["with_vgm"] = sum(1 for r in records if r.vgm_kg is not None)
    return (
        VgmDeclaration(
            records=tuple(records),
            submitter=submitter,
            document_number=bgm.get(1) if bgm else "",
            message_date=message_date,
            envelope=envelope_of(first.interchange, first.ctx),
        ),
        report,
    )


def _record(g: Group, ctx: Context) -> VgmRecord:
    eqd = g.trigger
    number = container_number(eqd.get(1), ctx, eqd)
    note_container(number, ctx, eqd)
    values: dict[str, object] = {}
    for mea_group in g.groups("SG5"):
        kind, kg = mea_weight(mea_group.trigger, ctx)
        if kind == "vgm":
            values["vgm_kg"] = kg
            for d in mea_group.all("DTM"):
                qualifier, when = dtm(d, ctx)
                if qualifier == "798":
                    values["verified_at"] = when
    for doc in g.groups("SG7"):
        values["method"] = doc.trigger.get(0, 0)
        for nad in doc.groups("SG8"):
            if nad.trigger.qualifier == "SPC":
                values["responsible_party"] = nad.trigger.get(1, 0) or nad.trigger.get(3, 0)
                for cta in nad.groups("SG9"):
                    if cta.trigger.qualifier == "RP":
                        values["responsible_person"] = cta.trigger.get(1, 1) or cta.trigger.get(
                            1, 0
                        )
    if values.get("vgm_kg") is None:
        ctx.warn("WEIGHT_MISSING", f"{number or 'the container'} has no VGM", eqd)
    return VgmRecord(
        container=number,
        vgm_kg=values.pop("vgm_kg", None),
        size_type=size_type(eqd.get(2, 0), ctx, eqd),
        booking=next((r.get(0, 1) for r in g.all("RFF") if r.get(0, 0) == "BN"), ""),
        seals=tuple(s.get(0, 0) for s in g.all("SEL") if s.get(0, 0)),
        segment=eqd.number,
        **values,
    )
