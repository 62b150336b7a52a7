"""Building report PDFs (and their HTML previews), the archive, and background builds.

``build_pdf`` is the one entry point used by the web pages, the CLI and the benchmark: it resolves the
parameters, asks the analysis / appeals packages for their report dict, turns it into a template
context (``context.py``) and renders it with WeasyPrint through ``app.pdf.render_pdf``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from sqlalchemy import select, update

from app import audit
from app.database import rows_changed, write_transaction
from app.extensions import db
from app.i18n import N_
from app.models import Organisation, OrgKind, User, utcnow
from app.nav import local_time
from app.org.services import centers_under, visible_center_ids
from app.pdf import PDF_FONT_CSS, render_pdf
from app.reports import context as ctxmod
from app.reports import sources
from app.reports.fmt import Period, PeriodError, parse_period, period_label
from app.reports.models import ReportArchive
from app.reports.render import render_strict
from app.reports.sources import ReportError

if TYPE_CHECKING:
    from app.analysis.report_model import SatisfactionReport
    from app.appeals.report_model import MonitoringReport

log = logging.getLogger("otklik.reports")

Progress = Callable[[int], None]

# Plain Russian (N_): a report's title inside the PDF; the reports page translates them.
REPORT_TYPES = {
    "satisfaction": N_("Отчет об удовлетворенности клиентов"),
    "appeals": N_("Мониторинг обращений клиентов"),
    "center": N_("Карточка ЦОК"),
}


def _noop(_: int) -> None:
    return None


@dataclass(frozen=True)
class Spec:
    """Resolved parameters of one report."""

    report_type: str
    period: Period
    org: Organisation
    survey: str | None

    @property
    def title(self) -> str:
        if self.report_type == "satisfaction" and "Q" in self.period.code:
            return "Квартальный отчет об удовлетворенности клиентов"
        if self.report_type == "center":
            return "Карточки ЦОК" if self.org.kind != OrgKind.CENTER else "Карточка ЦОК"
        return REPORT_TYPES[self.report_type]

    @property
    def scope_name(self) -> str:
        return self.org.name

    def full_title(self) -> str:
        return f"{self.title} — {self.scope_name}, {self.period.label}"

    def params(self) -> dict[str, Any]:
        return {
            "type": self.report_type,
            "period": self.period.code,
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "scope": self.org.code,
            "survey": self.survey,
        }


def resolve(report_type: str, params: dict[str, Any]) -> Spec:
    """Validate the type, period, scope and survey; raise :class:`ReportError` with a Russian message."""
    if report_type not in REPORT_TYPES:
        raise ReportError(f"Неизвестный вид отчета «{report_type}»")
    try:
        period = parse_period(params.get("period") or None, params.get("from") or None, params.get("to") or None)
    except PeriodError as exc:
        raise ReportError(str(exc)) from None
    org = sources.scope_org(params.get("scope"))
    survey = None
    if report_type in ("satisfaction", "center"):
        survey = params.get("survey") or sources.main_survey_slug()
        sources.check_survey(survey)
    return Spec(report_type, period, org, survey)


def user_may_use(user: User | None, org: Organisation) -> bool:
    """A user may report on a scope that lies entirely within their own scope (CLI: user None)."""
    if user is None or user.scope is None:
        return True
    return _within(org, user.scope) and {c.id for c in centers_under(org)} <= visible_center_ids(user)


def _within(org: Organisation, scope: Organisation) -> bool:
    node: Organisation | None = org
    while node is not None:
        if node.id == scope.id:
            return True
        node = node.parent
    return scope.kind == OrgKind.COMPANY


def _meta(spec: Spec, user: User | None) -> dict[str, Any]:
    return {
        "title": spec.title,
        "company": current_app.config["COMPANY_NAME"],
        "scope_name": spec.scope_name,
        "period_label": spec.period.label,
        "report_type": spec.report_type,
        "generated_at": local_time(utcnow()),
        "author": (user.name or user.email) if user else "",
    }


# ------------------------------------------------------------------ rendering from source dicts


def render_satisfaction(
    report: SatisfactionReport,
    meta: dict[str, Any],
    comments: list[dict[str, Any]] | None = None,
    pdf: bool = True,
    progress: Progress = _noop,
    comments_note: str = "",
    themes: dict[str, Any] | None = None,
) -> str:
    """HTML of the satisfaction report from the typed analysis report (``themes``: sources.text_themes)."""
    ctx = ctxmod.satisfaction_context(
        report,
        scope_name=meta["scope_name"],
        comments=comments or [],
        comments_note=comments_note,
        progress=progress,
        pdf_limit=int(current_app.config["ANALYSIS_PDF_RECOMMENDATIONS"]),
        themes=themes,
    )
    return render_strict("reports/satisfaction.html", ctx=ctx, meta=meta, pdf=pdf, font_css=PDF_FONT_CSS)


def render_appeals(
    report: MonitoringReport,
    meta: dict[str, Any],
    pdf: bool = True,
    topic_names: dict[str, str] | None = None,
    center_names: dict[str, str] | None = None,
    themes: dict[str, Any] | None = None,
) -> str:
    ctx = ctxmod.appeals_context(report, topic_names=topic_names, center_names=center_names, themes=themes)
    return render_strict("reports/appeals.html", ctx=ctx, meta=meta, pdf=pdf, font_css=PDF_FONT_CSS)


def render_centers(
    report: SatisfactionReport,
    meta: dict[str, Any],
    codes: list[str] | None = None,
    pdf: bool = True,
    themes: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The centre cards (``themes``: each centre's themes, sources.center_text_themes)."""
    cards = ctxmod.center_cards(report, codes)
    if not cards:
        raise ReportError("В отчете нет данных по выбранным ЦОК")
    return render_strict(
        "reports/center.html",
        cards=cards,
        meta=meta,
        pdf=pdf,
        min_n=report.min_n,
        font_css=PDF_FONT_CSS,
        themes=themes or {},
    )


def appeals_pdf(report: MonitoringReport) -> bytes:
    """PDF of an appeals monitoring report (used by ``flask appeals report --format pdf``)."""
    org = sources.scope_org(report.scope if report.scope != "company" else None)
    period = report.period.model_dump()
    meta = {
        "title": REPORT_TYPES["appeals"],
        "company": current_app.config["COMPANY_NAME"],
        "scope_name": org.name,
        "period_label": period_label(period),
        "report_type": "appeals",
        "generated_at": local_time(utcnow()),
        "author": "",
    }
    return render_pdf(
        render_appeals(report, meta, topic_names=sources.topic_names(), center_names=sources.center_names())
    )


# ------------------------------------------------------------------ building


def build_html(
    report_type: str,
    params: dict[str, Any],
    user: User | None = None,
    pdf: bool = False,
    progress: Progress = _noop,
    network_report: SatisfactionReport | None = None,
) -> str:
    """The report as HTML (``pdf=False``: the browser preview; ``pdf=True``: the input of WeasyPrint)."""
    spec = resolve(report_type, params)
    if not user_may_use(user, spec.org):
        raise ReportError("Этот отчет вне вашей зоны ответственности")
    progress(5)
    meta = _meta(spec, user)
    if spec.report_type == "satisfaction":
        # ``network_report`` given with a satisfaction request is the already computed report of this scope.
        assert spec.survey is not None  # resolve() sets it for survey reports
        satisfaction = network_report or sources.satisfaction_report(spec.survey, spec.period, spec.org)
        progress(45)
        comments, note = sources.comment_samples(spec.survey, spec.period, spec.org)
        themes = sources.text_themes(spec.survey, spec.period, spec.org)
        return render_satisfaction(
            satisfaction, meta, comments, pdf=pdf, progress=progress, comments_note=note, themes=themes
        )
    if spec.report_type == "appeals":
        monitoring = sources.appeals_report(spec.period, spec.org)
        progress(45)
        return render_appeals(
            monitoring,
            meta,
            pdf=pdf,
            topic_names=sources.topic_names(),
            center_names=sources.center_names(),
            themes=sources.complaint_themes(spec.period, spec.org),
        )
    assert spec.survey is not None  # resolve() sets it for survey reports
    network = network_report or sources.satisfaction_report(spec.survey, spec.period, sources.scope_org(None))
    progress(45)
    codes = [c.code for c in centers_under(spec.org)]
    themes = sources.center_text_themes(spec.survey, spec.period, codes)
    return render_centers(network, meta, codes, pdf=pdf, themes=themes)


def build_pdf(
    report_type: str,
    params: dict[str, Any],
    user: User | None = None,
    progress: Progress = _noop,
    network_report: SatisfactionReport | None = None,
) -> bytes:
    """Build one report PDF; ``progress`` receives percentages as the work advances."""
    html = build_html(report_type, params, user, pdf=True, progress=progress, network_report=network_report)
    progress(80)
    data = render_pdf(html)
    progress(100)
    return data


# ------------------------------------------------------------------ archive and background builds


INTERRUPTED = "Построение прервано: процесс остановлен. Постройте отчет заново."
QUEUE_DOWN = "Очередь построения отчетов недоступна. Попробуйте позже или обратитесь к администратору."
ACTIVE = ("pending", "running")


def uses_queue() -> bool:
    """Builds go to the RQ queue when ``REDIS_URL`` (``OTKLIK_REDIS_URL``) is set, else to a thread here."""
    return bool(current_app.config.get("REDIS_URL"))


def heartbeat_seconds() -> float:
    return float(current_app.config["REPORT_HEARTBEAT_SECONDS"])


def stale_seconds() -> float:
    """Age of the last heartbeat after which a build counts as dead: REPORT_STALE_SECONDS, never under
    three heartbeat periods (one late beat on a busy machine must not fail a live build)."""
    return max(float(current_app.config["REPORT_STALE_SECONDS"]), 3 * heartbeat_seconds())


def new_owner() -> str:
    """``host:pid:token`` of one build run; the token tells apart runs of a process (and reused pids)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"


def request_report(
    report_type: str, params: dict[str, Any], user: User, rebuild_of: int | None = None
) -> ReportArchive:
    """Check the request and store a pending archive row; the caller then starts the build.

    A row built in this process gets its first heartbeat now (a process that dies before the build
    thread starts leaves a row the sweep will find); a queued row has none until a worker takes it, as it
    may wait in Redis for longer than the stale time.
    """
    spec = resolve(report_type, params)
    if not user_may_use(user, spec.org):
        raise ReportError("Этот отчет вне вашей зоны ответственности")
    with write_transaction():
        row = ReportArchive(
            report_type=report_type,
            params=spec.params(),
            title=spec.full_title()[:300],
            status="pending",
            progress=0,
            created_by_id=user.id,
            heartbeat_at=None if uses_queue() else utcnow(),
        )
        db.session.add(row)
        db.session.flush()
        details = {"rebuild_of": rebuild_of} if rebuild_of else {}
        audit.record("report.request", row, summary=f"{report_type} {spec.org.code} {spec.period.code}", **details)
    return row


def rebuild(row: ReportArchive, user: User) -> ReportArchive:
    """A new request with the parameters of a failed row (checked again against the user's scope)."""
    if row.status != "failed":
        raise ReportError("Заново можно построить только отчет, который не был построен")
    params = dict(row.params or {})
    period = params.get("period") or None
    return request_report(
        row.report_type,
        {
            "period": period,
            "from": None if period else params.get("from"),
            "to": None if period else params.get("to"),
            "scope": params.get("scope"),
            "survey": params.get("survey"),
        },
        user,
        rebuild_of=row.id,
    )


def _update_own(archive_id: int, owner: str, **values: Any) -> bool:
    """Write to a row only while this run still owns it and it is running (a swept row stays failed)."""
    with write_transaction():
        result = db.session.execute(
            update(ReportArchive)
            .where(ReportArchive.id == archive_id, ReportArchive.owner == owner, ReportArchive.status == "running")
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return bool(rows_changed(result))


class Heartbeat:
    """A thread that writes the row's ``heartbeat_at`` every REPORT_HEARTBEAT_SECONDS while a build runs.

    Rendering a PDF can go for minutes between progress calls, so the beat cannot ride on them alone. It
    stops when the build ends, or by itself once the row is no longer this run's (finished or swept).
    """

    def __init__(self, app: Flask, archive_id: int, owner: str) -> None:
        self.app, self.archive_id, self.owner = app, archive_id, owner
        self.period = float(app.config["REPORT_HEARTBEAT_SECONDS"])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"report-{archive_id}-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(self.period + 30)

    def _run(self) -> None:
        with self.app.app_context():
            try:
                while not self._stop.wait(self.period):
                    try:
                        if not _update_own(self.archive_id, self.owner, heartbeat_at=utcnow()):
                            return
                    except Exception:  # a busy database must not end the beat; the next one may pass
                        log.warning("report %s: heartbeat not written", self.archive_id, exc_info=True)
            finally:
                db.session.remove()


def run_archived(archive_id: int) -> None:
    """Build an archived request (in whatever thread or RQ job calls it), recording progress and outcome.

    The run first claims the pending row (status running, its owner, a heartbeat), so a row is never
    built twice, then keeps the heartbeat going; every later write is conditional on still owning it.
    """
    owner = new_owner()
    with write_transaction():
        claimed = rows_changed(
            db.session.execute(
                update(ReportArchive)
                .where(ReportArchive.id == archive_id, ReportArchive.status == "pending")
                .values(status="running", progress=1, owner=owner, heartbeat_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        )
    if not claimed:
        log.warning("report %s is not pending: not built", archive_id)
        return
    row = db.session.get(ReportArchive, archive_id, populate_existing=True)
    assert row is not None  # this run has just claimed it
    user = db.session.get(User, row.created_by_id) if row.created_by_id else None
    params, report_type = dict(row.params), row.report_type
    delay = float(current_app.config.get("REPORT_BUILD_DELAY_SECONDS") or 0)
    last = {"value": 1}

    def progress(value: int) -> None:
        if delay:  # test hook: a slow build, to stop a process in the middle of one
            time.sleep(delay)
        if value - last["value"] >= 5 or value == 100:
            last["value"] = value
            _update_own(archive_id, owner, progress=min(99, value), heartbeat_at=utcnow())

    with Heartbeat(current_app._get_current_object(), archive_id, owner):  # type: ignore[attr-defined]  # a LocalProxy
        try:
            data = build_pdf(report_type, params, user=user, progress=progress)
        except Exception as exc:  # any failure is recorded on the row for the user
            db.session.rollback()
            log.exception("report %s failed", archive_id)
            message = str(exc) if isinstance(exc, ReportError) else "Внутренняя ошибка при построении отчета"
            _update_own(archive_id, owner, status="failed", error=message[:500], finished_at=utcnow())
            return
        if not _update_own(
            archive_id,
            owner,
            pdf=data,
            size_bytes=len(data),
            status="done",
            progress=100,
            finished_at=utcnow(),
            heartbeat_at=utcnow(),
        ):
            log.warning("report %s was swept while it was built: result dropped", archive_id)


def sweep_stale(archive_ids: list[int] | None = None) -> list[int]:
    """Mark failed the pending/running rows whose heartbeat stopped (their process died); their ids.

    Only rows with a heartbeat older than :func:`stale_seconds` are touched, and the UPDATE checks the
    age again, so a build that beats meanwhile in another process is never marked. Queued rows carry no
    heartbeat until a worker takes them; they are failed only when Redis no longer holds a live job for
    them (after the same stale time).
    """
    cutoff = utcnow() - timedelta(seconds=stale_seconds())
    beating = (
        ReportArchive.status.in_(ACTIVE),
        ReportArchive.heartbeat_at.is_not(None),
        ReportArchive.heartbeat_at < cutoff,
    )
    queued = (
        ReportArchive.status == "pending",
        ReportArchive.heartbeat_at.is_(None),
        ReportArchive.created_at < cutoff,
    )

    def ids(*where: Any) -> list[int]:
        query = select(ReportArchive.id).where(*where)
        if archive_ids is not None:
            query = query.where(ReportArchive.id.in_(archive_ids))
        return list(db.session.scalars(query))

    candidates: list[tuple[int, tuple[Any, ...]]] = [(i, beating) for i in ids(*beating)]
    waiting = ids(*queued) if uses_queue() else []
    if waiting:
        from app.reports import jobs

        try:
            candidates += [(i, queued) for i in jobs.lost(waiting)]
        except jobs.QueueError:
            log.warning("report queue unreachable: queued rows not checked", exc_info=True)
    if not candidates:
        return []
    marked = []
    with write_transaction():
        for archive_id, where in candidates:
            result = db.session.execute(
                update(ReportArchive)
                .where(ReportArchive.id == archive_id, *where)
                .values(status="failed", error=INTERRUPTED, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            if rows_changed(result):
                marked.append(archive_id)
                audit.record(
                    "report.interrupted",
                    db.session.get(ReportArchive, archive_id),
                    summary=f"no heartbeat for {stale_seconds():.0f} s",
                    user_id=None,
                )
    for archive_id in marked:
        log.warning("report %s: its build process stopped; marked failed", archive_id)
    db.session.expire_all()
    return marked


def looks_stale(row: ReportArchive) -> bool:
    """A cheap check on a loaded row, before asking :func:`sweep_stale` to write."""
    since = row.heartbeat_at or (row.created_at if row.status == "pending" and uses_queue() else None)
    return row.status in ACTIVE and since is not None and (utcnow() - since).total_seconds() > stale_seconds()


_threads: dict[int, threading.Thread] = {}


def start_background(app: Flask, archive_id: int) -> threading.Thread:
    """Run :func:`run_archived` in a daemon thread with its own app context (and DB session)."""

    def target() -> None:
        with app.app_context():
            try:
                run_archived(archive_id)
            finally:
                db.session.remove()

    thread = threading.Thread(target=target, name=f"report-{archive_id}", daemon=True)
    _threads[archive_id] = thread
    thread.start()
    return thread


def start_build(app: Flask, archive_id: int) -> None:
    """Hand a pending row to the RQ queue (Redis configured) or to a thread of this process.

    If Redis refuses the job, the row is marked failed at once with a Russian message (and the
    :class:`ReportError` is raised for the page), rather than waiting for a job that does not exist.
    """
    if not uses_queue():
        start_background(app, archive_id)
        return
    from app.reports import jobs

    try:
        jobs.enqueue(archive_id)
    except jobs.QueueError:
        log.exception("report %s: not queued", archive_id)
        with write_transaction():
            db.session.execute(
                update(ReportArchive)
                .where(ReportArchive.id == archive_id, ReportArchive.status == "pending")
                .values(status="failed", error=QUEUE_DOWN, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
        raise ReportError(QUEUE_DOWN) from None


def wait_for(archive_id: int, timeout: float = 120.0) -> None:
    """Join a background build started in this process (tests, CLI)."""
    thread = _threads.pop(archive_id, None)
    if thread is not None:
        thread.join(timeout)


def can_access(user: User, row: ReportArchive) -> bool:
    """Archive rows are visible to users whose scope covers the report's scope."""
    code = (row.params or {}).get("scope")
    org = db.session.scalar(select(Organisation).where(Organisation.code == code)) if code else None
    if org is None:
        return user.role == "admin"
    return user_may_use(user, org)


def visible_archive(user: User, limit: int = 100) -> list[ReportArchive]:
    rows = db.session.scalars(
        select(ReportArchive).order_by(ReportArchive.created_at.desc(), ReportArchive.id.desc()).limit(limit * 3)
    )
    return [r for r in rows if can_access(user, r)][:limit]


def scopes_for(user: User) -> list[Organisation]:
    """Organisations a user can pick as a report scope: their scope and everything below it."""
    root = user.scope
    orgs = list(db.session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)))
    allowed = [o for o in orgs if user_may_use(user, o)] if root is not None else orgs
    order: dict[str, int] = {OrgKind.COMPANY: 0, OrgKind.BRANCH: 1, OrgKind.CENTER: 2}
    return sorted(allowed, key=lambda o: (order.get(o.kind, 3), o.name))


def describe_params(params: dict[str, Any]) -> str:
    """An archived request in words: period label, scope name, survey title (no codes on the page)."""
    parts = []
    with contextlib.suppress(PeriodError):  # a stored request always parsed once; never fail the page
        parts.append(
            parse_period(params.get("period") or None, params.get("from") or None, params.get("to") or None).label
        )
    code = params.get("scope")
    org = db.session.scalar(select(Organisation).where(Organisation.code == code)) if code else None
    parts.append(org.name if org is not None else current_app.config["COMPANY_NAME"])
    if params.get("survey"):
        parts.append(f"анкета «{sources.survey_title(params['survey'])}»")
    return " · ".join(parts)


def finished_label(row: ReportArchive) -> str:
    return local_time(row.finished_at) if isinstance(row.finished_at, datetime) else "—"
