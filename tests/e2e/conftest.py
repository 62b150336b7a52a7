"""Real-browser fixtures: the app served on 127.0.0.1 in a background thread, Debian Chromium via Playwright."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests.conftest import BASE_CONFIG

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).parent / "screenshots"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "e2e" in item.path.parts:
            item.add_marker(pytest.mark.e2e)


@dataclass
class LiveServer:
    url: str
    app: object
    server: object

    def stop(self) -> None:
        self.server.shutdown()


def closing_responses(app: Callable) -> Callable:
    """WSGI middleware: read each response body and close it before werkzeug touches the socket.

    werkzeug's development server closes the body (an open file for a static asset) only after it has
    drained the request socket; when the browser has dropped the connection that read raises first,
    the file is left to the garbage collector and its ResourceWarning fails whichever test runs then
    (a flake seen on ``test_inactivity_reset_leaves_no_trace``). Test responses are small.
    """

    def serve(environ: dict, start_response: Callable) -> Iterable[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture
def live_config() -> dict:
    """Override in a test module for extra configuration (e.g. a short kiosk timeout)."""
    return {}


@pytest.fixture
def live_server(sqlite_template, tmp_path, live_config, cheap_password_hashing) -> Iterator[LiveServer]:
    """The app on a real port with a fresh SQLite file holding the demo tree and demo users.

    The server runs in this process, so it hashes and checks passwords at the tests' cheap argon2id
    parameters (``cheap_password_hashing`` in tests/conftest.py): four demo users cost milliseconds, not a
    second of CPU per test."""
    database = tmp_path / "live.db"
    shutil.copy(sqlite_template, database)
    app = create_app(
        {
            **BASE_CONFIG,
            "TESTING": False,
            "WTF_CSRF_ENABLED": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}",
            **live_config,
        }
    )
    with app.app_context():
        from app.demo import seed_org_tree, seed_topics, seed_users

        seed_topics()
        seed_org_tree()
        seed_users()
        db.session.remove()
    server = make_server("127.0.0.1", 0, closing_responses(app), threaded=True)  # port 0: bound once, no race
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, server=server)
    yield live
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed (make test installs it)")
    from playwright.sync_api import sync_playwright

    # Playwright gives every launch a fresh, empty user-data-dir of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 390, "height": 844})
    page = context.new_page()
    yield page
    context.close()


def settled_box(page, locator) -> dict | None:
    """A locator's box once the page's stylesheets and web fonts are in: a box read while a page's own
    stylesheet or the DejaVu font is still loading has the fallback's size (a 45 px button that is 48 px
    when styled), which made size checks fail now and then on a busy machine."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return locator.bounding_box()


def screenshot(page, name: str) -> Path:
    """Save a screenshot under tests/e2e/screenshots/ (git-ignored) for a person to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def survey_link(live_server) -> str:
    """The demo survey's QR link at KUR, published on the live server."""
    with live_server.app.app_context():
        from app.surveys.demo import seed_main_survey
        from app.surveys.models import SurveyAssignment

        seed_main_survey()
        code = db.session.scalar(
            select(SurveyAssignment.short_code).where(
                SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR")
            )
        )
        db.session.remove()
    return f"{live_server.url}/s/{code}"
