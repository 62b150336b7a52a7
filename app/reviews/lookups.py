"""A short-lived per-process cache of what every review-book entry looks up: topics, centres, kiosks.

Each entry used to load its kiosk, its centre three times and its topic three times. These rows change
rarely (an admin edits a topic, a centre, revokes a kiosk), so a worker keeps plain values of them for
``REVIEW_CACHE_SECONDS`` (app/config.py). A committed ORM change to a topic, an organisation or a
kiosk's token, state or centre in this process clears the cache at once; other processes see it within the TTL.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.cache import TtlCache, app_cache, clear_cache, clear_on_commit
from app.extensions import db
from app.models import Organisation, OrgKind, Topic

CACHE = "reviews.lookups"


def lookup_cache() -> TtlCache:
    """The current app's cache (one per app, so test apps never share it)."""
    return app_cache(CACHE, "REVIEW_CACHE_SECONDS")


def invalidate_lookups() -> None:
    """Forget the current app's cached topics, centres and kiosks (this process)."""
    clear_cache(CACHE)


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
        select(Organisation.id, Organisation.code, Organisation.timezone, Organisation.active).where(
            Organisation.code == code, Organisation.kind == OrgKind.CENTER
        )
    ).first()
    return CenterRef(*row) if row is not None else None


# Kiosk access changes are watched by app.kiosk.services, which shares this cache.
clear_on_commit(CACHE, lambda obj: isinstance(obj, (Topic, Organisation)), (Topic, Organisation))
