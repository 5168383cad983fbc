"""Pre-advice input rules: ISO 6346, required export data, one open pre-advice per box."""

from __future__ import annotations

import pytest

from gate.models import PreAdvice
from gate.tests.conftest import EXPORT_ADVICE
from tos.core.models import ContainerVisit

URL = "/api/v1/gate/pre-advices/"


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"container_number": "GATU7000001"}, "invalid_container_number", "container_number"),
        ({"container_number": "nonsense"}, "invalid_container_number", "container_number"),
        ({"booking_ref": ""}, "validation_error", "booking_ref"),
        ({"iso_type": ""}, "validation_error", "iso_type"),
        ({"iso_type": "ZZZZ"}, "validation_error", "iso_type"),
        ({"vgm_kg": 10**9}, "validation_error", "vgm_kg"),
        ({"un_number": "12"}, "validation_error", "un_number"),
        ({"line": "NOPE"}, "validation_error", "line"),
        ({"transaction_type": "fly"}, "validation_error", "transaction_type"),
        ({"seals": "SL1"}, "validation_error", "seals"),
    ],
)
def test_bad_pre_advice_input_is_a_400_naming_the_field_and_writes_nothing(
    haulier_client, line_a, new_number, overrides, code, field
):
    body = EXPORT_ADVICE | {"container_number": new_number()} | overrides
    if "container_number" in overrides and overrides["container_number"] == "GATU7000001":
        number = new_number()
        body["container_number"] = number[:10] + str((int(number[10]) + 1) % 10)
    response = haulier_client.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == code
    assert field in response.json()["details"]
    assert PreAdvice.objects.count() == 0
    assert ContainerVisit.objects.count() == 0


def test_a_second_open_pre_advice_for_the_same_box_is_409(haulier_client, line_a, new_number):
    body = EXPORT_ADVICE | {"container_number": new_number()}
    assert haulier_client.post(URL, body, format="json").status_code == 201
    again = haulier_client.post(URL, body, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate"
    assert PreAdvice.objects.count() == 1


def test_a_pick_up_of_an_unknown_box_is_409_unit_unknown(haulier_client, line_a, new_number):
    response = haulier_client.post(
        URL,
        {"transaction_type": "pick_up_import", "container_number": new_number(), "line": "LINA"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "unit_unknown"
    assert PreAdvice.objects.count() == 0
