"""`flask analysis report|refresh`: the satisfaction report as JSON or CSV, and the daily counts for cron."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

analysis_cli = AppGroup("analysis", help="Анализ удовлетворенности.")


def _date(_ctx, _param, value):  # noqa: ANN001, ANN202
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("дата в формате ГГГГ-ММ-ДД") from None


@analysis_cli.command("report")
@click.argument("slug")
@click.option("--from", "date_from", callback=_date, help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "date_to", callback=_date, help="Конец периода (включительно), ГГГГ-ММ-ДД.")
@click.option("--period", help="Квартал вместо дат, например 2026Q3.")
@click.option("--scope", help="Код филиала или ЦОК (по умолчанию вся компания).")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@click.option("--min-n", type=int, default=None, help="Минимальный размер группы.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Файл (по умолчанию stdout).")
def report_command(slug: str, date_from: date | None, date_to: date | None, period: str | None, scope: str | None,
                   fmt: str, min_n: int | None, out: Path | None) -> None:
    """Build the report of survey SLUG for a period and print or save it."""
    from app.analysis.queries import parse_quarter
    from app.analysis.report import ReportError, build_report, report_to_csv

    if period:
        found = parse_quarter(period)
        if found is None:
            raise click.UsageError("Период задается как 2026Q3")
        date_from, date_to = found.start, found.end
    if date_from is None or date_to is None:
        raise click.UsageError("Укажите --from и --to или --period")
    try:
        report = build_report(slug, date_from, date_to, scope or None, min_n=min_n)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    text = (json.dumps(report, ensure_ascii=False, indent=1, allow_nan=False) if fmt == "json"
            else report_to_csv(report))
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Отчет записан в {out}", err=True)
    else:
        click.echo(text)


@analysis_cli.command("refresh")
@click.option("--survey", "slug", help="Код анкеты (по умолчанию все анкеты).")
def refresh_command(slug: str | None) -> None:
    """Add the responses stored since the last run to the daily counts (incremental; run it from cron)."""
    import time

    from app.analysis.aggregates import fixed_offset_seconds, refresh_aggregates
    from app.analysis.queries import survey_by_slug

    survey_id = None
    if slug:
        survey = survey_by_slug(slug)
        if survey is None:
            raise click.ClickException(f"Анкета «{slug}» не найдена")
        survey_id = survey.id
    if fixed_offset_seconds() is None:
        click.echo("В часовом поясе есть переход на летнее время: дневные итоги не ведутся, "
                   "отчеты читают ответы напрямую.")
        return
    started = time.perf_counter()
    done = refresh_aggregates(survey_id)
    click.echo(f"Учтено новых анкет: {sum(done.values())} ({time.perf_counter() - started:.1f} с).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(analysis_cli)
