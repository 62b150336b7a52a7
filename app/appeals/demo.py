"""Demo data of the registry: deadline rules, root causes and four quarters of appeals.

Idempotent: each part is created only when it is missing (appeals: when no ``demo`` appeal exists).
The appeals (about 6 000, 2025-10-01 … 2026-09-30) follow the company's proportions: about 4 %
complaints, mostly remote; most answered on time, some late or still overdue; promises mostly kept.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert, select

from app.appeals.models import DEMO_SOURCE, Appeal, AppealStatusChange, DeadlineRule, Promise, RootCause
from app.appeals.services import DeadlineResolver
from app.database import table_of, write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind, Topic, User

ROOT_CAUSES = [
    ("staff", "Ошибка или некорректное поведение персонала"),
    ("deadline", "Нарушение сроков исполнения"),
    ("network", "Состояние сетей и оборудования"),
    ("voltage", "Качество электроэнергии (отклонения напряжения)"),
    ("information", "Недостаточное информирование клиента"),
    ("metering", "Ошибки учета и начислений"),
    ("third_party", "Причина вне зоны ответственности компании"),
    ("unfounded", "Жалоба не подтвердилась"),
]
DEADLINE_RULES = [("complaint", None, 10, True), ("application", None, 15, True)]

START, DAYS, COUNT = date(2025, 10, 1), 365, 6000
BULK_ROWS = 2000  # appeals per insert statement group (and per progress line)
KIND_FORM = [
    (("complaint", "remote"), 34),
    (("complaint", "in_person"), 7.5),
    (("application", "remote"), 620),
    (("application", "in_person"), 315),
    (("application", "interactive"), 25),
]
TOPICS = {
    "complaint": [("connection", 2), ("transmission", 3), ("quality", 86), ("metering", 1), ("other", 8)],
    "application": [("connection", 24), ("transmission", 47), ("metering", 6), ("other", 23)],
}
CHANNELS = {
    "remote": [("phone", 70), ("letter", 15), ("email", 15)],
    "in_person": [("visit", 95), ("review_book", 5)],
    "interactive": [("web", 70), ("kiosk", 30)],
}
PROMISES = [
    "Перезвонить после проверки",
    "Провести замер напряжения",
    "Направить письменный ответ",
    "Заменить прибор учета",
    "Сообщить дату подключения",
]
T = TypeVar("T")
TEXTS = {"complaint": "Жалоба клиента (демонстрационная запись)", "application": "Заявление клиента (демонстрация)"}


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def seed_rules() -> int:
    created = 0
    with write_transaction():
        existing_rules = {(r.kind, r.topic_id) for r in db.session.scalars(select(DeadlineRule))}
        for kind, topic_id, days, working in DEADLINE_RULES:
            if (kind, topic_id) not in existing_rules:
                db.session.add(DeadlineRule(kind=kind, topic_id=topic_id, days=days, working_days=working))
                created += 1
        existing_causes = set(db.session.scalars(select(RootCause.code)))
        for code, name in ROOT_CAUSES:
            if code not in existing_causes:
                db.session.add(RootCause(code=code, name_ru=name))
                created += 1
    return created


def seed_appeals(now: datetime | None = None, log: Callable[[str], None] | None = None) -> int:
    """Four quarters of demo appeals with history, answers, promises and root causes.

    Rows are built as plain values and written with bulk inserts (a few statements per thousand rows):
    through the ORM's unit of work the 6 000 appeals and their 28 000 dependent rows took a minute.
    """
    if db.session.scalar(select(Appeal.id).where(Appeal.external_source == DEMO_SOURCE).limit(1)) is not None:
        return 0
    centers = list(
        db.session.scalars(
            select(Organisation).where(Organisation.kind == OrgKind.CENTER, Organisation.active.is_(True))
        )
    )
    topics = {t.code: t.id for t in db.session.scalars(select(Topic))}
    if not centers or not topics:
        return 0
    now = now or datetime(2026, 11, 26, 9, 0)
    operator = db.session.scalar(select(User).where(User.role == "operator").order_by(User.id).limit(1))
    user_id = operator.id if operator else None
    causes = {c.code: c.id for c in db.session.scalars(select(RootCause))}
    rng = random.Random(2026)
    weights = [rng.uniform(0.3, 3.0) for _ in centers]  # centres differ in size
    resolver = DeadlineResolver()
    appeals: list[dict[str, Any]] = []
    histories: list[list[dict[str, Any]]] = []
    promises: list[list[dict[str, Any]]] = []

    def change(before: str | None, after: str, at: datetime) -> dict[str, Any]:
        return {"from_status": before, "to_status": after, "at": at, "user_id": user_id, "note": ""}

    for number in range(COUNT):
        kind, form = _pick(rng, KIND_FORM)
        topic = _pick(rng, TOPICS[kind])
        channel = _pick(rng, CHANNELS[form])
        center = rng.choices(centers, weights)[0]
        day = START + timedelta(days=int(number * DAYS / COUNT))
        received = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=rng.randint(5, 14), minutes=rng.randint(0, 59)
        )
        topic_id = topics.get(topic, topics.get("other"))
        due = resolver.due(kind, topic_id, received, channel)
        appeal: dict[str, Any] = {
            "kind": kind,
            "form": form,
            "channel": channel,
            "topic_id": topic_id,
            "center_id": center.id,
            "received_at": received,
            "due_at": due,
            "status": "registered",
            "text": TEXTS[kind],
            "external_source": DEMO_SOURCE,
            "external_id": f"D{number + 1:05d}",
            "created_by_id": user_id,
            "led_to_contract": kind == "application" and topic in ("connection", "transmission") and rng.random() < 0.3,
            "created_at": received,
            "answer_summary": "",
            "answered_at": None,
            "closed_at": None,
            "root_cause_id": None,
        }
        history = [change(None, "registered", received)]
        roll = rng.random()
        if roll < 0.015 and due > now - timedelta(days=120):
            pass  # still registered: overdue now (old enough) or not yet due
        elif roll < 0.03:
            started = received + timedelta(hours=rng.randint(1, 48))
            appeal["status"] = "in_progress"
            history.append(change("registered", "in_progress", started))
        elif roll < 0.04:
            appeal["status"] = rng.choice(["rejected", "duplicate"])
            history.append(change("registered", appeal["status"], received + timedelta(hours=3)))
        else:
            late = rng.random() < 0.06
            span = (due - received).total_seconds()
            answered = (
                due + timedelta(days=rng.uniform(0.5, 10))
                if late
                else received + timedelta(seconds=span * rng.betavariate(2, 3))
            )
            started = received + (answered - received) * 0.2
            appeal.update(answer_summary="Клиенту дан ответ (демонстрация)", answered_at=answered, status="answered")
            history += [change("registered", "in_progress", started), change("in_progress", "answered", answered)]
            if rng.random() < 0.7:
                closed = answered + timedelta(days=rng.uniform(0.5, 5))
                code = rng.choice([c for c, _ in ROOT_CAUSES]) if kind == "complaint" else "information"
                appeal.update(status="closed", closed_at=closed, root_cause_id=causes.get(code))
                history.append(change("answered", "closed", closed))
        promise = []
        if rng.random() < (0.35 if kind == "complaint" else 0.08):
            promise_due = received + timedelta(days=rng.randint(2, 20))
            state_roll = rng.random()
            status = "kept" if state_roll < 0.8 else ("broken" if state_roll < 0.92 else "open")
            if promise_due > now:
                status = "open"
            promise.append(
                {
                    "text": rng.choice(PROMISES),
                    "due_at": promise_due,
                    "status": status,
                    "created_by_id": user_id,
                    "created_at": received,
                    "resolved_at": promise_due if status != "open" else None,
                }
            )
        appeals.append(appeal)
        histories.append(history)
        promises.append(promise)
    with write_transaction():
        # Core inserts without RETURNING (the ORM's bulk RETURNING path sorts rows back in quadratic time);
        # the new ids are then read back by their demo external numbers, which are unique.
        for start in range(0, COUNT, BULK_ROWS):
            db.session.execute(insert(table_of(Appeal)), appeals[start : start + BULK_ROWS])
            if log is not None:
                log(f"  обращения: {min(start + BULK_ROWS, COUNT)} из {COUNT}")
        id_of = dict(
            db.session.execute(select(Appeal.external_id, Appeal.id).where(Appeal.external_source == DEMO_SOURCE)).all()
        )
        for model, dependents in ((AppealStatusChange, histories), (Promise, promises)):
            rows = [
                {**row, "appeal_id": id_of[appeal["external_id"]]}
                for appeal, group in zip(appeals, dependents, strict=True)
                for row in group
            ]
            db.session.execute(insert(table_of(model)), rows)
    return COUNT


def seed(log: Callable[[str], None] = print) -> None:
    """Called by ``flask demo seed``: rules, root causes, appeals (each only if missing)."""
    created = seed_rules()
    if created:
        log(f"Обращения: добавлено правил сроков и коренных причин: {created}.")
    appeals = seed_appeals(log=log)
    if appeals:
        log(f"Обращения: добавлено демонстрационных обращений: {appeals}.")
