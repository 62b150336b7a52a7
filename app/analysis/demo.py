"""Demo data of the analysis package: the Russian action catalogue and two corrective actions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import func, select

from app.analysis.models import ActionTemplate, CorrectiveAction
from app.analysis.recommend import DEFAULT_ACTIONS
from app.analysis.texts import process_texts, seed_dictionary
from app.database import write_transaction
from app.extensions import db
from app.org.services import find_org
from app.surveys.models import Response, Survey

DEMO_SURVEY = "visit-csat"


def seed_catalogue() -> int:
    """The editable catalogue, one entry per attribute, topic and rule (existing targets are kept)."""
    with write_transaction():
        existing = set(db.session.scalars(select(ActionTemplate.target)))
        added = 0
        for target, text in DEFAULT_ACTIONS.items():
            if target not in existing:
                db.session.add(ActionTemplate(target=target, text_ru=text))
                added += 1
    return added


def seed_actions() -> int:
    """A finished action at Льгов on waiting time (its effect is measured on the demo responses) and a
    planned one; skipped when actions exist or there are no demo responses."""
    if db.session.scalar(select(func.count()).select_from(CorrectiveAction)):
        return 0
    survey = db.session.scalar(select(Survey).where(Survey.slug == DEMO_SURVEY))
    lgv, kur = find_org("LGV"), find_org("KUR")
    if survey is None or lgv is None or kur is None:
        return 0
    first, last = db.session.execute(
        select(func.min(Response.submitted_at), func.max(Response.submitted_at)).where(Response.survey_id == survey.id)
    ).one()
    if first is None:
        return 0
    span = (last.date() - first.date()).days
    started = first.date() + timedelta(days=span // 2)
    done = started + timedelta(days=21)
    with write_transaction():
        db.session.add(
            CorrectiveAction(
                title=DEFAULT_ACTIONS["wait"],
                finding="ЦОК Льгов: доля высоких оценок времени ожидания ниже остальной "
                "сети (демонстрационное мероприятие).",
                survey_slug=DEMO_SURVEY,
                metric="wait",
                owner_id=lgv.id,
                due_date=done,
                status="done",
                priority=0.3,
                started_on=started,
                done_on=done,
            )
        )
        db.session.add(
            CorrectiveAction(
                title=DEFAULT_ACTIONS["clarity"],
                finding="Демонстрационное мероприятие.",
                survey_slug=DEMO_SURVEY,
                metric="clarity",
                owner_id=kur.id,
                due_date=last.date() + timedelta(days=60),
                status="planned",
                priority=0.05,
            )
        )
    return 2


def seed(log: Callable[[str], None]) -> None:
    added = seed_catalogue()
    actions = seed_actions()
    themes = seed_dictionary()
    texts = process_texts()
    log(
        f"Анализ: каталог мероприятий +{added}, корректирующих мероприятий +{actions}, тем текстов +{themes}, "
        f"обработано текстов {sum(n for kind, n in texts.items() if kind != 'rethemed')}."
    )
