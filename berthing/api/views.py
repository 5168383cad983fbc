"""Berth-planning API: the lines' berth applications, planners' plans (drafts, drags, locks,
optimise, compare, publish, all with ``ETag``/``If-Match``) and the lines' view of the published
schedule."""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from berthing import selectors, services
from berthing.api import serializers as s
from berthing.models import BerthApplication, BerthAssignment, BerthPlan, Quay
from tos.core.api.base import IsTerminalStaff, TosReadOnlyViewSet, TosViewSet
from tos.core.api.serializers import SolverRunSerializer
from tos.core.errors import ApplicationError
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to
from tos.core.services import solver_run_enqueue

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The plan\'s ETag as last read, e.g. "plan-7-r12".',
)


def _if_match_revision(
    request: Any, *, kind: str, label: str, pk: int, etag: str, required: bool
) -> int | None:
    """The revision named by ``If-Match: "<kind>-<pk>-r<revision>"``. Without the header: 428
    when ``required``, else None (as for ``*``). 412 when it names another object or is not
    such an ETag."""
    header = request.headers.get("If-Match", "").strip()
    if not header or (header == "*" and not required):
        if required:
            raise ApplicationError(
                "precondition_required",
                f"Send the {label}'s ETag in If-Match so that an edit never overwrites "
                "someone else's.",
                details={"If-Match": ["Required."]},
                status=428,
            )
        return None
    match = re.match(rf'^(?:W/)?"{kind}-(\d+)-r(\d+)"$', header)
    if not match or int(match.group(1)) != pk:
        raise ApplicationError(
            "stale_revision",
            f"If-Match {header[:60]} is not an ETag of {label} {pk}; reload it.",
            details={"If-Match": [f"Expected {etag}."]},
            status=412,
        )
    return int(match.group(2))


def expected_revision(request: Any, plan: BerthPlan) -> int:
    """The plan revision the client edits; If-Match is required."""
    return _if_match_revision(
        request, kind="plan", label="plan", pk=plan.pk, etag=s.plan_etag(plan), required=True
    )


def _with_etag(response: Response, plan: BerthPlan) -> Response:
    response["ETag"] = s.plan_etag(plan)
    return response


class BerthPlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Berth plans of the caller's terminal (terminal staff only). Each has versions: drafts to
    work on, one published plan per quay, superseded ones kept for history."""

    queryset = BerthPlan.objects.none()
    permission_classes = [IsTerminalStaff]
    filterset_fields = ["quay", "status"]

    def scoped_queryset(self):
        return selectors.berth_plans_visible_to(self.request.user).order_by("-pk")

    def get_serializer_class(self):
        return s.BerthPlanDetailSerializer if self.action == "retrieve" else s.BerthPlanSerializer

    def _detail(self, plan: BerthPlan, *, code: int = status.HTTP_200_OK) -> Response:
        plan = selectors.berth_plan_detail(plan_id=plan.pk)
        context = {"explanations": selectors.plan_explanations(plan), "request": self.request}
        body = s.BerthPlanDetailSerializer(plan, context=context).data
        return _with_etag(Response(body, status=code), plan)

    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        """A plan with its placements, crane allocations, conflicts and explanations (who or
        what holds each vessel that waits or leaves late). ``ETag`` carries its revision."""
        return self._detail(self.get_object())

    @extend_schema(
        request=s.BerthPlanCreateSerializer, responses={201: s.BerthPlanDetailSerializer}
    )
    def create(self, request: Any) -> Response:
        """Start a draft: a copy of ``based_on`` or of the quay's published plan."""
        data = s.BerthPlanCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quay: Quay = data.validated_data["quay"]
        terminal = terminal_for_user(request.user)
        if terminal is None or quay.terminal_id != terminal.pk:
            raise ApplicationError(
                "not_found", "No such quay at your terminal.", details={"quay": ["Unknown."]}
            )
        based_on = data.validated_data.get("based_on") or selectors.berth_plan_published(quay=quay)
        plan = services.berth_plan_create_draft(quay=quay, user=request.user, based_on=based_on)
        return self._detail(plan, code=status.HTTP_201_CREATED)

    @extend_schema(request=s.OptimiseSerializer, responses={202: SolverRunSerializer})
    @action(detail=True, methods=["post"])
    def optimise(self, request: Any, pk: str | None = None) -> Response:
        """Re-plan the draft on the solver queue (returns at once). Locked vessels stay; the
        others start from where they are. Progress and improving plans stream over the
        WebSocket (``solver_run.progress``, ``berth.incumbent``); the result is stored in the
        draft when the run finishes."""
        plan = self.get_object()
        data = s.OptimiseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if plan.status != "draft":
            raise ApplicationError(
                "plan_not_draft",
                f"Plan v{plan.version} is {plan.status}; optimise a draft (create one first).",
                status=409,
            )
        run = solver_run_enqueue(
            terminal=plan.terminal,
            kind="berthing.optimise",
            params={"plan_id": plan.pk, "time_limit": data.validated_data["time_limit"]},
            by=request.user,
        )
        return Response(SolverRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, parameters=[IF_MATCH], responses=s.BerthPlanDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request: Any, pk: str | None = None) -> Response:
        """Make the draft the quay's plan (refused while it has conflicts). Lines are told of
        every berth time that changed."""
        plan = self.get_object()
        plan = services.berth_plan_publish(
            plan=plan, user=request.user, expected_revision=expected_revision(request, plan)
        )
        return self._detail(plan)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against", OpenApiTypes.INT, description="Plan id; default the published plan."
            )
        ],
        responses=s.PlanComparisonSerializer,
    )
    @action(detail=True, methods=["get"])
    def compare(self, request: Any, pk: str | None = None) -> Response:
        """What this plan changes against another (default: the quay's published plan): which
        vessels moved, by how much, and the objective before and after."""
        plan = self.get_object()
        against = request.query_params.get("against")
        if against:
            if not against.isdigit():
                raise ApplicationError(
                    "invalid", "against must be a plan id.", details={"against": ["Not an id."]}
                )
            other = self.scoped_queryset().filter(pk=int(against), quay_id=plan.quay_id).first()
            if other is None:
                raise ApplicationError(
                    "not_found",
                    f"No plan {against} of this quay.",
                    details={"against": ["Unknown."]},
                    status=404,
                )
        else:
            other = selectors.berth_plan_published(quay=plan.quay)
        comparison = selectors.plan_compare(plan, other)
        return Response(s.PlanComparisonSerializer(comparison).data)


class BerthAssignmentViewSet(mixins.RetrieveModelMixin, TosViewSet):
    """One vessel's placement in a plan. PATCH drags it (``start_m``, ``berth_at``) or locks it
    (``locked``); send the plan's ETag in ``If-Match``."""

    queryset = BerthAssignment.objects.none()
    permission_classes = [IsTerminalStaff]
    serializer_class = s.BerthAssignmentSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def scoped_queryset(self):
        plans = selectors.berth_plans_visible_to(self.request.user)
        return (
            BerthAssignment.objects.filter(plan__in=plans)
            .select_related(
                "plan",
                "vessel_visit__vessel",
                "vessel_visit__line",
                "vessel_visit__berth_application",
            )
            .prefetch_related("allocations__crane")
        )

    @extend_schema(
        request=s.AssignmentUpdateSerializer,
        parameters=[IF_MATCH],
        responses=s.BerthAssignmentSerializer,
    )
    def partial_update(self, request: Any, pk: str | None = None) -> Response:
        assignment = self.get_object()
        data = s.AssignmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        revision = expected_revision(request, assignment.plan)
        if "start_m" in values or "berth_at" in values:
            assignment = services.berth_assignment_move(
                assignment=assignment,
                user=request.user,
                start_m=values.get("start_m"),
                berth_at=values.get("berth_at"),
                expected_revision=revision,
            )
            revision += 1
        if "locked" in values:
            assignment = services.berth_assignment_lock(
                assignment=assignment,
                user=request.user,
                locked=values["locked"],
                expected_revision=revision,
            )
        assignment = self.scoped_queryset().get(pk=assignment.pk)
        body = s.BerthAssignmentSerializer(assignment).data
        return _with_etag(Response(body), assignment.plan)


class BerthScheduleViewSet(TosReadOnlyViewSet):
    """The lines' view of the published berth plan: ``mine`` is their own visits in full
    (position, times, crane count); the list is the terminal's line-neutral public schedule."""

    queryset = BerthAssignment.objects.none()
    permission_classes = [IsAuthenticated]
    serializer_class = s.MyBerthSerializer
    pagination_class = None

    def scoped_queryset(self):
        return selectors.berth_schedule_visible_to(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="Berths leaving after."),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="Berths arriving before."),
        ],
        responses=s.PublicBerthSlotSerializer(many=True),
    )
    def list(self, request: Any) -> Response:
        """The line-neutral published schedule: vessel, quay stretch, berth and departure."""
        bounds = {}
        for name, key in (("from", "start"), ("to", "end")):
            raw = request.query_params.get(name)
            if raw:
                moment = parse_datetime(raw)
                if moment is None or moment.tzinfo is None:
                    raise ApplicationError(
                        "invalid",
                        f"{name} must be an ISO 8601 date-time with a time zone.",
                        details={name: ["Not an ISO 8601 date-time with offset."]},
                    )
                bounds[key] = moment
        terminal = terminal_for_user(request.user)
        slots = selectors.berth_schedule_public(terminal=terminal, **bounds) if terminal else []
        return Response(s.PublicBerthSlotSerializer(slots, many=True).data)

    @action(detail=False, methods=["get"])
    def mine(self, request: Any) -> Response:
        """Your line's visits on the published plan (terminal staff: every line's)."""
        rows = self.scoped_queryset().order_by("berth_at", "pk")
        visit = request.query_params.get("visit")
        if visit:
            if not visit.isdigit():
                raise ApplicationError(
                    "invalid", "visit must be an id.", details={"visit": ["Not an id."]}
                )
            rows = rows.filter(vessel_visit_id=int(visit))
        return Response(s.MyBerthSerializer(rows, many=True).data)

    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        return Response(s.MyBerthSerializer(self.get_object()).data)


# --- berth applications -------------------------------------------------------------------------

APPLICATION_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional: the application\'s ETag as last read, e.g. "application-7-r3"; '
    "412 when it changed since.",
)


def application_expected_revision(request: Any, application: BerthApplication) -> int | None:
    """The application revision the client edits, from the optional If-Match."""
    return _if_match_revision(
        request,
        kind="application",
        label="berth application",
        pk=application.pk,
        etag=s.application_etag(application),
        required=False,
    )


class BerthApplicationFilter(django_filters.FilterSet):
    visit = django_filters.CharFilter(
        field_name="vessel_visit__reference", help_text="Visit reference."
    )
    line = django_filters.CharFilter(field_name="vessel_visit__line__code", help_text="Line code.")
    updated_after = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gt", help_text="Changed after this ISO 8601 time."
    )

    class Meta:
        model = BerthApplication
        fields = ["visit", "line", "updated_after"]


class BerthApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """The lines' berth applications: when a line asks its vessel visit to arrive and depart,
    and the moves it brings. Agents see and submit their own lines' applications (another
    line's visit or application answers 404); terminal staff see every line's at their terminal.
    Each comes with the visit's berth in the published plan and how late that departs against
    the request. The planner measures lateness against ``requested_departure``."""

    queryset = BerthApplication.objects.none()
    serializer_class = s.BerthApplicationSerializer
    filterset_class = BerthApplicationFilter
    ordering_fields = ["requested_arrival", "updated_at", "id"]
    ordering = ["requested_arrival", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return selectors.berth_applications_visible_to(self.request.user)

    def _answer(
        self, application: BerthApplication, *, code: int = status.HTTP_200_OK, reload: bool = True
    ) -> Response:
        if reload:
            application = self.scoped_queryset().get(pk=application.pk)
        body = s.BerthApplicationSerializer(application, context={"request": self.request}).data
        response = Response(body, status=code)
        response["ETag"] = s.application_etag(application)
        return response

    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        """One application; ``ETag`` carries its revision."""
        return self._answer(self.get_object(), reload=False)

    @extend_schema(
        request=s.BerthApplicationCreateSerializer,
        responses={201: s.BerthApplicationSerializer},
    )
    def create(self, request: Any) -> Response:
        """Apply for a berth for one of your lines' visits (by its reference). The visit's ETA
        and expected moves become the application's. 409 ``application_exists`` when the visit
        has one (PATCH it), 409 ``visit_locked`` once the vessel has arrived."""
        data = s.BerthApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        reference = values.pop("visit")
        terminal = terminal_for_user(request.user)
        visit = (
            vessel_visits_visible_to(request.user)
            .filter(terminal=terminal, reference=reference)
            .first()
            if terminal is not None
            else None
        )
        if visit is None:
            raise ApplicationError(
                "not_found",
                f"No visit {reference[:32]} of your lines at this terminal.",
                details={"visit": ["Unknown visit reference."]},
                status=404,
            )
        application = services.berth_application_submit(
            visit=visit, by=request.user, only_new=True, **values
        )
        return self._answer(application, code=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.BerthApplicationWriteSerializer,
        parameters=[APPLICATION_IF_MATCH],
        responses=s.BerthApplicationSerializer,
    )
    def partial_update(self, request: Any, pk: str | None = None) -> Response:
        """Change the application: the fields sent, the others stay. Unchanged values change
        nothing (same revision, no event)."""
        application = self.get_object()
        if (
            isinstance(request.data, dict)
            and "visit" in request.data
            and request.data["visit"] != application.vessel_visit.reference
        ):
            raise ApplicationError(
                "immutable_field",
                "An application belongs to its visit for good; apply for the other visit instead.",
                details={"visit": ["Cannot change."]},
            )
        data = s.BerthApplicationWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Without If-Match, the revision read here: the fields not sent are merged from it, so a
        # change committed meanwhile answers 412 instead of being overwritten with them.
        revision = application_expected_revision(request, application)
        if revision is None:
            revision = application.revision
        values = {
            name: data.validated_data.get(name, getattr(application, name))
            for name in (
                "requested_arrival",
                "requested_departure",
                "expected_discharge_moves",
                "expected_load_moves",
                "remarks",
            )
        }
        application = services.berth_application_submit(
            visit=application.vessel_visit,
            by=request.user,
            expected_revision=revision,
            **values,
        )
        return self._answer(application)
