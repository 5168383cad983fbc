"""Navigation shared by every page."""

from typing import Any

MODULES = [
    ("web:home", "Dashboard"),
    ("berthing:index", "Berth"),
    ("yard:index", "Yard"),
    ("yard:map", "Yard map"),
    ("stowage:index", "Stowage"),
    ("gate:index", "Gate"),
    ("customs:index", "Customs"),
    ("operations:index", "Operations"),
]


def navigation(request: Any) -> dict[str, Any]:
    return {"nav_modules": MODULES}
