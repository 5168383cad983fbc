"""The demo terminal's gate: today's appointment slots, appointments, pre-advices and five hours of
truck visits, so that the gate screen and ``manage.py gate_stats`` show something on ``make run``.

Everything that a real gate would decide goes through the gate services (pre-advice, gate-in,
gate-out, arrival, no-show marking), so the visits, refusals, yard positions, CODECOs and events
are the ones the services make. Only the booking of appointments in slots that are already over
is written directly (the booking service refuses past slots, as it should): the demo needs a
history, and those rows are what a booking made at that time would have left.

The mix (seeded, so the same seed gives the same gate): about 80 % of the trucks pass
automatically at an OCR lane (export drop-offs, import pick-ups, empty returns); some are
refused for the reasons a gate sees every day (no appointment, missing VGM, wrong PIN, a box
held by customs or the line, a misread check digit, arriving outside the check-in window); a few
misread seals are corrected by a clerk, and the lane without OCR is a clerk's lane. Trucks that
came in during the last hour are mostly still inside; a few trucks wait at the pre-gate; later
hours have bookings; unused past appointments become no-shows.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from gate import services
from gate.choices import DELIVERIES, LaneDirection, TransactionType
from gate.models import Appointment, AppointmentSlot, GateLane, TruckVisit
from tos.core import codes
from tos.core.choices import (
    HoldEvent,
    OrganisationKind,
    PositionKind,
    Role,
    UnitCategory,
    UnitState,
)
from tos.core.errors import ApplicationError
from tos.core.models import Container, ContainerVisit, Organisation, Terminal, User
from tos.core.selectors import unit_event_check
from yard.models import YardOccupancy

#: Places per hour and transaction type.
SLOT_CAPACITY = {
    TransactionType.DROP_OFF_EXPORT: 30,
    TransactionType.PICK_UP_IMPORT: 30,
    TransactionType.EMPTY_RETURN: 12,
    TransactionType.EMPTY_PICK_UP: 8,
}
HISTORY_HOURS = 5
FUTURE_HOURS = 10
TRUCKS_PER_HOUR = 8
#: (scenario, weight) of a truck in the history.
SCENARIOS = (
    ("export", 36),
    ("import", 30),
    ("empty_return", 8),
    ("seal_corrected", 5),
    ("no_appointment", 4),
    ("missing_vgm", 3),
    ("wrong_pin", 3),
    ("held", 3),
    ("check_digit", 2),
    ("early", 2),
)
#: Share of passing trucks sent to the lane without OCR (a clerk types them in).
MANUAL_LANE_SHARE = 0.06


@dataclass
class _Gate:
    terminal: Terminal
    rng: random.Random
    clerk: User
    haulier: Organisation | None
    lanes_in: list[GateLane]
    lanes_out: list[GateLane]
    manual_lane: GateLane | None
    exports: list[ContainerVisit]
    exports_without_vgm: list[ContainerVisit]
    imports: list[ContainerVisit]  # on top of their stacks: a pick-up needs no rehandle
    held_imports: list[ContainerVisit]
    plates: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, key: str) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1

    def plate(self) -> str:
        while True:
            letters = "BDFGHJKLNPRSTVXZ"
            plate = (
                f"{self.rng.randint(10, 99)}-{self.rng.choice(letters)}{self.rng.choice(letters)}"
                f"{self.rng.choice(letters)}-{self.rng.randint(1, 9)}"
            )
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def empty_number(self) -> str:
        while True:
            body = f"DEMU{self.rng.randint(0, 999_999):06d}"
            number = body + str(codes.container_check_digit(body))
            if number not in self.numbers and not Container.objects.filter(number=number).exists():
                self.numbers.add(number)
                return number

    def agent_for(self, line: Organisation) -> User:
        """The line's agent (pre-advices come from the line side), else the clerk."""
        agent = (
            User.objects.filter(organisation__represents=line, terminal=self.terminal)
            .order_by("pk")
            .first()
        )
        return agent or self.clerk


def _book_past(g: _Gate, *, transaction_type: str, at: dt.datetime, plate: str) -> Appointment:
    """An appointment in the slot of ``at``: through the booking service while the slot is still
    open, else written as the booking made at the time would have left it (see the module
    docstring)."""
    start = at.replace(minute=0, second=0, microsecond=0)
    slot = AppointmentSlot.objects.get(
        terminal=g.terminal, starts_at=start, transaction_type=transaction_type
    )
    if slot.ends_at > timezone.now():
        return services.appointment_book(slot=slot, by=g.clerk, truck_plate=plate)
    AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    return Appointment.objects.create(
        terminal=g.terminal,
        reference="AP" + "".join(g.rng.choice("0123456789ABCDEF") for _ in range(10)),
        slot=slot,
        transaction_type=transaction_type,
        organisation=g.haulier,
        truck_plate=plate,
        booked_by=g.clerk,
    )


def _advise(g: _Gate, unit: ContainerVisit | None, transaction_type: str, **extra: Any):
    line = unit.line if unit is not None else extra.pop("line")
    number = unit.container.number if unit is not None else extra.pop("container_number")
    return services.pre_advice_create(
        terminal=g.terminal,
        transaction_type=transaction_type,
        container_number=number,
        line=line,
        by=g.agent_for(line),
        **extra,
    )


def _lane_in(g: _Gate, manual: bool) -> GateLane:
    if manual and g.manual_lane is not None:
        return g.manual_lane
    return g.rng.choice(g.lanes_in)


def _gate_in(
    g: _Gate,
    *,
    at: dt.datetime,
    plate: str,
    containers: list[dict[str, Any]],
    appointment: Appointment | None,
    manual: bool = False,
) -> TruckVisit:
    lane = _lane_in(g, manual)
    return services.truck_visit_gate_in(
        terminal=g.terminal,
        lane=lane,
        truck_plate=plate,
        containers=containers,
        appointment_ref=appointment.reference if appointment else "",
        driver_name=g.rng.choice(["J. de Vries", "M. Jansen", "A. Kowalski", "P. Silva"]),
        by=g.clerk,
        at=at,
        manual=manual or not lane.has_ocr,
    )


def _export_item(unit: ContainerVisit, seals: list[str]) -> dict[str, Any]:
    return {"container_number": unit.container.number, "seals": seals}


def _truck(g: _Gate, scenario: str, at: dt.datetime) -> TruckVisit | None:
    """One truck of the history; None when the demo ran out of boxes for the scenario."""
    rng = g.rng
    plate = g.plate()
    manual = rng.random() < MANUAL_LANE_SHARE
    if scenario in ("export", "seal_corrected", "no_appointment", "check_digit", "early"):
        if not g.exports:
            return None
        unit = g.exports.pop()
        seal = f"SL{rng.randint(100000, 999999)}"
        _advise(
            g,
            unit,
            TransactionType.DROP_OFF_EXPORT,
            booking_ref=unit.booking_ref,
            seals=[seal],
            vgm_kg=unit.vgm_kg,
            imdg_class=unit.imdg_class.split(",")[0] if unit.imdg_class else "",
            un_number=unit.un_number.split(",")[0] if unit.un_number else "",
            reefer_setpoint_c=unit.reefer_setpoint_c,
        )
        item = _export_item(unit, [seal])
        if scenario == "no_appointment":
            return _gate_in(g, at=at, plate=plate, containers=[item], appointment=None)
        if scenario == "early":
            later = at + dt.timedelta(hours=2)
            appointment = _book_past(
                g, transaction_type=TransactionType.DROP_OFF_EXPORT, at=later, plate=plate
            )
            return _gate_in(g, at=at, plate=plate, containers=[item], appointment=appointment)
        appointment = _book_past(
            g, transaction_type=TransactionType.DROP_OFF_EXPORT, at=at, plate=plate
        )
        if scenario == "check_digit":
            number = item["container_number"]
            wrong = (int(number[10]) + 1) % 10
            bad = {"container_number": number[:10] + str(wrong), "seals": [seal]}
            return _gate_in(g, at=at, plate=plate, containers=[bad], appointment=appointment)
        if scenario == "seal_corrected":
            misread = seal[:-2] + seal[-1] + seal[-2] if seal[-1] != seal[-2] else seal[:-1] + "0"
            refused = _gate_in(
                g,
                at=at,
                plate=plate,
                containers=[_export_item(unit, [misread])],
                appointment=appointment,
            )
            g.count("refused_then_corrected" if refused.status == "refused" else "unexpected")
            at = at + dt.timedelta(minutes=rng.randint(2, 6))
            return _gate_in(
                g, at=at, plate=plate, containers=[item], appointment=appointment, manual=True
            )
        return _gate_in(
            g, at=at, plate=plate, containers=[item], appointment=appointment, manual=manual
        )
    if scenario == "missing_vgm":
        if not g.exports_without_vgm:
            return None
        unit = g.exports_without_vgm.pop()
        _advise(g, unit, TransactionType.DROP_OFF_EXPORT, booking_ref=unit.booking_ref)
        appointment = _book_past(
            g, transaction_type=TransactionType.DROP_OFF_EXPORT, at=at, plate=plate
        )
        return _gate_in(
            g,
            at=at,
            plate=plate,
            containers=[_export_item(unit, [])],
            appointment=appointment,
        )
    if scenario in ("import", "wrong_pin", "held"):
        pool = g.held_imports if scenario == "held" else g.imports
        if not pool:
            return None
        unit = pool.pop()
        advice, _pending = _advise(
            g, unit, TransactionType.PICK_UP_IMPORT, release_ref=unit.bl_ref or "REL"
        )
        appointment = _book_past(
            g, transaction_type=TransactionType.PICK_UP_IMPORT, at=at, plate=plate
        )
        pin = advice.pin
        if scenario == "wrong_pin":
            pin = f"{(int(pin) + 1) % 10**8:08d}" if pin else "12345678"
        item = {"container_number": unit.container.number, "pin": pin}
        return _gate_in(
            g, at=at, plate=plate, containers=[item], appointment=appointment, manual=manual
        )
    if scenario == "empty_return":
        line = rng.choice(
            list(Organisation.objects.filter(kind=OrganisationKind.LINE).order_by("code"))
        )
        number = g.empty_number()
        _advise(
            g,
            None,
            TransactionType.EMPTY_RETURN,
            line=line,
            container_number=number,
            iso_type=rng.choice(["22G1", "45G1", "42G1"]),
        )
        appointment = _book_past(
            g, transaction_type=TransactionType.EMPTY_RETURN, at=at, plate=plate
        )
        item = {"container_number": number}
        return _gate_in(
            g, at=at, plate=plate, containers=[item], appointment=appointment, manual=manual
        )
    raise ValueError(f"unknown scenario {scenario}")


def _pools(terminal: Terminal, rng: random.Random) -> dict[str, list[ContainerVisit]]:
    base = ContainerVisit.objects.filter(terminal=terminal).select_related("container", "line")
    exports = list(
        base.filter(state=UnitState.ADVISED, category=UnitCategory.EXPORT)
        .exclude(booking_ref="")
        .exclude(position_kind=PositionKind.VESSEL)
        .order_by("pk")[:400]
    )
    above = YardOccupancy.objects.filter(
        block_id=OuterRef("block_id"),
        row=OuterRef("row"),
        tier=OuterRef("tier") + 1,
        valid_to__isnull=True,
        ground_from__lt=OuterRef("ground_to"),
        ground_to__gt=OuterRef("ground_from"),
    )
    on_top = (
        YardOccupancy.objects.filter(terminal=terminal, valid_to__isnull=True)
        .annotate(covered=Exists(above))
        .filter(covered=False)
        .values("unit_id")
    )
    imports = list(
        base.filter(
            state=UnitState.ON_TERMINAL,
            category=UnitCategory.IMPORT,
            position_kind=PositionKind.YARD,
            pk__in=on_top,
        ).order_by("pk")[:600]
    )
    free, held = [], []
    for unit in imports:
        allowed = unit_event_check(unit=unit, event=HoldEvent.GATE_OUT).allowed
        (free if allowed else held).append(unit)
    with_vgm = [u for u in exports if u.vgm_kg]
    without_vgm = [u for u in exports if not u.vgm_kg]
    for pool in (with_vgm, without_vgm, free, held):
        rng.shuffle(pool)
    return {"exports": with_vgm, "exports_without_vgm": without_vgm, "imports": free, "held": held}


def gate_demo_seed(*, terminal: Terminal, seed: int = 1, at: dt.datetime | None = None) -> dict:
    """Write the demo gate of ``terminal`` (see the module docstring); returns what it did.

    ``at`` is the demo's "now"; when it is missing or within the last hour the gate runs up to
    this very moment (``manage.py seed_demo`` calls it after loading the terminal), so the screen
    shows trucks waiting and inside right away. Like the rest of the demo this is a starting
    state, not a change anybody watches: the live events the services wrote are removed again
    and the terminal's event sequence is put back, in the same transaction (DESIGN.md §5.6)."""
    from tos.core.models import Event

    real_now = timezone.now()
    if at is None or dt.timedelta(0) <= real_now - at <= dt.timedelta(hours=1):
        at = real_now
    with transaction.atomic():
        seq_before = (
            Terminal.objects.select_for_update()
            .filter(pk=terminal.pk)
            .values_list("event_seq", flat=True)
            .get()
        )
        counts = _seed(terminal=terminal, seed=seed, at=at)
        Event.objects.filter(terminal=terminal, seq__gt=seq_before).delete()
        Terminal.objects.filter(pk=terminal.pk).update(event_seq=seq_before)
        visits = TruckVisit.objects.filter(terminal=terminal)
        counts |= {
            "visits": visits.count(),
            "inside": visits.filter(status="accepted").count(),
            "refused": visits.filter(status="refused").count(),
        }
    return counts


def _seed(*, terminal: Terminal, seed: int, at: dt.datetime) -> dict:
    rng = random.Random(f"tos-demo:{seed}:gate")
    hour = at.replace(minute=0, second=0, microsecond=0)
    clerk = (
        User.objects.filter(terminal=terminal, role=Role.GATE_CLERK).order_by("pk").first()
        or User.objects.filter(terminal=terminal, role__in=[Role.OPERATOR, Role.ADMIN])
        .order_by("pk")
        .first()
    )
    lanes = list(GateLane.objects.filter(terminal=terminal, is_open=True).order_by("name"))
    if clerk is None or not lanes:
        return {}
    for h in range(-HISTORY_HOURS - 3, FUTURE_HOURS + 1):
        for transaction_type, capacity in SLOT_CAPACITY.items():
            services.appointment_slot_set(
                terminal=terminal,
                starts_at=hour + dt.timedelta(hours=h),
                transaction_type=transaction_type,
                capacity=capacity,
            )
    pools = _pools(terminal, rng)
    ocr = [lane for lane in lanes if lane.has_ocr]
    g = _Gate(
        terminal=terminal,
        rng=rng,
        clerk=clerk,
        haulier=Organisation.objects.filter(kind=OrganisationKind.HAULIER).order_by("pk").first(),
        lanes_in=[lane for lane in ocr if lane.direction == LaneDirection.IN] or ocr,
        lanes_out=[lane for lane in ocr if lane.direction == LaneDirection.OUT] or ocr,
        manual_lane=next((lane for lane in lanes if not lane.has_ocr), None),
        exports=pools["exports"],
        exports_without_vgm=pools["exports_without_vgm"],
        imports=pools["imports"],
        held_imports=pools["held"],
    )
    names = [name for name, _ in SCENARIOS]
    weights = [w for _, w in SCENARIOS]
    arrivals = sorted(
        hour
        - dt.timedelta(hours=HISTORY_HOURS)
        + dt.timedelta(seconds=rng.randint(0, 3600))
        + dt.timedelta(hours=h)
        for h in range(HISTORY_HOURS)
        for _ in range(TRUCKS_PER_HOUR)
    )
    arrivals += sorted(
        hour + dt.timedelta(seconds=rng.randint(0, max(1, int((at - hour).total_seconds()) - 60)))
        for _ in range(max(1, int(TRUCKS_PER_HOUR * (at - hour).total_seconds() / 3600)))
    )
    inside: list[TruckVisit] = []
    for when in arrivals:
        if when >= at:
            continue
        scenario = rng.choices(names, weights)[0]
        try:
            visit = _truck(g, scenario, when)
        except ApplicationError:
            visit = None
        if visit is None:
            g.count("skipped")
            continue
        g.count(f"{scenario}_{visit.status}")
        if visit.status == "accepted":
            inside.append(visit)
    departed = 0
    for visit in inside:
        out_at = visit.gate_in_at + dt.timedelta(minutes=rng.triangular(14, 75, 32))
        if out_at >= at:
            continue
        lane = rng.choice(g.lanes_out)
        try:
            services.truck_visit_gate_out(
                visit=visit,
                lane=lane,
                by=clerk,
                at=out_at,
                manual=rng.random() < 0.03,
            )
        except ApplicationError as exc:
            g.count(f"gate_out_{exc.code}")
            continue
        departed += 1
    g.counts["departed"] = departed
    _queue_and_bookings(g, at=at, hour=hour)
    g.counts["no_shows"] = services.appointments_mark_no_shows(terminal=terminal, now=at)
    return g.counts


def _queue_and_bookings(g: _Gate, *, at: dt.datetime, hour: dt.datetime) -> None:
    """A few trucks waiting at the pre-gate now, bookings for the coming hours, and past
    appointments whose trucks never came (they become no-shows)."""
    rng = g.rng
    for _i in range(4):
        if not g.exports:
            break
        unit = g.exports.pop()
        _advise(
            g,
            unit,
            TransactionType.DROP_OFF_EXPORT,
            booking_ref=unit.booking_ref,
            seals=[f"SL{rng.randint(100000, 999999)}"],
            vgm_kg=unit.vgm_kg,
        )
        appointment = _book_past(
            g, transaction_type=TransactionType.DROP_OFF_EXPORT, at=hour, plate=g.plate()
        )
        services.appointment_arrive(
            appointment=appointment,
            at=max(at - dt.timedelta(minutes=rng.randint(1, 18)), hour - dt.timedelta(minutes=25)),
        )
        g.count("queued")
    for _i in range(24):
        _book_past(
            g,
            transaction_type=rng.choice(list(SLOT_CAPACITY)),
            at=hour + dt.timedelta(hours=rng.randint(1, FUTURE_HOURS)),
            plate=g.plate(),
        )
        g.count("booked_ahead")
    for _i in range(5):
        when = hour - dt.timedelta(hours=rng.randint(2, HISTORY_HOURS), minutes=rng.randint(0, 59))
        _book_past(g, transaction_type=rng.choice(DELIVERIES), at=when, plate=g.plate())
