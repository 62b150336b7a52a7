"""Conditions (``show_if``): whether a question is shown for the answers given so far. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from app.surveys.schema.model import as_dict, is_empty, to_number

if TYPE_CHECKING:
    from app.surveys.schema.definition import SurveyDefinition


def _equal(answer: Any, expected: Any) -> bool:
    if isinstance(answer, list):
        return any(_equal(item, expected) for item in answer)
    if isinstance(answer, bool) or isinstance(expected, bool):
        return to_number(answer) is not None and to_number(answer) == to_number(expected)
    a, e = to_number(answer), to_number(expected)
    if a is not None and e is not None:
        return a == e
    return answer == expected


def _clause_true(clause: Any, answers: dict[str, Any]) -> bool:
    if isinstance(clause, BaseModel):
        ref, op, value = clause.question, clause.op, clause.value  # type: ignore[attr-defined]
    else:
        clause = as_dict(clause)
        ref, op, value = clause.get("question"), clause.get("op"), clause.get("value")
    answer = answers.get(ref) if isinstance(ref, str) else None
    if op == "answered":
        return not is_empty(answer)
    if op == "not_answered":
        return is_empty(answer)
    if is_empty(answer):
        return False  # comparisons need an answer
    if op == "eq":
        return _equal(answer, value)
    if op == "ne":
        return not _equal(answer, value)
    if op == "in":
        return any(_equal(answer, v) for v in (value if isinstance(value, list) else [value]))
    a, v = to_number(answer), to_number(value)
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
        show_if = as_dict(show_if)
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
