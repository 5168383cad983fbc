"""Input and output shapes of the operations API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from operations import events
from operations.choices import EquipmentState, ProblemKind
from operations.models import CraneQueue, Equipment, WorkOrder


class WorkOrderSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="container_number")
    source_position = serializers.SerializerMethodField(
        method_name="get_from", help_text="{place, block, bay, row, tier} or {place, truck, lane}"
    )
    target_position = serializers.SerializerMethodField(method_name="get_to")

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "kind",
            "status",
            "unit",
            "container",
            "vessel_visit",
            "source_position",
            "target_position",
            "priority",
            "pool",
            "crane_queue",
            "sequence",
            "paired_with",
            "equipment",
            "source",
            "note",
            "created_at",
            "dispatched_at",
            "started_at",
            "completed_at",
        ]

    def get_from(self, wo: WorkOrder) -> dict[str, Any]:
        return events.place(wo, "from")

    def get_to(self, wo: WorkOrder) -> dict[str, Any]:
        return events.place(wo, "to")

    def to_representation(self, instance: WorkOrder) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["from"] = data.pop("source_position")
        data["to"] = data.pop("target_position")
        return data


class EquipmentSerializer(serializers.ModelSerializer):
    block = serializers.SlugRelatedField(slug_field="name", read_only=True)
    position_block = serializers.SlugRelatedField(slug_field="name", read_only=True)
    quay_crane = serializers.SlugRelatedField(slug_field="name", read_only=True)

    class Meta:
        model = Equipment
        fields = [
            "id",
            "kind",
            "name",
            "state",
            "pool",
            "quay_crane",
            "block",
            "position_block",
            "position_bay",
            "x_m",
            "y_m",
            "current_job",
            "updated_at",
        ]


class JobListSerializer(serializers.Serializer):
    current = WorkOrderSerializer(allow_null=True)
    next = WorkOrderSerializer(many=True)


class NextJobSerializer(serializers.Serializer):
    job = WorkOrderSerializer(allow_null=True)


class EquipmentRefSerializer(serializers.Serializer):
    equipment = serializers.IntegerField(min_value=1, help_text="The equipment doing the job.")


class CompleteSerializer(EquipmentRefSerializer):
    position = serializers.JSONField(
        help_text='Where the box is now: {"place": "yard", "block": "A01", "bay": 3, "row": 1, '
        '"tier": 1}, {"place": "vessel", "bay": 2, "row": 1, "tier": 82} or {"place": "truck", '
        '"truck": "AB123", "lane": "OUT1"}.'
    )


class CompletedSerializer(WorkOrderSerializer):
    replayed = serializers.BooleanField(read_only=True)

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "replayed"]


class ProblemInSerializer(EquipmentRefSerializer):
    kind = serializers.ChoiceField(choices=ProblemKind.choices)
    note = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)


class ProblemOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    note = serializers.CharField()
    reported_at = serializers.DateTimeField()
    work_order = WorkOrderSerializer()


class EquipmentStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=EquipmentState.choices, help_text="idle (back in service), down or offline."
    )


class CraneQueueSerializer(serializers.ModelSerializer):
    crane = serializers.SlugRelatedField(slug_field="name", read_only=True)
    etag = serializers.SerializerMethodField()
    done = serializers.IntegerField(read_only=True)
    total = serializers.IntegerField(read_only=True)
    moves = WorkOrderSerializer(many=True, read_only=True)

    class Meta:
        model = CraneQueue
        fields = [
            "id",
            "vessel_visit",
            "crane",
            "rail_order",
            "first_bay",
            "last_bay",
            "revision",
            "etag",
            "done",
            "total",
            "built_at",
            "moves",
        ]

    def get_etag(self, queue: CraneQueue) -> str:
        from operations.selectors import queue_etag

        return queue_etag(queue)


class ResequenceSerializer(serializers.Serializer):
    order = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=20000,
        help_text="Work order ids in the new order: every planned move of this queue, plus any "
        "planned move of a neighbour's queue to take over.",
    )


class GenerateResultSerializer(serializers.Serializer):
    discharge = serializers.IntegerField()
    load = serializers.IntegerField()
    restow = serializers.IntegerField()
    existing = serializers.IntegerField()
    no_unit = serializers.IntegerField()


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class PositionReportSerializer(serializers.Serializer):
    block = serializers.CharField(max_length=10, required=False)
    bay = serializers.IntegerField(min_value=1, max_value=999, required=False)
    x_m = serializers.IntegerField(min_value=-100000, max_value=100000, required=False)
    y_m = serializers.IntegerField(min_value=-100000, max_value=100000, required=False)
