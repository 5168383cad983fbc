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
