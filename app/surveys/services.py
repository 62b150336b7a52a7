"""Survey business rules: versions (draft → published → closed), assignments and idempotent submission.

Published definitions never change, so their parsed form is cached in-process by version; the
submission path costs one idempotency read, one version read, one centre read and one write
transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import string
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from app import audit
from app.database import write_transaction
from app.extensions import db
from app.models import Contact, Organisation, OrgKind, Topic, User, utcnow
from app.surveys.models import CHANNELS, Answer, Response, Survey, SurveyAssignment, SurveyVersion
from app.surveys.schema import DefinitionError, SurveyDefinition, definition_changes, validate_definition
from app.surveys.schema import validate_submission as _validate_submission

log = logging.getLogger("otklik.surveys")

CONSENT_VERSION = "survey-callback-2026-01"
CONSENT_TEXT = (
    "Я даю согласие {company} (оператор персональных данных) на обработку моих персональных данных — "
    "фамилии, имени, отчества, номера телефона и адреса электронной почты, указанных в этой форме, — "
    "в соответствии с Федеральным законом от 27.07.2006 № 152-ФЗ «О персональных данных». "
    "Цель обработки: связаться со мной по поводу моего отзыва об обслуживании и ответить на него. "
    "Действия с данными: сбор, запись, хранение, использование, уточнение, удаление; без передачи третьим "
    "лицам. Данные хранятся отдельно от ответов на вопросы анкеты. "
    "Срок действия согласия: до достижения цели обработки, но не более одного года с даты его "
    "предоставления, после чего данные удаляются. "
    "Я могу отозвать согласие в любой момент, направив заявление в любой центр обслуживания клиентов или "
    "по электронной почте оператора; после отзыва мои данные будут удалены в течение 30 дней."
)

SHORT_CODE_ALPHABET = string.ascii_lowercase.replace("l", "") + "23456789"


class SurveyError(ValueError):
    """A domain error with a Russian message."""


class SurveyNotFound(SurveyError):
    def __init__(self, message: str = "Анкета не найдена"):
        super().__init__(message)


class SurveyClosed(SurveyError):
    def __init__(self, message: str = "Опрос завершен и больше не принимает ответы"):
        super().__init__(message)


class InvalidDefinition(SurveyError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("Анкета содержит ошибки:\n" + "\n".join(errors))


class InvalidSubmission(SurveyError):
    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("Ответы содержат ошибки: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))


class SubmissionConflict(SurveyError):
    def __init__(self, message: str = "Ответ с этим идентификатором уже сохранен с другим содержимым. "
                                      "Создайте новый идентификатор отправки."):
        super().__init__(message)


@dataclass(frozen=True)
class SubmissionResult:
    response_id: int
    created: bool


def consent_text(company: str | None = None) -> str:
    """The full 152-ФЗ consent text of version :data:`CONSENT_VERSION`."""
    if company is None:
        try:
            from flask import current_app

            company = current_app.config.get("COMPANY_NAME")
        except RuntimeError:
            company = None
    return CONSENT_TEXT.format(company=company or "ПАО «МРСК Центра»")


# --------------------------------------------------------------------------- definitions cache

_cache_lock = threading.Lock()
_parsed: dict[tuple[str, int, str], SurveyDefinition] = {}


def _cache_key(version: SurveyVersion) -> tuple[str, int, str]:
    # The database URL and publication time keep test databases (ids reused) apart.
    return (str(db.engine.url), version.id, str(version.published_at))


def definition_of(version: SurveyVersion) -> SurveyDefinition:
    """The parsed definition of a version; published ones are cached (they never change)."""
    if version.status == "draft":
        return _parse(version.definition)
    key = _cache_key(version)
    found = _parsed.get(key)
    if found is None:
        found = _parse(version.definition)
        with _cache_lock:
            if len(_parsed) > 1000:
                _parsed.clear()
            _parsed[key] = found
    return found


def _parse(doc: dict[str, Any]) -> SurveyDefinition:
    try:
        return validate_definition(doc)
    except DefinitionError as exc:
        raise InvalidDefinition(exc.errors) from None


# --------------------------------------------------------------------------- versions


def get_survey(slug: str) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def latest_version(survey: Survey) -> SurveyVersion:
    return survey.versions[-1]


def create_survey(definition: dict[str, Any], user: User | None = None) -> Survey:
    """A new survey with its draft version 1; the slug comes from the definition and must be unique."""
    defn = _parse(definition)
    with write_transaction():
        if get_survey(defn.slug) is not None:
            raise InvalidDefinition([f"slug: анкета с кодом «{defn.slug}» уже существует"])
        survey = Survey(slug=defn.slug, title=defn.title["ru"][:300], created_by_id=user.id if user else None)
        survey.versions.append(SurveyVersion(number=1, status="draft", definition=definition))
        db.session.add(survey)
        db.session.flush()
        audit.record("survey.create", survey, summary=defn.slug, **_user(user))
    return survey


def _user(user: User | None) -> dict[str, Any]:
    return {"user_id": user.id} if user is not None else {}


def draft_for_edit(survey: Survey, user: User | None = None) -> SurveyVersion:
    """The survey's draft, created from the latest version when there is none (published stays frozen)."""
    latest = latest_version(survey)
    if latest.status == "draft":
        return latest
    with write_transaction():
        draft = SurveyVersion(number=latest.number + 1, status="draft",
                              definition=json.loads(json.dumps(latest.definition)))
        survey.versions.append(draft)
        db.session.flush()
        audit.record("survey.new_draft", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    return draft


def save_draft(survey: Survey, definition: dict[str, Any], user: User | None = None) -> SurveyVersion:
    """Validate and store the draft's definition (a new draft if needed); the slug cannot change.

    Returns the draft version; ``version.warnings`` (list[str], not stored) holds the
    :func:`definition_changes` warnings against the last published version.
    """
    defn = _parse(definition)
    if defn.slug != survey.slug:
        raise InvalidDefinition([f"slug: код анкеты нельзя изменить (был «{survey.slug}»)"])
    draft = draft_for_edit(survey, user)
    published = [v for v in survey.versions if v.status != "draft"]
    warnings = definition_changes(published[-1].definition, definition) if published else []
    with write_transaction():
        draft.definition = definition
        survey.title = defn.title["ru"][:300]
        audit.record("survey.save", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    draft.warnings = warnings  # type: ignore[attr-defined]
    return draft


def publish(survey: Survey, user: User | None = None) -> SurveyVersion:
    """Freeze the draft as the published version; the previously published one becomes closed."""
    draft = latest_version(survey)
    if draft.status != "draft":
        raise SurveyError("Нет черновика для публикации: сначала измените анкету")
    _parse(draft.definition)
    now = utcnow()
    with write_transaction():
        for version in survey.versions:
            if version.status == "published":
                version.status, version.closed_at = "closed", now
        draft.status, draft.published_at = "published", now
        audit.record("survey.publish", survey, summary=f"{survey.slug} v{draft.number}", **_user(user))
    return draft


def close(survey: Survey, user: User | None = None) -> None:
    """Stop accepting answers: the published version becomes closed."""
    now = utcnow()
    with write_transaction():
        changed = False
        for version in survey.versions:
            if version.status == "published":
                version.status, version.closed_at = "closed", now
                changed = True
        if not changed:
            raise SurveyError("Анкета не опубликована")
        audit.record("survey.close", survey, summary=survey.slug, **_user(user))


def duplicate(survey: Survey, new_slug: str, user: User | None = None) -> Survey:
    """A new survey (draft v1) with a copy of the latest definition under another slug."""
    definition = json.loads(json.dumps(latest_version(survey).definition))
    definition["slug"] = new_slug
    return create_survey(definition, user)


def published_version(slug: str) -> SurveyVersion | None:
    """The published version of a survey (definition column loaded lazily; parse with definition_of)."""
    return db.session.scalar(
        select(SurveyVersion)
        .join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Survey.slug == slug, SurveyVersion.status == "published")
        .options(defer(SurveyVersion.definition))
    )


def published_version_for(survey_id: int) -> SurveyVersion | None:
    return db.session.scalar(
        select(SurveyVersion)
        .where(SurveyVersion.survey_id == survey_id, SurveyVersion.status == "published")
        .options(defer(SurveyVersion.definition))
    )


def require_published(slug: str) -> tuple[SurveyVersion, SurveyDefinition]:
    """The published version and its parsed definition, or SurveyNotFound / SurveyClosed."""
    version = published_version(slug)
    if version is None:
        if get_survey(slug) is not None and _has_closed(slug):
            raise SurveyClosed()
        raise SurveyNotFound()
    return version, definition_of(version)


def _has_closed(slug: str) -> bool:
    return db.session.scalar(
        select(SurveyVersion.id).join(Survey, Survey.id == SurveyVersion.survey_id)
        .where(Survey.slug == slug, SurveyVersion.status == "closed").limit(1)
    ) is not None


# --------------------------------------------------------------------------- assignments


def _new_short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(8))


def assign(survey: Survey, center_ids: Iterable[int], channels: Iterable[str],
           user: User | None = None) -> list[SurveyAssignment]:
    """Offer the survey at these centres on these channels; existing assignments are reactivated."""
    channels = list(dict.fromkeys(channels))
    if bad := [c for c in channels if c not in CHANNELS]:
        raise SurveyError(f"Неизвестный канал: {', '.join(bad)}")
    center_ids = list(dict.fromkeys(int(c) for c in center_ids))
    result: list[SurveyAssignment] = []
    with write_transaction():
        valid = set(db.session.scalars(select(Organisation.id).where(
            Organisation.id.in_(center_ids), Organisation.kind == OrgKind.CENTER)))
        if missing := [c for c in center_ids if c not in valid]:
            raise SurveyError(f"Неизвестные ЦОК: {', '.join(map(str, missing))}")
        existing = {(a.center_id, a.channel): a for a in db.session.scalars(
            select(SurveyAssignment).where(SurveyAssignment.survey_id == survey.id))}
        used = set(db.session.scalars(select(SurveyAssignment.short_code)))
        for center_id in center_ids:
            for channel in channels:
                found = existing.get((center_id, channel))
                if found is None:
                    code = _new_short_code()
                    while code in used:
                        code = _new_short_code()
                    used.add(code)
                    found = SurveyAssignment(survey_id=survey.id, center_id=center_id, channel=channel,
                                             short_code=code)
                    db.session.add(found)
                found.active = True
                result.append(found)
        db.session.flush()
        audit.record("survey.assign", survey, summary=survey.slug, centers=len(center_ids), channels=channels,
                     **_user(user))
    return result


def assignment_by_code(code: str) -> SurveyAssignment | None:
    return db.session.scalar(
        select(SurveyAssignment).where(SurveyAssignment.short_code == (code or "").strip().lower())
        .options(joinedload(SurveyAssignment.survey), joinedload(SurveyAssignment.center))
    )


def survey_for_center(center_id: int, channel: str) -> Survey | None:
    """The survey offered at a centre on a channel: the main one first, then the newest assignment."""
    return db.session.scalar(
        select(Survey).join(SurveyAssignment, SurveyAssignment.survey_id == Survey.id)
        .join(SurveyVersion, SurveyVersion.survey_id == Survey.id)
        .where(SurveyAssignment.center_id == center_id, SurveyAssignment.channel == channel,
               SurveyAssignment.active.is_(True), SurveyVersion.status == "published")
        .order_by(Survey.is_main.desc(), SurveyAssignment.id.desc()).limit(1)
    )


# --------------------------------------------------------------------------- submission


def body_hash(slug: str, center: Any, channel: str, answers: Any) -> str:
    """sha256 of the canonical JSON of the request body fields (without the submission id)."""
    canonical = json.dumps({"slug": slug, "center": str(center), "channel": channel, "answers": answers},
                           sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_submission_id(value: Any) -> str:
    if not isinstance(value, str) or not 8 <= len(value.strip()) <= 64:
        raise InvalidSubmission({"client_submission_id": "Нужен идентификатор отправки (UUID)"})
    value = value.strip()
    if not all(ch.isalnum() or ch in "-_" for ch in value) or not value.isascii():
        raise InvalidSubmission({"client_submission_id": "Идентификатор отправки содержит недопустимые символы"})
    return value


def new_submission_id() -> str:
    return str(uuid.uuid4())


def _existing(client_submission_id: str) -> tuple[int, str] | None:
    row = db.session.execute(
        select(Response.id, Response.body_hash).where(Response.client_submission_id == client_submission_id)
    ).first()
    return (row[0], row[1]) if row else None


def _resolve_center(center: str | int) -> int:
    if isinstance(center, int) and not isinstance(center, bool):
        found = db.session.scalar(select(Organisation.id).where(
            Organisation.id == center, Organisation.kind == OrgKind.CENTER))
    elif isinstance(center, str):
        from app.org.services import find_center

        org = find_center(center)
        found = org.id if org is not None else None
    else:
        found = None
    if found is None:
        raise InvalidSubmission({"center": "Неизвестный центр обслуживания"})
    return found


def submit_response(*, slug: str, center: str | int, channel: str, answers: dict[str, Any],
                    client_submission_id: str, duration_seconds: int | None = None,
                    kiosk_id: int | None = None) -> SubmissionResult:
    """Validate and store one submission exactly once.

    Same ``client_submission_id`` and body → the original id (created=False), even if the survey was
    closed since; same id with another body → :class:`SubmissionConflict`.
    """
    submission_id = _check_submission_id(client_submission_id)
    digest = body_hash(slug, center, channel, answers)
    prior = _existing(submission_id)
    if prior is not None:
        return _replay(prior, digest)
    version, defn = require_published(slug)
    if channel not in CHANNELS:
        raise InvalidSubmission({"channel": "Неизвестный канал"})
    center_id = _resolve_center(center)
    clean, errors = _validate_submission(defn, answers)
    if errors:
        raise InvalidSubmission(errors)
    if duration_seconds is not None:
        try:
            duration_seconds = max(0, min(int(duration_seconds), 86400))
        except (TypeError, ValueError, OverflowError):
            duration_seconds = None
    try:
        with write_transaction():
            response_id = _store(version, defn, center_id, channel, clean, submission_id, digest,
                                 duration_seconds, kiosk_id)
    except IntegrityError:
        # A concurrent post with the same id won the race: answer as a retry.
        prior = _existing(submission_id)
        if prior is None:
            raise
        return _replay(prior, digest)
    return SubmissionResult(response_id, True)


def _replay(prior: tuple[int, str], digest: str) -> SubmissionResult:
    if prior[1] != digest:
        raise SubmissionConflict()
    return SubmissionResult(prior[0], False)


def answer_rows(defn: SurveyDefinition, clean: dict[str, Any]) -> list[dict[str, Any]]:
    """Tidy answer rows (question_code, value_num, option_code, text) of clean answers; contact excluded."""
    rows: list[dict[str, Any]] = []
    for q in defn.questions():
        if q.type == "contact":
            continue
        if q.type == "matrix":
            rows += [{"question_code": r.code, "value_num": float(clean[r.code])} for r in q.rows if r.code in clean]
            continue
        if q.code not in clean:
            continue
        value = clean[q.code]
        if q.type in ("rating", "nps", "ces", "number"):
            rows.append({"question_code": q.code, "value_num": float(value)})
        elif q.type == "yes_no":
            rows.append({"question_code": q.code, "value_num": 1.0 if value else 0.0})
        elif q.type in ("single_choice", "dropdown"):
            rows.append({"question_code": q.code, "option_code": value,
                         "text": clean.get(q.code + "__other") if value == "other" else None})
        elif q.type == "multi_choice":
            rows += [{"question_code": q.code, "option_code": code,
                      "text": clean.get(q.code + "__other") if code == "other" else None} for code in value]
        else:  # text, date (ISO)
            rows.append({"question_code": q.code, "text": str(value)})
    return rows


def _store(version: SurveyVersion, defn: SurveyDefinition, center_id: int, channel: str, clean: dict[str, Any],
           submission_id: str, digest: str, duration: int | None, kiosk_id: int | None) -> int:
    now = utcnow()
    response = Response(client_submission_id=submission_id, body_hash=digest, survey_id=version.survey_id,
                        version_id=version.id, center_id=center_id, channel=channel, kiosk_id=kiosk_id,
                        submitted_at=now, duration_seconds=duration)
    contact = clean.get("contact") if defn.contact_question() is not None else None
    if contact and contact.get("consent") is True:
        record = Contact(name=contact["name"], phone=contact["phone"], email=contact["email"],
                         purpose="survey_callback", consent_version=CONSENT_VERSION, consented_at=now)
        db.session.add(record)
        db.session.flush()
        response.contact_id = record.id
    db.session.add(response)
    db.session.flush()  # IntegrityError here when the same id was stored concurrently
    db.session.add_all(Answer(response_id=response.id, survey_id=version.survey_id, center_id=center_id,
                              submitted_at=now, **row) for row in answer_rows(defn, clean))
    if response.contact_id is not None:
        _close_the_loop(response, defn, clean, now)
    return response.id


def loop_rule_matched(defn: SurveyDefinition, clean: dict[str, Any]) -> Any | None:
    """The first close-the-loop rule whose question was answered at or below its threshold."""
    for rule in defn.loop_rules():
        value = clean.get(rule.question)
        if isinstance(value, int | float) and not isinstance(value, bool) and value <= rule.at_or_below:
            return rule
    return None


def _close_the_loop(response: Response, defn: SurveyDefinition, clean: dict[str, Any], now: datetime) -> None:
    """Open an appeal for a low score from a customer who agreed to be contacted (if appeals exist)."""
    rule = loop_rule_matched(defn, clean)
    if rule is None:
        return
    try:
        from app.appeals.services import create_appeal_in_session
    except ImportError:
        return
    topic_code = "other"
    if rule.topic_question and isinstance(clean.get(rule.topic_question), str):
        wanted = clean[rule.topic_question]
        if db.session.scalar(select(Topic.id).where(Topic.code == wanted, Topic.active.is_(True))) is not None:
            topic_code = wanted
    lines = [f"Низкая оценка в опросе «{defn.title['ru']}»: {rule.question} = {clean[rule.question]}."]
    for q in defn.questions():
        if q.type == "text" and clean.get(q.code):
            lines.append(f"{defn.text(q.text)}: {clean[q.code]}")
    try:
        with db.session.begin_nested():
            appeal = create_appeal_in_session(
                kind="application", form="interactive", channel="kiosk" if response.channel == "kiosk" else "web",
                topic_code=topic_code, center_id=response.center_id, received_at=now, text="\n".join(lines),
                contact_id=response.contact_id, external_source="survey", external_id=str(response.id), user=None)
            response.appeal_id = appeal.id
            audit.record("survey.close_the_loop", appeal, summary=f"response {response.id}")
    except Exception:  # noqa: BLE001 - the customer's answers must be stored even if the appeal is not
        log.exception("close the loop failed for response %s", response.id)


__all__ = [
    "CONSENT_VERSION",
    "InvalidDefinition",
    "InvalidSubmission",
    "SubmissionConflict",
    "SubmissionResult",
    "SurveyClosed",
    "SurveyError",
    "SurveyNotFound",
    "assign",
    "assignment_by_code",
    "close",
    "consent_text",
    "create_survey",
    "definition_of",
    "draft_for_edit",
    "duplicate",
    "publish",
    "published_version",
    "require_published",
    "save_draft",
    "submit_response",
    "survey_for_center",
]
