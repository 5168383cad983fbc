"""Choices of the operations app."""

from django.db import models


class EquipmentKind(models.TextChoices):
    QUAY_CRANE = "quay_crane", "Quay crane (STS)"
    RTG = "rtg", "RTG"
    RMG = "rmg", "RMG"
    STRADDLE = "straddle", "Straddle carrier"
    TRUCK = "truck", "Terminal truck"
    IGV = "igv", "IGV / AGV"


#: Yard cranes: each works one block and takes the nearest job there.
YARD_CRANES = (EquipmentKind.RTG, EquipmentKind.RMG)
#: Horizontal transport: pooled, takes the most urgent, oldest job of its pool near it.
HORIZONTAL = (EquipmentKind.STRADDLE, EquipmentKind.TRUCK, EquipmentKind.IGV)


class EquipmentState(models.TextChoices):
    IDLE = "idle", "Idle"
    WORKING = "working", "Working"
    DOWN = "down", "Down (breakdown or maintenance)"
    OFFLINE = "offline", "Offline (no driver, logged off)"


class WorkOrderKind(models.TextChoices):
    DISCHARGE = "discharge", "Discharge (vessel to yard)"
    LOAD = "load", "Load (yard to vessel)"
    RECEIVAL = "receival", "Receival (truck to yard)"
    DELIVERY = "delivery", "Delivery (yard to truck)"
    RESTOW = "restow", "Restow (vessel to vessel)"
    SHIFT = "shift", "Yard shift / housekeeping"


#: Moves a quay crane makes: they sit in a crane work queue.
VESSEL_KINDS = (WorkOrderKind.DISCHARGE, WorkOrderKind.LOAD, WorkOrderKind.RESTOW)
#: Moves the yard side makes (yard cranes and horizontal transport).
YARD_KINDS = (WorkOrderKind.RECEIVAL, WorkOrderKind.DELIVERY, WorkOrderKind.SHIFT)


class WorkOrderStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    DISPATCHED = "dispatched", "Dispatched"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    PROBLEM = "problem", "Problem reported"


#: A work order in these states still has to happen (one per unit at a time).
ACTIVE_STATUSES = (
    WorkOrderStatus.PLANNED,
    WorkOrderStatus.DISPATCHED,
    WorkOrderStatus.IN_PROGRESS,
    WorkOrderStatus.PROBLEM,
)
#: A work order in these states is some equipment's job now (one per equipment at a time).
ASSIGNED_STATUSES = (WorkOrderStatus.DISPATCHED, WorkOrderStatus.IN_PROGRESS)


class Place(models.TextChoices):
    """The kind of a work order's from/to position."""

    VESSEL = "vessel", "Vessel cell (bay/row/tier)"
    YARD = "yard", "Yard slot (block/bay/row/tier)"
    TRUCK = "truck", "Truck (plate, lane)"


class ProblemKind(models.TextChoices):
    BLOCKED_SLOT = "blocked_slot", "Target slot blocked"
    DAMAGED_BOX = "damaged_box", "Damaged box"
    WRONG_BOX = "wrong_box", "Wrong box at the position"
    OTHER = "other", "Other"
