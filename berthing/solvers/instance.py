"""The terminal's berth-planning problem in integer units: a continuous quay, quay cranes whose
allocation may change over time, and vessels with their requests. Shared by the solver
(:mod:`berthing.solvers.plan`), its checker (:mod:`berthing.solvers.check.plan`) and the Django
side that builds instances from the database and stores results.

Units: times are whole minutes from the instance's origin (the Django side chooses the origin,
normally the start of the planning horizon), quay positions are whole metres from the start of
the quay, drafts and depths are centimetres. Weights are per hour (they multiply minutes / 60).

Geometry: a vessel placed at ``start_m`` occupies the quay stretch
``[start_m, start_m + loa_m + clearance_m)`` for ``[berth_min, depart_min)``; the clearance is the
mooring gap the terminal keeps between neighbours. No two such rectangles may overlap.

Cranes: a :class:`CraneShift` says crane ``crane`` works vessel ``vessel`` during
``[start_min, end_min)``. With ``q`` cranes on one vessel at once, each crane delivers
``moves_per_hour * efficiency_pct[q - 1] / 100`` moves per hour (interference between cranes on
one ship). A vessel is finished when the moves delivered reach ``moves``; it may depart at or
after its last crane leaves.

Objective (integer, in weight-minutes; divide by 60 for weight-hours), summed over vessels::

    weight_service * (depart_min - eta_min)
  + weight_late * max(0, depart_min - due_min)
  + window.penalty_per_hour * (max(0, window.start_min - berth_min)
                               + max(0, depart_min - window.end_min))
  + stability_weight * (|berth_min - current.berth_min| + |start_m - current.start_m|)

Hard rules: berth at or after ETA; inside the quay; every section the occupied stretch touches is
at least ``draft_cm`` deep; no overlap in quay x time; locked vessels exactly at their placement;
between ``min_cranes`` and ``max_cranes`` cranes whenever any crane works the vessel; a crane works
one vessel at a time, never during an outage, only on vessels its rail range reaches; cranes never
cross (at any moment, working cranes in rail order serve vessels in non-decreasing quay position);
enough moves delivered before departure; everything ends by ``horizon_min``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Default crane interference: the share of nominal productivity each crane keeps when ``q``
#: cranes work one vessel (index ``q - 1``). Close to Meisel & Bierwirth's q^0.9 law.
DEFAULT_EFFICIENCY_PCT = (100, 93, 90, 87, 85, 84, 82, 81)


@dataclass(frozen=True)
class Section:
    """A named stretch of quay with its water depth."""

    name: str
    start_m: int
    end_m: int
    depth_cm: int


@dataclass(frozen=True)
class Crane:
    """A quay crane. Cranes keep their ``rail_order`` along the quay (they cannot pass each
    other) and can only work vessels whose stretch overlaps ``[min_m, max_m]``."""

    id: str
    rail_order: int
    min_m: int
    max_m: int
    moves_per_hour: int
    #: Unavailable periods ``(start_min, end_min)``: maintenance or breakdowns.
    outages: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Window:
    """A berth window agreed with the line: berth at or after ``start_min`` and depart by
    ``end_min``; each minute outside costs ``penalty_per_hour / 60``."""

    start_min: int
    end_min: int
    penalty_per_hour: int


@dataclass(frozen=True)
class Placement:
    """Where and when a vessel is (or was) planned."""

    start_m: int
    berth_min: int
    depart_min: int


@dataclass(frozen=True)
class Vessel:
    """A vessel visit to plan."""

    id: str
    name: str
    line: str
    loa_m: int
    draft_cm: int
    eta_min: int
    #: Requested departure; lateness is measured against it.
    due_min: int
    moves: int
    min_cranes: int
    max_cranes: int
    #: Cost per hour between arrival and departure.
    weight_service: int = 1
    #: Cost per hour of departure after ``due_min``.
    weight_late: int = 3
    window: Window | None = None
    #: A locked vessel keeps exactly this placement (cranes may still be re-assigned).
    locked: Placement | None = None
    #: The current plan's placement: the warm start, and the reference for the stability term.
    current: Placement | None = None


@dataclass(frozen=True)
class Instance:
    quay_length_m: int
    horizon_min: int
    sections: tuple[Section, ...]
    cranes: tuple[Crane, ...]
    vessels: tuple[Vessel, ...]
    clearance_m: int = 20
    efficiency_pct: tuple[int, ...] = DEFAULT_EFFICIENCY_PCT
    #: Cost per minute of berthing-time change and per metre of quay-position change against a
    #: vessel's ``current`` placement (re-planning should move as few vessels as possible).
    stability_weight: int = 0
    #: Time step of the solver's crane allocation; berthing times are multiples of it.
    period_min: int = 60


@dataclass(frozen=True)
class CraneShift:
    crane: str
    vessel: str
    start_min: int
    end_min: int


@dataclass(frozen=True)
class Assignment:
    vessel: str
    start_m: int
    berth_min: int
    depart_min: int


@dataclass(frozen=True)
class Result:
    #: optimal, feasible, infeasible, unknown or error (DESIGN.md §7).
    status: str
    objective: int | None
    bound: int | None
    seconds: float
    assignments: tuple[Assignment, ...] = ()
    shifts: tuple[CraneShift, ...] = ()
    #: The objective split into its terms (service, lateness, window, stability).
    components: dict[str, int] = field(default_factory=dict)
    #: vessel id -> sentences saying what holds a vessel that waits or departs late.
    explanations: dict[str, list[str]] = field(default_factory=dict)
    message: str = ""
