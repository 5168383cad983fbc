"""Choices of the shared kernel, and the allowed lifecycle transitions."""

from django.db import models


class OrganisationKind(models.TextChoices):
    LINE = "line", "Shipping line"
    AGENT = "agent", "Shipping agent"
    HAULIER = "haulier", "Haulier"
    CUSTOMS = "customs", "Customs authority"


class Role(models.TextChoices):
    PLANNER = "planner", "Planner"
    OPERATOR = "operator", "Operator"
    GATE_CLERK = "gate_clerk", "Gate clerk"
    CUSTOMS_OFFICER = "customs_officer", "Customs officer"
    AGENT = "agent", "Agent"
    ADMIN = "admin", "Administrator"


#: Roles that work for the terminal and see every line's data in their terminal.
STAFF_ROLES = frozenset(
    {Role.PLANNER, Role.OPERATOR, Role.GATE_CLERK, Role.CUSTOMS_OFFICER, Role.ADMIN}
)


class UnitCategory(models.TextChoices):
    IMPORT = "import", "Import"
    EXPORT = "export", "Export"
    TRANSHIPMENT = "transhipment", "Transhipment"
    EMPTY = "empty", "Empty"
    STORAGE = "storage", "Storage"


class UnitState(models.TextChoices):
    """Lifecycle of one stay of a container at the terminal (a unit)."""

    ADVISED = "advised", "Advised"
    INBOUND = "inbound", "Inbound"
    ON_TERMINAL = "on_terminal", "On terminal"
    OUTBOUND = "outbound", "Outbound"
    DEPARTED = "departed", "Departed"
    CANCELLED = "cancelled", "Cancelled"


#: A unit is active (it occupies or will occupy terminal capacity) in these states.
UNIT_ACTIVE_STATES = (
    UnitState.ADVISED,
    UnitState.INBOUND,
    UnitState.ON_TERMINAL,
    UnitState.OUTBOUND,
)

UNIT_TRANSITIONS: dict[str, frozenset[str]] = {
    UnitState.ADVISED: frozenset({UnitState.INBOUND, UnitState.ON_TERMINAL, UnitState.CANCELLED}),
    UnitState.INBOUND: frozenset({UnitState.ON_TERMINAL, UnitState.ADVISED, UnitState.CANCELLED}),
    UnitState.ON_TERMINAL: frozenset({UnitState.OUTBOUND}),
    UnitState.OUTBOUND: frozenset({UnitState.DEPARTED, UnitState.ON_TERMINAL}),
    UnitState.DEPARTED: frozenset(),
    UnitState.CANCELLED: frozenset(),
}


class PositionKind(models.TextChoices):
    """Where a unit is now; ``ref`` fields say exactly where within that kind."""

    NONE = "none", "Not at the terminal"
    VESSEL = "vessel", "On a vessel"
    YARD = "yard", "In the yard"
    TRUCK = "truck", "On a truck"
    GATE = "gate", "At the gate"
    RAIL = "rail", "On a rail car"


class VisitPhase(models.TextChoices):
    PLANNED = "planned", "Planned"
    INBOUND = "inbound", "Inbound"
    ARRIVED = "arrived", "Arrived"
    WORKING = "working", "Working"
    COMPLETED = "completed", "Completed"
    DEPARTED = "departed", "Departed"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    VisitPhase.PLANNED: frozenset({VisitPhase.INBOUND, VisitPhase.ARRIVED, VisitPhase.CANCELLED}),
    VisitPhase.INBOUND: frozenset({VisitPhase.ARRIVED, VisitPhase.PLANNED, VisitPhase.CANCELLED}),
    VisitPhase.ARRIVED: frozenset({VisitPhase.WORKING, VisitPhase.DEPARTED}),
    VisitPhase.WORKING: frozenset({VisitPhase.COMPLETED}),
    VisitPhase.COMPLETED: frozenset({VisitPhase.WORKING, VisitPhase.DEPARTED}),
    VisitPhase.DEPARTED: frozenset({VisitPhase.CLOSED}),
    VisitPhase.CLOSED: frozenset(),
    VisitPhase.CANCELLED: frozenset(),
}
#: Phases in which a line's agent may still change its berth application.
VISIT_AGENT_EDITABLE = (VisitPhase.PLANNED, VisitPhase.INBOUND)
VISIT_IN_PORT = (VisitPhase.ARRIVED, VisitPhase.WORKING, VisitPhase.COMPLETED)
VISIT_EXPECTED = (VisitPhase.PLANNED, VisitPhase.INBOUND)


class HoldKind(models.TextChoices):
    CUSTOMS = "customs", "Customs"
    LINE = "line", "Line"
    TERMINAL = "terminal", "Terminal"


class HoldEvent(models.TextChoices):
    """Events that a hold can block."""

    GATE_OUT = "gate_out", "Gate-out"
    LOADING = "loading", "Loading"
    DISCHARGE = "discharge", "Discharge"
    DELIVERY = "delivery", "Delivery"


class SolverRunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


SOLVER_RUN_FINISHED = (SolverRunStatus.SUCCEEDED, SolverRunStatus.FAILED, SolverRunStatus.CANCELLED)


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
