"""A small feeder call for the planner, the edit API and the bay plan page: a profile of three
20' bays (1 and 3 paired as 40' bay 2), two rows, two hold and two deck tiers; an arrival
BAPLIE written with :mod:`tos.edi` (one box to discharge here, four staying on board); and a
load list of five export units in the yard (one without VGM, one under a loading hold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.utils import timezone

from stowage.choices import ListKind, ListSource
from stowage.models import ListEntry, VesselProfile
from tos import edi
from tos.core.choices import UnitCategory, UnitState
from tos.core.models import Hold, Organisation, Terminal, VesselVisit
from tos.core.tests.factories import (
    ContainerFactory,
    UnitFactory,
    VesselFactory,
    VesselVisitFactory,
    container_number,
)

ROTATION = ("DEHAM", "BEANR")


def stack(bay: int, row: int, deck: bool, reefer: tuple[int, ...] = ()) -> dict:
    return {
        "bay": bay,
        "row": row,
        "deck": deck,
        "tiers": [82, 84] if deck else [2, 4],
        "reefer_tiers": list(reefer),
        "sizes": "any",
        "max_kg": None,
        "max_mm": None,
    }


LAYOUT = {
    "version": 1,
    "bays": [
        {"bay": 1, "pair": 2, "hatch": 2},
        {"bay": 3, "pair": 2, "hatch": 2},
        {"bay": 5, "pair": None, "hatch": 5},
    ],
    "stacks": [
        stack(bay, row, deck, (82,) if (bay, row, deck) == (5, 1, True) else ())
        for bay in (1, 3, 5)
        for row in (1, 2)
        for deck in (False, True)
    ],
}

#: Arrival: (container, cell, POD). The discharge box stands on deck over bay 1 row 1.
ARRIVAL = (
    ("MSKU1234565", (1, 1, 82), "here"),
    ("TGHU1234567", (1, 2, 2), "DEHAM"),
    ("CSQU3054383", (3, 2, 2), "BEANR"),
    (container_number(900001, "MAEU"), (3, 2, 4), "DEHAM"),
    (container_number(900002, "MAEU"), (5, 2, 2), "DEHAM"),
)


def baplie(*, locode: str) -> bytes:
    """The arrival BAPLIE 2.2 of TOS FEEDER voyage 11W (line LINA)."""
    units = tuple(
        edi.StowedUnit(
            position=edi.Position(*cell),
            container=number,
            size_type="22G1",
            full=True,
            gross_kg=Decimal(14000 + i * 1000),
            pol="GBFXT",
            pod=locode if pod == "here" else pod,
            operator="LINA",
        )
        for i, (number, cell, pod) in enumerate(ARRIVAL)
    )
    plan = edi.BayPlan(
        version="2.2",
        vessel=edi.VesselCall(voyage="11W", vessel_name="TOS FEEDER", call_sign="PDTF1"),
        units=units,
        document_number="TF11",
        message_date=datetime(2026, 11, 1, 8, 0),
    )
    return edi.write_baplie(
        plan, version="2.2", envelope=edi.Envelope(sender="LINA", reference="TF11")
    ).encode()


@dataclass
class Call:
    visit: VesselVisit
    loads: dict[str, str]  # name -> container number


def feeder_call(*, terminal: Terminal, line: Organisation, profile: bool = True) -> Call:
    """The visit with its vessel profile and load list (the arrival BAPLIE is uploaded by the
    test, through the API or the page)."""
    vessel = VesselFactory(name="TOS FEEDER", call_sign="PDTF1")
    visit = VesselVisitFactory(
        terminal=terminal,
        vessel=vessel,
        line=line,
        reference="TF-11",
        inbound_voyage="11W",
        outbound_voyage="11E",
    )
    if profile:
        VesselProfile.objects.create(vessel=vessel, layout=LAYOUT, cells=24, source="admin")
    loads = {}
    specs = [
        ("L1", "22G1", 20, "DEHAM", 20000),
        ("L2", "22G1", 20, "BEANR", 15000),
        ("L3", "42G1", 40, "DEHAM", 25000),
        ("L4", "22G1", 20, "DEHAM", None),
        ("L5", "22G1", 20, "BEANR", 12000),
    ]
    for i, (name, iso, length, pod, vgm) in enumerate(specs):
        container = ContainerFactory(
            number=container_number(800001 + i, "TOSU"),
            iso_type=iso,
            length_ft=length,
            teu=length // 20,
        )
        unit = UnitFactory(
            terminal=terminal,
            container=container,
            line=line,
            category=UnitCategory.EXPORT,
            state=UnitState.ON_TERMINAL,
            outbound_visit=visit,
            pod=pod,
            vgm_kg=vgm,
        )
        ListEntry.objects.create(
            vessel_visit=visit,
            kind=ListKind.LOAD,
            source=ListSource.YARD,
            container_number=container.number,
            container=container,
            unit=unit,
            iso_type=iso,
            full=True,
            pol=terminal.locode,
            pod=pod,
            vgm_kg=None,  # the VGM comes from the unit (VERMAS)
            operator=line.code,
        )
        loads[name] = container.number
        if name == "L5":
            Hold.objects.create(
                terminal=terminal,
                unit=unit,
                kind="line",
                blocks_loading=True,
                reason="Freight not paid",
                applied_at=timezone.now(),
            )
    return Call(visit=visit, loads=loads)
