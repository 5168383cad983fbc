"""Every route under ``/api/v1/`` is served by a view of the scoping base classes.

Scoping (``TosViewSet.get_queryset``) and ``Idempotency-Key`` handling live in
``tos.core.api.base``; a view that does not inherit them could leak another line's data or
execute a retried POST twice. Walking the URL resolver catches a route that forgot them.
"""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, get_resolver

from tos.core.api.base import TosAPIView, TosViewSet

API_PREFIX = "api/v1/"


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _view_class(callback):
    """The class behind a URL callback (DRF sets ``cls``, Django class views ``view_class``)."""
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def _api_routes() -> list[tuple[str, URLPattern]]:
    return [
        (route, pattern)
        for route, pattern in _walk(get_resolver().url_patterns)
        if route.lstrip("^").startswith(API_PREFIX)
    ]


def test_the_resolver_has_the_kernel_routes_under_api_v1():
    names = {pattern.name for _, pattern in _api_routes()}
    expected = {
        "auth-token",
        "api-root",
        "terminal-list",
        "terminal-detail",
        "terminal-summary",
        "organisation-list",
        "organisation-detail",
        "vessel-list",
        "vessel-detail",
        "vesselvisit-list",
        "vesselvisit-detail",
        "vesselvisit-transition",
        "container-list",
        "container-detail",
        "unit-list",
        "unit-detail",
        "unit-transition",
        "unit-hold-check",
        "hold-list",
        "hold-detail",
        "hold-release",
        "event-list",
        "solverrun-list",
        "solverrun-detail",
        "solverrun-cancel",
    }
    assert expected <= names, sorted(expected - names)


def test_every_api_v1_route_is_served_by_a_scoped_idempotent_view_class():
    routes = _api_routes()
    unscoped = sorted(
        f"{route} -> {_view_class(pattern.callback)!r}"
        for route, pattern in routes
        if not (
            isinstance(cls := _view_class(pattern.callback), type)
            and issubclass(cls, TosViewSet | TosAPIView)
        )
    )
    assert len(routes) > 20
    assert unscoped == []


def test_every_api_v1_viewset_route_uses_the_final_get_queryset_of_tos_viewset():
    overriding = sorted(
        {
            cls.__qualname__
            for _, pattern in _api_routes()
            if isinstance(cls := _view_class(pattern.callback), type)
            and issubclass(cls, TosViewSet)
            and cls.get_queryset is not TosViewSet.get_queryset
        }
    )
    assert overriding == []
