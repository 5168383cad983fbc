"""The load planner on tiny calls whose best plan is known, its reasons for boxes it does not
load, determinism, and a 500-move synthetic call (no database)."""

from __future__ import annotations

import pytest

from stowage.solvers import synthetic
from stowage.solvers.call import Box, Instance
from stowage.solvers.check import check, terms
from stowage.solvers.planner import solve


def layout(
    *,
    hatches: int = 1,
    rows: tuple[int, ...] = (1,),
    hold: tuple[int, ...] = (2, 4),
    deck: tuple[int, ...] = (),
    plugs: tuple[int, ...] = (),
    max_kg: int | None = None,
) -> dict:
    """``hatches`` 40' bay pairs with ``rows``; hold tiers ``hold``, deck tiers ``deck``."""
    bays, stacks = [], []
    for h in range(hatches):
        pair = 4 * h + 2
        for bay in (pair - 1, pair + 1):
            bays.append({"bay": bay, "pair": pair, "hatch": pair})
            for row in rows:
                for is_deck, tiers in ((False, hold), (True, deck)):
                    if tiers:
                        stacks.append(
                            {
                                "bay": bay,
                                "row": row,
                                "deck": is_deck,
                                "tiers": list(tiers),
                                "reefer_tiers": [t for t in tiers if t in plugs],
                                "sizes": "any",
                                "max_kg": max_kg,
                                "max_mm": None,
                            }
                        )
    return {"version": 1, "bays": bays, "stacks": stacks}


def box(id_: str, length: int = 20, *, kg: int | None = 10_000, pod: int = 1, **kw) -> Box:
    return Box(id=id_, length_ft=length, height_mm=2591, weight_kg=kg, pod=pod, **kw)


def test_boxes_without_vgm_or_under_a_loading_hold_stay_ashore_with_the_reason():
    inst = Instance(layout(), (box("A"), box("N", kg=None), box("H", loading_hold=True)))
    result = solve(inst, time_limit=5)
    assert set(result.placements) == {"A"}
    assert result.unplaced == {"N": "no_vgm", "H": "loading_hold"}
    assert check(inst, result.placements) == []


def test_later_ports_go_below_earlier_ones_so_nothing_is_overstowed():
    # two stacks of two: a POD 2 box may only stand on the other POD 2 box
    load = (box("A1", pod=1), box("A2", pod=1), box("B1", pod=2), box("B2", pod=2))
    inst = Instance(layout(), load, cranes=1)
    result = solve(inst, time_limit=5)
    assert result.unplaced == {}
    at = {cell: b for b, cell in result.placements.items()}
    for b in ("B1", "B2"):
        bay, row, tier = result.placements[b]
        assert tier == 2 or at[(bay, row, 2)] in ("B1", "B2")
    assert result.terms["overstows"] == 0
    assert check(inst, result.placements) == []


def test_boxes_go_on_top_of_those_staying_on_board_in_port_order():
    remain = (box("R", pod=2, position=(1, 1, 2)), box("S", pod=1, position=(3, 1, 2)))
    load = (box("P1", pod=1), box("P2", pod=2))
    inst = Instance(layout(), load, remain, cranes=1)
    result = solve(inst, time_limit=5)
    # P2 on S (POD 1) would be an overstow; P2 on R and P1 on S is the only plan without
    assert result.placements == {"P2": (1, 1, 4), "P1": (3, 1, 4)}
    assert result.terms["overstows"] == 0
    assert check(inst, result.placements) == []


def test_a_reefer_gets_the_plug_and_a_dry_box_leaves_it_free():
    lay = layout(rows=(1, 2), hold=(2,), plugs=(2,))
    # only bay 1 row 2 has a plug
    lay["stacks"] = [
        {**s, "reefer_tiers": [2] if (s["bay"], s["row"]) == (1, 2) else []} for s in lay["stacks"]
    ]
    inst = Instance(lay, (box("D"), box("R", reefer=True)))
    result = solve(inst, time_limit=5)
    assert result.placements["R"] == (1, 2, 2)
    assert result.placements["D"] != (1, 2, 2)
    assert check(inst, result.placements) == []


def test_a_reefer_with_no_plug_left_stays_ashore():
    inst = Instance(layout(), (box("R", reefer=True),))
    result = solve(inst, time_limit=5)
    assert result.placements == {}
    assert result.unplaced == {"R": "no_reefer_plug"}


def test_more_boxes_than_cells_leaves_the_rest_ashore_as_no_room():
    load = tuple(box(f"B{i}") for i in range(5))
    inst = Instance(layout(), load, cranes=1)  # four cells
    result = solve(inst, time_limit=5)
    assert len(result.placements) == 4
    assert list(result.unplaced.values()) == ["no_room"]
    assert check(inst, result.placements) == []


def test_incompatible_dangerous_goods_are_kept_apart_or_left_ashore():
    # one hatch, two rows side by side, hold only: 3 and 5.1 need "separated from" (no
    # neighbouring row, no neighbouring bay), so they cannot both board.
    lay = layout(rows=(1, 2), hold=(2,))
    inst = Instance(lay, (box("L", imdg=("3",)), box("O", imdg=("5.1",))))
    result = solve(inst, time_limit=5)
    assert len(result.placements) == 1
    assert list(result.unplaced.values()) == ["no_segregation"]
    assert check(inst, result.placements) == []
    # with a hatch cover between them, one goes on deck above the other
    both = Instance(layout(rows=(1,), hold=(2,), deck=(82,)), inst.load)
    result = solve(both, time_limit=5)
    assert len(result.placements) == 2
    assert check(both, result.placements) == []


def test_the_stack_weight_limit_spreads_heavy_boxes():
    load = (box("H1", kg=25_000), box("H2", kg=25_000), box("L1", kg=5_000), box("L2", kg=5_000))
    inst = Instance(layout(max_kg=30_000), load, cranes=1)
    result = solve(inst, time_limit=5)
    assert result.unplaced == {}
    assert check(inst, result.placements) == []
    bays = {result.placements[b][0] for b in ("H1", "H2")}
    assert bays == {1, 3}


def test_the_heavier_box_goes_under_the_lighter_one():
    lay = layout(rows=(1,), hold=(2, 4))
    lay["stacks"] = [s for s in lay["stacks"] if s["bay"] == 1]  # one stack of two
    inst = Instance(lay, (box("L", kg=4_000), box("H", kg=24_000)))
    result = solve(inst, time_limit=5)
    assert result.placements == {"H": (1, 1, 2), "L": (1, 1, 4)}
    assert result.terms["heavy_over_light"] == 0


def test_forty_foot_boxes_stand_on_twenties_never_the_other_way_round():
    load = (box("F", 40, pod=1), box("T1", pod=1), box("T2", pod=1))
    inst = Instance(layout(), load, cranes=1)
    result = solve(inst, time_limit=5)
    assert result.placements["F"] == (2, 1, 4)
    assert {result.placements["T1"], result.placements["T2"]} == {(1, 1, 2), (3, 1, 2)}
    assert check(inst, result.placements) == []


def test_the_crane_split_balances_two_hatches_between_two_cranes():
    load = tuple(box(f"B{i}") for i in range(8))
    inst = Instance(layout(hatches=2), load, cranes=2)
    result = solve(inst, time_limit=5)
    assert [(s.bays, s.moves) for s in result.crane_split] == [((2,), 4), ((6,), 4)]
    assert result.terms["crane_imbalance"] == 0


def test_an_invalid_call_is_refused_with_the_field_named():
    inst = Instance(layout(), (box("A"), box("A", length=30)))
    with pytest.raises(ValueError, match=r"load\[1\] \(A\): id 'A' appears twice"):
        solve(inst, time_limit=5)


def test_the_same_seed_gives_the_same_call_and_the_same_plan():
    assert synthetic.call(300, 7) == synthetic.call(300, 7)
    assert synthetic.call(300, 7).load != synthetic.call(300, 8).load
    load = tuple(box(f"B{i}", pod=1 + i % 3, kg=5_000 + 1_000 * i) for i in range(10))
    inst = Instance(layout(hatches=2, rows=(1, 2)), load, cranes=2)
    first = solve(inst, time_limit=10, workers=1)
    second = solve(inst, time_limit=10, workers=1)
    assert first.placements == second.placements
    assert first.terms == second.terms


def test_a_500_move_synthetic_call_is_planned_without_violations_in_time():
    inst = synthetic.call(500, 1)
    reports: list[tuple[float, str]] = []
    result = solve(inst, time_limit=30, progress=lambda f, m: reports.append((f, m)))
    assert check(inst, result.placements) == []
    assert result.seconds < 40
    assert result.unplaced == {
        b.id: "no_vgm" if b.weight_kg is None else "loading_hold"
        for b in inst.load
        if b.weight_kg is None or b.loading_hold
    }
    assert len(result.placements) + len(result.unplaced) == 500
    assert result.terms == terms(inst, result.placements)
    fractions = [f for f, _ in reports]
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_a_call_with_nothing_to_load_gives_an_empty_plan():
    remain = (box("R", pod=2, position=(1, 1, 2)),)
    inst = Instance(layout(), (), remain, cranes=2)
    result = solve(inst, time_limit=5)
    assert result.placements == {}
    assert result.unplaced == {}
    assert result.terms["overstows"] == 0
    assert result.objective == 0


def test_a_progress_callback_that_answers_false_cancels_the_run():
    inst = Instance(layout(), (box("A"), box("N", kg=None)), cranes=1)
    messages: list[str] = []

    def progress(fraction: float, message: str) -> bool:
        messages.append(message)
        return False

    result = solve(inst, time_limit=5, progress=progress)
    assert result.status == "cancelled"
    assert result.placements == {}
    assert result.unplaced == {"A": "not_planned", "N": "no_vgm"}
    assert messages[0].startswith("master: 1 boxes")
