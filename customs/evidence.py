"""The evidence of one unit or bulk lot, read from the database into :mod:`customs.risk`'s
dataclasses: the declaration (declared against measured data), every sensor reading, the
scheduled examination windows and the parties' inspection history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from customs import risk
from customs.choices import SensorKind
from customs.models import BulkLot, Declaration, DeclarationUnit, InspectionCase, SensorReading
from customs.selectors import party_history
from tos.core.models import ContainerVisit


def _when(text: str) -> datetime:
    return parse_datetime(text)


def _declaration(
    *, unit: ContainerVisit | None, lot: BulkLot | None, declaration: Declaration | None
) -> risk.Declaration:
    if lot is not None:
        return risk.Declaration(
            kind="bulk",
            commodity=lot.commodity,
            hs_code=declaration.hs_code if declaration else "",
            declared_weight_kg=float(lot.declared_tonnage) * 1000,
            measured_weight_kg=(
                float(lot.discharged_tonnage) * 1000 if lot.discharge_completed_at else None
            ),
            declared_composition={k: float(v) for k, v in lot.declared_composition.items()},
            origin=declaration.origin_country if declaration else "",
            lodged_at=declaration.lodged_at if declaration else None,
            shipper=declaration.declarant if declaration else "",
            consignee=declaration.consignee if declaration else "",
            line=lot.vessel_visit.line.code,
            reference=declaration.reference if declaration else lot.reference,
        )
    declared_kg = None
    if declaration is not None:
        share = (
            DeclarationUnit.objects.filter(declaration=declaration, unit=unit)
            .values_list("declared_gross_kg", flat=True)
            .first()
        )
        declared_kg = share or (
            declaration.declared_gross_kg if declaration.lines.count() == 1 else None
        )
    measured = unit.vgm_kg or unit.gross_weight_kg
    return risk.Declaration(
        kind="container",
        commodity=declaration.goods_description if declaration else "",
        hs_code=declaration.hs_code if declaration else "",
        declared_weight_kg=float(declared_kg) if declared_kg else None,
        measured_weight_kg=float(measured) if measured else None,
        seal_number=unit.seals[0] if unit.seals else None,
        origin=declaration.origin_country if declaration else "",
        lodged_at=declaration.lodged_at if declaration else None,
        shipper=declaration.declarant if declaration else "",
        consignee=declaration.consignee if declaration else "",
        line=unit.line.code,
        reference=declaration.reference if declaration else "",
    )


def _history(
    *, terminal_id: int, declaration: Declaration | None, line_id: int | None, line_code: str
) -> list[risk.PartyHistory]:
    rows = []
    if declaration is not None:
        for role, field, value in (
            ("shipper", "declarant", declaration.declarant),
            ("consignee", "consignee", declaration.consignee),
        ):
            if value:
                counts = party_history(terminal_id=terminal_id, field=field, value=value)
                rows.append(risk.PartyHistory(role=role, name=value, **counts))
    if line_id is not None:
        counts = party_history(terminal_id=terminal_id, field="line_id", value=line_id)
        rows.append(risk.PartyHistory(role="line", name=line_code, **counts))
    return [r for r in rows if r.inspections]


def reading_evidence(readings: list[SensorReading]) -> dict[str, list[Any]]:
    """The readings as the risk module's evidence lists, keyed like :class:`risk.Evidence`."""
    out: dict[str, list[Any]] = {
        "radiation": [],
        "composition": [],
        "detections": [],
        "xray": [],
        "seal_events": [],
    }
    for r in readings:
        p = r.payload
        if r.kind == SensorKind.RADIATION:
            out["radiation"].append(
                risk.RadiationReading(
                    at=r.taken_at,
                    sensor=r.sensor_id,
                    gross_cps=p["gross_cps"],
                    background_cps=p["background_cps"],
                    gamma_spectrum=p.get("gamma_spectrum"),
                    neutron_cps=p.get("neutron_cps"),
                    neutron_background_cps=p.get("neutron_background_cps"),
                    count_time_s=p.get("count_time_s", 1.0),
                )
            )
        elif r.kind == SensorKind.NIR:
            out["composition"].append(
                risk.CompositionReading(
                    at=r.taken_at,
                    window_start=_when(p["window_start"]),
                    window_end=_when(p["window_end"]),
                    tonnes=p["tonnes"],
                    values=p["values"],
                )
            )
        elif r.kind == SensorKind.IMAGE:
            for d in p["detections"]:
                out["detections"].append(
                    risk.Detection(
                        at=r.taken_at,
                        frame=f"{r.sensor_id}/{r.external_id}/{d['frame']}",
                        label=d["label"],
                        confidence=d["confidence"],
                    )
                )
        elif r.kind == SensorKind.XRAY:
            out["xray"].append(
                risk.XrayResult(
                    at=r.taken_at,
                    anomaly=p["anomaly"],
                    score=p["score"],
                    findings=tuple(p.get("findings", ())),
                )
            )
        elif r.kind == SensorKind.SEAL:
            out["seal_events"].append(
                risk.SealEvent(
                    at=r.taken_at,
                    kind=p["event"],
                    seal_number=p.get("seal_number") or None,
                    sensor=r.sensor_id,
                )
            )
    return out


def evidence_for(
    *,
    unit: ContainerVisit | None = None,
    lot: BulkLot | None = None,
    declaration: Declaration | None = None,
) -> risk.Evidence:
    """Everything known about ``unit`` or ``lot`` now, as :class:`customs.risk.Evidence`."""
    if unit is not None:
        readings = list(SensorReading.objects.filter(unit=unit).order_by("taken_at", "pk"))
        cases = InspectionCase.objects.filter(unit=unit)
        terminal_id, line_id, line_code = unit.terminal_id, unit.line_id, unit.line.code
        subject = unit.container.number
    else:
        readings = list(SensorReading.objects.filter(lot=lot).order_by("taken_at", "pk"))
        cases = InspectionCase.objects.filter(lot=lot)
        visit = lot.vessel_visit
        terminal_id, line_id, line_code = lot.terminal_id, visit.line_id, visit.line.code
        subject = lot.reference
    windows = tuple(
        cases.filter(scheduled_from__isnull=False).values_list("scheduled_from", "scheduled_until")
    )
    parts = reading_evidence(readings)
    observed = next(
        (e.seal_number for e in reversed(parts["seal_events"]) if e.seal_number),
        None,
    )
    return risk.Evidence(
        declaration=_declaration(unit=unit, lot=lot, declaration=declaration),
        history=_history(
            terminal_id=terminal_id, declaration=declaration, line_id=line_id, line_code=line_code
        ),
        scheduled_inspections=windows,
        observed_seal_number=observed,
        subject=subject,
        **parts,
    )
