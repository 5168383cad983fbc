"""The stowage page: upload form, validation report, download links."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from stowage.models import EdiUpload
from stowage.tests.conftest import BAPLIE

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(planner):
    client = Client()
    client.force_login(planner)
    return client


def test_the_page_lists_the_visit_with_its_download_links(browser, euphrates_visit):
    page = browser.get("/stowage/").content.decode()
    assert "XPE-0133" in page
    assert f"/api/v1/edi/vessel-visits/{euphrates_visit.pk}/baplie/?version=2.2" in page
    assert f"/api/v1/edi/vessel-visits/{euphrates_visit.pk}/coarri/?kind=load" in page
    assert 'name="strict"' in page


def test_uploading_from_the_page_shows_the_report_and_what_was_created(browser, euphrates_visit):
    response = browser.post(
        "/stowage/",
        {
            "file": SimpleUploadedFile("e.edi", BAPLIE.read_bytes()),
            "message_type": "BAPLIE",
            "vessel_visit": euphrates_visit.pk,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    upload = EdiUpload.objects.get()
    assert f"Received as upload #{upload.pk} (BAPLIE, XPE-0133)." in page
    assert '<th scope="row">units</th><td>313</td>' in page
    assert "Warnings (100)" in page
    assert "<td>6025</td><td>UNT</td><td>UNT_COUNT</td>" in page


def test_a_strict_upload_from_the_page_shows_the_errors_and_creates_nothing(
    browser, euphrates_visit
):
    response = browser.post(
        "/stowage/",
        {
            "file": SimpleUploadedFile("e.edi", BAPLIE.read_bytes()),
            "vessel_visit": euphrates_visit.pk,
            "strict": "on",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "<strong>edi_invalid</strong>" in page
    assert "Errors (100)" in page
    assert EdiUpload.objects.count() == 0


def test_the_bay_plan_page_carries_the_visit_and_the_plans_it_has(browser, terminal, line_a):
    from stowage.tests.plan_support import feeder_call

    call = feeder_call(terminal=terminal, line=line_a)
    response = browser.get(f"/stowage/visits/{call.visit.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Bay plan TF-11 <small>TOS FEEDER · 11W/11E</small></h1>" in page
    data = response.context["page_data"]
    assert data == {
        "visit": call.visit.pk,
        "reference": "TF-11",
        "vessel": "TOS FEEDER",
        "port": terminal.locode,
        "terminal": terminal.pk,
        "can_edit": True,
        "has_profile": True,
        "plans": [],
    }
    assert 'id="plan"' in page
    assert "js/stowage_plan.js" in page
    index = browser.get("/stowage/").content.decode()
    assert f'<a href="/stowage/visits/{call.visit.pk}/">TF-11</a>' in index


def test_an_agent_sees_its_own_lines_bay_plan_read_only_and_not_another_lines(
    terminal, line_a, agent_a, agent_b
):
    from stowage.tests.plan_support import feeder_call

    call = feeder_call(terminal=terminal, line=line_a)
    own, other = Client(), Client()
    own.force_login(agent_a)
    other.force_login(agent_b)
    response = own.get(f"/stowage/visits/{call.visit.pk}/")
    assert response.status_code == 200
    assert response.context["page_data"]["can_edit"] is False
    assert 'id="plan"' not in response.content.decode()
    assert other.get(f"/stowage/visits/{call.visit.pk}/").status_code == 404
