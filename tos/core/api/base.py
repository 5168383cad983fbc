"""API base classes: tenant scoping in one place and ``Idempotency-Key`` on every POST.

Every API view of the project inherits :class:`TosAPIView` or :class:`TosViewSet` (a test walks
the URL conf to make sure). Scoping is the primary control: ``get_queryset`` returns only what the
caller may see, so another line's object answers 404 on detail routes, never appears in lists and
cannot be reached by filters.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import mixins, parsers, permissions, viewsets
from rest_framework.exceptions import APIException, ParseError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from tos.core.api.errors import error_body
from tos.core.choices import IdempotencyState
from tos.core.errors import ApplicationError
from tos.core.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"


class IsTerminalStaff(permissions.BasePermission):
    """Terminal staff (planner, operator, gate clerk, customs officer, admin) only."""

    message = "Only terminal staff may do this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_terminal_staff)


class StaffWritesOrReadOnly(permissions.BasePermission):
    """Everyone signed in reads; only terminal staff write."""

    message = "Only terminal staff may change this."

    def has_permission(self, request: Any, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in permissions.SAFE_METHODS or user.is_terminal_staff


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


class JSONParser(parsers.JSONParser):
    """JSON that the models can hold: numbers that overflow to infinity (``1e400``), ``NaN``
    and nesting deeper than the interpreter's recursion limit answer 400 ``parse_error``
    instead of failing later with a 500."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_float=_finite_float,
                parse_constant=_no_constant,
            )
        except (ValueError, RecursionError) as exc:
            raise ParseError(f"JSON parse error - {str(exc)[:200]}") from exc


API_PARSERS = [JSONParser, parsers.FormParser, parsers.MultiPartParser]


class _IdempotencyReplay(Exception):
    def __init__(self, response: Response) -> None:
        self.response = response


def _fingerprint(request: Any) -> str:
    body = request.body if hasattr(request, "_request") else b""
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + body
    ).hexdigest()


class IdempotencyMixin:
    """Honour ``Idempotency-Key`` on POST (Stripe/IETF-draft semantics).

    * the key is claimed in its own committed transaction, per user;
    * the view then runs in a transaction that also stores its response, so the business writes
      and the stored answer commit together;
    * the same key and body again replays the stored response (header ``Idempotent-Replayed``);
    * the same key with another body answers 422 ``idempotency_key_reused``;
    * while the first request is still running, a retry answers 409 ``idempotency_in_progress``;
    * a request that fails (4xx/5xx) forgets its key, so the client can correct and retry.
    """

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Mirrors APIView.dispatch with one hook around the handler.
        self.args, self.kwargs = args, kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        record = None
        try:
            self.initial(request, *args, **kwargs)
            handler = (
                getattr(self, request.method.lower(), self.http_method_not_allowed)
                if request.method.lower() in self.http_method_names
                else self.http_method_not_allowed
            )
            record = self._idempotency_claim(request)
            if record is None:
                response = handler(request, *args, **kwargs)
            else:
                with transaction.atomic():
                    response = handler(request, *args, **kwargs)
                    if response.status_code >= 400:
                        raise _IdempotencyReplay(response)  # roll back, forget the key
                    body = json.loads(JSONRenderer().render(response.data) or b"null")
                    IdempotencyRecord.objects.filter(pk=record.pk).update(
                        state=IdempotencyState.COMPLETED,
                        response_status=response.status_code,
                        response_body=body,
                    )
                record = None
        except _IdempotencyReplay as replay:
            response = replay.response
        except Exception as exc:
            response = self.handle_exception(exc)
        finally:
            if record is not None:
                IdempotencyRecord.objects.filter(pk=record.pk).delete()
        self.response = self.finalize_response(request, response, *args, **kwargs)
        return self.response

    def _idempotency_claim(self, request: Any) -> IdempotencyRecord | None:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if request.method != "POST" or key is None or not request.user.is_authenticated:
            return None
        if not (0 < len(key) <= 255) or not key.isprintable():
            raise ApplicationError(
                "invalid_idempotency_key",
                f"{IDEMPOTENCY_HEADER} must be 1 to 255 printable characters.",
                details={IDEMPOTENCY_HEADER: ["1 to 255 printable characters."]},
            )
        fingerprint = _fingerprint(request)
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:512],
                    fingerprint=fingerprint,
                )
        except IntegrityError:
            pass
        existing = IdempotencyRecord.objects.filter(user=request.user, key=key).first()
        if existing is not None and existing.created_at < timezone.now() - timedelta(
            hours=settings.TOS_IDEMPOTENCY_TTL_HOURS
        ):
            # An expired key is a new key (the beat task prunes these; this covers the gap).
            IdempotencyRecord.objects.filter(pk=existing.pk).delete()
            return self._idempotency_claim(request)
        if existing is None:  # the other request failed and forgot the key meanwhile
            raise ApplicationError(
                "idempotency_in_progress",
                "A request with this Idempotency-Key was just being processed; retry.",
                status=409,
            )
        if existing.fingerprint != fingerprint:
            raise ApplicationError(
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request; use a new key.",
                details={IDEMPOTENCY_HEADER: ["Used before with a different body or path."]},
                status=422,
            )
        if existing.state == IdempotencyState.IN_PROGRESS:
            raise ApplicationError(
                "idempotency_in_progress",
                "The first request with this Idempotency-Key is still running; retry later.",
                status=409,
            )
        raise _IdempotencyReplay(
            Response(
                existing.response_body,
                status=existing.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        )


class TosAPIView(IdempotencyMixin, APIView):
    """Base for explicit command endpoints."""

    parser_classes = API_PARSERS


class TosViewSet(IdempotencyMixin, viewsets.GenericViewSet):
    """Base for resources. Subclasses implement :meth:`scoped_queryset` (the caller's view of the
    data); ``get_queryset`` is final so that no route can forget the scoping. ``queryset`` is set
    to ``Model.objects.none()`` only to tell the schema generator the model."""

    parser_classes = API_PARSERS

    def scoped_queryset(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no caller
            return self.queryset
        return self.scoped_queryset()

    def permission_denied(self, request: Any, message: Any = None, code: Any = None) -> None:
        """On a detail route, an object outside the caller's scope answers 404 before any 403:
        a refusal must not confirm that another line's object exists (DESIGN.md §5.7)."""
        lookup = self.lookup_url_kwarg or self.lookup_field
        if (
            request.user
            and request.user.is_authenticated
            and lookup in self.kwargs
            and not getattr(self, "_scope_checked", False)
        ):
            self._scope_checked = True
            self.get_object()  # Http404 for what the caller may not see
        super().permission_denied(request, message=message, code=code)


class TosReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TosViewSet):
    pass


def api_error(code: str, message: str, status: int = 400, **details: Any) -> Response:
    return Response(error_body(code, message, details), status=status)


__all__ = [
    "APIException",
    "IsTerminalStaff",
    "StaffWritesOrReadOnly",
    "TosAPIView",
    "TosReadOnlyViewSet",
    "TosViewSet",
    "api_error",
]
