"""Fixtures of the yard tests: a small yard of one block per kind and a maker of units."""

from __future__ import annotations

import itertools

import pytest

from tos.core.choices import UnitCategory, UnitState
from tos.core.tests.factories import ContainerFactory, UnitFactory, container_number
from yard.tests.factories import DgZoneFactory, YardBlockFactory

_numbers = itertools.count(500_000)

#: ISO size-type → (length_ft, type_group, teu)
SIZE_TYPES = {
    "22G1": (20, "G", 1),
    "42G1": (40, "G", 2),
    "45G1": (40, "G", 2),
    "L5G1": (45, "G", 2),
    "22R1": (20, "R", 1),
    "45R1": (40, "R", 2),
}


@pytest.fixture
def dry(terminal):
    """Dry block A01: 10 ground bays (1 … 19), 4 rows, 4 high."""
    return YardBlockFactory(terminal=terminal, name="A01", bays=10, rows=4, max_tier=4)


@pytest.fixture
def reefer_block(terminal):
    """Reefer block R01: rows 1 and 2 plugged, 3 plugs per row."""
    return YardBlockFactory(
        terminal=terminal,
        name="R01",
        kind="reefer",
        bays=6,
        rows=3,
        max_tier=3,
        reefer_plugs_per_row=3,
        plugged_rows=[1, 2],
    )


@pytest.fixture
def dg_block(terminal):
    """DG block G01: zone Z3 (bays 1–5) for class 3, zone Z8 (bays 9–11) for classes 8 and 2."""
    block = YardBlockFactory(
        terminal=terminal, name="G01", kind="dangerous", bays=6, rows=2, max_tier=2
    )
    DgZoneFactory(block=block, name="Z3", first_bay=1, last_bay=5, imdg_classes=["3"])
    DgZoneFactory(block=block, name="Z8", first_bay=9, last_bay=11, imdg_classes=["8", "2"])
    return block


@pytest.fixture
def empty_block(terminal):
    return YardBlockFactory(
        terminal=terminal, name="E01", kind="empty", equipment="reach_stacker", bays=4, rows=2
    )


@pytest.fixture
def make_unit(terminal, line_a):
    """``make_unit(iso="22G1", line=…, category=…, state=…, **unit fields)``."""

    def make(
        iso: str = "22G1",
        *,
        line=None,
        category: str = UnitCategory.IMPORT,
        state: str = UnitState.ON_TERMINAL,
        **fields,
    ):
        length, group, teu = SIZE_TYPES[iso]
        container = ContainerFactory(
            number=container_number(next(_numbers)),
            iso_type=iso,
            length_ft=length,
            type_group=group,
            teu=teu,
        )
        return UnitFactory(
            terminal=terminal,
            container=container,
            line=line or line_a,
            category=category,
            state=state,
            **fields,
        )

    return make
