"""Filters of the yard API."""

from __future__ import annotations

import django_filters

from tos.core.models import ContainerVisit
from yard.choices import MoveKind, MoveStatus
from yard.models import YardMove, YardOccupancy


class OccupancyFilter(django_filters.FilterSet):
    block = django_filters.CharFilter(field_name="block__name")
    bay = django_filters.NumberFilter()
    row = django_filters.NumberFilter()
    line = django_filters.CharFilter(field_name="unit__line__code")
    pod = django_filters.CharFilter(field_name="unit__pod")
    category = django_filters.MultipleChoiceFilter(
        field_name="unit__category", choices=ContainerVisit._meta.get_field("category").choices
    )
    container = django_filters.CharFilter(
        field_name="unit__container__number", lookup_expr="icontains"
    )

    class Meta:
        model = YardOccupancy
        fields = ["block", "bay", "row", "line", "pod", "category", "container"]


class MoveFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=MoveStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=MoveKind.choices)
    block = django_filters.CharFilter(field_name="to_block__name")
    container = django_filters.CharFilter(
        field_name="unit__container__number", lookup_expr="icontains"
    )

    class Meta:
        model = YardMove
        fields = ["status", "kind", "unit", "block", "container"]
