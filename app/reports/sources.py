"""Where the report numbers come from: the analysis report, the appeals report, and a few lookups.

The analysis and appeals packages compute; this module only calls them and reads names and comment
samples (text answers) that the renderers show.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import func, select

from app.analysis.report import ReportError as AnalysisError
from app.analysis.report import build_report
from app.appeals.report import monitoring_report
from app.extensions import db
from app.models import Organisation, OrgKind, Topic
from app.org.services import centers_under, company
from app.reports.fmt import Period

if TYPE_CHECKING:
    from app.analysis.report_model import SatisfactionReport
    from app.appeals.report_model import MonitoringReport


class ReportError(ValueError):
    """A report that cannot be made (Russian message for the user)."""


def main_survey_slug() -> str:
    from app.surveys.models import Survey

    slug = db.session.scalar(select(Survey.slug).where(Survey.is_main.is_(True)).order_by(Survey.id).limit(1))
    if not slug:
        raise ReportError("Не выбрана основная анкета удовлетворенности: укажите анкету (--survey)")
    return slug


def check_survey(slug: str) -> None:
    """Refuse an unknown survey before anything is queued (a typo in --survey or the page's URL)."""
    from app.surveys.models import Survey

    if db.session.scalar(select(Survey.id).where(Survey.slug == slug)) is None:
        raise ReportError(f"Анкета «{slug}» не найдена")


def survey_title(slug: str) -> str:
    from app.surveys.models import Survey

    return db.session.scalar(select(Survey.title).where(Survey.slug == slug)) or slug


def scope_org(code: str | None) -> Organisation:
    """The organisation a report covers (the company when no code is given)."""
    if not code or code.lower() == "company":
        root = company()
        if root is None:
            raise ReportError("Не загружено дерево подразделений")
        return root
    org = db.session.scalar(select(Organisation).where(Organisation.code == code.strip().upper()))
    if org is None:
        raise ReportError(f"Нет подразделения с кодом «{code}»")
    return org


def scope_argument(org: Organisation) -> str | None:
    """What the analysis functions take as ``scope``: None for the whole company, else the code."""
    return None if org.kind == OrgKind.COMPANY else org.code


def satisfaction_report(slug: str, period: Period, org: Organisation) -> SatisfactionReport:
    config = current_app.config
    try:
        report = build_report(
            slug,
            period.start,
            period.end,
            scope=scope_argument(org),
            min_n=config["ANALYSIS_MIN_N"],
            confidence=config["ANALYSIS_CONFIDENCE"],
            previous=True,
        )
    except AnalysisError as exc:  # an unknown survey, a period it cannot cover: the user's input
        raise ReportError(str(exc)) from None
    return report


def appeals_report(period: Period, org: Organisation) -> MonitoringReport:
    return monitoring_report(period.start, period.end, None if org.kind == OrgKind.COMPANY else org)


def topic_names() -> dict[str, str]:
    return dict(db.session.execute(select(Topic.code, Topic.name_ru)).all())


def center_names() -> dict[str, str]:
    rows = db.session.execute(
        select(Organisation.code, Organisation.name).where(Organisation.kind == OrgKind.CENTER)
    ).all()
    return dict(rows)


PDF_THEMES = 8  # themes with texts shown in the PDF, ranked by q-value as the analysis page ranks them
PDF_THEME_QUOTES = 2


def text_themes(slug: str, period: Period, org: Organisation) -> dict[str, Any]:
    """What the period's texts are about (the stored results of ``flask analysis texts``), for the PDF:
    the themes with texts, best-evidenced first, each with two masked quotes; no discovery (candidates are
    for staff to adopt on the analysis page, not for the manager's report)."""
    from app.analysis.themes import ThemesError, survey_themes

    scope = None if org.kind == OrgKind.COMPANY else org.code
    try:
        found = survey_themes(slug, period.start, period.end, scope, sample=0)
    except ThemesError:
        return {"rows": [], "unassigned": 0, "texts": 0}
    return _pdf_themes(found)


def complaint_themes(period: Period, org: Organisation) -> dict[str, Any]:
    """What the period's complaints are about against the previous period of the same length (stored
    results of ``flask analysis texts``), for the appeals monitoring PDF."""
    from app.analysis.themes import ThemesError, appeal_themes

    scope = None if org.kind == OrgKind.COMPANY else org.code
    try:
        found = appeal_themes(period.start, period.end, scope, "complaint", sample=0)
    except ThemesError:
        return {"rows": [], "unassigned": 0, "texts": 0}
    return _pdf_themes(found)


CARD_THEMES = 5  # themes with texts on a centre's card


def center_text_themes(slug: str, period: Period, codes: list[str]) -> dict[str, dict[str, Any]]:
    """Each centre's themes for its card (code → the PDF themes of that centre alone): its texts' themes
    against its own low and high scores, two masked quotes each (chosen the same way every run)."""
    from app.analysis.themes import ThemesError, survey_themes

    found: dict[str, dict[str, Any]] = {}
    for code in codes:
        try:
            themes = _pdf_themes(survey_themes(slug, period.start, period.end, code, sample=0), CARD_THEMES)
        except ThemesError:
            continue
        if themes["rows"]:
            found[code] = themes
    return found


def _pdf_themes(found: dict[str, Any], limit: int = PDF_THEMES) -> dict[str, Any]:
    rows = [{**row, "quotes": row["quotes"][:PDF_THEME_QUOTES]} for row in found["themes"] if row["n"]]
    texts = round(rows[0]["n"] / rows[0]["share"]) if rows and rows[0]["share"] else found["unassigned"]
    return {"rows": rows[:limit], "unassigned": found["unassigned"], "texts": texts}


def comment_samples(slug: str, period: Period, org: Organisation, limit: int = 8) -> tuple[list[dict[str, Any]], str]:
    """A spread of customers' free-text answers of the period, and a sentence saying how it was drawn.

    Not a random sample: of the newest ``limit × 20`` comments of at least 15 characters, every k-th (a
    systematic sample), so the description says so.
    """
    from app.surveys.models import Answer, Survey

    survey_id = db.session.scalar(select(Survey.id).where(Survey.slug == slug))
    if survey_id is None:
        return [], ""
    ids = [c.id for c in centers_under(org)]
    start = datetime.combine(period.start, time.min)
    end = datetime.combine(period.end + timedelta(days=1), time.min)
    query = (
        select(Answer.text, Organisation.code)
        .join(Organisation, Organisation.id == Answer.center_id)
        .where(
            Answer.survey_id == survey_id,
            Answer.submitted_at >= start,
            Answer.submitted_at < end,
            Answer.text.is_not(None),
            func.length(Answer.text) >= 15,
            Answer.center_id.in_(ids),
        )
        .order_by(Answer.submitted_at.desc())
        .limit(limit * 20)
    )
    rows = db.session.execute(query).all()
    step = max(1, len(rows) // limit)
    picked = [{"text": text, "center": code} for text, code in rows[::step][:limit]]
    if not rows:
        return picked, ""
    if step == 1:
        note = f"Все {len(picked)} последних комментариев периода длиннее 15 знаков"
    else:
        note = (
            f"Каждый {step}-й из {len(rows)} последних комментариев периода длиннее 15 знаков "
            "(систематическая выборка, не случайная)"
        )
    return picked, note
