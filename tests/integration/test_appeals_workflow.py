"""Registration, deadlines from rules, workflow transitions, promises and corrective actions."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.appeals import services
from app.appeals.models import Appeal, AppealStatusChange, DeadlineRule, Promise, RootCause
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, Setting, Topic
from app.org.services import find_center


def _register(**overrides) -> Appeal:
    fields = {
        "kind": "complaint",
        "form": "remote",
        "channel": "phone",
        "topic_code": "quality",
        "center_id": find_center("KUR").id,
        "received_at": datetime(2026, 12, 30, 9, 0),
    }
    fields.update(overrides)
    return services.register_appeal(**fields)


def _topic_id(code: str) -> int:
    return db.session.scalar(select(Topic.id).where(Topic.code == code))


def _cause() -> RootCause:
    with write_transaction():
        cause = RootCause(code="staff", name_ru="Ошибка персонала")
        db.session.add(cause)
    return cause


def test_registration_computes_the_deadline_and_records_history(org, make_user):
    operator = make_user("operator", "KUR")
    appeal = _register(user=operator)
    # Default for complaints: 10 working days. From 30.12.2026: 11–15.01 and 18–22.01.2027 → 22.01.2027
    # 23:59:59 Moscow = 20:59:59 UTC.
    assert appeal.due_at == datetime(2027, 1, 22, 20, 59, 59)
    assert appeal.status == "registered"
    assert [(h.from_status, h.to_status, h.user_id) for h in appeal.history] == [(None, "registered", operator.id)]
    assert (
        db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "appeal.register"))
        == 1
    )


def test_deadline_rules_and_the_written_appeal_term(org):
    quality = _topic_id("quality")
    received = datetime(2026, 12, 30, 9, 0)
    # A letter without a rule: 30 calendar days → 29.01.2027 (Friday).
    assert services.compute_due("application", quality, received, "letter") == datetime(2027, 1, 29, 20, 59, 59)
    with write_transaction():
        db.session.add(DeadlineRule(kind="complaint", topic_id=None, days=5, working_days=True))
        db.session.add(DeadlineRule(kind="complaint", topic_id=quality, days=3, working_days=False))
    # Kind rule: 5 working days across the New Year holidays → 15.01.2027.
    assert services.compute_due("complaint", _topic_id("other"), received, "phone") == datetime(2027, 1, 15, 20, 59, 59)
    # A letter: the written term beats the kind rule …
    assert services.compute_due("complaint", _topic_id("other"), received, "letter") == datetime(
        2027, 1, 29, 20, 59, 59
    )
    # … but a topic rule beats everything: 3 calendar days = 02.01.2027, a holiday → 11.01.2027.
    assert services.compute_due("complaint", quality, received, "letter") == datetime(2027, 1, 11, 20, 59, 59)
    with write_transaction():
        db.session.add(Setting(key=services.WRITTEN_DEADLINE_KEY, value={"days": 10, "working_days": True}))
    assert services.compute_due("application", quality, received, "letter") == datetime(2027, 1, 22, 20, 59, 59)


def test_registration_refuses_bad_values_and_duplicate_external_ids(org):
    with pytest.raises(services.AppealError, match="тема"):
        _register(topic_code="nope")
    with pytest.raises(services.AppealError, match="ЦОК"):
        _register(center_id=find_center("KUR").parent_id)
    with pytest.raises(services.AppealError):
        _register(kind="praise")
    _register(external_source="mail", external_id="A-1")
    with pytest.raises(services.AppealError, match="A-1"):
        _register(external_source="mail", external_id="A-1")
    _register(external_source="web", external_id="A-1")  # unique per source only
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 2


def test_create_in_session_belongs_to_the_callers_transaction(org):
    with pytest.raises(RuntimeError), write_transaction():
        services.create_appeal_in_session(
            kind="application",
            form="in_person",
            channel="review_book",
            topic_code="other",
            center_id=find_center("KUR").id,
            received_at=datetime(2026, 5, 5, 10, 0),
        )
        raise RuntimeError("the caller fails later")
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0
    with write_transaction():
        appeal = services.create_appeal_in_session(
            kind="application",
            form="in_person",
            channel="review_book",
            topic_code="other",
            center_id=find_center("KUR").id,
            received_at=datetime(2026, 5, 5, 10, 0),
        )
        assert appeal.id is not None
    assert db.session.scalar(select(func.count()).select_from(AppealStatusChange)) == 1


def test_full_workflow_with_history(org, make_user):
    operator = make_user("operator", "KUR")
    cause = _cause()
    appeal = _register()
    services.change_status(appeal, "in_progress", operator)
    with pytest.raises(services.AppealError, match="содержание ответа"):
        services.answer(appeal, "   ", operator)
    services.answer(appeal, "Напряжение восстановлено", operator)
    assert appeal.status == "answered" and appeal.answered_at is not None
    with pytest.raises(services.AppealError, match="коренной причины"):
        services.change_status(appeal, "closed", operator)
    services.close(appeal, cause.id, operator, "проверено")
    assert appeal.status == "closed" and appeal.root_cause_id == cause.id and appeal.closed_at is not None
    history = db.session.scalars(
        select(AppealStatusChange).where(AppealStatusChange.appeal_id == appeal.id).order_by(AppealStatusChange.id)
    ).all()
    assert [(h.from_status, h.to_status) for h in history] == [
        (None, "registered"),
        ("registered", "in_progress"),
        ("in_progress", "answered"),
        ("answered", "closed"),
    ]
    assert all(h.user_id == operator.id for h in history[1:])
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"appeal.status", "appeal.answer"} <= actions


def test_answer_from_registered_takes_the_appeal_into_work(org):
    appeal = _register()
    services.answer(appeal, "Ответ", None)
    assert [h.to_status for h in appeal.history] == ["registered", "in_progress", "answered"]


@pytest.mark.parametrize(
    "path, illegal",
    [
        ([], "closed"),
        ([], "answered"),
        (["in_progress"], "registered"),
        (["rejected"], "in_progress"),
        (["duplicate"], "closed"),
        (["in_progress", "answered_", "closed_"], "in_progress"),
    ],
)
def test_illegal_transitions_are_refused(org, path, illegal):
    cause = _cause()
    appeal = _register()
    for step in path:
        if step == "answered_":
            services.answer(appeal, "Ответ", None)
        elif step == "closed_":
            services.close(appeal, cause.id, None)
        else:
            services.change_status(appeal, step, None)
    before = appeal.status
    with pytest.raises(services.IllegalTransition, match="Нельзя"):
        services.change_status(appeal, illegal, None)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == before


def test_reopening_an_answered_appeal(org):
    appeal = _register()
    services.answer(appeal, "Ответ", None)
    services.change_status(appeal, "in_progress", None, "клиент не согласен")
    assert appeal.status == "in_progress" and appeal.answered_at is None


def test_promises_kept_broken_and_overdue(org, make_user):
    operator = make_user("operator", "KUR")
    appeal = _register()
    kept = services.add_promise(appeal, "Перезвонить", datetime(2027, 1, 10, 9, 0), operator)
    broken = services.add_promise(appeal, "Заменить счетчик", datetime(2027, 1, 12, 9, 0), operator)
    pending = services.add_promise(appeal, "Замер", datetime(2027, 1, 20, 9, 0), operator)
    with pytest.raises(services.AppealError):
        services.add_promise(appeal, "  ", datetime(2027, 1, 20), operator)
    services.resolve_promise(kept, True, operator)
    services.resolve_promise(broken, False, operator)
    with pytest.raises(services.AppealError, match="уже"):
        services.resolve_promise(kept, False, operator)
    assert (kept.status, broken.status) == ("kept", "broken")
    assert kept.resolved_at is not None
    assert services.promise_state(pending, now=datetime(2027, 1, 15)) == "open"
    assert services.promise_state(pending, now=datetime(2027, 1, 21)) == "overdue"
    assert db.session.scalar(select(func.count()).select_from(Promise)) == 3
    cause = _cause()
    services.answer(appeal, "Ответ", operator)
    services.close(appeal, cause.id, operator)
    with pytest.raises(services.AppealError, match="закрытому"):
        services.add_promise(appeal, "Еще", datetime(2027, 2, 1), operator)


def test_link_corrective_action(org):
    from app.analysis.models import CorrectiveAction

    appeal = _register()
    with pytest.raises(services.AppealError, match="не найдено"):
        services.link_corrective_action(appeal, 999, None)
    with write_transaction():
        action = CorrectiveAction(title="Замена трансформатора", metric="complaints", owner_id=find_center("KUR").id)
        db.session.add(action)
    services.link_corrective_action(appeal, action.id, None)
    assert appeal.corrective_action_id == action.id
    services.link_corrective_action(appeal, None, None)
    assert appeal.corrective_action_id is None


def test_overdue_flag(org):
    appeal = _register()
    assert not services.is_overdue(appeal, now=datetime(2027, 1, 22, 20, 0))
    assert services.is_overdue(appeal, now=datetime(2027, 1, 22, 21, 0))
    services.answer(appeal, "Ответ", None)
    assert not services.is_overdue(appeal, now=datetime(2027, 3, 1))
