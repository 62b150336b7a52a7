"""Kiosk registration, one-time enrolment codes, device tokens, heartbeats and the admin overview.

A device token never appears in a URL (URLs end up in access logs): the admin hands out a one-time
enrolment link, the device exchanges its code for the token (:func:`enrol`), keeps it in the browser
and sends it as ``X-Kiosk-Token``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import exists, func, inspect, select

from app import audit
from app.cache import clear_on_commit
from app.database import write_transaction
from app.extensions import db
from app.kiosk.models import Kiosk
from app.models import Organisation, OrgKind, User, utcnow
from app.reviews.lookups import CACHE as LOOKUPS
from app.reviews.lookups import lookup_cache
from app.reviews.models import ReviewEntry
from app.surveys.models import Survey, SurveyAssignment, SurveyVersion

SILENT_AFTER = timedelta(minutes=15)
INACTIVITY_MIN, INACTIVITY_MAX = 2, 3600
DEVICE_HEADER = "X-Kiosk-Token"
ENROL_REFUSED = (
    "Ссылка подключения киоска уже использована или устарела. Попросите администратора выдать новую ссылку подключения."
)


class KioskError(ValueError):
    """A refusal with a Russian message for the admin."""


class EnrolmentRefused(ValueError):
    """An enrolment code that is unknown, used, expired or belongs to a disabled kiosk; nothing issued."""

    def __init__(self, message: str = ENROL_REFUSED) -> None:
        super().__init__(message)


def hash_token(token: str) -> str:
    """What is stored (and what the survey API looks up): sha256 hex of a device token or enrolment code."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(24)


def new_code() -> str:
    """A one-time enrolment code (144 random bits; it is in a URL, so it is good only once and briefly)."""
    return secrets.token_urlsafe(18)


def _check(name: str, inactivity_seconds: int) -> tuple[str, int]:
    name = (name or "").strip()
    if not name:
        raise KioskError("Укажите название киоска")
    if len(name) > 200:
        raise KioskError("Название не длиннее 200 знаков")
    try:
        seconds = int(inactivity_seconds)
    except (TypeError, ValueError):
        raise KioskError("Время бездействия — целое число секунд") from None
    if not INACTIVITY_MIN <= seconds <= INACTIVITY_MAX:
        raise KioskError(f"Время бездействия — от {INACTIVITY_MIN} до {INACTIVITY_MAX} секунд")
    return name, seconds


def register_kiosk(
    center_id: int, name: str, inactivity_seconds: int = 60, user: User | None = None, token: str | None = None
) -> tuple[Kiosk, str]:
    """Create a kiosk; returns it and its token, which is shown once and stored only hashed."""
    name, seconds = _check(name, inactivity_seconds)
    token = token or new_token()
    with write_transaction():
        center = db.session.get(Organisation, center_id)
        if center is None or center.kind != OrgKind.CENTER:
            raise KioskError("Киоск можно зарегистрировать только в ЦОК")
        kiosk = Kiosk(center_id=center.id, name=name, token_hash=hash_token(token), inactivity_seconds=seconds)
        db.session.add(kiosk)
        db.session.flush()
        audit.record("kiosk.register", kiosk, summary=center.code, **_who(user))
    return kiosk, token


def _who(user: User | None) -> dict:
    return {"user_id": user.id} if user is not None else {}


def enrol_hours() -> float:
    return float(current_app.config["KIOSK_ENROL_HOURS"])


def issue_enrolment(
    kiosk: Kiosk, user: User | None = None, revoke_device: bool = True, now: datetime | None = None
) -> str:
    """A one-time enrolment code for the kiosk (any earlier code stops working); returns it, stored hashed.

    With ``revoke_device`` (the admin's «Новая ссылка подключения») the current device token stops
    working at once and a disabled kiosk is active again; without it (a fresh demo link at start-up)
    the enrolled device keeps working until the new code is used.
    """
    code = new_code()
    now = now or utcnow()
    with write_transaction():
        kiosk.enrol_code_hash = hash_token(code)
        kiosk.enrol_expires_at = now + timedelta(hours=enrol_hours())
        if revoke_device:
            kiosk.token_hash = hash_token(new_token())  # a token nobody holds
            kiosk.active, kiosk.revoked_at = True, None
        audit.record(
            "kiosk.reissue" if revoke_device else "kiosk.enrol_link", kiosk, summary=kiosk.center.code, **_who(user)
        )
    return code


def reissue(kiosk: Kiosk, user: User | None = None) -> str:
    """A new enrolment code for the kiosk; the device's token stops working now; the kiosk is active again."""
    return issue_enrolment(kiosk, user, revoke_device=True)


def _pending(code: str, now: datetime) -> Any:
    if not code or len(code) > 128:
        return None
    return select(Kiosk).where(
        Kiosk.enrol_code_hash == hash_token(code),
        Kiosk.enrol_expires_at > now,
        Kiosk.active.is_(True),
        Kiosk.revoked_at.is_(None),
    )


def enrolment_kiosk(code: str, now: datetime | None = None) -> Kiosk | None:
    """The kiosk a still valid enrolment code belongs to, or None; reads only (a link preview burns nothing)."""
    query = _pending(code, now or utcnow())
    return db.session.scalar(query) if query is not None else None


def enrol(code: str, now: datetime | None = None) -> tuple[Kiosk, str]:
    """Exchange a valid enrolment code for a new device token: the code is used up, the kiosk's earlier
    token stops working. Raises :class:`EnrolmentRefused` (nothing changed) for any other code."""
    query = _pending(code, now or utcnow())
    if query is None:
        raise EnrolmentRefused()
    token = new_token()
    with write_transaction():
        # FOR UPDATE: of two simultaneous exchanges on PostgreSQL the second finds the code gone
        # (SQLite's BEGIN IMMEDIATE serialises them anyway).
        kiosk = db.session.scalar(query.with_for_update())
        if kiosk is None:
            raise EnrolmentRefused()
        kiosk.token_hash = hash_token(token)
        kiosk.enrol_code_hash = kiosk.enrol_expires_at = None
        audit.record("kiosk.enrol", kiosk, summary=kiosk.center.code)
    return kiosk, token


def revoke(kiosk: Kiosk, user: User | None = None) -> None:
    with write_transaction():
        kiosk.active, kiosk.revoked_at = False, utcnow()
        kiosk.enrol_code_hash = kiosk.enrol_expires_at = None
        audit.record("kiosk.revoke", kiosk, summary=kiosk.center.code, **_who(user))


AUTO_SURVEY = 0
"""The settings form's value for "the most recently assigned survey" (no pinned survey)."""


def update_settings(
    kiosk: Kiosk, name: str, inactivity_seconds: int, user: User | None = None, survey_id: int | None = None
) -> None:
    """Rename, change the idle reset and, when ``survey_id`` is given, pin that survey
    (``AUTO_SURVEY`` unpins it); the survey must be offered on this centre's kiosks."""
    name, seconds = _check(name, inactivity_seconds)
    if survey_id and survey_id not in {survey.id for survey in kiosk_surveys(kiosk.center_id)}:
        raise KioskError("Эта анкета не назначена на киоски этого ЦОК или еще не опубликована.")
    with write_transaction():
        kiosk.name, kiosk.inactivity_seconds = name, seconds
        if survey_id is not None:
            kiosk.survey_id = survey_id or None
        audit.record("kiosk.update", kiosk, summary=kiosk.center.code, **_who(user))


def kiosk_surveys(center_id: int) -> list[Survey]:
    """Surveys a kiosk of this centre may show: active `kiosk` assignments with a published version,
    the most recently assigned first."""
    published = exists().where(SurveyVersion.survey_id == Survey.id, SurveyVersion.status == "published")
    return list(
        db.session.scalars(
            select(Survey)
            .join(SurveyAssignment, SurveyAssignment.survey_id == Survey.id)
            .where(
                SurveyAssignment.center_id == center_id,
                SurveyAssignment.channel == "kiosk",
                SurveyAssignment.active.is_(True),
                published,
            )
            .order_by(SurveyAssignment.created_at.desc(), SurveyAssignment.id.desc())
        )
    )


def kiosk_survey(kiosk: Kiosk) -> Survey | None:
    """The survey this kiosk shows (see ``shown_survey``)."""
    return shown_survey(kiosk_surveys(kiosk.center_id), kiosk.survey_id)


def shown_survey(offered: list[Survey], pinned_id: int | None) -> Survey | None:
    """The pinned survey while it is still offered there, else the most recently assigned one."""
    pinned = next((survey for survey in offered if survey.id == pinned_id), None)
    return pinned or (offered[0] if offered else None)


def kiosk_by_token(token: str) -> Kiosk | None:
    """The active kiosk with this token, or None (unknown or revoked)."""
    if not token or len(token) > 128:
        return None
    kiosk = db.session.scalar(select(Kiosk).where(Kiosk.token_hash == hash_token(token)))
    if kiosk is None or not kiosk.active or kiosk.revoked_at is not None:
        return None
    return kiosk


@dataclass(frozen=True)
class KioskRef:
    """What a kiosk's POST needs of its kiosk: a plain value, safe to keep in the lookup cache."""

    id: int
    center_id: int
    center_code: str
    token_hash: str


def kiosk_ref_by_token(token: str) -> KioskRef | None:
    """Like :func:`kiosk_by_token`, from the short-lived lookup cache (:mod:`app.reviews.lookups`).

    Only registered kiosks are remembered, so random tokens cannot fill the cache. The write
    transaction of an entry checks again that the kiosk still holds this token (see ``submit_entry``).
    """
    if not token or len(token) > 128:
        return None
    digest = hash_token(token)
    return lookup_cache().get(("kiosk", digest), lambda: _load_kiosk_ref(digest), remember_missing=False)


def _load_kiosk_ref(digest: str) -> KioskRef | None:
    row = db.session.execute(
        select(Kiosk.id, Kiosk.center_id, Organisation.code, Kiosk.active, Kiosk.revoked_at)
        .join(Organisation, Organisation.id == Kiosk.center_id)
        .where(Kiosk.token_hash == digest)
    ).first()
    if row is None or not row.active or row.revoked_at is not None:
        return None
    return KioskRef(row.id, row.center_id, row.code, digest)


# A heartbeat writes the kiosk row every minute; only these columns decide who may post.
_ACCESS_FIELDS = ("token_hash", "active", "revoked_at", "center_id")


def _access_changed(kiosk: Kiosk) -> bool:
    state = inspect(kiosk)
    return any(state.attrs[name].history.has_changes() for name in _ACCESS_FIELDS)


def _kiosk_access_changed(obj: Any) -> bool:
    return isinstance(obj, Kiosk) and _access_changed(obj)


clear_on_commit(LOOKUPS, lambda obj: isinstance(obj, Kiosk), (Kiosk,), changed_dirty=_kiosk_access_changed)


def _queue_count(value: object) -> int:
    """A count the kiosk reports, clamped: anything absurd or unreadable is 0."""
    try:
        return max(0, min(int(value), 1_000_000))  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):  # OverflowError: an infinite float
        return 0


def heartbeat(kiosk: Kiosk, pending: object, refused: object = 0) -> None:
    """Record that the kiosk is alive, its queue waiting to be sent and the queued posts the server refused
    (kept on the kiosk and retried rarely: the admin page shows them)."""
    with write_transaction():
        kiosk.last_seen_at = utcnow()
        kiosk.pending_count = _queue_count(pending)
        kiosk.refused_count = _queue_count(refused)


@dataclass(frozen=True)
class KioskRow:
    kiosk: Kiosk
    silent: bool
    submissions_today: int


def _today_start_utc(now: datetime) -> datetime:
    zone = ZoneInfo(current_app.config["DEFAULT_CENTER_TIMEZONE"])
    local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def overview(now: datetime | None = None) -> list[KioskRow]:
    """Every kiosk with silence flag and today's submissions (survey responses + review entries)."""
    from app.surveys.models import Response

    now = now or utcnow()
    since = _today_start_utc(now)
    kiosks = list(
        db.session.scalars(
            select(Kiosk).join(Organisation, Organisation.id == Kiosk.center_id).order_by(Organisation.name, Kiosk.name)
        )
    )
    responses = dict(
        db.session.execute(
            select(Response.kiosk_id, func.count())
            .where(Response.kiosk_id.is_not(None), Response.submitted_at >= since)
            .group_by(Response.kiosk_id)
        ).all()
    )
    entries = dict(
        db.session.execute(
            select(ReviewEntry.kiosk_id, func.count())
            .where(ReviewEntry.kiosk_id.is_not(None), ReviewEntry.created_at >= since)
            .group_by(ReviewEntry.kiosk_id)
        ).all()
    )
    rows = []
    for kiosk in kiosks:
        silent = kiosk.active and (kiosk.last_seen_at is None or now - kiosk.last_seen_at > SILENT_AFTER)
        rows.append(KioskRow(kiosk, silent, int(responses.get(kiosk.id, 0)) + int(entries.get(kiosk.id, 0))))
    return rows
