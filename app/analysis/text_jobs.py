"""The text job as an RQ job (with ``REDIS_URL``/``OTKLIK_REDIS_URL``) and its run after imports.

Lemmatising and masking cost about 3 000 texts a second and a name recogniser per process, so a web
request never does it: an import enqueues the job for its new rows on the report queue (the
``flask reports worker`` runs it, as it runs report builds; see :mod:`app.reports.jobs`), or, from the
command line without Redis, runs it inline for those rows only. Cron's ``flask analysis texts`` stays the
catch-all.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from flask import current_app, has_app_context, has_request_context
from redis.exceptions import RedisError

from app.analysis.texts import process_texts
from app.extensions import db

log = logging.getLogger("otklik.analysis")

JOB_TIMEOUT_SECONDS = 3600


def enqueue_texts(after: Mapping[str, int] | None = None) -> str:
    """Queue the text job (for the texts above ``after``, or all unprocessed); returns the job id.
    Raises :class:`app.reports.jobs.QueueError` if Redis does not take it."""
    from app.reports.jobs import QueueError, queue

    try:
        job = queue().enqueue_call(
            "app.analysis.text_jobs.texts_job",
            kwargs={"after": dict(after) if after else None},
            timeout=JOB_TIMEOUT_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description="Тексты клиентов: леммы, маскирование, темы",
        )
    except RedisError as exc:
        raise QueueError(str(exc)) from exc
    return str(job.id)


def texts_job(after: Mapping[str, int] | None = None) -> dict[str, int]:
    """The RQ job: the text job in the worker's app (or a new one if the job has no app)."""
    if has_app_context():
        return _run(after)
    from app import create_app

    with create_app().app_context():
        return _run(after)


def _run(after: Mapping[str, int] | None) -> dict[str, int]:
    try:
        return process_texts(after=after, retheme=after is None)
    finally:
        db.session.remove()


def process_after_import(after: Mapping[str, int]) -> str:
    """After an import: the texts added since the watermarks ``after`` (:func:`source_watermarks` taken
    before it) get processed — queued with Redis, else inline unless in a web request (cron then).
    Returns what happened, in Russian, for the import's message; never fails the import."""
    from app.reports.jobs import QueueError

    if current_app.config.get("REDIS_URL"):
        try:
            enqueue_texts(after)
            return "Тексты поставлены в очередь на обработку."
        except QueueError as exc:
            log.warning("text job not queued: %s", exc)
            return "Очередь недоступна: тексты обработает плановый запуск flask analysis texts."
    if has_request_context():
        return "Тексты обработает плановый запуск flask analysis texts."
    counts = process_texts(after=after, retheme=False)
    return f"Обработано новых текстов: {sum(v for k, v in counts.items() if k != 'rethemed')}."


__all__ = ["enqueue_texts", "process_after_import", "texts_job"]
