"""Input and output shapes of the yard API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from yard.allocation import DEFAULT_WEIGHTS
from yard.choices import MoveKind, Origin
from yard.models import DgSegregationZone, YardBlock, YardMove, YardOccupancy
from yard.services import MAX_RESERVATION_MINUTES


class DgZoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = DgSegregationZone
        fields = ["name", "first_bay", "last_bay", "imdg_classes"]


class YardBlockSerializer(serializers.ModelSerializer):
    zones = DgZoneSerializer(source="dg_zones", many=True, read_only=True)

    class Meta:
        model = YardBlock
        fields = [
            "id",
            "name",
            "kind",
            "equipment",
            "bays",
            "rows",
            "max_tier",
            "capacity_teu",
            "reefer_plugs_per_row",
            "plugged_rows",
            "allow_20_on_40",
            "x_m",
            "y_m",
            "orientation_deg",
            "zones",
        ]


class BoxSerializer(serializers.ModelSerializer):
    """A box standing in the yard now (or, in history, then)."""

    unit = serializers.IntegerField(source="unit_id")
    container = serializers.CharField(source="unit.container.number")
    line = serializers.CharField(source="unit.line.code")
    block = serializers.CharField(source="block.name")
    position = serializers.CharField(source="ref")
    size = serializers.IntegerField(source="size_ft")

    class Meta:
        model = YardOccupancy
        fields = [
            "unit",
            "container",
            "line",
            "block",
            "bay",
            "row",
            "tier",
            "size",
            "position",
            "valid_from",
            "valid_to",
        ]


class PositionSerializer(serializers.Serializer):
    """A yard position: block name, bay (even-bay notation), row and tier."""

    block = serializers.CharField(max_length=10)
    bay = serializers.IntegerField(min_value=1, max_value=255)
    row = serializers.IntegerField(min_value=1, max_value=99)
    tier = serializers.IntegerField(min_value=1, max_value=99)


def _position(block_name: str | None, bay: Any, row: Any, tier: Any) -> dict[str, Any] | None:
    if block_name is None:
        return None
    return {
        "block": block_name,
        "bay": bay,
        "row": row,
        "tier": tier,
        "position": f"{block_name}.{bay:02d}.{row}.{tier}",
    }


class YardMoveSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="unit.container.number")
    line = serializers.CharField(source="unit.line.code")
    source = serializers.SerializerMethodField(method_name="get_from")
    to = serializers.SerializerMethodField()
    reserved_until = serializers.SerializerMethodField()

    class Meta:
        model = YardMove
        fields = [
            "id",
            "unit",
            "container",
            "line",
            "kind",
            "status",
            "source",
            "to",
            "reserved_until",
            "sequence",
            "note",
            "planned_at",
            "confirmed_at",
            "cancelled_at",
            "cancel_reason",
        ]

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("source")  # "from" is a Python keyword
        return fields

    def get_from(self, move: YardMove) -> dict | None:
        name = move.from_block.name if move.from_block_id else None
        return _position(name, move.from_bay, move.from_row, move.from_tier)

    def get_to(self, move: YardMove) -> dict:
        return _position(move.to_block.name, move.to_bay, move.to_row, move.to_tier)

    def get_reserved_until(self, move: YardMove) -> Any:
        reservation = getattr(move, "reservation", None)
        return reservation.reserved_until if reservation else None


class MovePlanSerializer(PositionSerializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    kind = serializers.ChoiceField(choices=MoveKind.choices, default=MoveKind.SHIFT)
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_RESERVATION_MINUTES, required=False
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class MoveCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AllocationRequestSerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    origin = serializers.ChoiceField(choices=Origin.choices, default=Origin.BERTH)
    berth_x_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    top = serializers.IntegerField(min_value=1, max_value=50, default=5)
    weights = serializers.DictField(
        child=serializers.IntegerField(min_value=-10_000, max_value=10_000),
        required=False,
        help_text=f"Override weights: {', '.join(DEFAULT_WEIGHTS)}.",
    )
    reserve = serializers.BooleanField(
        default=False,
        help_text="Plan a move to the chosen slot at once (reserving it); if another request "
        "takes it first, the next candidate is tried.",
    )
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_RESERVATION_MINUTES, required=False
    )

    def validate_weights(self, value: dict) -> dict:
        unknown = sorted(set(value) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise serializers.ValidationError(
                f"Unknown weight {unknown[0][:40]!r}; use {', '.join(DEFAULT_WEIGHTS)}."
            )
        return value


class CandidateSerializer(serializers.Serializer):
    block = serializers.CharField()
    bay = serializers.IntegerField()
    row = serializers.IntegerField()
    tier = serializers.IntegerField()
    position = serializers.CharField()
    score = serializers.IntegerField()
    components = serializers.DictField(child=serializers.IntegerField())


class AllocationSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    container = serializers.CharField()
    chosen = CandidateSerializer(allow_null=True)
    candidates = CandidateSerializer(many=True)
    considered = serializers.IntegerField()
    weights = serializers.DictField(child=serializers.IntegerField())
    explanation = serializers.ListField(child=serializers.CharField())
    elapsed_ms = serializers.FloatField()
    move = YardMoveSerializer(allow_null=True, required=False)


class WhereaboutsSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit.pk")
    container = serializers.CharField(source="unit.container.number")
    line = serializers.CharField(source="unit.line.code")
    state = serializers.CharField(source="unit.state")
    in_yard = serializers.BooleanField()
    position_kind = serializers.CharField()
    position_ref = serializers.CharField()
    current = BoxSerializer(allow_null=True)
    planned_moves = YardMoveSerializer(many=True)
    history = BoxSerializer(many=True)


class RelocationJobRequestSerializer(serializers.Serializer):
    """Start a relocation job for one bay of a block (see :mod:`yard.relocation`)."""

    block = serializers.CharField(max_length=10)
    bay = serializers.IntegerField(min_value=1, max_value=255)
    kind = serializers.ChoiceField(choices=["brp", "premarshalling"], default="brp")
    retrieval_order = serializers.ListField(
        child=serializers.CharField(max_length=11, min_length=11),
        required=False,
        allow_empty=False,
        max_length=500,
        help_text="Container numbers in the order they leave (brp: the others stay; "
        "premarshalling: the others come last). Default: by expected departure.",
    )
    time_limit = serializers.FloatField(min_value=0.1, max_value=300, default=10)
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_RESERVATION_MINUTES, required=False
    )


class RelocationJobSerializer(serializers.Serializer):
    """A relocation job: its solver run's state and the planned moves (in sequence order)."""

    id = serializers.IntegerField()
    kind = serializers.SerializerMethodField(method_name="get_job_kind")
    block = serializers.SerializerMethodField()
    bay = serializers.SerializerMethodField()
    status = serializers.CharField()
    progress = serializers.FloatField()
    message = serializers.CharField()
    objective = serializers.FloatField(allow_null=True)
    bound = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField(allow_null=True)
    error = serializers.CharField()
    retrieval_order = serializers.SerializerMethodField()
    steps = serializers.SerializerMethodField()
    moves = serializers.SerializerMethodField()
    requested_by = serializers.CharField(
        source="requested_by.username", read_only=True, default=None
    )
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_job_kind(self, run) -> str:
        return run.params.get("kind", "")

    def get_block(self, run) -> str:
        return run.params.get("block", "")

    def get_bay(self, run) -> int | None:
        return run.params.get("bay")

    def get_retrieval_order(self, run) -> list[str]:
        numbers = self.context.get("numbers", {})
        return [numbers.get(u, str(u)) for u in run.params.get("order", [])]

    def get_steps(self, run) -> list[dict]:
        numbers = self.context.get("numbers", {})
        steps = (run.result or {}).get("steps", [])
        return [s | {"container": numbers.get(s["unit"], "")} for s in steps]

    def get_moves(self, run) -> list[dict]:
        moves = sorted(run.yard_moves.all(), key=lambda m: (m.sequence or 0, m.pk))
        return YardMoveSerializer(moves, many=True).data
