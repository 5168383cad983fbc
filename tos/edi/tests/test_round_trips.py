"""Read → write → read gives the same data (BAPLIE 2.2, BAPLIE 3.1, COARRI); writers produce
valid envelopes and counts, escape service characters and are deterministic; MOVINS, the
fingerprint and the module's purity."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime
from decimal import Decimal

import pytest

from tos import edi
from tos.edi.tests.conftest import sample
from tos.edi.tests.test_samples import BAPLIE, COARRI_DIS, COARRI_LOAD

WHEN = datetime(2024, 5, 6, 7, 8)


def _synthetic_31_plan() -> edi.BayPlan:
    return edi.BayPlan(
        version="3.1",
        vessel=edi.VesselCall(
            voyage="014E47",
            vessel_name="NEW YORK EXPRESS",
            imo="9501332",
            carrier="HLC",
            departure_port="NLRTM",
            next_port="DEHAM",
            etd=datetime(2024, 5, 7, 6, 0),
        ),
        units=(
            edi.StowedUnit(
                position=edi.Position(2, 2, 82),
                container="CSQU3054383",
                size_type="45R1",
                status="2",
                full=True,
                vgm_kg=Decimal("23780.5"),
                pol="NLRTM",
                pod="USNYC",
                operator="HLC",
                temperature_c=Decimal("-18"),
                handling=("KC",),
                bl_reference="BL1",
            ),
            # two 20' boxes under one 40' cell position are two units with their own data
            edi.StowedUnit(
                position=edi.Position(1, 4, 6),
                container="MSCU1234566",
                size_type="22G1",
                status="2",
                full=True,
                gross_kg=Decimal("14000"),
                vgm_kg=Decimal("14010"),
                pol="NLRTM",
                pod="USNYC",
                operator="MSC",
                dangerous_goods=(
                    edi.DangerousGoods(
                        imdg_class="3",
                        un_number="1263",
                        flashpoint_c=Decimal("23"),
                        packing_group="III",
                        ems="F-E,S-E",
                    ),
                    edi.DangerousGoods(imdg_class="8", un_number="1760", labels=("8", "6.1")),
                ),
                out_of_gauge=edi.OutOfGauge(height_cm=45, left_cm=10),
                goods="PAINT: FLAMMABLE + 'TOXIC'?",
            ),
        ),
        empty_cells=(edi.Position(3, 0, 2),),
        document_number="M-EX1/1",
        message_date=WHEN,
        message_reference="MSG31",
        envelope=edi.Envelope(sender="HLC", recipient="TOS", reference="IC31", prepared_at=WHEN),
    )


def test_the_real_bayplan_survives_a_baplie_22_round_trip():
    plan, _ = edi.read_baplie(sample(BAPLIE))
    text = edi.write_baplie(plan, version="2.2")
    again, report = edi.read_baplie(text, strict=False)
    assert report.errors == []
    assert report.codes("warning") == {"CONTAINER_CHECK_DIGIT": 2}  # the sender's, kept as sent
    assert again == plan
    assert len(again.units) == 609


def test_the_real_bayplan_converts_to_baplie_31_and_back_with_the_same_units():
    plan, _ = edi.read_baplie(sample(BAPLIE))
    again, report = edi.read_baplie(edi.write_baplie(plan, version="3.1"))
    assert report.errors == []
    assert again.version == "3.1"
    assert again.units == plan.units
    assert again.vessel == plan.vessel


def test_a_synthetic_baplie_31_survives_a_round_trip_with_every_field():
    plan = _synthetic_31_plan()
    text = edi.write_baplie(plan)
    assert "UNH+MSG31+BAPLIE:D:13B:UN:SMDG31'" in text
    assert "LOC+147+0020282:9711:5'" in text
    assert "EQD+CN+CSQU3054383+45R1:6346:5++2+5'" in text
    assert "MEA+AAE+VGM+KGM:23780.5'" in text
    again, report = edi.read_baplie(text, strict=True)
    assert report.issues == []
    assert again == plan


def test_a_synthetic_plan_written_as_22_reads_back_equal_but_for_31_only_fields():
    plan = _synthetic_31_plan()
    again, report = edi.read_baplie(edi.write_baplie(plan, version="2.2"), strict=True)
    assert report.issues == []
    assert again.units[1] == plan.units[1]
    assert again.units[0].handling == ()  # HAN has no place in BAPLIE 2.2


def test_the_writer_escapes_service_characters_and_counts_segments_and_messages():
    text = edi.write_baplie(_synthetic_31_plan())
    assert text.startswith("UNA:+.? '\nUNB+UNOC:3+HLC+TOS+240506:0708+IC31'\n")
    assert "FTX+AAA+++PAINT?: FLAMMABLE ?+ ?'TOXIC?'??'" in text
    lines = text.strip().split("\n")
    unh = next(i for i, s in enumerate(lines) if s.startswith("UNH"))
    unt = next(i for i, s in enumerate(lines) if s.startswith("UNT"))
    assert lines[unt] == f"UNT+{unt - unh + 1}+MSG31'"
    assert lines[-1] == "UNZ+1+IC31'"


def test_writers_are_deterministic():
    plan = _synthetic_31_plan()
    assert edi.write_baplie(plan) == edi.write_baplie(plan)


def test_the_real_coarri_files_survive_a_round_trip():
    for path in (COARRI_DIS, COARRI_LOAD):
        moves, _ = edi.read_coarri(sample(path))
        again, report = edi.read_coarri(edi.write_coarri(moves), strict=True)
        assert report.issues == []
        assert again.lines == moves.lines
        assert again.vessel == moves.vessel
        assert again.kind == moves.kind


def test_coarri_is_written_from_executed_moves_and_reads_back_the_same():
    report_in = edi.ContainerList(
        message_type="COARRI",
        kind="discharge",
        vessel=edi.VesselCall(voyage="001E", vessel_name="TEST SHIP", call_sign="9V2036"),
        carrier="MSC",
        document_number="DIS-1",
        message_date=WHEN,
        message_reference="C1",
        envelope=edi.Envelope(sender="TOS", recipient="MSC", reference="77", prepared_at=WHEN),
        lines=(
            edi.ExecutedMove(
                container="CSQU3054383",
                size_type="45R1",
                status="3",
                full=True,
                position=edi.Position(34, 2, 82),
                moved_at=datetime(2024, 5, 6, 3, 15),
                pol="CNSHA",
                pod="NLRTM",
                vgm_kg=Decimal("23780"),
                temperature_c=Decimal("-18.5"),
                seals=("SEAL1", "SEAL2"),
                operator="MSC",
                bl_reference="BL9",
                damage=("DT",),
            ),
            edi.ExecutedMove(
                container="MSCU1234566",
                size_type="22G1",
                status="3",
                full=False,
                position=edi.Position(1, 1, 2),
                moved_at=datetime(2024, 5, 6, 3, 17),
                dangerous_goods=(edi.DangerousGoods(imdg_class="2.1", un_number="1950"),),
            ),
        ),
    )
    text = edi.write_coarri(report_in)
    assert "BGM+44+DIS-1+9'" in text
    assert "DTM+203:202405060315:203'" in text
    assert "LOC+147+0340282::5'" in text
    assert "CNT+16:2'" in text
    again, report = edi.read_coarri(text, strict=True)
    assert report.issues == []
    assert again == report_in


def test_writing_a_coarri_of_an_unknown_kind_is_refused_naming_the_field():
    with pytest.raises(edi.EdiWriteError, match=r"^kind:"):
        edi.write_coarri(edi.ContainerList(message_type="COARRI", kind="gate_in"))


MOVINS = (
    "UNB+UNOA:2+LINE+TERM+240101:1200+9'"
    "UNH+1+MOVINS:D:95B:UN:SMDG20'BGM++MV1+9'DTM+137:202401011200:203'"
    "TDT+20+001E+++MSC:172:20+++9V2036:103::TEST SHIP'LOC+5+NLRTM:139:6'LOC+61+DEHAM:139:6'"
    "DTM+133:202401021800:203'"
    "HAN+LOA'"
    "LOC+147+0020382::5'MEA+WT++KGM:25000'LOC+9+NLRTM:139:6'LOC+11+DEHAM:139:6'RFF+BM:1'"
    "TMP+2+-20:CEL'EQD+CN++45R1+++5'"
    "LOC+147+0010202::5'MEA+WT++KGM:12000'LOC+9+NLRTM:139:6'LOC+11+DEHAM:139:6'RFF+BM:1'"
    "EQD+CN++22G1+++5'RFF+DGN:1'DGS+IMD+3+1263'"
    "HAN+DIS'LOC+147+0340282::5'RFF+BM:1'EQD+CN+CSQU3054383+45G1+++5'"
    "UNT+28+1'UNZ+1+9'"
)


def test_movins_gives_planned_load_cells_without_numbers_and_discharges_with_them():
    movins, report = edi.read_movins(MOVINS, strict=True)
    assert report.issues == []
    assert movins.vessel.etd == datetime(2024, 1, 2, 18, 0)
    first, second, third = movins.instructions
    assert (first.instruction, first.position.code, first.size_type) == ("LOA", "0020382", "45R1")
    assert first.container == ""
    assert first.weight_kg == Decimal("25000")
    assert first.temperature_c == Decimal("-20")
    assert (first.pol, first.pod) == ("NLRTM", "DEHAM")
    assert second.dangerous_goods[0].imdg_class == "3"
    assert (third.instruction, third.container) == ("DIS", "CSQU3054383")


def test_the_fingerprint_ignores_bom_and_line_endings_and_names_the_interchange():
    data = sample(BAPLIE)
    plain = edi.fingerprint(data)
    other = edi.fingerprint(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    assert plain == other
    assert plain.interchange_keys == ("ADTKP01/1",)
    assert plain.message_keys == ("BAPLIE/495",)
    assert plain.key.startswith("ADTKP01/1#")
    changed = edi.fingerprint(data.replace(b"KGM:2280", b"KGM:2281"))
    assert changed.content_sha256 != plain.content_sha256


def test_the_edi_layer_imports_no_django_module_of_its_own():
    code = (
        "import sys, tos.edi; "
        "bad = [m for m in sys.modules if m.startswith(('django.db', 'django.apps', "
        "'rest_framework', 'tos.core.models'))]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
