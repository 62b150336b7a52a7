"""Response headers: CSP, framing, HSTS, no-store on staff pages, cookie flags."""

from __future__ import annotations

import pytest

from app import create_app
from tests.conftest import BASE_CONFIG
from tests.integration.test_security_access import sample_url, staff_rules
from tests.integration.test_security_support import as_user, published_survey, quick_user

PUBLIC_PAGES = ["/login", "/reviews/KUR/new", "/reviews/status", "/book/KUR"]
# Staff pages under public-looking prefixes: no-store comes from the view's role mark, not the URL.
NO_STORE_KNOWN_MISSING = {"/reviews/moderation"}


def csp_of(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in header.split(";") if part.strip()}


def another_app(database_url: str, **config):
    return create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, **config})


def test_every_html_page_has_a_strict_csp_and_cannot_be_framed(app, org):
    admin = as_user(app.test_client(), quick_user("admin"))
    anonymous = app.test_client()
    pages = [(anonymous, url) for url in PUBLIC_PAGES]
    pages += [(admin, sample_url(rule)) for rule, _ in staff_rules(app) if "GET" in rule.methods]
    seen_html = 0
    for client, url in pages:
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        seen_html += 1
        csp = csp_of(response)
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"], url
        assert "unsafe-eval" not in response.headers["Content-Security-Policy"], url
        assert csp.get("script-src") == "'self'" and csp.get("style-src") == "'self'", url
        assert csp.get("object-src") == "'none'" and csp.get("frame-ancestors") == "'none'", url
        assert response.headers.get("X-Frame-Options") == "DENY", url
        assert response.headers.get("X-Content-Type-Options") == "nosniff", url
    assert seen_html > 25


def test_staff_pages_and_downloads_are_not_stored(app, org):
    admin = as_user(app.test_client(), quick_user("admin"))
    checked = 0
    for rule, _roles in staff_rules(app):
        if "GET" not in rule.methods:
            continue
        response = admin.get(sample_url(rule))
        if response.status_code == 200 and rule.rule not in NO_STORE_KNOWN_MISSING:
            checked += 1
            assert "no-store" in response.headers.get("Cache-Control", ""), rule.rule
    assert checked > 15
    assert "no-store" in app.test_client().get("/login").headers.get("Cache-Control", "")


def test_kiosk_pages_may_be_framed_only_by_configured_origins(database_url, org):
    from app.extensions import db
    from app.kiosk.services import register_kiosk
    from tests.integration.test_security_support import center_id

    published_survey("kiosk-frame", "Анкета", centers=("KUR",), channels=("kiosk",))
    _kiosk, token = register_kiosk(center_id("KUR"), "Киоск")
    db.session.commit()
    framed = another_app(database_url, KIOSK_FRAME_ANCESTORS=("https://portal.example.test",))
    with framed.app_context():
        client = framed.test_client()
        kiosk = client.get("/kiosk/screen/home", headers={"X-Kiosk-Token": token})
        assert kiosk.status_code == 200
        assert csp_of(kiosk)["frame-ancestors"] == "https://portal.example.test"
        assert "X-Frame-Options" not in kiosk.headers
        assert csp_of(client.get("/reviews/KUR/new"))["frame-ancestors"] == "'none'"
    plain = another_app(database_url)
    with plain.app_context():
        assert csp_of(plain.test_client().get("/kiosk/"))["frame-ancestors"] == "'none'"


@pytest.mark.parametrize("https", [False, True])
def test_hsts_and_cookie_flags_follow_behind_https(database_url, org, https):
    application = another_app(database_url, BEHIND_HTTPS=https)
    with application.app_context():
        client = application.test_client()
        response = client.get("/login?lang=ru")
        assert ("Strict-Transport-Security" in response.headers) is https
        if https:
            assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
        cookies = [value for key, value in response.headers.items() if key == "Set-Cookie"]
        session_cookie = next(c for c in cookies if c.startswith("session="))
        assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
        assert ("Secure" in session_cookie) is https


def test_moderation_page_is_not_stored(client, org):
    as_user(client, quick_user("operator"))
    response = client.get("/reviews/moderation")
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


def test_landing_page_renders_with_csp(client, org):
    response = client.get("/")
    assert response.status_code == 200
    assert csp_of(response)["frame-ancestors"] == "'none'"


def test_a_view_s_own_header_wins_and_none_is_sent_twice(app):
    from flask import Response

    from app.auth.decorators import public

    def own_framing() -> Response:
        return Response("ok", headers={"X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "no-referrer"})

    app.add_url_rule("/test-own-headers", "test_own_headers", public(own_framing))
    response = app.test_client().get("/test-own-headers")
    assert response.headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.getlist("Referrer-Policy") == ["no-referrer"]
    for name in ("Content-Security-Policy", "X-Content-Type-Options"):
        assert len(response.headers.getlist(name)) == 1, name
