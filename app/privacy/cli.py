"""`flask privacy purge|export|erase`: retention and customers' requests about their personal data."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from app.privacy.services import PrivacyError, erase_subject, export_subject, find_subject, purge

privacy_cli = AppGroup("privacy", help="Персональные данные клиентов: срок хранения, выгрузка, удаление.")
log = logging.getLogger("otklik.privacy")


def _subject_options(command):  # click decorator stacking
    command = click.option("--phone", default=None, help="Телефон клиента.")(command)
    return click.option("--email", default=None, help="Адрес электронной почты клиента.")(command)


@privacy_cli.command("purge")
@click.option(
    "--older-than",
    "days",
    type=click.IntRange(min=0),
    required=True,
    help="Срок хранения в днях: удалить контакты, которые больше не нужны и старше срока.",
)
@click.option("--dry-run", is_flag=True, help="Только посчитать, ничего не удалять.")
def purge_command(days: int, dry_run: bool) -> None:
    """Delete contact data past the retention period (closed appeals, review entries, survey responses)."""
    result = purge(days, dry_run=dry_run)
    log.info("privacy purge: days=%d contacts=%d dry_run=%s", days, result.contacts, dry_run)
    if dry_run:
        click.echo(f"Будет удалено контактов: {result.contacts} (пробный запуск, ничего не изменено).")
        return
    click.echo(
        f"Удалено контактов: {result.contacts}. Ссылки сняты: обращений {result.appeals}, "
        f"записей книги {result.review_entries}, ответов на анкеты {result.responses}."
    )


@privacy_cli.command("export")
@_subject_options
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Файл JSON (по умолчанию — вывод на экран).",
)
def export_command(email: str | None, phone: str | None, out: Path | None) -> None:
    """Export one customer's data (contacts with consent, texts of their entries and appeals) as JSON."""
    try:
        data = export_subject(email=email, phone=phone)
    except PrivacyError as exc:
        raise click.ClickException(str(exc)) from None
    text = json.dumps(data, ensure_ascii=False, indent=2)
    log.info("privacy export: contacts=%d", len(data["contacts"]))
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Выгружено контактов: {len(data['contacts'])}. Файл: {out}")


@privacy_cli.command("erase")
@_subject_options
@click.option("--yes", is_flag=True, help="Не спрашивать подтверждения.")
def erase_command(email: str | None, phone: str | None, yes: bool) -> None:
    """Erase one customer's contact rows; texts of entries and appeals stay without the link."""
    try:
        found = len(find_subject(email=email, phone=phone).contacts)
    except PrivacyError as exc:
        raise click.ClickException(str(exc)) from None
    if found and not yes:
        click.confirm(f"Удалить контактные данные ({found} записей)?", abort=True)
    result = erase_subject(email=email, phone=phone)
    log.info("privacy erase: contacts=%d", result.contacts)
    click.echo(f"Удалено контактов: {result.contacts}. Тексты обращений и записей сохранены без связи с клиентом.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(privacy_cli)
