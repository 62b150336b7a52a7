"""Otklik application factory."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from pathlib import Path
from typing import Any

import flask_babel
from babel import Locale
from flask import Flask, request, session

from app import parsing
from app.config import DefaultConfig
from app.database import (
    ConfigError,
    check_database,
    configure_sqlite,
    normalise_database_url,
    protect_sqlite_file,
)
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

# Packages (or modules) that expose a Blueprint ``bp``.
BLUEPRINT_PACKAGES = (
    "main",
    "auth",
    "org",
    "surveys",
    "reviews",
    "appeals",
    "analysis",
    "api",
    "kiosk",
    "reports",
    "booking.flow_views",
    "booking",
    "requests",
    "kb",
    "ask",
    "site",
)
# Packages whose ``cli.py`` has ``register_cli(app)`` adding its click group.
CLI_PACKAGES = (
    "main",
    "auth",
    "org",
    "demo",
    "surveys",
    "reviews",
    "appeals",
    "analysis",
    "api",
    "reports",
    "privacy",
    "booking",
    "kb",
)


def create_app(config_overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    load_configuration(app, config_overrides or {})
    trust_proxies(app)
    register_extensions(app)
    parsing.install(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_security(app)
    return app


def load_configuration(app: Flask, overrides: dict[str, Any]) -> None:
    app.config.from_object(DefaultConfig)
    protect_instance_folder(Path(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if os.environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if os.environ.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]
    app.config.from_prefixed_env("OTKLIK")
    app.config.update(overrides)

    url = app.config.get("SQLALCHEMY_DATABASE_URI") or f"sqlite:///{Path(app.instance_path) / 'otklik.db'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(url)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A local file cannot go away between checkouts: skip the per-checkout SELECT 1.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    if app.config.get("BEHIND_HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    logging.getLogger("otklik").setLevel(app.config.get("LOG_LEVEL", "INFO"))


def trust_proxies(app: Flask) -> None:
    """``TRUSTED_PROXIES`` = N > 0: the client address (and scheme) is taken N hops back in X-Forwarded-For
    (Werkzeug's ProxyFix), so rate limits, sign-in throttling and logs see the client, not the proxy.
    0 (the default): X-Forwarded-* headers are ignored, as any client can send them."""
    value = app.config.get("TRUSTED_PROXIES") or 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ConfigError(f"OTKLIK_TRUSTED_PROXIES должно быть числом прокси-серверов от 0 до 10, а не «{value}».")
    if value:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=value, x_proto=value)  # type: ignore[method-assign]


def protect_instance_folder(instance: Path) -> None:
    """instance/ holds the secret key, the SQLite database and the config: owner only (0700)."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        if instance.stat().st_uid == os.getuid():
            instance.chmod(0o700)
    except OSError:
        pass  # a read-only mount: left as the administrator set it


def instance_secret_key(instance: Path) -> str:
    """Read instance/secret_key, creating it with a random key on first run."""
    path = instance / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker created it first
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


MODEL_MODULES = (
    "app.models",
    "app.surveys.models",
    "app.appeals.models",
    "app.reviews.models",
    "app.kiosk.models",
    "app.analysis.models",
    "app.booking.models",
    "app.requests.models",
    "app.reports.models",
    "app.api.models",
    "app.kb.models",
    "app.site.models",
)


def import_models() -> None:
    """Import every table module so that the metadata (migrations, create_all) sees all tables."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def register_extensions(app: Flask) -> None:
    import_models()
    db.init_app(app)
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            protect_sqlite_file(engine.url.database)
            configure_sqlite(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], app.config["SQLITE_JOURNAL_SIZE_LIMIT"])
        if app.config["CHECK_DATABASE_ON_START"]:
            check_database(engine)
            engine.dispose()  # no pooled connection may cross a fork (gunicorn --preload)
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    from app.sessions import CachedSignerSessionInterface

    app.session_interface = CachedSignerSessionInterface()
    app.before_request(parsing.raise_body_limit)  # before the CSRF check reads an upload form's body
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы открыть эту страницу."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from app.auth.services import load_user

    login_manager.user_loader(load_user)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = flask_babel.get_locale
    limiter.init_app(app)

    from app import nav

    app.context_processor(nav.template_context)
    app.jinja_env.filters.update(nav.FILTERS)


# Flask-Babel parses the selector's answer on every request unless it is a Locale already, and
# parsing a string looks for the locale's data file on disk.
_LOCALES = {"ru": Locale("ru"), "en": Locale("en")}


def select_locale() -> Locale:
    """?lang=en switches and remembers the language; Russian is the default."""
    wanted = request.args.get("lang")
    if wanted in _LOCALES:
        session["lang"] = wanted
    return _LOCALES.get(session.get("lang", ""), _LOCALES["ru"])


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_PACKAGES:
        app.register_blueprint(importlib.import_module(f"app.{name}").bp)


def register_errorhandlers(app: Flask) -> None:
    from app.main.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    for name in CLI_PACKAGES:
        importlib.import_module(f"app.{name}.cli").register_cli(app)


def register_security(app: Flask) -> None:
    from app.security import install

    install(app)


__all__ = ["ConfigError", "create_app"]
