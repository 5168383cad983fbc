"""Strict validation of sensor payloads, one schema per sensor kind.

A payload is refused as a whole when any field is missing, out of range or unknown; the error
names the field (``payload.gross_cps``) and the rule. The shapes follow the evidence dataclasses
of :mod:`customs.risk`:

* ``radiation`` (portal monitor): ``gross_cps``, ``background_cps``, optional ``neutron_cps``,
  optional ``neutron_background_cps``, optional ``gamma_spectrum`` (nuclide → net counts per
  second, e.g. ``{"K40": 310.0}``), optional ``count_time_s`` (integration time, default 1).
* ``nir`` (spectrometer over the conveyor, bulk lots only): ``window_start``, ``window_end``,
  ``tonnes`` scanned in that window, ``values`` (component → mass %, e.g. ``{"Fe": 61.8}``).
* ``image`` (foreign-object recognition): ``detections``, each ``{frame, label, confidence}``.
* ``xray`` (non-intrusive inspection): ``anomaly``, ``score`` 0–1, ``findings`` (texts).
* ``seal`` (smart container / e-seal, units only): ``event`` (door_open, door_close,
  seal_broken, seal_ok) and the ``seal_number`` the device reports.
"""

from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from customs.choices import SensorKind

MAX_DETECTIONS = 1000
MAX_FINDINGS = 20
ISOTOPE = re.compile(r"^[A-Z][a-z]?-?[0-9]{1,3}m?$")
COMPONENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
SEAL_EVENTS = ("door_open", "door_close", "seal_broken", "seal_ok")


class StrictSerializer(serializers.Serializer):
    """A serializer that refuses keys it does not know, naming them."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {k: [f"Unknown field; allowed: {', '.join(self.fields)}."] for k in unknown}
                )
        return super().to_internal_value(data)


def _number(**kwargs: Any) -> serializers.FloatField:
    return serializers.FloatField(**kwargs)


class RadiationPayload(StrictSerializer):
    gross_cps = _number(min_value=0, max_value=10_000_000)
    background_cps = _number(min_value=0.001, max_value=1_000_000)
    neutron_cps = _number(min_value=0, max_value=1_000_000, required=False)
    neutron_background_cps = _number(min_value=0.001, max_value=1_000_000, required=False)
    gamma_spectrum = serializers.DictField(
        child=_number(min_value=0, max_value=10_000_000), required=False
    )
    count_time_s = _number(min_value=0.01, max_value=600, required=False)

    def validate_gamma_spectrum(self, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k in value if not ISOTOPE.match(k)]
        if bad or len(value) > 30:
            raise serializers.ValidationError(
                "Isotope names such as K40, Ra226, Cs137 (at most 30); "
                f"not: {', '.join(map(repr, bad[:5]))}."
            )
        return value


class NirPayload(StrictSerializer):
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    tonnes = _number(min_value=0.001, max_value=1_000_000)
    values = serializers.DictField(child=_number(min_value=0, max_value=100), allow_empty=False)

    def validate_values(self, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k in value if not COMPONENT.match(k)]
        if bad or len(value) > 30:
            raise serializers.ValidationError(
                "Component names such as Fe, SiO2, moisture (at most 30); "
                f"not: {', '.join(map(repr, bad[:5]))}."
            )
        if sum(v for k, v in value.items() if k != "moisture") > 100.5:
            raise serializers.ValidationError("The mass fractions add up to more than 100 %.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["window_end"] <= attrs["window_start"]:
            raise serializers.ValidationError({"window_end": ["Must be after window_start."]})
        return attrs


class DetectionPayload(StrictSerializer):
    frame = serializers.IntegerField(min_value=0, max_value=10_000_000)
    label = serializers.RegexField(r"^[a-z][a-z0-9_ -]{0,39}$", max_length=40)
    confidence = _number(min_value=0, max_value=1)


class ImagePayload(StrictSerializer):
    detections = serializers.ListField(
        child=DetectionPayload(), max_length=MAX_DETECTIONS, allow_empty=True
    )


class XrayPayload(StrictSerializer):
    anomaly = serializers.BooleanField()
    score = _number(min_value=0, max_value=1)
    findings = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=MAX_FINDINGS, default=list
    )


class SealPayload(StrictSerializer):
    event = serializers.ChoiceField(choices=SEAL_EVENTS)
    seal_number = serializers.CharField(max_length=20, required=False, allow_blank=True)


PAYLOADS: dict[str, type[StrictSerializer]] = {
    SensorKind.RADIATION: RadiationPayload,
    SensorKind.NIR: NirPayload,
    SensorKind.IMAGE: ImagePayload,
    SensorKind.XRAY: XrayPayload,
    SensorKind.SEAL: SealPayload,
}
#: Which subjects a sensor kind may report on.
SUBJECTS: dict[str, tuple[str, ...]] = {
    SensorKind.RADIATION: ("unit", "lot"),
    SensorKind.NIR: ("lot",),
    SensorKind.IMAGE: ("unit", "lot"),
    SensorKind.XRAY: ("unit",),
    SensorKind.SEAL: ("unit",),
}


def payload_validate(kind: str, payload: Any) -> dict[str, Any]:
    """The payload in its stored JSON form (dates as ISO text), or ``ValidationError`` keyed by
    ``payload.<field>``."""
    if not isinstance(payload, dict):
        raise serializers.ValidationError({"payload": ["An object with the sensor's fields."]})
    data = PAYLOADS[kind](data=payload)
    if not data.is_valid():
        raise serializers.ValidationError({"payload": data.errors})
    out = dict(data.validated_data)
    for key in ("window_start", "window_end"):
        if key in out:
            out[key] = out[key].isoformat()
    if "detections" in out:
        out["detections"] = [dict(d) for d in out["detections"]]
    return out
