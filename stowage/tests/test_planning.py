"""The planner's input (plan_instance), the stowage.plan job and saving only checked results."""

from __future__ import annotations

import pytest

from stowage import selectors, services
from stowage.choices import PlanKind
from stowage.models import PlanCell, StowagePlan
from stowage.solvers import check
from stowage.solvers.call import Result
from stowage.tests.plan_support import ARRIVAL, ROTATION, baplie, feeder_call
from tos.core.errors import ApplicationError
from tos.core.models import Event, SolverRun
from tos.core.tasks import solver_run_execute

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(terminal, line_a, upload):
    call = feeder_call(terminal=terminal, line=line_a)
    response = upload(baplie(locode=terminal.locode), name="tf11.edi", vessel_visit=call.visit.pk)
    assert response.status_code == 201, response.content
    return call


def hand_result(call, **changes) -> Result:
    """A plan of the three loadable boxes that breaks no rule (the planner's shape)."""
    placements = {
        call.loads["L1"]: (1, 1, 2),
        call.loads["L2"]: (5, 1, 82),
        call.loads["L3"]: (2, 1, 82),
    } | changes
    instance, _ = selectors.plan_instance(call.visit)
    return Result(
        status="feasible",
        placements=placements,
        unplaced={call.loads["L4"]: "no_vgm", call.loads["L5"]: "loading_hold"},
        objective=7,
        terms=check.terms(instance, placements),
        bound=None,
        seconds=0.25,
    )


def test_the_instance_has_the_boxes_staying_on_board_and_the_load_list_with_vgm_and_holds(call):
    instance, mapping = selectors.plan_instance(call.visit)
    pods = {"DEHAM": 1, "BEANR": 2}
    assert sorted((b.id, b.position, b.pod) for b in instance.remain) == sorted(
        (number, cell, pods[pod]) for number, cell, pod in ARRIVAL if pod != "here"
    )
    assert "MSKU1234565" not in instance.boxes  # discharged here
    loads = {b.id: b for b in instance.load}
    assert sorted(loads) == sorted(call.loads.values())
    assert loads[call.loads["L1"]].weight_kg == 20000  # the unit's VGM
    assert loads[call.loads["L3"]].length_ft == 40
    assert loads[call.loads["L4"]].weight_kg is None
    assert [n for n, b in loads.items() if b.loading_hold] == [call.loads["L5"]]
    assert mapping.rotation == ROTATION
    assert mapping.rotation_source == "inferred"
    assert (instance.cranes, mapping.cranes_source) == (2, "default")
    assert check.check(instance, {}) == []


def test_the_rotation_puts_the_port_of_boxes_stowed_on_top_first():
    stacks = [["BEANR", "DEHAM"], ["BEANR", "DEHAM", "DEHAM"], ["GBFXT"]]
    assert selectors.pod_rotation_infer(stacks=stacks, load_pods=["USNYC", "DEHAM"]) == (
        "DEHAM",
        "GBFXT",
        "BEANR",
        "USNYC",
    )


def test_a_given_rotation_is_kept_and_ports_it_forgot_follow(call):
    instance, mapping = selectors.plan_instance(call.visit, rotation=("BEANR",))
    assert mapping.rotation == ("BEANR", "DEHAM")
    assert mapping.rotation_source == "given"
    assert {b.id: b.pod for b in instance.remain}["CSQU3054383"] == 1


def test_a_checked_result_becomes_the_departure_plan_with_its_unplaced_boxes(call, planner):
    instance, mapping = selectors.plan_instance(call.visit)
    plan = services.departure_plan_from_result(
        visit=call.visit, instance=instance, mapping=mapping, result=hand_result(call), by=planner
    )
    cells = {c.container_number: (c.position, c.move) for c in plan.cells.all()}
    assert cells == {
        "TGHU1234567": ("0010202", "remain"),
        "CSQU3054383": ("0030202", "remain"),
        ARRIVAL[3][0]: ("0030204", "remain"),
        ARRIVAL[4][0]: ("0050202", "remain"),
        call.loads["L1"]: ("0010102", "load"),
        call.loads["L2"]: ("0050182", "load"),
        call.loads["L3"]: ("0020182", "load"),
    }
    assert plan.summary["unplaced"] == sorted(
        [
            {"box": call.loads["L4"], "reason": "no_vgm"},
            {"box": call.loads["L5"], "reason": "loading_hold"},
        ],
        key=lambda u: u["box"],
    )
    assert plan.summary["rotation"] == list(ROTATION)
    assert plan.summary["placed"] == 7
    assert Event.objects.filter(type="stowage.plan_saved").count() == 1


def test_a_result_that_breaks_a_rule_is_never_saved(call, planner):
    instance, mapping = selectors.plan_instance(call.visit)
    corrupt = hand_result(call, **{call.loads["L4"]: (5, 2, 82)})  # no VGM, yet loaded
    events = Event.objects.count()
    with pytest.raises(ApplicationError) as refused:
        services.departure_plan_from_result(
            visit=call.visit, instance=instance, mapping=mapping, result=corrupt, by=planner
        )
    assert refused.value.code == "plan_rejected"
    assert refused.value.status == 422
    assert [(v["code"], v["box"]) for v in refused.value.details["violations"]] == [
        ("no_vgm", call.loads["L4"])
    ]
    assert not StowagePlan.objects.filter(kind=PlanKind.DEPARTURE).exists()
    assert Event.objects.count() == events


def _run(call, planner, monkeypatch, result_of):
    from stowage import jobs

    monkeypatch.setattr(jobs, "_solve", lambda instance, **kw: result_of(instance, **kw))
    run = services.departure_plan_optimise_start(visit=call.visit, by=planner, time_limit=2)
    return solver_run_execute(run.pk), SolverRun.objects.get(pk=run.pk)


def test_the_plan_job_reports_progress_checks_and_saves_the_plan(call, planner, monkeypatch):
    seen = []

    def solve(instance, *, time_limit, progress):
        assert time_limit == 2.0
        progress(0.5, "half way")
        seen.append(SolverRun.objects.get().progress)
        return hand_result(call)

    outcome, run = _run(call, planner, monkeypatch, solve)
    assert outcome == "succeeded", run.error
    assert seen == [pytest.approx(0.05 + 0.85 * 0.5)]
    assert run.result["checked"] is True
    assert run.result["placed"] == 7
    assert run.objective == 7
    plan = StowagePlan.objects.get(kind=PlanKind.DEPARTURE)
    assert plan.solver_run_id == run.pk
    assert PlanCell.objects.filter(plan=plan, move="load").count() == 3


def test_the_plan_job_fails_and_keeps_no_plan_when_the_checker_rejects_the_result(
    call, planner, monkeypatch
):
    def solve(instance, *, time_limit, progress):
        return hand_result(call, **{call.loads["L5"]: (5, 2, 82)})  # under a loading hold

    outcome, run = _run(call, planner, monkeypatch, solve)
    assert outcome == "failed"
    assert run.error.startswith("ApplicationError: The checker found 1 violation(s)")
    assert not StowagePlan.objects.filter(kind=PlanKind.DEPARTURE).exists()


def test_the_real_planners_result_is_saved_but_the_same_result_corrupted_is_not(
    call, planner, monkeypatch
):
    from stowage.solvers import planner as real

    def corrupted(instance, *, time_limit, progress):
        result = real.solve(instance, time_limit=time_limit, progress=progress, workers=1)
        first = sorted(result.placements)[0]
        result.placements[call.loads["L4"]] = result.placements[first]  # two boxes, one cell
        return result

    outcome, run = _run(call, planner, monkeypatch, corrupted)
    assert outcome == "failed"
    assert "violation" in run.error
    assert not StowagePlan.objects.filter(kind=PlanKind.DEPARTURE).exists()

    SolverRun.objects.all().delete()
    outcome, run = _run(
        call,
        planner,
        monkeypatch,
        lambda instance, **kw: real.solve(instance, workers=1, **kw),
    )
    assert outcome == "succeeded", run.error
    plan = StowagePlan.objects.get(kind=PlanKind.DEPARTURE)
    loaded = set(plan.cells.filter(move="load").values_list("container_number", flat=True))
    assert loaded == {call.loads["L1"], call.loads["L2"], call.loads["L3"]}
    assert plan.cells.filter(move="remain").count() == 4
    assert plan.cells.get(container_number=call.loads["L1"]).vgm_kg == 20000
    instance, _ = selectors.plan_instance(call.visit)
    placements = {c.container_number: (c.bay, c.row, c.tier) for c in plan.cells.all()}
    assert check.check(instance, placements) == []
