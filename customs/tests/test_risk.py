"""Customs risk models on crafted readings: each model's trigger and non-trigger, NORM handling,
the smart-container door rule, the combination and auto-release."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from customs import risk
from customs.risk import (
    CompositionReading,
    Declaration,
    Detection,
    Evidence,
    PartyHistory,
    RadiationReading,
    SealEvent,
    XrayResult,
    assess,
)

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def declaration(**changes) -> Declaration:
    base = Declaration(
        kind="container",
        commodity="ceramic floor tiles",
        hs_code="690721",
        declared_weight_kg=24000,
        measured_weight_kg=24300,
        seal_number="SL123456",
        origin="CNNGB",
        lodged_at=T0 - timedelta(days=2),
        shipper="Foshan Tiles Co",
        consignee="Rotterdam Bouw BV",
        line="MSC",
    )
    return dataclasses.replace(base, **changes)


def ore_declaration(**changes) -> Declaration:
    base = Declaration(
        kind="bulk",
        commodity="iron ore fines",
        hs_code="260111",
        declared_weight_kg=30_000_000,
        measured_weight_kg=30_100_000,
        declared_composition={"Fe": 62.0, "SiO2": 4.5, "moisture": 9.0},
        origin="AUPHE",
        consignee="Baosteel Zhanjiang",
    )
    return dataclasses.replace(base, **changes)


def rpm(gross: float, background: float = 180.0, spectrum=None, **kw) -> RadiationReading:
    return RadiationReading(at(0), "RPM-1", gross, background, spectrum, **kw)


def belt(minute: int, tonnes: float, **values: float) -> CompositionReading:
    return CompositionReading(at(minute + 10), at(minute), at(minute + 10), tonnes, values)


# --- declaration consistency ---------------------------------------------------------------


def test_a_consistent_declaration_does_not_trigger():
    result = risk.model_declaration_consistency(Evidence(declaration()))
    assert (result.score, result.triggered) == (0, False)
    assert result.reasons == (
        "Declaration: weight, HS code, seal and required fields are consistent.",
    )


def test_a_weight_within_five_percent_of_the_vgm_does_not_trigger():
    result = risk.model_declaration_consistency(Evidence(declaration(measured_weight_kg=25_150)))
    assert result.triggered is False
    assert result.data["weight_tolerance_kg"] == 1200


def test_a_vgm_heavier_than_declared_beyond_tolerance_triggers_with_the_numbers():
    result = risk.model_declaration_consistency(Evidence(declaration(measured_weight_kg=26_000)))
    assert (result.score, result.triggered) == (50, True)
    assert result.reasons == (
        "Declaration: measured weight 26,000 kg differs from the declared 24,000 kg by "
        "2,000 kg (8.3%, tolerance 1,200 kg).",
    )


def test_the_weight_tolerance_is_at_least_500_kg_for_light_boxes():
    light = declaration(declared_weight_kg=4000, measured_weight_kg=4450)
    assert risk.model_declaration_consistency(Evidence(light)).triggered is False


def test_an_hs_code_of_another_chapter_than_the_commodity_triggers():
    result = risk.model_declaration_consistency(Evidence(declaration(hs_code="0306.17")))
    assert (result.score, result.triggered) == (50, True)
    assert result.reasons == (
        "Declaration: HS code 030617 is chapter 03 (fish and seafood) but the commodity is "
        "declared as 'ceramic floor tiles'.",
    )


def test_an_hs_code_of_an_unlisted_chapter_is_not_judged():
    result = risk.model_declaration_consistency(Evidence(declaration(hs_code="910211")))
    assert result.triggered is False


def test_a_malformed_hs_code_triggers():
    result = risk.model_declaration_consistency(Evidence(declaration(hs_code="69A7")))
    assert result.triggered is True
    assert result.reasons == ("Declaration: HS code '69A7' is not 4 to 10 digits.",)


def test_a_seal_read_at_the_gate_that_differs_from_the_declared_seal_triggers():
    result = risk.model_declaration_consistency(
        Evidence(declaration(), observed_seal_number="SL999999")
    )
    assert (result.score, result.triggered) == (70, True)
    assert result.reasons == (
        "Declaration: seal SL999999 read at the gate is not the declared seal SL123456.",
    )


def test_the_same_seal_written_differently_is_not_a_mismatch():
    result = risk.model_declaration_consistency(
        Evidence(declaration(), observed_seal_number="sl-123 456")
    )
    assert result.triggered is False


def test_missing_fields_are_named_and_each_adds_risk():
    result = risk.model_declaration_consistency(
        Evidence(declaration(consignee="", seal_number=None))
    )
    assert (result.score, result.triggered) == (36, True)
    assert result.data["missing"] == ["consignee", "seal_number"]
    assert result.reasons == ("Declaration: the declaration lacks consignee, seal_number.",)


# --- radiation -----------------------------------------------------------------------------


def test_no_radiation_reading_is_quiet():
    result = risk.model_radiation(Evidence(declaration()))
    assert (result.score, result.triggered, result.critical) == (0, False, False)


def test_counts_below_the_sigma_alarm_level_do_not_trigger():
    result = risk.model_radiation(Evidence(declaration(commodity="machinery"), [rpm(200)]))
    assert (result.score, result.triggered) == (11, False)
    assert result.data["passes"][0]["sigma"] == 1.49


def test_ceramics_with_high_k40_are_norm_and_do_not_alarm():
    reading = rpm(400, spectrum={"K-40": 150, "Th232": 50, "Ra226": 20})
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert (result.score, result.triggered, result.critical) == (10, False, False)
    assert result.reasons == (
        "Radiation: RPM-1 at 2026-11-20 08:00 measured 400 cps against 180 cps background "
        "(net 220 cps, 16.4σ; alarm level 5σ), but the spectrum is natural (K40 68%, "
        "Th232 23%, Ra226 9%) as expected of the declared 'ceramic floor tiles' (NORM, no "
        "alarm).",
    )
    assert assess(Evidence(declaration(), [reading])).decision == "release"


@pytest.mark.parametrize(
    ("commodity", "spectrum"),
    [
        ("potash fertiliser", {"K40": 300}),
        ("bananas", {"K40": 90, "Th232": 2}),
        ("granite slabs", {"K40": 100, "Th232": 80, "Ra226": 60}),
        ("zircon sand", {"Th232": 200, "Ra226": 150}),
        ("bentonite cat litter", {"K40": 120, "Ra226": 40}),
    ],
)
def test_norm_cargoes_explained_by_their_commodity_do_not_alarm(commodity, spectrum):
    result = risk.model_radiation(
        Evidence(declaration(commodity=commodity), [rpm(500, 180, spectrum)])
    )
    assert (result.triggered, result.critical) == (False, False)


def test_cs137_in_ceramics_is_a_critical_alarm():
    reading = rpm(400, spectrum={"K40": 120, "Th232": 40, "Cs-137": 60})
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert (result.score, result.triggered, result.critical) == (95, True, True)
    assert result.data["passes"][0]["artificial"] == ["Cs137"]
    assessment = assess(Evidence(declaration(), [reading]))
    assert (assessment.level, assessment.decision, assessment.critical) == (
        "high",
        "inspect",
        True,
    )
    assert assessment.score == 95


def test_an_artificial_isotope_alarms_even_below_the_gross_alarm_level():
    reading = rpm(230, spectrum={"K40": 5, "Cs137": 45})
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert result.data["passes"][0]["sigma"] == 3.73
    assert (result.triggered, result.critical) == (True, True)


def test_a_weak_artificial_line_asks_for_a_longer_count_without_a_critical_alarm():
    reading = rpm(400, spectrum={"K40": 150, "Th232": 50, "Cs137": 30})
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert (result.score, result.triggered, result.critical) == (50, True, False)
    assert result.data["passes"][0]["possible_artificial"] == ["Cs137"]


def test_a_longer_count_makes_the_same_weak_line_significant():
    reading = rpm(400, spectrum={"K40": 150, "Th232": 50, "Cs137": 30}, count_time_s=4.0)
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert (result.score, result.critical) == (95, True)


def test_norm_the_commodity_does_not_explain_triggers_without_being_critical():
    reading = rpm(400, spectrum={"K40": 60, "Th232": 160})
    result = risk.model_radiation(Evidence(declaration(commodity="bananas"), [reading]))
    assert (result.score, result.triggered, result.critical) == (55, True, False)
    assert result.data["passes"][0]["unexplained"] == ["Th232"]


def test_a_gross_alarm_without_spectrum_on_a_norm_cargo_is_medium():
    result = risk.model_radiation(Evidence(declaration(commodity="potash fertilizer"), [rpm(400)]))
    assert (result.score, result.triggered, result.critical) == (45, True, False)


def test_a_gross_alarm_without_spectrum_on_other_cargo_is_high():
    result = risk.model_radiation(Evidence(declaration(commodity="machinery"), [rpm(400)]))
    assert (result.score, result.triggered, result.critical) == (70, True, False)


def test_unidentified_lines_trigger():
    reading = rpm(400, spectrum={"K40": 100, "peak_662keV": 100})
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert (result.score, result.triggered) == (70, True)
    assert result.data["passes"][0]["unidentified"] == ["peak_662keV"]


def test_neutrons_over_background_are_critical_even_in_norm_cargo():
    reading = rpm(400, spectrum={"K40": 220}, neutron_cps=20.0)
    result = risk.model_radiation(Evidence(declaration(commodity="potash"), [reading]))
    assert (result.score, result.triggered, result.critical) == (95, True, True)
    assert result.data["passes"][0]["neutron_sigma"] == 9.81


def test_neutron_counts_at_background_do_not_trigger():
    reading = rpm(190, neutron_cps=4.0)
    result = risk.model_radiation(Evidence(declaration(), [reading]))
    assert result.triggered is False


def test_the_worst_pass_decides_and_repeated_alarms_are_counted():
    passes = [rpm(190), rpm(400), rpm(410)]
    result = risk.model_radiation(Evidence(declaration(commodity="machinery"), passes))
    assert (result.score, result.data["alarms"]) == (70, 2)
    assert result.reasons[-1] == "Radiation: 2 of 3 passes alarmed."


def test_nuclide_names_are_normalised():
    assert [risk.nuclide(n) for n in ("k-40", "Cs-137", "RA226", "co_60", "X-1")] == [
        "K40",
        "Cs137",
        "Ra226",
        "Co60",
        "X-1",
    ]


# --- composition deviation -----------------------------------------------------------------


def test_ore_within_the_declared_composition_does_not_trigger():
    windows = [
        belt(0, 10_000, Fe=61.5, SiO2=4.9, moisture=8.7),
        belt(10, 10_000, Fe=62.3, SiO2=4.4, moisture=9.4),
        belt(20, 10_000, Fe=62.1, SiO2=4.2, moisture=9.1),
    ]
    result = risk.model_composition_deviation(Evidence(ore_declaration(), composition=windows))
    assert result.triggered is False
    assert result.reasons == (
        "Composition: Fe, SiO2, moisture within tolerance over 3 windows (30,000 t).",
    )


def test_ore_poorer_than_declared_triggers_with_the_tonnage_weighted_mean():
    windows = [belt(0, 10_000, Fe=58.0), belt(10, 10_000, Fe=58.5), belt(20, 10_000, Fe=59.0)]
    result = risk.model_composition_deviation(Evidence(ore_declaration(), composition=windows))
    assert (result.score, result.triggered) == (55, True)
    assert result.reasons == (
        "Composition: Fe averages 58.5% over 30,000 t against 62% declared (-3.5 points, "
        "tolerance ±2).",
    )


def test_the_lot_mean_is_weighted_by_tonnes():
    windows = [belt(0, 1_000, Fe=60.0), belt(10, 3_000, Fe=62.0)]
    result = risk.model_composition_deviation(Evidence(ore_declaration(), composition=windows))
    assert result.data["elements"]["Fe"]["measured"] == 61.5


def test_one_window_far_off_triggers_although_the_lot_mean_is_within_tolerance():
    windows = [
        belt(0, 10_000, Fe=62.0),
        belt(10, 10_000, Fe=62.0),
        belt(20, 10_000, Fe=62.0),
        belt(40, 2_000, Fe=56.0),
    ]
    result = risk.model_composition_deviation(Evidence(ore_declaration(), composition=windows))
    assert result.data["elements"]["Fe"]["measured"] == 61.625
    assert (result.score, result.triggered) == (55, True)
    assert result.reasons == (
        "Composition: Fe reads 56% in the window 08:40-08:50 (2,000 t) against 62% declared, "
        "more than 2× the tolerance ±2.",
    )


def test_no_declared_composition_is_not_compared_but_reported_as_missing():
    windows = [belt(0, 10_000, Fe=50.0)]
    evidence = Evidence(ore_declaration(declared_composition={}), composition=windows)
    assert risk.model_composition_deviation(evidence).triggered is False
    consistency = risk.model_declaration_consistency(evidence)
    assert consistency.data["missing"] == ["declared_composition"]


# --- foreign objects -----------------------------------------------------------------------


def det(frame, label: str, confidence: float) -> Detection:
    return Detection(at(0), frame, label, confidence)


def test_a_weapon_seen_in_two_frames_is_critical():
    result = risk.model_foreign_objects(
        Evidence(declaration(), detections=[det(1, "Weapon", 0.7), det(2, "weapon", 0.8)])
    )
    assert (result.score, result.triggered, result.critical) == (94, True, True)
    assert result.reasons == (
        "Foreign objects: weapon seen in 2 frames (best confidence 0.8, combined 0.94, class "
        "severity 100).",
    )


def test_a_single_frame_weapon_below_the_single_frame_confidence_does_not_trigger():
    result = risk.model_foreign_objects(Evidence(declaration(), detections=[det(1, "weapon", 0.7)]))
    assert (result.score, result.triggered, result.critical) == (0, False, False)


def test_the_same_frame_seen_twice_counts_once():
    result = risk.model_foreign_objects(
        Evidence(declaration(), detections=[det(7, "person", 0.8), det(7, "person", 0.85)])
    )
    assert result.triggered is False
    assert result.data["labels"]["person"] == {"frames": 1, "max_confidence": 0.85}


def test_benign_classes_and_low_confidence_are_ignored():
    detections = [det(i, "ore", 0.99) for i in range(10)] + [
        det(i, "explosive", 0.3) for i in range(10)
    ]
    result = risk.model_foreign_objects(Evidence(ore_declaration(), detections=detections))
    assert (result.triggered, result.data["labels"]) == (False, {})


def test_plastic_waste_on_the_ore_belt_triggers_without_being_critical():
    detections = [det(f, "plastic", 0.8) for f in (10, 11, 12)]
    result = risk.model_foreign_objects(Evidence(ore_declaration(), detections=detections))
    assert (result.score, result.triggered, result.critical) == (50, True, False)


def test_a_low_severity_class_below_the_trigger_score_does_not_trigger():
    detections = [det(1, "rock", 0.7), det(2, "rock", 0.7)]
    result = risk.model_foreign_objects(Evidence(ore_declaration(), detections=detections))
    assert (result.score, result.triggered) == (32, False)


def test_a_still_image_with_a_confident_detection_counts():
    result = risk.model_foreign_objects(
        Evidence(declaration(), detections=[det(None, "wood", 0.95)])
    )
    assert (result.score, result.triggered) == (43, True)


# --- seal and door -------------------------------------------------------------------------

WINDOW = (at(120), at(240))


def test_a_door_opened_inside_the_scheduled_inspection_window_is_no_alarm():
    events = [SealEvent(at(150), "door_open", "SL123456"), SealEvent(at(200), "door_close")]
    result = risk.model_seal_door(
        Evidence(declaration(), seal_events=events, scheduled_inspections=[WINDOW])
    )
    assert (result.score, result.triggered) == (0, False)
    assert result.reasons == (
        "Seal and door: 2 events, no unexpected opening, 1 inside scheduled inspection windows.",
    )


def test_a_door_opened_outside_the_scheduled_window_raises_an_alarm():
    events = [SealEvent(at(360), "door_open", sensor="SC-77")]
    evidence = Evidence(declaration(), seal_events=events, scheduled_inspections=[WINDOW])
    result = risk.model_seal_door(evidence)
    assert (result.score, result.triggered) == (85, True)
    assert result.reasons == (
        "Seal and door: door opened at 2026-11-20 14:00 (SC-77) outside the 1 scheduled "
        "inspection window.",
    )
    assessment = assess(evidence)
    assert (assessment.score, assessment.level, assessment.decision) == (85, "high", "inspect")


def test_the_window_bounds_are_inclusive():
    events = [SealEvent(at(120), "door_open"), SealEvent(at(240), "seal_broken")]
    result = risk.model_seal_door(
        Evidence(declaration(), seal_events=events, scheduled_inspections=[WINDOW])
    )
    assert result.triggered is False


def test_a_door_opened_with_no_inspection_scheduled_raises_an_alarm():
    result = risk.model_seal_door(
        Evidence(declaration(), seal_events=[SealEvent(at(5), "door_open")])
    )
    assert result.reasons == (
        "Seal and door: door opened at 2026-11-20 08:05 with no inspection scheduled.",
    )


def test_a_broken_seal_and_a_wrong_e_seal_number_combine():
    events = [SealEvent(at(30), "seal_ok", "SL000001"), SealEvent(at(60), "seal_broken")]
    result = risk.model_seal_door(Evidence(declaration(), seal_events=events))
    assert (result.score, result.triggered) == (94, True)
    assert result.reasons == (
        "Seal and door: seal broken at 2026-11-20 09:00 with no inspection scheduled.",
        "Seal and door: e-seal reported number SL000001 at 2026-11-20 08:30, declared SL123456.",
    )


# --- history -------------------------------------------------------------------------------


def test_one_inspection_with_a_finding_does_not_dominate():
    result = risk.model_history(
        Evidence(declaration(), history=[PartyHistory("shipper", "New Co", 1, 1)])
    )
    assert result.triggered is False
    assert result.data["parties"][0]["rate"] == 0.0667


def test_a_shipper_with_many_findings_triggers_but_alone_only_asks_for_review():
    history = [
        PartyHistory("shipper", "Shady Export", 40, 12),
        PartyHistory("line", "MSC", 5000, 60),
    ]
    evidence = Evidence(declaration(), history=history)
    result = risk.model_history(evidence)
    assert (result.score, result.triggered) == (56, True)
    assert result.reasons == (
        "History: shipper 'Shady Export': 12 finding(s) and 0 seizure(s) in 40 inspection(s), "
        "smoothed rate 20.7% (trigger 10%).",
    )
    assessment = assess(evidence)
    assert (assessment.score, assessment.level, assessment.decision) == (34, "medium", "review")


def test_seizures_weigh_more_than_findings():
    plain = PartyHistory("consignee", "A", 10, 1)
    seized = PartyHistory("consignee", "A", 10, 1, seizures=1)
    assert risk.history_rate(plain) == pytest.approx(1.4 / 30)
    assert risk.history_rate(seized) == pytest.approx(3.4 / 30)
    assert risk.model_history(Evidence(declaration(), history=[seized])).score == 42


# --- x-ray ---------------------------------------------------------------------------------


def test_a_clean_xray_does_not_trigger():
    result = risk.model_xray(Evidence(declaration(), xray=[XrayResult(at(0), False, 0.3)]))
    assert (result.score, result.triggered) == (24, False)


def test_an_xray_anomaly_triggers_with_its_findings():
    scan = XrayResult(at(0), True, 0.8, ("dense organic mass behind the front wall",))
    result = risk.model_xray(Evidence(declaration(), xray=[scan]))
    assert (result.score, result.triggered) == (76, True)
    assert result.reasons == (
        "X-ray: scan at 2026-11-20 08:00 flagged an anomaly (score 0.8): dense organic mass "
        "behind the front wall.",
    )


# --- combination ---------------------------------------------------------------------------


def test_all_models_quiet_auto_releases():
    evidence = Evidence(
        declaration(),
        radiation=[rpm(400, spectrum={"K40": 200, "Th232": 20})],
        detections=[det(1, "carton", 0.9)],
        xray=[XrayResult(at(0), False, 0.1)],
        seal_events=[SealEvent(at(130), "door_open")],
        history=[PartyHistory("shipper", "Foshan Tiles Co", 30, 0)],
        scheduled_inspections=[WINDOW],
    )
    assessment = assess(evidence)
    assert (assessment.score, assessment.level, assessment.decision) == (0, "low", "release")
    assert assessment.triggered == ()
    assert [r.model for r in assessment.models] == list(risk.MODELS)
    assert len(risk.MODELS) == 7


def test_the_triggered_models_reasons_come_first_highest_score_first():
    evidence = Evidence(
        declaration(hs_code="030617"),
        seal_events=[SealEvent(at(360), "door_open")],
        scheduled_inspections=[WINDOW],
    )
    assessment = assess(evidence)
    assert assessment.triggered == ("seal_door", "declaration_consistency")
    assert assessment.score == 93
    assert assessment.reasons[0].startswith("Seal and door: door opened at 2026-11-20 14:00")
    assert assessment.reasons[1].startswith("Declaration: HS code 030617 is chapter 03")
    assert assessment.reasons[2:] == (
        "Radiation: no portal monitor reading yet.",
        "Composition: no spectrometer reading.",
        "Foreign objects: image recognition reported nothing.",
        "History: no record of the parties.",
        "X-ray: not scanned.",
    )


def test_two_medium_signals_together_go_to_inspection():
    evidence = Evidence(declaration(hs_code="030617", consignee=""))
    assessment = assess(evidence)
    assert assessment.model("declaration_consistency").score == 60
    assert (assessment.level, assessment.decision) == ("high", "inspect")
    alone = assess(Evidence(declaration(hs_code="030617")))
    assert (alone.score, alone.level, alone.decision) == (50, "medium", "review")


def test_a_critical_alarm_is_lifted_to_the_critical_floor():
    config = dataclasses.replace(risk.DEFAULT, critical_floor=99)
    evidence = Evidence(declaration(), detections=[det(1, "person", 0.65), det(2, "person", 0.65)])
    assessment = assess(evidence, config)
    assert assessment.model("foreign_objects").score == 88
    assert (assessment.score, assessment.critical, assessment.decision) == (99, True, "inspect")


def test_the_thresholds_come_from_the_config():
    evidence = Evidence(declaration(hs_code="030617"))
    strict = dataclasses.replace(risk.DEFAULT, inspect_from=50)
    assert assess(evidence, strict).decision == "inspect"
    lenient = dataclasses.replace(risk.DEFAULT, release_below=51)
    assert assess(evidence, lenient).decision == "release"


def test_the_assessment_serialises_to_json():
    evidence = Evidence(
        declaration(),
        radiation=[rpm(400, spectrum={"K40": 120, "Cs137": 60})],
        composition=[belt(0, 100, Fe=1.0)],
    )
    payload = json.loads(json.dumps(assess(evidence).as_dict()))
    assert payload["level"] == "high"
    assert payload["models"][1]["data"]["passes"][0]["at"] == "2026-11-20T08:00:00+00:00"
    assert payload["models"][1]["critical"] is True


def test_evidence_accepts_lists_and_stores_tuples():
    evidence = Evidence(declaration(), seal_events=[], scheduled_inspections=[[at(0), at(1)]])
    assert evidence.seal_events == ()
    assert evidence.scheduled_inspections == ((at(0), at(1)),)


# --- robustness ----------------------------------------------------------------------------


def test_readings_with_invalid_numbers_are_ignored_and_said_so():
    nan, inf = float("nan"), float("inf")
    evidence = Evidence(
        declaration(measured_weight_kg=inf),
        radiation=[rpm(nan), rpm(400, spectrum={"K40": inf})],
        detections=[det(1, "weapon", nan), det(2, "weapon", nan)],
        xray=[XrayResult(at(0), True, nan)],
    )
    assessment = assess(evidence)
    radiation = assessment.model("radiation")
    assert (radiation.triggered, radiation.data["invalid"]) == (False, 2)
    assert radiation.reasons == (
        "Radiation: no portal monitor reading yet.",
        "Radiation: 2 readings with invalid numbers ignored.",
    )
    assert assessment.model("foreign_objects").reasons[-1] == (
        "Foreign objects: 2 detections with invalid numbers ignored."
    )
    assert assessment.model("declaration_consistency").triggered is False
    xray = assessment.model("xray")
    assert (xray.score, xray.triggered, xray.data["invalid"]) == (40, True, 1)
    json.dumps(assessment.as_dict(), allow_nan=False)


def test_a_wrong_seal_reported_by_the_e_seal_counts_once():
    evidence = Evidence(
        declaration(),
        seal_events=[SealEvent(at(30), "seal_ok", "SL999999")],
        observed_seal_number="SL999999",
    )
    assessment = assess(evidence)
    assert assessment.model("declaration_consistency").triggered is False
    assert assessment.model("seal_door").score == 70
    assert assessment.score == 70


def test_a_class_below_the_trigger_score_says_so():
    detections = [det(1, "rock", 0.7), det(2, "rock", 0.7)]
    result = risk.model_foreign_objects(Evidence(ore_declaration(), detections=detections))
    assert result.reasons == (
        "Foreign objects: rock seen in 2 frames (best confidence 0.7, combined 0.91, class "
        "severity 35), below the trigger score 40.",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"release_below": 70}, "release_below and inspect_from"),
        ({"trigger_score": 0}, "trigger_score"),
        ({"gamma_alarm_sigma": 0}, "gamma_alarm_sigma"),
        ({"weights": {"radiation": 1.5}}, "weights['radiation']"),
        ({"history_prior_rate": 2}, "history_prior_rate/strength"),
    ],
)
def test_a_configuration_the_models_cannot_use_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=f"^{re.escape(field)}:"):
        dataclasses.replace(risk.DEFAULT, **changes)


def test_naive_and_aware_times_are_compared_as_utc():
    naive_window = (datetime(2026, 11, 20, 10, 0), datetime(2026, 11, 20, 12, 0))
    events = [SealEvent(at(150), "door_open"), SealEvent(datetime(2026, 11, 20, 9, 0), "seal_ok")]
    result = risk.model_seal_door(
        Evidence(declaration(), seal_events=events, scheduled_inspections=[naive_window])
    )
    assert (result.triggered, result.data["expected_openings"]) == (False, 1)
