"""The vessel profile layout: one compact JSON document per vessel, pure Python (no Django).

A solver and the bay views read it in one query and index it in memory. Shape (version 1)::

    {
      "version": 1,
      "bays": [                       # 20' bays (odd), fore to aft
        {"bay": 1, "pair": 2, "hatch": 2},   # pair: the 40' bay (even) it forms with a
        {"bay": 3, "pair": 2, "hatch": 2},   # neighbour, or null; hatch: the hatch cover id
        {"bay": 5, "pair": null, "hatch": 5}
      ],
      "stacks": [                     # one per (20' bay, row, deck/hold)
        {"bay": 1, "row": 2, "deck": false,
         "tiers": [2, 4, 6],          # cells of the stack, bottom up (ISO 9711 tiers)
         "reefer_tiers": [2],         # tiers with a reefer plug
         "sizes": "any",              # "any", "20" (20'-only) or "40" (40'/45'-only)
         "max_kg": 90000,             # stack weight limit, null = unknown
         "max_mm": null}              # stack height limit, null = unknown
      ]
    }

A 40' box in even bay ``b`` occupies the cells of the same row and tier in bays ``b-1`` and
``b+1`` (the bay pair). Rows follow ISO 9711 (00 centre, odd starboard, even port); tiers below
50 are in the hold, from 50 on deck (hatch cover between them).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

LAYOUT_VERSION = 1
SIZES = ("any", "20", "40")
DECK_FROM_TIER = 50


def empty_layout() -> dict[str, Any]:
    return {"version": LAYOUT_VERSION, "bays": [], "stacks": []}


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    )


def layout_errors(layout: Any) -> list[str]:
    """Everything wrong with a layout, as readable sentences (empty when valid)."""
    if not isinstance(layout, dict):
        return ["The layout must be an object with version, bays and stacks."]
    errors: list[str] = []
    if layout.get("version") != LAYOUT_VERSION:
        errors.append(f"version must be {LAYOUT_VERSION}.")
    bays = layout.get("bays")
    stacks = layout.get("stacks")
    if not isinstance(bays, list) or not isinstance(stacks, list):
        return [*errors, "bays and stacks must be lists."]
    known: set[int] = set()
    for i, bay in enumerate(bays):
        if not isinstance(bay, dict) or not isinstance(bay.get("bay"), int):
            errors.append(f"bays[{i}] needs an integer bay.")
            continue
        number, pair = bay["bay"], bay.get("pair")
        if number % 2 != 1 or not 1 <= number <= 199:
            errors.append(f"bays[{i}]: bay {number} must be an odd 20' bay 1-199.")
        if pair is not None and (not isinstance(pair, int) or abs(pair - number) != 1):
            errors.append(f"bays[{i}]: pair {pair!r} must be the even bay next to {number}.")
        if number in known:
            errors.append(f"bays[{i}]: bay {number} is listed twice.")
        known.add(number)
    seen: set[tuple[int, int, bool]] = set()
    for i, st in enumerate(stacks):
        if not isinstance(st, dict):
            errors.append(f"stacks[{i}] must be an object.")
            continue
        bay, row, deck = st.get("bay"), st.get("row"), st.get("deck")
        if bay not in known:
            errors.append(f"stacks[{i}]: bay {bay!r} is not in bays.")
        if not isinstance(row, int) or not 0 <= row <= 99:
            errors.append(f"stacks[{i}]: row {row!r} must be 0-99.")
        if not isinstance(deck, bool):
            errors.append(f"stacks[{i}]: deck must be true or false.")
        tiers = st.get("tiers")
        if not _int_list(tiers) or not tiers:
            errors.append(f"stacks[{i}]: tiers must be a non-empty list of integers.")
        elif any((t >= DECK_FROM_TIER) != bool(deck) for t in tiers):
            errors.append(f"stacks[{i}]: tiers {tiers} do not match deck={deck}.")
        reefer = st.get("reefer_tiers", [])
        if not _int_list(reefer) or (_int_list(tiers) and not set(reefer) <= set(tiers or [])):
            errors.append(f"stacks[{i}]: reefer_tiers must be a subset of tiers.")
        if st.get("sizes", "any") not in SIZES:
            errors.append(f"stacks[{i}]: sizes must be one of {', '.join(SIZES)}.")
        for limit in ("max_kg", "max_mm"):
            value = st.get(limit)
            if value is not None and (not isinstance(value, int) or value <= 0):
                errors.append(f"stacks[{i}]: {limit} must be a positive integer or null.")
        key = (bay, row, deck)
        if key in seen:
            errors.append(f"stacks[{i}]: bay {bay} row {row} deck={deck} is listed twice.")
        seen.add(key)
    return errors


def merge_cells(
    layout: dict[str, Any], cells: Iterable[tuple[int, int, int, bool]]
) -> tuple[dict[str, Any], int]:
    """Add occupied cells ``(bay, row, tier, reefer)`` from a bay plan to ``layout``.

    Existing stacks keep their limits and size rules (they may have been edited in admin); new
    tiers, stacks and bays are added. A 40' cell (even bay) adds the cell to both 20' bays of the
    pair. Gaps in a stack's tiers are filled (the cells exist even if nobody stood there).
    Returns the new layout and the number of cells it gained."""
    bays = {b["bay"]: dict(b) for b in layout.get("bays", [])}
    stacks = {(s["bay"], s["row"], s["deck"]): dict(s) for s in layout.get("stacks", [])}
    before = sum(len(s["tiers"]) for s in stacks.values())
    for bay, row, tier, reefer in cells:
        twenty = [bay - 1, bay + 1] if bay % 2 == 0 else [bay]
        for b in twenty:
            if b < 1:
                continue
            entry = bays.setdefault(b, {"bay": b, "pair": None, "hatch": b})
            if bay % 2 == 0:
                entry["pair"] = bay
                entry["hatch"] = bay
            deck = tier >= DECK_FROM_TIER
            st = stacks.setdefault(
                (b, row, deck),
                {
                    "bay": b,
                    "row": row,
                    "deck": deck,
                    "tiers": [],
                    "reefer_tiers": [],
                    "sizes": "any",
                    "max_kg": None,
                    "max_mm": None,
                },
            )
            tiers = set(st["tiers"]) | {tier}
            st["tiers"] = (
                list(range(min(tiers), max(tiers) + 1, 2))
                if all(t % 2 == min(tiers) % 2 for t in tiers)
                else sorted(tiers)
            )
            if reefer and tier not in st["reefer_tiers"]:
                st["reefer_tiers"] = sorted({*st["reefer_tiers"], tier})
    merged = {
        "version": LAYOUT_VERSION,
        "bays": [bays[b] for b in sorted(bays)],
        "stacks": [stacks[k] for k in sorted(stacks)],
    }
    after = sum(len(s["tiers"]) for s in merged["stacks"])
    return merged, after - before


def cell_count(layout: dict[str, Any]) -> int:
    """Number of 20' cells in the profile."""
    return sum(len(s["tiers"]) for s in layout.get("stacks", []))
