"""Customs API under ``/api/v1/customs/``.

* ``declarations/``: lodge (customs users and agents for their own lines' units), list, read;
  ``{id}/release/`` and ``{id}/complete/`` (two-step flow, step two).
* ``responses/``: a CUSRES-like JSON customs response (release, hold, examine);
  ``responses/edifact/``: an EDIFACT CUSRES interchange (customs users only).
* ``readings/``: one reading or ``{"readings": [...]}`` (at most 500), strictly validated per
  sensor kind, idempotent by sensor and external id; list with filters.
* ``lots/``: bulk lots, ``{id}/progress/`` records a discharge window (``last`` completes it).
* ``cases/``: the inspection queue, ranked (``?status=active`` by default, ``all``, or one
  status; ``?level=``; paginated); ``{id}/`` the evidence; ``{id}/decide/`` an officer's decision.
* ``decisions/``: the audit trail. ``snapshot/``: the console's queue with its event ``seq``.
* ``status/?container=``: the hold/release status: agents of the unit's line see it, a
  haulier only whether its pick-up is released.

Customs data (evidence, risk, cases, decisions) is for customs officers, administrators and
customs organisations; everyone else gets 403 on those routes.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, parsers, permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.serializers import ValidationError

from customs import selectors, services
from customs.api import serializers as s
from customs.choices import CASE_ACTIVE, CaseStatus, DecisionSource, RiskLevel
from customs.models import BulkLot, Decision, Declaration, InspectionCase, SensorReading
from customs.payloads import SUBJECTS, payload_validate
from tos.core.api.base import TosAPIView, TosViewSet
from tos.core.errors import ApplicationError
from tos.core.models import Terminal
from tos.core.selectors import (
    terminal_for_user,
    units_visible_to,
    user_line_ids,
    vessel_visits_visible_to,
)

#: The largest EDIFACT CUSRES file accepted (a customs response is a few kilobytes).
MAX_EDIFACT_BYTES = 512 * 1024


def _terminal(request: Any) -> Terminal:
    terminal = terminal_for_user(request.user)
    if terminal is None:
        raise ApplicationError("not_found", "There is no terminal yet.", status=404)
    return terminal


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("validation_error", f"{field}: {message}", details={field: [message]})


class IsCustoms(permissions.BasePermission):
    message = "Only customs officers may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        return selectors.user_is_customs(request.user)


class MayLodge(permissions.BasePermission):
    """Customs users; agents and lines for their own lines' units; everyone signed in reads."""

    message = "Only customs officers and agents may lodge declarations."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return selectors.user_is_customs(user) or bool(user_line_ids(user))


class MayReportDischarge(permissions.BasePermission):
    """Customs users and terminal staff (operations reports the discharge)."""

    message = "Only terminal staff and customs officers may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return selectors.user_is_customs(user)
        return selectors.user_is_customs(user) or user.is_terminal_staff


class DeclarationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Customs declarations. ``POST`` lodges one: its containers are held by customs at once
    (gate-out, loading, delivery) and assessed; low risk releases them automatically (before
    arrival for an early declaration). Agents see and lodge only their own lines'."""

    queryset = Declaration.objects.none()
    permission_classes = [MayLodge]
    ordering = ["-lodged_at", "-id"]
    filterset_fields = ["status", "kind"]

    def get_serializer_class(self):
        if selectors.user_is_customs(self.request.user):
            return s.DeclarationSerializer
        return s.DeclarationStatusSerializer

    def get_permissions(self):
        if self.action in ("release",):
            return [IsCustoms()]
        return super().get_permissions()

    def scoped_queryset(self) -> QuerySet[Declaration]:
        return selectors.declarations_visible_to(self.request.user).prefetch_related("lots")

    @extend_schema(request=s.DeclarationLodgeSerializer, responses={201: s.DeclarationSerializer})
    def create(self, request: Any) -> Response:
        data = s.DeclarationLodgeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        terminal = _terminal(request)
        visible = units_visible_to(request.user).filter(terminal=terminal)
        units = []
        for i, number in enumerate(v.pop("containers")):
            unit = (
                visible.filter(container__number=number.upper())
                .exclude(state__in=["departed", "cancelled"])
                .first()
            )
            if unit is None:
                raise _invalid(f"containers[{i}]", f"There is no active unit {number.upper()}.")
            units.append(unit)
        lots = []
        for i, ref in enumerate(v.pop("lots")):
            lot = BulkLot.objects.filter(terminal=terminal, reference=ref).first()
            if lot is None or not selectors.user_is_customs(request.user):
                raise _invalid(f"lots[{i}]", f"There is no bulk lot {ref}.")
            lots.append(lot)
        declaration = services.declaration_lodge(
            terminal=terminal, units=units, lots=lots, by=request.user, **v
        )
        body = self.get_serializer(self.scoped_queryset().get(pk=declaration.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ReasonSerializer, responses=s.DeclarationSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request: Any, pk: str | None = None) -> Response:
        """An officer releases the whole declaration (every unit's customs holds)."""
        declaration = self.get_object()
        data = s.ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.declaration_respond(
            declaration=declaration,
            action="release",
            reason=data.validated_data["reason"],
            source=DecisionSource.OFFICER,
            by=request.user,
        )
        return Response(self.get_serializer(self.scoped_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses=s.DeclarationSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Any, pk: str | None = None) -> Response:
        """Two-step flow: the complete declaration follows the summary one."""
        declaration = self.get_object()
        services.declaration_complete(declaration=declaration, by=request.user)
        return Response(self.get_serializer(self.scoped_queryset().get(pk=pk)).data)


def _declaration_by_reference(terminal: Terminal, reference: str, field: str) -> Declaration:
    declaration = Declaration.objects.filter(terminal=terminal, reference=reference).first()
    if declaration is None:
        raise ApplicationError(
            "unknown_declaration",
            f"{field}: there is no declaration {reference[:35]!r} at this terminal.",
            details={field: [f"No declaration {reference[:35]!r}."]},
            status=404,
        )
    return declaration


class CustomsResponseApi(TosAPIView):
    """A CUSRES-like JSON customs response about one declaration: ``release`` lifts its
    holds, ``hold`` keeps them, ``examine`` queues its units for physical examination."""

    permission_classes = [IsCustoms]

    @extend_schema(request=s.CustomsResponseSerializer, responses=s.DeclarationSerializer)
    def post(self, request: Any) -> Response:
        data = s.CustomsResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        declaration = _declaration_by_reference(_terminal(request), v["reference"], "reference")
        declaration = services.declaration_respond(
            declaration=declaration,
            action=v["action"],
            reason=v["reason"],
            source=DecisionSource.API,
            by=request.user,
        )
        declaration = selectors.declarations_visible_to(request.user).get(pk=declaration.pk)
        return Response(s.DeclarationSerializer(declaration).data)


class CusresEdifactApi(TosAPIView):
    """An EDIFACT CUSRES interchange (raw body or a multipart ``file``): every customs response
    in it is applied, all or none; the answer lists what each did and the reader's warnings."""

    permission_classes = [IsCustoms]
    parser_classes = [parsers.MultiPartParser, parsers.FileUploadParser]

    @extend_schema(
        request={"application/edifact": OpenApiTypes.BINARY},
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request: Any) -> Response:
        from customs.cusres import cusres_apply

        raw = _upload_bytes(request)
        result = cusres_apply(terminal=_terminal(request), data=raw, by=request.user)
        return Response(result)


def _upload_bytes(request: Any) -> bytes:
    upload = request.FILES.get("file")
    if upload is not None:
        if upload.size > MAX_EDIFACT_BYTES:
            raise _too_big()
        return upload.read()
    body = request.body
    if len(body) > MAX_EDIFACT_BYTES:
        raise _too_big()
    if not body.strip():
        raise _invalid("file", "Send the CUSRES interchange as the body or a 'file' part.")
    return body


def _too_big() -> ApplicationError:
    return ApplicationError(
        "payload_too_large",
        f"file: a CUSRES file is at most {MAX_EDIFACT_BYTES // 1024} KiB.",
        details={"file": ["Too large."]},
        status=413,
    )


class ReadingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Sensor readings. ``POST`` one reading or ``{"readings": [...]}`` (at most 500; all or
    none): 201 with ``created`` (and ``replayed``) counts; the same sensor and external id again
    with the same content is a replay, with other content 409 ``reading_conflict``."""

    queryset = SensorReading.objects.none()
    serializer_class = s.ReadingSerializer
    permission_classes = [IsCustoms]
    ordering = ["-taken_at", "-id"]
    filterset_fields = ["kind", "alarm", "unit", "lot", "sensor_id"]

    def scoped_queryset(self) -> QuerySet[SensorReading]:
        return selectors.readings_visible_to(self.request.user)

    def _item(self, raw: Any, prefix: str) -> dict[str, Any]:
        """One reading validated (envelope, subject rule, the kind's payload), not resolved."""

        def named(errors: dict[str, Any]) -> ValidationError:
            return ValidationError({f"{prefix}{k}" if prefix else k: v for k, v in errors.items()})

        data = s.ReadingInSerializer(data=raw)
        if not data.is_valid():
            raise named(data.errors)
        v = dict(data.validated_data)
        kind = v["kind"]
        subject = "container" if "container" in v else "lot"
        allowed = SUBJECTS[kind]
        if (subject == "container" and "unit" not in allowed) or (
            subject == "lot" and "lot" not in allowed
        ):
            need = "a container" if "unit" in allowed else "a bulk lot"
            raise named({subject: [f"A {kind} reading is about {need}."]})
        try:
            v["payload"] = payload_validate(kind, v["payload"])
        except ValidationError as exc:
            raise named(exc.detail) from exc
        if subject == "container":
            v["container"] = v["container"].upper()
        v["prefix"] = prefix
        return v

    def _resolve(self, terminal: Terminal, items: list[dict[str, Any]]) -> None:
        """Replace container numbers and lot references by their rows, in two queries."""
        numbers = {v["container"] for v in items if "container" in v}
        units = {
            u.container.number: u
            for u in units_visible_to(self.request.user)
            .filter(terminal=terminal, container__number__in=numbers)
            .exclude(state__in=["departed", "cancelled"])
        }
        refs = {v["lot"] for v in items if "lot" in v}
        lots = {
            lot.reference: lot
            for lot in BulkLot.objects.filter(terminal=terminal, reference__in=refs)
        }
        for v in items:
            prefix = v.pop("prefix")
            if "container" in v:
                number = v.pop("container")
                if number not in units:
                    raise ValidationError(
                        {f"{prefix}container": [f"There is no active unit {number}."]}
                    )
                v["unit"] = units[number]
            else:
                ref = v.pop("lot")
                if ref not in lots:
                    raise ValidationError({f"{prefix}lot": [f"There is no bulk lot {ref}."]})
                v["lot"] = lots[ref]

    @extend_schema(request=s.ReadingInSerializer, responses={201: OpenApiTypes.OBJECT})
    def create(self, request: Any) -> Response:
        terminal = _terminal(request)
        body = request.data
        if isinstance(body, dict) and "readings" in body:
            batch = s.ReadingBatchSerializer(data=body)
            batch.is_valid(raise_exception=True)
            raws = batch.validated_data["readings"]
            items = [self._item(r, f"readings[{i}].") for i, r in enumerate(raws)]
        else:
            items = [self._item(body, "")]
        self._resolve(terminal, items)
        results = services.readings_ingest(terminal=terminal, items=items, by=request.user)
        created = sum(1 for _, c in results if c)
        return Response(
            {
                "created": created,
                "replayed": len(results) - created,
                "readings": s.ReadingSerializer([r for r, _ in results], many=True).data,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class LotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """Bulk cargo lots inspected in step with their discharge."""

    queryset = BulkLot.objects.none()
    serializer_class = s.LotSerializer
    permission_classes = [MayReportDischarge]
    ordering = ["-created_at", "-id"]
    filterset_fields = ["status"]

    def scoped_queryset(self) -> QuerySet[BulkLot]:
        user = self.request.user
        if self.request.method != "GET" and user.is_terminal_staff:
            return BulkLot.objects.filter(terminal=_terminal(self.request))
        return selectors.lots_visible_to(user)

    @extend_schema(request=s.LotCreateSerializer, responses={201: s.LotSerializer})
    def create(self, request: Any) -> Response:
        data = s.LotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        terminal = _terminal(request)
        visit = (
            vessel_visits_visible_to(request.user)
            .filter(terminal=terminal, reference=v.pop("vessel_visit"))
            .first()
        )
        if visit is None:
            raise _invalid("vessel_visit", "There is no such vessel visit at this terminal.")
        lot = services.bulk_lot_create(terminal=terminal, vessel_visit=visit, by=request.user, **v)
        return Response(s.LotSerializer(lot).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LotProgressSerializer, responses=s.LotSerializer)
    @action(detail=True, methods=["post"])
    def progress(self, request: Any, pk: str | None = None) -> Response:
        """Record one discharge window; ``last`` completes the lot and assesses it."""
        lot = self.get_object()
        data = s.LotProgressSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.bulk_lot_progress(lot=lot, by=request.user, **data.validated_data)
        return Response(s.LotSerializer(BulkLot.objects.get(pk=pk)).data)


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """The ranked inspection queue (highest risk first) and each case's evidence."""

    queryset = InspectionCase.objects.none()
    serializer_class = s.CaseSerializer
    permission_classes = [IsCustoms]

    def scoped_queryset(self) -> QuerySet[InspectionCase]:
        return selectors.cases_visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        if self.action != "list":
            return queryset  # a closed case stays readable by its id
        params = self.request.query_params
        wanted = params.get("status", "active")
        if wanted == "active":
            queryset = queryset.filter(status__in=CASE_ACTIVE)
        elif wanted in CaseStatus.values:
            queryset = queryset.filter(status=wanted)
        elif wanted != "all":
            raise _invalid("status", "active, all, or one of " + ", ".join(CaseStatus.values))
        level = params.get("level")
        if level:
            if level not in RiskLevel.values:
                raise _invalid("level", "One of " + ", ".join(RiskLevel.values))
            queryset = queryset.filter(assessment__level=level)
        subject = params.get("subject")
        if subject in ("unit", "lot"):
            queryset = queryset.filter(**{f"{subject}__isnull": False})
        elif subject:
            raise _invalid("subject", "unit or lot")
        return queryset.order_by("-priority", "opened_at", "pk")

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, description="active (default), all or a status"),
            OpenApiParameter("level", str, description="low, medium or high"),
            OpenApiParameter("subject", str, description="unit or lot"),
        ]
    )
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request: Any, pk: str | None = None) -> Response:
        return Response(selectors.case_detail(case=self.get_object()))

    @extend_schema(request=s.DecideSerializer, responses={201: s.DecisionSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Any, pk: str | None = None) -> Response:
        """An officer's decision: release, hold, examine or sample, with a reason."""
        case = self.get_object()
        data = s.DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = services.inspection_decide(
            case=case, officer=request.user, **data.validated_data
        )
        return Response(s.DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    """The audit trail of customs decisions (who, when, what, why)."""

    queryset = Decision.objects.none()
    serializer_class = s.DecisionSerializer
    permission_classes = [IsCustoms]
    ordering = ["-at", "-id"]
    filterset_fields = ["action", "source", "case", "unit", "lot", "declaration"]

    def scoped_queryset(self) -> QuerySet[Decision]:
        return selectors.decisions_visible_to(self.request.user)


class SnapshotApi(TosAPIView):
    """The console's starting point: the active queue (ranked) and the event ``seq`` it
    reflects; the page then follows ``customs`` events from that seq."""

    permission_classes = [IsCustoms]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Any) -> Response:
        return Response(selectors.console_snapshot(user=request.user, terminal=_terminal(request)))


class StatusApi(TosAPIView):
    """``?container=``: is the box released by customs? Agents of its line, customs and
    terminal staff see the declarations and holds; a haulier with a pick-up of it sees only
    ``customs_released``. Anyone else: 404."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("container", str, required=True)],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Any) -> Response:
        number = request.query_params.get("container", "").strip().upper()
        if not (len(number) == 11 and number[:4].isalpha() and number[4:].isdigit()):
            raise _invalid("container", "An ISO 6346 container number, e.g. MSCU1234565.")
        units, scope = selectors.status_units_for(
            user=request.user, terminal=_terminal(request), container=number
        )
        if not units:
            raise ApplicationError("not_found", f"container: no unit {number} for you.", status=404)
        status_ = selectors.unit_customs_status(unit=units[0])
        if scope == "released_only":
            status_ = {k: status_[k] for k in ("container", "customs_released")}
        return Response(status_)
