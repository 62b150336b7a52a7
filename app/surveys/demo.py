"""Demo data: the main survey «Оценка визита в ЦОК», published and offered everywhere, with responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys import services
from app.surveys.models import ASSIGNABLE_CHANNELS, Response, Survey, SurveyAssignment, SurveyVersion
from app.surveys.schema import template
from app.surveys.synthetic import generate_responses

MAIN_SLUG = "visit-csat"


def seed_main_survey() -> tuple[Survey, SurveyVersion, list[Organisation]]:
    """Create, publish and assign visit-csat (idempotent); returns (survey, published version, centres)."""
    from app.org.services import centers

    survey = services.get_survey(MAIN_SLUG)
    if survey is None:
        survey = services.create_survey(template(MAIN_SLUG))
    if not survey.is_main:
        with write_transaction():
            survey.is_main = True
    version = services.published_version(MAIN_SLUG)
    if version is None:
        version = services.publish(survey)
    active = centers()
    assigned = db.session.scalar(
        select(func.count(SurveyAssignment.id)).where(
            SurveyAssignment.survey_id == survey.id, SurveyAssignment.active.is_(True)
        )
    )
    if (assigned or 0) < len(active) * len(ASSIGNABLE_CHANNELS):
        services.assign(survey, [c.id for c in active], ASSIGNABLE_CHANNELS)
    return survey, version, active


def seed(log: Callable[[str], None] = print) -> None:
    survey, version, active = seed_main_survey()
    log(f"Анкета «{survey.title}» опубликована и назначена {len(active)} ЦОК.")
    existing = db.session.scalar(select(func.count(Response.id)).where(Response.survey_id == survey.id))
    if existing:
        log(f"Ответы на анкету уже есть: {existing}.")
        return
    count = generate_responses(version, active, start=date(2025, 10, 1), end=date(2026, 9, 30), n=8000, seed=1)
    log(f"Синтетических ответов: {count}.")
