"""Writes of the customs app: declarations, customs responses, sensor readings, risk assessments,
inspection decisions and bulk lot discharge.

Holds go through the core holds engine (``hold_apply``/``hold_release`` with kind ``customs``),
so gate-out (gate app) and loading (``unit_transition``) see them without knowing customs. Every
change writes an event on the ``customs`` topic in the same transaction. Customs events carry no
line: agents do not see evidence or risk; they follow the core ``hold.*`` events of their units.

Risk flow (``assessment_run``): the evidence of a unit or lot is read from the database
(:mod:`customs.evidence`), scored by :func:`customs.risk.assess` and stored. Low risk with no
case open releases the declaration holds automatically (a system decision row says why); a
medium or high score opens (or re-ranks) an inspection case, holding the unit if nothing holds it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from customs import risk
from customs.choices import (
    CASE_ACTIVE,
    DECLARATION_OPEN,
    CaseStatus,
    DecisionAction,
    DecisionSource,
    DeclarationKind,
    DeclarationStatus,
    LotStatus,
    RiskLevel,
    SensorKind,
)
from customs.evidence import evidence_for, reading_evidence
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
from customs.selectors import active_customs_holds, latest_assessment
from tos.core.choices import HoldEvent, HoldKind, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Hold, Organisation, Terminal, User, VesselVisit
from tos.core.realtime import event_record
from tos.core.services import hold_apply, hold_release

TOPIC = "customs"
#: What a customs hold blocks: the box neither leaves by road or rail nor is loaded.
CUSTOMS_BLOCKS = (HoldEvent.GATE_OUT, HoldEvent.LOADING, HoldEvent.DELIVERY)
#: The risk model that speaks for each sensor kind (a triggered model marks its readings).
MODEL_OF_KIND = {
    SensorKind.RADIATION: "radiation",
    SensorKind.NIR: "composition_deviation",
    SensorKind.IMAGE: "foreign_objects",
    SensorKind.XRAY: "xray",
    SensorKind.SEAL: "seal_door",
}
#: Models that speak for sensors (as opposed to the papers and the parties' history).
SENSOR_MODELS = frozenset(MODEL_OF_KIND.values())
MAX_BATCH = 500


def _refuse(code: str, message: str, field: str, *, status: int = 400) -> ApplicationError:
    return ApplicationError(code, message, details={field: [message]}, status=status)


def _lock_terminal_events(terminal_id: int) -> None:
    """Take the terminal's event row lock first, as the gate does, so that customs and gate
    transactions on the same boxes queue instead of deadlocking."""
    Terminal.objects.select_for_update().filter(pk=terminal_id).values_list("pk").first()


def _emit(terminal_id: int, type: str, payload: dict[str, Any]) -> None:
    event_record(terminal_id=terminal_id, topic=TOPIC, type=type, payload=payload)


def _subject(unit: ContainerVisit | None, lot: BulkLot | None) -> dict[str, Any]:
    if unit is not None:
        return {"unit": unit.pk, "container": unit.container.number, "lot": None}
    return {"unit": None, "container": None, "lot": lot.pk, "lot_reference": lot.reference}


def _clean_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < 3:
        raise _refuse("validation_error", "Give a reason of at least 3 characters.", field)
    if len(reason) > 500:
        raise _refuse("validation_error", "At most 500 characters.", field)
    return reason


def decision_record(
    *,
    terminal_id: int,
    action: str,
    source: str,
    reason: str,
    officer: User | None = None,
    case: InspectionCase | None = None,
    declaration: Declaration | None = None,
    unit: ContainerVisit | None = None,
    lot: BulkLot | None = None,
) -> Decision:
    """Write one audit row and its event. Officer decisions name the officer."""
    decision = Decision.objects.create(
        terminal_id=terminal_id,
        action=action,
        source=source,
        reason=reason[:500],
        officer=officer,
        case=case,
        declaration=declaration,
        unit=unit,
        lot=lot,
        at=timezone.now(),
    )
    _emit(
        terminal_id,
        "customs.decision",
        {
            "id": decision.pk,
            "action": action,
            "source": source,
            "officer": officer.username if officer else None,
            "reason": decision.reason,
            "case": case.pk if case else None,
            "declaration": declaration.reference if declaration else None,
            "at": decision.at,
        }
        | (_subject(unit, lot) if unit or lot else {}),
    )
    return decision


# --- holds through the core engine ------------------------------------------------------------


def _hold_unit(
    *, unit: ContainerVisit, reference: str, reason: str, by: User | None
) -> Hold | None:
    """An active customs hold with ``reference`` on the unit (the existing one if there is);
    ``None`` for a unit that has left (nothing left to block)."""
    existing = active_customs_holds(unit=unit).filter(reference=reference).first()
    if existing is not None:
        return existing
    if unit.state in (UnitState.DEPARTED, UnitState.CANCELLED):
        return None
    return hold_apply(
        unit=unit,
        kind=HoldKind.CUSTOMS,
        blocks=CUSTOMS_BLOCKS,
        reason=reason[:200],
        reference=reference,
        by=by,
    )


def _release_unit(*, unit: ContainerVisit, by: User | None, note: str) -> list[Hold]:
    """Release every active customs hold of the unit (declarations and inspections)."""
    released = []
    for hold in active_customs_holds(unit=unit).order_by("pk"):
        released.append(hold_release(hold=hold, by=by, note=note[:200]))
    return released


def _declaration_refresh(declaration: Declaration, *, by: User | None = None) -> Declaration:
    """Mark an open declaration released once none of its units is held by customs, no case of
    it is active and every lot of it is cleared."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status not in DECLARATION_OPEN:
        return declaration
    units = [line.unit for line in declaration.lines.select_related("unit")]
    if any(active_customs_holds(unit=u).exists() for u in units):
        return declaration
    if declaration.cases.filter(status__in=CASE_ACTIVE).exists():
        return declaration
    if declaration.lots.exclude(status=LotStatus.CLEARED).exists():
        return declaration
    declaration.status = DeclarationStatus.RELEASED
    declaration.released_at = timezone.now()
    declaration.save(update_fields=["status", "released_at"])
    _emit(declaration.terminal_id, "customs.declaration_changed", declaration_payload(declaration))
    return declaration


def _declaration_set_status(declaration: Declaration, status: str) -> None:
    if declaration.status != status:
        declaration.status = status
        if status != DeclarationStatus.RELEASED:
            declaration.released_at = None
        declaration.save(update_fields=["status", "released_at"])
        _emit(
            declaration.terminal_id, "customs.declaration_changed", declaration_payload(declaration)
        )


def declaration_payload(declaration: Declaration) -> dict[str, Any]:
    return {
        "id": declaration.pk,
        "reference": declaration.reference,
        "kind": declaration.kind,
        "status": declaration.status,
        "early": declaration.early,
        "two_step": declaration.two_step,
        "released_at": declaration.released_at,
    }


# --- declarations -----------------------------------------------------------------------------


@transaction.atomic
def declaration_lodge(
    *,
    terminal: Terminal,
    reference: str,
    kind: str,
    declarant: str,
    goods_description: str,
    hs_code: str,
    origin_country: str,
    units: Sequence[ContainerVisit] = (),
    lots: Sequence[BulkLot] = (),
    bl_ref: str = "",
    consignee: str = "",
    declared_gross_kg: int | None = None,
    two_step: bool = False,
    line: Organisation | None = None,
    by: User | None = None,
) -> Declaration:
    """Lodge a declaration: its units are held by customs (gate-out, loading, delivery) until it
    is released, then each unit is assessed at once. A declaration lodged before its goods
    arrived is ``early``: when the risk is low it is released before arrival."""
    if kind not in DeclarationKind.values:
        raise _refuse("validation_error", "One of import, export, transit.", "kind")
    if not units and not lots:
        raise _refuse("validation_error", "A declaration covers containers or lots.", "containers")
    _lock_terminal_events(terminal.pk)
    if Declaration.objects.filter(terminal=terminal, reference=reference).exists():
        raise _refuse(
            "duplicate",
            f"Declaration {reference} was lodged already.",
            "reference",
            status=409,
        )
    for i, unit in enumerate(units):
        if unit.terminal_id != terminal.pk or unit.state in (
            UnitState.DEPARTED,
            UnitState.CANCELLED,
        ):
            raise _refuse(
                "validation_error",
                f"{unit.container.number} is not an active unit at this terminal.",
                f"containers[{i}]",
            )
    lines = {u.line_id for u in units}
    if line is None and len(lines) == 1:
        line = units[0].line
    early = bool(units) and all(u.state in (UnitState.ADVISED, UnitState.INBOUND) for u in units)
    declaration = Declaration(
        terminal=terminal,
        reference=reference,
        kind=kind,
        line=line,
        bl_ref=bl_ref,
        declarant=declarant,
        consignee=consignee,
        goods_description=goods_description,
        hs_code=hs_code,
        origin_country=origin_country,
        declared_gross_kg=declared_gross_kg,
        early=early,
        two_step=two_step,
        lodged_at=timezone.now(),
        lodged_by=by,
    )
    try:
        declaration.full_clean(exclude=["units"])
    except Exception as exc:  # django ValidationError → the API's field-named 400
        from django.core.exceptions import ValidationError

        if isinstance(exc, ValidationError):
            raise ApplicationError(
                "validation_error",
                "Invalid declaration: "
                + "; ".join(f"{k}: {v[0]}" for k, v in exc.message_dict.items()),
                details=exc.message_dict,
            ) from exc
        raise
    declaration.save()
    for unit in units:
        hold = _hold_unit(
            unit=unit,
            reference=reference,
            reason=f"Customs {kind} declaration {reference}: awaiting release",
            by=by,
        )
        share = None
        if declared_gross_kg and len(units) == 1:
            share = declared_gross_kg
        DeclarationUnit.objects.create(
            declaration=declaration, unit=unit, hold=hold, declared_gross_kg=share
        )
    for lot in lots:
        BulkLot.objects.filter(pk=lot.pk).update(declaration=declaration)
    _emit(terminal.pk, "customs.declaration_lodged", declaration_payload(declaration))
    for unit in units:
        assessment_run(unit=unit)
    for lot in lots:
        assessment_run(lot=lot)
    declaration.refresh_from_db()
    return declaration


@transaction.atomic
def declaration_respond(
    *,
    declaration: Declaration,
    action: str,
    reason: str,
    source: str,
    by: User | None = None,
) -> Declaration:
    """A customs response about a whole declaration (JSON API, EDIFACT CUSRES or an officer):
    ``release`` lifts every customs hold of its units and closes their cases; ``hold`` keeps
    (or puts back) the holds; ``examine`` also opens an inspection case per unit at the top of
    the queue. Each unit gets an audit row."""
    if action not in (DecisionAction.RELEASE, DecisionAction.HOLD, DecisionAction.EXAMINE):
        raise _refuse("validation_error", "One of release, hold, examine.", "action")
    reason = _clean_reason(reason)
    _lock_terminal_events(declaration.terminal_id)
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if declaration.status == DeclarationStatus.CANCELLED:
        raise _refuse(
            "declaration_cancelled",
            f"Declaration {declaration.reference} is cancelled.",
            "reference",
            status=409,
        )
    if action == DecisionAction.RELEASE and declaration.status == DeclarationStatus.RELEASED:
        raise _refuse(
            "already_released",
            f"Declaration {declaration.reference} was released at "
            f"{declaration.released_at:%Y-%m-%d %H:%M}.",
            "reference",
            status=409,
        )
    officer = by if source == DecisionSource.OFFICER else None
    units = [line.unit for line in declaration.lines.select_related("unit__container")]
    for unit in units:
        if action == DecisionAction.RELEASE:
            _release_unit(unit=unit, by=by, note=f"{declaration.reference}: {reason}")
            for case in InspectionCase.objects.filter(unit=unit, status__in=CASE_ACTIVE):
                _case_close(case)
        else:
            hold = _hold_unit(
                unit=unit,
                reference=declaration.reference,
                reason=f"Customs {action} on {declaration.reference}: {reason}",
                by=by,
            )
            DeclarationUnit.objects.filter(declaration=declaration, unit=unit).update(hold=hold)
            if action == DecisionAction.EXAMINE:
                case = _case_for(unit=unit, lot=None)
                if case is None:
                    assessment = latest_or_new_assessment(unit=unit)
                    case = _case_open(
                        unit=unit, lot=None, assessment=assessment, priority=100, by=by
                    )
                _case_set(case, status=CaseStatus.EXAMINATION, priority=100)
        decision_record(
            terminal_id=declaration.terminal_id,
            action=action,
            source=source,
            reason=reason,
            officer=officer,
            declaration=declaration,
            unit=unit,
        )
    if action == DecisionAction.RELEASE:
        for lot in declaration.lots.select_for_update():
            if lot.status != LotStatus.CLEARED and lot.discharge_completed_at is not None:
                _lot_clear(lot)
        declaration.status = DeclarationStatus.RELEASED
        declaration.released_at = timezone.now()
        declaration.save(update_fields=["status", "released_at"])
        _emit(
            declaration.terminal_id, "customs.declaration_changed", declaration_payload(declaration)
        )
    else:
        _declaration_set_status(declaration, DeclarationStatus.HELD)
    return declaration


@transaction.atomic
def declaration_complete(*, declaration: Declaration, by: User | None = None) -> Declaration:
    """Two-step flow, step two: the complete declaration follows the summary one (which may have
    released the goods already)."""
    declaration = Declaration.objects.select_for_update().get(pk=declaration.pk)
    if not declaration.two_step:
        raise _refuse(
            "not_two_step",
            f"{declaration.reference} is a one-step declaration; it is complete as lodged.",
            "reference",
            status=409,
        )
    if declaration.completed_at is not None:
        raise _refuse(
            "already_completed",
            f"{declaration.reference} was completed at {declaration.completed_at:%Y-%m-%d %H:%M}.",
            "reference",
            status=409,
        )
    declaration.completed_at = timezone.now()
    declaration.save(update_fields=["completed_at"])
    _emit(
        declaration.terminal_id,
        "customs.declaration_changed",
        declaration_payload(declaration) | {"completed_at": declaration.completed_at},
    )
    return declaration


# --- inspection cases -------------------------------------------------------------------------


def case_payload(case: InspectionCase) -> dict[str, Any]:
    """A queue row as the console shows it."""
    assessment = case.assessment
    triggered = [m for m in assessment.results if m.get("triggered")]
    return {
        "id": case.pk,
        "status": case.status,
        "priority": case.priority,
        "level": assessment.level,
        "score": assessment.score,
        "reasons": [r for m in triggered for r in m.get("reasons", [])][:6],
        "models": [m["model"] for m in triggered],
        "declaration": case.declaration.reference if case.declaration_id else None,
        "opened_at": case.opened_at,
        "closed_at": case.closed_at,
        "scheduled_from": case.scheduled_from,
        "scheduled_until": case.scheduled_until,
    } | (_subject(case.unit, case.lot))


def _case_for(*, unit: ContainerVisit | None, lot: BulkLot | None) -> InspectionCase | None:
    qs = InspectionCase.objects.select_for_update().filter(status__in=CASE_ACTIVE)
    return (qs.filter(unit=unit) if unit else qs.filter(lot=lot)).first()


def _case_open(
    *,
    unit: ContainerVisit | None,
    lot: BulkLot | None,
    assessment: RiskAssessment,
    priority: int,
    by: User | None = None,
) -> InspectionCase:
    declaration = assessment.declaration
    terminal_id = unit.terminal_id if unit else lot.terminal_id
    case = InspectionCase.objects.create(
        terminal_id=terminal_id,
        unit=unit,
        lot=lot,
        declaration=declaration,
        assessment=assessment,
        priority=priority,
        opened_at=timezone.now(),
    )
    if unit is not None and not active_customs_holds(unit=unit).exists():
        hold = _hold_unit(
            unit=unit,
            reference=f"INSP-{case.pk}",
            reason=f"Customs inspection case {case.pk}: risk {assessment.score}/100",
            by=by,
        )
        if hold is not None:
            case.hold = hold
            case.save(update_fields=["hold"])
    if declaration is not None and declaration.status == DeclarationStatus.LODGED:
        _declaration_set_status(declaration, DeclarationStatus.UNDER_REVIEW)
    _emit(terminal_id, "customs.case_opened", case_payload(case))
    return case


def _case_set(case: InspectionCase, **fields: Any) -> None:
    changed = [k for k, v in fields.items() if getattr(case, k) != v]
    if not changed:
        return
    for k in changed:
        setattr(case, k, fields[k])
    case.save(update_fields=changed)
    _emit(case.terminal_id, "customs.case_changed", case_payload(case))


def _case_close(case: InspectionCase) -> None:
    _case_set(case, status=CaseStatus.CLOSED, closed_at=timezone.now())


def _lot_clear(lot: BulkLot) -> None:
    lot.status = LotStatus.CLEARED
    lot.cleared_at = timezone.now()
    lot.save(update_fields=["status", "cleared_at"])
    _emit(lot.terminal_id, "customs.lot_changed", lot_payload(lot))


@transaction.atomic
def inspection_decide(
    *,
    case: InspectionCase,
    action: str,
    reason: str,
    officer: User,
    scheduled_from: dt.datetime | None = None,
    scheduled_until: dt.datetime | None = None,
) -> Decision:
    """An officer's decision on a queued case, audited with who, when and why.

    ``release`` lifts the unit's customs holds (a lot is cleared only once fully discharged) and
    closes the case; ``hold`` keeps the subject held and in the queue; ``examine`` and ``sample``
    keep it held and schedule the physical examination or sampling (``scheduled_from`` …
    ``scheduled_until``, default the next four hours): a door opening then is expected."""
    if action not in DecisionAction.values:
        raise _refuse("validation_error", "One of release, hold, examine, sample.", "action")
    reason = _clean_reason(reason)
    _lock_terminal_events(case.terminal_id)
    case = (
        InspectionCase.objects.select_for_update(of=("self",))
        .select_related("unit__container", "lot", "declaration", "assessment")
        .get(pk=case.pk)
    )
    if case.status == CaseStatus.CLOSED:
        raise _refuse(
            "case_closed",
            f"Case {case.pk} was closed at {case.closed_at:%Y-%m-%d %H:%M}.",
            "case",
            status=409,
        )
    unit, lot = case.unit, case.lot
    if lot is not None:
        lot = BulkLot.objects.select_for_update().get(pk=lot.pk)
    note = f"Case {case.pk}: {reason}"
    if action == DecisionAction.RELEASE:
        if lot is not None and lot.discharge_completed_at is None:
            raise _refuse(
                "lot_not_discharged",
                f"Lot {lot.reference} is {lot.discharge_pct} % discharged; it can be cleared "
                "when its last part is ashore.",
                "action",
                status=409,
            )
        if unit is not None:
            _release_unit(unit=unit, by=officer, note=note)
        else:
            _lot_clear(lot)
        _case_close(case)
    else:
        if unit is not None and not active_customs_holds(unit=unit).exists():
            hold = _hold_unit(unit=unit, reference=f"INSP-{case.pk}", reason=note, by=officer)
            if hold is not None and case.hold_id is None:
                _case_set(case, hold=hold)
        if lot is not None and lot.status != LotStatus.HELD:
            lot.status = LotStatus.HELD
            lot.save(update_fields=["status"])
            _emit(lot.terminal_id, "customs.lot_changed", lot_payload(lot))
        status = {
            DecisionAction.HOLD: CaseStatus.OPEN,
            DecisionAction.EXAMINE: CaseStatus.EXAMINATION,
            DecisionAction.SAMPLE: CaseStatus.SAMPLING,
        }[action]
        fields: dict[str, Any] = {"status": status}
        if action in (DecisionAction.EXAMINE, DecisionAction.SAMPLE):
            start = scheduled_from or timezone.now()
            end = scheduled_until or start + dt.timedelta(hours=4)
            if end <= start:
                raise _refuse(
                    "validation_error", "Must be after scheduled_from.", "scheduled_until"
                )
            fields |= {"scheduled_from": start, "scheduled_until": end}
        _case_set(case, **fields)
        if case.declaration_id:
            _declaration_set_status(case.declaration, DeclarationStatus.HELD)
    decision = decision_record(
        terminal_id=case.terminal_id,
        action=action,
        source=DecisionSource.OFFICER,
        reason=reason,
        officer=officer,
        case=case,
        declaration=case.declaration,
        unit=unit,
        lot=lot,
    )
    if action == DecisionAction.RELEASE and unit is not None:
        open_declarations = Declaration.objects.filter(
            lines__unit=unit, status__in=DECLARATION_OPEN
        )
        for declaration in open_declarations:
            _declaration_refresh(declaration, by=officer)
    elif action == DecisionAction.RELEASE and lot.declaration_id:
        _declaration_refresh(lot.declaration, by=officer)
    return decision


# --- risk assessment --------------------------------------------------------------------------


def _results_json(result: risk.Assessment) -> list[dict[str, Any]]:
    """Every model's result, JSON-ready (score, triggered, reasons, data, critical)."""
    return result.as_dict()["models"]


def _subject_declaration(unit: ContainerVisit | None, lot: BulkLot | None) -> Declaration | None:
    if lot is not None:
        return lot.declaration
    return (
        Declaration.objects.filter(lines__unit=unit)
        .exclude(status=DeclarationStatus.CANCELLED)
        .order_by("-lodged_at", "-pk")
        .first()
    )


def assessment_payload(assessment: RiskAssessment) -> dict[str, Any]:
    return {
        "id": assessment.pk,
        "score": assessment.score,
        "level": assessment.level,
        "models": assessment.results,
        "computed_at": assessment.computed_at,
    }


@transaction.atomic
def assessment_run(
    *, unit: ContainerVisit | None = None, lot: BulkLot | None = None
) -> RiskAssessment:
    """Score the evidence of one unit or lot, store it and act on it (see the module doc)."""
    if (unit is None) == (lot is None):
        raise ValueError("assess one unit or one lot")
    terminal_id = unit.terminal_id if unit else lot.terminal_id
    _lock_terminal_events(terminal_id)
    if lot is not None:
        lot = (
            BulkLot.objects.select_for_update(of=("self",))
            .select_related("declaration")
            .get(pk=lot.pk)
        )
    declaration = _subject_declaration(unit, lot)
    result = risk.assess(evidence_for(unit=unit, lot=lot, declaration=declaration))
    assessment = RiskAssessment.objects.create(
        terminal_id=terminal_id,
        unit=unit,
        lot=lot,
        declaration=declaration,
        score=max(0, min(100, int(result.score))),
        level=result.level,
        results=_results_json(result),
        computed_at=timezone.now(),
    )
    _emit(
        terminal_id,
        "customs.assessment",
        assessment_payload(assessment) | _subject(unit, lot),
    )
    case = _case_for(unit=unit, lot=lot)
    if case is not None:
        # An officer has the case: the new evidence re-ranks it, the officer still decides.
        _case_set(case, assessment=assessment, priority=assessment.score)
    elif assessment.level == RiskLevel.LOW:
        _auto_release(assessment, unit=unit, lot=lot)
    elif declaration is None and not any(
        m["triggered"] and m["model"] in SENSOR_MODELS for m in assessment.results
    ):
        # No papers lodged yet and no sensor found anything: the missing declaration is not a
        # finding; the box is held by the lodging itself when the declaration comes.
        pass
    else:
        _case_open(unit=unit, lot=lot, assessment=assessment, priority=assessment.score)
    return assessment


def _auto_release(
    assessment: RiskAssessment, *, unit: ContainerVisit | None, lot: BulkLot | None
) -> None:
    """Low risk: release what the subject's open declarations hold (never holds of others), or
    clear a lot whose last part is ashore. A system decision row lists the quiet models."""
    why = f"Risk {assessment.score}/100 ({assessment.level}): automatic release; " + ", ".join(
        f"{m['model']} {m['score']}" for m in assessment.results
    )
    if lot is not None:
        if lot.discharge_completed_at is None or lot.status in (LotStatus.CLEARED, LotStatus.HELD):
            return
        _lot_clear(lot)
        decision_record(
            terminal_id=lot.terminal_id,
            action=DecisionAction.RELEASE,
            source=DecisionSource.SYSTEM,
            reason=why,
            declaration=lot.declaration,
            lot=lot,
        )
        if lot.declaration_id:
            _declaration_refresh(lot.declaration)
        return
    ids = DeclarationUnit.objects.filter(unit=unit).values("declaration_id")
    declarations = list(
        Declaration.objects.select_for_update()
        .filter(pk__in=ids, status__in=[DeclarationStatus.LODGED, DeclarationStatus.UNDER_REVIEW])
        .order_by("pk")
    )
    for declaration in declarations:
        holds = Hold.objects.filter(
            unit=unit, kind=HoldKind.CUSTOMS, reference=declaration.reference, released_at=None
        )
        if not holds.exists():
            continue
        for hold in holds:
            hold_release(hold=hold, by=None, note=why[:200])
        decision_record(
            terminal_id=unit.terminal_id,
            action=DecisionAction.RELEASE,
            source=DecisionSource.SYSTEM,
            reason=why,
            declaration=declaration,
            unit=unit,
        )
        _declaration_refresh(declaration)


def latest_or_new_assessment(
    *, unit: ContainerVisit | None = None, lot: BulkLot | None = None
) -> RiskAssessment:
    """The subject's latest assessment, or a first one (stored, with no outcome applied)."""
    found = latest_assessment(unit=unit, lot=lot)
    if found is not None:
        return found
    declaration = _subject_declaration(unit, lot)
    result = risk.assess(evidence_for(unit=unit, lot=lot, declaration=declaration))
    return RiskAssessment.objects.create(
        terminal_id=unit.terminal_id if unit else lot.terminal_id,
        unit=unit,
        lot=lot,
        declaration=declaration,
        score=max(0, min(100, int(result.score))),
        level=result.level,
        results=_results_json(result),
        computed_at=timezone.now(),
    )


# --- sensor readings --------------------------------------------------------------------------


def reading_payload(reading: SensorReading) -> dict[str, Any]:
    return {
        "id": reading.pk,
        "kind": reading.kind,
        "sensor_id": reading.sensor_id,
        "external_id": reading.external_id,
        "taken_at": reading.taken_at,
        "payload": reading.payload,
        "alarm": reading.alarm,
        "alarm_reason": reading.alarm_reason,
    } | _subject(reading.unit, reading.lot)


def reading_verdict(evidence: risk.Evidence, reading: SensorReading) -> risk.ModelResult:
    """The verdict of the reading's own model on that reading alone (with the subject's
    declaration, history and scheduled inspections): a reading alarms when it would trigger
    its model by itself, so an expected door opening is no alarm even on a box whose earlier
    opening was."""
    only = reading_evidence([reading])
    alone = dataclasses.replace(evidence, **only)
    return risk.MODEL_FUNCTIONS[MODEL_OF_KIND[reading.kind]](alone)


def _same_reading(existing: SensorReading, item: dict[str, Any]) -> bool:
    unit, lot = item.get("unit"), item.get("lot")
    return (
        existing.kind == item["kind"]
        and existing.unit_id == (unit.pk if unit else None)
        and existing.lot_id == (lot.pk if lot else None)
        and existing.taken_at == item["taken_at"]
        and existing.payload == item["payload"]
    )


@transaction.atomic
def readings_ingest(
    *, terminal: Terminal, items: Sequence[dict[str, Any]], by: User | None = None
) -> list[tuple[SensorReading, bool]]:
    """Store validated readings (each ``{kind, unit | lot, sensor_id, external_id, taken_at,
    payload}``), all or none, then re-assess each subject once and flag the readings whose
    model triggered (an alarm event each).

    A reading sent again with the same sensor and external id and the same content is a replay
    (``created`` False); with other content it is refused (409 ``reading_conflict``), and the
    whole batch with it."""
    if len(items) > MAX_BATCH:
        raise _refuse("too_many_readings", f"At most {MAX_BATCH} readings a request.", "readings")
    _lock_terminal_events(terminal.pk)
    out: list[tuple[SensorReading, bool]] = []
    fresh: list[SensorReading] = []
    known = {
        (r.sensor_id, r.external_id): r
        for r in SensorReading.objects.filter(
            terminal=terminal,
            sensor_id__in={i["sensor_id"] for i in items},
            external_id__in={i["external_id"] for i in items},
        )
    }
    for i, item in enumerate(items):
        field = f"readings[{i}].external_id" if len(items) > 1 else "external_id"
        unit, lot = item.get("unit"), item.get("lot")
        if (unit or lot).terminal_id != terminal.pk:
            raise _refuse("validation_error", "Not at this terminal.", field)
        existing = known.get((item["sensor_id"], item["external_id"]))
        if existing is None:
            reading = SensorReading(
                terminal=terminal,
                kind=item["kind"],
                unit=unit,
                lot=lot,
                sensor_id=item["sensor_id"],
                external_id=item["external_id"],
                taken_at=item["taken_at"],
                payload=item["payload"],
                received_by=by,
            )
            try:
                with transaction.atomic():
                    reading.save()
            except IntegrityError:
                existing = SensorReading.objects.filter(
                    terminal=terminal,
                    sensor_id=item["sensor_id"],
                    external_id=item["external_id"],
                ).first()
                if existing is None:
                    raise
            else:
                out.append((reading, True))
                fresh.append(reading)
                known[(reading.sensor_id, reading.external_id)] = reading
                continue
        if not _same_reading(existing, item):
            raise _refuse(
                "reading_conflict",
                f"Sensor {item['sensor_id']} sent reading {item['external_id']} before with "
                "other content; a reading is never changed.",
                field,
                status=409,
            )
        out.append((existing, False))
    subjects: dict[tuple[str, int], Any] = {}
    for reading in fresh:
        key = ("unit", reading.unit_id) if reading.unit_id else ("lot", reading.lot_id)
        subjects.setdefault(key, reading.unit or reading.lot)
    for key, subject in subjects.items():
        if key[0] == "unit":
            assessment_run(unit=subject)
        else:
            assessment_run(lot=subject)
    evidence: dict[tuple[str, int], risk.Evidence] = {}
    for reading in fresh:
        key = ("unit", reading.unit_id) if reading.unit_id else ("lot", reading.lot_id)
        if key not in evidence:
            evidence[key] = evidence_for(
                unit=reading.unit,
                lot=reading.lot,
                declaration=_subject_declaration(reading.unit, reading.lot),
            )
        verdict = reading_verdict(evidence[key], reading)
        if verdict.triggered:
            reading.alarm = True
            reading.alarm_reason = "; ".join(verdict.reasons)[:300]
            reading.save(update_fields=["alarm", "alarm_reason"])
        _emit(terminal.pk, "customs.reading", reading_payload(reading))
        if reading.alarm:
            _emit(terminal.pk, "customs.alarm", reading_payload(reading))
    return out


# --- bulk lots --------------------------------------------------------------------------------


def lot_payload(lot: BulkLot) -> dict[str, Any]:
    return {
        "id": lot.pk,
        "reference": lot.reference,
        "commodity": lot.commodity,
        "status": lot.status,
        "declared_tonnage": float(lot.declared_tonnage),
        "discharged_tonnage": float(lot.discharged_tonnage),
        "discharge_pct": lot.discharge_pct,
        "discharge_completed_at": lot.discharge_completed_at,
        "cleared_at": lot.cleared_at,
    }


@transaction.atomic
def bulk_lot_create(
    *,
    terminal: Terminal,
    reference: str,
    vessel_visit: VesselVisit,
    commodity: str,
    declared_tonnage: Decimal,
    declared_composition: dict[str, float] | None = None,
    declaration: Declaration | None = None,
    by: User | None = None,
) -> BulkLot:
    """Register a bulk lot to be discharged and inspected in step with the discharge."""
    if vessel_visit.terminal_id != terminal.pk:
        raise _refuse("validation_error", "Not a visit of this terminal.", "vessel_visit")
    _lock_terminal_events(terminal.pk)
    if BulkLot.objects.filter(terminal=terminal, reference=reference).exists():
        raise _refuse("duplicate", f"Lot {reference} exists already.", "reference", status=409)
    lot = BulkLot.objects.create(
        terminal=terminal,
        reference=reference,
        vessel_visit=vessel_visit,
        commodity=commodity,
        declared_tonnage=declared_tonnage,
        declared_composition=declared_composition or {},
        declaration=declaration,
    )
    _emit(terminal.pk, "customs.lot_changed", lot_payload(lot))
    return lot


@transaction.atomic
def bulk_lot_progress(
    *,
    lot: BulkLot,
    tonnage: Decimal,
    started_at: dt.datetime,
    ended_at: dt.datetime,
    last: bool = False,
    by: User | None = None,
) -> LotWindow:
    """Record one discharge window of a lot. With ``last`` the lot is fully ashore and is
    assessed for clearance (low risk clears it; otherwise the officer decides)."""
    _lock_terminal_events(lot.terminal_id)
    lot = BulkLot.objects.select_for_update().get(pk=lot.pk)
    if lot.discharge_completed_at is not None:
        raise _refuse(
            "lot_discharged",
            f"Lot {lot.reference} was fully discharged at "
            f"{lot.discharge_completed_at:%Y-%m-%d %H:%M}.",
            "last",
            status=409,
        )
    if tonnage <= 0:
        raise _refuse("validation_error", "More than 0 t.", "tonnage")
    if ended_at <= started_at:
        raise _refuse("validation_error", "Must be after started_at.", "ended_at")
    previous = lot.windows.order_by("-number").first()
    if previous is not None and started_at < previous.ended_at:
        raise _refuse(
            "validation_error",
            f"Window {previous.number} ended at {previous.ended_at:%Y-%m-%d %H:%M}; windows do "
            "not overlap.",
            "started_at",
        )
    window = LotWindow.objects.create(
        lot=lot,
        number=(previous.number + 1) if previous else 1,
        started_at=started_at,
        ended_at=ended_at,
        tonnage=tonnage,
        last=last,
    )
    lot.discharged_tonnage += tonnage
    fields = ["discharged_tonnage"]
    if last:
        lot.discharge_completed_at = ended_at
        fields.append("discharge_completed_at")
        if lot.status == LotStatus.DISCHARGING:
            lot.status = LotStatus.DISCHARGED
            fields.append("status")
    lot.save(update_fields=fields)
    _emit(lot.terminal_id, "customs.lot_changed", lot_payload(lot) | {"window": window.number})
    if last:
        assessment_run(lot=lot)
    return window
