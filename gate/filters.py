"""Filters of the gate API."""

from __future__ import annotations

import django_filters

from gate.choices import (
    AppointmentStatus,
    GateDirection,
    PreAdviceStatus,
    TransactionType,
    TruckVisitStatus,
)
from gate.models import Appointment, AppointmentSlot, CodecoMessage, PreAdvice, TruckVisit


class SlotFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(field_name="starts_at", lookup_expr="date")
    starts_after = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")
    transaction_type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)

    class Meta:
        model = AppointmentSlot
        fields = ["date", "starts_after", "starts_before", "transaction_type"]


class AppointmentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    transaction_type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)
    date = django_filters.DateFilter(field_name="slot__starts_at", lookup_expr="date")
    line = django_filters.CharFilter(field_name="line__code")
    truck_plate = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = Appointment
        fields = ["status", "transaction_type", "date", "slot", "line", "truck_plate"]


class PreAdviceFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=PreAdviceStatus.choices)
    transaction_type = django_filters.MultipleChoiceFilter(choices=TransactionType.choices)
    container = django_filters.CharFilter(field_name="container_number", lookup_expr="icontains")
    line = django_filters.CharFilter(field_name="line__code")

    class Meta:
        model = PreAdvice
        fields = ["status", "transaction_type", "container", "line"]


class TruckVisitFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TruckVisitStatus.choices)
    truck_plate = django_filters.CharFilter(lookup_expr="iexact")
    date = django_filters.DateFilter(field_name="gate_in_at", lookup_expr="date")

    class Meta:
        model = TruckVisit
        fields = ["status", "truck_plate", "date", "lane"]


class CodecoFilter(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gt")
    after_id = django_filters.NumberFilter(field_name="id", lookup_expr="gt", min_value=0)
    line = django_filters.CharFilter(field_name="line__code")
    direction = django_filters.ChoiceFilter(choices=GateDirection.choices)
    visit = django_filters.NumberFilter(field_name="visit_id", min_value=1, max_value=2**31 - 1)

    class Meta:
        model = CodecoMessage
        fields = ["since", "after_id", "line", "direction", "visit"]
