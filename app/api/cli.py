"""`flask api create-token EMAIL --name NAME` and `flask api revoke-token ID`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.api.tokens import TokenError, create_token, revoke_token

api_cli = AppGroup("api", help="API v1: токены сотрудников.")


@api_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="Название токена (для чего он).")
def create_token_command(email: str, name: str) -> None:
    """Create a staff API token and print it once."""
    try:
        secret = create_token(email, name)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Токен создан. Сохраните его: повторно он показан не будет.")
    click.echo(secret)


@api_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token_command(token_id: int) -> None:
    """Revoke a token by id."""
    try:
        revoke_token(token_id)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Токен отозван.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(api_cli)
