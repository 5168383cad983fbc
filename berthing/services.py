"""Writes of berth planning (DESIGN.md §5.1): the only way berth applications and berth plans
change.

Every service is atomic, locks the rows it changes with ``select_for_update()`` in pk order (the
plan row first, so changes to one plan queue up behind each other), refuses with an
:class:`ApplicationError` carrying a stable code before it writes anything, runs the independent
plan checker after every change and stores its objective, components and violations on the plan,
bumps the plan's ``revision`` (the API's ETag) and records a live event in the same transaction.

Refusal codes: ``stale_revision`` (412), ``plan_not_draft`` (409), ``assignment_locked`` (409),
``nothing_to_move``, ``validation_error``, ``outside_quay``, ``too_shallow``, ``before_eta``,
``plan_other_quay``, ``mapping_mismatch``, ``solver_result_invalid`` (400), ``plan_empty`` (409),
``plan_has_conflicts`` (409), ``berth_overlap`` (409), ``crane_double_booked`` (409).

Berth applications (:func:`berth_application_submit`): ``not_found`` (404), ``visit_locked``
(409), ``application_exists`` (409), ``stale_revision`` (412), ``validation_error`` and
``departure_not_after_arrival`` (400).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from berthing import events, geometry
from berthing.choices import BerthPlanChange, BerthPlanSource, BerthPlanStatus
from berthing.models import (
    MAX_APPLICATION_MOVES,
    MAX_APPLICATION_STAY,
    BerthApplication,
    BerthAssignment,
    BerthPlan,
    CraneAllocation,
    Quay,
)
from berthing.selectors import (
    BERTHED_PHASES,
    PLANNABLE_PHASES,
    PlanMapping,
    berth_plan_published,
    depth_problem,
    draft_cm,
    loa_whole_m,
    plan_candidate_visits,
    plan_check,
    plan_instance,
    quay_sections,
    requested_departure,
)
from berthing.solvers.check.plan import PlanCheck, Violation, check_plan
from berthing.solvers.instance import Result
from tos.core.choices import VisitPhase
from tos.core.errors import ApplicationError
from tos.core.models import SolverRun, User, VesselVisit
from tos.core.selectors import user_line_ids
from tos.core.services import _save, vessel_visit_update

_MINUTE = dt.timedelta(minutes=1)
#: Solver statuses that come with a plan.
_SOLVED = ("optimal", "feasible")


# --- helpers ------------------------------------------------------------------------------------


def _floor_minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def _ceil_minute(moment: dt.datetime) -> dt.datetime:
    floored = _floor_minute(moment)
    return floored if floored == moment else floored + _MINUTE


def _floor_period(moment: dt.datetime, period_min: int) -> dt.datetime:
    """``moment`` rounded down to a multiple of the period since midnight UTC."""
    midnight = moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + ((moment - midnight) // dt.timedelta(minutes=period_min)) * dt.timedelta(
        minutes=period_min
    )


def _violations_json(violations: list[Violation]) -> list[dict[str, str]]:
    return [{"code": v.code, "vessel": v.vessel, "message": v.message} for v in violations]


def _store_check(plan: BerthPlan, check: PlanCheck) -> None:
    plan.objective = check.objective
    plan.components = dict(check.components)
    plan.violations = _violations_json(check.violations)


def _recheck(plan: BerthPlan) -> PlanCheck:
    """Run the plan checker on the plan as stored now and keep its verdict on the plan row."""
    check = plan_check(plan)
    _store_check(plan, check)
    return check


def _lock_plan(plan_id: int) -> BerthPlan:
    return BerthPlan.objects.select_for_update().select_related("quay").get(pk=plan_id)


def _require_revision(plan: BerthPlan, expected_revision: int) -> None:
    if expected_revision != plan.revision:
        raise ApplicationError(
            "stale_revision",
            f"Plan v{plan.version} is at revision {plan.revision}, not {expected_revision}: "
            "someone changed it meanwhile. Reload it and try again.",
            details={"expected_revision": [f"The plan's revision is {plan.revision}."]},
            status=412,
        )


def _require_draft(plan: BerthPlan) -> None:
    if plan.status != BerthPlanStatus.DRAFT:
        raise ApplicationError(
            "plan_not_draft",
            f"Plan v{plan.version} of {plan.quay.name} is {plan.status}; only a draft can be "
            "changed. Create a new draft from it.",
            details={"plan": [f"The plan is {plan.status}."]},
            status=409,
        )


def _field_error(code: str, field: str, message: str, *, status: int = 400) -> ApplicationError:
    return ApplicationError(code, message, details={field: [message]}, status=status)


@dataclass
class _Row:
    """A placement being prepared for a new draft."""

    visit: VesselVisit
    start_m: int
    berth_at: dt.datetime
    depart_at: dt.datetime
    locked: bool
    allocations: list[tuple[int, dt.datetime, dt.datetime]]


def _stretch(quay: Quay, visit: VesselVisit) -> int:
    return loa_whole_m(visit.vessel.loa_m) + quay.clearance_m


def _first_fit(quay: Quay, visit: VesselVisit, row_times: tuple, placed: list[_Row]) -> int:
    """Where a new draft puts a visit: :func:`berthing.geometry.first_fit` against the vessels
    already placed at that time (the checker then reports whatever is still wrong)."""
    berth_at, depart_at = row_times
    busy = [
        (r.start_m, r.start_m + _stretch(quay, r.visit))
        for r in placed
        if r.berth_at < depart_at and berth_at < r.depart_at
    ]
    start, _free = geometry.first_fit(
        quay_sections(quay),
        quay_length_m=quay.length_m,
        length_m=_stretch(quay, visit),
        draft=draft_cm(visit.vessel.max_draft_m),
        busy=busy,
    )
    return start


def _create_rows(plan: BerthPlan, rows: list[_Row]) -> None:
    quay = plan.quay
    allocations = []
    for row in rows:
        assignment = BerthAssignment(
            plan=plan,
            vessel_visit=row.visit,
            quay=quay,
            start_m=row.start_m,
            end_m=row.start_m + _stretch(quay, row.visit),
            berth_at=row.berth_at,
            depart_at=row.depart_at,
            locked=row.locked,
        )
        _save(assignment)
        allocations += [
            CraneAllocation(assignment=assignment, crane_id=crane_id, start=start, end=end)
            for crane_id, start, end in row.allocations
        ]
    _bulk_allocations(allocations)


def _bulk_allocations(allocations: list[CraneAllocation]) -> None:
    for allocation in allocations:
        try:
            allocation.full_clean(
                exclude=["assignment", "crane"], validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            raise ApplicationError(
                "validation_error",
                f"Invalid crane allocation: {exc.messages[0]}",
                details=exc.message_dict if hasattr(exc, "error_dict") else {},
            ) from exc
    if allocations:
        bulk_create_with_history(allocations, CraneAllocation, batch_size=500)


# --- berth applications -------------------------------------------------------------------------

#: Phases in which a line may still change its application; later only terminal staff may.
APPLICATION_OPEN_PHASES = (VisitPhase.PLANNED, VisitPhase.INBOUND)
#: How far ahead a line may ask to arrive.
MAX_APPLICATION_LEAD = dt.timedelta(days=366)
_APPLICATION_FIELDS = (
    "requested_arrival",
    "requested_departure",
    "expected_discharge_moves",
    "expected_load_moves",
    "remarks",
)


def _require_moment(field: str, value: object) -> dt.datetime:
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise _field_error(
            "validation_error", field, f"{field} must be a date and time with a time zone."
        )
    return value


def _require_moves(field: str, value: object) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not (0 <= value <= MAX_APPLICATION_MOVES)
    ):
        raise _field_error(
            "validation_error",
            field,
            f"{field} must be a whole number from 0 to {MAX_APPLICATION_MOVES:,}.",
        )
    return value


def _application_values(
    *,
    requested_arrival: object,
    requested_departure: object,
    expected_discharge_moves: object,
    expected_load_moves: object,
    remarks: object,
) -> dict[str, object]:
    """The application's fields, checked: refusals name the field and change nothing."""
    arrival = _require_moment("requested_arrival", requested_arrival)
    departure = _require_moment("requested_departure", requested_departure)
    values = {
        "requested_arrival": arrival,
        "requested_departure": departure,
        "expected_discharge_moves": _require_moves(
            "expected_discharge_moves", expected_discharge_moves
        ),
        "expected_load_moves": _require_moves("expected_load_moves", expected_load_moves),
        "remarks": remarks,
    }
    max_remarks = BerthApplication._meta.get_field("remarks").max_length
    if not isinstance(remarks, str) or len(remarks) > max_remarks:
        raise _field_error(
            "validation_error",
            "remarks",
            f"remarks must be text of at most {max_remarks} characters.",
        )
    if departure <= arrival:
        raise _field_error(
            "departure_not_after_arrival",
            "requested_departure",
            f"The requested departure {departure.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC must be "
            f"after the requested arrival {arrival.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        )
    if departure - arrival > MAX_APPLICATION_STAY:
        raise _field_error(
            "validation_error",
            "requested_departure",
            f"A stay lasts at most {MAX_APPLICATION_STAY.days} days; the requested departure is "
            f"{(departure - arrival) / dt.timedelta(days=1):.1f} days after the arrival.",
        )
    if arrival > timezone.now() + MAX_APPLICATION_LEAD:
        raise _field_error(
            "validation_error",
            "requested_arrival",
            f"Apply at most {MAX_APPLICATION_LEAD.days} days ahead.",
        )
    return values


def _visit_changes(visit: VesselVisit, values: dict[str, object]) -> dict[str, object]:
    """What the visit must change so that its ETA and expected moves are the application's.

    ETB and ETD are the published plan's and stay, unless the new ETA makes them impossible for
    the visit (ETB before the ETA, ETD not after it): then the ETB is cleared (the plan no longer
    holds; the planner sees the conflict when re-planning) and the ETD becomes the requested
    departure."""
    arrival = values["requested_arrival"]
    wanted = {
        "eta": arrival,
        "expected_discharge_moves": values["expected_discharge_moves"],
        "expected_load_moves": values["expected_load_moves"],
    }
    if visit.etb is not None and visit.etb < arrival:
        wanted["etb"] = None
    if visit.etd <= arrival:
        wanted["etd"] = values["requested_departure"]
    return {k: v for k, v in wanted.items() if getattr(visit, k) != v}


@transaction.atomic
def berth_application_submit(
    *,
    visit: VesselVisit,
    by: User | None,
    requested_arrival: dt.datetime,
    requested_departure: dt.datetime,
    expected_discharge_moves: int,
    expected_load_moves: int,
    remarks: str = "",
    expected_revision: int | None = None,
    only_new: bool = False,
) -> BerthApplication:
    """Submit the line's berth application for ``visit``, or change the one it has.

    The application says when the line asks to arrive and to depart and the moves the call
    brings; the planner measures lateness against ``requested_departure`` whatever plans are
    published. The visit's ETA and expected moves become the application's (through
    :func:`tos.core.services.vessel_visit_update`, so that there is one truth); its ETB and ETD
    stay the plan's (see :func:`_visit_changes` for the one exception).

    Refused: a visit of another line than ``by``'s (``not_found``, 404: it does not confirm the
    visit exists); ``expected_revision`` given and not the application's revision
    (``stale_revision``, 412); a visit past ``inbound`` unless ``by`` is terminal staff or the
    system (``visit_locked``, 409); with ``only_new``, a visit that has an application already
    (``application_exists``, 409); bad values (400 naming the field, ``departure_not_after_arrival``
    for a departure at or before the arrival). Submitting the values the application has changes
    nothing and records no event. Otherwise the revision goes up and a
    ``berth.application_changed`` event reaches the visit's line."""
    visit = (
        VesselVisit.objects.select_for_update().select_related("vessel", "line").get(pk=visit.pk)
    )
    staff = by is None or by.is_terminal_staff
    if not staff and visit.line_id not in user_line_ids(by):
        raise _field_error(
            "not_found", "visit", f"No visit {visit.reference} of your lines.", status=404
        )
    application = BerthApplication.objects.select_for_update().filter(vessel_visit=visit).first()
    if application is not None:
        application.vessel_visit = visit
    if application is not None and only_new:
        raise _field_error(
            "application_exists",
            "visit",
            f"Visit {visit.reference} has berth application {application.pk} already; change it "
            "instead.",
            status=409,
        )
    if expected_revision is not None:
        current = application.revision if application is not None else 0
        if expected_revision != current:
            raise ApplicationError(
                "stale_revision",
                f"The berth application of {visit.reference} is at revision {current}, not "
                f"{expected_revision}: someone changed it meanwhile. Reload it and try again.",
                details={"expected_revision": [f"The application's revision is {current}."]},
                status=412,
            )
    if not staff and visit.phase not in APPLICATION_OPEN_PHASES:
        raise _field_error(
            "visit_locked",
            "visit",
            f"Visit {visit.reference} is {visit.phase}; only the terminal can change its berth "
            "application now.",
            status=409,
        )
    values = _application_values(
        requested_arrival=requested_arrival,
        requested_departure=requested_departure,
        expected_discharge_moves=expected_discharge_moves,
        expected_load_moves=expected_load_moves,
        remarks=remarks,
    )
    if application is not None and all(
        getattr(application, k) == values[k] for k in _APPLICATION_FIELDS
    ):
        return application

    if application is None:
        application = BerthApplication(vessel_visit=visit, submitted_by=by)
        change = "submitted"
    else:
        application.revision += 1
        change = "updated"
    for name, value in values.items():
        setattr(application, name, value)
    _save(application)
    changes = _visit_changes(visit, values)
    if changes:
        visit = vessel_visit_update(visit=visit, by=by, **changes)
        application.vessel_visit = visit
    events.application_changed(application=application, change=change, by=by)
    return application


# --- drafts -------------------------------------------------------------------------------------


@transaction.atomic
def berth_plan_create_draft(
    *,
    quay: Quay,
    user: User | None,
    based_on: BerthPlan | None = None,
    horizon_start: dt.datetime | None = None,
) -> BerthPlan:
    """A new draft of the quay's berth plan (version = highest so far + 1).

    It copies ``based_on`` — by default the quay's published plan — keeping each placement, its
    lock and its crane allocations (visits since departed, closed or cancelled are left out).
    Without a plan to copy it starts from the schedule. Either way the visits of the planning
    horizon that are not placed yet are added at their ETB until their ETD (a visit no plan has
    scheduled yet: at its ETA until its requested departure), at the first free quay position
    deep enough for them, without cranes; visits already working at their
    berth are locked there. The horizon starts at the planning period containing
    ``horizon_start`` (default: now) and lasts the quay's planning horizon (longer when a
    placement departs later). The checker's verdict is
    stored; the draft may well have violations (a new vessel has no cranes yet)."""
    quay = Quay.objects.select_for_update().prefetch_related("sections").get(pk=quay.pk)
    if based_on is not None:
        source = BerthPlan.objects.get(pk=based_on.pk)
        if source.quay_id != quay.pk:
            raise _field_error(
                "plan_other_quay",
                "based_on",
                f"Plan v{source.version} is a plan of another quay, not of {quay.name}.",
            )
    else:
        source = berth_plan_published(quay=quay)

    if horizon_start is not None and (
        not isinstance(horizon_start, dt.datetime) or timezone.is_naive(horizon_start)
    ):
        raise _field_error(
            "validation_error", "horizon_start", "A date and time with a time zone, or nothing."
        )
    period = quay.planning_period_min
    horizon_start = _floor_period(horizon_start or timezone.now(), period)
    horizon_end = horizon_start + dt.timedelta(hours=quay.planning_horizon_hours)

    rows: list[_Row] = []
    if source is not None:
        copied = (
            BerthAssignment.objects.filter(plan=source, vessel_visit__phase__in=PLANNABLE_PHASES)
            .select_related("vessel_visit__vessel", "vessel_visit__line")
            .prefetch_related("allocations")
            .order_by("berth_at", "pk")
        )
        rows = [
            _Row(
                visit=a.vessel_visit,
                start_m=a.start_m,
                berth_at=a.berth_at,
                depart_at=a.depart_at,
                locked=a.locked,
                allocations=[(c.crane_id, c.start, c.end) for c in a.allocations.all()],
            )
            for a in copied
        ]
    placed_ids = {r.visit.pk for r in rows}
    for visit in plan_candidate_visits(quay=quay, start=horizon_start, end=horizon_end):
        if visit.pk in placed_ids:
            continue
        berth_at = _ceil_minute(visit.etb or visit.eta)
        leave = visit.etd if visit.etb is not None else requested_departure(visit)
        depart_at = max(_floor_minute(leave), berth_at + _MINUTE)
        start_m = _first_fit(quay, visit, (berth_at, depart_at), rows)
        rows.append(
            _Row(
                visit=visit,
                start_m=start_m,
                berth_at=berth_at,
                depart_at=depart_at,
                locked=visit.phase in BERTHED_PHASES,
                allocations=[],
            )
        )
    if rows:
        last = max(r.depart_at for r in rows)
        if last > horizon_end:
            horizon_end = horizon_start + -(-(last - horizon_start) // dt.timedelta(hours=1)) * (
                dt.timedelta(hours=1)
            )

    version = (BerthPlan.objects.filter(quay=quay).aggregate(v=Max("version"))["v"] or 0) + 1
    plan = BerthPlan(
        terminal_id=quay.terminal_id,
        quay=quay,
        version=version,
        status=BerthPlanStatus.DRAFT,
        source=BerthPlanSource.COPY if source is not None else BerthPlanSource.MANUAL,
        based_on=source,
        created_by=user,
        horizon_start=horizon_start,
        horizon_end=horizon_end,
    )
    _save(plan)
    _create_rows(plan, rows)
    _recheck(plan)
    _save(plan)
    events.plan_changed(
        plan=plan,
        change=BerthPlanChange.CREATED,
        by=user,
        based_on=source.pk if source is not None else None,
    )
    return plan


# --- a planner's edits --------------------------------------------------------------------------


def _lock_assignment(assignment: BerthAssignment, plan: BerthPlan) -> BerthAssignment:
    return (
        BerthAssignment.objects.select_for_update()
        .select_related("vessel_visit__vessel", "vessel_visit__line")
        .get(pk=assignment.pk, plan=plan)
    )


@transaction.atomic
def berth_assignment_move(
    *,
    assignment: BerthAssignment,
    user: User | None,
    start_m: int | None = None,
    berth_at: dt.datetime | None = None,
    expected_revision: int,
) -> BerthAssignment:
    """A planner's drag: put the vessel at ``start_m`` along the quay and/or make it berth at
    ``berth_at`` (whole minutes; seconds are dropped). Its departure and its crane allocations move
    by the same time. Refused: a stale revision, a plan that is not a draft, a locked vessel, and
    positions no plan may hold — outside the quay, too shallow for the vessel's draft, before
    its ETA. Conflicts with other vessels or cranes are allowed in a draft and recorded as
    violations on the plan."""
    plan = _lock_plan(assignment.plan_id)
    assignment = _lock_assignment(assignment, plan)
    _require_revision(plan, expected_revision)
    _require_draft(plan)
    if start_m is None and berth_at is None:
        raise ApplicationError(
            "nothing_to_move",
            "Give start_m, berth_at or both.",
            details={"start_m": ["Give start_m, berth_at or both."]},
        )
    visit = assignment.vessel_visit
    name = visit.vessel.name
    if assignment.locked:
        raise _field_error(
            "assignment_locked",
            "locked",
            f"{name} is locked in this plan; unlock it before moving it.",
            status=409,
        )
    quay = Quay.objects.prefetch_related("sections").get(pk=plan.quay_id)
    if start_m is not None and (
        isinstance(start_m, bool) or not isinstance(start_m, int) or start_m < 0
    ):
        raise _field_error(
            "validation_error", "start_m", "start_m must be a whole number of metres, 0 or more."
        )
    if berth_at is not None and (
        not isinstance(berth_at, dt.datetime) or timezone.is_naive(berth_at)
    ):
        raise _field_error(
            "validation_error", "berth_at", "berth_at must be a date and time with a time zone."
        )
    new_start = assignment.start_m if start_m is None else start_m
    new_berth = assignment.berth_at if berth_at is None else _floor_minute(berth_at)
    length = _stretch(quay, visit)
    if new_start + length > quay.length_m:
        raise _field_error(
            "outside_quay",
            "start_m",
            f"{name} needs {length} m ({loa_whole_m(visit.vessel.loa_m)} m LOA + "
            f"{quay.clearance_m} m clearance): start_m must be between 0 and "
            f"{max(0, quay.length_m - length)} on the {quay.length_m} m quay.",
        )
    shallow = depth_problem(
        quay=quay,
        start_m=new_start,
        end_m=new_start + length,
        draft=draft_cm(visit.vessel.max_draft_m),
    )
    if shallow:
        raise _field_error(
            "too_shallow",
            "start_m",
            f"{name} draws {float(visit.vessel.max_draft_m):g} m but at "
            f"{new_start}–{new_start + length} m {shallow}.",
        )
    if new_berth < visit.eta:
        raise _field_error(
            "before_eta",
            "berth_at",
            f"{name} cannot berth at {new_berth:%Y-%m-%d %H:%M} UTC, before its ETA "
            f"{visit.eta.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC.",
        )

    delta = new_berth - assignment.berth_at
    before = {"start_m": assignment.start_m, "berth_at": assignment.berth_at}
    assignment.start_m = new_start
    assignment.end_m = new_start + length
    assignment.berth_at = new_berth
    assignment.depart_at = assignment.depart_at + delta
    _save(assignment)
    if delta:
        for allocation in (
            CraneAllocation.objects.select_for_update().filter(assignment=assignment).order_by("pk")
        ):
            allocation.start += delta
            allocation.end += delta
            _save(allocation)
    _recheck(plan)
    plan.revision += 1
    _save(plan)
    events.plan_changed(
        plan=plan,
        change=BerthPlanChange.MOVED,
        by=user,
        assignment=assignment.pk,
        visit=visit.pk,
        moved_min=delta // _MINUTE,
        moved_m=new_start - before["start_m"],
    )
    return assignment


@transaction.atomic
def berth_assignment_lock(
    *, assignment: BerthAssignment, user: User | None, locked: bool, expected_revision: int
) -> BerthAssignment:
    """Lock a vessel where it is (the solver and drags leave it alone) or unlock it. Locking what
    is locked already changes nothing (no new revision)."""
    plan = _lock_plan(assignment.plan_id)
    assignment = _lock_assignment(assignment, plan)
    _require_revision(plan, expected_revision)
    _require_draft(plan)
    if not isinstance(locked, bool):
        raise _field_error("validation_error", "locked", "locked must be true or false.")
    if assignment.locked == locked:
        return assignment
    assignment.locked = locked
    _save(assignment)
    _recheck(plan)
    plan.revision += 1
    _save(plan)
    events.plan_changed(
        plan=plan,
        change=BerthPlanChange.LOCKED if locked else BerthPlanChange.UNLOCKED,
        by=user,
        assignment=assignment.pk,
        visit=assignment.vessel_visit_id,
    )
    return assignment


# --- solver results -----------------------------------------------------------------------------


def _merged_shifts(result: Result) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """The result's crane shifts per (vessel, crane), back-to-back shifts joined."""
    spans: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for shift in sorted(result.shifts, key=lambda s: (s.vessel, s.crane, s.start_min)):
        rows = spans[(shift.vessel, shift.crane)]
        if rows and rows[-1][1] == shift.start_min:
            rows[-1] = (rows[-1][0], shift.end_min)
        else:
            rows.append((shift.start_min, shift.end_min))
    return spans


@transaction.atomic
def berth_plan_save_result(
    *, plan: BerthPlan, result: Result, mapping: PlanMapping, run: SolverRun | None = None
) -> BerthPlan:
    """Store a solver result as the draft's placements and crane allocations — only when the
    independent checker finds no violation in it against the plan's data as it is now; otherwise
    refuse with ``solver_result_invalid`` (the violations in ``details``) and store nothing.

    ``mapping`` is the one :func:`berthing.selectors.plan_instance` returned with the instance the
    solver was given; a plan changed since (another revision) is refused with ``stale_revision``
    rather than overwriting the planner's edits. Placements keep their rows (and locks); visits
    the result does not place leave the plan; allocations are replaced."""
    plan = _lock_plan(plan.pk)
    _require_draft(plan)
    if mapping.plan_id != plan.pk:
        raise _field_error(
            "mapping_mismatch",
            "mapping",
            f"The solver's instance was built for plan {mapping.plan_id}, not plan {plan.pk}.",
        )
    if mapping.revision != plan.revision:
        raise ApplicationError(
            "stale_revision",
            f"The solver planned revision {mapping.revision} of plan v{plan.version}, which is now "
            f"at revision {plan.revision}; run it again on the current plan.",
            details={"revision": [f"The plan's revision is {plan.revision}."]},
            status=412,
        )
    if result.status not in _SOLVED or not result.assignments:
        raise ApplicationError(
            "solver_result_invalid",
            f"The solver returned no plan ({result.status}"
            + (f": {result.message}" if result.message else "")
            + ").",
            details={"status": [result.status]},
        )
    visits = VesselVisit.objects.filter(pk__in=list(mapping.visit_ids.values()))
    instance, fresh = plan_instance(plan, visits=visits)
    check = check_plan(instance, result.assignments, result.shifts)
    if not check.ok:
        raise ApplicationError(
            "solver_result_invalid",
            f"The solver's plan breaks {len(check.violations)} rule(s); nothing was stored. "
            f"First: {check.violations[0].message}",
            details={"violations": _violations_json(check.violations)},
        )

    existing = {
        a.vessel_visit_id: a
        for a in BerthAssignment.objects.select_for_update().filter(plan=plan).order_by("pk")
    }
    CraneAllocation.objects.filter(assignment__plan=plan).delete()
    kept: dict[str, BerthAssignment] = {}
    for a in result.assignments:
        visit_id = fresh.visit_id(a.vessel)
        row = existing.pop(visit_id, None) or BerthAssignment(
            plan=plan, vessel_visit_id=visit_id, quay_id=plan.quay_id
        )
        row.start_m = a.start_m
        row.end_m = fresh.end_m(a.vessel, a.start_m)
        row.berth_at = fresh.moment(a.berth_min)
        row.depart_at = fresh.moment(a.depart_min)
        _save(row)
        kept[a.vessel] = row
    for gone in existing.values():
        gone.delete()
    _bulk_allocations(
        [
            CraneAllocation(
                assignment=kept[vessel],
                crane_id=fresh.crane_id(crane),
                start=fresh.moment(start),
                end=fresh.moment(end),
            )
            for (vessel, crane), spans in _merged_shifts(result).items()
            for start, end in spans
        ]
    )
    plan.source = BerthPlanSource.SOLVER
    plan.solver_run = run
    _recheck(plan)
    plan.revision += 1
    _save(plan)
    events.plan_changed(
        plan=plan,
        change=BerthPlanChange.SOLVED,
        by=run.requested_by if run is not None else None,
        run=run.pk if run is not None else None,
        solver_status=result.status,
    )
    return plan


# --- publishing ---------------------------------------------------------------------------------


def _overlap_guard(rows: list[BerthAssignment], others: list[BerthAssignment]) -> None:
    """The exclusion constraint's rule in Python (SQLite has none): no two rows to be published
    share quay metres at the same time, nor with rows already published on the quay."""
    for i, a in enumerate(rows):
        for b in [*rows[i + 1 :], *others]:
            if (
                a.quay_id == b.quay_id
                and a.start_m < b.end_m
                and b.start_m < a.end_m
                and a.berth_at < b.depart_at
                and b.berth_at < a.depart_at
            ):
                raise ApplicationError(
                    "berth_overlap",
                    f"{a.vessel_visit.vessel.name} at {a.start_m}–{a.end_m} m overlaps "
                    f"{b.vessel_visit.vessel.name} at {b.start_m}–{b.end_m} m in time.",
                    details={"assignments": [a.pk, b.pk]},
                    status=409,
                )


def _crane_guard(rows: list[CraneAllocation], others: list[CraneAllocation]) -> None:
    """No crane allocated twice at once among the rows to publish and those published."""
    for i, a in enumerate(rows):
        for b in [*rows[i + 1 :], *others]:
            if a.crane_id == b.crane_id and a.start < b.end and b.start < a.end:
                raise ApplicationError(
                    "crane_double_booked",
                    f"Crane {a.crane.name} is allocated twice from "
                    f"{max(a.start, b.start):%Y-%m-%d %H:%M}.",
                    details={"allocations": [a.pk, b.pk]},
                    status=409,
                )


_CONSTRAINT_CODES = {
    "berth_assignment_no_overlap": "berth_overlap",
    "crane_allocation_no_double_booking": "crane_double_booked",
}


def _integrity_error(exc: IntegrityError) -> ApplicationError:
    constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    code = _CONSTRAINT_CODES.get(constraint or "", "berth_overlap")
    message = {
        "berth_overlap": "Two published vessels would lie on the same quay stretch at once.",
        "crane_double_booked": "A crane would be allocated twice at once in the published plan.",
    }[code]
    return ApplicationError(
        code,
        message + (f" (rule {constraint})" if constraint else ""),
        details={"constraint": [constraint]} if constraint else {},
        status=409,
    )


def _placement_changed(new: BerthAssignment, old: BerthAssignment | None) -> bool:
    return old is None or (new.start_m, new.end_m, new.berth_at, new.depart_at) != (
        old.start_m,
        old.end_m,
        old.berth_at,
        old.depart_at,
    )


def _application_from_visit(visit: VesselVisit) -> BerthApplication:
    """Record what a visit without a berth application asked for (its ETA, ETD and moves)
    before a publish overwrites its ETD, so later plans still measure lateness against it."""
    application = BerthApplication(
        vessel_visit=visit,
        requested_arrival=visit.eta,
        requested_departure=visit.etd,
        expected_discharge_moves=visit.expected_discharge_moves,
        expected_load_moves=visit.expected_load_moves,
        remarks="Recorded from the visit's ETA and ETD when a berth plan was first published.",
    )
    _save(application)
    return application


@transaction.atomic
def berth_plan_publish(*, plan: BerthPlan, user: User | None, expected_revision: int) -> BerthPlan:
    """Make a draft the quay's berth plan.

    Refused while the checker reports any violation (``plan_has_conflicts``, the violations in
    ``details``), for an empty plan, a stale revision or a plan that is not a draft. The quay's
    published plan becomes ``superseded`` and its rows stop being published in the same
    transaction; the exclusion constraints are the last line of defence (``berth_overlap`` /
    ``crane_double_booked``, 409), checked in Python first for SQLite. Each placed visit's ETB and
    ETD become its planned berthing and departure (through ``vessel_visit_update``, so agents see
    them; the departure the line asked for stays in its berth application, which later plans
    measure lateness against), and each visit whose berth changed gets a
    ``berth.visit_rescheduled`` event for its line."""
    quay = Quay.objects.select_for_update().get(pk=plan.quay_id)
    locked = {
        p.pk: p
        for p in BerthPlan.objects.select_for_update()
        .select_related("quay")
        .filter(Q(pk=plan.pk) | Q(quay=quay, status=BerthPlanStatus.PUBLISHED))
        .order_by("pk")
    }
    plan = locked[plan.pk]
    previous = next((p for p in locked.values() if p.pk != plan.pk), None)
    _require_draft(plan)
    _require_revision(plan, expected_revision)
    rows = list(
        BerthAssignment.objects.select_for_update()
        .filter(plan_id__in=list(locked))
        .select_related("vessel_visit__vessel", "vessel_visit__line")
        .order_by("pk")
    )
    allocations = list(
        CraneAllocation.objects.select_for_update()
        .filter(assignment__plan_id__in=list(locked))
        .select_related("crane", "assignment")
        .order_by("pk")
    )
    new_rows = [a for a in rows if a.plan_id == plan.pk]
    old_rows = {a.vessel_visit_id: a for a in rows if a.plan_id != plan.pk}
    if not new_rows:
        raise ApplicationError(
            "plan_empty",
            f"Plan v{plan.version} places no vessel; there is nothing to publish.",
            status=409,
        )
    check = _recheck(plan)
    if not check.ok:
        raise ApplicationError(
            "plan_has_conflicts",
            f"Plan v{plan.version} has {len(check.violations)} conflict(s); resolve them before "
            f"publishing. First: {check.violations[0].message}",
            details={"violations": _violations_json(check.violations)},
            status=409,
        )
    # Lengths or the clearance may have changed since the rows were written.
    for row in new_rows:
        end_m = row.start_m + _stretch(quay, row.vessel_visit)
        if end_m != row.end_m:
            row.end_m = end_m
            _save(row)
    elsewhere = list(
        BerthAssignment.objects.filter(quay=quay, is_published=True)
        .exclude(plan_id__in=list(locked))
        .select_related("vessel_visit__vessel")
    )
    _overlap_guard(new_rows, elsewhere)
    _crane_guard(
        [c for c in allocations if c.assignment.plan_id == plan.pk],
        list(
            CraneAllocation.objects.filter(crane__quay=quay, is_published=True)
            .exclude(assignment__plan_id__in=list(locked))
            .select_related("crane")
        ),
    )

    now = timezone.now()
    try:
        with transaction.atomic():
            if previous is not None:
                BerthAssignment.objects.filter(plan=previous).update(is_published=False)
                CraneAllocation.objects.filter(assignment__plan=previous).update(is_published=False)
                previous.status = BerthPlanStatus.SUPERSEDED
                previous.revision += 1
                previous.save()
            plan.status = BerthPlanStatus.PUBLISHED
            plan.published_at = now
            plan.published_by = user
            plan.revision += 1
            plan.full_clean()
            plan.save()
            BerthAssignment.objects.filter(plan=plan).update(is_published=True)
            CraneAllocation.objects.filter(assignment__plan=plan).update(is_published=True)
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    except ValidationError as exc:
        raise ApplicationError(
            "validation_error", "; ".join(exc.messages), details=getattr(exc, "message_dict", {})
        ) from exc

    applied = set(
        BerthApplication.objects.filter(
            vessel_visit_id__in=[row.vessel_visit_id for row in new_rows]
        ).values_list("vessel_visit_id", flat=True)
    )
    for row in new_rows:
        visit = row.vessel_visit
        if visit.phase not in PLANNABLE_PHASES:
            continue
        if (visit.etb, visit.etd) != (row.berth_at, row.depart_at):
            if visit.pk not in applied:
                _application_from_visit(visit)
            vessel_visit_update(visit=visit, by=user, etb=row.berth_at, etd=row.depart_at)

    if previous is not None:
        events.plan_changed(
            plan=previous, change=BerthPlanChange.SUPERSEDED, by=user, superseded_by=plan.pk
        )
    events.plan_changed(
        plan=plan,
        change=BerthPlanChange.PUBLISHED,
        by=user,
        superseded=previous.pk if previous is not None else None,
    )
    for row in sorted(new_rows, key=lambda r: (r.berth_at, r.pk)):
        old = old_rows.pop(row.vessel_visit_id, None)
        if _placement_changed(row, old):
            events.visit_rescheduled(plan=plan, assignment=row, previous=old, by=user)
    for old in sorted(old_rows.values(), key=lambda r: (r.berth_at, r.pk)):
        events.visit_unplanned(plan=plan, previous=old, by=user)
    return plan
