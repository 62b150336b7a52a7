"""Bursts of anonymous answers are held apart, so that no anonymous client can move the numbers.

An assignment (survey × centre × channel) or a kiosk that suddenly receives far more answers than
usual is more likely a script than a crowd. Such submissions are acknowledged exactly as usual (the
sender learns nothing), but stored whole in ``held_submission``, outside analysis, counts and exports,
until a marketer releases or discards them on a page that shows why they were held. Staff imports and
staff-token posts never pass through here.

The rule: in the last ``QUARANTINE_WINDOW_MINUTES`` the assignment (or kiosk) has more than
``QUARANTINE_FACTOR`` times its usual number of answers per window (over the previous
``USUAL_RATE_DAYS`` days) and at least ``QUARANTINE_MIN_COUNT``. Identical answers and one address are
shown as reasons, never a trigger on their own (kiosk one-tap answers are identical by design).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from app import audit
from app.cache import app_cache
from app.database import write_transaction
from app.extensions import db
from app.models import Contact, User, utcnow
from app.surveys.models import HeldSubmission, Response

USUAL_RATE_DAYS = 28
_CACHE = "surveys.usual_rate"


class HoldError(ValueError):
    """A refused decision on a held submission (Russian message)."""


def enabled() -> bool:
    return bool(current_app.config["QUARANTINE_ENABLED"])


def address_hash(address: str | None) -> str | None:
    """A keyed hash of the client address: equal addresses compare equal, the address itself is not kept."""
    if not address:
        return None
    key = str(current_app.config.get("SECRET_KEY") or "").encode("utf-8")
    return hmac.new(key, address.encode("utf-8"), hashlib.sha256).hexdigest()


def _settings() -> tuple[int, float, int]:
    config = current_app.config
    return (
        int(config["QUARANTINE_WINDOW_MINUTES"]),
        float(config["QUARANTINE_FACTOR"]),
        int(config["QUARANTINE_MIN_COUNT"]),
    )


def _key_filter(model: Any, survey_id: int, center_id: int, channel: str, kiosk_id: int | None) -> list[Any]:
    time_column = model.received_at if model is HeldSubmission else model.submitted_at
    conditions = [model.center_id == center_id, model.survey_id == survey_id, model.channel == channel]
    if kiosk_id is not None:
        conditions.append(model.kiosk_id == kiosk_id)
    return [*conditions, time_column]


def _count(
    model: Any,
    survey_id: int,
    center_id: int,
    channel: str,
    kiosk_id: int | None,
    since: datetime,
    until: datetime | None = None,
    **equal: Any,
) -> int:
    *conditions, when = _key_filter(model, survey_id, center_id, channel, kiosk_id)
    query = select(func.count()).select_from(model).where(*conditions, when >= since)
    if until is not None:
        query = query.where(when < until)
    for column, value in equal.items():
        query = query.where(getattr(model, column) == value)
    if model is HeldSubmission:
        query = query.where(HeldSubmission.status == "held")
    return int(db.session.scalar(query) or 0)


def usual_per_window(survey_id: int, center_id: int, channel: str, kiosk_id: int | None, now: datetime) -> float:
    """Answers per window over the previous weeks (cached a few minutes: it moves slowly)."""
    window, _factor, _minimum = _settings()

    def load() -> float:
        start = now - timedelta(days=USUAL_RATE_DAYS)
        stored = _count(Response, survey_id, center_id, channel, kiosk_id, start, now - timedelta(minutes=window))
        return stored * window / (USUAL_RATE_DAYS * 24 * 60)

    cache = app_cache(_CACHE, "QUARANTINE_RATE_CACHE_SECONDS")
    return float(cache.get((survey_id, center_id, channel, kiosk_id), load))


def burst_reasons(
    *,
    survey_id: int,
    center_id: int,
    channel: str,
    kiosk_id: int | None,
    body_hash: str,
    address: str | None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """Why this anonymous submission should be held, or None when it arrives at a normal rate."""
    if not enabled():
        return None
    now = now or utcnow()
    window, factor, minimum = _settings()
    since = now - timedelta(minutes=window)
    arriving = (
        1
        + _count(Response, survey_id, center_id, channel, kiosk_id, since)
        + _count(HeldSubmission, survey_id, center_id, channel, kiosk_id, since)
    )
    if arriving < minimum:
        return None
    usual = usual_per_window(survey_id, center_id, channel, kiosk_id, now)
    if arriving <= factor * usual:
        return None
    identical = (
        1
        + _count(Response, survey_id, center_id, channel, kiosk_id, since, body_hash=body_hash)
        + _count(HeldSubmission, survey_id, center_id, channel, kiosk_id, since, body_hash=body_hash)
    )
    same_address = 1 + (
        _count(HeldSubmission, survey_id, center_id, channel, kiosk_id, since, address_hash=address) if address else 0
    )
    return {
        "scope": "kiosk" if kiosk_id is not None else "assignment",
        "window_minutes": window,
        "arrived": arriving,
        "usual": round(usual, 3),
        "factor": factor,
        "identical": identical,
        "same_address": same_address if address else None,
    }


def hold(
    fields: dict[str, Any],
    answers: dict[str, Any],
    reasons: dict[str, Any],
    address: str | None,
    contact: Contact | None = None,
    answered_at: datetime | None = None,
) -> int:
    """Keep the whole submission apart (its contact, if any, as a Contact row); returns the held row's id.

    ``answered_at`` is the checked answering time: a release stores the response at it."""
    with write_transaction():
        if contact is not None:
            db.session.add(contact)
            db.session.flush()
        held = HeldSubmission(
            contact_id=contact.id if contact is not None else None,
            client_submission_id=fields["client_submission_id"],
            body_hash=fields["body_hash"],
            survey_id=fields["survey_id"],
            version_id=fields["version_id"],
            center_id=fields["center_id"],
            channel=fields["channel"],
            kiosk_id=fields.get("kiosk_id"),
            duration_seconds=fields.get("duration_seconds"),
            answers=answers,
            address_hash=address,
            reasons=reasons,
            status="held",
            received_at=fields.get("received_at") or utcnow(),
            answered_at=answered_at,
            time_replaced=bool(fields.get("time_replaced")),
        )
        db.session.add(held)
        db.session.flush()
        held_id = held.id
    current_app.logger.warning(
        "submission held: survey=%s center=%s channel=%s arrived=%s in %s min",
        fields["survey_id"],
        fields["center_id"],
        fields["channel"],
        reasons["arrived"],
        reasons["window_minutes"],
    )
    return held_id


def held_prior(client_submission_id: str) -> tuple[int, str] | None:
    """(id, body hash) of a held submission with this id: a retry is answered as the first post was."""
    row = db.session.execute(
        select(HeldSubmission.id, HeldSubmission.body_hash).where(
            HeldSubmission.client_submission_id == client_submission_id
        )
    ).first()
    return (row[0], row[1]) if row else None


def pending(survey_id: int | None = None, center_ids: list[int] | None = None) -> list[HeldSubmission]:
    query = select(HeldSubmission).where(HeldSubmission.status == "held").order_by(HeldSubmission.received_at)
    if survey_id is not None:
        query = query.where(HeldSubmission.survey_id == survey_id)
    if center_ids is not None:
        query = query.where(HeldSubmission.center_id.in_(center_ids))
    return list(db.session.scalars(query))


def release(held_ids: list[int], user: User | None = None) -> int:
    """Store held submissions as normal responses (counted from now on); returns how many were released."""
    from app.surveys import services

    released = 0
    for held_id in held_ids:
        with write_transaction():
            held = db.session.get(HeldSubmission, held_id, with_for_update=True)
            if held is None or held.status != "held":
                continue
            response_id = services.store_released(held)
            held.status, held.response_id = "released", response_id
            held.decided_at, held.decided_by_id = utcnow(), user.id if user else None
            audit.record("survey.held.release", held, summary=f"ответ {response_id}")
        released += 1
    return released


def discard(held_ids: list[int], user: User | None = None) -> int:
    """Mark held submissions as discarded; the rows stay (nothing is deleted silently)."""
    discarded = 0
    with write_transaction():
        for held_id in held_ids:
            held = db.session.get(HeldSubmission, held_id, with_for_update=True)
            if held is None or held.status != "held":
                continue
            held.status, held.decided_at = "discarded", utcnow()
            held.decided_by_id = user.id if user else None
            audit.record("survey.held.discard", held)
            discarded += 1
    return discarded
