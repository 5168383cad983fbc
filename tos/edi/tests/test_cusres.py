"""CUSRES customs responses: round trips, the status table and its precedence, hand-made broken
files (tolerant reader warns with segment numbers, strict mode refuses), unknown status codes
reported and kept, and the writer's refusals."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime

import pytest

from tos import edi
from tos.edi.cusres import (
    CustomsResponse,
    CustomsResponses,
    CustomsStatus,
    DocumentReference,
    Reference,
    read_cusres,
    status,
    write_cusres,
)

ENVELOPE = edi.Envelope(sender="CNNGBCUS", recipient="TOS", reference="4711")

#: Two responses: an inspection order for one declaration and a release of another.
CLEAN = (
    "UNA:+.? '"
    "UNB+UNOC:3+CNNGBCUS+TOS+261120:0815+4711'"
    "UNH+R1+CUSRES:D:95B:UN'"
    "BGM+962+CR-0001+9+AP'"
    "NAD+CM+NINGBO CUSTOMS'"
    "LOC+41+CNNGB'"
    "DTM+137:202611200815:203'"
    "GIS+4'"
    "FTX+AAI+++Radiation alarm?: Cs-137 identified'"
    "EQD+CN+CSQU3054383'"
    "RFF+AAE:DEC-77'"
    "DTM+171:202611180900:203'"
    "EQD+CN+MSCU1234566'"
    "DOC+705+BL123'"
    "DTM+182:202611191000:203'"
    "LOC+91+CNNGB'"
    "UNT+15+R1'"
    "UNH+R2+CUSRES:D:95B:UN'"
    "BGM+962+CR-0002+9+AP'"
    "DTM+137:202611200820:203'"
    "GIS+1'"
    "RFF+BM:BL456'"
    "EQD+CN+TGHU3681435'"
    "UNT+7+R2'"
    "UNZ+2+4711'"
)


def _variant(old: str, new: str, text: str = CLEAN) -> str:
    assert old in text
    return text.replace(old, new, 1)


def _tolerant_then_strict(text: str | bytes, code: str, *, segment: int | None = None):
    """The tolerant reader warns with ``code`` (at ``segment``) and keeps the data; strict mode
    records the same code as an error."""
    responses, report = read_cusres(text)
    assert report.errors == [], [str(i) for i in report.errors]
    found = [i for i in report.warnings if i.code == code]
    assert found, f"expected {code}, got {report.codes()}"
    if segment is not None:
        assert found[0].segment == segment
    strict_responses, strict = read_cusres(text, strict=True)
    assert not strict.ok
    assert code in strict.codes("error")
    assert strict_responses == responses
    return responses, report


def _response(**changes) -> CustomsResponse:
    base = CustomsResponse(
        message_reference="R1",
        document_number="CR-0001",
        document_code="962",
        function="9",
        response_type="AP",
        statuses=(status("inspect"),),
        documents=(DocumentReference("705", "BL123", datetime(2026, 11, 19, 10, 0), "CNNGB"),),
        references=(Reference("AAE", "DEC-77", datetime(2026, 11, 18, 9, 0), ("MSCU1234566",)),),
        containers=("CSQU3054383",),
        dates={"137": datetime(2026, 11, 20, 8, 15)},
        locations=(("41", "CNNGB"),),
        parties=(("CM", "NINGBO CUSTOMS"),),
        reasons=("Radiation alarm: Cs-137 identified",),
    )
    return dataclasses.replace(base, **changes)


# --- the clean file ------------------------------------------------------------------------------


def test_the_clean_file_reads_without_issues_even_in_strict_mode():
    responses, report = read_cusres(CLEAN, strict=True)
    assert report.issues == []
    assert report.counts["responses"] == 2
    assert report.counts["containers"] == 3
    assert (report.counts["inspect"], report.counts["release"]) == (1, 1)
    first, second = responses.responses
    assert first.message_reference == "R1"
    assert (first.document_code, first.document_number, first.function) == ("962", "CR-0001", "9")
    assert first.response_type == "AP"
    assert first.statuses == (
        CustomsStatus("4", "inspect", "physical examination required", segment=7),
    )
    assert first.action == "inspect"
    assert first.declaration == "DEC-77"
    assert first.bills_of_lading == ("BL123",)
    assert first.containers == ("CSQU3054383",)
    assert first.all_containers == ("CSQU3054383", "MSCU1234566")
    assert first.issued_at == datetime(2026, 11, 20, 8, 15)
    assert first.documents == (
        DocumentReference("705", "BL123", datetime(2026, 11, 19, 10, 0), "CNNGB"),
    )
    assert first.documents[0].segment == 13
    assert first.reasons == ("Radiation alarm: Cs-137 identified",)
    assert first.parties == (("CM", "NINGBO CUSTOMS"),)
    assert first.locations == (("41", "CNNGB"),)
    assert (second.action, second.bills_of_lading, second.all_containers) == (
        "release",
        ("BL456",),
        ("TGHU3681435",),
    )
    assert second.declaration == "CR-0002"
    assert responses.envelope == edi.Envelope(
        sender="CNNGBCUS",
        recipient="TOS",
        reference="4711",
        prepared_at=datetime(2026, 11, 20, 8, 15),
        syntax="UNOC:3",
    )


def test_responses_are_found_by_container_and_by_declaration_or_bill_of_lading():
    responses, _ = read_cusres(CLEAN)
    assert [r.message_reference for r in responses.for_container("MSCU1234566")] == ["R1"]
    assert [r.message_reference for r in responses.for_container("TGHU3681435")] == ["R2"]
    assert responses.for_container("CSQU0000000") == ()
    assert [r.message_reference for r in responses.for_declaration("DEC-77")] == ["R1"]
    assert [r.message_reference for r in responses.for_declaration("BL456")] == ["R2"]


# --- round trips ---------------------------------------------------------------------------------


def test_reading_then_writing_gives_the_same_text():
    responses, _ = read_cusres(CLEAN)
    written = write_cusres(responses)
    assert written.replace("\n", "") == CLEAN


def test_writing_then_reading_gives_the_same_responses():
    original = CustomsResponses(
        (
            _response(),
            _response(
                message_reference="R2",
                statuses=(status("release"), CustomsStatus("99", "unknown")),
                documents=(),
                references=(Reference("BM", "BL9", None, ("TGHU3681435", "CSQU3054383")),),
                containers=(),
                reasons=(
                    "Examined 2026-11-20: seal replaced by customs (seal no. CN-88?1); "
                    "goods match the declaration + invoice, released 'as is' after the X-ray "
                    "image was reviewed by the second officer on duty at the inspection area.",
                ),
                errors=("12", "37"),
            ),
        ),
        ENVELOPE,
    )
    text = write_cusres(original)
    again, report = read_cusres(text)
    assert again.responses == original.responses
    assert again.envelope == dataclasses.replace(
        ENVELOPE, prepared_at=datetime(2026, 11, 20, 8, 15)
    )
    assert [(i.code, i.segment) for i in report.warnings] == [("STATUS_UNKNOWN", 23)]
    assert write_cusres(again) == text


def test_long_reasons_are_written_as_ftx_lines_of_70_characters_broken_between_words():
    reason = " ".join(["container"] * 30)
    text = write_cusres([_response(reasons=(reason,))], envelope=ENVELOPE)
    ftx = next(line for line in text.splitlines() if line.startswith("FTX"))
    lines = ftx.removeprefix("FTX+AAI+++").removesuffix("'").split(":")
    assert [len(x) for x in lines] == [69, 69, 69, 69, 19]
    assert read_cusres(text)[0].responses[0].reasons == (reason,)


def test_the_writer_is_deterministic_and_counts_segments_and_messages():
    text = write_cusres([_response(), _response(message_reference="R9")], envelope=ENVELOPE)
    assert text == write_cusres([_response(), _response(message_reference="R9")], envelope=ENVELOPE)
    assert "UNT+15+R1'" in text
    assert "UNT+15+R9'" in text
    assert text.rstrip().endswith("UNZ+2+4711'")


# --- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "action"),
    [
        ("1", "release"),
        ("2", "hold"),
        ("3", "conditional"),
        ("4", "inspect"),
        ("5", "inspect"),
        ("6", "documents"),
        ("7", "rejected"),
        ("8", "accepted"),
        ("9", "release"),
        ("10", "hold"),
    ],
)
def test_each_agreed_processing_indicator_maps_to_its_action(code, action):
    responses, report = read_cusres(_variant("GIS+4'", f"GIS+{code}'"), strict=True)
    assert report.issues == []
    assert responses.responses[0].action == action


def test_the_most_restrictive_indicator_decides():
    text = _variant("GIS+4'", "GIS+1'GIS+2'GIS+4'")
    responses, _ = read_cusres(text)
    assert [s.code for s in responses.responses[0].statuses] == ["1", "2", "4"]
    assert responses.responses[0].action == "hold"


def test_an_unknown_indicator_is_reported_kept_and_blocks_a_release():
    text = _variant("GIS+4'", "GIS+1'GIS+Z7:ZZ:5'")
    responses, _ = _tolerant_then_strict(text, "STATUS_UNKNOWN", segment=8)
    first = responses.responses[0]
    assert first.statuses == (
        CustomsStatus("1", "release", "goods released"),
        CustomsStatus("Z7", "unknown", "", "ZZ", "5"),
    )
    assert first.action == "unknown"


def test_an_unknown_indicator_does_not_soften_a_hold():
    responses, _ = read_cusres(_variant("GIS+4'", "GIS+2'GIS+77'"))
    assert responses.responses[0].action == "hold"


def test_an_unknown_response_type_and_message_function_are_reported():
    text = _variant("BGM+962+CR-0001+9+AP'", "BGM+962+CR-0001+93+QQ'")
    responses, report = _tolerant_then_strict(text, "STATUS_UNKNOWN", segment=3)
    assert [(i.code, i.segment) for i in report.warnings] == [
        ("STATUS_UNKNOWN", 3),
        ("STATUS_UNKNOWN", 3),
    ]
    assert (responses.responses[0].function, responses.responses[0].response_type) == (
        "93",
        "QQ",
    )


def test_without_indicators_the_bgm_response_type_decides():
    text = _variant("GIS+4'", "").replace("UNT+15+R1'", "UNT+14+R1'")
    text = _variant("BGM+962+CR-0001+9+AP'", "BGM+962+CR-0001+9+RE'", text)
    responses, report = read_cusres(text, strict=True)
    assert report.issues == []
    assert responses.responses[0].action == "rejected"


def test_a_response_with_no_status_at_all_is_reported_and_unknown():
    text = _variant("GIS+4'", "").replace("UNT+15+R1'", "UNT+14+R1'")
    text = _variant("BGM+962+CR-0001+9+AP'", "BGM+962+CR-0001+9'", text)
    responses, _ = _tolerant_then_strict(text, "STATUS_MISSING", segment=3)
    assert responses.responses[0].action == "unknown"


def test_another_administrations_status_table_can_be_given():
    table = {"A1": ("release", "mainlevée"), "B2": ("inspect", "visite")}
    text = _variant("GIS+1'", "GIS+A1'", _variant("GIS+4'", "GIS+B2'"))
    responses, report = read_cusres(text, strict=True, status_codes=table)
    assert report.issues == []
    assert responses.responses[0].statuses == (CustomsStatus("B2", "inspect", "visite"),)
    assert [r.action for r in responses.responses] == ["inspect", "release"]
    assert write_cusres(responses) == write_cusres(read_cusres(text)[0])


# --- hand-made broken files ----------------------------------------------------------------------


def test_it_reads_a_message_only_file_without_unb():
    start, end = CLEAN.index("UNH"), CLEAN.index("UNZ")
    responses, _ = _tolerant_then_strict(CLEAN[start:end], "MISSING_UNB", segment=1)
    assert [r.action for r in responses.responses] == ["inspect", "release"]


def test_it_warns_about_a_wrong_unt_count_and_keeps_the_response():
    responses, _ = _tolerant_then_strict(
        _variant("UNT+15+R1'", "UNT+12+R1'"), "UNT_COUNT", segment=16
    )
    assert responses.responses[0].all_containers == ("CSQU3054383", "MSCU1234566")


def test_it_reads_crlf_lines_blank_lines_and_a_byte_order_mark():
    text = "\ufeff" + CLEAN.replace("'", "'\r\n").replace("GIS+4'\r\n", "GIS+4'\r\n\r\n")
    responses, report = read_cusres(text.encode("utf-8"))
    assert report.errors == []
    assert set(report.codes()) == {"ENCODING_BOM", "BLANK_LINES"}
    assert responses.responses == read_cusres(CLEAN)[0].responses


def test_container_numbers_with_spaces_and_bad_check_digits_are_warned_and_kept():
    text = _variant("EQD+CN+CSQU3054383'", "EQD+CN+CSQU 305438-3'")
    text = _variant("EQD+CN+MSCU1234566'", "EQD+CN+MSCU1234567'", text)
    responses, report = _tolerant_then_strict(text, "CONTAINER_NUMBER_SPACES", segment=9)
    assert [(i.code, i.segment) for i in report.warnings] == [
        ("CONTAINER_NUMBER_SPACES", 9),
        ("CONTAINER_CHECK_DIGIT", 12),
    ]
    assert responses.responses[0].all_containers == ("CSQU3054383", "MSCU1234567")


def test_a_container_named_twice_in_one_response_is_warned_and_listed_once():
    text = _variant("EQD+CN+MSCU1234566'", "EQD+CN+CSQU3054383'")
    responses, _ = _tolerant_then_strict(text, "DUPLICATE_CONTAINER", segment=12)
    assert responses.responses[0].all_containers == ("CSQU3054383",)


def test_equipment_that_is_not_a_container_is_reported_not_read():
    text = _variant("EQD+CN+CSQU3054383'", "EQD+TE+TRAILER12'")
    responses, _ = _tolerant_then_strict(text, "UNKNOWN_QUALIFIER", segment=9)
    assert responses.responses[0].containers == ()


def test_a_bad_date_is_warned_and_left_empty():
    text = _variant("DTM+182:202611191000:203'", "DTM+182:20261319:102'")
    responses, _ = _tolerant_then_strict(text, "DATE_INVALID", segment=14)
    assert responses.responses[0].documents[0].issued_at is None
    assert responses.responses[0].documents[0].number == "BL123"


def test_an_empty_processing_indicator_is_warned_and_not_used():
    text = _variant("GIS+4'", "GIS+4'GIS+:ZZ'")
    responses, _ = _tolerant_then_strict(text, "EMPTY_QUALIFIER", segment=8)
    assert [s.code for s in responses.responses[0].statuses] == ["4"]


def test_a_document_without_a_number_is_reported():
    text = _variant("DOC+705+BL123'", "DOC+705'")
    responses, _ = _tolerant_then_strict(text, "REFERENCE_MISSING", segment=13)
    assert responses.responses[0].documents[0].number == ""


def test_a_response_that_names_nothing_it_answers_is_reported():
    text = (
        "UNB+UNOC:3+CUS+TOS+261120:0815+1'"
        "UNH+R1+CUSRES:D:95B:UN'"
        "BGM+962'"
        "GIS+2'"
        "EQD+CN+CSQU3054383'"
        "UNT+5+R1'"
        "UNZ+1+1'"
    )
    responses, _ = _tolerant_then_strict(text, "REFERENCE_MISSING", segment=3)
    assert (responses.responses[0].action, responses.responses[0].containers) == (
        "hold",
        ("CSQU3054383",),
    )


def test_a_segment_cusres_does_not_have_is_kept_out_and_reported():
    text = _variant("GIS+4'", "GIS+4'TDT+20+001E'").replace("UNT+15+R1'", "UNT+16+R1'")
    responses, _ = _tolerant_then_strict(text, "UNEXPECTED_SEGMENT", segment=8)
    assert responses.responses[0].action == "inspect"


def test_another_message_type_is_an_error_and_is_not_read():
    text = _variant("UNH+R2+CUSRES:D:95B:UN'", "UNH+R2+CUSCAR:D:95B:UN'")
    responses, report = read_cusres(text)
    assert [(i.code, i.segment) for i in report.errors] == [("WRONG_MESSAGE_TYPE", 17)]
    assert [r.message_reference for r in responses.responses] == ["R1"]


def test_input_that_is_not_edifact_gives_an_error_and_no_responses():
    responses, report = read_cusres(b"")
    assert responses == CustomsResponses()
    assert not report.ok
    responses, report = read_cusres("x" * 100, max_bytes=10)
    assert responses.responses == ()
    assert report.codes("error") == {"INPUT_TOO_LARGE": 1}


def test_unescaped_release_characters_in_free_text_round_trip():
    reason = "seal no. CN-88?1 + 'as is': ok"
    text = write_cusres([_response(reasons=(reason,))], envelope=ENVELOPE)
    assert "FTX+AAI+++seal no. CN-88??1 ?+ ?'as is?'?: ok'" in text
    assert read_cusres(text)[0].responses[0].reasons == (reason,)


# --- writer refusals -----------------------------------------------------------------------------


def test_the_writer_refuses_nothing_to_write():
    with pytest.raises(edi.EdiWriteError, match=r"^responses: at least one response"):
        write_cusres([], envelope=ENVELOPE)


def test_the_writer_names_a_missing_message_reference():
    with pytest.raises(edi.EdiWriteError, match=r"^responses\[0\]\.message_reference"):
        write_cusres([_response(message_reference="")], envelope=ENVELOPE)


def test_the_writer_refuses_a_reason_longer_than_five_ftx_lines():
    with pytest.raises(edi.EdiWriteError, match=r"^responses\[1\]\.reasons: a reason is longer"):
        write_cusres([_response(), _response(reasons=("word " * 80,))], envelope=ENVELOPE)


def test_the_writer_refuses_a_document_without_number_and_a_status_without_code():
    with pytest.raises(edi.EdiWriteError, match=r"^responses\[0\]\.documents"):
        write_cusres([_response(documents=(DocumentReference("705", ""),))], envelope=ENVELOPE)
    with pytest.raises(edi.EdiWriteError, match=r"^responses\[0\]\.statuses"):
        write_cusres([_response(statuses=(CustomsStatus("", "hold"),))], envelope=ENVELOPE)


def test_the_writer_needs_a_date_for_the_interchange():
    with pytest.raises(edi.EdiWriteError, match=r"^prepared_at"):
        write_cusres([_response(dates={})], envelope=ENVELOPE)


def test_a_status_for_an_action_without_a_code_is_refused():
    assert status("hold") == CustomsStatus("2", "hold", "goods stopped / detained")
    with pytest.raises(edi.EdiWriteError, match=r"^action: 'unknown'"):
        status("unknown")


def test_the_cusres_mapper_imports_no_django_model_layer_and_the_risk_models_no_django():
    code = (
        "import sys, customs.risk; "
        "print([m for m in sys.modules if m.startswith(('django', 'rest_framework'))]); "
        "import tos.edi.cusres; "
        "print([m for m in sys.modules if m.startswith(('django.db', 'django.apps', "
        "'rest_framework', 'tos.core.models'))])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "[]"]


def test_indicators_and_reasons_sent_after_the_references_are_still_read():
    text = _variant("GIS+4'", "").replace("UNT+15+R1'", "GIS+2'FTX+AAI+++late reason'UNT+15+R1'")
    text = _variant("FTX+AAI+++Radiation alarm?: Cs-137 identified'", "", text)
    responses, report = read_cusres(text, strict=True)
    assert report.issues == []
    first = responses.responses[0]
    assert (first.action, first.reasons) == ("hold", ("late reason",))
    assert first.statuses[0].segment == 14
    assert first.documents[0].location == "CNNGB"


def test_a_later_directory_version_is_read_the_same_way():
    text = CLEAN.replace("CUSRES:D:95B:UN", "CUSRES:D:01B:UN")
    responses, report = read_cusres(text, strict=True)
    assert report.issues == []
    assert responses.responses == read_cusres(CLEAN)[0].responses


def test_a_rejected_message_is_never_read_as_a_release():
    text = _variant("BGM+962+CR-0002+9+AP'", "BGM+962+CR-0002+9+RE'")
    responses, _ = read_cusres(text, strict=True)
    assert [r.action for r in responses.responses] == ["inspect", "rejected"]
    text = _variant("BGM+962+CR-0002+9+AP'", "BGM+962+CR-0002+9+CA'")
    assert read_cusres(text)[0].responses[1].action == "conditional"
