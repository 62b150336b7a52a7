"""Admin-editable configuration of the registry: deadline rules, root causes, topics, regulator rows."""

from __future__ import annotations

from sqlalchemy import select

from app import audit
from app.appeals.models import CHANNELS, KINDS, DeadlineRule, RootCause
from app.appeals.report import REGULATOR_ROWS, REGULATOR_SETTING_KEY
from app.appeals.services import WRITTEN_DEADLINE_KEY, AppealError
from app.database import write_transaction
from app.extensions import db
from app.models import Setting, Topic, utcnow


def save_deadline_rule(kind: str, topic_id: int | None, days: int, working_days: bool) -> DeadlineRule:
    """Create or replace the rule of (kind, topic); new appeals use it, registered ones keep their date."""
    if kind not in KINDS:
        raise AppealError("Неизвестный вид обращения")
    if not 1 <= days <= 365:
        raise AppealError("Срок должен быть от 1 до 365 дней")
    if topic_id is not None and db.session.get(Topic, topic_id) is None:
        raise AppealError("Неизвестная тема")
    with write_transaction():
        query = select(DeadlineRule).where(DeadlineRule.kind == kind)
        query = query.where(DeadlineRule.topic_id.is_(None) if topic_id is None else DeadlineRule.topic_id == topic_id)
        rule = db.session.scalar(query)
        if rule is None:
            rule = DeadlineRule(kind=kind, topic_id=topic_id)
            db.session.add(rule)
        rule.days, rule.working_days = days, working_days
        db.session.flush()
        unit = "раб." if working_days else "кал."
        audit.record("appeal.deadline_rule", rule, summary=f"{kind}/{topic_id}: {days} {unit}")
    return rule


def delete_deadline_rule(rule: DeadlineRule) -> None:
    with write_transaction():
        audit.record("appeal.deadline_rule_delete", rule, summary=f"{rule.kind}/{rule.topic_id}")
        db.session.delete(rule)


def save_written_term(days: int, working_days: bool) -> None:
    if not 1 <= days <= 365:
        raise AppealError("Срок должен быть от 1 до 365 дней")
    _save_setting(WRITTEN_DEADLINE_KEY, {"days": days, "working_days": working_days}, "appeal.written_term")


def save_root_cause(cause: RootCause | None, code: str, name_ru: str, active: bool) -> RootCause:
    code = code.strip().lower()
    if not code or not name_ru.strip():
        raise AppealError("Код и название обязательны")
    with write_transaction():
        clash = db.session.scalar(select(RootCause).where(RootCause.code == code))
        if clash is not None and clash is not cause:
            raise AppealError(f"Код «{code}» уже занят")
        if cause is None:
            cause = RootCause(code=code)
            db.session.add(cause)
        cause.code, cause.name_ru, cause.active = code, name_ru.strip(), active
        db.session.flush()
        audit.record("appeal.root_cause_edit", cause, summary=code)
    return cause


def save_topic(topic: Topic | None, code: str, name_ru: str, name_en: str, sort_order: int, active: bool) -> Topic:
    """Topics are shared with the review book; they are deactivated, never deleted."""
    code = code.strip().lower()
    if not code or not name_ru.strip():
        raise AppealError("Код и название обязательны")
    with write_transaction():
        clash = db.session.scalar(select(Topic).where(Topic.code == code))
        if clash is not None and clash is not topic:
            raise AppealError(f"Код «{code}» уже занят")
        if topic is None:
            topic = Topic(code=code)
            db.session.add(topic)
        topic.code, topic.name_ru, topic.name_en = code, name_ru.strip(), name_en.strip()
        topic.sort_order, topic.active = sort_order, active
        db.session.flush()
        audit.record("topic.edit", topic, summary=code)
    return topic


def save_regulator_map(mapping: dict[str, str]) -> None:
    clean = {channel: row for channel, row in mapping.items() if channel in CHANNELS and row in REGULATOR_ROWS}
    _save_setting(REGULATOR_SETTING_KEY, clean, "appeal.regulator_rows")


def _save_setting(key: str, value: object, action: str) -> None:
    with write_transaction():
        setting = db.session.get(Setting, key)
        if setting is None:
            setting = Setting(key=key, value=value)
            db.session.add(setting)
        else:
            setting.value = value
            setting.updated_at = utcnow()
        audit.record(action, summary=key)
