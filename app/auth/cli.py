"""`flask users …` commands."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import AppGroup

from app.auth.services import AuthError, create_user, unlock_user, user_by_email

users_cli = AppGroup("users", help="Учетные записи сотрудников.")


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "marketing", "operator", "manager"]))
@click.option("--scope", "scope_code", default=None, help="Код ЦОК или филиала (для оператора обязателен).")
@click.option("--name", default="", help="Имя сотрудника.")
@click.option("--password", default=None, help="Пароль; если не задан, генерируется и печатается.")
def create_command(email: str, role: str, scope_code: str | None, name: str, password: str | None) -> None:
    """Create a staff account; prints the generated password once."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    try:
        user = create_user(email, role, password, scope_code, name=name)
    except AuthError as exc:
        hint = " (--scope КОД)" if role == "operator" and not scope_code else ""
        raise click.ClickException(f"{exc}{hint}") from None
    click.echo(f"Создан пользователь {user.email} (роль {role}).")
    if generated:
        click.echo(f"Пароль: {password}")


@users_cli.command("unlock")
@click.argument("email")
def unlock_command(email: str) -> None:
    """Lift the sign-in delays and the account lock of EMAIL (audited)."""
    user = user_by_email(email)
    if user is None:
        raise click.ClickException(f"Пользователь {email} не найден.")
    lifted = unlock_user(user)
    click.echo(f"Вход для {user.email} разблокирован (снято блокировок: {lifted}).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(users_cli)
