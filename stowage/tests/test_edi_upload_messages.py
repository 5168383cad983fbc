"""Uploading COPRAR, VERMAS, COARRI and MOVINS through the API."""

from __future__ import annotations

import datetime as dt

import pytest

from stowage import services
from stowage.models import EdiUpload, ListEntry, PlanCell, StowageInstructionRecord
from stowage.tests.conftest import BAPLIE, COARRI_DISCHARGE, COPRAR, VERMAS
from tos import edi
from tos.core.choices import PositionKind, UnitCategory, UnitState
from tos.core.models import ContainerVisit, Event
from tos.core.tests.factories import (
    ContainerFactory,
    UnitFactory,
    VesselFactory,
    VesselVisitFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def noe_visit(bahrain, line_a):
    """NOE VESSEL voyage 0002W, the vessel of the COPRAR sample."""
    return VesselVisitFactory(
        terminal=bahrain,
        vessel=VesselFactory(name="NOE VESSEL", call_sign="XNOE"),
        line=line_a,
        reference="NOE-2W",
        inbound_voyage="0002W",
        outbound_voyage="0002W",
    )


@pytest.fixture
def export_unit(bahrain, line_a, noe_visit):
    # The samples' CBHU1234567 has a wrong check digit: registered as it is, as a line might.
    container = ContainerFactory(number="CBHU1234567", iso_type="22G1", tare_kg=1000)
    return UnitFactory(
        terminal=bahrain,
        container=container,
        line=line_a,
        category=UnitCategory.EXPORT,
        state=UnitState.ON_TERMINAL,
        outbound_visit=noe_visit,
        position_kind=PositionKind.YARD,
        position_ref="A01.01.1.1",
    )


def test_the_coprar_sample_puts_one_box_on_the_load_list(upload, noe_visit):
    response = upload(COPRAR, vessel_visit=noe_visit.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "load"
    assert body["result"] == {
        "created": {"load_list_entries": 1},
        "updated": {},
        "notes": [
            {
                "code": "container_not_registered",
                "message": "CBHU1234567: CBHU1234567 has a wrong check digit: CBHU123456 needs "
                "check digit 1, not 7; kept in the plan only.",
                "container": "CBHU1234567",
                "segment": 10,
            }
        ],
    }
    entry = ListEntry.objects.get()
    assert (entry.kind, entry.source, entry.container_number) == ("load", "coprar", "CBHU1234567")
    assert (entry.booking, entry.pod, entry.vgm_kg, entry.imdg_classes) == (
        "4006531400",
        "HKHKG",
        11495,
        "3",
    )
    assert entry.upload_id == body["id"]


def test_a_coprar_links_the_export_unit_and_gives_it_the_vgm(upload, noe_visit, export_unit):
    response = upload(COPRAR, vessel_visit=noe_visit.pk)
    assert response.status_code == 201, response.content
    assert response.json()["result"]["updated"] == {"units_linked": 1, "unit_vgm": 1}
    export_unit.refresh_from_db()
    assert export_unit.vgm_kg == 11495
    assert ListEntry.objects.get().unit == export_unit


def test_the_coprar_visit_is_found_from_vessel_call_sign_and_voyage(upload, noe_visit):
    response = upload(COPRAR)
    assert response.status_code == 201, response.content
    assert response.json()["vessel_visit"] == noe_visit.pk


def test_a_coprar_without_a_matching_visit_is_refused_and_changes_nothing(upload, bahrain):
    response = upload(COPRAR)
    assert response.status_code == 400
    assert response.json()["code"] == "edi_visit_unknown"
    assert response.json()["details"] == {"vessel_visit": ["Required for this file."]}
    assert EdiUpload.objects.count() == ListEntry.objects.count() == Event.objects.count() == 0


def test_the_vermas_sample_puts_the_vgm_onto_the_unit(upload, export_unit):
    response = upload(VERMAS)
    assert response.status_code == 201, response.content
    assert response.json()["result"] == {
        "created": {},
        "updated": {"unit_vgm": 1},
        "notes": [],
    }
    export_unit.refresh_from_db()
    assert export_unit.vgm_kg == 1212


def test_a_vgm_below_the_tare_is_noted_and_not_applied(upload, export_unit):
    export_unit.container.tare_kg = 2200
    export_unit.container.save()
    response = upload(VERMAS)
    assert response.status_code == 201
    assert response.json()["result"]["updated"] == {}
    assert response.json()["result"]["notes"] == [
        {
            "code": "vgm_refused",
            "message": "CBHU1234567: Invalid vgm_kg: VGM 1212 kg is below the container's tare "
            "2200 kg.",
            "container": "CBHU1234567",
            "segment": 8,
        }
    ]
    export_unit.refresh_from_db()
    assert export_unit.vgm_kg is None


def test_a_vermas_for_a_box_we_do_not_know_is_noted_not_dropped(upload, bahrain):
    response = upload(VERMAS)
    assert response.status_code == 201
    assert response.json()["result"]["notes"] == [
        {
            "code": "unit_not_found",
            "message": "CBHU1234567: no active unit you may see; VGM not applied.",
            "container": "CBHU1234567",
            "segment": 8,
        }
    ]


def test_an_agent_cannot_set_the_vgm_of_another_lines_unit(upload, agent_b_client, export_unit):
    response = upload(VERMAS, client=agent_b_client)
    assert response.status_code == 201
    assert response.json()["result"]["notes"][0]["code"] == "unit_not_found"
    export_unit.refresh_from_db()
    assert export_unit.vgm_kg is None


def test_the_coarri_sample_is_read_and_its_moves_noted_against_the_plan(upload, bahrain, line_a):
    visit = VesselVisitFactory(
        terminal=bahrain,
        vessel=VesselFactory(name="CHARLOTTE", imo="9118018"),
        line=line_a,
        inbound_voyage="133",
        outbound_voyage="134",
    )
    response = upload(COARRI_DISCHARGE, vessel_visit=visit.pk)
    assert response.status_code == 201, response.content
    result = response.json()["result"]
    assert result["created"] == {"moves_read": 74}
    assert result["updated"] == {}
    assert len(result["notes"]) == 74
    assert {n["code"] for n in result["notes"]} == {"cell_not_found"}
    assert PlanCell.objects.count() == 0


def test_a_movins_stores_its_instructions(upload, euphrates_visit):
    movins = (
        b"UNA:+.? 'UNB+UNOA:2+LINA+BHKBS+260101:1200+M1'UNH+1+MOVINS:D:95B:UN:SMDG20'"
        b"BGM++M1+9'DTM+137:202601011200:203'"
        b"TDT+20+0133+++LINA:172:20+++9V2036:103::X-PRESS EUPHRATES'"
        b"HAN+LOA'LOC+147+0010182::5'MEA+WT++KGM:12000'LOC+11+SGSIN'EQD+CN++22G1'"
        b"HAN+DIS'LOC+147+0030182::5'EQD+CN+MSKU1234565+22G1'"
        b"UNT+13+1'UNZ+1+M1'"
    )
    response = upload(movins, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 201, response.content
    assert response.json()["result"]["created"] == {"stowage_instructions": 2}
    assert list(
        StowageInstructionRecord.objects.values_list("instruction", "position", "container_number")
    ) == [("LOA", "0010182", ""), ("DIS", "0030182", "MSKU1234565")]


def test_a_departure_plan_from_the_arrival_plan_and_the_load_list_is_saved(
    upload, planner, euphrates_visit
):
    upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    ListEntry.objects.create(
        vessel_visit=euphrates_visit,
        kind="load",
        source="coprar",
        container_number="MSKU1234565",
        iso_type="22G1",
        pod="SGSIN",
        vgm_kg=20000,
    )
    remain = PlanCell.objects.filter(move="remain").order_by("bay", "row", "tier").first()
    plan = services.departure_plan_save(
        visit=euphrates_visit,
        by=planner,
        cells=[
            services.CellInput(
                remain.container_number, remain.bay, remain.row, remain.tier, "remain"
            ),
            services.CellInput("MSKU1234565", 1, 0, 2, "load"),
        ],
    )
    assert plan.kind == "departure"
    assert sorted(plan.cells.values_list("container_number", "move", "pod")) == sorted(
        [(remain.container_number, "remain", remain.pod), ("MSKU1234565", "load", "SGSIN")]
    )
    with pytest.raises(services.ApplicationError) as refused:
        services.departure_plan_save(
            visit=euphrates_visit, by=planner, cells=[services.CellInput("ZZZU0000000", 1, 0, 4)]
        )
    assert refused.value.code == "unknown_box"
    assert plan.cells.count() == 2


def test_the_load_list_takes_the_export_units_in_the_yard(planner, noe_visit, export_unit):
    assert services.load_list_from_yard(visit=noe_visit, by=planner) == {"added": 1, "kept": 0}
    entry = ListEntry.objects.get()
    assert (entry.source, entry.unit, entry.position) == ("yard", export_unit, "A01.01.1.1")
    assert services.load_list_from_yard(visit=noe_visit, by=planner) == {"added": 0, "kept": 1}


def test_nothing_is_half_written_when_a_later_box_fails(upload, euphrates_visit, monkeypatch):
    calls = []

    def boom(*args, **kwargs):
        calls.append(1)
        raise services.ApplicationError("boom", "fails after the units were written", status=409)

    monkeypatch.setattr(services, "_profile_merge", boom)
    response = upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    assert response.status_code == 409
    assert calls == [1]
    assert ContainerVisit.objects.count() == PlanCell.objects.count() == 0
    assert EdiUpload.objects.count() == Event.objects.count() == 0


def test_edi_dates_in_the_past_do_not_matter_for_an_upload(upload, euphrates_visit):
    assert dt.date(2017, 11, 20) < dt.date.today()
    assert edi.fingerprint(BAPLIE.read_bytes()).interchange_keys == ("ADTKP01/1",)


def test_an_agent_re_sending_another_agents_vermas_gets_409_not_their_report(
    upload, agent_a_client, agent_b_client, export_unit
):
    assert upload(VERMAS, client=agent_a_client).status_code == 201
    response = upload(VERMAS, client=agent_b_client)
    assert response.status_code == 409
    assert response.json()["code"] == "edi_already_received"
    assert EdiUpload.objects.count() == 1


def test_two_identical_files_at_once_give_one_upload_and_a_replay(
    upload, planner, noe_visit, monkeypatch
):
    """The second request read the file before the first committed: the unique content
    constraint turns its insert into a replay of the first."""
    first = upload(COPRAR, vessel_visit=noe_visit.pk).json()
    monkeypatch.setattr(services, "_previous_upload", _late(services._previous_upload))
    second = upload(COPRAR, vessel_visit=noe_visit.pk)
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first["id"]
    assert second.json()["replayed"] is True
    assert EdiUpload.objects.count() == ListEntry.objects.count() == 1


def _late(real):
    """_previous_upload that misses the first call (as if the other request had not committed
    yet) and answers truthfully afterwards."""
    calls = []

    def wrapper(**kwargs):
        calls.append(1)
        return None if len(calls) == 1 else real(**kwargs)

    return wrapper


def test_the_lists_api_gives_the_load_list_and_staff_fill_it_from_the_yard(
    planner_client, agent_a_client, noe_visit, export_unit
):
    url = f"/api/v1/stowage/vessel-visits/{noe_visit.pk}/"
    refused = agent_a_client.post(url + "load-list/from-yard/")
    assert refused.status_code == 403
    assert ListEntry.objects.count() == 0
    added = planner_client.post(url + "load-list/from-yard/")
    assert added.status_code == 200
    assert added.json() == {"added": 1, "kept": 0}
    body = agent_a_client.get(url + "lists/", {"kind": "load"}).json()
    row = dict(zip(body["fields"], body["entries"][0], strict=True))
    assert len(body["entries"]) == 1
    assert (row["container"], row["source"], row["unit"]) == ("CBHU1234567", "yard", export_unit.pk)
    assert agent_a_client.get(url + "lists/", {"kind": "discharge"}).json()["entries"] == []
    assert agent_a_client.get(url + "lists/").status_code == 400
