"""`flask org …` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.org.services import OrgError, import_tree

org_cli = AppGroup("org", help="Дерево подразделений: МРСК → РСК → ЦОК.")


@org_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path) -> None:
    """Import branches and centres from CSV or XLSX (all or nothing)."""
    try:
        branches, centres = import_tree(file, current_app.config["COMPANY_NAME"])
    except OrgError as exc:
        raise click.ClickException(f"Импорт отменен, ничего не сохранено:\n{exc}") from None
    click.echo(f"Импортировано: филиалов {branches}, ЦОК {centres}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(org_cli)
