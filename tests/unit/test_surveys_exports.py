"""Pure parts of the exports: formula neutralisation and the columns of a definition."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from app.surveys.exports import FORMULA_PREFIXES, definition_columns, neutralise_cell

LIBRARY = Path(__file__).resolve().parents[2] / "app" / "surveys" / "library"


@given(st.text())
def test_neutralised_text_never_starts_with_a_formula_character(value):
    cell = neutralise_cell(value)
    assert not cell.startswith(FORMULA_PREFIXES)
    assert cell in (value, "'" + value)
    assert cell.endswith(value)


@given(st.sampled_from(FORMULA_PREFIXES), st.text())
def test_formula_prefixes_get_an_apostrophe(prefix, rest):
    assert neutralise_cell(prefix + rest) == "'" + prefix + rest


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.none()))
def test_numbers_and_empty_cells_are_left_alone(value):
    assert neutralise_cell(value) == value


def test_plain_text_unchanged():
    assert neutralise_cell("Очень долго ждал") == "Очень долго ждал"
    assert neutralise_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert neutralise_cell("-5") == "'-5"


def test_columns_of_matrix_multi_and_other():
    doc = {
        "pages": [
            {
                "questions": [
                    {
                        "code": "m",
                        "type": "matrix",
                        "text": {"ru": "Оцените"},
                        "scale": {"min": 1, "max": 5},
                        "rows": [{"code": "m_a", "text": {"ru": "А"}}, {"code": "m_b", "text": {"ru": "Б"}}],
                    },
                    {
                        "code": "many",
                        "type": "multi_choice",
                        "text": {"ru": "Что"},
                        "other": True,
                        "options": [{"code": "x", "text": {"ru": "Икс"}}],
                    },
                    {
                        "code": "one",
                        "type": "single_choice",
                        "text": {"ru": "Один"},
                        "options": [{"code": "a", "text": {"ru": "А"}}, {"code": "b", "text": {"ru": "Б"}}],
                    },
                    {"code": "contact", "type": "contact", "text": {"ru": "Контакты"}},
                    {"code": "yn", "type": "yes_no", "text": {"ru": "Да?"}},
                ]
            }
        ]
    }
    columns = definition_columns([doc])
    assert [c.code for c in columns] == ["m_a", "m_b", "many", "many__other", "one", "yn"]
    one = columns[4]
    assert one.options == ["a", "b"] and one.value_labels == {1.0: "А", 2.0: "Б"}
    assert columns[5].value_labels == {1.0: "Да", 0.0: "Нет"}


def test_columns_span_versions_newest_first():
    visit = json.loads((LIBRARY / "visit-csat.json").read_text(encoding="utf-8"))
    older = {"pages": [{"questions": [{"code": "legacy", "type": "text", "text": {"ru": "Старый вопрос"}}]}]}
    codes = [c.code for c in definition_columns([visit, older])]
    assert codes[-1] == "legacy"
    assert {"overall", "nps", "wait", "purpose", "why"} <= set(codes)
    assert "contact" not in codes
