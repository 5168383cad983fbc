"""The validation report every reader returns: counts, warnings and errors with segment numbers.

A *warning* is something odd that the tolerant reader repaired or read past (a wrong UNT count, a
6-digit stowage cell, a bad ISO 6346 check digit); an *error* is something that made data
unusable (a segment that cannot be tokenised, a stowage cell that is not a position). In strict
mode every warning is recorded as an error instead, so ``report.ok`` is False for any odd file.

``segment`` is the 1-based position of the segment in its interchange: UNB is 1 (a UNA service
string advice is not counted); in a message-only file the first UNH is 1. ``interchange`` is the
1-based number of the interchange in a file that holds several (concatenated).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["warning", "error"]

#: Stable codes and what they mean. Clients and tests match on the code, never on the message.
CODES: dict[str, str] = {
    # input and syntax
    "INPUT_TOO_LARGE": "the input is larger than the reader's size limit",
    "INPUT_EMPTY": "the input holds no EDIFACT segments",
    "ENCODING_BOM": "a byte-order mark preceded the data and was removed",
    "ENCODING_LATIN1": "the bytes are not UTF-8 and were read as ISO 8859-1",
    "BLANK_LINES": "blank lines between segments were skipped",
    "LINE_BREAK_IN_SEGMENT": "a line break inside a segment was removed",
    "MISSING_TERMINATOR": "the last segment has no segment terminator",
    "SEGMENT_SYNTAX": "the segment cannot be tokenised or has no valid tag",
    "UNA_INVALID": "the UNA service string advice is malformed; defaults were used",
    # envelope
    "MISSING_UNB": "no UNB interchange header (message-only file)",
    "MISSING_UNZ": "the interchange has no UNZ trailer",
    "MULTIPLE_INTERCHANGES": "the file holds several concatenated interchanges",
    "UNZ_COUNT": "the UNZ message count does not match the messages read",
    "UNZ_REFERENCE": "the UNZ reference differs from the UNB reference",
    "MISSING_UNT": "the message has no UNT trailer",
    "UNT_COUNT": "the UNT segment count does not match the segments read",
    "UNT_REFERENCE": "the UNT reference differs from the UNH reference",
    "UNH_ASSOCIATION_MISPLACED": "the association code was sent outside the S009 composite",
    "SEGMENT_OUTSIDE_MESSAGE": "a data segment stands outside any UNH..UNT message",
    "NO_MESSAGE": "the interchange holds no message",
    # structure and content
    "WRONG_MESSAGE_TYPE": "the message is not of the type this reader maps",
    "UNEXPECTED_SEGMENT": "the segment is not expected at this place in the message",
    "EMPTY_QUALIFIER": "a qualifier is empty; the segment was read but not used",
    "UNKNOWN_QUALIFIER": "a qualifier is not one this reader maps; the segment was kept unread",
    "CNT_MISMATCH": "the CNT control total differs from the units read",
    "DECIMAL_COMMA": "a number uses a decimal comma where the interchange declares a point",
    "NUMBER_INVALID": "a numeric value cannot be read",
    "DATE_INVALID": "a date/time cannot be read with its format code",
    "POSITION_6_DIGIT": "a 6-digit stowage cell BBRRTT was read as BBBRRTT",
    "POSITION_INVALID": "the stowage cell is not a 6- or 7-digit ISO 9711 position",
    "POSITION_MISSING": "a stowage cell group has no position",
    "CONTAINER_NUMBER_SPACES": "spaces or dashes in a container number were removed",
    "CONTAINER_CHECK_DIGIT": "the ISO 6346 check digit of the container number is wrong",
    "CONTAINER_NUMBER_FORMAT": "the equipment number is not an ISO 6346 container number",
    "CONTAINER_NUMBER_MISSING": "the equipment has no number where one is required",
    # customs responses (CUSRES)
    "STATUS_UNKNOWN": "a customs status code is not one this reader knows; kept as sent",
    "STATUS_MISSING": "the response carries no processing indicator or response type",
    "REFERENCE_MISSING": "the response names no declaration, bill of lading or reference",
    "DUPLICATE_CONTAINER": "the same container number appears more than once",
    "SIZE_TYPE_LEGACY": "a legacy ISO 6346:1984 numeric size-type code was translated",
    "SIZE_TYPE_UNKNOWN": "the size-type code is not a known ISO 6346 code; kept as sent",
    "WEIGHT_MISSING": "the unit has neither a gross weight nor a VGM",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One warning or error. ``segment`` is 0 when the issue concerns the whole input."""

    severity: Severity
    code: str
    message: str
    segment: int = 0
    tag: str = ""
    interchange: int = 1

    def __str__(self) -> str:
        where = f"segment {self.segment} ({self.tag})" if self.segment else "input"
        if self.interchange > 1:
            where = f"interchange {self.interchange}, {where}"
        return f"{self.severity} {self.code} at {where}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "segment": self.segment,
            "tag": self.tag,
            "interchange": self.interchange,
        }


@dataclass(slots=True)
class Report:
    """What a reader found. Mutable while reading; hand it on as it is."""

    strict: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def warn(
        self, code: str, message: str, *, segment: int = 0, tag: str = "", interchange: int = 1
    ):
        """Record a warning (an error in strict mode)."""
        self._add("error" if self.strict else "warning", code, message, segment, tag, interchange)

    def error(
        self, code: str, message: str, *, segment: int = 0, tag: str = "", interchange: int = 1
    ):
        self._add("error", code, message, segment, tag, interchange)

    def _add(self, severity: Severity, code, message, segment, tag, interchange) -> None:
        if code not in CODES:
            raise ValueError(f"unknown report code {code!r}")
        self.issues.append(Issue(severity, code, message, segment, tag, interchange))

    def count(self, name: str, n: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + n

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def ok(self) -> bool:
        """True when nothing is unusable (warnings allowed; strict mode has none)."""
        return not self.errors

    def codes(self, severity: Severity | None = None) -> Counter[str]:
        """How often each code occurred, e.g. ``Counter({'UNT_COUNT': 1})``."""
        return Counter(i.code for i in self.issues if severity in (None, i.severity))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form for the API and the upload page."""
        return {
            "ok": self.ok,
            "strict": self.strict,
            "counts": dict(self.counts),
            "warnings": [i.as_dict() for i in self.warnings],
            "errors": [i.as_dict() for i in self.errors],
        }


class EdiWriteError(ValueError):
    """Data handed to a writer cannot be expressed in the message (names the field)."""
