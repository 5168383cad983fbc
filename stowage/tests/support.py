"""Helpers of the stowage tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from tos import edi


def synthetic_baplie(
    *, operator: str = "LINA", reference: str = "77", pods: tuple[str, ...] = ("BHKBS", "SGSIN")
) -> bytes:
    """A small BAPLIE 2.2 of X-PRESS EUPHRATES 0133: one box per POD, all of ``operator``."""
    numbers = ["MSKU1234565", "TGHU1234567", "CSQU3054383"]
    units = tuple(
        edi.StowedUnit(
            position=edi.Position(2 * i + 1, 1, 82),
            container=numbers[i],
            size_type="22G1",
            full=True,
            gross_kg=Decimal(12000 + i),
            pol="AEKHL",
            pod=pod,
            operator=operator,
        )
        for i, pod in enumerate(pods)
    )
    plan = edi.BayPlan(
        version="2.2",
        vessel=edi.VesselCall(voyage="0133", vessel_name="X-PRESS EUPHRATES", call_sign="9V2036"),
        units=units,
        document_number="SYN1",
        message_date=datetime(2026, 1, 1, 12, 0),
    )
    text = edi.write_baplie(
        plan, version="2.2", envelope=edi.Envelope(sender="AGA", reference=reference)
    )
    return text.encode()
