"""Corrective actions: a recommendation becomes tracked work; its effect is judged against comparison centres
(:mod:`app.analysis.effects`) once it has started."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from app import audit
from app.analysis import effects, measures, queries
from app.analysis.models import ACTION_STATUSES, CorrectiveAction
from app.analysis.report_model import ActionRow, ReportCore
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, User


class ActionError(ValueError):
    """A refused change of a corrective action (Russian message)."""


def create_action(
    *,
    title: str,
    owner: Organisation,
    metric: str,
    survey_slug: str | None,
    finding: str = "",
    evidence: dict[str, Any] | None = None,
    priority: float = 0.0,
    due_date: date | None = None,
    user: User | None = None,
) -> CorrectiveAction:
    """Create a planned corrective action (from a recommendation or by hand), audited."""
    title = (title or "").strip()
    if not title:
        raise ActionError("Укажите, что нужно сделать")
    if not metric:
        raise ActionError("Не указан показатель, по которому оценивается эффект")
    with write_transaction():
        action = CorrectiveAction(
            title=title[:4000],
            finding=(finding or "")[:4000],
            evidence=evidence or {},
            survey_slug=survey_slug,
            metric=metric[:64],
            owner_id=owner.id,
            due_date=due_date,
            priority=float(priority or 0.0),
            status="planned",
            created_by_id=user.id if user else None,
        )
        db.session.add(action)
        db.session.flush()
        audit.record("analysis.action.create", action, summary=f"{owner.code}: {metric}")
    return action


def set_status(action: CorrectiveAction, status: str, on: date | None = None) -> CorrectiveAction:
    """planned → in_progress → done (or cancelled); records started_on and done_on."""
    if status not in ACTION_STATUSES:
        raise ActionError("Неизвестный статус")
    if action.status in ("done", "cancelled") and status != action.status:
        raise ActionError("Завершенное или отмененное мероприятие нельзя изменить")
    day = on or date.today()
    with write_transaction():
        previous = action.status
        action.status = status
        if status in ("in_progress", "done") and action.started_on is None:
            action.started_on = day
        if status == "done":
            if action.started_on and day < action.started_on:
                raise ActionError("Дата завершения раньше даты начала")
            action.done_on = day
        audit.record("analysis.action.status", action, summary=f"{previous} → {status}")
    return action


def effect_windows(action: CorrectiveAction, today: date | None = None) -> tuple[queries.Period, queries.Period] | None:
    """Before: ``ANALYSIS_EFFECT_WINDOW_DAYS`` days just before ``started_on``; after: from ``done_on`` (still
    running: from ``started_on``) for as many days, cut at ``today``. None until the after window has a day."""
    if action.status not in ("in_progress", "done") or not action.started_on:
        return None
    today = today or date.today()
    window = effects.window_days()
    after_start = action.done_on if action.status == "done" and action.done_on else action.started_on
    after_end = min(after_start + timedelta(days=window - 1), today)
    if after_end < after_start:
        return None
    before_end = action.started_on - timedelta(days=1)
    return queries.Period(before_end - timedelta(days=window - 1), before_end), queries.Period(after_start, after_end)


def evaluate_effect(
    action: CorrectiveAction, confidence: float | None = None, today: date | None = None
) -> dict[str, Any]:
    """The action's effect by :func:`app.analysis.effects.effect_for` (difference-in-differences against
    comparison centres; a branch against the other branches' centres; company-wide: no comparison).

    Keeps ``evaluated``, ``significant`` and ``direction`` ("up"/"down"/None, from the verdict) for readers
    of the old before/after effect; ``note`` says why nothing was computed.
    """
    result: dict[str, Any] = {
        "metric": action.metric,
        "status": action.status,
        "evaluated": False,
        "note": None,
        "significant": False,
        "direction": None,
    }
    windows = effect_windows(action, today)
    if windows is None:
        result["note"] = (
            "Эффект оценивается после начала мероприятия."
            if not action.started_on or action.status not in ("in_progress", "done")
            else "Период после мероприятия еще не наступил."
        )
        return result
    survey = queries.survey_by_slug(action.survey_slug or "")
    if survey is None:
        result["note"] = "Мероприятие не связано с анкетой: эффект по ответам не оценивается."
        return result
    info = measures.question_catalogue(queries.survey_definitions(survey)).get(action.metric)
    owner = db.session.get(Organisation, action.owner_id)
    if info is None or not effects.metrics_for(info) or owner is None:
        result["note"] = "Показатель не является шкальным вопросом анкеты."
        return result
    effect = effects.effect_for(
        survey.id, survey.slug, info, owner, *windows, exclude_action_id=action.id, confidence=confidence
    )
    effect.update(
        status=action.status,
        evaluated=effect["estimate"] is not None,
        significant=effect["verdict"] in ("improved", "worsened"),
        direction={"improved": "up", "worsened": "down"}.get(effect["verdict"]),
    )
    return effect


def action_dict(action: CorrectiveAction, with_effect: bool = True) -> dict[str, Any]:
    owner = action.owner
    return {
        "id": action.id,
        "title": action.title,
        "finding": action.finding,
        "center": owner.code if owner else None,
        "owner_name": owner.name if owner else None,
        "metric": action.metric,
        "survey": action.survey_slug,
        "status": action.status,
        "status_label": ACTION_STATUSES.get(action.status, action.status),
        "priority": action.priority,
        "due_date": action.due_date.isoformat() if action.due_date else None,
        "started_on": action.started_on.isoformat() if action.started_on else None,
        "done_on": action.done_on.isoformat() if action.done_on else None,
        "effect": (evaluate_effect(action) if with_effect and action.status in ("in_progress", "done") else None),
    }


def visible_actions(
    center_ids: Sequence[int] | None, survey_slug: str | None = None, scope: Organisation | None = None
) -> list[CorrectiveAction]:
    """Actions owned by the given centres, their branches or the scope itself (None = all)."""
    query = select(CorrectiveAction).order_by(
        CorrectiveAction.status, CorrectiveAction.priority.desc(), CorrectiveAction.id.desc()
    )
    if survey_slug:
        query = query.where(CorrectiveAction.survey_slug == survey_slug)
    if center_ids is not None:
        owners = set(center_ids)
        tree = queries.org_tree()
        for cid in center_ids:
            parent = tree[cid].parent_id if cid in tree else None
            if parent:
                owners.add(parent)
        if scope is not None:
            owners.add(scope.id)
        query = query.where(CorrectiveAction.owner_id.in_(owners))
    return list(db.session.scalars(query))


def actions_for_report(report: ReportCore, center_ids: Sequence[int]) -> list[ActionRow]:
    """Corrective actions of the report's survey within its scope, with the effect of finished ones."""
    ids = None if report.scope == "company" else list(center_ids)
    from app.org.services import find_org

    scope = find_org(report.scope_code) if ids is not None else None
    return [ActionRow.model_validate(action_dict(a)) for a in visible_actions(ids, report.survey, scope)]
