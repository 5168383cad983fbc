"""The admin shows every berthing model; berth applications and plans are read-only there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from berthing import services
from berthing.models import (
    BerthApplication,
    BerthAssignment,
    BerthPlan,
    BerthWindow,
    CraneAllocation,
    LineBerthTerms,
    Quay,
    QuayCrane,
    QuayCraneOutage,
)
from berthing.tests.factories import (
    BerthWindowFactory,
    CraneAllocationFactory,
    LineBerthTermsFactory,
    QuayCraneOutageFactory,
)
from tos.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    Quay,
    QuayCrane,
    QuayCraneOutage,
    LineBerthTerms,
    BerthWindow,
    BerthApplication,
    BerthPlan,
    BerthAssignment,
    CraneAllocation,
]


@pytest.fixture
def admin_client(client, terminal):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def data(quay, cranes, make_visit, planner, terminal, line_a):
    visit = make_visit(eta_h=5)
    services.berth_application_submit(
        visit=visit,
        by=planner,
        requested_arrival=visit.eta,
        requested_departure=visit.etd,
        expected_discharge_moves=0,
        expected_load_moves=0,
        remarks="Gangway on the port side.",
    )
    plan = services.berth_plan_create_draft(quay=quay, user=planner)
    row = plan.assignments.get()
    CraneAllocationFactory(assignment=row, crane=cranes[0])
    QuayCraneOutageFactory(crane=cranes[1])
    LineBerthTermsFactory(terminal=terminal, line=line_a)
    BerthWindowFactory(terminal=terminal, line=line_a)
    return plan


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_admin_lists_and_shows_each_berthing_model(admin_client, data, model):
    meta = model._meta
    changelist = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
    obj = model.objects.order_by("pk").first()
    change = admin_client.get(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    )

    assert changelist.status_code == 200
    assert change.status_code == 200


@pytest.mark.parametrize("model", [BerthApplication, BerthPlan, BerthAssignment, CraneAllocation])
def test_berth_applications_and_plans_cannot_be_added_changed_or_deleted_in_the_admin(
    admin_client, data, model
):
    meta = model._meta
    obj = model.objects.order_by("pk").first()
    add = admin_client.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    delete = admin_client.post(
        reverse(f"admin:{meta.app_label}_{meta.model_name}_delete", args=[obj.pk]),
        {"post": "yes"},
    )

    assert add.status_code == 403
    assert delete.status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()
