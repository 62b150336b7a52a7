"""Survey definition rules, conditions and submission validation (pure, no database)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.surveys.schema import (
    DefinitionError,
    definition_changes,
    evaluate_condition,
    library,
    template,
    validate_definition,
    validate_submission,
    visible_codes,
)


def q(code: str, qtype: str, **extra):
    return {"code": code, "type": qtype, "text": {"ru": f"Вопрос {code}"}, **extra}


def opts(*codes: str):
    return [{"code": c, "text": {"ru": c}} for c in codes]


def doc(*questions, **extra):
    return {"slug": "test", "title": {"ru": "Тест"}, "pages": [{"questions": list(questions)}], **extra}


def errors_of(document) -> list[str]:
    with pytest.raises(DefinitionError) as info:
        validate_definition(document)
    return info.value.errors


ALL_TYPES = doc(
    q("single", "single_choice", options=opts("a", "b"), other=True, shuffle=True),
    q("multi", "multi_choice", options=opts("a", "b", "c"), min_selections=1, max_selections=2),
    q("drop", "dropdown", options=opts("x", "y")),
    q("rate", "rating", scale={"min": 1, "max": 5}, style="stars", required=True),
    q("nps", "nps"),
    q("ces", "ces"),
    q(
        "grid",
        "matrix",
        rows=[{"code": "row_a", "text": {"ru": "А"}}, {"code": "row_b", "text": {"ru": "Б"}}],
        scale={"min": 1, "max": 5},
    ),
    q("yn", "yes_no"),
    q("txt", "text", max_length=10, multiline=False),
    q("num", "number", min=0, max=100, integer=True),
    q("day", "date"),
    q("contact", "contact", fields=["name", "phone"]),
    analysis={"target": "rate", "drivers": ["row_a", "row_b", "nps"], "blocks": {"b": ["row_a", "row_b"]}},
    close_the_loop=[{"question": "rate", "at_or_below": 2}, {"question": "nps", "at_or_below": 6}],
)


def test_every_question_type_validates_and_helpers_work():
    defn = validate_definition(ALL_TYPES)
    assert [x.code for x in defn.questions()][:3] == ["single", "multi", "drop"]
    assert defn.question("grid").type == "matrix"
    assert defn.question("nope") is None
    assert defn.numeric_codes() == ["rate", "nps", "ces", "row_a", "row_b", "yn", "num"]
    assert defn.question("single").option_codes == ["a", "b", "other"]
    assert defn.text({"ru": "Привет", "en": "Hi"}, "en") == "Hi"
    assert defn.text({"ru": "Привет"}, "en") == "Привет"
    assert defn.text(defn.question("nps"), "de") == "Вопрос nps"
    assert len(defn.loop_rules()) == 2


@pytest.mark.parametrize("slug", ["visit-csat", "supply-quality", "connection-process", "service-audit"])
def test_shipped_templates_validate(slug):
    defn = validate_definition(template(slug))
    assert defn.slug == slug
    assert defn.title["ru"]


def test_library_has_four_templates_and_visit_csat_has_the_contract_codes():
    assert {d["slug"] for d in library()} >= {"visit-csat", "supply-quality", "connection-process", "service-audit"}
    defn = validate_definition(template("visit-csat"))
    codes = {x.code: x for x in defn.questions()}
    assert set(codes) == {
        "overall",
        "nps",
        "wait",
        "politeness",
        "competence",
        "comfort",
        "clarity",
        "purpose",
        "why",
        "contact",
    }
    assert codes["overall"].required and (codes["overall"].scale.min, codes["overall"].scale.max) == (1, 5)
    assert codes["purpose"].option_codes == ["connection", "transmission", "metering", "quality", "other"]
    assert codes["why"].max_length == 2000
    assert defn.analysis.target == "overall"
    assert defn.analysis.drivers == ["wait", "politeness", "competence", "comfort", "clarity"]
    assert defn.loop_rules()[0].question == "overall" and defn.loop_rules()[0].at_or_below == 2
    types = {x.type for d in library() for x in validate_definition(d).questions()}
    assert {"matrix", "multi_choice", "yes_no", "ces", "number", "date"} <= types


INVALID_CASES = [
    (
        "duplicate option",
        doc(q("purpose", "single_choice", options=opts("metering", "metering"))),
        "pages[0].questions[0].options: повторяется код «metering»",
    ),
    (
        "duplicate question code",
        doc(q("a", "yes_no"), q("a", "nps")),
        "pages[0].questions[1].code: повторяется код «a»",
    ),
    (
        "matrix row clashes with question",
        doc(q("a", "yes_no"), q("m", "matrix", rows=[{"code": "a", "text": {"ru": "r"}}])),
        "pages[0].questions[1].rows[0].code: повторяется код «a»",
    ),
    (
        "missing ru",
        doc({"code": "a", "type": "yes_no", "text": {"en": "Hi"}}),
        "pages[0].questions[0].text: нужен текст на русском языке (ru)",
    ),
    ("title without ru", {**doc(q("a", "yes_no")), "title": {"en": "x"}}, "title: нужен текст на русском языке"),
    ("unknown type", doc(q("a", "slider")), "pages[0].questions[0]: неизвестный тип вопроса «slider»"),
    ("missing type", doc({"code": "a", "text": {"ru": "x"}}), "pages[0].questions[0]: не указан тип вопроса"),
    ("unknown field", doc(q("a", "yes_no", colour="red")), "pages[0].questions[0].colour: неизвестное поле"),
    ("bad code", doc(q("Bad Code", "yes_no")), "pages[0].questions[0].code: код «Bad Code»"),
    ("double underscore", doc(q("a__b", "yes_no")), "pages[0].questions[0].code: код «a__b»"),
    ("reserved code", doc(q("csrf_token", "yes_no")), "зарезервирован"),
    (
        "empty options",
        doc(q("a", "single_choice", options=[])),
        "pages[0].questions[0].options: список не может быть пустым",
    ),
    (
        "scale reversed",
        doc(q("a", "rating", scale={"min": 5, "max": 1})),
        "pages[0].questions[0].scale: минимум шкалы должен быть меньше максимума",
    ),
    ("scale too long", doc(q("a", "rating", scale={"min": 0, "max": 20})), "больше 11 делений"),
    ("bad style", doc(q("a", "rating", style="hearts")), "pages[0].questions[0].style: недопустимое значение"),
    (
        "min > max selections",
        doc(q("a", "multi_choice", options=opts("x", "y", "z"), min_selections=3, max_selections=2)),
        "минимум выборов больше максимума",
    ),
    (
        "max selections > options",
        doc(q("a", "multi_choice", options=opts("x", "y"), max_selections=3)),
        "pages[0].questions[0].max_selections: максимум выборов больше числа вариантов",
    ),
    ("number min > max", doc(q("a", "number", min=10, max=1)), "pages[0].questions[0].min: минимум больше максимума"),
    ("text max_length zero", doc(q("a", "text", max_length=0)), "pages[0].questions[0].max_length"),
    (
        "condition on later question",
        doc(q("a", "text", show_if={"all": [{"question": "b", "op": "answered"}]}), q("b", "yes_no")),
        "pages[0].questions[0].show_if.all[0].question: условие ссылается на «b»",
    ),
    (
        "condition on itself",
        doc(q("a", "nps", show_if={"all": [{"question": "a", "op": "gt", "value": 1}]})),
        "условие ссылается на «a»",
    ),
    (
        "unknown op",
        doc(q("a", "nps"), q("b", "text", show_if={"all": [{"question": "a", "op": "like", "value": 1}]})),
        "pages[0].questions[1].show_if.all[0].op: недопустимое значение",
    ),
    (
        "gt on text",
        doc(q("a", "text"), q("b", "text", show_if={"all": [{"question": "a", "op": "gt", "value": 1}]})),
        "сравнение «gt» возможно только с числовым вопросом",
    ),
    (
        "gt without number",
        doc(q("a", "nps"), q("b", "text", show_if={"all": [{"question": "a", "op": "gt", "value": "x"}]})),
        "pages[0].questions[1].show_if.all[0].value: нужно число",
    ),
    (
        "in without list",
        doc(q("a", "nps"), q("b", "text", show_if={"any": [{"question": "a", "op": "in", "value": 1}]})),
        "для «in» нужен список",
    ),
    (
        "unknown option in condition",
        doc(
            q("a", "single_choice", options=opts("x")),
            q("b", "text", show_if={"all": [{"question": "a", "op": "eq", "value": "z"}]}),
        ),
        "у вопроса «a» нет варианта «z»",
    ),
    (
        "both all and any",
        doc(
            q("a", "nps"),
            q(
                "b",
                "text",
                show_if={"all": [{"question": "a", "op": "answered"}], "any": [{"question": "a", "op": "answered"}]},
            ),
        ),
        "укажите непустой список all или any",
    ),
    (
        "analysis unknown code",
        doc(q("a", "nps"), analysis={"target": "zzz"}),
        "analysis.target: нет вопроса с кодом «zzz»",
    ),
    (
        "analysis non-numeric",
        doc(q("a", "nps"), q("t", "text"), analysis={"target": "a", "drivers": ["t"]}),
        "analysis.drivers[0]: вопрос «t» не числовой",
    ),
    ("analysis block too small", doc(q("a", "nps"), analysis={"blocks": {"x": ["a"]}}), "analysis.blocks.x"),
    (
        "loop on text",
        doc(q("t", "text"), q("c", "contact"), close_the_loop={"question": "t", "at_or_below": 2}),
        "close_the_loop.question: вопрос «t» не числовой",
    ),
    (
        "loop without contact",
        doc(q("a", "nps"), close_the_loop={"question": "a", "at_or_below": 6}),
        "нужен вопрос о контактах",
    ),
    ("required contact", doc(q("c", "contact", required=True)), "контактные данные не могут быть обязательными"),
    ("two contacts", doc(q("c", "contact"), q("d", "contact")), "только один вопрос о контактах"),
    ("bad slug", {**doc(q("a", "nps")), "slug": "Bad Slug"}, "slug:"),
    ("no pages", {"slug": "x", "title": {"ru": "x"}, "pages": []}, "pages: список не может быть пустым"),
    ("bad date", doc(q("d", "date", min="yesterday")), "pages[0].questions[0].min: ожидается дата"),
]


@pytest.mark.parametrize(("name", "document", "expected"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_invalid_definition_reports_path_and_message(name, document, expected):
    errors = errors_of(document)
    assert any(expected in e for e in errors), errors


def test_every_problem_is_listed_not_only_the_first():
    document = doc(
        q("purpose", "single_choice", options=opts("metering", "metering")),
        q("Bad", "yes_no"),
        {"code": "x", "type": "rating", "text": {"en": "no ru"}},
        q("later", "text", show_if={"all": [{"question": "zzz", "op": "answered"}]}),
        analysis={"target": "purpose"},
    )
    errors = errors_of(document)
    assert len(errors) >= 5, errors
    assert "pages[0].questions[0].options: повторяется код «metering»" in errors


def test_non_object_document():
    assert errors_of([1, 2]) == ["(документ): ожидается объект JSON"]


def test_definition_changes_warn_on_type_and_scale():
    old = doc(
        q("a", "rating", scale={"min": 1, "max": 5}), q("b", "nps"), q("c", "single_choice", options=opts("x", "y"))
    )
    new = doc(q("a", "rating", scale={"min": 1, "max": 10}), q("b", "text"), q("c", "single_choice", options=opts("x")))
    warnings = definition_changes(old, new)
    assert any("«a»" in w and "шкала" in w for w in warnings)
    assert any("«b»" in w and "тип" in w for w in warnings)
    assert any("«c»" in w and "y" in w for w in warnings)
    assert definition_changes(old, copy.deepcopy(old)) == []


# --------------------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("op", "value", "answer", "expected"),
    [
        ("eq", 3, 3, True),
        ("eq", 3, "3", True),
        ("eq", 3, 4, False),
        ("eq", "a", "a", True),
        ("eq", "a", ["a", "b"], True),
        ("eq", "c", ["a", "b"], False),
        ("eq", True, True, True),
        ("eq", False, True, False),
        ("ne", 3, 4, True),
        ("ne", 3, 3, False),
        ("ne", "a", None, False),
        ("in", ["a", "b"], "b", True),
        ("in", ["a", "b"], "c", False),
        ("in", [1, 2], 2, True),
        ("gt", 3, 4, True),
        ("gt", 3, 3, False),
        ("gte", 3, 3, True),
        ("gte", 3, 2, False),
        ("lt", 3, 2, True),
        ("lt", 3, 3, False),
        ("lte", 3, 3, True),
        ("lte", 3, 4, False),
        ("lte", 3, None, False),
        ("gt", 3, "abc", False),
        ("gt", 1, ["a"], False),
        ("answered", None, 0, True),
        ("answered", None, "", False),
        ("answered", None, [], False),
        ("not_answered", None, None, True),
        ("not_answered", None, "x", False),
    ],
)
def test_condition_ops(op, value, answer, expected):
    answers = {} if answer is None else {"a": answer}
    assert evaluate_condition({"all": [{"question": "a", "op": op, "value": value}]}, answers) is expected


def test_all_and_any():
    answers = {"a": 2, "b": "x"}
    one_true = [{"question": "a", "op": "lte", "value": 3}, {"question": "b", "op": "eq", "value": "y"}]
    assert evaluate_condition({"all": one_true}, answers) is False
    assert evaluate_condition({"any": one_true}, answers) is True
    assert evaluate_condition(None, answers) is True
    assert evaluate_condition({"any": [{"question": "b", "op": "eq", "value": "y"}]}, answers) is False


def test_visible_codes_uses_conditions():
    defn = validate_definition(template("visit-csat"))
    assert "why" in visible_codes(defn, {"overall": 2})
    assert "why" not in visible_codes(defn, {"overall": 5})
    assert "why" not in visible_codes(defn, {})


# --------------------------------------------------------------------------- submissions


@pytest.fixture(scope="module")
def all_types():
    return validate_definition(ALL_TYPES)


def test_valid_submission_is_cleaned(all_types):
    clean, errors = validate_submission(
        all_types,
        {
            "single": "other",
            "single__other": " свое ",
            "multi": ["a", "b", "a"],
            "drop": "y",
            "rate": "4",
            "nps": 10,
            "ces": 7,
            "row_a": 1,
            "row_b": "5",
            "yn": "yes",
            "txt": "короткий",
            "num": "42",
            "day": "2026-03-01",
            "contact": {"name": "Иван", "phone": "+7 (900) 123-45-67", "consent": True},
            "unknown": "ignored",
        },
    )
    assert errors == {}
    assert clean == {
        "single": "other",
        "single__other": "свое",
        "multi": ["a", "b"],
        "drop": "y",
        "rate": 4,
        "nps": 10,
        "ces": 7,
        "row_a": 1,
        "row_b": 5,
        "yn": True,
        "txt": "короткий",
        "num": 42,
        "day": "2026-03-01",
        "contact": {"name": "Иван", "phone": "+7 (900) 123-45-67", "email": "", "consent": True},
    }


@pytest.mark.parametrize(
    ("answers", "code", "message"),
    [
        ({}, "rate", "Ответьте на этот вопрос"),
        ({"rate": 6}, "rate", "от 1 до 5"),
        ({"rate": 4.5}, "rate", "от 1 до 5"),
        ({"rate": True}, "rate", "от 1 до 5"),
        ({"rate": 3, "nps": 11}, "nps", "от 0 до 10"),
        ({"rate": 3, "ces": 0}, "ces", "от 1 до 7"),
        ({"rate": 3, "single": "zzz"}, "single", "Выберите один из предложенных вариантов"),
        ({"rate": 3, "drop": "a"}, "drop", "Выберите один из"),
        ({"rate": 3, "multi": ["a", "b", "c"]}, "multi", "не больше 2"),
        ({"rate": 3, "multi": ["zz"]}, "multi", "из предложенных"),
        ({"rate": 3, "multi": [1]}, "multi", "Недопустимый ответ"),
        ({"rate": 3, "row_a": 9}, "row_a", "от 1 до 5"),
        ({"rate": 3, "yn": "maybe"}, "yn", "«да» или «нет»"),
        ({"rate": 3, "txt": "x" * 11}, "txt", "Не больше 10 символов"),
        ({"rate": 3, "txt": 5}, "txt", "Недопустимый ответ"),
        ({"rate": 3, "num": "abc"}, "num", "Введите число"),
        ({"rate": 3, "num": 2.5}, "num", "целое"),
        ({"rate": 3, "num": 101}, "num", "не больше 100"),
        ({"rate": 3, "num": -1}, "num", "не меньше 0"),
        ({"rate": 3, "day": "01.03.2026"}, "day", "ГГГГ-ММ-ДД"),
        ({"rate": 3, "day": "2026-02-30"}, "day", "ГГГГ-ММ-ДД"),
        ({"rate": 3, "contact": {"phone": "abc", "consent": True}}, "contact.phone", "телефон"),
        ({"rate": 3, "contact": {"name": "Иван", "consent": True}}, "contact", "телефон или электронную почту"),
    ],
)
def test_invalid_answers(all_types, answers, code, message):
    clean, errors = validate_submission(all_types, answers)
    assert code in errors and message in errors[code], errors


def test_contact_without_consent_is_dropped(all_types):
    clean, errors = validate_submission(
        all_types, {"rate": 3, "contact": {"name": "Иван", "phone": "+79001234567", "consent": False}}
    )
    assert errors == {} and "contact" not in clean


def test_hidden_answers_are_discarded_and_hidden_required_is_not_required():
    defn = validate_definition(
        doc(
            q("overall", "rating", required=True),
            q("why", "text", required=True, show_if={"all": [{"question": "overall", "op": "lte", "value": 3}]}),
        )
    )
    assert validate_submission(defn, {"overall": 5, "why": "x"}) == ({"overall": 5}, {})
    assert validate_submission(defn, {"overall": 2}) == ({"overall": 2}, {"why": "Ответьте на этот вопрос"})
    assert validate_submission(defn, {"overall": 2, "why": "долго"}) == ({"overall": 2, "why": "долго"}, {})


def test_other_text_kept_only_when_other_chosen(all_types):
    clean, _ = validate_submission(all_types, {"rate": 3, "single": "a", "single__other": "x"})
    assert "single__other" not in clean


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
CODES = st.sampled_from(
    [
        "single",
        "single__other",
        "multi",
        "drop",
        "rate",
        "nps",
        "ces",
        "row_a",
        "row_b",
        "yn",
        "txt",
        "num",
        "day",
        "contact",
        "grid",
        "other",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(CODES | st.text(max_size=8), JSONISH, max_size=12) | JSONISH)
def test_validate_submission_never_raises(all_types, answers):
    clean, errors = validate_submission(all_types, answers)
    assert isinstance(clean, dict) and isinstance(errors, dict)
    assert all(isinstance(v, str) for v in errors.values())
    assert not (set(clean) & set(errors))


@settings(max_examples=150, deadline=None)
@given(JSONISH)
def test_validate_definition_never_raises_anything_but_definition_error(document):
    try:
        validate_definition(document)
    except DefinitionError as exc:
        assert exc.errors
