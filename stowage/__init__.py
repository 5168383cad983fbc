"""Stowage: vessel profiles, bay plans, load and discharge lists, EDI in and out.

Where things are:

* ``profile.py`` — the vessel profile layout (one JSON document per vessel: bays with their 40'
  pairs and hatch covers, stacks below and on deck with tiers, reefer plugs, 20'/40'-only rules,
  stack weight and height limits), its validation and the inference from a bay plan.
* ``models.py`` — ``VesselProfile``; ``StowagePlan`` (arrival from the inbound BAPLIE, departure
  from the planner, draft/final) with ``PlanCell`` rows (one box per cell, with a snapshot of
  size-type, weights, POL/POD, operator, reefer, IMDG, the unit when we handle it, the move
  remain/discharge/load/restow and whether it was executed); ``ListEntry`` (load and discharge
  lists from BAPLIE, COPRAR or the yard); ``StowageInstructionRecord`` (MOVINS); ``EdiUpload``.
* ``services.py`` — ``edi_upload_receive`` (idempotent, one transaction per file),
  ``departure_plan_save``, ``departure_plan_from_result`` (a planner result, saved only when
  the independent checker finds no violation), ``departure_plan_move`` / ``_move_check`` /
  ``_undo`` (the planners' edits, with the plan revision as ETag),
  ``departure_plan_optimise_start``,
  ``plan_moves_confirm`` (executed moves until the operations app confirms real ones),
  ``load_list_from_yard``.
* ``selectors.py`` — scoped reads, compact plan/list rows for the bay views, ``plan_instance``
  (the solver's input: profile, boxes staying on board, load list with VGM, loading holds and
  yard positions, POD rotation given or inferred, cranes), and the outbound EDI: departure
  BAPLIE (departure plan, else arrival minus discharges) and COARRI
  (confirmed cells).
* ``jobs.py`` — the ``stowage.plan`` solver-run kind (planner, progress, checker, save).
* ``api/`` — ``/api/v1/edi/uploads/``, ``/api/v1/edi/vessel-visits/{id}/baplie|coarri/``,
  ``/api/v1/stowage/vessel-visits/{id}/profile|arrival-plan|departure-plan|lists/`` and
  ``departure-plan/optimise|moves|check-move|undo/``.
* ``views.py`` — ``/stowage/`` (upload, visits) and ``/stowage/visits/<id>/`` (the bay plan page,
  ``static/js/stowage_plan.js``).

Live events (topic ``stowage`` unless said): ``edi.received`` per accepted file,
``units.imported`` (topic ``units``) once per BAPLIE with the ids of the units created,
``stowage.plan_saved``, ``stowage.plan_edited`` (a move or an undo, with the bays it touched),
``stowage.moves_confirmed``, ``stowage.load_list_updated``.
"""
