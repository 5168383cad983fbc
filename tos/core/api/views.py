"""REST resources of the shared kernel (``/api/v1/``)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from tos.core import jobs, selectors, services
from tos.core.api import serializers as s
from tos.core.api.base import (
    IsTerminalStaff,
    StaffWritesOrReadOnly,
    TosAPIView,
    TosReadOnlyViewSet,
    TosViewSet,
    api_error,
)
from tos.core.choices import HoldKind, UnitState, VisitPhase
from tos.core.errors import ApplicationError
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


def _terminal_of(request: Any) -> Terminal:
    terminal = selectors.terminal_for_user(request.user)
    if terminal is None:
        raise ApplicationError("no_terminal", "No terminal is configured yet.", status=409)
    return terminal


def _writable_fields(data: dict[str, Any], exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in exclude}


# --- auth -------------------------------------------------------------------------------------


class AuthTokenApi(TosAPIView):
    """Exchange username and password for an API token (machines; browsers use the session)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    @extend_schema(request=s.TokenRequestSerializer, responses=s.TokenResponseSerializer, auth=[])
    def post(self, request: Any) -> Response:
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
        )
        if user is None or not user.is_active:
            return api_error("invalid_credentials", "Username or password is wrong.", status=400)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key, "username": user.username, "role": user.role})


# --- reference data ---------------------------------------------------------------------------


class TerminalViewSet(TosReadOnlyViewSet):
    queryset = Terminal.objects.none()
    serializer_class = s.TerminalSerializer

    def scoped_queryset(self):
        return selectors.terminals_visible_to(self.request.user)

    @extend_schema(
        responses=inline_serializer(
            "TerminalSummary",
            {
                "terminal": serializers.DictField(),
                "seq": serializers.IntegerField(),
                "vessels_in_port": serializers.IntegerField(),
                "vessels_expected": serializers.IntegerField(),
                "units_on_terminal": serializers.IntegerField(),
                "units_by_category": serializers.DictField(child=serializers.IntegerField()),
                "units_active": serializers.IntegerField(),
                "holds_active": serializers.IntegerField(),
            },
        )
    )
    @action(detail=True, methods=["get"])
    def summary(self, request: Any, pk: str | None = None) -> Response:
        """The home dashboard's live numbers, with the ``seq`` they reflect."""
        return Response(selectors.terminal_summary(terminal=self.get_object(), user=request.user))


class OrganisationFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter()
    code = django_filters.CharFilter()


class OrganisationViewSet(TosReadOnlyViewSet):
    """Lines, agents, hauliers and customs authorities (maintained in the admin)."""

    queryset = Organisation.objects.none()
    serializer_class = s.OrganisationSerializer
    filterset_class = OrganisationFilter
    ordering = ["name"]

    def scoped_queryset(self):
        return selectors.organisations_visible_to(self.request.user)


class VesselFilter(django_filters.FilterSet):
    imo = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        fields = ["imo", "name"]


class VesselViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TosViewSet,
):
    """Vessels by IMO number. Anyone signed in may register one; terminal staff edit them."""

    queryset = Vessel.objects.none()
    serializer_class = s.VesselSerializer
    filterset_class = VesselFilter
    ordering = ["name"]

    def get_permissions(self):
        if self.action in ("update", "partial_update"):
            return [IsTerminalStaff()]
        return super().get_permissions()

    def scoped_queryset(self):
        return selectors.vessels_visible_to(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.vessel_create(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        data = _writable_fields(serializer.validated_data, exclude=("imo",))
        serializer.instance = services.vessel_update(vessel=serializer.instance, **data)


class VesselVisitFilter(django_filters.FilterSet):
    phase = django_filters.MultipleChoiceFilter(choices=VisitPhase.choices)
    line = django_filters.CharFilter(field_name="line__code")
    vessel = django_filters.CharFilter(field_name="vessel__imo")
    eta_after = django_filters.IsoDateTimeFilter(field_name="eta", lookup_expr="gte")
    eta_before = django_filters.IsoDateTimeFilter(field_name="eta", lookup_expr="lt")

    class Meta:
        model = VesselVisit
        fields = ["phase", "line", "vessel", "eta_after", "eta_before"]


class VesselVisitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TosViewSet,
):
    """Vessel visits. Agents create and update their own lines' visits (their berth
    application) while planned or inbound; terminal staff move them along their lifecycle."""

    queryset = VesselVisit.objects.none()
    serializer_class = s.VesselVisitSerializer
    filterset_class = VesselVisitFilter
    ordering_fields = ["eta", "etd", "reference"]
    ordering = ["eta", "pk"]

    def scoped_queryset(self):
        return selectors.vessel_visits_visible_to(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.vessel_visit_create(
            terminal=_terminal_of(self.request),
            vessel=data.pop("vessel"),
            line=data.pop("line"),
            by=self.request.user,
            **data,
        )

    def perform_update(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        visit = serializer.instance
        if (
            data.get("vessel", visit.vessel) != visit.vessel
            or data.get("line", visit.line) != visit.line
        ):
            raise ApplicationError(
                "immutable_field",
                "Vessel and line of a visit cannot change; cancel it and apply again.",
                details={"vessel": ["Cannot change."], "line": ["Cannot change."]},
            )
        data.pop("vessel", None)
        data.pop("line", None)
        serializer.instance = services.vessel_visit_update(
            visit=visit, by=self.request.user, **data
        )

    @extend_schema(request=s.VesselVisitTransitionSerializer, responses=s.VesselVisitSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Any, pk: str | None = None) -> Response:
        """Move the visit to another phase. Agents may only cancel a planned/inbound visit."""
        visit = self.get_object()
        data = s.VesselVisitTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        phase = data.validated_data["phase"]
        if not request.user.is_terminal_staff and phase != VisitPhase.CANCELLED:
            return api_error(
                "permission_denied", "Agents may only cancel their visits.", status=403
            )
        visit = services.vessel_visit_transition(visit=visit, phase=phase, by=request.user)
        return Response(s.VesselVisitSerializer(visit, context={"request": request}).data)


class ContainerFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(lookup_expr="icontains")
    iso_type = django_filters.CharFilter()
    owner_line = django_filters.CharFilter(field_name="owner_line__code")


class ContainerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TosViewSet,
):
    """Containers by ISO 6346 number (normalised, check digit verified)."""

    queryset = Container.objects.none()
    serializer_class = s.ContainerSerializer
    filterset_class = ContainerFilter
    ordering = ["number"]

    def get_permissions(self):
        if self.action in ("update", "partial_update"):
            return [IsTerminalStaff()]
        return super().get_permissions()

    def scoped_queryset(self):
        return selectors.containers_visible_to(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.container_create(**serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        data = _writable_fields(serializer.validated_data, exclude=("number", "iso_type"))
        serializer.instance = services.container_update(container=serializer.instance, **data)


class UnitFilter(django_filters.FilterSet):
    line = django_filters.CharFilter(field_name="line__code")
    state = django_filters.MultipleChoiceFilter(choices=UnitState.choices)
    category = django_filters.MultipleChoiceFilter(
        choices=ContainerVisit._meta.get_field("category").choices
    )
    vessel_visit = django_filters.NumberFilter(
        method="filter_vessel_visit", label="Inbound or outbound vessel visit id"
    )
    pod = django_filters.CharFilter()
    pol = django_filters.CharFilter()
    container = django_filters.CharFilter(field_name="container__number", lookup_expr="icontains")
    reefer = django_filters.BooleanFilter(method="filter_reefer")
    dangerous = django_filters.BooleanFilter(method="filter_dangerous")

    class Meta:
        model = ContainerVisit
        fields = ["line", "state", "category", "vessel_visit", "pod", "pol", "container"]

    def filter_vessel_visit(self, qs, name, value):
        return qs.filter(Q(inbound_visit_id=value) | Q(outbound_visit_id=value))

    def filter_reefer(self, qs, name, value):
        return (
            qs.filter(container__type_group="R") if value else qs.exclude(container__type_group="R")
        )

    def filter_dangerous(self, qs, name, value):
        return qs.exclude(imdg_class="") if value else qs.filter(imdg_class="")


class UnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TosViewSet,
):
    """Units: one stay of a container at the terminal. Agents read their lines' units; terminal
    staff create, update and move them. ``?search=`` matches container numbers."""

    queryset = ContainerVisit.objects.none()
    filterset_class = UnitFilter
    filter_backends = [*TosViewSet.filter_backends, SearchFilter]
    search_fields = ["container__number"]
    ordering_fields = ["id", "time_in", "created_at"]
    ordering = ["id"]
    permission_classes = [StaffWritesOrReadOnly]

    def get_permissions(self):
        if self.action == "hold_check":
            return [permissions.IsAuthenticated()]
        return super().get_permissions()

    def get_serializer_class(self):
        if self.action == "create":
            return s.UnitCreateSerializer
        if self.action in ("update", "partial_update"):
            return s.UnitUpdateSerializer
        return s.UnitSerializer

    def scoped_queryset(self):
        return selectors.units_visible_to(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        with transaction.atomic():  # a refused unit leaves no newly registered container behind
            container = services.container_get_or_create(
                number=data.pop("container_number"),
                iso_type=data.pop("iso_type"),
                owner_line=data["line"],
            )
            unit = services.unit_create(
                terminal=_terminal_of(self.request),
                container=container,
                category=data.pop("category"),
                line=data.pop("line"),
                state=data.pop("state"),
                by=self.request.user,
                **data,
            )
        serializer.instance = self.scoped_queryset().get(pk=unit.pk)

    def perform_update(self, serializer: Any) -> None:
        unit = services.unit_update(
            unit=serializer.instance, by=self.request.user, **serializer.validated_data
        )
        serializer.instance = self.scoped_queryset().get(pk=unit.pk)

    @extend_schema(request=s.UnitTransitionSerializer, responses=s.UnitSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Any, pk: str | None = None) -> Response:
        """Move the unit along its lifecycle (checked against the holds at that moment)."""
        unit = self.get_object()
        data = s.UnitTransitionSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        services.unit_transition(unit=unit, by=request.user, **data.validated_data)
        return Response(
            s.UnitSerializer(
                self.scoped_queryset().get(pk=unit.pk), context={"request": request}
            ).data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "event",
                OpenApiTypes.STR,
                required=True,
                enum=["gate_out", "loading", "discharge", "delivery"],
            )
        ],
        responses=s.HoldDecisionSerializer,
    )
    @action(detail=True, methods=["get"], url_path="hold-check")
    def hold_check(self, request: Any, pk: str | None = None) -> Response:
        """May this event happen to the unit now? If not, which holds block it."""
        unit = self.get_object()
        data = s.HoldCheckSerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        decision = selectors.unit_event_check(unit=unit, event=data.validated_data["event"])
        return Response(s.HoldDecisionSerializer(decision).data)


class HoldFilter(django_filters.FilterSet):
    unit = django_filters.NumberFilter()
    kind = django_filters.CharFilter()
    active = django_filters.BooleanFilter(field_name="released_at", lookup_expr="isnull")
    container = django_filters.CharFilter(
        field_name="unit__container__number", lookup_expr="icontains"
    )


class HoldViewSet(TosReadOnlyViewSet):
    """Holds on units. Terminal staff apply and release any hold; a line's agent applies and
    releases line holds on its own units."""

    queryset = Hold.objects.none()
    serializer_class = s.HoldSerializer
    filterset_class = HoldFilter

    def scoped_queryset(self):
        return selectors.holds_visible_to(self.request.user)

    @extend_schema(request=s.HoldApplySerializer, responses={201: s.HoldSerializer})
    def create(self, request: Any) -> Response:
        data = s.HoldApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = selectors.units_visible_to(request.user).filter(pk=v["unit"]).first()
        if unit is None:
            raise ApplicationError(
                "validation_error",
                f"unit: no unit {v['unit']}.",
                details={"unit": [f"No unit {v['unit']}."]},
            )
        if not request.user.is_terminal_staff and v["kind"] != HoldKind.LINE:
            return api_error("permission_denied", "Agents may apply line holds only.", 403)
        hold = services.hold_apply(
            unit=unit,
            kind=v["kind"],
            blocks=v["blocks"],
            reason=v["reason"],
            reference=v["reference"],
            by=request.user,
        )
        return Response(s.HoldSerializer(hold).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.HoldReleaseSerializer, responses=s.HoldSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Any, pk: str | None = None) -> Response:
        hold = self.get_object()
        if not request.user.is_terminal_staff and hold.kind != HoldKind.LINE:
            return api_error("permission_denied", "Agents may release line holds only.", 403)
        data = s.HoldReleaseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hold = services.hold_release(hold=hold, by=request.user, note=data.validated_data["note"])
        return Response(s.HoldSerializer(hold).data)


class EventViewSet(TosViewSet):
    """Replay of the live event stream: ``?after=<seq>`` returns events in ``seq`` order."""

    queryset = Event.objects.none()
    serializer_class = s.EventSerializer
    pagination_class = None

    def scoped_queryset(self):
        return selectors.events_visible_to(self.request.user, _terminal_of(self.request))

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Events with seq > after."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many (≤1000)."),
            OpenApiParameter("terminal", OpenApiTypes.INT),
        ],
        responses=inline_serializer(
            "EventPage",
            {
                "results": s.EventSerializer(many=True),
                "last_seq": serializers.IntegerField(),
                "has_more": serializers.BooleanField(),
            },
        ),
    )
    def list(self, request: Any) -> Response:
        """``last_seq`` is the terminal's seq when the page was read: every event up to it that
        you may see is in this page or a later one, so a client can move its cursor there."""
        raw = {"after": request.query_params.get("after", "0")}
        raw["limit"] = request.query_params.get("limit", "500")
        bad = {
            name: [rule]
            for name, rule, lo, hi in (
                ("after", "A whole number, 0 or more.", 0, None),
                ("limit", "A whole number from 1 to 1000.", 1, 1000),
            )
            if not (raw[name].isascii() and raw[name].isdigit() and len(raw[name]) <= 18)
            or int(raw[name]) < lo
            or (hi is not None and int(raw[name]) > hi)
        }
        if bad:
            return api_error(
                "validation_error",
                "; ".join(f"{name}: {rules[0]}" for name, rules in bad.items()),
                **bad,
            )
        after, limit = int(raw["after"]), int(raw["limit"])
        terminal = _terminal_of(request)
        if "terminal" in request.query_params:
            terminal = (
                selectors.terminals_visible_to(request.user)
                .filter(pk=request.query_params["terminal"])
                .first()
                if request.query_params["terminal"].isdigit()
                else None
            )
            if terminal is None:
                return api_error("not_found", "No such terminal.", status=404)
        last_seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True)[0]
        events = list(
            selectors.events_visible_to(request.user, terminal)
            .filter(seq__gt=after, seq__lte=last_seq)
            .order_by("seq")[: limit + 1]
        )
        has_more = len(events) > limit
        events = events[:limit]
        if has_more:
            last_seq = events[-1].seq
        return Response(
            {
                "results": s.EventSerializer(events, many=True).data,
                "last_seq": last_seq,
                "has_more": has_more,
            }
        )


class SolverRunViewSet(TosReadOnlyViewSet):
    """Solver runs and long jobs: status, progress, objective, bound, gap, result."""

    queryset = SolverRun.objects.none()
    serializer_class = s.SolverRunSerializer
    filterset_fields = ["kind", "status"]

    def scoped_queryset(self):
        return selectors.solver_runs_visible_to(self.request.user)

    @extend_schema(request=s.SolverRunCreateSerializer, responses={202: s.SolverRunSerializer})
    def create(self, request: Any) -> Response:
        """Start a run of a kind that may be started directly (returns at once, 202)."""
        if not request.user.is_terminal_staff:
            return api_error("permission_denied", "Only terminal staff start solver runs.", 403)
        data = s.SolverRunCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = jobs.get(data.validated_data["kind"])
        if not kind.api_startable:
            return api_error(
                "not_startable",
                f"{kind.kind} runs are started by their own command endpoint.",
                kind=["Not startable here."],
            )
        run = services.solver_run_enqueue(
            terminal=_terminal_of(request),
            kind=kind.kind,
            params=data.validated_data["params"],
            by=request.user,
        )
        return Response(s.SolverRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses=s.SolverRunSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: str | None = None) -> Response:
        run = services.solver_run_cancel(run=self.get_object(), by=request.user)
        return Response(s.SolverRunSerializer(run).data)
