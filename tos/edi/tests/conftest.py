"""Shared helpers for the EDI tests (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[4] / "shared" / "edifact-samples"


def sample(relative: str) -> bytes:
    path = SAMPLES / relative
    if not path.exists():
        pytest.skip(f"sample {relative} not found under {SAMPLES}")
    return path.read_bytes()


def all_samples() -> list[Path]:
    return sorted(SAMPLES.glob("*/*.edi")) if SAMPLES.exists() else []
