"""The day-of-operations simulator: a discrete-event simulation of the terminal on a simulated
clock that drives the real services (the code paths the API uses), so that the database, the
live events and the WebSockets are exercised as on a working day. It doubles as the load
generator (``--speed max``) and reports latency percentiles.

How a day is made (:func:`day_plan`): the vessel calls of the published berth plan whose berth
window overlaps the simulated day get their arrival plan (the boxes on board for this port, as a
BAPLIE would bring them), a load list from the yard (:func:`stowage.services.load_list_from_yard`)
and a departure plan (:func:`stowage.services.departure_plan_save`) with the loads put into the
cells the discharge frees (same length) and then into free cells; then their work orders
(:func:`operations.services.work_orders_from_stowage`) and crane queues
(:func:`operations.services.crane_queues_build`). ``moves`` caps the vessel moves of the day.

How it runs (:class:`Simulator`): a heap of timed events. Each quay crane of a call starts when
the ship is alongside, asks dispatch for its next job (:func:`operations.services.dispatch_next`),
accepts it and completes it one crane cycle later (25–35 moves an hour per crane, drawn per
crane, ±20 % per cycle, and now and then a delay: hatch covers, lashing, a truck late under the
crane) at the position the job says (the yard slot dispatch reserved for a discharge, the planned
cell for a load). Yard cranes take the yard jobs (receivals, deliveries) of their block the same
way. Every random stream is a ``random.Random`` seeded by ``(seed, source)``, so that a seed
gives the same sequence of completed moves on the same starting data.

``speed`` is simulated seconds per wall second (the engine sleeps between events); ``None``
runs as fast as the machine allows. The wall time of every completion call is recorded, and a
listener on the terminal's Channels group records when each completion's event arrives: the
time from the completion call being sent to its event reaching a subscriber (what a screen
sees after a driver confirms; the broadcast runs after commit, inside the call).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from operations import services
from operations.choices import EquipmentKind, EquipmentState, Place
from operations.models import CraneQueue, Equipment, WorkOrder
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Terminal, User, VesselVisit

#: Gross crane moves per hour of a quay crane (DESIGN.md §6: 25–35 typical).
CRANE_RATE = (25.0, 35.0)
#: A crane cycle varies this much around the crane's mean.
CYCLE_SPREAD = 0.2
#: Share of cycles with a delay, and the mean delay in seconds (exponential).
DELAY_SHARE = 0.05
DELAY_MEAN_S = 240.0
#: A yard crane's cycle (seconds, uniform) for a yard job.
YARD_CYCLE_S = (90.0, 180.0)
#: How long idle equipment waits before asking dispatch again (simulated seconds).
IDLE_RETRY_S = 300.0
#: Tiers of a vessel cell in the hold start at 2, on deck at 82 (ISO 9711).
DECK_TIERS = (82, 84, 86, 88, 90, 92)


def _rng(seed: int, source: str) -> random.Random:
    """One random stream per source, independent of the order sources are drawn in."""
    return random.Random(f"{seed}:{source}")


def percentile(values: list[float], share: float) -> float | None:
    """The nearest-rank percentile (``share`` 0–100) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(share / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- the day's traffic --------------------------------------------------------------------------


@dataclass
class DayPlan:
    """What :func:`day_plan` prepared: the calls and the work orders and queues made."""

    start: dt.datetime
    end: dt.datetime
    visits: list[VesselVisit] = field(default_factory=list)
    alongside: dict[int, dt.datetime] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)


def _cell(ref: str) -> tuple[int, int, int] | None:
    if len(ref) != 7 or not ref.isdigit():
        return None
    return int(ref[:3]), int(ref[3:5]), int(ref[5:])


def _loadable(units: list[ContainerVisit]) -> list[ContainerVisit]:
    from tos.core.choices import HoldEvent
    from tos.core.selectors import unit_event_check

    return [u for u in units if unit_event_check(unit=u, event=HoldEvent.LOADING).allowed]


def _arrival_plan(visit: VesselVisit, units: list[ContainerVisit]) -> int:
    """The boxes on board for this port as the arrival plan's discharge cells (what the line's
    BAPLIE brings; the stowage app has no service for a plan from data already in the
    database). Existing plans are left as they are."""
    from stowage.models import PlanCell, StowagePlan

    plan, created = StowagePlan.objects.get_or_create(
        vessel_visit=visit, kind="arrival", defaults={"status": "final"}
    )
    if not created:
        return 0
    rows = []
    for unit in units:
        cell = _cell(unit.position_ref)
        if cell is None:
            continue
        c = unit.container
        rows.append(
            PlanCell(
                plan=plan,
                bay=cell[0],
                row=cell[1],
                tier=cell[2],
                move="discharge",
                container_number=c.number,
                container=c,
                unit=unit,
                iso_type=c.iso_type,
                length_ft=c.length_ft,
                full=unit.category != "empty",
                vgm_kg=unit.vgm_kg,
                gross_kg=unit.vgm_kg,
                pol=unit.pol or "",
                pod=unit.pod or visit.terminal.locode,
                operator=unit.line.code if unit.line_id else "",
                line=unit.line,
            )
        )
    PlanCell.objects.bulk_create(rows)
    return len(rows)


def _free_cells(
    visit: VesselVisit, freed: list[tuple[int, int, int, int]], length_ft: int
) -> list[tuple[int, int, int]]:
    """Cells for loads of one length: the cells the discharge frees first, then deck cells
    above the stacks on board (odd bays for 20', even bays for 40')."""
    aboard = {
        _cell(ref)
        for ref in ContainerVisit.objects.filter(
            position_visit=visit, position_kind="vessel"
        ).values_list("position_ref", flat=True)
    }
    out = [(b, r, t) for b, r, t, length in freed if length == length_ft]
    taken = set(out) | aboard
    bays = sorted({c[0] for c in aboard if c} | {1, 2, 3})
    rows = sorted({c[1] for c in aboard if c} | {1, 2})
    for bay in range(1, max(bays) + 2):
        if (bay % 2 == 0) != (length_ft >= 40):
            continue
        for row in rows:
            for tier in DECK_TIERS:
                if (bay, row, tier) not in taken:
                    out.append((bay, row, tier))
    return out


def _departure_plan(visit: VesselVisit, freed: list, limit: int, by: User) -> int:
    from stowage.models import StowagePlan
    from stowage.services import CellInput, departure_plan_save, load_list_from_yard

    if StowagePlan.objects.filter(vessel_visit=visit, kind="departure").exists() or limit <= 0:
        return 0
    load_list_from_yard(visit=visit, by=by)
    units = list(
        ContainerVisit.objects.filter(
            outbound_visit=visit, state="on_terminal", yard_occupancies__valid_to__isnull=True
        )
        .select_related("container")
        .order_by("pk")
    )
    units = _loadable(units)[:limit]
    cells: list[CellInput] = []
    by_length: dict[int, list[tuple[int, int, int]]] = {}
    for unit in units:
        length = 40 if unit.container.length_ft >= 40 else 20
        free = by_length.setdefault(length, _free_cells(visit, freed, length))
        if not free:
            continue
        bay, row, tier = free.pop(0)
        cells.append(
            CellInput(
                container_number=unit.container.number, bay=bay, row=row, tier=tier, move="load"
            )
        )
    if not cells:
        return 0
    departure_plan_save(visit=visit, cells=cells, by=by, status="final")
    return len(cells)


def day_plan(*, terminal: Terminal, start: dt.datetime, days: int, moves: int, by: User) -> DayPlan:
    """Prepare the day: equipment, stowage plans, work orders and crane queues of the calls
    alongside during ``[start, start + days)``, at most ``moves`` vessel moves in all (shared
    by the calls in berth order, half discharge and half load where the boxes exist)."""
    from berthing.models import BerthAssignment
    from operations.demo import operations_demo_seed

    end = start + dt.timedelta(days=days)
    plan = DayPlan(start=start, end=end)
    operations_demo_seed(terminal=terminal)
    rows = list(
        BerthAssignment.objects.filter(
            vessel_visit__terminal=terminal,
            is_published=True,
            berth_at__lt=end,
            depart_at__gt=start,
        )
        .select_related("vessel_visit__terminal")
        .order_by("berth_at", "pk")
    )
    seen: set[int] = set()
    budget = moves
    for row in rows:
        visit = row.vessel_visit
        if visit.pk in seen or budget <= 0:
            continue
        seen.add(visit.pk)
        share = max(2, budget // max(1, len(rows) - len(plan.visits)))
        with transaction.atomic():
            inbound = list(
                ContainerVisit.objects.filter(
                    position_visit=visit, position_kind="vessel", state="inbound"
                )
                .select_related("container", "line")
                .order_by("position_ref", "pk")[: share // 2]
            )
            discharged = _arrival_plan(visit, inbound)
            freed = [
                (*_cell(u.position_ref), 40 if u.container.length_ft >= 40 else 20)
                for u in inbound
                if _cell(u.position_ref)
            ]
            loaded = _departure_plan(visit, freed, share - discharged, by)
            services.work_orders_from_stowage(visit=visit, by=by)
            made = WorkOrder.objects.filter(vessel_visit=visit, status="planned").count()
            if made and not CraneQueue.objects.filter(vessel_visit=visit).exists():
                try:
                    services.crane_queues_build(visit=visit, by=by)
                except ApplicationError:
                    continue
        if not CraneQueue.objects.filter(vessel_visit=visit).exists():
            continue
        plan.visits.append(visit)
        plan.alongside[visit.pk] = max(start, row.berth_at)
        plan.counts["discharge"] += discharged
        plan.counts["load"] += loaded
        plan.counts["work_orders"] += made
        budget -= made
    return plan


# --- the engine ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Completed:
    """One completed move as the simulator saw it (what determinism compares)."""

    at_s: int
    equipment: str
    kind: str
    container: str
    position: tuple


@dataclass
class Report:
    """What a run measured."""

    moves: list[Completed] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)
    complete_ms: list[float] = field(default_factory=list)
    dispatch_ms: list[float] = field(default_factory=list)
    event_ms: list[float] = field(default_factory=list)
    events_lost: int = 0
    rehandles: int = 0
    interrupted: bool = False
    wall_s: float = 0.0
    sim_s: float = 0.0

    def latency_rows(self) -> list[tuple[str, int, Any, Any, Any]]:
        rows = []
        for name, values in (
            ("work_order_complete (call)", self.complete_ms),
            ("dispatch_next + accept (calls)", self.dispatch_ms),
            ("completion call sent → event at subscriber", self.event_ms),
        ):
            rows.append(
                (name, len(values), *(percentile(values, p) for p in (50, 95, 99)))  # type: ignore[arg-type]
            )
        return rows


class EventListener:
    """Listens on the terminal's Channels group in a thread of its own and records the wall
    time each ``work_order.completed`` event arrives (by work order id)."""

    def __init__(self, terminal_id: int) -> None:
        from tos.core.realtime import terminal_group

        self.group = terminal_group(terminal_id)
        self.arrived: dict[int, float] = {}
        self.ready = threading.Event()
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sim-listener", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> bool:
        self.thread.start()
        return self.ready.wait(10) and self.error is None

    def stop(self) -> None:
        self._stop.set()
        self.thread.join(5)

    def _run(self) -> None:
        try:
            asyncio.run(self._listen())
        except BaseException as exc:  # reported as "no event latency", never fatal to the run
            self.error = exc
            self.ready.set()

    async def _listen(self) -> None:
        from channels.layers import get_channel_layer

        layer = get_channel_layer()
        if layer is None:
            raise RuntimeError("no channel layer")
        channel = await layer.new_channel()
        await layer.group_add(self.group, channel)
        self.ready.set()
        try:
            while not self._stop.is_set():
                try:
                    message = await asyncio.wait_for(layer.receive(channel), 0.5)
                except TimeoutError:
                    continue
                event = message.get("event") or {}
                if event.get("type") == "work_order.completed":
                    self.arrived[(event.get("payload") or {}).get("work_order")] = time.time()
        finally:
            await layer.group_discard(self.group, channel)


class Simulator:
    """Runs the prepared day (see the module docstring)."""

    def __init__(
        self,
        *,
        terminal: Terminal,
        plan: DayPlan,
        seed: int,
        by: User,
        speed: float | None = None,
        listen: bool = True,
        on_move: Callable[[Completed], None] | None = None,
    ) -> None:
        self.terminal, self.plan, self.seed, self.by = terminal, plan, seed, by
        self.speed, self.listen, self.on_move = speed, listen, on_move
        self.heap: list[tuple[float, int, int]] = []
        self._tick = 0
        self.report = Report()
        self.equipment: dict[int, Equipment] = {}
        self.rate: dict[int, float] = {}
        self.commit_at: dict[int, float] = {}
        self.horizon = (plan.end - plan.start).total_seconds()

    def _push(self, at: float, equipment_id: int) -> None:
        self._tick += 1
        heapq.heappush(self.heap, (at, self._tick, equipment_id))

    def _cycle(self, eq: Equipment) -> float:
        rng = self._rngs[eq.pk]
        if eq.kind == EquipmentKind.QUAY_CRANE:
            seconds = 3600.0 / self.rate[eq.pk] * rng.uniform(1 - CYCLE_SPREAD, 1 + CYCLE_SPREAD)
        else:
            seconds = rng.uniform(*YARD_CYCLE_S)
        if rng.random() < DELAY_SHARE:
            seconds += rng.expovariate(1 / DELAY_MEAN_S)
        return seconds

    def _setup(self) -> None:
        queues = CraneQueue.objects.filter(vessel_visit__in=self.plan.visits).select_related(
            "crane"
        )
        starts: dict[int, float] = {}
        for q in queues:
            at = (self.plan.alongside[q.vessel_visit_id] - self.plan.start).total_seconds()
            starts[q.crane_id] = min(starts.get(q.crane_id, at), at)
        cranes = Equipment.objects.filter(
            terminal=self.terminal, kind=EquipmentKind.QUAY_CRANE, quay_crane_id__in=starts
        )
        yard = Equipment.objects.filter(
            terminal=self.terminal, kind__in=[EquipmentKind.RTG, EquipmentKind.RMG]
        )
        self._rngs: dict[int, random.Random] = {}
        for eq in [*cranes.order_by("name"), *yard.order_by("name")]:
            if eq.state in (EquipmentState.DOWN, EquipmentState.OFFLINE):
                continue
            self.equipment[eq.pk] = eq
            self._rngs[eq.pk] = _rng(self.seed, eq.name)
            if eq.kind == EquipmentKind.QUAY_CRANE:
                self.rate[eq.pk] = self._rngs[eq.pk].uniform(*CRANE_RATE)
                self._push(starts[eq.quay_crane_id], eq.pk)
            else:
                self._push(self._rngs[eq.pk].uniform(0, 60), eq.pk)

    def _position(self, wo: WorkOrder) -> services.Position | None:
        if wo.to_place == Place.VESSEL:
            return services.Position(
                place=Place.VESSEL, bay=wo.to_bay, row=wo.to_row, tier=wo.to_tier
            )
        if wo.to_place == Place.TRUCK:
            return services.Position(place=Place.TRUCK, truck=wo.to_truck, lane=wo.to_lane)
        if wo.to_block_id is None:
            return None
        return services.Position(
            place=Place.YARD, block=wo.to_block, bay=wo.to_bay, row=wo.to_row, tier=wo.to_tier
        )

    def _step(self, now_s: float, eq: Equipment) -> None:
        """The equipment is free at ``now_s``: finish its job in hand, then take the next."""
        job = WorkOrder.objects.filter(pk=eq.current_job_id).select_related("to_block").first()
        if job is not None and job.status == "in_progress":
            self._complete(now_s, eq, job)
        started = time.perf_counter()
        try:
            wo = services.dispatch_next(equipment=eq, by=self.by)
            if wo is not None:
                wo = services.work_order_accept(work_order=wo, equipment=eq, by=self.by)
        except ApplicationError as exc:
            self.report.refused[exc.code] += 1
            wo = None
        self.report.dispatch_ms.append((time.perf_counter() - started) * 1000)
        eq.refresh_from_db(fields=["current_job", "state"])
        if wo is None:
            if eq.kind != EquipmentKind.QUAY_CRANE and self._yard_has_work(eq):
                self._push(now_s + IDLE_RETRY_S, eq.pk)
            return  # a quay crane with nothing to dispatch has finished its queues
        self._push(now_s + self._cycle(eq), eq.pk)

    def _yard_has_work(self, eq: Equipment) -> bool:
        """Planned yard jobs of the crane's block (or with no slot yet) are waiting."""
        from django.db.models import Q

        from operations.choices import YARD_KINDS

        return WorkOrder.objects.filter(
            Q(from_block=eq.block_id) | Q(to_block=eq.block_id),
            terminal=self.terminal,
            kind__in=YARD_KINDS,
            status="planned",
        ).exists()

    def _complete(self, now_s: float, eq: Equipment, wo: WorkOrder) -> None:
        position = self._position(wo)
        if position is None:
            services.work_order_report_problem(
                work_order=wo,
                equipment=eq,
                kind="blocked_slot",
                note="simulator: no yard slot was free for this box",
                by=self.by,
            )
            self.report.refused["no_slot"] += 1
            return
        for _attempt in range(4):
            started, sent = time.perf_counter(), time.time()
            try:
                done = services.work_order_complete(
                    work_order=wo, equipment=eq, position=position, by=self.by
                )
                break
            except ApplicationError as exc:
                blocking = (
                    (exc.details or {}).get("blocking") if exc.code == "unit_blocked" else None
                )
                if blocking and all(self._rehandle(unit_id) for unit_id in blocking):
                    continue  # the boxes on top were shifted away: the crane lifts it now
                self.report.refused[exc.code] += 1
                services.work_order_report_problem(
                    work_order=wo, equipment=eq, kind="other", note=f"simulator: {exc.code}"[:500]
                )
                return
        else:
            return
        ended = time.perf_counter()
        self.commit_at[done.pk] = sent
        self.report.complete_ms.append((ended - started) * 1000)
        move = Completed(
            at_s=round(now_s),
            equipment=eq.name,
            kind=done.kind,
            container=done.container_number,
            position=tuple(sorted(position.as_dict().items())),
        )
        self.report.moves.append(move)
        if self.on_move is not None:
            self.on_move(move)

    def _rehandle(self, unit_id: int, depth: int = 0) -> bool:
        """Shift a box that stands on one the crane needs (a rehandle) to the slot the yard
        allocation suggests, shifting what stands on it first. True when it moved."""
        from yard import services as yard
        from yard.allocation import allocation_suggest
        from yard.choices import Origin
        from yard.models import YardBlock

        unit = ContainerVisit.objects.select_related("container").get(pk=unit_id)
        exclude: set[tuple[int, int, int, int]] = set()
        for _attempt in range(3):
            try:
                chosen = allocation_suggest(
                    unit=unit, origin=Origin.GATE, top=1, exclude=frozenset(exclude)
                ).chosen
            except ApplicationError:
                return False
            if chosen is None:
                return False
            try:
                yard.yard_unit_move(
                    unit=unit,
                    block=YardBlock.objects.get(pk=chosen.block_id),
                    bay=chosen.bay,
                    row=chosen.row,
                    tier=chosen.tier,
                    by=self.by,
                )
            except ApplicationError as exc:
                above = (exc.details or {}).get("blocking") if exc.code == "unit_blocked" else None
                if above and depth < 3 and all(self._rehandle(u, depth + 1) for u in above):
                    continue
                exclude.add((chosen.block_id, chosen.bay, chosen.row, chosen.tier))
                continue
            self.report.rehandles += 1
            return True
        return False

    def run(self, *, max_moves: int | None = None) -> Report:
        """Run the day to its end, until no equipment has anything left to do, or until
        ``max_moves`` moves are complete."""
        listener = EventListener(self.terminal.pk) if self.listen else None
        if listener is not None and not listener.start():
            listener = None
        self._setup()
        wall0 = time.monotonic()
        now_s = 0.0
        try:
            while self.heap:
                at, _, eq_id = heapq.heappop(self.heap)
                if at >= self.horizon:
                    break
                if self.speed:
                    delay = wall0 + at / self.speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                now_s = at
                eq = Equipment.objects.select_related("quay_crane", "block", "position_block").get(
                    pk=eq_id
                )
                try:
                    self._step(now_s, eq)
                except KeyboardInterrupt:
                    self.report.interrupted = True
                    break
                if max_moves is not None and len(self.report.moves) >= max_moves:
                    break
                if not any(
                    self.equipment[e].kind == EquipmentKind.QUAY_CRANE for *_, e in self.heap
                ):
                    break  # the ships' work of the day is done
        finally:
            self.report.wall_s = time.monotonic() - wall0
            self.report.sim_s = now_s
            if listener is not None:
                deadline = time.monotonic() + 3
                while (
                    len(set(self.commit_at) - set(listener.arrived)) > 0
                    and time.monotonic() < deadline
                ):
                    time.sleep(0.05)
                listener.stop()
                for pk, committed in self.commit_at.items():
                    if pk in listener.arrived:
                        self.report.event_ms.append((listener.arrived[pk] - committed) * 1000)
                    else:
                        self.report.events_lost += 1
        return self.report


def day_kpis(*, terminal: Terminal, start: dt.datetime, end: dt.datetime) -> dict[str, Any]:
    """The KPI figures of ``[start, end)`` (operations/kpis.py), by name."""
    from operations.kpis import kpi_compute, kpi_figures

    out = {}
    for figure in kpi_figures():
        try:
            out[figure["name"]] = kpi_compute(
                figure=figure["name"], terminal=terminal, start=start, end=end
            )
        except ApplicationError as exc:
            out[figure["name"]] = {"error": exc.code}
    return out


def simulate(
    *,
    terminal: Terminal,
    seed: int,
    days: int = 1,
    moves: int = 400,
    speed: float | None = None,
    by: User,
    listen: bool = True,
    on_move: Callable[[Completed], None] | None = None,
) -> tuple[DayPlan, Report]:
    """Prepare the day and run it (see the module docstring)."""
    start = timezone.now().replace(second=0, microsecond=0)
    plan = day_plan(terminal=terminal, start=start, days=days, moves=moves, by=by)
    sim = Simulator(
        terminal=terminal, plan=plan, seed=seed, by=by, speed=speed, listen=listen, on_move=on_move
    )
    return plan, sim.run()


def moves_by_kind(report: Report) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for m in report.moves:
        counts[m.kind] += 1
    return dict(counts)
