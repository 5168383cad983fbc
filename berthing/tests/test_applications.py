"""The lines' berth applications: submitting and changing one (service and API), the event it
records, tenancy, bad input, locks and revisions, and the planner measuring lateness against the
requested departure after a publish has rewritten the visit's ETD."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from berthing import services
from berthing.models import BerthApplication
from berthing.selectors import plan_instance
from tos.core.errors import ApplicationError
from tos.core.models import Event, VesselVisit
from tos.core.services import vessel_visit_update

pytestmark = pytest.mark.django_db

H = dt.timedelta(hours=1)
URL = "/api/v1/berth-applications/"


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _snapshot() -> dict:
    """Everything a refused request must leave as it was."""
    return {
        "applications": [model_to_dict(a) for a in BerthApplication.objects.order_by("pk")],
        "history": BerthApplication.history.count(),
        "visits": list(
            VesselVisit.objects.order_by("pk").values_list(
                "pk", "eta", "etb", "etd", "expected_discharge_moves", "expected_load_moves"
            )
        ),
        "events": Event.objects.count(),
    }


@pytest.fixture
def alpha(make_visit):
    """Line A's visit: ETA +10 h, ETD +30 h, 200 moves."""
    return make_visit(eta_h=10, stay_h=20, moves=200, name="ALPHA")


@pytest.fixture
def bravo(make_visit, line_b):
    """Line B's visit: ETA +12 h, ETD +32 h."""
    return make_visit(eta_h=12, stay_h=20, moves=100, name="BRAVO", line=line_b)


def _body(for_visit: VesselVisit, **overrides) -> dict:
    visit = for_visit
    body = {
        "visit": visit.reference,
        "requested_arrival": _iso(visit.eta + 2 * H),
        "requested_departure": _iso(visit.eta + 26 * H),
        "expected_discharge_moves": 150,
        "expected_load_moves": 170,
        "remarks": "Two reefer plugs short.",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def _submit(visit: VesselVisit, by, **overrides) -> BerthApplication:
    values = {
        "requested_arrival": visit.eta,
        "requested_departure": visit.etd,
        "expected_discharge_moves": visit.expected_discharge_moves,
        "expected_load_moves": visit.expected_load_moves,
    } | overrides
    return services.berth_application_submit(visit=visit, by=by, **values)


def _etag(application: BerthApplication) -> str:
    application.refresh_from_db()
    return f'"application-{application.pk}-r{application.revision}"'


# --- service ----------------------------------------------------------------------------------


def test_submitting_creates_the_application_and_moves_the_visits_eta_and_moves_but_not_its_etd(
    alpha, agent_a, line_a
):
    etd, etb = alpha.etd, alpha.etb
    seq = Event.objects.count()

    application = _submit(
        alpha,
        agent_a,
        requested_arrival=alpha.eta + 2 * H,
        requested_departure=alpha.etd + 4 * H,
        expected_discharge_moves=150,
        expected_load_moves=170,
        remarks="Draft 14.2 m on arrival.",
    )

    assert application.revision == 1
    assert application.submitted_by == agent_a
    alpha.refresh_from_db()
    assert alpha.eta == application.requested_arrival
    assert (alpha.expected_discharge_moves, alpha.expected_load_moves) == (150, 170)
    assert (alpha.etd, alpha.etb) == (etd, etb)
    new = list(Event.objects.order_by("seq")[seq:])
    assert [e.type for e in new] == ["vessel_visit.updated", "berth.application_changed"]
    event = new[1]
    assert (event.topic, event.line_id) == ("berth", line_a.pk)
    assert event.payload == {
        "application": application.pk,
        "visit": alpha.pk,
        "reference": alpha.reference,
        "vessel": "ALPHA",
        "line": "LINA",
        "change": "submitted",
        "requested_arrival": (alpha.eta).isoformat().replace("+00:00", "Z"),
        "requested_departure": (etd + 4 * H).isoformat().replace("+00:00", "Z"),
        "expected_discharge_moves": 150,
        "expected_load_moves": 170,
        "remarks": "Draft 14.2 m on arrival.",
        "revision": 1,
        "by": "agent_a",
    }


def test_submitting_the_same_values_again_changes_nothing_and_records_no_event(alpha, agent_a):
    application = _submit(alpha, agent_a, remarks="same")
    before = _snapshot()

    again = _submit(alpha, agent_a, remarks="same")

    assert again.pk == application.pk
    assert _snapshot() == before


def test_changing_an_application_bumps_its_revision_and_tells_the_line(alpha, agent_a):
    application = _submit(alpha, agent_a)
    seq = Event.objects.count()

    changed = _submit(alpha, agent_a, requested_departure=alpha.etd + 6 * H)

    assert (changed.pk, changed.revision) == (application.pk, 2)
    assert changed.submitted_by == agent_a
    new = list(Event.objects.order_by("seq")[seq:])
    # Only the requested departure changed: the visit (ETA, moves) stays as it was.
    assert [e.type for e in new] == ["berth.application_changed"]
    assert (new[0].payload["change"], new[0].payload["revision"]) == ("updated", 2)
    assert BerthApplication.history.filter(id=application.pk).count() == 2


def test_an_agent_cannot_submit_for_another_lines_visit(bravo, agent_a):
    before = _snapshot()
    with pytest.raises(ApplicationError) as exc:
        _submit(bravo, agent_a)
    assert (exc.value.code, exc.value.status) == ("not_found", 404)
    assert _snapshot() == before


def test_an_arrival_after_the_planned_berth_clears_the_etb_and_keeps_the_visit_valid(
    make_visit, agent_a
):
    visit = make_visit(eta_h=10, etb_h=12, stay_h=20)
    etd = visit.etd

    _submit(visit, agent_a, requested_arrival=visit.eta + 5 * H)
    visit.refresh_from_db()
    assert (visit.etb, visit.etd) == (None, etd)

    _submit(visit, agent_a, requested_arrival=etd + H, requested_departure=etd + 21 * H)
    visit.refresh_from_db()
    assert (visit.eta, visit.etd) == (etd + H, etd + 21 * H)


# --- API: create, read, change -----------------------------------------------------------------


def test_an_agent_applies_for_its_visit_and_reads_it_back(agent_a_client, alpha, agent_a):
    response = agent_a_client.post(URL, _body(alpha), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    application = BerthApplication.objects.get()
    assert response["ETag"] == f'"application-{application.pk}-r1"' == body["etag"]
    assert body["visit"] == alpha.reference
    assert (body["vessel"], body["line"], body["phase"]) == ("ALPHA", "LINA", "planned")
    assert _at(body["requested_arrival"]) == alpha.eta + 2 * H
    assert _at(body["requested_departure"]) == alpha.eta + 26 * H
    assert (body["expected_discharge_moves"], body["expected_load_moves"]) == (150, 170)
    assert body["remarks"] == "Two reefer plugs short."
    assert (body["revision"], body["submitted_by"]) == (1, "agent_a")
    assert (body["berth"], body["late_by_minutes"]) == (None, None)
    assert Event.objects.filter(type="berth.application_changed").count() == 1

    detail = agent_a_client.get(f"{URL}{application.pk}/")
    assert detail.status_code == 200
    assert detail.json() == body
    assert detail["ETag"] == body["etag"]
    listed = agent_a_client.get(URL).json()
    assert listed["count"] == 1
    assert listed["results"] == [body]


def test_a_second_post_for_the_same_visit_is_a_conflict_and_changes_nothing(agent_a_client, alpha):
    first = agent_a_client.post(URL, _body(alpha), format="json")
    assert first.status_code == 201
    before = _snapshot()

    response = agent_a_client.post(URL, _body(alpha, expected_load_moves=5), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "application_exists"
    assert "visit" in response.json()["details"]
    assert _snapshot() == before


def test_a_patch_changes_only_the_fields_sent_and_answers_the_new_etag(agent_a_client, alpha):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    response = agent_a_client.patch(
        f"{URL}{created['id']}/",
        {"expected_load_moves": 400},
        format="json",
        HTTP_IF_MATCH=created["etag"],
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["revision"] == 2
    assert response["ETag"] == f'"application-{created["id"]}-r2"' == body["etag"]
    assert body["expected_load_moves"] == 400
    assert body["requested_departure"] == created["requested_departure"]
    alpha.refresh_from_db()
    assert alpha.expected_load_moves == 400


def test_a_patch_with_unchanged_values_keeps_the_revision_and_records_nothing(
    agent_a_client, alpha
):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    before = _snapshot()

    response = agent_a_client.patch(
        f"{URL}{created['id']}/", {"remarks": created["remarks"]}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["revision"] == 1
    assert _snapshot() == before


@pytest.mark.parametrize(
    "if_match",
    ['"application-{pk}-r0"', '"application-{other}-r1"', '"plan-{pk}-r1"', "garbage"],
)
def test_a_stale_or_foreign_if_match_is_refused_with_412_and_changes_nothing(
    agent_a_client, alpha, if_match
):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    agent_a_client.patch(f"{URL}{created['id']}/", {"expected_load_moves": 1}, format="json")
    before = _snapshot()

    response = agent_a_client.patch(
        f"{URL}{created['id']}/",
        {"expected_load_moves": 2},
        format="json",
        HTTP_IF_MATCH=if_match.format(pk=created["id"], other=created["id"] + 1),
    )

    assert response.status_code == 412
    assert response.json()["code"] == "stale_revision"
    assert (
        "If-Match" in response.json()["details"]
        or "expected_revision" in (response.json()["details"])
    )
    assert _snapshot() == before


def test_a_patch_cannot_move_the_application_to_another_visit(agent_a_client, alpha, make_visit):
    other = make_visit(eta_h=40)
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    before = _snapshot()

    response = agent_a_client.patch(
        f"{URL}{created['id']}/", {"visit": other.reference}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "immutable_field"
    assert _snapshot() == before
    same = agent_a_client.patch(
        f"{URL}{created['id']}/", {"visit": alpha.reference, "remarks": "ok"}, format="json"
    )
    assert (same.status_code, same.json()["remarks"]) == (200, "ok")


# --- tenancy ----------------------------------------------------------------------------------


def test_another_lines_visit_and_application_answer_404_and_never_appear_in_lists(
    agent_a_client, agent_b_client, planner_client, alpha, bravo
):
    mine = agent_a_client.post(URL, _body(alpha), format="json").json()
    theirs = agent_b_client.post(URL, _body(bravo), format="json").json()
    before = _snapshot()

    post = agent_b_client.post(URL, _body(alpha), format="json")
    get = agent_b_client.get(f"{URL}{mine['id']}/")
    patch = agent_b_client.patch(f"{URL}{mine['id']}/", {"expected_load_moves": 1}, format="json")
    missing = agent_b_client.get(f"{URL}{mine['id'] + theirs['id'] + 100}/")

    assert (post.status_code, post.json()["code"]) == (404, "not_found")
    assert post.json()["details"] == {"visit": ["Unknown visit reference."]}
    assert (get.status_code, patch.status_code) == (404, 404)
    assert get.json() == missing.json()
    assert _snapshot() == before
    assert [r["id"] for r in agent_b_client.get(URL).json()["results"]] == [theirs["id"]]
    assert agent_b_client.get(f"{URL}?visit={alpha.reference}").json()["count"] == 0
    assert agent_b_client.get(f"{URL}?line=LINA").json()["count"] == 0
    staff = planner_client.get(URL).json()
    assert [r["id"] for r in staff["results"]] == [mine["id"], theirs["id"]]
    assert [r["id"] for r in planner_client.get(f"{URL}?line=LINB").json()["results"]] == [
        theirs["id"]
    ]


def test_the_list_filters_by_visit_and_change_time(agent_a_client, alpha, make_visit):
    other = make_visit(eta_h=50)
    first = agent_a_client.post(URL, _body(alpha), format="json").json()
    second = agent_a_client.post(URL, _body(other), format="json").json()

    by_visit = agent_a_client.get(URL, {"visit": other.reference}).json()
    assert [r["id"] for r in by_visit["results"]] == [second["id"]]
    after = agent_a_client.get(URL, {"updated_after": first["updated_at"]}).json()
    assert [r["id"] for r in after["results"]] == [second["id"]]
    later = _at(second["updated_at"]) + H
    assert agent_a_client.get(URL, {"updated_after": later.isoformat()}).json()["count"] == 0


def test_a_bad_filter_value_is_a_400_naming_the_filter(agent_a_client):
    response = agent_a_client.get(URL, {"updated_after": "last tuesday"})
    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert list(response.json()["details"]) == ["updated_after"]


def test_listing_costs_the_same_queries_for_one_application_or_many(
    agent_a_client, make_visit, django_assert_max_num_queries
):
    visits = [make_visit(eta_h=10 + 5 * i) for i in range(4)]
    agent_a_client.post(URL, _body(visits[0]), format="json")

    with CaptureQueriesContext(connection) as one:
        assert agent_a_client.get(URL).json()["count"] == 1
    queries = len(one.captured_queries)  # now: the next request clears the log
    for visit in visits[1:]:
        agent_a_client.post(URL, _body(visit), format="json")
    with django_assert_max_num_queries(queries):
        assert agent_a_client.get(URL).json()["count"] == 4


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "status", "code", "field"),
    [
        ({"requested_departure": None}, 400, "validation_error", "requested_departure"),
        ({"expected_load_moves": None}, 400, "validation_error", "expected_load_moves"),
        ({"visit": None}, 400, "validation_error", "visit"),
        ({"requested_arrival": "tomorrow"}, 400, "validation_error", "requested_arrival"),
        ({"expected_discharge_moves": "many"}, 400, "validation_error", "expected_discharge_moves"),
        ({"expected_discharge_moves": 1.5}, 400, "validation_error", "expected_discharge_moves"),
        ({"expected_load_moves": -1}, 400, "validation_error", "expected_load_moves"),
        ({"expected_load_moves": 10**12}, 400, "validation_error", "expected_load_moves"),
        ({"remarks": "x" * 501}, 400, "validation_error", "remarks"),
        ({"remarks": ["a list"]}, 400, "validation_error", "remarks"),
        ({"visit": "NOPE-0000"}, 404, "not_found", "visit"),
        ({"visit": "x" * 5000}, 400, "validation_error", "visit"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    agent_a_client, alpha, overrides, status, code, field
):
    before = _snapshot()
    response = agent_a_client.post(URL, _body(alpha, **overrides), format="json")

    assert response.status_code == status, response.content
    assert response.json()["code"] == code
    assert field in response.json()["details"]
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("arrival_h", "departure_h", "code"),
    [
        (10, 10, "departure_not_after_arrival"),
        (10, 5, "departure_not_after_arrival"),
        (10, 10 + 31 * 24, "validation_error"),
    ],
)
def test_a_departure_not_after_the_arrival_or_a_month_later_is_refused(
    agent_a_client, alpha, base, arrival_h, departure_h, code
):
    before = _snapshot()
    response = agent_a_client.post(
        URL,
        _body(
            alpha,
            requested_arrival=_iso(base + arrival_h * H),
            requested_departure=_iso(base + departure_h * H),
        ),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert list(response.json()["details"]) == ["requested_departure"]
    assert _snapshot() == before


def test_a_patch_that_puts_the_departure_before_the_arrival_is_refused(agent_a_client, alpha):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    before = _snapshot()

    response = agent_a_client.patch(
        f"{URL}{created['id']}/",
        {"requested_departure": created["requested_arrival"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "departure_not_after_arrival"
    assert _snapshot() == before


@pytest.mark.parametrize("body", [[], "text", 5, {}])
def test_a_patch_body_that_is_not_an_object_of_fields_is_a_400(agent_a_client, alpha, body):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    before = _snapshot()

    response = agent_a_client.patch(f"{URL}{created['id']}/", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert _snapshot() == before


# --- locks ------------------------------------------------------------------------------------


def test_an_agent_cannot_apply_once_the_vessel_has_arrived_but_the_terminal_can(
    agent_a_client, planner_client, make_visit
):
    visit = make_visit(eta_h=-2, phase="arrived")
    before = _snapshot()

    refused = agent_a_client.post(URL, _body(visit), format="json")

    assert refused.status_code == 409
    assert refused.json()["code"] == "visit_locked"
    assert _snapshot() == before
    accepted = planner_client.post(URL, _body(visit), format="json")
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["submitted_by"] == "planner"


def test_an_agent_cannot_change_the_application_once_the_vessel_works(
    agent_a_client, alpha, agent_a
):
    created = agent_a_client.post(URL, _body(alpha), format="json").json()
    VesselVisit.objects.filter(pk=alpha.pk).update(phase="working")
    before = _snapshot()

    response = agent_a_client.patch(
        f"{URL}{created['id']}/", {"expected_load_moves": 3}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "visit_locked"
    assert _snapshot() == before


# --- the planner --------------------------------------------------------------------------------


@pytest.fixture
def delta(make_visit):
    """Line A's visit with no moves to work (a plan without cranes is conflict-free)."""
    return make_visit(eta_h=10, stay_h=20, name="DELTA")


@pytest.fixture
def published(quay, cranes, delta, agent_a, planner):
    """DELTA applies to leave 20 h after its ETA; the published plan berths it 3 h after its ETA
    (so it leaves 3 h late) and rewrites its ETD to the planned departure."""
    application = _submit(delta, agent_a)
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    row = draft.assignments.get()
    assert row.depart_at == application.requested_departure
    services.berth_assignment_move(
        assignment=row, user=planner, berth_at=row.berth_at + 3 * H, expected_revision=1
    )
    draft.refresh_from_db()
    services.berth_plan_publish(plan=draft, user=planner, expected_revision=draft.revision)
    delta.refresh_from_db()
    return draft, application


def test_the_planner_keeps_measuring_lateness_against_the_requested_departure_after_a_publish(
    published, delta, quay, planner
):
    _plan, application = published
    assert delta.etd == application.requested_departure + 3 * H  # the publish rewrote the ETD

    second = services.berth_plan_create_draft(quay=quay, user=planner)
    instance, mapping = plan_instance(second)

    (vessel,) = instance.vessels
    assert vessel.due_min == mapping.minutes(application.requested_departure)
    assert vessel.due_min != mapping.minutes(delta.etd)
    # 3 h late at the default weight of 3 per minute late; against the rewritten ETD it would be 0.
    assert second.components["lateness"] == 3 * 180


def test_a_visit_without_an_application_falls_back_to_its_etd(quay, cranes, make_visit, planner):
    visit = make_visit(eta_h=5, stay_h=12)
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    instance, mapping = plan_instance(draft)
    assert instance.vessels[0].due_min == mapping.minutes(visit.etd)


def test_a_publish_keeps_the_etd_of_a_visit_without_application_as_its_request(
    quay, cranes, make_visit, planner
):
    visit = make_visit(eta_h=10, stay_h=20, name="ECHO")
    asked = visit.etd
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    row = draft.assignments.get()
    services.berth_assignment_move(
        assignment=row, user=planner, berth_at=row.berth_at + 2 * H, expected_revision=1
    )
    draft.refresh_from_db()
    services.berth_plan_publish(plan=draft, user=planner, expected_revision=draft.revision)

    visit.refresh_from_db()
    assert visit.etd == asked + 2 * H
    assert visit.berth_application.requested_departure == asked
    assert visit.berth_application.requested_arrival == visit.eta
    second = services.berth_plan_create_draft(quay=quay, user=planner)
    instance, mapping = plan_instance(second)
    assert instance.vessels[0].due_min == mapping.minutes(asked)


def test_the_planner_reads_the_applications_moves(quay, cranes, alpha, agent_a, planner):
    _submit(alpha, agent_a, expected_discharge_moves=300, expected_load_moves=250)
    vessel_visit_update(visit=alpha, by=planner, expected_discharge_moves=0, expected_load_moves=0)
    draft = services.berth_plan_create_draft(quay=quay, user=planner)
    instance, _mapping = plan_instance(draft)
    assert instance.vessels[0].moves == 550


def test_the_response_shows_the_published_berth_and_how_late_it_departs(
    published, agent_a_client, planner_client, delta
):
    plan, application = published
    row = plan.assignments.get()

    body = agent_a_client.get(f"{URL}{application.pk}/").json()

    assert body["berth"] == {
        "quay": "Main Quay",
        "start_m": row.start_m,
        "end_m": row.end_m,
        "berth_at": row.berth_at.isoformat().replace("+00:00", "Z"),
        "depart_at": row.depart_at.isoformat().replace("+00:00", "Z"),
        "plan_version": plan.version,
    }
    assert body["late_by_minutes"] == 180
    plan_body = planner_client.get(f"/api/v1/berth-plans/{plan.pk}/").json()
    visit = plan_body["assignments"][0]["visit"]
    assert _at(visit["requested_departure"]) == application.requested_departure
    assert _at(visit["etd"]) == delta.etd


def test_an_idempotent_retry_of_a_post_replays_the_first_answer(agent_a_client, alpha):
    first = agent_a_client.post(URL, _body(alpha), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = agent_a_client.post(URL, _body(alpha), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert BerthApplication.objects.count() == 1
