"""Generic segment-group builder: nests a message's flat segments per a declared group structure.

A message structure is data: a :class:`GroupSpec` tree where every group names its trigger segment
(tag, optionally restricted to qualifiers) and the other segments its body may hold. The builder
walks the segments once; for each it looks, from the innermost open group outwards, first whether
the group's body takes it, then whether one of the group's child groups starts with it. A segment
no open group expects is kept in the innermost group and reported as ``UNEXPECTED_SEGMENT``.

Qualifiers make this tolerant of the order faults real files have: ``LOC+147`` always opens a
stowage cell, ``LOC+9`` never does, wherever they appear. The structures are our own reading of
the UN directory and SMDG MIGs (reference/edifact.md §1), simplified where the UN order is the
only thing that tells two groups apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tos.edi.report import Report
from tos.edi.syntax import Segment


@dataclass(frozen=True, slots=True)
class Tag:
    """A segment tag, optionally only with (or never with) certain qualifiers."""

    tag: str
    only: frozenset[str] = frozenset()
    never: frozenset[str] = frozenset()

    def matches(self, seg: Segment) -> bool:
        if seg.tag != self.tag:
            return False
        if self.only and seg.qualifier not in self.only:
            return False
        return not (self.never and seg.qualifier in self.never)


def tag(spec: str) -> Tag:
    """``"LOC"``, ``"LOC=147"`` (only 147), ``"LOC=9,11"``, ``"LOC!147"`` (any but 147)."""
    if "=" in spec:
        name, quals = spec.split("=")
        return Tag(name, only=frozenset(quals.split(",")))
    if "!" in spec:
        name, quals = spec.split("!")
        return Tag(name, never=frozenset(quals.split(",")))
    return Tag(spec)


@dataclass(frozen=True, slots=True)
class GroupSpec:
    name: str
    trigger: Tag
    body: tuple[Tag, ...] = ()
    children: tuple[GroupSpec, ...] = ()


def group(name: str, trigger: str, body: str = "", *children: GroupSpec) -> GroupSpec:
    """Compact declaration: ``group("SG2", "LOC=147", "GID GDS FTX MEA", group(...))``."""
    return GroupSpec(name, tag(trigger), tuple(tag(t) for t in body.split()), children)


def message(body: str, *children: GroupSpec) -> GroupSpec:
    """The message level: UNH is its trigger."""
    return group("MSG", "UNH", body + " UNT", *children)


@dataclass(slots=True)
class Group:
    """An instance of a group: its own segments (trigger first) and nested groups in order."""

    name: str
    segments: list[Segment] = field(default_factory=list)
    children: list[Group] = field(default_factory=list)

    @property
    def trigger(self) -> Segment:
        return self.segments[0]

    def all(self, tag_: str, *qualifiers: str) -> list[Segment]:
        """Own segments with this tag (and one of these qualifiers, if given)."""
        return [
            s
            for s in self.segments
            if s.tag == tag_ and (not qualifiers or s.qualifier in qualifiers)
        ]

    def first(self, tag_: str, *qualifiers: str) -> Segment | None:
        found = self.all(tag_, *qualifiers)
        return found[0] if found else None

    def groups(self, name: str) -> list[Group]:
        return [g for g in self.children if g.name == name]

    def walk(self) -> Iterator[Group]:
        yield self
        for child in self.children:
            yield from child.walk()


def build(
    segments: list[Segment], spec: GroupSpec, report: Report, *, interchange: int = 1
) -> Group:
    """Nest ``segments`` (UNH first) per ``spec``; nothing is dropped."""
    root = Group(spec.name)
    stack: list[tuple[GroupSpec, Group]] = [(spec, root)]
    for index, seg in enumerate(segments):
        if index == 0:
            root.segments.append(seg)
            continue
        placed = False
        for level in range(len(stack) - 1, -1, -1):
            gspec, grp = stack[level]
            if any(t.matches(seg) for t in gspec.body):
                del stack[level + 1 :]
                grp.segments.append(seg)
                placed = True
                break
            child_spec = next((c for c in gspec.children if c.trigger.matches(seg)), None)
            if child_spec is not None:
                del stack[level + 1 :]
                child = Group(child_spec.name, [seg])
                grp.children.append(child)
                stack.append((child_spec, child))
                placed = True
                break
        if not placed:
            stack[-1][1].segments.append(seg)
            report.warn(
                "UNEXPECTED_SEGMENT",
                f"{seg.tag} is not expected in {stack[-1][1].name}; kept there, not mapped",
                segment=seg.number,
                tag=seg.tag,
                interchange=interchange,
            )
    return root
