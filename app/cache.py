"""Short-lived per-process caches of rows that change rarely, cleared when this process commits a change.

Public pages and kiosk posts read the same few rows on every request: a published survey, a centre, a
topic, a kiosk, the deadline rules. Each worker keeps plain values of them for a few seconds (a config
key per cache, 0 turns it off). A change committed through the ORM in the same process clears the cache
at once; other processes see it when their period ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import chain
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

_LIMIT = 10_000  # entries per cache; unknown keys may be remembered too, so the dict stays bounded
_FLAG = "otklik.cache_changed."


class TtlCache:
    """A TTL dict with a generation counter: a value loaded before a clear is never stored after it."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.entries: dict[tuple, tuple[float, Any]] = {}
        self.generation = 0

    def get(self, key: tuple, loader: Callable[[], Any], remember_missing: bool = True) -> Any:
        """The cached value of ``key``, or ``loader()`` (not stored when it is None and not to be remembered)."""
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self.generation
        value = loader()
        if self.ttl > 0 and generation == self.generation and (value is not None or remember_missing):
            if len(self.entries) >= _LIMIT:
                self.entries = {}
            self.entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self.generation += 1
        self.entries = {}


def app_cache(name: str, config_key: str) -> TtlCache:
    """The current app's cache called ``name``, its period in seconds the setting ``config_key``: one per app,
    so test apps never share one."""
    key = f"otklik.cache.{name}"
    cache = current_app.extensions.get(key)
    if cache is None:
        ttl = float(current_app.config[config_key])
        cache = current_app.extensions.setdefault(key, TtlCache(ttl))
    return cache


def clear_cache(name: str) -> None:
    """Forget the current app's cache ``name`` (in this process); nothing outside an app."""
    if has_app_context():
        cache = current_app.extensions.get(f"otklik.cache.{name}")
        if cache is not None:
            cache.clear()


def mark_changed(session: Session, name: str) -> None:
    """Clear cache ``name`` when ``session`` commits."""
    session.info[_FLAG + name] = True


def clear_on_commit(
    name: str,
    changed: Callable[[Any], bool],
    bulk_classes: tuple[type, ...],
    *,
    changed_dirty: Callable[[Any], bool] | None = None,
    bulk_inserts: bool = False,
) -> None:
    """Clear cache ``name`` after a commit of a session that added, changed or deleted an object for which
    ``changed`` (``changed_dirty`` for changed objects, when given) is true, or that ran a bulk UPDATE or
    DELETE (and INSERT with ``bulk_inserts``) on one of ``bulk_classes``.

    The mark survives a rollback: a needless reload is harmless, a missed clear is not.
    """
    dirty_changed = changed_dirty or changed

    def note_flush(session: Session, _context: Any) -> None:
        if any(changed(obj) for obj in chain(session.new, session.deleted)) or any(
            dirty_changed(obj) for obj in session.dirty
        ):
            mark_changed(session, name)

    def note_bulk(state: Any) -> None:
        if (
            (state.is_update or state.is_delete or (bulk_inserts and state.is_insert))
            and state.bind_mapper is not None
            and issubclass(state.bind_mapper.class_, bulk_classes)
        ):
            mark_changed(state.session, name)

    def clear_after_commit(session: Session) -> None:
        if session.info.pop(_FLAG + name, False):
            clear_cache(name)

    event.listen(Session, "after_flush", note_flush)
    event.listen(Session, "do_orm_execute", note_bulk)
    event.listen(Session, "after_commit", clear_after_commit)
