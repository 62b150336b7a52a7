"""The app under gunicorn's sync worker (as in the bench and the durability tests) serves every kind of
response intact: a page with its length, a static file (sendfile), a HEAD request (headers only, the
GET view's status), error replies, and a survey POST with its thank-you page.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select

from app.surveys.models import SurveyAssignment
from tests.integration.test_durability import prepare
from tests.serverutil import GunicornServer

pytestmark = pytest.mark.slow
STATIC = Path(__file__).resolve().parents[2] / "app" / "static"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database_url = f"sqlite:///{tmp_path_factory.mktemp('serving') / 'serving.db'}"
    prepare(database_url)  # migrated, with the tree, the published survey and a kiosk
    engine = create_engine(database_url)
    with engine.connect() as connection:
        code = (
            connection.execute(select(SurveyAssignment.short_code).where(SurveyAssignment.channel == "online"))
            .scalars()
            .first()
        )
    engine.dispose()
    running = GunicornServer(database_url, workers=1).start()
    running.short_code = code
    yield running
    running.stop()


def raw_get(server: GunicornServer, request: bytes) -> bytes:
    """The bytes on the wire for one request, read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_page_arrives_whole_with_its_length(server):
    wire = raw_get(server, f"GET /s/{server.short_code} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head, _, body = wire.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK")
    length = int(re.search(rb"\r\nContent-Length: (\d+)", head).group(1))
    assert len(body) == length and body.rstrip().endswith(b"</html>")


def test_static_file_through_sendfile_is_byte_identical(server):
    font = STATIC / "fonts" / "DejaVuSans.ttf"
    reply = requests.get(f"{server.url}/static/fonts/DejaVuSans.ttf", timeout=10)
    assert reply.status_code == 200
    assert reply.content == font.read_bytes()


def test_head_request_gets_headers_only(server):
    wire = raw_get(server, f"HEAD /s/{server.short_code} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    assert wire.startswith(b"HTTP/1.1 200 OK") and wire.endswith(b"\r\n\r\n")


def test_error_page_and_unparsable_request(server):
    missing = requests.get(f"{server.url}/s/no-such-code", timeout=10)
    assert missing.status_code == 404 and "Такого опроса нет" in missing.text
    garbage = raw_get(server, b"NOT HTTP AT ALL\r\n\r\n")
    assert garbage.startswith(b"HTTP/1.1 400")  # gunicorn's own error reply, flushed on close


def test_survey_submission_round_trip(server):
    session = requests.Session()
    page = session.get(f"{server.url}/s/{server.short_code}", timeout=10).text
    field = {
        name: re.search(f'name="{name}" value="([^"]*)"', page).group(1)
        for name in ("csrf_token", "client_submission_id", "_state")
    }
    reply = session.post(
        f"{server.url}/s/{server.short_code}",
        timeout=10,
        data={**field, "_page": "0", "_action": "submit", "overall": "5", "nps": "10"},
    )
    assert reply.status_code == 200 and "survey-thanks" in reply.text
