"""The demo terminal: a realistic mid-size container terminal for ``manage.py seed_demo``.

Two steps. :func:`build_plan` is pure: a seeded ``random.Random`` and ``now`` in, plain
dataclasses out, no database. :func:`demo_seed` writes that plan in one transaction with bulk
inserts (and their history rows). The same seed and ``now`` give the same plan; container
numbers, IMO numbers and the yard picture do not depend on ``now`` at all.

Positions:

* yard ``BLOCK.bay.row.tier`` (``A03.14.4.2``) in even-bay notation. A block of ``bays`` 20'
  ground bays numbers them 01, 03, 05 ...; a 40'/45' box stands in the even bay between two odd
  ones (06 covers 05 and 07). The demo keeps 20' and 40' stacks apart: each pair of 20' bays
  (01+03, 05+07, ...) holds either two 20' stacks or one 40' stack (bay 02, 06, ...). Stacks fill
  from tier 1, rows count from 1.
* vessel ISO 9711 ``BBBRRTT`` (``0120482``): 20' in odd bays, 40'/45' in the even bay between,
  45' only on deck.

The loader is the one place in ``tos.core`` that writes other apps' models (quay, yard blocks,
gate lanes). It names them through the app registry so that ``tos.core`` does not import the
apps (DESIGN.md §4).
"""

from __future__ import annotations

import random
import time
import zoneinfo
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from tos.core import codes
from tos.core.choices import (
    HoldKind,
    OrganisationKind,
    PositionKind,
    Role,
    UnitCategory,
    UnitState,
    VisitPhase,
)
from tos.core.models import (
    Container,
    ContainerVisit,
    Hold,
    Organisation,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)

DEMO_TERMINAL_CODE = "DCT"
DEMO_TERMINAL = {
    "name": "Delta Container Terminal",
    "locode": "NLRTM",
    "code": DEMO_TERMINAL_CODE,
    "timezone": "Europe/Amsterdam",
}
#: The one password of every demo user (printed by ``seed_demo`` and ``serve``, in the README).
DEMO_PASSWORD = "tos-demo-2026"  # noqa: S105 (published on purpose; seed_demo refuses production)
DEFAULT_SEED = 7
UNIT_COUNT = 8000
QUAY_LENGTH_M = 1200
HOME_PORT = "NLRTM"

# --- reference data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineSpec:
    """A shipping line of the demo, its agent, its container prefixes and reference formats."""

    code: str
    name: str
    scac: str
    prefixes: tuple[str, ...]
    agent_code: str
    agent_name: str
    username: str
    share: float
    partners: tuple[str, ...] = ()
    booking_format: tuple[str, int] = ("", 9)
    bl_prefix: str = ""
    seal_prefix: str = ""


LINES: tuple[LineSpec, ...] = (
    LineSpec(
        "MSC",
        "MSC Mediterranean Shipping Company",
        "MSCU",
        ("MSCU", "MEDU", "MSDU"),
        "MSCAG",
        "MSC Nederland B.V.",
        "agent_msc",
        0.22,
        booking_format=("EBKG", 8),
        bl_prefix="MEDU",
        seal_prefix="FX",
    ),
    LineSpec(
        "MAEU",
        "Maersk A/S",
        "MAEU",
        ("MAEU", "MSKU", "MRKU", "MNBU"),
        "MAEUAG",
        "Maersk Nederland B.V.",
        "agent_maeu",
        0.20,
        partners=("HLC",),
        booking_format=("", 9),
        bl_prefix="MAEU",
        seal_prefix="ML-NL",
    ),
    LineSpec(
        "CMA",
        "CMA CGM",
        "CMDU",
        ("CMAU", "CGMU", "ECMU", "APZU"),
        "CMAAG",
        "CMA CGM Benelux N.V.",
        "agent_cma",
        0.17,
        partners=("COS",),
        booking_format=("NLR", 7),
        bl_prefix="CMDU",
        seal_prefix="F",
    ),
    LineSpec(
        "HLC",
        "Hapag-Lloyd",
        "HLCU",
        ("HLXU", "HLBU", "UACU"),
        "HLCAG",
        "Hapag-Lloyd Nederland B.V.",
        "agent_hlc",
        0.15,
        partners=("MAEU",),
        booking_format=("", 8),
        bl_prefix="HLCU",
        seal_prefix="HLD",
    ),
    LineSpec(
        "ONE",
        "Ocean Network Express",
        "ONEY",
        ("ONEU", "NYKU", "MOLU", "KKFU"),
        "ONEAG",
        "ONE Netherlands B.V.",
        "agent_one",
        0.14,
        booking_format=("RTMA", 8),
        bl_prefix="ONEY",
        seal_prefix="ONE",
    ),
    LineSpec(
        "COS",
        "COSCO Shipping Lines",
        "COSU",
        ("CSNU", "CBHU", "CCLU", "OOLU"),
        "COSAG",
        "COSCO Shipping Lines (Netherlands) B.V.",
        "agent_cos",
        0.12,
        partners=("CMA",),
        booking_format=("", 10),
        bl_prefix="COSU",
        seal_prefix="CSL",
    ),
)
LINES_BY_CODE = {line.code: line for line in LINES}
#: Container lessors: about a fifth of the boxes are leased (no owner line).
LESSOR_PREFIXES = ("TGHU", "TCLU", "TRHU", "SEGU", "CAIU", "FCIU", "BMOU", "TEMU")
OTHER_ORGANISATIONS = (
    (OrganisationKind.HAULIER, "RCT", "Rijnmond Container Transport B.V."),
    (OrganisationKind.CUSTOMS, "NLDOU", "Douane Rotterdam Rijnmond"),
)

#: (username, role, what the user sees) — the README and ``serve`` print this table.
DEMO_USERS: list[tuple[str, str, str]] = [
    ("planner", Role.PLANNER.value, "Everything; plans berths, yard and stowage"),
    ("operator", Role.OPERATOR.value, "Everything; work queues, moves and equipment"),
    ("gate", Role.GATE_CLERK.value, "Everything; gate lanes, appointments and truck visits"),
    ("customs", Role.CUSTOMS_OFFICER.value, "Everything; customs holds and inspections"),
    ("admin", Role.ADMIN.value, "Everything, plus /admin/ (superuser)"),
    *[
        (line.username, Role.AGENT.value, f"Only {line.code}'s units, bookings and vessel visits")
        for line in LINES
    ],
]
_AGENT_LINE = {line.username: line.code for line in LINES}

#: Trade → (ports of the rotation as UN/LOCODEs, voyage suffixes inbound/outbound): a ship from
#: Asia arrives westbound, one from America eastbound, feeders and South America north/south.
TRADES: dict[str, tuple[tuple[str, ...], tuple[str, str]]] = {
    "asia": (("CNSHA", "CNNGB", "CNYTN", "CNTAO", "SGSIN", "MYPKG", "KRPUS", "VNSGN"), ("W", "E")),
    "baltic": (("PLGDN", "FIHEL", "SEGOT", "DKAAR", "LTKLJ", "EETLL"), ("S", "N")),
    "nordic": (("NOOSL", "SEGOT", "IEDUB", "GBGRG", "DKCPH"), ("S", "N")),
    "transatlantic": (("USNYC", "USSAV", "USCHS", "USORF", "CAMTR"), ("E", "W")),
    "latam": (("BRSSZ", "BRPNG", "ARBUE", "UYMVD", "BRRIG"), ("N", "S")),
}


@dataclass(frozen=True)
class VesselSpec:
    name: str
    line: str
    loa_m: str
    beam_m: str
    max_draft_m: str
    teu_capacity: int
    flag: str
    service: str
    trade: str

    @property
    def ports(self) -> tuple[str, ...]:
        return TRADES[self.trade][0]

    @property
    def directions(self) -> tuple[str, str]:
        return TRADES[self.trade][1]


FLEET: tuple[VesselSpec, ...] = (
    VesselSpec("MSC AURELIA", "MSC", "399.9", "61.3", "16", 24000, "PA", "SWAN", "asia"),
    VesselSpec("MSC LEONORA", "MSC", "366", "51", "15.5", 14300, "LR", "SAMBA", "latam"),
    VesselSpec("MSC IRENE F", "MSC", "172", "27.4", "9.5", 1700, "LR", "BALTIC LOOP", "baltic"),
    VesselSpec("MAERSK HALDEN", "MAEU", "399", "59", "16", 18300, "DK", "AE7", "asia"),
    VesselSpec("MAERSK LANTAU", "MAEU", "300", "48.2", "14.5", 9000, "SG", "TA2", "transatlantic"),
    VesselSpec("CMA CGM ADRIATIC", "CMA", "366", "51", "15.5", 15000, "MT", "FAL1", "asia"),
    VesselSpec("CMA CGM ELBE", "CMA", "200", "32.2", "11", 2500, "MT", "BALT1", "baltic"),
    VesselSpec("BERLIN EXPRESS", "HLC", "368", "51", "15.5", 15000, "DE", "FE2", "asia"),
    VesselSpec("RHEIN EXPRESS", "HLC", "260", "40", "13", 4500, "DE", "AL5", "transatlantic"),
    VesselSpec("ONE AQUILA", "ONE", "364", "50.6", "15.8", 14000, "SG", "FE3", "asia"),
    VesselSpec("ONE HARBOUR", "ONE", "210", "32.3", "11.5", 2700, "PA", "NORDIC", "nordic"),
    VesselSpec("COSCO SHIPPING VIRGO", "COS", "400", "58.6", "16", 20000, "HK", "AEU3", "asia"),
)
_CALL_SIGN_PREFIX = {
    "PA": "3E",
    "LR": "D5",
    "DK": "OZ",
    "SG": "9V",
    "MT": "9H",
    "DE": "DD",
    "HK": "VR",
}

#: (name, start, end, depth) along the one quay.
BERTH_SECTIONS = (
    ("North deep-sea", 0, 400, "17.0"),
    ("Central", 400, 750, "16.0"),
    ("South", 750, 1000, "16.0"),
    ("Feeder", 1000, 1200, "14.0"),
)
GATE_LANES = (
    ("IN-1", "in", True),
    ("IN-2", "in", True),
    ("IN-3", "in", True),
    ("IN-4", "in", True),
    ("OUT-1", "out", True),
    ("OUT-2", "out", True),
    ("OUT-3", "out", True),
    ("SPECIAL", "both", False),
)

#: ISO size-type → (tare range kg, max gross kg).
CONTAINER_TYPES: dict[str, tuple[tuple[int, int], int]] = {
    "22G1": ((2150, 2350), 30480),
    "25G1": ((2300, 2450), 30480),
    "42G1": ((3650, 3850), 30480),
    "45G1": ((3800, 4050), 32500),
    "L5G1": ((4600, 4900), 32500),
    "22U1": ((2200, 2400), 30480),
    "42U1": ((3800, 4100), 30480),
    "22R1": ((2950, 3150), 30480),
    "45R1": ((4450, 4800), 34000),
    "22T6": ((3400, 3900), 36000),
}
DRY_MIX = (
    ("22G1", 33),
    ("25G1", 1),
    ("42G1", 16),
    ("45G1", 44),
    ("L5G1", 4),
    ("22U1", 1),
    ("42U1", 1),
)
REEFER_MIX = (("45R1", 85), ("22R1", 15))
DANGEROUS_MIX = (("22G1", 40), ("42G1", 12), ("45G1", 23), ("22T6", 25))
EMPTY_MIX = (("22G1", 38), ("42G1", 14), ("45G1", 48))
#: Share of full units (import, export, transhipment) that are live reefers / dangerous goods.
REEFER_SHARE = 0.125
DANGEROUS_SHARE = 0.036
#: (set point °C, weight): frozen meat and fish, chilled fruit, bananas at 13.3 °C.
REEFER_SETPOINTS = (
    ("-25.0", 6), ("-20.0", 8), ("-18.0", 24), ("-60.0", 2), ("-1.0", 6), ("0.5", 8),
    ("2.0", 10), ("4.0", 10), ("6.5", 8), ("8.0", 6), ("13.3", 12),
)  # fmt: skip
#: (IMDG class, UN number, weight, liquid).
DANGEROUS_CARGO = (
    ("3", "1263", 18, True), ("3", "1993", 12, True), ("3", "1866", 6, True),
    ("2.1", "1950", 10, False), ("8", "1760", 8, True), ("8", "1789", 4, True),
    ("9", "3480", 12, False), ("9", "3077", 8, False), ("9", "3082", 8, True),
    ("6.1", "2810", 4, True), ("5.1", "1479", 3, False), ("4.1", "1325", 3, False),
    ("2.2", "1066", 2, False), ("1.4", "0336", 2, False),
)  # fmt: skip
#: Segregation zones of the dangerous-goods block: (name, first bay, last bay, IMDG classes).
#: Bays are odd ground bays on 40' pair boundaries; "3" admits class 3, "2" all of 2.x.
DG_ZONES = (
    ("FLAM", 1, 23, ("2", "3", "4")),
    ("TOXCOR", 25, 39, ("6", "8")),
    ("OTHER", 41, 59, ("1", "5", "9")),
)


def dg_zone_for(imdg_class: str) -> str | None:
    """The demo zone that admits ``imdg_class``."""
    for name, _first, _last, classes in DG_ZONES:
        if imdg_class in classes or imdg_class.split(".", 1)[0] in classes:
            return name
    return None


@cache
def size_type(code: str) -> codes.SizeType:
    return codes.decode_size_type(code)


# --- the plan ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockPlan:
    name: str
    kind: str
    equipment: str
    bays: int
    rows: int
    max_tier: int
    reefer_plugs_per_row: int
    x_m: int
    y_m: int


@dataclass(frozen=True)
class CranePlan:
    name: str
    rail_order: int
    min_position_m: int
    max_position_m: int
    outreach_rows: int
    gross_moves_per_hour: int


@dataclass(frozen=True)
class VesselPlan:
    imo: str
    spec: VesselSpec
    call_sign: str


@dataclass
class VisitPlan:
    """A vessel visit; ``vessel`` is an index into ``DemoPlan.vessels``."""

    vessel: int
    line: str
    reference: str
    inbound_voyage: str
    outbound_voyage: str
    service: str
    eta: datetime
    etb: datetime | None
    etd: datetime
    ata: datetime | None
    phase: str
    expected_discharge_moves: int
    expected_load_moves: int
    #: Planning helpers (not stored): ports, share of discharge already done, known moves.
    ports: tuple[str, ...] = ()
    feeder: bool = False
    discharged_share: float = 0.0
    discharge_known: int = 0
    load_known: int = 0


@dataclass
class UnitPlan:
    """A container and its visit; ``*_visit`` fields are indexes into ``DemoPlan.visits``."""

    number: str
    iso_type: str
    tare_kg: int
    max_gross_kg: int
    owner_line: str | None
    category: str
    state: str
    line: str
    inbound_visit: int | None = None
    outbound_visit: int | None = None
    gross_weight_kg: int | None = None
    vgm_kg: int | None = None
    seals: list[str] = field(default_factory=list)
    reefer_setpoint_c: Decimal | None = None
    imdg_class: str = ""
    un_number: str = ""
    pol: str = ""
    pod: str = ""
    booking_ref: str = ""
    bl_ref: str = ""
    position_kind: str = PositionKind.NONE
    position_ref: str = ""
    position_visit: int | None = None
    time_in: datetime | None = None

    @property
    def length_ft(self) -> int:
        return size_type(self.iso_type).length_ft

    @property
    def is_reefer(self) -> bool:
        return size_type(self.iso_type).is_reefer

    @property
    def yard_kind(self) -> str:
        """The kind of yard block this unit belongs in."""
        if self.category == UnitCategory.EMPTY:
            return "empty"
        if self.is_reefer:
            return "reefer"
        if self.imdg_class:
            return "dangerous"
        return "dry"


@dataclass(frozen=True)
class HoldPlan:
    """A hold on ``DemoPlan.units[unit]``, applied (and maybe released) by demo usernames."""

    unit: int
    kind: str
    blocks: tuple[str, ...]
    reason: str
    reference: str
    applied_by: str
    applied_at: datetime
    released_by: str = ""
    released_at: datetime | None = None
    release_note: str = ""


@dataclass
class DemoPlan:
    seed: int
    now: datetime
    blocks: list[BlockPlan]
    cranes: list[CranePlan]
    vessels: list[VesselPlan]
    visits: list[VisitPlan]
    units: list[UnitPlan]
    holds: list[HoldPlan]


@dataclass(frozen=True)
class DemoSummary:
    """What ``demo_seed`` did: ``created`` is False when the demo terminal was already there."""

    created: bool
    terminal_code: str
    seed: int | None = None
    counts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    skipped_users: tuple[str, ...] = ()


# --- pure generators --------------------------------------------------------------------------


def _rng(seed: int, stream: str) -> random.Random:
    """An independent, reproducible random stream per aspect (string seeds hash stably)."""
    return random.Random(f"tos-demo:{seed}:{stream}")


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, ...]]) -> Any:
    """Choose the first element of one of ``(value, weight, ...)`` tuples by weight."""
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _floor(moment: datetime, minutes: int = 15) -> datetime:
    return moment - timedelta(
        minutes=moment.minute % minutes, seconds=moment.second, microseconds=moment.microsecond
    )


def yard_ref(block: str, bay: int, row: int, tier: int) -> str:
    return f"{block}.{bay:02d}.{row}.{tier}"


def parse_yard_ref(ref: str) -> tuple[str, int, int, int]:
    block, bay, row, tier = ref.split(".")
    return block, int(bay), int(row), int(tier)


def yard_ground_bays(bay: int) -> tuple[int, ...]:
    """The odd (20') bays a box in ``bay`` stands on: itself, or both neighbours of an even bay."""
    return (bay - 1, bay + 1) if bay % 2 == 0 else (bay,)


def container_numbers(rng: random.Random, prefix: str, count: int, taken: set[str]) -> list[str]:
    """``count`` new ISO 6346 numbers with this owner prefix (``taken`` is updated)."""
    numbers = []
    while len(numbers) < count:
        serial = f"{rng.randrange(1_000_000):06d}"
        number = f"{prefix}{serial}{codes.container_check_digit(prefix + serial)}"
        if number not in taken:
            taken.add(number)
            numbers.append(number)
    return numbers


def imo_number(rng: random.Random, taken: set[str]) -> str:
    """A new IMO number of a ship built after 1990 (9xxxxxx), check digit included."""
    while True:
        first = f"9{rng.randrange(300_00, 999_99):05d}"
        number = f"{first}{codes.imo_check_digit(first)}"
        if number not in taken:
            taken.add(number)
            return number


def build_quay_cranes(rng: random.Random) -> list[CranePlan]:
    """Eight STS cranes on 1,200 m of rail, home positions 150 m apart; each works 225 m either
    side of its home, so neighbours' ranges overlap. The deep-sea end has the newer, faster
    cranes with the longer outreach."""
    cranes = []
    for order in range(1, 9):
        home = 75 + (order - 1) * 150
        deep_sea = home < 1000
        cranes.append(
            CranePlan(
                name=f"QC{order:02d}",
                rail_order=order,
                min_position_m=max(0, home - 225),
                max_position_m=min(QUAY_LENGTH_M, home + 225),
                outreach_rows=24 if home < 750 else (22 if deep_sea else 20),
                gross_moves_per_hour=rng.randint(28, 32) if deep_sea else rng.randint(25, 27),
            )
        )
    return cranes


def build_yard() -> list[BlockPlan]:
    """Twenty blocks in five rows of four behind the quay (x along the quay, y landwards):
    thirteen dry RTG blocks, three reefer blocks, three reach-stacker empties blocks by the gate
    and one DG block in the far corner."""
    layout = {
        "A": [("dry", 36, 6, 5)] * 4,
        "B": [("dry", 36, 6, 5)] * 4,
        "C": [("dry", 32, 6, 5)] * 4,
        "D": [("dry", 30, 6, 4), ("reefer", 30, 6, 4), ("reefer", 30, 6, 4), ("reefer", 30, 6, 4)],
        "E": [
            ("empty", 36, 6, 6),
            ("empty", 36, 6, 6),
            ("empty", 32, 6, 6),
            ("dangerous", 30, 6, 3),
        ],
    }
    equipment = {"dry": "rtg", "reefer": "rtg", "dangerous": "rtg", "empty": "reach_stacker"}
    blocks = []
    for row_index, (letter, row) in enumerate(layout.items()):
        for col, (kind, bays, rows, tiers) in enumerate(row):
            blocks.append(
                BlockPlan(
                    name=f"{letter}{col + 1:02d}",
                    kind=kind,
                    equipment=equipment[kind],
                    bays=bays,
                    rows=rows,
                    max_tier=tiers,
                    # one plug per 20' slot of a row (dual plugs serve a 40' reefer too)
                    reefer_plugs_per_row=bays * tiers if kind == "reefer" else 0,
                    x_m=40 + col * 290,
                    y_m=90 + row_index * 50,
                )
            )
    return blocks


def build_fleet(rng: random.Random, taken_imos: set[str]) -> list[VesselPlan]:
    vessels = []
    for spec in FLEET:
        call_sign = _CALL_SIGN_PREFIX[spec.flag] + "".join(
            rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(3)
        )
        vessels.append(VesselPlan(imo=imo_number(rng, taken_imos), spec=spec, call_sign=call_sign))
    return vessels


def _stay_hours(loa: float) -> float:
    """Port stay from 18 h (150 m feeder) to 48 h (400 m ULCV)."""
    return 18 + max(0.0, min(1.0, (loa - 150) / 250)) * 30


def _visit_reference(line: str, eta: datetime, taken: set[str]) -> str:
    year, week, _ = eta.isocalendar()
    for letter in "ABCDEFGHJK":
        reference = f"{line}-{year % 100:02d}{week:02d}{letter}"
        if reference not in taken:
            taken.add(reference)
            return reference
    raise RuntimeError(f"more than ten {line} visits in week {week}")


def build_schedule(
    rng: random.Random, now: datetime, vessels: list[VesselPlan], unit_count: int
) -> list[VisitPlan]:
    """One visit per vessel: three in port now (two working, one just arrived, fitting on the
    quay together), nine arriving over the next seven days. Expected moves follow the size; the
    known moves (BAPLIE received, load list so far) are scaled to leave room for yard stock."""
    order = list(range(len(vessels)))
    rng.shuffle(order)
    in_port: list[int] = []
    for i in order:
        lengths = [float(vessels[j].spec.loa_m) for j in [*in_port, i]]
        if len(in_port) < 3 and sum(lengths) + 40 * len(lengths) <= QUAY_LENGTH_M:
            in_port.append(i)
    arriving = [i for i in order if i not in in_port]
    visits: list[VisitPlan] = []
    references: set[str] = set()
    slot_hours = 168 / len(arriving)
    schedule = [(i, "in_port", k) for k, i in enumerate(in_port)] + [
        (i, "arriving", k) for k, i in enumerate(arriving)
    ]
    for i, where, k in schedule:
        spec = vessels[i].spec
        loa = float(spec.loa_m)
        hours = min(48.0, max(18.0, _stay_hours(loa) + rng.uniform(-2, 2)))
        stay = timedelta(minutes=15 * round(hours * 4))
        ata = None
        discharged = 0.0
        if where == "in_port" and k < 2:
            phase = VisitPhase.WORKING
            eta = _floor(now - stay * (rng.uniform(0.45, 0.6) if k == 0 else rng.uniform(0.2, 0.3)))
            ata = min(_floor(eta + timedelta(hours=rng.uniform(-1, 1))), now - timedelta(hours=3))
            etb = max(eta, ata) + timedelta(minutes=rng.choice([30, 45, 60, 90]))
            discharged = rng.uniform(0.6, 0.8) if k == 0 else rng.uniform(0.2, 0.35)
        elif where == "in_port":
            phase = VisitPhase.ARRIVED
            eta = _floor(now - timedelta(hours=rng.uniform(1, 3)))
            ata = min(_floor(eta + timedelta(minutes=rng.uniform(-30, 30))), now)
            etb = _floor(now + timedelta(hours=rng.uniform(1, 3)))
        else:
            eta = _floor(now + timedelta(hours=(k + rng.uniform(0.15, 0.85)) * slot_hours))
            etb = eta + timedelta(minutes=rng.choice([0, 30, 60, 120, 180]))
            phase = VisitPhase.INBOUND if eta - now <= timedelta(hours=24) else VisitPhase.PLANNED
        etd = eta + stay
        feeder = loa < 230
        exchange = (0.35, 0.55) if feeder else (0.045, 0.075)
        teu_per_box = 1.5 if feeder else 1.65
        year, week, _ = eta.isocalendar()
        voyage = f"{year % 10}{week:02d}"
        visits.append(
            VisitPlan(
                vessel=i,
                line=spec.line,
                reference=_visit_reference(spec.line, eta, references),
                inbound_voyage=f"{voyage}{spec.directions[0]}",
                outbound_voyage=f"{voyage}{spec.directions[1]}",
                service=spec.service,
                eta=eta,
                etb=etb,
                etd=etd,
                ata=ata,
                phase=phase,
                expected_discharge_moves=round(
                    spec.teu_capacity * rng.uniform(*exchange) / teu_per_box
                ),
                expected_load_moves=round(spec.teu_capacity * rng.uniform(*exchange) / teu_per_box),
                ports=spec.ports,
                feeder=feeder,
                discharged_share=discharged,
            )
        )
    _size_known_moves(visits, now, unit_count)
    return visits


def _load_known_share(visit: VisitPlan, now: datetime) -> float:
    if visit.ata is not None:
        return 1.0
    hours = (visit.eta - now) / timedelta(hours=1)
    return 0.9 if hours <= 48 else 0.6 if hours <= 96 else 0.3


def _size_known_moves(visits: list[VisitPlan], now: datetime, unit_count: int) -> None:
    """Known discharge: the whole call once the BAPLIE is in (in port, or due within 36 h);
    known load: the load list so far. Both are scaled (with the expected moves) so that they take
    about 70 % of the units and the rest is yard stock from earlier calls."""

    def known(visit: VisitPlan) -> tuple[int, int]:
        baplie = visit.ata is not None or visit.eta - now <= timedelta(hours=36)
        discharge = visit.expected_discharge_moves if baplie else 0
        return discharge, round(visit.expected_load_moves * _load_known_share(visit, now))

    total = sum(sum(known(v)) for v in visits)
    limit = 0.7 * unit_count
    if total > limit:
        factor = limit / total
        for visit in visits:
            visit.expected_discharge_moves = round(visit.expected_discharge_moves * factor)
            visit.expected_load_moves = round(visit.expected_load_moves * factor)
    for visit in visits:
        visit.discharge_known, visit.load_known = known(visit)


class _References:
    """Bookings and bills of lading shared by a few boxes each, in each line's number format."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.open: dict[tuple, tuple[str, int]] = {}
        self.used: set[str] = set()

    def _new(self, kind: str, line: LineSpec) -> str:
        while True:
            if kind == "booking":
                prefix, digits = line.booking_format
            else:
                prefix, digits = line.bl_prefix, 9
            ref = f"{prefix}{self.rng.randrange(10 ** (digits - 1), 10**digits)}"
            if ref not in self.used:
                self.used.add(ref)
                return ref

    def take(self, kind: str, line: LineSpec, *key: Any) -> str:
        group = (kind, line.code, *key)
        ref, left = self.open.get(group, ("", 0))
        if left <= 0:
            ref, left = self._new(kind, line), self.rng.choice([1, 1, 1, 2, 2, 3, 4, 5, 6, 10])
        self.open[group] = (ref, left - 1)
        return ref


class _UnitFactory:
    """Makes one unit plan at a time: container (number, type, tare), cargo, weights, refs."""

    def __init__(self, rng: random.Random, taken_numbers: set[str]) -> None:
        self.rng = rng
        self.taken = taken_numbers
        self.refs = _References(rng)

    def _number(self, line: LineSpec) -> tuple[str, str | None]:
        """A number of one of the line's prefixes, or (one box in five) a lessor's."""
        leased = self.rng.random() < 0.2
        prefix = self.rng.choice(LESSOR_PREFIXES if leased else line.prefixes)
        number = container_numbers(self.rng, prefix, 1, self.taken)[0]
        return number, None if leased else line.code

    def _weight(self, unit: UnitPlan, liquid: bool) -> int:
        st = size_type(unit.iso_type)
        if st.type_group == "T":
            low, high, mode = 9000, 34000, 26000
        elif st.is_reefer:
            low, high, mode = (12000, 27000, 24000) if st.length_ft == 20 else (14000, 32000, 27500)
        elif st.length_ft == 20:
            low, high, mode = 4000, 28000, 19000
        else:
            low, high, mode = 5000, 28500, 12000
        if liquid and st.type_group != "T":
            low, mode = max(low, 12000), max(mode, 18000)
        gross = round(self.rng.triangular(low, high, mode), -1)
        return int(min(unit.max_gross_kg, max(unit.tare_kg + 800, gross)))

    def make(self, *, line: str, category: str, state: str, full: bool = True) -> UnitPlan:
        rng = self.rng
        spec = LINES_BY_CODE[line]
        reefer = dangerous = False
        if full and category != UnitCategory.STORAGE:
            draw = rng.random()
            reefer = draw < REEFER_SHARE
            dangerous = not reefer and draw < REEFER_SHARE + DANGEROUS_SHARE
        if not full:
            mix = EMPTY_MIX
        elif reefer:
            mix = REEFER_MIX
        elif dangerous:
            mix = DANGEROUS_MIX
        else:
            mix = DRY_MIX
        iso_type = _pick(rng, mix)
        (tare_low, tare_high), max_gross = CONTAINER_TYPES[iso_type]
        number, owner = self._number(spec)
        unit = UnitPlan(
            number=number,
            iso_type=iso_type,
            tare_kg=round(rng.randint(tare_low, tare_high), -1),
            max_gross_kg=max_gross,
            owner_line=owner,
            category=category,
            state=state,
            line=line,
        )
        liquid = False
        if dangerous:
            cargo = [c for c in DANGEROUS_CARGO if c[3]] if iso_type == "22T6" else DANGEROUS_CARGO
            unit.imdg_class, unit.un_number, _, liquid = rng.choices(
                cargo, weights=[c[2] for c in cargo]
            )[0]
        if reefer:
            unit.reefer_setpoint_c = Decimal(_pick(rng, REEFER_SETPOINTS))
        if full:
            unit.gross_weight_kg = self._weight(unit, liquid)
            unit.seals = [f"{spec.seal_prefix}{rng.randrange(1_000_000, 10_000_000)}"]
        else:
            unit.gross_weight_kg = unit.tare_kg
        unit.vgm_kg = unit.gross_weight_kg
        return unit


def _visit_line(rng: random.Random, visit: VisitPlan) -> str:
    """Most boxes on a ship are its operator's; a quarter are a vessel-sharing partner's."""
    partners = LINES_BY_CODE[visit.line].partners
    if partners and rng.random() < 0.25:
        return rng.choice(partners)
    return visit.line


def _share_line(rng: random.Random) -> str:
    return rng.choices([line.code for line in LINES], weights=[line.share for line in LINES])[0]


def _dwell_in(rng: random.Random, now: datetime, low_days: float, high_days: float) -> datetime:
    days = min(14.0, rng.uniform(low_days, high_days))
    return (now - timedelta(days=days)).replace(second=0, microsecond=0)


def build_units(
    rng: random.Random,
    now: datetime,
    visits: list[VisitPlan],
    unit_count: int,
    taken_numbers: set[str],
) -> list[UnitPlan]:
    """Discharge lists of the visits (imports, transhipments, empties), their load lists (exports,
    transhipments, empties for repositioning) and the yard stock of earlier calls."""
    make = _UnitFactory(rng, taken_numbers)
    units: list[UnitPlan] = []
    all_origins = sorted({p for v in visits for p in v.ports})

    def later_visit(after: VisitPlan) -> int | None:
        candidates = [
            (j, 4 if v.feeder else 1)
            for j, v in enumerate(visits)
            if v.eta > after.eta + timedelta(hours=12)
        ]
        return _pick(rng, candidates) if candidates else None

    # 1. What the visits bring: on board (inbound) or, for working ships, already in the yard.
    for index, visit in enumerate(visits):
        discharged = round(visit.discharge_known * visit.discharged_share)
        for k in range(visit.discharge_known):
            category = _pick(
                rng,
                [
                    (UnitCategory.IMPORT, 66),
                    (UnitCategory.TRANSHIPMENT, 20),
                    (UnitCategory.EMPTY, 14),
                ],
            )
            on_terminal = k < discharged
            unit = make.make(
                line=_visit_line(rng, visit),
                category=category,
                state=UnitState.ON_TERMINAL if on_terminal else UnitState.INBOUND,
                full=category != UnitCategory.EMPTY,
            )
            unit.inbound_visit = index
            unit.pol = rng.choice(visit.ports)
            line = LINES_BY_CODE[unit.line]
            if category == UnitCategory.TRANSHIPMENT:
                unit.outbound_visit = later_visit(visit)
                target = visits[unit.outbound_visit] if unit.outbound_visit is not None else None
                unit.pod = rng.choice(target.ports) if target else rng.choice(TRADES["baltic"][0])
            else:
                unit.pod = HOME_PORT
            if category == UnitCategory.IMPORT:
                unit.bl_ref = make.refs.take("bl", line, index, unit.pol)
            if on_terminal:  # discharged since the ship berthed
                berthed = visit.etb or visit.eta
                unit.time_in = (berthed + (now - berthed) * rng.random()).replace(
                    second=0, microsecond=0
                )
            units.append(unit)

    # 2. What the visits take: the load list known so far.
    for index, visit in enumerate(visits):
        share_in_yard = 1.0 if visit.ata is not None else _load_known_share(visit, now) * 0.95
        window_open = max(now - timedelta(days=6), visit.eta - timedelta(days=7))
        for _ in range(visit.load_known):
            category = _pick(
                rng,
                [
                    (UnitCategory.EXPORT, 66),
                    (UnitCategory.TRANSHIPMENT, 20),
                    (UnitCategory.EMPTY, 14),
                ],
            )
            line_code = _visit_line(rng, visit)
            line = LINES_BY_CODE[line_code]
            in_yard = category != UnitCategory.EXPORT or rng.random() < share_in_yard
            unit = make.make(
                line=line_code,
                category=category,
                state=UnitState.ON_TERMINAL if in_yard else UnitState.ADVISED,
                full=category != UnitCategory.EMPTY,
            )
            unit.outbound_visit = index
            unit.pod = rng.choice(visit.ports)
            if category == UnitCategory.EXPORT:
                unit.pol = HOME_PORT
                unit.booking_ref = make.refs.take("booking", line, index, unit.pod)
                if in_yard:
                    hours = max(0.5, (now - window_open) / timedelta(hours=1))
                    unit.time_in = (now - timedelta(hours=rng.uniform(0.5, hours))).replace(
                        second=0, microsecond=0
                    )
                    unit.vgm_kg = int(round(unit.gross_weight_kg * rng.uniform(0.985, 1.015), -1))
                    unit.vgm_kg = min(unit.max_gross_kg, max(unit.tare_kg + 500, unit.vgm_kg))
                elif rng.random() < 0.15:
                    unit.vgm_kg = None  # no VGM yet: it will not be loaded until it has one
            elif category == UnitCategory.TRANSHIPMENT:
                unit.pol = rng.choice(
                    [p for p in all_origins if p not in visit.ports] or TRADES["asia"][0]
                )
                unit.time_in = _dwell_in(rng, now, 0.5, 9)
            else:
                unit.pol = HOME_PORT
                unit.time_in = _dwell_in(rng, now, 0.5, 10)
            units.append(unit)

    # 3. Yard stock of earlier calls: imports waiting for pick-up, depot empties, storage.
    while len(units) < unit_count:
        category = _pick(
            rng, [(UnitCategory.IMPORT, 68), (UnitCategory.EMPTY, 24), (UnitCategory.STORAGE, 8)]
        )
        line_code = _share_line(rng)
        unit = make.make(
            line=line_code,
            category=category,
            state=UnitState.ON_TERMINAL,
            full=category != UnitCategory.EMPTY,
        )
        if category == UnitCategory.IMPORT:
            unit.pol, unit.pod = rng.choice(all_origins), HOME_PORT
            unit.bl_ref = make.refs.take("bl", LINES_BY_CODE[line_code], "stock", unit.pol)
            unit.time_in = _dwell_in(rng, now, 0.2, rng.expovariate(1 / 4) + 0.5)
        elif category == UnitCategory.EMPTY:
            unit.time_in = _dwell_in(rng, now, 0.1, 14)
        else:
            unit.time_in = _dwell_in(rng, now, 2, 14)
        units.append(unit)
    return units


def _vessel_geometry(spec: VesselSpec) -> tuple[int, list[int], list[int], list[int]]:
    """(40' bay groups, row numbers, hold tiers, deck tiers) of a ship from its dimensions."""
    groups = int(float(spec.loa_m) * 0.85 / 13.5)
    rows = max(5, round(float(spec.beam_m) / 2.55))
    row_numbers = ([0] if rows % 2 else []) + list(range(1, rows - (rows % 2) + 1))
    hold = max(4, min(11, round(float(spec.max_draft_m) * 0.7)))
    deck = 4 + 2 * (spec.teu_capacity > 5000) + 2 * (spec.teu_capacity > 14000)
    return (
        groups,
        row_numbers,
        [2 * t for t in range(1, hold + 1)],
        [80 + 2 * t for t in range(1, deck + 1)],
    )


def assign_vessel_cells(
    rng: random.Random, vessels: list[VesselPlan], visits: list[VisitPlan], units: list[UnitPlan]
) -> None:
    """Give every unit still on board a free ``BBBRRTT`` cell of its ship (45' on deck)."""
    aboard: dict[int, list[UnitPlan]] = {}
    for unit in units:
        if unit.state == UnitState.INBOUND:
            aboard.setdefault(unit.inbound_visit or 0, []).append(unit)
    for index, on_board in sorted(aboard.items()):
        groups, row_numbers, hold_tiers, deck_tiers = _vessel_geometry(
            vessels[visits[index].vessel].spec
        )
        pools = {
            "deck": [(g, r, t) for g in range(groups) for r in row_numbers for t in deck_tiers],
            "hold": [(g, r, t) for g in range(groups) for r in row_numbers for t in hold_tiers],
        }
        for pool in pools.values():
            rng.shuffle(pool)
        # a 40' cell pair of which one 20' half is taken, per pool
        half_used: dict[str, tuple[int, int, int] | None] = {"deck": None, "hold": None}
        for unit in sorted(on_board, key=lambda u: u.length_ft != 45):
            where = "deck" if unit.length_ft == 45 or rng.random() < 0.55 else "hold"
            half = half_used[where]
            if unit.length_ft == 20 and half is not None:
                group, row, tier = half
                bay, half_used[where] = 4 * group + 3, None
            else:
                if not pools[where] and unit.length_ft != 45:
                    where = "hold" if where == "deck" else "deck"
                if not pools[where]:
                    raise RuntimeError(f"visit {visits[index].reference} has no free {where} cell")
                group, row, tier = pools[where].pop()
                if unit.length_ft == 20:
                    bay, half_used[where] = 4 * group + 1, (group, row, tier)
                else:
                    bay = 4 * group + 2
            unit.position_kind = PositionKind.VESSEL
            unit.position_visit = index
            unit.position_ref = f"{bay:03d}{row:02d}{tier:02d}"


def _stack_height(rng: random.Random, max_tier: int) -> int:
    """Working stacks are mostly full or one short of full (a free tier eases digging)."""
    weights = [1.0] * max_tier
    for below_top, weight in enumerate((8.0, 7.0, 3.0)):
        if below_top < max_tier:
            weights[max_tier - 1 - below_top] = weight
    return rng.choices(range(1, max_tier + 1), weights=weights)[0]


class _BlockStacker:
    """Free ground slots of one block, taken in a shuffled order of 40' bay pairs."""

    def __init__(
        self, rng: random.Random, block: BlockPlan, bays: tuple[int, int] | None = None
    ) -> None:
        self.rng = rng
        self.block = block
        pairs = [
            pair
            for pair in range(block.bays // 2)
            if bays is None or (bays[0] <= 4 * pair + 1 and 4 * pair + 3 <= bays[1])
        ]
        rng.shuffle(pairs)
        self.free = deque((pair, row) for pair in pairs for row in range(1, block.rows + 1))

    def fill(self, queue: deque[UnitPlan]) -> deque[UnitPlan]:
        """Stack units from ``queue`` (in order, so that neighbours share a vessel or POD) on free
        ground slots; a slot holds one 40' stack or two 20' stacks. Return what did not fit."""
        rng, block = self.rng, self.block
        twenty = deque(u for u in queue if u.length_ft == 20)
        forty = deque(u for u in queue if u.length_ft != 20)
        while self.free and (twenty or forty):
            pair, row = self.free.popleft()
            if forty and rng.random() < len(forty) / (len(forty) + len(twenty) / 2):
                for tier in range(1, _stack_height(rng, block.max_tier) + 1):
                    if not forty:
                        break
                    unit = forty.popleft()
                    unit.position_ref = yard_ref(block.name, 4 * pair + 2, row, tier)
            else:
                for bay in (4 * pair + 1, 4 * pair + 3):
                    for tier in range(1, _stack_height(rng, block.max_tier) + 1):
                        if not twenty:
                            break
                        unit = twenty.popleft()
                        unit.position_ref = yard_ref(block.name, bay, row, tier)
        return twenty + forty


def _yard_sort_key(unit: UnitPlan) -> tuple:
    """Exports by vessel and POD, imports by vessel and line, heavy boxes together."""
    return (
        unit.category,
        -1 if unit.outbound_visit is None else unit.outbound_visit,
        unit.pod,
        -1 if unit.inbound_visit is None else unit.inbound_visit,
        unit.line,
        (unit.gross_weight_kg or 0) // 5000,
    )


def assign_yard_slots(rng: random.Random, blocks: list[BlockPlan], units: list[UnitPlan]) -> None:
    """Put every on-terminal unit in a block of its kind (reefers on plugs, DG apart, empties with
    the reach stackers): blocks get shares of different size, stacks grow from tier 1; what a
    block cannot take goes to the next one of its kind."""
    by_kind: dict[str, list[UnitPlan]] = {}
    for unit in units:
        if unit.state == UnitState.ON_TERMINAL:
            by_kind.setdefault(unit.yard_kind, []).append(unit)
            unit.position_kind = PositionKind.YARD
    for kind, todo in sorted(by_kind.items()):
        if kind == "dangerous":
            _assign_dangerous(rng, [b for b in blocks if b.kind == kind], todo)
            continue
        stackers = [_BlockStacker(rng, b) for b in blocks if b.kind == kind]
        todo.sort(key=_yard_sort_key)
        weights = [
            s.block.bays * s.block.rows * s.block.max_tier * rng.uniform(0.55, 1.0)
            for s in stackers
        ]
        carry: deque[UnitPlan] = deque()
        start = 0
        for stacker, weight in zip(stackers, weights, strict=True):
            end = start + round(len(todo) * weight / sum(weights))
            carry = stacker.fill(carry + deque(todo[start:end]))
            start = end
        carry += deque(todo[start:])
        for stacker in stackers:
            carry = stacker.fill(carry)
        if carry:
            raise RuntimeError(f"the demo yard has no room for {len(carry)} {kind} units")


def _assign_dangerous(rng: random.Random, blocks: list[BlockPlan], todo: list[UnitPlan]) -> None:
    """Dangerous goods stand in the segregation zone of their class (:data:`DG_ZONES`)."""
    todo.sort(key=_yard_sort_key)
    for name, first, last, _classes in DG_ZONES:
        carry = deque(u for u in todo if dg_zone_for(u.imdg_class) == name)
        for block in blocks:
            carry = _BlockStacker(rng, block, (first, last)).fill(carry)
        if carry:
            raise RuntimeError(f"the demo yard has no room for {len(carry)} units in zone {name}")


CUSTOMS_HOLD_REASONS = (
    ("Documentary check", 5),
    ("X-ray scan selected", 3),
    ("Physical inspection", 2),
)


def build_holds(rng: random.Random, now: datetime, units: list[UnitPlan]) -> list[HoldPlan]:
    """About 2 % of imports under an active customs hold (gate-out and rail delivery blocked),
    1 % released ones for the history, a few line holds on imports and exports, and two damage
    holds of the terminal."""
    holds: list[HoldPlan] = []
    mrn_serial = rng.randrange(10**9)

    def applied(unit: UnitPlan) -> datetime:
        since = unit.time_in or now - timedelta(hours=48)
        return (since + (now - since) * rng.random()).replace(second=0, microsecond=0)

    for index, unit in enumerate(units):
        if unit.category == UnitCategory.IMPORT and unit.state != UnitState.ADVISED:
            draw = rng.random()
            mrn_serial += 1
            mrn = f"{now.year % 100:02d}NL{mrn_serial:014d}"
            if draw < 0.02:
                reason = _pick(rng, CUSTOMS_HOLD_REASONS)
                holds.append(
                    HoldPlan(
                        index,
                        HoldKind.CUSTOMS,
                        ("gate_out", "delivery"),
                        reason,
                        mrn,
                        "customs",
                        applied(unit),
                    )
                )
            elif draw < 0.03 and unit.state == UnitState.ON_TERMINAL:
                at = applied(unit)
                holds.append(
                    HoldPlan(
                        index,
                        HoldKind.CUSTOMS,
                        ("gate_out", "delivery"),
                        "Documentary check",
                        mrn,
                        "customs",
                        at,
                        released_by="customs",
                        released_at=(at + (now - at) * rng.random()).replace(
                            second=0, microsecond=0
                        ),
                        release_note="Declaration cleared",
                    )
                )
            elif draw < 0.035 and unit.state == UnitState.ON_TERMINAL:
                holds.append(
                    HoldPlan(
                        index,
                        HoldKind.LINE,
                        ("gate_out",),
                        "Freight and charges outstanding",
                        unit.bl_ref,
                        LINES_BY_CODE[unit.line].username,
                        applied(unit),
                    )
                )
        elif (
            unit.category == UnitCategory.EXPORT
            and unit.state == UnitState.ON_TERMINAL
            and rng.random() < 0.003
        ):
            holds.append(
                HoldPlan(
                    index,
                    HoldKind.LINE,
                    ("loading",),
                    "Booking under review by the line",
                    unit.booking_ref,
                    LINES_BY_CODE[unit.line].username,
                    applied(unit),
                )
            )
    in_yard = [i for i, u in enumerate(units) if u.state == UnitState.ON_TERMINAL]
    for n, index in enumerate(rng.sample(in_yard, 2), start=1):
        holds.append(
            HoldPlan(
                index,
                HoldKind.TERMINAL,
                ("loading", "gate_out"),
                "Damage reported: survey before release",
                f"DMG-{now.year}-{n:04d}",
                "operator",
                applied(units[index]),
            )
        )
    return holds


# --- berth schedule (the berthing app's part of the demo) ---------------------------------------

#: Mooring clearance and crane spacing of the demo quay (the defaults of ``berthing.Quay``).
BERTH_CLEARANCE_M = 20
CRANE_SPACING_M = 50
#: Line berth terms: (line, weight per hour in port, weight per hour late, priority).
BERTH_TERMS = (
    ("MSC", 1, 4, "strategic"),
    ("MAEU", 1, 4, "strategic"),
    ("CMA", 1, 3, "priority"),
    ("COS", 1, 3, "priority"),
    ("HLC", 1, 3, "standard"),
    ("ONE", 1, 3, "standard"),
)


def _berth_sections_cm() -> list[tuple[str, int, int, int]]:
    return [(n, start, end, int(Decimal(depth) * 100)) for n, start, end, depth in BERTH_SECTIONS]


def _handling_time(visit: VisitPlan, spec: VesselSpec) -> timedelta:
    """A cautious time to work a call: its moves with at most three cranes of 25 moves an hour
    (other vessels share the cranes), 10 % lost to interference, plus a quarter for good
    measure."""
    from berthing.geometry import loa_whole_m
    from berthing.models import vessel_crane_limits

    cranes = min(3, vessel_crane_limits(loa_whole_m(spec.loa_m), spacing_m=CRANE_SPACING_M)[1])
    moves = visit.expected_discharge_moves + visit.expected_load_moves
    hours = moves / (cranes * 25 * 0.9) * 1.25
    return timedelta(minutes=15 * -(-round(hours * 60) // 15))


def schedule_berths(visits: list[VisitPlan], vessels: list[VesselPlan], now: datetime) -> None:
    """Give the expected visits ETBs that a conflict-free berth plan can keep (the demo publishes
    that plan, see :func:`_write_berth_plan`). Visits are taken by ETA and placed as a new berth
    plan draft places them (:func:`berthing.geometry.first_fit`, from metre 0, in deep enough
    water): a vessel being worked keeps its berth; any other berths at its ETB or, when no deep
    enough stretch is free then, at the first quarter hour one is and its call can still be
    worked by its ETD. One that fits nowhere keeps its ETB (the demo's plan then stays a draft).
    """
    from berthing.geometry import draft_cm, first_fit, loa_whole_m

    sections = _berth_sections_cm()
    horizon_end = now + timedelta(days=7)
    placed: list[tuple[int, int, datetime, datetime]] = []
    for visit in sorted(visits, key=lambda v: v.eta):
        if visit.eta >= horizon_end or (visit.etd <= now and visit.ata is None):
            continue
        spec = vessels[visit.vessel].spec
        length = loa_whole_m(spec.loa_m) + BERTH_CLEARANCE_M
        draft = draft_cm(spec.max_draft_m)
        first = visit.etb or visit.eta
        options = [first]
        if visit.phase != VisitPhase.WORKING:
            latest = visit.etd - _handling_time(visit, spec)
            options += [
                first + timedelta(minutes=15 * k)
                for k in range(1, 4 * 48)
                if first + timedelta(minutes=15 * k) <= latest
            ]

        def fits(berth: datetime, length: int = length, draft: int = draft, etd=visit.etd) -> tuple:
            busy = [(a, b) for a, b, t0, t1 in placed if t0 < etd and berth < t1]
            return first_fit(
                sections, quay_length_m=QUAY_LENGTH_M, length_m=length, draft=draft, busy=busy
            )

        chosen = next((t for t in options if fits(t)[1]), first)
        visit.etb = chosen
        start = fits(chosen)[0]
        placed.append((start, start + length, chosen, visit.etd))


def build_plan(
    *,
    seed: int,
    now: datetime,
    unit_count: int = UNIT_COUNT,
    taken_numbers: frozenset[str] | set[str] = frozenset(),
    taken_imos: frozenset[str] | set[str] = frozenset(),
) -> DemoPlan:
    """The whole demo terminal as plain data; deterministic in ``seed`` and ``now``."""
    vessels = build_fleet(_rng(seed, "fleet"), set(taken_imos))
    visits = build_schedule(_rng(seed, "schedule"), now, vessels, unit_count)
    schedule_berths(visits, vessels, now)
    units = build_units(_rng(seed, "units"), now, visits, unit_count, set(taken_numbers))
    assign_vessel_cells(_rng(seed, "stowage"), vessels, visits, units)
    blocks = build_yard()
    assign_yard_slots(_rng(seed, "yard"), blocks, units)
    return DemoPlan(
        seed=seed,
        now=now,
        blocks=blocks,
        cranes=build_quay_cranes(_rng(seed, "cranes")),
        vessels=vessels,
        visits=visits,
        units=units,
        holds=build_holds(_rng(seed, "holds"), now, units),
    )


# --- writing ----------------------------------------------------------------------------------


def _clean_bulk(obj: Any, exclude: list[str]) -> None:
    """Field validators and ``clean()`` without per-row queries (FKs are objects we just made;
    uniqueness and check constraints are the database's job on insert)."""
    obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)


def _save(obj: Any) -> Any:
    obj.full_clean()
    obj.save()
    return obj


def _write_site(terminal: Terminal, plan: DemoPlan) -> None:
    quay_model = apps.get_model("berthing", "Quay")
    section_model = apps.get_model("berthing", "BerthSection")
    crane_model = apps.get_model("berthing", "QuayCrane")
    block_model = apps.get_model("yard", "YardBlock")
    lane_model = apps.get_model("gate", "GateLane")
    quay = _save(quay_model(terminal=terminal, name="Delta Quay", length_m=QUAY_LENGTH_M))
    for name, start, end, depth in BERTH_SECTIONS:
        _save(
            section_model(
                quay=quay,
                name=name,
                start_m=start,
                end_m=end,
                depth_m=Decimal(depth),
                first_bollard=start // 25 + 1,
                bollard_spacing_m=25,
            )
        )
    for crane in plan.cranes:
        _save(crane_model(quay=quay, **asdict(crane)))
    zone_model = apps.get_model("yard", "DgSegregationZone")
    stack_model = apps.get_model("yard", "YardStack")
    for block in plan.blocks:
        saved = _save(block_model(terminal=terminal, **asdict(block)))
        if block.kind == "dangerous":
            for name, first, last, classes in DG_ZONES:
                _save(
                    zone_model(
                        block=saved,
                        name=name,
                        first_bay=first,
                        last_bay=last,
                        imdg_classes=list(classes),
                    )
                )
        # The stack rows the yard services lock (one per ground bay and row).
        stack_model.objects.bulk_create(
            [
                stack_model(block=saved, bay=bay, row=row)
                for bay in range(1, 2 * block.bays, 2)
                for row in range(1, block.rows + 1)
            ]
        )
    for name, direction, has_ocr in GATE_LANES:
        _save(lane_model(terminal=terminal, name=name, direction=direction, has_ocr=has_ocr))


def _write_organisations() -> dict[str, Organisation]:
    """Lines, their agents, a haulier and customs; organisations already present are reused."""
    orgs: dict[str, Organisation] = {}

    def get_or_make(code: str, kind: str, name: str, scac: str = "") -> Organisation:
        org = Organisation.objects.filter(code=code).first()
        if org is None:
            org = _save(Organisation(code=code, kind=kind, name=name, scac=scac))
        orgs[code] = org
        return org

    for line in LINES:
        line_org = get_or_make(line.code, OrganisationKind.LINE, line.name, line.scac)
        agent = get_or_make(line.agent_code, OrganisationKind.AGENT, line.agent_name)
        if not agent.represents.filter(pk=line_org.pk).exists():
            agent.represents.add(line_org)
    for kind, code, name in OTHER_ORGANISATIONS:
        get_or_make(code, kind, name)
    return orgs


def _write_users(terminal: Terminal, orgs: dict[str, Organisation]) -> tuple[str, ...]:
    """One user per role and one agent per line; existing usernames are left alone."""
    existing = set(
        User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    password = make_password(DEMO_PASSWORD)  # hashed once: every demo user has this password
    for username, role, _ in DEMO_USERS:
        if username in existing:
            continue
        line_code = _AGENT_LINE.get(username)
        user = User(
            username=username,
            role=role,
            terminal=terminal,
            first_name="Demo",
            last_name=dict(Role.choices)[role] + (f" {line_code}" if line_code else ""),
            email=f"{username}@demo.tos.invalid",
            password=password,
            organisation=orgs[LINES_BY_CODE[line_code].agent_code] if line_code else None,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        _save(user)
    return tuple(sorted(existing))


_UNIT_FK_FIELDS = [
    "terminal",
    "container",
    "line",
    "inbound_visit",
    "outbound_visit",
    "position_visit",
]


def _write_plan(plan: DemoPlan) -> tuple[Terminal, tuple[str, ...]]:
    """Write the plan; return the terminal and the demo usernames that existed already."""
    terminal = _save(Terminal(**DEMO_TERMINAL))
    _write_site(terminal, plan)
    orgs = _write_organisations()
    skipped = _write_users(terminal, orgs)
    users = {u.username: u for u in User.objects.filter(username__in=[u for u, _, _ in DEMO_USERS])}

    vessels = [
        _save(
            Vessel(
                imo=v.imo,
                name=v.spec.name,
                call_sign=v.call_sign,
                flag=v.spec.flag,
                loa_m=Decimal(v.spec.loa_m),
                beam_m=Decimal(v.spec.beam_m),
                max_draft_m=Decimal(v.spec.max_draft_m),
                teu_capacity=v.spec.teu_capacity,
                operator_line=orgs[v.spec.line],
            )
        )
        for v in plan.vessels
    ]
    visits = [
        _save(
            VesselVisit(
                terminal=terminal,
                vessel=vessels[v.vessel],
                line=orgs[v.line],
                reference=v.reference,
                inbound_voyage=v.inbound_voyage,
                outbound_voyage=v.outbound_voyage,
                service=v.service,
                eta=v.eta,
                etb=v.etb,
                etd=v.etd,
                ata=v.ata,
                phase=v.phase,
                expected_discharge_moves=v.expected_discharge_moves,
                expected_load_moves=v.expected_load_moves,
            )
        )
        for v in plan.visits
    ]

    containers = []
    for u in plan.units:
        st = size_type(u.iso_type)
        container = Container(
            number=u.number,
            iso_type=st.code,
            legacy_iso_type=st.legacy_code,
            length_ft=st.length_ft,
            height_mm=st.height_mm,
            type_group=st.type_group,
            teu=st.teu,
            tare_kg=u.tare_kg,
            max_gross_kg=u.max_gross_kg,
            owner_line=orgs[u.owner_line] if u.owner_line else None,
        )
        _clean_bulk(container, ["owner_line"])
        containers.append(container)
    containers = bulk_create_with_history(
        containers, Container, batch_size=2000, default_change_reason="seed_demo"
    )

    def visit_or_none(index: int | None) -> VesselVisit | None:
        return None if index is None else visits[index]

    units = []
    for u, container in zip(plan.units, containers, strict=True):
        unit = ContainerVisit(
            terminal=terminal,
            container=container,
            category=u.category,
            state=u.state,
            line=orgs[u.line],
            inbound_visit=visit_or_none(u.inbound_visit),
            outbound_visit=visit_or_none(u.outbound_visit),
            gross_weight_kg=u.gross_weight_kg,
            vgm_kg=u.vgm_kg,
            seals=u.seals,
            reefer_setpoint_c=u.reefer_setpoint_c,
            imdg_class=u.imdg_class,
            un_number=u.un_number,
            pol=u.pol,
            pod=u.pod,
            booking_ref=u.booking_ref,
            bl_ref=u.bl_ref,
            position_kind=u.position_kind,
            position_ref=u.position_ref,
            position_visit=visit_or_none(u.position_visit),
            time_in=u.time_in,
        )
        _clean_bulk(unit, _UNIT_FK_FIELDS)
        units.append(unit)
    units = bulk_create_with_history(
        units, ContainerVisit, batch_size=2000, default_change_reason="seed_demo"
    )
    _write_yard_occupancy(terminal, plan, units)

    holds = []
    for h in plan.holds:
        hold = Hold(
            terminal=terminal,
            unit=units[h.unit],
            kind=h.kind,
            reason=h.reason,
            reference=h.reference,
            applied_by=users.get(h.applied_by),
            applied_at=h.applied_at,
            released_by=users.get(h.released_by) if h.released_by else None,
            released_at=h.released_at,
            release_note=h.release_note,
            **{f"blocks_{event}": True for event in h.blocks},
        )
        _clean_bulk(hold, ["terminal", "unit", "applied_by", "released_by"])
        holds.append(hold)
    bulk_create_with_history(holds, Hold, batch_size=2000, default_change_reason="seed_demo")
    return terminal, skipped


def _write_yard_occupancy(terminal: Terminal, plan: DemoPlan, units: list[ContainerVisit]) -> None:
    """The yard's current occupancy (the truth behind each unit's ``position_ref``): one row per
    unit in the yard, standing since it came in."""
    occupancy_model = apps.get_model("yard", "YardOccupancy")
    blocks = {
        b.name: b for b in apps.get_model("yard", "YardBlock").objects.filter(terminal=terminal)
    }
    rows = []
    for u, unit in zip(plan.units, units, strict=True):
        if u.position_kind != PositionKind.YARD:
            continue
        block, bay, row, tier = parse_yard_ref(u.position_ref)
        twenty = u.length_ft == 20
        rows.append(
            occupancy_model(
                terminal=terminal,
                unit=unit,
                block=blocks[block],
                bay=bay,
                row=row,
                tier=tier,
                size_ft=u.length_ft,
                ground_from=bay if twenty else bay - 1,
                ground_to=bay + 1 if twenty else bay + 2,
                valid_from=u.time_in or plan.now,
            )
        )
    occupancy_model.objects.bulk_create(rows, batch_size=2000)


def _write_berth_plan(terminal: Terminal, plan: DemoPlan) -> None:
    """Line berth terms, a berth application per visit (its ETA, ETD and moves as generated), two
    weekly berth windows, one crane maintenance, and the quay's published
    berth plan of the visits in port or due within the week, built through the berthing services:
    a draft places each visit at its ETB until its ETD (:func:`schedule_berths` made those
    conflict-free), the plan solver allocates the cranes with every placement held, the checker
    passes the result and the draft is published. Publishing changes no visit (the plan keeps
    their ETB and ETD), and the seed records no live events: it is a starting state, not a change
    anybody watches. Should the solver find no crane plan, the draft stays unpublished."""
    # The berthing app, imported here: tos.core never imports the apps at module level
    # (DESIGN.md §4); the demo loader is the one place that writes their data.
    import dataclasses
    import logging

    from berthing import events, selectors, services
    from berthing.models import BerthWindow, LineBerthTerms, Quay, QuayCraneOutage
    from berthing.solvers.plan import solve
    from tos.core.errors import ApplicationError

    quay = Quay.objects.get(terminal=terminal)
    lines = {o.code: o for o in Organisation.objects.filter(code__in=[c for c, *_ in BERTH_TERMS])}
    for code, weight_service, weight_late, priority in BERTH_TERMS:
        _save(
            LineBerthTerms(
                terminal=terminal,
                line=lines[code],
                weight_service=weight_service,
                weight_late=weight_late,
                priority=priority,
            )
        )
    with events.suppressed():
        # Each line's berth application: the visit's schedule as generated, so that lateness
        # stays measured against the ETD the line asked for once publishing rewrites the ETDs.
        for visit in VesselVisit.objects.filter(terminal=terminal).order_by("pk"):
            services.berth_application_submit(
                visit=visit,
                by=None,
                requested_arrival=visit.eta,
                requested_departure=visit.etd,
                expected_discharge_moves=visit.expected_discharge_moves,
                expected_load_moves=visit.expected_load_moves,
            )
        draft = services.berth_plan_create_draft(quay=quay, user=None, horizon_start=plan.now)
        rows = list(
            draft.assignments.select_related("vessel_visit__vessel", "vessel_visit__line").order_by(
                "berth_at", "pk"
            )
        )
        # Two lines' weekly windows, agreed around the deep-sea calls this week.
        deep_sea = [
            r
            for r in rows
            if r.vessel_visit.phase == VisitPhase.PLANNED and r.vessel_visit.vessel.loa_m >= 300
        ]
        seen: set[int] = set()
        for row in deep_sea:
            visit = row.vessel_visit
            if visit.line_id in seen or len(seen) == 2:
                continue
            seen.add(visit.line_id)
            _save(
                BerthWindow(
                    terminal=terminal,
                    line=visit.line,
                    service=visit.service,
                    start=_floor(row.berth_at - timedelta(hours=2), 60),
                    end=_floor(row.depart_at + timedelta(hours=6), 60),
                    repeats_weekly=True,
                    quay=quay,
                    start_m=row.start_m,
                    end_m=row.end_m,
                    penalty_per_hour=5,
                )
            )
        _write_crane_outage(quay, rows, plan.now, QuayCraneOutage)
        instance, mapping = selectors.plan_instance(draft)
        # Hold every placement: the solver only allocates the cranes.
        held = dataclasses.replace(
            instance,
            vessels=tuple(dataclasses.replace(v, locked=v.current) for v in instance.vessels),
        )
        result = solve(held, time_limit=30, workers=4)
        try:
            services.berth_plan_save_result(plan=draft, result=result, mapping=mapping)
            draft.refresh_from_db()
            services.berth_plan_publish(plan=draft, user=None, expected_revision=draft.revision)
        except ApplicationError as exc:
            logging.getLogger(__name__).warning("demo berth plan stays a draft: %s", exc.message)


def _write_crane_outage(quay: Any, rows: list[Any], now: datetime, outage_model: Any) -> None:
    """Six hours of planned maintenance from 02:00 local time on one of the next days, on the
    first crane (from the feeder end) that no planned vessel within its reach needs then."""
    from berthing.geometry import loa_whole_m

    tz = zoneinfo.ZoneInfo(quay.terminal.timezone)
    cranes = list(quay.cranes.order_by("-rail_order"))
    options = []
    for day in range(2, 6):
        local = (now.astimezone(tz) + timedelta(days=day)).replace(hour=2, minute=0)
        start = local.replace(tzinfo=tz)
        options += [(crane, start, start + timedelta(hours=6)) for crane in cranes]

    def idle(crane: Any, start: datetime, end: datetime) -> bool:
        return not any(
            r.berth_at < end
            and start < r.depart_at
            and max(crane.min_position_m, r.start_m)
            < min(crane.max_position_m, r.start_m + loa_whole_m(r.vessel_visit.vessel.loa_m))
            for r in rows
        )

    crane, start, end = next((o for o in options if idle(*o)), options[0])
    _save(
        outage_model(
            crane=crane,
            start=start,
            end=end,
            kind="maintenance",
            note="Planned maintenance: hoist ropes and spreader.",
        )
    )


def demo_counts(terminal: Terminal) -> dict[str, Any]:
    """Counts by kind of what the demo terminal holds (for the command's summary and tests)."""
    units = ContainerVisit.objects.filter(terminal=terminal)
    agg = units.aggregate(
        total=Count("pk"),
        teu=Sum("container__teu"),
        reefers=Count("pk", filter=Q(container__type_group="R")),
        dangerous=Count("pk", filter=~Q(imdg_class="")),
    )
    quay_model = apps.get_model("berthing", "Quay")
    visits = VesselVisit.objects.filter(terminal=terminal)
    return {
        "quay_m": sum(
            quay_model.objects.filter(terminal=terminal).values_list("length_m", flat=True)
        ),
        "berth_sections": apps.get_model("berthing", "BerthSection")
        .objects.filter(quay__terminal=terminal)
        .count(),
        "quay_cranes": apps.get_model("berthing", "QuayCrane")
        .objects.filter(quay__terminal=terminal)
        .count(),
        "yard_blocks": dict(
            apps.get_model("yard", "YardBlock")
            .objects.filter(terminal=terminal)
            .values_list("kind")
            .annotate(n=Count("pk"))
            .order_by("kind")
        ),
        "gate_lanes": apps.get_model("gate", "GateLane").objects.filter(terminal=terminal).count(),
        "organisations": dict(
            Organisation.objects.filter(
                code__in=[c for line in LINES for c in (line.code, line.agent_code)]
                + [code for _, code, _ in OTHER_ORGANISATIONS]
            )
            .values_list("kind")
            .annotate(n=Count("pk"))
            .order_by("kind")
        ),
        "users": User.objects.filter(terminal=terminal).count(),
        "vessel_visits": visits.count(),
        "visits_by_phase": dict(
            visits.values_list("phase").annotate(n=Count("pk")).order_by("phase")
        ),
        "units": agg["total"],
        "teu": agg["teu"] or 0,
        "units_by_category": dict(
            units.values_list("category").annotate(n=Count("pk")).order_by("category")
        ),
        "units_by_state": dict(
            units.values_list("state").annotate(n=Count("pk")).order_by("state")
        ),
        "reefers": agg["reefers"],
        "dangerous": agg["dangerous"],
        "holds_active": Hold.objects.filter(terminal=terminal, released_at__isnull=True).count(),
        "holds_released": Hold.objects.filter(terminal=terminal, released_at__isnull=False).count(),
    }


def demo_seed(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> DemoSummary:
    """Create the demo terminal (code ``DCT``) in one transaction, or do nothing if it exists.

    ``now`` defaults to the current hour; the schedule, dwell times and holds are relative to it.
    """
    started = time.monotonic()
    if Terminal.objects.filter(code=DEMO_TERMINAL_CODE).exists():
        return DemoSummary(created=False, terminal_code=DEMO_TERMINAL_CODE)
    if now is None:
        now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        plan = build_plan(
            seed=seed,
            now=now,
            taken_numbers=set(Container.objects.values_list("number", flat=True)),
            taken_imos=set(Vessel.objects.values_list("imo", flat=True)),
        )
        terminal, skipped = _write_plan(plan)
        _write_berth_plan(terminal, plan)
        from customs.demo import customs_demo_seed  # a realistic inspection queue (§4)

        customs_demo_seed(terminal=terminal, now=now)
        counts = demo_counts(terminal)
    if not connection.in_atomic_block:
        # Thousands of rows arrived at once: refresh the planner's statistics, or PostgreSQL
        # plans the unit list for 11 rows instead of 8,000 (61 ms instead of 2.5 ms per page).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return DemoSummary(
        created=True,
        terminal_code=DEMO_TERMINAL_CODE,
        seed=seed,
        counts=counts,
        seconds=time.monotonic() - started,
        skipped_users=skipped,
    )
