"""Bad input answers a clear 4xx in the one error shape, names the field and changes nothing.

Every case snapshots all rows of the kernel's tables before the request and compares after: a
refused request must not leave a container, a vessel, a visit, a hold, an event, a solver run or
an idempotency record behind, nor change an existing row.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import override_settings
from django.utils import timezone

from tos.core.choices import SolverRunStatus, UnitState
from tos.core.models import (
    Container,
    ContainerVisit,
    Event,
    Hold,
    IdempotencyRecord,
    SolverRun,
    Vessel,
    VesselVisit,
)
from tos.core.tests.factories import (
    ContainerFactory,
    HoldFactory,
    UnitFactory,
    VesselFactory,
    VesselVisitFactory,
    container_number,
    imo_number,
)

pytestmark = pytest.mark.django_db

MODELS = (ContainerVisit, Container, Vessel, VesselVisit, Hold, Event, SolverRun, IdempotencyRecord)

#: A valid ISO 6346 number whose correct check digit is 3 (the standard's own example).
GOOD_NUMBER = "CSQU3054383"
#: A valid IMO number whose correct check digit is 9.
GOOD_IMO = "9074729"


def _snapshot() -> dict[str, list[dict]]:
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in MODELS}


@pytest.fixture
def world(terminal, line_a, planner):
    """Existing rows to collide with, update and move: one of each kind."""
    vessel = VesselFactory(imo=GOOD_IMO, name="Existing")
    visit = VesselVisitFactory(
        terminal=terminal, vessel=vessel, line=line_a, reference="V-1", inbound_voyage="1W"
    )
    container = ContainerFactory(number=container_number(1, owner="EXPU"), tare_kg=2200)
    unit = UnitFactory(terminal=terminal, container=container, line=line_a)
    hold = HoldFactory(unit=unit, terminal=terminal, kind="customs", reference="DEC-1")
    applied = timezone.now() - dt.timedelta(hours=2)
    released = HoldFactory(
        unit=unit,
        terminal=terminal,
        kind="terminal",
        applied_at=applied,
        released_at=applied + dt.timedelta(hours=1),
    )
    departed = UnitFactory(terminal=terminal, line=line_a, state=UnitState.DEPARTED)
    run = SolverRun.objects.create(
        terminal=terminal, kind="core.worker_check", status=SolverRunStatus.SUCCEEDED
    )
    return {
        "vessel": vessel,
        "visit": visit,
        "container": container,
        "unit": unit,
        "hold": hold,
        "released": released,
        "departed": departed,
        "run": run,
    }


def _ids(world) -> dict[str, object]:
    return {name: obj.pk for name, obj in world.items()} | {
        "number": world["container"].number,
        "imo": world["vessel"].imo,
    }


def _send(client, method: str, path: str, body):
    if isinstance(body, bytes):
        return getattr(client, method)(path, body, content_type="application/json")
    if body is None:
        return getattr(client, method)(path)
    return getattr(client, method)(path, body, format="json")


def _assert_refused(response, status: int, code: str, fields: set[str] | None) -> dict:
    """The one error shape; ``fields`` are exactly the keys of ``details`` (None: unchecked)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["details"], dict)
    assert all(
        isinstance(msgs, list) and all(isinstance(m, str) for m in msgs)
        for msgs in body["details"].values()
    )
    if fields is not None:
        assert set(body["details"]) == fields
    if code == "validation_error" and fields and len(fields) <= 5:
        for field in fields:
            assert field.split(".")[0] in body["message"]
    return body


def _unit_body(**overrides) -> dict[str, object]:
    return {
        "container_number": GOOD_NUMBER,
        "iso_type": "22G1",
        "category": "import",
        "line": "LINA",
    } | overrides


def _vessel_body(**overrides) -> dict[str, object]:
    return {
        "imo": imo_number(77),
        "name": "New Vessel",
        "loa_m": "300.00",
        "beam_m": "48.00",
        "max_draft_m": "14.00",
        "teu_capacity": 9000,
    } | overrides


def _visit_body(**overrides) -> dict[str, object]:
    return {
        "reference": "V-NEW",
        "vessel": GOOD_IMO,
        "line": "LINA",
        "inbound_voyage": "9W",
        "outbound_voyage": "9E",
        "eta": "2031-05-01T06:00:00Z",
        "etd": "2031-05-02T06:00:00Z",
    } | overrides


def _hold_body(unit="{unit}", **overrides) -> dict[str, object]:
    return {"unit": unit, "kind": "line", "blocks": ["gate_out"], "reason": "Unpaid"} | overrides


HUGE = "X" * 100_000

# (id, method, path, body, status, code, details fields, text in message)
CASES = [
    # --- units ---
    (
        "unit missing fields",
        "post",
        "/api/v1/units/",
        {},
        400,
        "validation_error",
        {"container_number", "iso_type", "category", "line"},
        None,
    ),
    (
        "unit wrong types",
        "post",
        "/api/v1/units/",
        _unit_body(gross_weight_kg="heavy", seals="S1", inbound_visit="abc"),
        400,
        "validation_error",
        {"gross_weight_kg", "seals", "inbound_visit"},
        None,
    ),
    (
        "unit unknown choices",
        "post",
        "/api/v1/units/",
        _unit_body(category="bogus", state="departed"),
        400,
        "validation_error",
        {"category", "state"},
        '"bogus" is not a valid choice.',
    ),
    (
        "unit bad check digit",
        "post",
        "/api/v1/units/",
        _unit_body(container_number="CSQU3054384"),
        400,
        "validation_error",
        {"container_number"},
        "needs check digit 3",
    ),
    (
        "unit malformed container number",
        "post",
        "/api/v1/units/",
        _unit_body(container_number="ABC123"),
        400,
        "validation_error",
        {"container_number"},
        "not an ISO 6346 container number",
    ),
    (
        "unit unknown size-type",
        "post",
        "/api/v1/units/",
        _unit_body(iso_type="99X9"),
        400,
        "validation_error",
        {"iso_type"},
        "unknown length code",
    ),
    (
        "unit bad locode pod",
        "post",
        "/api/v1/units/",
        _unit_body(pod="NL1TM"),
        400,
        "validation_error",
        {"pod"},
        "UN/LOCODE",
    ),
    (
        "unit lower-case pod and long pol",
        "post",
        "/api/v1/units/",
        _unit_body(pod="nlrtm", pol="NLRTMX"),
        400,
        "validation_error",
        {"pod", "pol"},
        None,
    ),
    (
        "unit negative numbers",
        "post",
        "/api/v1/units/",
        _unit_body(gross_weight_kg=-1, vgm_kg=-5, reefer_setpoint_c="-999"),
        400,
        "validation_error",
        {"gross_weight_kg", "vgm_kg", "reefer_setpoint_c"},
        None,
    ),
    (
        "unit huge integer",
        "post",
        "/api/v1/units/",
        _unit_body(gross_weight_kg=10**40),
        400,
        "validation_error",
        {"gross_weight_kg"},
        None,
    ),
    (
        "unit huge strings",
        "post",
        "/api/v1/units/",
        _unit_body(booking_ref=HUGE, container_number=HUGE),
        400,
        "validation_error",
        {"booking_ref", "container_number"},
        None,
    ),
    (
        "unit too long seal",
        "post",
        "/api/v1/units/",
        _unit_body(seals=["S" * 21]),
        400,
        "validation_error",
        {"seals.0"},
        None,
    ),
    (
        "unit unknown line",
        "post",
        "/api/v1/units/",
        _unit_body(line="NOPE"),
        400,
        "validation_error",
        {"line"},
        "No shipping line with code NOPE.",
    ),
    (
        "unit visit id beyond any integer",
        "post",
        "/api/v1/units/",
        _unit_body(inbound_visit=10**20),
        400,
        "validation_error",
        {"inbound_visit"},
        None,
    ),
    (
        "unit set point on a dry box (model rule, new container)",
        "post",
        "/api/v1/units/",
        _unit_body(reefer_setpoint_c="5.0"),
        400,
        "validation_error",
        {"reefer_setpoint_c"},
        "is not a reefer",
    ),
    (
        "unit UN number without IMDG class",
        "post",
        "/api/v1/units/",
        _unit_body(un_number="1203"),
        400,
        "validation_error",
        {"imdg_class"},
        "needs its IMDG class",
    ),
    (
        "unit duplicate active visit",
        "post",
        "/api/v1/units/",
        _unit_body(container_number="{number}"),
        409,
        "unit_already_active",
        {"container"},
        "already has an active visit",
    ),
    (
        "unit patch bad pod",
        "patch",
        "/api/v1/units/{unit}/",
        {"pod": "ZZ"},
        400,
        "validation_error",
        {"pod"},
        None,
    ),
    (
        "unit patch wrong type",
        "patch",
        "/api/v1/units/{unit}/",
        {"vgm_kg": "abc"},
        400,
        "validation_error",
        {"vgm_kg"},
        None,
    ),
    (
        "unit patch VGM below tare",
        "patch",
        "/api/v1/units/{unit}/",
        {"vgm_kg": 1500},
        400,
        "validation_error",
        {"vgm_kg"},
        "below the container's tare 2200 kg",
    ),
    (
        "unit patch unknown visit",
        "patch",
        "/api/v1/units/{unit}/",
        {"outbound_visit": 987654321},
        400,
        "validation_error",
        {"outbound_visit"},
        None,
    ),
    (
        "unit patch departed unit",
        "patch",
        "/api/v1/units/{departed}/",
        {"booking_ref": "B1"},
        409,
        "unit_closed",
        set(),
        "history",
    ),
    # --- unit transitions ---
    (
        "transition missing state",
        "post",
        "/api/v1/units/{unit}/transition/",
        {},
        400,
        "validation_error",
        {"state"},
        None,
    ),
    (
        "transition unknown state",
        "post",
        "/api/v1/units/{unit}/transition/",
        {"state": "flying"},
        400,
        "validation_error",
        {"state"},
        None,
    ),
    (
        "transition impossible",
        "post",
        "/api/v1/units/{unit}/transition/",
        {"state": "departed"},
        409,
        "invalid_transition",
        {"state"},
        "cannot go from advised to departed",
    ),
    (
        "transition from a closed unit",
        "post",
        "/api/v1/units/{departed}/transition/",
        {"state": "on_terminal"},
        409,
        "invalid_transition",
        {"state"},
        "allowed: none",
    ),
    (
        "transition vessel position without visit",
        "post",
        "/api/v1/units/{unit}/transition/",
        {"state": "on_terminal", "position_kind": "vessel"},
        400,
        "validation_error",
        {"position_visit"},
        None,
    ),
    (
        "transition bad position",
        "post",
        "/api/v1/units/{unit}/transition/",
        {"state": "on_terminal", "position_kind": "ufo", "position_ref": HUGE},
        400,
        "validation_error",
        {"position_kind", "position_ref"},
        None,
    ),
    (
        "transition position visit wrong type",
        "post",
        "/api/v1/units/{unit}/transition/",
        {"state": "on_terminal", "position_kind": "vessel", "position_visit": "abc"},
        400,
        "validation_error",
        {"position_visit"},
        None,
    ),
    # --- vessels ---
    (
        "vessel missing fields",
        "post",
        "/api/v1/vessels/",
        {},
        400,
        "validation_error",
        {"imo", "name", "loa_m", "beam_m", "max_draft_m", "teu_capacity"},
        None,
    ),
    (
        "vessel wrong types",
        "post",
        "/api/v1/vessels/",
        _vessel_body(loa_m="long", teu_capacity="many", operator_line=["LINA"]),
        400,
        "validation_error",
        {"loa_m", "teu_capacity", "operator_line"},
        None,
    ),
    (
        "vessel bad IMO check digit",
        "post",
        "/api/v1/vessels/",
        _vessel_body(imo="9074728"),
        400,
        "invalid_imo",
        {"imo"},
        "907472 needs check digit 9, not 8",
    ),
    (
        "vessel malformed IMO",
        "post",
        "/api/v1/vessels/",
        _vessel_body(imo="ABC"),
        400,
        "invalid_imo",
        {"imo"},
        "expected 7 digits",
    ),
    (
        "vessel too long IMO",
        "post",
        "/api/v1/vessels/",
        _vessel_body(imo="9" * 100),
        400,
        "validation_error",
        {"imo"},
        None,
    ),
    (
        "vessel negative and zero sizes",
        "post",
        "/api/v1/vessels/",
        _vessel_body(loa_m="-300", beam_m="0", teu_capacity=-1),
        400,
        "validation_error",
        {"loa_m", "beam_m", "teu_capacity"},
        None,
    ),
    (
        "vessel NaN and infinite decimals",
        "post",
        "/api/v1/vessels/",
        _vessel_body(loa_m="NaN", beam_m="Infinity", max_draft_m="1e999999"),
        400,
        "validation_error",
        {"loa_m", "beam_m", "max_draft_m"},
        None,
    ),
    (
        "vessel huge capacity",
        "post",
        "/api/v1/vessels/",
        _vessel_body(teu_capacity=10**12),
        400,
        "validation_error",
        {"teu_capacity"},
        None,
    ),
    (
        "vessel bad flag and unknown operator",
        "post",
        "/api/v1/vessels/",
        _vessel_body(flag="pa", operator_line="NOPE"),
        400,
        "validation_error",
        {"flag", "operator_line"},
        None,
    ),
    (
        "vessel huge name",
        "post",
        "/api/v1/vessels/",
        _vessel_body(name=HUGE),
        400,
        "validation_error",
        {"name"},
        None,
    ),
    (
        "vessel duplicate IMO",
        "post",
        "/api/v1/vessels/",
        _vessel_body(imo=GOOD_IMO),
        409,
        "duplicate",
        {"imo"},
        f"IMO {GOOD_IMO} is already registered",
    ),
    (
        "vessel patch negative length",
        "patch",
        "/api/v1/vessels/{vessel}/",
        {"loa_m": "-1"},
        400,
        "validation_error",
        {"loa_m"},
        None,
    ),
    # --- vessel visits ---
    (
        "visit missing fields",
        "post",
        "/api/v1/vessel-visits/",
        {},
        400,
        "validation_error",
        {"reference", "vessel", "line", "inbound_voyage", "outbound_voyage", "eta", "etd"},
        None,
    ),
    (
        "visit unparsable dates",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(eta="tomorrow", etd=12),
        400,
        "validation_error",
        {"eta", "etd"},
        None,
    ),
    (
        "visit etd before eta",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(eta="2031-05-03T06:00:00Z", etd="2031-05-02T06:00:00Z"),
        400,
        "validation_error",
        {"etd"},
        "ETD must be after ETA.",
    ),
    (
        "visit etb outside eta..etd",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(etb="2031-06-01T06:00:00Z"),
        400,
        "validation_error",
        {"etb"},
        "ETB must be at or after ETA and before ETD.",
    ),
    (
        "visit unknown vessel and line",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(vessel="9999993", line="NOPE"),
        400,
        "validation_error",
        {"vessel", "line"},
        "register it first",
    ),
    (
        "visit negative and wrongly typed moves",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(expected_load_moves=-1, expected_discharge_moves="many"),
        400,
        "validation_error",
        {"expected_load_moves", "expected_discharge_moves"},
        None,
    ),
    (
        "visit huge reference",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(reference=HUGE),
        400,
        "validation_error",
        {"reference"},
        None,
    ),
    (
        "visit duplicate reference",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(reference="V-1"),
        409,
        "duplicate",
        {"reference"},
        "Reference already exists",
    ),
    (
        "visit duplicate voyage of the vessel",
        "post",
        "/api/v1/vessel-visits/",
        _visit_body(inbound_voyage="1W"),
        409,
        "duplicate",
        {"vessel", "inbound_voyage"},
        "Inbound voyage already exists",
    ),
    (
        "visit patch etd before eta",
        "patch",
        "/api/v1/vessel-visits/{visit}/",
        {"etd": "2000-01-01T00:00:00Z"},
        400,
        "validation_error",
        {"etd"},
        "ETD must be after ETA.",
    ),
    (
        "visit patch another vessel",
        "patch",
        "/api/v1/vessel-visits/{visit}/",
        {"vessel": "{other_imo}"},
        400,
        "immutable_field",
        {"vessel", "line"},
        "cannot change",
    ),
    (
        "visit transition unknown phase",
        "post",
        "/api/v1/vessel-visits/{visit}/transition/",
        {"phase": "bogus"},
        400,
        "validation_error",
        {"phase"},
        None,
    ),
    (
        "visit transition missing phase",
        "post",
        "/api/v1/vessel-visits/{visit}/transition/",
        {},
        400,
        "validation_error",
        {"phase"},
        None,
    ),
    (
        "visit transition impossible",
        "post",
        "/api/v1/vessel-visits/{visit}/transition/",
        {"phase": "working"},
        409,
        "invalid_transition",
        {"phase"},
        "cannot go from planned to working",
    ),
    # --- containers ---
    (
        "container missing fields",
        "post",
        "/api/v1/containers/",
        {},
        400,
        "validation_error",
        {"number", "iso_type"},
        None,
    ),
    (
        "container bad check digit",
        "post",
        "/api/v1/containers/",
        {"number": "CSQU3054384", "iso_type": "22G1"},
        400,
        "invalid_container_number",
        {"number"},
        "CSQU305438 needs check digit 3, not 4",
    ),
    (
        "container malformed number",
        "post",
        "/api/v1/containers/",
        {"number": "1234", "iso_type": "22G1"},
        400,
        "invalid_container_number",
        {"number"},
        None,
    ),
    (
        "container unknown size-type",
        "post",
        "/api/v1/containers/",
        {"number": GOOD_NUMBER, "iso_type": "99X9"},
        400,
        "invalid_iso_type",
        {"iso_type"},
        None,
    ),
    (
        "container negative and wrongly typed weights",
        "post",
        "/api/v1/containers/",
        {"number": GOOD_NUMBER, "iso_type": "22G1", "tare_kg": -1, "max_gross_kg": "heavy"},
        400,
        "validation_error",
        {"tare_kg", "max_gross_kg"},
        None,
    ),
    (
        "container unknown owner line",
        "post",
        "/api/v1/containers/",
        {"number": GOOD_NUMBER, "iso_type": "22G1", "owner_line": "NOPE"},
        400,
        "validation_error",
        {"owner_line"},
        None,
    ),
    (
        "container huge number",
        "post",
        "/api/v1/containers/",
        {"number": HUGE, "iso_type": HUGE},
        400,
        "validation_error",
        {"number", "iso_type"},
        None,
    ),
    (
        "container duplicate",
        "post",
        "/api/v1/containers/",
        {"number": "{number}", "iso_type": "22G1"},
        409,
        "duplicate",
        {"number"},
        "is already registered",
    ),
    # --- holds ---
    (
        "hold missing fields",
        "post",
        "/api/v1/holds/",
        {},
        400,
        "validation_error",
        {"unit", "kind", "blocks", "reason"},
        None,
    ),
    (
        "hold wrong types",
        "post",
        "/api/v1/holds/",
        _hold_body(unit="abc", blocks="gate_out", reason=["x"]),
        400,
        "validation_error",
        {"unit", "blocks", "reason"},
        None,
    ),
    (
        "hold negative unit",
        "post",
        "/api/v1/holds/",
        _hold_body(unit=-1),
        400,
        "validation_error",
        {"unit"},
        None,
    ),
    (
        "hold unknown kind and event",
        "post",
        "/api/v1/holds/",
        _hold_body(kind="bogus", blocks=["fly"]),
        400,
        "validation_error",
        {"kind", "blocks.0"},
        None,
    ),
    (
        "hold blocks nothing",
        "post",
        "/api/v1/holds/",
        _hold_body(blocks=[]),
        400,
        "validation_error",
        {"blocks"},
        None,
    ),
    (
        "hold huge strings",
        "post",
        "/api/v1/holds/",
        _hold_body(reason=HUGE, reference=HUGE),
        400,
        "validation_error",
        {"reason", "reference"},
        None,
    ),
    (
        "hold unknown unit",
        "post",
        "/api/v1/holds/",
        _hold_body(unit=987654321),
        400,
        "validation_error",
        {"unit"},
        "no unit 987654321",
    ),
    (
        "hold duplicate active",
        "post",
        "/api/v1/holds/",
        _hold_body(kind="customs", reference="DEC-1"),
        409,
        "duplicate",
        {"reference"},
        "already has an active customs hold with reference DEC-1",
    ),
    (
        "hold on a departed unit",
        "post",
        "/api/v1/holds/",
        _hold_body(unit="{departed}"),
        409,
        "unit_closed",
        set(),
        "cannot be held",
    ),
    (
        "hold release twice",
        "post",
        "/api/v1/holds/{released}/release/",
        {"note": "again"},
        409,
        "already_released",
        set(),
        None,
    ),
    (
        "hold release huge note",
        "post",
        "/api/v1/holds/{hold}/release/",
        {"note": HUGE},
        400,
        "validation_error",
        {"note"},
        None,
    ),
    # --- solver runs ---
    (
        "run missing kind",
        "post",
        "/api/v1/solver-runs/",
        {},
        400,
        "validation_error",
        {"kind"},
        None,
    ),
    (
        "run unknown kind",
        "post",
        "/api/v1/solver-runs/",
        {"kind": "nope"},
        400,
        "unknown_kind",
        {"kind"},
        "No solver-run kind 'nope'",
    ),
    (
        "run wrong types",
        "post",
        "/api/v1/solver-runs/",
        {"kind": ["core.worker_check"], "params": "x"},
        400,
        "validation_error",
        {"kind", "params"},
        None,
    ),
    (
        "run huge kind",
        "post",
        "/api/v1/solver-runs/",
        {"kind": HUGE},
        400,
        "validation_error",
        {"kind"},
        None,
    ),
    (
        "run cancel a finished run",
        "post",
        "/api/v1/solver-runs/{run}/cancel/",
        None,
        409,
        "run_finished",
        set(),
        "already succeeded",
    ),
]


def _fill(value, ids):
    if isinstance(value, str):
        return value.format(**ids) if "{" in value else value
    if isinstance(value, dict):
        filled = {k: _fill(v, ids) for k, v in value.items()}
        return {
            k: int(v) if k in ("unit",) and isinstance(v, str) and v.isdigit() else v
            for k, v in filled.items()
        }
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code", "fields", "text"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input_answers_4xx_naming_the_field_and_changes_nothing(
    method, path, body, status, code, fields, text, world, planner_client
):
    ids = _ids(world) | {"other_imo": VesselFactory().imo}
    before = _snapshot()

    response = _send(planner_client, method, path.format(**ids), _fill(body, ids))

    refused = _assert_refused(response, status, code, fields)
    if text is not None:
        assert text in refused["message"] + json.dumps(refused["details"])
    assert _snapshot() == before


# --- bodies that are not what an endpoint takes -----------------------------------------------

WRITE_ROUTES = [
    ("post", "/api/v1/units/"),
    ("post", "/api/v1/vessels/"),
    ("post", "/api/v1/vessel-visits/"),
    ("post", "/api/v1/containers/"),
    ("post", "/api/v1/holds/"),
    ("post", "/api/v1/solver-runs/"),
    ("post", "/api/v1/units/{unit}/transition/"),
    ("post", "/api/v1/vessel-visits/{visit}/transition/"),
    ("post", "/api/v1/holds/{hold}/release/"),
    ("patch", "/api/v1/units/{unit}/"),
    ("put", "/api/v1/vessel-visits/{visit}/"),
    ("patch", "/api/v1/vessels/{vessel}/"),
    ("patch", "/api/v1/containers/{container}/"),
]

NOT_JSON = [
    pytest.param(b"{nope", "Expecting property name enclosed in double quotes", id="broken"),
    pytest.param(b'{"a": 1', "Expecting ',' delimiter", id="truncated"),
    pytest.param(b"\xff\xfe\x00garbage", "can't decode byte", id="not utf-8"),
    pytest.param(b'{"loa_m": NaN}', "NaN is not a JSON number", id="NaN"),
    pytest.param(b'{"unit": 1e400}', "number 1e400 is out of range", id="overflowing number"),
    pytest.param(b'{"unit": -Infinity}', "-Infinity is not a JSON number", id="infinity"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000, "maximum recursion depth", id="deep nesting"),
    pytest.param(b'{"unit": 1' + b"0" * 5000 + b"}", "Exceeds the limit", id="5000-digit int"),
]


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
@pytest.mark.parametrize(("raw", "text"), NOT_JSON)
def test_a_body_that_is_not_json_answers_400_parse_error(
    method, path, raw, text, world, planner_client
):
    before = _snapshot()

    response = getattr(planner_client, method)(
        path.format(**_ids(world)), raw, content_type="application/json"
    )

    body = _assert_refused(response, 400, "parse_error", set())
    assert body["message"].startswith("JSON parse error - ")
    assert text in body["message"]
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
@pytest.mark.parametrize(
    ("raw", "got"),
    [
        pytest.param(b"[1, 2]", "list", id="array"),
        pytest.param(b'"text"', "str", id="string"),
        pytest.param(b"42", "int", id="number"),
        pytest.param(b"true", "bool", id="boolean"),
    ],
)
def test_json_that_is_not_an_object_answers_400_naming_the_body(
    method, path, raw, got, world, planner_client
):
    before = _snapshot()

    response = getattr(planner_client, method)(
        path.format(**_ids(world)), raw, content_type="application/json"
    )

    body = _assert_refused(response, 400, "validation_error", {"non_field_errors"})
    assert body["details"] == {
        "non_field_errors": [f"Invalid data. Expected a dictionary, but got {got}."]
    }
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_json_null_answers_400_and_changes_nothing(method, path, world, planner_client):
    before = _snapshot()

    response = getattr(planner_client, method)(
        path.format(**_ids(world)), b"null", content_type="application/json"
    )

    _assert_refused(response, 400, "validation_error", None)
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
def test_a_body_in_an_unsupported_media_type_answers_415(method, path, world, planner_client):
    before = _snapshot()

    response = getattr(planner_client, method)(
        path.format(**_ids(world)), b"<unit/>", content_type="application/xml"
    )

    body = _assert_refused(response, 415, "unsupported_media_type", set())
    assert body["message"] == 'Unsupported media type "application/xml" in request.'
    assert _snapshot() == before


@pytest.mark.parametrize(("method", "path"), WRITE_ROUTES)
@pytest.mark.parametrize("key", [None, "big-body-1"], ids=["without key", "with idempotency key"])
def test_a_body_above_the_upload_limit_answers_413(method, path, key, world, planner_client):
    before = _snapshot()
    headers = {"Idempotency-Key": key} if key else {}

    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=2048):
        response = getattr(planner_client, method)(
            path.format(**_ids(world)),
            {"reason": "x" * 5000, "note": "y", "name": "z"},
            format="json",
            headers=headers,
        )

    assert _assert_refused(response, 413, "payload_too_large", set()) == {
        "code": "payload_too_large",
        "message": "The request body is too large.",
        "details": {},
    }
    assert _snapshot() == before


# --- query strings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "code", "fields"),
    [
        ("/api/v1/units/?page=abc", 400, "validation_error", {"page"}),
        ("/api/v1/units/?page=0", 400, "validation_error", {"page"}),
        ("/api/v1/units/?page=-1", 400, "validation_error", {"page"}),
        ("/api/v1/units/?page=1.5", 400, "validation_error", {"page"}),
        ("/api/v1/units/?page=" + "9" * 5000, 404, "not_found", {"page"}),
        ("/api/v1/units/?page=99999", 404, "not_found", {"page"}),
        ("/api/v1/vessel-visits/?page=99999", 404, "not_found", {"page"}),
        ("/api/v1/holds/?page=abc", 400, "validation_error", {"page"}),
        ("/api/v1/containers/?page=%C2%B2", 400, "validation_error", {"page"}),
        ("/api/v1/units/?state=bogus", 400, "validation_error", {"state"}),
        ("/api/v1/units/?category=bogus", 400, "validation_error", {"category"}),
        ("/api/v1/units/?vessel_visit=abc", 400, "validation_error", {"vessel_visit"}),
        ("/api/v1/units/?vessel_visit=1e400", 400, "validation_error", {"vessel_visit"}),
        ("/api/v1/vessel-visits/?eta_after=garbage", 400, "validation_error", {"eta_after"}),
        ("/api/v1/vessel-visits/?phase=bogus", 400, "validation_error", {"phase"}),
        ("/api/v1/holds/?unit=abc", 400, "validation_error", {"unit"}),
        ("/api/v1/solver-runs/?status=bogus", 400, "validation_error", {"status"}),
        ("/api/v1/units/{unit}/hold-check/", 400, "validation_error", {"event"}),
        ("/api/v1/units/{unit}/hold-check/?event=fly", 400, "validation_error", {"event"}),
        ("/api/v1/events/?after=abc", 400, "validation_error", {"after"}),
        ("/api/v1/events/?after=-1", 400, "validation_error", {"after"}),
        ("/api/v1/events/?after=1.5", 400, "validation_error", {"after"}),
        ("/api/v1/events/?after=" + "9" * 30, 400, "validation_error", {"after"}),
        ("/api/v1/events/?limit=0", 400, "validation_error", {"limit"}),
        ("/api/v1/events/?limit=1001", 400, "validation_error", {"limit"}),
        ("/api/v1/events/?after=x&limit=y", 400, "validation_error", {"after", "limit"}),
        ("/api/v1/units/abc/", 404, "not_found", set()),
        ("/api/v1/units/" + "9" * 30 + "/", 404, "not_found", set()),
        ("/api/v1/vessel-visits/-1/", 404, "not_found", set()),
    ],
)
def test_bad_query_parameters_answer_4xx_naming_the_parameter(
    path, status, code, fields, world, planner_client
):
    before = _snapshot()

    response = planner_client.get(path.format(**_ids(world)))

    _assert_refused(response, status, code, fields)
    assert _snapshot() == before


def test_a_page_past_the_end_names_the_page(world, planner_client):
    response = planner_client.get("/api/v1/units/?page=7")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "page: there is no page 7.",
        "details": {"page": ["No page 7."]},
    }


def test_a_failed_unit_creation_leaves_no_new_container_behind(world, planner_client):
    """The container is registered on the fly; when the unit is refused, so is the container."""
    number = container_number(4242, owner="EXPU")
    before = _snapshot()

    response = planner_client.post(
        "/api/v1/units/",
        _unit_body(container_number=number, reefer_setpoint_c="-18.0"),
        format="json",
    )

    assert response.status_code == 400
    assert not Container.objects.filter(number=number).exists()
    assert _snapshot() == before


def test_a_duplicate_reference_on_update_answers_409(world, planner_client, terminal, line_a):
    other = VesselVisitFactory(terminal=terminal, line=line_a, reference="V-2")
    before = _snapshot()

    response = planner_client.patch(
        f"/api/v1/vessel-visits/{other.pk}/", {"reference": "V-1"}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "duplicate",
        "message": "Vessel visit with this Terminal and Reference already exists.",
        "details": {"reference": ["Already used."]},
    }
    assert _snapshot() == before


def test_read_only_fields_in_a_body_are_ignored_not_written(world, planner_client):
    visit = world["visit"]
    eta = timezone.now() + dt.timedelta(days=5)

    response = planner_client.patch(
        f"/api/v1/vessel-visits/{visit.pk}/",
        {"phase": "departed", "ata": eta.isoformat(), "terminal": 999, "id": 999},
        format="json",
    )

    assert response.status_code == 200
    visit.refresh_from_db()
    assert (visit.pk, visit.phase, visit.ata) == (world["visit"].pk, "planned", None)
