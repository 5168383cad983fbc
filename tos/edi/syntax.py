"""Tolerant EDIFACT syntax reader: bytes or text in, interchanges of messages of segments out.

pydifact tokenises each segment (release character, composites); this module does what pydifact
cannot tolerate: a BOM or line breaks before UNA, several UNA/UNB (concatenated interchanges),
message-only files, blank lines, a missing last terminator, and keeping every segment's
position so that reports can name it. Envelope faults (UNT/UNZ counts and references, missing
trailers) become warnings; a segment that cannot be tokenised becomes an error and is skipped
with its number named - every other segment is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydifact.control import Characters
from pydifact.exceptions import EDISyntaxError
from pydifact.parser import Parser, TokenIterator
from pydifact.tokenizer import Tokenizer

from tos.edi.report import Report

#: Default size limit: a 24,000 TEU bay plan is about 6 MB; 32 MiB leaves room for big COPRARs.
MAX_BYTES = 32 * 1024 * 1024

#: ISO 9735 default service characters (level A): component, data, decimal, release, reserved,
#: terminator.
DEFAULT_UNA = ":+.? '"

Element = str | tuple[str, ...]

_TAG_RE = re.compile(r"^[A-Z][A-Z0-9]{2}$")
_ENVELOPE_TAGS = {"UNB", "UNZ", "UNG", "UNE"}


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: tag, data elements (a composite is a tuple of components) and where it was.

    ``number`` is the 1-based position in the interchange, ``line`` the 1-based line of the file
    where it starts.
    """

    tag: str
    elements: tuple[Element, ...] = ()
    number: int = 0
    line: int = 0

    def get(self, element: int, component: int = 0) -> str:
        """Component ``component`` of data element ``element`` (both 0-based after the tag);
        '' when absent. A simple element is its own component 0."""
        if element >= len(self.elements):
            return ""
        value = self.elements[element]
        if isinstance(value, str):
            return value if component == 0 else ""
        return value[component] if component < len(value) else ""

    def components(self, element: int) -> tuple[str, ...]:
        if element >= len(self.elements):
            return ()
        value = self.elements[element]
        return (value,) if isinstance(value, str) else value

    @property
    def qualifier(self) -> str:
        """The first component of the first element (LOC+147 → '147')."""
        return self.get(0)

    def __str__(self) -> str:
        parts = [self.tag]
        for e in self.elements:
            parts.append(e if isinstance(e, str) else ":".join(e))
        return "+".join(parts) + "'"


@dataclass(slots=True)
class Message:
    """UNH..UNT with the S009 identifier split out."""

    reference: str
    type: str
    version: str = ""
    release: str = ""
    agency: str = ""
    association: str = ""
    segments: list[Segment] = field(default_factory=list)
    interchange: int = 1

    @property
    def directory(self) -> str:
        """'D.95B', 'D.13B', …"""
        return f"{self.version}.{self.release}" if self.release else self.version


@dataclass(slots=True)
class Interchange:
    """One UNB..UNZ (or a message-only input, then ``has_unb`` is False)."""

    number: int = 1
    sender: str = ""
    recipient: str = ""
    reference: str = ""
    prepared: str = ""  # YYMMDD:HHMM as sent
    syntax: str = ""
    characters: str = DEFAULT_UNA
    has_unb: bool = False
    messages: list[Message] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)

    @property
    def decimal_mark(self) -> str:
        return self.characters[2]


@dataclass(slots=True)
class Document:
    """Everything read from one input."""

    interchanges: list[Interchange] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [m for i in self.interchanges for m in i.messages]


# --- decoding ------------------------------------------------------------------------------------


def decode(data: bytes | str, report: Report, *, max_bytes: int = MAX_BYTES) -> str | None:
    """Text of the input with a BOM removed, or None (and an error) if it is too large."""
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > max_bytes:
        report.error(
            "INPUT_TOO_LARGE",
            f"the input has {size:,} bytes; the limit is {max_bytes:,} bytes. Split the file per "
            "message or raise the limit",
        )
        return None
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            report.warn("ENCODING_BOM", "a UTF-8 byte-order mark preceded the data; removed")
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            report.warn("ENCODING_LATIN1", "the bytes are not UTF-8; read as ISO 8859-1")
            text = data.decode("latin-1")
    else:
        text = data
    if text.startswith("\ufeff"):
        report.warn("ENCODING_BOM", "a byte-order mark preceded the data; removed")
        text = text[1:]
    return text


# --- splitting into raw segments -----------------------------------------------------------------


@dataclass(slots=True)
class _Raw:
    text: str  # without terminator
    line: int
    characters: str
    una: bool = False  # this raw item is a UNA advice
    terminated: bool = True
    blank_lines_before: int = 0
    line_breaks_inside: bool = False


def _split(text: str, report: Report) -> Iterator[_Raw]:
    """Raw segments, honouring UNA wherever a segment may start and the release character."""
    chars = DEFAULT_UNA
    i, n, line = 0, len(text), 1
    while i < n:
        # skip whitespace between segments, counting lines and blank lines
        newlines = 0
        while i < n and text[i] in " \t\r\n":
            if text[i] == "\n":
                newlines += 1
                line += 1
            i += 1
        if i >= n:
            return
        blank = max(newlines - 1, 0)
        if text.startswith("UNA", i):
            advice = text[i + 3 : i + 9]
            if len(advice) == 6 and len(set(advice[:2] + advice[3] + advice[5])) == 4:
                chars = advice
            else:
                report.warn(
                    "UNA_INVALID",
                    f"UNA{advice!r} is not 6 distinct service characters; defaults {DEFAULT_UNA!r} "
                    "used",
                )
                chars = DEFAULT_UNA
            yield _Raw(text="UNA" + advice, line=line, characters=chars, una=True)
            i += 9
            continue
        release, terminator = chars[3], chars[5]
        start, start_line = i, line
        inside_break = False
        while i < n and text[i] != terminator:
            if text[i] == release and i + 1 < n:
                i += 1
            if text[i] == "\n":
                line += 1
                inside_break = True
            i += 1
        raw = text[start:i]
        terminated = i < n
        i += 1
        if inside_break:
            raw = raw.replace("\r", "").replace("\n", "")
        yield _Raw(
            text=raw,
            line=start_line,
            characters=chars,
            terminated=terminated,
            blank_lines_before=blank,
            line_breaks_inside=inside_break,
        )


def _tokenise(raw: str, chars: str) -> tuple[str, tuple[Element, ...]]:
    """Tag and elements of one raw segment, tokenised by pydifact."""
    characters = Characters.from_str(chars)
    characters.line_terminators = []  # we removed line breaks ourselves; keep spaces as data
    tokens = TokenIterator(Tokenizer().get_tokens(raw + chars[5], characters))
    raw_segment = next(Parser(characters=characters).convert_tokens_to_raw_segments(tokens))
    tag, *elements = raw_segment
    if not isinstance(tag, str) or not _TAG_RE.match(tag):
        raise EDISyntaxError(f"{tag!r} is not a segment tag (3 upper-case letters or digits)")
    return tag, tuple(e if isinstance(e, str) else tuple(e) for e in elements)


# --- envelope ------------------------------------------------------------------------------------


def read_document(
    data: bytes | str, *, strict: bool = False, max_bytes: int = MAX_BYTES
) -> tuple[Document, Report]:
    """Read any EDIFACT input into interchanges and messages; never raises on bad data."""
    report = Report(strict=strict)
    doc = Document()
    text = decode(data, report, max_bytes=max_bytes)
    if text is None:
        return doc, report
    _Envelope(doc, report).run(text)
    report.counts["interchanges"] = len(doc.interchanges)
    report.counts["messages"] = len(doc.messages)
    report.counts["segments"] = sum(len(i.segments) for i in doc.interchanges)
    if not doc.messages and not report.errors:
        report.error("INPUT_EMPTY", "no UNH..UNT message was found in the input")
    return doc, report


class _Envelope:
    def __init__(self, doc: Document, report: Report) -> None:
        self.doc, self.report = doc, report
        self.ic: Interchange | None = None
        self.msg: Message | None = None
        self.closed = True  # the current interchange saw its UNZ (or none is open)
        self.next_chars = DEFAULT_UNA
        self.blank_lines = 0
        self.first_blank = 0

    def warn(self, code: str, message: str, seg: Segment | None = None) -> None:
        self.report.warn(
            code,
            message,
            segment=seg.number if seg else 0,
            tag=seg.tag if seg else "",
            interchange=self.ic.number if self.ic else 1,
        )

    def error(self, code: str, message: str, seg: Segment | None = None) -> None:
        self.report.error(
            code,
            message,
            segment=seg.number if seg else 0,
            tag=seg.tag if seg else "",
            interchange=self.ic.number if self.ic else 1,
        )

    def new_interchange(self, chars: str) -> Interchange:
        self.finish_interchange()
        ic = Interchange(number=len(self.doc.interchanges) + 1, characters=chars)
        self.doc.interchanges.append(ic)
        if ic.number == 2:
            self.report.warn(
                "MULTIPLE_INTERCHANGES",
                "the file holds more than one interchange; each is read on its own",
                interchange=2,
            )
        self.ic, self.closed = ic, False
        return ic

    def run(self, text: str) -> None:
        pending_una: str | None = None
        for raw in _split(text, self.report):
            if raw.una:
                pending_una = raw.characters
                continue
            try:
                tag, elements = _tokenise(raw.text, raw.characters)
            except (EDISyntaxError, StopIteration, ValueError) as exc:
                tag, elements, problem = raw.text[:3], (), str(exc) or "unreadable"
            else:
                problem = ""
            if tag == "UNB" or pending_una is not None or self.ic is None or self.closed:
                self.new_interchange(pending_una or raw.characters)
                pending_una = None
            assert self.ic is not None
            number = len(self.ic.segments) + 1
            if problem:
                seg = Segment(tag=tag, number=number, line=raw.line)
                self.ic.segments.append(seg)
                self.error("SEGMENT_SYNTAX", f"{raw.text[:60]!r} cannot be read: {problem}", seg)
                continue
            seg = Segment(tag=tag, elements=elements, number=number, line=raw.line)
            self.ic.segments.append(seg)
            if raw.blank_lines_before:
                self.blank_lines += raw.blank_lines_before
                self.first_blank = self.first_blank or seg.number
            if raw.line_breaks_inside:
                self.warn(
                    "LINE_BREAK_IN_SEGMENT", "a line break inside the segment was removed", seg
                )
            if not raw.terminated:
                self.warn("MISSING_TERMINATOR", "the last segment has no terminator", seg)
            self.segment(seg)
        self.finish_interchange()

    def segment(self, seg: Segment) -> None:
        ic = self.ic
        assert ic is not None
        if seg.tag == "UNB":
            ic.has_unb = True
            ic.syntax = ":".join(seg.components(0))
            ic.sender = seg.get(1)
            ic.recipient = seg.get(2)
            ic.prepared = ":".join(seg.components(3))
            ic.reference = seg.get(4)
        elif seg.tag == "UNH":
            if self.msg is not None:
                self.warn("MISSING_UNT", f"message {self.msg.reference} has no UNT", seg)
                self.close_message()
            s009 = seg.components(1)
            msg = Message(
                reference=seg.get(0),
                type=(s009[0] if s009 else "").upper(),
                version=s009[1] if len(s009) > 1 else "",
                release=s009[2] if len(s009) > 2 else "",
                agency=s009[3] if len(s009) > 3 else "",
                association=s009[4] if len(s009) > 4 else "",
                segments=[seg],
                interchange=ic.number,
            )
            extra = seg.get(2)
            if not msg.association and re.fullmatch(r"(SMDG|ITG)[0-9]{2}", extra):
                msg.association = extra
                self.warn(
                    "UNH_ASSOCIATION_MISPLACED",
                    f"association code {extra} was sent as a separate element, not in S009",
                    seg,
                )
            self.msg = msg
            ic.messages.append(msg)
            if not ic.has_unb and len(ic.messages) == 1 and seg.number == 1:
                self.warn("MISSING_UNB", "the input starts with UNH: a message-only file", seg)
        elif seg.tag == "UNT":
            if self.msg is None:
                self.error("SEGMENT_OUTSIDE_MESSAGE", "UNT without a UNH", seg)
                return
            self.msg.segments.append(seg)
            counted = seg.get(0)
            actual = len(self.msg.segments)
            if not counted.isdigit() or int(counted) != actual:
                self.warn(
                    "UNT_COUNT",
                    f"UNT says {counted or 'nothing'} segments; the message has {actual}",
                    seg,
                )
            if seg.get(1) != self.msg.reference:
                self.warn(
                    "UNT_REFERENCE",
                    f"UNT reference {seg.get(1)!r} differs from UNH {self.msg.reference!r}",
                    seg,
                )
            self.msg = None
        elif seg.tag == "UNZ":
            self.close_message(seg)
            counted = seg.get(0)
            if not counted.isdigit() or int(counted) != len(ic.messages):
                self.warn(
                    "UNZ_COUNT",
                    f"UNZ says {counted or 'nothing'} messages; the interchange has "
                    f"{len(ic.messages)}",
                    seg,
                )
            if ic.has_unb and seg.get(1) != ic.reference:
                self.warn(
                    "UNZ_REFERENCE",
                    f"UNZ reference {seg.get(1)!r} differs from UNB {ic.reference!r}",
                    seg,
                )
            self.finish_interchange(closed_by_unz=True)
        elif seg.tag in ("UNG", "UNE"):
            return  # functional groups: messages inside are read as usual
        elif self.msg is not None:
            self.msg.segments.append(seg)
        else:
            self.error(
                "SEGMENT_OUTSIDE_MESSAGE",
                f"{str(seg)[:40]} stands outside any UNH..UNT message and was not read",
                seg,
            )

    def close_message(self, seg: Segment | None = None) -> None:
        if self.msg is not None:
            self.warn("MISSING_UNT", f"message {self.msg.reference} has no UNT", seg)
            self.msg = None

    def finish_interchange(self, *, closed_by_unz: bool = False) -> None:
        ic = self.ic
        if ic is None or self.closed:
            return
        if not closed_by_unz:
            last = ic.segments[-1] if ic.segments else None
            self.close_message(last)
            if ic.has_unb:
                self.warn("MISSING_UNZ", "the interchange ends without UNZ", last)
        if self.blank_lines:
            self.report.warn(
                "BLANK_LINES",
                f"{self.blank_lines} blank line(s) between segments were skipped (the first "
                f"before segment {self.first_blank})",
                segment=self.first_blank,
                interchange=ic.number,
            )
        if not ic.messages:
            self.error("NO_MESSAGE", "the interchange holds no UNH..UNT message")
        self.blank_lines = self.first_blank = 0
        self.closed = True
