"""The effect of a change at a centre (or branch): difference-in-differences against comparison centres.

Used by ``flask analysis action-effect`` and by tracked corrective actions (page, PDF, API), so that
every effect a manager reads is judged the same way. The centre's own before/after (``naive_change``)
is shown beside the estimate, never instead of it: a centre chosen for a low score and a season when
every centre rises both make a bare before/after look like an improvement.

Rules (documented in README):

* Comparison: the other centres of the survey (for a branch: the centres of the other branches) with
  answers to the question in both windows, minus centres under another corrective action on the same
  survey and question whose span overlaps the windows; pooled by adding their answers (weighted by n).
  A company-wide scope has no comparison.
* An action's span, for that exclusion: from ``ANALYSIS_EFFECT_WINDOW_DAYS`` before ``started_on`` to the
  same number of days after ``done_on`` (still running: open-ended; cancelled: after ``started_on``).
* "Flagged as low": the centre's before value is below the comparison's. Then a sentence on regression
  to the mean is added, and for a single centre the expected regression (from the spread between the
  comparison centres, :func:`app.analysis.stats.did.regression_to_mean`) must not explain the change
  for the verdict to be "improved"/"worsened" (the same guard applies in both directions).
* Fewer than ``ANALYSIS_MIN_N`` answers at the centre or in the comparison in either window: verdict
  ``no_evidence`` with a note.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.analysis import measures, queries
from app.analysis.models import CorrectiveAction
from app.analysis.stats import did
from app.analysis.stats._base import to_jsonable
from app.extensions import db
from app.models import Organisation, OrgKind
from app.nav import format_number

METRICS = ("top2box", "mean", "nps")
VERDICT_TEXT = {
    "improved": "показатель вырос сильнее, чем в сравнительных ЦОК: мероприятие дало эффект",
    "worsened": "показатель снизился относительно сравнительных ЦОК",
    "no_evidence": "эффект не подтвержден: изменение не отличается от сравнительных ЦОК больше, чем допускает "
    "случайность",
    "no_comparison": "сравнить не с чем: эффект мероприятия отделить от общих изменений нельзя",
}


class EffectError(ValueError):
    """A request the effect cannot be computed for (Russian message)."""


def window_days() -> int:
    return int(current_app.config["ANALYSIS_EFFECT_WINDOW_DAYS"])


def default_windows(introduced: date, days: int | None = None) -> tuple[queries.Period, queries.Period]:
    """``days`` days before ``introduced`` and ``days`` days from it."""
    days = days or window_days()
    return (
        queries.Period(introduced - timedelta(days=days), introduced - timedelta(days=1)),
        queries.Period(introduced, introduced + timedelta(days=days - 1)),
    )


def metrics_for(info: measures.QuestionInfo) -> tuple[str, ...]:
    """Metrics that fit a question, the default first: ratings top-2-box or mean, NPS questions NPS or mean."""
    if info.type == "nps":
        return ("nps", "mean")
    if info.is_score:
        return ("top2box", "mean")
    return ()


def action_effect(
    slug: str,
    scope_code: str,
    question: str,
    introduced: date,
    before: queries.Period | None = None,
    after: queries.Period | None = None,
    metric: str | None = None,
    *,
    confidence: float | None = None,
) -> dict[str, Any]:
    """The effect of a change introduced on ``introduced`` at ``scope_code`` (the CLI's contract)."""
    from app.org.services import find_org

    survey = queries.survey_by_slug(slug or "")
    if survey is None:
        raise EffectError(f"Анкета «{slug}» не найдена")
    scope = find_org(scope_code or "")
    if scope is None:
        raise EffectError(f"ЦОК или филиал «{scope_code}» не найден")
    info = measures.question_catalogue(queries.survey_definitions(survey)).get(question)
    if info is None:
        raise EffectError(f"В анкете «{slug}» нет вопроса «{question}»")
    default_before, default_after = default_windows(introduced)
    return effect_for(
        survey.id, slug, info, scope, before or default_before, after or default_after, metric, confidence=confidence
    )


def effect_for(
    survey_id: int,
    slug: str,
    info: measures.QuestionInfo,
    scope: Organisation,
    before: queries.Period,
    after: queries.Period,
    metric: str | None = None,
    *,
    exclude_action_id: int | None = None,
    confidence: float | None = None,
) -> dict[str, Any]:
    """Difference-in-differences of ``scope`` against its comparison centres (see the module docstring)."""
    allowed = metrics_for(info)
    if not allowed:
        raise EffectError(f"Вопрос «{info.code}» не шкальный: эффект по нему не оценивается")
    metric = metric or allowed[0]
    if metric not in allowed:
        names = {"top2box": "доля «4»+«5» (top2box)", "mean": "среднее (mean)", "nps": "NPS (nps)"}
        raise EffectError(
            f"Показатель «{metric}» не подходит к вопросу «{info.code}»; можно: " + ", ".join(names[m] for m in allowed)
        )
    if before.end >= after.start:
        raise EffectError("Период «до» должен закончиться раньше, чем начнется период «после»")
    confidence = float(confidence or current_app.config["ANALYSIS_CONFIDENCE"])
    min_n = max(int(current_app.config["ANALYSIS_MIN_N"]), 2)
    tree = queries.org_tree()
    all_centres = {o.id: o for o in tree.values() if o.kind == OrgKind.CENTER}
    treated, candidates, label = _groups(scope, all_centres, tree)
    busy = _busy_centres(
        slug, info.code, queries.Period(before.start, after.end), exclude_action_id, all_centres, tree
    ) - set(treated)

    frame = queries.value_counts(survey_id, [before.bounds(), after.bounds()], None, [info.code])
    counts: dict[int, dict[int, Counter]] = {0: {}, 1: {}}
    for (period, center_id), by_code in measures.nest_counts(frame).items():
        counts[int(period)][int(center_id)] = by_code.get(info.code, Counter())

    def size(window: int, cid: int) -> int:
        return _n(metric, info, counts[window].get(cid))

    comparison = [cid for cid in candidates if cid not in busy and size(0, cid) > 0 and size(1, cid) > 0]
    excluded = sorted(all_centres[c].code for c in busy if c in candidates)
    pooled = {w: {"center": _pool(counts[w], treated), "comparison": _pool(counts[w], comparison)} for w in (0, 1)}
    summary = {w: {side: _summary(metric, info, pooled[w][side]) for side in ("center", "comparison")} for w in (0, 1)}

    result: dict[str, Any] = {
        "method": "difference_in_differences",
        "metric": metric,
        "center": scope.code,
        "question": info.code,
        "before": {"from": before.start.isoformat(), "to": before.end.isoformat(), "label": before.label, **summary[0]},
        "after": {"from": after.start.isoformat(), "to": after.end.isoformat(), "label": after.label, **summary[1]},
        "naive_change": _change(summary, "center"),
        "comparison_change": _change(summary, "comparison"),
        "estimate": None,
        "ci": None,
        "p_value": None,
        "verdict": "no_evidence",
        "comparison_centers": sorted(all_centres[c].code for c in comparison),
        "regression_to_mean": None,
        "comparison_names": sorted(all_centres[c].name for c in comparison),
        # Additional fields (the contract allows more, never renamed ones).
        "survey": slug,
        "scope": scope.kind.value if isinstance(scope.kind, OrgKind) else str(scope.kind),
        "center_name": scope.name,
        "question_text": info.text,
        "unit": _UNIT[metric],
        "confidence": confidence,
        "se": None,
        "min_n": min_n,
        "excluded_centers": excluded,
        "rtm": None,
        "note": None,
        "verdict_text": "",
    }
    if not comparison:
        result["verdict"] = "no_comparison"
        result["note"] = (
            "Мероприятие охватывает всю компанию: сравнить не с чем, поэтому изменение может быть "
            "общим для всей сети (например, сезонным)."
            if scope.kind == OrgKind.COMPANY
            else "Нет сравнительных ЦОК с ответами на этот вопрос в обоих периодах (или у всех них были "
            "свои мероприятия по этому показателю): эффект отделить от общих изменений нельзя."
        )
    else:
        sizes = [summary[w][side]["n"] for w in (0, 1) for side in ("center", "comparison")]
        result["regression_to_mean"] = _rtm_sentence(summary, metric, label)
        if min(sizes) < min_n:
            result["note"] = (
                f"Мало ответов для оценки эффекта: {label['own']} — до {sizes[0]}, после {sizes[2]}; "
                f"сравнительные ЦОК — до {sizes[1]}, после {sizes[3]}; нужно не меньше {min_n} "
                "в каждом периоде."
            )
        else:
            _estimate(result, metric, info, pooled, counts[0], comparison, scope, confidence)
    result["verdict_text"] = VERDICT_TEXT[result["verdict"]]
    return to_jsonable(result)


_UNIT = {"top2box": "share", "mean": "scale", "nps": "points"}


def _groups(
    scope: Organisation, centres: Mapping[int, Organisation], tree: Mapping[int, Organisation]
) -> tuple[list[int], list[int], dict[str, str]]:
    """(treated centre ids, candidate comparison ids, Russian words for the treated unit)."""
    if scope.kind == OrgKind.CENTER:
        return [scope.id], [c for c in centres if c != scope.id], {"own": "ЦОК", "own_gen": "ЦОК"}
    if scope.kind == OrgKind.BRANCH:
        own = [c for c, o in centres.items() if queries.branch_id_of(o, tree) == scope.id]
        return own, [c for c in centres if c not in own], {"own": "ЦОК филиала", "own_gen": "филиала"}
    return list(centres), [], {"own": "компания", "own_gen": "компании"}


def _covered(
    owner: Organisation | None, centres: Mapping[int, Organisation], tree: Mapping[int, Organisation]
) -> set[int]:
    if owner is None:
        return set()
    if owner.kind == OrgKind.CENTER:
        return {owner.id}
    if owner.kind == OrgKind.BRANCH:
        return {c for c, o in centres.items() if queries.branch_id_of(o, tree) == owner.id}
    return set(centres)


def action_span(action: CorrectiveAction, days: int) -> queries.Period | None:
    """The days an action can influence answers (see the module docstring); None before it starts."""
    if action.started_on is None:
        return None
    start = action.started_on - timedelta(days=days)
    if action.done_on is not None:
        end = action.done_on + timedelta(days=days - 1)
    elif action.status == "cancelled":
        end = action.started_on + timedelta(days=days - 1)
    else:
        end = date.max
    return queries.Period(start, max(end, start))


def _busy_centres(
    slug: str,
    code: str,
    span: queries.Period,
    exclude_action_id: int | None,
    centres: Mapping[int, Organisation],
    tree: Mapping[int, Organisation],
) -> set[int]:
    """Centres under another corrective action on the same survey and question overlapping ``span``."""
    days = window_days()
    busy: set[int] = set()
    query = select(CorrectiveAction).where(
        CorrectiveAction.survey_slug == slug, CorrectiveAction.metric == code, CorrectiveAction.started_on.is_not(None)
    )
    for action in db.session.scalars(query):
        if action.id == exclude_action_id:
            continue
        other = action_span(action, days)
        if other is not None and other.start <= span.end and span.start <= other.end:
            busy |= _covered(tree.get(action.owner_id), centres, tree)
    return busy


def _pool(by_centre: Mapping[int, Counter], ids: Iterable[int]) -> Counter:
    pooled: Counter = Counter()
    for cid in ids:
        pooled.update(by_centre.get(cid) or {})
    return pooled


def _n(metric: str, info: measures.QuestionInfo, counts: Mapping[Any, int] | None) -> int:
    if metric == "nps":
        return sum(measures.nps_categories(counts))
    return sum(measures.numeric_counts(counts).values())


def _group(metric: str, info: measures.QuestionInfo, counts: Mapping[Any, int] | None) -> did.Group | None:
    n = _n(metric, info, counts)
    if n == 0 or (metric == "mean" and n < 2):
        return None
    if metric == "top2box":
        return did.share_group(*measures.top2_k_n(info, counts))
    if metric == "nps":
        return did.nps_group(*measures.nps_categories(counts))
    return did.mean_group_from_counts(measures.numeric_counts(counts))


def _summary(metric: str, info: measures.QuestionInfo, counts: Mapping[Any, int]) -> dict[str, Any]:
    n = _n(metric, info, counts)
    if n == 0:
        return {"n": 0, "value": None}
    if metric == "mean":
        return {"n": n, "value": measures.plain_mean(counts)}
    group = _group(metric, info, counts)
    return {"n": n, "value": group.value if group else None}


def _change(summary: Mapping[int, Mapping[str, Mapping[str, Any]]], side: str) -> float | None:
    a, b = summary[1][side]["value"], summary[0][side]["value"]
    return a - b if a is not None and b is not None else None


def _estimate(
    result: dict[str, Any],
    metric: str,
    info: measures.QuestionInfo,
    pooled: Mapping[int, Mapping],
    before_by_centre: Mapping[int, Counter],
    comparison: list[int],
    scope: Organisation,
    confidence: float,
) -> None:
    groups = [_group(metric, info, pooled[w][side]) for w in (0, 1) for side in ("center", "comparison")]
    centre_before, comparison_before, centre_after, comparison_after = groups
    # The caller estimates only when every group has min_n answers, so none is None here.
    assert centre_before is not None and comparison_before is not None
    assert centre_after is not None and comparison_after is not None
    res = did.difference_in_differences(
        centre_before,
        centre_after,
        comparison_before,
        comparison_after,
        measure={"top2box": "share"}.get(metric, metric),
        confidence=confidence,
    )
    rtm = None
    if scope.kind == OrgKind.CENTER:
        units = [_group(metric, info, before_by_centre.get(cid)) for cid in comparison]
        rtm = did.regression_to_mean(res, [u for u in units if u is not None])
    direction = did.verdict_direction(res, rtm)
    result.update(
        estimate=res.estimate,
        ci=res.ci.to_list(),
        p_value=res.p_value,
        se=res.se,
        naive_change=res.naive_change,
        comparison_change=res.comparison_change,
        verdict={"up": "improved", "down": "worsened"}.get(direction or "", "no_evidence"),
        rtm=rtm.to_dict() if rtm is not None else None,
    )
    if direction is None and res.direction is not None:
        result["note"] = (
            "Разница со сравнительными ЦОК выходит за пределы случайности, но ее может объяснить "
            "регрессия к среднему: вывод о влиянии мероприятия сделать нельзя."
        )
    if rtm is not None and result["regression_to_mean"] and abs(rtm.expected_shift) > 0:
        result["regression_to_mean"] += (
            f" По разбросу между ЦОК такой возврат к среднему ожидается около "
            f"{_fmt(rtm.expected_shift, metric, change=True)}; вывод это учитывает."
        )


def _fmt(value: float | None, metric: str, change: bool = False) -> str:
    if value is None:
        return "—"
    if metric == "top2box":
        text, suffix = (
            format_number(abs(value) * 100 if change else value * 100, 1),
            ("\u00a0п.\u00a0п." if change else "\u00a0%"),
        )
    else:
        text, suffix = format_number(abs(value) if change else value, 1 if metric == "nps" else 2), ""
    if change:
        sign = "+" if value > 0 else ("\u2212" if value < 0 else "")
        return f"{sign}{text}{suffix}"
    return f"{text.replace('-', chr(0x2212))}{suffix}"


def _rtm_sentence(
    summary: Mapping[int, Mapping[str, Mapping[str, Any]]], metric: str, label: Mapping[str, str]
) -> str | None:
    """The regression-to-the-mean sentence when the treated unit was below the comparison before."""
    own, other = summary[0]["center"]["value"], summary[0]["comparison"]["value"]
    if own is None or other is None or own >= other:
        return None
    naive = _change(summary, "center")
    return (
        f"До мероприятия показатель {label['own_gen']} ({_fmt(own, metric)}) был ниже, чем в сравнительных "
        f"ЦОК ({_fmt(other, metric)}). Те, кого выбрали из-за низкого результата, обычно и без мер "
        f"приближаются к среднему (регрессия к среднему), поэтому собственное изменение "
        f"({_fmt(naive, metric, change=True)}) само по себе эффектом мероприятия не является."
    )
