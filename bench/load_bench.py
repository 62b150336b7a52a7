"""Load benchmark (issue 8): the app under gunicorn, measured against a bare "hello" view.

Usage: ``python -m bench.load_bench`` (``make bench`` runs it). Environment:
``BENCH_SECONDS`` (default 30 per cell), ``BENCH_CONNECTIONS`` (default "16,64,256"),
``BENCH_WORKERS`` (default "2,4"), ``BENCH_THREADS`` (default 1: sync workers; 4 = gthread as in scripts/run.sh),
``BENCH_DATABASES`` (default "sqlite,postgresql"; PostgreSQL uses a throwaway cluster started by
scripts/pg-cluster.sh). Loopback only.

Besides rates and latencies each row shows the server's CPU time per completed unit (master and
workers, from /proc): on a shared machine rates move with the neighbours' load, CPU per unit much
less. Before the SQLite runs the cost of one durable commit (WAL, synchronous=FULL) on the bench
disk is measured: every submission waits for one, so it bounds the write scenarios.
"""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import statistics
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, select

from bench.loadclient import LoadResult, run_load
from tests.serverutil import GunicornServer

ROOT = Path(__file__).resolve().parent.parent
KIOSK_TOKEN = "bench-kiosk-token-0123456789abcdefgh"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SID = re.compile(r'name="client_submission_id" value="([^"]+)"')
STATE = re.compile(r'name="_state" value="([^"]*)"')


def prepare(database_url: str) -> str:
    """Migrate, seed the tree, publish the main survey, register a kiosk; returns an online short code."""
    from app import create_app
    from app.extensions import db
    from tests.conftest import migrate_to_head

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    migrate_to_head(app)
    with app.app_context():
        from app.demo import seed_org_tree, seed_topics
        from app.kiosk.services import register_kiosk
        from app.org.services import find_center
        from app.surveys.demo import seed_main_survey
        from app.surveys.models import SurveyAssignment

        seed_topics()
        seed_org_tree()
        survey, _version, _centres = seed_main_survey()
        kur = find_center("KUR")
        register_kiosk(kur.id, "Киоск для нагрузки", token=KIOSK_TOKEN)
        code = db.session.scalar(select(SurveyAssignment.short_code).where(
            SurveyAssignment.survey_id == survey.id, SurveyAssignment.center_id == kur.id,
            SurveyAssignment.channel == "online"))
        db.session.remove()
        db.engine.dispose()
    return code


class Acks:
    def __init__(self) -> None:
        self.responses: set[str] = set()
        self.reviews: set[str] = set()


def scenarios(short_code: str, acks: Acks) -> dict:
    async def hello(session, _base, _i, _n):
        async with session.get("/bench/hello") as reply:
            await reply.read()
            return reply.status == 200

    async def survey_page(session, _base, _i, _n):
        async with session.get(f"/s/{short_code}") as reply:
            await reply.read()
            return reply.status == 200

    async def api_post(session, _base, _i, _n):
        sid = str(uuid.uuid4())
        body = {"client_submission_id": sid, "center": "KUR", "channel": "online",
                "answers": {"overall": 5, "nps": 9, "wait": 4}}
        async with session.post("/api/v1/surveys/visit-csat/responses", json=body) as reply:
            await reply.read()
            if reply.status == 201:
                acks.responses.add(sid)
                return True
            return False

    async def html_cycle(session, _base, _i, _n):
        async with session.get(f"/s/{short_code}") as reply:
            page = await reply.text()
            if reply.status != 200:
                return False
        sid = SID.search(page).group(1)
        form = {"csrf_token": CSRF.search(page).group(1), "client_submission_id": sid, "_page": "0",
                "_state": STATE.search(page).group(1), "_action": "submit", "overall": "5", "nps": "10"}
        async with session.post(f"/s/{short_code}", data=form) as reply:
            await reply.read()
            if reply.status == 200:
                acks.responses.add(sid)
                return True
            return False

    async def review(session, _base, _i, _n):
        sid = str(uuid.uuid4())
        body = {"client_submission_id": sid, "entry_type": "suggestion", "topic": "other",
                "text": f"Предложение {sid}: продлить часы работы по субботам.", "publish_consent": False,
                "wants_answer": False}
        async with session.post(f"/kiosk/{KIOSK_TOKEN}/reviews", json=body) as reply:
            await reply.read()
            if reply.status == 201:
                acks.reviews.add(sid)
                return True
            return False

    return {"hello (ceiling)": hello, "survey page GET": survey_page, "API response POST": api_post,
            "HTML cycle GET+POST": html_cycle, "review entry POST": review}


def stored_equals_acknowledged(database_url: str, acks: Acks) -> bool:
    from app.reviews.models import ReviewEntry
    from app.surveys.models import Response

    engine = create_engine(database_url)
    with engine.connect() as connection:
        responses = set(connection.execute(select(Response.client_submission_id)).scalars())
        reviews = set(connection.execute(select(ReviewEntry.client_submission_id)).scalars())
    engine.dispose()
    return responses == acks.responses and reviews == acks.reviews


def durable_commit_ms(folder: Path, count: int = 200) -> tuple[float, float]:
    """(median, p95) milliseconds of one small durable SQLite commit in ``folder`` (WAL, synchronous=FULL)."""
    path = folder / "commit-probe.db"
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, value TEXT)")
        times = []
        for _ in range(count):
            started = time.perf_counter()
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO probe (value) VALUES ('x')")
            connection.execute("COMMIT")
            times.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def process_tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (gunicorn master and workers); Linux /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        # After the command name: state, ppid, …; utime and stime are fields 14 and 15 of the whole line.
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def start_postgres(folder: Path) -> str:
    return subprocess.run([str(ROOT / "scripts/pg-cluster.sh"), "start", str(folder)], check=True,
                          capture_output=True, text=True).stdout.strip()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    seconds = float(os.environ.get("BENCH_SECONDS", "30"))
    connections = [int(c) for c in os.environ.get("BENCH_CONNECTIONS", "16,64,256").split(",")]
    worker_counts = [int(w) for w in os.environ.get("BENCH_WORKERS", "2,4").split(",")]
    databases = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
    threads = int(os.environ.get("BENCH_THREADS", "1"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {cpu_model()}, Python "
          f"{platform.python_version()}; {seconds:.0f} s per cell; load average before: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for database in databases:
        with tempfile.TemporaryDirectory(prefix="otklik-bench-") as folder:
            if database == "postgresql":
                os.chmod(folder, 0o755)  # noqa: S103 - the postgres user must reach its data folder
                url = start_postgres(Path(folder) / "pg")
            else:
                url = f"sqlite:///{Path(folder) / 'bench.db'}"
            try:
                short_code = prepare(url)
                if database == "sqlite":
                    median_ms, p95_ms = durable_commit_ms(Path(folder))
                    print(f"\ndurable SQLite commit on the bench disk: median {median_ms:.2f} ms, p95 {p95_ms:.2f} ms "
                          f"(one writer at a time: at most ~{1000 / median_ms:.0f} submissions/s)")
                for workers in worker_counts:
                    acks = Acks()
                    server = GunicornServer(url, workers=workers, threads=threads,
                                            extra_env={"OTKLIK_BENCH_HELLO": "true"},
                                            log_path=Path(folder) / "gunicorn.log").start()
                    kind = f"{threads} threads each (gthread)" if threads > 1 else "sync"
                    print(f"\n== {database}, gunicorn {workers} workers, {kind}")
                    print(LoadResult.header() + "   % of hello  srv CPU ms")
                    try:
                        for conns in connections:
                            ceiling = None
                            for name, scenario in scenarios(short_code, acks).items():
                                cpu_before = process_tree_cpu_seconds(server.process.pid)
                                result = run_load(name, server.url, scenario, conns, seconds)
                                cpu = process_tree_cpu_seconds(server.process.pid) - cpu_before
                                ceiling = ceiling or result.rate
                                per_unit = 1000 * cpu / result.completed if result.completed else float("nan")
                                print(result.row() + f"   {100 * result.rate / ceiling:8.0f} %  {per_unit:10.2f}",
                                      flush=True)
                    finally:
                        server.stop()
                    print(f"stored = acknowledged: {stored_equals_acknowledged(url, acks)} "
                          f"({len(acks.responses)} responses, {len(acks.reviews)} review entries)")
            finally:
                if database == "postgresql":
                    subprocess.run([str(ROOT / "scripts/pg-cluster.sh"), "stop", str(Path(folder) / "pg")],
                                   check=False)


if __name__ == "__main__":
    main()
