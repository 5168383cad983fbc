"""The database itself refuses double bookings (DESIGN.md §5.3), bypassing the services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from yard.models import YardOccupancy, YardReservation, ground_bays

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="exclusion constraints exist only on PostgreSQL"
)


def occupy(unit, block, bay, row=1, tier=1, *, size=None, valid_to=None):
    size = size or unit.container.length_ft
    start, end = ground_bays(bay, 20 if size == 20 else 40)
    return YardOccupancy.objects.create(
        terminal=block.terminal,
        unit=unit,
        block=block,
        bay=bay,
        row=row,
        tier=tier,
        size_ft=size,
        ground_from=start,
        ground_to=end,
        valid_from=timezone.now() - dt.timedelta(hours=1),
        valid_to=valid_to,
    )


def refused_by_db(constraint: str, func, *args, **kwargs) -> None:
    with pytest.raises(IntegrityError) as info, transaction.atomic():
        func(*args, **kwargs)
    if connection.vendor == "postgresql":
        assert info.value.__cause__.diag.constraint_name == constraint


def test_the_database_refuses_two_current_boxes_on_one_position(dry, make_unit):
    occupy(make_unit(), dry, 1)
    refused_by_db("yard_occupancy_one_box_per_position", occupy, make_unit(), dry, 1)
    assert YardOccupancy.objects.count() == 1


def test_the_database_refuses_two_current_positions_for_one_box(dry, make_unit):
    unit = make_unit()
    occupy(unit, dry, 1)
    refused_by_db("yard_occupancy_one_position_per_unit", occupy, unit, dry, 5)
    occupy(unit, dry, 9, valid_to=timezone.now())  # history may hold any number of rows


@on_postgres
def test_the_database_refuses_a_forty_overlapping_a_twenty(dry, make_unit):
    occupy(make_unit("22G1"), dry, 3)
    refused_by_db("yard_occupancy_no_overlap", occupy, make_unit("42G1"), dry, 2)
    refused_by_db("yard_occupancy_no_overlap", occupy, make_unit("42G1"), dry, 4)
    occupy(make_unit("42G1"), dry, 6)
    refused_by_db("yard_occupancy_no_overlap", occupy, make_unit("42G1"), dry, 8)
    refused_by_db("yard_occupancy_no_overlap", occupy, make_unit("22G1"), dry, 7)
    occupy(make_unit("42G1"), dry, 2, row=2)  # other row
    occupy(make_unit("42G1"), dry, 2, tier=2)  # other tier (support is the service's job)
    occupy(make_unit("42G1"), dry, 2, valid_to=timezone.now())  # a past row
    assert YardOccupancy.objects.filter(valid_to__isnull=True).count() == 4


def test_the_database_refuses_a_twenty_in_an_even_bay_or_a_wrong_ground_range(dry, make_unit):
    refused_by_db("yard_occupancy_ground_bays_valid", occupy, make_unit("22G1"), dry, 2, size=20)
    unit = make_unit("42G1")
    bad = {"terminal": dry.terminal, "unit": unit, "block": dry, "bay": 4, "row": 1, "tier": 1}
    refused_by_db(
        "yard_occupancy_ground_bays_valid",
        YardOccupancy.objects.create,
        size_ft=40,
        ground_from=4,
        ground_to=5,
        valid_from=timezone.now(),
        **bad,
    )
    assert YardOccupancy.objects.count() == 0


def reservation(unit, block, bay, start, minutes, tier=1):
    size = 20 if unit.container.length_ft == 20 else 40
    low, high = ground_bays(bay, size)
    return YardReservation.objects.create(
        terminal=block.terminal,
        unit=unit,
        block=block,
        bay=bay,
        row=1,
        tier=tier,
        size_ft=unit.container.length_ft,
        ground_from=low,
        ground_to=high,
        reserved_from=start,
        reserved_until=start + dt.timedelta(minutes=minutes),
        expires_at=start + dt.timedelta(minutes=minutes),
    )


@on_postgres
def test_the_database_refuses_two_live_reservations_on_one_slot(dry, make_unit):
    now = timezone.now()
    reservation(make_unit(), dry, 5, now, 30)
    refused_by_db(
        "yard_reservation_no_overlap",
        reservation,
        make_unit(),
        dry,
        5,
        now + dt.timedelta(minutes=10),
        30,
    )
    refused_by_db("yard_reservation_no_overlap", reservation, make_unit("42G1"), dry, 6, now, 5)
    reservation(make_unit(), dry, 5, now + dt.timedelta(minutes=30), 30)  # after it expired
    reservation(make_unit(), dry, 5, now, 30, tier=2)
    assert YardReservation.objects.count() == 3
