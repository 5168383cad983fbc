"""Apply an EDIFACT CUSRES interchange: every customs response in it, all or none.

The EDIFACT layer (:mod:`tos.edi.cusres`) reads the file into plain dataclasses with a report;
this module maps each response's action onto :func:`customs.services.declaration_respond`:

* ``release`` and ``conditional`` → release the declaration (its units' customs holds);
* ``hold``, ``rejected`` and ``documents`` → hold;
* ``inspect`` → examine (the units go to the top of the inspection queue);
* ``accepted`` (under assessment) changes nothing; ``unknown`` changes nothing either and is
  reported: nothing is released on a code nobody understood.

A response names its declaration by number, or by bill of lading (every open declaration of
that bill). A release of a declaration that is already released is a no-op (a resent file).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.db import transaction

from customs.choices import DecisionAction, DecisionSource, DeclarationStatus
from customs.models import Declaration
from customs.services import declaration_respond
from tos.core.errors import ApplicationError
from tos.core.models import Terminal, User
from tos.edi.cusres import read_cusres

ACTIONS = {
    "release": DecisionAction.RELEASE,
    "conditional": DecisionAction.RELEASE,
    "hold": DecisionAction.HOLD,
    "rejected": DecisionAction.HOLD,
    "documents": DecisionAction.HOLD,
    "inspect": DecisionAction.EXAMINE,
}


def _declarations(terminal: Terminal, response: Any) -> list[Declaration]:
    number = response.declaration
    if number:
        found = list(Declaration.objects.filter(terminal=terminal, reference=number))
        if found:
            return found
    for bl in response.bills_of_lading:
        found = list(
            Declaration.objects.filter(terminal=terminal, bl_ref=bl)
            .exclude(status=DeclarationStatus.CANCELLED)
            .order_by("pk")
        )
        if found:
            return found
    return []


@transaction.atomic
def cusres_apply(*, terminal: Terminal, data: bytes, by: User | None = None) -> dict[str, Any]:
    """Read ``data`` and apply each response; 400 ``edi_invalid`` (with the reader's issues)
    when the file is unusable, 404 ``unknown_declaration`` naming the response when one names
    no declaration of this terminal. The answer lists what each response did."""
    parsed, report = read_cusres(data)
    issues = [asdict(i) for i in report.issues]
    if not report.ok or not parsed.responses:
        raise ApplicationError(
            "edi_invalid",
            "file: not a usable CUSRES interchange"
            + (f" ({report.errors[0]})" if report.errors else " (no CUSRES message)."),
            details={"file": [str(i) for i in report.errors] or ["No CUSRES message."]},
        )
    results = []
    for i, response in enumerate(parsed.responses):
        declarations = _declarations(terminal, response)
        if not declarations:
            named = response.declaration or ", ".join(response.bills_of_lading) or "nothing"
            raise ApplicationError(
                "unknown_declaration",
                f"responses[{i}] (message {response.message_reference}): no declaration "
                f"{named!r} at this terminal; nothing was applied.",
                details={f"responses[{i}].declaration": [f"Unknown: {named}."]},
                status=404,
            )
        action = ACTIONS.get(response.action)
        reason = "; ".join(response.reasons) or "; ".join(
            s.meaning or s.code for s in response.statuses
        )
        reason = f"CUSRES {response.message_reference}: {reason or response.action}"
        for declaration in declarations:
            applied = False
            if action is not None and not (
                action == DecisionAction.RELEASE
                and declaration.status == DeclarationStatus.RELEASED
            ):
                declaration = declaration_respond(
                    declaration=declaration,
                    action=action,
                    reason=reason,
                    source=DecisionSource.CUSRES,
                    by=by,
                )
                applied = True
            results.append(
                {
                    "message_reference": response.message_reference,
                    "declaration": declaration.reference,
                    "customs_action": response.action,
                    "action": action,
                    "applied": applied,
                    "status": declaration.status,
                }
            )
    return {"responses": results, "issues": issues, "counts": report.counts}
