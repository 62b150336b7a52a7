"""Response headers: CSP without inline scripts, framing rules, no-store on staff pages, HSTS."""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from app.sessions import has_login_session


def content_security_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
        f"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors {frame_ancestors}"
    )


def install(app: Flask) -> None:
    @app.after_request
    def set_headers(response: Response) -> Response:
        config = current_app.config
        kiosk_origins = " ".join(config.get("KIOSK_FRAME_ANCESTORS") or ())
        is_kiosk = request.path.startswith("/kiosk/")
        ancestors = kiosk_origins if is_kiosk and kiosk_origins else "'none'"
        response.headers.setdefault("Content-Security-Policy", content_security_policy(ancestors))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if ancestors == "'none'":
            response.headers.setdefault("X-Frame-Options", "DENY")
        if config.get("BEHIND_HTTPS"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Staff pages are never stored: decided by the view's role mark, not by its URL.
        view = current_app.view_functions.get(request.endpoint or "")
        staff_page = hasattr(view, "_staff_roles") or request.endpoint in ("auth.login", "auth.logout")
        logged_in_page = has_login_session() and not request.path.startswith("/static/")
        if staff_page or logged_in_page:
            response.headers["Cache-Control"] = "no-store"
        return response
