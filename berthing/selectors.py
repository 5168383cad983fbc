"""Reads of the berthing app: quay geometry, the lines' berth applications, berth plans, the
solver's view of a plan (:func:`plan_instance`), plan comparison and the berth schedules lines and
the public see.

A visit's requested departure (what lateness is measured against) is its berth application's,
and only without one the visit's ETD (:func:`requested_departure`): publishing a plan rewrites the
visit's ETB and ETD with the planned times, the application keeps what the line asked for."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from berthing import geometry
from berthing.choices import BerthPlanStatus
from berthing.geometry import draft_cm, loa_whole_m
from berthing.models import (
    BerthApplication,
    BerthAssignment,
    BerthPlan,
    BerthSection,
    BerthWindow,
    CraneAllocation,
    LineBerthTerms,
    Quay,
    QuayCrane,
    QuayCraneOutage,
)
from berthing.solvers.check.plan import PlanCheck, check_plan
from berthing.solvers.instance import (
    Assignment,
    Crane,
    CraneShift,
    Instance,
    Placement,
    Section,
    Vessel,
    Window,
)
from berthing.solvers.plan import explain
from tos.core.choices import UnitState, VisitPhase
from tos.core.models import ContainerVisit, Terminal, User, VesselVisit
from tos.core.selectors import scope_by_line, user_sees_all_lines

#: Visits a berth plan can place: expected or in port (not departed, closed or cancelled).
PLANNABLE_PHASES = (
    VisitPhase.PLANNED,
    VisitPhase.INBOUND,
    VisitPhase.ARRIVED,
    VisitPhase.WORKING,
    VisitPhase.COMPLETED,
)
#: Visits that lie at their berth now; a fresh draft locks them where they are.
BERTHED_PHASES = (VisitPhase.WORKING, VisitPhase.COMPLETED)
#: The solver may let a vessel depart this long after its requested ETD (lateness is priced).
HORIZON_SLACK = dt.timedelta(hours=24)
_MINUTE = dt.timedelta(minutes=1)
_WEEK = dt.timedelta(days=7)


# --- berth applications -----------------------------------------------------------------------


def visit_application(visit: VesselVisit) -> BerthApplication | None:
    """The visit's berth application, or None (no query when the queryset selected
    ``berth_application``)."""
    return getattr(visit, "berth_application", None)


def requested_departure(visit: VesselVisit) -> dt.datetime:
    """When the line asked the visit to depart: its application's requested departure, or the
    visit's ETD when it has no application."""
    application = visit_application(visit)
    return application.requested_departure if application is not None else visit.etd


def visit_expected_moves(visit: VesselVisit) -> tuple[int, int]:
    """(discharge, load) moves the call brings: the application's, else the visit's."""
    source = visit_application(visit) or visit
    return source.expected_discharge_moves, source.expected_load_moves


@dataclass(frozen=True)
class PublishedBerth:
    """Where and when a visit lies in its quay's published plan."""

    quay: str
    start_m: int
    end_m: int
    berth_at: dt.datetime
    depart_at: dt.datetime
    plan_version: int


def published_berth(visit: VesselVisit) -> PublishedBerth | None:
    """The visit's berth in the published plan (the earliest if two quays place it), or None.
    Reads ``visit.published_berths`` when :func:`berth_applications_visible_to` prefetched it."""
    rows = getattr(visit, "published_berths", None)
    if rows is None:
        rows = list(
            BerthAssignment.objects.filter(vessel_visit=visit, is_published=True)
            .select_related("quay", "plan")
            .order_by("berth_at", "pk")
        )
    if not rows:
        return None
    a = rows[0]
    return PublishedBerth(
        quay=a.quay.name,
        start_m=a.start_m,
        end_m=a.end_m,
        berth_at=a.berth_at,
        depart_at=a.depart_at,
        plan_version=a.plan.version,
    )


def berth_applications_visible_to(user: User) -> QuerySet[BerthApplication]:
    """Berth applications the user may see: an agent its own lines' (others' are simply absent),
    terminal staff every line's at their terminal. Each visit carries ``published_berths`` (its
    published berth rows, earliest first) for :func:`published_berth`."""
    qs = BerthApplication.objects.select_related(
        "vessel_visit__vessel", "vessel_visit__line", "submitted_by"
    ).prefetch_related(
        Prefetch(
            "vessel_visit__berth_assignments",
            queryset=BerthAssignment.objects.filter(is_published=True)
            .select_related("quay", "plan")
            .order_by("berth_at", "pk"),
            to_attr="published_berths",
        )
    )
    if user.terminal_id and not user.is_superuser:
        qs = qs.filter(vessel_visit__terminal_id=user.terminal_id)
    return scope_by_line(qs, user, "vessel_visit__line")


# --- quay geometry ------------------------------------------------------------------------------


def berth_sections(*, terminal: Terminal | None) -> QuerySet[BerthSection]:
    return BerthSection.objects.filter(quay__terminal=terminal).select_related("quay")


def quay_cranes(*, terminal: Terminal | None) -> QuerySet[QuayCrane]:
    return QuayCrane.objects.filter(quay__terminal=terminal).select_related("quay")


def quay_sections(quay: Quay) -> list[geometry.SectionSpec]:
    """The quay's sections as ``(name, start_m, end_m, depth_cm)``."""
    return [(s.name, s.start_m, s.end_m, int(s.depth_m * 100)) for s in quay.sections.all()]


def depth_problem(*, quay: Quay, start_m: int, end_m: int, draft: int) -> str | None:
    """Why the quay stretch ``[start_m, end_m)`` is too shallow for a draft of ``draft`` cm, or
    None (the plan checker's rule, :func:`berthing.geometry.shallow_parts`)."""
    reasons = geometry.shallow_parts(
        quay_sections(quay), quay_length_m=quay.length_m, start_m=start_m, end_m=end_m, draft=draft
    )
    return " and ".join(reasons) or None


# --- plans --------------------------------------------------------------------------------------


def _plan_queryset() -> QuerySet[BerthPlan]:
    return BerthPlan.objects.select_related(
        "quay", "terminal", "created_by", "published_by", "based_on", "solver_run"
    )


def berth_plan_published(*, quay: Quay) -> BerthPlan | None:
    """The quay's published plan, if it has one."""
    return _plan_queryset().filter(quay=quay, status=BerthPlanStatus.PUBLISHED).first()


def berth_plan_latest_draft(*, quay: Quay) -> BerthPlan | None:
    """The quay's newest draft (highest version), if any."""
    return (
        _plan_queryset()
        .filter(quay=quay, status=BerthPlanStatus.DRAFT)
        .order_by("-version", "-pk")
        .first()
    )


def berth_plans_visible_to(user: User) -> QuerySet[BerthPlan]:
    """Berth plans are the terminal's planning work: staff see their terminal's plans, everyone
    else none (lines see the published schedule through :func:`berth_schedule_visible_to`)."""
    if not user_sees_all_lines(user):
        return BerthPlan.objects.none()
    qs = _plan_queryset()
    if user.terminal_id and not user.is_superuser:
        qs = qs.filter(terminal_id=user.terminal_id)
    return qs


def _assignment_queryset() -> QuerySet[BerthAssignment]:
    return BerthAssignment.objects.select_related(
        "vessel_visit__vessel", "vessel_visit__line", "vessel_visit__berth_application", "quay"
    ).prefetch_related(
        Prefetch(
            "allocations",
            queryset=CraneAllocation.objects.select_related("crane").order_by(
                "start", "crane__rail_order", "pk"
            ),
        )
    )


def berth_plan_detail(*, plan_id: int) -> BerthPlan:
    """One plan with its assignments (visit, vessel, line) and their crane allocations (crane)
    loaded in four queries whatever the plan's size. Raises ``BerthPlan.DoesNotExist``."""
    return (
        _plan_queryset()
        .prefetch_related(
            Prefetch(
                "assignments",
                queryset=_assignment_queryset().order_by("berth_at", "start_m", "pk"),
            )
        )
        .get(pk=plan_id)
    )


def plan_candidate_visits(
    *, quay: Quay, start: dt.datetime, end: dt.datetime
) -> QuerySet[VesselVisit]:
    """Visits of the quay's terminal a plan of ``[start, end)`` should place: expected to
    arrive before ``end`` and not gone before ``start`` by their ETD or requested departure
    (vessels in port always count), and not berthed at another quay by its published plan."""
    elsewhere = BerthAssignment.objects.filter(is_published=True).exclude(quay_id=quay.pk)
    return (
        VesselVisit.objects.filter(
            terminal_id=quay.terminal_id, phase__in=PLANNABLE_PHASES, eta__lt=end
        )
        .filter(
            Q(etd__gt=start)
            | Q(berth_application__requested_departure__gt=start)
            | Q(phase__in=(VisitPhase.ARRIVED, VisitPhase.WORKING, VisitPhase.COMPLETED))
        )
        .exclude(pk__in=elsewhere.values("vessel_visit_id"))
        .select_related("vessel", "line", "berth_application")
        .order_by("eta", "pk")
    )


# --- the solver's view of a plan ----------------------------------------------------------------


@dataclass(frozen=True)
class PlanMapping:
    """How a plan's :class:`Instance` maps back to the database: minutes from ``origin`` (the
    plan's horizon start) to datetimes, vessel ids (``str(visit.pk)``) to visits, crane ids (crane
    names) to cranes. ``revision`` is the plan's revision the instance was built from."""

    plan_id: int
    revision: int
    quay_id: int
    origin: dt.datetime
    clearance_m: int
    visit_ids: Mapping[str, int]
    crane_ids: Mapping[str, int]
    loa_m: Mapping[str, int]

    def minutes(self, moment: dt.datetime, *, up: bool = False) -> int:
        """Whole minutes from the origin, rounded down (or up)."""
        if up:
            return -((self.origin - moment) // _MINUTE)
        return (moment - self.origin) // _MINUTE

    def moment(self, minutes: int) -> dt.datetime:
        return self.origin + dt.timedelta(minutes=minutes)

    def visit_id(self, vessel: str) -> int:
        return self.visit_ids[vessel]

    def crane_id(self, crane: str) -> int:
        return self.crane_ids[crane]

    def end_m(self, vessel: str, start_m: int) -> int:
        """The quay metre where a vessel placed at ``start_m`` stops occupying the quay."""
        return start_m + self.loa_m[vessel] + self.clearance_m


def _weekly_occurrence(window: BerthWindow, k: int, tz: dt.tzinfo) -> tuple[dt.datetime, ...]:
    """The ``k``-th weekly repeat, at the same local wall-clock time in the terminal's zone."""
    local = window.start.astimezone(tz).replace(tzinfo=None) + k * _WEEK
    start = local.replace(tzinfo=tz)
    return start, start + (window.end - window.start)


def window_occurrence(
    window: BerthWindow, *, near: dt.datetime, tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime] | None:
    """The occurrence of ``window`` whose start is nearest ``near`` (a visit's ETA), or None when
    none starts within half a week of it (or the series has ended)."""
    if window.repeats_weekly:
        k0 = round((near - window.start) / _WEEK)
        options = [_weekly_occurrence(window, k, tz) for k in (k0 - 1, k0, k0 + 1) if k >= 0]
        if window.valid_until is not None:
            options = [o for o in options if o[0].astimezone(tz).date() <= window.valid_until]
    else:
        options = [(window.start, window.end)]
    options = [o for o in options if abs(o[0] - near) <= _WEEK / 2]
    if not options:
        return None
    return min(options, key=lambda o: (abs(o[0] - near), o[0]))


def _window_for(
    visit: VesselVisit, windows: list[BerthWindow], tz: dt.tzinfo
) -> tuple[dt.datetime, dt.datetime, int] | None:
    """The agreed window of a visit: its line's windows for its service first, then the line's
    windows for any service; the occurrence nearest its ETA."""
    mine = [w for w in windows if w.line_id == visit.line_id]
    for group in (
        [w for w in mine if w.service and w.service == visit.service],
        [w for w in mine if not w.service],
    ):
        found = [
            (occ, w.penalty_per_hour, w.pk)
            for w in group
            if (occ := window_occurrence(w, near=visit.eta, tz=tz)) is not None
        ]
        if found:
            (start, end), penalty, _ = min(found, key=lambda f: (abs(f[0][0] - visit.eta), f[2]))
            return start, end, penalty
    return None


#: States of a unit that has come off its inbound vessel.
_DISCHARGED = (UnitState.ON_TERMINAL, UnitState.OUTBOUND, UnitState.DEPARTED)


def visit_moves_remaining(visits: Iterable[VesselVisit]) -> dict[int, int]:
    """Crane moves still to do per visit: the expected discharge and load moves (the berth
    application's, else the visit's: :func:`visit_expected_moves`) less the units already
    discharged from it (on the terminal or gone on) and already loaded onto it. Before arrival
    that is all expected moves; for a vessel being worked, what is left of them. Select
    ``berth_application`` with the visits, or each one costs a query."""
    visits = list(visits)
    ids = [v.pk for v in visits]
    discharged = dict(
        ContainerVisit.objects.filter(inbound_visit_id__in=ids, state__in=_DISCHARGED)
        .values_list("inbound_visit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    loaded = dict(
        ContainerVisit.objects.filter(outbound_visit_id__in=ids, state=UnitState.DEPARTED)
        .values_list("outbound_visit_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    moves = {v.pk: visit_expected_moves(v) for v in visits}
    return {
        v.pk: max(0, moves[v.pk][0] - discharged.get(v.pk, 0))
        + max(0, moves[v.pk][1] - loaded.get(v.pk, 0))
        for v in visits
    }


def plan_instance(
    plan: BerthPlan, *, visits: Iterable[VesselVisit] | None = None
) -> tuple[Instance, PlanMapping]:
    """The berth-planning problem of ``plan`` in the solver's integer units, and the mapping back.

    ``visits`` are the vessels to plan; by default the plan's placed visits plus the candidate
    visits of its horizon it does not place yet. Origin is the plan's horizon start; times are
    whole minutes from it, negative before it (ETAs rounded up, due times = the line's requested
    departure rounded down: the berth application's, else the ETD, see
    :func:`requested_departure`). Vessels: ``str(visit.pk)``, LOA rounded up to metres, max draft
    in cm, moves = expected discharge + load (the application's, else the visit's) less what the
    units show done (:func:`visit_moves_remaining`), crane limits
    from the quay's rule, line weights from the line's berth terms (1 and 3 without), the line's
    agreed window nearest the ETA. Every placed vessel has its
    placement as ``current`` (and as ``locked`` when the planner locked it). Cranes: by name,
    with their outages; a crane marked unavailable is out for the whole horizon. The horizon
    reaches at least the plan's horizon end, every placed departure and each visit's requested
    departure + 24 h.
    """
    quay = Quay.objects.prefetch_related("sections").get(pk=plan.quay_id)
    terminal = Terminal.objects.get(pk=plan.terminal_id)
    tz = zoneinfo.ZoneInfo(terminal.timezone)
    placed = {
        a.vessel_visit_id: a
        for a in BerthAssignment.objects.filter(plan_id=plan.pk).select_related(
            "vessel_visit__vessel", "vessel_visit__line", "vessel_visit__berth_application"
        )
    }
    if visits is None:
        chosen = {a.vessel_visit_id: a.vessel_visit for a in placed.values()}
        for visit in plan_candidate_visits(
            quay=quay, start=plan.horizon_start, end=plan.horizon_end
        ):
            chosen.setdefault(visit.pk, visit)
        visit_list = sorted(chosen.values(), key=lambda v: (v.eta, v.pk))
    else:
        ids = [v.pk for v in visits]
        visit_list = list(
            VesselVisit.objects.filter(pk__in=ids)
            .select_related("vessel", "line", "berth_application")
            .order_by("eta", "pk")
        )

    origin = plan.horizon_start
    ends = [plan.horizon_end]
    planned_ids = {v.pk for v in visit_list}
    ends += [a.depart_at for a in placed.values() if a.vessel_visit_id in planned_ids]
    ends += [requested_departure(v) + HORIZON_SLACK for v in visit_list]
    period = quay.planning_period_min
    horizon_min = -((origin - max(ends)) // _MINUTE)
    horizon_min = -(-horizon_min // period) * period

    def minutes(moment: dt.datetime, *, up: bool = False) -> int:
        return -((origin - moment) // _MINUTE) if up else (moment - origin) // _MINUTE

    # Outages from the earliest placed berth on: work already planned before the origin (vessels
    # in port) is checked against them too.
    since = min([origin, *(a.berth_at for a in placed.values())])
    horizon_end_at = origin + dt.timedelta(minutes=horizon_min)
    outages: dict[int, list[tuple[int, int]]] = {}
    for outage in QuayCraneOutage.objects.filter(
        crane__quay=quay, start__lt=horizon_end_at, end__gt=since
    ).order_by("start", "pk"):
        outages.setdefault(outage.crane_id, []).append(
            (minutes(outage.start), min(horizon_min, minutes(outage.end, up=True)))
        )
    cranes = []
    crane_ids = {}
    for crane in quay.cranes.order_by("rail_order"):
        crane_ids[crane.name] = crane.pk
        periods = (
            [(minutes(since), horizon_min)] if not crane.is_available else outages.get(crane.pk, [])
        )
        cranes.append(
            Crane(
                id=crane.name,
                rail_order=crane.rail_order,
                min_m=crane.min_position_m,
                max_m=crane.max_position_m,
                moves_per_hour=crane.gross_moves_per_hour,
                outages=tuple(p for p in periods if p[1] > p[0]),
            )
        )
    mapping = PlanMapping(
        plan_id=plan.pk,
        revision=plan.revision,
        quay_id=quay.pk,
        origin=origin,
        clearance_m=quay.clearance_m,
        visit_ids={str(v.pk): v.pk for v in visit_list},
        crane_ids=crane_ids,
        loa_m={str(v.pk): loa_whole_m(v.vessel.loa_m) for v in visit_list},
    )

    line_ids = {v.line_id for v in visit_list}
    terms = {
        t.line_id: t
        for t in LineBerthTerms.objects.filter(terminal_id=terminal.pk, line_id__in=line_ids)
    }
    windows = list(
        BerthWindow.objects.filter(terminal_id=terminal.pk, line_id__in=line_ids)
        .filter(Q(quay__isnull=True) | Q(quay=quay))
        .order_by("pk")
    )

    remaining = visit_moves_remaining(visit_list)
    vessels = []
    for visit in visit_list:
        vid = str(visit.pk)
        loa = mapping.loa_m[vid]
        fewest, most = quay.crane_limits(loa)
        term = terms.get(visit.line_id)
        window = None
        found = _window_for(visit, windows, tz)
        if found is not None:
            w_start, w_end, penalty = found
            window = Window(
                start_min=mapping.minutes(w_start),
                end_min=mapping.minutes(w_end),
                penalty_per_hour=penalty,
            )
        current = locked = None
        a = placed.get(visit.pk)
        if a is not None:
            current = Placement(
                start_m=a.start_m,
                berth_min=mapping.minutes(a.berth_at),
                depart_min=mapping.minutes(a.depart_at),
            )
            locked = current if a.locked else None
        vessels.append(
            Vessel(
                id=vid,
                name=visit.vessel.name,
                line=visit.line.code,
                loa_m=loa,
                draft_cm=draft_cm(visit.vessel.max_draft_m),
                eta_min=mapping.minutes(visit.eta, up=True),
                due_min=mapping.minutes(requested_departure(visit)),
                moves=remaining[visit.pk],
                min_cranes=fewest,
                max_cranes=most,
                weight_service=term.weight_service if term else 1,
                weight_late=term.weight_late if term else 3,
                window=window,
                locked=locked,
                current=current,
            )
        )

    instance = Instance(
        quay_length_m=quay.length_m,
        horizon_min=horizon_min,
        sections=tuple(
            Section(name=s.name, start_m=s.start_m, end_m=s.end_m, depth_cm=int(s.depth_m * 100))
            for s in sorted(quay.sections.all(), key=lambda s: s.start_m)
        ),
        cranes=tuple(cranes),
        vessels=tuple(vessels),
        clearance_m=quay.clearance_m,
        efficiency_pct=tuple(quay.crane_efficiency_pct),
        stability_weight=quay.stability_weight,
        period_min=period,
    )
    return instance, mapping


def plan_solution(
    plan: BerthPlan, mapping: PlanMapping
) -> tuple[list[Assignment], list[CraneShift]]:
    """The plan's stored placements and crane allocations in the solver's terms (the inverse of
    what :func:`berthing.services.berth_plan_save_result` stores)."""
    crane_names = {pk: name for name, pk in mapping.crane_ids.items()}
    assignments, shifts = [], []
    for a in _assignment_queryset().filter(plan_id=plan.pk).order_by("pk"):
        vessel = str(a.vessel_visit_id)
        assignments.append(
            Assignment(
                vessel=vessel,
                start_m=a.start_m,
                berth_min=mapping.minutes(a.berth_at),
                depart_min=mapping.minutes(a.depart_at),
            )
        )
        for c in a.allocations.all():
            shifts.append(
                CraneShift(
                    crane=crane_names.get(c.crane_id, c.crane.name),
                    vessel=vessel,
                    start_min=mapping.minutes(c.start),
                    end_min=mapping.minutes(c.end),
                )
            )
    return assignments, shifts


def plan_check(plan: BerthPlan) -> PlanCheck:
    """Check the plan as stored: the placed visits only (a visit the plan does not place is not
    its violation), against today's quay, cranes, outages, terms and windows. Each placement is
    its own stability reference, so a stored plan's stability term is 0 and objectives of plans
    compare service, lateness and window costs."""
    visits = VesselVisit.objects.filter(berth_assignments__plan_id=plan.pk)
    instance, mapping = plan_instance(plan, visits=visits)
    assignments, shifts = plan_solution(plan, mapping)
    return check_plan(instance, assignments, shifts)


# --- comparison ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VesselChange:
    """How one visit differs between a draft and the published plan. ``moved_min`` and
    ``moved_m`` are draft minus published (later / further along the quay is positive)."""

    visit_id: int
    reference: str
    vessel: str
    line: str
    #: unchanged, moved, added (only in the draft) or removed (only in the published plan)
    status: str
    moved_min: int | None
    depart_moved_min: int | None
    moved_m: int | None
    cranes_before: tuple[str, ...]
    cranes_after: tuple[str, ...]

    @property
    def cranes_changed(self) -> bool:
        return self.cranes_before != self.cranes_after


@dataclass(frozen=True)
class PlanComparison:
    draft_id: int
    published_id: int | None
    objective_before: int | None
    objective_after: int | None
    components_before: dict[str, int]
    components_after: dict[str, int]
    vessels: list[VesselChange]

    @property
    def objective_delta(self) -> int | None:
        if self.objective_before is None or self.objective_after is None:
            return None
        return self.objective_after - self.objective_before

    @property
    def changed(self) -> list[VesselChange]:
        return [v for v in self.vessels if v.status != "unchanged" or v.cranes_changed]


def _cranes(assignment: BerthAssignment | None) -> tuple[str, ...]:
    if assignment is None:
        return ()
    return tuple(
        sorted({c.crane.name for c in assignment.allocations.all()}, key=lambda n: (len(n), n))
    )


def plan_compare(draft: BerthPlan, published: BerthPlan | None) -> PlanComparison:
    """Per visit, what the draft changes against the published plan: minutes moved in time (berth
    and departure), metres moved along the quay, the cranes that work it; and the objective
    before and after (as the checker last computed them)."""
    after = {a.vessel_visit_id: a for a in _assignment_queryset().filter(plan_id=draft.pk)}
    before = (
        {a.vessel_visit_id: a for a in _assignment_queryset().filter(plan_id=published.pk)}
        if published is not None
        else {}
    )
    rows = []
    for visit_id in sorted(
        after.keys() | before.keys(),
        key=lambda i: ((after.get(i) or before[i]).berth_at, i),
    ):
        a, b = after.get(visit_id), before.get(visit_id)
        visit = (a or b).vessel_visit
        if a is not None and b is not None:
            moved_min = (a.berth_at - b.berth_at) // _MINUTE
            depart_moved = (a.depart_at - b.depart_at) // _MINUTE
            moved_m = a.start_m - b.start_m
            status = "moved" if (moved_min or depart_moved or moved_m) else "unchanged"
        else:
            moved_min = depart_moved = moved_m = None
            status = "added" if a is not None else "removed"
        rows.append(
            VesselChange(
                visit_id=visit_id,
                reference=visit.reference,
                vessel=visit.vessel.name,
                line=visit.line.code,
                status=status,
                moved_min=moved_min,
                depart_moved_min=depart_moved,
                moved_m=moved_m,
                cranes_before=_cranes(b),
                cranes_after=_cranes(a),
            )
        )
    return PlanComparison(
        draft_id=draft.pk,
        published_id=published.pk if published is not None else None,
        objective_before=published.objective if published is not None else None,
        objective_after=draft.objective,
        components_before=dict(published.components) if published is not None else {},
        components_after=dict(draft.components),
        vessels=rows,
    )


# --- schedules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicBerthSlot:
    """One line of the public berth schedule: nothing a line keeps to itself (no line, voyage,
    visit reference, moves or cargo)."""

    vessel: str
    quay: str
    start_m: int
    end_m: int
    sections: tuple[str, ...]
    berth_at: dt.datetime
    depart_at: dt.datetime


def berth_schedule_public(
    *, terminal: Terminal, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> list[PublicBerthSlot]:
    """The published berth schedule of the terminal's quays, line-neutral, by berth time;
    ``start``/``end`` keep the berths that overlap that period."""
    qs = (
        BerthAssignment.objects.filter(is_published=True, quay__terminal=terminal)
        .exclude(vessel_visit__phase=VisitPhase.CANCELLED)
        .select_related("vessel_visit__vessel", "quay")
        .order_by("berth_at", "quay__name", "start_m", "pk")
    )
    if start is not None:
        qs = qs.filter(depart_at__gt=start)
    if end is not None:
        qs = qs.filter(berth_at__lt=end)
    sections: dict[int, list[BerthSection]] = {}
    for s in BerthSection.objects.filter(quay__terminal=terminal).order_by("start_m"):
        sections.setdefault(s.quay_id, []).append(s)
    return [
        PublicBerthSlot(
            vessel=a.vessel_visit.vessel.name,
            quay=a.quay.name,
            start_m=a.start_m,
            end_m=a.end_m,
            sections=tuple(
                s.name
                for s in sections.get(a.quay_id, [])
                if s.start_m < a.end_m and a.start_m < s.end_m
            ),
            berth_at=a.berth_at,
            depart_at=a.depart_at,
        )
        for a in qs
    ]


def berth_schedule_visible_to(
    user: User, *, terminal: Terminal | None = None
) -> QuerySet[BerthAssignment]:
    """Published berths the user may see in full: an agent its own lines' visits (others' are
    simply absent), terminal staff every line's. Each row carries ``crane_count`` (distinct cranes
    allocated)."""
    qs = (
        BerthAssignment.objects.filter(is_published=True)
        .select_related(
            "vessel_visit__vessel",
            "vessel_visit__line",
            "vessel_visit__berth_application",
            "quay",
            "plan",
        )
        .annotate(crane_count=Count("allocations__crane", distinct=True))
        .order_by("berth_at", "start_m", "pk")
    )
    if terminal is not None:
        qs = qs.filter(quay__terminal=terminal)
    elif user.terminal_id and not user.is_superuser:
        qs = qs.filter(quay__terminal_id=user.terminal_id)
    return scope_by_line(qs, user, "vessel_visit__line")


def plan_explanations(plan: BerthPlan) -> dict[str, list[str]]:
    """Visit id -> sentences saying what holds each placed vessel that waits or leaves late
    (the vessels on its stretch, busy or broken cranes, its berth window), for the plan as
    stored."""
    visits = VesselVisit.objects.filter(berth_assignments__plan_id=plan.pk)
    instance, mapping = plan_instance(plan, visits=visits)
    assignments, shifts = plan_solution(plan, mapping)
    return {
        str(mapping.visit_id(vessel)): sentences
        for vessel, sentences in explain(instance, assignments, shifts).items()
    }


def quays(*, terminal: Terminal | None) -> QuerySet[Quay]:
    return Quay.objects.filter(terminal=terminal).order_by("name")
