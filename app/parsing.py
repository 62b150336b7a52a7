"""Request parsing that refuses absurd input with a 4xx instead of a 500.

Two gaps in the framework defaults: a JSON body nested thousands of levels deep makes the parser raise
``RecursionError``, which ``get_json(silent=True)`` does not catch; and an ``<int:…>`` URL segment has no
upper bound, so an id like 10**30 reaches the database driver and overflows its 64-bit integer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

View = TypeVar("View", bound=Callable[..., Any])

MAX_ID = 2**63 - 1  # the largest id a 64-bit integer column (SQLite INTEGER, PostgreSQL BIGINT) holds


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that matches only ids a database column can hold; a larger one is a plain 404."""

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # werkzeug's signature
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


class NumberTooLarge(ValueError):
    """An integer beyond what a database integer column (or an offset computed from it) can hold."""


class QueryNumberTooLarge(BadRequest):
    """A 400 whose page says which number in the address is too large (the error handler shows it)."""

    description = "Число в адресе страницы слишком велико."


def parse_int(text: str, *, maximum: int = MAX_ID) -> int:
    """``int(text)`` for query strings and API parameters, refusing a magnitude beyond ``maximum`` with
    :class:`NumberTooLarge` (a ``ValueError``): an unbounded Python int overflows the driver's 64-bit integer
    in a filter, an id or an OFFSET and answered 500. Also a digit string too long for ``int`` itself."""
    try:
        value = int(text)
    except ValueError:
        if text.strip().lstrip("+-").isdecimal():  # more digits than int() converts: certainly too large
            raise NumberTooLarge(text[:20]) from None
        raise
    if abs(value) > maximum:
        raise NumberTooLarge(text[:20])
    return value


def query_int(name: str, default: Any = None, *, maximum: int = MAX_ID, args: Any = None) -> Any:
    """The integer query parameter ``name`` (of ``args``, default the request's): as
    ``request.args.get(name, default, type=int)`` (missing or not a number: ``default``), but one beyond
    ``maximum`` is a 400 with a Russian message, not a 500."""
    text = (request.args if args is None else args).get(name)
    if text is None:
        return default
    try:
        return parse_int(text, maximum=maximum)
    except NumberTooLarge:
        raise QueryNumberTooLarge() from None
    except ValueError:
        return default


def query_page(per_page: int, name: str = "page") -> int:
    """A page number (1 when missing or not a number) whose row offset ``(page - 1) * per_page`` still fits
    a database integer; a larger one is a 400."""
    return query_int(name, 1, maximum=MAX_ID // per_page)


def install(app: Flask) -> None:
    """Before the blueprints are registered: their rules are compiled with the converter in place."""
    app.json = GuardedJSONProvider(app)
    app.url_map.converters["int"] = BoundedIntConverter


def allows_large_body(limit: Callable[[], int]) -> Callable[[View], View]:
    """Mark a view whose body may exceed ``MAX_CONTENT_LENGTH`` (a form with file uploads): ``limit()`` is
    its own ceiling. It must be set before anything reads the body, the app-wide CSRF check included,
    which a line inside the view is too late for (:func:`raise_body_limit` does it)."""

    def mark(view: View) -> View:
        view.max_body_bytes = limit  # type: ignore[attr-defined]  # read by raise_body_limit
        return view

    return mark


def raise_body_limit() -> None:
    """``before_request``, registered ahead of the CSRF check: the marked view's own body limit."""
    view = current_app.view_functions.get(request.endpoint or "")
    limit = getattr(view, "max_body_bytes", None)
    if limit is not None:
        request.max_content_length = limit()
