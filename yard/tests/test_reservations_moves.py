"""Slot reservations (they expire) and yard moves: plan, confirm, cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tos.core.errors import ApplicationError
from tos.core.models import Event
from yard import services
from yard.models import YardMove, YardOccupancy, YardReservation
from yard.tests.test_services import place, refused


def plan(unit, block, bay, row, tier, **kw):
    return services.yard_move_plan(unit=unit, block=block, bay=bay, row=row, tier=tier, **kw)


def reserve(unit, block, bay, row, tier, **kw):
    return services.yard_slot_reserve(unit=unit, block=block, bay=bay, row=row, tier=tier, **kw)


def age(reservation: YardReservation, minutes: int) -> None:
    """Shift a reservation ``minutes`` into the past (as if that much time had passed)."""
    delta = dt.timedelta(minutes=minutes)
    YardReservation.objects.filter(pk=reservation.pk).update(
        reserved_from=reservation.reserved_from - delta,
        reserved_until=reservation.reserved_until - delta,
        expires_at=reservation.expires_at - delta,
    )


def test_a_reserved_slot_refuses_other_units_until_the_reservation_expires(dry, make_unit):
    holder, other = make_unit(), make_unit()
    reservation = reserve(holder, dry, 5, 1, 1, minutes=10)
    assert reservation.reserved_until - reservation.reserved_from == dt.timedelta(minutes=10)
    error = refused("slot_reserved", place, other, dry, 5, 1, 1)
    assert error.status == 409
    with pytest.raises(ApplicationError) as info:
        reserve(other, dry, 5, 1, 1)
    assert info.value.code == "slot_reserved"
    with pytest.raises(ApplicationError) as info:
        reserve(make_unit("42G1"), dry, 6, 1, 1)
    assert info.value.code == "slot_reserved"
    age(reservation, 11)
    place(other, dry, 5, 1, 1)
    assert YardOccupancy.objects.get(valid_to__isnull=True).unit == other


def test_the_holder_of_a_reservation_may_use_its_slot(dry, make_unit):
    holder = make_unit()
    reserve(holder, dry, 5, 1, 1)
    place(holder, dry, 5, 1, 1)


def test_releasing_a_reservation_frees_the_slot_at_once(dry, make_unit):
    holder, other = make_unit(), make_unit()
    reservation = reserve(holder, dry, 5, 1, 1)
    services.yard_reservation_release(reservation=reservation)
    reservation.refresh_from_db()
    assert reservation.released_at is not None
    assert reservation.reserved_until == reservation.released_at
    reserve(other, dry, 5, 1, 1)
    assert [e.type for e in Event.objects.order_by("seq")] == [
        "yard.slot_reserved",
        "yard.slot_released",
        "yard.slot_reserved",
    ]


def test_it_refuses_reservation_lengths_outside_one_minute_to_a_day(dry, make_unit):
    unit = make_unit()
    for minutes in (0, -5, 24 * 60 + 1, True, 1.5):
        with pytest.raises(ApplicationError) as info:
            reserve(unit, dry, 5, 1, 1, minutes=minutes)
        assert info.value.code == "invalid_minutes"
    assert YardReservation.objects.count() == 0


def test_planning_a_move_reserves_its_target_and_confirming_moves_the_box(dry, make_unit, planner):
    unit = make_unit()
    place(unit, dry, 1, 1, 1)
    planned = plan(unit, dry, 9, 2, 1, by=planner)
    assert (planned.status, planned.from_bay, planned.to_bay) == ("planned", 1, 9)
    reservation = planned.reservation
    assert reservation.is_live(timezone.now())
    refused("slot_reserved", place, make_unit(), dry, 9, 2, 1)
    confirmed = services.yard_move_confirm(move=planned, by=planner)
    reservation.refresh_from_db()
    assert confirmed.status == "confirmed"
    assert not reservation.is_live(timezone.now())
    occ = YardOccupancy.objects.get(valid_to__isnull=True)
    assert (occ.ref, occ.move_id) == ("A01.09.2.1", planned.pk)
    assert [e.type for e in Event.objects.order_by("seq")] == [
        "yard.unit_placed",
        "yard.move_planned",
        "yard.unit_moved",
        "yard.move_confirmed",
    ]


def test_confirming_a_discharge_move_places_the_box(dry, make_unit):
    unit = make_unit()
    planned = plan(unit, dry, 1, 1, 1, kind="discharge")
    assert planned.from_block is None
    services.yard_move_confirm(move=planned)
    assert YardOccupancy.objects.get(valid_to__isnull=True).ref == "A01.01.1.1"


def test_cancelling_a_move_frees_its_slot_and_it_cannot_be_confirmed_afterwards(dry, make_unit):
    unit = make_unit()
    planned = plan(unit, dry, 1, 1, 1)
    services.yard_move_cancel(move=planned, reason="crane down")
    planned.refresh_from_db()
    assert (planned.status, planned.cancel_reason) == ("cancelled", "crane down")
    place(make_unit(), dry, 1, 1, 1)
    with pytest.raises(ApplicationError) as info:
        services.yard_move_confirm(move=planned)
    assert (info.value.code, info.value.status) == ("move_not_planned", 409)
    with pytest.raises(ApplicationError) as info:
        services.yard_move_cancel(move=planned)
    assert info.value.code == "move_not_planned"


def test_a_move_whose_reservation_expired_still_confirms_while_the_slot_is_free(dry, make_unit):
    unit = make_unit()
    planned = plan(unit, dry, 1, 1, 1, minutes=1)
    age(planned.reservation, 2)
    services.yard_move_confirm(move=planned)
    assert YardOccupancy.objects.get(valid_to__isnull=True).unit == unit


def test_a_move_whose_slot_was_taken_after_expiry_is_refused_and_stays_planned(dry, make_unit):
    unit = make_unit()
    planned = plan(unit, dry, 1, 1, 1, minutes=1)
    age(planned.reservation, 2)
    place(make_unit(), dry, 1, 1, 1)
    with pytest.raises(ApplicationError) as info:
        services.yard_move_confirm(move=planned)
    assert info.value.code == "slot_occupied"
    planned.refresh_from_db()
    assert planned.status == "planned"
    assert YardOccupancy.objects.filter(unit=unit).count() == 0


def test_confirm_checks_the_stacking_rules_again(dry, make_unit):
    low, high = make_unit(), make_unit()
    place(low, dry, 1, 1, 1)
    planned = plan(high, dry, 1, 1, 2)
    services.yard_unit_remove(unit=low)
    with pytest.raises(ApplicationError) as info:
        services.yard_move_confirm(move=planned)
    assert info.value.code == "floating"
    assert YardMove.objects.get(pk=planned.pk).status == "planned"


def test_planning_into_an_occupied_or_reserved_slot_is_refused_and_writes_nothing(dry, make_unit):
    place(make_unit(), dry, 1, 1, 1)
    plan(make_unit(), dry, 3, 1, 1)
    moves, events = YardMove.objects.count(), Event.objects.count()
    for bay in (1, 3):
        with pytest.raises(ApplicationError) as info:
            plan(make_unit(), dry, bay, 1, 1)
        assert info.value.status == 409
    with pytest.raises(ApplicationError) as info:
        plan(make_unit("42G1"), dry, 2, 1, 1)
    assert info.value.code in ("slot_occupied", "slot_reserved")
    assert (YardMove.objects.count(), Event.objects.count()) == (moves, events)
