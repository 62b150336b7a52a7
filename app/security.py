"""Response headers (CSP without inline scripts, framing rules, no-store on private pages, HSTS) and the
security log's line format."""

from __future__ import annotations

import logging
import sys
import time
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request

from app.sessions import has_login_session

SECURITY_LOGGER = "otklik.security"
# One line per event: UTC time, client address, account id ("-" when nobody is signed in), the event.
SECURITY_FORMAT = "%(asctime)s security client=%(client)s account=%(account)s event=%(message)s"
# Public pages that show one person's data: the review status page (answer, consent) and its withdrawal.
NO_STORE_ENDPOINTS = frozenset({"reviews.status", "reviews.withdraw"})


class SecurityContext(logging.Filter):
    """Adds the client address and the signed-in account to every security log record, so that each call
    site logs only its event (a view cannot forget either)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.client, record.account = "-", "-"
        if has_request_context():
            record.client = request.remote_addr or "-"
            record.account = _account_id()
        return True


def _account_id() -> Any:
    from flask_login import current_user

    try:
        return current_user.id if current_user and current_user.is_authenticated else "-"
    except Exception:  # a log line must never fail the request that writes it
        return "-"


class _CurrentStderr(logging.StreamHandler):
    """A stream handler that writes to whatever ``sys.stderr`` is at the time (as logging's last resort)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def security_formatter() -> logging.Formatter:
    formatter = logging.Formatter(SECURITY_FORMAT, datefmt="%Y-%m-%dT%H:%M:%SZ")
    formatter.converter = time.gmtime
    return formatter


def install_security_log() -> None:
    """Once per process: the context filter and a stderr handler with :data:`SECURITY_FORMAT` (INFO and up,
    so sign-ins are kept too); records still propagate to any handler the deployment configures."""
    logger = logging.getLogger(SECURITY_LOGGER)
    if any(isinstance(f, SecurityContext) for f in logger.filters):
        return
    logger.addFilter(SecurityContext())
    handler = _CurrentStderr()
    handler.setFormatter(security_formatter())
    logger.addHandler(handler)


def content_security_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )


@lru_cache(maxsize=64)
def fixed_headers(kiosk_origins: tuple[str, ...], behind_https: bool, kiosk_page: bool) -> tuple[tuple[str, str], ...]:
    """The headers every response gets, built once per configuration and added in one call: one
    ``setdefault`` each (a look-up and a value check apiece) cost three times as much."""
    ancestors = " ".join(kiosk_origins) if kiosk_page and kiosk_origins else "'none'"
    headers = [
        ("Content-Security-Policy", content_security_policy(ancestors)),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
    ]
    if ancestors == "'none'":
        headers.append(("X-Frame-Options", "DENY"))
    if behind_https:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


def install(app: Flask) -> None:
    install_security_log()

    @app.after_request
    def set_headers(response: Response) -> Response:
        config = current_app.config
        path, endpoint = request.path, request.endpoint or ""
        fixed = fixed_headers(
            tuple(config.get("KIOSK_FRAME_ANCESTORS") or ()),
            bool(config.get("BEHIND_HTTPS")),
            path.startswith("/kiosk/"),
        )
        headers = response.headers
        present = {name.lower() for name, _value in headers}  # (name, value) pairs
        headers.extend((name, value) for name, value in fixed if name.lower() not in present)  # a view's own win
        # Staff pages are never stored: decided by the view's role mark, not by its URL. Neither is the public
        # status page (one person's answer) nor any reply to a request with credentials (the bearer-token API).
        staff_page = (
            hasattr(current_app.view_functions.get(endpoint), "_staff_roles")
            or endpoint in ("auth.login", "auth.logout")
            or endpoint in NO_STORE_ENDPOINTS
            or "Authorization" in request.headers
        )
        if staff_page or (has_login_session() and not path.startswith("/static/")):
            headers["Cache-Control"] = "no-store"
        return response
