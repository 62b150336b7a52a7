"""The WeasyPrint fetcher: only app static files and data: URLs; no network, no redirects, no file://."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import app.pdf as pdf
from app.pdf import RefusedFetch, render_pdf, safe_url_fetcher


@pytest.fixture
def trap() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that answers every request with a redirect and records the hit."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # http.server API
            hits.append(self.path)
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.169.254/",
    "https://example.com/logo.png",
    "http://localhost/static/css/otklik.css",
    "file:///etc/passwd",
    "file:///proc/self/environ",
    "ftp://example.com/x",
    "otklik-static:///static/../../../../etc/passwd",
    "otklik-static:///static/..%2F..%2F..%2Fetc%2Fpasswd",
    "otklik-static:///static/%2e%2e/%2e%2e/app/config.py",
    "otklik-static:///../app/__init__.py",
    "otklik-static://evil.test/static/css/otklik.css",
    "otklik-static:///static/",
    "otklik-static:///static/does-not-exist.png",
    "//169.254.169.254/x",
    "/etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
]


@pytest.mark.parametrize("url", REFUSED)
def test_fetcher_refuses_everything_but_static_files(url: str) -> None:
    with pytest.raises(RefusedFetch):
        safe_url_fetcher(url)


def body_of(found) -> bytes:  # a dict (older WeasyPrint API) or a URLFetcherResponse
    return found["string"] if isinstance(found, dict) else found.read()


def type_of(found) -> str:
    return found["mime_type"] if isinstance(found, dict) else found.content_type


def test_fetcher_serves_static_files() -> None:
    found = safe_url_fetcher("otklik-static:///static/fonts/DejaVuSans.ttf")
    assert body_of(found)[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    assert type_of(safe_url_fetcher("otklik-static:///css/otklik.css")) == "text/css"


def test_fetcher_serves_data_urls_without_deprecated_api() -> None:
    assert body_of(safe_url_fetcher("data:text/plain;base64,SGk=")) == b"Hi"
    assert body_of(safe_url_fetcher("data:,a%20b")) == b"a b"


def test_fetcher_never_contacts_a_server_nor_follows_its_redirect(trap) -> None:
    base, hits = trap
    for url in (base + "/", base + "/redirect", base.replace("http", "https") + "/"):
        with pytest.raises(RefusedFetch):
            safe_url_fetcher(url)
    assert hits == []


def test_rendering_html_with_hostile_urls_fetches_nothing(trap, monkeypatch) -> None:
    base, hits = trap
    calls: list[str] = []
    served: list[str] = []

    def recording(url: str, *args, **kwargs):
        calls.append(url)
        result = safe_url_fetcher(url, *args, **kwargs)
        served.append(url)
        return result

    monkeypatch.setattr(pdf, "safe_url_fetcher", recording)
    html = f"""<html><head>
      <link rel="stylesheet" href="{base}/style.css">
      <link rel="stylesheet" href="file:///etc/passwd">
      <style>@import url("{base}/import.css"); body {{ background: url("http://169.254.169.254/") }}</style>
    </head><body>
      <p>Отчет</p>
      <img src="http://169.254.169.254/latest/meta-data/">
      <img src="{base}/img.png"><img src="file:///etc/hostname">
      <img src="otklik-static:///static/../../etc/passwd">
      <object data="{base}/object"></object><iframe src="{base}/frame"></iframe>
    </body></html>"""
    body = render_pdf(html)
    assert body.startswith(b"%PDF")
    assert hits == [], "no request may reach the network"
    outside = [u for u in calls if not u.startswith(("otklik-static:", "data:"))]
    assert outside, "WeasyPrint should have asked the fetcher (and been refused)"
    assert all(u.startswith("otklik-static:///static/") and "/../" not in u for u in served), served
