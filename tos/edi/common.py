"""Pieces every message mapper shares: the vessel call (TDT/LOC/DTM), message selection, the
envelope of a read document, and the content fingerprint for idempotent re-upload."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from tos.edi.groups import Group, GroupSpec, build
from tos.edi.report import Report
from tos.edi.syntax import MAX_BYTES, Document, Interchange, Message, Segment, read_document
from tos.edi.values import Context, dtm, parse_datetime
from tos.edi.writer import Envelope, seg

#: DTM qualifiers of a vessel call and the VesselCall field they fill.
_CALL_DATES = {"132": "eta", "133": "etd", "178": "ata", "136": "atd"}


@dataclass(frozen=True, slots=True)
class VesselCall:
    """Vessel and voyage as a message names them."""

    voyage: str = ""
    vessel_name: str = ""
    imo: str = ""
    call_sign: str = ""
    carrier: str = ""
    departure_port: str = ""  # LOC+5 (BAPLIE) / port of the report
    next_port: str = ""  # LOC+61
    eta: datetime | None = None
    etd: datetime | None = None
    ata: datetime | None = None
    atd: datetime | None = None


def read_vessel_call(groups: list[Group], ctx: Context) -> VesselCall:
    """From the TDT groups (TDT+20 preferred) with their LOC and DTM, nested or not."""
    if not groups:
        return VesselCall()
    main = next((g for g in groups if g.trigger.qualifier == "20"), groups[0])
    tdt = main.trigger
    ident, id_list, id_agency, name = (tdt.get(7, i) for i in range(4))
    imo = call_sign = ""
    if id_list == "146" or id_agency == "11":
        imo = ident
    else:
        call_sign = ident
    values: dict[str, object] = {}
    for g in main.walk():
        for s in g.segments:
            if s.tag == "LOC" and s.qualifier == "5":
                values["departure_port"] = s.get(1, 0)
            elif s.tag == "LOC" and s.qualifier == "61":
                values["next_port"] = s.get(1, 0)
            elif s.tag == "DTM":
                qualifier, when = dtm(s, ctx)
                if qualifier in _CALL_DATES and when is not None:
                    values[_CALL_DATES[qualifier]] = when
    return VesselCall(
        voyage=tdt.get(1),
        vessel_name=name,
        imo=imo,
        call_sign=call_sign,
        carrier=tdt.get(4, 0),
        **values,
    )


def vessel_call_segments(call: VesselCall, *, carrier_list: tuple[str, str]) -> list:
    """TDT+20, LOC+5/61 and their DTMs (the order both BAPLIE versions and COARRI accept)."""
    if call.imo:
        ident = [call.imo, "146", "11", call.vessel_name]
    else:
        ident = [call.call_sign, "103", "", call.vessel_name]
    out = [
        seg(
            "TDT",
            "20",
            call.voyage,
            "",
            "",
            [call.carrier, *carrier_list] if call.carrier else "",
            "",
            "",
            ident,
        )
    ]
    if call.departure_port:
        out.append(seg("LOC", "5", [call.departure_port, "139", "6"]))
    if call.next_port:
        out.append(seg("LOC", "61", [call.next_port, "139", "6"]))
    for qualifier, name in _CALL_DATES.items():
        when = getattr(call, name)
        if when is not None:
            out.append(seg("DTM", [qualifier, when.strftime("%Y%m%d%H%M"), "203"]))
    return out


def envelope_of(ic: Interchange, ctx: Context) -> Envelope:
    prepared = None
    if ic.prepared:
        date, _, time = ic.prepared.partition(":")
        fake = Segment("UNB", number=1)
        prepared = parse_datetime(date + time, "201" if len(date) == 6 else "203", ctx, fake)
    return Envelope(
        sender=ic.sender or "UNKNOWN",
        recipient=ic.recipient or "UNKNOWN",
        reference=ic.reference or "1",
        prepared_at=prepared,
        syntax=ic.syntax or "UNOC:3",
    )


@dataclass(slots=True)
class Selected:
    """The message of the wanted type and what the reader needs to map it."""

    message: Message | None
    interchange: Interchange | None
    ctx: Context
    tree: Group | None = None
    others: list[Message] = field(default_factory=list)


def select(
    data: bytes | str,
    types: tuple[str, ...],
    spec: GroupSpec,
    *,
    strict: bool,
    max_bytes: int = MAX_BYTES,
) -> tuple[list[Selected], Report]:
    """Read the input, keep the messages of ``types``, group each per ``spec``."""
    doc, report = read_document(data, strict=strict, max_bytes=max_bytes)
    return select_from(doc, report, types, spec), report


def select_from(
    doc: Document, report: Report, types: tuple[str, ...], spec: GroupSpec
) -> list[Selected]:
    chosen: list[Selected] = []
    by_number = {ic.number: ic for ic in doc.interchanges}
    for msg in doc.messages:
        ic = by_number[msg.interchange]
        ctx = Context(report, interchange=ic.number, decimal_mark=ic.decimal_mark)
        if msg.type not in types:
            ctx.error(
                "WRONG_MESSAGE_TYPE",
                f"message {msg.reference} is {msg.type or 'untyped'}, not {'/'.join(types)}; "
                "not read",
                msg.segments[0],
            )
            continue
        chosen.append(
            Selected(msg, ic, ctx, build(msg.segments, spec, report, interchange=ic.number))
        )
    return chosen


def check_cnt(tree: Group, ctx: Context, units: int) -> None:
    """CNT+16:<n> (number of equipment) against what was read."""
    for cnt in tree.all("CNT"):
        if cnt.get(0, 0) == "16" and cnt.get(0, 1).isdigit() and int(cnt.get(0, 1)) != units:
            ctx.warn("CNT_MISMATCH", f"CNT says {cnt.get(0, 1)} containers; {units} were read", cnt)


# --- idempotency ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What an upload is identified by: ``content_sha256`` over the segments as read (so a BOM,
    CRLF or re-wrapped lines do not change it) and the interchange keys ``sender/reference``."""

    content_sha256: str
    interchange_keys: tuple[str, ...]
    message_keys: tuple[str, ...]

    @property
    def key(self) -> str:
        """One string to store and look up: first interchange key + content hash."""
        first = self.interchange_keys[0] if self.interchange_keys else ""
        return f"{first}#{self.content_sha256}"


def fingerprint(data: bytes | str, *, max_bytes: int = MAX_BYTES) -> Fingerprint:
    """Content hash and interchange/message references of an input, for idempotent re-upload."""
    doc, _ = read_document(data, max_bytes=max_bytes)
    digest = hashlib.sha256()
    for ic in doc.interchanges:
        for s in ic.segments:
            digest.update(str(s).encode("utf-8"))
            digest.update(b"\n")
    if not doc.interchanges:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        digest.update(raw[:max_bytes])
    return Fingerprint(
        content_sha256=digest.hexdigest(),
        interchange_keys=tuple(
            f"{ic.sender}/{ic.reference}" for ic in doc.interchanges if ic.has_unb
        ),
        message_keys=tuple(f"{m.type}/{m.reference}" for m in doc.messages),
    )
