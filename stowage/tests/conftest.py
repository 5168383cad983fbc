"""Fixtures of the stowage tests: the shared EDIFACT samples and a visit they fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tos.core.tests.factories import VesselFactory, VesselVisitFactory

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "edifact-samples"
if not SAMPLES.exists():  # checkouts other than /work/main
    SAMPLES = Path("/work/shared/edifact-samples")

BAPLIE = SAMPLES / "BAPLIE22" / "khalifa-xpress-euphrates-smdg22.edi"
COPRAR = SAMPLES / "COPRAR" / "coprar-d95b-smdg16-synthetic-php-edifact-generator.edi"
VERMAS = SAMPLES / "VERMAS" / "vermas-d16a-smdg10-synthetic-php-edifact-generator.edi"
COARRI_DISCHARGE = SAMPLES / "COARRI" / "japdeva-crmob-coarri-d23a-itg10-discharge.edi"


@pytest.fixture
def bahrain(terminal):
    """The test terminal as Khalifa Bin Salman port (BHKBS), the sample BAPLIE's next port."""
    terminal.locode = "BHKBS"
    terminal.save(update_fields=["locode"])
    return terminal


@pytest.fixture
def euphrates_visit(bahrain, line_a):
    """X-PRESS EUPHRATES voyage 0133, the vessel of the sample BAPLIE, on line A's account."""
    vessel = VesselFactory(name="X-PRESS EUPHRATES", call_sign="9V2036")
    return VesselVisitFactory(
        terminal=bahrain,
        vessel=vessel,
        line=line_a,
        reference="XPE-0133",
        inbound_voyage="0133",
        outbound_voyage="0134",
    )


@pytest.fixture
def other_visit(bahrain, line_b):
    return VesselVisitFactory(terminal=bahrain, line=line_b, reference="LINB-1")


@pytest.fixture
def upload(planner_client):
    """POST a file as multipart; returns the response."""

    def post(path: Path | bytes, client=None, name: str = "file.edi", **fields):
        from django.core.files.uploadedfile import SimpleUploadedFile

        data = path.read_bytes() if isinstance(path, Path) else path
        body = {"file": SimpleUploadedFile(name, data), **fields}
        return (client or planner_client).post("/api/v1/edi/uploads/", body, format="multipart")

    return post
