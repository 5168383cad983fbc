"""Reads of the shared kernel. Every list an API or page shows for a user goes through the
``*_visible_to`` selectors, so tenant scoping lives in one place."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from tos.core.choices import (
    UNIT_ACTIVE_STATES,
    VISIT_EXPECTED,
    VISIT_IN_PORT,
    HoldEvent,
    OrganisationKind,
    UnitState,
)
from tos.core.models import (
    Container,
    ContainerVisit,
    Event,
    Hold,
    Organisation,
    SolverRun,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)


def user_line_ids(user: User) -> frozenset[int]:
    """The shipping lines whose data an agent may see: its own organisation if that is a line,
    plus every line the organisation represents. Cached on the user object per request."""
    cached = getattr(user, "_tos_line_ids", None)
    if cached is not None:
        return cached
    ids: set[int] = set()
    if user.organisation_id:
        org = user.organisation
        if org.kind == OrganisationKind.LINE:
            ids.add(org.pk)
        ids.update(org.represents.values_list("pk", flat=True))
    result = frozenset(ids)
    user._tos_line_ids = result
    return result


def user_sees_all_lines(user: User) -> bool:
    return bool(user.is_authenticated and user.is_terminal_staff)


def terminal_for_user(user: User) -> Terminal | None:
    """The terminal a user works at: their own, or the only/first one of this installation."""
    if user.terminal_id:
        return user.terminal
    return Terminal.objects.order_by("pk").first()


def terminals_visible_to(user: User) -> QuerySet[Terminal]:
    if user.terminal_id and not user.is_superuser:
        return Terminal.objects.filter(pk=user.terminal_id)
    return Terminal.objects.all()


def scope_by_line(qs: QuerySet, user: User, line_field: str) -> QuerySet:
    """Restrict ``qs`` to the caller's lines unless the caller is terminal staff."""
    if user_sees_all_lines(user):
        if (
            user.terminal_id
            and not user.is_superuser
            and "terminal" in {f.name for f in qs.model._meta.get_fields()}
        ):
            return qs.filter(terminal_id=user.terminal_id)
        return qs
    return qs.filter(**{f"{line_field}__in": user_line_ids(user)})


def organisations_visible_to(user: User) -> QuerySet[Organisation]:
    qs = Organisation.objects.prefetch_related("represents")
    if user_sees_all_lines(user):
        return qs
    return qs.filter(Q(pk=user.organisation_id) | Q(pk__in=user_line_ids(user)))


def vessels_visible_to(user: User) -> QuerySet[Vessel]:
    """Vessels are public master data (IMO register); everyone signed in may read them."""
    return Vessel.objects.select_related("operator_line")


def vessel_visits_visible_to(user: User) -> QuerySet[VesselVisit]:
    qs = VesselVisit.objects.select_related("vessel", "line", "terminal")
    return scope_by_line(qs, user, "line")


def units_visible_to(user: User) -> QuerySet[ContainerVisit]:
    qs = ContainerVisit.objects.select_related(
        "container", "line", "inbound_visit", "outbound_visit", "position_visit"
    ).annotate(
        # A correlated subquery, not JOIN + GROUP BY: cheap per page, and the pagination count
        # query drops it entirely.
        active_hold_count=Coalesce(
            Subquery(
                Hold.objects.filter(unit=OuterRef("pk"), released_at__isnull=True)
                .order_by()
                .values("unit")
                .annotate(n=Count("pk"))
                .values("n")
            ),
            0,
        )
    )
    return scope_by_line(qs, user, "line")


def containers_visible_to(user: User) -> QuerySet[Container]:
    qs = Container.objects.select_related("owner_line")
    if user_sees_all_lines(user):
        return qs
    lines = user_line_ids(user)
    return qs.filter(Q(owner_line__in=lines) | Q(visits__line__in=lines)).distinct()


def holds_visible_to(user: User) -> QuerySet[Hold]:
    qs = Hold.objects.select_related("unit__container", "applied_by", "released_by")
    return scope_by_line(qs, user, "unit__line")


def events_visible_to(user: User, terminal: Terminal) -> QuerySet[Event]:
    qs = Event.objects.filter(terminal=terminal)
    if user_sees_all_lines(user):
        return qs
    return qs.filter(line__in=user_line_ids(user))


def solver_runs_visible_to(user: User) -> QuerySet[SolverRun]:
    """Solver runs are planning work: terminal staff see them all, others only their own."""
    qs = SolverRun.objects.all()
    if user_sees_all_lines(user):
        return qs
    return qs.filter(requested_by=user)


def unit_get_for_update(*, unit_id: int) -> ContainerVisit:
    return (
        ContainerVisit.objects.select_for_update()
        .select_related("container", "line")
        .get(pk=unit_id)
    )


@dataclass(frozen=True)
class HoldDecision:
    """The answer to "may event E happen to unit U": allowed, or the holds that block it."""

    unit_id: int
    event: str
    allowed: bool
    blocking: list[Hold] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [
            f"{h.get_kind_display()} hold"
            + (f" {h.reference}" if h.reference else "")
            + f": {h.reason}"
            for h in self.blocking
        ]


def unit_event_check(*, unit: ContainerVisit, event: str) -> HoldDecision:
    """The holds engine's one question: may ``event`` (gate_out, loading, discharge, delivery)
    happen to ``unit`` now, and if not, which active holds block it."""
    if event not in HoldEvent.values:
        raise ValueError(f"unknown hold event {event!r}; one of {', '.join(HoldEvent.values)}")
    blocking = list(
        Hold.objects.filter(unit=unit, released_at__isnull=True, **{f"blocks_{event}": True})
        .select_related("applied_by")
        .order_by("applied_at", "pk")
    )
    return HoldDecision(unit_id=unit.pk, event=event, allowed=not blocking, blocking=blocking)


def terminal_summary(*, terminal: Terminal, user: User) -> dict[str, Any]:
    """The home dashboard's live numbers, scoped to what the user may see."""
    now = timezone.now()
    # The seq is read first: every event up to it is reflected in the numbers below.
    seq = Terminal.objects.filter(pk=terminal.pk).values_list("event_seq", flat=True).get()
    visits = vessel_visits_visible_to(user).filter(terminal=terminal)
    units = scope_by_line(ContainerVisit.objects.filter(terminal=terminal), user, "line")
    by_category = {
        row["category"]: row["n"]
        for row in units.filter(state=UnitState.ON_TERMINAL)
        .values("category")
        .annotate(n=Count("pk"))
        .order_by()
    }
    holds = scope_by_line(
        Hold.objects.filter(terminal=terminal, released_at__isnull=True), user, "unit__line"
    )
    return {
        "terminal": {"id": terminal.pk, "name": terminal.name, "locode": terminal.locode},
        "seq": seq,
        "vessels_in_port": visits.filter(phase__in=VISIT_IN_PORT).count(),
        "vessels_expected": visits.filter(
            phase__in=VISIT_EXPECTED, eta__lte=now + timedelta(days=7)
        ).count(),
        "units_on_terminal": sum(by_category.values()),
        "units_by_category": by_category,
        "units_active": units.filter(state__in=UNIT_ACTIVE_STATES).count(),
        "holds_active": holds.count(),
    }
