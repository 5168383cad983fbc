"""CUSRES customs response (UN D.95B): read and write.

One :class:`CustomsResponse` per UNH..UNT message: customs' answer about one declaration or
bill of lading. The structure (reference/un-structures-extra.txt, CUSRES D.95B) is::

    UNH BGM NAD* LOC* DTM* GIS* FTX* EQD*                header
    SG1 ERP-ERC*                                        application errors in the declaration
    SG2 PAC-SG3(PCI-FTX)  SG4 TAX-MOA-GIS               packages, duties (read past)
    SG5 RFF-DTM-MEA-EQD*-SG6(MOA-CUX)-SG7(TAX-MOA-GIS)  references (B/L, manifest) + containers
    SG8 DOC-DTM-LOC                                     the declaration / B/L answered
    SG9 AUT-DTM                                         authentication
    UNT

What is mapped:

* BGM: document name code (C002/1001), document number (1004), message function (1225: 9
  original, 5 replace, 1 cancellation, ...) and response type (4343: AP accepted, RE rejected,
  CA conditionally accepted, ...).
* GIS (C529/7365) processing indicators: the customs decision. The UN directory leaves the
  values to national message implementation guides, so :data:`STATUS_CODES` is the table this
  terminal agreed with its customs (1 to 3 numbered like the cargo release status of the South
  African Revenue Service's CUSCAR guide, GEI 7365: 1 goods released, 2 stopped/detained, 3
  conditional release; 4 to 10 ours: examination, scan, documents, rejected, accepted, ...);
  pass ``status_codes=`` for another administration's table. An unknown code is kept
  as sent with ``action="unknown"`` and reported (``STATUS_UNKNOWN``), never dropped; an unknown
  indicator outranks a release so that nothing is released on a code nobody understood.
* DOC (SG8) with its DTM and LOC: the declaration or bill of lading the response is about.
* EQD: container numbers (at header level, in the UN segment notes' words, "the container
  number that Customs wants to examine"), and SG5 RFF references with their own EQDs and DTM.
* DTM, LOC, NAD at header level; FTX free text (the reasons); SG1 ERP/ERC error codes.

Readers never raise on bad input: ``(CustomsResponses, Report)`` as every mapper in tos.edi,
with ``strict=True`` turning warnings into errors. :func:`write_cusres` writes what
:func:`read_cusres` reads (deterministic, no clock), for round trips and test fixtures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal

from tos.edi.common import Selected, envelope_of, select
from tos.edi.groups import Group, group, message
from tos.edi.report import EdiWriteError, Report
from tos.edi.syntax import MAX_BYTES, Segment
from tos.edi.values import Context, container_number, dtm, fmt_datetime
from tos.edi.writer import Envelope, seg, write_interchange

CUSRES = message(
    "BGM NAD LOC DTM GIS FTX EQD",
    group("SG1", "ERP", "ERC"),
    group("SG2", "PAC", "", group("SG3", "PCI", "FTX")),
    group("SG4", "TAX", "MOA GIS"),
    group(
        "SG5",
        "RFF",
        "DTM MEA EQD",
        group("SG6", "MOA", "CUX"),
        group("SG7", "TAX", "MOA GIS"),
    ),
    group("SG8", "DOC", "DTM LOC"),
    group("SG9", "AUT", "DTM"),
)

Action = Literal[
    "release", "conditional", "hold", "inspect", "documents", "rejected", "accepted", "unknown"
]

#: GIS processing indicator (7365) -> (action, meaning). The terminal's agreed table; see the
#: module docstring. The writer uses the first code listed for each action.
STATUS_CODES: Mapping[str, tuple[Action, str]] = MappingProxyType(
    {
        "1": ("release", "goods released"),
        "2": ("hold", "goods stopped / detained"),
        "3": ("conditional", "goods may move under customs control (conditional release)"),
        "4": ("inspect", "physical examination required"),
        "5": ("inspect", "non-intrusive (X-ray) scan required"),
        "6": ("documents", "documents required"),
        "7": ("rejected", "declaration rejected"),
        "8": ("accepted", "declaration accepted, under assessment"),
        "9": ("release", "released after examination"),
        "10": ("hold", "hold for another government agency"),
    }
)

#: BGM response type (4343).
RESPONSE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "AP": "accepted",
        "RE": "rejected",
        "CA": "conditionally accepted",
        "AB": "message acknowledgement",
        "NA": "no acknowledgement needed",
    }
)
_RESPONSE_ACTIONS: Mapping[str, Action] = MappingProxyType(
    {"AP": "accepted", "RE": "rejected", "CA": "conditional", "AB": "accepted"}
)

#: BGM message function (1225) codes this reader knows.
MESSAGE_FUNCTIONS: Mapping[str, str] = MappingProxyType(
    {
        "1": "cancellation",
        "4": "change",
        "5": "replace",
        "6": "confirmation",
        "7": "duplicate",
        "9": "original",
        "11": "response",
        "12": "not processed",
        "27": "not accepted",
        "29": "accepted without amendment",
        "31": "copy",
    }
)

#: DOC document codes (1001) that name a bill of lading: 705 bill of lading, 706 original,
#: 707 copy, 714 house bill of lading; any other code is taken as the declaration itself.
BILL_OF_LADING_CODES = frozenset({"705", "706", "707", "714"})

#: Most restrictive first: the action the whole response stands for.
PRECEDENCE: tuple[Action, ...] = (
    "hold",
    "inspect",
    "rejected",
    "documents",
    "unknown",
    "conditional",
    "release",
    "accepted",
)


@dataclass(frozen=True, slots=True)
class CustomsStatus:
    """One GIS processing indicator: the code as sent, what it means and where it stood."""

    code: str
    action: Action
    meaning: str = ""
    code_list: str = ""
    agency: str = ""
    segment: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class DocumentReference:
    """A DOC group: the declaration or bill of lading answered, with its date and place."""

    code: str
    number: str
    issued_at: datetime | None = None
    location: str = ""
    segment: int = field(default=0, compare=False)

    @property
    def is_bill_of_lading(self) -> bool:
        return self.code in BILL_OF_LADING_CODES


@dataclass(frozen=True, slots=True)
class Reference:
    """An SG5 RFF group: a reference (``BM`` bill of lading, ``AAE`` goods declaration, ...),
    its date and the containers customs lists under it."""

    qualifier: str
    value: str
    at: datetime | None = None
    containers: tuple[str, ...] = ()
    segment: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class CustomsResponse:
    """Customs' answer about one declaration (one UNH..UNT message)."""

    message_reference: str
    document_number: str = ""
    document_code: str = ""
    function: str = "9"
    response_type: str = ""
    statuses: tuple[CustomsStatus, ...] = ()
    documents: tuple[DocumentReference, ...] = ()
    references: tuple[Reference, ...] = ()
    containers: tuple[str, ...] = ()
    dates: Mapping[str, datetime] = field(default_factory=dict)
    locations: tuple[tuple[str, str], ...] = ()
    parties: tuple[tuple[str, str], ...] = ()
    reasons: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    segment: int = field(default=0, compare=False)

    @property
    def action(self) -> Action:
        """The most restrictive of the processing indicators' actions and the BGM response
        type's (see :data:`PRECEDENCE`: a rejected or conditionally accepted message is never
        read as a plain release), ``"unknown"`` when there is neither."""
        actions = {s.action for s in self.statuses}
        if self.response_type in _RESPONSE_ACTIONS:
            actions.add(_RESPONSE_ACTIONS[self.response_type])
        return next((a for a in PRECEDENCE if a in actions), "unknown")

    @property
    def declaration(self) -> str:
        """The declaration number: the first DOC that is not a bill of lading, else the first
        declaration-type reference, else the BGM document number."""
        doc = next((d.number for d in self.documents if not d.is_bill_of_lading), "")
        ref = next((r.value for r in self.references if r.qualifier in _DECLARATION_REFS), "")
        return doc or ref or self.document_number

    @property
    def bills_of_lading(self) -> tuple[str, ...]:
        numbers = [d.number for d in self.documents if d.is_bill_of_lading]
        numbers += [r.value for r in self.references if r.qualifier in _BILL_OF_LADING_REFS]
        return tuple(dict.fromkeys(n for n in numbers if n))

    @property
    def all_containers(self) -> tuple[str, ...]:
        """Header containers, then those under references, each once."""
        listed = [*self.containers, *(c for r in self.references for c in r.containers)]
        return tuple(dict.fromkeys(listed))

    @property
    def issued_at(self) -> datetime | None:
        """DTM 137 (document date), else 182 (issue date)."""
        return self.dates.get("137") or self.dates.get("182")


#: SG5 RFF qualifiers (1153) that name a declaration (AAE goods declaration number) and a bill
#: of lading (BM bill of lading, BH house bill of lading).
_DECLARATION_REFS = frozenset({"AAE"})
_BILL_OF_LADING_REFS = frozenset({"BM", "BH"})


@dataclass(frozen=True, slots=True)
class CustomsResponses:
    """All responses of an input, in file order."""

    responses: tuple[CustomsResponse, ...] = ()
    envelope: Envelope = field(default_factory=Envelope)

    def for_container(self, container: str) -> tuple[CustomsResponse, ...]:
        return tuple(r for r in self.responses if container in r.all_containers)

    def for_declaration(self, number: str) -> tuple[CustomsResponse, ...]:
        return tuple(
            r
            for r in self.responses
            if number == r.declaration
            or number in r.bills_of_lading
            or any(d.number == number for d in r.documents)
        )


# --- reading -------------------------------------------------------------------------------------


def read_cusres(
    data: bytes | str,
    *,
    strict: bool = False,
    max_bytes: int = MAX_BYTES,
    status_codes: Mapping[str, tuple[Action, str]] = STATUS_CODES,
) -> tuple[CustomsResponses, Report]:
    """CUSRES -> (:class:`CustomsResponses`, Report). Never raises on bad input."""
    chosen, report = select(data, ("CUSRES",), CUSRES, strict=strict, max_bytes=max_bytes)
    if not chosen:
        return CustomsResponses(), report
    responses = tuple(_response(c, status_codes) for c in chosen)
    report.counts["responses"] = len(responses)
    report.counts["containers"] = sum(len(r.all_containers) for r in responses)
    for action in PRECEDENCE:
        n = sum(1 for r in responses if r.action == action)
        if n:
            report.counts[action] = n
    first = chosen[0]
    return CustomsResponses(responses, envelope_of(first.interchange, first.ctx)), report


def _response(chosen: Selected, status_codes: Mapping[str, tuple[Action, str]]) -> CustomsResponse:
    tree, ctx, msg = chosen.tree, chosen.ctx, chosen.message
    bgm = tree.first("BGM")
    if bgm is None:
        ctx.warn("UNEXPECTED_SEGMENT", "the message has no BGM; document number unknown", None)
    document_code = bgm.get(0, 0) if bgm else ""
    document_number = bgm.get(1, 0) if bgm else ""
    function = bgm.get(2, 0) if bgm else ""
    response_type = bgm.get(3, 0) if bgm else ""
    if function and function not in MESSAGE_FUNCTIONS:
        ctx.warn("STATUS_UNKNOWN", f"BGM message function {function!r} is not known", bgm)
    if response_type and response_type not in RESPONSE_TYPES:
        ctx.warn("STATUS_UNKNOWN", f"BGM response type {response_type!r} is not known", bgm)

    statuses = [_status(s, ctx, status_codes) for s in tree.all("GIS")]
    statuses = [s for s in statuses if s is not None]
    if not statuses and not response_type:
        ctx.warn(
            "STATUS_MISSING",
            f"response {msg.reference} has no GIS processing indicator and no BGM response type",
            bgm or msg.segments[0],
        )

    dates: dict[str, datetime] = {}
    for d in tree.all("DTM"):
        qualifier, when = dtm(d, ctx)
        if qualifier and when is not None:
            dates[qualifier] = when

    seen: dict[str, int] = {}
    containers = tuple(c for c in (_equipment(e, ctx, seen) for e in tree.all("EQD")) if c)
    references = tuple(_reference(g, ctx, seen) for g in tree.groups("SG5"))
    documents = tuple(_document(g, ctx) for g in tree.groups("SG8"))
    if not documents and not references and not document_number:
        ctx.warn(
            "REFERENCE_MISSING",
            f"response {msg.reference} names no declaration (DOC), reference (RFF) or BGM number",
            bgm or msg.segments[0],
        )

    reasons = tuple(t for t in (_text(f) for f in tree.all("FTX")) if t)
    errors = tuple(
        code for g in tree.groups("SG1") for code in (e.get(0, 0) for e in g.all("ERC")) if code
    )
    return CustomsResponse(
        message_reference=msg.reference,
        document_number=document_number,
        document_code=document_code,
        function=function,
        response_type=response_type,
        statuses=tuple(statuses),
        documents=documents,
        references=references,
        containers=containers,
        dates=MappingProxyType(dates),
        locations=tuple((loc.get(0, 0), loc.get(1, 0)) for loc in tree.all("LOC") if loc.get(1, 0)),
        parties=tuple((nad.get(0, 0), nad.get(1, 0) or nad.get(3, 0)) for nad in tree.all("NAD")),
        reasons=reasons,
        errors=errors,
        segment=msg.segments[0].number,
    )


def _status(
    gis: Segment, ctx: Context, status_codes: Mapping[str, tuple[Action, str]]
) -> CustomsStatus | None:
    code = gis.get(0, 0).strip()
    if not code:
        ctx.warn("EMPTY_QUALIFIER", "GIS without a processing indicator; not used", gis)
        return None
    known = status_codes.get(code)
    if known is None:
        ctx.warn(
            "STATUS_UNKNOWN",
            f"processing indicator {code!r} is not in the agreed code list; kept as unknown",
            gis,
        )
        action, meaning = "unknown", ""
    else:
        action, meaning = known
    return CustomsStatus(
        code=code,
        action=action,
        meaning=meaning,
        code_list=gis.get(0, 1),
        agency=gis.get(0, 2),
        segment=gis.number,
    )


def _equipment(eqd: Segment, ctx: Context, seen: dict[str, int]) -> str:
    if eqd.qualifier not in ("CN", ""):
        ctx.warn(
            "UNKNOWN_QUALIFIER",
            f"EQD equipment type {eqd.qualifier!r} is not a container (CN); not read",
            eqd,
        )
        return ""
    number = container_number(eqd.get(1, 0), ctx, eqd)
    if number:
        first = seen.setdefault(number, eqd.number)
        if first != eqd.number:
            ctx.warn("DUPLICATE_CONTAINER", f"{number} also appears at segment {first}", eqd)
            return ""
    return number


def _reference(g: Group, ctx: Context, seen: dict[str, int]) -> Reference:
    rff = g.trigger
    qualifier, value = rff.get(0, 0), rff.get(0, 1)
    if not qualifier:
        ctx.warn("EMPTY_QUALIFIER", "RFF without a reference qualifier", rff)
    if not value:
        ctx.warn("REFERENCE_MISSING", f"RFF+{qualifier} has no reference number", rff)
    at = None
    for d in g.all("DTM"):
        _, when = dtm(d, ctx)
        at = at or when
    containers = tuple(c for c in (_equipment(e, ctx, seen) for e in g.all("EQD")) if c)
    return Reference(qualifier, value, at, containers, rff.number)


def _document(g: Group, ctx: Context) -> DocumentReference:
    doc = g.trigger
    code, number = doc.get(0, 0), doc.get(1, 0)
    if not number:
        ctx.warn("REFERENCE_MISSING", f"DOC {code or '(no code)'} has no document number", doc)
    issued = None
    for d in g.all("DTM"):
        _, when = dtm(d, ctx)
        issued = issued or when
    location = next((loc.get(1, 0) for loc in g.all("LOC") if loc.get(1, 0)), "")
    return DocumentReference(code, number, issued, location, doc.number)


def _text(ftx: Segment) -> str:
    """FTX free text: C108 components joined, else the coded text reference (C107)."""
    parts = [p.strip() for p in ftx.components(3) if p.strip()]
    return " ".join(parts) if parts else ftx.get(2, 0).strip()


# --- writing -------------------------------------------------------------------------------------


def _codes_for(status_codes: Mapping[str, tuple[Action, str]]) -> dict[str, str]:
    first: dict[str, str] = {}
    for code, (action, _) in status_codes.items():
        first.setdefault(action, code)
    return first


_FTX_LINE = 70
_FTX_LINES = 5


def _lines(text: str, where: str) -> list[str]:
    """A reason as the up to five 70-character lines of FTX C108, broken between words (the
    reader joins them with one space)."""
    lines: list[str] = []
    for word in text.split():
        while len(word) > _FTX_LINE:
            lines.append(word[:_FTX_LINE])
            word = word[_FTX_LINE:]
        if lines and len(lines[-1]) + 1 + len(word) <= _FTX_LINE:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > _FTX_LINES:
        raise EdiWriteError(f"{where}: a reason is longer than {_FTX_LINES} lines of {_FTX_LINE}")
    return lines or [""]


def write_cusres(
    responses: CustomsResponses | Iterable[CustomsResponse],
    *,
    envelope: Envelope | None = None,
) -> str:
    """CUSRES D.95B, one message per response, segments in the directory's order. A status
    is written with its code as given; raises :class:`EdiWriteError` naming the field when a
    response cannot be expressed."""
    if isinstance(responses, CustomsResponses):
        items = responses.responses
        envelope = envelope or responses.envelope
    else:
        items = tuple(responses)
    if not items:
        raise EdiWriteError("responses: at least one response is needed")
    when = next((r.issued_at for r in items if r.issued_at is not None), None)
    messages = [(r.message_reference, _message(r, i)) for i, r in enumerate(items)]
    return write_interchange(messages, envelope or Envelope(), prepared_at=when)


def _message(r: CustomsResponse, index: int) -> list:
    where = f"responses[{index}]"
    if not r.message_reference:
        raise EdiWriteError(f"{where}.message_reference: required in UNH")
    out = [seg("UNH", r.message_reference, ["CUSRES", "D", "95B", "UN"])]
    out.append(seg("BGM", r.document_code, r.document_number, r.function, r.response_type))
    out += [seg("NAD", q, v) for q, v in r.parties]
    out += [seg("LOC", q, v) for q, v in r.locations]
    out += [seg("DTM", [q, *fmt_datetime(when)]) for q, when in r.dates.items()]
    for s in r.statuses:
        if not s.code:
            raise EdiWriteError(f"{where}.statuses: a status needs its code")
        out.append(seg("GIS", [s.code, s.code_list, s.agency]))
    for text in r.reasons:
        out.append(seg("FTX", "AAI", "", "", _lines(text, f"{where}.reasons")))
    out += [seg("EQD", "CN", c) for c in r.containers]
    for code in r.errors:
        out += [seg("ERP", "1"), seg("ERC", code)]
    for ref in r.references:
        out.append(seg("RFF", [ref.qualifier, ref.value]))
        if ref.at is not None:
            out.append(seg("DTM", ["171", *fmt_datetime(ref.at)]))
        out += [seg("EQD", "CN", c) for c in ref.containers]
    for doc in r.documents:
        if not doc.number:
            raise EdiWriteError(f"{where}.documents: a document needs its number")
        out.append(seg("DOC", doc.code, doc.number))
        if doc.issued_at is not None:
            out.append(seg("DTM", ["182", *fmt_datetime(doc.issued_at)]))
        if doc.location:
            out.append(seg("LOC", "91", doc.location))
    return out


def status(
    action: Action, *, status_codes: Mapping[str, tuple[Action, str]] = STATUS_CODES
) -> CustomsStatus:
    """The :class:`CustomsStatus` a writer sends for ``action`` (first code of the table)."""
    code = _codes_for(status_codes).get(action)
    if code is None:
        raise EdiWriteError(f"action: {action!r} has no code in the status table")
    return CustomsStatus(code=code, action=action, meaning=status_codes[code][1])
