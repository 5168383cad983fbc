"""The EDIFACT layer: pure Python over pydifact, no Django (DESIGN.md §4).

Every reader takes ``bytes`` or ``str`` and returns ``(typed data, Report)``; it never raises on
bad input. ``Report.ok`` is False when something was unusable; ``report.warnings`` /
``report.errors`` are :class:`Issue` objects with a stable ``code`` (see ``report.CODES``), the
1-based ``segment`` number in its interchange (UNB = 1, UNA not counted), the ``tag`` and the
``interchange`` number. ``strict=True`` records every warning as an error. Inputs above
``max_bytes`` (default 32 MiB) give one ``INPUT_TOO_LARGE`` error and empty data.

Reading::

    from tos import edi
    plan, report = edi.read_baplie(data, strict=False)      # BayPlan (2.x or 3.x, auto)
    movins, report = edi.read_movins(data)                  # Movins (StowageInstruction per cell)
    orders, report = edi.read_coprar(data)                  # ContainerList, kind load|discharge
    moves, report = edi.read_coarri(data)                   # ContainerList, kind load|discharge
    gate, report = edi.read_codeco(data)                    # ContainerList, kind gate_in|gate_out
    announced, report = edi.read_coparn(data)               # ContainerList (header booking)
    vgms, report = edi.read_vermas(data)                    # VgmDeclaration (VgmRecord per box)
    responses, report = edi.read_cusres(data)               # CustomsResponses (one per message)
    doc, report = edi.read_document(data)                   # envelope + raw segments, any type
    report.as_dict()                                        # JSON for the API / upload page

Writing (deterministic: no clock; UNB time is ``envelope.prepared_at`` or the message date)::

    text = edi.write_baplie(plan, version="2.2" | "3.1", envelope=edi.Envelope(...))
    text = edi.write_coarri(edi.ContainerList(message_type="COARRI", kind="discharge",
                            lines=(edi.ExecutedMove(container=..., moved_at=..., position=...),),
                            vessel=edi.VesselCall(...), ...), envelope=edi.Envelope(...))

Idempotent re-upload::

    fp = edi.fingerprint(data)   # fp.content_sha256 (ignores BOM/CRLF/line breaks),
                                 # fp.interchange_keys ('SENDER/REF', …), fp.key

Data classes are frozen; weights are ``Decimal`` kg, temperatures ``Decimal`` °C, times naive
local ``datetime``; positions are :class:`Position` (``bay``, ``row``, ``tier``, ``code`` =
'BBBRRTT'). Container numbers are normalised (spaces removed) and kept even with a bad check
digit (warned). Size-type codes are ISO 6346:1995; legacy numeric codes are translated (warned).
ISO 6346 logic lives in :mod:`tos.core.codes` (pure, shared with the kernel).
"""

from tos.edi.baplie import BayPlan, StowedUnit, read_baplie, write_baplie
from tos.edi.common import Fingerprint, VesselCall, fingerprint
from tos.edi.cusres import CustomsResponses, read_cusres, write_cusres
from tos.edi.equipment import (
    ContainerLine,
    ContainerList,
    ExecutedMove,
    read_coarri,
    read_codeco,
    read_coparn,
    read_coprar,
    write_coarri,
)
from tos.edi.movins import Movins, StowageInstruction, read_movins
from tos.edi.report import CODES, EdiWriteError, Issue, Report
from tos.edi.syntax import MAX_BYTES, Document, read_document
from tos.edi.values import DangerousGoods, OutOfGauge, Position
from tos.edi.vermas import VgmDeclaration, VgmRecord, read_vermas
from tos.edi.writer import Envelope

__all__ = [
    "CODES",
    "MAX_BYTES",
    "BayPlan",
    "ContainerLine",
    "ContainerList",
    "CustomsResponses",
    "DangerousGoods",
    "Document",
    "EdiWriteError",
    "Envelope",
    "ExecutedMove",
    "Fingerprint",
    "Issue",
    "Movins",
    "OutOfGauge",
    "Position",
    "Report",
    "StowageInstruction",
    "StowedUnit",
    "VesselCall",
    "VgmDeclaration",
    "VgmRecord",
    "fingerprint",
    "read_baplie",
    "read_coarri",
    "read_codeco",
    "read_coparn",
    "read_coprar",
    "read_cusres",
    "read_document",
    "read_movins",
    "read_vermas",
    "write_baplie",
    "write_coarri",
    "write_cusres",
]
