"""Uploading BAPLIE through the API: the arrival plan, units, discharge list and profile; the
idempotency, refusal and tenant rules of every upload."""

from __future__ import annotations

from collections import Counter

import pytest
from django.db.models import Count

from stowage import services
from stowage.models import EdiUpload, ListEntry, PlanCell, StowagePlan, VesselProfile
from stowage.tests.conftest import BAPLIE
from stowage.tests.support import synthetic_baplie
from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.models import Container, ContainerVisit, Event, IdempotencyRecord

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        "uploads": EdiUpload.objects.count(),
        "containers": Container.objects.count(),
        "units": ContainerVisit.objects.count(),
        "plans": StowagePlan.objects.count(),
        "cells": PlanCell.objects.count(),
        "entries": ListEntry.objects.count(),
        "profiles": VesselProfile.objects.count(),
        "events": Event.objects.count(),
    }


NOTHING = {
    "uploads": 0,
    "containers": 0,
    "units": 0,
    "plans": 0,
    "cells": 0,
    "entries": 0,
    "profiles": 0,
    "events": 0,
}


def test_uploading_the_baplie_sample_creates_the_arrival_plan_units_and_profile(
    upload, euphrates_visit, planner
):
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk, name="euphrates.edi")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["replayed"] is False
    assert body["message_type"] == "BAPLIE"
    assert body["vessel_visit"] == euphrates_visit.pk
    assert body["uploaded_by"] == "planner"
    assert body["filename"] == "euphrates.edi"
    assert body["interchange_keys"] == ["ADTKP01/1"]
    assert body["report"]["ok"] is True
    assert body["report"]["counts"]["units"] == 609
    assert Counter(w["code"] for w in body["report"]["warnings"]) == {
        "UNT_COUNT": 1,
        "BLANK_LINES": 1,
        "EMPTY_QUALIFIER": 2,
        "DATE_INVALID": 2,
        "SIZE_TYPE_LEGACY": 92,
        "CONTAINER_CHECK_DIGIT": 2,
    }
    assert body["result"]["created"] == {
        "arrival_plan": 1,
        "containers": 607,
        "units": 313,
        "plan_cells": 609,
        "discharge_list_entries": 313,
        "remain_on_board": 296,
        "vessel_profile": 1,
        "profile_cells": 904,
    }
    notes = {n["code"]: n for n in body["result"]["notes"]}
    assert sorted(n["container"] for n in body["result"]["notes"][1:]) == [
        "ETEU3598940",
        "GLDU2028920",
    ]
    assert len(notes["operator_unknown"]["operators"]) == 20
    assert _counts() == {
        "uploads": 1,
        "containers": 607,
        "units": 313,
        "plans": 1,
        "cells": 609,
        "entries": 313,
        "profiles": 1,
        "events": 2,
    }
    unit = (
        ContainerVisit.objects.get(container__number="MSCU6975085")
        if ContainerVisit.objects.filter(container__number="MSCU6975085").exists()
        else ContainerVisit.objects.order_by("pk").first()
    )
    cell = PlanCell.objects.get(unit=unit)
    assert unit.state == UnitState.INBOUND
    assert unit.position_kind == PositionKind.VESSEL
    assert unit.position_visit == euphrates_visit
    assert unit.position_ref == cell.position
    assert unit.inbound_visit == euphrates_visit
    assert unit.pod == "BHKBS"
    assert set(ContainerVisit.objects.values_list("state", flat=True)) == {UnitState.INBOUND}
    assert PlanCell.objects.filter(move="discharge").count() == 313
    assert PlanCell.objects.filter(move="remain", pod="BHKBS").count() == 0
    assert ListEntry.objects.filter(kind="discharge", source="baplie").count() == 313
    profile = VesselProfile.objects.get()
    assert profile.vessel == euphrates_visit.vessel
    assert profile.source == "baplie"
    assert profile.cells == 904


def test_full_boxes_for_this_port_become_import_units_and_the_rest_stays_on_board(
    upload, euphrates_visit
):
    upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    by_category = dict(ContainerVisit.objects.values_list("category").annotate(n=Count("pk")))
    assert by_category == {UnitCategory.IMPORT: 313}
    remain = PlanCell.objects.filter(move="remain")
    assert remain.count() == 296
    assert remain.filter(unit__isnull=False).count() == 0
    assert set(remain.values_list("pod", flat=True)) == {"BHBAH", "SAJUB"}


def test_re_uploading_the_same_baplie_changes_nothing_and_returns_the_first_report(
    upload, euphrates_visit
):
    first = upload(BAPLIE, vessel_visit=euphrates_visit.pk).json()
    before = _counts()
    # Same content with Windows line ends and a BOM is the same file.
    again = upload(b"\xef\xbb\xbf" + BAPLIE.read_bytes().replace(b"\n", b"\r\n"))
    assert again.status_code == 200, again.content
    body = again.json()
    assert body["replayed"] is True
    assert body["id"] == first["id"]
    assert body["result"] == first["result"]
    assert body["report"] == first["report"]
    assert _counts() == before


def test_the_same_interchange_key_with_other_content_is_409_and_changes_nothing(
    upload, euphrates_visit
):
    upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    before = _counts()
    changed = BAPLIE.read_bytes().replace(b"MEA+WT++KGM:2280", b"MEA+WT++KGM:2380", 1)
    response = upload(changed, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "edi_interchange_reused"
    assert response.json()["details"] == {"interchange_key": ["ADTKP01/1"]}
    assert _counts() == before


def test_a_broken_baplie_creates_nothing_and_answers_422_with_the_report(upload, euphrates_visit):
    broken = BAPLIE.read_bytes().replace(b"LOC+147+0110382", b"LOC+147+XYZ", 1)
    response = upload(broken, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "edi_invalid"
    assert body["message"] == "The BAPLIE has 1 error(s); nothing was changed."
    report = body["details"]["report"]
    assert report["ok"] is False
    assert [(e["code"], e["segment"], e["tag"]) for e in report["errors"]] == [
        ("POSITION_INVALID", 12, "LOC")
    ]
    assert _counts() == NOTHING


def test_strict_mode_refuses_the_warnings_that_tolerant_mode_accepts(upload, euphrates_visit):
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk, strict="true")
    assert response.status_code == 422
    report = response.json()["details"]["report"]
    assert report["strict"] is True
    assert len(report["errors"]) == 100
    assert {e["code"] for e in report["errors"]} >= {"UNT_COUNT", "BLANK_LINES"}
    assert _counts() == NOTHING
    assert upload(BAPLIE, vessel_visit=euphrates_visit.pk, strict="false").status_code == 201


def test_a_raw_body_upload_detects_the_message_type_and_finds_the_visit_by_vessel_and_voyage(
    planner_client, euphrates_visit
):
    response = planner_client.generic(
        "POST",
        "/api/v1/edi/uploads/",
        BAPLIE.read_bytes(),
        content_type="application/edifact",
    )
    assert response.status_code == 201, response.content
    assert response.json()["vessel_visit"] == euphrates_visit.pk
    assert response.json()["message_type"] == "BAPLIE"


def test_a_message_type_that_contradicts_the_file_is_refused(upload, euphrates_visit):
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk, message_type="COPRAR")
    assert response.status_code == 400
    assert response.json()["code"] == "edi_type_mismatch"
    assert _counts() == NOTHING


def test_a_baplie_of_another_vessel_is_refused_for_this_visit(upload, other_visit):
    response = upload(BAPLIE, vessel_visit=other_visit.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "edi_vessel_mismatch"
    assert _counts() == NOTHING


def test_a_box_active_elsewhere_at_the_terminal_refuses_the_whole_file(
    upload, euphrates_visit, bahrain, line_a
):
    from tos.core.tests.factories import ContainerFactory, UnitFactory

    container = ContainerFactory(number="MSKU1234565", iso_type="22G1")
    UnitFactory(terminal=bahrain, container=container, line=line_a, state=UnitState.ON_TERMINAL)
    before = _counts()
    response = upload(synthetic_baplie(), vessel_visit=euphrates_visit.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "edi_unit_conflict"
    assert response.json()["details"] == {"container": ["MSKU1234565"]}
    assert _counts() == before


def test_a_corrected_baplie_with_a_new_reference_replaces_the_arrival_plan(upload, euphrates_visit):
    assert (
        upload(synthetic_baplie(reference="1"), vessel_visit=euphrates_visit.pk).status_code == 201
    )
    second = upload(
        synthetic_baplie(reference="2", pods=("BHKBS", "BHKBS")), vessel_visit=euphrates_visit.pk
    )
    assert second.status_code == 201, second.content
    assert second.json()["result"]["updated"] == {"arrival_plan": 1}
    plan = StowagePlan.objects.get()
    assert plan.revision == 2
    assert sorted(plan.cells.values_list("container_number", "move")) == [
        ("MSKU1234565", "discharge"),
        ("TGHU1234567", "discharge"),
    ]
    assert ContainerVisit.objects.count() == 2
    assert ListEntry.objects.filter(kind="discharge").count() == 2


# --- tenants ------------------------------------------------------------------------------------


def test_an_agent_uploads_a_baplie_of_its_own_line_for_its_own_visit(
    upload, agent_a_client, euphrates_visit, line_a
):
    response = upload(synthetic_baplie(), client=agent_a_client, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 201, response.content
    assert response.json()["result"]["created"]["units"] == 1
    assert ContainerVisit.objects.get().line == line_a


def test_an_agent_gets_404_for_another_lines_visit_and_nothing_changes(
    upload, agent_b_client, euphrates_visit
):
    response = upload(
        synthetic_baplie(operator="LINB"), client=agent_b_client, vessel_visit=euphrates_visit.pk
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert _counts() == NOTHING


def test_an_agent_is_refused_a_baplie_carrying_other_lines_boxes(
    upload, agent_a_client, euphrates_visit, line_b
):
    response = upload(
        synthetic_baplie(operator="LINB"), client=agent_a_client, vessel_visit=euphrates_visit.pk
    )
    assert response.status_code == 403
    assert response.json()["code"] == "edi_foreign_lines"
    assert response.json()["details"] == {"operators": ["LINB"]}
    sample = upload(BAPLIE, client=agent_a_client, vessel_visit=euphrates_visit.pk)
    assert sample.status_code == 403
    assert sample.json()["code"] == "edi_foreign_lines"
    assert len(sample.json()["details"]["operators"]) == 20
    assert _counts() == NOTHING


def test_agents_see_only_uploads_about_their_own_lines(
    upload, agent_a_client, agent_b_client, planner_client, euphrates_visit
):
    created = upload(synthetic_baplie(), client=agent_a_client, vessel_visit=euphrates_visit.pk)
    pk = created.json()["id"]
    assert [u["id"] for u in agent_a_client.get("/api/v1/edi/uploads/").json()["results"]] == [pk]
    assert agent_b_client.get("/api/v1/edi/uploads/").json()["results"] == []
    assert agent_b_client.get(f"/api/v1/edi/uploads/{pk}/").status_code == 404
    detail = planner_client.get(f"/api/v1/edi/uploads/{pk}/")
    assert detail.status_code == 200
    assert detail.json()["report"]["ok"] is True
    assert detail.json()["result"]["created"]["units"] == 1


def test_another_agent_re_sending_a_file_received_for_a_visit_it_cannot_see_gets_409(
    upload, agent_a_client, agent_b_client, euphrates_visit
):
    upload(synthetic_baplie(), client=agent_a_client, vessel_visit=euphrates_visit.pk)
    before = _counts()
    response = upload(synthetic_baplie(), client=agent_b_client)
    assert response.status_code == 409
    assert response.json()["code"] == "edi_already_received"
    assert _counts() == before


# --- limits and idempotency ---------------------------------------------------------------------


def test_a_file_above_the_limit_is_413_and_changes_nothing(upload, euphrates_visit, monkeypatch):
    monkeypatch.setattr(services, "EDI_MAX_BYTES", 10_000)
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 413
    assert response.json()["code"] == "edi_too_large"
    assert _counts() == NOTHING


def test_a_raw_body_above_the_limit_is_413(planner_client, euphrates_visit, monkeypatch):
    monkeypatch.setattr(services, "EDI_MAX_BYTES", 10_000)
    response = planner_client.generic(
        "POST", "/api/v1/edi/uploads/", BAPLIE.read_bytes(), content_type="application/edifact"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "edi_too_large"
    assert _counts() == NOTHING


def test_the_idempotency_key_replays_the_first_answer(planner_client, euphrates_visit):
    def post():
        return planner_client.generic(
            "POST",
            f"/api/v1/edi/uploads/?vessel_visit={euphrates_visit.pk}",
            synthetic_baplie(),
            content_type="application/edifact",
            HTTP_IDEMPOTENCY_KEY="k-1",
        )

    first, second = post(), post()
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert EdiUpload.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_an_upload_without_a_file_names_the_field(planner_client, euphrates_visit):
    response = planner_client.post(
        "/api/v1/edi/uploads/", {"vessel_visit": euphrates_visit.pk}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["details"] == {"file": ["Required."]}


def test_an_unknown_message_type_is_refused(upload, euphrates_visit):
    response = upload(
        b"UNA:+.? 'UNB+UNOA:2+X+Y+200101:1200+9'UNH+1+IFTMIN:D:95B:UN'UNT+2+1'UNZ+1+9'"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "edi_unknown_type"
    assert _counts() == NOTHING


def test_uploads_filter_by_visit_and_type_without_telling_what_exists(
    upload, planner_client, agent_b_client, euphrates_visit
):
    pk = upload(synthetic_baplie(), vessel_visit=euphrates_visit.pk).json()["id"]
    url = "/api/v1/edi/uploads/"
    ids = [
        u["id"]
        for u in planner_client.get(url, {"vessel_visit": euphrates_visit.pk}).json()["results"]
    ]
    assert ids == [pk]
    assert planner_client.get(url, {"message_type": "COPRAR"}).json()["results"] == []
    mine = agent_b_client.get(url, {"vessel_visit": euphrates_visit.pk})
    nobody = agent_b_client.get(url, {"vessel_visit": 999999})
    assert mine.status_code == nobody.status_code == 200
    assert mine.json()["results"] == nobody.json()["results"] == []
