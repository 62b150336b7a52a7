"""`flask appeals …`: daily escalation, import, monitoring report."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import and_, func, select

from app.appeals.models import Appeal, Promise
from app.appeals.services import OPEN_STATUSES
from app.extensions import db
from app.models import Organisation, OrgKind, utcnow

appeals_cli = AppGroup("appeals", help="Обращения клиентов: контроль сроков, импорт, отчет мониторинга.")


def escalation(now: datetime, days: int = 2) -> list[dict]:
    """Per centre: open appeals due within ``days`` days, overdue ones, overdue open promises."""
    soon = now + timedelta(days=days)
    open_ = Appeal.status.in_(OPEN_STATUSES)
    due_soon = db.session.execute(
        select(Appeal.center_id, func.count())
        .where(open_, Appeal.due_at >= now, Appeal.due_at < soon)
        .group_by(Appeal.center_id)
    ).all()
    overdue = db.session.execute(
        select(Appeal.center_id, func.count()).where(open_, Appeal.due_at < now).group_by(Appeal.center_id)
    ).all()
    promises = db.session.execute(
        select(Appeal.center_id, func.count())
        .join(Promise, Promise.appeal_id == Appeal.id)
        .where(and_(Promise.status == "open", Promise.due_at < now))
        .group_by(Appeal.center_id)
    ).all()
    table: dict[int, dict] = {}
    for key, rows in (("due_soon", due_soon), ("overdue", overdue), ("promises_overdue", promises)):
        for center_id, n in rows:
            table.setdefault(center_id, {"due_soon": 0, "overdue": 0, "promises_overdue": 0})[key] = int(n)
    centers = {o.id: o for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(table)))}
    return [
        {"center": centers[cid].code, "center_name": centers[cid].name, **figures}
        for cid, figures in sorted(table.items(), key=lambda item: centers[item[0]].name)
    ]


@appeals_cli.command("escalate")
@click.option("--days", default=2, show_default=True, help="Сколько дней вперед считать «скоро срок».")
def escalate_command(days: int) -> None:
    """Daily control: per centre, appeals due within 2 days, overdue appeals and overdue promises."""
    rows = escalation(utcnow(), days)
    if not rows:
        click.echo("Просроченных обращений и обращений со сроком в ближайшие дни нет.")
        return
    click.echo(f"{'ЦОК':<28} {'срок ≤ ' + str(days) + ' дн.':>12} {'просрочено':>11} {'обещания просрочены':>20}")
    for row in rows:
        click.echo(
            f"{row['center_name'][:28]:<28} {row['due_soon']:>12} {row['overdue']:>11} {row['promises_overdue']:>20}"
        )
    click.echo(
        f"Итого: срок скоро {sum(r['due_soon'] for r in rows)}, просрочено {sum(r['overdue'] for r in rows)}, "
        f"просроченных обещаний {sum(r['promises_overdue'] for r in rows)}."
    )


@appeals_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Только проверить файл, ничего не сохранять.")
@click.option("--source", default="import", show_default=True, help="Источник внешних номеров (external_id).")
def import_command(file: Path, dry_run: bool, source: str) -> None:
    """Import appeals from CSV or XLSX: all rows or none, errors with line numbers."""
    from app.analysis.texts import source_watermarks  # an entry point: the new texts go to the text job
    from app.appeals.importer import AppealImportError, import_file

    if file.suffix.lower() not in (".csv", ".xlsx"):
        raise click.ClickException("Нужен файл .csv или .xlsx")
    before = source_watermarks()
    try:
        result = import_file(file, dry_run=dry_run, source=source)
    except AppealImportError as exc:
        raise click.ClickException(f"Импорт отменен, ничего не сохранено:\n{exc}") from None
    kinds = ", ".join(f"{k}: {n}" for k, n in sorted(result.by_kind.items()))
    if dry_run:
        click.echo(f"Проверка пройдена: строк {result.rows} ({kinds}). Ничего не сохранено (--dry-run).")
    else:
        from app.analysis.text_jobs import process_after_import

        click.echo(f"Импортировано обращений: {result.inserted} ({kinds}).")
        click.echo(process_after_import(before))


def _parse_day(_ctx, _param, value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("нужна дата в формате ГГГГ-ММ-ДД") from None


@appeals_cli.command("themes")
@click.option("--from", "date_from", required=True, callback=_parse_day, help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "date_to", required=True, callback=_parse_day, help="Конец периода (включительно).")
@click.option("--scope", default="", help="Код филиала или ЦОК; по умолчанию вся компания.")
@click.option(
    "--kind", type=click.Choice(["complaint", "application"]), default=None, help="Только жалобы или заявления."
)
@click.option("--format", "fmt", type=click.Choice(["json"]), default="json", show_default=True)
def themes_command(date_from: date, date_to: date, scope: str, kind: str | None, fmt: str) -> None:
    """Themes of appeal texts in the period against the previous period, as JSON (texts processed by
    `flask analysis texts`)."""
    from app.analysis.themes import ThemesError, appeal_themes  # an entry point; analysis reads appeals

    try:
        result = appeal_themes(date_from, date_to, scope or None, kind)
    except ThemesError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result, ensure_ascii=False, indent=1, allow_nan=False))


@appeals_cli.command("report")
@click.option("--from", "date_from", required=True, callback=_parse_day, help="Начало периода, ГГГГ-ММ-ДД.")
@click.option("--to", "date_to", required=True, callback=_parse_day, help="Конец периода (включительно).")
@click.option("--scope", default="", help="Код филиала или ЦОК; по умолчанию вся компания.")
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "pdf"]), default="json", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Файл для записи.")
def report_command(date_from: date, date_to: date, scope: str, fmt: str, out: Path | None) -> None:
    """Monitoring report of appeals for a period: JSON, CSV or PDF."""
    from app.appeals.report import monitoring_report, report_rows
    from app.appeals.spreadsheet import to_csv

    org = None
    if scope:
        org = db.session.scalar(select(Organisation).where(Organisation.code == scope.strip().upper()))
        if org is None:
            raise click.ClickException(f"Подразделение с кодом «{scope}» не найдено")
        if org.kind == OrgKind.COMPANY:
            org = None
    if date_to < date_from:
        raise click.ClickException("Дата окончания периода раньше даты начала")
    report = monitoring_report(date_from, date_to, org)
    if fmt == "json":
        data = (json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    elif fmt == "csv":
        header, rows = report_rows(report)
        data = to_csv(header, rows)
    else:
        from app.reports.services import appeals_pdf  # reports build on appeals, not the other way round

        data = appeals_pdf(report)
    if out is not None:
        out.write_bytes(data)
        click.echo(f"Отчет записан в {out}", err=True)
    elif fmt == "pdf":
        sys.stdout.buffer.write(data)
    else:
        click.echo(data.decode("utf-8"), nl=False)


def register_cli(app: Flask) -> None:
    app.cli.add_command(appeals_cli)
