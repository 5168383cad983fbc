"""What every solver's benchmark command shares (DESIGN.md §7): the CSV header, which instance
files a run takes, and how numbers and gaps are printed. Pure: the solver packages import it."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from pathlib import Path

HEADER = ["instance", "objective", "bound", "best_known", "gap_pct", "seconds", "status"]


def select(
    files: Iterable[Path], name: Callable[[Path], str], *, match: str | None, limit: int | None
) -> list[Path]:
    """The files whose instance name matches the shell pattern ``match``, the first ``limit``."""
    return [path for path in files if match is None or fnmatch.fnmatch(name(path), match)][
        : limit or None
    ]


def gap_pct(objective: float | None, reference: float | None) -> str:
    """``100 · (objective − reference) / reference`` with two decimals, empty without both."""
    if objective is None or not reference:
        return ""
    return f"{100 * (objective - reference) / reference:.2f}"


def number(value: float | None) -> str:
    """An integer as an integer, anything else with two decimals, None as empty."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"
