"""The signed-cookie session, with its signer made once instead of on every request.

Flask builds a new ``URLSafeTimedSerializer`` for every request (and serialises an empty dict to
build it); the serializer is stateless, so one per app and key set does the same work. Measured in
the load benchmark (docs/benchmarks.md): about a tenth of a bare request's time.
"""

from __future__ import annotations

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer


class CachedSignerSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session; the signing serializer is cached per app and secret keys."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        cached = app.extensions.get("otklik.session_signer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["otklik.session_signer"] = (keys, super().get_signing_serializer(app))
        return cached[1]


def has_login_session() -> bool:
    """True when the session names a signed-in user (who may still be refused on loading).

    Cheaper than ``current_user.is_authenticated``, which loads the user and hashes the client's
    address and agent for session protection; callers use it where "maybe signed in" must be
    treated like "signed in" (no caching, no-store), so a stale id errs on the safe side.
    """
    return "_user_id" in session
