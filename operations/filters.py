"""Filters of the operations API."""

from __future__ import annotations

import django_filters

from operations.choices import EquipmentKind, EquipmentState, WorkOrderKind, WorkOrderStatus
from operations.models import Equipment, WorkOrder


class WorkOrderFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WorkOrderStatus.choices)
    kind = django_filters.MultipleChoiceFilter(choices=WorkOrderKind.choices)
    container = django_filters.CharFilter(field_name="container_number", lookup_expr="icontains")
    block = django_filters.CharFilter(method="filter_block")
    crane = django_filters.CharFilter(field_name="crane_queue__crane__name")

    class Meta:
        model = WorkOrder
        fields = [
            "status",
            "kind",
            "vessel_visit",
            "equipment",
            "crane_queue",
            "unit",
            "pool",
            "container",
            "block",
            "crane",
        ]

    def filter_block(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(from_block__name=value) | Q(to_block__name=value))


class EquipmentFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=EquipmentKind.choices)
    state = django_filters.MultipleChoiceFilter(choices=EquipmentState.choices)

    class Meta:
        model = Equipment
        fields = ["kind", "state", "pool"]
