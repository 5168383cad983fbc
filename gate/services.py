"""Writes of the gate app: appointment slots and appointments, pre-advices, gate-in and gate-out.

Capacity is guarded by the database: booking is one conditional ``UPDATE … SET booked =
booked + 1 WHERE booked < capacity`` on the slot row (a row lock taken by the update itself), and
the check constraint ``booked <= capacity`` stands behind it. Gate-in never refuses by raising:
a refusal is a recorded decision listing every reason, so the gate screen and the statistics see
it; errors (closed lane, truck already inside, bad input) change nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from gate.choices import (
    DELIVERIES,
    RECEIVALS,
    AppointmentStatus,
    DecidedBy,
    GateDirection,
    LaneDirection,
    PositionStatus,
    PreAdviceStatus,
    TransactionType,
    TruckVisitStatus,
)
from gate.models import (
    Appointment,
    AppointmentSlot,
    CodecoMessage,
    GateLane,
    GateTransaction,
    PreAdvice,
    TruckVisit,
)
from tos.core import codes
from tos.core.choices import (
    UNIT_ACTIVE_STATES,
    HoldEvent,
    OrganisationKind,
    PositionKind,
    UnitCategory,
    UnitState,
)
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Organisation, Terminal, User
from tos.core.realtime import event_record
from tos.core.selectors import unit_event_check, user_line_ids


def checkin_window(slot: AppointmentSlot) -> tuple[dt.datetime, dt.datetime]:
    """When a truck with an appointment in ``slot`` may check in (tolerance from settings)."""
    early = getattr(settings, "TOS_GATE_CHECKIN_EARLY_MINUTES", 30)
    late = getattr(settings, "TOS_GATE_CHECKIN_LATE_MINUTES", 30)
    return slot.starts_at - dt.timedelta(minutes=early), slot.ends_at + dt.timedelta(minutes=late)


def _refuse(code: str, message: str, field: str, *, status: int = 400) -> None:
    raise ApplicationError(code, message, details={field: [message]}, status=status)


def _actor(by: User | None) -> dict[str, Any]:
    return {"by": by.username if by else None}


def _lock_terminal_events(terminal_id: int) -> None:
    """Take the terminal's event-sequence row lock first. Every event written in a transaction
    locks that row until commit anyway (``event_record``); every gate service takes it before
    any slot, appointment, pre-advice, unit or yard row, so gate transactions share one lock
    order and queue instead of deadlocking each other."""
    Terminal.objects.select_for_update().filter(pk=terminal_id).values_list("pk").first()


# --- slots ------------------------------------------------------------------------------------


@transaction.atomic
def appointment_slot_set(
    *,
    terminal: Terminal,
    starts_at: dt.datetime,
    transaction_type: str,
    capacity: int,
    by: User | None = None,
) -> AppointmentSlot:
    """Create a slot or change its capacity (never below what is already booked)."""
    if transaction_type not in TransactionType.values:
        _refuse("validation_error", "Unknown transaction type.", "transaction_type")
    if starts_at.minute or starts_at.second or starts_at.microsecond:
        _refuse("validation_error", "Slots start on the hour, e.g. 08:00.", "starts_at")
    if capacity < 0:
        _refuse("validation_error", "Capacity is 0 or more.", "capacity")
    slot, created = AppointmentSlot.objects.select_for_update().get_or_create(
        terminal=terminal,
        starts_at=starts_at,
        transaction_type=transaction_type,
        defaults={"capacity": capacity},
    )
    if not created:
        if capacity < slot.booked:
            _refuse(
                "capacity_below_booked",
                f"{slot.booked} appointments are booked; capacity cannot go below that.",
                "capacity",
                status=409,
            )
        slot.capacity = capacity
        slot.save(update_fields=["capacity"])
    return slot


def _take_place(slot_id: int) -> None:
    """The one place that books capacity: a conditional UPDATE, atomic in PostgreSQL."""
    taken = AppointmentSlot.objects.filter(pk=slot_id, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if taken != 1:
        _refuse("slot_full", "This slot is fully booked; choose another hour.", "slot", status=409)


def _give_place(slot_id: int) -> None:
    AppointmentSlot.objects.filter(pk=slot_id, booked__gt=0).update(booked=F("booked") - 1)


# --- appointments -----------------------------------------------------------------------------


def _booking_org(by: User) -> Organisation | None:
    return None if by.is_terminal_staff else by.organisation


def _check_line(by: User, line: Organisation | None) -> None:
    if line is None:
        return
    if line.kind != OrganisationKind.LINE:
        _refuse("invalid_line", f"{line.code} is not a shipping line.", "line")
    org = by.organisation
    if (
        not by.is_terminal_staff
        and org is not None
        and org.kind != OrganisationKind.HAULIER
        and line.pk not in user_line_ids(by)
    ):
        _refuse("invalid_line", f"You do not act for line {line.code}.", "line")


def _appointment_payload(a: Appointment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "reference": a.reference,
        "slot": a.slot_id,
        "starts_at": a.slot.starts_at.isoformat(),
        "transaction_type": a.transaction_type,
        "status": a.status,
        "truck_plate": a.truck_plate,
        "arrived_at": a.arrived_at.isoformat() if a.arrived_at else None,
    }


def _appointment_event(a: Appointment, type: str, by: User | None) -> None:
    event_record(
        terminal_id=a.terminal_id,
        topic="gate",
        type=type,
        payload=_appointment_payload(a) | _actor(by),
        line_id=a.line_id,
    )


@transaction.atomic
def appointment_book(
    *,
    slot: AppointmentSlot,
    by: User,
    line: Organisation | None = None,
    truck_plate: str = "",
    container_number: str = "",
) -> Appointment:
    """Book one place in ``slot``; 409 ``slot_full`` when none is left."""
    _check_line(by, line)
    _lock_terminal_events(slot.terminal_id)
    if slot.starts_at + dt.timedelta(hours=1) <= timezone.now():
        _refuse("slot_past", "This slot is over; book a later hour.", "slot", status=409)
    _take_place(slot.pk)
    appointment = Appointment.objects.create(
        terminal_id=slot.terminal_id,
        reference="AP" + secrets.token_hex(5).upper(),
        slot=slot,
        transaction_type=slot.transaction_type,
        organisation=_booking_org(by),
        line=line,
        truck_plate=truck_plate.strip().upper(),
        container_number=container_number,
        booked_by=by,
    )
    _appointment_event(appointment, "appointment.booked", by)
    return appointment


def _lock_appointment(appointment: Appointment) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot")
        .get(pk=appointment.pk)
    )
    if appointment.status != AppointmentStatus.BOOKED:
        _refuse(
            "appointment_not_booked",
            f"Appointment {appointment.reference} is {appointment.status}.",
            "status",
            status=409,
        )
    return appointment


@transaction.atomic
def appointment_move(
    *, appointment: Appointment, slot: AppointmentSlot, by: User | None = None
) -> Appointment:
    """Move an appointment to another slot of the same transaction type."""
    _lock_terminal_events(appointment.terminal_id)
    appointment = _lock_appointment(appointment)
    if slot.transaction_type != appointment.transaction_type:
        _refuse(
            "transaction_type_mismatch",
            f"The slot is for {slot.transaction_type}, "
            f"the appointment for {appointment.transaction_type}.",
            "slot",
        )
    if slot.terminal_id != appointment.terminal_id:
        _refuse("validation_error", "The slot is at another terminal.", "slot")
    if slot.pk == appointment.slot_id:
        return appointment
    if slot.starts_at + dt.timedelta(hours=1) <= timezone.now():
        _refuse("slot_past", "This slot is over; choose a later hour.", "slot", status=409)
    _take_place(slot.pk)
    _give_place(appointment.slot_id)
    appointment.slot = slot
    appointment.save(update_fields=["slot", "updated_at"])
    _appointment_event(appointment, "appointment.moved", by)
    return appointment


@transaction.atomic
def appointment_arrive(
    *,
    appointment: Appointment,
    truck_plate: str = "",
    by: User | None = None,
    at: dt.datetime | None = None,
) -> Appointment:
    """The truck of ``appointment`` reported at the pre-gate (kiosk, entrance OCR or the
    haulier's app) and queues for a lane: the gate screen shows it with its waiting time until
    its gate-in. Only inside the check-in window (409 ``appointment_window``); reporting again
    changes nothing."""
    at = at or timezone.now()
    _lock_terminal_events(appointment.terminal_id)
    appointment = _lock_appointment(appointment)
    if appointment.arrived_at is not None:
        return appointment
    opens, closes = checkin_window(appointment.slot)
    if not (opens <= at <= closes):
        terminal = Terminal.objects.get(pk=appointment.terminal_id)
        _refuse(
            "appointment_window",
            f"Appointment {appointment.reference} may check in from {_fmt(opens, terminal)} to "
            f"{_fmt(closes, terminal)}.",
            "appointment",
            status=409,
        )
    plate = truck_plate.strip().upper()
    appointment.arrived_at = at
    fields = ["arrived_at", "updated_at"]
    if plate:
        appointment.truck_plate = plate
        fields.append("truck_plate")
    appointment.save(update_fields=fields)
    _appointment_event(appointment, "appointment.arrived", by)
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by: User | None = None) -> Appointment:
    _lock_terminal_events(appointment.terminal_id)
    appointment = _lock_appointment(appointment)
    _give_place(appointment.slot_id)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = timezone.now()
    appointment.save(update_fields=["status", "cancelled_at", "updated_at"])
    _appointment_event(appointment, "appointment.cancelled", by)
    return appointment


@transaction.atomic
def appointments_mark_no_shows(*, terminal: Terminal, now: dt.datetime | None = None) -> int:
    """Mark every booked appointment whose check-in window has closed as a no-show."""
    now = now or timezone.now()
    _lock_terminal_events(terminal.pk)
    late = getattr(settings, "TOS_GATE_CHECKIN_LATE_MINUTES", 30)
    cutoff = now - dt.timedelta(hours=1, minutes=late)
    overdue = list(
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot")
        .filter(terminal=terminal, status=AppointmentStatus.BOOKED, slot__starts_at__lt=cutoff)
        .order_by("pk")
    )
    for a in overdue:
        a.status = AppointmentStatus.NO_SHOW
        a.no_show_at = now
        a.save(update_fields=["status", "no_show_at", "updated_at"])
        _appointment_event(a, "appointment.no_show", None)
    return len(overdue)


# --- pre-advice -------------------------------------------------------------------------------


def _container_number(raw: str, field: str = "container_number") -> str:
    try:
        return codes.validate_container_number(raw)
    except codes.CodeError as exc:
        _refuse("invalid_container_number", str(exc), field)


def _pin_try(advice: PreAdvice) -> list[str]:
    """Issue the PIN of an import pick-up if no hold blocks gate-out; else the blocking reasons."""
    if advice.unit is None:
        return ["The unit is not known at the terminal yet."]
    decision = unit_event_check(unit=advice.unit, event=HoldEvent.GATE_OUT)
    if not decision.allowed:
        return decision.reasons
    advice.pin = f"{secrets.randbelow(10**8):08d}"
    advice.pin_issued_at = timezone.now()
    return []


@transaction.atomic
def pre_advice_create(
    *,
    terminal: Terminal,
    transaction_type: str,
    container_number: str,
    line: Organisation,
    by: User,
    iso_type: str = "",
    booking_ref: str = "",
    release_ref: str = "",
    seals: list[str] | None = None,
    vgm_kg: int | None = None,
    imdg_class: str = "",
    un_number: str = "",
    is_dangerous: bool = False,
    reefer_setpoint_c: Decimal | None = None,
) -> tuple[PreAdvice, list[str]]:
    """Announce a container for a gate transaction. Returns the pre-advice and, for a pick-up
    whose PIN could not be issued yet, the reasons (holds)."""
    number = _container_number(container_number)
    _check_line(by, line)
    if line.kind != OrganisationKind.LINE:
        _refuse("invalid_line", f"{line.code} is not a shipping line.", "line")
    if transaction_type not in TransactionType.values:
        _refuse("validation_error", "Unknown transaction type.", "transaction_type")
    if iso_type:
        try:
            codes.decode_size_type(iso_type)
        except codes.CodeError as exc:
            _refuse("validation_error", str(exc), "iso_type")
    _lock_terminal_events(terminal.pk)
    unit = (
        ContainerVisit.objects.select_for_update(of=("self",))
        .filter(terminal=terminal, container__number=number, state__in=UNIT_ACTIVE_STATES)
        .select_related("container")
        .first()
    )
    if transaction_type in RECEIVALS:
        category = (
            UnitCategory.EXPORT
            if transaction_type == TransactionType.DROP_OFF_EXPORT
            else UnitCategory.EMPTY
        )
        if transaction_type == TransactionType.DROP_OFF_EXPORT and not booking_ref:
            _refuse("validation_error", "An export drop-off needs its booking.", "booking_ref")
        if unit is not None and (unit.state != UnitState.ADVISED or unit.category != category):
            _refuse(
                "unit_not_expected",
                f"{number} is {unit.state} ({unit.category}) here; it cannot be delivered.",
                "container_number",
                status=409,
            )
        if unit is None and not iso_type:
            _refuse("validation_error", "A new container needs its ISO size-type.", "iso_type")
    else:
        if unit is None:
            _refuse(
                "unit_unknown",
                f"{number} has no active visit at this terminal.",
                "container_number",
                status=409,
            )
        if unit.line_id != line.pk:
            _refuse("invalid_line", f"{number} is not a unit of line {line.code}.", "line")
    advice = PreAdvice(
        terminal=terminal,
        transaction_type=transaction_type,
        organisation=None if by.is_terminal_staff else by.organisation,
        line=line,
        unit=unit,
        container_number=number,
        iso_type=iso_type or (unit.container.iso_type if unit else ""),
        booking_ref=booking_ref,
        release_ref=release_ref,
        seals=list(seals or []),
        vgm_kg=vgm_kg,
        imdg_class=imdg_class,
        un_number=un_number,
        is_dangerous=is_dangerous or bool(imdg_class or un_number),
        reefer_setpoint_c=reefer_setpoint_c,
        created_by=by,
    )
    pending: list[str] = []
    if transaction_type in DELIVERIES:
        pending = _pin_try(advice)
    try:
        with transaction.atomic():
            advice.save()
    except IntegrityError:
        _refuse(
            "duplicate",
            f"{number} already has an open pre-advice.",
            "container_number",
            status=409,
        )
    event_record(
        terminal_id=terminal.pk,
        topic="gate",
        type="pre_advice.created",
        payload={"id": advice.pk, "container": number, "transaction_type": transaction_type}
        | _actor(by),
        line_id=line.pk,
    )
    return advice, pending


@transaction.atomic
def pre_advice_issue_pin(*, advice: PreAdvice, by: User | None = None) -> PreAdvice:
    """Issue the release PIN of a pick-up; 409 ``holds_active`` listing the holds if any block."""
    _lock_terminal_events(advice.terminal_id)
    advice = (
        PreAdvice.objects.select_for_update(of=("self",)).select_related("unit").get(pk=advice.pk)
    )
    if advice.transaction_type not in DELIVERIES:
        _refuse("not_a_pick_up", "Only pick-ups get a PIN.", "transaction_type")
    if advice.status != PreAdviceStatus.OPEN:
        _refuse("pre_advice_closed", f"The pre-advice is {advice.status}.", "status", status=409)
    if advice.pin:
        return advice
    reasons = _pin_try(advice)
    if reasons:
        raise ApplicationError(
            "holds_active",
            "No PIN yet: " + "; ".join(reasons),
            details={"holds": reasons},
            status=409,
        )
    advice.save(update_fields=["pin", "pin_issued_at"])
    event_record(
        terminal_id=advice.terminal_id,
        topic="gate",
        type="pre_advice.pin_issued",
        payload={"id": advice.pk, "container": advice.container_number} | _actor(by),
        line_id=advice.line_id,
    )
    return advice


@transaction.atomic
def pre_advice_cancel(*, advice: PreAdvice, by: User | None = None) -> PreAdvice:
    advice = PreAdvice.objects.select_for_update().get(pk=advice.pk)
    if advice.status != PreAdviceStatus.OPEN:
        _refuse("pre_advice_closed", f"The pre-advice is {advice.status}.", "status", status=409)
    advice.status = PreAdviceStatus.CANCELLED
    advice.save(update_fields=["status"])
    return advice


# --- gate-in ----------------------------------------------------------------------------------


def _reason(code: str, message: str, container: str | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "container": container}


def _fmt(moment: dt.datetime, terminal: Terminal) -> str:
    import zoneinfo

    return moment.astimezone(zoneinfo.ZoneInfo(terminal.timezone)).strftime("%Y-%m-%d %H:%M")


def _check_appointment(
    *, terminal: Terminal, reference: str, at: dt.datetime
) -> tuple[Appointment | None, list[dict[str, Any]]]:
    if not reference:
        return None, [_reason("appointment_missing", "The truck has no appointment.")]
    appointment = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("slot")
        .filter(terminal=terminal, reference=reference.strip().upper())
        .first()
    )
    if appointment is None:
        return None, [_reason("appointment_missing", f"No appointment {reference[:20]}.")]
    if appointment.status != AppointmentStatus.BOOKED:
        return appointment, [
            _reason(
                "appointment_window",
                f"Appointment {appointment.reference} is {appointment.status}.",
            )
        ]
    opens, closes = checkin_window(appointment.slot)
    if not (opens <= at <= closes):
        return appointment, [
            _reason(
                "appointment_window",
                f"Arrived {_fmt(at, terminal)}; appointment {appointment.reference} may check in "
                f"from {_fmt(opens, terminal)} to {_fmt(closes, terminal)}.",
            )
        ]
    return appointment, []


def _check_container(
    *, terminal: Terminal, item: dict[str, Any], appointment: Appointment | None
) -> tuple[str, PreAdvice | None, list[dict[str, Any]]]:
    raw = str(item.get("container_number", ""))
    number = codes.normalise_container_number(raw)
    if codes._CONTAINER_RE.match(number):
        expected = codes.container_check_digit(number[:10])
        if int(number[10]) != expected:
            return (
                number,
                None,
                [
                    _reason(
                        "wrong_check_digit",
                        f"{number}: check digit should be {expected}, not {number[10]}.",
                        number,
                    )
                ],
            )
    else:
        return (
            number,
            None,
            [_reason("invalid_container_number", f"{raw[:20]!r} is not an ISO 6346 number.", raw)],
        )
    advice = (
        PreAdvice.objects.select_for_update(of=("self",))
        .select_related("unit__container")
        .filter(terminal=terminal, container_number=number, status=PreAdviceStatus.OPEN)
        .first()
    )
    if advice is None:
        return number, None, [_reason("no_pre_advice", f"{number} has no pre-advice.", number)]
    reasons: list[dict[str, Any]] = []
    if appointment is not None and appointment.transaction_type != advice.transaction_type:
        reasons.append(
            _reason(
                "transaction_mismatch",
                f"{number} is pre-advised for {advice.transaction_type}, the appointment is for "
                f"{appointment.transaction_type}.",
                number,
            )
        )
    presented_seals = sorted(str(s).strip().upper() for s in item.get("seals") or [])
    advised_seals = sorted(str(s).strip().upper() for s in advice.seals)
    unit = advice.unit
    if advice.transaction_type in RECEIVALS:
        presented_booking = str(item.get("booking_ref") or "").strip()
        if advice.transaction_type == TransactionType.DROP_OFF_EXPORT:
            if presented_booking and presented_booking != advice.booking_ref:
                reasons.append(
                    _reason(
                        "booking_mismatch",
                        f"{number}: the driver's booking {presented_booking} is not the "
                        f"pre-advised booking {advice.booking_ref}.",
                        number,
                    )
                )
            elif unit is not None and unit.booking_ref and unit.booking_ref != advice.booking_ref:
                reasons.append(
                    _reason(
                        "booking_mismatch",
                        f"{number}: pre-advised for booking {advice.booking_ref}, the line "
                        f"announced it for booking {unit.booking_ref}.",
                        number,
                    )
                )
            if advice.vgm_kg is None and not (unit is not None and unit.vgm_kg):
                reasons.append(_reason("missing_vgm", f"{number} has no VGM.", number))
            if (advice.is_dangerous or item.get("dg_placards")) and not (
                advice.imdg_class and advice.un_number
            ):
                reasons.append(
                    _reason(
                        "dg_data_missing",
                        f"{number} carries dangerous goods but IMDG class and UN number are "
                        "not both pre-advised.",
                        number,
                    )
                )
            iso = advice.iso_type or (unit.container.iso_type if unit else "")
            try:
                is_reefer = bool(iso) and codes.decode_size_type(iso).type_group == "R"
            except codes.CodeError:
                is_reefer = False
            if is_reefer and advice.reefer_setpoint_c is None:
                reasons.append(
                    _reason(
                        "reefer_setpoint_missing",
                        f"{number} is a reefer ({iso}) without a pre-advised set point.",
                        number,
                    )
                )
        if advised_seals and presented_seals != advised_seals:
            reasons.append(
                _reason(
                    "seal_mismatch",
                    f"{number}: seals {', '.join(presented_seals) or 'none'} presented, "
                    f"{', '.join(advised_seals)} pre-advised.",
                    number,
                )
            )
    else:
        if not advice.pin:
            reasons.append(_reason("not_released", f"{number} has no release PIN yet.", number))
        elif str(item.get("pin") or "") != advice.pin:
            reasons.append(_reason("pin_mismatch", f"{number}: wrong release PIN.", number))
        if unit is None or unit.state != UnitState.ON_TERMINAL:
            reasons.append(
                _reason("unit_not_available", f"{number} is not on the terminal.", number)
            )
        if unit is not None:
            decision = unit_event_check(unit=unit, event=HoldEvent.GATE_OUT)
            if not decision.allowed:
                reasons.append(
                    _reason(
                        "active_holds",
                        f"{number}: gate-out blocked by " + "; ".join(decision.reasons),
                        number,
                    )
                )
    return number, advice, reasons


def _lane(lane: GateLane, terminal: Terminal, direction: str) -> None:
    if lane.terminal_id != terminal.pk:
        _refuse("validation_error", "The lane is at another terminal.", "lane")
    if not lane.is_open:
        _refuse("lane_closed", f"Lane {lane.name} is closed.", "lane", status=409)
    if lane.direction not in (direction, LaneDirection.BOTH):
        _refuse("wrong_lane", f"Lane {lane.name} is not a gate-{direction} lane.", "lane")


def _allocate(unit: ContainerVisit, by: User | None) -> tuple[str, str, Any]:
    """Ask the yard for a position and plan the receival move; a clear "no position yet"
    when the yard has none (never a made-up one)."""
    from yard import services as yard_services
    from yard.allocation import allocation_suggest
    from yard.choices import MoveKind, Origin
    from yard.models import YardBlock

    exclude: set[tuple[int, int, int, int]] = set()
    for _attempt in range(5):
        try:
            result = allocation_suggest(unit=unit, origin=Origin.GATE, exclude=frozenset(exclude))
        except ApplicationError:
            return PositionStatus.NO_POSITION_YET, "", None
        chosen = result.chosen
        if chosen is None:
            return PositionStatus.NO_POSITION_YET, "", None
        try:
            move = yard_services.yard_move_plan(
                unit=unit,
                block=YardBlock.objects.get(pk=chosen.block_id),
                bay=chosen.bay,
                row=chosen.row,
                tier=chosen.tier,
                kind=MoveKind.RECEIVAL,
                by=by,
                note="gate receival",
            )
        except ApplicationError as exc:
            if exc.status != 409:
                return PositionStatus.NO_POSITION_YET, "", None
            exclude.add((chosen.block_id, chosen.bay, chosen.row, chosen.tier))
            continue
        return PositionStatus.ALLOCATED, chosen.ref, move
    return PositionStatus.NO_POSITION_YET, "", None


def _visit_payload(visit: TruckVisit, containers: list[str] | None = None) -> dict[str, Any]:
    from gate.selectors import truck_visit_row

    if containers is None:
        containers = list(
            visit.transactions.order_by("pk").values_list("container_number", flat=True)
        )
    return truck_visit_row(visit, containers)


def _decider(lane: GateLane, manual: bool) -> str:
    """A lane without an OCR portal, or a clerk typing the data in, is a person's decision."""
    return DecidedBy.CLERK if manual or not lane.has_ocr else DecidedBy.SYSTEM


def _codeco_line(tx: GateTransaction, visit: TruckVisit, at: dt.datetime) -> Any:
    from tos import edi

    unit = tx.unit
    advice = tx.pre_advice
    dg = ()
    if unit is not None and unit.imdg_class:
        uns = [u for u in (unit.un_number or "").split(",") if u]
        dg = tuple(
            edi.DangerousGoods(imdg_class=c, un_number=uns[i] if i < len(uns) else "")
            for i, c in enumerate(c for c in unit.imdg_class.split(",") if c)
        )
    vgm = unit.vgm_kg if unit is not None else (advice.vgm_kg if advice else None)
    empty = tx.transaction_type in (TransactionType.EMPTY_RETURN, TransactionType.EMPTY_PICK_UP)
    return edi.ContainerLine(
        container=tx.container_number,
        size_type=(unit.container.iso_type if unit is not None else advice.iso_type) or "",
        status={
            TransactionType.DROP_OFF_EXPORT: "2",
            TransactionType.PICK_UP_IMPORT: "3",
        }.get(tx.transaction_type, ""),
        full=not empty,
        booking=(advice.booking_ref if advice else "") or (unit.booking_ref if unit else ""),
        bl_reference=(unit.bl_ref if unit is not None else "") or "",
        release_reference=advice.release_ref if advice else "",
        moved_at=at.replace(tzinfo=None),
        vgm_kg=Decimal(vgm) if vgm and not empty else None,
        temperature_c=unit.reefer_setpoint_c if unit is not None else None,
        dangerous_goods=dg,
        seals=tuple(tx.seals or (unit.seals if unit is not None else [])),
        damage=tuple(tx.damage_codes),
        carriage_mode="3",
        carriage_id=visit.truck_plate,
    )


def _codeco_record(*, visit: TruckVisit, direction: str, at: dt.datetime) -> list[CodecoMessage]:
    """Write one CODECO per line for the boxes that passed the gate in ``direction``: at gate-in
    the boxes brought in (receivals), at gate-out the boxes taken out (deliveries). Called inside
    the gate service's transaction, so the message exists exactly when the gate decision does;
    the unique (visit, line, direction) constraint stands behind "never twice"."""
    import zoneinfo

    from gate.edi import codeco_write

    kinds = RECEIVALS if direction == GateDirection.GATE_IN else DELIVERIES
    txs = list(
        visit.transactions.filter(accepted=True, transaction_type__in=kinds)
        .select_related("unit__container", "unit__line", "pre_advice__line")
        .order_by("pk")
    )
    by_line: dict[int, tuple[Organisation, list[GateTransaction]]] = {}
    for tx in txs:
        line = tx.pre_advice.line if tx.pre_advice_id else (tx.unit.line if tx.unit_id else None)
        if line is None:
            continue
        by_line.setdefault(line.pk, (line, []))[1].append(tx)
    terminal = visit.terminal
    local = at.astimezone(zoneinfo.ZoneInfo(terminal.timezone))
    created = []
    for line, line_txs in by_line.values():
        reference = "C" + secrets.token_hex(6).upper()
        text = codeco_write(
            kind=direction,
            reference=reference,
            terminal_locode=terminal.locode,
            line_code=line.code,
            prepared_at=local.replace(tzinfo=None),
            lines=[_codeco_line(tx, visit, local) for tx in line_txs],
        )
        created.append(
            CodecoMessage.objects.create(
                terminal=terminal,
                line=line,
                visit=visit,
                direction=direction,
                reference=reference,
                containers=[tx.container_number for tx in line_txs],
                message=text,
            )
        )
    return created


@transaction.atomic
def truck_visit_gate_in(
    *,
    terminal: Terminal,
    lane: GateLane,
    truck_plate: str,
    containers: list[dict[str, Any]],
    by: User | None = None,
    driver_name: str = "",
    driver_licence: str = "",
    appointment_ref: str = "",
    at: dt.datetime | None = None,
    manual: bool = False,
) -> TruckVisit:
    """Check a truck in: validate everything, then accept it (units in, yard positions planned)
    or refuse it with every reason found. Either way the decision is recorded, with who made it
    (``manual``: a clerk typed the data in; a lane without OCR counts as manual too). An accepted
    truck that brings boxes writes one CODECO gate-in report per line."""
    at = at or timezone.now()
    plate = truck_plate.strip().upper()
    _lane(lane, terminal, LaneDirection.IN)
    _lock_terminal_events(terminal.pk)
    if not plate:
        _refuse("validation_error", "The truck plate is required.", "truck_plate")
    if TruckVisit.objects.filter(
        terminal=terminal, truck_plate=plate, status=TruckVisitStatus.ACCEPTED
    ).exists():
        _refuse(
            "truck_in_terminal",
            f"Truck {plate} is already in the terminal; gate it out first.",
            "truck_plate",
            status=409,
        )
    appointment, reasons = _check_appointment(terminal=terminal, reference=appointment_ref, at=at)
    checked = []
    seen: set[str] = set()
    for item in containers:
        number, advice, item_reasons = _check_container(
            terminal=terminal, item=item, appointment=appointment
        )
        if number in seen:
            item_reasons.append(_reason("duplicate_container", f"{number} twice.", number))
        seen.add(number)
        checked.append((item, number, advice, item_reasons))
        reasons.extend(item_reasons)
    accepted = not reasons
    visit = TruckVisit(
        terminal=terminal,
        lane=lane,
        truck_plate=plate,
        driver_name=driver_name,
        driver_licence=driver_licence,
        haulier=(
            appointment.organisation
            if appointment is not None
            else (by.organisation if by is not None and not by.is_terminal_staff else None)
        ),
        appointment=appointment,
        status=TruckVisitStatus.ACCEPTED if accepted else TruckVisitStatus.REFUSED,
        reasons=reasons,
        gate_in_at=at,
        decided_by=_decider(lane, manual),
        created_by=by,
    )
    try:
        with transaction.atomic():
            visit.save()
    except IntegrityError:
        _refuse(
            "truck_in_terminal",
            f"Truck {plate} is already in the terminal.",
            "truck_plate",
            status=409,
        )
    line_id = None
    for item, number, advice, item_reasons in checked:
        tx = GateTransaction(
            visit=visit,
            transaction_type=advice.transaction_type if advice else "",
            container_number=number[:16],
            pre_advice=advice,
            unit=advice.unit if advice else None,
            accepted=accepted,
            seals=[str(s)[:20] for s in item.get("seals") or []],
            damage_codes=[str(d)[:10] for d in item.get("damage_codes") or []],
            reasons=item_reasons,
            decided_by=visit.decided_by,
        )
        if accepted:
            tx.unit = _admit(advice=advice, plate=plate, by=by)
            line_id = line_id or advice.line_id
            if advice.transaction_type in RECEIVALS:
                tx.position_status, tx.yard_position, tx.yard_move = _allocate(tx.unit, by)
            else:
                tx.position_status = PositionStatus.IN_YARD
                tx.yard_position = tx.unit.position_ref
            PreAdvice.objects.filter(pk=advice.pk).update(status=PreAdviceStatus.USED)
        tx.save()
    if accepted and appointment is not None:
        appointment.status = AppointmentStatus.CHECKED_IN
        appointment.checked_in_at = at
        appointment.save(update_fields=["status", "checked_in_at", "updated_at"])
    if accepted:
        _codeco_record(visit=visit, direction=GateDirection.GATE_IN, at=at)
    event_record(
        terminal_id=terminal.pk,
        topic="gate",
        type="truck.gate_in" if accepted else "truck.refused",
        payload=_visit_payload(visit, [number[:16] for _, number, _, _ in checked]) | _actor(by),
        line_id=line_id,
    )
    return visit


def _admit(*, advice: PreAdvice, plate: str, by: User | None) -> ContainerVisit:
    """The unit side of an accepted transaction (through the core unit services)."""
    from tos.core.services import container_get_or_create, unit_create, unit_transition, unit_update

    unit = advice.unit
    if advice.transaction_type in RECEIVALS:
        data = {"seals": advice.seals}
        if advice.transaction_type == TransactionType.DROP_OFF_EXPORT:
            data |= {"booking_ref": advice.booking_ref}
            if advice.vgm_kg is not None:
                data["vgm_kg"] = advice.vgm_kg
            if advice.imdg_class:
                data |= {"imdg_class": advice.imdg_class, "un_number": advice.un_number}
            if advice.reefer_setpoint_c is not None:
                data["reefer_setpoint_c"] = advice.reefer_setpoint_c
        if unit is None:
            container = container_get_or_create(
                number=advice.container_number, iso_type=advice.iso_type
            )
            unit = unit_create(
                terminal=advice.terminal,
                container=container,
                category=(
                    UnitCategory.EXPORT
                    if advice.transaction_type == TransactionType.DROP_OFF_EXPORT
                    else UnitCategory.EMPTY
                ),
                line=advice.line,
                by=by,
                **data,
            )
        else:
            unit = unit_update(unit=unit, by=by, **data)
        return unit_transition(
            unit=unit,
            state=UnitState.INBOUND,
            position_kind=PositionKind.TRUCK,
            position_ref=plate,
            by=by,
        )
    return unit_transition(unit=unit, state=UnitState.OUTBOUND, by=by)


# --- gate-out ---------------------------------------------------------------------------------


@transaction.atomic
def truck_visit_gate_out(
    *,
    visit: TruckVisit,
    lane: GateLane,
    by: User | None = None,
    at: dt.datetime | None = None,
    manual: bool = False,
) -> TruckVisit:
    """Let a truck out: every box it takes passes the holds engine's gate-out check (409
    ``gate_out_blocked`` listing every hold, nothing changed), leaves the yard and departs; the
    EIR number, the turn time and who decided are recorded, and one CODECO gate-out report per
    line for the boxes it takes."""
    from tos.core.services import unit_transition
    from yard import services as yard_services

    at = at or timezone.now()
    _lock_terminal_events(visit.terminal_id)
    visit = TruckVisit.objects.select_for_update().select_related("lane").get(pk=visit.pk)
    _lane(lane, visit.terminal, LaneDirection.OUT)
    if visit.status != TruckVisitStatus.ACCEPTED:
        _refuse(
            "not_in_terminal",
            f"Truck visit {visit.pk} is {visit.status}; only a truck in the terminal gates out.",
            "visit",
            status=409,
        )
    deliveries = list(
        visit.transactions.filter(accepted=True, transaction_type__in=DELIVERIES)
        .select_related("unit__container")
        .order_by("pk")
    )
    blocked = []
    for tx in deliveries:
        decision = unit_event_check(unit=tx.unit, event=HoldEvent.GATE_OUT)
        if not decision.allowed:
            blocked.append(f"{tx.unit.container.number}: " + "; ".join(decision.reasons))
    if blocked:
        raise ApplicationError(
            "gate_out_blocked",
            "Gate-out blocked by active holds: " + " | ".join(blocked),
            details={"holds": blocked},
            status=409,
        )
    for tx in deliveries:
        unit = tx.unit
        if unit.position_kind == PositionKind.YARD:
            yard_services.yard_unit_remove(unit=unit, by=by)
        unit_transition(
            unit=unit,
            state=UnitState.DEPARTED,
            position_kind=PositionKind.TRUCK,
            position_ref=visit.truck_plate,
            by=by,
            at=at,
        )
    visit.status = TruckVisitStatus.DEPARTED
    visit.out_lane = lane
    visit.gate_out_at = max(at, visit.gate_in_at)
    visit.turn_time_s = int((visit.gate_out_at - visit.gate_in_at).total_seconds())
    visit.eir_number = f"EIR{visit.pk:08d}"
    visit.out_decided_by = _decider(lane, manual)
    visit.save()
    _codeco_record(visit=visit, direction=GateDirection.GATE_OUT, at=visit.gate_out_at)
    event_record(
        terminal_id=visit.terminal_id,
        topic="gate",
        type="truck.gate_out",
        payload=_visit_payload(visit) | _actor(by),
        line_id=None,
    )
    return visit


# --- COPARN: container announcements become pre-advices ----------------------------------------


#: How much of a COPARN the gate accepts (the same order as an EDI upload elsewhere).
COPARN_MAX_BYTES = 4 * 1024 * 1024


def _coparn_transaction_type(kind: str, line: Any) -> str | None:
    """COPARN acceptance orders announce boxes to be delivered to the terminal (full: export
    drop-off, empty: empty return); release orders announce boxes to be picked up."""
    if kind == "acceptance_order":
        return (
            TransactionType.EMPTY_RETURN if line.full is False else TransactionType.DROP_OFF_EXPORT
        )
    if kind == "release_order":
        if line.full is False:
            return TransactionType.EMPTY_PICK_UP
        return TransactionType.PICK_UP_IMPORT
    return None


def _coparn_fields(x: Any, booking: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "iso_type": x.size_type if len(x.size_type or "") == 4 else "",
        "booking_ref": (x.booking or booking)[:35],
        "release_ref": (x.release_reference or "")[:35],
        "seals": [s[:20] for s in x.seals][:10],
    }
    vgm = x.vgm_kg or x.gross_kg
    if vgm is not None and 1000 <= vgm <= 80000:
        fields["vgm_kg"] = int(vgm.to_integral_value())
    if x.dangerous_goods:
        dg = x.dangerous_goods[0]
        fields |= {
            "imdg_class": (dg.imdg_class or "")[:4],
            "un_number": (dg.un_number or "")[:4],
            "is_dangerous": True,
        }
    if x.temperature_c is not None and Decimal(-70) <= x.temperature_c <= Decimal(40):
        fields["reefer_setpoint_c"] = x.temperature_c.quantize(Decimal("0.1"))
    return fields


def _pre_advice_update(*, advice: PreAdvice, fields: dict[str, Any], by: User) -> list[str]:
    """Apply a newer announcement to an open pre-advice; the names of the fields that changed."""
    changed = [k for k, v in fields.items() if v not in ("", None, []) and getattr(advice, k) != v]
    if not changed:
        return []
    for name in changed:
        setattr(advice, name, fields[name])
    advice.save(update_fields=changed)
    event_record(
        terminal_id=advice.terminal_id,
        topic="gate",
        type="pre_advice.updated",
        payload={"id": advice.pk, "container": advice.container_number, "fields": changed}
        | _actor(by),
        line_id=advice.line_id,
    )
    return changed


def coparn_receive(
    *,
    terminal: Terminal,
    data: bytes,
    by: User,
    line: Organisation | None = None,
    filename: str = "",
) -> tuple[Any, bool]:
    """Read a COPARN and turn each announced container into a pre-advice, or update the open
    pre-advice it already has. Returns ``(upload, replayed)``.

    * A file with errors (the EDI validation report) answers 422 ``edi_invalid`` and changes
      nothing; the same content again answers the first upload (``replayed``).
    * The line is the file's carrier (NAD+CF/CA) or ``line``; an agent may only announce for
      its own lines (403 ``edi_foreign_lines``).
    * A container that cannot be pre-advised (bad number, a pick-up of a box that is not here, a
      drop-off without booking …) is noted with the refusal's code and message; the others are
      still taken. Each container is its own savepoint: no half-written pre-advice.
    """
    import hashlib

    from gate.edi import coparn_read
    from gate.models import CoparnUpload
    from tos import edi

    if len(data) > COPARN_MAX_BYTES:
        raise ApplicationError(
            "edi_too_large",
            f"The file has {len(data)} bytes; at most {COPARN_MAX_BYTES} are accepted.",
            details={"file": [f"At most {COPARN_MAX_BYTES} bytes."]},
            status=413,
        )
    fp = edi.fingerprint(data, max_bytes=COPARN_MAX_BYTES)
    digest = fp.content_sha256 or hashlib.sha256(data).hexdigest()
    first = CoparnUpload.objects.filter(terminal=terminal, content_sha256=digest).first()
    if first is not None:
        if not (by.is_terminal_staff or first.uploaded_by_id == by.pk):
            raise ApplicationError(
                "edi_already_received",
                "This file was already received from someone else.",
                details={"file": ["Already received."]},
                status=409,
            )
        return first, True
    parsed, report = coparn_read(data)
    if not report.ok or not parsed.lines:
        if report.ok:
            message = "The COPARN announces no container; nothing was changed."
        else:
            message = f"The COPARN has {len(report.errors)} error(s); nothing was changed."
        raise ApplicationError(
            "edi_invalid", message, details={"report": report.as_dict()}, status=422
        )
    carrier = parsed.carrier or next((x.operator for x in parsed.lines if x.operator), "")
    if carrier:
        found = Organisation.objects.filter(code=carrier.upper(), kind=OrganisationKind.LINE)
        file_line = found.first()
        if file_line is None:
            _refuse("invalid_line", f"The file's carrier {carrier[:6]!r} is no line here.", "line")
        if line is not None and line.pk != file_line.pk:
            _refuse(
                "edi_line_mismatch",
                f"The file is from carrier {file_line.code}, not {line.code}.",
                "line",
            )
        line = file_line
    if line is None:
        _refuse("validation_error", "The file names no carrier (NAD+CF); say which line.", "line")
    if not by.is_terminal_staff and line.pk not in user_line_ids(by):
        raise ApplicationError(
            "edi_foreign_lines",
            f"You do not act for line {line.code}.",
            details={"line": [line.code]},
            status=403,
        )
    created: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            _lock_terminal_events(terminal.pk)
            upload = CoparnUpload.objects.create(
                terminal=terminal,
                uploaded_by=by,
                filename=filename[:200],
                content_sha256=digest,
                kind=parsed.kind,
                line=line,
                report=report.as_dict(),
            )
            for x in parsed.lines:
                ttype = _coparn_transaction_type(parsed.kind, x)
                if ttype is None:
                    notes.append(
                        {
                            "container": x.container,
                            "code": "unknown_kind",
                            "message": f"BGM {parsed.document_code!r} is not an acceptance or "
                            "release order.",
                        }
                    )
                    continue
                fields = _coparn_fields(x, parsed.booking)
                open_advice = (
                    PreAdvice.objects.select_for_update()
                    .filter(terminal=terminal, container_number=x.container, status="open")
                    .first()
                )
                try:
                    with transaction.atomic():
                        if open_advice is not None:
                            if open_advice.line_id != line.pk:
                                _refuse(
                                    "invalid_line",
                                    f"{x.container} is pre-advised for another line.",
                                    "container_number",
                                    status=409,
                                )
                            if open_advice.transaction_type != ttype:
                                _refuse(
                                    "transaction_mismatch",
                                    f"{x.container} is pre-advised for "
                                    f"{open_advice.transaction_type}, the file says {ttype}.",
                                    "container_number",
                                    status=409,
                                )
                            changed = _pre_advice_update(advice=open_advice, fields=fields, by=by)
                            updated.append(
                                {"container": x.container, "id": open_advice.pk, "fields": changed}
                            )
                        else:
                            advice, pending = pre_advice_create(
                                terminal=terminal,
                                transaction_type=ttype,
                                container_number=x.container,
                                line=line,
                                by=by,
                                **fields,
                            )
                            created.append(
                                {
                                    "container": advice.container_number,
                                    "id": advice.pk,
                                    "transaction_type": ttype,
                                    "pending": pending,
                                }
                            )
                except ApplicationError as exc:
                    notes.append(
                        {"container": x.container, "code": exc.code, "message": exc.message}
                    )
            upload.result = {"created": created, "updated": updated, "notes": notes}
            upload.save(update_fields=["result"])
            event_record(
                terminal_id=terminal.pk,
                topic="gate",
                type="coparn.received",
                payload={
                    "upload": upload.pk,
                    "created": len(created),
                    "updated": len(updated),
                    "notes": len(notes),
                }
                | _actor(by),
                line_id=line.pk,
            )
    except IntegrityError:
        first = CoparnUpload.objects.filter(terminal=terminal, content_sha256=digest).first()
        if first is None:
            raise
        return first, True
    return upload, False
