"""`flask maintenance …`: housekeeping for cron."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from app.database import is_sqlite, wal_checkpoint

maintenance_cli = AppGroup("maintenance", help="Обслуживание базы данных.")


@maintenance_cli.command("checkpoint")
def checkpoint_command() -> None:
    """Checkpoint and truncate the SQLite write-ahead log (run every few minutes from cron)."""
    if not is_sqlite():
        click.echo("PostgreSQL: контрольные точки выполняет сервер, ничего не нужно.")
        return
    wal_checkpoint()
    click.echo("Журнал WAL перенесен в базу и усечен.")


def register_cli(app: Flask) -> None:
    app.cli.add_command(maintenance_cli)
