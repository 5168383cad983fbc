"""Properties of the combined risk score on generated evidence (hypothesis)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

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

T0 = datetime(2026, 11, 20, tzinfo=UTC)
minutes = st.integers(min_value=0, max_value=24 * 60).map(lambda m: T0 + timedelta(minutes=m))
cps = st.floats(min_value=0, max_value=5000, allow_nan=False)
percent = st.floats(min_value=0, max_value=100, allow_nan=False)
nuclides = st.sampled_from(["K40", "Ra226", "Th232", "Cs137", "Co60", "U235", "Am241", "X1"])

declarations = st.builds(
    Declaration,
    kind=st.sampled_from(["container", "bulk"]),
    commodity=st.sampled_from(["ceramic tiles", "potash", "machinery", "iron ore", "", "toys"]),
    hs_code=st.sampled_from(["690721", "310420", "847130", "260111", "9503", "", "12AB"]),
    declared_weight_kg=st.one_of(st.none(), st.floats(min_value=0, max_value=40_000)),
    measured_weight_kg=st.one_of(st.none(), st.floats(min_value=0, max_value=40_000)),
    declared_composition=st.dictionaries(st.sampled_from(["Fe", "SiO2", "moisture"]), percent),
    seal_number=st.sampled_from([None, "SL1", "SL2"]),
    origin=st.sampled_from(["", "CNNGB"]),
    consignee=st.sampled_from(["", "Baosteel"]),
)
radiation = st.builds(
    RadiationReading,
    at=minutes,
    sensor=st.just("RPM"),
    gross_cps=cps,
    background_cps=st.floats(min_value=0, max_value=500, allow_nan=False),
    gamma_spectrum=st.one_of(st.none(), st.dictionaries(nuclides, cps, max_size=4)),
    neutron_cps=st.one_of(st.none(), st.floats(min_value=0, max_value=50, allow_nan=False)),
    count_time_s=st.floats(min_value=0.1, max_value=10, allow_nan=False),
)
composition = st.builds(
    CompositionReading,
    at=minutes,
    window_start=minutes,
    window_end=minutes,
    tonnes=st.floats(min_value=0, max_value=20_000, allow_nan=False),
    values=st.dictionaries(st.sampled_from(["Fe", "SiO2", "moisture"]), percent),
)
detections = st.builds(
    Detection,
    at=minutes,
    frame=st.one_of(st.none(), st.integers(0, 20)),
    label=st.sampled_from(["weapon", "person", "plastic", "ore", "rock", "mystery"]),
    confidence=st.floats(min_value=0, max_value=1, allow_nan=False),
)
seal_events = st.builds(
    SealEvent,
    at=minutes,
    kind=st.sampled_from(["door_open", "door_close", "seal_broken", "seal_ok"]),
    seal_number=st.sampled_from([None, "SL1", "SL2"]),
)
histories = st.builds(
    PartyHistory,
    role=st.sampled_from(["shipper", "consignee", "line"]),
    name=st.just("P"),
    inspections=st.integers(0, 500),
    findings=st.integers(0, 500),
    seizures=st.integers(0, 50),
)
xrays = st.builds(
    XrayResult,
    at=minutes,
    anomaly=st.booleans(),
    score=st.floats(min_value=0, max_value=1, allow_nan=False),
)
windows = st.tuples(minutes, st.integers(0, 300)).map(
    lambda w: (w[0], w[0] + timedelta(minutes=w[1]))
)

evidences = st.builds(
    Evidence,
    declaration=declarations,
    radiation=st.lists(radiation, max_size=3),
    composition=st.lists(composition, max_size=3),
    detections=st.lists(detections, max_size=6),
    xray=st.lists(xrays, max_size=2),
    seal_events=st.lists(seal_events, max_size=4),
    history=st.lists(histories, max_size=3),
    scheduled_inspections=st.lists(windows, max_size=2),
    observed_seal_number=st.sampled_from([None, "SL1", "SL2"]),
)

LEVELS = {"low": 0, "medium": 1, "high": 2}


def alarms(evidence: Evidence) -> st.SearchStrategy[Evidence]:
    """Evidence with one more alarm: a Cs-137 pass, a weapon in two frames or a door opened
    after every scheduled window."""
    last = max([end for _, end in evidence.scheduled_inspections] + [T0 + timedelta(days=1)])
    return st.sampled_from(
        [
            dataclasses.replace(
                evidence,
                radiation=(
                    *evidence.radiation,
                    RadiationReading(T0, "RPM", 400, 100, {"Cs137": 300}),
                ),
            ),
            dataclasses.replace(
                evidence,
                detections=(
                    *evidence.detections,
                    Detection(T0, 101, "weapon", 0.95),
                    Detection(T0, 102, "weapon", 0.95),
                ),
            ),
            dataclasses.replace(
                evidence,
                seal_events=(
                    *evidence.seal_events,
                    SealEvent(last + timedelta(minutes=1), "door_open"),
                ),
            ),
        ]
    )


@settings(max_examples=300, deadline=None)
@given(evidences)
def test_the_score_is_always_between_0_and_100_and_matches_its_level(evidence):
    assessment = assess(evidence)
    assert 0 <= assessment.score <= 100
    assert all(0 <= r.score <= 100 for r in assessment.models)
    expected = (
        "high"
        if assessment.critical or assessment.score >= risk.DEFAULT.inspect_from
        else "medium"
        if assessment.score >= risk.DEFAULT.release_below
        else "low"
    )
    assert assessment.level == expected
    assert len(assessment.reasons) >= len(risk.MODELS)


@settings(max_examples=300, deadline=None)
@given(evidences.flatmap(lambda e: st.tuples(st.just(e), alarms(e))))
def test_adding_an_alarm_never_lowers_the_score(pair):
    before, after = (assess(e) for e in pair)
    assert after.score >= before.score
    assert LEVELS[after.level] >= LEVELS[before.level]
    assert after.level == "high"


@settings(max_examples=200, deadline=None)
@given(evidences)
def test_the_triggered_models_reasons_always_come_first(evidence):
    assessment = assess(evidence)
    fired = [r for r in assessment.models if r.triggered]
    head = [text for r in sorted(fired, key=lambda r: -r.score) for text in r.reasons]
    assert sorted(assessment.reasons[: len(head)]) == sorted(head)


wild = st.floats(allow_nan=True, allow_infinity=True)
wild_evidences = st.builds(
    Evidence,
    declaration=st.builds(
        Declaration,
        kind=st.sampled_from(["container", "bulk"]),
        commodity=st.text(max_size=20),
        hs_code=st.text(max_size=12),
        declared_weight_kg=st.one_of(st.none(), wild),
        measured_weight_kg=st.one_of(st.none(), wild),
        declared_composition=st.dictionaries(st.sampled_from(["Fe", "SiO2", "X"]), wild),
        seal_number=st.one_of(st.none(), st.text(max_size=8)),
    ),
    radiation=st.lists(
        st.builds(
            RadiationReading,
            at=minutes,
            sensor=st.text(max_size=5),
            gross_cps=wild,
            background_cps=wild,
            gamma_spectrum=st.one_of(st.none(), st.dictionaries(st.text(max_size=6), wild)),
            neutron_cps=st.one_of(st.none(), wild),
            neutron_background_cps=st.one_of(st.none(), wild),
            count_time_s=wild,
        ),
        max_size=3,
    ),
    composition=st.lists(
        st.builds(
            CompositionReading,
            at=minutes,
            window_start=minutes,
            window_end=minutes,
            tonnes=wild,
            values=st.dictionaries(st.sampled_from(["Fe", "SiO2", "X"]), wild),
        ),
        max_size=3,
    ),
    detections=st.lists(
        st.builds(
            Detection, at=minutes, frame=st.integers(), label=st.text(max_size=10), confidence=wild
        ),
        max_size=4,
    ),
    xray=st.lists(st.builds(XrayResult, at=minutes, anomaly=st.booleans(), score=wild), max_size=2),
    history=st.lists(
        st.builds(
            PartyHistory,
            role=st.sampled_from(["shipper", "consignee", "line"]),
            name=st.text(max_size=5),
            inspections=st.integers(-5, 10**6),
            findings=st.integers(-5, 10**6),
            seizures=st.integers(-5, 10**4),
        ),
        max_size=3,
    ),
)


@settings(max_examples=300, deadline=None)
@given(wild_evidences)
def test_any_numbers_give_a_score_and_strict_json_never_an_exception(evidence):
    assessment = assess(evidence)
    assert 0 <= assessment.score <= 100
    json.dumps(assessment.as_dict(), allow_nan=False)
