"""Declarations, holds through the core engine, risk-driven release and inspection, officer
decisions and their audit trail, customs responses (JSON and EDIFACT CUSRES)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customs.choices import DeclarationStatus
from customs.models import Decision, Declaration, InspectionCase, RiskAssessment
from customs.tests.conftest import lodge, reading
from tos.core.choices import HoldKind, PositionKind, UnitState
from tos.core.errors import ApplicationError
from tos.core.models import Event, Hold
from tos.core.selectors import unit_event_check
from tos.core.services import unit_transition
from tos.edi.cusres import CustomsResponse, DocumentReference, status, write_cusres

pytestmark = pytest.mark.django_db

DOOR_OPEN = {"event": "door_open", "seal_number": "SEAL1"}
CS137 = {"gross_cps": 2400.0, "background_cps": 300.0, "gamma_spectrum": {"Cs137": 1900.0}}
CERAMICS_K40 = {
    "gross_cps": 900.0,
    "background_cps": 300.0,
    "gamma_spectrum": {"K40": 480.0, "Th232": 70.0, "Ra226": 50.0},
}


def active_customs_holds(unit):
    return list(Hold.objects.filter(unit=unit, kind=HoldKind.CUSTOMS, released_at=None))


def test_lodging_a_consistent_declaration_holds_then_auto_releases_with_a_system_decision(
    terminal, make_unit
):
    unit = make_unit()
    declaration = lodge(terminal, [unit])
    holds = list(Hold.objects.filter(unit=unit, kind=HoldKind.CUSTOMS))
    decision = Decision.objects.get(unit=unit)
    assert (declaration.status, declaration.early) == (DeclarationStatus.RELEASED, False)
    assert [(h.reference, h.released_at is not None) for h in holds] == [
        (declaration.reference, True)
    ]
    assert (decision.action, decision.source, decision.officer) == ("release", "system", None)
    assert decision.reason.startswith("Risk 0/100 (low): automatic release")
    assert InspectionCase.objects.count() == 0


def test_an_early_declaration_is_released_before_the_box_arrives(terminal, make_unit):
    unit = make_unit(state=UnitState.ADVISED)
    declaration = lodge(terminal, [unit])
    assert (declaration.early, declaration.status) == (True, DeclarationStatus.RELEASED)
    assert unit_event_check(unit=unit, event="gate_out").allowed is True


def test_a_customs_hold_blocks_gate_out_and_loading_until_the_officer_releases(
    terminal, lodged, post_reading, officer, officer_client
):
    _, unit = lodged()
    response = post_reading(reading("seal", container=unit.container.number, payload=DOOR_OPEN))
    case = InspectionCase.objects.get(unit=unit)
    hold = Hold.objects.get(unit=unit, released_at=None)
    assert (response.status_code, response.json()["readings"][0]["alarm"]) == (201, True)
    assert (case.status, case.priority, hold.reference) == ("open", 85, f"INSP-{case.pk}")
    assert hold.blocked_events == ["gate_out", "loading", "delivery"]
    unit_transition(unit=unit, state=UnitState.OUTBOUND)
    for kind in (PositionKind.TRUCK, PositionKind.VESSEL):
        with pytest.raises(ApplicationError) as refused:
            unit_transition(unit=unit, state=UnitState.DEPARTED, position_kind=kind)
        assert (refused.value.code, refused.value.status) == ("held", 409)

    decided = officer_client.post(
        f"/api/v1/customs/cases/{case.pk}/decide/",
        {"action": "release", "reason": "Door opened by the line's surveyor; seal intact"},
        format="json",
    )
    unit_transition(
        unit=unit, state=UnitState.DEPARTED, position_kind=PositionKind.VESSEL, position_ref="1"
    )
    case.refresh_from_db()
    body = decided.json()
    assert decided.status_code == 201
    assert (body["action"], body["source"], body["officer"]) == ("release", "officer", "officer")
    assert body["reason"] == "Door opened by the line's surveyor; seal intact"
    assert (case.status, case.closed_at is not None) == ("closed", True)
    assert active_customs_holds(unit) == []


def test_ceramics_with_natural_k40_do_not_alarm_and_stay_released(terminal, lodged, post_reading):
    declaration, unit = lodged()
    response = post_reading(
        reading("radiation", container=unit.container.number, payload=CERAMICS_K40)
    )
    declaration.refresh_from_db()
    assert response.status_code == 201
    assert response.json()["readings"][0]["alarm"] is False
    assert declaration.status == DeclarationStatus.RELEASED
    assert InspectionCase.objects.count() == 0
    assert active_customs_holds(unit) == []
    assert RiskAssessment.objects.filter(unit=unit).first().level == "low"


def test_cs137_in_ceramics_alarms_and_goes_to_the_top_of_the_queue(
    terminal, lodged, post_reading, officer_client
):
    _, quiet_unit = lodged()
    post_reading(reading("seal", container=quiet_unit.container.number, payload=DOOR_OPEN))
    _, hot_unit = lodged()
    before = Event.objects.filter(type="customs.alarm").count()
    response = post_reading(
        reading("radiation", container=hot_unit.container.number, payload=CS137)
    )
    queue = officer_client.get("/api/v1/customs/cases/").json()["results"]
    alarm = Event.objects.filter(type="customs.alarm").order_by("-seq").first()
    assert response.json()["readings"][0]["alarm"] is True
    assert "Cs137" in response.json()["readings"][0]["alarm_reason"]
    assert [r["container"] for r in queue] == [
        hot_unit.container.number,
        quiet_unit.container.number,
    ]
    assert queue[0]["level"] == "high"
    assert queue[0]["priority"] >= 90
    assert Event.objects.filter(type="customs.alarm").count() == before + 1
    assert alarm.payload["container"] == hot_unit.container.number
    assert alarm.line_id is None


def test_a_door_opening_inside_the_scheduled_examination_is_no_alarm(
    terminal, lodged, post_reading, officer_client
):
    _, unit = lodged()
    post_reading(reading("seal", container=unit.container.number, payload=DOOR_OPEN))
    case = InspectionCase.objects.get(unit=unit)
    start = timezone.now()
    officer_client.post(
        f"/api/v1/customs/cases/{case.pk}/decide/",
        {
            "action": "examine",
            "reason": "Open and check the cargo at the CFS",
            "scheduled_from": start.isoformat(),
            "scheduled_until": (start + dt.timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    inside = post_reading(
        reading("seal", container=unit.container.number, payload=DOOR_OPEN, minutes_ago=-30)
    )
    outside = post_reading(
        reading("seal", container=unit.container.number, payload=DOOR_OPEN, minutes_ago=-300)
    )
    case.refresh_from_db()
    assert case.status == "examination"
    assert inside.json()["readings"][0]["alarm"] is False
    assert outside.json()["readings"][0]["alarm"] is True


def test_every_officer_decision_is_an_immutable_audit_row(terminal, lodged, post_reading, officer):
    _, unit = lodged()
    post_reading(reading("seal", container=unit.container.number, payload=DOOR_OPEN))
    case = InspectionCase.objects.get(unit=unit)
    from customs.services import inspection_decide

    decision = inspection_decide(
        case=case, action="sample", reason="Take two samples", officer=officer
    )
    decision.reason = "changed"
    with pytest.raises(ValueError, match="never changed"):
        decision.save()
    with pytest.raises(ValueError, match="never deleted"):
        decision.delete()
    stored = Decision.objects.get(pk=decision.pk)
    assert (stored.officer, stored.action, stored.reason) == (officer, "sample", "Take two samples")
    assert stored.at is not None
    assert stored.case == case


def test_a_decision_without_reason_is_refused_and_changes_nothing(
    terminal, lodged, post_reading, officer_client
):
    _, unit = lodged()
    post_reading(reading("seal", container=unit.container.number, payload=DOOR_OPEN))
    case = InspectionCase.objects.get(unit=unit)
    events = Event.objects.count()
    response = officer_client.post(
        f"/api/v1/customs/cases/{case.pk}/decide/", {"action": "release", "reason": " "}
    )
    case.refresh_from_db()
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert "reason" in response.json()["details"]
    assert (case.status, Decision.objects.filter(case=case).count()) == ("open", 0)
    assert Event.objects.count() == events
    assert len(active_customs_holds(unit)) == 1


def test_a_json_customs_response_holds_then_releases_a_declaration(
    terminal, make_unit, officer_client
):
    unit = make_unit()
    declaration = lodge(terminal, [unit], declared_gross_kg=9000)  # VGM says 24 t
    declaration.refresh_from_db()
    assert declaration.status in (DeclarationStatus.UNDER_REVIEW, DeclarationStatus.HELD)
    held = officer_client.post(
        "/api/v1/customs/responses/",
        {"reference": declaration.reference, "action": "hold", "reason": "Weight query"},
        format="json",
    )
    released = officer_client.post(
        "/api/v1/customs/responses/",
        {"reference": declaration.reference, "action": "release", "reason": "Weight explained"},
        format="json",
    )
    again = officer_client.post(
        "/api/v1/customs/responses/",
        {"reference": declaration.reference, "action": "release", "reason": "Weight explained"},
        format="json",
    )
    assert (held.status_code, held.json()["status"]) == (200, "held")
    assert (released.status_code, released.json()["status"]) == (200, "released")
    assert (again.status_code, again.json()["code"]) == (409, "already_released")
    assert active_customs_holds(unit) == []
    assert InspectionCase.objects.get(unit=unit).status == "closed"
    assert list(
        Decision.objects.filter(unit=unit).order_by("pk").values_list("action", "source")
    ) == [("hold", "api"), ("release", "api")]


def test_an_unknown_declaration_in_a_json_response_is_404_naming_the_field(officer_client):
    response = officer_client.post(
        "/api/v1/customs/responses/",
        {"reference": "NOPE1", "action": "release", "reason": "x" * 5},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (404, "unknown_declaration")
    assert list(response.json()["details"]) == ["reference"]


def _cusres(declaration: str, action: str, containers=()) -> bytes:
    response = CustomsResponse(
        message_reference="M1",
        document_number=declaration,
        document_code="962",
        statuses=(status(action),),
        documents=(DocumentReference(code="830", number=declaration),),
        containers=tuple(containers),
        reasons=("Cleared by customs",),
        dates={"137": timezone.now().replace(microsecond=0)},
    )
    return write_cusres([response]).encode()


def test_an_edifact_cusres_release_lifts_the_declaration_holds(terminal, make_unit, officer_client):
    unit = make_unit()
    declaration = lodge(terminal, [unit], declared_gross_kg=9000)
    assert len(active_customs_holds(unit)) == 1
    body = _cusres(declaration.reference, "release", [unit.container.number])
    response = officer_client.post(
        "/api/v1/customs/responses/edifact/",
        body,
        content_type="application/edifact",
        HTTP_CONTENT_DISPOSITION="attachment; filename=cusres.edi",
    )
    declaration.refresh_from_db()
    assert response.status_code == 200, response.json()
    assert response.json()["responses"][0] | {} == {
        "message_reference": "M1",
        "declaration": declaration.reference,
        "customs_action": "release",
        "action": "release",
        "applied": True,
        "status": "released",
    }
    assert declaration.status == DeclarationStatus.RELEASED
    assert active_customs_holds(unit) == []
    assert Decision.objects.filter(unit=unit, source="cusres").count() == 1


@pytest.mark.parametrize(
    ("body", "status_code", "code"),
    [
        (b"this is not an EDIFACT interchange", 400, "edi_invalid"),
        (None, 404, "unknown_declaration"),
    ],
)
def test_a_bad_cusres_file_is_refused_and_changes_nothing(
    terminal, make_unit, officer_client, body, status_code, code
):
    unit = make_unit()
    lodge(terminal, [unit], declared_gross_kg=9000)
    events = Event.objects.count()
    response = officer_client.post(
        "/api/v1/customs/responses/edifact/",
        body or _cusres("NOSUCHDEC", "release"),
        content_type="application/edifact",
        HTTP_CONTENT_DISPOSITION="attachment; filename=cusres.edi",
    )
    assert (response.status_code, response.json()["code"]) == (status_code, code)
    assert Event.objects.count() == events
    assert len(active_customs_holds(unit)) == 1


def test_two_step_declaration_is_released_on_the_summary_and_completed_later(
    terminal, make_unit, officer_client
):
    unit = make_unit()
    declaration = lodge(terminal, [unit], two_step=True)
    first = officer_client.post(f"/api/v1/customs/declarations/{declaration.pk}/complete/")
    second = officer_client.post(f"/api/v1/customs/declarations/{declaration.pk}/complete/")
    assert declaration.status == DeclarationStatus.RELEASED
    assert first.status_code == 200
    assert first.json()["completed_at"] is not None
    assert (second.status_code, second.json()["code"]) == (409, "already_completed")


def test_lodging_through_the_api_names_a_bad_container_and_writes_nothing(
    terminal, make_unit, agent_a_client
):
    unit = make_unit()
    body = {
        "reference": "DECAPI1",
        "kind": "import",
        "declarant": "Shipper",
        "goods_description": "tiles",
        "hs_code": "690721",
        "origin_country": "ES",
        "containers": [unit.container.number, "MSCU1234565"],
    }
    response = agent_a_client.post("/api/v1/customs/declarations/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "validation_error")
    assert list(response.json()["details"]) == ["containers[1]"]
    assert Declaration.objects.count() == 0
    assert Hold.objects.count() == 0
    ok = agent_a_client.post(
        "/api/v1/customs/declarations/",
        body | {"containers": [unit.container.number]},
        format="json",
    )
    assert ok.status_code == 201
    assert set(ok.json()) >= {"reference", "status", "containers"}
    assert "hs_code" not in ok.json()  # an agent sees the status, not customs' file


def test_the_same_reference_twice_is_409(terminal, make_unit):
    lodge(terminal, [make_unit()], reference="DUP1")
    with pytest.raises(ApplicationError) as refused:
        lodge(terminal, [make_unit()], reference="DUP1")
    assert (refused.value.code, refused.value.status) == ("duplicate", 409)
    assert Declaration.objects.count() == 1
