"""Writes of the shared kernel (DESIGN.md §5.1): ``<entity>_<action>`` with keyword-only
arguments. Each validates with ``full_clean()``, writes in one transaction, records the live event
in the same transaction and raises :class:`ApplicationError` with a stable code when it refuses.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from tos.core import codes
from tos.core.choices import (
    UNIT_ACTIVE_STATES,
    UNIT_TRANSITIONS,
    VISIT_TRANSITIONS,
    HoldEvent,
    HoldKind,
    OrganisationKind,
    PositionKind,
    SolverRunStatus,
    UnitState,
    VisitPhase,
)
from tos.core.errors import ApplicationError
from tos.core.models import (
    Container,
    ContainerVisit,
    Hold,
    Organisation,
    SolverRun,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)
from tos.core.realtime import event_record

# --- helpers ----------------------------------------------------------------------------------


def _validation_error(exc: ValidationError) -> ApplicationError:
    details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    fields = ", ".join(sorted(details))
    first = next(iter(details.values()))[0] if details else "invalid"
    return ApplicationError("validation_error", f"Invalid {fields}: {first}", details=details)


def _duplicate_error(exc: ValidationError) -> ApplicationError | None:
    """``full_clean`` reports a clash with a unique constraint as a validation error; like the
    database would, it is a 409 ``duplicate`` naming the clashing fields (DESIGN.md §5.3)."""
    if not hasattr(exc, "error_dict"):
        return None
    errors = [error for field_errors in exc.error_dict.values() for error in field_errors]
    if not errors or any(error.code not in ("unique", "unique_together") for error in errors):
        return None
    messages = [message for error in errors for message in error.messages]
    fields = sorted(
        {
            name
            for error in errors
            for name in (error.params or {}).get("unique_check", ())
            if name != "terminal"  # implied by the caller, never sent by the client
        }
    )
    return ApplicationError(
        "duplicate",
        " ".join(messages),
        details={name: ["Already used."] for name in fields} or {"non_field_errors": messages},
        status=409,
    )


def _save(obj: Model, *, exclude: Iterable[str] = ()) -> Model:
    """full_clean + save, mapping errors to ApplicationError (400 invalid, 409 conflict)."""
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        raise (_duplicate_error(exc) or _validation_error(exc)) from exc
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        # Name the rule (constraint), never echo the database's detail text to a client.
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
        rule = f" (rule {constraint})" if constraint else ""
        raise ApplicationError(
            "conflict",
            f"This {obj._meta.verbose_name} conflicts with existing data{rule}.",
            details={"constraint": [constraint]} if constraint else {},
            status=409,
        ) from exc
    return obj


def _assign(obj: Model, fields: dict[str, Any], allowed: Iterable[str]) -> None:
    allowed = set(allowed)
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ApplicationError(
            "unknown_field",
            f"These fields cannot be set here: {', '.join(unknown)}",
            details={f: ["Cannot be set here."] for f in unknown},
        )
    for name, value in fields.items():
        setattr(obj, name, value)


def _actor(by: User | None) -> dict[str, Any]:
    return {"by": by.username if by else None}


# --- containers -------------------------------------------------------------------------------

CONTAINER_FIELDS = ("tare_kg", "max_gross_kg", "owner_line")


def container_create(*, number: str, iso_type: str, **fields: Any) -> Container:
    """Register a container; the number is normalised and check-digit verified and the size-type
    code decoded (legacy numeric codes are translated and kept in ``legacy_iso_type``)."""
    try:
        number = codes.validate_container_number(number)
    except codes.CodeError as exc:
        raise ApplicationError(
            "invalid_container_number", str(exc), details={"number": [str(exc)]}
        ) from exc
    try:
        size_type = codes.decode_size_type(iso_type)
    except codes.CodeError as exc:
        raise ApplicationError(
            "invalid_iso_type", str(exc), details={"iso_type": [str(exc)]}
        ) from exc
    if Container.objects.filter(number=number).exists():
        raise ApplicationError(
            "duplicate",
            f"Container {number} is already registered.",
            details={"number": ["Already registered."]},
            status=409,
        )
    container = Container(
        number=number,
        iso_type=size_type.code,
        legacy_iso_type=size_type.legacy_code,
        length_ft=size_type.length_ft,
        height_mm=size_type.height_mm,
        type_group=size_type.type_group,
        teu=size_type.teu,
    )
    _assign(container, fields, CONTAINER_FIELDS)
    return _save(container)


def container_update(*, container: Container, **fields: Any) -> Container:
    _assign(container, fields, CONTAINER_FIELDS)
    return _save(container)


def container_get_or_create(*, number: str, iso_type: str, **fields: Any) -> Container:
    """Return the registered container with this number, or register it."""
    normalised = codes.normalise_container_number(number)
    existing = Container.objects.filter(number=normalised).first()
    if existing is not None:
        return existing
    return container_create(number=number, iso_type=iso_type, **fields)


# --- vessels and visits -----------------------------------------------------------------------

VESSEL_FIELDS = (
    "name",
    "call_sign",
    "flag",
    "loa_m",
    "beam_m",
    "max_draft_m",
    "teu_capacity",
    "operator_line",
)


def vessel_create(*, imo: str, **fields: Any) -> Vessel:
    try:
        imo = codes.validate_imo(imo)
    except codes.CodeError as exc:
        raise ApplicationError("invalid_imo", str(exc), details={"imo": [str(exc)]}) from exc
    if Vessel.objects.filter(imo=imo).exists():
        raise ApplicationError(
            "duplicate",
            f"A vessel with IMO {imo} is already registered.",
            details={"imo": ["Already registered."]},
            status=409,
        )
    vessel = Vessel(imo=imo)
    _assign(vessel, fields, VESSEL_FIELDS)
    return _save(vessel)


def vessel_update(*, vessel: Vessel, **fields: Any) -> Vessel:
    _assign(vessel, fields, VESSEL_FIELDS)
    return _save(vessel)


VISIT_FIELDS = (
    "reference",
    "inbound_voyage",
    "outbound_voyage",
    "service",
    "eta",
    "etb",
    "etd",
    "expected_discharge_moves",
    "expected_load_moves",
)


def _visit_payload(visit: VesselVisit) -> dict[str, Any]:
    return {
        "id": visit.pk,
        "reference": visit.reference,
        "vessel": visit.vessel.name,
        "line": visit.line.code,
        "phase": visit.phase,
        "eta": visit.eta,
        "etb": visit.etb,
        "etd": visit.etd,
    }


@transaction.atomic
def vessel_visit_create(
    *, terminal: Terminal, vessel: Vessel, line: Organisation, by: User | None = None, **fields: Any
) -> VesselVisit:
    """Register a vessel visit (an agent's berth application)."""
    if line.kind != OrganisationKind.LINE:
        raise ApplicationError(
            "invalid_line",
            f"{line.code} is not a shipping line.",
            details={"line": ["Must be a shipping line."]},
        )
    visit = VesselVisit(terminal=terminal, vessel=vessel, line=line)
    _assign(visit, fields, VISIT_FIELDS)
    _save(visit)
    event_record(
        terminal_id=terminal.pk,
        topic="vessels",
        type="vessel_visit.created",
        payload=_visit_payload(visit) | _actor(by),
        line_id=line.pk,
    )
    return visit


@transaction.atomic
def vessel_visit_update(
    *, visit: VesselVisit, by: User | None = None, **fields: Any
) -> VesselVisit:
    """Change a visit's schedule or references. Agents may do so only while planned/inbound."""
    visit = (
        VesselVisit.objects.select_for_update().select_related("vessel", "line").get(pk=visit.pk)
    )
    if (
        by is not None
        and not by.is_terminal_staff
        and visit.phase not in (VisitPhase.PLANNED, VisitPhase.INBOUND)
    ):
        raise ApplicationError(
            "visit_locked",
            f"Visit {visit.reference} is {visit.phase}; only the terminal can change it now.",
            status=409,
        )
    changed = {k: v for k, v in fields.items() if getattr(visit, k, object()) != v}
    _assign(visit, fields, VISIT_FIELDS)
    _save(visit)
    if changed:
        event_record(
            terminal_id=visit.terminal_id,
            topic="vessels",
            type="vessel_visit.updated",
            payload=_visit_payload(visit) | {"changed": sorted(changed)} | _actor(by),
            line_id=visit.line_id,
        )
    return visit


@transaction.atomic
def vessel_visit_transition(
    *, visit: VesselVisit, phase: str, by: User | None = None, at: Any = None
) -> VesselVisit:
    """Move a visit along its lifecycle; arrival and departure stamp ATA/ATD."""
    visit = (
        VesselVisit.objects.select_for_update().select_related("vessel", "line").get(pk=visit.pk)
    )
    allowed = VISIT_TRANSITIONS.get(visit.phase, frozenset())
    if phase not in allowed:
        raise ApplicationError(
            "invalid_transition",
            f"Visit {visit.reference} cannot go from {visit.phase} to {phase}; allowed: "
            f"{', '.join(sorted(allowed)) or 'none'}.",
            details={"phase": [f"Not allowed from {visit.phase}."]},
            status=409,
        )
    at = at or timezone.now()
    previous = visit.phase
    visit.phase = phase
    if phase == VisitPhase.ARRIVED and visit.ata is None:
        visit.ata = at
    if phase == VisitPhase.DEPARTED and visit.atd is None:
        visit.atd = at
    _save(visit)
    event_record(
        terminal_id=visit.terminal_id,
        topic="vessels",
        type="vessel_visit.phase_changed",
        payload=_visit_payload(visit) | {"from": previous} | _actor(by),
        line_id=visit.line_id,
    )
    return visit


# --- units ------------------------------------------------------------------------------------

UNIT_FIELDS = (
    "inbound_visit",
    "outbound_visit",
    "gross_weight_kg",
    "vgm_kg",
    "seals",
    "reefer_setpoint_c",
    "imdg_class",
    "un_number",
    "pol",
    "pod",
    "booking_ref",
    "bl_ref",
)


def _unit_payload(unit: ContainerVisit) -> dict[str, Any]:
    return {
        "id": unit.pk,
        "container": unit.container.number,
        "category": unit.category,
        "state": unit.state,
        "line": unit.line.code,
        "position_kind": unit.position_kind,
        "position_ref": unit.position_ref,
    }


@transaction.atomic
def unit_create(
    *,
    terminal: Terminal,
    container: Container,
    category: str,
    line: Organisation,
    by: User | None = None,
    state: str = UnitState.ADVISED,
    **fields: Any,
) -> ContainerVisit:
    """Open a visit of a container at the terminal. Refused (409) while another is active."""
    if line.kind != OrganisationKind.LINE:
        raise ApplicationError(
            "invalid_line",
            f"{line.code} is not a shipping line.",
            details={"line": ["Must be a shipping line."]},
        )
    if ContainerVisit.objects.filter(container=container, state__in=UNIT_ACTIVE_STATES).exists():
        raise ApplicationError(
            "unit_already_active",
            f"{container.number} already has an active visit.",
            details={"container": ["Already has an active visit."]},
            status=409,
        )
    unit = ContainerVisit(
        terminal=terminal, container=container, category=category, line=line, state=state
    )
    _assign(unit, fields, UNIT_FIELDS)
    _save(unit)
    event_record(
        terminal_id=terminal.pk,
        topic="units",
        type="unit.created",
        payload=_unit_payload(unit) | _actor(by),
        line_id=line.pk,
    )
    return unit


@transaction.atomic
def unit_update(*, unit: ContainerVisit, by: User | None = None, **fields: Any) -> ContainerVisit:
    unit = (
        ContainerVisit.objects.select_for_update()
        .select_related("container", "line")
        .get(pk=unit.pk)
    )
    if unit.state in (UnitState.DEPARTED, UnitState.CANCELLED):
        raise ApplicationError(
            "unit_closed", f"Unit {unit.pk} is {unit.state}; it is history now.", status=409
        )
    _assign(unit, fields, UNIT_FIELDS)
    _save(unit)
    event_record(
        terminal_id=unit.terminal_id,
        topic="units",
        type="unit.updated",
        payload=_unit_payload(unit) | {"changed": sorted(fields)} | _actor(by),
        line_id=unit.line_id,
    )
    return unit


#: The hold event checked when a unit leaves by a given transition.
_TRANSITION_HOLD_EVENT = {
    (UnitState.INBOUND, UnitState.ON_TERMINAL, PositionKind.YARD): HoldEvent.DISCHARGE,
    # Coming off a vessel is a discharge wherever the box is put (yard, terminal tractor...).
    (UnitState.INBOUND, UnitState.ON_TERMINAL, PositionKind.VESSEL): HoldEvent.DISCHARGE,
    (UnitState.ADVISED, UnitState.ON_TERMINAL, PositionKind.VESSEL): HoldEvent.DISCHARGE,
    (UnitState.OUTBOUND, UnitState.DEPARTED, PositionKind.VESSEL): HoldEvent.LOADING,
    (UnitState.OUTBOUND, UnitState.DEPARTED, PositionKind.TRUCK): HoldEvent.GATE_OUT,
    (UnitState.OUTBOUND, UnitState.DEPARTED, PositionKind.GATE): HoldEvent.GATE_OUT,
    (UnitState.OUTBOUND, UnitState.DEPARTED, PositionKind.RAIL): HoldEvent.DELIVERY,
}


@transaction.atomic
def unit_transition(
    *,
    unit: ContainerVisit,
    state: str,
    by: User | None = None,
    position_kind: str | None = None,
    position_ref: str = "",
    position_visit: VesselVisit | None = None,
    at: Any = None,
) -> ContainerVisit:
    """Move a unit along its lifecycle, optionally to a new position. The holds engine is asked
    at the moment of the move: a held box is not discharged, loaded or let out."""
    from tos.core.selectors import unit_event_check, unit_get_for_update

    unit = unit_get_for_update(unit_id=unit.pk)
    allowed = UNIT_TRANSITIONS.get(unit.state, frozenset())
    if state not in allowed:
        raise ApplicationError(
            "invalid_transition",
            f"{unit.container.number} cannot go from {unit.state} to {state}; allowed: "
            f"{', '.join(sorted(allowed)) or 'none'}.",
            details={"state": [f"Not allowed from {unit.state}."]},
            status=409,
        )
    # Where the box goes decides the event (a box on a terminal tractor that goes onto the vessel
    # is loaded, not gated out); where it stands now is the fallback (coming off a vessel).
    new_kind = position_kind or unit.position_kind
    hold_event = _TRANSITION_HOLD_EVENT.get(
        (unit.state, state, new_kind)
    ) or _TRANSITION_HOLD_EVENT.get((unit.state, state, unit.position_kind))
    # A departure by a route nobody named could be any of them: every departure hold applies.
    hold_events = (
        [hold_event]
        if hold_event
        else [HoldEvent.GATE_OUT, HoldEvent.LOADING, HoldEvent.DELIVERY]
        if state == UnitState.DEPARTED
        else []
    )
    for hold_event in hold_events:
        decision = unit_event_check(unit=unit, event=hold_event)
        if not decision.allowed:
            raise ApplicationError(
                "held",
                f"{unit.container.number}: {hold_event} blocked by " + "; ".join(decision.reasons),
                details={"holds": [h.pk for h in decision.blocking], "event": hold_event},
                status=409,
            )
    at = at or timezone.now()
    previous = unit.state
    unit.state = state
    if position_kind is not None:
        unit.position_kind = position_kind
        unit.position_ref = position_ref
        unit.position_visit = position_visit if position_kind == PositionKind.VESSEL else None
    if state == UnitState.ON_TERMINAL and unit.time_in is None:
        unit.time_in = at
    if state == UnitState.DEPARTED:
        unit.time_out = at
        unit.position_kind, unit.position_ref, unit.position_visit = PositionKind.NONE, "", None
    _save(unit)
    event_record(
        terminal_id=unit.terminal_id,
        topic="units",
        type="unit.state_changed",
        payload=_unit_payload(unit) | {"from": previous} | _actor(by),
        line_id=unit.line_id,
    )
    return unit


# --- holds ------------------------------------------------------------------------------------


def _hold_payload(hold: Hold) -> dict[str, Any]:
    return {
        "id": hold.pk,
        "unit": hold.unit_id,
        "container": hold.unit.container.number,
        "kind": hold.kind,
        "blocks": hold.blocked_events,
        "reason": hold.reason,
        "reference": hold.reference,
        "active": hold.is_active,
    }


@transaction.atomic
def hold_apply(
    *,
    unit: ContainerVisit,
    kind: str,
    blocks: Iterable[str],
    reason: str,
    by: User | None = None,
    reference: str = "",
) -> Hold:
    """Put a hold on a unit that blocks the given events until it is released."""
    blocks = list(dict.fromkeys(blocks))
    bad = [b for b in blocks if b not in HoldEvent.values]
    if not blocks or bad:
        raise ApplicationError(
            "validation_error",
            f"blocks must list one or more of {', '.join(HoldEvent.values)}"
            + (f"; unknown: {', '.join(map(str, bad))}" if bad else ""),
            details={"blocks": ["One or more of " + ", ".join(HoldEvent.values) + "."]},
        )
    if kind not in HoldKind.values:
        raise ApplicationError(
            "validation_error",
            f"kind must be one of {HoldKind.values}",
            details={"kind": ["Unknown hold kind."]},
        )
    unit = ContainerVisit.objects.select_for_update().select_related("container").get(pk=unit.pk)
    if unit.state in (UnitState.DEPARTED, UnitState.CANCELLED):
        raise ApplicationError(
            "unit_closed",
            f"{unit.container.number} has {unit.state}; it cannot be held.",
            status=409,
        )
    hold = Hold(
        terminal_id=unit.terminal_id,
        unit=unit,
        kind=kind,
        reason=reason,
        reference=reference,
        applied_by=by,
        applied_at=timezone.now(),
        **{f"blocks_{b}": True for b in blocks},
    )
    if Hold.objects.filter(
        unit=unit, kind=kind, reference=reference, released_at__isnull=True
    ).exists():
        raise ApplicationError(
            "duplicate",
            f"{unit.container.number} already has an active {kind} hold"
            + (f" with reference {reference}" if reference else "")
            + ".",
            details={"reference": ["An active hold with this kind and reference exists."]},
            status=409,
        )
    _save(hold)
    event_record(
        terminal_id=unit.terminal_id,
        topic="holds",
        type="hold.applied",
        payload=_hold_payload(hold) | _actor(by),
        line_id=unit.line_id,
    )
    return hold


@transaction.atomic
def hold_release(*, hold: Hold, by: User | None = None, note: str = "") -> Hold:
    hold = Hold.objects.select_for_update().select_related("unit__container").get(pk=hold.pk)
    if hold.released_at is not None:
        raise ApplicationError(
            "already_released",
            f"Hold {hold.pk} was released at {hold.released_at:%Y-%m-%d %H:%M}.",
            status=409,
        )
    hold.released_at = timezone.now()
    hold.released_by = by
    hold.release_note = note
    _save(hold)
    event_record(
        terminal_id=hold.terminal_id,
        topic="holds",
        type="hold.released",
        payload=_hold_payload(hold) | _actor(by),
        line_id=hold.unit.line_id,
    )
    return hold


# --- solver runs ------------------------------------------------------------------------------


def _input_hash(kind: str, params: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps([kind, params], sort_keys=True, default=str).encode()
    ).hexdigest()


def _run_payload(run: SolverRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "kind": run.kind,
        "status": run.status,
        "progress": run.progress,
        "message": run.message,
        "objective": run.objective,
        "bound": run.bound,
        "gap": run.gap,
    }


@transaction.atomic
def solver_run_enqueue(
    *, terminal: Terminal, kind: str, params: dict[str, Any] | None = None, by: User | None = None
) -> SolverRun:
    """Create a run and enqueue it after commit; an identical queued/running run is returned
    instead of starting a second one (enqueue once)."""
    from tos.core import jobs
    from tos.core.tasks import solver_run_execute

    jobs.get(kind)  # refuses unknown kinds
    params = params or {}
    digest = _input_hash(kind, params)
    existing = (
        SolverRun.objects.select_for_update()
        .filter(
            terminal=terminal,
            kind=kind,
            input_hash=digest,
            status__in=[SolverRunStatus.QUEUED, SolverRunStatus.RUNNING],
        )
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    run = SolverRun(terminal=terminal, kind=kind, params=params, input_hash=digest, requested_by=by)
    _save(run)
    event_record(
        terminal_id=terminal.pk,
        topic="solver_runs",
        type="solver_run.queued",
        payload=_run_payload(run) | _actor(by),
    )
    queue = jobs.get(kind).queue
    transaction.on_commit(lambda: solver_run_execute.apply_async((run.pk,), queue=queue))
    return run


def solver_run_claim(*, run_id: int) -> bool:
    """Compare-and-set QUEUED → RUNNING; False when another worker won or it was cancelled."""
    now = timezone.now()
    with transaction.atomic():
        claimed = SolverRun.objects.filter(
            pk=run_id, status=SolverRunStatus.QUEUED, cancel_requested=False
        ).update(status=SolverRunStatus.RUNNING, started_at=now, heartbeat_at=now)
        if claimed:
            run = SolverRun.objects.get(pk=run_id)
            run.attempt += 1
            run.save(update_fields=["attempt"])
            event_record(
                terminal_id=run.terminal_id,
                topic="solver_runs",
                type="solver_run.started",
                payload=_run_payload(run),
            )
    return bool(claimed)


def solver_run_progress(
    *,
    run_id: int,
    progress: float,
    message: str = "",
    objective: float | None = None,
    bound: float | None = None,
) -> bool:
    """Report progress (and an improving incumbent); returns False once a cancel was asked."""
    gap = None
    if objective is not None and bound is not None and objective:
        gap = abs(objective - bound) / abs(objective)
    with transaction.atomic():
        run = SolverRun.objects.select_for_update().get(pk=run_id)
        if run.status != SolverRunStatus.RUNNING:
            return False
        run.progress = max(0.0, min(1.0, progress))
        run.message = message[:200]
        run.objective, run.bound, run.gap = objective, bound, gap
        run.heartbeat_at = timezone.now()
        run.save(update_fields=["progress", "message", "objective", "bound", "gap", "heartbeat_at"])
        event_record(
            terminal_id=run.terminal_id,
            topic="solver_runs",
            type="solver_run.progress",
            payload=_run_payload(run),
        )
        return not run.cancel_requested


def solver_run_finish(
    *,
    run_id: int,
    status: str,
    result: Any = None,
    error: str = "",
    objective: float | None = None,
    bound: float | None = None,
) -> SolverRun:
    """Close a running run (succeeded, failed or cancelled) exactly once."""
    with transaction.atomic():
        run = SolverRun.objects.select_for_update().get(pk=run_id)
        if run.status not in (SolverRunStatus.RUNNING, SolverRunStatus.QUEUED):
            return run
        run.status = status
        run.result = result
        run.error = error
        if objective is not None:
            run.objective = objective
        if bound is not None:
            run.bound = bound
        if run.objective is not None and run.bound is not None and run.objective:
            run.gap = abs(run.objective - run.bound) / abs(run.objective)
        if status == SolverRunStatus.SUCCEEDED:
            run.progress = 1.0
        run.finished_at = timezone.now()
        run.save()
        event_record(
            terminal_id=run.terminal_id,
            topic="solver_runs",
            type=f"solver_run.{status}",
            payload=_run_payload(run),
        )
        return run


def solver_run_cancel(*, run: SolverRun, by: User | None = None) -> SolverRun:
    """Ask a run to stop: a queued run is cancelled at once, a running one at its next report."""
    with transaction.atomic():
        run = SolverRun.objects.select_for_update().get(pk=run.pk)
        if run.status not in (SolverRunStatus.QUEUED, SolverRunStatus.RUNNING):
            raise ApplicationError(
                "run_finished", f"Run {run.pk} is already {run.status}.", status=409
            )
        run.cancel_requested = True
        run.save(update_fields=["cancel_requested"])
        if run.status == SolverRunStatus.QUEUED:
            return solver_run_finish(
                run_id=run.pk,
                status=SolverRunStatus.CANCELLED,
                error=f"cancelled by {by.username if by else 'system'}",
            )
    return run
