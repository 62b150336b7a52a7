"""Absolute links that leave the app: QR codes, posters, SMS and e-mail texts, kiosk receipts, enrolment links.

``PUBLIC_BASE_URL`` (``OTKLIK_PUBLIC_BASE_URL``) names where customers reach the app. When it is not set,
a page builds its links from the scheme and host the request came to, so a server on another host or port
prints its own address, not a default's. Code outside a request (e-mails, the CLI, background report
builds) has no such host and needs the setting.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request, url_for

from app.database import ConfigError


def public_base_url() -> str:
    """Scheme, host and port of the public site, without a trailing slash."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    raise ConfigError(
        "Не задан OTKLIK_PUBLIC_BASE_URL — адрес сайта для ссылок в письмах и в командах flask "
        "(например, https://otklik.example.ru)."
    )


def public_url(endpoint: str, **values: Any) -> str:
    """The absolute URL of ``endpoint`` on the public site."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return public_base_url() + path
