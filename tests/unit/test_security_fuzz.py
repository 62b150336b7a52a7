"""Property tests: validators never crash on hostile input; spreadsheet escapers always neutralise."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.analysis.report import _csv_safe
from app.appeals.spreadsheet import neutralise_cell as appeals_neutralise
from app.appeals.spreadsheet import to_csv
from app.surveys.exports import neutralise_cell as surveys_neutralise
from app.surveys.schema import DefinitionError, template, validate_definition, validate_submission

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
FAST = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=25,
)
QUESTION_KEYS = [
    "code",
    "type",
    "text",
    "options",
    "required",
    "show_if",
    "scale",
    "rows",
    "labels",
    "min",
    "max",
    "fields",
    "other",
    "max_length",
    "min_selections",
    "max_selections",
]
TYPES = [
    "single_choice",
    "multi_choice",
    "dropdown",
    "rating",
    "nps",
    "ces",
    "matrix",
    "yes_no",
    "text",
    "number",
    "date",
    "contact",
    "bogus",
]
question = st.fixed_dictionaries(
    {"code": st.text(max_size=8) | json_values, "type": st.sampled_from(TYPES)},
    optional=dict.fromkeys(QUESTION_KEYS[2:], json_values),
)
shaped_definition = st.fixed_dictionaries(
    {
        "slug": st.text(max_size=12) | json_values,
        "title": st.just({"ru": "Т"}) | json_values,
        "pages": st.lists(st.fixed_dictionaries({"questions": st.lists(question, max_size=4)}), max_size=3)
        | json_values,
    },
    optional={"analysis": json_values, "close_the_loop": json_values, "intro": json_values},
)


@FAST
@given(st.one_of(json_values, shaped_definition))
def test_definition_validator_raises_only_definition_error(doc):
    try:
        validate_definition(doc)
    except DefinitionError as exc:
        assert exc.errors and all(isinstance(e, str) for e in exc.errors)


@pytest.fixture(scope="module")
def definition():
    return validate_definition(template("visit-csat"))


answer_values = json_values | st.sampled_from([0, 5, 11, -1, 1e309, float("nan"), "5", "other", [], {}, True])


@FAST
@given(
    raw=st.one_of(
        json_values,
        st.dictionaries(
            st.sampled_from(["overall", "why", "nps", "topics", "contact", "visit_reason", "waited", "x__other"]),
            answer_values,
            max_size=8,
        ),
    )
)
def test_submission_validator_never_raises(definition, raw):
    clean, errors = validate_submission(definition, raw)
    assert isinstance(clean, dict) and isinstance(errors, dict)
    assert all(isinstance(v, str) for v in errors.values())


cell_values = st.one_of(
    st.text(),
    st.integers(),
    st.floats(allow_nan=False),
    st.none(),
    st.builds(lambda p, t: p + t, st.sampled_from(DANGEROUS), st.text()),
)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_escaper(escape, value, numbers_pass: bool = False) -> None:
    out = escape(value)
    if isinstance(value, str):
        assert isinstance(out, str) and out in (value, "'" + value)
        if not (numbers_pass and _is_number(value) and value[:1] not in ("\t", "\r")):
            assert not out.startswith(DANGEROUS), repr(out)
    else:
        assert out == value


@FAST
@given(cell_values)
def test_export_escapers_neutralise_every_formula_start(value):
    check_escaper(surveys_neutralise, value)
    check_escaper(appeals_neutralise, value)


@FAST
@given(cell_values)
def test_analysis_csv_escaper_neutralises_every_formula_start(value):
    check_escaper(_csv_safe, value, numbers_pass=True)


@FAST
@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), min_size=1, max_size=5))
def test_appeals_csv_round_trip_has_no_formula_cells(rows):
    body = to_csv(["h"] * len(rows[0]), rows).decode("utf-8-sig")
    for row in csv.reader(io.StringIO(body, newline=""), delimiter=";"):
        assert not any(cell.startswith(DANGEROUS) for cell in row)
