"""Writing EDIFACT: UNA, UNB/UNZ with the message count, UNH/UNT with the segment count, release
character escaping of ``? + : '`` (pydifact's serializer), one segment per line. Deterministic:
the same data gives the same bytes (no clock is read here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydifact.control import Characters
from pydifact.segments import Segment as PySegment
from pydifact.serializer import Serializer

from tos.edi.report import EdiWriteError

UNA = ":+.? '"


@dataclass(frozen=True, slots=True)
class Envelope:
    """UNB data. ``prepared_at`` None: the writer uses the message's own date."""

    sender: str = "TOS"
    recipient: str = "UNKNOWN"
    reference: str = "1"
    prepared_at: datetime | None = None
    syntax: str = "UNOC:3"


def _clean(element):
    """Strings as they are; lists with trailing empty components dropped; None → ''."""
    if element is None:
        return ""
    if isinstance(element, (list, tuple)):
        parts = ["" if c is None else str(c) for c in element]
        while parts and parts[-1] == "":
            parts.pop()
        if len(parts) <= 1:
            return parts[0] if parts else ""
        return parts
    return str(element)


def seg(tag: str, *elements) -> PySegment:
    """A pydifact segment with trailing empty elements dropped."""
    cleaned = [_clean(e) for e in elements]
    while cleaned and cleaned[-1] == "":
        cleaned.pop()
    return PySegment(tag, *cleaned)


def write_interchange(
    messages: list[tuple[str, list[PySegment]]],
    envelope: Envelope,
    *,
    prepared_at: datetime | None = None,
) -> str:
    """Serialise messages (each: its reference and the segments between UNH and UNT, UNH
    included) into one interchange."""
    when = envelope.prepared_at or prepared_at
    if when is None:
        raise EdiWriteError("prepared_at: the interchange needs a preparation date and time")
    if not envelope.sender or not envelope.recipient:
        raise EdiWriteError("envelope: sender and recipient are required in UNB")
    segments = [
        seg(
            "UNB",
            envelope.syntax.split(":"),
            envelope.sender,
            envelope.recipient,
            [when.strftime("%y%m%d"), when.strftime("%H%M")],
            envelope.reference,
        )
    ]
    for reference, body in messages:
        segments.extend(body)
        segments.append(seg("UNT", str(len(body) + 1), reference))
    segments.append(seg("UNZ", str(len(messages)), envelope.reference))
    serializer = Serializer(Characters.from_str(UNA))
    return serializer.serialize(segments, with_una_header=True, break_lines=True)
