"""`flask booking …`: the day-before reminders."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

from app.database import ConfigError

booking_cli = AppGroup("booking", help="Запись на прием в ЦОК.")


@booking_cli.command("remind")
@click.option(
    "--date",
    "day",
    default=None,
    help="День приема (ГГГГ-ММ-ДД); по умолчанию завтрашний день по местному времени каждого ЦОК.",
)
def remind(day: str | None) -> None:
    """Напомнить о записи на прием: письмо (если клиент оставил e-mail) и SMS (если шлюз настроен).
    Каждому клиенту — одно напоминание, повторный запуск его не повторяет."""
    from app.booking.notify import mail_configured, sms_configured
    from app.booking.notify import remind as send_reminders

    try:
        chosen = date.fromisoformat(day) if day else None
    except ValueError:
        raise click.BadParameter("дата в виде ГГГГ-ММ-ДД, например 2026-12-10", param_hint="--date") from None
    try:
        run = send_reminders(chosen)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if not (mail_configured() or sms_configured()):
        click.echo(
            "Ни почта (MAIL_HOST), ни SMS-шлюз (SMS_GATEWAY_URL) не настроены: "
            f"напоминания не отправлены (ждут: {run.due})."
        )
        return
    click.echo(f"Записей к напоминанию: {run.due}; напомнено: {run.reminded} (писем: {run.mailed}, SMS: {run.texted}).")


def register_cli(app: Flask) -> None:
    app.cli.add_command(booking_cli)
