"""Reader of the slot-planning instance files of Delgado et al. (2012) and Parreño, Pacino &
Alvarez-Valdes (2016) (``maritimelab/ContainerStowageSlotPlanning_Delgado_Perenno``).

One file describes one *location* (a bay section above or below deck)::

    #POD #toLoad #loaded #stacks #cells #locations #tiers
    #POD        <the discharge port numbers>
    #LOCATIONS  <location id>
    #CONTAINERS_TOLOAD   IDstack IDcell IDfor Weight Height Length POD Reefer IdLocation IMO
    #CONTAINERS_LOADED   the same columns, with the position of the container already on board
    #STACKS     MaxWeight MaxHeight IdLocation          (one line per stack)
    #CELLS      Stack ForeReefer AftReefer ForeFeasible AftFeasible 40Feasible IdLocation
    #SOLUTION-AFT / #SOLUTION-FWD / #INFO / #INFO-GEN   (ignored)

Conventions established from the files themselves (the Readme does not state them):

* the first column of a ``#CELLS`` line is the 1-based stack the cell belongs to; the cells of a
  stack are listed bottom to top and every stack has ``#tiers`` cells (hull-shaped stacks start
  with infeasible cells, flags all 0);
* a loaded container's ``IDstack`` and ``IDcell`` are 1-based (stack, tier within the stack);
  ``IDfor`` is ``1`` for the aft 20' slot, ``-1`` for the fore 20' slot and ``0`` for a 40'
  (every loaded 20' reefer sits on a plug under this reading, 8,815 of 8,815);
* a smaller discharge-port number is discharged earlier.

Units are integers: weights in grams (the files give kilograms with two decimals), heights in
centimetres (metres with two decimals). Malformed files raise :class:`InstanceError` naming the
line and the rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

AFT, FORE, FORTY = "aft", "fore", "40"
FILE_POSITION = {1: AFT, -1: FORE, 0: FORTY}
POSITION_FILE = {value: key for key, value in FILE_POSITION.items()}


class InstanceError(ValueError):
    """A slot-planning file that does not follow the format."""


@dataclass(frozen=True)
class Container:
    """One container: to load (``position`` None) or already on board (fixed position)."""

    index: int
    length: int  # feet, 20 or 40
    weight: int  # grams
    height: int  # centimetres
    pod: int  # discharge port number; smaller leaves first
    reefer: bool
    imo: int  # 0 = not dangerous, 1..4 = IMO category
    position: tuple[int, int, str] | None = None  # (stack, tier) 0-based, AFT/FORE/FORTY


@dataclass(frozen=True)
class Cell:
    """One cell (stack, tier): which slots exist and which have reefer plugs."""

    aft: bool
    fore: bool
    forty: bool
    aft_reefer: bool
    fore_reefer: bool

    @property
    def usable(self) -> bool:
        return self.aft or self.fore or self.forty


@dataclass(frozen=True)
class Stack:
    """A stack: weight limit (grams), height limit (centimetres), cells bottom to top."""

    max_weight: int
    max_height: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Instance:
    """One slot-planning instance in integer units."""

    name: str
    ports: tuple[int, ...]
    to_load: tuple[Container, ...]
    loaded: tuple[Container, ...]
    stacks: tuple[Stack, ...]
    tiers: int

    @property
    def containers(self) -> tuple[Container, ...]:
        """All containers, to load first, then those already on board."""
        return self.to_load + self.loaded


CELL_FLAGS = ("ForeReefer", "AftReefer", "ForeFeasible", "AftFeasible", "40Feasible")
SECTIONS = {
    "#POD": "pod",
    "#PODS": "pod",
    "#LOCATIONS": "locations",
    "#CONTAINERS_TOLOAD": "toload",
    "#CONTAINERS_LOADED": "loaded",
    "#CONTAINER_LOADED": "loaded",
    "#STACKS": "stacks",
    "#CELLS": "cells",
}


def _decimal(text: str, scale: int, where: str, what: str) -> int:
    try:
        value = Decimal(text) * scale
    except InvalidOperation:
        raise InstanceError(f"{where}: {what} {text!r} is not a number") from None
    if value < 0:
        raise InstanceError(f"{where}: {what} {text!r} is negative")
    return int(value.to_integral_value())


def _int(text: str, where: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InstanceError(f"{where}: {what} {text!r} is not an integer") from None


def _flag(text: str, where: str, what: str) -> bool:
    if text not in ("0", "1"):
        raise InstanceError(f"{where}: {what} must be 0 or 1, not {text!r}")
    return text == "1"


def parse(text: str, name: str = "instance") -> Instance:
    """The instance in ``text`` (the content of one file)."""
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, fields) for number, fields in lines if fields]
    if not lines:
        raise InstanceError(f"{name}: the file is empty")
    number, head = lines[0]
    if len(head) != 7:
        raise InstanceError(
            f"{name} line {number}: the first line needs 7 integers, has {len(head)}"
        )
    n_pod, n_load, n_loaded, n_stacks, n_cells, n_locations, n_tiers = (
        _int(value, f"{name} line {number}", "header field") for value in head
    )
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current: str | None = None
    for number, fields in lines[1:]:
        if fields[0].startswith("#"):
            current = SECTIONS.get(fields[0].upper(), "ignored")
            sections.setdefault(current, [])
            continue
        if current is None:
            raise InstanceError(f"{name} line {number}: data before the first section")
        sections.setdefault(current, []).append((number, fields))
    for section in ("pod", "toload", "stacks", "cells"):
        if section not in sections:
            raise InstanceError(f"{name}: section #{section.upper()} is missing")
    ports = tuple(
        _int(value, f"{name} line {number}", "port") for number, f in sections["pod"] for value in f
    )
    if len(ports) != n_pod:
        raise InstanceError(f"{name}: #POD lists {len(ports)} ports, the header says {n_pod}")

    stacks_raw = sections["stacks"]
    if len(stacks_raw) != n_stacks:
        raise InstanceError(f"{name}: #STACKS has {len(stacks_raw)} lines, header says {n_stacks}")
    cells_raw = sections["cells"]
    if len(cells_raw) != n_cells:
        raise InstanceError(f"{name}: #CELLS has {len(cells_raw)} lines, header says {n_cells}")
    by_stack: list[list[Cell]] = [[] for _ in range(n_stacks)]
    for number, fields in cells_raw:
        where = f"{name} line {number}"
        if len(fields) != 7:
            raise InstanceError(f"{where}: a cell line needs 7 fields, has {len(fields)}")
        stack = _int(fields[0], where, "stack")
        if not 1 <= stack <= n_stacks:
            raise InstanceError(f"{where}: stack {stack} is not in 1..{n_stacks}")
        fore_reefer, aft_reefer, fore, aft, forty = (
            _flag(value, where, label) for value, label in zip(fields[1:6], CELL_FLAGS, strict=True)
        )
        by_stack[stack - 1].append(Cell(aft, fore, forty, aft_reefer, fore_reefer))
    stacks = []
    for index, (number, fields) in enumerate(stacks_raw):
        where = f"{name} line {number}"
        if len(fields) != 3:
            raise InstanceError(f"{where}: a stack line needs 3 fields, has {len(fields)}")
        if len(by_stack[index]) != n_tiers:
            raise InstanceError(
                f"{name}: stack {index + 1} has {len(by_stack[index])} cells, not {n_tiers} tiers"
            )
        stacks.append(
            Stack(
                max_weight=_decimal(fields[0], 1000, where, "MaxWeight"),
                max_height=_decimal(fields[1], 100, where, "MaxHeight"),
                cells=tuple(by_stack[index]),
            )
        )

    def container(number: int, fields: list[str], index: int, on_board: bool) -> Container:
        where = f"{name} line {number}"
        if len(fields) not in (9, 10):
            raise InstanceError(f"{where}: a container line needs 10 fields, has {len(fields)}")
        length = _int(fields[5], where, "Length")
        if length not in (20, 40):
            raise InstanceError(f"{where}: Length must be 20 or 40, not {length}")
        pod = _int(fields[6], where, "DischargePort")
        if pod not in ports:
            raise InstanceError(f"{where}: DischargePort {pod} is not in #POD {list(ports)}")
        imo = _int(fields[9], where, "IMOcategory") if len(fields) == 10 else 0
        if not 0 <= imo <= 4:
            raise InstanceError(f"{where}: IMOcategory must be 0..4, not {imo}")
        position = None
        if on_board:
            stack, tier, slot = (
                _int(value, where, label)
                for value, label in zip(fields[:3], ("IDstack", "IDcell", "IDfor"), strict=True)
            )
            if not 1 <= stack <= n_stacks or not 1 <= tier <= n_tiers:
                raise InstanceError(f"{where}: loaded position ({stack}, {tier}) is off the bay")
            if slot not in FILE_POSITION or (slot == 0) != (length == 40):
                raise InstanceError(f"{where}: IDfor {slot} does not fit a {length}' container")
            position = (stack - 1, tier - 1, FILE_POSITION[slot])
        return Container(
            index=index,
            length=length,
            weight=_decimal(fields[3], 1000, where, "Weight"),
            height=_decimal(fields[4], 100, where, "Height"),
            pod=pod,
            reefer=_flag(fields[7], where, "Reefer"),
            imo=imo,
            position=position,
        )

    to_load = tuple(
        container(number, fields, index, False)
        for index, (number, fields) in enumerate(sections["toload"])
    )
    loaded = tuple(
        container(number, fields, len(to_load) + index, True)
        for index, (number, fields) in enumerate(sections.get("loaded", []))
    )
    if len(to_load) != n_load:
        raise InstanceError(f"{name}: {len(to_load)} containers to load, header says {n_load}")
    if len(loaded) != n_loaded:
        raise InstanceError(f"{name}: {len(loaded)} loaded containers, header says {n_loaded}")
    if n_locations != 1:
        raise InstanceError(f"{name}: {n_locations} locations; one location per file is supported")
    return Instance(
        name=name,
        ports=ports,
        to_load=to_load,
        loaded=loaded,
        stacks=tuple(stacks),
        tiers=n_tiers,
    )


def read_instance(path: Path | str) -> Instance:
    """The instance in the file at ``path``, named after the file without extension."""
    path = Path(path)
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise InstanceError(f"{path.name}: not a text file") from None
    return parse(text, path.stem)


def instance_files(set_dir: Path | str) -> list[Path]:
    """The instance files of a set folder (or of its ``instances/`` subfolder), sorted by name."""
    root = Path(set_dir)
    if (root / "instances").is_dir():
        root = root / "instances"
    return sorted(root.rglob("*.txt"), key=lambda path: path.name)
