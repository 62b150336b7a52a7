"""`flask demo …` commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select

from app.database import ConfigError
from app.demo import demo_logins_text, seed
from app.extensions import db
from app.kiosk.demo import demo_enrol_url
from app.models import Organisation

demo_cli = AppGroup("demo", help="Демонстрационные данные.")


@demo_cli.command("seed")
@click.option("--org-only", is_flag=True, help="Только дерево подразделений, без пользователей и данных.")
def seed_command(org_only: bool) -> None:
    """Load demo data (idempotent: existing data is kept)."""
    seed(org_only=org_only, log=click.echo)
    if not org_only:
        click.echo(demo_logins_text())


@demo_cli.command("logins")
def logins_command() -> None:
    """Print the demo logins and, when the demo kiosk exists, a fresh one-time enrolment link for it."""
    click.echo(demo_logins_text())
    try:
        url = demo_enrol_url()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if url:
        click.echo(f"  Демо-киоск ЦОК Курск (ссылка подключения, действует один раз): {url}")


@demo_cli.command("is-empty")
def is_empty_command() -> None:
    """Exit 0 when the database has no organisation yet (used by `make run`)."""
    empty = db.session.scalar(select(Organisation.id).limit(1)) is None
    raise SystemExit(0 if empty else 1)


def register_cli(app: Flask) -> None:
    app.cli.add_command(demo_cli)
