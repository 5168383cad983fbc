"""Reading values out of segments, tolerantly: numbers, dates, container numbers, size-type codes,
stowage cells, dangerous goods. Each reader takes the segment and a :class:`Context` that reports
what was odd with that segment's number.

ISO 6346 logic is shared with the kernel through :mod:`tos.core.codes` (pure Python, no Django).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from tos.core import codes
from tos.edi.report import Report
from tos.edi.syntax import Segment


@dataclass(slots=True)
class Context:
    """Where mappers report to: the report, the interchange number and its decimal mark."""

    report: Report
    interchange: int = 1
    decimal_mark: str = "."
    seen_containers: dict[str, int] = field(default_factory=dict)

    def warn(self, code: str, message: str, seg: Segment | None) -> None:
        self.report.warn(
            code,
            message,
            segment=seg.number if seg else 0,
            tag=seg.tag if seg else "",
            interchange=self.interchange,
        )

    def error(self, code: str, message: str, seg: Segment | None) -> None:
        self.report.error(
            code,
            message,
            segment=seg.number if seg else 0,
            tag=seg.tag if seg else "",
            interchange=self.interchange,
        )


# --- numbers -----------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^[+-]?([0-9]+([.,][0-9]*)?|[.,][0-9]+)$")


def number(raw: str, ctx: Context, seg: Segment, what: str) -> Decimal | None:
    """A decimal with either mark (a comma where a point is declared is warned about)."""
    text = raw.strip()
    if not text:
        return None
    if not _NUMBER_RE.match(text):
        ctx.error("NUMBER_INVALID", f"{what} {raw!r} is not a number", seg)
        return None
    if "," in text and ctx.decimal_mark != ",":
        ctx.warn("DECIMAL_COMMA", f"{what} {raw!r} uses a decimal comma; read as a point", seg)
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        ctx.error("NUMBER_INVALID", f"{what} {raw!r} is not a number", seg)
        return None


def fmt_decimal(value: Decimal | int | None) -> str:
    """Plain notation without exponent or trailing zeros: 25100, 16733.08, -18."""
    if value is None:
        return ""
    d = Decimal(value).normalize()
    text = format(d, "f")
    return "0" if text in ("-0", "") else text


# --- dates -------------------------------------------------------------------------------------

_DATE_FORMATS = {
    "101": ("%y%m%d", 6),
    "102": ("%Y%m%d", 8),
    "201": ("%y%m%d%H%M", 10),
    "203": ("%Y%m%d%H%M", 12),
    "204": ("%Y%m%d%H%M%S", 14),
}


def parse_datetime(value: str, fmt: str, ctx: Context, seg: Segment) -> datetime | None:
    """An EDIFACT date (local time, no zone: the caller applies the terminal's zone)."""
    value = value.strip()
    if not value:
        return None
    pattern = _DATE_FORMATS.get(
        fmt or {6: "101", 8: "102", 10: "201", 12: "203"}.get(len(value), "")
    )
    if pattern is None or len(value) != pattern[1]:
        # format code missing or inconsistent with the value's length: guess by length
        pattern = next((p for p in _DATE_FORMATS.values() if p[1] == len(value)), None)
    try:
        if pattern is None:
            raise ValueError("unknown format")
        return datetime.strptime(value, pattern[0])  # noqa: DTZ007 - EDIFACT times carry no zone
    except ValueError:
        ctx.warn("DATE_INVALID", f"{value!r} is not a date/time in format {fmt or '?'}", seg)
        return None


def dtm(seg: Segment, ctx: Context) -> tuple[str, datetime | None]:
    """Qualifier and value of a DTM segment; an empty qualifier is warned about."""
    qualifier = seg.get(0, 0)
    if not qualifier:
        ctx.warn("EMPTY_QUALIFIER", "DTM without a date/time qualifier; not used", seg)
        return "", None
    return qualifier, parse_datetime(seg.get(0, 1), seg.get(0, 2), ctx, seg)


def fmt_datetime(value: datetime | None) -> list[str]:
    """C507 components for format 203 (CCYYMMDDHHMM), or [] for None."""
    return [] if value is None else [value.strftime("%Y%m%d%H%M"), "203"]


# --- container numbers and size-type codes -----------------------------------------------------


def container_number(raw: str, ctx: Context, seg: Segment, *, required: bool = True) -> str:
    """Normalised container number; odd ones are warned about and kept as sent (normalised)."""
    text = raw.strip()
    if not text:
        if required:
            ctx.warn("CONTAINER_NUMBER_MISSING", "the equipment has no number", seg)
        return ""
    number_ = codes.normalise_container_number(text)
    if number_ != text.upper():
        ctx.warn("CONTAINER_NUMBER_SPACES", f"{raw!r} read as {number_}", seg)
    try:
        codes.validate_container_number(number_)
    except codes.CodeError as exc:
        if re.fullmatch(r"[A-Z]{3}[UJZ][0-9]{7}", number_):
            ctx.warn("CONTAINER_CHECK_DIGIT", str(exc), seg)
        else:
            ctx.warn("CONTAINER_NUMBER_FORMAT", str(exc), seg)
    return number_


def note_container(number_: str, ctx: Context, seg: Segment) -> None:
    """Warn when a container number was already seen in this message."""
    if not number_:
        return
    first = ctx.seen_containers.setdefault(number_, seg.number)
    if first != seg.number:
        ctx.warn("DUPLICATE_CONTAINER", f"{number_} also appears at segment {first}", seg)


def size_type(raw: str, ctx: Context, seg: Segment) -> str:
    """ISO 6346:1995 code; legacy numeric codes translated (warned), unknown ones kept as sent."""
    text = raw.strip().upper()
    if not text:
        return ""
    try:
        decoded = codes.decode_size_type(text)
    except codes.CodeError as exc:
        ctx.warn("SIZE_TYPE_UNKNOWN", str(exc), seg)
        return text
    if decoded.legacy_code:
        ctx.warn("SIZE_TYPE_LEGACY", f"legacy size-type {text} read as {decoded.code}", seg)
    return decoded.code


# --- stowage positions -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, order=True)
class Position:
    """ISO 9711 stowage cell: bay (odd 20', even 40'), row (00 centre, odd starboard, even port),
    tier (even; hold from 02, deck from 72/80/82 depending on the vessel)."""

    bay: int
    row: int
    tier: int

    @property
    def code(self) -> str:
        """7-digit BBBRRTT."""
        return f"{self.bay:03d}{self.row:02d}{self.tier:02d}"

    @classmethod
    def parse(cls, text: str) -> Position:
        """Strict: 6 or 7 digits; raises ValueError otherwise."""
        text = text.strip()
        if not re.fullmatch(r"[0-9]{6,7}", text):
            raise ValueError(f"{text!r} is not a 6- or 7-digit stowage cell")
        text = text.zfill(7)
        return cls(int(text[:3]), int(text[3:5]), int(text[5:]))

    def __str__(self) -> str:
        return self.code


def position(seg: Segment, ctx: Context, *, required: bool) -> Position | None:
    """Position from LOC+147+<cell>; 6 digits warned, anything else warned or an error."""
    raw = seg.get(1, 0).strip()
    if re.fullmatch(r"[0-9]{7}", raw):
        return Position.parse(raw)
    if re.fullmatch(r"[0-9]{6}", raw):
        ctx.warn("POSITION_6_DIGIT", f"stowage cell {raw} (BBRRTT) read as {raw.zfill(7)}", seg)
        return Position.parse(raw)
    message = f"stowage cell {raw!r} is not a 6- or 7-digit ISO 9711 position"
    if required:
        ctx.error("POSITION_INVALID", message + "; the unit cannot be placed", seg)
    else:
        ctx.warn("POSITION_INVALID", message + "; no position read", seg)
    return None


# --- weights, temperature, dangerous goods ------------------------------------------------------


def mea_weight(seg: Segment, ctx: Context) -> tuple[str, Decimal | None]:
    """(kind, kg) from MEA. kind: 'gross' (WT, AAE+G/AET), 'vgm' (VGM, AAE+VGM), 'tare' (AAE+T),
    or '' for other measurements. Tonnes (TNE) are converted to kg."""
    purpose, dimension = seg.get(0), seg.get(1, 0)
    unit, value = seg.get(2, 0).upper(), seg.get(2, 1)
    if purpose == "VGM" or dimension == "VGM":
        kind = "vgm"
    elif purpose == "WT" or dimension in ("G", "AET", "WT"):
        kind = "gross"
    elif dimension == "T":
        kind = "tare"
    else:
        return "", None
    kg = number(value, ctx, seg, "weight")
    if kg is not None and unit == "TNE":
        kg = kg * 1000
    elif kg is not None and unit == "LBR":
        kg = (kg * Decimal("0.45359237")).quantize(Decimal("0.01"))
    return kind, kg


def temperature(seg: Segment, ctx: Context) -> Decimal | None:
    """TMP+2+<value>:<CEL|FAH> in degrees Celsius."""
    value = number(seg.get(1, 0), ctx, seg, "temperature")
    if value is not None and seg.get(1, 1).upper() == "FAH":
        value = ((value - 32) * 5 / 9).quantize(Decimal("0.1"))
    return value


@dataclass(frozen=True, slots=True)
class DangerousGoods:
    """One DGS line: IMDG class, UN number, flash point (°C), packing group, EmS, labels."""

    imdg_class: str
    un_number: str = ""
    flashpoint_c: Decimal | None = None
    packing_group: str = ""
    ems: str = ""
    labels: tuple[str, ...] = ()


def dangerous_goods(seg: Segment, ctx: Context) -> DangerousGoods:
    """DGS+IMD+<class>:<page>+<UN>+<flash>:<unit>+<PG>+<EmS>+…+<labels>."""
    flash = number(seg.get(3, 0), ctx, seg, "flash point") if seg.get(3, 0) else None
    if flash is not None and seg.get(3, 1).upper() == "FAH":
        flash = ((flash - 32) * 5 / 9).quantize(Decimal("0.1"))
    labels = tuple(c for c in seg.components(9) if c)
    return DangerousGoods(
        imdg_class=seg.get(1, 0),
        un_number=seg.get(2, 0),
        flashpoint_c=flash,
        packing_group=seg.get(4, 0),
        ems=seg.get(5, 0),
        labels=labels,
    )


def dgs_elements(dg: DangerousGoods) -> list:
    """Elements of a DGS segment for ``dg`` (D.95B and D.13B agree on these positions)."""
    return [
        "IMD",
        dg.imdg_class,
        dg.un_number,
        [fmt_decimal(dg.flashpoint_c), "CEL"] if dg.flashpoint_c is not None else "",
        dg.packing_group,
        dg.ems,
        "",
        "",
        "",
        list(dg.labels) if dg.labels else "",
    ]


@dataclass(frozen=True, slots=True)
class OutOfGauge:
    """Over-dimensions in centimetres (DIM+5 front, 6 back, 7 right, 8 left, 9 height)."""

    front_cm: int | None = None
    back_cm: int | None = None
    right_cm: int | None = None
    left_cm: int | None = None
    height_cm: int | None = None


_DIM_FIELDS = {"5": "front_cm", "6": "back_cm", "7": "right_cm", "8": "left_cm", "9": "height_cm"}
#: Which component of C211 (unit:length:width:height) carries the value per DIM qualifier.
_DIM_COMPONENT = {"5": 1, "6": 1, "7": 2, "8": 2, "9": 3}


def out_of_gauge(dims: list[Segment], ctx: Context) -> OutOfGauge | None:
    values: dict[str, int] = {}
    for seg in dims:
        q = seg.get(0)
        if q not in _DIM_FIELDS:
            ctx.warn("UNKNOWN_QUALIFIER", f"DIM+{q} is not an out-of-gauge dimension", seg)
            continue
        raw = seg.get(1, _DIM_COMPONENT[q]) or next((c for c in seg.components(1)[1:] if c), "")
        value = number(raw, ctx, seg, "dimension")
        if value is None:
            continue
        if seg.get(1, 0).upper() == "MMT":
            value = value / 10
        values[_DIM_FIELDS[q]] = int(value.to_integral_value())
    return OutOfGauge(**values) if values else None


def dim_segments(oog: OutOfGauge | None) -> list[list]:
    """DIM element lists for an out-of-gauge record."""
    if oog is None:
        return []
    out = []
    for q, name in _DIM_FIELDS.items():
        value = getattr(oog, name)
        if value is None:
            continue
        comp = ["CMT", "", "", ""]
        comp[_DIM_COMPONENT[q]] = str(value)
        out.append([q, comp])
    return out
