"""Report builds outlive nothing silently: heartbeats, the sweep of dead builds, «Построить заново», RQ jobs.

A build used to be a daemon thread of a web worker; a restart left its archive row "running" forever.
Here a real process is SIGKILLed in the middle of a build (slowed by the test-only
REPORT_BUILD_DELAY_SECONDS pause at each progress step; the build itself is the real one), and a second,
live build in another process must come through the same sweeps untouched.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, utcnow
from app.reports import services
from app.reports.models import ReportArchive

ROOT = Path(__file__).resolve().parents[2]
HEARTBEAT, STALE = 0.5, 4.0
PARAMS = {"period": "2026Q3", "scope": "KURS"}

# The child is what a web worker does for a build: start the build thread and keep serving (here: wait).
CHILD = """
import sys
from app import create_app
from app.reports import services
app = create_app()
with app.app_context():
    services.start_background(app, int(sys.argv[1])).join()
"""


@pytest.fixture
def app_config():
    return {"REPORT_HEARTBEAT_SECONDS": HEARTBEAT, "REPORT_STALE_SECONDS": STALE}


def child_env(app, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTKLIK_")}
    return {
        **env,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "lifecycle-test-secret",
        "OTKLIK_REPORT_HEARTBEAT_SECONDS": str(HEARTBEAT),
        "OTKLIK_REPORT_STALE_SECONDS": str(STALE),
        **extra,
    }


def fresh(archive_id: int) -> ReportArchive:
    db.session.rollback()  # end the test's read snapshot: the rows are written by other processes
    return db.session.get(ReportArchive, archive_id, populate_existing=True)


def wait_until(
    predicate, timeout: float, what: str, process: subprocess.Popen | None = None, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log is not None and log.exists() else ""
    raise AssertionError(f"timed out: {what}\n{tail}")


@pytest.fixture
def manager(org, make_user):
    return make_user("manager", scope="MRSK")


def test_a_killed_build_is_failed_after_the_stale_time_and_a_live_one_is_left_alone(app, manager, tmp_path):
    killed = services.request_report("appeals", PARAMS, manager)
    live = services.request_report("appeals", PARAMS, manager)
    logs = {killed.id: tmp_path / "killed.log", live.id: tmp_path / "live.log"}
    processes = {}
    try:
        for row, delay in ((killed, 600), (live, 4)):
            with open(logs[row.id], "wb") as log:
                processes[row.id] = subprocess.Popen(
                    [sys.executable, "-c", CHILD, str(row.id)],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=child_env(app, OTKLIK_REPORT_BUILD_DELAY_SECONDS=str(delay)),
                    start_new_session=True,
                )
        first_beat = {}
        for archive_id, process in processes.items():
            wait_until(
                lambda i=archive_id: fresh(i).status == "running",
                120,
                f"row {archive_id} running",
                process,
                logs[archive_id],
            )
            first_beat[archive_id] = fresh(archive_id).heartbeat_at
            # The heartbeat thread beats on its own (the build sleeps inside a progress step meanwhile).
            wait_until(
                lambda i=archive_id: fresh(i).heartbeat_at > first_beat[i],
                30,
                f"row {archive_id} beating",
                process,
                logs[archive_id],
            )
        assert fresh(killed.id).owner.split(":")[1] == str(processes[killed.id].pid)

        os.kill(processes[killed.id].pid, signal.SIGKILL)
        processes[killed.id].wait(10)
        last_beat = fresh(killed.id).heartbeat_at  # fixed from now on: its process is dead
        assert (utcnow() - last_beat).total_seconds() < STALE
        assert services.sweep_stale() == []  # its last beat is younger than the stale time
        assert fresh(killed.id).status == "running"

        marked: list[int] = []
        deadline = time.monotonic() + 60
        while not marked and time.monotonic() < deadline:
            time.sleep(0.25)
            marked = services.sweep_stale()
        age = (utcnow() - last_beat).total_seconds()
        assert marked == [killed.id], marked
        assert STALE <= age < STALE + 5, age  # marked once, and only once, the beat was STALE seconds old
        dead = fresh(killed.id)
        assert dead.status == "failed" and dead.error == services.INTERRUPTED and dead.finished_at is not None
        assert dead.heartbeat_at == last_beat

        # The other process's build went on beating through the same sweeps and was never marked.
        running = fresh(live.id)
        assert running.status == "running", (running.status, running.error)
        assert (utcnow() - running.heartbeat_at).total_seconds() < STALE
        processes[live.id].wait(180)
        assert processes[live.id].returncode == 0, logs[live.id].read_text(errors="replace")[-3000:]
        done = fresh(live.id)
        assert done.status == "done" and done.progress == 100 and done.pdf.startswith(b"%PDF"), done.error
        assert services.sweep_stale() == []

        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.interrupted")).all()
        assert [e.object_id for e in events] == [str(killed.id)]
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)


def make_stale(row: ReportArchive, age: float, owner: str = "elsewhere:1:dead") -> None:
    with write_transaction():
        row = db.session.get(ReportArchive, row.id)
        row.status, row.progress, row.owner = "running", 40, owner
        row.heartbeat_at = utcnow() - timedelta(seconds=age)


def test_the_archive_page_sweeps_and_offers_to_build_again(app, manager, make_user, client, login):
    dead = services.request_report("appeals", PARAMS, manager)
    busy = services.request_report("appeals", PARAMS, manager)
    make_stale(dead, 600)
    make_stale(busy, 0, owner="other-host:2:live")  # beating in another process
    login(manager)
    page = client.get("/reports/").get_data(as_text=True)
    assert fresh(dead.id).status == "failed" and fresh(busy.id).status == "running"
    assert page.count("Построить заново") == 1
    assert f"/reports/{dead.id}/rebuild" in page and f"/reports/{busy.id}/rebuild" not in page
    shown = client.get(f"/reports/{dead.id}").get_data(as_text=True)
    assert services.INTERRUPTED in shown and f'action="/reports/{dead.id}/rebuild"' in shown

    assert client.get(f"/reports/{dead.id}/rebuild").status_code == 405
    response = client.post(f"/reports/{dead.id}/rebuild")
    assert response.status_code == 302
    new_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert new_id not in (dead.id, busy.id)
    services.wait_for(new_id)
    rebuilt = fresh(new_id)
    assert rebuilt.status == "done" and rebuilt.pdf.startswith(b"%PDF"), rebuilt.error
    assert rebuilt.params == fresh(dead.id).params and rebuilt.created_by_id == manager.id
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "report.request", AuditEvent.object_id == str(new_id))
    ).one()
    assert event.details == {"rebuild_of": dead.id}

    # Only a failed row is offered again; a running one is refused with a message, nothing queued.
    count = len(db.session.scalars(select(ReportArchive.id)).all())
    make_stale(busy, 0, owner="other-host:2:live")  # still beating after the build above
    refused = client.post(f"/reports/{busy.id}/rebuild", follow_redirects=True)
    assert "Заново можно построить только отчет, который не был построен" in refused.get_data(as_text=True)
    assert len(db.session.scalars(select(ReportArchive.id)).all()) == count
    client.post("/logout")

    # Roles and scope: an operator may not, a manager of another branch does not see the row.
    login(make_user("operator"))
    assert client.post(f"/reports/{dead.id}/rebuild").status_code == 403
    client.post("/logout")
    login(make_user("manager", scope="BELG"))
    assert client.post(f"/reports/{dead.id}/rebuild").status_code == 404
    assert len(db.session.scalars(select(ReportArchive.id)).all()) == count


def test_status_of_a_dead_build_turns_failed_and_the_cli_sweeps(app, manager, client, login, runner):
    watched = services.request_report("appeals", PARAMS, manager)
    other = services.request_report("appeals", PARAMS, manager)
    make_stale(watched, STALE + 5)
    make_stale(other, STALE + 5)
    login(manager)
    status = client.get(f"/reports/{watched.id}/status").get_json()
    assert status["status"] == "failed" and status["error"] == services.INTERRUPTED
    assert fresh(other.id).status == "running"  # the status poll sweeps its own row only
    result = runner.invoke(args=["reports", "sweep"])
    assert result.exit_code == 0 and f"№ {other.id}" in result.output, result.output
    assert fresh(other.id).status == "failed"
    assert "отмечено: 0" in runner.invoke(args=["reports", "sweep"]).output


def test_a_row_is_built_once(app, manager):
    row = services.request_report("appeals", PARAMS, manager)
    services.run_archived(row.id)
    built = fresh(row.id)
    assert built.status == "done"
    owner, finished = built.owner, built.finished_at
    services.run_archived(row.id)  # a second delivery of the same job (or a rebuilt row id) does nothing
    again = fresh(row.id)
    assert (again.owner, again.finished_at, again.status) == (owner, finished, "done")


# ------------------------------------------------------------------ RQ


@pytest.fixture
def redis_url():
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip("redis-server не установлен (scripts/system-deps.sh test ставит его): путь через RQ не проверен")
    folder = tempfile.mkdtemp(prefix="otk-rq-")  # a short path: a Unix socket's name is limited to ~100 bytes
    sock = Path(folder) / "redis.sock"
    process = subprocess.Popen(
        [
            exe,
            "--port",
            "0",
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(sock.exists, 20, "redis-server socket", process)
        yield f"unix://{sock}"
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


def test_with_redis_a_build_is_an_rq_job_of_flask_reports_worker(app, manager, client, login, redis_url, tmp_path):
    from rq.job import Job

    from app.reports import jobs

    app.config["REDIS_URL"] = redis_url
    login(manager)
    response = client.post("/reports/", data={"type": "appeals", **PARAMS})
    assert response.status_code == 302
    archive_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert archive_id not in services._threads  # no thread in the web process
    row = fresh(archive_id)
    assert row.status == "pending" and row.heartbeat_at is None  # waiting in the queue: nothing to sweep
    assert services.sweep_stale() == []
    queue = jobs.queue()
    assert queue.job_ids == [jobs.job_id(archive_id)]

    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.run(
            [str(Path(sys.executable).with_name("flask")), "reports", "worker", "--burst"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=300,
            env=child_env(app, FLASK_APP="wsgi", OTKLIK_REDIS_URL=redis_url),
        )
    assert worker.returncode == 0, log.read_text(errors="replace")[-3000:]
    done = fresh(archive_id)
    assert done.status == "done" and done.progress == 100 and done.pdf.startswith(b"%PDF"), done.error
    assert done.heartbeat_at is not None and done.owner.split(":")[0]  # written by the worker's job process
    assert done.owner.split(":")[1] != str(os.getpid())
    assert Job.fetch(jobs.job_id(archive_id), connection=jobs.connection()).get_status() == "finished"
    assert queue.count == 0
    status = client.get(f"/reports/{archive_id}/status").get_json()
    assert status["status"] == "done" and status["download_url"]


def test_a_queued_row_waits_while_its_job_does_and_fails_when_redis_lost_it(app, manager, redis_url, runner):
    from rq.job import Job

    from app.reports import jobs

    app.config["REDIS_URL"] = redis_url
    waiting, gone = (services.request_report("appeals", PARAMS, manager) for _ in range(2))
    for row in (waiting, gone):
        services.start_build(app, row.id)
    with write_transaction():  # both asked for long ago; no worker has taken them
        for row in (waiting, gone):
            db.session.get(ReportArchive, row.id).created_at = utcnow() - timedelta(hours=1)
    assert services.sweep_stale() == []  # both jobs are in the queue: they wait, however long
    Job.fetch(jobs.job_id(gone.id), connection=jobs.connection()).delete()  # e.g. Redis was flushed
    assert services.sweep_stale() == [gone.id]
    assert fresh(gone.id).error == services.INTERRUPTED and fresh(waiting.id).status == "pending"
    app.config["REDIS_URL"] = f"unix://{Path(redis_url[7:]).with_name('absent.sock')}"
    assert services.sweep_stale() == []  # Redis unreachable: a queued row is never failed blindly

    app.config["REDIS_URL"] = redis_url
    waiting_id, gone_id = waiting.id, gone.id
    result = runner.invoke(args=["reports", "worker", "--burst", "--simple"])  # in this process, no fork
    assert result.exit_code == 0, result.output
    built = fresh(waiting_id)
    assert built.status == "done" and built.pdf.startswith(b"%PDF") and built.owner.split(":")[1] == str(os.getpid())
    assert fresh(gone_id).status == "failed"


def test_an_unreachable_queue_fails_the_row_at_once(app, manager, client, login, tmp_path, runner):
    app.config["REDIS_URL"] = f"unix://{tmp_path / 'absent.sock'}"
    login(manager)
    page = client.post("/reports/", data={"type": "appeals", **PARAMS}, follow_redirects=True)
    assert services.QUEUE_DOWN in page.get_data(as_text=True)
    row = db.session.scalars(select(ReportArchive)).one()
    assert row.status == "failed" and row.error == services.QUEUE_DOWN
    result = runner.invoke(args=["reports", "worker", "--burst"])
    assert result.exit_code != 0 and "Redis недоступен" in result.output
    app.config["REDIS_URL"] = None
    result = runner.invoke(args=["reports", "worker", "--burst"])
    assert result.exit_code != 0 and "OTKLIK_REDIS_URL" in result.output


@pytest.mark.postgres
def test_the_migration_gives_rows_left_running_by_old_threads_a_heartbeat(fresh_database_url):
    """Rows pending/running before the upgrade died with their threads: the first sweep must find them."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app import create_app
    from tests.conftest import BASE_CONFIG

    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url, "REPORT_STALE_SECONDS": 60})
    with application.app_context():
        upgrade(directory=str(ROOT / "migrations"), revision="0006_held_submissions")
        with db.engine.begin() as connection:
            for status in ("running", "pending", "done"):
                connection.execute(
                    text(
                        "INSERT INTO report_archive (report_type, params, title, status, progress, error, size_bytes,"
                        " created_at) VALUES ('appeals', '{}', 't', :status, 40, '', 0, :created)"
                    ),
                    {"status": status, "created": utcnow() - timedelta(hours=1)},
                )
        upgrade(directory=str(ROOT / "migrations"))
        rows = {r.status: r for r in db.session.scalars(select(ReportArchive))}
        assert rows["running"].heartbeat_at == rows["running"].created_at and rows["running"].owner == ""
        assert rows["pending"].heartbeat_at == rows["pending"].created_at
        assert rows["done"].heartbeat_at is None
        assert sorted(services.sweep_stale()) == sorted([rows["running"].id, rows["pending"].id])
        db.session.remove()
        db.engine.dispose()
