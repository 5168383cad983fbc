"""Input and output shapes of the berth-planning API."""

from __future__ import annotations

from rest_framework import serializers

from berthing.models import BerthAssignment, BerthPlan, CraneAllocation, Quay


class CraneAllocationSerializer(serializers.ModelSerializer):
    crane = serializers.CharField(source="crane.name")

    class Meta:
        model = CraneAllocation
        fields = ["crane", "start", "end"]


class PlannedVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    vessel = serializers.CharField(source="vessel.name")
    line = serializers.CharField(source="line.code")
    loa_m = serializers.DecimalField(source="vessel.loa_m", max_digits=6, decimal_places=2)
    draft_m = serializers.DecimalField(source="vessel.max_draft_m", max_digits=4, decimal_places=2)
    eta = serializers.DateTimeField()
    etd = serializers.DateTimeField(help_text="Requested departure.")
    phase = serializers.CharField()
    moves = serializers.SerializerMethodField()

    def get_moves(self, visit) -> int:
        return visit.expected_discharge_moves + visit.expected_load_moves


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
