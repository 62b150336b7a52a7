"""Report builds as RQ jobs, when ``REDIS_URL`` (``OTKLIK_REDIS_URL``) is set.

A build thread inside a web worker dies with the worker (a restart, a deploy, the OOM killer). With
Redis, the web process only enqueues the archive row's id; ``flask reports worker`` runs the builds in
processes of their own, which update the same row, progress and heartbeat as the in-process builds do
(:func:`app.reports.services.run_archived`).
"""

from __future__ import annotations

import logging

from flask import Flask, current_app, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.job import Job, JobStatus

from app.extensions import db

log = logging.getLogger("otklik.reports")


class QueueError(RuntimeError):
    """Redis did not take the job."""


def connection(app: Flask | None = None, worker: bool = False) -> Redis:
    """A Redis client; a web page's calls time out (a Redis that went away must not hang the archive page),
    a worker's blocking wait for the next job must not."""
    app = app or current_app
    return Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, socket_timeout=None if worker else 10)


def queue(app: Flask | None = None, worker: bool = False) -> Queue:
    app = app or current_app
    return Queue(app.config["REPORT_QUEUE"], connection=connection(app, worker))


def job_id(archive_id: int) -> str:
    return f"report-{archive_id}"


def enqueue(archive_id: int) -> None:
    """Queue the build of a pending archive row; :class:`QueueError` if Redis is unreachable."""
    try:
        queue().enqueue_call(
            "app.reports.jobs.build_job",
            args=(archive_id,),
            job_id=job_id(archive_id),
            timeout=int(current_app.config["REPORT_JOB_TIMEOUT_SECONDS"]),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=f"PDF report {archive_id}",
        )
    except RedisError as exc:
        raise QueueError(str(exc)) from exc


def lost(archive_ids: list[int]) -> list[int]:
    """Ids among queued rows whose job Redis no longer holds or that ended without building the row
    (Redis flushed, the job failed before it started): nothing will ever build them."""
    ended = {JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED, JobStatus.FINISHED}
    try:
        found = Job.fetch_many([job_id(i) for i in archive_ids], connection=connection())
        return [
            i
            for i, job in zip(archive_ids, found, strict=True)
            if job is None or job.get_status(refresh=False) in ended
        ]
    except RedisError as exc:
        raise QueueError(str(exc)) from exc


def build_job(archive_id: int) -> None:
    """The RQ job: build one archived row in the worker's app (or a new one if the job has no app)."""
    if has_app_context():
        _build(archive_id)
        return
    from app import create_app

    with create_app().app_context():
        _build(archive_id)


def _build(archive_id: int) -> None:
    from app.reports.services import run_archived

    try:
        run_archived(archive_id)
    finally:
        db.session.remove()


def run_worker(app: Flask, burst: bool = False, simple: bool = False) -> bool:
    """Run an RQ worker on the report queue (``burst``: until the queue is empty); True if it did a job.

    The default worker forks a process per job, so a build that crashes or is killed takes only that
    process with it; the pooled database connections are dropped first, as none may cross a fork.
    """
    db.engine.dispose()
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class([queue(app, worker=True)], connection=connection(app, worker=True))
    return worker.work(burst=burst, logging_level="WARNING")
