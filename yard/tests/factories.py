"""factory_boy factories of the yard app."""

from __future__ import annotations

import factory

from tos.core.tests.factories import TerminalFactory
from yard import services
from yard.models import DgSegregationZone, YardBlock


class YardBlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = YardBlock
        skip_postgeneration_save = True

    terminal = factory.SubFactory(TerminalFactory)
    name = factory.Sequence(lambda n: f"Y{n:02d}")
    kind = "dry"
    equipment = "rtg"
    bays = 10
    rows = 4
    max_tier = 4

    @factory.post_generation
    def stacks(self, create, extracted, **kwargs):
        if create:
            services.yard_block_stacks_ensure(block=self)


class DgZoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DgSegregationZone

    block = factory.SubFactory(YardBlockFactory, kind="dangerous")
    name = factory.Sequence(lambda n: f"Z{n}")
    first_bay = 1
    last_bay = 9
    imdg_classes = factory.LazyFunction(lambda: ["3"])
