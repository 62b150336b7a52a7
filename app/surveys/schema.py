"""Survey definition documents: structure (pydantic), semantic rules, conditions, submission validation.

A definition is JSON; ``validate_definition`` lists every problem by path in Russian. Answers use one
JSON shape everywhere (API, kiosk JS, HTML form parser): ``{code: value, "<code>__other": text,
"<matrix row code>": n, "contact": {...}}``. This module is pure: no Flask, no database.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
RESERVED_CODES = {"csrf_token", "client_submission_id", "contact_name", "contact_phone", "contact_email",
                  "contact_consent"}
OTHER_CODE = "other"
OTHER_SUFFIX = "__other"
OTHER_MAX_LENGTH = 500
NUMBER_LIMIT = 1e12
QUESTION_TYPES = ("single_choice", "multi_choice", "dropdown", "rating", "nps", "ces", "matrix", "yes_no",
                  "text", "number", "date", "contact")
NUMERIC_TYPES = ("rating", "nps", "ces", "number", "yes_no")
OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "answered", "not_answered")
CONTACT_FIELDS = ("name", "phone", "email")
LIBRARY_DIR = Path(__file__).parent / "library"


class DefinitionError(ValueError):
    """An invalid definition; ``errors`` lists every problem as "path: message" (Russian)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("Анкета содержит ошибки:\n" + "\n".join(errors))


# --------------------------------------------------------------------------- structure


def _check_lang_text(value: dict[str, str]) -> dict[str, str]:
    if not (value.get("ru") or "").strip():
        raise ValueError("нужен текст на русском языке (ru)")
    for lang in value:
        if not re.fullmatch(r"[a-z]{2}", lang):
            raise ValueError(f"неверный код языка «{lang}»")
    return value


LangText = Annotated[dict[str, str], AfterValidator(_check_lang_text)]
Code = Annotated[str, Field(max_length=48)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Model):
    question: Code
    op: Literal["eq", "ne", "in", "gt", "gte", "lt", "lte", "answered", "not_answered"]
    value: Any = None


class Condition(_Model):
    all: list[Clause] | None = None
    any: list[Clause] | None = None

    @property
    def clauses(self) -> list[Clause]:
        return list(self.all or []) + list(self.any or [])


class Option(_Model):
    code: Code
    text: LangText


class Scale(_Model):
    min: int
    max: int


class ScaleLabels(_Model):
    min: LangText | None = None
    max: LangText | None = None


class MatrixRow(_Model):
    code: Code
    text: LangText


class _Question(_Model):
    code: Code
    text: LangText
    help: LangText | None = None
    required: bool = False
    show_if: Condition | None = None

    @property
    def answer_codes(self) -> list[str]:
        """The keys this question's answers use in the answer JSON."""
        return [self.code]

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES  # type: ignore[attr-defined]


class _ChoiceQuestion(_Question):
    options: list[Option] = Field(min_length=1)
    shuffle: bool = False
    other: bool = False

    @property
    def all_options(self) -> list[Option]:
        """Options including the implicit «Другое» when ``other`` is on and no option is coded "other"."""
        if self.other and all(o.code != OTHER_CODE for o in self.options):
            return [*self.options, Option(code=OTHER_CODE, text={"ru": "Другое", "en": "Other"})]
        return list(self.options)

    @property
    def option_codes(self) -> list[str]:
        return [o.code for o in self.all_options]


class SingleChoice(_ChoiceQuestion):
    type: Literal["single_choice"]


class Dropdown(_ChoiceQuestion):
    type: Literal["dropdown"]


class MultiChoice(_ChoiceQuestion):
    type: Literal["multi_choice"]
    min_selections: int | None = Field(default=None, ge=0)
    max_selections: int | None = Field(default=None, ge=1)


class Rating(_Question):
    type: Literal["rating"]
    scale: Scale = Scale(min=1, max=5)
    style: Literal["numbers", "stars", "faces"] = "numbers"
    labels: ScaleLabels | None = None


class Nps(_Question):
    type: Literal["nps"]
    labels: ScaleLabels | None = None

    @property
    def scale(self) -> Scale:
        return Scale(min=0, max=10)

    style: Literal["numbers"] = "numbers"


class Ces(_Question):
    type: Literal["ces"]
    labels: ScaleLabels | None = None
    style: Literal["numbers"] = "numbers"

    @property
    def scale(self) -> Scale:
        return Scale(min=1, max=7)


class Matrix(_Question):
    type: Literal["matrix"]
    rows: list[MatrixRow] = Field(min_length=1)
    scale: Scale = Scale(min=1, max=5)
    labels: ScaleLabels | None = None

    @property
    def answer_codes(self) -> list[str]:
        return [r.code for r in self.rows]


class YesNo(_Question):
    type: Literal["yes_no"]


class TextQuestion(_Question):
    type: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=20000)
    multiline: bool = True


class NumberQuestion(_Question):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False


class DateQuestion(_Question):
    type: Literal["date"]
    min: date | None = None
    max: date | None = None


class ContactQuestion(_Question):
    type: Literal["contact"]
    fields: list[Literal["name", "phone", "email"]] = Field(default=["name", "phone", "email"], min_length=1)


Question = Annotated[
    SingleChoice | MultiChoice | Dropdown | Rating | Nps | Ces | Matrix | YesNo | TextQuestion | NumberQuestion
    | DateQuestion | ContactQuestion,
    Field(discriminator="type"),
]


class Page(_Model):
    title: LangText | None = None
    questions: list[Question] = Field(min_length=1)


class Analysis(_Model):
    target: Code | None = None
    drivers: list[Code] = []
    blocks: dict[str, list[Code]] = {}


class CloseTheLoop(_Model):
    question: Code
    at_or_below: float
    topic_question: Code | None = None  # a single choice whose option codes are topic codes


class SurveyDefinition(_Model):
    """A validated survey definition. Build it with :func:`validate_definition`."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: LangText
    intro: LangText | None = None
    thanks: LangText | None = None
    languages: list[str] = ["ru"]
    pages: list[Page] = Field(min_length=1)
    analysis: Analysis | None = None
    close_the_loop: CloseTheLoop | list[CloseTheLoop] | None = None

    @cached_property
    def _flat(self) -> list[Any]:
        return [q for page in self.pages for q in page.questions]

    @cached_property
    def _by_code(self) -> dict[str, Any]:
        return {q.code: q for q in self._flat}

    def questions(self) -> list[Any]:
        """Every question in order."""
        return list(self._flat)

    def question(self, code: str) -> Any | None:
        return self._by_code.get(code)

    def numeric_codes(self) -> list[str]:
        """Answer codes holding numbers: rating, nps, ces, number, yes_no (1/0) and matrix rows."""
        codes: list[str] = []
        for q in self._flat:
            if q.type in NUMERIC_TYPES:
                codes.append(q.code)
            elif q.type == "matrix":
                codes.extend(r.code for r in q.rows)
        return codes

    def answer_codes(self) -> list[str]:
        """Every answer key (matrix rows by row code), in order; contact excluded."""
        return [c for q in self._flat if q.type != "contact" for c in q.answer_codes]

    def loop_rules(self) -> list[CloseTheLoop]:
        if self.close_the_loop is None:
            return []
        return self.close_the_loop if isinstance(self.close_the_loop, list) else [self.close_the_loop]

    def contact_question(self) -> ContactQuestion | None:
        return next((q for q in self._flat if q.type == "contact"), None)

    def page_of(self, code: str) -> int | None:
        for index, page in enumerate(self.pages):
            if any(code == q.code or code in q.answer_codes for q in page.questions):
                return index
        return None

    @staticmethod
    def text(obj: Any, lang: str = "ru") -> str:
        """The text of a {lang: str} dict (or an object with ``.text``) in ``lang``, falling back to ru."""
        if obj is None:
            return ""
        if not isinstance(obj, dict):
            obj = getattr(obj, "text", None)
            if not isinstance(obj, dict):
                return ""
        return obj.get(lang) or obj.get("ru") or ""


# --------------------------------------------------------------------------- validation of definitions

_PYDANTIC_MESSAGES = {
    "missing": "обязательное поле",
    "extra_forbidden": "неизвестное поле",
    "string_type": "ожидается строка",
    "int_type": "ожидается целое число",
    "int_parsing": "ожидается целое число",
    "int_from_float": "ожидается целое число",
    "float_type": "ожидается число",
    "float_parsing": "ожидается число",
    "bool_type": "ожидается true или false",
    "bool_parsing": "ожидается true или false",
    "list_type": "ожидается список",
    "dict_type": "ожидается объект",
    "model_type": "ожидается объект",
    "model_attributes_type": "ожидается объект",
    "date_type": "ожидается дата ГГГГ-ММ-ДД",
    "date_from_datetime_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "date_parsing": "ожидается дата ГГГГ-ММ-ДД",
    "too_short": "список не может быть пустым",
    "string_too_long": "слишком длинная строка",
    "string_pattern_mismatch": "допустимы только строчные латинские буквы, цифры и дефис",
    "greater_than_equal": "значение слишком мало",
    "less_than_equal": "значение слишком велико",
    "union_tag_invalid": "неизвестный тип вопроса",
    "union_tag_not_found": "не указан тип вопроса (type)",
}


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(документ)"


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop pydantic's union branch names (question type tags, 'list[...]' of unions) from a location."""
    cleaned: list[Any] = []
    for index, part in enumerate(loc):
        if isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        is_tag = (isinstance(part, str) and part in QUESTION_TYPES and index >= 2
                  and isinstance(loc[index - 1], int) and loc[index - 2] == "questions")
        if not is_tag:
            cleaned.append(part)
    return tuple(cleaned)


def _translate(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"недопустимое значение; допустимо: {expected}".replace("'", "")
    if kind == "union_tag_invalid":
        return f"неизвестный тип вопроса «{error.get('ctx', {}).get('tag', '')}»"
    return _PYDANTIC_MESSAGES.get(kind, "неверное значение")


def _structural_errors(doc: Any) -> tuple[SurveyDefinition | None, list[str]]:
    try:
        return SurveyDefinition.model_validate(doc), []
    except ValidationError as exc:
        errors: list[str] = []
        for error in exc.errors():
            line = f"{_path(_clean_loc(error['loc']))}: {_translate(error)}"
            if line not in errors:
                errors.append(line)
        return None, errors


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _semantic_errors(doc: dict[str, Any]) -> list[str]:
    """Rules across fields, checked on the raw document so that they are reported with structural errors."""
    errors: list[str] = []
    seen: dict[str, str] = {}  # answer code -> path of its question
    kinds: dict[str, str] = {}  # answer code -> question type ("matrix_row" for rows)
    options: dict[str, set[str]] = {}
    for p, page in enumerate(_as_list(doc.get("pages"))):
        for i, q in enumerate(_as_list(_as_dict(page).get("questions"))):
            q = _as_dict(q)
            path = f"pages[{p}].questions[{i}]"
            code, qtype = q.get("code"), q.get("type")
            if isinstance(code, str):
                if not CODE_RE.fullmatch(code) or "__" in code:
                    errors.append(f"{path}.code: код «{code}» должен начинаться с латинской буквы и содержать "
                                  "только строчные латинские буквы, цифры и одиночные подчеркивания")
                elif code in RESERVED_CODES:
                    errors.append(f"{path}.code: код «{code}» зарезервирован")
            # conditions refer only to earlier questions
            show_if = _as_dict(q.get("show_if"))
            if isinstance(q.get("show_if"), dict) and bool(show_if.get("all")) == bool(show_if.get("any")):
                errors.append(f"{path}.show_if: укажите непустой список all или any (одно из двух)")
            for key in ("all", "any"):
                for c, clause in enumerate(_as_list(show_if.get(key))):
                    clause = _as_dict(clause)
                    ref, op = clause.get("question"), clause.get("op")
                    cpath = f"{path}.show_if.{key}[{c}]"
                    if not isinstance(ref, str):
                        continue
                    if ref not in kinds:
                        errors.append(f"{cpath}.question: условие ссылается на «{ref}», которого нет среди "
                                      "предыдущих вопросов")
                        continue
                    if op in ("gt", "gte", "lt", "lte") and kinds[ref] not in (*NUMERIC_TYPES, "matrix_row"):
                        errors.append(f"{cpath}.op: сравнение «{op}» возможно только с числовым вопросом")
                    value = clause.get("value")
                    if op in ("gt", "gte", "lt", "lte") and (not _is_number(value)):
                        errors.append(f"{cpath}.value: нужно число")
                    if op == "in" and not isinstance(value, list):
                        errors.append(f"{cpath}.value: для «in» нужен список значений")
                    if op in ("eq", "ne") and value is None:
                        errors.append(f"{cpath}.value: нужно значение для сравнения")
                    if op in ("eq", "ne", "in") and ref in options:
                        values = value if isinstance(value, list) else [value]
                        for v in values:
                            if isinstance(v, str) and v not in options[ref]:
                                errors.append(f"{cpath}.value: у вопроса «{ref}» нет варианта «{v}»")
            # type-specific rules
            if qtype in ("single_choice", "multi_choice", "dropdown"):
                codes: list[str] = []
                for o, option in enumerate(_as_list(q.get("options"))):
                    ocode = _as_dict(option).get("code")
                    if not isinstance(ocode, str):
                        continue
                    if not CODE_RE.fullmatch(ocode):
                        errors.append(f"{path}.options[{o}].code: код «{ocode}» должен состоять из строчных "
                                      "латинских букв, цифр и подчеркиваний")
                    if ocode in codes:
                        errors.append(f"{path}.options: повторяется код «{ocode}»")
                    codes.append(ocode)
                if q.get("other") is True and OTHER_CODE not in codes:
                    codes.append(OTHER_CODE)
                if isinstance(code, str):
                    options[code] = set(codes)
                if qtype == "multi_choice":
                    low, high = q.get("min_selections"), q.get("max_selections")
                    if _is_int(low) and _is_int(high) and low > high:
                        errors.append(f"{path}.min_selections: минимум выборов больше максимума")
                    if _is_int(high) and codes and high > len(codes):
                        errors.append(f"{path}.max_selections: максимум выборов больше числа вариантов")
                    if _is_int(low) and codes and low > len(codes):
                        errors.append(f"{path}.min_selections: минимум выборов больше числа вариантов")
            if qtype in ("rating", "matrix"):
                scale = _as_dict(q.get("scale"))
                low, high = scale.get("min"), scale.get("max")
                if _is_int(low) and _is_int(high):
                    if low >= high:
                        errors.append(f"{path}.scale: минимум шкалы должен быть меньше максимума")
                    elif high - low > 10:
                        errors.append(f"{path}.scale: шкала не может содержать больше 11 делений")
            if qtype == "number":
                low, high = q.get("min"), q.get("max")
                if _is_number(low) and _is_number(high) and low > high:
                    errors.append(f"{path}.min: минимум больше максимума")
            if qtype == "date":
                low, high = q.get("min"), q.get("max")
                if isinstance(low, str) and isinstance(high, str) and low > high:
                    errors.append(f"{path}.min: начальная дата позже конечной")
            if qtype == "contact":
                if q.get("required") is True:
                    errors.append(f"{path}.required: контактные данные не могут быть обязательными")
                fields = _as_list(q.get("fields"))
                if len(set(map(str, fields))) != len(fields):
                    errors.append(f"{path}.fields: поля повторяются")
                if "contact" in kinds.values():
                    errors.append(f"{path}.type: в анкете может быть только один вопрос о контактах")
            # register the answer codes of this question
            answer_codes: list[tuple[str, str]] = []
            if qtype == "matrix":
                for r, row in enumerate(_as_list(q.get("rows"))):
                    rcode = _as_dict(row).get("code")
                    if isinstance(rcode, str):
                        if not CODE_RE.fullmatch(rcode) or "__" in rcode:
                            errors.append(f"{path}.rows[{r}].code: код «{rcode}» должен состоять из строчных "
                                          "латинских букв, цифр и одиночных подчеркиваний")
                        answer_codes.append((rcode, f"{path}.rows[{r}].code"))
                if isinstance(code, str):
                    if code in seen:
                        errors.append(f"{path}.code: повторяется код «{code}» (уже есть в {seen[code]})")
                    else:
                        seen[code] = path
                for rcode, rpath in answer_codes:
                    if rcode in seen:
                        errors.append(f"{rpath}: повторяется код «{rcode}» (уже есть в {seen[rcode]})")
                    else:
                        seen[rcode] = rpath
                        kinds[rcode] = "matrix_row"
                if isinstance(code, str):
                    kinds.setdefault(code, "matrix")
            elif isinstance(code, str):
                if code in seen:
                    errors.append(f"{path}.code: повторяется код «{code}» (уже есть в {seen[code]})")
                else:
                    seen[code] = path
                    kinds[code] = str(qtype)
    numeric = {c for c, k in kinds.items() if k in (*NUMERIC_TYPES, "matrix_row")}

    def check_numeric(ref: Any, path: str) -> None:
        if not isinstance(ref, str):
            return
        if ref not in kinds:
            errors.append(f"{path}: нет вопроса с кодом «{ref}»")
        elif ref not in numeric:
            errors.append(f"{path}: вопрос «{ref}» не числовой")

    analysis = _as_dict(doc.get("analysis"))
    check_numeric(analysis.get("target"), "analysis.target")
    for d, ref in enumerate(_as_list(analysis.get("drivers"))):
        check_numeric(ref, f"analysis.drivers[{d}]")
    if isinstance(analysis.get("target"), str) and analysis.get("target") in _as_list(analysis.get("drivers")):
        errors.append("analysis.drivers: целевой вопрос не может быть одновременно фактором")
    for name, codes in _as_dict(analysis.get("blocks")).items():
        for b, ref in enumerate(_as_list(codes)):
            check_numeric(ref, f"analysis.blocks.{name}[{b}]")
        if isinstance(codes, list) and len(codes) < 2:
            errors.append(f"analysis.blocks.{name}: в блоке нужно не меньше двух вопросов")
    loop = doc.get("close_the_loop")
    rules = loop if isinstance(loop, list) else [loop] if isinstance(loop, dict) else []
    for r, rule in enumerate(rules):
        rpath = f"close_the_loop[{r}]" if isinstance(loop, list) else "close_the_loop"
        rule = _as_dict(rule)
        check_numeric(rule.get("question"), f"{rpath}.question")
        topic = rule.get("topic_question")
        if isinstance(topic, str) and kinds.get(topic) not in ("single_choice", "dropdown"):
            errors.append(f"{rpath}.topic_question: нужен вопрос с одним вариантом ответа")
    if rules and "contact" not in kinds.values():
        errors.append("close_the_loop: для обратной связи в анкете нужен вопрос о контактах (contact)")
    return errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_definition(doc: Any) -> SurveyDefinition:
    """Validate a definition document; raise :class:`DefinitionError` listing every problem."""
    if not isinstance(doc, dict):
        raise DefinitionError(["(документ): ожидается объект JSON"])
    defn, errors = _structural_errors(doc)
    for line in _semantic_errors(doc):
        if line not in errors:
            errors.append(line)
    if errors or defn is None:
        raise DefinitionError(errors or ["(документ): неверная анкета"])
    return defn


def definition_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Warnings (Russian) when an existing code changes type, scale or loses options: reports span versions."""

    def index(doc: Any) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for page in _as_list(_as_dict(doc).get("pages")):
            for q in _as_list(_as_dict(page).get("questions")):
                q = _as_dict(q)
                code = q.get("code")
                if not isinstance(code, str):
                    continue
                if q.get("type") == "matrix":
                    for row in _as_list(q.get("rows")):
                        rcode = _as_dict(row).get("code")
                        if isinstance(rcode, str):
                            found[rcode] = {"type": "matrix_row", "scale": _scale_of(q)}
                found[code] = {"type": q.get("type"), "scale": _scale_of(q),
                               "options": [_as_dict(o).get("code") for o in _as_list(q.get("options"))]}
        return found

    before, after = index(old), index(new)
    warnings: list[str] = []
    for code, was in before.items():
        now = after.get(code)
        if now is None:
            continue
        if was["type"] != now["type"]:
            warnings.append(f"Вопрос «{code}»: тип изменен с «{was['type']}» на «{now['type']}» — ответы разных "
                            "версий нельзя будет сравнивать")
        elif was["scale"] != now["scale"]:
            warnings.append(f"Вопрос «{code}»: шкала изменена с {was['scale']} на {now['scale']} — средние "
                            "разных версий несопоставимы")
        removed = [o for o in was.get("options") or [] if o not in (now.get("options") or [])]
        if was["type"] == now["type"] and removed:
            warnings.append(f"Вопрос «{code}»: удалены варианты {', '.join(map(str, removed))}")
    return warnings


def _scale_of(q: dict[str, Any]) -> str | None:
    qtype = q.get("type")
    if qtype == "nps":
        return "0–10"
    if qtype == "ces":
        return "1–7"
    if qtype in ("rating", "matrix"):
        scale = _as_dict(q.get("scale")) or {"min": 1, "max": 5}
        return f"{scale.get('min')}–{scale.get('max')}"
    return None


# --------------------------------------------------------------------------- conditions


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _equal(answer: Any, expected: Any) -> bool:
    if isinstance(answer, list):
        return any(_equal(item, expected) for item in answer)
    if isinstance(answer, bool) or isinstance(expected, bool):
        return _num(answer) is not None and _num(answer) == _num(expected)
    a, e = _num(answer), _num(expected)
    if a is not None and e is not None:
        return a == e
    return answer == expected


def _clause_true(clause: Any, answers: dict[str, Any]) -> bool:
    if isinstance(clause, BaseModel):
        ref, op, value = clause.question, clause.op, clause.value  # type: ignore[attr-defined]
    else:
        clause = _as_dict(clause)
        ref, op, value = clause.get("question"), clause.get("op"), clause.get("value")
    answer = answers.get(ref) if isinstance(ref, str) else None
    if op == "answered":
        return not _is_empty(answer)
    if op == "not_answered":
        return _is_empty(answer)
    if _is_empty(answer):
        return False  # comparisons need an answer
    if op == "eq":
        return _equal(answer, value)
    if op == "ne":
        return not _equal(answer, value)
    if op == "in":
        return any(_equal(answer, v) for v in (value if isinstance(value, list) else [value]))
    a, v = _num(answer), _num(value)
    if a is None or v is None or isinstance(answer, list):
        return False
    return {"gt": a > v, "gte": a >= v, "lt": a < v, "lte": a <= v}.get(op, False)


def evaluate_condition(show_if: Any, answers: dict[str, Any]) -> bool:
    """True when the question is shown: no condition, all clauses true (``all``) or one true (``any``).

    Comparisons (eq, ne, in, gt…) are false when the referred question has no answer; for a
    multi-choice answer ``eq``/``in`` mean "contains".
    """
    if show_if is None:
        return True
    if isinstance(show_if, BaseModel):
        all_, any_ = show_if.all, show_if.any  # type: ignore[attr-defined]
    else:
        show_if = _as_dict(show_if)
        all_, any_ = show_if.get("all"), show_if.get("any")
    answers = answers if isinstance(answers, dict) else {}
    if all_:
        return all(_clause_true(c, answers) for c in all_)
    if any_:
        return any(_clause_true(c, answers) for c in any_)
    return True


def visible_codes(defn: SurveyDefinition, answers: dict[str, Any]) -> set[str]:
    """Codes of the questions shown for these answers (conditions refer only to earlier questions)."""
    return {q.code for q in defn.questions() if evaluate_condition(q.show_if, answers)}


# --------------------------------------------------------------------------- submissions

MSG_REQUIRED = "Ответьте на этот вопрос"
MSG_INVALID = "Недопустимый ответ"
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def _clean_string(value: Any) -> str:
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _scale_value(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    number = _num(value) if not isinstance(value, bool) else None
    if number is None or number != int(number):
        return None, f"Выберите значение от {low} до {high}"
    if not low <= number <= high:
        return None, f"Выберите значение от {low} до {high}"
    return int(number), None


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "да")


def _clean_question(q: Any, raw: dict[str, Any], clean: dict[str, Any], errors: dict[str, str]) -> None:
    value = raw.get(q.code)
    qtype = q.type
    if qtype == "matrix":
        for row in q.rows:
            row_value = raw.get(row.code)
            if _is_empty(row_value):
                if q.required:
                    errors[row.code] = MSG_REQUIRED
                continue
            number, error = _scale_value(row_value, q.scale.min, q.scale.max)
            if error:
                errors[row.code] = error
            else:
                clean[row.code] = number
        return
    if qtype == "contact":
        _clean_contact(q, value, clean, errors)
        return
    if qtype == "multi_choice" and isinstance(value, str):
        value = [value]
    if isinstance(value, str):
        value = value.replace("\x00", "").strip()
    if _is_empty(value):
        if q.required:
            errors[q.code] = MSG_REQUIRED
        return
    if qtype in ("rating", "nps", "ces"):
        number, error = _scale_value(value, q.scale.min, q.scale.max)
        if error:
            errors[q.code] = error
        else:
            clean[q.code] = number
    elif qtype == "number":
        number = _num(value) if not isinstance(value, bool) else None
        if number is None or abs(number) > NUMBER_LIMIT:
            errors[q.code] = "Введите число"
        elif q.integer and number != int(number):
            errors[q.code] = "Введите целое число"
        elif q.min is not None and number < q.min:
            errors[q.code] = f"Число должно быть не меньше {_fmt(q.min)}"
        elif q.max is not None and number > q.max:
            errors[q.code] = f"Число должно быть не больше {_fmt(q.max)}"
        else:
            clean[q.code] = int(number) if number == int(number) else number
    elif qtype in ("single_choice", "dropdown"):
        if not isinstance(value, str) or value not in q.option_codes:
            errors[q.code] = "Выберите один из предложенных вариантов"
        else:
            clean[q.code] = value
            _clean_other(q, [value], raw, clean, errors)
    elif qtype == "multi_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[q.code] = MSG_INVALID
            return
        chosen = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        if any(v not in q.option_codes for v in chosen):
            errors[q.code] = "Выберите из предложенных вариантов"
        elif q.min_selections and len(chosen) < q.min_selections:
            errors[q.code] = f"Выберите не меньше {q.min_selections}"
        elif q.max_selections and len(chosen) > q.max_selections:
            errors[q.code] = f"Выберите не больше {q.max_selections}"
        elif chosen:
            clean[q.code] = chosen
            _clean_other(q, chosen, raw, clean, errors)
        elif q.required:
            errors[q.code] = MSG_REQUIRED
    elif qtype == "yes_no":
        if isinstance(value, bool):
            clean[q.code] = value
        elif isinstance(value, str) and value.lower() in ("yes", "да", "true", "1"):
            clean[q.code] = True
        elif isinstance(value, str) and value.lower() in ("no", "нет", "false", "0"):
            clean[q.code] = False
        elif isinstance(value, int | float) and value in (0, 1):
            clean[q.code] = bool(value)
        else:
            errors[q.code] = "Ответьте «да» или «нет»"
    elif qtype == "text":
        if not isinstance(value, str):
            errors[q.code] = MSG_INVALID
        elif len(value) > q.max_length:
            errors[q.code] = f"Не больше {q.max_length} символов (сейчас {len(value)})"
        else:
            clean[q.code] = value
    elif qtype == "date":
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not date(1900, 1, 1) <= day <= date(2100, 12, 31):
            errors[q.code] = "Введите дату в формате ГГГГ-ММ-ДД"
        elif q.min and day < q.min:
            errors[q.code] = f"Дата не раньше {q.min:%d.%m.%Y}"
        elif q.max and day > q.max:
            errors[q.code] = f"Дата не позже {q.max:%d.%m.%Y}"
        else:
            clean[q.code] = day.isoformat()


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number).replace(".", ",")


def _clean_other(q: Any, chosen: list[str], raw: dict[str, Any], clean: dict[str, Any],
                 errors: dict[str, str]) -> None:
    if not q.other or OTHER_CODE not in chosen:
        return
    text = _clean_string(raw.get(q.code + OTHER_SUFFIX))
    if len(text) > OTHER_MAX_LENGTH:
        errors[q.code + OTHER_SUFFIX] = f"Не больше {OTHER_MAX_LENGTH} символов"
    elif text:
        clean[q.code + OTHER_SUFFIX] = text


def _clean_contact(q: Any, value: Any, clean: dict[str, Any], errors: dict[str, str]) -> None:
    """Contact data is kept only with an explicit consent; without it everything is dropped."""
    value = _as_dict(value)
    if not _truthy(value.get("consent")):
        return
    contact = {name: _clean_string(value.get(name)) if name in q.fields else "" for name in CONTACT_FIELDS}
    limits = {"name": 200, "phone": 40, "email": 254}
    failed = False
    for name, limit in limits.items():
        if len(contact[name]) > limit:
            errors[f"{q.code}.{name}"] = f"Не больше {limit} символов"
            failed = True
    if contact["email"] and not EMAIL_RE.match(contact["email"]):
        errors[f"{q.code}.email"] = "Проверьте адрес электронной почты"
        failed = True
    if contact["phone"]:
        digits = re.sub(r"\D", "", contact["phone"])
        if not 5 <= len(digits) <= 15 or not re.fullmatch(r"[\d\s()+\-.]+", contact["phone"]):
            errors[f"{q.code}.phone"] = "Проверьте номер телефона"
            failed = True
    if not (contact["phone"] or contact["email"]):
        errors[q.code] = "Укажите телефон или электронную почту, чтобы мы могли связаться с вами"
        failed = True
    if not failed:
        clean[q.code] = {**contact, "consent": True}


def validate_submission(defn: SurveyDefinition, raw_answers: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Check answers against a definition; return (clean answers, errors by question code in Russian).

    Answers to questions hidden by conditions are discarded; unknown keys are ignored. Never raises.
    """
    raw = raw_answers if isinstance(raw_answers, dict) else {}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in defn.questions():
        if not evaluate_condition(q.show_if, clean):
            continue
        try:
            _clean_question(q, raw, clean, errors)
        except Exception:  # a customer's odd input must never become a server error
            for code in q.answer_codes:
                clean.pop(code, None)
            errors[q.code] = MSG_INVALID
    return clean, errors


# --------------------------------------------------------------------------- shipped templates


def library() -> list[dict[str, Any]]:
    """The shipped Russian templates (raw documents), sorted by title."""
    docs = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY_DIR.glob("*.json"))]
    return sorted(docs, key=lambda d: d["title"]["ru"])


def template(slug: str) -> dict[str, Any]:
    """One shipped template by slug (a fresh copy); KeyError when unknown."""
    for doc in library():
        if doc["slug"] == slug:
            return doc
    raise KeyError(slug)


__all__ = [
    "DefinitionError",
    "SurveyDefinition",
    "definition_changes",
    "evaluate_condition",
    "library",
    "template",
    "validate_definition",
    "validate_submission",
    "visible_codes",
]
