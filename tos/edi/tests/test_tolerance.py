"""Hand-made broken files: the tolerant reader warns (with the segment number and a stable code)
and keeps the data; strict mode refuses each of them; unusable input is an error."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tos import edi

#: A small, clean BAPLIE 2.2 (3 units) the broken variants are made from.
CLEAN = (
    "UNA:+.? '"
    "UNB+UNOA:2+LINE+TERM+240101:1200+REF1'"
    "UNH+M1+BAPLIE:D:95B:UN:SMDG22'"
    "BGM++DOC1+9'"
    "DTM+137:202401011200:203'"
    "TDT+20+001E+++MSC:172:20+++9V2036:103::TEST SHIP'"
    "LOC+5+NLRTM:139:6'"
    "LOC+61+DEHAM:139:6'"
    "LOC+147+0340282::5'"
    "MEA+VGM++KGM:23780.5'"
    "TMP+2+-18.0:CEL'"
    "LOC+9+NLRTM:139:6'"
    "LOC+11+DEHAM:139:6'"
    "RFF+BM:1'"
    "EQD+CN+CSQU3054383+45R1+++5'"
    "NAD+CA+MSC:172:20'"
    "LOC+147+0010202::5'"
    "MEA+WT++KGM:12000'"
    "LOC+9+NLRTM:139:6'"
    "LOC+11+DEHAM:139:6'"
    "RFF+BM:1'"
    "EQD+CN+MSCU1234566+22G1+++5'"
    "NAD+CA+MSC:172:20'"
    "DGS+IMD+3+1263+23:CEL+III'"
    "LOC+147+0030204::5'"
    "MEA+VGM++KGM:9000'"
    "LOC+9+NLRTM:139:6'"
    "LOC+11+DEHAM:139:6'"
    "RFF+BM:1'"
    "EQD+CN+TGHU3681435+22G1+++4'"
    "NAD+CA+MSC:172:20'"
    "UNT+30+M1'"
    "UNZ+1+REF1'"
)


def _variant(old: str, new: str, text: str = CLEAN) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _check_tolerant_then_strict(text: str | bytes, code: str, *, segment: int | None = None):
    plan, report = edi.read_baplie(text)
    assert report.errors == [], [str(i) for i in report.errors]
    found = [i for i in report.warnings if i.code == code]
    assert found, f"expected {code}, got {report.codes()}"
    if segment is not None:
        assert found[0].segment == segment
    _, strict = edi.read_baplie(text, strict=True)
    assert not strict.ok
    assert code in strict.codes("error")
    return plan, report


def test_the_clean_file_reads_without_warnings_and_strict_accepts_it():
    plan, report = edi.read_baplie(CLEAN, strict=True)
    assert report.issues == []
    assert [u.container for u in plan.units] == ["CSQU3054383", "MSCU1234566", "TGHU3681435"]
    assert plan.units[0].vgm_kg == Decimal("23780.5")
    assert plan.units[0].temperature_c == Decimal("-18")
    assert plan.units[1].dangerous_goods[0] == edi.DangerousGoods(
        imdg_class="3", un_number="1263", flashpoint_c=Decimal("23"), packing_group="III"
    )


def test_it_reads_a_file_without_una_or_line_breaks_the_same_as_multi_line_crlf():
    no_una = CLEAN.removeprefix("UNA:+.? '")
    crlf = CLEAN.replace("'", "'\r\n")
    one, r1 = edi.read_baplie(no_una, strict=True)
    two, r2 = edi.read_baplie(crlf.encode("latin-1"), strict=True)
    assert r1.issues == []
    assert r2.issues == []
    assert one.units == two.units
    assert len(one.units) == 3


def test_it_skips_blank_lines_with_one_warning_naming_the_first_segment_after_them():
    text = CLEAN.replace("'", "'\n").replace("LOC+147+0010202::5'\n", "\n\nLOC+147+0010202::5'\n")
    plan, _report = _check_tolerant_then_strict(text, "BLANK_LINES", segment=16)
    assert len(plan.units) == 3


def test_it_warns_about_a_wrong_unt_count_and_keeps_every_unit():
    text = _variant("UNT+30+M1'", "UNT+32+M1'")
    plan, _report = _check_tolerant_then_strict(text, "UNT_COUNT", segment=31)
    assert len(plan.units) == 3


def test_it_reads_a_message_only_file_without_unb():
    start = CLEAN.index("UNH")
    end = CLEAN.index("UNZ")
    plan, report = _check_tolerant_then_strict(CLEAN[start:end], "MISSING_UNB", segment=1)
    assert len(plan.units) == 3
    assert report.issues[0].segment == 1


def test_it_reads_a_six_digit_stowage_cell_as_bbbrrtt():
    text = _variant("LOC+147+0340282::5'", "LOC+147+340282::6'")
    plan, _ = _check_tolerant_then_strict(text, "POSITION_6_DIGIT", segment=8)
    assert plan.units[0].position == edi.Position(34, 2, 82)
    assert plan.units[0].position_raw == "340282"


def test_an_unusable_stowage_cell_is_an_error_naming_the_segment_and_the_unit_is_kept():
    text = _variant("LOC+147+0340282::5'", "LOC+147+:139:5'")
    plan, report = edi.read_baplie(text)
    assert [(i.code, i.segment, i.tag) for i in report.errors] == [("POSITION_INVALID", 8, "LOC")]
    assert plan.units[0].container == "CSQU3054383"
    assert plan.units[0].position is None


def test_it_translates_legacy_numeric_size_type_codes():
    text = _variant("EQD+CN+CSQU3054383+45R1+++5'", "EQD+CN+CSQU3054383+4532+++5'")
    plan, _ = _check_tolerant_then_strict(text, "SIZE_TYPE_LEGACY", segment=14)
    assert plan.units[0].size_type == "45R1"


def test_it_reads_a_decimal_comma_where_the_una_declares_a_point():
    text = _variant("KGM:23780.5'", "KGM:23780,5'")
    plan, _ = _check_tolerant_then_strict(text, "DECIMAL_COMMA", segment=9)
    assert plan.units[0].vgm_kg == Decimal("23780.5")


def test_a_decimal_comma_declared_in_una_is_not_odd():
    text = _variant("UNA:+.? '", "UNA:+,? '")
    text = _variant("KGM:23780.5'", "KGM:23780,5'", text)
    plan, report = edi.read_baplie(text, strict=True)
    assert report.issues == []
    assert plan.units[0].vgm_kg == Decimal("23780.5")


def test_it_keeps_a_container_with_a_bad_check_digit_and_warns():
    text = _variant("CSQU3054383", "CSQU3054384")
    plan, report = _check_tolerant_then_strict(text, "CONTAINER_CHECK_DIGIT", segment=14)
    assert plan.units[0].container == "CSQU3054384"
    assert "needs check digit 3" in report.warnings[0].message


def test_it_removes_spaces_in_a_container_number_with_a_warning():
    text = _variant("CSQU3054383", "CSQU 305438-3")
    plan, _ = _check_tolerant_then_strict(text, "CONTAINER_NUMBER_SPACES", segment=14)
    assert plan.units[0].container == "CSQU3054383"


def test_it_reads_concatenated_interchanges_each_numbered_from_one():
    second = CLEAN.replace("REF1", "REF2").replace("CSQU3054383", "CSQU3054384")
    plan, report = _check_tolerant_then_strict(CLEAN + "\n" + second, "MULTIPLE_INTERCHANGES")
    assert len(plan.units) == 6
    bad = next(i for i in report.warnings if i.code == "CONTAINER_CHECK_DIGIT")
    assert (bad.interchange, bad.segment) == (2, 14)


def test_concatenated_interchanges_without_una_are_split_on_unb():
    body = CLEAN.removeprefix("UNA:+.? '")
    _plan, report = edi.read_baplie(body + body.replace("REF1", "REF2"))
    assert report.counts["interchanges"] == 2
    assert report.errors == []
    assert "DUPLICATE_CONTAINER" not in report.codes()  # each message checks its own units


def test_it_strips_a_utf8_byte_order_mark():
    plan, _ = _check_tolerant_then_strict(b"\xef\xbb\xbf" + CLEAN.encode(), "ENCODING_BOM")
    assert len(plan.units) == 3


def test_a_bom_and_line_breaks_before_una_do_not_hide_it():
    plan, report = edi.read_baplie("\ufeff\n\n" + CLEAN)
    assert report.errors == []
    assert len(plan.units) == 3


def test_a_custom_una_with_other_separators_is_honoured():
    custom = CLEAN.removeprefix("UNA:+.? '").replace(":", "*").replace("'", "~")
    plan, report = edi.read_baplie("UNA*+.? ~" + custom, strict=True)
    assert report.issues == []
    assert plan.units[0].position.code == "0340282"


def test_a_missing_unt_and_unz_are_warned_and_the_units_kept():
    text = CLEAN[: CLEAN.index("UNT")]
    plan, report = _check_tolerant_then_strict(text, "MISSING_UNT")
    assert "MISSING_UNZ" in report.codes()
    assert len(plan.units) == 3


def test_a_missing_final_terminator_is_warned():
    plan, _report = _check_tolerant_then_strict(CLEAN.rstrip("'"), "MISSING_TERMINATOR", segment=32)
    assert len(plan.units) == 3


def test_a_segment_that_cannot_be_tokenised_is_an_error_naming_it_and_the_rest_is_read():
    text = _variant("NAD+CA+MSC:172:20'LOC+147+0010202", "N#D+CA+MSC:172:20'LOC+147+0010202")
    plan, report = edi.read_baplie(text)
    assert [(i.code, i.segment) for i in report.errors] == [("SEGMENT_SYNTAX", 15)]
    assert len(plan.units) == 3


def test_a_data_segment_outside_a_message_is_an_error_not_silently_dropped():
    text = _variant("UNZ+1+REF1'", "FTX+AAA+++STRAY'UNZ+1+REF1'")
    _, report = edi.read_baplie(text)
    assert [(i.code, i.segment, i.tag) for i in report.errors] == [
        ("SEGMENT_OUTSIDE_MESSAGE", 32, "FTX")
    ]


def test_the_release_character_protects_separators_in_data():
    text = _variant(
        "RFF+BM:1'EQD+CN+CSQU", "FTX+AAA+++PLASTICS?:ARTICLES?'S?+MORE'RFF+BM:1'EQD+CN+CSQU"
    )
    text = _variant("UNT+30+M1'", "UNT+31+M1'", text)
    plan, report = edi.read_baplie(text, strict=True)
    assert report.issues == []
    assert plan.units[0].goods == "PLASTICS:ARTICLES'S+MORE"


def test_huge_input_is_refused_with_a_clear_error_and_no_data():
    plan, report = edi.read_baplie(CLEAN, max_bytes=100)
    assert plan.units == ()
    assert [i.code for i in report.errors] == ["INPUT_TOO_LARGE"]
    assert "limit is 100 bytes" in report.errors[0].message


def test_empty_input_is_an_error():
    _, report = edi.read_baplie("   \n")
    assert [i.code for i in report.errors] == ["INPUT_EMPTY"]


def test_a_reader_given_the_wrong_message_type_says_so():
    _, report = edi.read_coarri(CLEAN)
    assert [(i.code, i.segment) for i in report.errors] == [("WRONG_MESSAGE_TYPE", 2)]


def test_non_utf8_bytes_are_read_as_latin1_with_a_warning():
    text = _variant("TEST SHIP", "TEST SHIP \xc9")
    plan, _report = _check_tolerant_then_strict(text.encode("latin-1"), "ENCODING_LATIN1")
    assert plan.vessel.vessel_name == "TEST SHIP \xc9"


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ("UNZ+1+REF1'", "UNZ+2+REF1'", "UNZ_COUNT"),
        ("UNZ+1+REF1'", "UNZ+1+OTHER'", "UNZ_REFERENCE"),
        ("UNT+30+M1'", "UNT+30+M2'", "UNT_REFERENCE"),
        ("BAPLIE:D:95B:UN:SMDG22'", "BAPLIE:D:95B:UN+SMDG22'", "UNH_ASSOCIATION_MISPLACED"),
        ("DTM+137:", "DTM+:", "EMPTY_QUALIFIER"),
        ("DTM+137:202401011200:203'", "DTM+137:202413011200:203'", "DATE_INVALID"),
        ("45R1+++5'", "ZZZZ+++5'", "SIZE_TYPE_UNKNOWN"),
        ("MSCU1234566", "CSQU3054383", "DUPLICATE_CONTAINER"),
        ("MEA+VGM++KGM:9000'", "GDS+MT'", "WEIGHT_MISSING"),
    ],
)
def test_each_envelope_and_content_oddity_is_a_warning_and_strict_refuses_it(old, new, code):
    _check_tolerant_then_strict(_variant(old, new), code)


def test_report_as_dict_is_json_ready_with_segment_numbers():
    _, report = edi.read_baplie(_variant("UNT+30+M1'", "UNT+31+M1'"))
    data = report.as_dict()
    assert data["ok"] is True
    assert data["warnings"] == [
        {
            "severity": "warning",
            "code": "UNT_COUNT",
            "message": "UNT says 31 segments; the message has 30",
            "segment": 31,
            "tag": "UNT",
            "interchange": 1,
        }
    ]
