"""Quay-crane work sequencing: pure Python, no Django (unit-tested without a database).

Vessel positions are ISO 9711 bay/row/tier. A 40' bay (even) and the two 20' bays around it
form one *hatch* (bays 01-03, 05-07, ...: ``hatch = (bay - 1) // 4``); cranes work hatch by
hatch. A *stack* is one row of one hatch, below deck (tiers < 80) or on deck (tiers >= 80),
the column a crane digs into.

* :func:`split_hatches` — the crane split: each crane (in rail order) gets a contiguous range of
  hatches, ranges in rail order along the ship (cranes never cross), chosen to minimise the
  largest crane workload (exact linear partition by dynamic programming).
* :func:`crane_order` — one crane's sequence: hatch by hatch along its range; in a hatch,
  discharges (and restows) first, deck before hold, top tier first; then loads, hold before deck,
  bottom tier first. Where a hatch has both, loads are dual-cycled: a load rides the crane's
  return trip of a discharge as soon as its stack has nothing left to discharge (and, below deck,
  the hatch has no deck box left; on deck, nothing left to discharge below).
* :func:`overstow_violations` and :func:`crossing_violations` — the rules a planner's
  resequence must keep.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: Tiers from this number up are on deck (ISO 9711: 82, 84 …; hold tiers 02 … 78).
DECK_TIER = 80


@dataclass(frozen=True)
class Move:
    """A vessel move as the sequencer sees it: ``off`` (discharge or restow: the box leaves its
    cell) or not (load: a box goes into the cell); ``bay``/``row``/``tier`` the vessel cell."""

    id: int
    off: bool
    bay: int
    row: int
    tier: int
    label: str = ""

    @property
    def hatch(self) -> int:
        return hatch_of(self.bay)

    @property
    def on_deck(self) -> bool:
        return self.tier >= DECK_TIER

    @property
    def stack(self) -> tuple[int, int, bool]:
        return (self.hatch, self.row, self.on_deck)

    @property
    def cell(self) -> str:
        return f"{self.bay:03d}{self.row:02d}{self.tier:02d}"


def hatch_of(bay: int) -> int:
    """Hatch index of a vessel bay: 01, 02, 03 → 0; 05, 06, 07 → 1; …"""
    return (bay - 1) // 4


def split_hatches(workload: dict[int, int], cranes: int) -> list[list[int]]:
    """Contiguous groups of hatches, one per crane (at most ``cranes`` groups, none empty), that
    minimise the largest group workload; ties keep the earlier cut. Hatches are taken in
    ascending order."""
    hatches = sorted(h for h, w in workload.items() if w > 0)
    if not hatches or cranes <= 0:
        return []
    k = min(cranes, len(hatches))
    n = len(hatches)
    prefix = [0]
    for h in hatches:
        prefix.append(prefix[-1] + workload[h])
    inf = float("inf")
    # best[j][i]: the smallest possible largest load splitting the first i hatches into j groups
    best = [[inf] * (n + 1) for _ in range(k + 1)]
    cut = [[0] * (n + 1) for _ in range(k + 1)]
    best[0][0] = 0
    for j in range(1, k + 1):
        for i in range(j, n + 1):
            for m in range(j - 1, i):
                value = max(best[j - 1][m], prefix[i] - prefix[m])
                if value < best[j][i]:
                    best[j][i], cut[j][i] = value, m
    groups: list[list[int]] = []
    i = n
    for j in range(k, 0, -1):
        m = cut[j][i]
        groups.append(hatches[m:i])
        i = m
    return groups[::-1]


def _off_key(m: Move) -> tuple:
    return (-m.tier, m.row, m.bay, m.id)


def _on_key(m: Move) -> tuple:
    return (m.tier, m.row, m.bay, m.id)


def crane_order(moves: Sequence[Move]) -> list[tuple[Move, Move | None]]:
    """One crane's sequence as ``(move, paired load or None)`` steps (see the module doc)."""
    steps: list[tuple[Move, Move | None]] = []
    for hatch in sorted({m.hatch for m in moves}):
        offs = sorted((m for m in moves if m.hatch == hatch and m.off), key=_off_key)
        ons = sorted((m for m in moves if m.hatch == hatch and not m.off), key=_on_key)
        left = Counter(m.stack for m in offs)
        deck_left = sum(1 for m in offs if m.on_deck)
        hold_left = len(offs) - deck_left
        i = 0
        for m in offs:
            left[m.stack] -= 1
            if m.on_deck:
                deck_left -= 1
            else:
                hold_left -= 1
            pair = None
            if i < len(ons):
                load = ons[i]
                ready = left[load.stack] == 0 and (
                    deck_left == 0 if not load.on_deck else hold_left == 0
                )
                if ready:
                    pair, i = load, i + 1
            steps.append((m, pair))
        steps.extend((m, None) for m in ons[i:])
    return steps


def flatten(steps: Sequence[tuple[Move, Move | None]]) -> list[Move]:
    out: list[Move] = []
    for move, pair in steps:
        out.append(move)
        if pair is not None:
            out.append(pair)
    return out


def overstow_violations(order: Sequence[Move]) -> list[tuple[Move, Move]]:
    """Pairs ``(early, blocker)``: ``early`` leaves the ship before ``blocker``, a box still on
    board above it (same stack, higher tier) or on the deck of its hatch while it is below."""
    found: list[tuple[Move, Move]] = []
    offs = [m for m in order if m.off]
    for i, early in enumerate(offs):
        for later in offs[i + 1 :]:
            if later.hatch != early.hatch:
                continue
            above = later.stack == early.stack and later.tier > early.tier
            deck_over_hold = later.on_deck and not early.on_deck
            if above or deck_over_hold:
                found.append((early, later))
    return found


def crossing_violations(spans: Sequence[tuple[str, int | None, int | None]]) -> list[str]:
    """``spans`` are ``(crane, first hatch, last hatch)`` in rail order (None for a crane with no
    work). Two cranes must not share or cross hatches: each crane's last hatch lies before the
    next working crane's first."""
    problems: list[str] = []
    working = [s for s in spans if s[1] is not None]
    for (a, _a_first, a_last), (b, b_first, _b_last) in itertools.pairwise(working):
        if a_last >= b_first:
            problems.append(
                f"crane {a} would work up to bay {last_bay(a_last)} but crane {b}, next along "
                f"the rail, starts at bay {first_bay(b_first)}: the cranes would cross"
            )
    return problems


def first_bay(hatch: int) -> int:
    return hatch * 4 + 1


def last_bay(hatch: int) -> int:
    return hatch * 4 + 3
