"""The monitoring report's «Интернет-ЦОК» section as the PDF shows it.

Figures from the typed section (:class:`app.appeals.report_model.InternetCokSection`), formatted once: counts
as «1 661», shares as «4,1 %», intervals as «[0,5; 9,4] %». Centres with no booking are left out of the
bookings table (a company report lists every centre otherwise), windows without open minutes too.
The knowledge base (company-wide) and questions to a specialist come with a bar chart of the
questions by topic when charts are drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.reports import charts
from app.reports.fmt import ci_text, num, pct

if TYPE_CHECKING:
    from app.appeals.report_model import InternetCokSection


def internet_cok_context(section: InternetCokSection, charts_on: bool = True) -> dict[str, Any]:
    """Rows of the three tables: bookings by centre (with a total), utilisation per window, no-shows by hour;
    then the knowledge base's figures and the questions to a specialist."""
    total = section.bookings_total
    bookings = [
        {
            "name": row.center_name,
            "made": num(row.made),
            "booked": num(row.booked),
            "cancelled": num(row.cancelled),
            "arrived": num(row.arrived),
            "no_show": num(row.no_show),
        }
        for row in section.bookings
        if row.made
    ]
    windows = [
        {
            "name": row.center_name,
            "window": row.window,
            "booked_minutes": num(row.booked_minutes),
            "open_minutes": num(row.open_minutes),
            "utilisation": pct(row.utilisation),
        }
        for row in section.utilisation
        if row.booked_minutes
    ]
    hours = [
        {
            "hours": f"{row.hour}:00–{row.hour + 1}:00",
            "arrived": num(row.arrived),
            "no_show": num(row.no_show),
            "rate": pct(row.rate),
            "ci": ci_text(row.ci, percent=True),
        }
        for row in section.no_shows_by_hour
    ]
    return {
        "total": {
            "made": num(total.made),
            "booked": num(total.booked),
            "cancelled": num(total.cancelled),
            "arrived": num(total.arrived),
            "no_show": num(total.no_show),
        },
        "any": bool(total.made),
        "bookings": bookings,
        "windows": windows,
        "idle_windows": sum(1 for row in section.utilisation if not row.booked_minutes),
        "no_shows": hours,
        "knowledge_base": _knowledge_base(section),
        "questions": _questions(section, charts_on),
    }


def _knowledge_base(section: InternetCokSection) -> dict[str, Any]:
    kb = section.knowledge_base
    return {
        "searches": num(kb.searches),
        "zero": num(kb.zero_result_searches),
        "zero_share": pct(kb.zero_result_share) if kb.zero_result_share is not None else "",
        "views": num(kb.views),
        "votes_yes": num(kb.votes_yes),
        "votes_no": num(kb.votes_no),
        "helpful": pct(kb.helpful_share) if kb.helpful_share is not None else "",
        "helpful_ci": ci_text(kb.helpful_ci, percent=True),
        "unanswered": [{"query": row.query, "count": num(row.count)} for row in kb.top_unanswered],
    }


def _questions(section: InternetCokSection, charts_on: bool) -> dict[str, Any]:
    questions = section.questions
    chart = ""
    if charts_on and questions.questions_by_topic:
        bars = [charts.Bar(row.topic_name, row.n) for row in questions.questions_by_topic]
        chart = charts.headline_bars(bars, "Вопросов", percent=False)
    return {
        "total": num(questions.total),
        "any": bool(questions.total),
        "by_topic": [{"name": row.topic_name, "n": num(row.n)} for row in questions.questions_by_topic],
        "by_center": [{"name": row.center_name, "n": num(row.n)} for row in questions.questions_by_center],
        "chart": chart,
    }
