"""Identification codes (no database): ISO 6346 container numbers and size-type codes, IMO numbers
and UN/LOCODEs, checked against real numbers from the EDIFACT samples in /work/shared."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tos.core import codes
from tos.core.codes import CodeError

# --- an independent reference implementation (edifact.md §4.1), so tests do not trust codes.py --

_REF_VALUES = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [*range(10, 11), *range(12, 22), *range(23, 33), *range(34, 39)],  # skip 11, 22, 33
        strict=True,
    )
)


def _reference_sum(first_ten: str) -> int:
    return sum((_REF_VALUES[c] if c.isalpha() else int(c)) * 2**i for i, c in enumerate(first_ten))


def _reference_check_digit(first_ten: str) -> int:
    return _reference_sum(first_ten) % 11 % 10


def _reference_imo_digit(first_six: str) -> int:
    return sum(int(d) * w for d, w in zip(first_six, (7, 6, 5, 4, 3, 2), strict=True)) % 10


#: Real container numbers, as sent in EQD+CN segments of the samples in /work/shared/edifact-samples
#: (BAPLIE22: X-PRESS EUPHRATES bayplan; COARRI: JAPDEVA Moín discharge/load), plus the textbook
#: CSQU3054383. Several have a raw remainder of 10, written as check digit 0.
REAL_CONTAINER_NUMBERS = [
    "CSQU3054383",  # ISO 6346 textbook example
    "AXIU2209300",  # BAPLIE22, 22G1
    "BAXU2640041",  # BAPLIE22, 22G1
    "BEAU4215576",  # BAPLIE22, 45G1
    "BMOU2281110",  # BAPLIE22, 22G1 (remainder 10 → 0)
    "BMOU9735770",  # BAPLIE22, legacy 4530
    "BMOU9823700",  # BAPLIE22, legacy 4532
    "BSIU9729562",  # BAPLIE22, 45G1
    "CAIU2452110",  # BAPLIE22, 22G1 (remainder 10 → 0)
    "CAIU3437927",  # BAPLIE22, legacy 2200
    "CAIU5526983",  # BAPLIE22, legacy 4532
    "MSCU4657290",  # BAPLIE22, 42G1 (remainder 10 → 0)
    "TEMU9509000",  # BAPLIE22, legacy 4532 (remainder 10 → 0)
    "BMOU9252366",  # COARRI load
    "CIPU5138406",  # COARRI discharge
    "CXDU1959027",  # COARRI discharge
    "GAOU6494534",  # COARRI discharge
    "KOSU4954710",  # COARRI discharge (remainder 10 → 0)
    "KOSU2214083",  # COARRI discharge
    "SEKU9149093",  # COARRI discharge
    "TRHU8870578",  # COARRI discharge
    "TTNU8987840",  # COARRI discharge
    "TEMU9144386",  # COARRI discharge
    "SEGU9069007",  # COARRI discharge
]

#: Numbers from the samples that fail the check digit: two real ones from the BAPLIE (the SOURCE.md
#: notes them) and the php-edifact generator's made-up CBHU1234567 (CODECO/COPRAR).
SAMPLE_NUMBERS_WITH_BAD_CHECK_DIGIT = [
    ("GLDU2028920", 3),
    ("ETEU3598940", 8),
    ("CBHU1234567", 1),
]


@pytest.mark.parametrize("number", REAL_CONTAINER_NUMBERS)
def test_a_real_container_number_from_the_samples_is_valid(number):
    assert _reference_check_digit(number[:10]) == int(number[10])
    assert codes.container_check_digit(number[:10]) == int(number[10])
    assert codes.validate_container_number(number) == number


@pytest.mark.parametrize("number", REAL_CONTAINER_NUMBERS)
def test_a_real_container_number_with_a_wrong_last_digit_names_the_expected_digit(number):
    right = int(number[10])
    wrong = (right + 1) % 10
    typo = f"{number[:10]}{wrong}"

    with pytest.raises(CodeError) as exc:
        codes.validate_container_number(typo)

    assert str(exc.value) == (
        f"{typo} has a wrong check digit: {number[:10]} needs check digit {right}, not {wrong}"
    )


@pytest.mark.parametrize(("number", "expected"), SAMPLE_NUMBERS_WITH_BAD_CHECK_DIGIT)
def test_a_sample_number_with_a_bad_check_digit_is_refused_naming_the_digit(number, expected):
    assert _reference_check_digit(number[:10]) == expected

    with pytest.raises(CodeError) as exc:
        codes.validate_container_number(number)

    assert f"needs check digit {expected}, not {number[10]}" in str(exc.value)


@pytest.mark.parametrize(
    "first_ten", ["BMOU228111", "CAIU245211", "MSCU465729", "TEMU950900", "KOSU495471"]
)
def test_a_remainder_of_ten_is_written_as_check_digit_zero(first_ten):
    assert _reference_sum(first_ten) % 11 == 10
    assert codes.container_check_digit(first_ten) == 0
    assert codes.validate_container_number(first_ten + "0") == first_ten + "0"


def test_a_remainder_of_ten_refuses_a_final_digit_of_one():
    with pytest.raises(CodeError) as exc:
        codes.validate_container_number("KOSU4954711")

    assert str(exc.value) == (
        "KOSU4954711 has a wrong check digit: KOSU495471 needs check digit 0, not 1"
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("csqu 305438-3", "CSQU3054383"),
        ("CSQU 305438 3", "CSQU3054383"),
        ("  csqu3054383  ", "CSQU3054383"),
        ("CSQU.305438/3", "CSQU3054383"),
        ("rfcu 229158-0", "RFCU2291580"),
        ("Kosu\t495471-0", "KOSU4954710"),
    ],
)
def test_a_container_number_is_normalised_before_it_is_checked(raw, expected):
    assert codes.normalise_container_number(raw) == expected
    assert codes.validate_container_number(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "CSQU305438",  # too short: no check digit
        "CSQU30543",  # too short
        "CSQU30543831",  # too long
        "CSQX3054383",  # category letter not U, J or Z
        "CSQR3054383",  # R is not a category (reefers are told by the size-type code)
        "CS1U3054383",  # digit in the owner code
        "C5QU3054383",  # digit in the owner code
        "CSQU30S4383",  # letter in the serial
        "CSQU٣054383",  # an Arabic-Indic digit: the database accepts only 0-9
        "",
    ],
)
def test_a_malformed_container_number_is_refused_with_the_format_rule(raw):
    with pytest.raises(CodeError) as exc:
        codes.validate_container_number(raw)

    assert str(exc.value) == (
        f"{raw!r} is not an ISO 6346 container number: expected 3 letters (owner), "
        "U, J or Z (category), 6 digits (serial) and 1 check digit, e.g. CSQU3054383"
    )


def test_the_check_digit_function_refuses_anything_but_ten_well_formed_characters():
    with pytest.raises(CodeError) as exc:
        codes.container_check_digit("CSQU30543")

    assert str(exc.value) == "'CSQU30543' is not 3 letters, U/J/Z and 6 digits"


def test_j_and_z_category_numbers_are_valid_equipment_numbers():
    for category in "JZ":
        first_ten = f"CSQ{category}305438"
        number = f"{first_ten}{_reference_check_digit(first_ten)}"
        assert codes.validate_container_number(number) == number


@given(
    owner=st.text(alphabet=string.ascii_uppercase, min_size=3, max_size=3),
    category=st.sampled_from("UJZ"),
    serial=st.integers(min_value=0, max_value=999_999),
    other=st.integers(min_value=0, max_value=9),
)
def test_any_owner_category_and_serial_validates_only_with_its_computed_check_digit(
    owner, category, serial, other
):
    first_ten = f"{owner}{category}{serial:06d}"
    check = _reference_check_digit(first_ten)

    assert codes.container_check_digit(first_ten) == check
    assert codes.validate_container_number(f"{first_ten}{check}") == f"{first_ten}{check}"
    if other != check:
        with pytest.raises(CodeError, match=f"needs check digit {check}, not {other}$"):
            codes.validate_container_number(f"{first_ten}{other}")


# --- IMO numbers ------------------------------------------------------------------------------

#: Real IMO numbers: four well-known ships plus the two in the COARRI samples' TDT segments
#: (CHARLOTTE 9118018, JUICE EXPRESS 9812456).
REAL_IMO_NUMBERS = ["9074729", "9321483", "9811000", "9776171", "9118018", "9812456"]


@pytest.mark.parametrize("imo", REAL_IMO_NUMBERS)
def test_a_real_imo_number_is_valid(imo):
    assert _reference_imo_digit(imo[:6]) == int(imo[6])
    assert codes.imo_check_digit(imo[:6]) == int(imo[6])
    assert codes.validate_imo(imo) == imo


@pytest.mark.parametrize("imo", REAL_IMO_NUMBERS)
def test_a_real_imo_number_with_a_wrong_last_digit_names_the_expected_digit(imo):
    right = int(imo[6])
    wrong = (right + 3) % 10
    typo = f"{imo[:6]}{wrong}"

    with pytest.raises(CodeError) as exc:
        codes.validate_imo(typo)

    assert str(exc.value) == (
        f"IMO {typo} has a wrong check digit: {imo[:6]} needs check digit {right}, not {wrong}"
    )


@pytest.mark.parametrize(
    "raw", ["IMO 9074729", "imo 9074729", "IMO9074729", " 9074729 ", 9074729, "IMO  9074729"]
)
def test_an_imo_number_may_carry_the_imo_prefix_or_be_an_int(raw):
    assert codes.validate_imo(raw) == "9074729"


@pytest.mark.parametrize(
    "raw", ["907472", "90747290", "9O74729", "IMO", "IMO 907-4729", "٩٠٧٤٧٢٩", ""]
)
def test_a_malformed_imo_number_is_refused(raw):
    with pytest.raises(CodeError) as exc:
        codes.validate_imo(raw)

    assert str(exc.value) == f"{raw!r} is not an IMO number: expected 7 digits, e.g. 9074729"


# --- size-type codes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code", "length_ft", "height_mm", "group", "teu", "reefer", "high_cube"),
    [
        ("22G1", "22G1", 20, 2591, "G", 1, False, False),
        ("42G1", "42G1", 40, 2591, "G", 2, False, False),
        ("45G1", "45G1", 40, 2896, "G", 2, False, True),
        ("25G1", "25G1", 20, 2896, "G", 1, False, True),
        ("L5G1", "L5G1", 45, 2896, "G", 2, False, True),
        ("22R1", "22R1", 20, 2591, "R", 1, True, False),
        ("45R1", "45R1", 40, 2896, "R", 2, True, True),
        ("L5R1", "L5R1", 45, 2896, "R", 2, True, True),
        ("22T6", "22T6", 20, 2591, "T", 1, False, False),
        ("42P1", "42P1", 40, 2591, "P", 2, False, False),
        ("22U1", "22U1", 20, 2591, "U", 1, False, False),
        (" 45g1 ", "45G1", 40, 2896, "G", 2, False, True),
    ],
)
def test_a_1995_size_type_code_is_decoded(
    raw, code, length_ft, height_mm, group, teu, reefer, high_cube
):
    size_type = codes.decode_size_type(raw)

    assert size_type == codes.SizeType(
        code=code, length_ft=length_ft, height_mm=height_mm, type_group=group, legacy_code=""
    )
    assert size_type.teu == teu
    assert size_type.is_reefer is reefer
    assert size_type.is_high_cube is high_cube


def test_the_type_group_has_a_readable_name():
    assert codes.decode_size_type("22T6").type_group_name == "tank"
    assert codes.decode_size_type("42P1").type_group_name == "platform/flat rack"
    assert codes.decode_size_type("45R1").type_group_name == "reefer"


@pytest.mark.parametrize(
    ("legacy", "code", "length_ft", "height_mm", "group"),
    [
        ("2200", "22G0", 20, 2591, "G"),  # 20' × 8'6" GP, openings at the ends
        ("2210", "22G1", 20, 2591, "G"),  # 20' dry, passive vents at the top
        ("4200", "42G0", 40, 2591, "G"),
        ("4310", "42G1", 40, 2591, "G"),  # 8'6" with gooseneck tunnel: the old 40' dry, not HC
        ("4500", "45G0", 40, 2896, "G"),  # 40' high cube
        ("4510", "45G1", 40, 2896, "G"),  # 40' HC dry with passive vents = 45G1, not ventilated
        ("2230", "22R1", 20, 2591, "R"),
        ("2232", "22R1", 20, 2591, "R"),
        ("4530", "45R1", 40, 2896, "R"),
        ("4532", "45R1", 40, 2896, "R"),
        ("2251", "22U1", 20, 2591, "U"),
        ("4260", "42P1", 40, 2591, "P"),
        ("2270", "22T1", 20, 2591, "T"),
        ("9500", "L5G0", 45, 2896, "G"),
        ("2000", "20G0", 20, 2438, "G"),  # 8'0" stays 8'0"
    ],
)
def test_a_legacy_numeric_code_is_translated_and_keeps_its_original(
    legacy, code, length_ft, height_mm, group
):
    size_type = codes.decode_size_type(legacy)

    assert size_type == codes.SizeType(
        code=code, length_ft=length_ft, height_mm=height_mm, type_group=group, legacy_code=legacy
    )


def test_a_legacy_ventilated_code_stays_ventilated_and_a_porthole_box_is_no_integral_reefer():
    assert codes.decode_size_type("2213").type_group == "V"
    porthole = codes.decode_size_type("2240")
    assert porthole.type_group == "H"
    assert porthole.is_reefer is False


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2", "'2' is not a 4-character ISO 6346 size-type code such as 22G1 or 45R1"),
        ("22G", "'22G' is not a 4-character ISO 6346 size-type code such as 22G1 or 45R1"),
        ("22G10", "'22G10' is not a 4-character ISO 6346 size-type code such as 22G1 or 45R1"),
        ("", "'' is not a 4-character ISO 6346 size-type code such as 22G1 or 45R1"),
        (
            "99X1",
            "'99X1': unknown length code '9' (1, 2, 3, 4, L or M, e.g. 2 for 20 ft)",
        ),
        (
            "ZZZZ",
            "'ZZZZ': unknown length code 'Z' (1, 2, 3, 4, L or M, e.g. 2 for 20 ft)",
        ),
        ("2XG1", "'2XG1': unknown height code 'X' (e.g. 2 for 8'6\", 5 for 9'6\")"),
        (
            "22X1",
            "'22X1': unknown type 'X1' (a group letter G, V, B, S, R, H, U, P or T followed "
            "by a digit, e.g. G1)",
        ),
        (
            "22GG",
            "'22GG': unknown type 'GG' (a group letter G, V, B, S, R, H, U, P or T followed "
            "by a digit, e.g. G1)",
        ),
        (
            "22G١",
            "'22G١': unknown type 'G١' (a group letter G, V, B, S, R, H, U, P or T followed "
            "by a digit, e.g. G1)",
        ),
        ("2299", "'2299' is not a known legacy ISO 6346:1984 size-type code"),
        ("7700", "'7700' is not a known legacy ISO 6346:1984 size-type code"),
    ],
)
def test_a_bad_size_type_code_is_refused_with_a_message(raw, message):
    with pytest.raises(CodeError) as exc:
        codes.decode_size_type(raw)

    assert str(exc.value) == message


# --- UN/LOCODE --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NLRTM", "NLRTM"),
        ("AEJEA", "AEJEA"),  # BAPLIE22 port of loading
        ("BHKBS", "BHKBS"),  # BAPLIE22 port of discharge
        ("CRMOB", "CRMOB"),  # COARRI terminal port
        ("NIELB", "NIELB"),  # COARRI port of loading
        ("nl rtm", "NLRTM"),
        (" be anr ", "BEANR"),
        ("XX2Z9", "XX2Z9"),  # the place part may use the digits 2 to 9
    ],
)
def test_a_un_locode_is_normalised_and_accepted(raw, expected):
    assert codes.validate_locode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["NLRT", "NLRTMX", "N1RTM", "NLRT1", "NLRT0", "NL-RT", "", "NLRTM\u0661"]
)
def test_a_malformed_un_locode_is_refused(raw):
    with pytest.raises(CodeError) as exc:
        codes.validate_locode(raw)

    assert str(exc.value) == (
        f"{raw!r} is not a UN/LOCODE: expected 2 letters (country) and 3 letters or digits 2-9 "
        "(place), e.g. NLRTM"
    )
