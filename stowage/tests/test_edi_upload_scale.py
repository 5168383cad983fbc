"""A big arrival BAPLIE goes through in bulk: a bounded number of queries, not one per box."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stowage import services
from stowage.models import PlanCell
from tos import edi
from tos.core import codes
from tos.core.models import ContainerVisit

pytestmark = pytest.mark.django_db


def _number(i: int) -> str:
    body = f"ABCU{i:06d}"
    return body + str(codes.container_check_digit(body) % 10)


def _big_baplie(n: int) -> bytes:
    units = []
    for i in range(n):
        bay = 1 + 2 * (i // 200)
        row, tier = (i % 200) // 8, 82 + 2 * (i % 8)
        units.append(
            edi.StowedUnit(
                position=edi.Position(bay, row, tier),
                container=_number(i),
                size_type="22G1",
                full=True,
                gross_kg=Decimal(10000 + i),
                pol="AEKHL",
                pod="BHKBS" if i % 2 else "SGSIN",
                operator="LINA",
            )
        )
    plan = edi.BayPlan(
        version="2.2",
        vessel=edi.VesselCall(voyage="0133", vessel_name="X-PRESS EUPHRATES", call_sign="9V2036"),
        units=tuple(units),
        document_number="BIG",
        message_date=__import__("datetime").datetime(2026, 1, 1, 12, 0),
    )
    return edi.write_baplie(plan, version="2.2", envelope=edi.Envelope(reference="BIG")).encode()


def test_a_2000_box_baplie_is_written_with_a_bounded_number_of_queries(planner, euphrates_visit):
    data = _big_baplie(2000)
    with CaptureQueriesContext(connection) as queries:
        outcome = services.edi_upload_receive(
            terminal=euphrates_visit.terminal, data=data, by=planner, vessel_visit=euphrates_visit
        )
    assert outcome.upload.result["created"]["units"] == 1000
    assert PlanCell.objects.count() == 2000
    assert ContainerVisit.objects.count() == 1000
    # Not one query per box: ~50 on PostgreSQL, ~200 on SQLite (it batches bulk statements to
    # its 999-variable limit).
    assert len(queries) < 300, [q["sql"][:80] for q in queries.captured_queries[:80]]
