"""A respondent's answers checked against a definition: clean answers and errors (Russian). Pure."""

from __future__ import annotations

from typing import Any

from app.surveys.schema.conditions import evaluate_condition
from app.surveys.schema.definition import SurveyDefinition
from app.surveys.schema.model import MSG_INVALID


def validate_submission(defn: SurveyDefinition, raw_answers: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Check answers against a definition; return (clean answers, errors by question code in Russian).

    Answers to questions hidden by conditions are discarded; unknown keys are ignored. Never raises.
    Each question's class cleans its own answer (:mod:`.questiontypes`).
    """
    raw = raw_answers if isinstance(raw_answers, dict) else {}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in defn.questions():
        if q.show_if is not None and not evaluate_condition(q.show_if, clean):
            continue
        try:
            q.clean(raw, clean, errors)
        except Exception:  # a customer's odd input must never become a server error
            for code in q.answer_codes:
                clean.pop(code, None)
            errors[q.code] = MSG_INVALID
    return clean, errors
