"""EDI upload/download and stowage read API under ``/api/v1/edi/`` and ``/api/v1/stowage/``.

Agents see their own lines' visits and uploads only (another line's visit answers 404); terminal
staff see everything of their terminal.
"""

from __future__ import annotations

import re
from typing import Any

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import parsers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from stowage import selectors, services
from stowage.api import serializers as s
from stowage.choices import EdiMessageType, PlanKind
from stowage.models import EdiUpload, StowagePlan
from tos.core.api.base import IsTerminalStaff, TosReadOnlyViewSet, TosViewSet
from tos.core.api.serializers import SolverRunSerializer
from tos.core.errors import ApplicationError
from tos.core.models import VesselVisit
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The departure plan\'s ETag as last read, e.g. "stowage-plan-7-r12".',
)


def plan_etag(plan: StowagePlan) -> str:
    return f'"stowage-plan-{plan.pk}-r{plan.revision}"'


def if_match_revision(request: Any, plan: StowagePlan) -> int:
    """The revision named by ``If-Match``: 428 ``precondition_required`` without it, 412
    ``stale_revision`` when it is not an ETag of this plan (the service answers 412 when the
    revision is not the current one)."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApplicationError(
            "precondition_required",
            "Send the departure plan's ETag in If-Match so that an edit never overwrites "
            "someone else's.",
            details={"If-Match": ["Required."]},
            status=428,
        )
    match = re.match(r'^(?:W/)?"stowage-plan-(\d+)-r(\d+)"$', header)
    if not match or int(match.group(1)) != plan.pk:
        raise ApplicationError(
            "stale_revision",
            f"If-Match {header[:60]} is not an ETag of this departure plan; reload it.",
            details={"If-Match": [f"Expected {plan_etag(plan)}."]},
            status=412,
        )
    return int(match.group(2))


class RawEdiParser(parsers.BaseParser):
    """Any body that is not a form: the file itself, as bytes."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read() if stream is not None else b""


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


class EdiUploadFilter(django_filters.FilterSet):
    # A number, not a model choice: an unknown and an invisible visit both just match nothing.
    vessel_visit = django_filters.NumberFilter(field_name="vessel_visit_id")
    message_type = django_filters.ChoiceFilter(choices=EdiMessageType.choices)

    class Meta:
        model = EdiUpload
        fields = ["vessel_visit", "message_type"]


class EdiUploadViewSet(TosReadOnlyViewSet):
    """EDIFACT uploads: POST a file (BAPLIE, COPRAR, MOVINS, VERMAS, COARRI); list and read
    the uploads with their validation reports (filter by ``vessel_visit``, ``message_type``)."""

    queryset = EdiUpload.objects.none()
    filterset_class = EdiUploadFilter
    ordering_fields = ["uploaded_at", "id"]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, RawEdiParser]

    def scoped_queryset(self):
        return selectors.edi_uploads_visible_to(self.request.user)

    def get_serializer_class(self):
        return s.EdiUploadListSerializer if self.action == "list" else s.EdiUploadSerializer

    @extend_schema(
        request={
            "multipart/form-data": s.EdiUploadInputSerializer,
            "application/edifact": OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter("message_type", OpenApiTypes.STR, description="Raw body only."),
            OpenApiParameter("strict", OpenApiTypes.BOOL, description="Raw body only."),
            OpenApiParameter("vessel_visit", OpenApiTypes.INT, description="Raw body only."),
        ],
        responses={
            201: s.EdiUploadSerializer,
            200: OpenApiResponse(s.EdiUploadSerializer, description="Same file again: replayed."),
        },
    )
    def create(self, request, *args, **kwargs):
        """Receive one EDIFACT file. 201 with the report and what was created; 200 with the
        first upload when the same content comes again; 422 ``edi_invalid`` (report in
        ``details.report``) when the file has errors; 409 ``edi_interchange_reused`` for the same
        interchange reference with other content; 403 ``edi_foreign_lines`` when an agent sends
        other lines' boxes; 413 ``edi_too_large``."""
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > services.EDI_MAX_BYTES + 65536:
            raise ApplicationError(
                "edi_too_large",
                f"The request has {length} bytes; files of at most "
                f"{services.EDI_MAX_BYTES} bytes are accepted.",
                status=413,
            )
        if isinstance(request.data, bytes):
            data, params, filename = request.data, request.query_params, ""
        else:
            params = request.data
            upload = request.data.get("file")
            if upload is None:
                raise ApplicationError(
                    "validation_error",
                    "Send the file: multipart field 'file', or the file itself as the body.",
                    details={"file": ["Required."]},
                )
            if upload.size > services.EDI_MAX_BYTES:
                raise ApplicationError(
                    "edi_too_large",
                    f"The file has {upload.size} bytes; at most {services.EDI_MAX_BYTES}.",
                    details={"file": [f"At most {services.EDI_MAX_BYTES} bytes."]},
                    status=413,
                )
            data, filename = upload.read(), upload.name or ""
        form = s.EdiUploadInputSerializer(
            data={
                k: params.get(k)
                for k in ("message_type", "strict", "vessel_visit")
                if params.get(k) not in (None, "")
            }
        )
        form.is_valid(raise_exception=True)
        v = form.validated_data
        visit = None
        if "vessel_visit" in v:
            visit = vessel_visits_visible_to(request.user).filter(pk=v["vessel_visit"]).first()
            if visit is None:
                raise NotFound(f"Vessel visit {v['vessel_visit']} not found.")
        terminal = visit.terminal if visit else terminal_for_user(request.user)
        outcome = services.edi_upload_receive(
            terminal=terminal,
            data=data,
            by=request.user,
            message_type=v.get("message_type"),
            strict=v.get("strict", False),
            vessel_visit=visit,
            filename=filename,
        )
        body = s.EdiUploadSerializer(outcome.upload, context={"replayed": outcome.replayed}).data
        return Response(
            body, status=status.HTTP_200_OK if outcome.replayed else status.HTTP_201_CREATED
        )


class _VisitViewSet(TosViewSet):
    queryset = VesselVisit.objects.none()

    def scoped_queryset(self):
        return vessel_visits_visible_to(self.request.user)


class EdiVesselVisitViewSet(_VisitViewSet):
    """Outbound EDI per vessel visit."""

    @extend_schema(
        parameters=[OpenApiParameter("version", OpenApiTypes.STR, enum=["2.2", "3.1"])],
        responses={(200, "application/edifact"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def baplie(self, request, pk=None):
        """The departure BAPLIE. Header ``X-TOS-Plan-Source``: ``departure-plan``, or
        ``arrival-minus-discharge`` while no departure plan exists (or ``empty``)."""
        visit = self.get_object()
        version = request.query_params.get("version", "2.2")
        if version not in ("2.2", "3.1"):
            raise ApplicationError(
                "validation_error",
                "version must be 2.2 or 3.1.",
                details={"version": ["2.2 or 3.1."]},
            )
        text, source = selectors.departure_baplie(visit=visit, version=version)
        response = HttpResponse(text, content_type="application/edifact; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{visit.reference}-departure-baplie-{version}.edi"'
        )
        response["X-TOS-Plan-Source"] = source
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["discharge", "load"], required=True)
        ],
        responses={(200, "application/edifact"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def coarri(self, request, pk=None):
        """The COARRI discharge or load report from the executed (confirmed) moves. Header
        ``X-TOS-Moves``: the number of moves."""
        visit = self.get_object()
        kind = request.query_params.get("kind", "")
        if kind not in ("discharge", "load"):
            raise ApplicationError(
                "validation_error",
                "kind must be discharge or load.",
                details={"kind": ["discharge or load."]},
            )
        text, moves = selectors.coarri(visit=visit, kind=kind)
        response = HttpResponse(text, content_type="application/edifact; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{visit.reference}-coarri-{kind}.edi"'
        )
        response["X-TOS-Moves"] = str(moves)
        return response


class StowageVesselVisitViewSet(_VisitViewSet):
    """The vessel profile and the bay plans of a visit, compact, for the bay views."""

    @extend_schema(responses=s.VesselProfileSerializer)
    @action(detail=True, methods=["get"])
    def profile(self, request, pk=None):
        visit = self.get_object()
        profile = selectors.vessel_profile_get(visit=visit)
        if profile is None:
            raise NotFound(f"Vessel {visit.vessel.name} has no stowage profile yet.")
        return Response(s.VesselProfileSerializer(profile).data)

    def _plan(self, kind: str) -> Response:
        visit = self.get_object()
        plan = selectors.stowage_plan_get(visit=visit, kind=kind)
        if plan is None:
            raise NotFound(f"Visit {visit.reference} has no {kind} plan yet.")
        response = Response(
            {
                "vessel_visit": visit.pk,
                "kind": plan.kind,
                "status": plan.status,
                "revision": plan.revision,
                "etag": plan_etag(plan),
                "source_upload": plan.source_upload_id,
                "updated_at": plan.updated_at,
                "summary": plan.summary,
                "can_undo": plan.edits.filter(undone_at__isnull=True).exists(),
                "fields": list(selectors.CELL_FIELDS),
                "cells": selectors.plan_cells_compact(plan=plan),
            }
        )
        response["ETag"] = plan_etag(plan)
        return response

    @extend_schema(responses=s.StowagePlanCellsSerializer)
    @action(detail=True, methods=["get"], url_path="arrival-plan")
    def arrival_plan(self, request, pk=None):
        return self._plan(PlanKind.ARRIVAL)

    @extend_schema(responses=s.StowagePlanCellsSerializer)
    @action(detail=True, methods=["get"], url_path="departure-plan")
    def departure_plan(self, request, pk=None):
        """The departure plan; ``ETag`` (and ``etag``) carry its revision for ``If-Match``."""
        return self._plan(PlanKind.DEPARTURE)

    def _departure(self):
        visit = self.get_object()
        plan = selectors.stowage_plan_get(visit=visit, kind=PlanKind.DEPARTURE)
        if plan is None:
            raise NotFound(f"Visit {visit.reference} has no departure plan yet; plan it first.")
        return plan

    @extend_schema(request=s.PlanOptimiseSerializer, responses={202: SolverRunSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="departure-plan/optimise",
        permission_classes=[IsTerminalStaff],
    )
    def departure_plan_optimise(self, request, pk=None):
        """Plan the departure stowage on the solver queue (returns the run at once; poll
        ``/api/v1/solver-runs/{id}/`` or follow ``solver_run.*`` events). The plan is saved
        only if the checker finds no violation; then ``stowage.plan_saved``. 409
        ``no_profile`` / ``nothing_to_plan``."""
        visit = self.get_object()
        data = s.PlanOptimiseSerializer(data=request.data, context={"here": visit.terminal.locode})
        data.is_valid(raise_exception=True)
        run = services.departure_plan_optimise_start(
            visit=visit,
            by=request.user,
            time_limit=data.validated_data["time_limit"],
            rotation=data.validated_data.get("rotation"),
        )
        return Response(SolverRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=s.PlanMoveSerializer, responses=s.MoveCheckSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="departure-plan/check-move",
        permission_classes=[IsTerminalStaff],
    )
    def departure_plan_check_move(self, request, pk=None):
        """Dry run of a move (the drag preview): ``ok`` and every rule it would break."""
        plan = self._departure()
        data = s.PlanMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        violations = services.departure_plan_move_check(
            plan=plan, box=data.validated_data["box"], to=(to["bay"], to["row"], to["tier"])
        )
        response = Response({"ok": not violations, "violations": violations})
        response["ETag"] = plan_etag(plan)
        return response

    @extend_schema(
        request=s.PlanMoveSerializer,
        parameters=[IF_MATCH],
        responses=s.StowagePlanCellsSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="departure-plan/moves",
        permission_classes=[IsTerminalStaff],
    )
    def departure_plan_moves(self, request, pk=None):
        """Move a box to another cell. ``If-Match``: the plan's ETag (428 without, 412 when
        stale). Refused with 409 ``cell_taken`` or 422 ``move_refused`` and every violation in
        ``details.violations``; applied: the new plan (new ``ETag``) and a
        ``stowage.plan_edited`` event."""
        plan = self._departure()
        data = s.PlanMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        to = data.validated_data["to"]
        services.departure_plan_move(
            plan=plan,
            box=data.validated_data["box"],
            to=(to["bay"], to["row"], to["tier"]),
            expected_revision=if_match_revision(request, plan),
            by=request.user,
        )
        return self._plan(PlanKind.DEPARTURE)

    @extend_schema(request=None, parameters=[IF_MATCH], responses=s.StowagePlanCellsSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="departure-plan/undo",
        permission_classes=[IsTerminalStaff],
    )
    def departure_plan_undo(self, request, pk=None):
        """Undo the last edit (``If-Match`` as for a move); 409 ``nothing_to_undo``."""
        plan = self._departure()
        services.departure_plan_undo(
            plan=plan, expected_revision=if_match_revision(request, plan), by=request.user
        )
        return self._plan(PlanKind.DEPARTURE)

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["load", "discharge"], required=True)
        ],
        responses=s.ListEntriesSerializer,
    )
    @action(detail=True, methods=["get"])
    def lists(self, request, pk=None):
        """The visit's load or discharge list; ``entries`` rows follow ``fields``."""
        visit = self.get_object()
        kind = request.query_params.get("kind", "")
        if kind not in ("load", "discharge"):
            raise ApplicationError(
                "validation_error",
                "kind must be load or discharge.",
                details={"kind": ["load or discharge."]},
            )
        return Response(
            {
                "vessel_visit": visit.pk,
                "kind": kind,
                "fields": list(selectors.LIST_FIELDS),
                "entries": selectors.list_entries_compact(visit=visit, kind=kind),
            }
        )

    @extend_schema(request=None, responses=s.LoadListFromYardSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="load-list/from-yard",
        permission_classes=[IsTerminalStaff],
    )
    def load_list_from_yard(self, request, pk=None):
        """Add the export units in the yard for this visit to its load list (staff only)."""
        visit = self.get_object()
        return Response(services.load_list_from_yard(visit=visit, by=request.user))
