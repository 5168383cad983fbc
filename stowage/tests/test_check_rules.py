"""The independent checker of load plans: one hand-made violation per code, the objective terms
on a small ship worked out by hand, and single-move checks (no database)."""

from __future__ import annotations

from stowage.solvers.call import Box, Instance, linear_partition, segregation
from stowage.solvers.check import Plan, check, check_move, crane_split, terms


def layout(
    *,
    hatches: int = 1,
    rows: tuple[int, ...] = (1, 2),
    hold: tuple[int, ...] = (2, 4),
    deck: tuple[int, ...] = (82, 84),
    plugs: tuple[int, ...] = (),
    max_kg: int | None = None,
    max_mm: int | None = None,
    sizes: str = "any",
) -> dict:
    """A small vessel: ``hatches`` 40' bay pairs (1/3 -> 2, 5/7 -> 6, ...), ``rows`` in the
    hold and on deck, reefer plugs on the tiers ``plugs``."""
    bays, stacks = [], []
    for h in range(hatches):
        pair = 4 * h + 2
        for bay in (pair - 1, pair + 1):
            bays.append({"bay": bay, "pair": pair, "hatch": pair})
            for row in rows:
                for is_deck, tiers in ((False, hold), (True, deck)):
                    stacks.append(
                        {
                            "bay": bay,
                            "row": row,
                            "deck": is_deck,
                            "tiers": list(tiers),
                            "reefer_tiers": [t for t in tiers if t in plugs],
                            "sizes": sizes,
                            "max_kg": max_kg,
                            "max_mm": max_mm if is_deck else None,
                        }
                    )
    return {"version": 1, "bays": bays, "stacks": stacks}


def box(id_: str, length: int = 20, *, kg: int | None = 10_000, pod: int = 1, **kw) -> Box:
    return Box(id=id_, length_ft=length, height_mm=kw.pop("mm", 2591), weight_kg=kg, pod=pod, **kw)


def codes(violations) -> list[tuple[str, str]]:
    return sorted((v.code, v.box) for v in violations)


def test_a_legal_plan_has_no_violations():
    inst = Instance(layout(), (box("A"), box("B", 40), box("C", pod=2)), cranes=1)
    assert check(inst, {"A": (1, 1, 2), "C": (3, 1, 2), "B": (2, 1, 4)}) == []


def test_it_names_a_box_on_a_cell_the_vessel_does_not_have():
    inst = Instance(layout(), (box("A"), box("B", 40)))
    assert codes(check(inst, {"A": (1, 9, 2), "B": (6, 1, 2)})) == [
        ("unknown_cell", "A"),
        ("unknown_cell", "B"),
    ]


def test_it_names_an_id_that_is_on_no_list():
    inst = Instance(layout(), (box("A"),))
    assert codes(check(inst, {"X": (1, 1, 2)})) == [("unknown_box", "X")]


def test_it_rejects_sizes_that_do_not_fit_the_cell():
    inst = Instance(
        layout(),
        (box("T", 20), box("F", 40), box("H", 45)),
    )
    assert codes(check(inst, {"T": (2, 1, 2), "F": (1, 2, 2), "H": (2, 2, 2)})) == [
        ("size_mismatch", "F"),
        ("size_mismatch", "H"),
        ("size_mismatch", "T"),
    ]
    forty_only = Instance(layout(sizes="40"), (box("T", 20),))
    assert codes(check(forty_only, {"T": (1, 1, 2)})) == [("size_mismatch", "T")]


def test_it_refuses_a_box_without_vgm_or_under_a_loading_hold():
    inst = Instance(layout(), (box("N", kg=None), box("H", loading_hold=True)))
    assert codes(check(inst, {"N": (1, 1, 2), "H": (3, 1, 2)})) == [
        ("loading_hold", "H"),
        ("no_vgm", "N"),
    ]


def test_a_reefer_needs_a_plug_and_a_forty_reaches_one_in_either_bay():
    lay = layout(plugs=(2,))
    lay["stacks"] = [{**s, "reefer_tiers": []} if s["bay"] == 3 else s for s in lay["stacks"]]
    inst = Instance(lay, (box("R", reefer=True), box("S", reefer=True), box("F", 40, reefer=True)))
    assert codes(check(inst, {"R": (1, 1, 2), "S": (3, 2, 2), "F": (2, 2, 4)})) == [
        ("floating", "F"),
        ("no_reefer_plug", "F"),
        ("no_reefer_plug", "S"),
    ]
    assert check(inst, {"R": (1, 1, 2), "F": (2, 2, 2)}) == []


def test_two_boxes_on_one_cell_are_refused():
    inst = Instance(layout(), (box("A"), box("B"), box("F", 40)))
    assert codes(check(inst, {"A": (1, 1, 2), "B": (1, 1, 2)})) == [("cell_taken", "B")]
    assert codes(check(inst, {"A": (3, 1, 2), "F": (2, 1, 2)})) == [("cell_taken", "F")]


def test_a_box_needs_a_box_beneath_and_a_forty_needs_both():
    inst = Instance(layout(), (box("A"), box("B"), box("F", 40)))
    assert codes(check(inst, {"A": (1, 1, 4)})) == [("floating", "A")]
    assert codes(check(inst, {"B": (1, 1, 2), "F": (2, 1, 4)})) == [("floating", "F")]
    assert check(inst, {"A": (1, 1, 2), "B": (3, 1, 2), "F": (2, 1, 4)}) == []


def test_a_twenty_never_stands_on_a_forty():
    inst = Instance(layout(), (box("F", 40), box("T")))
    assert codes(check(inst, {"F": (2, 1, 2), "T": (1, 1, 4)})) == [("twenty_on_forty", "T")]


def test_the_hold_under_a_deck_stack_that_stays_on_board_is_closed():
    remain = (box("R", pod=3, position=(1, 1, 82)),)
    inst = Instance(layout(), (box("A"), box("B")), remain)
    assert codes(check(inst, {"A": (1, 1, 2), "B": (1, 2, 2)})) == [("below_remain", "A")]


def test_stack_weight_counts_half_a_forty_on_each_bay():
    inst = Instance(
        layout(max_kg=30_000),
        (box("A", kg=20_000), box("F", 40, kg=24_000), box("B", kg=5_000)),
    )
    # bay 1: 20 t + 12 t = 32 t > 30 t; bay 3: 5 t + 12 t = 17 t
    assert codes(check(inst, {"A": (1, 1, 2), "B": (3, 1, 2), "F": (2, 1, 4)})) == [
        ("stack_weight", "F")
    ]
    light = Instance(inst.layout, (box("A", kg=18_000), box("F", 40, kg=24_000), box("B")))
    assert check(light, {"A": (1, 1, 2), "B": (3, 1, 2), "F": (2, 1, 4)}) == []


def test_stack_height_counts_every_box_of_the_stack():
    inst = Instance(layout(max_mm=5_400), (box("A", mm=2591), box("B", mm=2896)))
    assert codes(check(inst, {"A": (1, 1, 82), "B": (1, 1, 84)})) == [("stack_height", "B")]
    low = Instance(inst.layout, (box("A", mm=2591), box("B", mm=2591)))
    assert check(low, {"A": (1, 1, 82), "B": (1, 1, 84)}) == []


def test_incompatible_dangerous_goods_keep_their_distance():
    lay = layout(hatches=3, rows=(0, 1, 2, 3, 4))
    # 3 (flammable liquid) and 5.1 (oxidiser): "separated from", level 2
    inst = Instance(lay, (box("L", imdg=("3",)), box("O", imdg=("5.1",))))
    assert codes(check(inst, {"L": (1, 1, 2), "O": (3, 3, 2)})) == [("imdg_segregation", "O")]
    assert check(inst, {"L": (1, 1, 2), "O": (1, 4, 2)}) == []
    # the hatch cover separates the same column for level 2
    assert check(inst, {"L": (1, 1, 2), "O": (1, 1, 82)}) == []
    # 2.1 (flammable gas) and 6.2 (infectious): level 4, two hatches and four bays apart
    far = Instance(lay, (box("G", imdg=("2.1",)), box("I", imdg=("6.2",))))
    assert codes(check(far, {"G": (1, 1, 2), "I": (5, 1, 2)})) == [("imdg_segregation", "I")]
    assert check(far, {"G": (1, 1, 2), "I": (9, 1, 2)}) == []


def test_a_box_staying_on_board_cannot_be_moved():
    remain = (box("R", pod=2, position=(1, 1, 2)),)
    inst = Instance(layout(), (box("A"),), remain)
    assert codes(check(inst, {"R": (3, 1, 2)})) == [("remain_moved", "R")]
    assert check(inst, {"R": (1, 1, 2), "A": (1, 1, 4)}) == []


def test_the_segregation_table_takes_the_strictest_class_pair():
    assert segregation(("2.1",), ("6.2",)) == 4
    assert segregation(("3", "8"), ("2.1",)) == 2
    assert segregation(("1.4",), ("2.2",)) == 1
    assert segregation(("9",), ("1.1",)) == 0
    assert segregation(("3",), ("3",)) == 0


def test_terms_are_counted_as_worked_out_by_hand():
    lay = layout(hatches=2)
    load = (
        box("A", pod=1, kg=20_000, yard=("Y", 1, 1, 1)),
        box("B", pod=2, kg=10_000, yard=("Y", 1, 1, 2)),  # on A in the yard
        box("C", pod=2, kg=5_000, yard=("Y", 1, 1, 3)),
        box("D", pod=1, kg=8_000),
    )
    remain = (box("R", pod=1, kg=9_000, position=(5, 1, 2)),)
    inst = Instance(lay, load, remain, cranes=2)
    plan = {"A": (1, 1, 2), "B": (1, 1, 4), "C": (1, 2, 2), "D": (5, 1, 4)}
    split = crane_split(inst, plan)
    assert [(s.crane, s.bays, s.moves) for s in split] == [(1, (2,), 3), (2, (6,), 1)]
    values = terms(inst, plan)
    # B (POD 2) stands on A (POD 1); D (8 t) is lighter than R beneath, A is heavier than B.
    assert values["overstows"] == 1
    assert values["heavy_over_light"] == 0
    # crane 1 loads tier 2 port to starboard, C (row 2) then A (row 1), then B (tier 4): B is
    # above A in the yard and A goes first, so B is rehandled; C went before both.
    assert values["rehandles"] == 1
    assert values["crane_imbalance"] == 3 - 2
    # longitudinal: bays 1, 5 -> half-bay offsets -3 and +1 from the middle (bays 1, 3, 5, 7)
    expected_long = abs(20_000 * -3 + 10_000 * -3 + 5_000 * -3 + 8_000 + 9_000)
    assert values["long_moment"] == round(expected_long / 100_000)
    heavier = Instance(lay, (*load[:3], box("D", pod=1, kg=12_000)), remain, cranes=2)
    assert terms(heavier, plan)["heavy_over_light"] == 1


def test_a_move_is_checked_against_the_rest_of_the_plan():
    inst = Instance(layout(plugs=(2,)), (box("A"), box("B"), box("R", reefer=True)), cranes=1)
    plan = {"A": (1, 1, 2), "B": (1, 1, 4)}
    assert check_move(inst, plan, "B", (1, 2, 2)) == []
    assert [v.code for v in check_move(inst, plan, "A", (1, 2, 2))] == ["floating"]
    assert [v.code for v in check_move(inst, plan, "R", (1, 1, 4))] == [
        "no_reefer_plug",
        "cell_taken",
    ]
    assert [v.code for v in check_move(inst, plan, "R", (3, 1, 4))] == [
        "no_reefer_plug",
        "floating",
    ]
    built = Plan(inst, plan)
    assert check_move(inst, plan, "R", (3, 1, 2), plan=built) == []
    assert built.pos == {"A": (1, 1, 2), "B": (1, 1, 4)}


def test_the_crane_split_is_the_best_contiguous_one():
    assert linear_partition([5, 1, 1, 5], 2) == (6, [(0, 1), (2, 3)])
    assert linear_partition([9, 1, 1, 1], 3)[0] == 9
    assert linear_partition([], 3) == (0, [])
