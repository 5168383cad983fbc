"""CODECO: every accepted gate-in writes a gate-in report (BGM 34) per line for the boxes it
brings, every gate-out a gate-out report (BGM 36) for the boxes it takes; stored once, read back
by our own EDIFACT reader, listed and downloaded per line."""

from __future__ import annotations

import datetime as dt

from gate.models import CodecoMessage
from gate.tests.test_gate_out import advise_pick_up
from tos import edi

CODECO = "/api/v1/gate/codeco/"


def accepted_drop_off(advise_export, book, gate_in, key=None):
    advice, appointment = advise_export(), book()
    response = gate_in(
        [{"container_number": advice["container_number"], "seals": ["SL1"]}],
        appointment=appointment["reference"],
        key=key,
    )
    assert response.json()["status"] == "accepted", response.json()
    return advice, response


def test_an_accepted_drop_off_writes_one_gate_in_codeco_that_reads_back(
    advise_export, book, gate_in, terminal
):
    advice, response = accepted_drop_off(advise_export, book, gate_in)
    visit = response.json()
    messages = list(CodecoMessage.objects.all())
    assert len(messages) == 1
    message = messages[0]
    assert (message.visit_id, message.line.code, message.direction) == (
        visit["id"],
        "LINA",
        "gate_in",
    )
    assert message.containers == [advice["container_number"]]
    parsed, report = edi.read_codeco(message.message)
    assert report.ok, report.as_dict()
    assert report.errors == []
    assert (parsed.kind, parsed.document_code, parsed.carrier) == ("gate_in", "34", "LINA")
    assert parsed.envelope.sender == terminal.locode
    assert parsed.envelope.recipient == "LINA"
    [line] = parsed.lines
    assert line.container == advice["container_number"]
    assert (line.size_type, line.status, line.full) == ("22G1", "2", True)
    assert (line.booking, line.seals, line.vgm_kg) == ("BK100", ("SL1",), 21000)
    assert (line.carriage_mode, line.carriage_id) == ("3", "AB-12-CD")
    assert line.moved_at is not None


def test_a_retried_gate_in_never_writes_a_second_codeco(advise_export, book, gate_in):
    advice, appointment = advise_export(), book()
    containers = [{"container_number": advice["container_number"], "seals": ["SL1"]}]
    first = gate_in(containers, appointment=appointment["reference"], key="same-key")
    replay = gate_in(containers, appointment=appointment["reference"], key="same-key")
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    assert CodecoMessage.objects.count() == 1


def test_a_refused_gate_in_writes_no_codeco(advise_export, gate_in):
    advice = advise_export()
    response = gate_in([{"container_number": advice["container_number"], "seals": ["SL1"]}])
    assert response.json()["status"] == "refused"
    assert CodecoMessage.objects.count() == 0


def test_a_pick_up_writes_its_codeco_at_gate_out_with_the_import_status(
    haulier_client, import_unit, book, gate_in, gate_out
):
    unit = import_unit()
    advice = advise_pick_up(haulier_client, unit)
    appointment = book("pick_up_import")
    visit = gate_in(
        [{"container_number": unit.container.number, "pin": advice["pin"]}],
        appointment=appointment["reference"],
    ).json()
    assert visit["status"] == "accepted", visit
    assert CodecoMessage.objects.count() == 0
    assert gate_out(visit["id"]).status_code == 200
    [message] = CodecoMessage.objects.all()
    assert message.direction == "gate_out"
    parsed, report = edi.read_codeco(message.message)
    assert report.ok
    assert (parsed.kind, parsed.document_code) == ("gate_out", "36")
    [line] = parsed.lines
    assert (line.container, line.status, line.full) == (unit.container.number, "3", True)
    assert (line.release_reference, line.bl_reference) == ("BL1", "BL1")


def test_agents_list_and_download_only_their_lines_codeco(
    advise_export, book, gate_in, clerk_client, agent_a_client, agent_b_client
):
    accepted_drop_off(advise_export, book, gate_in)
    [message] = CodecoMessage.objects.all()
    listed = agent_a_client.get(CODECO).json()
    assert listed["count"] == 1
    assert listed["results"][0]["reference"] == message.reference
    assert listed["results"][0]["line"] == "LINA"
    assert agent_b_client.get(CODECO).json()["count"] == 0
    assert agent_b_client.get(f"{CODECO}{message.pk}/").status_code == 404
    assert agent_b_client.get(f"{CODECO}{message.pk}/edi/").status_code == 404
    download = agent_a_client.get(f"{CODECO}{message.pk}/edi/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/edifact"
    assert download["Content-Disposition"] == f'attachment; filename="{message.reference}.edi"'
    assert download.content.decode("latin-1") == message.message
    assert clerk_client.get(CODECO, {"line": "LINA"}).json()["count"] == 1


def test_codeco_polling_with_since_and_after_id(advise_export, book, gate_in, agent_a_client):
    accepted_drop_off(advise_export, book, gate_in)
    [message] = CodecoMessage.objects.all()
    earlier = (message.created_at - dt.timedelta(seconds=1)).isoformat()
    assert agent_a_client.get(CODECO, {"since": earlier}).json()["count"] == 1
    later = message.created_at.isoformat()
    assert agent_a_client.get(CODECO, {"since": later}).json()["count"] == 0
    assert agent_a_client.get(CODECO, {"after_id": message.pk}).json()["count"] == 0
    assert agent_a_client.get(CODECO, {"after_id": message.pk - 1}).json()["count"] == 1


def test_a_bad_since_is_a_400_naming_the_field(agent_a_client):
    response = agent_a_client.get(CODECO, {"since": "yesterday"})
    assert response.status_code == 400
    assert "since" in response.json()["details"]
