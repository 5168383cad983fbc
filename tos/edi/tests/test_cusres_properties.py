"""CUSRES write -> read round trips on generated responses (hypothesis): service characters in
every text, unknown status codes, references with containers, long reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tos import edi
from tos.edi.cusres import (
    STATUS_CODES,
    CustomsResponse,
    CustomsStatus,
    DocumentReference,
    Reference,
    read_cusres,
    write_cusres,
)

#: Valid ISO 6346 numbers (check digits right), so the reader keeps them exactly.
CONTAINERS = (
    "CSQU3054383",
    "MSCU1234566",
    "TGHU3681435",
    "MAEU1234567",
    "OOLU1234567",
    "HLXU1234561",
)
#: Letters, digits and every service character of the default UNA.
TEXT = st.text(alphabet="ABCXYZabc0129-/?+:'.", min_size=1, max_size=12)
T0 = datetime(2026, 1, 1)
WHEN = st.integers(0, 500_000).map(lambda m: T0 + timedelta(minutes=m))
WORD = st.text(alphabet="abcdefXYZ019?+:'.-", min_size=1, max_size=15)
REASON = st.lists(WORD, min_size=1, max_size=12).map(" ".join)


def _status(code: str, code_list: str, agency: str) -> CustomsStatus:
    action, meaning = STATUS_CODES.get(code, ("unknown", ""))
    return CustomsStatus(code, action, meaning, code_list, agency)


STATUSES = st.builds(
    _status,
    code=st.one_of(st.sampled_from(sorted(STATUS_CODES)), st.text("QWZ9", min_size=2, max_size=3)),
    code_list=st.sampled_from(["", "ZZ", "109"]),
    agency=st.sampled_from(["", "5", "ZZZ"]),
)


@st.composite
def responses(draw, reference: str) -> CustomsResponse:
    boxes = list(draw(st.permutations(CONTAINERS)))
    header = boxes[: draw(st.integers(0, 2))]
    rest = boxes[len(header) :]
    references = []
    for _ in range(draw(st.integers(0, 2))):
        take = draw(st.integers(0, min(2, len(rest))))
        references.append(
            Reference(
                qualifier=draw(st.sampled_from(["BM", "AAE", "BH", "ZZZ"])),
                value=draw(TEXT),
                at=draw(st.one_of(st.none(), WHEN)),
                containers=tuple(rest[:take]),
            )
        )
        rest = rest[take:]
    return CustomsResponse(
        message_reference=reference,
        document_number=draw(TEXT),
        document_code=draw(st.sampled_from(["962", "929", "ZZZ"])),
        function=draw(st.sampled_from(["9", "5", "1"])),
        response_type=draw(st.sampled_from(["", "AP", "RE", "CA"])),
        statuses=tuple(draw(st.lists(STATUSES, max_size=3))),
        documents=tuple(
            draw(
                st.lists(
                    st.builds(
                        DocumentReference,
                        code=st.sampled_from(["705", "714", "830"]),
                        number=TEXT,
                        issued_at=st.one_of(st.none(), WHEN),
                        location=st.sampled_from(["", "CNNGB", "NLRTM"]),
                    ),
                    max_size=2,
                )
            )
        ),
        references=tuple(references),
        containers=tuple(header),
        dates={"137": draw(WHEN), **draw(st.dictionaries(st.sampled_from(["9", "182"]), WHEN))},
        locations=tuple(draw(st.lists(st.tuples(st.sampled_from(["41", "22"]), TEXT), max_size=2))),
        parties=tuple(draw(st.lists(st.tuples(st.sampled_from(["CM", "MS"]), TEXT), max_size=2))),
        reasons=tuple(draw(st.lists(REASON, max_size=3))),
        errors=tuple(draw(st.lists(st.sampled_from(["12", "37", "Z1"]), max_size=2))),
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(1, 10**6), min_size=1, max_size=3, unique=True).flatmap(
        lambda refs: st.tuples(*(responses(f"R{r}") for r in refs))
    )
)
def test_writing_then_reading_gives_back_every_response(items):
    envelope = edi.Envelope(sender="CUS", recipient="TOS", reference="9")
    text = write_cusres(items, envelope=envelope)
    again, report = read_cusres(text)
    assert report.errors == []
    assert {i.code for i in report.warnings} <= {"STATUS_UNKNOWN", "STATUS_MISSING"}
    assert again.responses == tuple(items)
    assert write_cusres(again) == text
