"""factory_boy factories of the shared kernel. Numbers are valid ISO 6346 / IMO numbers."""

from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from tos.core import codes
from tos.core.choices import OrganisationKind, Role, UnitCategory, UnitState
from tos.core.models import (
    Container,
    ContainerVisit,
    Hold,
    Organisation,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)


def container_number(n: int, owner: str = "TOSU") -> str:
    serial = f"{n % 1_000_000:06d}"
    return f"{owner}{serial}{codes.container_check_digit(owner + serial)}"


def imo_number(n: int) -> str:
    first = f"{(900000 + n) % 1_000_000:06d}"
    return f"{first}{codes.imo_check_digit(first)}"


class TerminalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Terminal
        django_get_or_create = ("code",)

    name = "Test Terminal"
    locode = "NLRTM"
    code = "TEST"
    timezone = "Europe/Amsterdam"


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)

    kind = OrganisationKind.LINE
    name = factory.Sequence(lambda n: f"Line {n}")
    code = factory.Sequence(lambda n: f"L{n:03d}")


class AgentOrgFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    kind = OrganisationKind.AGENT
    name = factory.Sequence(lambda n: f"Agent {n}")
    code = factory.Sequence(lambda n: f"A{n:03d}")

    @factory.post_generation
    def represents(self, create, extracted, **kwargs):
        if create and extracted:
            self.represents.add(*extracted)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.PLANNER
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class ContainerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Container

    number = factory.Sequence(lambda n: container_number(n))
    iso_type = "22G1"
    length_ft = 20
    height_mm = 2591
    type_group = "G"
    teu = 1
    tare_kg = 2200


class VesselFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vessel

    imo = factory.Sequence(lambda n: imo_number(n))
    name = factory.Sequence(lambda n: f"Vessel {n}")
    loa_m = 300
    beam_m = 48
    max_draft_m = 14
    teu_capacity = 9000


class VesselVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VesselVisit

    terminal = factory.SubFactory(TerminalFactory)
    vessel = factory.SubFactory(VesselFactory)
    line = factory.SubFactory(LineFactory)
    reference = factory.Sequence(lambda n: f"VV{n:04d}")
    inbound_voyage = factory.Sequence(lambda n: f"{n:03d}W")
    outbound_voyage = factory.Sequence(lambda n: f"{n:03d}E")
    eta = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=1))
    etd = factory.LazyAttribute(lambda o: o.eta + dt.timedelta(hours=30))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContainerVisit

    terminal = factory.SubFactory(TerminalFactory)
    container = factory.SubFactory(ContainerFactory)
    category = UnitCategory.IMPORT
    state = UnitState.ADVISED
    line = factory.SubFactory(LineFactory)


class HoldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Hold

    unit = factory.SubFactory(UnitFactory)
    terminal = factory.LazyAttribute(lambda o: o.unit.terminal)
    kind = "customs"
    blocks_gate_out = True
    reason = "Declaration not cleared"
    applied_at = factory.LazyFunction(timezone.now)
