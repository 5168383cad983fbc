"""The berth planner (:mod:`berthing.solvers.plan`) and its independent checker
(:mod:`berthing.solvers.check.plan`) on tiny instances whose optima are worked out by hand.

Unless a test says otherwise: cranes move 30 boxes an hour, periods are an hour, there is no
clearance, and every vessel arrives at minute 0, is due late and takes 1 crane."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from berthing.solvers.check.plan import PlanCheck, check_plan
from berthing.solvers.instance import (
    Assignment,
    Crane,
    CraneShift,
    Instance,
    Placement,
    Section,
    Vessel,
    Window,
)
from berthing.solvers.plan import Progress, demo_like_instance, explain, solve

DEEP = Section("Deep", 0, 1000, 2000)


def crane(n: int, *, mph: int = 30, lo: int = 0, hi: int = 1000, outages=()) -> Crane:
    return Crane(f"QC{n}", n, lo, hi, mph, tuple(outages))


def vessel(
    vid: str,
    *,
    loa: int = 200,
    eta: int = 0,
    due: int = 10_000,
    moves: int = 60,
    cranes: tuple[int, int] = (1, 1),
    draft: int = 1000,
    **extra,
) -> Vessel:
    return Vessel(vid, f"Vessel {vid}", "LINE", loa, draft, eta, due, moves, *cranes, **extra)


def instance(
    vessels,
    *,
    cranes=None,
    quay: int = 1000,
    sections=(DEEP,),
    horizon: int = 24 * 60,
    clearance: int = 0,
    **extra,
) -> Instance:
    cranes = (crane(1),) if cranes is None else tuple(cranes)
    return Instance(quay, horizon, tuple(sections), cranes, tuple(vessels), clearance, **extra)


def solved(inst: Instance, *, time_limit: float = 5.0):
    """Solve to proven optimality and insist that the checker agrees with the result."""
    result = solve(inst, time_limit=time_limit)
    assert result.status == "optimal", result.message
    check = check_plan(inst, result.assignments, result.shifts)
    assert check.violations == []
    assert check.objective == result.objective == result.bound
    assert check.components == result.components
    return result


def at(result) -> dict[str, Assignment]:
    return {a.vessel: a for a in result.assignments}


def cranes_on(result, vid: str, minute: int) -> set[str]:
    return {s.crane for s in result.shifts if s.vessel == vid and s.start_min <= minute < s.end_min}


# --- rule families, with hand-computed optima -------------------------------------------------


def test_a_vessel_waits_when_the_only_stretch_long_enough_is_taken():
    """300 m of quay holds one 200 m vessel: B (ETA 1 h) waits for A to leave at 2 h."""
    inst = instance([vessel("A"), vessel("B", eta=60)], quay=300, cranes=(crane(1), crane(2)))
    result = solved(inst)
    assert at(result)["B"].berth_min == 120
    assert at(result)["B"].depart_min == 240
    assert result.objective == 120 + 180
    assert any("Vessel A" in line for line in result.explanations["B"])
    assert "A" not in result.explanations


def test_depth_sends_the_deep_vessel_to_the_deep_stretch():
    """Both 280 m vessels work at once: the 15 m draft one only floats at 300–600 m."""
    inst = instance(
        [vessel("DEEP", loa=280, draft=1500), vessel("SHALLOW", loa=280, draft=900)],
        quay=600,
        sections=(Section("Inner", 0, 300, 1000), Section("Outer", 300, 600, 1600)),
        cranes=(crane(1), crane(2)),
    )
    result = solved(inst)
    assert 300 <= at(result)["DEEP"].start_m <= 320
    assert at(result)["SHALLOW"].start_m <= 20
    assert result.objective == 240


@pytest.mark.parametrize(("max_cranes", "depart"), [(1, 360), (2, 240), (3, 180)])
def test_max_cranes_caps_the_gang_and_so_sets_the_handling_time(max_cranes, depart):
    """180 moves: 1 crane 30/h → 6 h; 2 cranes 55.8/h → 4 h; 3 cranes 81/h → 3 h."""
    inst = instance(
        [vessel("A", moves=180, cranes=(1, max_cranes))], cranes=[crane(n) for n in (1, 2, 3)]
    )
    result = solved(inst)
    assert at(result)["A"].depart_min == depart
    assert max(len(cranes_on(result, "A", t)) for t in range(0, depart, 60)) == max_cranes


def test_two_vessels_that_each_need_both_cranes_take_turns():
    """Quay room for both, but each needs its minimum of 2 cranes and there are only 2."""
    inst = instance(
        [vessel("A", moves=55, cranes=(2, 2)), vessel("B", moves=55, cranes=(2, 2))],
        cranes=(crane(1), crane(2)),
    )
    result = solved(inst)
    assert sorted(a.depart_min for a in result.assignments) == [60, 120]
    assert result.objective == 180
    late = max(result.assignments, key=lambda a: a.depart_min).vessel
    first = "A" if late == "B" else "B"
    assert any(
        "QC1, QC2 work" in line and f"Vessel {first}" in line for line in result.explanations[late]
    )


@pytest.mark.parametrize(("efficiency", "depart"), [((100, 100), 120), ((100, 93), 180)])
def test_crane_interference_lengthens_the_handling_time(efficiency, depart):
    """120 moves with 2 cranes: 60/h without interference (2 h), 55.8/h at 93 % (3 h)."""
    inst = instance(
        [vessel("A", moves=120, cranes=(1, 2))],
        cranes=(crane(1), crane(2)),
        efficiency_pct=efficiency,
    )
    assert at(solved(inst))["A"].depart_min == depart


def test_a_crane_outage_holds_the_vessel_and_is_named():
    inst = instance([vessel("A")], cranes=(crane(1, outages=[(0, 60)]),))
    result = solved(inst)
    assert at(result)["A"].depart_min == 180
    assert result.shifts == (CraneShift("QC1", "A", 60, 180),)
    assert any("QC1 is out of service" in line for line in result.explanations["A"])


def test_the_lateness_weight_decides_which_vessel_gets_the_only_crane_first():
    """B is due at 2 h with lateness weight 10: it goes first (360 against 1,560)."""
    vessels = [vessel("A"), vessel("B", due=120, weight_late=10)]
    result = solved(instance(vessels))
    assert at(result)["B"].depart_min == 120
    assert result.objective == 360
    assert result.components == {"service": 360, "lateness": 0, "window": 0, "stability": 0}


def test_a_heavy_service_weight_outweighs_another_vessels_lateness():
    """A costs 20 per minute in port: A first costs 2,400 + 240 + 10 × 120 = 3,840 against
    4,920 the other way round."""
    vessels = [vessel("A", weight_service=20), vessel("B", due=120, weight_late=10)]
    result = solved(instance(vessels))
    assert at(result)["A"].depart_min == 120
    assert result.objective == 3840
    assert result.components["lateness"] == 1200
    assert any("after it is due" in line for line in result.explanations["B"])


def test_a_vessel_waits_for_its_berth_window_to_open():
    """Berthing at once costs 120 + 6 × 120 = 840; waiting for the window costs 240."""
    inst = instance([vessel("A", window=Window(120, 1000, 6))])
    result = solved(inst)
    assert (at(result)["A"].berth_min, at(result)["A"].depart_min) == (120, 240)
    assert result.objective == 240
    assert any("window" in line for line in result.explanations["A"])


def test_departing_after_the_berth_window_costs_its_penalty():
    inst = instance([vessel("A", window=Window(0, 60, 30))])
    result = solved(inst)
    assert result.components == {"service": 120, "lateness": 0, "window": 1800, "stability": 0}


def test_a_locked_vessel_keeps_its_placement_and_others_plan_around_it():
    lock = Placement(start_m=0, berth_min=60, depart_min=300)
    inst = instance([vessel("A", locked=lock), vessel("B")], quay=300, cranes=(crane(1), crane(2)))
    result = solved(inst)
    a, b = at(result)["A"], at(result)["B"]
    assert (a.start_m, a.berth_min, a.depart_min) == (0, 60, 300)
    assert (b.berth_min, b.depart_min) == (300, 420)
    assert any("Vessel A (locked)" in line for line in result.explanations["B"])


def test_a_lock_that_breaks_a_rule_makes_the_plan_infeasible_and_says_which():
    lock = Placement(start_m=0, berth_min=0, depart_min=300)
    result = solve(instance([vessel("A", eta=60, locked=lock)]))
    assert result.status == "infeasible"
    assert "Vessel A" in result.message
    assert "ETA" in result.message


def test_two_locks_on_the_same_stretch_at_the_same_time_are_infeasible_and_named():
    locks = [Placement(0, 0, 120), Placement(100, 60, 180)]
    result = solve(instance([vessel("A", locked=locks[0]), vessel("B", locked=locks[1])]))
    assert result.status == "infeasible"
    assert "Vessel A and Vessel B are locked" in result.message


def test_a_locked_vessel_that_cannot_finish_by_its_departure_is_infeasible_with_a_reason():
    """One crane does 30 of its 60 moves in the locked hour."""
    result = solve(instance([vessel("A", locked=Placement(0, 0, 60))]))
    assert result.status == "infeasible"
    assert result.message == (
        "Vessel A cannot finish its 60 moves by its locked departure +1h00, even with every "
        "crane that reaches it (at most 30)."
    )


def test_a_vessel_that_fits_nowhere_is_infeasible_with_a_reason():
    result = solve(instance([vessel("A", loa=1200)]))
    assert result.status == "infeasible"
    assert "Vessel A" in result.message


# --- warm start and stability ----------------------------------------------------------------


def _small_terminal(**extra) -> Instance:
    vessels = [
        vessel("A", loa=250, moves=150, cranes=(1, 3), due=300),
        vessel("B", loa=200, eta=60, moves=90, cranes=(1, 2), due=400),
        vessel("C", loa=300, eta=120, moves=200, cranes=(1, 3), due=500),
        vessel("D", loa=220, eta=240, moves=120, cranes=(1, 2), due=600),
        vessel("E", loa=180, eta=300, moves=60, cranes=(1, 2), due=600),
    ]
    cranes = [crane(n, lo=(n - 1) * 150, hi=(n - 1) * 150 + 450) for n in (1, 2, 3, 4, 5)]
    return instance(vessels, quay=900, cranes=cranes, horizon=2 * 24 * 60, clearance=20, **extra)


def _current(result) -> dict[str, Placement]:
    return {a.vessel: Placement(a.start_m, a.berth_min, a.depart_min) for a in result.assignments}


def test_an_unchanged_plan_stays_unchanged_when_optimised_again():
    first = solved(_small_terminal())
    current = _current(first)
    inst = _small_terminal()
    inst = replace(
        inst,
        stability_weight=1,
        vessels=tuple(replace(v, current=current[v.id]) for v in inst.vessels),
    )
    again = solved(inst)
    assert again.objective == first.objective
    assert again.components["stability"] == 0
    assert {(a.vessel, a.start_m, a.berth_min) for a in again.assignments} == {
        (a.vessel, a.start_m, a.berth_min) for a in first.assignments
    }


def test_re_optimising_after_one_vessels_delay_moves_few_others():
    first = solved(_small_terminal())
    current = _current(first)
    inst = _small_terminal()
    vessels = []
    for v in inst.vessels:
        v = replace(v, current=current[v.id])
        if v.id == "C":
            v = replace(v, eta_min=v.eta_min + 180, due_min=v.due_min + 180)
        vessels.append(v)
    again = solved(replace(inst, stability_weight=2, vessels=tuple(vessels)))
    moved = {
        a.vessel
        for a in again.assignments
        if (a.start_m, a.berth_min) != (current[a.vessel].start_m, current[a.vessel].berth_min)
    }
    assert "C" in moved
    assert len(moved - {"C"}) <= 1


# --- the checker ------------------------------------------------------------------------------

#: Two berths' worth of quay: deep 0–500 m, shallow beyond. QC1 runs 0–700 m, QC2 300–1,000 m
#: and is down 2–3 h. A (15 m draft) at 300 m and B at 600 m work 0–1 h; C is locked at 850 m.
CHECK = instance(
    [
        vessel("A", draft=1500, moves=30, cranes=(1, 2)),
        vessel("B", moves=30),
        vessel("C", loa=100, moves=0, locked=Placement(850, 0, 60)),
    ],
    sections=(Section("Deep", 0, 500, 2000), Section("Shallow", 500, 1000, 1000)),
    cranes=(crane(1, hi=700), crane(2, lo=300, outages=[(120, 180)])),
    horizon=600,
)
PLAN = [Assignment("A", 300, 0, 60), Assignment("B", 600, 0, 60), Assignment("C", 850, 0, 60)]
SHIFTS = [CraneShift("QC1", "A", 0, 60), CraneShift("QC2", "B", 0, 60)]


def _with(plan=None, shifts=None, **changes) -> PlanCheck:
    """Check the base plan with some assignments (by vessel) or the shifts replaced."""
    rows = {a.vessel: a for a in PLAN}
    for vid, a in changes.items():
        rows[vid] = a
    return check_plan(CHECK, plan if plan is not None else list(rows.values()), shifts or SHIFTS)


def test_the_checker_accepts_the_base_plan_and_prices_it():
    check = check_plan(CHECK, PLAN, SHIFTS)
    assert check.ok
    assert check.objective == 180
    assert check.components == {"service": 180, "lateness": 0, "window": 0, "stability": 0}


CASES = {
    "overlap": (
        {"B": Assignment("B", 400, 0, 60)},
        None,
        "Vessel A",
    ),
    "before_eta": ({"B": Assignment("B", 600, -60, 60)}, None, "ETA"),
    "too_shallow": (
        {"A": Assignment("A", 400, 0, 60)},
        None,
        "Shallow",
    ),
    "outside_quay": ({"B": Assignment("B", 900, 0, 60)}, None, "1000 m quay"),
    "locked_moved": ({"C": Assignment("C", 860, 0, 60)}, None, "locked"),
    "crane_count": (
        {},
        [CraneShift("QC1", "B", 0, 60), CraneShift("QC2", "B", 0, 60), SHIFTS[0]],
        "2 cranes",
    ),
    "crane_busy": (
        {},
        [*SHIFTS, CraneShift("QC1", "B", 30, 60)],
        "Vessel A",
    ),
    "crane_outage": (
        {"B": Assignment("B", 600, 0, 180)},
        [SHIFTS[0], CraneShift("QC2", "B", 120, 180)],
        "out of service",
    ),
    "crane_reach": (
        {"A": Assignment("A", 0, 0, 60)},
        [CraneShift("QC2", "A", 0, 60), CraneShift("QC1", "B", 0, 60)],
        "QC2",
    ),
    "crane_crossing": (
        {},
        [CraneShift("QC2", "A", 0, 60), CraneShift("QC1", "B", 0, 60)],
        "QC2",
    ),
    "moves_short": ({}, [CraneShift("QC1", "A", 0, 59), SHIFTS[1]], "29 of its 30"),
    "shift_outside_stay": ({}, [CraneShift("QC1", "A", 0, 120), SHIFTS[1]], "outside its stay"),
    "beyond_horizon": (
        {"B": Assignment("B", 600, 580, 640)},
        [SHIFTS[0], CraneShift("QC2", "B", 580, 640)],
        "horizon",
    ),
    "missing_vessel": (None, [SHIFTS[0]], "Vessel B"),
    "unknown_vessel": ({"X": Assignment("X", 0, 0, 60)}, None, "'X'"),
    "duplicate_vessel": (
        [*PLAN, Assignment("B", 700, 0, 60)],
        None,
        "more than once",
    ),
    "unknown_crane": ({}, [*SHIFTS, CraneShift("QC9", "B", 0, 60)], "'QC9'"),
    "bad_times": ({"B": Assignment("B", 600, 60, 0)}, None, "before it berths"),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_checker_names_a_hand_made_violation_of_each_rule(code):
    changes, shifts, words = CASES[code]
    if changes is None:
        check = check_plan(CHECK, [PLAN[0], PLAN[2]], shifts)
    elif isinstance(changes, list):
        check = check_plan(CHECK, changes, shifts or SHIFTS)
    else:
        check = _with(shifts=shifts, **changes)
    assert not check.ok
    found = [v for v in check.violations if v.code == code]
    assert found, check.violations
    assert any(words in v.message for v in found), found


def test_the_checker_lists_every_violation_of_a_bad_draft_instead_of_the_first():
    plan = [Assignment("A", 400, -60, 60), Assignment("B", 900, 0, 60)]
    shifts = [CraneShift("QC1", "A", 0, 59), CraneShift("QC9", "B", 0, 60)]
    codes = {v.code for v in check_plan(CHECK, plan, shifts).violations}
    assert {"before_eta", "too_shallow", "outside_quay", "moves_short", "unknown_crane"} <= codes
    assert "missing_vessel" in codes


def test_the_checker_counts_moves_exactly_at_the_boundary():
    """2 cranes at 93 % for an hour deliver 55.8 moves: 55 are done, 56 are not."""
    shifts = [CraneShift("QC1", "A", 0, 60), CraneShift("QC2", "A", 0, 60)]
    for moves, ok in ((55, True), (56, False)):
        inst = instance([vessel("A", moves=moves, cranes=(1, 2))], cranes=(crane(1), crane(2)))
        check = check_plan(inst, [Assignment("A", 0, 0, 60)], shifts)
        assert check.ok is ok


# --- solver results, random instances ---------------------------------------------------------


@st.composite
def small_instances(draw, max_vessels: int = 4, horizon: int = 24 * 60) -> Instance:
    quay = draw(st.sampled_from([400, 600, 800]))
    cut = draw(st.sampled_from([quay // 2, quay]))
    sections = [Section("S1", 0, cut, 1600)]
    if cut < quay:
        sections.append(Section("S2", cut, quay, draw(st.sampled_from([1000, 1600]))))
    cranes = []
    for n in range(1, draw(st.integers(1, 3)) + 1):
        lo = draw(st.integers(0, quay // 2))
        cranes.append(
            Crane(
                f"Q{n}",
                n,
                lo,
                draw(st.integers(min(lo + 300, quay), quay)),
                draw(st.sampled_from([25, 30])),
                draw(st.sampled_from([(), ((120, 240),)])),
            )
        )
    vessels = []
    for n in range(draw(st.integers(1, max_vessels))):
        eta = draw(st.integers(-2, 8)) * 45
        top = draw(st.integers(1, len(cranes)))
        loa = draw(st.integers(100, 250))
        spot = Placement(draw(st.integers(0, quay - loa - 10)), max(eta, 0) + 30, max(eta, 0) + 330)
        vessels.append(
            Vessel(
                f"V{n}",
                f"Vessel {n}",
                "L",
                loa,
                draw(st.sampled_from([900, 1100])),
                eta,
                eta + draw(st.integers(2, 10)) * 60,
                draw(st.integers(0, 120)),
                draw(st.integers(1, top)),
                top,
                weight_service=draw(st.integers(1, 3)),
                weight_late=draw(st.integers(0, 5)),
                window=draw(st.sampled_from([None, Window(eta + 60, eta + 300, 4)])),
                locked=spot if n == 0 and draw(st.integers(0, 3)) == 0 else None,
                current=spot if draw(st.booleans()) else None,
            )
        )
    return Instance(
        quay,
        horizon,
        tuple(sections),
        tuple(cranes),
        tuple(vessels),
        10,
        stability_weight=draw(st.integers(0, 2)),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_instances())
def test_every_plan_the_solver_returns_passes_the_independent_checker(inst):
    result = solve(inst, time_limit=2.0)
    assert result.status in ("optimal", "feasible", "infeasible"), result.message
    if result.status == "infeasible":
        assert result.message
    else:
        check = check_plan(inst, result.assignments, result.shifts)
        assert check.violations == []
        assert check.objective == result.objective
        assert result.bound is None or result.bound <= result.objective
        assert sum(result.components.values()) == result.objective
        assert result.status == "feasible" or result.bound == result.objective
        assert "rejected" not in result.message


def test_a_demo_like_week_is_planned_with_cranes_and_passes_the_checker():
    inst = demo_like_instance(7)
    assert len(inst.vessels) == 12
    assert len(inst.cranes) == 8
    assert inst.quay_length_m == 1200
    result = solve(inst, time_limit=4.0)
    assert result.status in ("optimal", "feasible")
    assert check_plan(inst, result.assignments, result.shifts).ok
    assert 0 < result.bound <= result.objective
    assert result.seconds < 5


# --- progress and cancellation ----------------------------------------------------------------


def test_progress_reports_each_incumbent_with_its_plan():
    seen: list[Progress] = []
    inst = demo_like_instance(3)
    result = solve(inst, time_limit=2.0, on_progress=lambda p: seen.append(p) or True)
    incumbents = [p for p in seen if p.objective is not None]
    assert incumbents
    assert incumbents[0].seconds < 1.0
    assert len(incumbents[0].assignments) == 12
    assert check_plan(inst, incumbents[0].assignments, incumbents[0].shifts).ok
    assert min(p.objective for p in incumbents) == result.objective


def test_cancelling_at_the_first_incumbent_returns_it_as_feasible():
    result = solve(demo_like_instance(7), time_limit=10.0, on_progress=lambda p: False)
    assert result.status == "feasible"
    assert result.message == "cancelled"
    assert len(result.assignments) == 12
    assert result.seconds < 1.0


def test_cancelling_while_the_search_runs_stops_it_within_a_second():
    calls: list[float] = []

    def progress(p: Progress) -> bool:
        calls.append(time.monotonic())
        return len(calls) < 3

    result = solve(demo_like_instance(7), time_limit=10.0, on_progress=progress)
    stopped = time.monotonic()
    assert result.message == "cancelled"
    assert result.status == "feasible"
    assert stopped - calls[-1] < 1.0
    assert result.seconds < 4.0


def _greedy_trap() -> Instance:
    """Taking the vessels one by one, A (more moves, so first) takes the first stretch that fits
    it, 0–300 m, the only stretch deep enough for B; B then cannot finish within the 2-hour
    horizon. Together, A lies at 300 m and B at 0 m."""
    return instance(
        [vessel("A", loa=300), vessel("B", loa=300, moves=50, draft=1500)],
        quay=600,
        sections=(Section("Deep", 0, 300, 2000), Section("Shallow", 300, 600, 1000)),
        cranes=(crane(1), crane(2)),
        horizon=120,
    )


def test_the_search_solves_what_the_greedy_start_cannot():
    result = solved(_greedy_trap())
    assert result.objective == 240
    assert (at(result)["A"].start_m, at(result)["B"].start_m) == (300, 0)


def test_cancelling_before_any_plan_is_found_returns_unknown():
    result = solve(_greedy_trap(), on_progress=lambda p: False)
    assert (result.status, result.message, result.assignments) == ("unknown", "cancelled", ())


# --- explanations -----------------------------------------------------------------------------


def test_explain_names_the_vessel_on_the_stretch_and_the_busy_crane():
    inst = instance([vessel("A"), vessel("B")], quay=300)
    plan = [Assignment("A", 0, 0, 120), Assignment("B", 100, 120, 240)]
    shifts = [CraneShift("QC1", "A", 0, 120), CraneShift("QC1", "B", 120, 240)]
    lines = explain(inst, plan, shifts)
    assert set(lines) == {"B"}
    text = " ".join(lines["B"])
    assert "Vessel B waits 2 h" in text
    assert "Vessel A lies at 0–200 m until +2h00" in text
    assert "QC1 works Vessel A" in text


def test_explain_says_when_the_moves_cannot_be_done_by_the_due_time():
    inst = instance([vessel("A", moves=120, due=60)])
    result = solved(inst)
    text = " ".join(result.explanations["A"])
    assert "after it is due" in text
    assert "take at least 4 h" in text


def test_an_error_in_on_progress_stops_the_search_and_reaches_the_caller():
    calls: list[Progress] = []

    def progress(p: Progress) -> bool:
        calls.append(p)
        if len(calls) == 2:
            raise RuntimeError("the job's row is gone")
        return True

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="row is gone"):
        solve(demo_like_instance(7), time_limit=10.0, on_progress=progress)
    assert time.monotonic() - started < 3.0
