"""Writes of the stowage app (DESIGN.md §5.1): EDI uploads and what they create.

``edi_upload_receive`` is the one entry point for an inbound EDIFACT file (API and page):

* the file is read by :mod:`tos.edi` (tolerant, or ``strict``); a report that is not ok
  changes nothing and answers 422 ``edi_invalid`` with the report in ``details.report``;
* the same content again (same SHA-256, ignoring BOM and line breaks) changes nothing and
  returns the first upload (``replayed``); the same interchange key (sender/reference) with
  other content is 409 ``edi_interchange_reused``;
* everything a file creates (containers, units, plan cells, list entries, the vessel profile,
  the upload row and its live event) is written in one transaction: never half a file.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from simple_history.utils import bulk_create_with_history

from stowage.choices import CellMove, EdiMessageType, ListKind, ListSource, PlanKind
from stowage.models import (
    EdiUpload,
    ListEntry,
    PlanCell,
    PlanEdit,
    StowageInstructionRecord,
    StowagePlan,
    VesselProfile,
)
from stowage.profile import cell_count, merge_cells
from tos import edi
from tos.core import codes
from tos.core.choices import (
    UNIT_ACTIVE_STATES,
    OrganisationKind,
    PositionKind,
    UnitCategory,
    UnitState,
)
from tos.core.errors import ApplicationError
from tos.core.models import Container, ContainerVisit, Organisation, Terminal, User, VesselVisit
from tos.core.realtime import event_record
from tos.core.selectors import user_line_ids, user_sees_all_lines, vessel_visits_visible_to
from tos.core.services import unit_update

#: Largest EDI file accepted (bytes); larger answers 413 ``edi_too_large``.
EDI_MAX_BYTES: int = getattr(
    settings, "TOS_EDI_MAX_BYTES", settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 5 * 1024 * 1024
)

#: Message types that must be tied to a vessel visit.
_NEEDS_VISIT = {"BAPLIE", "COPRAR", "MOVINS", "COARRI"}

_UNH = re.compile(rb"UNH\+[^+']*\+([A-Z]{6})")


@dataclass
class UploadOutcome:
    """What ``edi_upload_receive`` did: the upload (the first one when ``replayed``)."""

    upload: EdiUpload
    replayed: bool = False


@dataclass
class _Work:
    """Counters and notes of one file, stored as the upload's ``result``."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    notes: list[dict[str, Any]] = field(default_factory=list)

    def add(self, bucket: str, name: str, n: int = 1) -> None:
        target = self.created if bucket == "created" else self.updated
        target[name] = target.get(name, 0) + n

    def note(self, code: str, message: str, **extra: Any) -> None:
        self.notes.append({"code": code, "message": message, **extra})

    def as_dict(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "notes": self.notes}


def edi_message_type_detect(data: bytes) -> str | None:
    """The message type named by the first UNH segment, if it is one we receive."""
    match = _UNH.search(data[:4096])
    if match is None:
        return None
    name = match.group(1).decode()
    return name if name in EdiMessageType.values else None


def _kg(value: Decimal | None) -> int | None:
    """A unit weight the kernel accepts (1,000-80,000 kg), else None."""
    if value is None:
        return None
    kg = int(value.to_integral_value())
    return kg if 1000 <= kg <= 80000 else None


def _plain_kg(value: Decimal | None) -> int | None:
    if value is None or value < 0:
        return None
    return int(value.to_integral_value())


def _valid_number(number: str) -> bool:
    try:
        codes.validate_container_number(number)
    except codes.CodeError:
        return False
    return True


def _container(number: str, iso_type: str, work: _Work, segment: int) -> Container | None:
    """The registered container, registering it when new; None (noted) when the number or the
    size-type cannot be registered."""
    return _containers([(number, iso_type, segment)], work).get(number)


def _containers(wanted: list[tuple[str, str, int]], work: _Work) -> dict[str, Container]:
    """The registered containers by number, registering the new ones in one statement (with
    their history rows). Numbers or size-types that cannot be registered are noted and left
    out: the plan keeps the number as sent."""
    numbers = {n for n, _, _ in wanted}
    found = {c.number: c for c in Container.objects.filter(number__in=numbers)}
    new: dict[str, Container] = {}
    for number, iso_type, segment in wanted:
        if number in found or number in new:
            continue
        try:
            codes.validate_container_number(number)
            size = codes.decode_size_type(iso_type or "")
        except codes.CodeError as exc:
            work.note(
                "container_not_registered",
                f"{number}: {exc}; kept in the plan only.",
                container=number,
                segment=segment,
            )
            continue
        new[number] = Container(
            number=number,
            iso_type=size.code,
            legacy_iso_type=size.legacy_code,
            length_ft=size.length_ft,
            height_mm=size.height_mm,
            type_group=size.type_group,
            teu=size.teu,
        )
    if new:
        bulk_create_with_history(list(new.values()), Container)
        found.update({c.number: c for c in Container.objects.filter(number__in=list(new))})
        work.add("created", "containers", len(new))
    return found


def _lines_for(operators: set[str]) -> dict[str, Organisation]:
    """Line organisations by the code a file uses (SMDG code or SCAC)."""
    found: dict[str, Organisation] = {}
    wanted = {o for o in operators if o}
    for org in Organisation.objects.filter(kind=OrganisationKind.LINE, code__in=wanted):
        found[org.code] = org
    for org in Organisation.objects.filter(kind=OrganisationKind.LINE, scac__in=wanted):
        found.setdefault(org.scac, org)
    return found


def _check_lines(by: User, operators: set[str], lines: dict[str, Organisation]) -> None:
    """An agent may only send boxes of its own lines; 403 ``edi_foreign_lines`` otherwise."""
    if user_sees_all_lines(by):
        return
    mine = user_line_ids(by)
    foreign = sorted(o for o in operators if o and (o not in lines or lines[o].pk not in mine))
    if foreign:
        raise ApplicationError(
            "edi_foreign_lines",
            "This file carries boxes of lines you do not represent: " + ", ".join(foreign[:20]),
            details={"operators": foreign},
            status=403,
        )


def _resolve_visit(
    *, by: User, terminal: Terminal, given: VesselVisit | None, call: edi.VesselCall, mtype: str
) -> VesselVisit | None:
    """The visit the file is about: the one given (already scoped by the caller), else the only
    visible visit of the file's vessel (IMO or call sign) and voyage."""
    if given is None and (call.imo or call.call_sign) and call.voyage:
        qs = vessel_visits_visible_to(by).filter(terminal=terminal)
        qs = qs.filter(vessel__imo=call.imo) if call.imo else qs
        qs = qs.filter(vessel__call_sign=call.call_sign) if call.call_sign and not call.imo else qs
        matches = list(
            qs.filter(inbound_voyage=call.voyage) | qs.filter(outbound_voyage=call.voyage)
        )
        if len(matches) == 1:
            given = matches[0]
    if given is None and mtype in _NEEDS_VISIT:
        raise ApplicationError(
            "edi_visit_unknown",
            f"Name the vessel visit of this {mtype}: no single visit of vessel "
            f"{call.vessel_name or call.imo or call.call_sign or '?'} voyage "
            f"{call.voyage or '?'} was found.",
            details={"vessel_visit": ["Required for this file."]},
        )
    if given is not None:
        vessel = given.vessel
        pairs = [(call.imo, vessel.imo), (call.call_sign.upper(), vessel.call_sign.upper())]
        compared = [(a, b) for a, b in pairs if a and b]
        names = (call.vessel_name.strip().upper(), vessel.name.strip().upper())
        if any(a != b for a, b in compared) or (
            not compared and all(names) and names[0] != names[1]
        ):
            raise ApplicationError(
                "edi_vessel_mismatch",
                f"The file is about vessel {call.vessel_name or ''} "
                f"(IMO {call.imo or '-'}, call sign {call.call_sign or '-'}), not "
                f"{vessel.name} of visit {given.reference}.",
                details={"vessel_visit": ["Another vessel than the file's."]},
                status=409,
            )
    return given


def _read(mtype: str, data: bytes, strict: bool) -> tuple[Any, edi.Report]:
    reader = {
        "BAPLIE": edi.read_baplie,
        "COPRAR": edi.read_coprar,
        "MOVINS": edi.read_movins,
        "VERMAS": edi.read_vermas,
        "COARRI": edi.read_coarri,
    }[mtype]
    return reader(data, strict=strict, max_bytes=EDI_MAX_BYTES)


def edi_upload_receive(
    *,
    terminal: Terminal,
    data: bytes,
    by: User,
    message_type: str | None = None,
    strict: bool = False,
    vessel_visit: VesselVisit | None = None,
    filename: str = "",
) -> UploadOutcome:
    """Receive one EDIFACT file (see the module docstring for the rules)."""
    if len(data) > EDI_MAX_BYTES:
        raise ApplicationError(
            "edi_too_large",
            f"The file has {len(data)} bytes; at most {EDI_MAX_BYTES} are accepted.",
            details={"file": [f"At most {EDI_MAX_BYTES} bytes."]},
            status=413,
        )
    detected = edi_message_type_detect(data)
    mtype = (message_type or detected or "").upper()
    if mtype not in EdiMessageType.values:
        raise ApplicationError(
            "edi_unknown_type",
            "Say which message this is (message_type): "
            + ", ".join(EdiMessageType.values)
            + "; none was found in the file's UNH.",
            details={"message_type": ["Unknown or missing."]},
        )
    if message_type and detected and detected != mtype:
        raise ApplicationError(
            "edi_type_mismatch",
            f"The file is a {detected}, not a {mtype}.",
            details={"message_type": [f"The file's UNH says {detected}."]},
        )
    fp = edi.fingerprint(data, max_bytes=EDI_MAX_BYTES)
    first = _previous_upload(terminal=terminal, by=by, mtype=mtype, fp=fp, visit=vessel_visit)
    if first is not None:
        return UploadOutcome(upload=first, replayed=True)
    parsed, report = _read(mtype, data, strict)
    if not report.ok:
        raise ApplicationError(
            "edi_invalid",
            f"The {mtype} has {len(report.errors)} error(s); nothing was changed.",
            details={"report": report.as_dict()},
            status=422,
        )
    try:
        return _store(
            terminal=terminal,
            data=data,
            by=by,
            mtype=mtype,
            strict=strict,
            fp=fp,
            parsed=parsed,
            report=report,
            vessel_visit=vessel_visit,
            filename=filename,
        )
    except IntegrityError:
        # The same file arrived twice at once and the other request committed first.
        first = _previous_upload(terminal=terminal, by=by, mtype=mtype, fp=fp, visit=vessel_visit)
        if first is None:
            raise
        return UploadOutcome(upload=first, replayed=True)


def _store(
    *,
    terminal: Terminal,
    data: bytes,
    by: User,
    mtype: str,
    strict: bool,
    fp: edi.Fingerprint,
    parsed: Any,
    report: edi.Report,
    vessel_visit: VesselVisit | None,
    filename: str,
) -> UploadOutcome:
    with transaction.atomic():
        call = getattr(parsed, "vessel", None) or edi.VesselCall()
        visit = _resolve_visit(by=by, terminal=terminal, given=vessel_visit, call=call, mtype=mtype)
        if visit is not None:
            # Serialise uploads per visit: one writer at a time rebuilds its plans and lists.
            VesselVisit.objects.select_for_update().filter(pk=visit.pk).first()
        upload = EdiUpload.objects.create(
            terminal=terminal,
            uploaded_by=by,
            message_type=mtype,
            kind=getattr(parsed, "kind", "") or "",
            filename=filename[:200],
            size_bytes=len(data),
            strict=strict,
            content_sha256=fp.content_sha256,
            interchange_key=fp.interchange_keys[0][:120] if fp.interchange_keys else "",
            interchange_keys=list(fp.interchange_keys),
            vessel_visit=visit,
            report=report.as_dict(),
        )
        work = _Work()
        handler = {
            "BAPLIE": _receive_baplie,
            "COPRAR": _receive_coprar,
            "MOVINS": _receive_movins,
            "VERMAS": _receive_vermas,
            "COARRI": _receive_coarri,
        }[mtype]
        handler(parsed, upload=upload, visit=visit, by=by, work=work)
        upload.result = work.as_dict()
        upload.save(update_fields=["result"])
        event_record(
            terminal_id=terminal.pk,
            topic="stowage",
            type="edi.received",
            payload={
                "upload": upload.pk,
                "message_type": mtype,
                "vessel_visit": visit.pk if visit else None,
                "by": by.username,
            },
            line_id=visit.line_id if visit else None,
        )
    return UploadOutcome(upload=upload)


def _previous_upload(
    *, terminal: Terminal, by: User, mtype: str, fp: edi.Fingerprint, visit: VesselVisit | None
) -> EdiUpload | None:
    """The first upload of the same content (a replay), or a 409 when the interchange key was
    used for other content or the content was received for another visit."""
    first = EdiUpload.objects.filter(
        terminal=terminal, message_type=mtype, content_sha256=fp.content_sha256
    ).first()
    if first is not None:
        other_visit = visit is not None and first.vessel_visit_id not in (None, visit.pk)
        visible = (
            user_sees_all_lines(by)
            or first.uploaded_by_id == by.pk
            or (
                first.vessel_visit_id is not None
                and vessel_visits_visible_to(by).filter(pk=first.vessel_visit_id).exists()
            )
        )
        if other_visit or not visible:
            raise ApplicationError(
                "edi_already_received",
                "This file was already received for another vessel visit.",
                details={"file": ["Already received."]},
                status=409,
            )
        return first
    if fp.interchange_keys:
        clash = (
            EdiUpload.objects.filter(terminal=terminal, interchange_key__in=fp.interchange_keys)
            .exclude(content_sha256=fp.content_sha256)
            .first()
        )
        if clash is not None:
            raise ApplicationError(
                "edi_interchange_reused",
                f"Interchange {clash.interchange_key} was already received with other content; "
                "a corrected file needs a new interchange reference (UNB 0020).",
                details={"interchange_key": [clash.interchange_key]},
                status=409,
            )
    return None


# --- BAPLIE: the arrival plan -----------------------------------------------------------------


def _category(unit: edi.StowedUnit, locode: str) -> str:
    if unit.full is False:
        return UnitCategory.EMPTY
    if unit.status == "6" or (unit.final_destination and unit.final_destination != locode):
        return UnitCategory.TRANSHIPMENT
    return UnitCategory.IMPORT


def _dg(goods: tuple[edi.DangerousGoods, ...]) -> tuple[str, str]:
    classes = ",".join(dict.fromkeys(g.imdg_class for g in goods if g.imdg_class))
    uns = ",".join(dict.fromkeys(g.un_number for g in goods if g.un_number))
    return classes[:40], uns[:60]


def _locode(value: str) -> str:
    return value if re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", value or "") else ""


def _receive_baplie(
    plan: edi.BayPlan, *, upload: EdiUpload, visit: VesselVisit, by: User, work: _Work
) -> None:
    terminal = visit.terminal
    locode = terminal.locode
    operators = {u.operator for u in plan.units}
    lines = _lines_for(operators)
    _check_lines(by, operators, lines)
    unknown = sorted(o for o in operators if o and o not in lines)
    if unknown:
        work.note(
            "operator_unknown",
            f"Line codes not registered here; their boxes are booked to {visit.line.code}: "
            + ", ".join(unknown),
            operators=unknown,
        )
    seen: dict[str, int] = {}
    for unit in plan.units:
        if unit.position is None:
            continue
        code = unit.position.code
        if code in seen:
            raise ApplicationError(
                "edi_cell_taken",
                f"Cell {code} holds two boxes (segments {seen[code]} and {unit.segment}).",
                details={"position": [code]},
                status=409,
            )
        seen[code] = unit.segment
    arrival, created = StowagePlan.objects.select_for_update().get_or_create(
        vessel_visit=visit, kind=PlanKind.ARRIVAL, defaults={"source_upload": upload}
    )
    if not created:
        work.add("updated", "arrival_plan")
        arrival.cells.all().delete()
        StowagePlan.objects.filter(pk=arrival.pk).update(
            source_upload=upload, revision=F("revision") + 1
        )
    else:
        work.add("created", "arrival_plan")
    ListEntry.objects.filter(
        vessel_visit=visit, kind=ListKind.DISCHARGE, source=ListSource.BAPLIE
    ).delete()
    cells: list[PlanCell] = []
    entries: list[ListEntry] = []
    profile_cells: list[tuple[int, int, int, bool]] = []
    containers = _containers([(u.container, u.size_type, u.segment) for u in plan.units], work)
    arrivals = _ArrivalUnits(
        visit=visit,
        by=by,
        work=work,
        containers=[
            c
            for u in plan.units
            if u.pod == visit.terminal.locode
            for c in [containers.get(u.container)]
            if c is not None
        ],
    )
    for su in plan.units:
        pos = su.position
        if pos is None:
            work.note("no_position", f"{su.container}: no stowage cell", segment=su.segment)
            continue
        container = containers.get(su.container)
        line = lines.get(su.operator) or visit.line
        discharge = su.pod == locode
        classes, uns = _dg(su.dangerous_goods)
        reefer = su.temperature_c is not None or (container is not None and container.is_reefer)
        profile_cells.append((pos.bay, pos.row, pos.tier, reefer))
        unit = None
        if discharge and container is not None:
            unit = arrivals.add(su, container, line, classes, uns)
        cells.append(
            PlanCell(
                plan=arrival,
                bay=pos.bay,
                row=pos.row,
                tier=pos.tier,
                container_number=su.container[:17],
                container=container,
                unit=unit,
                move=CellMove.DISCHARGE if discharge else CellMove.REMAIN,
                iso_type=(container.iso_type if container else su.size_type[:4]),
                length_ft=container.length_ft if container else None,
                full=su.full,
                gross_kg=_plain_kg(su.gross_kg),
                vgm_kg=_plain_kg(su.vgm_kg),
                pol=su.pol[:5],
                pod=su.pod[:5],
                final_destination=su.final_destination[:5],
                operator=su.operator[:17],
                line=lines.get(su.operator),
                reefer_c=su.temperature_c,
                imdg_classes=classes,
                un_numbers=uns,
            )
        )
        if discharge:
            entries.append(
                ListEntry(
                    vessel_visit=visit,
                    kind=ListKind.DISCHARGE,
                    source=ListSource.BAPLIE,
                    upload=upload,
                    container_number=su.container[:17],
                    container=container,
                    unit=unit,
                    iso_type=(container.iso_type if container else su.size_type[:4]),
                    full=su.full,
                    pol=su.pol[:5],
                    pod=su.pod[:5],
                    vgm_kg=_plain_kg(su.vgm_kg or su.gross_kg),
                    operator=su.operator[:17],
                    reefer_c=su.temperature_c,
                    imdg_classes=classes,
                    position=pos.code,
                )
            )
    arrivals.save()
    for cell in cells:  # the units exist now; bind their ids
        if cell.unit is not None:
            cell.unit_id = cell.unit.pk
    for entry in entries:
        if entry.unit is not None:
            entry.unit_id = entry.unit.pk
    PlanCell.objects.bulk_create(cells)
    ListEntry.objects.filter(
        vessel_visit=visit,
        kind=ListKind.DISCHARGE,
        container_number__in=[e.container_number for e in entries],
    ).delete()
    ListEntry.objects.bulk_create(entries)
    work.add("created", "plan_cells", len(cells))
    work.add("created", "discharge_list_entries", len(entries))
    work.created["remain_on_board"] = sum(1 for c in cells if c.move == CellMove.REMAIN)
    _profile_merge(visit=visit, upload=upload, cells=profile_cells, work=work)


class _ArrivalUnits:
    """The units of the boxes to discharge here, written in bulk: new ones are created inbound
    on the vessel (one statement, with history, one summary event instead of one per box);
    boxes already announced for this visit are updated; a box active elsewhere is a 409."""

    def __init__(
        self, *, visit: VesselVisit, by: User, work: _Work, containers: list[Container]
    ) -> None:
        self.visit, self.by, self.work = visit, by, work
        self.new: list[ContainerVisit] = []
        # One query for every box's active unit (not one per box: a big ship has thousands).
        self.active = {
            u.container_id: u
            for u in ContainerVisit.objects.filter(
                container__in=containers, state__in=UNIT_ACTIVE_STATES
            )
        }

    def add(
        self,
        su: edi.StowedUnit,
        container: Container,
        line: Organisation,
        classes: str,
        uns: str,
    ) -> ContainerVisit:
        visit = self.visit
        fields: dict[str, Any] = {
            "gross_weight_kg": _kg(su.gross_kg),
            "vgm_kg": _kg(su.vgm_kg),
            "pol": _locode(su.pol),
            "pod": _locode(su.pod),
            "imdg_class": classes.split(",")[0] if classes else "",
            "un_number": "",
            "bl_ref": su.bl_reference[:35],
            "reefer_setpoint_c": su.temperature_c if container.is_reefer else None,
        }
        if not re.fullmatch(r"[1-9](\.[1-6])?", fields["imdg_class"]):
            fields["imdg_class"] = ""
        elif uns and re.fullmatch(r"[0-9]{4}", uns.split(",")[0]):
            fields["un_number"] = uns.split(",")[0]
        if fields["reefer_setpoint_c"] is not None and not (
            -70 <= fields["reefer_setpoint_c"] <= 40
        ):
            fields["reefer_setpoint_c"] = None
        active = self.active.get(container.pk)
        if active is not None:
            if active.inbound_visit_id != visit.pk:
                raise ApplicationError(
                    "edi_unit_conflict",
                    f"{container.number} is already active at the terminal (unit {active.pk}, "
                    f"{active.state}); it cannot also arrive on {visit.reference}.",
                    details={"container": [container.number]},
                    status=409,
                )
            changed = {k: v for k, v in fields.items() if v not in (None, "")}
            changed = {k: v for k, v in changed.items() if getattr(active, k) != v}
            if changed:
                unit_update(unit=active, by=self.by, **changed)
                self.work.add("updated", "units")
            return active
        unit = ContainerVisit(
            terminal=visit.terminal,
            container=container,
            category=_category(su, visit.terminal.locode),
            state=UnitState.INBOUND,
            line=line,
            inbound_visit=visit,
            position_kind=PositionKind.VESSEL,
            position_ref=su.position.code,
            position_visit=visit,
            **fields,
        )
        self.new.append(unit)
        return unit

    def save(self) -> None:
        if not self.new:
            return
        bulk_create_with_history(self.new, ContainerVisit, default_user=self.by)
        by_container = {
            u.container_id: u
            for u in ContainerVisit.objects.filter(
                inbound_visit=self.visit,
                container_id__in=[u.container_id for u in self.new],
                state=UnitState.INBOUND,
            )
        }
        for unit in self.new:
            unit.pk = by_container[unit.container_id].pk
        self.work.add("created", "units", len(self.new))
        event_record(
            terminal_id=self.visit.terminal_id,
            topic="units",
            type="units.imported",
            payload={
                "vessel_visit": self.visit.pk,
                "count": len(self.new),
                "ids": [u.pk for u in self.new],
                "by": self.by.username,
            },
            line_id=self.visit.line_id,
        )


def _profile_merge(
    *,
    visit: VesselVisit,
    upload: EdiUpload,
    cells: list[tuple[int, int, int, bool]],
    work: _Work,
) -> None:
    profile, created = VesselProfile.objects.select_for_update().get_or_create(
        vessel=visit.vessel, defaults={"source": "baplie", "source_upload": upload}
    )
    layout, added = merge_cells(profile.layout, cells)
    if created or added:
        profile.layout = layout
        profile.cells = cell_count(layout)
        profile.full_clean()
        profile.save()
        work.add("created" if created else "updated", "vessel_profile")
        work.add("created", "profile_cells", added)


def vessel_profile_update(*, profile: VesselProfile, layout: dict[str, Any]) -> VesselProfile:
    """Replace a profile's layout (admin edits); validated, cell count kept in step."""
    profile.layout = layout
    profile.cells = cell_count(layout) if isinstance(layout, dict) else 0
    profile.source = "admin"
    try:
        profile.full_clean()
    except Exception as exc:  # ValidationError → one error shape
        raise ApplicationError(
            "invalid_layout", "The profile layout is not valid.", details={"layout": [str(exc)]}
        ) from exc
    profile.save()
    return profile


# --- COPRAR: load and discharge orders ---------------------------------------------------------


def _receive_coprar(
    orders: edi.ContainerList, *, upload: EdiUpload, visit: VesselVisit, by: User, work: _Work
) -> None:
    if orders.kind not in ListKind.values:
        raise ApplicationError(
            "edi_unsupported",
            f"COPRAR document code {orders.document_code or '?'} is neither a load nor a "
            "discharge order.",
            details={"file": ["BGM 1001 must be a load or discharge order."]},
        )
    operators = {ln.operator or orders.carrier for ln in orders.lines}
    lines = _lines_for(operators)
    _check_lines(by, operators, lines)
    for ln in orders.lines:
        container = _container(ln.container, ln.size_type, work, ln.segment)
        unit = (
            ContainerVisit.objects.filter(container=container, state__in=UNIT_ACTIVE_STATES).first()
            if container
            else None
        )
        classes, _ = _dg(ln.dangerous_goods)
        values = {
            "source": ListSource.COPRAR,
            "upload": upload,
            "container": container,
            "unit": unit,
            "iso_type": container.iso_type if container else ln.size_type[:4],
            "full": ln.full,
            "booking": ln.booking[:35],
            "pol": ln.pol[:5],
            "pod": ln.pod[:5],
            "vgm_kg": _plain_kg(ln.vgm_kg),
            "operator": (ln.operator or orders.carrier)[:17],
            "reefer_c": ln.temperature_c,
            "imdg_classes": classes,
            "position": ln.position.code if ln.position else "",
        }
        _, created = ListEntry.objects.update_or_create(
            vessel_visit=visit,
            kind=orders.kind,
            container_number=ln.container[:17],
            defaults=values,
        )
        work.add("created" if created else "updated", f"{orders.kind}_list_entries")
        if unit is not None:
            work.add("updated", "units_linked")
            vgm = _kg(ln.vgm_kg)
            if orders.kind == ListKind.LOAD and vgm and unit.vgm_kg != vgm:
                unit_update(unit=unit, by=by, vgm_kg=vgm)
                work.add("updated", "unit_vgm")


# --- MOVINS: stowage instructions --------------------------------------------------------------


def _receive_movins(
    movins: edi.Movins, *, upload: EdiUpload, visit: VesselVisit, by: User, work: _Work
) -> None:
    operators = {i.operator for i in movins.instructions}
    _check_lines(by, operators, _lines_for(operators))
    records = [
        StowageInstructionRecord(
            vessel_visit=visit,
            upload=upload,
            instruction=i.instruction[:3],
            position=i.position.code if i.position else "",
            container_number=i.container[:17],
            iso_type=i.size_type[:4],
            weight_kg=_plain_kg(i.weight_kg),
            pod=i.pod[:5],
            operator=i.operator[:17],
        )
        for i in movins.instructions
    ]
    StowageInstructionRecord.objects.bulk_create(records)
    work.add("created", "stowage_instructions", len(records))


# --- VERMAS: VGM onto the unit -----------------------------------------------------------------


def _receive_vermas(
    vgms: edi.VgmDeclaration, *, upload: EdiUpload, visit: VesselVisit | None, by: User, work: _Work
) -> None:
    from tos.core.selectors import units_visible_to

    units = units_visible_to(by).filter(state__in=UNIT_ACTIVE_STATES)
    if visit is not None:
        units = units.filter(outbound_visit=visit) | units.filter(inbound_visit=visit)
    for record in vgms.records:
        vgm = _kg(record.vgm_kg)
        unit = units.filter(container__number=record.container).first()
        if unit is None:
            work.note(
                "unit_not_found",
                f"{record.container}: no active unit you may see; VGM not applied.",
                container=record.container,
                segment=record.segment,
            )
            continue
        if vgm is None:
            work.note(
                "vgm_out_of_range",
                f"{record.container}: VGM {record.vgm_kg} kg is not 1,000-80,000 kg; not applied.",
                container=record.container,
                segment=record.segment,
            )
            continue
        if unit.vgm_kg != vgm:
            try:
                with transaction.atomic():
                    unit_update(unit=unit, by=by, vgm_kg=vgm)
            except ApplicationError as exc:
                work.note(
                    "vgm_refused",
                    f"{record.container}: {exc.message}",
                    container=record.container,
                    segment=record.segment,
                )
                continue
            work.add("updated", "unit_vgm")
        n = ListEntry.objects.filter(
            container_number=record.container, kind=ListKind.LOAD, unit=unit
        ).update(vgm_kg=vgm)
        if n:
            work.add("updated", "load_list_entries", n)


# --- COARRI: executed moves reported by someone else --------------------------------------------


def _receive_coarri(
    moves: edi.ContainerList, *, upload: EdiUpload, visit: VesselVisit, by: User, work: _Work
) -> None:
    """Confirms the matching cells of the visit's plans (discharge: arrival plan; load:
    departure plan) and records the moves; boxes without a cell are noted."""
    operators = {ln.operator or moves.carrier for ln in moves.lines}
    _check_lines(by, operators, _lines_for(operators))
    kind = PlanKind.ARRIVAL if moves.kind == "discharge" else PlanKind.DEPARTURE
    move = CellMove.DISCHARGE if moves.kind == "discharge" else CellMove.LOAD
    work.created["moves_read"] = len(moves.lines)
    for ln in moves.lines:
        n = PlanCell.objects.filter(
            plan__vessel_visit=visit, plan__kind=kind, container_number=ln.container, move=move
        ).update(confirmed=True, moved_at=_aware(ln.moved_at, visit))
        if n:
            work.add("updated", "cells_confirmed", n)
        else:
            work.note(
                "cell_not_found",
                f"{ln.container}: no {move} cell in the {kind} plan.",
                container=ln.container,
                segment=ln.segment,
            )


def _aware(value, visit: VesselVisit):
    if value is None:
        return None
    import zoneinfo

    from django.utils import timezone

    if timezone.is_aware(value):
        return value
    return value.replace(tzinfo=zoneinfo.ZoneInfo(visit.terminal.timezone))


# --- plans and lists the planner works with ----------------------------------------------------


@dataclass(frozen=True)
class CellInput:
    """One box of a departure plan, as the solver or a planner places it."""

    container_number: str
    bay: int
    row: int
    tier: int
    move: str = CellMove.LOAD


@transaction.atomic
def departure_plan_save(
    *, visit: VesselVisit, cells: list[CellInput], by: User, status: str = "draft"
) -> StowagePlan:
    """Replace the departure plan of a visit (draft or final). Boxes are described from the
    arrival plan cell (remain/restow) or the load list entry (load) of the same container;
    a box that is in neither, or two boxes in one cell, is refused (400/409)."""
    if status not in ("draft", "final"):
        raise ApplicationError("validation_error", "status must be draft or final.")
    positions: dict[tuple[int, int, int], str] = {}
    for c in cells:
        key = (c.bay, c.row, c.tier)
        if key in positions:
            raise ApplicationError(
                "cell_taken",
                f"{c.container_number} and {positions[key]} are both planned in "
                f"{c.bay:03d}{c.row:02d}{c.tier:02d}.",
                status=409,
            )
        positions[key] = c.container_number
    arrival = {
        cell.container_number: cell
        for cell in PlanCell.objects.filter(plan__vessel_visit=visit, plan__kind=PlanKind.ARRIVAL)
    }
    loads = {
        e.container_number: e
        for e in ListEntry.objects.filter(vessel_visit=visit, kind=ListKind.LOAD).select_related(
            "container", "unit"
        )
    }
    plan, created = StowagePlan.objects.select_for_update().get_or_create(
        vessel_visit=visit, kind=PlanKind.DEPARTURE, defaults={"status": status}
    )
    if not created:
        plan.cells.all().delete()
        plan.revision += 1
        plan.status = status
        plan.save(update_fields=["revision", "status", "updated_at"])
    rows: list[PlanCell] = []
    for c in cells:
        base = arrival.get(c.container_number)
        entry = loads.get(c.container_number)
        if base is not None:
            fields = {
                f.attname: getattr(base, f.attname)
                for f in PlanCell._meta.concrete_fields
                if f.name
                not in ("id", "plan", "bay", "row", "tier", "move", "confirmed", "moved_at")
            }
        elif entry is not None:
            container = entry.container
            vgm = entry.vgm_kg or (entry.unit.vgm_kg if entry.unit is not None else None)
            fields = {
                "container_number": entry.container_number,
                "container_id": entry.container_id,
                "unit_id": entry.unit_id,
                "iso_type": entry.iso_type,
                "length_ft": container.length_ft if container else None,
                "full": entry.full,
                "vgm_kg": vgm,
                "gross_kg": vgm,
                "pol": entry.pol or visit.terminal.locode,
                "pod": entry.pod,
                "operator": entry.operator,
                "reefer_c": entry.reefer_c,
                "imdg_classes": entry.imdg_classes,
            }
        else:
            raise ApplicationError(
                "unknown_box",
                f"{c.container_number} is neither on board on arrival nor on the load list.",
                details={"container_number": [c.container_number]},
            )
        rows.append(PlanCell(plan=plan, bay=c.bay, row=c.row, tier=c.tier, move=c.move, **fields))
    PlanCell.objects.bulk_create(rows)
    event_record(
        terminal_id=visit.terminal_id,
        topic="stowage",
        type="stowage.plan_saved",
        payload={"vessel_visit": visit.pk, "kind": "departure", "revision": plan.revision}
        | {"cells": len(rows), "status": status, "by": by.username},
        line_id=visit.line_id,
    )
    return plan


@transaction.atomic
def plan_moves_confirm(
    *, visit: VesselVisit, kind: str, container_numbers: list[str], at: Any, by: User
) -> int:
    """Mark discharge (arrival plan) or load (departure plan) moves as executed. Stands in for
    the operations app's move confirmation until it exists; COARRI is written from these."""
    plan_kind = PlanKind.ARRIVAL if kind == "discharge" else PlanKind.DEPARTURE
    move = CellMove.DISCHARGE if kind == "discharge" else CellMove.LOAD
    n = PlanCell.objects.filter(
        plan__vessel_visit=visit,
        plan__kind=plan_kind,
        move=move,
        container_number__in=container_numbers,
    ).update(confirmed=True, moved_at=at)
    event_record(
        terminal_id=visit.terminal_id,
        topic="stowage",
        type="stowage.moves_confirmed",
        payload={"vessel_visit": visit.pk, "kind": kind, "count": n, "by": by.username},
        line_id=visit.line_id,
    )
    return n


@transaction.atomic
def load_list_from_yard(*, visit: VesselVisit, by: User) -> dict[str, int]:
    """Add the export units in the yard for this visit to its load list (source ``yard``);
    entries a COPRAR already gave are left as they are."""
    units = ContainerVisit.objects.filter(
        outbound_visit=visit, state=UnitState.ON_TERMINAL
    ).select_related("container", "line")
    existing = set(
        ListEntry.objects.filter(vessel_visit=visit, kind=ListKind.LOAD).values_list(
            "container_number", flat=True
        )
    )
    new = [
        ListEntry(
            vessel_visit=visit,
            kind=ListKind.LOAD,
            source=ListSource.YARD,
            container_number=u.container.number,
            container=u.container,
            unit=u,
            iso_type=u.container.iso_type,
            full=u.category != "empty",
            booking=u.booking_ref,
            pol=u.pol or visit.terminal.locode,
            pod=u.pod,
            vgm_kg=u.vgm_kg,
            operator=u.line.code,
            reefer_c=u.reefer_setpoint_c,
            imdg_classes=u.imdg_class,
            position=u.position_ref if u.position_kind == PositionKind.YARD else "",
        )
        for u in units
        if u.container.number not in existing
    ]
    ListEntry.objects.bulk_create(new)
    event_record(
        terminal_id=visit.terminal_id,
        topic="stowage",
        type="stowage.load_list_updated",
        payload={"vessel_visit": visit.pk, "added": len(new), "by": by.username},
        line_id=visit.line_id,
    )
    return {"added": len(new), "kept": len(existing)}


# --- the planner's result and the planners' edits ----------------------------------------------


def _violations_json(violations: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "code": v.code,
            "box": v.box,
            "cell": _cell_code(v.cell) if v.cell else None,
            "message": v.message,
        }
        for v in violations
    ]


def _cell_code(cell: tuple[int, int, int]) -> str:
    return f"{cell[0]:03d}{cell[1]:02d}{cell[2]:02d}"


def _bays(*cells: tuple[int, int, int]) -> list[int]:
    """The 20' bays a set of cells touches (a 40' cell in even bay b touches b-1 and b+1)."""
    out: set[int] = set()
    for bay, _, _ in cells:
        out.update((bay - 1, bay + 1) if bay % 2 == 0 else (bay,))
    return sorted(b for b in out if b > 0)


@transaction.atomic
def departure_plan_from_result(
    *,
    visit: VesselVisit,
    instance: Any,
    mapping: Any,
    result: Any,
    by: User,
    run: Any = None,
) -> StowagePlan:
    """Store a planner result as the visit's departure plan, but only a result the independent
    checker (:func:`stowage.solvers.check.check`) finds no violation in: otherwise 422
    ``plan_rejected`` with every violation in ``details.violations`` and nothing is written.

    Boxes remaining on board at their arrival cell are ``remain``, moved ones ``restow``, the
    load list's ``load``. The summary keeps the status, objective, terms, bound, rotation and
    the boxes left unplaced with their reasons; the undo history of the previous plan ends."""
    from stowage.solvers.check import check

    violations = check(instance, dict(result.placements))
    if violations:
        raise ApplicationError(
            "plan_rejected",
            f"The checker found {len(violations)} violation(s) in the planner's result; "
            "the departure plan was not changed.",
            details={"violations": _violations_json(violations)},
            status=422,
        )
    cells = []
    for box in instance.remain:
        bay, row, tier = result.placements.get(box.id, box.position)
        stays = (bay, row, tier) == tuple(box.position)
        cells.append(
            CellInput(
                container_number=box.id,
                bay=bay,
                row=row,
                tier=tier,
                move=CellMove.REMAIN if stays else CellMove.RESTOW,
            )
        )
    for box, (bay, row, tier) in sorted(result.placements.items()):
        if box not in instance.remain_ids:
            cells.append(CellInput(container_number=box, bay=bay, row=row, tier=tier))
    plan = departure_plan_save(visit=visit, cells=cells, by=by)
    plan.edits.all().delete()
    plan.solver_run = run
    plan.summary = {
        "status": result.status,
        "objective": result.objective,
        "bound": result.bound,
        "terms": dict(result.terms or {}),
        "seconds": round(float(result.seconds or 0), 3),
        "rotation": list(mapping.rotation),
        "rotation_source": mapping.rotation_source,
        "cranes": instance.cranes,
        "cranes_source": mapping.cranes_source,
        "placed": len(cells),
        "unplaced": [
            {"box": box, "reason": reason} for box, reason in sorted(result.unplaced.items())
        ],
        "run": run.pk if run is not None else None,
    }
    plan.save(update_fields=["solver_run", "summary", "updated_at"])
    return plan


def _plan_locked(plan: StowagePlan, expected_revision: int) -> StowagePlan:
    locked = StowagePlan.objects.select_for_update().get(pk=plan.pk)
    if locked.revision != expected_revision:
        raise ApplicationError(
            "stale_revision",
            f"The departure plan is at revision {locked.revision}, not {expected_revision}: "
            "someone changed it; reload it.",
            details={"If-Match": [f"Revision {locked.revision} is current."]},
            status=412,
        )
    return locked


def _placements(plan: StowagePlan) -> dict[str, tuple[int, int, int]]:
    return {
        number: (bay, row, tier)
        for number, bay, row, tier in plan.cells.values_list(
            "container_number", "bay", "row", "tier"
        )
    }


def departure_plan_move_check(
    *, plan: StowagePlan, box: str, to: tuple[int, int, int]
) -> list[dict[str, Any]]:
    """Every rule moving ``box`` to cell ``to`` would break, as ``{code, box, cell, message}``
    (empty: the move is allowed). A dry run: nothing is written. 422 ``unknown_box`` when the
    box is not in the plan."""
    from stowage.solvers.check import check_move

    placements = _placements(plan)
    if box not in placements:
        raise ApplicationError(
            "unknown_box",
            f"{box} is not in the departure plan of {plan.vessel_visit.reference}.",
            details={"box": [f"{box} is not in the plan."]},
            status=422,
        )
    found = _violations_json(check_move(_preview_instance(plan), placements, box, to))
    holder = next((b for b, cell in placements.items() if cell == to and b != box), None)
    if holder is not None and not any(v["code"] == "cell_taken" for v in found):
        found.insert(
            0,
            {
                "code": "cell_taken",
                "box": box,
                "cell": _cell_code(to),
                "message": f"Cell {_cell_code(to)} already holds {holder}.",
            },
        )
    return found


#: Planner inputs of recent drag previews, keyed by plan, revision and the terminal's last event
#: seq: any change that could alter a check (a hold, a VGM, a yard move, a plan edit) writes an
#: event, so a key only matches while nothing happened. ``departure_plan_move`` always builds a
#: fresh input, so a stale preview can never let a bad move through.
_PREVIEWS: OrderedDict[tuple[int, int, int, tuple[str, ...]], Any] = OrderedDict()
_PREVIEWS_KEPT = 8


def _preview_instance(plan: StowagePlan) -> Any:
    """The planner input for a drag preview: about 0.3 s to build on a 300-box ship, so a planner
    hovering over cells reuses it while the terminal's event seq stands still."""
    from stowage.selectors import plan_instance

    rotation = _rotation(plan)
    seq = Terminal.objects.values_list("event_seq", flat=True).get(pk=plan.vessel_visit.terminal_id)
    key = (plan.pk, plan.revision, seq, rotation)
    if key in _PREVIEWS:
        _PREVIEWS.move_to_end(key)
        return _PREVIEWS[key]
    instance, _ = plan_instance(plan.vessel_visit, rotation=rotation)
    _PREVIEWS[key] = instance
    while len(_PREVIEWS) > _PREVIEWS_KEPT:
        _PREVIEWS.popitem(last=False)
    return instance


def _rotation(plan: StowagePlan) -> tuple[str, ...]:
    """The rotation the plan was made with when it was given, so checks agree with the plan."""
    summary = plan.summary or {}
    if summary.get("rotation_source") == "given":
        return tuple(summary.get("rotation") or ())
    return ()


def _move_type(plan: StowagePlan, box: str, cell: PlanCell, to: tuple[int, int, int]) -> str:
    if cell.move == CellMove.LOAD:
        return CellMove.LOAD
    arrival = PlanCell.objects.filter(
        plan__vessel_visit_id=plan.vessel_visit_id,
        plan__kind=PlanKind.ARRIVAL,
        container_number=box,
    ).first()
    if arrival is not None and (arrival.bay, arrival.row, arrival.tier) == to:
        return CellMove.REMAIN
    return CellMove.RESTOW


def _plan_event(plan: StowagePlan, *, type: str, by: User, **payload: Any) -> None:
    visit = plan.vessel_visit
    event_record(
        terminal_id=visit.terminal_id,
        topic="stowage",
        type=type,
        payload={"vessel_visit": visit.pk, "kind": plan.kind, "revision": plan.revision}
        | payload
        | {"by": by.username},
        line_id=visit.line_id,
    )


@transaction.atomic
def departure_plan_move(
    *,
    plan: StowagePlan,
    box: str,
    to: tuple[int, int, int],
    expected_revision: int,
    by: User,
) -> StowagePlan:
    """Move one box of a departure plan to another cell: 412 ``stale_revision`` when the plan
    changed since ``expected_revision``; 409 ``cell_taken`` when the cell holds another box;
    422 ``move_refused`` when the move breaks a stowage rule. Either way ``details.violations``
    lists every violation (code, message) and nothing changes. Applied: a new revision, a
    ``PlanEdit`` for undo and a ``stowage.plan_edited`` event naming the bays to redraw."""
    plan = _plan_locked(plan, expected_revision)
    violations = departure_plan_move_check(plan=plan, box=box, to=to)
    if violations:
        taken = any(v["code"] == "cell_taken" for v in violations)
        raise ApplicationError(
            "cell_taken" if taken else "move_refused",
            f"{box} cannot go to {_cell_code(to)}: " + "; ".join(v["message"] for v in violations),
            details={"violations": violations, "to": [_cell_code(to)]},
            status=409 if taken else 422,
        )
    cell = plan.cells.get(container_number=box)
    before = (cell.bay, cell.row, cell.tier)
    before_move = cell.move
    move = _move_type(plan, box, cell, to)
    try:
        with transaction.atomic():
            PlanCell.objects.filter(pk=cell.pk).update(bay=to[0], row=to[1], tier=to[2], move=move)
    except IntegrityError as exc:  # another writer filled the cell: the database decides
        raise ApplicationError(
            "cell_taken", f"Cell {_cell_code(to)} was just taken.", status=409
        ) from exc
    plan.revision += 1
    plan.save(update_fields=["revision", "updated_at"])
    PlanEdit.objects.create(
        plan=plan,
        revision=plan.revision,
        container_number=box,
        from_bay=before[0],
        from_row=before[1],
        from_tier=before[2],
        from_move=before_move,
        to_bay=to[0],
        to_row=to[1],
        to_tier=to[2],
        to_move=move,
        by=by,
    )
    _plan_event(
        plan,
        type="stowage.plan_edited",
        by=by,
        box=box,
        **{"from": _cell_code(before), "to": _cell_code(to), "move": move},
        bays=_bays(before, to),
    )
    return plan


@transaction.atomic
def departure_plan_undo(*, plan: StowagePlan, expected_revision: int, by: User) -> StowagePlan:
    """Undo the last edit that is not undone yet (edits undo in reverse order): the box goes
    back to its cell, the plan gets a new revision and a ``stowage.plan_edited`` event (with
    ``undo: true``). 409 ``nothing_to_undo`` when there is none; 412 as for a move."""
    from django.utils import timezone

    plan = _plan_locked(plan, expected_revision)
    edit = plan.edits.filter(undone_at__isnull=True).order_by("-revision").first()
    if edit is None:
        raise ApplicationError(
            "nothing_to_undo", "There is no edit of this plan left to undo.", status=409
        )
    back = (edit.from_bay, edit.from_row, edit.from_tier)
    here = (edit.to_bay, edit.to_row, edit.to_tier)
    try:
        with transaction.atomic():
            n = PlanCell.objects.filter(
                plan=plan,
                container_number=edit.container_number,
                bay=here[0],
                row=here[1],
                tier=here[2],
            ).update(bay=back[0], row=back[1], tier=back[2], move=edit.from_move)
    except IntegrityError as exc:
        raise ApplicationError(
            "cell_taken",
            f"Cell {_cell_code(back)} is taken; the edit cannot be undone.",
            status=409,
        ) from exc
    if n != 1:
        raise ApplicationError(
            "undo_conflict",
            f"{edit.container_number} is no longer where the edit put it; nothing was undone.",
            status=409,
        )
    edit.undone_at = timezone.now()
    edit.save(update_fields=["undone_at"])
    plan.revision += 1
    plan.save(update_fields=["revision", "updated_at"])
    _plan_event(
        plan,
        type="stowage.plan_edited",
        by=by,
        box=edit.container_number,
        **{"from": _cell_code(here), "to": _cell_code(back), "move": edit.from_move},
        bays=_bays(here, back),
        undo=True,
    )
    return plan


def departure_plan_optimise_start(
    *, visit: VesselVisit, by: User, time_limit: float = 10.0, rotation: list[str] | None = None
) -> Any:
    """Start the ``stowage.plan`` solver job for a visit (returns the queued ``SolverRun``; the
    same request while one runs returns that run). 409 ``no_profile`` when the vessel has no
    profile, ``nothing_to_plan`` when neither boxes to load nor boxes on board are known."""
    from stowage.jobs import JOB_KIND
    from tos.core.services import solver_run_enqueue

    profile = VesselProfile.objects.filter(vessel_id=visit.vessel_id).first()
    if profile is None or not profile.layout.get("stacks"):
        raise ApplicationError(
            "no_profile",
            f"Vessel {visit.vessel.name} has no stowage profile: upload its arrival BAPLIE or "
            "enter the profile in admin first.",
            status=409,
        )
    has_boxes = (
        ListEntry.objects.filter(vessel_visit=visit, kind=ListKind.LOAD).exists()
        or PlanCell.objects.filter(plan__vessel_visit=visit, plan__kind=PlanKind.ARRIVAL)
        .exclude(move=CellMove.DISCHARGE)
        .exists()
    )
    if not has_boxes:
        raise ApplicationError(
            "nothing_to_plan",
            f"Visit {visit.reference} has no load list and no boxes staying on board.",
            status=409,
        )
    params: dict[str, Any] = {"visit_id": visit.pk, "time_limit": float(time_limit)}
    if rotation:
        params["rotation"] = list(rotation)
    return solver_run_enqueue(terminal=visit.terminal, kind=JOB_KIND, params=params, by=by)
