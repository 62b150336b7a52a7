"""Request size limits (413) and rate limits (429), in Russian; a Redis-backed limit shared by two processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app import create_app
from tests.conftest import BASE_CONFIG
from tests.integration.test_security_support import ROOT, published_survey

LIMITED = {
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_PUBLIC_SUBMIT": "3 per minute",
    "REVIEW_STATUS_RATELIMIT": "3 per minute",
}


@pytest.fixture
def app_config():
    return LIMITED


def test_body_over_max_content_length_is_413_in_russian(client, org):
    big = "я" * (2 * 1024 * 1024)
    response = client.post("/reviews/KUR/new", data={"text": big})
    assert response.status_code == 413
    assert "Слишком большой объем" in response.get_data(as_text=True)
    api = client.post(
        "/api/v1/surveys/x/responses", data=b"{" + b" " * (3 * 1024 * 1024) + b"}", content_type="application/json"
    )
    assert api.status_code == 413 and api.get_json()["error"] == "Слишком большой объем"


def multipart(fields: dict[str, str]) -> tuple[bytes, str]:
    """Encode in memory (the test client spools big bodies to an unclosed temporary file)."""
    boundary = "----otklik" + uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode(), f"multipart/form-data; boundary={boundary}"


def test_too_many_form_parts_or_a_huge_field_is_413(client, org):
    body, content_type = multipart({f"f{i}": "1" for i in range(1500)})
    assert client.post("/reviews/KUR/new", data=body, content_type=content_type).status_code == 413
    body, content_type = multipart({"text": "x" * (600 * 1024)})  # under MAX_CONTENT_LENGTH, over the form memory
    assert client.post("/reviews/KUR/new", data=body, content_type=content_type).status_code == 413


def test_public_endpoints_are_rate_limited_with_a_russian_429(client, org):
    survey = published_survey("limits", "Анкета", centers=("KUR",))
    checks = [
        ("GET", "/reviews/status", None),
        ("POST", "/reviews/KUR/new", {"text": "x"}),
        ("POST", f"/api/v1/surveys/{survey.slug}/responses", "json"),
    ]
    for method, url, data in checks:
        statuses = []
        for _ in range(4):
            if data == "json":
                body = {
                    "client_submission_id": str(uuid.uuid4()),
                    "center": "KUR",
                    "channel": "qr",
                    "answers": {"overall": 5},
                }
                response = client.post(url, json=body)
            else:
                response = client.open(url, method=method, data=data)
            statuses.append(response.status_code)
        assert statuses[:3].count(429) == 0 and statuses[3] == 429, (url, statuses)
        text = response.get_json()["error"] if data == "json" else response.get_data(as_text=True)
        assert "Слишком много запросов" in text, url


def test_login_posts_are_rate_limited(client, org):
    statuses = [client.post("/login", data={}).status_code for _ in range(21)]
    assert statuses[-1] == 429 and 429 not in statuses[:20]


# --------------------------------------------------------------------------- shared storage (Redis)

SECOND_PROCESS = """
import json, sys
from app import create_app
result = []
for config in json.loads(sys.argv[1]):
    client = create_app(config).test_client()
    result.append([client.get("/reviews/status").status_code for _ in range(2)])
print(json.dumps(result))
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path: Path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (make test installs it); the shared-limit test needs it")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_processes_share_the_limit_through_redis(database_url, org, redis_url):
    config = {**BASE_CONFIG, **LIMITED, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url}
    first = create_app(config)
    with first.app_context():
        client = first.test_client()
        assert [client.get("/reviews/status").status_code for _ in range(2)] == [200, 200]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    # The second configuration is the control: per-process memory storage gives that process its own budget.
    configs = [config, {**config, "RATELIMIT_STORAGE_URI": "memory://"}]
    output = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, json.dumps(configs)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    shared, control = json.loads(output.stdout.strip().splitlines()[-1])
    assert shared == [200, 429], "the other process must see the same count"
    assert control == [200, 200]


# --------------------------------------------------------------------------- gunicorn with two workers


def _migrated_sqlite(folder: Path) -> str:
    url = f"sqlite:///{folder / 'workers.db'}"
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with application.app_context():
        from app.extensions import db

        db.create_all()
        db.engine.dispose()
    return url


def _hammer(url: str, n: int) -> list[int]:
    """``n`` GETs from 8 threads, each on a new connection, so both workers take some."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    def one(_i: int) -> int:
        return requests.get(url, timeout=30, headers={"Connection": "close"}).status_code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(n)))


@pytest.mark.slow
def test_the_limit_holds_across_two_gunicorn_workers_sharing_redis(tmp_path, redis_url):
    """``make run`` serves two worker processes; with the Redis it starts they share one budget."""
    from tests.serverutil import GunicornServer

    access_log = tmp_path / "access.log"
    server = GunicornServer(
        _migrated_sqlite(tmp_path),
        workers=2,
        extra_env={
            "OTKLIK_RATELIMIT_ENABLED": "true",
            "OTKLIK_RATELIMIT_STORAGE_URI": redis_url,
            "OTKLIK_REVIEW_STATUS_RATELIMIT": "5 per minute",
        },
        extra_args=["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(U)s"],
    ).start()
    try:
        statuses = _hammer(f"{server.url}/reviews/status", 60)
    finally:
        server.stop()
    served = [line.split() for line in access_log.read_text().splitlines() if line.endswith(" /reviews/status")]
    assert len(served) == 60
    pids = {pid for pid, _status, _path in served}
    assert len(pids) == 2, f"both workers must have answered some of the requests: {pids}"
    assert statuses.count(200) == 5 and statuses.count(429) == 55, statuses


@pytest.mark.slow
def test_two_workers_with_per_process_limits_refuse_to_start(tmp_path):
    """Memory storage in two workers would double every limit: gunicorn.conf.py stops the start, in Russian."""
    from tests.serverutil import GunicornServer

    log = tmp_path / "gunicorn.log"
    server = GunicornServer(
        _migrated_sqlite(tmp_path), workers=2, log_path=log, extra_env={"OTKLIK_RATELIMIT_ENABLED": "true"}
    )
    with pytest.raises(RuntimeError, match="gunicorn exited"):
        server.start(timeout=60)
    assert "OTKLIK_RATELIMIT_STORAGE_URI" in log.read_text(encoding="utf-8")
    # One process with threads keeps its limits in its own memory, exactly as configured: it starts.
    single = GunicornServer(server.database_url, workers=1, threads=4, extra_env={"OTKLIK_RATELIMIT_ENABLED": "true"})
    single.start().stop()
