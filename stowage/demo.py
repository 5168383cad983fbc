"""The stowage part of the demo terminal: a vessel profile and an arrival bay plan for every call
at berth (working), so the bay plan page and the control room have work to show.

For each such call without an arrival plan:

* the vessel profile is built from the ship's dimensions with the same geometry the demo loader
  used to put the boxes aboard (``tos.core.demo._vessel_geometry``: 40' bay pairs, rows from the
  beam, hold tiers from the draught, deck tiers from the TEU capacity);
* the boxes the demo put aboard for this port (units inbound on the visit, on the vessel) are
  restowed bottom-up, one length per bay pair and row (20' in the odd bays, 40' and 45' in the
  even bay, 45' on deck only), heaviest lowest, spread fore to aft so several cranes share the
  work; each unit's ``position_ref`` follows its new cell;
* those cells are written as a BAPLIE 2.2 and received through
  :func:`stowage.services.edi_upload_receive`, exactly as a line's arrival BAPLIE would be: the
  arrival plan, its discharge list and the profile merge come from the one import path.

Called by ``manage.py seed_demo`` before ``operations_demo_seed`` (which then builds the calls'
work orders and crane queues). Idempotent: a call with an arrival plan is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from stowage.choices import PlanKind
from stowage.models import StowagePlan, VesselProfile
from stowage.profile import LAYOUT_VERSION, cell_count
from stowage.services import edi_upload_receive
from tos import edi
from tos.core.choices import PositionKind, Role, UnitState, VisitPhase
from tos.core.models import ContainerVisit, Terminal, User, Vessel, VesselVisit

#: The phases of the calls that get a profile and an arrival plan: the calls at berth. An arrived
#: call of the demo waits at anchorage for its berth; with crane queues the control room would
#: draw it on the quay over the call it waits for.
AT_BERTH = (VisitPhase.WORKING,)


@dataclass(frozen=True)
class _Dimensions:
    """What ``_vessel_geometry`` reads of a ship (the demo's ``VesselSpec`` duck type)."""

    loa_m: str
    beam_m: str
    max_draft_m: str
    teu_capacity: int


def vessel_geometry(vessel: Vessel) -> tuple[int, list[int], list[int], list[int]]:
    """(40' bay groups, row numbers, hold tiers, deck tiers): the demo loader's geometry."""
    from tos.core.demo import _vessel_geometry

    return _vessel_geometry(
        _Dimensions(
            loa_m=str(vessel.loa_m),
            beam_m=str(vessel.beam_m),
            max_draft_m=str(vessel.max_draft_m),
            teu_capacity=vessel.teu_capacity,
        )
    )


def demo_layout(vessel: Vessel) -> dict[str, Any]:
    """A :mod:`stowage.profile` layout of ``vessel``: bay pairs ``4g+1``/``4g+3`` (40' bay
    ``4g+2``, one hatch each), every row in the hold and on deck, reefer plugs on the two lowest
    deck tiers of the aft half, stack limits of 150 t (hold) and 90 t (deck)."""
    groups, rows, hold_tiers, deck_tiers = vessel_geometry(vessel)
    bays: list[dict[str, Any]] = []
    stacks: list[dict[str, Any]] = []
    for g in range(groups):
        pair = 4 * g + 2
        for bay in (pair - 1, pair + 1):
            bays.append({"bay": bay, "pair": pair, "hatch": pair})
            for deck, tiers in ((False, hold_tiers), (True, deck_tiers)):
                for row in rows:
                    stacks.append(
                        {
                            "bay": bay,
                            "row": row,
                            "deck": deck,
                            "tiers": list(tiers),
                            "reefer_tiers": list(tiers[:2]) if deck and g >= groups // 2 else [],
                            "sizes": "any",
                            "max_kg": 90_000 if deck else 150_000,
                            "max_mm": None,
                        }
                    )
    return {"version": LAYOUT_VERSION, "bays": bays, "stacks": stacks}


def _weight(unit: ContainerVisit) -> int:
    return unit.vgm_kg or unit.gross_weight_kg or 0


def _spread(n: int) -> list[int]:
    """0..n-1 in van der Corput order (0, n/2, n/4, 3n/4, ...): any first k are spread over the
    whole range, so a few stacks of boxes still span the ship's length (and several cranes)."""
    out: list[int] = []
    i = 0
    while len(out) < n:
        v, denom, k = 0.0, 1.0, i
        while k:
            denom *= 2
            v += (k % 2) / denom
            k //= 2
        g = int(v * n)
        if g not in out:
            out.append(g)
        i += 1
    return out


def stow_bottom_up(
    units: list[ContainerVisit], vessel: Vessel, rng: random.Random
) -> dict[int, edi.Position]:
    """A cell for every unit (by unit id), bottom-up with nothing floating.

    One length per bay pair, row and deck/hold: 20' boxes fill the stacks of both odd bays, 40'
    and 45' boxes the even bay (45' on deck only). Stacks are taken row by row across the ship's
    length in :func:`_spread` order, so the boxes spread over the bay pairs; each stack is filled
    to its top or one short, heaviest box lowest. Raises ``RuntimeError`` when the ship is too
    small."""
    groups, rows, hold_tiers, deck_tiers = vessel_geometry(vessel)
    order = sorted(rows, key=lambda r: (r != 0, (r + 1) // 2, r))  # centre outwards
    spread = _spread(groups)
    free = {deck: [(g, r) for r in order for g in spread] for deck in (False, True)}
    tiers_of = {False: hold_tiers, True: deck_tiers}
    kinds = (
        ("45", [u for u in units if u.container.length_ft >= 45], (True,)),
        ("40", [u for u in units if u.container.length_ft == 40], (True, False)),
        ("20", [u for u in units if u.container.length_ft < 40], (False, True)),
    )
    out: dict[int, edi.Position] = {}
    for kind, boxes, decks in kinds:
        boxes = sorted(boxes, key=lambda u: (-_weight(u), u.pk))
        per_slot = 1 if kind != "20" else 2  # a 20' stack pair holds two boxes per tier
        parts = [boxes] if len(decks) == 1 else [boxes[0::2], boxes[1::2]]
        for deck, take in zip(decks, parts, strict=True):
            while take:
                if not free[deck]:
                    raise RuntimeError(f"{vessel.name} has no free {kind}' stack on deck={deck}")
                g, row = free[deck].pop(0)
                tiers = tiers_of[deck]
                height = len(tiers) - (rng.random() < 0.4 and len(tiers) > 1)
                stack, take = take[: height * per_slot], take[height * per_slot :]
                for i, unit in enumerate(stack):
                    tier = tiers[i // per_slot]
                    bay = 4 * g + 1 + 2 * (i % 2) if kind == "20" else 4 * g + 2
                    out[unit.pk] = edi.Position(bay, row, tier)
    return out


def _stowed_unit(
    unit: ContainerVisit, position: edi.Position, locode: str, onward: str
) -> edi.StowedUnit:
    """The BAPLIE line of a box discharged here (``onward``: a transhipment's next POD)."""
    goods = (
        (edi.DangerousGoods(imdg_class=unit.imdg_class, un_number=unit.un_number),)
        if unit.imdg_class
        else ()
    )
    return edi.StowedUnit(
        position=position,
        container=unit.container.number,
        size_type=unit.container.iso_type,
        status="6" if onward else "3",  # EQD 8249: transhipment or import
        full=unit.category != "empty",
        gross_kg=Decimal(unit.gross_weight_kg) if unit.gross_weight_kg else None,
        vgm_kg=Decimal(unit.vgm_kg) if unit.vgm_kg else None,
        pol=unit.pol,
        pod=locode,  # every box the demo put aboard for this port is discharged here
        final_destination=onward,
        operator=unit.line.code,
        temperature_c=unit.reefer_setpoint_c,
        dangerous_goods=goods,
    )


def _pods_restore(onward: dict[int, str]) -> None:
    """Put the onward POD of the transhipment units back (see :func:`stowage_demo_seed`)."""
    units = list(ContainerVisit.objects.filter(pk__in=list(onward)))
    for unit in units:
        unit.pod = onward[unit.pk]
    ContainerVisit.objects.bulk_update(units, ["pod"], batch_size=1000)


def _planner(terminal: Terminal) -> User:
    """The user the demo's BAPLIEs are received as: the terminal's first planner."""
    user = (
        User.objects.filter(role=Role.PLANNER, terminal=terminal).order_by("pk").first()
        or User.objects.filter(role=Role.PLANNER).order_by("pk").first()
        or User.objects.filter(is_superuser=True).order_by("pk").first()
    )
    if user is None:
        raise RuntimeError("the demo has no planner to receive its arrival BAPLIEs")
    return user


def stowage_demo_seed(*, terminal: Terminal, seed: int = 1) -> dict[str, Any]:
    """Give every call at berth a vessel profile and an arrival plan (see the module docstring).

    Returns ``{"profiles": n, "arrival_plans": n, "cells": n}`` of what it created."""
    by = _planner(terminal)
    made = {"profiles": 0, "arrival_plans": 0, "cells": 0}
    visits = (
        VesselVisit.objects.filter(terminal=terminal, phase__in=AT_BERTH)
        .select_related("vessel", "line")
        .order_by("eta", "pk")
    )
    for visit in visits:
        if StowagePlan.objects.filter(vessel_visit=visit, kind=PlanKind.ARRIVAL).exists():
            continue
        units = list(
            ContainerVisit.objects.filter(
                inbound_visit=visit, state=UnitState.INBOUND, position_kind=PositionKind.VESSEL
            )
            .select_related("container", "line")
            .order_by("pk")
        )
        if not units:
            continue
        rng = random.Random(f"tos-demo:{seed}:stowage:{visit.reference}")
        with transaction.atomic():
            if not VesselProfile.objects.filter(vessel=visit.vessel).exists():
                layout = demo_layout(visit.vessel)
                profile = VesselProfile(
                    vessel=visit.vessel, source="admin", layout=layout, cells=cell_count(layout)
                )
                profile.full_clean()
                profile.save()
                made["profiles"] += 1
            cells = stow_bottom_up(units, visit.vessel, rng)
            for unit in units:
                unit.position_ref = cells[unit.pk].code
            # The import compares a discharged box's unit with the BAPLIE and books it to this
            # port's POD; the demo's transhipments carry their onward port as POD (the yard
            # stacks by it). Their POD reads as this port for the import only and is put back
            # after it in the same transaction, so the units do not change.
            onward = {u.pk: u.pod for u in units if u.pod and u.pod != terminal.locode}
            for unit in units:
                if unit.pk in onward:
                    unit.pod = terminal.locode
            ContainerVisit.objects.bulk_update(units, ["position_ref", "pod"], batch_size=1000)
            plan = edi.BayPlan(
                version="2.2",
                vessel=edi.VesselCall(
                    voyage=visit.inbound_voyage,
                    vessel_name=visit.vessel.name,
                    imo=visit.vessel.imo,
                    call_sign=visit.vessel.call_sign,
                    carrier=visit.line.code,
                ),
                units=tuple(
                    _stowed_unit(u, cells[u.pk], terminal.locode, onward.get(u.pk, ""))
                    for u in sorted(units, key=lambda u: cells[u.pk].code)
                ),
                document_number=f"DEMO-{visit.reference}",
                message_date=datetime.now(UTC).replace(microsecond=0, tzinfo=None),
            )
            text = edi.write_baplie(
                plan,
                version="2.2",
                envelope=edi.Envelope(sender=visit.line.code, reference=f"D{visit.pk}"),
            )
            edi_upload_receive(
                terminal=terminal,
                data=text.encode(),
                by=by,
                message_type="BAPLIE",
                vessel_visit=visit,
                filename=f"{visit.reference}-arrival.edi",
            )
            _pods_restore(onward)
        made["arrival_plans"] += 1
        made["cells"] += len(cells)
    return made
