"""Response headers: CSP without inline scripts, framing rules, no-store on staff pages, HSTS."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, Response, current_app, request

from app.sessions import has_login_session


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
    headers = [("Content-Security-Policy", content_security_policy(ancestors)),
               ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin")]
    if ancestors == "'none'":
        headers.append(("X-Frame-Options", "DENY"))
    if behind_https:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


def install(app: Flask) -> None:
    @app.after_request
    def set_headers(response: Response) -> Response:
        config = current_app.config
        path, endpoint = request.path, request.endpoint or ""
        fixed = fixed_headers(tuple(config.get("KIOSK_FRAME_ANCESTORS") or ()), bool(config.get("BEHIND_HTTPS")),
                              path.startswith("/kiosk/"))
        headers = response.headers
        present = {name.lower() for name, _value in headers}  # (name, value) pairs
        headers.extend((name, value) for name, value in fixed if name.lower() not in present)  # a view's own win
        # Staff pages are never stored: decided by the view's role mark, not by its URL.
        staff_page = (hasattr(current_app.view_functions.get(endpoint), "_staff_roles")
                      or endpoint in ("auth.login", "auth.logout"))
        if staff_page or (has_login_session() and not path.startswith("/static/")):
            headers["Cache-Control"] = "no-store"
        return response
