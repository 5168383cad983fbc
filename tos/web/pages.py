"""A small helper for module index pages: titled tables built from selectors."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@dataclass
class Section:
    """One table on a module page."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    empty: str = "Nothing here yet."
    note: str = ""
    total: int | None = None
    links: list[tuple[str, str]] = field(default_factory=list)


def table(
    title: str,
    columns: Iterable[str],
    objects: Iterable[Any],
    row: Callable[[Any], list[Any]],
    **kwargs: Any,
) -> Section:
    return Section(title=title, columns=list(columns), rows=[row(o) for o in objects], **kwargs)


def module_page(
    title: str,
    intro: str,
    build: Callable[[Any], list[Section]],
    actions: Sequence[tuple[str, str]] = (),
) -> Callable:
    """A login-protected view rendering ``web/module_index.html`` with ``build(request)``;
    ``actions`` are (url name, label) links to the module's working pages (those only staff may
    open are not shown to others)."""

    @login_required
    def view(request: Any) -> Any:
        from tos.web.context_processors import STAFF_ONLY

        staff = getattr(request.user, "is_terminal_staff", False)
        shown = [a for a in actions if staff or a[0] not in STAFF_ONLY]
        return render(
            request,
            "web/module_index.html",
            {"title": title, "intro": intro, "sections": build(request), "actions": shown},
        )

    return view
