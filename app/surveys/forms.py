"""Designer forms and the structured edits they make to a definition document.

The edits work on a copy of the raw JSON document; the caller validates the result with
``validate_definition`` and saves nothing when it fails.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.surveys.models import ASSIGNABLE_CHANNELS, CHANNEL_LABELS
from app.surveys.schema import QUESTION_CLASSES

QUESTION_TYPE_LABELS = {
    "rating": _l("Оценка по шкале"),
    "nps": _l("Готовность рекомендовать (NPS 0–10)"),
    "ces": _l("Усилие клиента (CES 1–7)"),
    "single_choice": _l("Один вариант"),
    "multi_choice": _l("Несколько вариантов"),
    "dropdown": _l("Выпадающий список"),
    "matrix": _l("Матрица (строки × шкала)"),
    "yes_no": _l("Да / нет"),
    "text": _l("Текст"),
    "number": _l("Число"),
    "date": _l("Дата"),
    "contact": _l("Контакты (с согласием)"),
}
OP_LABELS = {
    "": "—",
    "eq": _l("равно"),
    "ne": _l("не равно"),
    "gt": _l("больше"),
    "gte": _l("не меньше"),
    "lt": _l("меньше"),
    "lte": _l("не больше"),
    "answered": _l("есть ответ"),
    "not_answered": _l("нет ответа"),
}

COMMON_KEYS = {"code", "type", "text", "help", "required", "show_if"}
# The keys a question of each type may have: its class's fields (kept when the form is saved).
TYPE_KEYS = {name: set(cls.model_fields) - COMMON_KEYS for name, cls in QUESTION_CLASSES.items()}
CODE_PATTERN = r"^[a-z][a-z0-9_]{0,47}$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{0,63}$"
CODE_RULE = _l("от 1 до 48 знаков: строчные латинские буквы, цифры и «_», первый знак — буква")
SLUG_RULE = _l("от 1 до 64 знаков: строчные латинские буквы, цифры и дефис, первый знак — буква или цифра")


class CreateForm(FlaskForm):
    template = SelectField(_l("Основа"), choices=[], validate_choice=False)
    # Optional: the view makes one from the title (app.surveys.interchange.slug_from_title) when empty.
    slug = StringField(
        _l("Код анкеты (для ссылок)"),
        validators=[
            Optional(),
            Regexp(SLUG_PATTERN, message=SLUG_RULE),
        ],
    )
    title = StringField(_l("Название"), validators=[Optional(), Length(max=300)])


class DuplicateForm(FlaskForm):
    slug = StringField(
        _l("Код новой анкеты"),
        validators=[
            DataRequired(_l("Укажите код")),
            Regexp(SLUG_PATTERN, message=SLUG_RULE),
        ],
    )


class ImportForm(FlaskForm):
    file = FileField(_l("Файл анкеты"), validators=[FileRequired(_l("Выберите файл"))])
    source = SelectField(
        _l("Формат"),
        choices=[
            ("", _l("Определить по файлу")),
            ("native", _l("JSON Отклика")),
            ("surveyjs", _l("SurveyJS (файл JSON)")),
            ("xlsform", _l("XLSForm (электронная таблица)")),
        ],
        default="",
    )


class JsonForm(FlaskForm):
    document = TextAreaField(_l("Определение анкеты (JSON)"), validators=[DataRequired(_l("Документ пуст"))])


class ActionForm(FlaskForm):
    """Buttons that only need the CSRF token (publish, close, remove, move)."""


class QuestionForm(FlaskForm):
    page = HiddenField()
    index = HiddenField()
    code = StringField(_l("Код вопроса"), validators=[Optional(), Regexp(CODE_PATTERN, message=CODE_RULE)])
    type = SelectField(_l("Тип"), choices=list(QUESTION_TYPE_LABELS.items()))
    text_ru = TextAreaField(_l("Текст вопроса"), validators=[DataRequired(_l("Укажите текст")), Length(max=2000)])
    help_ru = StringField(_l("Подсказка"), validators=[Optional(), Length(max=500)])
    required = BooleanField(_l("Обязательный"))
    other = BooleanField(_l("Другое (свой ответ)"))
    shuffle = BooleanField(_l("Перемешивать варианты"))
    min_selections = IntegerField(_l("Выбрать не меньше"), validators=[Optional()])
    max_selections = IntegerField(_l("Выбрать не больше"), validators=[Optional()])
    rows = TextAreaField(_l("Строки матрицы: «код | текст»"), validators=[Optional()])
    scale_min = IntegerField(_l("Шкала от"), validators=[Optional()])
    scale_max = IntegerField(_l("Шкала до"), validators=[Optional()])
    style = SelectField(
        _l("Вид шкалы"),
        choices=[("numbers", _l("Цифры")), ("stars", _l("Звезды")), ("faces", _l("Смайлики"))],
        default="numbers",
    )
    label_min = StringField(_l("Подпись минимума"), validators=[Optional(), Length(max=200)])
    label_max = StringField(_l("Подпись максимума"), validators=[Optional(), Length(max=200)])
    max_length = IntegerField(_l("Максимум символов"), validators=[Optional()])
    number_min = StringField(_l("Минимум"), validators=[Optional(), Length(max=32)])
    number_max = StringField(_l("Максимум"), validators=[Optional(), Length(max=32)])
    cond_question = SelectField(_l("Показывать, если вопрос"), choices=[("", _l("— всегда —"))], validate_choice=False)
    cond_op = SelectField(_l("Условие"), choices=list(OP_LABELS.items()), default="")
    cond_value = StringField(_l("Значение"), validators=[Optional(), Length(max=200)])

    # Set by the view before ``question_from_form``: the option rows as typed and the codes that a
    # published version froze (their answers are compared across versions by code).
    option_rows: list[tuple[str, str, str]] = []
    frozen_codes: frozenset[str] = frozenset()
    option_renames: dict[str, str] = {}  # filled by ``question_from_form``: original code → new code


class AssignForm(FlaskForm):
    target = SelectField(
        _l("Куда"), choices=[("all", _l("Все ЦОК")), ("branch", _l("Все ЦОК филиала")), ("list", _l("Выбранные ЦОК"))]
    )
    branch = SelectField(_l("Филиал"), choices=[], coerce=int, validate_choice=False)
    centers = SelectMultipleField(_l("ЦОК"), choices=[], coerce=int, validate_choice=False)
    channels = SelectMultipleField(
        _l("Каналы"), choices=[(c, CHANNEL_LABELS[c]) for c in ASSIGNABLE_CHANNELS], validate_choice=False
    )


# --------------------------------------------------------------------------- document edits


def _lang(existing: Any, ru: str) -> dict[str, str] | None:
    """Replace the Russian text and keep other languages; empty → None."""
    if not ru.strip():
        return None
    result = dict(existing) if isinstance(existing, dict) else {}
    result["ru"] = ru.strip()
    return result


def parse_pairs(text: str, what: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Lines «code | текст» → [{"code", "text": {"ru"}}]; errors with line numbers."""
    items: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        code, sep, label = line.partition("|")
        if not sep or not code.strip() or not label.strip():
            errors.append(f"{what}, строка {number}: нужно «код | текст»")
            continue
        items.append({"code": code.strip(), "text": {"ru": label.strip()}})
    return items, errors


def format_pairs(items: Any) -> str:
    lines = []
    for item in items or []:
        if isinstance(item, dict):
            text = item.get("text") or {}
            lines.append(f"{item.get('code', '')} | {text.get('ru', '') if isinstance(text, dict) else text}")
    return "\n".join(lines)


def _number(value: str) -> float | int | None:
    value = (value or "").strip().replace(",", ".")
    if not value:
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(value)  # inf / nan: not a number a respondent can type, and not valid JSON
    return int(number) if number.is_integer() else number


def _condition_value(raw: str, op: str) -> Any:
    raw = raw.strip()
    if op in ("answered", "not_answered"):
        return None
    if op == "in":
        return [_scalar(v.strip()) for v in raw.split(";") if v.strip()]
    return _scalar(raw)


def _scalar(raw: str) -> Any:
    try:
        return _number(raw)
    except ValueError:
        return raw


def derived_code(text: str, taken: set[str], prefix: str = "q") -> str:
    """A code transliterated from the Russian ``text`` (python-slugify), unique against ``taken``."""
    from app.surveys.interchange import CodeMaker

    maker = CodeMaker(prefix)
    maker.used |= taken
    return maker.make(text)


def _is_generated(code: str, old_text: str, placeholder: str) -> bool:
    """True for a code the designer made (a placeholder or the transliterated text), not one a person chose."""
    if re.fullmatch(placeholder, code or ""):
        return True
    base = derived_code(old_text, set()) if old_text.strip() else ""
    return bool(base) and re.fullmatch(re.escape(base) + r"(_\d+)?", code or "") is not None


def _option_code(text: str, code: str, original: str, old: dict[str, Any], taken: set[str], frozen: bool) -> str:
    """The code an option row gets: a typed code wins; a generated one follows the text until published."""
    code, original = code.strip(), original.strip()
    if code and code != original:
        return code
    previous = old.get(original)
    old_text = ((previous or {}).get("text") or {}).get("ru", "") if previous else ""
    if original and (frozen or old_text == text or not _is_generated(original, old_text, r"v\d+|[a-z]")):
        return original
    return derived_code(text, taken, prefix="v")


def _apply_options(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    old: dict[str, Any] = {str(o.get("code")): o for o in (existing or {}).get("options") or [] if isinstance(o, dict)}
    qcode = (existing or {}).get("code", "")
    kept = {original for text, _code, original in form.option_rows if text.strip() and original}
    taken: set[str] = set()
    form.option_renames = {}
    options: list[dict[str, Any]] = []
    for text, code, original in form.option_rows:
        text = text.strip()
        if not text:
            continue
        frozen = f"{qcode}.{original}" in form.frozen_codes
        new_code = _option_code(text, code, original, old, taken | (kept - {original}), frozen)
        taken.add(new_code)
        if original and new_code != original:
            form.option_renames[original] = new_code
        option: dict[str, Any] = {"code": new_code, "text": {"ru": text}}
        previous = old.get(original)
        if previous and isinstance(previous.get("text"), dict):  # keep other languages
            option["text"] = {**previous["text"], "ru": text}
        options.append(option)
    question["options"] = options
    question["other"] = bool(form.other.data)
    question["shuffle"] = bool(form.shuffle.data)


def _apply_selections(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    for key in ("min_selections", "max_selections"):
        value = getattr(form, key).data
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value


def _apply_scale(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    question["scale"] = {
        "min": form.scale_min.data if form.scale_min.data is not None else 1,
        "max": form.scale_max.data if form.scale_max.data is not None else 5,
    }


def _apply_style(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    question["style"] = form.style.data or "numbers"


def _apply_rows(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    rows, problems = parse_pairs(form.rows.data, "Строки")
    errors += problems
    question["rows"] = rows


def _apply_labels(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    labels = {}
    for end, field in (("min", form.label_min), ("max", form.label_max)):
        text = _lang((question.get("labels") or {}).get(end), field.data or "")
        if text:
            labels[end] = text
    if labels:
        question["labels"] = labels
    else:
        question.pop("labels", None)


def _apply_max_length(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    if form.max_length.data is not None:
        question["max_length"] = form.max_length.data


def _apply_number_range(
    form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None, errors: list[str]
) -> None:
    for key, field in (("min", form.number_min), ("max", form.number_max)):
        try:
            value = _number(field.data)
        except ValueError:
            errors.append(f"{field.label.text}: ожидается число")
            continue
        if value is None:
            question.pop(key, None)
        else:
            question[key] = value


def _apply_condition(form: QuestionForm, question: dict[str, Any], existing: dict[str, Any] | None) -> None:
    if form.cond_question.data and form.cond_op.data:
        clause = {"question": form.cond_question.data, "op": form.cond_op.data}
        value = _condition_value(form.cond_value.data or "", form.cond_op.data)
        if value is not None:
            clause["value"] = value
        question["show_if"] = {"all": [clause]}
    elif form.cond_question.data == "" and not _complex_condition(existing):
        question.pop("show_if", None)


FormPart = Callable[["QuestionForm", dict[str, Any], "dict[str, Any] | None", list[str]], None]
# The designer form's fields each question type reads, in order.
TYPE_FORM_PARTS: dict[str, tuple[FormPart, ...]] = {
    "single_choice": (_apply_options,),
    "dropdown": (_apply_options,),
    "multi_choice": (_apply_options, _apply_selections),
    "rating": (_apply_scale, _apply_style, _apply_labels),
    "nps": (_apply_labels,),
    "ces": (_apply_labels,),
    "matrix": (_apply_scale, _apply_rows, _apply_labels),
    "text": (_apply_max_length,),
    "number": (_apply_number_range,),
}


def _question_code(form: QuestionForm, existing: dict[str, Any] | None, taken: set[str]) -> str:
    """A typed code wins; a generated one follows the text until a version is published."""
    code = (form.code.data or "").strip()
    old_code = (existing or {}).get("code", "")
    old_text = ((existing or {}).get("text") or {}).get("ru", "")
    text = (form.text_ru.data or "").strip()
    if code and code != old_code:
        return code
    if code and (old_code in form.frozen_codes or old_text == text or not _is_generated(code, old_text, r"q\d+")):
        return code
    return derived_code(text, taken)


def question_from_form(
    form: QuestionForm, existing: dict[str, Any] | None, taken: set[str] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Build a question dict from the form, keeping translations and fields the form does not show.

    ``taken``: the other questions' codes, so that a code generated from the text is unique.
    """
    qtype = form.type.data
    question = copy.deepcopy(existing) if existing else {}
    allowed = COMMON_KEYS | TYPE_KEYS.get(qtype, set())
    question = {k: v for k, v in question.items() if k in allowed}
    errors: list[str] = []
    question["code"] = _question_code(form, existing, taken or set())
    question["type"] = qtype
    question["text"] = _lang(question.get("text"), form.text_ru.data or "") or {"ru": ""}
    help_text = _lang(question.get("help"), form.help_ru.data or "")
    if help_text:
        question["help"] = help_text
    else:
        question.pop("help", None)
    question["required"] = bool(form.required.data)
    for apply in TYPE_FORM_PARTS.get(qtype, ()):
        apply(form, question, existing, errors)
    _apply_condition(form, question, existing)
    return question, errors


def _complex_condition(question: dict[str, Any] | None) -> bool:
    """More than one rule, «any», or a list value: the dropdowns cannot show it, the JSON editor can."""
    show_if = (question or {}).get("show_if") or {}
    clauses = (show_if.get("all") or []) + (show_if.get("any") or [])
    listed = any(isinstance(c, dict) and c.get("op") == "in" for c in clauses)
    return len(clauses) > 1 or bool(show_if.get("any")) or listed


def rename_question(doc: dict[str, Any], old: str, new: str) -> None:
    """Point every condition that names question ``old`` at ``new`` (its code was regenerated)."""
    if old == new:
        return
    for page in doc.get("pages") or []:
        for question in page.get("questions") or []:
            show_if = question.get("show_if") or {}
            for clause in (show_if.get("all") or []) + (show_if.get("any") or []):
                if isinstance(clause, dict) and clause.get("question") == old:
                    clause["question"] = new


def rename_option(doc: dict[str, Any], question_code: str, old: str, new: str) -> None:
    """Point conditions on ``question_code`` that compare with option ``old`` at ``new``."""
    for page in doc.get("pages") or []:
        for question in page.get("questions") or []:
            show_if = question.get("show_if") or {}
            for clause in (show_if.get("all") or []) + (show_if.get("any") or []):
                if isinstance(clause, dict) and clause.get("question") == question_code:
                    value = clause.get("value")
                    if value == old:
                        clause["value"] = new
                    elif isinstance(value, list):
                        clause["value"] = [new if v == old else v for v in value]


def fill_question_form(form: QuestionForm, question: dict[str, Any]) -> None:
    """Show a question's current values in the form (GET)."""
    form.code.data = question.get("code", "")
    form.type.data = question.get("type", "rating")
    form.text_ru.data = (question.get("text") or {}).get("ru", "")
    form.help_ru.data = (question.get("help") or {}).get("ru", "")
    form.required.data = bool(question.get("required"))
    form.rows.data = format_pairs(question.get("rows"))
    form.other.data = bool(question.get("other"))
    form.shuffle.data = bool(question.get("shuffle"))
    form.min_selections.data = question.get("min_selections")
    form.max_selections.data = question.get("max_selections")
    scale = question.get("scale") or {}
    form.scale_min.data = scale.get("min")
    form.scale_max.data = scale.get("max")
    form.style.data = question.get("style", "numbers")
    labels = question.get("labels") or {}
    form.label_min.data = (labels.get("min") or {}).get("ru", "")
    form.label_max.data = (labels.get("max") or {}).get("ru", "")
    form.max_length.data = question.get("max_length")
    form.number_min.data = "" if question.get("min") is None else str(question.get("min"))
    form.number_max.data = "" if question.get("max") is None else str(question.get("max"))
    clauses = ((question.get("show_if") or {}).get("all") or []) + ((question.get("show_if") or {}).get("any") or [])
    if len(clauses) == 1 and not _complex_condition(question):
        clause = clauses[0]
        form.cond_question.data = clause.get("question", "")
        form.cond_op.data = clause.get("op", "")
        value = clause.get("value")
        form.cond_value.data = (
            ";".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
        )


_TWO_OPTIONS = {"options": [{"code": "a", "text": {"ru": "Вариант 1"}}, {"code": "b", "text": {"ru": "Вариант 2"}}]}
_PLACEHOLDER_FIELDS: dict[str, dict[str, Any]] = {
    "single_choice": _TWO_OPTIONS,
    "multi_choice": _TWO_OPTIONS,
    "dropdown": _TWO_OPTIONS,
    "rating": {"scale": {"min": 1, "max": 5}},
    "matrix": {"scale": {"min": 1, "max": 5}},
}


def new_question(doc: dict[str, Any], qtype: str) -> dict[str, Any]:
    """A placeholder question of ``qtype`` with a free code, valid enough to edit further."""
    used = {q.get("code") for p in doc.get("pages") or [] for q in p.get("questions") or []}
    number = 1
    while f"q{number}" in used:
        number += 1
    code = f"q{number}"
    question: dict[str, Any] = {"code": code, "type": qtype, "text": {"ru": "Новый вопрос"}}
    if qtype == "matrix":
        question["rows"] = [{"code": f"{code}_r1", "text": {"ru": "Строка 1"}}]
    question.update(copy.deepcopy(_PLACEHOLDER_FIELDS.get(qtype, {})))
    return question


def move_question(doc: dict[str, Any], page: int, index: int, delta: int) -> None:
    """Move a question up/down; past a page's edge it goes to the neighbouring page."""
    pages = doc["pages"]
    questions = pages[page]["questions"]
    target = index + delta
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
    elif target < 0 and page > 0:
        pages[page - 1]["questions"].append(questions.pop(index))
    elif target >= len(questions) and page + 1 < len(pages):
        pages[page + 1]["questions"].insert(0, questions.pop(index))


def blank_definition(slug: str, title: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": {"ru": title or "Новая анкета"},
        "pages": [
            {
                "questions": [
                    {
                        "code": "overall",
                        "type": "rating",
                        "required": True,
                        "scale": {"min": 1, "max": 5},
                        "text": {"ru": "Насколько вы удовлетворены обслуживанием?"},
                    }
                ]
            }
        ],
    }


def parse_json(text: str) -> tuple[Any, list[str]]:
    """Parse the JSON editor's text; a syntax error is reported with its line and column."""
    try:
        return json.loads(text), []
    except json.JSONDecodeError as exc:  # Python's own message is English: the place is what helps
        return None, [f"(JSON) ошибка синтаксиса: строка {exc.lineno}, позиция {exc.colno}"]
    except RecursionError:
        return None, ["(JSON) слишком глубокая вложенность скобок"]
