"""Pagination: page numbers everywhere (``?page=``, ``?page_size=`` up to 500)."""

from rest_framework import pagination
from rest_framework.exceptions import NotFound

from tos.core.errors import ApplicationError


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        """A bad ``?page=`` names the parameter: 400 when it is not a page number at all, 404
        when that page does not exist."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as exc:
            raw = request.query_params.get(self.page_query_param, "")
            if raw in self.last_page_strings:
                raise
            if not (raw.isascii() and raw.isdigit() and raw.lstrip("0")):
                raise ApplicationError(
                    "validation_error",
                    f"page: {raw[:40]!r} is not a page number; pages are whole numbers from 1.",
                    details={self.page_query_param: ["A whole number, 1 or more."]},
                ) from exc
            raise ApplicationError(
                "not_found",
                f"page: there is no page {raw[:40]}.",
                details={self.page_query_param: [f"No page {raw[:40]}."]},
                status=404,
            ) from exc
