"""Serializers of the shared kernel's API. Writes go through services; serializers only validate
shapes and resolve references within what the caller may see."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tos.core import codes
from tos.core.choices import HoldEvent, HoldKind, OrganisationKind, UnitCategory, UnitState
from tos.core.models import (
    Container,
    ContainerVisit,
    Event,
    Hold,
    Organisation,
    SolverRun,
    Terminal,
    Vessel,
    VesselVisit,
)
from tos.core.selectors import (
    user_line_ids,
    user_sees_all_lines,
    vessel_visits_visible_to,
)


class LineField(serializers.SlugRelatedField):
    """A shipping line by its code; agents may name only the lines they represent."""

    default_error_messages = {
        "does_not_exist": "No shipping line with code {value}.",
        "not_yours": "{value} is not one of the lines you represent.",
        "invalid": "Give the line code as text, e.g. MSC.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("queryset", Organisation.objects.filter(kind=OrganisationKind.LINE))
        super().__init__(slug_field="code", **kwargs)

    def to_internal_value(self, data: Any) -> Organisation:
        line = super().to_internal_value(data)
        user = self.context["request"].user
        if not user_sees_all_lines(user) and line.pk not in user_line_ids(user):
            self.fail("not_yours", value=line.code)
        return line


class TerminalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Terminal
        fields = ["id", "name", "locode", "code", "timezone", "event_seq"]
        read_only_fields = fields


class OrganisationSerializer(serializers.ModelSerializer):
    represents = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "kind", "name", "code", "scac", "represents"]
        read_only_fields = fields


class VesselSerializer(serializers.ModelSerializer):
    imo = serializers.CharField(max_length=11)
    operator_line = serializers.SlugRelatedField(
        slug_field="code",
        allow_null=True,
        required=False,
        queryset=Organisation.objects.filter(kind=OrganisationKind.LINE),
    )

    class Meta:
        model = Vessel
        fields = [
            "id",
            "imo",
            "name",
            "call_sign",
            "flag",
            "loa_m",
            "beam_m",
            "max_draft_m",
            "teu_capacity",
            "operator_line",
        ]
        read_only_fields = ["id"]


class VesselVisitSerializer(serializers.ModelSerializer):
    vessel = serializers.SlugRelatedField(
        slug_field="imo",
        queryset=Vessel.objects.all(),
        error_messages={"does_not_exist": "No vessel with IMO {value}; register it first."},
    )
    vessel_name = serializers.CharField(source="vessel.name", read_only=True)
    line = LineField()
    terminal = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = VesselVisit
        fields = [
            "id",
            "terminal",
            "reference",
            "vessel",
            "vessel_name",
            "line",
            "service",
            "inbound_voyage",
            "outbound_voyage",
            "eta",
            "etb",
            "etd",
            "ata",
            "atd",
            "phase",
            "expected_discharge_moves",
            "expected_load_moves",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "terminal", "ata", "atd", "phase", "created_at", "updated_at"]
        validators = []  # uniqueness is checked by the service and the database (409)


class VesselVisitTransitionSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=VesselVisit._meta.get_field("phase").choices)


class ContainerSerializer(serializers.ModelSerializer):
    number = serializers.CharField(max_length=20)
    iso_type = serializers.CharField(max_length=4)
    owner_line = LineField(allow_null=True, required=False)

    class Meta:
        model = Container
        fields = [
            "id",
            "number",
            "iso_type",
            "legacy_iso_type",
            "length_ft",
            "height_mm",
            "type_group",
            "teu",
            "tare_kg",
            "max_gross_kg",
            "owner_line",
        ]
        read_only_fields = ["id", "legacy_iso_type", "length_ft", "height_mm", "type_group", "teu"]


@extend_schema_field(OpenApiTypes.INT)
class VisibleVisitField(serializers.PrimaryKeyRelatedField):
    """A vessel visit by id, among those the caller may see."""

    def get_queryset(self):
        return vessel_visits_visible_to(self.context["request"].user)


class PositionSerializer(serializers.Serializer):
    kind = serializers.CharField(source="position_kind")
    ref = serializers.CharField(source="position_ref")
    vessel_visit = serializers.IntegerField(source="position_visit_id", allow_null=True)


class UnitSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="container.number", read_only=True)
    iso_type = serializers.CharField(source="container.iso_type", read_only=True)
    teu = serializers.IntegerField(source="container.teu", read_only=True)
    line = LineField()
    inbound_visit = VisibleVisitField(allow_null=True, required=False)
    outbound_visit = VisibleVisitField(allow_null=True, required=False)
    seals = serializers.ListField(
        child=serializers.CharField(max_length=20), max_length=10, required=False
    )
    position = PositionSerializer(source="*", read_only=True)
    active_holds = serializers.IntegerField(source="active_hold_count", read_only=True, default=0)

    class Meta:
        model = ContainerVisit
        fields = [
            "id",
            "terminal",
            "container",
            "iso_type",
            "teu",
            "category",
            "state",
            "line",
            "inbound_visit",
            "outbound_visit",
            "gross_weight_kg",
            "vgm_kg",
            "seals",
            "reefer_setpoint_c",
            "imdg_class",
            "un_number",
            "pol",
            "pod",
            "booking_ref",
            "bl_ref",
            "position",
            "time_in",
            "time_out",
            "active_holds",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "terminal",
            "state",
            "time_in",
            "time_out",
            "created_at",
            "updated_at",
        ]


class UnitCreateSerializer(UnitSerializer):
    """Create a unit: the container is named by number and size-type (registered if new)."""

    container_number = serializers.CharField(max_length=20, write_only=True)
    iso_type = serializers.CharField(max_length=4, write_only=True)
    category = serializers.ChoiceField(choices=UnitCategory.choices)
    state = serializers.ChoiceField(
        choices=[UnitState.ADVISED, UnitState.INBOUND], default=UnitState.ADVISED
    )

    class Meta(UnitSerializer.Meta):
        fields = [*UnitSerializer.Meta.fields, "container_number"]
        read_only_fields = ["id", "terminal", "time_in", "time_out", "created_at", "updated_at"]

    def validate_container_number(self, value: str) -> str:
        """ISO 6346 format and check digit, reported under the field the client sent."""
        try:
            return codes.validate_container_number(value)
        except codes.CodeError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_iso_type(self, value: str) -> str:
        try:
            codes.decode_size_type(value)
        except codes.CodeError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value


class UnitUpdateSerializer(UnitSerializer):
    class Meta(UnitSerializer.Meta):
        read_only_fields = [*UnitSerializer.Meta.read_only_fields, "category", "line"]


class UnitTransitionSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=UnitState.choices)
    position_kind = serializers.ChoiceField(
        choices=ContainerVisit._meta.get_field("position_kind").choices, required=False
    )
    position_ref = serializers.CharField(
        max_length=32, required=False, default="", allow_blank=True
    )
    position_visit = VisibleVisitField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("position_kind") == "vessel" and not attrs.get("position_visit"):
            raise serializers.ValidationError(
                {"position_visit": "A vessel position needs the vessel visit."}
            )
        return attrs


class HoldCheckSerializer(serializers.Serializer):
    event = serializers.ChoiceField(choices=HoldEvent.choices)


class HoldSerializer(serializers.ModelSerializer):
    container = serializers.CharField(source="unit.container.number", read_only=True)
    blocks = serializers.ListField(source="blocked_events", read_only=True)
    applied_by = serializers.CharField(source="applied_by.username", read_only=True, default=None)
    released_by = serializers.CharField(source="released_by.username", read_only=True, default=None)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Hold
        fields = [
            "id",
            "unit",
            "container",
            "kind",
            "blocks",
            "reason",
            "reference",
            "active",
            "applied_by",
            "applied_at",
            "released_by",
            "released_at",
            "release_note",
        ]
        read_only_fields = fields


class HoldApplySerializer(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=HoldKind.choices)
    blocks = serializers.ListField(
        child=serializers.ChoiceField(choices=HoldEvent.choices), min_length=1, max_length=4
    )
    reason = serializers.CharField(max_length=200)
    reference = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)


class HoldReleaseSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class HoldDecisionSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit_id")
    event = serializers.CharField()
    allowed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    blocking = HoldSerializer(many=True)


class EventSerializer(serializers.ModelSerializer):
    ts = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Event
        fields = ["seq", "topic", "type", "payload", "ts"]
        read_only_fields = fields


class SolverRunSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(
        source="requested_by.username", read_only=True, default=None
    )

    class Meta:
        model = SolverRun
        fields = [
            "id",
            "terminal",
            "kind",
            "status",
            "params",
            "progress",
            "message",
            "objective",
            "bound",
            "gap",
            "result",
            "error",
            "attempt",
            "cancel_requested",
            "requested_by",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]
        read_only_fields = fields


class SolverRunCreateSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=60)
    params = serializers.DictField(required=False, default=dict)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    username = serializers.CharField()
    role = serializers.CharField()
