"""The demo terminal loader: counts, valid codes, a consistent yard and stowage, tenant scoping,
determinism and idempotency. One demo terminal is seeded for the whole module (about 8,000 units)
and rolled back at the end."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from berthing.models import BerthSection, Quay, QuayCrane
from gate.models import GateLane
from tos.core import codes
from tos.core.choices import (
    VISIT_IN_PORT,
    HoldKind,
    OrganisationKind,
    PositionKind,
    Role,
    UnitCategory,
    UnitState,
    VisitPhase,
)
from tos.core.demo import (
    DEMO_PASSWORD,
    DEMO_TERMINAL_CODE,
    DEMO_USERS,
    LINES,
    build_plan,
    demo_seed,
    parse_yard_ref,
    yard_ground_bays,
)
from tos.core.models import (
    Container,
    ContainerVisit,
    Event,
    Hold,
    Organisation,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)
from tos.core.selectors import unit_event_check, units_visible_to
from yard.models import YardBlock

pytestmark = pytest.mark.django_db

SEED = 3
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once per module inside a transaction that is rolled back afterwards; each test runs
    in its own savepoint within it."""
    with django_db_blocker.unblock(), transaction.atomic():
        summary = demo_seed(seed=SEED, now=NOW)
        # Check the deferred foreign keys once here, not again at every test's teardown.
        connection.check_constraints()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def terminal(demo):
    return Terminal.objects.get(code=DEMO_TERMINAL_CODE)


@pytest.fixture
def units(terminal):
    return ContainerVisit.objects.filter(terminal=terminal)


def test_it_builds_a_mid_size_terminal_with_quay_cranes_yard_and_gate(demo, terminal):
    assert demo.created is True
    assert (terminal.name, terminal.locode, terminal.timezone) == (
        "Delta Container Terminal",
        "NLRTM",
        "Europe/Amsterdam",
    )
    quay = Quay.objects.get(terminal=terminal)
    assert quay.length_m == 1200
    sections = list(BerthSection.objects.filter(quay=quay).order_by("start_m"))
    assert 3 <= len(sections) <= 4
    assert sections[0].start_m == 0
    assert sections[-1].end_m == 1200
    assert all(a.end_m == b.start_m for a, b in pairwise(sections))
    assert all(Decimal(14) <= s.depth_m <= Decimal(17) for s in sections)
    cranes = list(QuayCrane.objects.filter(quay=quay).order_by("rail_order"))
    assert [c.rail_order for c in cranes] == list(range(1, 9))
    assert all(25 <= c.gross_moves_per_hour <= 32 for c in cranes)
    assert all(a.max_position_m > b.min_position_m for a, b in pairwise(cranes))
    blocks = Counter(YardBlock.objects.filter(terminal=terminal).values_list("kind", flat=True))
    assert 18 <= sum(blocks.values()) <= 22
    assert 2 <= blocks["reefer"] <= 3
    assert 1 <= blocks["dangerous"] <= 2
    assert 2 <= blocks["empty"] <= 3
    assert not YardBlock.objects.filter(terminal=terminal, kind="reefer", reefer_plugs_per_row=0)
    lanes = Counter(GateLane.objects.filter(terminal=terminal).values_list("direction", flat=True))
    assert lanes == {"in": 4, "out": 3, "both": 1}


def test_it_creates_six_lines_each_with_its_agent_and_a_haulier_and_customs(demo):
    lines = Organisation.objects.filter(kind=OrganisationKind.LINE)
    assert sorted(lines.values_list("code", flat=True)) == sorted(line.code for line in LINES)
    assert all(line.scac for line in lines)
    for line in lines:
        agents = list(line.represented_by.all())
        assert len(agents) == 1
        assert agents[0].kind == OrganisationKind.AGENT
    assert Organisation.objects.filter(kind=OrganisationKind.HAULIER).count() == 1
    assert Organisation.objects.filter(kind=OrganisationKind.CUSTOMS).count() == 1


def test_it_schedules_twelve_visits_over_the_next_week_with_some_in_port(demo, terminal):
    visits = list(VesselVisit.objects.filter(terminal=terminal).select_related("vessel"))
    assert len(visits) == 12
    assert len({v.reference for v in visits}) == 12
    assert len({(v.vessel_id, v.inbound_voyage) for v in visits}) == 12
    in_port = [v for v in visits if v.phase in VISIT_IN_PORT]
    assert 2 <= len(in_port) <= 4
    assert all(v.ata is not None and v.ata <= NOW and v.eta < NOW for v in in_port)
    assert sum(v.vessel.loa_m for v in in_port) <= 1200
    expected = [v for v in visits if v not in in_port]
    assert all(NOW < v.eta <= NOW + dt.timedelta(days=7) for v in expected)
    assert all(v.phase in (VisitPhase.PLANNED, VisitPhase.INBOUND) for v in expected)
    for v in visits:
        stay_h = (v.etd - v.eta) / dt.timedelta(hours=1)
        assert 18 <= stay_h <= 48
        assert v.eta <= v.etb < v.etd
        assert v.expected_discharge_moves > 0
        assert v.expected_load_moves > 0
        assert 150 <= v.vessel.loa_m <= 400
    big = max(visits, key=lambda v: v.vessel.teu_capacity)
    small = min(visits, key=lambda v: v.vessel.teu_capacity)
    assert big.vessel.loa_m > small.vessel.loa_m
    assert (big.etd - big.eta) > (small.etd - small.eta)


def test_it_loads_about_eight_thousand_units_in_realistic_proportions(demo, units):
    total = units.count()
    assert 7600 <= total <= 8400
    by_category = Counter(units.values_list("category", flat=True))
    assert set(by_category) == set(UnitCategory.values)
    assert by_category[UnitCategory.IMPORT] > by_category[UnitCategory.STORAGE]
    by_state = Counter(units.values_list("state", flat=True))
    assert by_state[UnitState.ON_TERMINAL] > total / 2
    assert by_state[UnitState.INBOUND] > 0
    assert by_state[UnitState.ADVISED] > 0
    assert demo.counts["units"] == total
    reefers = units.filter(container__type_group="R")
    assert 0.08 <= reefers.count() / total <= 0.12
    assert not reefers.filter(reefer_setpoint_c__isnull=True).exists()
    assert not units.exclude(container__type_group="R").filter(reefer_setpoint_c__isnull=False)
    dangerous = units.exclude(imdg_class="")
    assert 0.02 <= dangerous.count() / total <= 0.04
    assert not dangerous.filter(un_number="").exists()


def test_every_container_number_and_imo_passes_its_check_digit(demo, units):
    numbers = list(Container.objects.filter(visits__in=units).values_list("number", flat=True))
    assert len(numbers) == units.count()
    for number in numbers:
        assert codes.validate_container_number(number) == number
    for imo in Vessel.objects.values_list("imo", flat=True):
        assert codes.validate_imo(imo) == imo
    decoded = {}
    for iso, length, height, group, teu in (
        Container.objects.filter(visits__in=units)
        .values_list("iso_type", "length_ft", "height_mm", "type_group", "teu")
        .distinct()
    ):
        st = codes.decode_size_type(iso)
        decoded[iso] = (st.length_ft, st.height_mm, st.type_group, st.teu)
        assert (length, height, group, teu) == decoded[iso]
    assert {"22G1", "45G1", "45R1"} <= set(decoded)


def test_no_two_yard_units_share_a_slot_and_no_box_floats(demo, terminal, units):
    blocks = {b.name: b for b in YardBlock.objects.filter(terminal=terminal)}
    yard = units.filter(state=UnitState.ON_TERMINAL)
    assert not yard.exclude(position_kind=PositionKind.YARD).exists()
    slots: dict[tuple, str] = {}
    stacks: dict[tuple, set[int]] = defaultdict(set)
    rows = yard.values_list(
        "position_ref", "container__length_ft", "container__type_group", "imdg_class", "category"
    )
    for ref, length, group, imdg, category in rows:
        name, bay, row, tier = parse_yard_ref(ref)
        block = blocks[name]
        assert (bay % 2 == 1) == (length == 20), ref
        assert 1 <= bay <= 2 * block.bays - 1
        assert 1 <= row <= block.rows
        assert 1 <= tier <= block.max_tier
        for ground in yard_ground_bays(bay):
            slot = (name, ground, row, tier)
            assert slot not in slots, f"{ref} and {slots[slot]} share {slot}"
            slots[slot] = ref
            stacks[(name, ground, row)].add(tier)
        expected_kind = (
            "empty"
            if category == UnitCategory.EMPTY
            else "reefer"
            if group == "R"
            else "dangerous"
            if imdg
            else "dry"
        )
        assert block.kind == expected_kind, ref
    for stack, tiers in stacks.items():
        assert tiers == set(range(1, max(tiers) + 1)), f"floating box in {stack}: {sorted(tiers)}"


def test_units_on_board_have_distinct_cells_of_their_inbound_visit(demo, units):
    aboard = units.filter(position_kind=PositionKind.VESSEL)
    assert aboard.exists()
    assert not aboard.exclude(state=UnitState.INBOUND).exists()
    cells: set[tuple] = set()
    for visit_id, inbound_id, ref, length in aboard.values_list(
        "position_visit_id", "inbound_visit_id", "position_ref", "container__length_ft"
    ):
        assert visit_id == inbound_id
        assert len(ref) == 7
        assert ref.isdigit()
        bay, row, tier = int(ref[:3]), ref[3:5], int(ref[5:])
        assert (bay % 2 == 1) == (length == 20)
        assert tier < 80 or tier >= 82
        if length == 45:
            assert tier >= 82
        for ground in yard_ground_bays(bay):
            cell = (visit_id, ground, row, tier)
            assert cell not in cells
            cells.add(cell)


def test_units_have_fitting_visits_ports_references_weights_and_times(demo, units):
    for unit in units.select_related("container", "inbound_visit", "outbound_visit"):
        for locode in filter(None, (unit.pol, unit.pod)):
            codes.validate_locode(locode)
        tare = unit.container.tare_kg
        assert tare <= unit.gross_weight_kg <= unit.container.max_gross_kg
        if unit.vgm_kg is not None:
            assert tare <= unit.vgm_kg <= unit.container.max_gross_kg
        if unit.category == UnitCategory.EMPTY:
            assert unit.gross_weight_kg == tare
            assert unit.seals == []
        if unit.category == UnitCategory.EXPORT:
            assert unit.outbound_visit is not None
            assert unit.booking_ref
            assert unit.pol == "NLRTM"
        if unit.category == UnitCategory.IMPORT:
            assert unit.bl_ref
            assert unit.pod == "NLRTM"
        if unit.state == UnitState.INBOUND:
            assert unit.inbound_visit is not None
            assert unit.inbound_visit.eta <= NOW + dt.timedelta(hours=36)
        if unit.state == UnitState.ON_TERMINAL:
            assert NOW - dt.timedelta(days=14) <= unit.time_in <= NOW
            if unit.inbound_visit is not None:
                assert unit.time_in >= unit.inbound_visit.ata
        else:
            assert unit.time_in is None
        if unit.state == UnitState.ADVISED:
            assert unit.category == UnitCategory.EXPORT
            assert unit.position_kind == PositionKind.NONE
        if unit.outbound_visit and unit.inbound_visit:
            assert unit.outbound_visit.eta > unit.inbound_visit.eta


def test_every_row_passes_model_validation(demo, terminal, units):
    objects = [
        terminal,
        *Organisation.objects.all(),
        *Vessel.objects.all(),
        *VesselVisit.objects.filter(terminal=terminal),
        *Hold.objects.filter(terminal=terminal),
        *User.objects.filter(terminal=terminal),
        *YardBlock.objects.filter(terminal=terminal),
        *units.order_by("pk")[::200],
        *Container.objects.filter(visits__in=units).order_by("pk")[::200],
    ]
    for obj in objects:
        obj.full_clean()


def test_about_two_percent_of_imports_are_under_an_active_customs_hold(demo, units):
    imports = units.filter(category=UnitCategory.IMPORT).exclude(state=UnitState.ADVISED)
    customs = Hold.objects.filter(unit__in=imports, kind=HoldKind.CUSTOMS, released_at__isnull=True)
    assert 0.01 <= customs.count() / imports.count() <= 0.03
    assert not customs.filter(blocks_gate_out=False).exists()
    held = customs.select_related("unit").first()
    decision = unit_event_check(unit=held.unit, event="gate_out")
    assert decision.allowed is False
    assert Hold.objects.filter(kind=HoldKind.LINE, released_at__isnull=True).exists()
    assert Hold.objects.filter(released_at__isnull=False).exists()


def test_it_creates_one_demo_user_per_role_and_an_agent_per_line(demo, terminal):
    users = {u.username: u for u in User.objects.filter(terminal=terminal)}
    assert set(users) == {username for username, _, _ in DEMO_USERS}
    for username, role, _ in DEMO_USERS:
        user = users[username]
        assert user.role == role
        assert user.check_password(DEMO_PASSWORD)
    assert users["admin"].is_superuser
    assert users["admin"].is_staff
    assert not users["planner"].is_staff
    agents = [u for u in users.values() if u.role == Role.AGENT]
    assert len(agents) == 6
    assert all(a.organisation.kind == OrganisationKind.AGENT for a in agents)


def test_every_agent_sees_only_its_own_lines_units(demo, terminal, units):
    per_line = Counter(units.values_list("line__code", flat=True))
    for line in LINES:
        agent = User.objects.get(username=line.username)
        visible = units_visible_to(agent)
        assert set(visible.values_list("line__code", flat=True)) == {line.code}
        assert visible.count() == per_line[line.code] > 0
    planner = User.objects.get(username="planner")
    assert units_visible_to(planner).filter(terminal=terminal).count() == units.count()


def test_the_same_seed_gives_the_same_containers_and_visits(demo, units):
    first = build_plan(seed=SEED, now=NOW)
    again = build_plan(seed=SEED, now=NOW)
    other = build_plan(seed=SEED + 1, now=NOW)
    numbers = [u.number for u in first.units]
    assert numbers == [u.number for u in again.units]
    assert [u.position_ref for u in first.units] == [u.position_ref for u in again.units]
    assert [v.reference for v in first.visits] == [v.reference for v in again.visits]
    assert [v.imo for v in first.vessels] == [v.imo for v in again.vessels]
    assert numbers != [u.number for u in other.units]
    stored = list(units.order_by("pk").values_list("container__number", flat=True))
    assert stored == numbers


def test_it_writes_no_live_events_and_keeps_the_event_seq_consistent(demo, terminal):
    assert terminal.event_seq == 0
    assert not Event.objects.filter(terminal=terminal).exists()


def test_a_second_run_is_a_no_op(demo, terminal, capsys):
    before = (ContainerVisit.objects.count(), Container.objects.count(), User.objects.count())
    assert demo_seed(seed=SEED + 1).created is False
    call_command("seed_demo", "--i-know-this-is-not-production")
    assert "already loaded" in capsys.readouterr().out
    after = (ContainerVisit.objects.count(), Container.objects.count(), User.objects.count())
    assert after == before
    assert Terminal.objects.filter(code=DEMO_TERMINAL_CODE).count() == 1


def test_it_refuses_to_run_without_debug_unless_told_it_is_not_production(demo, settings):
    settings.DEBUG = False
    before = ContainerVisit.objects.count()
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("seed_demo")
    assert ContainerVisit.objects.count() == before
