"""WSGI entry point: ``gunicorn wsgi:app``; a bad configuration exits with one clear message."""

import gc
import sys

from app import ConfigError, create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.stderr.write(f"Отклик не запущен: {exc}\n")
    sys.exit(2)

# The app and its libraries are ~270 000 long-lived objects; a full garbage collection walks them all
# (~130 ms on the bench machine) and stalled whichever request triggered it. Frozen objects are
# never scanned, and under gunicorn --preload the workers' copies stay shared with the master.
gc.freeze()
