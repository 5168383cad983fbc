"""Serializers of the EDI and stowage API."""

from __future__ import annotations

from rest_framework import serializers

from stowage.choices import EdiMessageType, ListKind, PlanKind, PlanStatus
from stowage.models import EdiUpload, VesselProfile
from stowage.selectors import CELL_FIELDS


class EdiUploadInputSerializer(serializers.Serializer):
    """Multipart: ``file`` plus these fields. A raw body (the file itself, any content type
    but multipart/form) takes them from the query string instead."""

    file = serializers.FileField(required=False, help_text="The EDIFACT file.")
    message_type = serializers.ChoiceField(
        choices=EdiMessageType.choices,
        required=False,
        help_text="Detected from the file's UNH when left out.",
    )
    strict = serializers.BooleanField(
        default=False, help_text="Reject what the tolerant reader only warns about."
    )
    vessel_visit = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The visit the file is about; found from the vessel and voyage when left out.",
    )


class EdiUploadListSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", default=None)
    ok = serializers.SerializerMethodField()

    class Meta:
        model = EdiUpload
        fields = [
            "id",
            "message_type",
            "kind",
            "filename",
            "size_bytes",
            "strict",
            "content_sha256",
            "interchange_key",
            "vessel_visit",
            "uploaded_by",
            "uploaded_at",
            "ok",
        ]

    def get_ok(self, obj: EdiUpload) -> bool:
        return bool(obj.report.get("ok", True))


class EdiUploadSerializer(EdiUploadListSerializer):
    """One upload with its validation report and what it created or updated."""

    replayed = serializers.SerializerMethodField()

    class Meta(EdiUploadListSerializer.Meta):
        fields = [
            *EdiUploadListSerializer.Meta.fields,
            "interchange_keys",
            "report",
            "result",
            "replayed",
        ]

    def get_replayed(self, obj: EdiUpload) -> bool:
        return bool(self.context.get("replayed", False))


class VesselProfileSerializer(serializers.ModelSerializer):
    vessel_name = serializers.CharField(source="vessel.name")

    class Meta:
        model = VesselProfile
        fields = ["id", "vessel", "vessel_name", "source", "cells", "layout", "updated_at"]


class StowagePlanCellsSerializer(serializers.Serializer):
    """A plan with its cells in compact form: ``cells`` rows follow ``fields``."""

    vessel_visit = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    status = serializers.ChoiceField(choices=PlanStatus.choices)
    revision = serializers.IntegerField()
    source_upload = serializers.IntegerField(allow_null=True)
    updated_at = serializers.DateTimeField()
    fields = serializers.ListField(
        child=serializers.CharField(), default=list(CELL_FIELDS), read_only=True
    )
    cells = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class ListEntriesSerializer(serializers.Serializer):
    """A load or discharge list in compact form: ``entries`` rows follow ``fields``."""

    vessel_visit = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ListKind.choices)
    fields = serializers.ListField(child=serializers.CharField())
    entries = serializers.ListField(child=serializers.ListField(child=serializers.JSONField()))


class LoadListFromYardSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    kept = serializers.IntegerField()


class CellSerializer(serializers.Serializer):
    """An ISO 9711 cell: odd bays 20', even bays 40'; rows 0-99 (00 centre, odd starboard, even
    port); tiers 2-48 in the hold, from 50 (usually 82) on deck."""

    bay = serializers.IntegerField(min_value=1, max_value=199)
    row = serializers.IntegerField(min_value=0, max_value=99)
    tier = serializers.IntegerField(min_value=1, max_value=99)


class PlanMoveSerializer(serializers.Serializer):
    box = serializers.CharField(max_length=17, help_text="Container number.")
    to = CellSerializer()


class ViolationSerializer(serializers.Serializer):
    code = serializers.CharField()
    box = serializers.CharField(allow_null=True)
    cell = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class MoveCheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    violations = ViolationSerializer(many=True)


class PlanOptimiseSerializer(serializers.Serializer):
    time_limit = serializers.FloatField(
        min_value=1, max_value=300, default=10, help_text="Seconds of search."
    )
    rotation = serializers.ListField(
        child=serializers.RegexField(r"^[A-Z]{2}[A-Z2-9]{3}$", max_length=5),
        required=False,
        max_length=40,
        help_text="The ports after this one in order of call (UN/LOCODEs); inferred from the "
        "arrival plan when left out.",
    )

    def validate_rotation(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("A port is named twice.")
        here = self.context.get("here")
        if here and here in value:
            raise serializers.ValidationError(f"{here} is this port, not a later one.")
        return value
