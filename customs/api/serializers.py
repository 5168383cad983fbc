"""Serializers of the customs API: strict input serializers for the commands (unknown fields are
refused by name), read serializers for the resources."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from customs.choices import DecisionAction, DeclarationKind, SensorKind
from customs.models import BulkLot, Decision, Declaration, InspectionCase, SensorReading
from customs.payloads import StrictSerializer
from customs.services import case_payload


def CONTAINER(**kwargs: Any) -> serializers.RegexField:  # noqa: N802 - reads like a field
    return serializers.RegexField(
        r"^[A-Za-z]{4}[0-9]{7}$",
        max_length=11,
        error_messages={"invalid": "An ISO 6346 number."},
        **kwargs,
    )


def REFERENCE(**kwargs: Any) -> serializers.RegexField:  # noqa: N802
    return serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$",
        max_length=35,
        error_messages={"invalid": "1 to 35 letters, digits or / . _ -."},
        **kwargs,
    )


class DeclarationSerializer(serializers.ModelSerializer):
    """A declaration as customs sees it."""

    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    containers = serializers.SerializerMethodField()
    lots = serializers.SlugRelatedField(slug_field="reference", many=True, read_only=True)

    class Meta:
        model = Declaration
        fields = [
            "id",
            "reference",
            "kind",
            "status",
            "line",
            "bl_ref",
            "declarant",
            "consignee",
            "goods_description",
            "hs_code",
            "origin_country",
            "declared_gross_kg",
            "containers",
            "lots",
            "early",
            "two_step",
            "lodged_at",
            "released_at",
            "completed_at",
        ]

    def get_containers(self, obj: Declaration) -> list[str]:
        return [line.unit.container.number for line in obj.lines.all()]


class DeclarationStatusSerializer(DeclarationSerializer):
    """What an agent sees of its lines' declarations: references and hold/release status."""

    class Meta(DeclarationSerializer.Meta):
        fields = [
            "id",
            "reference",
            "kind",
            "status",
            "line",
            "bl_ref",
            "containers",
            "early",
            "two_step",
            "lodged_at",
            "released_at",
            "completed_at",
        ]


class DeclarationLodgeSerializer(StrictSerializer):
    reference = REFERENCE()
    kind = serializers.ChoiceField(choices=DeclarationKind.choices)
    declarant = serializers.CharField(max_length=70)
    consignee = serializers.CharField(max_length=70, required=False, allow_blank=True, default="")
    goods_description = serializers.CharField(max_length=200)
    hs_code = serializers.RegexField(r"^[0-9]{4,10}$", error_messages={"invalid": "4-10 digits."})
    origin_country = serializers.RegexField(
        r"^[A-Z]{2}$", error_messages={"invalid": "ISO 3166 code, e.g. BR."}
    )
    bl_ref = serializers.CharField(max_length=35, required=False, allow_blank=True, default="")
    declared_gross_kg = serializers.IntegerField(
        min_value=1, max_value=10**9, required=False, allow_null=True, default=None
    )
    containers = serializers.ListField(child=CONTAINER(), max_length=500, default=list)
    lots = serializers.ListField(child=REFERENCE(), max_length=50, default=list)
    two_step = serializers.BooleanField(default=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["containers"] and not attrs["lots"]:
            raise serializers.ValidationError(
                {"containers": ["List the containers (or lots) the declaration covers."]}
            )
        if len(set(attrs["containers"])) != len(attrs["containers"]):
            raise serializers.ValidationError({"containers": ["A container is listed twice."]})
        return attrs


class ReasonSerializer(StrictSerializer):
    reason = serializers.CharField(min_length=3, max_length=500)


class CustomsResponseSerializer(StrictSerializer):
    """A CUSRES-like JSON customs response about one declaration."""

    reference = REFERENCE()
    action = serializers.ChoiceField(
        choices=[DecisionAction.RELEASE, DecisionAction.HOLD, DecisionAction.EXAMINE]
    )
    reason = serializers.CharField(min_length=3, max_length=500)
    message_id = serializers.CharField(max_length=35, required=False, allow_blank=True)


class ReadingInSerializer(StrictSerializer):
    """One sensor reading; its ``payload`` is checked against the kind's schema afterwards."""

    kind = serializers.ChoiceField(choices=SensorKind.choices)
    container = serializers.RegexField(
        r"^[A-Za-z]{4}[0-9]{7}$",
        max_length=11,
        required=False,
        error_messages={"invalid": "An ISO 6346 number."},
    )
    lot = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,34}$",
        max_length=35,
        required=False,
        error_messages={"invalid": "A lot reference."},
    )
    sensor_id = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9:/._-]{0,39}$",
        max_length=40,
        error_messages={"invalid": "Letters, digits and : / . _ - (1 to 40)."},
    )
    external_id = serializers.RegexField(
        r"^[A-Za-z0-9][A-Za-z0-9:/._-]{0,63}$",
        max_length=64,
        error_messages={"invalid": "Letters, digits and : / . _ - (1 to 64)."},
    )
    taken_at = serializers.DateTimeField()
    payload = serializers.JSONField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("container" in attrs) == ("lot" in attrs):
            raise serializers.ValidationError(
                {"container": ["Give exactly one of container or lot."]}
            )
        return attrs


class ReadingBatchSerializer(StrictSerializer):
    readings = serializers.ListField(child=serializers.JSONField(), min_length=1, max_length=500)


class ReadingSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="unit.container.number", default=None)
    lot = serializers.CharField(source="lot.reference", default=None)

    class Meta:
        model = SensorReading
        fields = [
            "id",
            "kind",
            "container",
            "lot",
            "sensor_id",
            "external_id",
            "taken_at",
            "payload",
            "alarm",
            "alarm_reason",
            "received_at",
        ]


class LotSerializer(serializers.ModelSerializer):
    vessel_visit = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    declaration = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    discharge_pct = serializers.FloatField(read_only=True)

    class Meta:
        model = BulkLot
        fields = [
            "id",
            "reference",
            "vessel_visit",
            "declaration",
            "commodity",
            "declared_tonnage",
            "declared_composition",
            "discharged_tonnage",
            "discharge_pct",
            "status",
            "discharge_completed_at",
            "cleared_at",
        ]


class LotCreateSerializer(StrictSerializer):
    reference = REFERENCE()
    vessel_visit = serializers.CharField(max_length=32)
    commodity = serializers.CharField(max_length=60)
    declared_tonnage = serializers.DecimalField(
        max_digits=10, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal("999999999")
    )
    declared_composition = serializers.DictField(
        child=serializers.FloatField(min_value=0, max_value=100), default=dict
    )


class LotProgressSerializer(StrictSerializer):
    tonnage = serializers.DecimalField(
        max_digits=10, decimal_places=1, min_value=Decimal("0.1"), max_value=Decimal("999999999")
    )
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField()
    last = serializers.BooleanField(default=False)


class CaseSerializer(serializers.ModelSerializer):
    def to_representation(self, instance: InspectionCase) -> dict[str, Any]:
        return serializers.JSONField().to_representation(case_payload(instance))

    class Meta:
        model = InspectionCase
        fields = ["id"]


class DecideSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=DecisionAction.choices)
    reason = serializers.CharField(min_length=3, max_length=500)
    scheduled_from = serializers.DateTimeField(required=False)
    scheduled_until = serializers.DateTimeField(required=False)


class DecisionSerializer(serializers.ModelSerializer):
    officer = serializers.CharField(source="officer.username", default=None)
    container = serializers.CharField(source="unit.container.number", default=None)
    lot = serializers.CharField(source="lot.reference", default=None)
    declaration = serializers.CharField(source="declaration.reference", default=None)

    class Meta:
        model = Decision
        fields = [
            "id",
            "at",
            "action",
            "source",
            "officer",
            "reason",
            "case",
            "declaration",
            "container",
            "lot",
        ]
