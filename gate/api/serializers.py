"""Serializers of the gate API: plain input serializers for the commands, read serializers for
the resources."""

from __future__ import annotations

from rest_framework import serializers

from gate.choices import TransactionType
from gate.models import (
    Appointment,
    AppointmentSlot,
    CodecoMessage,
    CoparnUpload,
    GateTransaction,
    PreAdvice,
    TruckVisit,
)
from gate.services import checkin_window

PK = {"min_value": 1, "max_value": 2**31 - 1}
SEALS = serializers.ListField(
    child=serializers.CharField(max_length=20), max_length=10, required=False, default=list
)


class SlotSerializer(serializers.ModelSerializer):
    ends_at = serializers.DateTimeField(read_only=True)
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = AppointmentSlot
        fields = [
            "id",
            "starts_at",
            "ends_at",
            "transaction_type",
            "capacity",
            "booked",
            "available",
        ]


class SlotSetSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices)
    capacity = serializers.IntegerField(min_value=0, max_value=10000)


class AppointmentSerializer(serializers.ModelSerializer):
    starts_at = serializers.DateTimeField(source="slot.starts_at", read_only=True)
    ends_at = serializers.DateTimeField(source="slot.ends_at", read_only=True)
    checkin_from = serializers.SerializerMethodField()
    checkin_until = serializers.SerializerMethodField()
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "reference",
            "slot",
            "starts_at",
            "ends_at",
            "checkin_from",
            "checkin_until",
            "transaction_type",
            "status",
            "organisation",
            "line",
            "truck_plate",
            "container_number",
            "created_at",
            "arrived_at",
            "checked_in_at",
            "cancelled_at",
            "no_show_at",
        ]

    def get_checkin_from(self, obj: Appointment) -> str:
        return checkin_window(obj.slot)[0].isoformat()

    def get_checkin_until(self, obj: Appointment) -> str:
        return checkin_window(obj.slot)[1].isoformat()


class AppointmentBookSerializer(serializers.Serializer):
    slot = serializers.IntegerField(**PK)
    line = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    truck_plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    container_number = serializers.CharField(
        max_length=11, required=False, allow_blank=True, default=""
    )


class AppointmentArriveSerializer(serializers.Serializer):
    truck_plate = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class AppointmentMoveSerializer(serializers.Serializer):
    slot = serializers.IntegerField(**PK)


class PreAdviceSerializer(serializers.ModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organisation = serializers.SlugRelatedField(slug_field="code", read_only=True)
    pin = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()

    class Meta:
        model = PreAdvice
        fields = [
            "id",
            "transaction_type",
            "status",
            "organisation",
            "line",
            "unit",
            "container_number",
            "iso_type",
            "booking_ref",
            "release_ref",
            "seals",
            "vgm_kg",
            "imdg_class",
            "un_number",
            "is_dangerous",
            "reefer_setpoint_c",
            "pin",
            "pin_issued_at",
            "pending",
            "created_at",
        ]

    def get_pin(self, obj: PreAdvice) -> str:
        return obj.pin

    def get_pending(self, obj: PreAdvice) -> list[str]:
        """Why the PIN is not issued yet (only right after creation or a PIN request)."""
        return list(self.context.get("pending", []))


class PreAdviceCreateSerializer(serializers.Serializer):
    transaction_type = serializers.ChoiceField(choices=TransactionType.choices)
    container_number = serializers.CharField(max_length=20)
    line = serializers.CharField(max_length=6)
    iso_type = serializers.CharField(max_length=4, required=False, allow_blank=True, default="")
    booking_ref = serializers.CharField(max_length=35, required=False, allow_blank=True, default="")
    release_ref = serializers.CharField(max_length=35, required=False, allow_blank=True, default="")
    seals = SEALS
    vgm_kg = serializers.IntegerField(
        min_value=1000, max_value=80000, required=False, allow_null=True
    )
    imdg_class = serializers.RegexField(
        r"^[1-9](\.[1-6])?$", max_length=4, required=False, allow_blank=True, default=""
    )
    un_number = serializers.RegexField(
        r"^[0-9]{4}$", max_length=4, required=False, allow_blank=True, default=""
    )
    is_dangerous = serializers.BooleanField(required=False, default=False)
    reefer_setpoint_c = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        min_value=-70,
        max_value=40,
        required=False,
        allow_null=True,
    )


class GateInContainerSerializer(serializers.Serializer):
    container_number = serializers.CharField(max_length=20)
    seals = SEALS
    damage_codes = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=20, required=False, default=list
    )
    booking_ref = serializers.CharField(max_length=35, required=False, allow_blank=True, default="")
    pin = serializers.CharField(max_length=8, required=False, allow_blank=True, default="")
    dg_placards = serializers.BooleanField(required=False, default=False)


class GateInSerializer(serializers.Serializer):
    lane = serializers.CharField(max_length=20)
    truck_plate = serializers.CharField(max_length=16)
    driver_name = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    driver_licence = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default=""
    )
    appointment = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")
    containers = GateInContainerSerializer(many=True, allow_empty=True, max_length=2)
    manual = serializers.BooleanField(
        required=False,
        default=False,
        help_text="True when a gate clerk typed the data in (not the OCR portal or a system).",
    )


class GateOutSerializer(serializers.Serializer):
    lane = serializers.CharField(max_length=20)
    manual = serializers.BooleanField(required=False, default=False)


class GateTransactionSerializer(serializers.ModelSerializer):
    class Meta:
        model = GateTransaction
        fields = [
            "id",
            "transaction_type",
            "container_number",
            "pre_advice",
            "unit",
            "accepted",
            "seals",
            "damage_codes",
            "reasons",
            "decided_by",
            "position_status",
            "yard_position",
            "yard_move",
        ]


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    container = serializers.CharField(allow_null=True)


class TruckVisitSerializer(serializers.ModelSerializer):
    lane = serializers.SlugRelatedField(slug_field="name", read_only=True)
    out_lane = serializers.SlugRelatedField(slug_field="name", read_only=True)
    haulier = serializers.SlugRelatedField(slug_field="code", read_only=True)
    appointment = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    reasons = ReasonSerializer(many=True, read_only=True)
    transactions = GateTransactionSerializer(many=True, read_only=True)

    class Meta:
        model = TruckVisit
        fields = [
            "id",
            "status",
            "truck_plate",
            "driver_name",
            "lane",
            "out_lane",
            "haulier",
            "appointment",
            "reasons",
            "gate_in_at",
            "gate_out_at",
            "turn_time_s",
            "eir_number",
            "decided_by",
            "out_decided_by",
            "transactions",
        ]


class CodecoSerializer(serializers.ModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = CodecoMessage
        fields = [
            "id",
            "reference",
            "line",
            "visit",
            "direction",
            "containers",
            "created_at",
            "message",
        ]


class CoparnUploadSerializer(serializers.ModelSerializer):
    line = serializers.SlugRelatedField(slug_field="code", read_only=True)
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    replayed = serializers.SerializerMethodField()

    class Meta:
        model = CoparnUpload
        fields = [
            "id",
            "uploaded_at",
            "uploaded_by",
            "filename",
            "kind",
            "line",
            "report",
            "result",
            "replayed",
        ]

    def get_replayed(self, obj: CoparnUpload) -> bool:
        return bool(self.context.get("replayed", False))


class CoparnInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False)
    line = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
