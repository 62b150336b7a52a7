"""`flask kb …`: import and export the articles as JSON/CSV, search from the command line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup

from app.errors import DomainError
from app.kb.search import search_articles
from app.kb.services import export_articles, import_articles

kb_cli = AppGroup("kb", help="База знаний: загрузка и выгрузка статей, поиск.")


def read_rows(path: Path) -> list[Any]:
    """The rows of a JSON list or a CSV file (header title,answer,topic[,section][,centers])."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"Не удалось прочитать файл {path}: {error}") from None
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(content))
        missing = {"title", "answer", "topic"} - set(reader.fieldnames or [])
        if missing:
            raise click.ClickException(f"В CSV нет столбцов: {', '.join(sorted(missing))}.")
        return [{key: value for key, value in row.items() if key is not None} for row in reader]
    try:
        rows = json.loads(content)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"Файл не является JSON: {error.msg}, строка {error.lineno}.") from None
    if not isinstance(rows, list):
        raise click.ClickException("JSON должен быть списком статей.")
    return rows


@kb_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import articles from FILE.json or FILE.csv (a title that exists is updated); all or nothing."""
    try:
        created, updated = import_articles(read_rows(file), first_row=2 if file.suffix.lower() == ".csv" else 1)
    except DomainError as error:
        raise click.ClickException(f"{error} Ничего не сохранено.") from None
    click.echo(f"Статей добавлено: {created}, обновлено: {updated}.")


@kb_cli.command("export")
def export_command() -> None:
    """Print every article as the JSON list `flask kb import` reads."""
    click.echo(json.dumps(export_articles(), ensure_ascii=False, indent=2))


@kb_cli.command("search")
@click.argument("query")
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100), help="Сколько статей.")
@click.option("--format", "output", type=click.Choice(["json", "text"]), default="text", show_default=True)
@click.option("--drafts", is_flag=True, help="Искать и среди черновиков.")
def search_command(query: str, limit: int, output: str, drafts: bool) -> None:
    """Search the base as a customer would: [{"id", "title", "score"}] best first."""
    hits = search_articles(query, limit, published_only=not drafts)
    if output == "json":
        click.echo(json.dumps([{"id": h.id, "title": h.title, "score": h.score} for h in hits], ensure_ascii=False))
        return
    for hit in hits:
        click.echo(f"{hit.score:8.3f}  #{hit.id}  {hit.title}")
    if not hits:
        click.echo("Ничего не найдено.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(kb_cli)
