"""Serializers of the KPI API: the period a figure is asked for, and the answers' shape (for the
OpenAPI schema; figures differ in their rows and series, so those are free-form)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers

from operations.kpis import MAX_PERIOD
from tos.core.errors import ApplicationError

DEFAULT_PERIOD = dt.timedelta(hours=24)
_EXAMPLE = "an ISO 8601 date and time such as 2026-03-02T06:00:00Z"


def _parse(name: str, raw: str, tz: dt.tzinfo) -> dt.datetime:
    """An ISO 8601 date and time (a bare date means its midnight); a time without offset is the
    terminal's local time."""
    value: dt.datetime | None = None
    text = raw.strip()
    if 0 < len(text) <= 40:
        try:
            value = parse_datetime(text)
            if value is None and " " in text[11:]:
                # an unencoded "+01:00" offset arrives as " 01:00" in a query string
                head, _, tail = text.rpartition(" ")
                value = parse_datetime(f"{head}+{tail}")
            if value is None and (day := parse_date(text)) is not None:
                value = dt.datetime.combine(day, dt.time())
        except ValueError:
            value = None
    if value is not None and not 1900 <= value.year <= 2999:
        raise ApplicationError(
            "invalid_datetime",
            f"{name} must lie between the years 1900 and 2999.",
            details={name: ["A year from 1900 to 2999."]},
        )
    if value is None:
        raise ApplicationError(
            "invalid_datetime",
            f"{name} must be {_EXAMPLE}.",
            details={name: [f"Not a valid date and time; use {_EXAMPLE}."]},
        )
    if timezone.is_naive(value):
        value = value.replace(tzinfo=tz)
    return value.astimezone(dt.UTC)


def kpi_period(params: Any, *, terminal_tz: str = "UTC") -> tuple[dt.datetime, dt.datetime]:
    """The period ``[start, end)`` asked for in the query ``params``. Both are optional: ``end``
    defaults to the start of the next hour, ``start`` to 24 hours before ``end``. Refuses (400,
    naming the field) a time that is not ISO 8601, an end not after the start and a period
    longer than 92 days."""
    try:
        tz: dt.tzinfo = zoneinfo.ZoneInfo(terminal_tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    raw_start, raw_end = params.get("start"), params.get("end")
    start = _parse("start", raw_start, tz) if raw_start not in (None, "") else None
    end = _parse("end", raw_end, tz) if raw_end not in (None, "") else None
    if end is None:
        if start is not None:
            end = start + DEFAULT_PERIOD
        else:
            now = timezone.now().astimezone(dt.UTC)
            end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    if start is None:
        start = end - DEFAULT_PERIOD
    if end <= start:
        raise ApplicationError(
            "period_not_positive",
            "end must be after start.",
            details={"end": [f"Must be after start ({start.isoformat()})."]},
        )
    if end - start > MAX_PERIOD:
        raise ApplicationError(
            "period_too_long",
            f"end may be at most {MAX_PERIOD.days} days after start.",
            details={"end": [f"At most {MAX_PERIOD.days} days after start."]},
        )
    return start, end


class KpiPeriodQuerySerializer(serializers.Serializer):
    """The query parameters of a figure (documentation only; :func:`kpi_period` parses)."""

    start = serializers.DateTimeField(
        required=False, help_text="Period start (ISO 8601); default: 24 hours before end."
    )
    end = serializers.DateTimeField(
        required=False,
        help_text="Period end, exclusive (ISO 8601); default: the start of the next hour. "
        "At most 92 days after start.",
    )


class KpiTileSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)


class KpiFigureInfoSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    formula = serializers.CharField()
    url = serializers.CharField()


class KpiFigureSerializer(serializers.Serializer):
    """One figure over a period: the envelope every figure shares; ``rows``, ``series``,
    ``categories``, ``kinds``, ``in_terminal``/``queue`` and ``all`` depend on the figure."""

    figure = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    formula = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    at = serializers.DateTimeField()
    tiles = KpiTileSerializer(many=True)
    empty = serializers.CharField(allow_blank=True)
    rows = serializers.JSONField(required=False)
    series = serializers.JSONField(required=False)
