"""Request parsing that refuses absurd input with a 4xx instead of a 500.

Two gaps in the framework defaults: a JSON body nested thousands of levels deep makes the parser raise
``RecursionError``, which ``get_json(silent=True)`` does not catch; and an ``<int:…>`` URL segment has no
upper bound, so an id like 10**30 reaches the database driver and overflows its 64-bit integer.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest id a 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT) holds


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids a database column can hold; a larger one is a plain 404."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # noqa: A002, ANN001 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class GuardedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, with too deeply nested input reported as invalid JSON (a ``ValueError``)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def form_id(text: str | None) -> int | None:
    """An id typed into a form: ASCII digits within a database integer, else None. (``str.isdigit`` also
    accepts "²", which ``int`` then refuses.)"""
    text = (text or "").strip()
    if not (text.isascii() and text.isdecimal()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def install(app: Flask) -> None:
    """Before the blueprints are registered: their rules are compiled with the converter in place."""
    app.json = GuardedJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter
