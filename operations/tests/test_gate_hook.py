"""The gate hook: an accepted gate-in gives a receival work order to the slot the gate reserved;
completing it confirms the gate's planned yard move."""

from __future__ import annotations

from gate.models import GateTransaction
from operations import services
from operations.services import Position
from tos.core.models import ContainerVisit
from yard.models import YardMove


def test_an_accepted_drop_off_becomes_a_receival_to_the_reserved_slot(
    scene, operator, advise_export, book, gate_in
):
    advice, appointment = advise_export(), book()
    response = gate_in(
        [{"container_number": advice["container_number"], "seals": advice["seals"]}],
        appointment=appointment["reference"],
    )
    assert response.status_code == 201, response.json()
    tx = GateTransaction.objects.select_related("visit__lane", "yard_move__to_block").get()
    move = tx.yard_move

    wo = services.work_order_from_gate(gate_transaction=tx, by=operator)

    assert services.work_order_from_gate(gate_transaction=tx, by=operator).pk == wo.pk
    assert (wo.kind, wo.status, wo.from_place, wo.from_truck, wo.from_lane) == (
        "receival",
        "planned",
        "truck",
        "AB-12-CD",
        "IN1",
    )
    assert (wo.to_block_id, wo.to_bay, wo.to_row, wo.to_tier) == (
        move.to_block_id,
        move.to_bay,
        move.to_row,
        move.to_tier,
    )
    job = services.dispatch_next(equipment=scene.straddles[0], by=operator)
    assert job.pk == wo.pk
    target = Position(
        place="yard", block=move.to_block, bay=move.to_bay, row=move.to_row, tier=move.to_tier
    )
    services.work_order_complete(
        work_order=job, equipment=scene.straddles[0], position=target, by=operator
    )
    assert YardMove.objects.get(pk=move.pk).status == "confirmed"
    unit = ContainerVisit.objects.get(pk=tx.unit_id)
    assert (unit.state, unit.position_kind) == ("on_terminal", "yard")
