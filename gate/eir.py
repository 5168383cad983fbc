"""The equipment interchange receipt (EIR) as a PDF, made with fpdf2 (pure Python, no system
libraries). It carries the same facts as the printable page ``templates/gate/eir.html``: truck,
driver, haulier, appointment, gate-in and gate-out with lanes, turn time, and one row per
container with its seals, damage, yard position and the gate's decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import timezone
from fpdf import FPDF
from fpdf.fonts import FontFace

from gate.models import GateTransaction, TruckVisit


def _text(value: object) -> str:
    """The core PDF fonts speak Latin-1; anything else becomes '?' instead of an error."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _when(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _position(tx: GateTransaction) -> str:
    if tx.yard_position:
        return tx.yard_position
    return "no position yet" if tx.position_status == "no_position_yet" else "-"


def _decision(tx: GateTransaction) -> str:
    if tx.accepted:
        return "accepted"
    return "; ".join(r.get("message", r.get("code", "")) for r in tx.reasons) or "refused"


def eir_pdf(
    *, visit: TruckVisit, transactions: Sequence[GateTransaction], printed_at: dt.datetime
) -> bytes:
    """The EIR of ``visit`` as PDF bytes (A4 portrait)."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    title = f"Equipment Interchange Receipt {visit.eir_number or '(truck in terminal)'}"
    pdf.set_title(_text(title))
    pdf.set_creator("TOS")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 8, _text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    terminal = visit.terminal
    pdf.cell(0, 6, _text(f"{terminal.name} ({terminal.locode})"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    meta = [
        ("Truck", visit.truck_plate),
        ("Driver", f"{visit.driver_name or '-'} {visit.driver_licence}".strip()),
        ("Haulier", visit.haulier.name if visit.haulier else "-"),
        ("Appointment", visit.appointment.reference if visit.appointment else "-"),
        ("Status", visit.get_status_display()),
        ("Gate-in", f"{_when(visit.gate_in_at)} lane {visit.lane.name}"),
        (
            "Gate-out",
            f"{_when(visit.gate_out_at)} lane {visit.out_lane.name}" if visit.out_lane else "-",
        ),
        ("Turn time", f"{visit.turn_time_s} s" if visit.turn_time_s is not None else "-"),
    ]
    with pdf.table(
        col_widths=(40, 150),
        first_row_as_headings=False,
        text_align="LEFT",
        line_height=6,
        padding=1,
    ) as table:
        for label, value in meta:
            row = table.row()
            row.cell(_text(label), style=FontFace(emphasis="BOLD"))
            row.cell(_text(value))
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9)
    header = ("Container", "Type", "Transaction", "Seals", "Damage", "Yard position", "Decision")
    with pdf.table(
        col_widths=(28, 12, 28, 24, 18, 28, 52),
        text_align="LEFT",
        line_height=5,
        padding=1,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
    ) as table:
        table.row([_text(h) for h in header])
        for tx in transactions:
            iso = tx.unit.container.iso_type if tx.unit_id else ""
            table.row(
                [
                    _text(tx.container_number),
                    _text(iso),
                    _text(tx.get_transaction_type_display() or "-"),
                    _text(", ".join(tx.seals) or "none"),
                    _text(", ".join(tx.damage_codes) or "none"),
                    _text(_position(tx)),
                    _text(_decision(tx)),
                ]
            )
        if not transactions:
            table.row(["No containers.", "", "", "", "", "", ""])
    if visit.reasons:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 6, "Refused", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        for reason in visit.reasons:
            line = f"{reason.get('code', '')}: {reason.get('message', '')}"
            pdf.multi_cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, f"Printed {_when(printed_at)}.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(18)
    y = pdf.get_y()
    pdf.line(15, y, 75, y)
    pdf.line(110, y, 170, y)
    pdf.set_xy(15, y + 1)
    pdf.cell(60, 5, "Driver")
    pdf.set_xy(110, y + 1)
    pdf.cell(60, 5, "Gate clerk")
    return bytes(pdf.output())
