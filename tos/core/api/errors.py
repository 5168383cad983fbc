"""One error shape for the whole API: ``{"code", "message", "details"}``.

Every exception a client can provoke maps to a 4xx with a stable code; the message names the
field and the rule.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.db import IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from tos.core.errors import ApplicationError

_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "parse_error",
}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF error detail → ``{"field.sub": [messages]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and detail and all(isinstance(d, str) for d in detail):
        out[prefix or "non_field_errors"] = [str(d) for d in detail]
    elif isinstance(detail, list):
        for i, value in enumerate(detail):
            if value:
                out.update(_flatten(value, f"{prefix}[{i}]" if prefix else f"[{i}]"))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"code": code, "message": message, "details": details or {}}


def _validation_message(details: dict[str, list[str]]) -> str:
    parts = [f"{field}: {msgs[0]}" for field, msgs in details.items()]
    return "Invalid input. " + "; ".join(parts[:5]) + ("; …" if len(parts) > 5 else "")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the project's error shape."""
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status)
    if isinstance(exc, ValidationError):
        details = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        set_rollback()
        return Response(
            error_body("validation_error", _validation_message(details), details), status=400
        )
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        set_rollback()
        return Response(
            error_body("validation_error", _validation_message(details), details), status=400
        )
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("payload_too_large", "The request body is too large."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, IntegrityError):
        set_rollback()
        return Response(
            error_body("conflict", "The change conflicts with existing data."), status=409
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        code = next(
            (c for klass, c in _CODES.items() if isinstance(exc, klass)),
            str(getattr(exc, "default_code", "error")),
        )
        detail = exc.detail
        message = str(detail) if not isinstance(detail, dict | list) else code
        set_rollback()
        return Response(error_body(code, message), status=exc.status_code, headers=headers)
    return None
