"""Gunicorn reads this file from the working directory: it refuses to start several worker processes
whose rate limits would each be kept in their own memory (every limit would be multiplied by the
number of workers). Shared storage (``OTKLIK_RATELIMIT_STORAGE_URI=redis://…``) or one worker with
threads (``--workers 1 --threads 8``) keeps every limit as configured."""

from __future__ import annotations


def per_process_limits_problem(workers: int, config: dict) -> str | None:
    """The Russian reason not to start, or None when the limits hold across the workers."""
    if workers <= 1 or not config.get("RATELIMIT_ENABLED", True):
        return None
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not storage.startswith("memory://"):
        return None
    return (
        f"Отклик не запущен: у {workers} процессов (--workers {workers}) лимиты запросов хранились бы "
        "в памяти каждого отдельно, то есть каждый лимит вырос бы в это число раз. Задайте общее "
        "хранилище OTKLIK_RATELIMIT_STORAGE_URI=redis://хост:6379/0 или запустите один процесс с "
        "потоками (--workers 1 --threads 8)."
    )


def on_starting(server) -> None:
    """Before any worker starts: check the loaded app's configuration (loading it here when not preloaded)."""
    app = server.app.wsgi()
    problem = per_process_limits_problem(server.cfg.workers, getattr(app, "config", {}))
    if problem:
        raise SystemExit(problem)
