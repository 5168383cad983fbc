"""The gate's EDIFACT: CODECO written for the lines (gate-in report BGM 34, gate-out report BGM
36, reference/edifact.md §1.8) and COPARN read into pre-advices (§1.9).

Writing uses the project's EDIFACT writer (:mod:`tos.edi.writer`: UNA/UNB/UNH/UNT/UNZ, escaping,
segment counts) and the same :class:`tos.edi.ContainerLine` that :func:`tos.edi.read_codeco`
returns, so every message we write reads back with our own reader (a test checks the round
trip). Pure functions; no Django here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tos import edi
from tos.edi.report import EdiWriteError
from tos.edi.values import dgs_elements, fmt_decimal
from tos.edi.writer import Envelope, seg, write_interchange

#: BGM 1001 of a CODECO: 34 gate-in report, 36 gate-out report.
CODECO_BGM = {"gate_in": "34", "gate_out": "36"}
#: TDT 8051 under the EQD: 1 pre-carriage (the truck that brought the box), 30 on-carriage.
_CARRIAGE_STAGE = {"gate_in": "1", "gate_out": "30"}


def codeco_write(
    *,
    kind: str,
    reference: str,
    terminal_locode: str,
    line_code: str,
    prepared_at: datetime,
    lines: Sequence[edi.ContainerLine],
) -> str:
    """One CODECO interchange (D.95B, one message) from the terminal to one line.

    ``prepared_at`` is the terminal's local time (DTM+137 and UNB); each line's ``moved_at`` is
    its gate time (DTM+7), ``carriage_id`` the truck plate (TDT mode 3, road).
    """
    if kind not in CODECO_BGM:
        raise EdiWriteError(f"kind: {kind!r} is not 'gate_in' or 'gate_out'")
    if not lines:
        raise EdiWriteError("lines: a CODECO reports at least one container")
    body = [
        seg("UNH", reference, ["CODECO", "D", "95B", "UN", "ITG14"]),
        seg("BGM", CODECO_BGM[kind], reference, "9"),
        seg("DTM", ["137", prepared_at.strftime("%Y%m%d%H%M"), "203"]),
        seg("NAD", "MS", [terminal_locode, "139", "6"]),
        seg("NAD", "MR", [line_code, "172", "20"]),
        seg("NAD", "CF", [line_code, "172", "20"]),
    ]
    for x in lines:
        body += _equipment(x, kind)
    body.append(seg("CNT", ["16", str(len(lines))]))
    envelope = Envelope(sender=terminal_locode, recipient=line_code, reference=reference)
    return write_interchange([(reference, body)], envelope, prepared_at=prepared_at)


def _equipment(x: edi.ContainerLine, kind: str) -> list:
    full = {True: "5", False: "4", None: ""}[x.full]
    size = [x.size_type, "102", "5"] if x.size_type else ""
    out = [seg("EQD", "CN", x.container, size, "", x.status, full)]
    if x.booking:
        out.append(seg("RFF", ["BN", x.booking]))
    if x.bl_reference:
        out.append(seg("RFF", ["BM", x.bl_reference]))
    if x.release_reference:
        out.append(seg("RFF", ["RE", x.release_reference]))
    if x.moved_at is not None:
        out.append(seg("DTM", ["7", x.moved_at.strftime("%Y%m%d%H%M"), "203"]))
    if x.vgm_kg is not None:
        out.append(seg("MEA", "AAE", "VGM", ["KGM", fmt_decimal(x.vgm_kg)]))
    if x.temperature_c is not None:
        out.append(seg("TMP", "2", [fmt_decimal(x.temperature_c), "CEL"]))
    out += [seg("SEL", s, "CA") for s in x.seals]
    out += [seg("DGS", *dgs_elements(dg)) for dg in x.dangerous_goods]
    out += [seg("DAM", "1", d) for d in x.damage]
    out.append(seg("TDT", _CARRIAGE_STAGE[kind], "", "3", "31", "", "", "", x.carriage_id))
    return out


def coparn_read(data: bytes) -> tuple[edi.ContainerList, edi.Report]:
    """A COPARN with its validation report (the tolerant reader; never raises)."""
    return edi.read_coparn(data)
