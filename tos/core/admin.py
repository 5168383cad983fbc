"""Admin for all master data. Domain writes (units, visits, holds) go through services so that
validation, lifecycle rules and live events are the same as through the API."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from simple_history.admin import SimpleHistoryAdmin

from tos.core import services
from tos.core.errors import ApplicationError
from tos.core.models import (
    Container,
    ContainerVisit,
    Event,
    Hold,
    Organisation,
    SolverRun,
    Terminal,
    User,
    Vessel,
    VesselVisit,
)
from tos.core.services import CONTAINER_FIELDS, UNIT_FIELDS, VESSEL_FIELDS, VISIT_FIELDS


def _via_service(request: Any, call: Any) -> bool:
    try:
        call()
    except ApplicationError as exc:
        messages.error(request, f"{exc.code}: {exc.message}")
        return False
    return True


@admin.register(Terminal)
class TerminalAdmin(SimpleHistoryAdmin):
    list_display = ["name", "locode", "code", "timezone", "event_seq"]
    readonly_fields = ["event_seq"]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "code", "scac"]
    list_filter = ["kind"]
    search_fields = ["name", "code", "scac"]
    filter_horizontal = ["represents"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "role", "organisation", "terminal", "is_active"]
    list_filter = ["role", "is_active", "organisation"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Terminal", {"fields": ("role", "organisation", "terminal")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        ("Terminal", {"fields": ("role", "organisation", "terminal")}),
    )


@admin.register(Container)
class ContainerAdmin(SimpleHistoryAdmin):
    list_display = ["number", "iso_type", "length_ft", "teu", "type_group", "owner_line"]
    list_filter = ["length_ft", "type_group", "owner_line"]
    search_fields = ["number"]
    readonly_fields = ["legacy_iso_type", "length_ft", "height_mm", "type_group", "teu"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        ro = list(self.readonly_fields)
        return [*ro, "number", "iso_type"] if obj else ro

    def save_model(self, request: Any, obj: Container, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in CONTAINER_FIELDS}
        if change:
            _via_service(request, lambda: services.container_update(container=obj, **data))
        else:
            _via_service(
                request,
                lambda: setattr(
                    form,
                    "instance",
                    services.container_create(number=obj.number, iso_type=obj.iso_type, **data),
                ),
            )


@admin.register(Vessel)
class VesselAdmin(SimpleHistoryAdmin):
    list_display = ["name", "imo", "call_sign", "flag", "loa_m", "teu_capacity", "operator_line"]
    search_fields = ["name", "imo", "call_sign"]

    def save_model(self, request: Any, obj: Vessel, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in VESSEL_FIELDS}
        if change:
            _via_service(request, lambda: services.vessel_update(vessel=obj, **data))
        else:
            _via_service(request, lambda: services.vessel_create(imo=obj.imo, **data))


@admin.register(VesselVisit)
class VesselVisitAdmin(SimpleHistoryAdmin):
    list_display = ["reference", "vessel", "line", "phase", "eta", "etb", "etd"]
    list_filter = ["terminal", "phase", "line"]
    search_fields = ["reference", "vessel__name", "vessel__imo"]
    date_hierarchy = "eta"
    readonly_fields = ["phase", "ata", "atd"]
    list_select_related = ["vessel", "line"]

    def save_model(self, request: Any, obj: VesselVisit, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in VISIT_FIELDS if f in form.cleaned_data}
        if change:
            _via_service(
                request, lambda: services.vessel_visit_update(visit=obj, by=request.user, **data)
            )
        else:
            _via_service(
                request,
                lambda: services.vessel_visit_create(
                    terminal=obj.terminal, vessel=obj.vessel, line=obj.line, by=request.user, **data
                ),
            )


class HoldInline(admin.TabularInline):
    model = Hold
    extra = 0
    can_delete = False
    fields = ["kind", "reason", "reference", "applied_at", "released_at"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ContainerVisit)
class ContainerVisitAdmin(SimpleHistoryAdmin):
    list_display = [
        "container",
        "category",
        "state",
        "line",
        "pod",
        "position_kind",
        "position_ref",
    ]
    list_filter = ["terminal", "state", "category", "line", "position_kind"]
    search_fields = ["container__number", "booking_ref", "bl_ref"]
    readonly_fields = [
        "state",
        "position_kind",
        "position_ref",
        "position_visit",
        "time_in",
        "time_out",
    ]
    raw_id_fields = ["container", "inbound_visit", "outbound_visit"]
    list_select_related = ["container", "line"]
    inlines = [HoldInline]

    def save_model(self, request: Any, obj: ContainerVisit, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in UNIT_FIELDS if f in form.cleaned_data}
        if change:
            _via_service(request, lambda: services.unit_update(unit=obj, by=request.user, **data))
        else:
            _via_service(
                request,
                lambda: services.unit_create(
                    terminal=obj.terminal,
                    container=obj.container,
                    category=obj.category,
                    line=obj.line,
                    by=request.user,
                    **data,
                ),
            )


@admin.register(Hold)
class HoldAdmin(SimpleHistoryAdmin):
    list_display = ["unit", "kind", "reason", "reference", "applied_at", "released_at"]
    list_filter = ["kind", "released_at"]
    search_fields = ["unit__container__number", "reference"]
    actions = ["release"]

    def has_add_permission(self, request: Any) -> bool:
        return False  # holds are applied through the API or the modules, with their rules

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description="Release selected holds")
    def release(self, request: Any, queryset: Any) -> None:
        released = sum(
            _via_service(
                request,
                lambda h=h: services.hold_release(
                    hold=h, by=request.user, note="released in admin"
                ),
            )
            for h in queryset.filter(released_at__isnull=True)
        )
        self.message_user(request, f"Released {released} hold(s).")


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["seq", "terminal", "topic", "type", "line", "created_at"]
    list_filter = ["terminal", "topic", "type"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(SolverRun)
class SolverRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "kind",
        "status",
        "progress",
        "objective",
        "gap",
        "created_at",
        "finished_at",
    ]
    list_filter = ["kind", "status"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
