"""Knowledge-base figures for a period, for the monitoring report: searches, searches that found nothing,
article views, the share of «Да» among «Помог ли ответ?» votes and the most frequent unanswered searches.

Reads the event rows (kb_search, kb_view, kb_vote) by their timestamps, so any period can be counted
after the fact; the article counters are not used here (they have no time). The figures are company-wide:
articles are not per centre, and a search or a view has no centre. The «помог» share carries its Wilson
interval, so a share of a handful of votes is not read as firm.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from app.analysis.stats.proportions import wilson
from app.extensions import db
from app.kb.models import KbSearch, KbView, KbVote
from app.kb.services import unanswered_searches

TOP_UNANSWERED = 10


def _bounds(date_from: date, date_to: date, tz: str | None = None) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) as naive UTC: both days included, days of the
    time zone ``tz`` (UTC days without one), so that the report counts the same days as its appeals."""
    zone = ZoneInfo(tz or "UTC")

    def utc(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    return utc(date_from), utc(date_to + timedelta(days=1))


def knowledge_base_stats(date_from: date, date_to: date, tz: str | None = None) -> dict[str, Any]:
    """The period's figures (both dates included, days of ``tz``, UTC without one). ``helpful_share`` and
    ``helpful_ci`` (95 % Wilson interval) are None without votes."""
    start, end = _bounds(date_from, date_to, tz)
    searches = db.session.scalar(select(func.count(KbSearch.id)).where(KbSearch.at >= start, KbSearch.at < end))
    zero = db.session.scalar(
        select(func.count(KbSearch.id)).where(KbSearch.at >= start, KbSearch.at < end, KbSearch.results == 0)
    )
    views = db.session.scalar(select(func.count(KbView.id)).where(KbView.at >= start, KbView.at < end))
    votes = db.session.execute(
        select(KbVote.helpful, func.count(KbVote.id))
        .where(KbVote.at >= start, KbVote.at < end)
        .group_by(KbVote.helpful)
    ).all()
    by_answer = {bool(helpful): int(count) for helpful, count in votes}
    yes, no = by_answer.get(True, 0), by_answer.get(False, 0)
    return {
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "searches": int(searches or 0),
        "zero_result_searches": int(zero or 0),
        "zero_result_share": (int(zero or 0) / int(searches)) if searches else None,
        "views": int(views or 0),
        "votes_yes": yes,
        "votes_no": no,
        "helpful_share": yes / (yes + no) if yes + no else None,
        "helpful_ci": wilson(yes, yes + no).ci.to_list() if yes + no else None,
        "top_unanswered": [
            {"query": query, "count": count} for query, count in unanswered_searches(start, end, TOP_UNANSWERED)
        ],
    }
