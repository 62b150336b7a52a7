"""Which surveys a customer can take on the web for a centre: its active `online` assignments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, select

from app.extensions import db
from app.surveys.models import Survey, SurveyAssignment, SurveyVersion


@dataclass(frozen=True)
class SurveyOffer:
    title: str
    short_code: str


def online_offers(center_id: int) -> list[SurveyOffer]:
    """The centre's active web-channel surveys that have a published version, the main survey first."""
    published = exists().where(SurveyVersion.survey_id == Survey.id, SurveyVersion.status == "published")
    rows = db.session.execute(
        select(Survey.title, SurveyAssignment.short_code)
        .join(Survey, Survey.id == SurveyAssignment.survey_id)
        .where(
            SurveyAssignment.center_id == center_id,
            SurveyAssignment.channel == "online",
            SurveyAssignment.active.is_(True),
            published,
        )
        .order_by(Survey.is_main.desc(), Survey.title)
    ).all()
    return [SurveyOffer(title, code) for title, code in rows]
