"""Gate API under ``/api/v1/gate/``: appointment slots, appointments (book, move, cancel),
pre-advices (with the pick-up PIN), truck visits (gate-in, gate-out, EIR). Every POST honours
``Idempotency-Key``; gate-in and gate-out require it, so a lane that retries after a timeout
gets the first answer again instead of a second visit."""

from __future__ import annotations

from typing import Any

from django.db import OperationalError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, parsers, permissions, status
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer, StaticHTMLRenderer
from rest_framework.response import Response

from gate import selectors, services
from gate.api import serializers as s
from gate.eir import eir_pdf
from gate.filters import (
    AppointmentFilter,
    CodecoFilter,
    PreAdviceFilter,
    SlotFilter,
    TruckVisitFilter,
)
from gate.models import (
    Appointment,
    AppointmentSlot,
    CodecoMessage,
    CoparnUpload,
    GateLane,
    GateTransaction,
    PreAdvice,
    TruckVisit,
)
from tos.core.api.base import IDEMPOTENCY_HEADER, IsTerminalStaff, TosAPIView, TosViewSet
from tos.core.choices import OrganisationKind
from tos.core.errors import ApplicationError
from tos.core.models import Organisation
from tos.core.selectors import terminal_for_user


def _terminal(request: Any):
    terminal = terminal_for_user(request.user)
    if terminal is None:
        raise ApplicationError("not_found", "There is no terminal yet.", status=404)
    return terminal


def _invalid(field: str, message: str) -> ApplicationError:
    return ApplicationError("validation_error", f"{field}: {message}", details={field: [message]})


def _line(code: str) -> Organisation | None:
    if not code:
        return None
    line = Organisation.objects.filter(code=code.upper(), kind=OrganisationKind.LINE).first()
    if line is None:
        raise _invalid("line", f"There is no shipping line {code[:6]!r}.")
    return line


def _require_key(request: Any) -> None:
    if not request.headers.get(IDEMPOTENCY_HEADER):
        raise ApplicationError(
            "idempotency_key_required",
            f"Gate transactions need an {IDEMPOTENCY_HEADER} header (one per truck and lane "
            "event), so that a retry never creates a second visit.",
            details={IDEMPOTENCY_HEADER: ["Required."]},
            status=428,
        )


#: PostgreSQL SQLSTATEs of a transaction that lost a lock race (deadlock, serialization).
_RETRYABLE = {"40P01", "40001"}


class PdfRenderer(BaseRenderer):
    """``application/pdf`` for clients that ask for it; an error body is still JSON bytes."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class EdifactRenderer(BaseRenderer):
    """``application/edifact`` downloads; an error body is still JSON bytes."""

    media_type = "application/edifact"
    format = "edi"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


class GateViewSet(TosViewSet):
    """Gate resources. A transaction that PostgreSQL picks as a deadlock victim (a gate lane
    racing a yard or holds service on the same rows) has changed nothing; it answers 409
    ``retry`` with ``Retry-After`` instead of a 500, and the key is free for the retry."""

    def handle_exception(self, exc: Exception) -> Response:
        cause = getattr(exc, "__cause__", None)
        if isinstance(exc, OperationalError) and getattr(cause, "pgcode", None) in _RETRYABLE:
            response = super().handle_exception(
                ApplicationError(
                    "retry",
                    "The terminal was busy with the same boxes; nothing was changed. Retry.",
                    status=409,
                )
            )
            response["Retry-After"] = "1"
            return response
        return super().handle_exception(exc)


class MayBook(permissions.BasePermission):
    """Terminal staff, and hauliers, agents and lines acting through their organisation."""

    message = "Only terminal staff, hauliers and agents may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS or user.is_terminal_staff:
            return True
        return user.organisation_id is not None and user.organisation.kind in (
            OrganisationKind.HAULIER,
            OrganisationKind.AGENT,
            OrganisationKind.LINE,
        )


class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """Appointment slots (one hour, one transaction type) with their free capacity. Terminal
    staff create a slot or change its capacity with ``POST``."""

    queryset = AppointmentSlot.objects.none()
    serializer_class = s.SlotSerializer
    filterset_class = SlotFilter
    ordering = ["starts_at", "transaction_type"]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsTerminalStaff()]
        return [permissions.IsAuthenticated()]

    def scoped_queryset(self):
        return selectors.slots_visible_to(self.request.user)

    @extend_schema(request=s.SlotSetSerializer, responses={201: s.SlotSerializer})
    def create(self, request: Any) -> Response:
        data = s.SlotSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.appointment_slot_set(
            terminal=_terminal(request), by=request.user, **data.validated_data
        )
        return Response(s.SlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class AppointmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """Truck appointments: ``POST`` books a place in a slot (409 ``slot_full`` when none is left),
    ``move`` takes another slot, ``cancel`` frees the place. Hauliers see their own, agents also
    their lines', terminal staff all."""

    queryset = Appointment.objects.none()
    serializer_class = s.AppointmentSerializer
    permission_classes = [MayBook]
    filterset_class = AppointmentFilter
    ordering = ["slot__starts_at", "id"]
    ordering_fields = ["id", "created_at", "slot__starts_at"]

    def scoped_queryset(self):
        return selectors.appointments_visible_to(self.request.user)

    def _slot(self, slot_id: int) -> AppointmentSlot:
        slot = selectors.slots_visible_to(self.request.user).filter(pk=slot_id).first()
        if slot is None:
            raise _invalid("slot", f"There is no slot {slot_id}.")
        return slot

    @extend_schema(request=s.AppointmentBookSerializer, responses={201: s.AppointmentSerializer})
    def create(self, request: Any) -> Response:
        data = s.AppointmentBookSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        appointment = services.appointment_book(
            slot=self._slot(v["slot"]),
            by=request.user,
            line=_line(v["line"]),
            truck_plate=v["truck_plate"],
            container_number=v["container_number"].upper(),
        )
        body = s.AppointmentSerializer(self.scoped_queryset().get(pk=appointment.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AppointmentMoveSerializer, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Any, pk: str | None = None) -> Response:
        """Move the appointment to another slot of its transaction type."""
        appointment = self.get_object()
        data = s.AppointmentMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_move(
            appointment=appointment, slot=self._slot(data.validated_data["slot"]), by=request.user
        )
        return Response(s.AppointmentSerializer(self.scoped_queryset().get(pk=pk)).data)

    @extend_schema(request=s.AppointmentArriveSerializer, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request: Any, pk: str | None = None) -> Response:
        """The truck reported at the pre-gate and queues for a lane (inside the check-in window;
        409 ``appointment_window`` otherwise)."""
        appointment = self.get_object()
        data = s.AppointmentArriveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_arrive(
            appointment=appointment, truck_plate=data.validated_data["truck_plate"], by=request.user
        )
        return Response(s.AppointmentSerializer(self.scoped_queryset().get(pk=pk)).data)

    @extend_schema(request=None, responses=s.AppointmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: str | None = None) -> Response:
        """Cancel the appointment; its place becomes free."""
        services.appointment_cancel(appointment=self.get_object(), by=request.user)
        return Response(s.AppointmentSerializer(self.scoped_queryset().get(pk=pk)).data)


class PreAdviceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """Pre-advices: export drop-off data or an import pick-up. A pick-up gets its release PIN at
    once when no hold blocks gate-out (else ``pending`` lists the holds; ask again with
    ``issue-pin`` after the release)."""

    queryset = PreAdvice.objects.none()
    serializer_class = s.PreAdviceSerializer
    permission_classes = [MayBook]
    filterset_class = PreAdviceFilter
    ordering = ["-created_at", "-id"]

    def scoped_queryset(self):
        return selectors.pre_advices_visible_to(self.request.user)

    @extend_schema(request=s.PreAdviceCreateSerializer, responses={201: s.PreAdviceSerializer})
    def create(self, request: Any) -> Response:
        data = s.PreAdviceCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        v["line"] = _line(v["line"])
        advice, pending = services.pre_advice_create(
            terminal=_terminal(request), by=request.user, **v
        )
        body = s.PreAdviceSerializer(advice, context={"pending": pending}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.PreAdviceSerializer)
    @action(detail=True, methods=["post"], url_path="issue-pin")
    def issue_pin(self, request: Any, pk: str | None = None) -> Response:
        """Issue the pick-up PIN now (409 ``holds_active`` listing the holds that block it)."""
        advice = services.pre_advice_issue_pin(advice=self.get_object(), by=request.user)
        return Response(s.PreAdviceSerializer(advice).data)

    @extend_schema(request=None, responses=s.PreAdviceSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Any, pk: str | None = None) -> Response:
        advice = services.pre_advice_cancel(advice=self.get_object(), by=request.user)
        return Response(s.PreAdviceSerializer(advice).data)


class TruckVisitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """Truck visits. ``gate-in`` (gate clerks and OCR portals; ``Idempotency-Key`` required)
    answers 201 with ``status`` ``accepted`` (each box with its yard position, or
    ``no_position_yet``) or ``refused`` with every reason; ``gate-out`` records the EIR and the
    turn time (409 ``gate_out_blocked`` while a hold blocks a box); ``eir`` is the printable
    EIR page."""

    queryset = TruckVisit.objects.none()
    serializer_class = s.TruckVisitSerializer
    filterset_class = TruckVisitFilter
    ordering = ["-gate_in_at", "-id"]

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsTerminalStaff()]
        return [permissions.IsAuthenticated()]

    def scoped_queryset(self):
        return selectors.truck_visits_visible_to(self.request.user).prefetch_related(
            Prefetch("transactions", queryset=GateTransaction.objects.order_by("pk"))
        )

    def _lane(self, request: Any, name: str) -> GateLane:
        lane = GateLane.objects.filter(terminal=_terminal(request), name=name).first()
        if lane is None:
            raise _invalid("lane", f"There is no lane {name[:20]!r} at your terminal.")
        return lane

    @extend_schema(request=s.GateInSerializer, responses={201: s.TruckVisitSerializer})
    @action(detail=False, methods=["post"], url_path="gate-in")
    def gate_in(self, request: Any) -> Response:
        """Check a truck in at a lane: accepted with positions or refused with every reason."""
        _require_key(request)
        data = s.GateInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        visit = services.truck_visit_gate_in(
            terminal=_terminal(request),
            lane=self._lane(request, v["lane"]),
            truck_plate=v["truck_plate"],
            driver_name=v["driver_name"],
            driver_licence=v["driver_licence"],
            appointment_ref=v["appointment"],
            containers=v["containers"],
            manual=v["manual"],
            by=request.user,
        )
        body = s.TruckVisitSerializer(self.scoped_queryset().get(pk=visit.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.GateOutSerializer, responses=s.TruckVisitSerializer)
    @action(detail=True, methods=["post"], url_path="gate-out")
    def gate_out(self, request: Any, pk: str | None = None) -> Response:
        """Let the truck out: holds checked, EIR number and turn time recorded."""
        _require_key(request)
        visit = self.get_object()
        data = s.GateOutSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.truck_visit_gate_out(
            visit=visit,
            lane=self._lane(request, data.validated_data["lane"]),
            manual=data.validated_data["manual"],
            by=request.user,
        )
        return Response(s.TruckVisitSerializer(self.scoped_queryset().get(pk=pk)).data)

    @extend_schema(responses={(200, "text/html"): OpenApiResponse(response=OpenApiTypes.STR)})
    @action(detail=True, methods=["get"], renderer_classes=[StaticHTMLRenderer, JSONRenderer])
    def eir(self, request: Any, pk: str | None = None) -> Response:
        """The equipment interchange receipt as a printable HTML page (with a PDF link)."""
        visit = self.get_object()
        html = render_to_string(
            "gate/eir.html",
            {
                "visit": visit,
                "transactions": list(visit.transactions.select_related("unit__container")),
                "terminal": visit.terminal,
                "printed_at": timezone.now(),
                "pdf_url": request.path.rstrip("/").removesuffix("/eir") + "/eir.pdf",
            },
        )
        return Response(html, content_type="text/html; charset=utf-8")

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(response=OpenApiTypes.BINARY)}
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="eir.pdf",
        url_name="eir-pdf",
        renderer_classes=[JSONRenderer, PdfRenderer],
    )
    def eir_pdf(self, request: Any, pk: str | None = None) -> HttpResponse:
        """The equipment interchange receipt as a PDF (A4), to print or send to the haulier."""
        visit = self.get_object()
        body = eir_pdf(
            visit=visit,
            transactions=list(visit.transactions.select_related("unit__container").order_by("pk")),
            printed_at=timezone.now(),
        )
        name = visit.eir_number or f"visit-{visit.pk}"
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response


class CodecoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """CODECO gate-in (BGM 34) and gate-out (BGM 36) reports the terminal wrote, one per truck
    visit and line. A line or its agent sees only its own lines' messages (others' are 404).
    Poll with ``?since=<ISO time>`` or ``?after_id=<last id>``; ``edi`` downloads one message as
    an EDIFACT file."""

    queryset = CodecoMessage.objects.none()
    serializer_class = s.CodecoSerializer
    filterset_class = CodecoFilter
    ordering = ["id"]
    ordering_fields = ["id", "created_at"]

    def scoped_queryset(self):
        return selectors.codeco_visible_to(self.request.user)

    @extend_schema(
        responses={(200, "application/edifact"): OpenApiResponse(response=OpenApiTypes.STR)}
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, EdifactRenderer])
    def edi(self, request: Any, pk: str | None = None) -> HttpResponse:
        """The message as an EDIFACT file (``<reference>.edi``)."""
        message = self.get_object()
        response = HttpResponse(message.message.encode("latin-1", "replace"))
        response["Content-Type"] = "application/edifact"
        response["Content-Disposition"] = f'attachment; filename="{message.reference}.edi"'
        return response


class RawEdifactParser(parsers.BaseParser):
    """A COPARN sent as the request body itself."""

    media_type = "*/*"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> bytes:
        return stream.read(services.COPARN_MAX_BYTES + 1)


class CoparnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, GateViewSet):
    """COPARN container announcements: ``POST`` a file (multipart field ``file``, or the file as
    the body); each announced container becomes a pre-advice or updates its open one. 201 with
    the EDI validation report and what was created, updated or refused per container; 200 with
    the first upload when the same content comes again; 422 ``edi_invalid`` (report in
    ``details.report``) when the file has errors, and nothing changes."""

    queryset = CoparnUpload.objects.none()
    serializer_class = s.CoparnUploadSerializer
    permission_classes = [MayBook]
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, RawEdifactParser]
    ordering = ["-uploaded_at", "-id"]

    def scoped_queryset(self):
        return selectors.coparn_uploads_visible_to(self.request.user)

    @extend_schema(
        request={
            "multipart/form-data": s.CoparnInputSerializer,
            "application/edifact": OpenApiTypes.BINARY,
        },
        responses={201: s.CoparnUploadSerializer, 200: s.CoparnUploadSerializer},
    )
    def create(self, request: Any) -> Response:
        if isinstance(request.data, bytes):
            data, filename, line_code = request.data, "", request.query_params.get("line", "")
        else:
            form = s.CoparnInputSerializer(data=request.data)
            form.is_valid(raise_exception=True)
            upload = form.validated_data.get("file")
            if upload is None:
                raise _invalid("file", "Send the COPARN: multipart field 'file', or as the body.")
            data, filename = upload.read(services.COPARN_MAX_BYTES + 1), upload.name or ""
            line_code = form.validated_data["line"]
        if not data:
            raise _invalid("file", "The file is empty.")
        upload, replayed = services.coparn_receive(
            terminal=_terminal(request),
            data=data,
            by=request.user,
            line=_line(str(line_code)[:6]),
            filename=filename,
        )
        body = s.CoparnUploadSerializer(upload, context={"replayed": replayed}).data
        return Response(body, status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED)


class GateScreenApi(TosAPIView):
    """The live gate screen's snapshot: lanes, the queue at the pre-gate, the truck visits of the
    last 24 hours and every truck in the terminal, with the event ``seq`` it reflects (apply
    ``gate`` events after it). Terminal staff only."""

    permission_classes = [IsTerminalStaff]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Any) -> Response:
        response = Response(selectors.gate_screen_snapshot(terminal=_terminal(request)))
        response["Cache-Control"] = "no-store"
        return response
