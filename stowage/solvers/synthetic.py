"""Seeded synthetic calls and the synthetic load-planning benchmark.

:func:`profile` builds a 10,000+ TEU vessel layout (:mod:`stowage.profile` format): 20 hatches
of 40' bay pairs (40 twenty-foot bays), 17 rows (00-16) and 9 tiers (02-18) in the holds, 19 rows
(00-18) and 7 tiers (82-94) on deck, narrower at the bow; reefer plugs on deck tiers 82-86 in the
aft half and in the lower hold tiers of three hatches; two holds for 40' only; stack limits of
150 t (hold) and 90 t / 19,000 mm (deck, so seven high cubes do not fit).

:func:`call` adds a rotation of 4-6 ports, boxes staying on board (whole hatches, later ports
below) and a load list of ``moves`` boxes (20'/40'/45', 60 % high cube, 10 % reefers, 4 %
dangerous goods, VGM 3-30 t, about 1 % without VGM and 1 % under a loading hold) stacked up to
five high in eight yard blocks by POD, length and reefer (weights mixed).

Benchmark::

    python -m stowage.solvers.synthetic --moves 500,2000,5000 --seed 1 --time-limit 60

prints ``moves,seed,placed,unplaced,hard_violations,overstows,rehandles,crane_imbalance,
heavy_over_light,objective,bound,seconds``; the terms and violations are the checker's
(:mod:`stowage.solvers.check`), not the planner's.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from typing import Any

from stowage.solvers.call import Box, Instance, Weights

HATCHES = 20
HOLD_TIERS = list(range(2, 20, 2))
DECK_TIERS = list(range(82, 96, 2))
DG_CLASSES = ("3", "3", "3", "9", "9", "8", "8", "2.1", "6.1", "6.1", "4.1", "5.1", "2.2")


def _rows(n: int) -> list[int]:
    """Rows 00..n-1 (``n`` odd: the centre row and pairs around it)."""
    return list(range(n))


def profile(*, hatches: int = HATCHES) -> dict[str, Any]:
    """The synthetic vessel layout."""
    bays: list[dict[str, Any]] = []
    stacks: list[dict[str, Any]] = []
    for h in range(hatches):
        pair = 4 * h + 2
        bow = max(0, 3 - h)  # the first hatches are narrower and lower
        hold_rows = _rows(17 - 4 * bow)
        deck_rows = _rows(19 - 4 * bow)
        hold_tiers = HOLD_TIERS[bow:]
        forty_only = h in (6, 13)
        hold_plugs = h in (9, 10, 11)
        for bay in (pair - 1, pair + 1):
            bays.append({"bay": bay, "pair": pair, "hatch": pair})
            for row in hold_rows:
                stacks.append(
                    {
                        "bay": bay,
                        "row": row,
                        "deck": False,
                        "tiers": hold_tiers,
                        "reefer_tiers": hold_tiers[:3] if hold_plugs else [],
                        "sizes": "40" if forty_only else "any",
                        "max_kg": 150_000,
                        "max_mm": None,
                    }
                )
            for row in deck_rows:
                stacks.append(
                    {
                        "bay": bay,
                        "row": row,
                        "deck": True,
                        "tiers": DECK_TIERS,
                        "reefer_tiers": DECK_TIERS[:3] if h >= hatches // 2 else [],
                        "sizes": "any",
                        "max_kg": 90_000,
                        "max_mm": 19_000,
                    }
                )
    return {"version": 1, "bays": bays, "stacks": stacks}


def _weight(rng: random.Random, length: int) -> int:
    heavy = 28_000 if length == 20 else 30_000
    return int(min(heavy, max(3_000, rng.gauss(14_000 if length == 20 else 16_000, 6_000))))


def call(moves: int, seed: int, *, cranes: int | None = None) -> Instance:
    """A seeded synthetic call with ``moves`` load boxes."""
    rng = random.Random(f"tos-synthetic-{moves}-{seed}")
    layout = profile()
    ports = rng.randint(4, 6)
    capacity = sum(len(s["tiers"]) for s in layout["stacks"])
    load_teu = int(moves * 1.65)
    share = max(0.03, min(0.4, 0.85 - load_teu / capacity))
    remain = _remain(rng, layout, int(share * capacity), ports)
    load: list[Box] = []
    for i in range(moves):
        length = rng.choices((20, 40, 45), weights=(33, 62, 5))[0]
        reefer = length != 45 and rng.random() < 0.10
        dangerous = not reefer and rng.random() < 0.04
        imdg: tuple[str, ...] = ()
        if dangerous:
            imdg = (rng.choice(DG_CLASSES),)
            if imdg[0] == "3" and rng.random() < 0.2:
                imdg = ("3", "8")
        weight: int | None = _weight(rng, length)
        if rng.random() < 0.01:
            weight = None
        load.append(
            Box(
                id=f"L{i:05d}",
                length_ft=length,
                height_mm=2896 if length != 20 and rng.random() < 0.6 else 2591,
                weight_kg=weight,
                pod=min(ports, 1 + int(rng.expovariate(0.6))),
                reefer=reefer,
                imdg=imdg,
                loading_hold=rng.random() < 0.01,
            )
        )
    # Export stacking as yards do it: by POD and length (reefers in their own rows), arrival
    # order (weights) mixed inside; a stack that runs out of its category takes the next one.
    order = list(range(moves))
    rng.shuffle(order)
    order.sort(key=lambda k: (load[k].pod, load[k].length_ft, load[k].reefer))
    blocks = "ABCDEFGH"
    yard: dict[int, tuple[str, int, int, int]] = {}
    i = stack = 0
    while i < len(order):
        height = rng.randint(1, 5)
        block = blocks[stack % len(blocks)]
        ybay, yrow = 1 + (stack // len(blocks)) // 6, 1 + (stack // len(blocks)) % 6
        for tier in range(1, height + 1):
            if i >= len(order):
                break
            yard[order[i]] = (block, ybay, yrow, tier)
            i += 1
        stack += 1
    load = [
        Box(**{**b.__dict__, "yard": yard[k]})  # type: ignore[arg-type]
        for k, b in enumerate(load)
    ]
    return Instance(
        layout=layout,
        load=tuple(load),
        remain=tuple(remain),
        cranes=cranes or min(6, 3 + moves // 1500),
        weights=Weights(),
    )


def _remain(rng: random.Random, layout: dict, teu: int, ports: int) -> list[Box]:
    """Boxes staying on board: whole hatches (holds full, later ports below, then a few deck
    tiers), so that every box stands on another and no hold lies under a remain deck stack
    with room left in it."""
    by_pair: dict[int, list[dict]] = {}
    for s in layout["stacks"]:
        by_pair.setdefault(s["bay"] + 1 if s["bay"] % 4 == 1 else s["bay"] - 1, []).append(s)
    pairs = sorted(by_pair)
    rng.shuffle(pairs)
    boxes: list[Box] = []
    used = 0
    n = 0
    for pair in pairs:
        if used >= teu:
            break
        stacks = by_pair[pair]
        rows = sorted({s["row"] for s in stacks if not s["deck"]})
        deck_rows = sorted({s["row"] for s in stacks if s["deck"]})
        hold_tiers = next(s["tiers"] for s in stacks if not s["deck"])
        forty = next(s["sizes"] for s in stacks if not s["deck"]) == "40"
        deck_high = rng.randint(0, 3)
        for deck, rows_, tiers in (
            (False, rows, hold_tiers),
            (True, deck_rows, DECK_TIERS[:deck_high]),
        ):
            for row in rows_:
                pods = sorted((rng.randint(2, ports) for _ in tiers), reverse=True)
                for tier, pod in zip(tiers, pods, strict=True):
                    weight = rng.randint(5_000, 12_000 if deck else 16_000)
                    if forty or rng.random() < 0.6:
                        boxes.append(
                            Box(f"R{n:05d}", 40, 2591, weight, pod, position=(pair, row, tier))
                        )
                        n += 1
                        used += 2
                    else:
                        for bay in (pair - 1, pair + 1):
                            w = weight // 2 + 2_000
                            boxes.append(
                                Box(f"R{n:05d}", 20, 2591, w, pod, position=(bay, row, tier))
                            )
                            n += 1
                            used += 1
    return boxes


HEADER = (
    "moves",
    "seed",
    "placed",
    "unplaced",
    "hard_violations",
    "overstows",
    "rehandles",
    "crane_imbalance",
    "heavy_over_light",
    "objective",
    "bound",
    "seconds",
)


def main(argv: list[str] | None = None) -> int:
    from stowage.solvers import check, planner

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", default="500,2000,5000")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=60.0)
    args = parser.parse_args(argv)
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(HEADER)
    for moves in (int(m) for m in args.moves.split(",")):
        instance = call(moves, args.seed)
        result = planner.solve(instance, time_limit=args.time_limit)
        violations = check.check(instance, result.placements)
        values = check.terms(instance, result.placements)
        writer.writerow(
            (
                moves,
                args.seed,
                len(result.placements),
                len(result.unplaced),
                len(violations),
                values["overstows"],
                values["rehandles"],
                values["crane_imbalance"],
                values["heavy_over_light"],
                check.objective(instance, values),
                "" if result.bound is None else result.bound,
                f"{result.seconds:.1f}",
            )
        )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
