"""The operations demo seed: equipment for every crane and gantry block, and the calls' work."""

from __future__ import annotations

from operations.demo import STRADDLES, TRUCKS, operations_demo_seed
from operations.models import CraneQueue, Equipment, WorkOrder


def test_the_demo_seed_creates_equipment_and_plans_the_work_once(scene):
    Equipment.objects.all().delete()
    scene.discharge_cell(2, 1, 82)
    scene.discharge_cell(10, 1, 82)

    first = operations_demo_seed(terminal=scene.terminal)
    again = operations_demo_seed(terminal=scene.terminal)

    assert first == {"equipment": 2 + 1 + STRADDLES + TRUCKS, "work_orders": 2, "crane_queues": 2}
    assert again == {"equipment": 0, "work_orders": 0, "crane_queues": 0}
    assert sorted(Equipment.objects.filter(kind="quay_crane").values_list("name", flat=True)) == [
        "QC01",
        "QC02",
    ]
    assert Equipment.objects.get(kind="rtg").name == "RTG-A01"
    assert WorkOrder.objects.filter(status="planned").count() == 2
    assert CraneQueue.objects.count() == 2
