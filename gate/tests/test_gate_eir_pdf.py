"""The EIR as a PDF: a real PDF whose text carries the container, truck and EIR number."""

from __future__ import annotations

import re
import zlib

from gate.models import TruckVisit


def pdf_text(body: bytes) -> str:
    """The text drawn by the PDF's content streams (fpdf2 writes Flate-compressed streams of
    ``(...) Tj`` operators)."""
    texts = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        texts += re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", data)
    return " ".join(t.decode("latin-1") for t in texts)


def departed_visit(advise_export, book, gate_in, gate_out) -> dict:
    advice, appointment = advise_export(), book()
    visit = gate_in(
        [{"container_number": advice["container_number"], "seals": ["SL1"]}],
        appointment=appointment["reference"],
    ).json()
    assert visit["status"] == "accepted", visit
    response = gate_out(visit["id"])
    assert response.status_code == 200, response.json()
    return response.json()


def test_the_eir_pdf_is_a_pdf_with_the_container_truck_and_eir_number(
    clerk_client, advise_export, book, gate_in, gate_out
):
    visit = departed_visit(advise_export, book, gate_in, gate_out)
    response = clerk_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{visit["eir_number"]}.pdf"'
    body = response.content
    assert body.startswith(b"%PDF-")
    assert body.rstrip().endswith(b"%%EOF")
    text = pdf_text(body)
    number = visit["transactions"][0]["container_number"]
    assert number in text
    assert "AB-12-CD" in text
    assert f"Equipment Interchange Receipt {visit['eir_number']}" in text
    assert "SL1" in text


def test_the_eir_page_links_to_its_pdf_and_the_trailing_slash_route_answers_too(
    clerk_client, advise_export, book, gate_in, gate_out
):
    visit = departed_visit(advise_export, book, gate_in, gate_out)
    page = clerk_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir/")
    assert f'href="/api/v1/gate/truck-visits/{visit["id"]}/eir.pdf"' in page.content.decode()
    slash = clerk_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir.pdf/")
    assert slash.status_code == 200
    assert slash.content.startswith(b"%PDF-")


def test_the_eir_pdf_of_a_refused_truck_lists_the_reasons(clerk_client, advise_export, gate_in):
    advice = advise_export()
    visit = gate_in([{"container_number": advice["container_number"]}]).json()
    assert visit["status"] == "refused"
    response = clerk_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir.pdf")
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Refused" in text
    assert "appointment_missing: The truck has no appointment." in text
    assert "seal_mismatch" in text


def test_another_hauliers_eir_pdf_is_404_and_unknown_visits_too(
    haulier2_client, clerk_client, advise_export, gate_in
):
    advice = advise_export()
    visit = gate_in([{"container_number": advice["container_number"]}]).json()
    assert haulier2_client.get(f"/api/v1/gate/truck-visits/{visit['id']}/eir.pdf").status_code == (
        404
    )
    missing = clerk_client.get("/api/v1/gate/truck-visits/999999/eir.pdf")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert TruckVisit.objects.count() == 1
