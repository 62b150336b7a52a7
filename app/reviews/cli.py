"""`flask reviews …`: sending waiting answers by e-mail."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.database import ConfigError

reviews_cli = AppGroup("reviews", help="Книга отзывов и предложений.")


@reviews_cli.command("send-answers")
@click.option("--limit", default=500, show_default=True, help="Сколько писем отправить за раз.")
def send_answers(limit: int) -> None:
    """Отправить по электронной почте ответы, которые еще не отправлены."""
    from app.reviews.mail import pending_answers, send_pending_answers

    if not current_app.config.get("MAIL_HOST"):
        click.echo(f"MAIL_HOST не задан: ответы ждут на странице статуса (ожидают: {len(pending_answers(limit))}).")
        return
    try:
        sent = send_pending_answers(limit)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Отправлено ответов: {sent}.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(reviews_cli)
