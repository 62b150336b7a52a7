"""Corrective actions: a recommendation becomes tracked work, and its effect is measured when done."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import audit
from app.analysis import measures, queries
from app.analysis.models import ACTION_STATUSES, CorrectiveAction
from app.analysis.stats import nps as nps_stats
from app.analysis.stats import proportions
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, User

EFFECT_WINDOW_DAYS = 90


class ActionError(ValueError):
    """A refused change of a corrective action (Russian message)."""


def create_action(*, title: str, owner: Organisation, metric: str, survey_slug: str | None, finding: str = "",
                  evidence: dict[str, Any] | None = None, priority: float = 0.0, due_date: date | None = None,
                  user: User | None = None) -> CorrectiveAction:
    """Create a planned corrective action (from a recommendation or by hand), audited."""
    title = (title or "").strip()
    if not title:
        raise ActionError("Укажите, что нужно сделать")
    if not metric:
        raise ActionError("Не указан показатель, по которому оценивается эффект")
    with write_transaction():
        action = CorrectiveAction(title=title[:4000], finding=(finding or "")[:4000], evidence=evidence or {},
                                  survey_slug=survey_slug, metric=metric[:64], owner_id=owner.id,
                                  due_date=due_date, priority=float(priority or 0.0), status="planned",
                                  created_by_id=user.id if user else None)
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
    """Before: the days just before ``started_on``; after: from the day after ``done_on``; same length
    (up to ``ANALYSIS_EFFECT_WINDOW_DAYS``, shortened to the days elapsed since completion)."""
    if action.status != "done" or not action.started_on or not action.done_on:
        return None
    today = today or date.today()
    window = int(current_app.config.get("ANALYSIS_EFFECT_WINDOW_DAYS", EFFECT_WINDOW_DAYS))
    after_start = action.done_on + timedelta(days=1)
    after_end = min(action.done_on + timedelta(days=window), today)
    if after_end < after_start:
        return None
    length = (after_end - after_start).days + 1
    before_end = action.started_on - timedelta(days=1)
    return queries.Period(before_end - timedelta(days=length - 1), before_end), queries.Period(after_start, after_end)


def evaluate_effect(action: CorrectiveAction, confidence: float | None = None,
                    today: date | None = None) -> dict[str, Any]:
    """Top-2-box (or NPS) of the action's metric among the owner's centres, before against after."""
    confidence = float(confidence or current_app.config.get("ANALYSIS_CONFIDENCE", 0.95))
    result: dict[str, Any] = {"metric": action.metric, "status": action.status, "evaluated": False, "note": None}
    windows = effect_windows(action, today)
    if windows is None:
        result["note"] = "Эффект оценивается после завершения мероприятия."
        return result
    before, after = windows
    result.update(before=before.to_dict(), after=after.to_dict())
    survey = queries.survey_by_slug(action.survey_slug or "")
    if survey is None:
        result["note"] = "Мероприятие не связано с анкетой: эффект по ответам не оценивается."
        return result
    info = measures.question_catalogue(queries.survey_definitions(survey)).get(action.metric)
    if info is None or not (info.is_score or info.type == "nps"):
        result["note"] = "Показатель не является шкальным вопросом анкеты."
        return result
    owner = db.session.get(Organisation, action.owner_id)
    center_ids = [c.id for c in queries.scope_centers(owner)] if owner and owner.kind != "company" else None
    counts = []
    for window in (before, after):
        frame = queries.value_counts(survey.id, [window.bounds()], center_ids, [action.metric])
        counts.append(measures.merge_counts(measures.nest_counts(frame).values()).get(action.metric))
    min_n = int(current_app.config.get("ANALYSIS_MIN_N", 30))
    if info.is_score:
        (k1, n1), (k2, n2) = measures.top2_k_n(info, counts[0]), measures.top2_k_n(info, counts[1])
        result.update(measure="top2box", n_before=n1, n_after=n2)
        if min(n1, n2) < min_n:
            result["note"] = f"Мало ответов для оценки эффекта (до: {n1}, после: {n2}; нужно не меньше {min_n})."
            return result
        test = proportions.two_proportion_ztest(k2, n2, k1, n1, confidence)
        result.update(before_value=k1 / n1, after_value=k2 / n2, difference=test.extra["difference"],
                      difference_ci=test.extra["difference_ci"], test=test.test, statistic=test.statistic,
                      p_value=test.p_value)
    else:
        a, b = measures.nps_estimate(counts[1], confidence), measures.nps_estimate(counts[0], confidence)
        n1, n2 = (b.n if b else 0), (a.n if a else 0)
        result.update(measure="nps", n_before=n1, n_after=n2)
        if min(n1, n2) < min_n:
            result["note"] = f"Мало ответов для оценки эффекта (до: {n1}, после: {n2}; нужно не меньше {min_n})."
            return result
        test = nps_stats.nps_difference(a, b, confidence)
        result.update(before_value=b.nps, after_value=a.nps, difference=test.extra["difference"],
                      difference_ci=test.extra["difference_ci"], test=test.test, statistic=test.statistic,
                      p_value=test.p_value)
    result["evaluated"] = True
    result["significant"] = result["p_value"] < 1 - confidence
    result["direction"] = (("up" if result["difference"] > 0 else "down") if result["significant"] else None)
    return result


def action_dict(action: CorrectiveAction, with_effect: bool = True) -> dict[str, Any]:
    owner = action.owner
    return {"id": action.id, "title": action.title, "finding": action.finding, "center": owner.code if owner else None,
            "owner_name": owner.name if owner else None, "metric": action.metric, "survey": action.survey_slug,
            "status": action.status, "status_label": ACTION_STATUSES.get(action.status, action.status),
            "priority": action.priority, "due_date": action.due_date.isoformat() if action.due_date else None,
            "started_on": action.started_on.isoformat() if action.started_on else None,
            "done_on": action.done_on.isoformat() if action.done_on else None,
            "effect": evaluate_effect(action) if with_effect and action.status == "done" else None}


def visible_actions(center_ids: Sequence[int] | None, survey_slug: str | None = None,
                    scope: Organisation | None = None) -> list[CorrectiveAction]:
    """Actions owned by the given centres, their branches or the scope itself (None = all)."""
    query = select(CorrectiveAction).order_by(CorrectiveAction.status, CorrectiveAction.priority.desc(),
                                              CorrectiveAction.id.desc())
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


def actions_for_report(report: dict[str, Any], center_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Corrective actions of the report's survey within its scope, with the effect of finished ones."""
    ids = None if report["scope"] == "company" else list(center_ids)
    from app.org.services import find_org

    scope = find_org(report["scope_code"]) if ids is not None else None
    return [action_dict(a) for a in visible_actions(ids, report["survey"], scope)]
