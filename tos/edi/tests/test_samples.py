"""Every file in shared/edifact-samples reads with zero errors; known oddities are warned about
with their codes; the mappers' key fields are exact."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest

from tos import edi
from tos.edi.tests.conftest import all_samples, sample

BAPLIE = "BAPLIE22/khalifa-xpress-euphrates-smdg22.edi"
COARRI_DIS = "COARRI/japdeva-crmob-coarri-d23a-itg10-discharge.edi"
COARRI_LOAD = "COARRI/japdeva-crmob-coarri-d23a-itg10-load.edi"

#: Warnings each sample is known to deserve (code → count).
EXPECTED_WARNINGS = {
    "khalifa-xpress-euphrates-smdg22.edi": {
        "SIZE_TYPE_LEGACY": 92,
        "EMPTY_QUALIFIER": 2,
        "DATE_INVALID": 2,
        "CONTAINER_CHECK_DIGIT": 2,
        "UNT_COUNT": 1,
        "BLANK_LINES": 1,
    },
    "japdeva-crmob-coarri-d23a-itg10-discharge.edi": {"POSITION_INVALID": 74, "DECIMAL_COMMA": 55},
    "japdeva-crmob-coarri-d23a-itg10-load.edi": {
        "POSITION_INVALID": 42,
        "UNH_ASSOCIATION_MISPLACED": 1,
        "CNT_MISMATCH": 1,
    },
    "codeco-d95b-synthetic-php-edifact-generator.edi": {"CONTAINER_CHECK_DIGIT": 1},
    "coparn-d00b-smdg20-synthetic-php-edifact-generator.edi": {
        "CONTAINER_CHECK_DIGIT": 1,
        "UNKNOWN_QUALIFIER": 1,
    },
    "coprar-d95b-smdg16-synthetic-php-edifact-generator.edi": {
        "CONTAINER_CHECK_DIGIT": 1,
        "UNKNOWN_QUALIFIER": 1,
    },
    "vermas-d16a-smdg10-synthetic-php-edifact-generator.edi": {"CONTAINER_CHECK_DIGIT": 1},
    "iftsta-d00b-rail.edi": {"UNZ_REFERENCE": 1},
}

READERS = {
    "BAPLIE": edi.read_baplie,
    "COARRI": edi.read_coarri,
    "CODECO": edi.read_codeco,
    "COPARN": edi.read_coparn,
    "COPRAR": edi.read_coprar,
    "VERMAS": edi.read_vermas,
}


def _reader(folder: str):
    return READERS.get(folder.rstrip("0123456789"), lambda data: edi.read_document(data))


@pytest.mark.parametrize("path", all_samples(), ids=lambda p: p.name)
def test_every_sample_reads_with_zero_errors_and_exactly_its_known_warnings(path):
    _data, report = _reader(path.parent.name)(path.read_bytes())
    assert report.errors == []
    assert report.codes("warning") == Counter(EXPECTED_WARNINGS[path.name])


def test_there_is_an_expectation_for_every_sample_file():
    assert {p.name for p in all_samples()} <= set(EXPECTED_WARNINGS)


def test_the_real_bayplan_gives_609_units_with_exact_positions_weights_and_ports():
    plan, report = edi.read_baplie(sample(BAPLIE))
    assert plan.version == "2.2"
    assert report.counts["units"] == 609
    assert report.counts["reefers"] == 57
    assert report.counts["dangerous"] == 16
    first = plan.units[0]
    assert first.container == "LMCU1049946"
    assert first.position == edi.Position(bay=11, row=3, tier=82)
    assert first.position.code == "0110382"
    assert first.size_type == "22G0"  # legacy 2200
    assert first.size_type_raw == "2200"
    assert (first.status, first.full) == ("6", False)
    assert first.gross_kg == Decimal("2280")
    assert first.vgm_kg is None
    assert (first.pol, first.pod, first.original_pol, first.final_destination) == (
        "AEKHL",
        "BHBAH",
        "JOAQB",
        "BHBAH",
    )
    assert first.operator == "MES"
    assert first.attached_equipment == (
        "BCDE 4425399",
        "CDEF 5534435",
        "DEFG 6563535",
        "EFGH 7663454",
    )


def test_the_real_bayplan_reads_reefer_temperatures_dangerous_goods_and_out_of_gauge():
    plan, _ = edi.read_baplie(sample(BAPLIE))
    reefer = plan.unit("FSCU5705950")
    assert reefer.position.code == "0420484"
    assert reefer.temperature_c == Decimal("2.0")
    assert reefer.vgm_kg == Decimal("33900")
    assert reefer.size_type == "45R1"  # legacy 4532
    assert reefer.is_reefer
    assert reefer.operator == "WHL"
    dangerous = plan.unit("GESU6271473")
    assert dangerous.position.code == "0060282"
    assert dangerous.imdg_classes == ("3",)
    assert dangerous.dangerous_goods[0].un_number == "1993"
    assert dangerous.vgm_kg == Decimal("17900")
    classes = Counter(c for u in plan.units for c in u.imdg_classes)
    # counted with grep on the file: 8 x class 3, 4 x 8, one each of 2.1, 2.2, 4.2 and 9
    assert classes == Counter({"3": 8, "8": 4, "2.1": 1, "2.2": 1, "4.2": 1, "9": 1})
    assert sum(classes.values()) == 16
    oog = plan.unit("CXSU1053703")
    assert oog.position.code == "0500882"
    assert oog.out_of_gauge == edi.OutOfGauge(
        front_cm=122, right_cm=107, left_cm=107, height_cm=351
    )


def test_the_real_bayplan_names_its_vessel_call_and_envelope():
    plan, _ = edi.read_baplie(sample(BAPLIE))
    assert plan.vessel.vessel_name == "X-PRESS EUPHRATES"
    assert plan.vessel.call_sign == "9V2036"
    assert plan.vessel.voyage == "0133"
    assert plan.vessel.carrier == "SEC"
    assert (plan.vessel.departure_port, plan.vessel.next_port) == ("AEKHL", "BHBAH")
    assert plan.document_number == "3368370"
    assert plan.message_date == datetime(2017, 11, 20, 8, 24)
    assert (plan.envelope.sender, plan.envelope.recipient) == ("ADTKP01", "COSCO")


def test_the_bad_check_digits_of_the_real_bayplan_are_warned_with_their_segments():
    plan, report = edi.read_baplie(sample(BAPLIE))
    bad = [i for i in report.warnings if i.code == "CONTAINER_CHECK_DIGIT"]
    assert [i.tag for i in bad] == ["EQD", "EQD"]
    assert "GLDU2028920" in bad[0].message
    assert "ETEU3598940" in bad[1].message
    assert plan.unit("GLDU2028920") is not None  # kept, not dropped
    unt = next(i for i in report.warnings if i.code == "UNT_COUNT")
    assert unt.segment == 6025


def test_strict_mode_refuses_the_real_bayplan():
    _plan, report = edi.read_baplie(sample(BAPLIE), strict=True)
    assert not report.ok
    assert report.warnings == []
    assert report.codes("error")["UNT_COUNT"] == 1


def test_the_discharge_coarri_reads_vgm_with_decimal_comma_and_move_times():
    moves, report = edi.read_coarri(sample(COARRI_DIS))
    assert moves.kind == "discharge"
    assert report.counts["containers"] == 74
    first = moves.lines[0]
    assert first.container == "KOSU4954710"
    assert first.vgm_kg == Decimal("16733.08")
    assert first.moved_at == datetime(2025, 2, 27, 23, 2)
    assert first.seals == ("309046",)
    assert (first.pol, first.pod, first.status, first.full) == ("NIELB", "CRMOB", "3", True)
    assert first.position is None
    assert moves.vessel.imo == "9118018"
    assert moves.vessel.vessel_name == "CHARLOTTE"


def test_the_load_coarri_reads_reefer_setpoints_and_its_wrong_cnt():
    moves, report = edi.read_coarri(sample(COARRI_LOAD))
    assert moves.kind == "load"
    assert len(moves.lines) == 42
    first = moves.lines[0]
    assert first.container == "TRIU8194081"
    assert first.vgm_kg == Decimal("21600")
    assert first.temperature_c == Decimal("0")
    cnt = next(i for i in report.warnings if i.code == "CNT_MISMATCH")
    assert "CNT says 1" in cnt.message


def test_the_coprar_sample_is_a_loading_order_with_vgm_reefer_and_dangerous_goods():
    orders, _ = edi.read_coprar(
        sample("COPRAR/coprar-d95b-smdg16-synthetic-php-edifact-generator.edi")
    )
    assert orders.kind == "load"
    line = orders.lines[0]
    assert line.container == "CBHU1234567"
    assert line.size_type == "22G1"
    assert line.booking == "4006531400"
    assert line.vgm_kg == Decimal("11495.14")
    assert line.temperature_c == Decimal("14.3")
    assert line.imdg_classes == ("3",)
    assert line.dangerous_goods[0].un_number == "1366"
    assert (line.pod, line.place_of_delivery) == ("HKHKG", "HKHKG")
    assert line.operator == "COS"
    assert orders.vessel.call_sign == "XNOE"


def test_the_codeco_sample_is_a_gate_in_with_gate_time_seal_and_road_carriage():
    gate, _ = edi.read_codeco(sample("CODECO/codeco-d95b-synthetic-php-edifact-generator.edi"))
    assert gate.kind == "gate_in"
    line = gate.lines[0]
    assert line.container == "CBHU1234567"
    assert line.moved_at == datetime(2017, 1, 2, 8, 0)
    assert line.gross_kg == Decimal("15400")
    assert line.seals == ("1234567",)
    assert line.carriage_mode == "3"
    assert gate.carrier == "COS"


def test_the_coparn_sample_carries_its_booking_and_announced_container():
    ann, _ = edi.read_coparn(
        sample("COPARN/coparn-d00b-smdg20-synthetic-php-edifact-generator.edi")
    )
    assert ann.kind == "acceptance_order"
    assert ann.booking == "400123456"
    line = ann.lines[0]
    assert (line.container, line.sequence, line.pol, line.pod) == (
        "CBHU1234567",
        "0001",
        "ITGOA",
        "HKHKG",
    )
    assert line.vgm_kg == Decimal("11495.14")


def test_the_vermas_sample_gives_the_vgm_with_method_party_and_date():
    vgms, report = edi.read_vermas(
        sample("VERMAS/vermas-d16a-smdg10-synthetic-php-edifact-generator.edi")
    )
    record = vgms.vgm("CBHU1234567")
    assert record.vgm_kg == Decimal("1212")
    assert record.method == "SM1"
    assert record.verified_at == datetime(2019, 1, 30, 20, 39)
    assert record.responsible_party == "MY COMPANY"
    assert record.responsible_person == "JOHN DOE"
    assert record.booking == "4001234567"
    assert record.seals == ("45545",)
    assert report.counts["with_vgm"] == 1
