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
    ("operations:control-room", "Control room"),
    ("kpis:index", "KPIs"),
]
#: Pages only terminal staff may open; other users are not shown links that answer 403.
STAFF_ONLY = {"yard:map", "kpis:index", "operations:control-room"}


def navigation(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    staff = bool(user is not None and getattr(user, "is_terminal_staff", False))
    return {"nav_modules": [m for m in MODULES if staff or m[0] not in STAFF_ONLY]}
