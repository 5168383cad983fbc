"""Work order generation, crane queues, dispatch and atomic, idempotent move completion on real
PostgreSQL."""

from __future__ import annotations

import pytest

from operations import selectors, services
from operations.models import CraneQueue, Equipment, ProblemReport, WorkOrder
from operations.services import Position
from stowage.models import PlanCell
from tos import edi
from tos.core.errors import ApplicationError
from tos.core.models import ContainerVisit, Event
from tos.core.services import hold_apply, hold_release
from yard.models import YardMove, YardOccupancy


def yard(scene, bay: int, row: int, tier: int) -> Position:
    return Position(place="yard", block=scene.block, bay=bay, row=row, tier=tier)


def vessel(bay: int, row: int, tier: int) -> Position:
    return Position(place="vessel", bay=bay, row=row, tier=tier)


def order_of(unit) -> WorkOrder:
    return WorkOrder.objects.get(unit=unit)


def event_types() -> list[str]:
    return list(Event.objects.order_by("seq").values_list("type", flat=True))


# --- generation ---------------------------------------------------------------------------------


def test_stowage_plans_give_discharge_and_load_orders_once(scene, operator):
    d1 = scene.discharge_cell(2, 1, 82)
    d2 = scene.discharge_cell(2, 1, 84)
    load = scene.load_cell(6, 2, 82, yard=(1, 1, 1))

    counts = services.work_orders_from_stowage(visit=scene.visit, by=operator)
    again = services.work_orders_from_stowage(visit=scene.visit, by=operator)

    assert counts == {"discharge": 2, "load": 1, "restow": 0, "existing": 0, "no_unit": 0}
    assert again == {"discharge": 0, "load": 0, "restow": 0, "existing": 3, "no_unit": 0}
    discharge = order_of(d1)
    assert (discharge.kind, discharge.status, discharge.from_place) == (
        "discharge",
        "planned",
        "vessel",
    )
    assert (discharge.from_bay, discharge.from_row, discharge.from_tier) == (2, 1, 82)
    assert (discharge.to_place, discharge.to_block_id) == ("yard", None)
    assert order_of(d2).from_tier == 84
    loading = order_of(load)
    assert (loading.from_block, loading.from_bay, loading.from_row, loading.from_tier) == (
        scene.block,
        1,
        1,
        1,
    )
    assert (loading.to_place, loading.to_bay, loading.to_row, loading.to_tier) == (
        "vessel",
        6,
        2,
        82,
    )


def test_a_second_active_order_for_the_same_unit_is_refused_by_the_database(scene):
    unit = scene.discharge_cell(2, 1, 82)
    services.work_orders_from_stowage(visit=scene.visit)
    duplicate = WorkOrder(
        terminal=scene.terminal,
        kind="shift",
        unit=unit,
        container_number="OTHER000001",
        from_place="truck",
        to_place="truck",
        source="manual",
    )
    with pytest.raises(ApplicationError) as exc:
        services._write(duplicate)
    assert exc.value.code == "unit_has_active_work_order"
    assert WorkOrder.objects.filter(unit=unit).count() == 1


def test_relocation_moves_become_shift_orders_dispatched_in_the_jobs_order(scene, operator):
    from tos.core.models import SolverRun
    from yard import services as yard_services

    run = SolverRun.objects.create(terminal=scene.terminal, kind="yard.brp", status="succeeded")
    a = scene.unit()
    b = scene.unit()
    yard_services.yard_unit_place(unit=a, block=scene.block, bay=5, row=1, tier=1)
    yard_services.yard_unit_place(unit=b, block=scene.block, bay=5, row=1, tier=2)
    second = yard_services.yard_move_plan(
        unit=a, block=scene.block, bay=9, row=1, tier=1, sequence=2, solver_run_id=run.pk
    )
    first = yard_services.yard_move_plan(
        unit=b, block=scene.block, bay=7, row=1, tier=1, sequence=1, solver_run_id=run.pk
    )

    created = services.work_orders_from_relocation(run=run, by=operator)

    assert [o.yard_move_id for o in created] == [first.pk, second.pk]
    assert [o.kind for o in created] == ["shift", "shift"]
    # The RTG stands at bay 9, nearer the second step, but gets the first.
    Equipment.objects.filter(pk=scene.rtg.pk).update(position_bay=9)
    job = services.dispatch_next(equipment=Equipment.objects.get(pk=scene.rtg.pk))
    assert job.yard_move_id == first.pk
    services.work_order_complete(
        work_order=job, equipment=scene.rtg, position=yard(scene, 7, 1, 1), by=operator
    )
    assert YardMove.objects.get(pk=first.pk).status == "confirmed"
    nxt = services.dispatch_next(equipment=Equipment.objects.get(pk=scene.rtg.pk))
    assert nxt.yard_move_id == second.pk


# --- crane queues -------------------------------------------------------------------------------


def build_ship(scene):
    """Hatch 0 (bays 1-3): two deck boxes over one hold box to discharge and two loads;
    hatch 1 (bays 5-7): two discharges; hatch 2 (bays 9-11): three loads."""
    units = {
        "d_deck_low": scene.discharge_cell(2, 1, 82),
        "d_deck_high": scene.discharge_cell(2, 1, 84),
        "d_hold": scene.discharge_cell(2, 1, 6),
        "d_h1_a": scene.discharge_cell(6, 1, 82),
        "d_h1_b": scene.discharge_cell(6, 2, 82),
        "l_hold": scene.load_cell(2, 2, 2, yard=(1, 1, 1)),
        "l_deck": scene.load_cell(2, 2, 82, yard=(3, 1, 1)),
        "l_h2_a": scene.load_cell(10, 1, 82, yard=(5, 1, 1)),
        "l_h2_b": scene.load_cell(10, 2, 82, yard=(7, 1, 1)),
        "l_h2_c": scene.load_cell(10, 3, 82, yard=(9, 1, 1)),
    }
    services.work_orders_from_stowage(visit=scene.visit)
    queues = services.crane_queues_build(visit=scene.visit)
    return units, queues


def sequence_of(queue) -> list[str]:
    return list(
        WorkOrder.objects.filter(crane_queue=queue)
        .order_by("sequence")
        .values_list("container_number", flat=True)
    )


def test_crane_queues_split_the_ship_into_contiguous_balanced_bay_ranges_in_rail_order(scene):
    units, queues = build_ship(scene)
    n = {k: u.container.number for k, u in units.items()}

    assert [q.crane.name for q in queues] == ["QC01", "QC02"]
    # 10 moves over hatches 0 (5 moves), 1 (2), 2 (3): the best split is {0} | {1, 2}.
    assert [(q.first_bay, q.last_bay) for q in queues] == [(2, 2), (6, 10)]
    # Once the deck of hatch 0 is clear, the hold load of row 2 rides the return trip of the
    # last deck discharge; the deck load rides the hold discharge's.
    assert sequence_of(queues[0]) == [
        n["d_deck_high"],
        n["d_deck_low"],
        n["l_hold"],
        n["d_hold"],
        n["l_deck"],
    ]
    assert sequence_of(queues[1]) == [
        n["d_h1_a"],
        n["d_h1_b"],
        n["l_h2_a"],
        n["l_h2_b"],
        n["l_h2_c"],
    ]
    assert set(WorkOrder.objects.filter(crane_queue=queues[1]).values_list("pool", flat=True)) == {
        "QC02"
    }


def test_a_load_is_dual_cycled_with_the_discharge_that_frees_its_stack_and_hatch(scene):
    units, _queues = build_ship(scene)
    assert order_of(units["d_deck_low"]).paired_with == order_of(units["l_hold"])
    assert order_of(units["d_hold"]).paired_with == order_of(units["l_deck"])
    assert order_of(units["d_deck_high"]).paired_with is None
    assert order_of(units["d_h1_a"]).paired_with is None


def test_rebuilding_queues_after_a_move_started_is_refused(scene, operator):
    _units, _queues = build_ship(scene)
    services.dispatch_next(equipment=scene.qc[0], by=operator)
    with pytest.raises(ApplicationError) as exc:
        services.crane_queues_build(visit=scene.visit)
    assert exc.value.code == "queue_started"
    assert CraneQueue.objects.filter(vessel_visit=scene.visit).count() == 2


def test_resequencing_refuses_a_discharge_under_a_box_still_on_board(scene, operator):
    units, queues = build_ship(scene)
    queue = queues[0]
    before = list(
        WorkOrder.objects.filter(crane_queue=queue)
        .order_by("sequence")
        .values_list("pk", "sequence")
    )
    ids = [pk for pk, _ in before]
    # The deck box at tier 82 before the one at 84 above it.
    order = [ids[1], ids[0], *ids[2:]]
    with pytest.raises(ApplicationError) as exc:
        services.crane_queue_resequence(queue=queue, order=order, revision=1, by=operator)
    assert exc.value.code == "overstow"
    assert units["d_deck_low"].container.number in exc.value.message
    assert (
        list(
            WorkOrder.objects.filter(crane_queue=queue)
            .order_by("sequence")
            .values_list("pk", "sequence")
        )
        == before
    )
    assert CraneQueue.objects.get(pk=queue.pk).revision == 1


def test_resequencing_refuses_a_hold_discharge_before_the_deck_of_its_hatch(scene, operator):
    units, queues = build_ship(scene)
    hold = order_of(units["d_hold"]).pk
    rest = [
        pk
        for pk in WorkOrder.objects.filter(crane_queue=queues[0])
        .order_by("sequence")
        .values_list("pk", flat=True)
        if pk != hold
    ]
    with pytest.raises(ApplicationError) as exc:
        services.crane_queue_resequence(queue=queues[0], order=[hold, *rest], revision=1)
    assert exc.value.code == "overstow"


def test_resequencing_refuses_taking_over_a_move_that_makes_cranes_cross(scene, operator):
    units, queues = build_ship(scene)
    qc1, qc2 = queues
    far = order_of(units["l_h2_c"]).pk  # hatch 2, beyond QC02's first hatch
    own = list(
        WorkOrder.objects.filter(crane_queue=qc1).order_by("sequence").values_list("pk", flat=True)
    )
    with pytest.raises(ApplicationError) as exc:
        services.crane_queue_resequence(queue=qc1, order=[*own, far], revision=1)
    assert exc.value.code == "crane_crossing"
    assert "QC01" in exc.value.message
    assert "QC02" in exc.value.message
    assert WorkOrder.objects.get(pk=far).crane_queue_id == qc2.pk


def test_resequencing_with_a_stale_revision_is_refused_with_412(scene):
    _units, queues = build_ship(scene)
    ids = list(
        WorkOrder.objects.filter(crane_queue=queues[1])
        .order_by("sequence")
        .values_list("pk", flat=True)
    )
    with pytest.raises(ApplicationError) as exc:
        services.crane_queue_resequence(queue=queues[1], order=ids, revision=7)
    assert (exc.value.code, exc.value.status) == ("stale_revision", 412)


def test_a_valid_resequence_renumbers_the_queue_and_bumps_its_revision(scene, operator):
    units, queues = build_ship(scene)
    qc2 = queues[1]
    n = {k: u.container.number for k, u in units.items()}
    ids = list(
        WorkOrder.objects.filter(crane_queue=qc2).order_by("sequence").values_list("pk", flat=True)
    )
    # Loads of hatch 2 first, then the discharges of hatch 1: no overstow, no crossing.
    changed = services.crane_queue_resequence(
        queue=qc2, order=[ids[2], ids[3], ids[4], ids[0], ids[1]], revision=1, by=operator
    )
    assert [q.pk for q in changed] == [qc2.pk]
    assert CraneQueue.objects.get(pk=qc2.pk).revision == 2
    assert sequence_of(qc2) == [n["l_h2_a"], n["l_h2_b"], n["l_h2_c"], n["d_h1_a"], n["d_h1_b"]]
    assert event_types()[-1] == "crane_queue.resequenced"


def test_a_crane_can_take_over_its_neighbours_adjacent_hatch(scene):
    units, queues = build_ship(scene)
    qc1, qc2 = queues
    h1 = [order_of(units["d_h1_a"]).pk, order_of(units["d_h1_b"]).pk]
    own = list(
        WorkOrder.objects.filter(crane_queue=qc1).order_by("sequence").values_list("pk", flat=True)
    )

    services.crane_queue_resequence(queue=qc1, order=[*own, *h1], revision=1)

    qc1.refresh_from_db()
    qc2.refresh_from_db()
    assert (qc1.first_bay, qc1.last_bay, qc1.revision) == (2, 6, 2)
    assert (qc2.first_bay, qc2.last_bay, qc2.revision) == (10, 10, 2)
    assert list(
        WorkOrder.objects.filter(crane_queue=qc2)
        .order_by("sequence")
        .values_list("sequence", flat=True)
    ) == [1, 2, 3]


# --- dispatch -----------------------------------------------------------------------------------


def test_quay_crane_dispatch_follows_its_queue_and_yard_crane_takes_the_nearest_job(
    scene, operator
):
    units, _queues = build_ship(scene)
    job = services.dispatch_next(equipment=scene.qc[0], by=operator)
    assert job.container_number == units["d_deck_high"].container.number
    assert job.status == "dispatched"
    assert Equipment.objects.get(pk=scene.qc[0].pk).current_job_id == job.pk
    # Asking again gives the same job in hand.
    assert services.dispatch_next(equipment=scene.qc[0]).pk == job.pk

    near, far = scene.unit(), scene.unit()
    from yard import services as yard_services

    yard_services.yard_unit_place(unit=far, block=scene.block, bay=17, row=2, tier=1)
    yard_services.yard_unit_place(unit=near, block=scene.block, bay=13, row=2, tier=1)
    for unit, target in ((far, 19), (near, 11)):
        move = yard_services.yard_move_plan(unit=unit, block=scene.block, bay=target, row=3, tier=1)
        WorkOrder.objects.create(
            terminal=scene.terminal,
            kind="shift",
            unit=unit,
            container_number=unit.container.number,
            yard_move=move,
            source="manual",
            from_place="yard",
            from_block=scene.block,
            from_bay=17 if unit == far else 13,
            from_row=2,
            from_tier=1,
            to_place="yard",
            to_block=scene.block,
            to_bay=target,
            to_row=3,
            to_tier=1,
        )
    Equipment.objects.filter(pk=scene.rtg.pk).update(position_bay=11)
    assert services.dispatch_next(equipment=scene.rtg).unit_id == near.pk


def test_horizontal_transport_takes_the_most_urgent_then_the_nearest_job_of_its_pool(scene):
    from yard import services as yard_services
    from yard.tests.factories import YardBlockFactory

    far_block = YardBlockFactory(terminal=scene.terminal, name="B09", x_m=900, y_m=400)
    jobs = {}
    for name, block, priority in (
        ("far", far_block, 5),
        ("near", scene.block, 5),
        ("urgent", far_block, 8),
        ("other_pool", scene.block, 9),
    ):
        unit = scene.unit()
        bay = 1 + 2 * len(jobs)
        yard_services.yard_unit_place(unit=unit, block=block, bay=bay, row=1, tier=1)
        jobs[name] = WorkOrder.objects.create(
            terminal=scene.terminal,
            kind="delivery",
            unit=unit,
            container_number=unit.container.number,
            priority=priority,
            pool="HT9" if name == "other_pool" else "",
            source="manual",
            from_place="yard",
            from_block=block,
            from_bay=bay,
            from_row=1,
            from_tier=1,
            to_place="truck",
            to_truck="AB123",
        )
    sc1, sc2 = scene.straddles
    assert services.dispatch_next(equipment=sc1).pk == jobs["urgent"].pk
    assert services.dispatch_next(equipment=sc2).pk == jobs["near"].pk
    Equipment.objects.filter(pk=sc1.pk).update(current_job=None)
    WorkOrder.objects.filter(pk=jobs["urgent"].pk).update(status="cancelled")
    assert services.dispatch_next(equipment=Equipment.objects.get(pk=sc1.pk)).pk == jobs["far"].pk


def test_equipment_that_is_down_gets_no_job(scene):
    scene.discharge_cell(2, 1, 82)
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    services.equipment_state_set(equipment=scene.qc[0], state="down")
    with pytest.raises(ApplicationError) as exc:
        services.dispatch_next(equipment=scene.qc[0])
    assert exc.value.code == "equipment_unavailable"
    assert WorkOrder.objects.get().status == "planned"


# --- completion ---------------------------------------------------------------------------------


def discharge_ready(scene, operator):
    unit = scene.discharge_cell(2, 1, 82)
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    job = services.dispatch_next(equipment=scene.qc[0], by=operator)
    return unit, job


def test_dispatching_a_discharge_reserves_a_yard_slot_through_a_planned_yard_move(scene, operator):
    unit, job = discharge_ready(scene, operator)
    move = job.yard_move
    assert (move.kind, move.status, move.unit_id) == ("discharge", "planned", unit.pk)
    assert (job.to_block, job.to_bay, job.to_row, job.to_tier) == (
        move.to_block,
        move.to_bay,
        move.to_row,
        move.to_tier,
    )
    assert Event.objects.filter(type="work_order.dispatched").get().payload["to"]["block"] == "A01"


def test_completing_a_discharge_changes_vessel_unit_yard_order_queue_and_equipment_together(
    scene, operator
):
    unit, job = discharge_ready(scene, operator)
    services.work_order_accept(work_order=job, equipment=scene.qc[0], by=operator)
    target = yard(scene, job.to_bay, job.to_row, job.to_tier)
    seq_before = Event.objects.count()

    done = services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=target, by=operator
    )

    assert (done.status, done.replayed) == ("completed", False)
    occ = YardOccupancy.objects.get(unit=unit, valid_to__isnull=True)
    assert (occ.block, occ.bay, occ.row, occ.tier) == (scene.block, job.to_bay, job.to_row, 1)
    assert YardMove.objects.get(pk=job.yard_move_id).status == "confirmed"
    unit.refresh_from_db()
    assert (unit.state, unit.position_kind, unit.position_ref) == (
        "on_terminal",
        "yard",
        f"A01.{job.to_bay:02d}.{job.to_row}.1",
    )
    cell = PlanCell.objects.get(unit=unit)
    assert cell.confirmed is True
    assert cell.moved_at == done.completed_at
    qc = Equipment.objects.get(pk=scene.qc[0].pk)
    assert (qc.current_job_id, qc.state) == (None, "idle")
    new = list(Event.objects.order_by("seq").values_list("type", flat=True))[seq_before:]
    assert new == [
        "stowage.moves_confirmed",
        "unit.state_changed",
        "yard.unit_placed",
        "yard.move_confirmed",
        "equipment.changed",
        "work_order.completed",
    ]
    completed = Event.objects.get(type="work_order.completed")
    assert completed.payload["queue"] == {"done": 1, "total": 1}


def test_a_box_put_elsewhere_than_reserved_stands_there_and_the_reservation_is_dropped(
    scene, operator
):
    unit, job = discharge_ready(scene, operator)
    elsewhere = (17, 4, 1)
    assert (job.to_bay, job.to_row, job.to_tier) != elsewhere

    done = services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=yard(scene, *elsewhere), by=operator
    )

    assert (done.to_bay, done.to_row, done.to_tier) == elsewhere
    occ = YardOccupancy.objects.get(unit=unit, valid_to__isnull=True)
    assert (occ.bay, occ.row, occ.tier) == elsewhere
    move = YardMove.objects.get(pk=job.yard_move_id)
    assert move.status == "cancelled"
    assert move.cancel_reason == f"work order {job.pk} put it elsewhere"


def test_completing_again_with_the_same_payload_replays_and_a_different_position_is_409(
    scene, operator
):
    unit, job = discharge_ready(scene, operator)
    services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=yard(scene, 5, 2, 1), by=operator
    )
    events_after = Event.objects.count()

    again = services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=yard(scene, 5, 2, 1), by=operator
    )
    assert again.replayed is True
    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=job, equipment=scene.qc[0], position=yard(scene, 7, 2, 1), by=operator
        )
    assert (exc.value.code, exc.value.status) == ("work_order_completed", 409)
    assert Event.objects.count() == events_after
    assert YardOccupancy.objects.filter(unit=unit).count() == 1


def test_a_failure_in_the_yard_step_leaves_order_vessel_and_unit_unchanged(scene, operator):
    from yard import services as yard_services

    unit, job = discharge_ready(scene, operator)
    reserved = (job.to_block_id, job.to_bay, job.to_row, job.to_tier)
    blocker = scene.unit()
    yard_services.yard_unit_place(unit=blocker, block=scene.block, bay=17, row=4, tier=1)
    events_before = Event.objects.count()

    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=job, equipment=scene.qc[0], position=yard(scene, 17, 4, 1), by=operator
        )

    assert (exc.value.code, exc.value.status) == ("slot_occupied", 409)
    job.refresh_from_db()
    assert (job.status, job.completed_at) == ("dispatched", None)
    assert (job.to_block_id, job.to_bay, job.to_row, job.to_tier) == reserved
    assert YardMove.objects.get(pk=job.yard_move_id).status == "planned"
    assert PlanCell.objects.get(unit=unit).confirmed is False
    unit.refresh_from_db()
    assert (unit.state, unit.position_kind) == ("inbound", "vessel")
    assert not YardOccupancy.objects.filter(unit=unit).exists()
    assert Equipment.objects.get(pk=scene.qc[0].pk).current_job_id == job.pk
    assert Event.objects.count() == events_before


def test_a_loading_hold_blocks_the_load_at_the_crane_and_its_release_lets_it_go(scene, operator):
    unit = scene.load_cell(2, 1, 82, yard=(3, 1, 1))
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    job = services.dispatch_next(equipment=scene.qc[0], by=operator)
    hold = hold_apply(
        unit=unit,
        kind="customs",
        blocks=["loading"],
        reason="X-ray pending",
        reference="CUS-77",
        by=operator,
    )
    events_before = Event.objects.count()

    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=job, equipment=scene.qc[0], position=vessel(2, 1, 82), by=operator
        )

    assert (exc.value.code, exc.value.status) == ("held", 409)
    assert "Customs hold CUS-77: X-ray pending" in exc.value.message
    assert exc.value.details["holds"] == [hold.pk]
    assert YardOccupancy.objects.filter(unit=unit, valid_to__isnull=True).count() == 1
    assert PlanCell.objects.get(unit=unit).confirmed is False
    assert WorkOrder.objects.get(pk=job.pk).status == "dispatched"
    assert Event.objects.count() == events_before

    hold_release(hold=hold, by=operator)
    done = services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=vessel(2, 1, 82), by=operator
    )
    assert done.status == "completed"
    unit.refresh_from_db()
    assert (unit.state, unit.position_kind, unit.position_ref, unit.position_visit_id) == (
        "outbound",
        "vessel",
        "0020182",
        scene.visit.pk,
    )
    assert not YardOccupancy.objects.filter(unit=unit, valid_to__isnull=True).exists()
    assert PlanCell.objects.get(unit=unit).confirmed is True


def test_a_load_into_another_cell_than_planned_is_refused(scene, operator):
    scene.load_cell(2, 1, 82, yard=(3, 1, 1))
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    job = services.dispatch_next(equipment=scene.qc[0], by=operator)
    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=job, equipment=scene.qc[0], position=vessel(2, 3, 82), by=operator
        )
    assert exc.value.code == "vessel_cell_mismatch"
    assert WorkOrder.objects.get(pk=job.pk).status == "dispatched"


def test_another_equipment_cannot_complete_a_dispatched_job(scene, operator):
    _unit, job = discharge_ready(scene, operator)
    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=job, equipment=scene.qc[1], position=yard(scene, 5, 2, 1), by=operator
        )
    assert (exc.value.code, exc.value.status) == ("not_your_job", 409)


def test_a_problem_report_frees_the_equipment_and_replanning_puts_the_order_back(scene, operator):
    _unit, job = discharge_ready(scene, operator)
    report = services.work_order_report_problem(
        work_order=job, equipment=scene.qc[0], kind="damaged_box", note="Door bent", by=operator
    )
    assert (report.kind, report.note) == ("damaged_box", "Door bent")
    job.refresh_from_db()
    assert job.status == "problem"
    assert Equipment.objects.get(pk=scene.qc[0].pk).current_job_id is None
    assert services.dispatch_next(equipment=scene.qc[0]) is None
    services.work_order_replan(work_order=job, by=operator)
    assert ProblemReport.objects.get().resolved_at is not None
    assert services.dispatch_next(equipment=scene.qc[0]).pk == job.pk


def test_a_problem_box_holds_up_its_hatch_and_the_crane_goes_on_with_the_next(scene, operator):
    units, _queues = build_ship(scene)
    first = services.dispatch_next(equipment=scene.qc[1], by=operator)
    assert first.unit_id == units["d_h1_a"].pk
    services.work_order_report_problem(
        work_order=first, equipment=scene.qc[1], kind="damaged_box", by=operator
    )
    nxt = services.dispatch_next(equipment=scene.qc[1], by=operator)
    assert nxt.unit_id == units["l_h2_a"].pk
    top = services.dispatch_next(equipment=scene.qc[0], by=operator)
    services.work_order_report_problem(
        work_order=top, equipment=scene.qc[0], kind="wrong_box", by=operator
    )
    assert services.dispatch_next(equipment=scene.qc[0], by=operator) is None


def test_gate_receival_goes_to_the_reserved_slot_through_the_planned_yard_move(scene, operator):
    from yard import services as yard_services

    unit = scene.unit(state="inbound", position_kind="truck", position_ref="AB123")
    move = yard_services.yard_move_plan(
        unit=unit, block=scene.block, bay=7, row=1, tier=1, kind="receival"
    )

    wo = WorkOrder(
        terminal=scene.terminal,
        kind="receival",
        unit=unit,
        container_number=unit.container.number,
        yard_move=move,
        source="gate",
        from_place="truck",
        from_truck="AB123",
        from_lane="IN1",
        to_place="yard",
        to_block=scene.block,
        to_bay=7,
        to_row=1,
        to_tier=1,
    )
    wo.save()
    done = services.work_order_complete(
        work_order=wo, equipment=scene.straddles[0], position=yard(scene, 7, 1, 1), by=operator
    )
    assert done.status == "completed"
    assert YardMove.objects.get(pk=move.pk).status == "confirmed"
    unit.refresh_from_db()
    assert (unit.state, unit.position_ref) == ("on_terminal", "A01.07.1.1")


def test_a_delivery_is_refused_while_a_delivery_hold_is_active(scene, operator):
    from yard import services as yard_services

    unit = scene.unit(state="outbound", category="import")
    yard_services.yard_unit_place(unit=unit, block=scene.block, bay=1, row=1, tier=1)
    wo = WorkOrder.objects.create(
        terminal=scene.terminal,
        kind="delivery",
        unit=unit,
        container_number=unit.container.number,
        source="gate",
        from_place="yard",
        from_block=scene.block,
        from_bay=1,
        from_row=1,
        from_tier=1,
        to_place="truck",
        to_truck="ZZ999",
    )
    hold_apply(unit=unit, kind="line", blocks=["delivery"], reason="Freight unpaid", by=operator)
    truck = Position(place="truck", truck="ZZ999", lane="OUT1")
    with pytest.raises(ApplicationError) as exc:
        services.work_order_complete(
            work_order=wo, equipment=scene.straddles[0], position=truck, by=operator
        )
    assert exc.value.code == "held"
    assert "Freight unpaid" in exc.value.message
    assert YardOccupancy.objects.filter(unit=unit, valid_to__isnull=True).count() == 1
    assert ContainerVisit.objects.get(pk=unit.pk).position_kind == "yard"


# --- COARRI -------------------------------------------------------------------------------------


def test_coarri_reports_the_completed_discharges_with_their_cells_and_times(scene, operator):
    first, job = discharge_ready(scene, operator)
    services.work_order_complete(
        work_order=job, equipment=scene.qc[0], position=yard(scene, 5, 2, 1), by=operator
    )
    text, count = selectors.coarri_from_moves(visit=scene.visit, kind="discharge")

    assert count == 1
    assert "BGM+44+OPS-01-DIS" in text
    assert f"EQD+CN+{first.container.number}+22G1:102:5++3+5'" in text
    assert "LOC+147+0020182::5'" in text
    parsed, report = edi.read_coarri(text)
    assert report.ok
    assert parsed.kind == "discharge"
    assert [(ln.container, ln.position.code) for ln in parsed.lines] == [
        (first.container.number, "0020182")
    ]
    assert selectors.coarri_from_moves(visit=scene.visit, kind="load")[1] == 0
