"""Burst check of the review book: anonymous entries in a burst wait «на проверке» before they become appeals.

Thirty anonymous entries with distinct texts made thirty registered complaints with deadlines in one
centre's queue. An entry without contact details that arrives when its centre has, in the last
``REVIEW_CHECK_WINDOW_MINUTES``, more than ``REVIEW_CHECK_FACTOR`` times its usual number of entries per
window (over the previous ``USUAL_RATE_DAYS`` days) and at least ``REVIEW_CHECK_MIN_COUNT`` is stored as
a review entry in the check state, with no appeal and so no queue item. The customer gets the receipt
as usual, which says that the entry is being checked and that the deadline counts from receipt.

An operator or manager of the centre then accepts it (the appeal is registered now with ``received_at``
= the entry's receipt time, so the statutory deadline runs from receipt) or rejects it as spam (the
entry stays, marked). Both are audited; nothing is deleted. Entries with contact details are never held.
``QUARANTINE_ENABLED`` is the master switch, as for survey answers (:mod:`app.surveys.integrity`).

This is separate from the publication moderation of the public book (``ReviewEntry.moderation``).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, or_, select

from app import audit
from app.appeals.models import REVIEW_BOOK_SOURCE
from app.appeals.services import create_appeal_in_session
from app.cache import app_cache
from app.database import write_transaction
from app.extensions import db
from app.models import User, utcnow
from app.reviews.models import ReviewEntry

USUAL_RATE_DAYS = 28
_CACHE = "reviews.usual_rate"


def enabled() -> bool:
    """The master switch shared with the survey burst hold."""
    return bool(current_app.config["QUARANTINE_ENABLED"])


def settings() -> tuple[int, float, int]:
    """(window minutes, factor, minimum count) of the review-book burst rule."""
    config = current_app.config
    return (
        int(config["REVIEW_CHECK_WINDOW_MINUTES"]),
        float(config["REVIEW_CHECK_FACTOR"]),
        int(config["REVIEW_CHECK_MIN_COUNT"]),
    )


def address_hash(address: str | None) -> str | None:
    """A keyed hash of the client address: equal addresses compare equal, the address itself is not kept."""
    if not address:
        return None
    key = str(current_app.config.get("SECRET_KEY") or "").encode("utf-8")
    return hmac.new(key, f"review-address:{address}".encode(), hashlib.sha256).hexdigest()


def _counted() -> Any:
    """Entries that make a centre's usual rate: never those still in check or rejected as spam."""
    return or_(ReviewEntry.check_state.is_(None), ReviewEntry.check_state == "accepted")


def usual_per_window(center_id: int, now: datetime) -> float:
    """The centre's entries per window over the previous weeks (cached a few minutes: it moves slowly)."""
    window, _factor, _minimum = settings()

    def load() -> float:
        stored = (
            db.session.scalar(
                select(func.count())
                .select_from(ReviewEntry)
                .where(
                    ReviewEntry.center_id == center_id,
                    ReviewEntry.created_at >= now - timedelta(days=USUAL_RATE_DAYS),
                    ReviewEntry.created_at < now - timedelta(minutes=window),
                    _counted(),
                )
            )
            or 0
        )
        return int(stored) * window / (USUAL_RATE_DAYS * 24 * 60)

    cache = app_cache(_CACHE, "QUARANTINE_RATE_CACHE_SECONDS")
    return float(cache.get((center_id,), load))


def is_burst(arriving: int, usual: float) -> bool:
    """True when ``arriving`` entries in the window (this one included) are a burst for the centre."""
    _window, factor, minimum = settings()
    return arriving >= minimum and arriving > factor * usual


def reasons(*, arriving: int, usual: float, identical: int, same_address: int | None) -> dict[str, Any]:
    """Why an entry was held, as shown on the check page (identifiers and counts only)."""
    window, factor, _minimum = settings()
    return {
        "window_minutes": window,
        "arrived": arriving,
        "usual": round(usual, 3),
        "factor": factor,
        "identical": identical,
        "same_address": same_address,
    }


def pending(center_ids: set[int]) -> list[ReviewEntry]:
    """Entries still in check in the given centres, oldest first."""
    return list(
        db.session.scalars(
            select(ReviewEntry)
            .where(ReviewEntry.check_state == "checking", ReviewEntry.center_id.in_(center_ids or {-1}))
            .order_by(ReviewEntry.center_id, ReviewEntry.created_at, ReviewEntry.id)
        )
    )


def recently_decided(center_ids: set[int], limit: int = 50) -> list[ReviewEntry]:
    return list(
        db.session.scalars(
            select(ReviewEntry)
            .where(ReviewEntry.check_state.in_(("accepted", "rejected")), ReviewEntry.center_id.in_(center_ids or {-1}))
            .order_by(ReviewEntry.checked_at.desc(), ReviewEntry.id.desc())
            .limit(limit)
        )
    )


def accept(entry_ids: list[int], user: User | None = None) -> int:
    """Register the appeals of entries in check, received when the entry was; returns how many.

    ``received_at`` is the entry's ``created_at``: the statutory deadline runs from receipt, not from
    the operator's decision. Each entry is its own transaction, so one failure leaves the others done.
    """
    from app.reviews.services import appeal_shape, kind_for  # services imports this module

    accepted = 0
    for entry_id in entry_ids:
        with write_transaction():
            entry = db.session.get(ReviewEntry, entry_id, with_for_update=True)
            if entry is None or entry.check_state != "checking":
                continue
            channel, subtype = appeal_shape(entry.origin, entry.kiosk_id)
            appeal = create_appeal_in_session(
                kind=kind_for(entry.entry_type),
                form="interactive",
                channel=channel,
                subtype=subtype,
                topic_code=entry.topic.code,
                center_id=entry.center_id,
                received_at=entry.created_at,
                text=entry.text,
                contact_id=entry.contact_id,
                external_source=REVIEW_BOOK_SOURCE,
                external_id=entry.registration_number,
                user=user,
            )
            entry.appeal_id, entry.check_state = appeal.id, "accepted"
            entry.checked_at, entry.checked_by_id = utcnow(), user.id if user else None
            audit.record(
                "review.check.accept",
                entry,
                summary=f"{entry.registration_number} → обращение {appeal.id}",
                **({"user_id": user.id} if user is not None else {}),
            )
        accepted += 1
    return accepted


def reject(entry_ids: list[int], user: User | None = None) -> int:
    """Mark entries in check as spam: they stay (nothing is deleted), get no appeal and are never published."""
    rejected = 0
    with write_transaction():
        for entry_id in entry_ids:
            entry = db.session.get(ReviewEntry, entry_id, with_for_update=True)
            if entry is None or entry.check_state != "checking":
                continue
            entry.check_state, entry.checked_at = "rejected", utcnow()
            entry.checked_by_id = user.id if user else None
            audit.record(
                "review.check.reject",
                entry,
                summary=entry.registration_number,
                **({"user_id": user.id} if user is not None else {}),
            )
            rejected += 1
    return rejected
