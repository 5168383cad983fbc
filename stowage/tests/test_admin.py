"""Admin: profiles are edited there with a validated layout; EDI results are read-only."""

from __future__ import annotations

import json

import pytest

from stowage.models import VesselProfile
from stowage.tests.conftest import BAPLIE

pytestmark = pytest.mark.django_db


def test_the_admin_lists_every_stowage_model(admin_client, upload, euphrates_visit):
    upload(BAPLIE, vessel_visit=euphrates_visit.pk)
    for name in ("vesselprofile", "ediupload", "stowageplan", "listentry"):
        assert admin_client.get(f"/admin/stowage/{name}/").status_code == 200, name
    profile = VesselProfile.objects.get()
    assert admin_client.get(f"/admin/stowage/vesselprofile/{profile.pk}/change/").status_code == 200


def test_a_profile_entered_in_admin_is_validated(admin_client, euphrates_visit):
    layout = {
        "version": 1,
        "bays": [{"bay": 1, "pair": 2, "hatch": 2}],
        "stacks": [
            {
                "bay": 1,
                "row": 1,
                "deck": True,
                "tiers": [82, 84],
                "reefer_tiers": [82],
                "sizes": "20",
                "max_kg": 60000,
                "max_mm": None,
            }
        ],
    }
    url = "/admin/stowage/vesselprofile/add/"
    data = {"vessel": euphrates_visit.vessel.pk, "source": "admin", "layout": json.dumps(layout)}
    assert admin_client.post(url, data).status_code == 302
    assert VesselProfile.objects.get().cells == 2
    VesselProfile.objects.all().delete()
    layout["stacks"][0]["tiers"] = [2, 84]
    response = admin_client.post(url, data | {"layout": json.dumps(layout)})
    assert response.status_code == 200
    assert "do not match deck=True" in response.content.decode()
    assert VesselProfile.objects.count() == 0
