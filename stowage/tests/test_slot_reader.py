"""The reader of the Delgado/Parreño slot-planning files: a real file in integer units, and
broken files refused with a message naming the line and the rule. No database."""

from __future__ import annotations

from pathlib import Path

import pytest

from stowage.solvers.delgado import InstanceError, instance_files, parse, read_instance

SET = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "stowage"
if not SET.exists():  # checkouts other than /work/main
    SET = Path("/work/shared/benchmarks/stowage")
SET = SET / "slot_planning_delgado_parreno"
DELGADO = SET / "instances" / "Delgado"

SMALL = """1 1 1 2 4 1 2
#POD
3
#LOCATIONS
35
#CONTAINERS_TOLOAD
0 0 0 4000.50 2.90 40 3 0 35 0
#CONTAINERS_LOADED
2 1 -1 2300.00 2.59 20 3 1 35 2
#STACKS
378000.000000 21.290000 35
378000.000000 23.890000 35
#CELLS
1 0 0 0 0 0 0
1 0 0 1 1 1 35
2 1 0 1 1 1 35
2 0 0 1 1 1 35
"""


def test_it_reads_a_real_delgado_file_in_grams_and_centimetres():
    instance = read_instance(DELGADO / "Instance_1_23_117_10_90_1_9_2.txt")
    assert instance.name == "Instance_1_23_117_10_90_1_9_2"
    assert (len(instance.to_load), len(instance.loaded), len(instance.stacks)) == (23, 117, 10)
    assert instance.tiers == 9
    assert instance.ports == (3,)
    first = instance.to_load[0]
    assert (first.length, first.weight, first.height, first.pod, first.reefer, first.imo) == (
        40,
        4_000_000,
        290,
        3,
        False,
        0,
    )
    assert instance.loaded[0].position == (8, 2, "fore")  # "9 3 -1": stack 9, cell 3, fore
    assert instance.loaded[1].position == (0, 5, "aft")  # "1 6 1"
    assert (instance.stacks[0].max_weight, instance.stacks[0].max_height) == (378_000_000, 2129)
    assert not instance.stacks[0].cells[0].usable
    assert instance.stacks[2].cells[1].fore_reefer
    assert not instance.stacks[2].cells[1].aft_reefer


def test_it_lists_the_instances_of_a_set_folder_by_file_name():
    files = instance_files(SET)
    assert len(files) == 447
    assert files == sorted(files, key=lambda path: path.name)
    assert sum(1 for path in files if path.name.startswith("Instance_")) == 234


def test_it_reads_a_small_file_with_a_loaded_reefer_on_its_plug():
    instance = parse(SMALL, "small")
    assert instance.to_load[0].weight == 4_000_500
    loaded = instance.loaded[0]
    assert (loaded.index, loaded.position, loaded.reefer, loaded.imo) == (
        1,
        (1, 0, "fore"),
        True,
        2,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "small: the file is empty"),
        (SMALL.replace("1 1 1 2 4 1 2", "1 1 1 2 4 1"), "small line 1: the first line needs 7"),
        (SMALL.replace("#CELLS\n", ""), "#CELLS is missing"),
        (SMALL.replace("2 1 0 1 1 1 35", "2 1 0 2 1 1 35"), "line 16: ForeFeasible must be 0 or 1"),
        (SMALL.replace("4000.50", "heavy"), "line 7: Weight 'heavy' is not a number"),
        (SMALL.replace("4000.50 2.90 40", "4000.50 2.90 30"), "line 7: Length must be 20 or 40"),
        (SMALL.replace("4000.50 2.90 40 3", "4000.50 2.90 40 7"), "DischargePort 7 is not in"),
        (SMALL.replace("2 1 -1 2300", "3 1 -1 2300"), "line 9: loaded position (3, 1) is off"),
        (SMALL.replace("2 1 -1 2300", "2 1 0 2300"), "line 9: IDfor 0 does not fit a 20'"),
        (SMALL.replace("1 1 1 2 4 1 2", "1 2 1 2 4 1 2"), "1 containers to load, header says 2"),
        (SMALL.replace("2 0 0 1 1 1 35\n", ""), "#CELLS has 3 lines, header says 4"),
        (SMALL.replace("#STACKS\n", "#STACKS\n-5 1 35\n"), "#STACKS has 3 lines"),
    ],
)
def test_it_refuses_a_broken_file_naming_the_line_and_the_rule(text, message):
    with pytest.raises(InstanceError) as error:
        parse(text, "small")
    assert message in str(error.value)


def test_it_refuses_a_binary_file(tmp_path):
    path = tmp_path / "broken.txt"
    path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(InstanceError, match=r"broken\.txt: not a text file"):
        read_instance(path)
