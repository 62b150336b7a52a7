"""A respondent's answers checked against a definition: clean answers and errors (Russian). Pure."""

from __future__ import annotations

from typing import Any

from app.surveys.schema.conditions import evaluate_condition
from app.surveys.schema.definition import SurveyDefinition
from app.surveys.schema.model import MSG_INVALID


def validate_submission(
    defn: SurveyDefinition, raw_answers: Any, *, kiosk_visit: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Check answers against a definition; return (clean answers, errors by question code in Russian).

    Answers to questions hidden by conditions are discarded; unknown keys are ignored. Never raises.
    Each question's class cleans its own answer (:mod:`.questiontypes`).

    ``kiosk_visit`` (a post from a kiosk): when the survey starts with a faces rating
    (:attr:`SurveyDefinition.one_tap_question`) only that first answer is required, so that a tap alone,
    or a visit left half way, is a whole response; every other rule (scales, options, lengths) still holds.
    """
    raw = raw_answers if isinstance(raw_answers, dict) else {}
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    one_tap = kiosk_visit and defn.one_tap_question is not None
    for q in defn.one_tap_questions if one_tap else defn.questions():
        if q.show_if is not None and not evaluate_condition(q.show_if, clean):
            continue
        try:
            q.clean(raw, clean, errors)
        except Exception:  # a customer's odd input must never become a server error
            for code in q.answer_codes:
                clean.pop(code, None)
            errors[q.code] = MSG_INVALID
    return clean, errors
