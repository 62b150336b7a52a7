"""Questions to a specialist in a period, for the monitoring report's «Интернет-ЦОК» section: how many came,
by topic and by centre.

A question is an appeal of kind «заявление» with the subtype «вопрос» (whatever its channel: one typed in by an
operator counts too). Counted by the date it was received, in the centres' time zone, like the report's appeals,
so the total here equals the report's «в том числе вопрос».
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.appeals.models import SUBTYPE_KINDS, Appeal
from app.appeals.services import center_timezone
from app.extensions import db
from app.models import Organisation, Topic

QUESTION = "question"


def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """Local dates [from, to] → naive UTC [start, end), as :func:`app.appeals.report.period_bounds`."""
    zone = ZoneInfo(center_timezone())

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    return utc(date_from), utc(date_to + timedelta(days=1))


def question_stats(date_from: date, date_to: date, centres: Sequence[Organisation]) -> dict[str, Any]:
    """Questions received in the period at the centres: ``total``, ``questions_by_topic`` and
    ``questions_by_center`` (only those with questions, most first, then in the topic list's / name order)."""
    start, end = _bounds(date_from, date_to)
    names = {c.id: c for c in centres}
    rows = db.session.execute(
        select(Appeal.topic_id, Appeal.center_id, func.count())
        .where(
            Appeal.kind == SUBTYPE_KINDS[QUESTION],
            Appeal.subtype == QUESTION,
            Appeal.received_at >= start,
            Appeal.received_at < end,
            Appeal.center_id.in_(list(names)),
        )
        .group_by(Appeal.topic_id, Appeal.center_id)
    ).all()
    by_topic: dict[int, int] = {}
    by_centre: dict[int, int] = {}
    for topic_id, center_id, n in rows:
        by_topic[topic_id] = by_topic.get(topic_id, 0) + int(n)
        by_centre[center_id] = by_centre.get(center_id, 0) + int(n)
    topics = {t.id: t for t in db.session.scalars(select(Topic).where(Topic.id.in_(list(by_topic))))}
    topic_rows = sorted(by_topic.items(), key=lambda item: (-item[1], topics[item[0]].sort_order, item[0]))
    centre_rows = sorted(by_centre.items(), key=lambda item: (-item[1], names[item[0]].name))
    return {
        "total": sum(by_topic.values()),
        "questions_by_topic": [
            {"topic": topics[t].code, "topic_name": topics[t].name_ru, "n": n} for t, n in topic_rows
        ],
        "questions_by_center": [
            {"center": names[c].code, "center_name": names[c].name, "n": n} for c, n in centre_rows
        ],
    }
