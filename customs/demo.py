"""The customs part of the demo terminal: a few declarations and sensor readings that make a
realistic inspection queue, written through the customs services (so holds, assessments, cases
and decisions are exactly what the running system would have produced).

* ceramics with natural K-40 through the radiation portal: no alarm, released automatically;
* a container whose door opened with no inspection scheduled: high risk, at the top;
* a container declared at 9 t that weighs 24 t, with an X-ray anomaly: queued for review;
* an early declaration for a box still on the vessel: released before arrival;
* an iron ore lot half discharged, scanned by the NIR spectrometer window by window, with an
  off-specification stretch (Fe low, SiO2 high): queued, and it cannot be cleared before the
  last part is ashore.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from customs import services
from customs.choices import SensorKind
from tos.core.choices import UnitCategory, UnitState, VisitPhase
from tos.core.models import ContainerVisit, Event, Hold, Terminal, User, VesselVisit

ORE_DECLARED = {"Fe": 62.0, "SiO2": 4.5, "Al2O3": 2.3, "moisture": 8.5}


def _free_imports(terminal: Terminal, state: str) -> list[ContainerVisit]:
    held = Hold.objects.filter(unit=OuterRef("pk"), released_at__isnull=True)
    return list(
        ContainerVisit.objects.filter(terminal=terminal, category=UnitCategory.IMPORT, state=state)
        .exclude(Exists(held))
        .select_related("container", "line")
        .order_by("pk")[:4]
    )


def _reading(unit=None, lot=None, *, kind: str, sensor: str, ext: str, at: dt.datetime, payload):
    return {
        "kind": kind,
        "unit": unit,
        "lot": lot,
        "sensor_id": sensor,
        "external_id": ext,
        "taken_at": at,
        "payload": payload,
    }


def _declare(terminal: Terminal, unit: ContainerVisit, reference: str, **fields: Any):
    weight = unit.vgm_kg or unit.gross_weight_kg
    defaults = {
        "kind": "import",
        "declarant": "Ceramica Levante SA",
        "consignee": "Tegelhandel Noord BV",
        "goods_description": "glazed ceramic floor tiles",
        "hs_code": "690721",
        "origin_country": "ES",
        "declared_gross_kg": weight,
        "bl_ref": unit.bl_ref,
    }
    return services.declaration_lodge(
        terminal=terminal, units=[unit], reference=reference, **(defaults | fields)
    )


def customs_demo_seed(*, terminal: Terminal, now: dt.datetime) -> dict[str, int]:
    """Write the customs demo; returns what it created. Does nothing without free imports.

    Like the rest of the demo this is a starting state, not a change anybody watches: the live
    events the services wrote are removed again and the terminal's event sequence is put back,
    in the same transaction (as the gate's demo does; DESIGN.md §5.6)."""
    with transaction.atomic():
        seq_before = (
            Terminal.objects.select_for_update()
            .filter(pk=terminal.pk)
            .values_list("event_seq", flat=True)
            .get()
        )
        counts = _seed(terminal=terminal, now=now)
        Event.objects.filter(terminal=terminal, seq__gt=seq_before).delete()
        Terminal.objects.filter(pk=terminal.pk).update(event_seq=seq_before)
    return counts


def _seed(*, terminal: Terminal, now: dt.datetime) -> dict[str, int]:
    officer = User.objects.filter(username="customs").first()
    yard = _free_imports(terminal, UnitState.ON_TERMINAL)
    coming = _free_imports(terminal, UnitState.INBOUND) or _free_imports(
        terminal, UnitState.ADVISED
    )
    if len(yard) < 3:
        return {}
    ceramics, door, heavy = yard[:3]
    stamp = now.strftime("%y%m%d")

    _declare(terminal, ceramics, f"DCT{stamp}C001")
    services.readings_ingest(
        terminal=terminal,
        items=[
            _reading(
                ceramics,
                kind=SensorKind.RADIATION,
                sensor="RPM-GATE-2",
                ext=f"{stamp}-0001",
                at=now - dt.timedelta(minutes=50),
                payload={
                    "gross_cps": 940.0,
                    "background_cps": 310.0,
                    "gamma_spectrum": {"K40": 470.0, "Th232": 90.0, "Ra226": 60.0},
                },
            )
        ],
    )

    _declare(
        terminal,
        door,
        f"DCT{stamp}C002",
        declarant="Shenzhen Bright Electronics Co",
        consignee="EuroGadget BV",
        goods_description="consumer electronics: LED televisions",
        hs_code="852872",
        origin_country="CN",
    )
    seal = door.seals[0] if door.seals else None
    services.readings_ingest(
        terminal=terminal,
        items=[
            _reading(
                door,
                kind=SensorKind.RADIATION,
                sensor="RPM-QUAY-1",
                ext=f"{stamp}-0002",
                at=now - dt.timedelta(hours=5),
                payload={"gross_cps": 305.0, "background_cps": 300.0},
            ),
            _reading(
                door,
                kind=SensorKind.SEAL,
                sensor="ESEAL-7731",
                ext=f"{stamp}-0003",
                at=now - dt.timedelta(hours=2, minutes=12),
                payload={"event": "door_open", "seal_number": seal or ""},
            ),
        ],
    )

    _declare(
        terminal,
        heavy,
        f"DCT{stamp}C003",
        declarant="Global Metals Trading Ltd",
        consignee="Recycling Partners BV",
        goods_description="aluminium household articles",
        hs_code="761510",
        origin_country="TR",
        declared_gross_kg=9000,
    )
    services.readings_ingest(
        terminal=terminal,
        items=[
            _reading(
                heavy,
                kind=SensorKind.XRAY,
                sensor="NII-SCAN-1",
                ext=f"{stamp}-0004",
                at=now - dt.timedelta(minutes=80),
                payload={
                    "anomaly": True,
                    "score": 0.72,
                    "findings": ["dense block behind the door, not matching declared goods"],
                },
            )
        ],
    )

    early = 0
    if coming:
        _declare(terminal, coming[0], f"DCT{stamp}C004")
        early = 1

    visit = (
        VesselVisit.objects.filter(
            terminal=terminal, phase__in=[VisitPhase.WORKING, VisitPhase.ARRIVED]
        )
        .order_by("eta", "pk")
        .first()
    )
    lots = 0
    if visit is not None:
        lot = services.bulk_lot_create(
            terminal=terminal,
            reference=f"ORE-{stamp}-1",
            vessel_visit=visit,
            commodity="iron ore fines",
            declared_tonnage=Decimal("65000.0"),
            declared_composition=ORE_DECLARED,
        )
        services.declaration_lodge(
            terminal=terminal,
            reference=f"DCT{stamp}B001",
            kind="import",
            declarant="Minas Gerais Mining SA",
            consignee="Staalwerk Delta BV",
            goods_description="iron ore fines",
            hs_code="260111",
            origin_country="BR",
            declared_gross_kg=65_000_000,
            lots=[lot],
        )
        start = now - dt.timedelta(hours=8)
        readings = []
        for i in range(16):
            off = 9 <= i <= 11  # a stretch of the hold with siliceous ore
            values = {
                "Fe": 55.8 if off else 61.9 + 0.1 * (i % 3),
                "SiO2": 11.9 if off else 4.4 + 0.05 * (i % 4),
                "Al2O3": 2.3,
                "moisture": 8.6,
            }
            w0 = start + dt.timedelta(minutes=30 * i)
            readings.append(
                _reading(
                    lot=lot,
                    kind=SensorKind.NIR,
                    sensor="NIR-BELT-3",
                    ext=f"{stamp}-nir-{i:03d}",
                    at=w0 + dt.timedelta(minutes=30),
                    payload={
                        "window_start": w0.isoformat(),
                        "window_end": (w0 + dt.timedelta(minutes=30)).isoformat(),
                        "tonnes": 2000.0,
                        "values": values,
                    },
                )
            )
        services.readings_ingest(terminal=terminal, items=readings)
        services.bulk_lot_progress(
            lot=lot,
            tonnage=Decimal("32000.0"),
            started_at=start,
            ended_at=start + dt.timedelta(hours=8),
            by=officer,
        )
        lots = 1
    return {"declarations": 3 + early + lots, "lots": lots}
