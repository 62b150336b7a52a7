"""`flask api create-token EMAIL --name N --permission P [--permission P…] [--expires-days D]` and
`flask api revoke-token ID`."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.api.models import PERMISSIONS
from app.api.tokens import DEFAULT_EXPIRES_DAYS, TokenError, create_token, revoke_token

api_cli = AppGroup("api", help="API v1: токены сотрудников.")


@api_cli.command("create-token")
@click.argument("email")
@click.option("--name", default="", help="Название токена (для чего он).")
@click.option(
    "--permission",
    "permissions",
    multiple=True,
    metavar="P",
    help=f"Право токена (можно несколько раз): {', '.join(PERMISSIONS)}.",
)
@click.option(
    "--expires-days",
    default=str(DEFAULT_EXPIRES_DAYS),
    show_default=True,
    metavar="D",
    help="Через сколько дней токен перестанет действовать.",
)
def create_token_command(email: str, name: str, permissions: tuple[str, ...], expires_days: str) -> None:
    """Create a staff API token with its permissions and expiry and print it once."""
    text = expires_days.strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > 6:
        raise click.ClickException("--expires-days: целое число дней")
    days = int(text)
    if not permissions:
        raise click.ClickException("Укажите права токена: --permission " + " | ".join(PERMISSIONS))
    try:
        secret = create_token(email, name, permissions, days)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"Токен создан (права: {', '.join(p for p in PERMISSIONS if p in permissions)}; "
        f"действует {days} дн.). Сохраните его: повторно он показан не будет."
    )
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
