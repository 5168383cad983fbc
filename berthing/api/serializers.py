"""Input and output shapes of the berth-planning API."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from berthing import selectors
from berthing.models import (
    MAX_APPLICATION_MOVES,
    BerthApplication,
    BerthAssignment,
    BerthPlan,
    CraneAllocation,
    Quay,
)


class CraneAllocationSerializer(serializers.ModelSerializer):
    crane = serializers.CharField(source="crane.name")

    class Meta:
        model = CraneAllocation
        fields = ["crane", "start", "end"]


class RequestedDepartureField(serializers.DateTimeField):
    """The visit's requested departure: its berth application's, else its ETD."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return selectors.requested_departure(instance)


class PlannedVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    vessel = serializers.CharField(source="vessel.name")
    line = serializers.CharField(source="line.code")
    loa_m = serializers.DecimalField(source="vessel.loa_m", max_digits=6, decimal_places=2)
    draft_m = serializers.DecimalField(source="vessel.max_draft_m", max_digits=4, decimal_places=2)
    eta = serializers.DateTimeField()
    etd = serializers.DateTimeField(
        help_text="The visit's ETD: the published plan's departure once a plan placed it."
    )
    requested_departure = RequestedDepartureField(
        help_text="When the line asked to depart (its berth application; without one the ETD). "
        "Lateness is measured against it."
    )
    phase = serializers.CharField()
    moves = serializers.SerializerMethodField()

    def get_moves(self, visit) -> int:
        return sum(selectors.visit_expected_moves(visit))


class BerthAssignmentSerializer(serializers.ModelSerializer):
    visit = PlannedVisitSerializer(source="vessel_visit")
    cranes = CraneAllocationSerializer(source="allocations", many=True)

    class Meta:
        model = BerthAssignment
        fields = [
            "id",
            "plan",
            "visit",
            "start_m",
            "end_m",
            "berth_at",
            "depart_at",
            "locked",
            "is_published",
            "cranes",
        ]


class BerthPlanSerializer(serializers.ModelSerializer):
    quay = serializers.CharField(source="quay.name")
    quay_id = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.username", default=None)
    published_by = serializers.CharField(source="published_by.username", default=None)
    etag = serializers.SerializerMethodField()

    class Meta:
        model = BerthPlan
        fields = [
            "id",
            "quay",
            "quay_id",
            "version",
            "status",
            "source",
            "revision",
            "etag",
            "based_on",
            "solver_run",
            "objective",
            "components",
            "violations",
            "horizon_start",
            "horizon_end",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "published_by",
        ]

    def get_etag(self, plan) -> str:
        return plan_etag(plan)


class BerthPlanDetailSerializer(BerthPlanSerializer):
    assignments = BerthAssignmentSerializer(many=True)
    explanations = serializers.SerializerMethodField()

    class Meta(BerthPlanSerializer.Meta):
        fields = [*BerthPlanSerializer.Meta.fields, "assignments", "explanations"]

    def get_explanations(self, plan) -> dict[str, list[str]]:
        return self.context.get("explanations", {})


class BerthPlanCreateSerializer(serializers.Serializer):
    quay = serializers.PrimaryKeyRelatedField(queryset=Quay.objects.all())
    based_on = serializers.PrimaryKeyRelatedField(
        queryset=BerthPlan.objects.all(),
        required=False,
        allow_null=True,
        help_text="Copy this plan; by default the quay's published plan.",
    )

    def validate(self, attrs):
        based_on = attrs.get("based_on")
        if based_on is not None and based_on.quay_id != attrs["quay"].pk:
            raise serializers.ValidationError({"based_on": "That plan belongs to another quay."})
        return attrs


class OptimiseSerializer(serializers.Serializer):
    time_limit = serializers.FloatField(
        min_value=1, max_value=300, default=10, help_text="Seconds of search (1–300)."
    )


class AssignmentUpdateSerializer(serializers.Serializer):
    start_m = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    berth_at = serializers.DateTimeField(required=False)
    locked = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": "Send at least one of start_m, berth_at, locked."}
            )
        return attrs


class VesselChangeSerializer(serializers.Serializer):
    visit_id = serializers.IntegerField()
    reference = serializers.CharField()
    vessel = serializers.CharField()
    line = serializers.CharField()
    status = serializers.CharField()
    moved_min = serializers.IntegerField(allow_null=True)
    depart_moved_min = serializers.IntegerField(allow_null=True)
    moved_m = serializers.IntegerField(allow_null=True)
    cranes_before = serializers.ListField(child=serializers.CharField())
    cranes_after = serializers.ListField(child=serializers.CharField())


class PlanComparisonSerializer(serializers.Serializer):
    draft_id = serializers.IntegerField()
    published_id = serializers.IntegerField(allow_null=True)
    objective_before = serializers.IntegerField(allow_null=True)
    objective_after = serializers.IntegerField(allow_null=True)
    objective_delta = serializers.IntegerField(allow_null=True)
    components_before = serializers.DictField(child=serializers.IntegerField())
    components_after = serializers.DictField(child=serializers.IntegerField())
    vessels = VesselChangeSerializer(many=True)


class PublicBerthSlotSerializer(serializers.Serializer):
    vessel = serializers.CharField()
    quay = serializers.CharField()
    start_m = serializers.IntegerField()
    end_m = serializers.IntegerField()
    sections = serializers.ListField(child=serializers.CharField())
    berth_at = serializers.DateTimeField()
    depart_at = serializers.DateTimeField()


class MyBerthSerializer(serializers.ModelSerializer):
    """A line's own visit on the published plan: where and when it berths, with how many
    cranes."""

    visit = PlannedVisitSerializer(source="vessel_visit")
    quay = serializers.CharField(source="quay.name")
    crane_count = serializers.IntegerField()
    plan_version = serializers.IntegerField(source="plan.version")

    class Meta:
        model = BerthAssignment
        fields = [
            "id",
            "visit",
            "quay",
            "start_m",
            "end_m",
            "berth_at",
            "depart_at",
            "crane_count",
            "plan_version",
        ]


def plan_etag(plan: BerthPlan) -> str:
    return f'"plan-{plan.pk}-r{plan.revision}"'


# --- berth applications -------------------------------------------------------------------------


def application_etag(application: BerthApplication) -> str:
    return f'"application-{application.pk}-r{application.revision}"'


class PublishedBerthSerializer(serializers.Serializer):
    quay = serializers.CharField()
    start_m = serializers.IntegerField()
    end_m = serializers.IntegerField()
    berth_at = serializers.DateTimeField()
    depart_at = serializers.DateTimeField()
    plan_version = serializers.IntegerField()


class BerthApplicationSerializer(serializers.ModelSerializer):
    """A berth application with the visit's berth in the published plan, if any."""

    visit = serializers.CharField(source="vessel_visit.reference")
    visit_id = serializers.IntegerField(source="vessel_visit.id")
    vessel = serializers.CharField(source="vessel_visit.vessel.name")
    line = serializers.CharField(source="vessel_visit.line.code")
    phase = serializers.CharField(source="vessel_visit.phase")
    submitted_by = serializers.CharField(source="submitted_by.username", default=None)
    etag = serializers.SerializerMethodField()
    berth = serializers.SerializerMethodField()
    late_by_minutes = serializers.SerializerMethodField()

    class Meta:
        model = BerthApplication
        fields = [
            "id",
            "visit",
            "visit_id",
            "vessel",
            "line",
            "phase",
            "requested_arrival",
            "requested_departure",
            "expected_discharge_moves",
            "expected_load_moves",
            "remarks",
            "revision",
            "etag",
            "submitted_by",
            "submitted_at",
            "updated_at",
            "berth",
            "late_by_minutes",
        ]

    def _berth(self, application: BerthApplication) -> selectors.PublishedBerth | None:
        cache = self.context.setdefault("_berths", {})
        if application.pk not in cache:
            cache[application.pk] = selectors.published_berth(application.vessel_visit)
        return cache[application.pk]

    def get_etag(self, application: BerthApplication) -> str:
        return application_etag(application)

    @extend_schema_field(PublishedBerthSerializer(allow_null=True))
    def get_berth(self, application: BerthApplication) -> dict | None:
        berth = self._berth(application)
        return None if berth is None else PublishedBerthSerializer(berth).data

    def get_late_by_minutes(self, application: BerthApplication) -> int | None:
        """Minutes the published departure is after the requested one (0 on time); null while
        no published plan places the visit."""
        berth = self._berth(application)
        if berth is None:
            return None
        late = berth.depart_at - application.requested_departure
        return max(0, -(-late // dt.timedelta(minutes=1)))


_MOVES = {"min_value": 0, "max_value": MAX_APPLICATION_MOVES}


class BerthApplicationWriteSerializer(serializers.Serializer):
    """A change of a berth application (PATCH): any of its fields."""

    requested_arrival = serializers.DateTimeField(required=False)
    requested_departure = serializers.DateTimeField(required=False)
    expected_discharge_moves = serializers.IntegerField(required=False, **_MOVES)
    expected_load_moves = serializers.IntegerField(required=False, **_MOVES)
    remarks = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=BerthApplication._meta.get_field("remarks").max_length,
    )

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {
                    "non_field_errors": "Send at least one of requested_arrival, "
                    "requested_departure, expected_discharge_moves, expected_load_moves, remarks."
                }
            )
        return attrs


class BerthApplicationCreateSerializer(serializers.Serializer):
    """A new berth application (POST) for one of your lines' visits, by its reference."""

    visit = serializers.CharField(
        max_length=32, help_text="The vessel visit's reference, e.g. MAEU-2611A."
    )
    requested_arrival = serializers.DateTimeField()
    requested_departure = serializers.DateTimeField()
    expected_discharge_moves = serializers.IntegerField(**_MOVES)
    expected_load_moves = serializers.IntegerField(**_MOVES)
    remarks = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        max_length=BerthApplication._meta.get_field("remarks").max_length,
    )
