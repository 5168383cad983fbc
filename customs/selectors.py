"""Reads of the customs app.

Who sees what (the issue's rule): customs officers, administrators and users of a customs
organisation see customs data (declarations, readings, risk, cases, decisions). Agents see only
the hold/release status of their own lines' units; hauliers only whether their pick-up is
released. Terminal staff of other roles see the status like an agent of every line, not the
evidence.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from customs.choices import CASE_ACTIVE, DECLARATION_OPEN, DecisionAction
from customs.models import (
    BulkLot,
    Decision,
    Declaration,
    DeclarationUnit,
    InspectionCase,
    LotWindow,
    RiskAssessment,
    SensorReading,
)
from tos.core.choices import HoldKind, OrganisationKind, Role
from tos.core.models import ContainerVisit, Hold, Terminal, User
from tos.core.selectors import units_visible_to, user_line_ids, user_sees_all_lines


def user_is_customs(user: User) -> bool:
    """Customs officers, administrators and users of a customs authority."""
    if not (user and user.is_authenticated):
        return False
    if user.is_superuser or user.role in (Role.CUSTOMS_OFFICER, Role.ADMIN):
        return True
    return bool(user.organisation_id and user.organisation.kind == OrganisationKind.CUSTOMS)


def _terminal_scope(qs: QuerySet, user: User) -> QuerySet:
    if user.terminal_id and not user.is_superuser:
        return qs.filter(terminal_id=user.terminal_id)
    return qs


def declarations_visible_to(user: User) -> QuerySet[Declaration]:
    """Customs users see every declaration of their terminal; agents those of their lines (the
    declaration's line or a unit of their lines), with the status only (the API decides which
    fields); nobody else any."""
    qs = Declaration.objects.select_related("line").prefetch_related(
        Prefetch("lines", queryset=DeclarationUnit.objects.select_related("unit__container"))
    )
    if user_is_customs(user) or user_sees_all_lines(user):
        return _terminal_scope(qs, user)
    lines = user_line_ids(user)
    if not lines:
        return qs.none()
    return _terminal_scope(qs.filter(line__in=lines), user)


def lots_visible_to(user: User) -> QuerySet[BulkLot]:
    qs = BulkLot.objects.select_related("vessel_visit__vessel", "declaration")
    if not user_is_customs(user):
        return qs.none()
    return _terminal_scope(qs, user)


def readings_visible_to(user: User) -> QuerySet[SensorReading]:
    qs = SensorReading.objects.select_related("unit__container", "lot")
    if not user_is_customs(user):
        return qs.none()
    return _terminal_scope(qs, user)


def cases_visible_to(user: User) -> QuerySet[InspectionCase]:
    """The inspection queue and its history, ranked: highest priority first, then oldest."""
    qs = InspectionCase.objects.select_related(
        "unit__container", "unit__line", "lot", "declaration", "assessment"
    ).order_by("-priority", "opened_at", "pk")
    if not user_is_customs(user):
        return qs.none()
    return _terminal_scope(qs, user)


def queue(*, user: User) -> QuerySet[InspectionCase]:
    return cases_visible_to(user).filter(status__in=CASE_ACTIVE)


def decisions_visible_to(user: User) -> QuerySet[Decision]:
    qs = Decision.objects.select_related("officer", "unit__container", "lot", "declaration")
    if not user_is_customs(user):
        return qs.none()
    return _terminal_scope(qs, user)


def latest_assessment(
    *, unit: ContainerVisit | None = None, lot: BulkLot | None = None
) -> RiskAssessment | None:
    qs = (
        RiskAssessment.objects.filter(unit=unit) if unit else RiskAssessment.objects.filter(lot=lot)
    )
    return qs.order_by("-computed_at", "-pk").first()


def subject_readings(
    *, unit: ContainerVisit | None = None, lot: BulkLot | None = None, limit: int = 500
) -> list[SensorReading]:
    """The most recent ``limit`` readings of a unit or lot, oldest first (for plots)."""
    qs = SensorReading.objects.filter(unit=unit) if unit else SensorReading.objects.filter(lot=lot)
    return list(reversed(qs.order_by("-taken_at", "-pk")[:limit]))


def lot_windows(*, lot: BulkLot) -> list[LotWindow]:
    return list(lot.windows.order_by("number"))


def unit_open_declarations(*, unit: ContainerVisit) -> QuerySet[Declaration]:
    return Declaration.objects.filter(lines__unit=unit, status__in=DECLARATION_OPEN).distinct()


def active_customs_holds(*, unit: ContainerVisit) -> QuerySet[Hold]:
    return Hold.objects.filter(unit=unit, kind=HoldKind.CUSTOMS, released_at__isnull=True)


def unit_customs_status(*, unit: ContainerVisit) -> dict[str, Any]:
    """The hold/release status of one unit, the part agents may see: released or held, the
    declarations (reference, kind, status) and what the active customs holds block."""
    holds = list(active_customs_holds(unit=unit).order_by("applied_at", "pk"))
    declarations = list(
        Declaration.objects.filter(lines__unit=unit)
        .order_by("lodged_at", "pk")
        .values("reference", "kind", "status", "released_at")
    )
    return {
        "container": unit.container.number,
        "unit": unit.pk,
        "line": unit.line.code,
        "customs_released": not holds,
        "declarations": declarations,
        "holds": [
            {"reference": h.reference, "blocks": h.blocked_events, "since": h.applied_at}
            for h in holds
        ],
    }


def status_units_for(
    *, user: User, terminal: Terminal, container: str
) -> tuple[list[ContainerVisit], str]:
    """The active units of ``container`` the user may ask about, and how much they may see:
    ``full`` (customs and terminal staff, agents of the unit's line) or ``released_only``
    (a haulier with a pick-up of it). Empty when the user may not ask."""
    number = container.upper()
    if user_is_customs(user) or user_sees_all_lines(user) or user_line_ids(user):
        units = list(
            units_visible_to(user)
            .filter(terminal=terminal, container__number=number)
            .order_by("-pk")[:1]
        )
        if units:
            return units, "full"
    if user.organisation_id and user.organisation.kind == OrganisationKind.HAULIER:
        from gate.selectors import pre_advices_visible_to

        advice = (
            pre_advices_visible_to(user)
            .filter(
                organisation_id=user.organisation_id,
                container_number=number,
                transaction_type="pick_up_import",
            )
            .exclude(unit__isnull=True)
            .order_by("-pk")
            .first()
        )
        if advice is not None:
            return [advice.unit], "released_only"
    return [], ""


def party_history(*, terminal_id: int, field: str, value: Any) -> dict[str, int]:
    """Past inspections of one party (``declarant``, ``consignee`` or ``line_id``): closed cases
    of its declarations and how many of them found something (an officer's hold)."""
    if value in (None, ""):
        return {"inspections": 0, "findings": 0}
    cases = InspectionCase.objects.filter(
        terminal_id=terminal_id, closed_at__isnull=False, **{f"declaration__{field}": value}
    )
    inspections = cases.count()
    findings = (
        cases.filter(decisions__action=DecisionAction.HOLD, decisions__officer__isnull=False)
        .distinct()
        .count()
    )
    return {"inspections": inspections, "findings": findings}


def _unit_summary(unit: ContainerVisit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "container": unit.container.number,
        "iso_type": unit.container.iso_type,
        "line": unit.line.code,
        "category": unit.category,
        "state": unit.state,
        "position": unit.position_ref,
        "vgm_kg": unit.vgm_kg,
        "gross_weight_kg": unit.gross_weight_kg,
        "seals": unit.seals,
        "bl_ref": unit.bl_ref,
        "pol": unit.pol,
    }


def case_detail(*, case: InspectionCase) -> dict[str, Any]:
    """Everything an officer needs on one screen: the case, the subject, its declaration, the
    latest assessment with every model's reasons, the readings over time, the lot's discharge
    windows, the active holds and the decisions so far."""
    from customs.services import (
        assessment_payload,
        case_payload,
        declaration_payload,
        lot_payload,
        reading_payload,
    )

    unit, lot = case.unit, case.lot
    assessment = latest_assessment(unit=unit, lot=lot) or case.assessment
    declaration = case.declaration
    decisions = Decision.objects.select_related("officer").filter(
        **({"unit": unit} if unit else {"lot": lot})
    )
    out: dict[str, Any] = {
        "case": case_payload(case),
        "assessment": assessment_payload(assessment),
        "declaration": None,
        "unit": _unit_summary(unit) if unit else None,
        "lot": lot_payload(lot) if lot else None,
        "windows": [
            {
                "number": w.number,
                "started_at": w.started_at,
                "ended_at": w.ended_at,
                "tonnage": float(w.tonnage),
                "last": w.last,
            }
            for w in (lot_windows(lot=lot) if lot else [])
        ],
        "readings": [reading_payload(r) for r in subject_readings(unit=unit, lot=lot)],
        "holds": (
            [
                {
                    "id": h.pk,
                    "reference": h.reference,
                    "reason": h.reason,
                    "blocks": h.blocked_events,
                    "applied_at": h.applied_at,
                }
                for h in active_customs_holds(unit=unit).order_by("applied_at", "pk")
            ]
            if unit
            else []
        ),
        "decisions": [
            {
                "id": d.pk,
                "at": d.at,
                "action": d.action,
                "source": d.source,
                "officer": d.officer.username if d.officer_id else None,
                "reason": d.reason,
            }
            for d in decisions.order_by("-at", "-pk")[:50]
        ],
    }
    if declaration is not None:
        out["declaration"] = declaration_payload(declaration) | {
            "bl_ref": declaration.bl_ref,
            "declarant": declaration.declarant,
            "consignee": declaration.consignee,
            "goods_description": declaration.goods_description,
            "hs_code": declaration.hs_code,
            "origin_country": declaration.origin_country,
            "declared_gross_kg": declaration.declared_gross_kg,
            "lodged_at": declaration.lodged_at,
        }
    return out


def console_snapshot(*, user: User, terminal: Terminal, limit: int = 200) -> dict[str, Any]:
    """The active queue, ranked, and the event ``seq`` it reflects (read first)."""
    from customs.services import case_payload

    seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True).get()
    active = queue(user=user).filter(terminal=terminal)
    rows = [case_payload(c) for c in active[:limit]]
    alarms = readings_visible_to(user).filter(terminal=terminal, alarm=True)
    decisions = decisions_visible_to(user).filter(terminal=terminal)
    feed = [
        {
            "at": r.received_at,
            "kind": "alarm",
            "text": f"Alarm on {r.unit.container.number if r.unit else r.lot.reference}: "
            f"{r.alarm_reason}",
        }
        for r in alarms.order_by("-received_at", "-pk")[:15]
    ] + [
        {
            "at": d.at,
            "kind": "",
            "text": f"{d.action} of "
            + (
                d.unit.container.number
                if d.unit
                else d.lot.reference
                if d.lot
                else d.declaration.reference
                if d.declaration
                else "?"
            )
            + f" by {d.officer.username if d.officer else d.source}: {d.reason}",
        }
        for d in decisions.order_by("-at", "-pk")[:15]
    ]
    feed.sort(key=lambda f: f["at"], reverse=True)
    return {
        "terminal": terminal.pk,
        "seq": seq,
        "total": active.count(),
        "queue": rows,
        "feed": feed[:20],
    }
