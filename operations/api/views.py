"""Operations API under ``/api/v1/operations/``: equipment and the equipment client's calls
(job list, next job, accept, complete with the actual position, report a problem), work orders
with filters, crane work queues per vessel visit (build, read with ``ETag``, resequence with
``If-Match``) and the COARRI discharge/load reports of the completed moves. Terminal staff only;
every POST honours ``Idempotency-Key`` (a retried completion replays the first answer)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from operations import selectors, services
from operations.api import serializers as s
from operations.filters import EquipmentFilter, WorkOrderFilter
from operations.models import CraneQueue, Equipment, WorkOrder
from tos.core.api.base import (
    IDEMPOTENCY_HEADER,
    IsTerminalStaff,
    TosAPIView,
    TosReadOnlyViewSet,
)
from tos.core.errors import ApplicationError
from tos.core.models import VesselVisit
from tos.core.selectors import terminal_for_user, vessel_visits_visible_to

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The queue\'s ETag as last read, e.g. "queue-7-r3".',
)


def _equipment(request: Any, pk: Any) -> Equipment:
    equipment = selectors.equipment_visible_to(request.user).filter(pk=pk).first()
    if equipment is None:
        raise ApplicationError(
            "validation_error",
            f"equipment: there is no equipment {pk} at your terminal.",
            details={"equipment": [f"No equipment {pk}."]},
        )
    return equipment


def _visit(request: Any, visit_id: int) -> VesselVisit:
    terminal = terminal_for_user(request.user)
    visit = (
        vessel_visits_visible_to(request.user)
        .filter(pk=visit_id, terminal=terminal)
        .select_related("terminal", "vessel", "line")
        .first()
    )
    if visit is None:
        raise ApplicationError(
            "not_found", f"No vessel visit {visit_id} that you may see.", status=404
        )
    return visit


def _queue_revision(request: Any, queue: CraneQueue) -> int:
    """The revision named by ``If-Match: "queue-<id>-r<revision>"``: 428 without it, 412 for
    an ETag of another queue or an old revision."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise ApplicationError(
            "precondition_required",
            "Send the queue's ETag in If-Match so that a resequence never overwrites a change "
            "you have not seen.",
            details={"If-Match": ["Required."]},
            status=428,
        )
    prefix = f'"queue-{queue.pk}-r'
    text = header.removeprefix("W/")
    if not (text.startswith(prefix) and text.endswith('"') and text[len(prefix) : -1].isdigit()):
        raise ApplicationError(
            "precondition_failed",
            f"If-Match {header[:60]} is not an ETag of crane queue {queue.pk}; reload it.",
            details={"If-Match": [f"Expected {selectors.queue_etag(queue)}."]},
            status=412,
        )
    return int(text[len(prefix) : -1])


class EquipmentViewSet(TosReadOnlyViewSet):
    """Equipment of the terminal with state, position and job in hand. The equipment client
    calls ``jobs/`` (its job and what comes next), ``next/`` (give me my next job) and
    ``state/`` (down, offline, back to idle)."""

    queryset = Equipment.objects.none()
    serializer_class = s.EquipmentSerializer
    permission_classes = [IsTerminalStaff]
    filterset_class = EquipmentFilter
    ordering = ["kind", "name"]
    ordering_fields = ["kind", "name", "state"]

    def scoped_queryset(self):
        return selectors.equipment_visible_to(self.request.user)

    @extend_schema(responses=s.JobListSerializer)
    @action(detail=True, methods=["get"])
    def jobs(self, request: Any, pk: str | None = None) -> Response:
        jobs = selectors.equipment_jobs(equipment=self.get_object())
        return Response(s.JobListSerializer(jobs).data)

    @extend_schema(request=None, responses=s.NextJobSerializer)
    @action(detail=True, methods=["post"], url_path="next")
    def next_job(self, request: Any, pk: str | None = None) -> Response:
        job = services.dispatch_next(equipment=self.get_object(), by=request.user)
        return Response(s.NextJobSerializer({"job": job}).data)

    @extend_schema(request=s.PositionReportSerializer, responses=s.EquipmentSerializer)
    @action(detail=True, methods=["post"])
    def position(self, request: Any, pk: str | None = None) -> Response:
        """Where the machine is: ``{block, bay}`` in the yard or ``{x_m, y_m}`` on the plan."""
        from yard.models import YardBlock

        equipment = self.get_object()
        data = s.PositionReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        block = None
        if "block" in v:
            block = YardBlock.objects.filter(
                terminal_id=equipment.terminal_id, name=v["block"]
            ).first()
            if block is None:
                raise ApplicationError(
                    "unknown_block",
                    f"block: there is no yard block {v['block']!r} at this terminal.",
                    details={"block": ["Unknown block."]},
                )
        equipment = services.equipment_position_report(
            equipment=equipment, block=block, bay=v.get("bay"), x_m=v.get("x_m"), y_m=v.get("y_m")
        )
        return Response(s.EquipmentSerializer(self.scoped_queryset().get(pk=equipment.pk)).data)

    @extend_schema(request=s.EquipmentStateSerializer, responses=s.EquipmentSerializer)
    @action(detail=True, methods=["post"])
    def state(self, request: Any, pk: str | None = None) -> Response:
        equipment = self.get_object()
        data = s.EquipmentStateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        equipment = services.equipment_state_set(
            equipment=equipment, state=data.validated_data["state"], by=request.user
        )
        return Response(s.EquipmentSerializer(self.scoped_queryset().get(pk=equipment.pk)).data)


class WorkOrderViewSet(TosReadOnlyViewSet):
    """Work orders (every move of every kind) with filters; ``accept``, ``complete`` (the
    actual position; atomic and idempotent), ``problem`` for the equipment client and
    ``replan`` for the planner."""

    queryset = WorkOrder.objects.none()
    serializer_class = s.WorkOrderSerializer
    permission_classes = [IsTerminalStaff]
    filterset_class = WorkOrderFilter
    ordering = ["-priority", "created_at", "id"]
    ordering_fields = ["priority", "created_at", "completed_at", "sequence", "id"]

    def scoped_queryset(self):
        return selectors.work_orders_visible_to(self.request.user)

    def _answer(self, wo: WorkOrder, serializer: Any = s.WorkOrderSerializer) -> Response:
        fresh = self.scoped_queryset().get(pk=wo.pk)
        fresh.replayed = getattr(wo, "replayed", False)
        return Response(serializer(fresh).data)

    @extend_schema(request=s.EquipmentRefSerializer, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Any, pk: str | None = None) -> Response:
        wo = self.get_object()
        data = s.EquipmentRefSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        equipment = _equipment(request, data.validated_data["equipment"])
        return self._answer(
            services.work_order_accept(work_order=wo, equipment=equipment, by=request.user)
        )

    @extend_schema(request=s.CompleteSerializer, responses=s.CompletedSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        """The box is at ``position`` now. Every side of the move changes in one transaction;
        completing again with the same equipment and position answers the same result
        (``replayed`` true), with another position 409 ``work_order_completed``."""
        wo = self.get_object()
        data = s.CompleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        equipment = _equipment(request, data.validated_data["equipment"])
        position = services.position_parse(
            terminal_id=wo.terminal_id, data=data.validated_data["position"]
        )
        done = services.work_order_complete(
            work_order=wo,
            equipment=equipment,
            position=position,
            by=request.user,
            idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
        )
        return self._answer(done, s.CompletedSerializer)

    @extend_schema(request=s.ProblemInSerializer, responses={201: s.ProblemOutSerializer})
    @action(detail=True, methods=["post"])
    def problem(self, request: Any, pk: str | None = None) -> Response:
        wo = self.get_object()
        data = s.ProblemInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        report = services.work_order_report_problem(
            work_order=wo,
            equipment=_equipment(request, v["equipment"]),
            kind=v["kind"],
            note=v["note"],
            by=request.user,
        )
        report.work_order = self.scoped_queryset().get(pk=wo.pk)
        return Response(s.ProblemOutSerializer(report).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.CancelSerializer, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: str | None = None) -> Response:
        """Drop a planned or problem move (and the slot its dispatch reserved)."""
        wo = self.get_object()
        data = s.CancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.work_order_cancel(
                work_order=wo, by=request.user, reason=data.validated_data["reason"]
            )
        )

    @extend_schema(request=None, responses=s.WorkOrderSerializer)
    @action(detail=True, methods=["post"])
    def replan(self, request: Any, pk: str | None = None) -> Response:
        return self._answer(
            services.work_order_replan(work_order=self.get_object(), by=request.user)
        )


class VisitWorkOrdersGenerateApi(TosAPIView):
    """Generate the visit's discharge, load and restow orders from its stowage plans (boxes with
    an open order are skipped, so calling again adds only what is new)."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(request=None, responses={201: s.GenerateResultSerializer})
    def post(self, request: Any, visit_id: int) -> Response:
        counts = services.work_orders_from_stowage(visit=_visit(request, visit_id), by=request.user)
        return Response(counts, status=status.HTTP_201_CREATED)


class VisitCraneQueuesApi(TosAPIView):
    """``GET``: the visit's crane queues in rail order with their moves in sequence; ``POST``:
    build them from the published berth plan's crane split (while no vessel move started)."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses=s.CraneQueueSerializer(many=True))
    def get(self, request: Any, visit_id: int) -> Response:
        queues = selectors.crane_queues_of(visit=_visit(request, visit_id))
        return Response(s.CraneQueueSerializer(queues, many=True).data)

    @extend_schema(request=None, responses={201: s.CraneQueueSerializer(many=True)})
    def post(self, request: Any, visit_id: int) -> Response:
        visit = _visit(request, visit_id)
        services.crane_queues_build(visit=visit, by=request.user)
        queues = selectors.crane_queues_of(visit=visit)
        return Response(s.CraneQueueSerializer(queues, many=True).data, status=201)


class CraneQueueApi(TosAPIView):
    """One crane queue with its ``ETag``."""

    permission_classes = [IsTerminalStaff]

    def _queue(self, request: Any, pk: int) -> CraneQueue:
        queue = (
            CraneQueue.objects.filter(pk=pk, terminal=terminal_for_user(request.user))
            .select_related("vessel_visit")
            .first()
        )
        if queue is None:
            raise ApplicationError("not_found", f"No crane queue {pk}.", status=404)
        return queue

    def _detail(self, queue: CraneQueue) -> Response:
        found = next(
            q for q in selectors.crane_queues_of(visit=queue.vessel_visit) if q.pk == queue.pk
        )
        response = Response(s.CraneQueueSerializer(found).data)
        response["ETag"] = selectors.queue_etag(found)
        return response

    @extend_schema(responses=s.CraneQueueSerializer)
    def get(self, request: Any, pk: int) -> Response:
        return self._detail(self._queue(request, pk))


class CraneQueueResequenceApi(CraneQueueApi):
    """Resequence a crane queue (send ``If-Match`` with its ETag). Refused: ``overstow`` (a
    discharge before a box above it that is still on board), ``crane_crossing`` (taking over
    moves beyond a neighbour's bays), ``order_incomplete``, ``invalid_order``; 412 for a stale
    ETag, 428 without one."""

    @extend_schema(
        request=s.ResequenceSerializer,
        responses=s.CraneQueueSerializer,
        parameters=[IF_MATCH],
    )
    def post(self, request: Any, pk: int) -> Response:
        queue = self._queue(request, pk)
        revision = _queue_revision(request, queue)
        data = s.ResequenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.crane_queue_resequence(
            queue=queue, order=data.validated_data["order"], revision=revision, by=request.user
        )
        queue.refresh_from_db()
        return self._detail(queue)


class VisitCoarriApi(TosAPIView):
    """The COARRI discharge (``?kind=discharge``) or load (``?kind=load``) report of the
    visit's completed moves, as EDIFACT text; ``X-Moves`` says how many moves it holds."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=["discharge", "load"], required=True)
        ],
        responses={(200, "application/edifact"): OpenApiTypes.STR},
    )
    def get(self, request: Any, visit_id: int) -> HttpResponse:
        kind = request.query_params.get("kind", "")
        if kind not in ("discharge", "load"):
            raise ApplicationError(
                "validation_error",
                "kind: discharge or load.",
                details={"kind": ["discharge or load."]},
            )
        visit = _visit(request, visit_id)
        text, count = selectors.coarri_from_moves(visit=visit, kind=kind)
        response = HttpResponse(text, content_type="application/edifact; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="COARRI-{visit.reference}-{kind}.edi"'
        )
        response["X-Moves"] = str(count)
        return response


class VisitKpiApi(TosAPIView):
    """Productivity of a vessel call from its completed moves: moves done and open, BMPH over
    the working span, and per crane its moves and gross crane rate (GCR)."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Any, visit_id: int) -> Response:
        return Response(selectors.kpi_vessel(visit=_visit(request, visit_id)))


def _moment(request: Any, name: str, default: Any) -> Any:
    from django.utils.dateparse import parse_datetime

    text = request.query_params.get(name)
    if text is None:
        return default
    try:
        value = parse_datetime(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ApplicationError(
            "validation_error",
            f"{name}: an ISO 8601 time with its offset, e.g. 2026-03-02T08:00:00Z.",
            details={name: ["ISO 8601 with offset."]},
        )
    return value


class TerminalKpiApi(TosAPIView):
    """Moves completed in ``[since, until)`` (default: the last 24 hours) by kind, job cycle
    times (dispatch to completion, mean and 95th percentile), moves per equipment, equipment by
    state and open problem reports."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Any) -> Response:
        from datetime import timedelta

        from django.utils import timezone

        terminal = terminal_for_user(request.user)
        if terminal is None:
            raise ApplicationError("not_found", "There is no terminal yet.", status=404)
        until = _moment(request, "until", timezone.now())
        since = _moment(request, "since", until - timedelta(hours=24))
        if since >= until:
            raise ApplicationError(
                "validation_error",
                "since must be before until.",
                details={"since": ["Before until."]},
            )
        return Response(selectors.kpi_terminal(terminal_id=terminal.pk, since=since, until=until))
