"""Operations pages: the module page shows the last day's moves, the equipment, the crane work
queues, open work orders and problems, and the solver runs; the live control room
(``/operations/control-room/``, ``static/js/control_room.js``) shows the quay, the cranes and
their queues, the equipment and the alarms as they happen.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone

from operations import selectors
from operations.choices import ACTIVE_STATUSES, WorkOrderKind, WorkOrderStatus
from operations.models import CraneQueue, ProblemReport
from tos.core.selectors import solver_runs_visible_to, terminal_for_user
from tos.web.pages import Section, module_page, table


def _where(place: dict) -> str:
    if place["place"] == "truck":
        return f"truck {place['truck']}" + (f" ({place['lane']})" if place.get("lane") else "")
    cell = (
        f"{place['bay']:02d}.{place['row']}.{place['tier']}"
        if place.get("bay") is not None
        else "slot to be chosen"
    )
    if place["place"] == "yard":
        return f"yard {place['block']}.{cell}" if place.get("block") else "yard, slot to be chosen"
    return f"vessel {place['bay']:03d}{place['row']:02d}{place['tier']:02d}"


def _sections(request):
    from operations.events import place

    terminal = terminal_for_user(request.user)
    if terminal is None:
        return []
    now = timezone.now()
    kpi = selectors.kpi_terminal(
        terminal_id=terminal.pk, since=now - timedelta(hours=24), until=now
    )
    summary = Section(
        title="Moves in the last 24 hours",
        columns=["Kind", "Moves", "Mean cycle (s)", "95th percentile (s)"],
        rows=[
            [
                WorkOrderKind(kind).label,
                count,
                kpi["cycle_seconds"].get(kind, {}).get("mean", ""),
                kpi["cycle_seconds"].get(kind, {}).get("p95", ""),
            ]
            for kind, count in kpi["by_kind"].items()
        ],
        note=f"{kpi['moves']} moves completed; open problems: "
        + (", ".join(f"{k} {n}" for k, n in kpi["open_problems"].items()) or "none")
        + ".",
    )
    equipment = selectors.equipment_visible_to(request.user).order_by("kind", "name")
    queues = (
        CraneQueue.objects.filter(terminal=terminal)
        .select_related("crane", "vessel_visit__vessel")
        .annotate(
            total=Count("work_orders", filter=~Q(work_orders__status=WorkOrderStatus.CANCELLED)),
            done=Count("work_orders", filter=Q(work_orders__status=WorkOrderStatus.COMPLETED)),
        )
        .order_by("vessel_visit__eta", "rail_order")[:40]
    )
    orders = (
        selectors.work_orders_visible_to(request.user)
        .filter(status__in=ACTIVE_STATUSES)
        .order_by("-priority", "created_at", "pk")
    )
    problems = ProblemReport.objects.filter(
        work_order__terminal=terminal, resolved_at__isnull=True
    ).select_related("work_order", "equipment")[:20]
    runs = solver_runs_visible_to(request.user).filter(terminal=terminal)[:20]
    return [
        summary,
        table(
            "Crane work queues",
            ["Visit", "Crane", "Bays", "Done", "Moves", "Revision"],
            queues,
            lambda q: [
                f"{q.vessel_visit.reference} {q.vessel_visit.vessel.name}",
                q.crane.name,
                f"{q.first_bay:02d}–{q.last_bay:02d}",
                q.done,
                q.total,
                q.revision,
            ],
        ),
        table(
            "Open work orders (most urgent 50)",
            ["Order", "Kind", "Box", "From", "To", "Priority", "Status", "Queue", "Equipment"],
            orders[:50],
            lambda w: [
                w.pk,
                w.get_kind_display(),
                w.container_number,
                _where(place(w, "from")),
                _where(place(w, "to")),
                w.priority,
                w.get_status_display(),
                f"{w.crane_queue.crane.name} #{w.sequence}" if w.crane_queue_id else w.pool,
                w.equipment.name if w.equipment_id else "",
            ],
            total=orders.count(),
        ),
        table(
            "Open problem reports",
            ["Order", "Box", "Problem", "Note", "Equipment", "Reported"],
            problems,
            lambda p: [
                p.work_order_id,
                p.work_order.container_number,
                p.get_kind_display(),
                p.note,
                p.equipment.name if p.equipment else "",
                p.reported_at,
            ],
        ),
        table(
            "Equipment",
            ["Name", "Kind", "State", "Pool", "Block", "Where", "Job"],
            equipment,
            lambda e: [
                e.name,
                e.get_kind_display(),
                e.get_state_display(),
                e.pool,
                e.block.name if e.block else "",
                f"{e.position_block.name}.{e.position_bay:02d}" if e.position_block else "",
                e.current_job_id or "",
            ],
        ),
        table(
            "Solver runs and jobs (latest 20)",
            ["Run", "Kind", "Status", "Progress", "Objective", "Gap", "Started", "Finished"],
            runs,
            lambda r: [
                r.pk,
                r.kind,
                r.get_status_display(),
                f"{r.progress:.0%}",
                r.objective,
                f"{r.gap:.2%}" if r.gap is not None else "",
                r.started_at,
                r.finished_at,
            ],
        ),
    ]


index = module_page(
    "Operations",
    "Work orders, equipment and crane work queues; the equipment clients use /api/v1/operations/.",
    _sections,
    actions=[("operations:control-room", "Open the live control room")],
)


@login_required
def control_room(request):
    """The live control room (terminal staff): the page loads the snapshot and follows the
    events itself (``static/js/control_room.js``)."""
    if not request.user.is_terminal_staff:
        raise PermissionDenied("The control room is for terminal staff; lines use the API.")
    terminal = terminal_for_user(request.user)
    return render(request, "operations/control_room.html", {"terminal": terminal})
