"""`flask reports build …` and `flask reports build-all …` for schedules (cron); `flask reports worker` runs
the queued builds of the web pages (with OTKLIK_REDIS_URL) and `flask reports sweep` fails dead ones."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.models import OrgKind
from app.org.services import branches, centers
from app.reports import services, sources
from app.reports.sources import ReportError

reports_cli = AppGroup("reports", help="PDF-отчеты для руководителей.")


def _params(
    period: str | None, date_from: str | None, date_to: str | None, scope: str | None, survey: str | None
) -> dict[str, str | None]:
    return {"period": period, "from": date_from, "to": date_to, "scope": scope, "survey": survey}


@reports_cli.command("build")
@click.argument("report_type", type=click.Choice(sorted(services.REPORT_TYPES)))
@click.option("--period", help="Период: 2026Q3, 2026H1 или 2026.")
@click.option("--from", "date_from", help="Начало периода, ГГГГ-ММ-ДД (вместо --period).")
@click.option("--to", "date_to", help="Конец периода, ГГГГ-ММ-ДД (вместо --period).")
@click.option("--survey", help="Анкета (slug); по умолчанию основная анкета удовлетворенности.")
@click.option("--scope", help="Код подразделения; по умолчанию вся компания.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Файл PDF.")
def build_command(
    report_type: str,
    period: str | None,
    date_from: str | None,
    date_to: str | None,
    survey: str | None,
    scope: str | None,
    out: Path,
) -> None:
    """Build one report PDF: satisfaction | appeals | center."""
    started = time.perf_counter()
    try:
        data = services.build_pdf(report_type, _params(period, date_from, date_to, scope, survey))
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    click.echo(f"{out}: {len(data) // 1024} КБ за {time.perf_counter() - started:.1f} с")


@reports_cli.command("build-all")
@click.option("--period", help="Период: 2026Q3, 2026H1 или 2026.")
@click.option("--from", "date_from", help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "date_to", help="Конец периода, ГГГГ-ММ-ДД.")
@click.option("--survey", help="Анкета (slug); по умолчанию основная.")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path))
def build_all_command(
    period: str | None, date_from: str | None, date_to: str | None, survey: str | None, directory: Path
) -> None:
    """Satisfaction report for the company and every open branch, and a card for every open centre."""
    try:
        written = build_all(_params(period, date_from, date_to, None, survey), directory, log=click.echo)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Готово: файлов {written} в {directory}")


def build_all(params: dict[str, str | None], directory: Path, log=print) -> int:
    """Write every scheduled PDF; the network report is computed once and reused for all centre cards."""
    spec = services.resolve("satisfaction", params)  # a bad request leaves no empty folder behind
    directory.mkdir(parents=True, exist_ok=True)
    tag = spec.period.code or f"{spec.period.start:%Y%m%d}-{spec.period.end:%Y%m%d}"
    started = time.perf_counter()
    written = 0

    def write(name: str, data: bytes) -> None:
        nonlocal written
        (directory / name).write_bytes(data)
        written += 1
        log(f"[{time.perf_counter() - started:6.1f} с] {name} ({len(data) // 1024} КБ)")

    assert spec.survey is not None  # resolve() sets it for survey reports
    network = sources.satisfaction_report(spec.survey, spec.period, sources.scope_org(None))
    company_params = {**params, "survey": spec.survey, "scope": spec.org.code}
    write(
        f"satisfaction-{spec.org.code}-{tag}.pdf",
        services.build_pdf("satisfaction", company_params, network_report=network),
    )
    for branch in branches():
        if branch.kind != OrgKind.BRANCH or not branch.active:
            continue  # a closed branch gets no scheduled report, as a closed centre gets no card
        data = services.build_pdf("satisfaction", {**company_params, "scope": branch.code})
        write(f"satisfaction-{branch.code}-{tag}.pdf", data)
    for center in centers():
        data = services.build_pdf("center", {**company_params, "scope": center.code}, network_report=network)
        write(f"center-{center.code}-{tag}.pdf", data)
    return written


@reports_cli.command("worker")
@click.option("--burst", is_flag=True, help="Выполнить задания из очереди и завершиться.")
@click.option("--simple", is_flag=True, help="Строить в этом же процессе, без отдельного процесса на задание.")
def worker_command(burst: bool, simple: bool) -> None:
    """Build the reports requested on the web pages (RQ worker of the report queue; needs OTKLIK_REDIS_URL)."""
    from redis.exceptions import RedisError

    from app.reports import jobs

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException(
            "Очередь отчетов не настроена: задайте OTKLIK_REDIS_URL "
            "(например, redis://127.0.0.1:6379/0). Без нее отчеты строит веб-процесс."
        )
    try:
        jobs.connection().ping()
    except RedisError as exc:
        raise click.ClickException(f"Redis недоступен ({current_app.config['REDIS_URL']}): {exc}") from None
    marked = services.sweep_stale()
    if marked:
        click.echo(f"Прерванных построений отмечено: {len(marked)}")
    jobs.run_worker(current_app._get_current_object(), burst=burst, simple=simple)  # type: ignore[attr-defined]  # a LocalProxy


@reports_cli.command("sweep")
def sweep_command() -> None:
    """Mark failed the builds whose process stopped (heartbeat older than REPORT_STALE_SECONDS)."""
    marked = services.sweep_stale()
    click.echo(
        f"Прерванных построений отмечено: {len(marked)}"
        + (f" (№ {', '.join(str(i) for i in marked)})" if marked else "")
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(reports_cli)
