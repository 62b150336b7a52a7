"""The question-type classes: the registry, and answer rows that rebuild the answers they came from."""

from __future__ import annotations

import pytest

from app.surveys.schema import (
    QUESTION_CLASSES,
    QUESTION_TYPES,
    put_stored_answer,
    validate_definition,
    validate_submission,
)
from app.surveys.schema.model import OTHER_SUFFIX


def q(code: str, qtype: str, **extra):
    return {"code": code, "type": qtype, "text": {"ru": f"Вопрос {code}"}, **extra}


OPTIONS = [{"code": c, "text": {"ru": c}} for c in ("a", "b", "c")]
DOC = {
    "slug": "all-types",
    "title": {"ru": "Все типы"},
    "pages": [
        {
            "questions": [
                q("single", "single_choice", options=OPTIONS, other=True),
                q("multi", "multi_choice", options=OPTIONS, other=True),
                q("drop", "dropdown", options=OPTIONS),
                q("rate", "rating"),
                q("nps", "nps"),
                q("ces", "ces"),
                q(
                    "grid",
                    "matrix",
                    rows=[{"code": "grid_a", "text": {"ru": "a"}}, {"code": "grid_b", "text": {"ru": "b"}}],
                ),
                q("yes", "yes_no"),
                q("comment", "text"),
                q("count", "number"),
                q("day", "date"),
                q("contact", "contact"),
            ]
        }
    ],
}
ANSWERS = {
    "single": "other",
    "single__other": "свой вариант",
    "multi": ["a", "other"],
    "multi__other": "еще",
    "drop": "b",
    "rate": "4",
    "nps": 0,
    "ces": 7,
    "grid_a": 1,
    "grid_b": "5",
    "yes": "нет",
    "comment": "Текст",
    "count": "2.5",
    "day": "2026-01-31",
    "contact": {"consent": True, "name": "Иван", "phone": "+7 900 000-00-00", "email": ""},
}


def test_every_question_type_has_its_class():
    assert set(QUESTION_TYPES) == set(QUESTION_CLASSES)
    assert {q["type"] for q in DOC["pages"][0]["questions"]} == set(QUESTION_TYPES)
    for name, question_class in QUESTION_CLASSES.items():
        assert question_class.model_fields["type"].annotation.__args__ == (name,)


def test_answer_rows_rebuild_the_clean_answers():
    defn = validate_definition(DOC)
    clean, errors = validate_submission(defn, ANSWERS)
    assert errors == {}
    rebuilt: dict = {}
    for question in defn.questions():
        for row in question.answer_rows(clean):
            assert set(row) == {"question_code", "value_num", "option_code", "text"}
            owner = defn.question(row["question_code"])
            if owner is None:  # a matrix row
                put_stored_answer(rebuilt, row["question_code"], row["value_num"], row["option_code"], row["text"])
            else:
                owner.stored_answer(rebuilt, row["question_code"], row["value_num"], row["option_code"], row["text"])
    expected = {k: v for k, v in clean.items() if k != "contact"}
    assert rebuilt == expected
    assert clean["contact"]["name"] == "Иван"  # kept apart: never an answer row
    assert clean["yes"] is False and rebuilt["count"] == 2.5 and rebuilt["multi"] == ["a", "other"]
    assert rebuilt["single" + OTHER_SUFFIX] == "свой вариант"


@pytest.mark.parametrize("qtype", [t for t in QUESTION_TYPES if t not in ("contact", "matrix")])
def test_a_required_question_left_empty_is_an_error(qtype):
    extra = {"options": OPTIONS} if "choice" in qtype or qtype == "dropdown" else {}
    defn = validate_definition(
        {"slug": "one", "title": {"ru": "Один"}, "pages": [{"questions": [q("x", qtype, required=True, **extra)]}]}
    )
    for empty in (None, "", "  ", [], {}):
        clean, errors = validate_submission(defn, {"x": empty})
        assert clean == {} and errors == {"x": "Ответьте на этот вопрос"}, (qtype, empty)
