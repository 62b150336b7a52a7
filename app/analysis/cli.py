"""`flask analysis report|refresh|action-effect|texts|themes`: the satisfaction report as JSON or CSV, the
daily counts for cron, the effect of a change at a centre (difference-in-differences), the text job and
the themes of customer texts against the scores."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

analysis_cli = AppGroup("analysis", help="Анализ удовлетворенности.")


def _date(_ctx, _param, value):
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
def report_command(
    slug: str,
    date_from: date | None,
    date_to: date | None,
    period: str | None,
    scope: str | None,
    fmt: str,
    min_n: int | None,
    out: Path | None,
) -> None:
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
    text = (
        json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1, allow_nan=False)
        if fmt == "json"
        else report_to_csv(report)
    )
    if out:
        out.write_text(text, encoding="utf-8")
        click.echo(f"Отчет записан в {out}", err=True)
    else:
        click.echo(text)


def _window(value: str | None, name: str):
    """``FROM:TO`` (dates ГГГГ-ММ-ДД, both included) → a Period; None when not given."""
    from app.analysis.queries import Period

    if value is None:
        return None
    parts = value.split(":")
    try:
        if len(parts) != 2:
            raise ValueError
        return Period(date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[1].strip()))
    except ValueError:
        raise click.UsageError(
            f"{name}: укажите период как ГГГГ-ММ-ДД:ГГГГ-ММ-ДД (начало не позже конца), получено «{value}»"
        ) from None


@analysis_cli.command("action-effect")
@click.argument("slug")
@click.option("--scope", help="Код ЦОК (или филиала), где введено изменение.")
@click.option("--question", help="Код вопроса анкеты.")
@click.option("--introduced", help="Дата введения изменения, ГГГГ-ММ-ДД.")
@click.option(
    "--before", "before_text", help="Период «до» ОТ:ДО (по умолчанию ANALYSIS_EFFECT_WINDOW_DAYS дней до --introduced)."
)
@click.option("--after", "after_text", help="Период «после» ОТ:ДО (по умолчанию столько же дней с --introduced).")
@click.option("--metric", help="top2box, mean или nps (по умолчанию top2box для шкал, nps для NPS).")
@click.option("--format", "fmt", default="json", show_default=True, help="Формат вывода: json.")
def action_effect_command(
    slug: str,
    scope: str | None,
    question: str | None,
    introduced: str | None,
    before_text: str | None,
    after_text: str | None,
    metric: str | None,
    fmt: str,
) -> None:
    """Effect of a change at a centre: difference-in-differences against comparison centres, as JSON."""
    from app.analysis.effects import METRICS, EffectError, action_effect

    missing = [
        name
        for name, value in (("--scope", scope), ("--question", question), ("--introduced", introduced))
        if not value
    ]
    if missing:
        raise click.UsageError("Не указано: " + ", ".join(missing))
    assert scope and question and introduced  # each is in missing otherwise
    if fmt != "json":
        raise click.UsageError(f"Формат «{fmt}» не поддерживается: только json")
    if metric is not None and metric not in METRICS:
        raise click.UsageError(f"Показатель «{metric}» неизвестен: можно top2box, mean или nps")
    try:
        day = date.fromisoformat(introduced)
    except ValueError:
        raise click.UsageError(f"--introduced: дата в формате ГГГГ-ММ-ДД, получено «{introduced}»") from None
    before, after = _window(before_text, "--before"), _window(after_text, "--after")
    try:
        result = action_effect(slug, scope, question, day, before, after, metric)
    except EffectError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False))


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
        click.echo(
            "В часовом поясе есть переход на летнее время: дневные итоги не ведутся, отчеты читают ответы напрямую."
        )
        return
    started = time.perf_counter()
    done = refresh_aggregates(survey_id)
    click.echo(f"Учтено новых анкет: {sum(done.values())} ({time.perf_counter() - started:.1f} с).")


@analysis_cli.command("texts")
@click.option("--batch", "batch_size", type=click.IntRange(1, 100_000), default=500, show_default=True)
@click.option("--queue", "queued", is_flag=True, help="Поставить в очередь RQ (нужен OTKLIK_REDIS_URL).")
def texts_command(batch_size: int, queued: bool) -> None:
    """Lemmas, masked copies and themes of the texts not processed yet (idempotent; run it from cron, or
    with --queue as an RQ job for `flask reports worker`)."""
    import time

    from flask import current_app

    from app.analysis.texts import process_texts

    if queued:
        from app.analysis.text_jobs import enqueue_texts
        from app.reports.jobs import QueueError

        if not current_app.config.get("REDIS_URL"):
            raise click.ClickException("Очередь не настроена: задайте OTKLIK_REDIS_URL.")
        try:
            click.echo(f"Обработка текстов поставлена в очередь: {enqueue_texts()}")
        except QueueError as exc:
            raise click.ClickException(f"Redis недоступен: {exc}") from None
        return
    started = time.perf_counter()
    counts = process_texts(batch_size, progress=click.echo)
    seconds = time.perf_counter() - started
    new = sum(n for kind, n in counts.items() if kind != "rethemed")
    click.echo(
        f"Обработано текстов: {new} (ответы {counts['answer']}, книга {counts['review']}, обращения "
        f"{counts['appeal']}), темы пересчитаны: {counts['rethemed']}; {seconds:.1f} с, "
        f"{new / max(seconds, 1e-9):.0f} текстов/с."
    )


@analysis_cli.command("themes")
@click.argument("slug")
@click.option("--from", "date_from", callback=_date, required=True, help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "date_to", callback=_date, required=True, help="Конец периода (включительно), ГГГГ-ММ-ДД.")
@click.option("--scope", help="Код филиала или ЦОК (по умолчанию вся компания).")
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
def themes_command(slug: str, date_from: date, date_to: date, scope: str | None, fmt: str) -> None:
    """Themes of the survey's texts against its target score, as JSON (texts processed by `texts`)."""
    from app.analysis.themes import ThemesError, survey_themes

    try:
        result = survey_themes(slug, date_from, date_to, scope or None)
    except ThemesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False))


def register_cli(app: Flask) -> None:
    app.cli.add_command(analysis_cli)
