"""WSGI entry point: ``gunicorn wsgi:app``; a bad configuration exits with one clear message."""

import sys

from app import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(f"Отклик не запущен: {exc}\n")
    sys.exit(2)
