"""A short-lived per-process cache of what every review-book entry looks up: topics, centres, kiosks.

Each entry used to load its kiosk, its centre three times and its topic three times. These rows change
rarely (an admin edits a topic, a centre, revokes a kiosk), so a worker keeps plain values of them for
:data:`CACHE_TTL_SECONDS`. A committed ORM change to a topic, an organisation or a kiosk's token, state or
centre in this process clears the cache at once; other processes see it within the TTL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Organisation, OrgKind, Topic

CACHE_TTL_SECONDS = 5.0
"""How long a worker reuses a looked-up topic, centre or kiosk; ``REVIEW_CACHE_SECONDS`` in the config
overrides it, 0 turns the cache off."""

_CACHE_LIMIT = 10_000  # entries per app; unknown codes are cached too, so the dict stays bounded
_EXTENSION_KEY = "otklik.reviews.lookups"
_CHANGED_FLAG = "otklik.reviews.lookups_changed"


class TtlCache:
    """A TTL dict with a generation counter: a value loaded before a clear is never stored after it."""

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.entries: dict[tuple, tuple[float, Any]] = {}
        self.generation = 0

    def get(self, key: tuple, loader: Callable[[], Any], remember_missing: bool = True) -> Any:
        """The cached value of ``key``, or ``loader()`` (stored unless it is None and not to be remembered)."""
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = self.generation
        value = loader()
        if self.ttl > 0 and generation == self.generation and (value is not None or remember_missing):
            if len(self.entries) >= _CACHE_LIMIT:
                self.entries = {}
            self.entries[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        self.generation += 1
        self.entries = {}


def lookup_cache() -> TtlCache:
    """The current app's cache (one per app, so test apps never share it)."""
    cache = current_app.extensions.get(_EXTENSION_KEY)
    if cache is None:
        ttl = float(current_app.config.get("REVIEW_CACHE_SECONDS", CACHE_TTL_SECONDS))
        cache = current_app.extensions.setdefault(_EXTENSION_KEY, TtlCache(ttl))
    return cache


def invalidate_lookups() -> None:
    """Forget the current app's cached topics, centres and kiosks (this process)."""
    if has_app_context():
        cache = current_app.extensions.get(_EXTENSION_KEY)
        if cache is not None:
            cache.clear()


@dataclass(frozen=True)
class TopicRef:
    id: int
    code: str
    active: bool


@dataclass(frozen=True)
class CenterRef:
    """A centre (organisation of kind ``center``) as the review book needs it."""

    id: int
    code: str
    timezone: str | None
    active: bool


def topic_ref(code: str) -> TopicRef | None:
    """The topic with this exact code (active or not), or None."""
    return lookup_cache().get(("topic", code), lambda: _load_topic(code))


def _load_topic(code: str) -> TopicRef | None:
    row = db.session.execute(select(Topic.id, Topic.code, Topic.active).where(Topic.code == code)).first()
    return TopicRef(*row) if row is not None else None


def center_ref(code: str) -> CenterRef | None:
    """The centre with this code (case-insensitive, active or not), or None; like ``find_center``."""
    code = (code or "").strip().upper()
    return lookup_cache().get(("center", code), lambda: _load_center(code))


def _load_center(code: str) -> CenterRef | None:
    row = db.session.execute(
        select(Organisation.id, Organisation.code, Organisation.timezone, Organisation.active)
        .where(Organisation.code == code, Organisation.kind == OrgKind.CENTER)).first()
    return CenterRef(*row) if row is not None else None


# --- invalidation ------------------------------------------------------------------------------------

def note_change(session: Session) -> None:
    """Clear the cache when ``session`` commits (app.kiosk.services calls it for kiosk access changes)."""
    session.info[_CHANGED_FLAG] = True


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if any(isinstance(obj, (Topic, Organisation)) for obj in chain(session.new, session.dirty, session.deleted)):
        note_change(session)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: Any) -> None:
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and issubclass(state.bind_mapper.class_, (Topic, Organisation)):
        note_change(state.session)


# The flag is not dropped on rollback: a needless reload is harmless, a missed clear is not.
@event.listens_for(Session, "after_commit")
def _clear_after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED_FLAG, False):
        invalidate_lookups()
