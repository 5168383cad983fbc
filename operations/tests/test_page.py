"""The operations module page shows the equipment, crane queues and open work orders."""

from __future__ import annotations

from operations import services


def test_the_operations_page_lists_equipment_queues_and_open_orders(scene, client, operator):
    unit = scene.discharge_cell(2, 1, 82)
    services.work_orders_from_stowage(visit=scene.visit)
    services.crane_queues_build(visit=scene.visit)
    client.force_login(operator)

    response = client.get("/operations/")

    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Equipment", "RTG1", "Crane work queues", "Open work orders", "Moves in the last"):
        assert text in html
    assert unit.container.number in html
    assert "vessel 0020182" in html
    assert "yard, slot to be chosen" in html
    assert "QC01 #1" in html


def test_the_operations_page_needs_a_login(client, db):
    response = client.get("/operations/")
    assert response.status_code == 302
