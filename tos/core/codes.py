"""Identification codes of the trade: ISO 6346 container numbers and size-type codes, IMO numbers,
UN/LOCODEs.

Pure Python (no Django) so that the EDI layer and the solvers can use it too. Every validator
raises :class:`CodeError` with a message a planner can act on (for a bad check digit: which digit
was expected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class CodeError(ValueError):
    """An identification code is malformed; ``str(exc)`` says what is wrong and how to fix it."""


# --- ISO 6346 container numbers ---------------------------------------------------------------

#: Letter values skip multiples of 11 (ISO 6346 Annex A).
_LETTER_VALUES = dict(
    zip(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        [
            10,
            12,
            13,
            14,
            15,
            16,
            17,
            18,
            19,
            20,
            21,
            23,
            24,
            25,
            26,
            27,
            28,
            29,
            30,
            31,
            32,
            34,
            35,
            36,
            37,
            38,
        ],
        strict=True,
    )
)
#: ASCII digits only: ``\d`` would also accept e.g. Arabic-Indic digits, which the DB refuses.
_CONTAINER_RE = re.compile(r"^[A-Z]{3}[UJZ][0-9]{7}$")


def container_check_digit(first_ten: str) -> int:
    """Return the ISO 6346 check digit of owner code + category + serial (10 characters)."""
    if not re.fullmatch(r"[A-Z]{3}[UJZ][0-9]{6}", first_ten):
        raise CodeError(f"{first_ten!r} is not 3 letters, U/J/Z and 6 digits")
    total = sum(
        (_LETTER_VALUES[c] if c.isalpha() else int(c)) << i for i, c in enumerate(first_ten)
    )
    return total % 11 % 10


def normalise_container_number(raw: str) -> str:
    """Upper-case and strip spaces, dashes and dots (``rfcu 229158-0`` → ``RFCU2291580``)."""
    return re.sub(r"[\s\-./]", "", str(raw)).upper()


def validate_container_number(raw: str) -> str:
    """Return the normalised number or raise :class:`CodeError` naming the rule broken."""
    number = normalise_container_number(raw)
    if not _CONTAINER_RE.match(number):
        raise CodeError(
            f"{raw!r} is not an ISO 6346 container number: expected 3 letters (owner), "
            "U, J or Z (category), 6 digits (serial) and 1 check digit, e.g. CSQU3054383"
        )
    expected = container_check_digit(number[:10])
    if int(number[10]) != expected:
        raise CodeError(
            f"{number} has a wrong check digit: {number[:10]} needs check digit {expected}, "
            f"not {number[10]}"
        )
    return number


# --- ISO 6346 size-type codes -----------------------------------------------------------------

_LENGTH_FT = {"1": 10, "2": 20, "3": 30, "4": 40, "L": 45, "M": 48}
#: Height in millimetres per height code (letters: same heights, pallet-wide).
_HEIGHT_MM = {
    "0": 2438,
    "2": 2591,
    "4": 2743,
    "5": 2896,
    "6": 2900,
    "8": 1295,
    "9": 1219,
    "C": 2591,
    "D": 2743,
    "E": 2896,
    "F": 2900,
    "L": 2591,
    "M": 2743,
    "N": 2896,
    "P": 2900,
}
_TYPE_GROUPS = {
    "G": "general purpose",
    "V": "ventilated",
    "B": "dry bulk",
    "S": "named cargo",
    "R": "reefer",
    "H": "insulated/heated",
    "U": "open top",
    "P": "platform/flat rack",
    "T": "tank",
}
#: Legacy ISO 6346:1984 numeric codes: type pair → (group, detail) of the 1995 code. 00 (openings
#: at one or both ends) is G0 and 10/11 (passive vents at upper part of cargo space) is G1, the
#: ordinary dry box; only 13–19 are ventilated (V). 40–49 are thermal with removable (clip-on,
#: porthole) equipment: H, not an integral reefer.
_LEGACY_TYPE = [
    (0, 9, "G", "0"),
    (10, 11, "G", "1"),
    (12, 19, "V", "0"),
    (20, 29, "H", "0"),
    (30, 39, "R", "1"),
    (40, 49, "H", "0"),
    (50, 59, "U", "1"),
    (60, 69, "P", "1"),
    (70, 79, "T", "1"),
    (80, 89, "B", "0"),
]
#: Legacy size pairs: height 0 = 8'0", 2 = 8'6", 3 = 8'6" with gooseneck tunnel, 5 = 9'6" (with
#: tunnel). 4310 was the ordinary 40' dry box, not a high cube.
_LEGACY_SIZE = {
    "20": "20",
    "22": "22",
    "23": "22",
    "25": "25",
    "40": "40",
    "42": "42",
    "43": "42",
    "45": "45",
    "L5": "L5",
    "L2": "L2",
    "95": "L5",
    "96": "L5",
}


@dataclass(frozen=True, slots=True)
class SizeType:
    """A decoded ISO 6346 size-type code."""

    code: str
    length_ft: int
    height_mm: int
    type_group: str
    legacy_code: str = ""

    @property
    def teu(self) -> int:
        """Twenty-foot equivalent units: 1 for 10'–20' boxes, 2 for 30' and longer."""
        return 1 if self.length_ft <= 20 else 2

    @property
    def is_reefer(self) -> bool:
        return self.type_group == "R"

    @property
    def is_high_cube(self) -> bool:
        return self.height_mm >= 2896

    @property
    def type_group_name(self) -> str:
        return _TYPE_GROUPS[self.type_group]


def decode_size_type(raw: str) -> SizeType:
    """Decode a 1995 code (``22G1``, ``45R1``, ``L5G1``) or a legacy numeric one (``2200``,
    ``4510``); legacy codes are translated and keep their original in ``legacy_code``."""
    code = str(raw).strip().upper()
    if len(code) != 4:
        raise CodeError(
            f"{raw!r} is not a 4-character ISO 6346 size-type code such as 22G1 or 45R1"
        )
    legacy = ""
    if re.fullmatch(r"[0-9]{4}", code):
        size = _LEGACY_SIZE.get(code[:2])
        pair = int(code[2:])
        new_type = next((g + d for lo, hi, g, d in _LEGACY_TYPE if lo <= pair <= hi), None)
        if size is None or new_type is None:
            raise CodeError(f"{raw!r} is not a known legacy ISO 6346:1984 size-type code")
        legacy, code = code, size + new_type
    length = _LENGTH_FT.get(code[0])
    if length is None:
        raise CodeError(
            f"{raw!r}: unknown length code {code[0]!r} (1, 2, 3, 4, L or M, e.g. 2 for 20 ft)"
        )
    height = _HEIGHT_MM.get(code[1])
    if height is None:
        raise CodeError(f"{raw!r}: unknown height code {code[1]!r} (e.g. 2 for 8'6\", 5 for 9'6\")")
    if code[2] not in _TYPE_GROUPS or code[3] not in "0123456789":
        raise CodeError(
            f"{raw!r}: unknown type {code[2:]!r} (a group letter G, V, B, S, R, H, U, P or T "
            "followed by a digit, e.g. G1)"
        )
    return SizeType(
        code=code, length_ft=length, height_mm=height, type_group=code[2], legacy_code=legacy
    )


# --- IMO ship numbers ------------------------------------------------------------------------


def imo_check_digit(first_six: str) -> int:
    """The last digit of an IMO number: sum of the first six digits weighted 7..2, mod 10."""
    return sum(int(d) * w for d, w in zip(first_six, range(7, 1, -1), strict=True)) % 10


def validate_imo(raw: str | int) -> str:
    """Return the 7-digit IMO number (``IMO 9074729`` → ``9074729``) or raise CodeError."""
    number = re.sub(r"^IMO\s*", "", str(raw).strip().upper())
    if not re.fullmatch(r"[0-9]{7}", number):
        raise CodeError(f"{raw!r} is not an IMO number: expected 7 digits, e.g. 9074729")
    expected = imo_check_digit(number[:6])
    if int(number[6]) != expected:
        raise CodeError(
            f"IMO {number} has a wrong check digit: {number[:6]} needs check digit {expected}, "
            f"not {number[6]}"
        )
    return number


# --- UN/LOCODE ------------------------------------------------------------------------------

_LOCODE_RE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")


def validate_locode(raw: str) -> str:
    """Return the 5-character UN/LOCODE (``nl rtm`` → ``NLRTM``) or raise CodeError."""
    code = re.sub(r"\s", "", str(raw)).upper()
    if not _LOCODE_RE.match(code):
        raise CodeError(
            f"{raw!r} is not a UN/LOCODE: expected 2 letters (country) and 3 letters or digits 2-9 "
            "(place), e.g. NLRTM"
        )
    return code
