"""COPARN read: announced containers become pre-advices (or update the open one), with the EDI
validation report; a re-upload is a replay; a broken file changes nothing."""

from __future__ import annotations

from gate.models import CoparnUpload, PreAdvice

COPARN = "/api/v1/gate/coparn/"


def coparn(*containers: str, bgm: str = "126", carrier: str = "LINA", ref: str = "IC1") -> str:
    """A COPARN D.00B acceptance order (BGM 126) for ``containers`` of booking BK777."""
    lines = [
        f"UNB+UNOA:2+{carrier}+TOS+261122:0800+{ref}'",
        "UNH+M1+COPARN:D:00B:UN:SMDG20'",
        f"BGM+{bgm}+M1+9'",
        "DTM+137:202611220800:203'",
        "RFF+BN:BK777'",
        f"NAD+CF+{carrier}:160:166'",
    ]
    for number in containers:
        lines += [
            f"EQD+CN+{number}+22G1:102:5++2+5'",
            "MEA+AAE+VGM+KGM:21500'",
            "SEL+SEAL9:CA'",
            "DGS+IMD+3+1366'",
        ]
    body_count = len(lines) - 1 + 2
    lines += [f"CNT+16:{len(containers)}'", f"UNT+{body_count}+M1'", f"UNZ+1+{ref}'"]
    return "\n".join(lines)


def post(client, text: str, **params):
    return client.post(COPARN, data=text.encode(), content_type="application/edifact", **params)


def test_a_coparn_announces_export_drop_offs_as_pre_advices(agent_a_client, new_number):
    a, b = new_number(), new_number()
    response = post(agent_a_client, coparn(a, b))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["line"], body["replayed"]) == ("acceptance_order", "LINA", False)
    assert body["report"]["errors"] == []
    assert [c["container"] for c in body["result"]["created"]] == [a, b]
    assert body["result"]["notes"] == []
    advice = PreAdvice.objects.get(container_number=a)
    assert (advice.transaction_type, advice.status, advice.line.code) == (
        "drop_off_export",
        "open",
        "LINA",
    )
    assert (advice.iso_type, advice.booking_ref, advice.vgm_kg, advice.seals) == (
        "22G1",
        "BK777",
        21500,
        ["SEAL9"],
    )
    assert (advice.imdg_class, advice.un_number, advice.is_dangerous) == ("3", "1366", True)


def test_the_same_coparn_again_is_a_replay_and_changes_nothing(agent_a_client, new_number):
    text = coparn(new_number())
    first = post(agent_a_client, text)
    again = post(agent_a_client, text)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["replayed"] is True
    assert (CoparnUpload.objects.count(), PreAdvice.objects.count()) == (1, 1)


def test_a_newer_coparn_updates_the_open_pre_advice(agent_a_client, new_number):
    number = new_number()
    post(agent_a_client, coparn(number))
    text = coparn(number, ref="IC2").replace("KGM:21500", "KGM:23000")
    response = post(agent_a_client, text)
    assert response.status_code == 201
    assert response.json()["result"]["updated"] == [
        {"container": number, "id": PreAdvice.objects.get().pk, "fields": ["vgm_kg"]}
    ]
    assert PreAdvice.objects.get().vgm_kg == 23000


def test_a_container_that_cannot_be_advised_is_noted_and_the_others_are_taken(
    agent_a_client, new_number
):
    good = new_number()
    bad = good[:10] + str((int(good[10]) + 1) % 10)
    response = post(agent_a_client, coparn(good, bad))
    assert response.status_code == 201
    result = response.json()["result"]
    assert [c["container"] for c in result["created"]] == [good]
    assert [(n["container"], n["code"]) for n in result["notes"]] == [
        (bad, "invalid_container_number")
    ]
    assert list(PreAdvice.objects.values_list("container_number", flat=True)) == [good]


def test_a_broken_coparn_is_422_with_its_report_and_changes_nothing(agent_a_client):
    response = post(agent_a_client, "UNH+1+COPARN:D:00B:UN'BGM+126'")
    assert response.status_code == 422
    assert response.json()["code"] == "edi_invalid"
    assert "report" in response.json()["details"]
    assert (CoparnUpload.objects.count(), PreAdvice.objects.count()) == (0, 0)


def test_an_agent_cannot_announce_for_another_line(agent_b_client, line_a, new_number):
    response = post(agent_b_client, coparn(new_number()))
    assert response.status_code == 403
    assert response.json()["code"] == "edi_foreign_lines"
    assert (CoparnUpload.objects.count(), PreAdvice.objects.count()) == (0, 0)


def test_a_multipart_upload_works_and_an_empty_one_names_the_field(
    clerk_client, line_a, new_number
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    number = new_number()
    file = SimpleUploadedFile("announce.edi", coparn(number).encode())
    response = clerk_client.post(COPARN, {"file": file}, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["filename"] == "announce.edi"
    empty = clerk_client.post(COPARN, {"line": "LINA"}, format="multipart")
    assert empty.status_code == 400
    assert empty.json()["details"] == {
        "file": ["Send the COPARN: multipart field 'file', or as the body."]
    }
    assert PreAdvice.objects.count() == 1
