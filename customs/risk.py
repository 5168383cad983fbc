"""Explainable customs risk models and the one score that decides release or inspection.

Pure Python (no Django): the customs services build an :class:`Evidence` from their rows, call
:func:`assess` and store the :class:`Assessment` (``Assessment.as_dict()`` is JSON-ready).

What the sensors measure and how the decision is taken comes from the two seeds in
``shared/seeds/``:

* The Zhanjiang customs article (iron ore at Baosteel's terminal): a near-infrared spectrometer
  scans the ore's composition on the unloading conveyor, a high-speed image recognition system
  catches foreign objects mixed into the ore, a channel-type radioactivity monitor watches the
  ore in real time, and "six types of big data algorithm models" analyse the data so that
  officers decide remotely (solid waste, foreign inclusions, radioactivity, logistics) while
  unloading goes on.  Hence one model per sensor, six at least, each readable on its own, and
  per time window for bulk lots (a window is a stretch of belt).
* The Ningbo-Zhoushan smart-port study: "Smart containers are used to detect unexpected
  container openings, confirm the expected opening time through programming, and check whether
  the opening time is consistent with the scheduled inspection time. If not, [...] send an
  alarm".  Hence :func:`model_seal_door` compares door openings with the scheduled windows.

Every model returns a :class:`ModelResult` whose ``score`` (0-100) is that model's own estimate
of risk and whose ``reasons`` are sentences an officer can read, with the numbers that led to
them.  **Combination rule** (:func:`combine`): only triggered models count; the combined
probability is a weighted noisy-OR ``1 - prod(1 - w_m * score_m / 100)`` over them, so two
independent medium signals make a high one and no model can lower another.  A *critical* alarm
(artificial isotope or neutrons, a weapon, explosive or person in the cargo) lifts the score to
at least ``RiskConfig.critical_floor``.  Below ``release_below`` the lot is released
automatically; at ``inspect_from`` or above, or on any critical alarm, it goes to the inspection
queue ranked by score; in between an officer reviews the documents.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal

Level = Literal["low", "medium", "high"]
Decision = Literal["release", "review", "inspect"]

MODELS: tuple[str, ...] = (
    "declaration_consistency",
    "radiation",
    "composition_deviation",
    "foreign_objects",
    "seal_door",
    "history",
    "xray",
)
"""The models :func:`assess` runs, in the order their results are listed."""

MODEL_TITLES: Mapping[str, str] = MappingProxyType(
    {
        "declaration_consistency": "Declaration",
        "radiation": "Radiation",
        "composition_deviation": "Composition",
        "foreign_objects": "Foreign objects",
        "seal_door": "Seal and door",
        "history": "History",
        "xray": "X-ray",
    }
)

# ---------------------------------------------------------------------------------------------
# Readings and evidence
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RadiationReading:
    """One pass through a radiation portal monitor (RPM).

    ``gross_cps`` and ``background_cps`` are gamma counts per second while the load passes and
    with the lane empty; ``count_time_s`` is how long the counts were integrated.
    ``gamma_spectrum`` (spectroscopic monitors only) gives the net counts per second the
    monitor attributes to each nuclide, keys such as ``"K40"``, ``"Ra-226"``, ``"Cs137"``.
    ``neutron_cps`` is the neutron channel, compared with ``neutron_background_cps`` (or the
    configured default when the monitor does not report it).
    """

    at: datetime
    sensor: str
    gross_cps: float
    background_cps: float
    gamma_spectrum: Mapping[str, float] | None = None
    neutron_cps: float | None = None
    neutron_background_cps: float | None = None
    count_time_s: float = 1.0


@dataclass(frozen=True)
class CompositionReading:
    """A near-infrared scan of the bulk cargo on the conveyor over one time window.

    ``values`` are mass percentages, e.g. ``{"Fe": 62.1, "SiO2": 4.3, "moisture": 8.9}``;
    ``tonnes`` is what the belt scale weighed in the window (the reading's weight).
    """

    at: datetime
    window_start: datetime
    window_end: datetime
    tonnes: float
    values: Mapping[str, float]


@dataclass(frozen=True)
class Detection:
    """An image recognition detection: a class label with its confidence (0-1).

    ``frame`` identifies the video frame (bulk conveyor camera) or image; detections of the same
    label in several frames support each other. ``None`` means a single still image.
    """

    at: datetime
    frame: int | str | None
    label: str
    confidence: float


@dataclass(frozen=True)
class XrayResult:
    """A non-intrusive inspection (X-ray/NII) scan analysed by the scanner's software."""

    at: datetime
    anomaly: bool
    score: float
    findings: tuple[str, ...] = ()


SealEventKind = Literal["door_open", "door_close", "seal_broken", "seal_ok"]


@dataclass(frozen=True)
class SealEvent:
    """What a smart container or electronic seal reported."""

    at: datetime
    kind: SealEventKind
    seal_number: str | None = None
    sensor: str = ""


@dataclass(frozen=True)
class Declaration:
    """The customs declaration for one container or one bulk lot.

    ``kind`` is ``"container"`` or ``"bulk"``; ``declared_weight_kg`` is the declared gross
    mass, ``measured_weight_kg`` the verified gross mass (VGM) or the belt-scale total;
    ``declared_composition`` gives mass percentages for bulk cargo.
    """

    kind: Literal["container", "bulk"]
    commodity: str
    hs_code: str
    declared_weight_kg: float | None = None
    measured_weight_kg: float | None = None
    declared_composition: Mapping[str, float] = field(default_factory=dict)
    seal_number: str | None = None
    origin: str = ""
    lodged_at: datetime | None = None
    shipper: str = ""
    consignee: str = ""
    line: str = ""
    reference: str = ""


@dataclass(frozen=True)
class PartyHistory:
    """Past customs inspections of one party (``role`` shipper, consignee or line)."""

    role: Literal["shipper", "consignee", "line"]
    name: str
    inspections: int
    findings: int
    seizures: int = 0


@dataclass(frozen=True)
class Evidence:
    """Everything known about one container or bulk lot when it is assessed.

    Sequences may be passed as lists; they are stored as tuples.
    ``scheduled_inspections`` are ``(start, end)`` windows (inclusive) in which customs or the
    terminal planned to open the container. ``observed_seal_number`` is the seal read at the
    gate or by the quay crane camera. Times may be timezone-aware or naive; naive ones are taken
    as UTC when compared.
    """

    declaration: Declaration
    radiation: tuple[RadiationReading, ...] = ()
    composition: tuple[CompositionReading, ...] = ()
    detections: tuple[Detection, ...] = ()
    xray: tuple[XrayResult, ...] = ()
    seal_events: tuple[SealEvent, ...] = ()
    history: tuple[PartyHistory, ...] = ()
    scheduled_inspections: tuple[tuple[datetime, datetime], ...] = ()
    observed_seal_number: str | None = None
    subject: str = ""

    def __post_init__(self) -> None:
        for name in (
            "radiation",
            "composition",
            "detections",
            "xray",
            "seal_events",
            "history",
        ):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(
            self,
            "scheduled_inspections",
            tuple((start, end) for start, end in self.scheduled_inspections),
        )


# ---------------------------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------------------------


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


DEFAULT_WEIGHTS = _frozen(
    {
        "declaration_consistency": 1.0,
        "radiation": 1.0,
        "composition_deviation": 1.0,
        "foreign_objects": 1.0,
        "seal_door": 1.0,
        "history": 0.6,
        "xray": 1.0,
    }
)
"""How much each model's score counts in the noisy-OR. History alone never reaches 'high'."""

DEFAULT_COMPOSITION_TOLERANCES = _frozen(
    {"Fe": 2.0, "SiO2": 1.5, "Al2O3": 1.0, "P": 0.03, "S": 0.05, "moisture": 2.0, "ash": 2.0}
)
"""Allowed absolute deviation, in percentage points, of the lot mean from the declaration."""

DEFAULT_OBJECT_CLASSES = _frozen(
    {
        # label: (severity 0-100, critical)
        "weapon": (100, True),
        "firearm": (100, True),
        "explosive": (100, True),
        "ammunition": (100, True),
        "person": (100, True),
        "drugs": (90, False),
        "narcotics": (90, False),
        "wildlife": (80, False),
        "radioactive_sign": (80, False),
        "hazmat_label": (60, False),
        "medical_waste": (80, False),
        "solid_waste": (70, False),
        "garbage": (70, False),
        "scrap_metal": (60, False),
        "metal_debris": (60, False),
        "tyre": (60, False),
        "plastic": (50, False),
        "wood": (45, False),
        "rubber": (45, False),
        "cable": (45, False),
        "textile": (40, False),
        "rock": (35, False),
    }
)
"""Labels that matter and how much. Labels in ``benign_labels`` are ignored; any other label
counts with ``unknown_object_severity``."""

DEFAULT_BENIGN_LABELS = frozenset(
    {
        "ore",
        "iron_ore",
        "coal",
        "conveyor",
        "belt",
        "shadow",
        "water",
        "dust",
        "bird",
        "worker",
        "lashing",
        "pallet",
        "carton",
        "container_wall",
    }
)


@dataclass(frozen=True)
class RiskConfig:
    """Thresholds of every model and of the decision. ``DEFAULT`` is the configured port's."""

    release_below: int = 30
    inspect_from: int = 60
    critical_floor: int = 90
    trigger_score: int = 40
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)
    # declaration consistency
    weight_tolerance_ratio: float = 0.05
    weight_tolerance_kg: float = 500.0
    hs_mismatch_score: int = 50
    seal_mismatch_score: int = 70
    missing_field_score: int = 20
    # radiation
    gamma_alarm_sigma: float = 5.0
    isotope_min_sigma: float = 3.0
    isotope_min_share: float = 0.05
    unidentified_max_share: float = 0.2
    neutron_alarm_sigma: float = 4.0
    neutron_background_cps: float = 3.0
    # composition
    composition_tolerances: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_COMPOSITION_TOLERANCES
    )
    composition_default_tolerance: float = 1.5
    composition_window_factor: float = 2.0
    # foreign objects
    object_classes: Mapping[str, tuple[int, bool]] = field(
        default_factory=lambda: DEFAULT_OBJECT_CLASSES
    )
    benign_labels: frozenset[str] = DEFAULT_BENIGN_LABELS
    unknown_object_severity: int = 40
    object_min_confidence: float = 0.6
    object_min_frames: int = 2
    object_single_frame_confidence: float = 0.9
    # seal and door
    unexpected_open_score: int = 85
    broken_seal_score: int = 80
    # history
    history_prior_rate: float = 0.02
    history_prior_strength: float = 20.0
    history_trigger_rate: float = 0.10
    seizure_weight: float = 3.0
    # x-ray
    xray_threshold: float = 0.5

    def __post_init__(self) -> None:
        """Refuse a configuration the models cannot work with, naming the field."""
        if not 0 <= self.release_below <= self.inspect_from <= 100:
            raise ValueError("release_below and inspect_from: need 0 <= release <= inspect <= 100")
        if not 0 < self.trigger_score < 100:
            raise ValueError("trigger_score: must be between 0 and 100 (exclusive)")
        if not 0 <= self.critical_floor <= 100:
            raise ValueError("critical_floor: must be within 0..100")
        for name in (
            "gamma_alarm_sigma",
            "neutron_alarm_sigma",
            "history_trigger_rate",
            "xray_threshold",
            "composition_window_factor",
        ):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: must be greater than 0")
        if not 0 <= self.history_prior_rate <= 1 or self.history_prior_strength < 0:
            raise ValueError("history_prior_rate/strength: rate within 0..1, strength >= 0")
        for model, weight in self.weights.items():
            if not 0 <= weight <= 1:
                raise ValueError(f"weights[{model!r}]: must be within 0..1")


DEFAULT = RiskConfig()

# ---------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelResult:
    """One model's verdict: its score (0-100), whether it fired, why, and the numbers behind."""

    model: str
    score: int
    triggered: bool
    reasons: tuple[str, ...]
    data: Mapping[str, Any] = field(default_factory=dict)
    critical: bool = False


@dataclass(frozen=True)
class Assessment:
    """The combined verdict. ``reasons`` list the triggered models' reasons first."""

    score: int
    level: Level
    decision: Decision
    critical: bool
    models: tuple[ModelResult, ...]
    reasons: tuple[str, ...]

    @property
    def triggered(self) -> tuple[str, ...]:
        """Names of the models that fired, highest score first."""
        return tuple(r.model for r in _by_score(self.models) if r.triggered)

    def model(self, name: str) -> ModelResult:
        """The result of the model called ``name``."""
        for result in self.models:
            if result.model == name:
                return result
        raise KeyError(name)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (tuples become lists, mappings become dicts, datetimes ISO
        strings, floats rounded to 4 places and non-finite floats None, so strict JSON and
        PostgreSQL ``jsonb`` accept it)."""
        return _jsonable(asdict(self))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def _by_score(results: Iterable[ModelResult]) -> list[ModelResult]:
    order = {name: i for i, name in enumerate(MODELS)}
    return sorted(results, key=lambda r: (-r.score, order.get(r.model, len(order))))


def _clamp(score: float) -> int:
    """Round half up (not to even: 92.5 is 93) and keep within 0..100."""
    return max(0, min(100, math.floor(score + 0.5 + 1e-9)))


def _quiet(value: float, threshold: float, config: RiskConfig) -> int:
    """Score of a measurement below its trigger: proportional, always under the trigger score."""
    if threshold <= 0:
        return 0
    return max(
        0, min(config.trigger_score - 1, math.floor(config.trigger_score * value / threshold))
    )


def _ramp(ratio: float, config: RiskConfig, full_at: float) -> int:
    """Score of a triggered measurement: ``trigger_score`` at ratio 1, 100 at ``full_at``."""
    if full_at <= 1:
        return 100
    share = (ratio - 1.0) / (full_at - 1.0)
    return _clamp(config.trigger_score + (100 - config.trigger_score) * max(0.0, min(1.0, share)))


def _noisy_or(scores: Iterable[float]) -> float:
    keep = 1.0
    for score in scores:
        keep *= 1.0 - max(0.0, min(1.0, score / 100.0))
    return 100.0 * (1.0 - keep)


def _fmt(value: float, digits: int = 1) -> str:
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _finite(*values: Any) -> bool:
    """True when every value is a real, finite number (None counts as absent, not invalid)."""
    return all(
        v is None or (isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v))
        for v in values
    )


def _invalid_reason(title: str, count: int, what: str) -> tuple[str, ...]:
    if not count:
        return ()
    return (f"{title}: {count} {what}{'s' if count != 1 else ''} with invalid numbers ignored.",)


def _utc(at: datetime) -> datetime:
    """Comparable instant: a naive time (EDIFACT, some sensors) is taken as UTC."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _in_window(at: datetime, windows: Iterable[tuple[datetime, datetime]]) -> bool:
    return any(_utc(start) <= _utc(at) <= _utc(end) for start, end in windows)


# ---------------------------------------------------------------------------------------------
# Declaration consistency
# ---------------------------------------------------------------------------------------------

HS_CHAPTERS: Mapping[str, tuple[str, tuple[str, ...]]] = MappingProxyType(
    {
        "02": ("meat", ("meat", "beef", "pork", "poultry", "chicken", "mutton", "offal")),
        "03": ("fish and seafood", ("fish", "seafood", "shrimp", "prawn", "squid", "salmon")),
        "08": ("fruit and nuts", ("fruit", "banana", "bananas", "apple", "citrus", "nut", "nuts")),
        "09": ("coffee, tea and spices", ("coffee", "tea", "spice", "spices", "pepper")),
        "10": ("cereals", ("cereal", "wheat", "rice", "maize", "corn", "barley", "grain")),
        "12": ("oil seeds", ("soybean", "soybeans", "soya", "seed", "seeds", "rapeseed")),
        "22": ("beverages", ("beverage", "wine", "beer", "spirits", "water", "juice")),
        "24": ("tobacco", ("tobacco", "cigarette", "cigarettes", "cigar", "cigars")),
        "25": (
            "salt, stone, cement",
            ("salt", "cement", "stone", "sand", "gypsum", "lime", "clay", "bentonite", "granite"),
        ),
        "26": (
            "ores, slag and ash",
            ("ore", "ores", "concentrate", "concentrates", "slag", "ash", "zircon", "ilmenite"),
        ),
        "27": (
            "mineral fuels",
            ("coal", "coke", "oil", "petroleum", "fuel", "bitumen", "lignite", "gas"),
        ),
        "28": ("inorganic chemicals", ("chemical", "chemicals", "acid", "oxide", "hydroxide")),
        "29": ("organic chemicals", ("chemical", "chemicals", "acid", "alcohol", "ester")),
        "30": ("pharmaceuticals", ("pharmaceutical", "pharmaceuticals", "medicine", "medicines")),
        "31": (
            "fertilisers",
            ("fertiliser", "fertilizer", "fertilisers", "fertilizers", "potash", "urea", "npk"),
        ),
        "39": (
            "plastics",
            ("plastic", "plastics", "polyethylene", "polypropylene", "pvc", "resin"),
        ),
        "40": ("rubber", ("rubber", "tyre", "tyres", "tire", "tires")),
        "44": ("wood", ("wood", "timber", "lumber", "plywood", "logs")),
        "48": ("paper", ("paper", "cardboard", "paperboard", "tissue")),
        "52": ("cotton", ("cotton", "yarn")),
        "61": ("knitted apparel", ("apparel", "garment", "garments", "clothing", "knitwear")),
        "62": ("apparel", ("apparel", "garment", "garments", "clothing", "shirts", "trousers")),
        "64": ("footwear", ("footwear", "shoes", "boots", "sneakers")),
        "68": ("articles of stone", ("stone", "granite", "marble", "slabs", "slab")),
        "69": (
            "ceramic products",
            ("ceramic", "ceramics", "tile", "tiles", "porcelain", "sanitary", "brick", "bricks"),
        ),
        "70": ("glass", ("glass", "glassware", "bottles")),
        "72": ("iron and steel", ("iron", "steel", "coil", "coils", "billet", "billets", "scrap")),
        "73": ("articles of iron or steel", ("steel", "iron", "pipe", "pipes", "tube", "tubes")),
        "74": ("copper", ("copper",)),
        "76": ("aluminium", ("aluminium", "aluminum")),
        "84": (
            "machinery",
            ("machine", "machinery", "machines", "engine", "engines", "pump", "pumps", "computer"),
        ),
        "85": (
            "electrical equipment",
            ("electrical", "electronic", "electronics", "battery", "batteries", "cable", "phone"),
        ),
        "87": ("vehicles", ("vehicle", "vehicles", "car", "cars", "truck", "parts", "tractor")),
        "93": ("arms and ammunition", ("arms", "weapon", "weapons", "ammunition", "firearm")),
        "94": ("furniture", ("furniture", "chair", "chairs", "table", "tables", "mattress")),
        "95": ("toys and sports goods", ("toy", "toys", "game", "games", "sports")),
    }
)
"""HS chapter -> (name, words a matching commodity description contains). A chapter not listed
here is not judged."""

_HS_RE = re.compile(r"^\d{4}(\d{2}){0,3}$")


def model_declaration_consistency(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Does the declaration agree with itself and with what was measured?

    Checks the declared weight against the VGM (``max(ratio, kg)`` tolerance), the HS code's
    chapter against the commodity words, the declared seal against the seal read at the gate,
    and the fields a declaration must carry. A seal number an e-seal already reported is left
    to :func:`model_seal_door`, so one wrong seal counts once.
    """
    decl = evidence.declaration
    issues: list[tuple[int, str]] = []
    data: dict[str, Any] = {}

    missing = [
        name
        for name, value in (
            ("commodity", decl.commodity),
            ("hs_code", decl.hs_code),
            (
                "declared_weight_kg",
                decl.declared_weight_kg if _finite(decl.declared_weight_kg) else None,
            ),
            ("origin", decl.origin),
            ("consignee", decl.consignee),
        )
        if value in (None, "")
    ]
    if decl.kind == "container" and not decl.seal_number:
        missing.append("seal_number")
    if decl.kind == "bulk" and evidence.composition and not decl.declared_composition:
        missing.append("declared_composition")
    data["missing"] = missing
    if missing:
        issues.append(
            (
                _clamp(_noisy_or([config.missing_field_score] * len(missing))),
                f"the declaration lacks {', '.join(missing)}",
            )
        )

    declared, measured = decl.declared_weight_kg, decl.measured_weight_kg
    if (
        declared is not None
        and measured is not None
        and _finite(declared, measured)
        and declared > 0
    ):
        tolerance = max(config.weight_tolerance_ratio * declared, config.weight_tolerance_kg)
        deviation = measured - declared
        data.update(
            declared_weight_kg=declared,
            measured_weight_kg=measured,
            weight_deviation_kg=deviation,
            weight_tolerance_kg=tolerance,
        )
        if abs(deviation) > tolerance:
            issues.append(
                (
                    _ramp(abs(deviation) / tolerance, config, full_at=5.0),
                    f"measured weight {_fmt(measured, 0)} kg differs from the declared "
                    f"{_fmt(declared, 0)} kg by {_fmt(deviation, 0)} kg "
                    f"({_fmt(100 * deviation / declared)}%, tolerance {_fmt(tolerance, 0)} kg)",
                )
            )

    hs = re.sub(r"[\s.]", "", decl.hs_code or "")
    if hs:
        data["hs_code"] = hs
        if not _HS_RE.match(hs):
            issues.append(
                (config.hs_mismatch_score, f"HS code {decl.hs_code!r} is not 4 to 10 digits")
            )
        elif hs[:2] in HS_CHAPTERS and decl.commodity:
            chapter_name, words = HS_CHAPTERS[hs[:2]]
            data["hs_chapter"] = chapter_name
            if not (_words(decl.commodity) & set(words)):
                issues.append(
                    (
                        config.hs_mismatch_score,
                        f"HS code {hs} is chapter {hs[:2]} ({chapter_name}) but the commodity "
                        f"is declared as {decl.commodity!r}",
                    )
                )

    observed = evidence.observed_seal_number
    reported_by_eseal = {_seal(e.seal_number) for e in evidence.seal_events if e.seal_number}
    if (
        observed
        and decl.seal_number
        and _seal(observed) != _seal(decl.seal_number)
        and _seal(observed) not in reported_by_eseal
    ):
        data["observed_seal_number"] = observed
        issues.append(
            (
                config.seal_mismatch_score,
                f"seal {observed} read at the gate is not the declared seal {decl.seal_number}",
            )
        )

    if not issues:
        return ModelResult(
            "declaration_consistency",
            0,
            False,
            ("Declaration: weight, HS code, seal and required fields are consistent.",),
            data,
        )
    issues.sort(key=lambda item: -item[0])
    score = _clamp(_noisy_or(s for s, _ in issues))
    reasons = tuple(f"Declaration: {text}." for _, text in issues)
    return ModelResult("declaration_consistency", score, True, reasons, data)


def _seal(number: str) -> str:
    return re.sub(r"[\s\-]", "", number).upper()


# ---------------------------------------------------------------------------------------------
# Radiation
# ---------------------------------------------------------------------------------------------

_NUCLIDES = {
    re.sub(r"[^a-z0-9]", "", n.lower()): n
    for n in (
        "K40",
        "Ra226",
        "Th232",
        "U238",
        "Pb210",
        "Cs137",
        "Co60",
        "Am241",
        "Ir192",
        "I131",
        "Ba133",
        "Se75",
        "Tc99m",
        "Sr90",
        "Cf252",
        "Pu239",
        "U235",
    )
}
NORM_NUCLIDES = frozenset({"K40", "Ra226", "Th232", "U238", "Pb210"})
"""Naturally occurring radioactive material: potassium-40 and the uranium and thorium series."""
ARTIFICIAL_NUCLIDES = frozenset(
    {"Cs137", "Co60", "Am241", "Ir192", "I131", "Ba133", "Se75", "Tc99m", "Sr90", "Cf252"}
    | {"Pu239", "U235"}
)
"""Man-made isotopes and special nuclear material: never explained by a commodity."""

NORM_COMMODITIES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "ceramic": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "ceramics": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "tile": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "tiles": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "porcelain": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "sanitary": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "fertiliser": frozenset({"K40"}),
        "fertilizer": frozenset({"K40"}),
        "potash": frozenset({"K40"}),
        "potassium": frozenset({"K40"}),
        "phosphate": frozenset({"K40", "Ra226", "U238", "Pb210"}),
        "granite": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "zircon": frozenset({"Ra226", "Th232", "U238", "Pb210"}),
        "zirconium": frozenset({"Ra226", "Th232", "U238", "Pb210"}),
        "monazite": frozenset({"Th232", "Ra226"}),
        "ilmenite": frozenset({"Th232", "Ra226", "U238"}),
        "banana": frozenset({"K40"}),
        "bananas": frozenset({"K40"}),
        "bentonite": frozenset({"K40", "Ra226", "Th232"}),
        "litter": frozenset({"K40", "Ra226", "Th232"}),
        "clay": frozenset({"K40", "Ra226", "Th232"}),
        "coal": frozenset({"K40", "Ra226", "Th232", "U238"}),
        "ash": frozenset({"K40", "Ra226", "Th232", "U238", "Pb210"}),
        "slag": frozenset({"K40", "Ra226", "Th232", "U238", "Pb210"}),
    }
)
"""Commodity word -> the NORM nuclides its cargo naturally shows (typical nuisance alarms at
portal monitors: ceramics and tiles, potash fertiliser, granite, zircon sand, bananas, cat
litter, coal and fly ash)."""


def nuclide(name: str) -> str:
    """The canonical spelling of a nuclide name (``"k-40"`` -> ``"K40"``); unknown kept."""
    return _NUCLIDES.get(re.sub(r"[^a-z0-9]", "", name.lower()), name.strip())


def norm_explained_by(commodity: str) -> frozenset[str]:
    """The NORM nuclides the declared commodity explains (empty if it explains none)."""
    explained: frozenset[str] = frozenset()
    for word in _words(commodity):
        explained |= NORM_COMMODITIES.get(word, frozenset())
    return explained


def _sigma(net_cps: float, background_cps: float, seconds: float) -> float:
    """Net counts over background in standard deviations of the background count (Poisson)."""
    background_counts = max(background_cps, 1e-9) * max(seconds, 1e-9)
    return net_cps * max(seconds, 1e-9) / math.sqrt(max(background_counts, 1.0))


def _radiation_reading(
    reading: RadiationReading, explained: frozenset[str], commodity: str, config: RiskConfig
) -> tuple[int, bool, bool, str, dict[str, Any]]:
    """Score one portal pass: (score, triggered, critical, sentence, data)."""
    t = reading.count_time_s
    net = max(0.0, reading.gross_cps - reading.background_cps)
    sigma = _sigma(net, reading.background_cps, t)
    where = f"{reading.sensor} at {reading.at:%Y-%m-%d %H:%M}"
    counts = (
        f"{_fmt(reading.gross_cps)} cps against {_fmt(reading.background_cps)} cps background "
        f"(net {_fmt(net)} cps, {_fmt(sigma)}σ; alarm level {_fmt(config.gamma_alarm_sigma)}σ)"
    )
    data: dict[str, Any] = {
        "sensor": reading.sensor,
        "at": reading.at,
        "net_cps": net,
        "sigma": round(sigma, 2),
    }

    if reading.neutron_cps is not None:
        n_bg = (
            reading.neutron_background_cps
            if reading.neutron_background_cps is not None
            else config.neutron_background_cps
        )
        n_net = max(0.0, reading.neutron_cps - n_bg)
        n_sigma = _sigma(n_net, n_bg, t)
        data["neutron_sigma"] = round(n_sigma, 2)
        if n_sigma >= config.neutron_alarm_sigma:
            return (
                95,
                True,
                True,
                f"{where} counted {_fmt(reading.neutron_cps)} neutrons/s against "
                f"{_fmt(n_bg)}/s background ({_fmt(n_sigma)}σ, alarm level "
                f"{_fmt(config.neutron_alarm_sigma)}σ): neutron sources are never natural cargo",
                data,
            )

    spectrum = {nuclide(k): float(v) for k, v in (reading.gamma_spectrum or {}).items() if v > 0}
    total = sum(spectrum.values())
    if total > 0:
        shares = {k: v / total for k, v in spectrum.items()}
        data["shares"] = {k: round(v, 3) for k, v in sorted(shares.items())}
        artificial = sorted(
            (
                k
                for k, share in shares.items()
                if k in ARTIFICIAL_NUCLIDES
                and share >= config.isotope_min_share
                and _sigma(spectrum[k], reading.background_cps, t) >= config.isotope_min_sigma
            ),
            key=lambda k: -shares[k],
        )
        if artificial:
            data["artificial"] = artificial
            listed = ", ".join(
                f"{k} ({_fmt(100 * shares[k], 0)}% of net counts)" for k in artificial
            )
            return (
                95,
                True,
                True,
                f"{where} identified {listed}, an artificial isotope that no declared cargo "
                f"explains; {counts}",
                data,
            )
        possible = sorted(
            (
                k
                for k, share in shares.items()
                if k in ARTIFICIAL_NUCLIDES and share >= config.isotope_min_share
            ),
            key=lambda k: -shares[k],
        )
        if possible:
            data["possible_artificial"] = possible
            listed = ", ".join(f"{k} ({_fmt(100 * shares[k], 0)}%)" for k in possible)
            return (
                50,
                True,
                False,
                f"{where} suggests {listed} below {_fmt(config.isotope_min_sigma)}σ "
                f"significance; {counts}: a longer count decides",
                data,
            )

    if sigma < config.gamma_alarm_sigma:
        return (
            _quiet(sigma, config.gamma_alarm_sigma, config),
            False,
            False,
            f"{where} measured {counts}: below the alarm level",
            data,
        )

    if total <= 0:
        if explained:
            return (
                45,
                True,
                False,
                f"{where} measured {counts} without a nuclide spectrum; the declared "
                f"{commodity!r} is a known NORM cargo, so a handheld isotope check decides",
                data,
            )
        return (
            70,
            True,
            False,
            f"{where} measured {counts} without a nuclide spectrum, and the declared "
            f"{commodity!r} is not a known NORM cargo",
            data,
        )

    significant = {k for k, share in shares.items() if share >= config.isotope_min_share}
    unidentified = {k for k in shares if k not in NORM_NUCLIDES | ARTIFICIAL_NUCLIDES}
    unidentified_share = sum(shares[k] for k in unidentified)
    if unidentified_share > config.unidentified_max_share:
        data["unidentified"] = sorted(unidentified)
        return (
            70,
            True,
            False,
            f"{where} measured {counts}; {_fmt(100 * unidentified_share, 0)}% of the net counts "
            f"come from unidentified lines ({', '.join(sorted(unidentified))})",
            data,
        )
    norm_seen = sorted(significant & NORM_NUCLIDES, key=lambda k: -shares[k])
    unexplained = [k for k in norm_seen if k not in explained]
    data["norm"] = norm_seen
    data["unexplained"] = unexplained
    signature = ", ".join(f"{k} {_fmt(100 * shares[k], 0)}%" for k in norm_seen)
    if not unexplained:
        return (
            10,
            False,
            False,
            f"{where} measured {counts}, but the spectrum is natural ({signature}) as expected "
            f"of the declared {commodity!r} (NORM, no alarm)",
            data,
        )
    return (
        55,
        True,
        False,
        f"{where} measured {counts}; the natural signature ({signature}) includes "
        f"{', '.join(unexplained)}, which the declared {commodity!r} does not explain",
        data,
    )


def _valid_radiation(r: RadiationReading) -> bool:
    spectrum = r.gamma_spectrum or {}
    return (
        _finite(r.gross_cps, r.background_cps, r.count_time_s, r.neutron_cps)
        and _finite(r.neutron_background_cps, *spectrum.values())
        and r.count_time_s > 0
    )


def model_radiation(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Radiation portal monitor passes: gross gamma counts against background in sigma,
    spectroscopic nuclide identification, and the neutron channel.

    Naturally occurring radioactive material (K-40, Ra-226, Th-232, ...) above the gross alarm
    level is *not* an alarm when the declared commodity explains it (ceramics, potash
    fertiliser, granite, zircon, bananas, ...). Artificial isotopes (Cs-137, Co-60, Am-241, ...)
    and neutrons always are, and critical. The model's verdict is its worst reading.
    """
    readings = [r for r in evidence.radiation if _valid_radiation(r)]
    invalid = len(evidence.radiation) - len(readings)
    if not readings:
        return ModelResult(
            "radiation",
            0,
            False,
            (
                "Radiation: no portal monitor reading yet.",
                *_invalid_reason("Radiation", invalid, "reading"),
            ),
            {"readings": 0, "invalid": invalid},
        )
    commodity = evidence.declaration.commodity
    explained = norm_explained_by(commodity)
    scored = [_radiation_reading(r, explained, commodity, config) for r in readings]
    worst = max(range(len(scored)), key=lambda i: (scored[i][2], scored[i][0]))
    score, triggered, critical, sentence, _ = scored[worst]
    alarms = sum(1 for s in scored if s[1])
    reasons = [f"Radiation: {sentence}."]
    if alarms > 1:
        reasons.append(f"Radiation: {alarms} of {len(scored)} passes alarmed.")
    reasons += _invalid_reason("Radiation", invalid, "reading")
    data = {
        "readings": len(scored),
        "invalid": invalid,
        "alarms": alarms,
        "norm_explained": sorted(explained),
        "passes": [s[4] for s in scored],
    }
    return ModelResult("radiation", score, triggered, tuple(reasons), data, critical)


# ---------------------------------------------------------------------------------------------
# Composition deviation (near-infrared on the conveyor)
# ---------------------------------------------------------------------------------------------


def model_composition_deviation(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Near-infrared composition against the declaration, per element.

    The lot mean is weighted by each window's tonnes and compared with the declared percentage
    within the element's tolerance; a single window off by ``composition_window_factor`` times
    the tolerance fires too (a stretch of belt with other material, e.g. mixed-in solid waste).
    """
    readings = [
        r for r in evidence.composition if _finite(r.tonnes, *r.values.values()) and r.tonnes > 0
    ]
    invalid = sum(1 for r in evidence.composition if not _finite(r.tonnes, *r.values.values()))
    declared = {k: v for k, v in evidence.declaration.declared_composition.items() if _finite(v)}
    if not readings:
        return ModelResult(
            "composition_deviation",
            0,
            False,
            (
                "Composition: no spectrometer reading.",
                *_invalid_reason("Composition", invalid, "window"),
            ),
            {"windows": 0, "invalid": invalid},
        )
    if not declared:
        return ModelResult(
            "composition_deviation",
            0,
            False,
            ("Composition: the declaration gives no composition to compare with.",),
            {"windows": len(readings), "invalid": invalid},
        )

    findings: list[tuple[float, int, str]] = []
    elements: dict[str, Any] = {}
    worst_ratio = 0.0
    for element, expected in declared.items():
        tolerance = config.composition_tolerances.get(element, config.composition_default_tolerance)
        measured = [(r, r.values[element]) for r in readings if element in r.values]
        if not measured or tolerance <= 0:
            continue
        tonnes = sum(r.tonnes for r, _ in measured)
        mean = sum(r.tonnes * v for r, v in measured) / tonnes
        deviation = mean - expected
        ratio = abs(deviation) / tolerance
        worst_window, worst_value = max(measured, key=lambda item: abs(item[1] - expected))
        window_ratio = (
            abs(worst_value - expected) / (tolerance * config.composition_window_factor)
            if config.composition_window_factor > 0
            else 0.0
        )
        elements[element] = {
            "declared": expected,
            "measured": round(mean, 3),
            "deviation": round(deviation, 3),
            "tolerance": tolerance,
            "tonnes": round(tonnes, 3),
            "worst_window": [worst_window.window_start, worst_window.window_end],
            "worst_value": worst_value,
        }
        worst_ratio = max(worst_ratio, ratio, window_ratio)
        if ratio > 1:
            findings.append(
                (
                    ratio,
                    _ramp(ratio, config, full_at=4.0),
                    f"{element} averages {_fmt(mean, 2)}% over {_fmt(tonnes, 0)} t against "
                    f"{_fmt(expected, 2)}% declared ({_fmt(deviation, 2):s} points, tolerance "
                    f"±{_fmt(tolerance, 2)})",
                )
            )
        if window_ratio > 1:
            findings.append(
                (
                    window_ratio,
                    _ramp(window_ratio, config, full_at=3.0),
                    f"{element} reads {_fmt(worst_value, 2)}% in the window "
                    f"{worst_window.window_start:%H:%M}-{worst_window.window_end:%H:%M} "
                    f"({_fmt(worst_window.tonnes, 0)} t) against {_fmt(expected, 2)}% declared, "
                    f"more than {_fmt(config.composition_window_factor)}× the tolerance "
                    f"±{_fmt(tolerance, 2)}",
                )
            )
    data = {"windows": len(readings), "invalid": invalid, "elements": elements}
    if not findings:
        compared = ", ".join(sorted(elements)) or "nothing comparable"
        return ModelResult(
            "composition_deviation",
            _quiet(worst_ratio, 1.0, config),
            False,
            (
                f"Composition: {compared} within tolerance over {len(readings)} windows "
                f"({_fmt(sum(r.tonnes for r in readings), 0)} t).",
                *_invalid_reason("Composition", invalid, "window"),
            ),
            data,
        )
    findings.sort(key=lambda f: -f[0])
    score = max(s for _, s, _ in findings)
    return ModelResult(
        "composition_deviation",
        score,
        True,
        (
            *(f"Composition: {text}." for _, _, text in findings),
            *_invalid_reason("Composition", invalid, "window"),
        ),
        data,
    )


# ---------------------------------------------------------------------------------------------
# Foreign objects (image recognition)
# ---------------------------------------------------------------------------------------------


def _label(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.strip().lower()).strip("_")


def model_foreign_objects(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Image recognition detections aggregated per class over frames.

    A class counts when seen with at least ``object_min_confidence`` in ``object_min_frames``
    distinct frames, or once with ``object_single_frame_confidence``; its evidence is the
    noisy-OR of its frames' best confidences, times the class severity. Benign classes (ore,
    belt, shadow, ...) are ignored; weapons, explosives and people are critical.
    """
    if not evidence.detections:
        return ModelResult(
            "foreign_objects",
            0,
            False,
            ("Foreign objects: image recognition reported nothing.",),
            {"detections": 0},
        )
    per_label: dict[str, dict[Any, float]] = {}
    invalid = 0
    for i, det in enumerate(evidence.detections):
        label = _label(det.label)
        if not _finite(det.confidence):
            invalid += 1
            continue
        if label in config.benign_labels or det.confidence < config.object_min_confidence:
            continue
        frame = det.frame if det.frame is not None else ("still", i)
        frames = per_label.setdefault(label, {})
        frames[frame] = max(frames.get(frame, 0.0), min(1.0, det.confidence))

    found: list[tuple[int, bool, str, dict[str, Any]]] = []
    summary: dict[str, Any] = {}
    for label, frames in per_label.items():
        best = max(frames.values())
        summary[label] = {"frames": len(frames), "max_confidence": round(best, 3)}
        if len(frames) < config.object_min_frames and best < config.object_single_frame_confidence:
            continue
        severity, critical = config.object_classes.get(
            label, (config.unknown_object_severity, False)
        )
        confidence = _noisy_or(100 * c for c in frames.values()) / 100
        score = _clamp(severity * confidence)
        found.append(
            (
                score,
                critical,
                f"{label.replace('_', ' ')} seen in {len(frames)} frame"
                f"{'s' if len(frames) != 1 else ''} (best confidence {_fmt(best, 2)}, "
                f"combined {_fmt(confidence, 3)}, class severity {severity})"
                + (
                    ""
                    if critical or score >= config.trigger_score
                    else f", below the trigger score {config.trigger_score}"
                ),
                summary[label],
            )
        )
    data = {"detections": len(evidence.detections), "invalid": invalid, "labels": summary}
    if not found:
        return ModelResult(
            "foreign_objects",
            0,
            False,
            (
                f"Foreign objects: {len(evidence.detections)} detections, none of a class that "
                f"matters with enough confidence and frames.",
                *_invalid_reason("Foreign objects", invalid, "detection"),
            ),
            data,
        )
    found.sort(key=lambda f: (-f[1], -f[0]))
    critical = any(c for _, c, _, _ in found)
    score = max(s for s, _, _, _ in found)
    reasons = (
        *(f"Foreign objects: {text}." for _, _, text, _ in found),
        *_invalid_reason("Foreign objects", invalid, "detection"),
    )
    return ModelResult(
        "foreign_objects", score, score >= config.trigger_score or critical, reasons, data, critical
    )


# ---------------------------------------------------------------------------------------------
# Seal and door (smart containers, e-seals)
# ---------------------------------------------------------------------------------------------


def model_seal_door(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Door openings and seal breaks against the scheduled inspection windows.

    A door opened or a seal broken outside every scheduled window raises an alarm (the
    Ningbo-Zhoushan smart container rule); inside a window it is the inspection itself. An
    e-seal reporting a number other than the declared one is a mismatch.
    """
    events = sorted(evidence.seal_events, key=lambda e: _utc(e.at))
    windows = evidence.scheduled_inspections
    declared = evidence.declaration.seal_number
    if not events:
        return ModelResult(
            "seal_door", 0, False, ("Seal and door: no smart container event.",), {"events": 0}
        )
    findings: list[tuple[int, str]] = []
    expected = 0
    for event in events:
        when = f"{event.at:%Y-%m-%d %H:%M}"
        inside = _in_window(event.at, windows)
        if event.kind in ("door_open", "seal_broken"):
            if inside:
                expected += 1
                continue
            what = "door opened" if event.kind == "door_open" else "seal broken"
            schedule = (
                f"outside the {len(windows)} scheduled inspection window"
                f"{'s' if len(windows) != 1 else ''}"
                if windows
                else "with no inspection scheduled"
            )
            score = (
                config.unexpected_open_score
                if event.kind == "door_open"
                else config.broken_seal_score
            )
            sensor = f" ({event.sensor})" if event.sensor else ""
            findings.append((score, f"{what} at {when}{sensor} {schedule}"))
        if event.seal_number and declared and _seal(event.seal_number) != _seal(declared):
            findings.append(
                (
                    config.seal_mismatch_score,
                    f"e-seal reported number {event.seal_number} at {when}, declared {declared}",
                )
            )
    data = {"events": len(events), "expected_openings": expected, "windows": len(windows)}
    if not findings:
        extra = f", {expected} inside scheduled inspection windows" if expected else ""
        return ModelResult(
            "seal_door",
            0,
            False,
            (f"Seal and door: {len(events)} events, no unexpected opening{extra}.",),
            data,
        )
    data["alarms"] = len(findings)
    findings.sort(key=lambda f: -f[0])
    score = _clamp(_noisy_or(s for s, _ in findings))
    return ModelResult(
        "seal_door", score, True, tuple(f"Seal and door: {t}." for _, t in findings), data
    )


# ---------------------------------------------------------------------------------------------
# History
# ---------------------------------------------------------------------------------------------


def history_rate(entry: PartyHistory, config: RiskConfig = DEFAULT) -> float:
    """Posterior findings rate with a Beta prior (mean ``history_prior_rate``, weight
    ``history_prior_strength`` inspections), seizures counting ``seizure_weight`` findings."""
    a = config.history_prior_rate * config.history_prior_strength
    b = config.history_prior_strength - a
    inspections = max(0, entry.inspections)
    extra = (config.seizure_weight - 1.0) * max(0, entry.seizures)
    hits = min(float(inspections), max(0, entry.findings) + extra)
    total = inspections + a + b
    return (hits + a) / total if total > 0 else 0.0


def model_history(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """Past findings of the shipper, consignee and line, smoothed by a prior so that one
    inspection with a finding does not dominate; the worst party decides."""
    if not evidence.history:
        return ModelResult("history", 0, False, ("History: no record of the parties.",), {})
    rows = []
    for entry in evidence.history:
        rate = history_rate(entry, config)
        rows.append((rate, entry))
    rows.sort(key=lambda r: -r[0])
    data = {
        "parties": [
            {
                "role": e.role,
                "name": e.name,
                "inspections": e.inspections,
                "findings": e.findings,
                "seizures": e.seizures,
                "rate": round(rate, 4),
            }
            for rate, e in rows
        ]
    }
    rate, entry = rows[0]
    text = (
        f"{entry.role} {entry.name!r}: {entry.findings} finding(s) and {entry.seizures} seizure(s) "
        f"in {entry.inspections} inspection(s), smoothed rate {_fmt(100 * rate)}% "
        f"(trigger {_fmt(100 * config.history_trigger_rate)}%)"
    )
    if rate < config.history_trigger_rate:
        return ModelResult(
            "history",
            _quiet(rate, config.history_trigger_rate, config),
            False,
            (f"History: worst party is {text}.",),
            data,
        )
    reasons = [f"History: {text}."]
    for other_rate, other in rows[1:]:
        if other_rate >= config.history_trigger_rate:
            reasons.append(
                f"History: {other.role} {other.name!r} also at {_fmt(100 * other_rate)}%."
            )
    score = _ramp(rate / config.history_trigger_rate, config, full_at=5.0)
    return ModelResult("history", score, True, tuple(reasons), data)


# ---------------------------------------------------------------------------------------------
# X-ray / NII
# ---------------------------------------------------------------------------------------------


def model_xray(evidence: Evidence, config: RiskConfig = DEFAULT) -> ModelResult:
    """X-ray/NII scans: the scanner's anomaly flag or an image score at the threshold fires;
    the worst scan decides. A score that is not a number counts as 0 (the flag still counts)."""
    if not evidence.xray:
        return ModelResult("xray", 0, False, ("X-ray: not scanned.",), {"scans": 0})
    scans = [
        (x, max(0.0, min(1.0, float(x.score))) if _finite(x.score) else 0.0) for x in evidence.xray
    ]
    invalid = sum(1 for x in evidence.xray if not _finite(x.score))
    worst, worst_score = max(scans, key=lambda item: (bool(item[0].anomaly), item[1]))
    top = max(score for _, score in scans)
    data = {
        "scans": len(scans),
        "invalid": invalid,
        "max_score": round(top, 3),
        "anomalies": sum(1 for x, _ in scans if x.anomaly),
    }
    threshold = max(config.xray_threshold, 1e-9)
    if not worst.anomaly and top < threshold:
        return ModelResult(
            "xray",
            _quiet(top, threshold, config),
            False,
            (
                f"X-ray: {len(scans)} scan(s), best image score {_fmt(top, 2)} below "
                f"{_fmt(threshold, 2)}, no anomaly.",
                *_invalid_reason("X-ray", invalid, "scan"),
            ),
            data,
        )
    ratio = max(top / threshold, 1.0)
    score = _ramp(ratio, config, full_at=1.0 / threshold)
    flag = "flagged an anomaly" if worst.anomaly else "scored at the threshold"
    findings = f": {'; '.join(worst.findings)}" if worst.findings else ""
    return ModelResult(
        "xray",
        score,
        True,
        (
            f"X-ray: scan at {worst.at:%Y-%m-%d %H:%M} {flag} (score {_fmt(worst_score, 2)})"
            f"{findings}.",
            *_invalid_reason("X-ray", invalid, "scan"),
        ),
        data,
    )


# ---------------------------------------------------------------------------------------------
# Combination
# ---------------------------------------------------------------------------------------------

MODEL_FUNCTIONS = MappingProxyType(
    {
        "declaration_consistency": model_declaration_consistency,
        "radiation": model_radiation,
        "composition_deviation": model_composition_deviation,
        "foreign_objects": model_foreign_objects,
        "seal_door": model_seal_door,
        "history": model_history,
        "xray": model_xray,
    }
)


def combine(results: Iterable[ModelResult], config: RiskConfig = DEFAULT) -> Assessment:
    """One score from the models' results (weighted noisy-OR of the triggered ones, critical
    floor), its level and decision, and the reasons with the triggered models' first."""
    results = tuple(results)
    fired = [r for r in results if r.triggered]
    score = _clamp(_noisy_or(config.weights.get(r.model, 1.0) * r.score for r in fired))
    critical = any(r.critical for r in fired)
    if critical:
        score = max(score, config.critical_floor)
    level: Level
    decision: Decision
    if critical or score >= config.inspect_from:
        level, decision = "high", "inspect"
    elif score >= config.release_below:
        level, decision = "medium", "review"
    else:
        level, decision = "low", "release"
    reasons = [text for r in _by_score(fired) for text in r.reasons]
    reasons += [text for r in results if not r.triggered for text in r.reasons]
    return Assessment(score, level, decision, critical, results, tuple(reasons))


def assess(evidence: Evidence, config: RiskConfig = DEFAULT) -> Assessment:
    """Run every model on the evidence and combine them (see the module docstring)."""
    return combine((MODEL_FUNCTIONS[name](evidence, config) for name in MODELS), config)
