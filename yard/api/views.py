"""Yard API: the live map's snapshot, blocks and their bays, where-is-my-container, allocation
suggestions with their explanation, and yard moves (plan, confirm, cancel; every POST honours
``Idempotency-Key``)."""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tos.core.api.base import IsTerminalStaff, TosAPIView, TosReadOnlyViewSet, TosViewSet
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, SolverRun
from tos.core.selectors import terminal_for_user
from yard import relocation, selectors, services
from yard.allocation import allocation_suggest
from yard.api import serializers as s
from yard.choices import MoveKind, Origin
from yard.filters import MoveFilter, OccupancyFilter
from yard.models import YardBlock, YardMove, YardOccupancy

_CONTAINER_NUMBER = re.compile(r"^[A-Za-z]{4}[0-9]{7}$")


def _terminal(request: Any):
    terminal = terminal_for_user(request.user)
    if terminal is None:
        raise ApplicationError("not_found", "There is no terminal yet.", status=404)
    return terminal


def _block(request: Any, name: str) -> YardBlock:
    block = YardBlock.objects.filter(terminal=_terminal(request), name=name).first()
    if block is None:
        raise ApplicationError(
            "validation_error",
            f"block: there is no block {name[:10]!r} at your terminal.",
            details={"block": [f"No block {name[:10]!r}."]},
        )
    return block


def _unit(request: Any, unit_id: int):
    unit = selectors.units_in_yard_visible_to(request.user).filter(pk=unit_id).first()
    if unit is None:
        raise ApplicationError(
            "validation_error",
            f"unit: there is no unit {unit_id} at your terminal.",
            details={"unit": [f"No unit {unit_id}."]},
        )
    return unit


class YardSnapshotApi(TosAPIView):
    """The whole yard for the live map: blocks, every box with what the map colours by, live
    reservations, and the event ``seq`` it reflects (apply ``yard`` events after it; see
    :func:`yard.selectors.yard_snapshot` for the format). Gzip-compressed when the client
    accepts it. Terminal staff only."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Any) -> HttpResponse:
        snapshot = selectors.yard_snapshot(terminal=_terminal(request))
        body = json.dumps(snapshot, separators=(",", ":"), cls=DjangoJSONEncoder).encode()
        response = HttpResponse(content_type="application/json")
        if "gzip" in request.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body, compresslevel=6)
            response["Content-Encoding"] = "gzip"
        response.content = body
        response["Vary"] = "Accept-Encoding"
        response["Cache-Control"] = "no-store"
        response["X-Yard-Seq"] = str(snapshot["seq"])
        return response


class YardBlockViewSet(TosReadOnlyViewSet):
    """Yard blocks of the caller's terminal with their geometry and segregation zones. Everyone
    signed in reads them; ``bays/{bay}/`` (who stands where) is for terminal staff."""

    queryset = YardBlock.objects.none()
    serializer_class = s.YardBlockSerializer
    filterset_fields = ["kind", "equipment"]
    ordering = ["name"]

    def scoped_queryset(self):
        return selectors.blocks_visible_to(self.request.user).order_by("name")

    @extend_schema(responses=s.BoxSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path=r"bays/(?P<bay>[0-9]{1,3})",
        permission_classes=[IsTerminalStaff],
    )
    def bay(self, request: Any, pk: str | None = None, bay: str = "") -> Response:
        """The cross-section of one bay: rows × tiers with the boxes standing there now (an
        even bay also shows the 20' boxes on its two ground bays)."""
        block = self.get_object()
        number = int(bay)
        if not (1 <= number <= block.last_bay):
            raise ApplicationError(
                "not_found",
                f"bay: block {block.name} has bays 1 to {block.last_bay}.",
                details={"bay": [f"1 to {block.last_bay}."]},
                status=404,
            )
        boxes = selectors.bay_section(block=block, bay=number)
        return Response(
            {
                "block": block.name,
                "bay": number,
                "rows": block.rows,
                "max_tier": block.max_tier,
                "boxes": s.BoxSerializer(boxes, many=True).data,
            }
        )


class YardUnitViewSet(TosReadOnlyViewSet):
    """Boxes in the yard now (agents: their own lines' only). ``GET yard/units/{container
    number}/`` is where-is-my-container: current position, planned moves and recent yard
    history; another line's container answers 404."""

    queryset = YardOccupancy.objects.none()
    serializer_class = s.BoxSerializer
    filterset_class = OccupancyFilter
    lookup_field = "container"
    lookup_value_regex = "[^/]+"
    ordering = ["block__name", "bay", "row", "tier"]
    ordering_fields = ["valid_from", "bay", "row", "tier"]

    def scoped_queryset(self):
        return selectors.occupancy_visible_to(self.request.user).filter(valid_to__isnull=True)

    @extend_schema(responses=s.WhereaboutsSerializer)
    def retrieve(self, request: Any, container: str = "") -> Response:
        if not _CONTAINER_NUMBER.match(container):
            raise ApplicationError(
                "validation_error",
                f"container: {container[:20]!r} is not a container number such as MSCU1234565.",
                details={"container": ["Four letters and seven digits."]},
            )
        unit = (
            selectors.units_in_yard_visible_to(request.user)
            .filter(container__number=container.upper())
            .order_by("-pk")
            .first()
        )
        if unit is None:
            raise ApplicationError(
                "not_found", f"No container {container.upper()} that you may see.", status=404
            )
        return Response(s.WhereaboutsSerializer(selectors.unit_whereabouts(unit=unit)).data)


class AllocationApi(TosAPIView):
    """Suggest a yard position for an incoming unit (discharge or gate receival): the chosen
    slot and the best candidates with their score components and an explanation. With
    ``reserve`` the chosen slot is reserved at once by planning a move (201); a slot taken by
    someone else meanwhile makes it try the next candidate. Terminal staff only."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(request=s.AllocationRequestSerializer, responses=s.AllocationSerializer)
    def post(self, request: Any) -> Response:
        data = s.AllocationRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        unit = _unit(request, v["unit"])
        exclude: set[tuple[int, int, int, int]] = set()
        move = None
        for _attempt in range(5 if v["reserve"] else 1):
            result = allocation_suggest(
                unit=unit,
                origin=v["origin"],
                berth_x_m=v.get("berth_x_m"),
                top=v["top"],
                weight_overrides=v.get("weights"),
                exclude=frozenset(exclude),
            )
            if not v["reserve"] or result.chosen is None:
                break
            chosen = result.chosen
            try:
                move = services.yard_move_plan(
                    unit=unit,
                    block=YardBlock.objects.get(pk=chosen.block_id),
                    bay=chosen.bay,
                    row=chosen.row,
                    tier=chosen.tier,
                    kind=MoveKind.RECEIVAL if v["origin"] == Origin.GATE else MoveKind.DISCHARGE,
                    minutes=v.get("minutes"),
                    by=request.user,
                )
                break
            except ApplicationError as exc:
                if exc.status != 409 or exc.code not in ("slot_reserved", "slot_occupied"):
                    raise
                exclude.add((chosen.block_id, chosen.bay, chosen.row, chosen.tier))
                last_error = exc
        else:
            raise last_error
        if v["reserve"] and result.chosen is None:
            raise ApplicationError(
                "no_slot",
                " ".join(result.explanation),
                details={"unit": ["No free slot."]},
                status=409,
            )
        body = {
            "unit": unit.pk,
            "container": unit.container.number,
            "chosen": result.chosen.as_dict() if result.chosen else None,
            "candidates": [c.as_dict() for c in result.candidates],
            "considered": result.considered,
            "weights": result.weights,
            "explanation": result.explanation,
            "elapsed_ms": result.elapsed_ms,
            "move": s.YardMoveSerializer(move).data if move else None,
        }
        return Response(body, status=status.HTTP_201_CREATED if move else status.HTTP_200_OK)


class YardMoveViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Yard moves: plan one (``POST``; its target slot is reserved until it is confirmed,
    cancelled or the reservation expires), ``confirm`` it when the box stands there (send an
    ``Idempotency-Key``: a retried confirmation replays the first answer), or ``cancel`` it.
    Terminal staff only."""

    queryset = YardMove.objects.none()
    serializer_class = s.YardMoveSerializer
    permission_classes = [IsTerminalStaff]
    filterset_class = MoveFilter
    ordering = ["-planned_at", "-id"]
    ordering_fields = ["planned_at", "id", "sequence"]

    def scoped_queryset(self):
        return selectors.yard_moves_visible_to(self.request.user)

    @extend_schema(request=s.MovePlanSerializer, responses={201: s.YardMoveSerializer})
    def create(self, request: Any) -> Response:
        data = s.MovePlanSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        move = services.yard_move_plan(
            unit=_unit(request, v["unit"]),
            block=_block(request, v["block"]),
            bay=v["bay"],
            row=v["row"],
            tier=v["tier"],
            kind=v["kind"],
            minutes=v.get("minutes"),
            note=v["note"],
            by=request.user,
        )
        move = self.scoped_queryset().get(pk=move.pk)
        return Response(s.YardMoveSerializer(move).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.YardMoveSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Any, pk: str | None = None) -> Response:
        """The box stands at the target now (all stacking rules are checked again)."""
        move = services.yard_move_confirm(move=self.get_object(), by=request.user)
        return Response(s.YardMoveSerializer(self.scoped_queryset().get(pk=move.pk)).data)

    @extend_schema(request=s.MoveCancelSerializer, responses=s.YardMoveSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: str | None = None) -> Response:
        """Drop the planned move and free its slot."""
        move = self.get_object()
        data = s.MoveCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        move = services.yard_move_cancel(
            move=move, by=request.user, reason=data.validated_data["reason"]
        )
        return Response(s.YardMoveSerializer(self.scoped_queryset().get(pk=move.pk)).data)


class RelocationJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Relocation jobs (see :mod:`yard.relocation`): ``POST`` plans one bay of a block on the
    solver queue (``kind`` ``brp`` with a retrieval order, given as container numbers or derived
    from expected departures, or ``premarshalling``) and answers 202 with the job at once;
    send an ``Idempotency-Key``. Progress streams as ``solver_run.*`` events; ``GET`` shows the
    status, progress, objective, bound and the planned shift moves in sequence order (confirm
    them in that order, each retrieval of a ``brp`` plan when its step comes). Terminal staff
    only."""

    queryset = SolverRun.objects.none()
    serializer_class = s.RelocationJobSerializer
    permission_classes = [IsTerminalStaff]
    filterset_fields = ["status"]
    ordering = ["-created_at", "-id"]

    def scoped_queryset(self):
        return relocation.relocation_jobs_visible_to(self.request.user).prefetch_related(
            Prefetch(
                "yard_moves",
                queryset=YardMove.objects.select_related(
                    "unit__container", "unit__line", "from_block", "to_block", "reservation"
                ),
            )
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return super().get_serializer_context() | {"numbers": getattr(self, "_numbers", {})}

    def _with_numbers(self, runs: list[SolverRun]) -> None:
        ids: set[int] = set()
        for run in runs:
            ids.update(run.params.get("order", []))
            ids.update(step["unit"] for step in (run.result or {}).get("steps", []))
        self._numbers = dict(
            ContainerVisit.objects.filter(pk__in=ids).values_list("pk", "container__number")
        )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        runs = list(page if page is not None else queryset)
        self._with_numbers(runs)
        data = s.RelocationJobSerializer(runs, many=True, context=self.get_serializer_context())
        if page is not None:
            return self.get_paginated_response(data.data)
        return Response(data.data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        run = self.get_object()
        self._with_numbers([run])
        return Response(s.RelocationJobSerializer(run, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.RelocationJobRequestSerializer, responses={202: s.RelocationJobSerializer}
    )
    def create(self, request: Any) -> Response:
        data = s.RelocationJobRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        run = relocation.yard_relocation_job_start(
            block=_block(request, v["block"]),
            bay=v["bay"],
            kind=v["kind"],
            retrieval_order=v.get("retrieval_order"),
            time_limit=v["time_limit"],
            minutes=v.get("minutes"),
            by=request.user,
        )
        run = self.scoped_queryset().get(pk=run.pk)
        self._with_numbers([run])
        body = s.RelocationJobSerializer(run, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED)
