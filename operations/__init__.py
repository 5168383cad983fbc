"""Operations: every move a box makes at the terminal, the machines that make them, the quay
cranes' work queues, dispatch and atomic move completion.

Where things are:

* ``models.py`` — ``Equipment`` (quay crane, RTG/RMG with its block, straddle carrier, terminal
  truck, IGV/AGV; state, pool, position, job in hand), ``WorkOrder`` (discharge, load, receival,
  delivery, restow, shift; structured from/to positions; priority, pool, crane queue and
  sequence, dual-cycle partner, equipment, the planned yard move and gate transaction it came
  with, what its completion said), ``CraneQueue`` (one crane on one visit, contiguous bays,
  revision = ETag), ``ProblemReport``. PostgreSQL constraints: one active order per unit and per
  box, one job per equipment, one order per queue sequence (deferred), complete positions.
* ``sequencing.py`` — pure crane sequencing: the balanced contiguous crane split (exact linear
  partition), the order in a hatch with dual cycling, overstow and crossing rules.
* ``services.py`` — ``work_orders_from_stowage``, ``work_order_from_gate``,
  ``work_orders_from_relocation``, ``crane_queues_build``, ``crane_queue_resequence``,
  ``dispatch_next`` (quay crane: its queue; yard crane: nearest in its block; horizontal
  transport: its pool, most urgent then nearest), ``work_order_accept``/``complete``/
  ``report_problem``/``replan``/``cancel``, ``equipment_state_set``,
  ``equipment_position_report``.
* ``selectors.py`` — scoped reads, an equipment's job list, crane queues with progress, COARRI
  discharge/load reports from completed moves (through :mod:`tos.edi`), vessel and terminal
  productivity (GCR, BMPH, cycle times).
* ``api/`` — ``/api/v1/operations/...`` (see ``api/views.py``); ``demo.py`` — the demo's
  equipment and work.
* ``kpis.py``, ``kpi_pages.py``, ``api/kpi_*.py`` — the terminal KPI figures and page (see
  ``kpis.py``).

Live events: topic ``operations`` (see ``events.py``), plus the yard's, the stowage plan's and
the units' own events written by the services completion calls.
"""
