"""Validation of definition documents: structural errors (pydantic) and the rules across fields.

``validate_definition`` lists every problem by path in Russian. The rules of one question type belong
to its class (:mod:`.questiontypes`); here are the rules across questions: codes, conditions, analysis
and close-the-loop references.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.surveys.schema.definition import SurveyDefinition
from app.surveys.schema.model import (
    CODE_RE,
    NUMERIC_TYPES,
    RESERVED_CODES,
    DefinitionError,
    as_dict,
    as_list,
    is_number,
)
from app.surveys.schema.questiontypes import QUESTION_CLASSES, QUESTION_TYPES

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
_COMPARISONS = ("gt", "gte", "lt", "lte")


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
        is_tag = (
            isinstance(part, str)
            and part in QUESTION_TYPES
            and index >= 2
            and isinstance(loc[index - 1], int)
            and loc[index - 2] == "questions"
        )
        if not is_tag:
            cleaned.append(part)
    return tuple(cleaned)


def _translate(error: ErrorDetails) -> str:
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


@dataclass
class _Seen:
    """What the questions before the current one defined, and the errors found so far."""

    errors: list[str] = field(default_factory=list)
    paths: dict[str, str] = field(default_factory=dict)  # answer code -> path of its question
    kinds: dict[str, str] = field(default_factory=dict)  # answer code -> question type ("matrix_row" for rows)
    options: dict[str, set[str]] = field(default_factory=dict)  # question code -> values conditions may use

    def numeric(self) -> set[str]:
        return {c for c, k in self.kinds.items() if k in (*NUMERIC_TYPES, "matrix_row")}


def _code_errors(code: Any, path: str) -> list[str]:
    if not isinstance(code, str):
        return []
    if not CODE_RE.fullmatch(code) or "__" in code:
        return [
            f"{path}.code: код «{code}» должен начинаться с латинской буквы и содержать "
            "только строчные латинские буквы, цифры и одиночные подчеркивания"
        ]
    if code in RESERVED_CODES:
        return [f"{path}.code: код «{code}» зарезервирован"]
    return []


def _clause_errors(clause: dict[str, Any], cpath: str, seen: _Seen) -> list[str]:
    """A condition refers only to an earlier question, with an operator and a value that fit it."""
    ref, op, value = clause.get("question"), clause.get("op"), clause.get("value")
    if not isinstance(ref, str):
        return []
    if ref not in seen.kinds:
        return [f"{cpath}.question: условие ссылается на «{ref}», которого нет среди предыдущих вопросов"]
    errors: list[str] = []
    if op in _COMPARISONS and seen.kinds[ref] not in (*NUMERIC_TYPES, "matrix_row"):
        errors.append(f"{cpath}.op: сравнение «{op}» возможно только с числовым вопросом")
    if op in _COMPARISONS and not is_number(value):
        errors.append(f"{cpath}.value: нужно число")
    if op == "in" and not isinstance(value, list):
        errors.append(f"{cpath}.value: для «in» нужен список значений")
    if op in ("eq", "ne") and value is None:
        errors.append(f"{cpath}.value: нужно значение для сравнения")
    if op in ("eq", "ne", "in") and ref in seen.options:
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and v not in seen.options[ref]:
                errors.append(f"{cpath}.value: у вопроса «{ref}» нет варианта «{v}»")
    return errors


def _condition_errors(q: dict[str, Any], path: str, seen: _Seen) -> list[str]:
    show_if = as_dict(q.get("show_if"))
    errors: list[str] = []
    if isinstance(q.get("show_if"), dict) and bool(show_if.get("all")) == bool(show_if.get("any")):
        errors.append(f"{path}.show_if: укажите непустой список all или any (одно из двух)")
    for key in ("all", "any"):
        for c, clause in enumerate(as_list(show_if.get(key))):
            errors += _clause_errors(as_dict(clause), f"{path}.show_if.{key}[{c}]", seen)
    return errors


def _register(code: Any, qtype: Any, rows: list[tuple[str, str]], path: str, seen: _Seen) -> None:
    """Record the question's answer codes (its own, then matrix rows); a repeated code is an error."""
    if isinstance(code, str):
        if code in seen.paths:
            seen.errors.append(f"{path}.code: повторяется код «{code}» (уже есть в {seen.paths[code]})")
        else:
            seen.paths[code] = path
    for rcode, rpath in rows:
        if rcode in seen.paths:
            seen.errors.append(f"{rpath}: повторяется код «{rcode}» (уже есть в {seen.paths[rcode]})")
        else:
            seen.paths[rcode] = rpath
            seen.kinds[rcode] = "matrix_row"
    if isinstance(code, str):
        seen.kinds.setdefault(code, str(qtype))


def _question_errors(q: dict[str, Any], path: str, seen: _Seen) -> None:
    code, qtype = q.get("code"), q.get("type")
    seen.errors += _code_errors(code, path)
    seen.errors += _condition_errors(q, path, seen)
    question_class = QUESTION_CLASSES.get(qtype) if isinstance(qtype, str) else None
    rows: list[tuple[str, str]] = []
    if question_class is not None:
        seen.errors += question_class.definition_errors(q, path, seen.kinds)
        values = question_class.condition_values(q)
        if values is not None and isinstance(code, str):
            seen.options[code] = values
        row_errors, rows = question_class.row_codes(q, path)
        seen.errors += row_errors
    _register(code, qtype, rows, path, seen)


def _reference_errors(doc: dict[str, Any], seen: _Seen) -> list[str]:
    """Analysis and close-the-loop refer to numeric questions (and a contact question for the loop)."""
    errors: list[str] = []
    numeric = seen.numeric()

    def check_numeric(ref: Any, path: str) -> None:
        if not isinstance(ref, str):
            return
        if ref not in seen.kinds:
            errors.append(f"{path}: нет вопроса с кодом «{ref}»")
        elif ref not in numeric:
            errors.append(f"{path}: вопрос «{ref}» не числовой")

    analysis = as_dict(doc.get("analysis"))
    check_numeric(analysis.get("target"), "analysis.target")
    for d, ref in enumerate(as_list(analysis.get("drivers"))):
        check_numeric(ref, f"analysis.drivers[{d}]")
    if isinstance(analysis.get("target"), str) and analysis.get("target") in as_list(analysis.get("drivers")):
        errors.append("analysis.drivers: целевой вопрос не может быть одновременно фактором")
    for name, codes in as_dict(analysis.get("blocks")).items():
        for b, ref in enumerate(as_list(codes)):
            check_numeric(ref, f"analysis.blocks.{name}[{b}]")
        if isinstance(codes, list) and len(codes) < 2:
            errors.append(f"analysis.blocks.{name}: в блоке нужно не меньше двух вопросов")
    loop = doc.get("close_the_loop")
    rules = loop if isinstance(loop, list) else [loop] if isinstance(loop, dict) else []
    for r, rule in enumerate(rules):
        rpath = f"close_the_loop[{r}]" if isinstance(loop, list) else "close_the_loop"
        rule = as_dict(rule)
        check_numeric(rule.get("question"), f"{rpath}.question")
        topic = rule.get("topic_question")
        if isinstance(topic, str) and seen.kinds.get(topic) not in ("single_choice", "dropdown"):
            errors.append(f"{rpath}.topic_question: нужен вопрос с одним вариантом ответа")
    if rules and "contact" not in seen.kinds.values():
        errors.append("close_the_loop: для обратной связи в анкете нужен вопрос о контактах (contact)")
    return errors


def _semantic_errors(doc: dict[str, Any]) -> list[str]:
    """Rules across fields, checked on the raw document so that they are reported with structural errors."""
    seen = _Seen()
    for p, page in enumerate(as_list(doc.get("pages"))):
        for i, q in enumerate(as_list(as_dict(page).get("questions"))):
            _question_errors(as_dict(q), f"pages[{p}].questions[{i}]", seen)
    return seen.errors + _reference_errors(doc, seen)


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


def _question_index(doc: Any) -> dict[str, dict[str, Any]]:
    """Answer code → its type, scale and options, of a raw document (matrix rows as "matrix_row")."""
    found: dict[str, dict[str, Any]] = {}
    for page in as_list(as_dict(doc).get("pages")):
        for q in as_list(as_dict(page).get("questions")):
            q = as_dict(q)
            code = q.get("code")
            if not isinstance(code, str):
                continue
            qtype = q.get("type")
            question_class = QUESTION_CLASSES.get(qtype) if isinstance(qtype, str) else None
            scale = question_class.scale_of(q) if question_class is not None else None
            if q.get("type") == "matrix":
                for row in as_list(q.get("rows")):
                    rcode = as_dict(row).get("code")
                    if isinstance(rcode, str):
                        found[rcode] = {"type": "matrix_row", "scale": scale}
            found[code] = {
                "type": q.get("type"),
                "scale": scale,
                "options": [as_dict(o).get("code") for o in as_list(q.get("options"))],
            }
    return found


def definition_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Warnings (Russian) when an existing code changes type, scale or loses options: reports span versions."""
    before, after = _question_index(old), _question_index(new)
    warnings: list[str] = []
    for code, was in before.items():
        now = after.get(code)
        if now is None:
            continue
        if was["type"] != now["type"]:
            warnings.append(
                f"Вопрос «{code}»: тип изменен с «{was['type']}» на «{now['type']}» — ответы разных "
                "версий нельзя будет сравнивать"
            )
        elif was["scale"] != now["scale"]:
            warnings.append(
                f"Вопрос «{code}»: шкала изменена с {was['scale']} на {now['scale']} — средние "
                "разных версий несопоставимы"
            )
        removed = [o for o in was.get("options") or [] if o not in (now.get("options") or [])]
        if was["type"] == now["type"] and removed:
            warnings.append(f"Вопрос «{code}»: удалены варианты {', '.join(map(str, removed))}")
    return warnings
