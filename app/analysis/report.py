"""The satisfaction report: one typed :class:`~app.analysis.report_model.SatisfactionReport` that the HTML
page, CSV, JSON and PDF all render.

``build_report`` asks :mod:`app.analysis.queries` for aggregated counts (the database does the
``GROUP BY``), feeds them to the pure functions of :mod:`app.analysis.stats` and assembles the
sections, each a function returning its typed result. Numbers are never rounded here; rounding is a
display concern.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app

from app.analysis import measures, operations, queries
from app.analysis.measures import QuestionInfo, merge_counts, nest_counts
from app.analysis.report_inputs import ReportInputs, RespondentSample
from app.analysis.report_model import (
    BranchRow,
    CenterRow,
    ChannelsSection,
    Comparison,
    DecisionBasis,
    DriversSection,
    MethodsSection,
    MonthlySection,
    PreviousSection,
    QuestionMeasure,
    Recommendation,
    RecommendationFamily,
    ReliabilityBlock,
    ReportCore,
    SampleSizes,
    SatisfactionReport,
    TrendN,
    TrendSection,
)
from app.analysis.stats import drivers as drivers_stats
from app.analysis.stats import groups, multiple, nps, proportions, samplesize, trend
from app.models import Organisation, OrgKind
from app.spreadsheet import neutralise_cell

TREND_QUARTERS = 4
MIN_N_FLOOR = 10  # below this a single respondent could make a centre "significant"
MONTHLY_MONTHS = 12
# A centre's sample-size need: ±5 points on the top-2-box share at 95 %, at its own share from 30 answers on.
SAMPLE_SIZE_MARGIN = 0.05
SAMPLE_SIZE_CONFIDENCE = 0.95
SAMPLE_SIZE_OWN_MIN = 30
# The channel mix "moved" only when the change is significant AND some channel's share changed this much.
MIX_MIN_CHANGE = 0.05


class ReportError(ValueError):
    """A request that cannot give a report (unknown survey, bad period); Russian message."""


def _cfg(key: str, default: Any) -> Any:
    return current_app.config.get(key, default)


def _resolve_scope(scope: Organisation | str | None) -> Organisation | None:
    if isinstance(scope, str) and scope.strip().lower() == "company":  # as the report's own "scope" says
        return None
    if isinstance(scope, str):
        from app.org.services import find_org

        found = find_org(scope)
        if found is None:
            raise ReportError(f"Подразделение «{scope}» не найдено")
        return found
    return scope


def build_report(
    slug: str,
    date_from: date,
    date_to: date,
    scope: Organisation | str | None = None,
    min_n: int | None = None,
    confidence: float | None = None,
    previous: bool = True,
) -> SatisfactionReport:
    """Build the report for a survey, a period (dates included) and a scope (None = the company).

    Each section is a function of the :class:`ReportInputs` and of the typed sections it uses; the
    recommendations read the decision basis (:class:`DecisionBasis`, built as :func:`build_decisions` builds
    it), the methods and sample sizes what the sections counted."""
    ctx = _report_inputs(slug, date_from, date_to, scope, min_n, confidence)
    basis, sample = _decision_basis(ctx, previous)
    trend_part = trend_section(ctx)
    described = {
        "trend": trend_part,
        "monthly": monthly_section(ctx),
        "channels": channels_section(ctx),
        "reliability": reliability_section(ctx, sample),
        "ranking": operations.ranking_section(
            ctx, basis.centers, basis.branches, basis.appeals, basis.complaints_control
        ),
    }
    fields = {**dict(basis), **described}
    core = ReportCore(**{key: fields[key] for key in REPORT_KEYS})
    from app.analysis import actions, recommend

    recommendations, family = recommend.recommendations_section(core)
    return SatisfactionReport(
        **{key: getattr(core, key) for key in REPORT_KEYS},
        recommendations=recommendations,
        actions=actions.actions_for_report(core, ctx.center_ids_all),
        methods=methods_section(ctx, sample is not None and sample.capped, family),
        sample_sizes=sample_sizes_section(ctx, basis.previous, trend_part, basis.drivers, sample),
    )


# The report's JSON keys in the order it has always had (a consumer diffing two reports sees only changes):
# the sections that only describe sit among those the recommendations read.
REPORT_KEYS = (
    "survey",
    "survey_title",
    "period",
    "scope",
    "scope_code",
    "scope_name",
    "scope_kind",
    "confidence",
    "min_n",
    "n_responses",
    "notes",
    "scale_changes",
    "questions",
    "centers",
    "branches",
    "comparisons",
    "previous",
    "trend",
    "monthly",
    "channels",
    "drivers",
    "reliability",
    "appeals",
    "complaints_control",
    "ranking",
)


@dataclass(frozen=True)
class Decisions:
    """What a manager is told to act on, and the figures and tests it was drawn from."""

    basis: DecisionBasis
    recommendations: list[Recommendation]
    family: RecommendationFamily


def build_decisions(
    slug: str,
    date_from: date,
    date_to: date,
    scope: Organisation | str | None = None,
    min_n: int | None = None,
    confidence: float | None = None,
    previous: bool = True,
) -> Decisions:
    """The recommendations of :func:`build_report` for the same arguments, without the sections that only
    describe (trend, months, channels, reliability, ranking, actions): the same sections and the same rules,
    about a third less work, for checks that need many reports' decisions (the null control)."""
    ctx = _report_inputs(slug, date_from, date_to, scope, min_n, confidence)
    basis, _sample = _decision_basis(ctx, previous)
    from app.analysis import recommend

    recommendations, family = recommend.recommendations_section(basis)
    return Decisions(basis, recommendations, family)


def _report_inputs(
    slug: str,
    date_from: date,
    date_to: date,
    scope: Organisation | str | None,
    min_n: int | None,
    confidence: float | None,
) -> ReportInputs:
    """The arguments checked (a :class:`ReportError` in Russian for each bad one), the aggregates brought up
    to date, and everything the report reads fetched once."""
    min_n = int(_cfg("ANALYSIS_MIN_N", 30) if min_n is None else min_n)
    if min_n < MIN_N_FLOOR:
        raise ReportError(
            f"Минимальный размер группы — не меньше {MIN_N_FLOOR} ответов: по меньшему числу выводы о ЦОК ненадежны"
        )
    confidence = float(_cfg("ANALYSIS_CONFIDENCE", 0.95) if confidence is None else confidence)
    if not 0 < confidence < 1:
        raise ReportError("Уровень доверия должен быть между 0 и 1")
    survey = queries.survey_by_slug(slug)
    if survey is None:
        raise ReportError(f"Анкета «{slug}» не найдена")
    try:
        period = queries.Period(date_from, date_to)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    resolved = _resolve_scope(scope)
    # Count the responses stored since the last refresh (cheap when cron keeps up); reads are exact either way.
    from app.analysis.aggregates import refresh_aggregates

    refresh_aggregates(survey.id)
    return ReportInputs(survey, period, resolved, min_n, confidence)


def _decision_basis(ctx: ReportInputs, previous: bool) -> tuple[DecisionBasis, RespondentSample | None]:
    """The sections the recommendations read, and the respondent sample the drivers were computed on."""
    scope, survey = ctx.scope, ctx.survey
    notes = ["За выбранный период в этой области нет ответов на анкету."] if ctx.n_total == 0 else []
    notes.extend(change["note"] for change in ctx.scale_changes)
    centers = centers_section(ctx)
    branches = branches_section(ctx)
    previous_part = previous_section(ctx) if previous else None
    sample = respondent_sample(ctx)
    drivers = drivers_section(ctx, sample)
    appeals = operations.appeals_section(ctx)
    control = operations.complaints_control(ctx)
    basis = DecisionBasis(
        survey=survey.slug,
        survey_title=survey.title,
        period=ctx.period.to_dict(),
        scope="company" if scope is None or scope.kind == OrgKind.COMPANY else scope.code,
        scope_code=scope.code if scope is not None else _company_code(),
        scope_name=scope.name if scope is not None else _cfg("COMPANY_NAME", ""),
        scope_kind=scope.kind if scope is not None else OrgKind.COMPANY.value,
        confidence=ctx.confidence,
        min_n=ctx.min_n,
        n_responses=ctx.n_total,
        notes=notes,
        scale_changes=ctx.scale_changes,
        questions=questions_section(ctx),
        centers=centers,
        branches=branches,
        comparisons=comparisons_section(ctx),
        previous=previous_part,
        drivers=drivers,
        appeals=appeals,
        complaints_control=control,
    )
    return basis, sample


def _company_code() -> str:
    from app.org.services import company

    root = company()
    return root.code if root is not None else "company"


# ------------------------------------------------------------------ sections


def questions_section(ctx: ReportInputs) -> dict[str, QuestionMeasure]:
    """Every question of the survey over the whole scope (text questions: count and masked samples)."""
    out: dict[str, Any] = {}
    texts = [c for c, q in ctx.catalogue.items() if q.type == "text"]
    summaries = queries.text_summary(ctx.survey.id, ctx.bounds, ctx.center_ids, texts) if texts else {}
    for code, info in ctx.catalogue.items():
        if info.type == "text":
            out[code] = {"type": "text", **summaries.get(code, {"n": 0, "samples": []})}
        else:
            out[code] = measures.measure(info, ctx.network.get(code), ctx.confidence, ctx.respondents.get(code))
        out[code]["text"] = info.text
    return {code: QuestionMeasure.model_validate(value) for code, value in out.items()}


def centers_section(ctx: ReportInputs) -> list[CenterRow]:
    """One row per centre of the scope: its measures and how many answers it needs."""
    rows = []
    for center in ctx.centers:
        n = ctx.n_by_center.get(center.id, 0)
        branch = ctx.branch_of(center)
        questions = ctx.group_questions(ctx.by_center.get(center.id, {}))
        rows.append(
            {
                "center": center.code,
                "name": center.name,
                "branch": branch.code if branch else None,
                "branch_name": branch.name if branch else None,
                "n": n,
                "low_n": ctx.low_n(n),
                "questions": questions,
                "sample_size": sample_size_need(ctx, questions),
            }
        )
    return [CenterRow.model_validate(row) for row in rows]


def sample_size_need(ctx: ReportInputs, questions: dict[str, Any]) -> dict[str, Any] | None:
    """Answers a centre needs for ±5 points on the target question's top-2-box share at 95 %, at its own
    share (the network's while it has fewer than 30 answers, or when its share is 0 or 1) and how many
    it has. None when the survey has no scale target question."""
    target = ctx.settings["target"]
    if not target or not ctx.catalogue[target].is_score:
        return None
    have = int((questions.get(target) or {}).get("n") or 0)
    own = (questions.get(target) or {}).get("top2box")
    network = measures.measure(ctx.catalogue[target], ctx.network.get(target), ctx.confidence).get("top2box")
    if have >= SAMPLE_SIZE_OWN_MIN and own is not None and 0.0 < own < 1.0:
        share, basis = own, "center"
    elif network is not None and 0.0 < network < 1.0:
        share, basis = network, "network"
    else:
        share, basis = 0.5, "worst_case"
    needed = samplesize.n_for_proportion(SAMPLE_SIZE_MARGIN, share, SAMPLE_SIZE_CONFIDENCE)
    return {
        "question": target,
        "needed": needed,
        "have": have,
        "enough": have >= needed,
        "at_share": share,
        "basis": basis,
        "margin": SAMPLE_SIZE_MARGIN,
        "confidence": SAMPLE_SIZE_CONFIDENCE,
    }


def branches_section(ctx: ReportInputs) -> list[BranchRow]:
    """One row per branch with centres in the scope, its centres' counts pooled."""
    members: dict[int, list[int]] = {}
    for center in ctx.centers:
        branch = ctx.branch_of(center)
        if branch is not None:
            members.setdefault(branch.id, []).append(center.id)
    rows: list[dict[str, Any]] = []
    for branch_id, ids in members.items():
        branch = ctx.tree[branch_id]
        n = sum(ctx.n_by_center.get(i, 0) for i in ids)
        counts = merge_counts(ctx.by_center.get(i, {}) for i in ids)
        rows.append(
            {
                "branch": branch.code,
                "name": branch.name,
                "n": n,
                "low_n": ctx.low_n(n),
                "centers": [ctx.center_code(i) for i in ids],
                "questions": ctx.group_questions(counts),
            }
        )
    return [BranchRow.model_validate(row) for row in sorted(rows, key=lambda r: r["name"])]


def comparisons_section(ctx: ReportInputs) -> list[Comparison]:
    """Across centres (Kruskal–Wallis, chi-square) and each centre against the rest (Holm per family)."""
    ids = ctx.ranked_ids()
    out: list[dict[str, Any]] = []
    if len(ids) < 2:
        return []
    for code, info in ctx.catalogue.items():
        if not (info.is_score or info.type == "nps"):
            continue
        per = {i: measures.numeric_counts(ctx.by_center.get(i, {}).get(code)) for i in ids}
        per = {i: c for i, c in per.items() if sum(c.values()) >= ctx.min_n}
        if len(per) < 2:
            continue
        named = {ctx.center_code(i): c for i, c in per.items()}
        out.append(_test_entry(code, "kruskal", "mean", groups.kruskal_from_counts(named), groups=len(named)))
        if info.is_score:
            table = [[k, n - k] for k, n in (measures.top2_k_n(info, c) for c in per.values())]
            out.append(
                _test_entry(
                    code, "chi_square_top2box", "top2box", proportions.chi_square_independence(table), groups=len(named)
                )
            )
        else:
            table = [list(measures.nps_categories(c)) for c in per.values()]
            out.append(
                _test_entry(
                    code, "chi_square_nps", "nps", proportions.chi_square_independence(table), groups=len(named)
                )
            )
        out.extend(_versus_rest(ctx, code, info, per))
    return [Comparison.model_validate(entry) for entry in out]


def _versus_rest(
    ctx: ReportInputs, code: str, info: QuestionInfo, per: dict[int, dict[float, int]]
) -> list[dict[str, Any]]:
    total = Counter(measures.numeric_counts(ctx.network.get(code)))
    families: dict[str, list[dict[str, Any]]] = {"mann_whitney": [], "two_proportion_z": [], "nps_difference_z": []}
    for center_id, counts in per.items():
        rest = dict(total - Counter(counts))
        if sum(rest.values()) < ctx.min_n:
            continue
        base = {
            "question": code,
            "scope": "center",
            "center": ctx.center_code(center_id),
            "n": sum(counts.values()),
            "n_rest": sum(rest.values()),
        }
        mw = groups.mann_whitney_from_counts(counts, rest)
        mine, other = measures.plain_mean(counts), measures.plain_mean(rest)
        assert mine is not None and other is not None  # both sides have at least min_n answers
        families["mann_whitney"].append(
            {**base, **_test_fields(mw), "measure": "mean", "estimate": mine, "rest": other, "difference": mine - other}
        )
        if info.is_score:
            k1, n1 = measures.top2_k_n(info, counts)
            k2, n2 = measures.top2_k_n(info, rest)
            z = proportions.two_proportion_ztest(k1, n1, k2, n2, ctx.confidence)
            families["two_proportion_z"].append(
                {
                    **base,
                    **_test_fields(z),
                    "measure": "top2box",
                    "estimate": z.extra["share1"],
                    "estimate_ci": proportions.wilson(k1, n1, ctx.confidence).ci.to_list(),
                    "rest": z.extra["share2"],
                    "difference": z.extra["difference"],
                    "difference_ci": z.extra["difference_ci"],
                }
            )
        else:
            a, b = measures.nps_estimate(counts, ctx.confidence), measures.nps_estimate(rest, ctx.confidence)
            assert a is not None and b is not None  # both sides have at least min_n answers
            d = nps.nps_difference(a, b, ctx.confidence)
            families["nps_difference_z"].append(
                {
                    **base,
                    **_test_fields(d),
                    "measure": "nps",
                    "estimate": a.nps,
                    "estimate_ci": a.ci.to_list(),
                    "rest": b.nps,
                    "difference": d.extra["difference"],
                    "difference_ci": d.extra["difference_ci"],
                }
            )
    out = []
    for entries in families.values():
        out.extend(_holm(entries, ctx.alpha))
    for entry in out:
        entry["direction"] = ("below" if entry["difference"] < 0 else "above") if entry["significant"] else None
    return out


def previous_section(ctx: ReportInputs) -> PreviousSection:
    """The previous period of the same length: network and per-centre changes (Holm per family)."""
    prev = queries.previous_period(ctx.period)
    bounds = prev.bounds()
    ctx.prefetch_periods([q.bounds() for q in queries.trend_quarters(ctx.period.end, TREND_QUARTERS)])
    prev_by_center = ctx.period_counts(bounds)
    prev_network = merge_counts(prev_by_center.values())
    responses = queries.response_counts(ctx.survey.id, [bounds], ctx.center_ids)
    prev_n = {int(c): int(n) for c, n in zip(responses["center_id"], responses["n"], strict=True)}
    n_total = sum(prev_n.values())
    section: dict[str, Any] = {
        "period": prev.to_dict(),
        "n_responses": n_total,
        "questions": [],
        "centers": [],
        "notes": [],
    }
    if n_total == 0:
        section["notes"].append("В предыдущем периоде ответов нет: сравнение невозможно.")
    for code, info in ctx.catalogue.items():
        if not (info.is_score or info.type == "nps"):
            continue
        section["questions"].extend(_change(ctx, code, info, ctx.network.get(code), prev_network.get(code), None))
    families: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for center in ctx.centers:
        if ctx.low_n(ctx.n_by_center.get(center.id, 0)) or ctx.low_n(prev_n.get(center.id, 0)):
            continue
        for code, info in ctx.catalogue.items():
            if info.is_score or info.type == "nps":
                for entry in _change(
                    ctx,
                    code,
                    info,
                    ctx.by_center.get(center.id, {}).get(code),
                    prev_by_center.get(center.id, {}).get(code),
                    center.code,
                ):
                    families.setdefault((code, entry["test"]), []).append(entry)
    for entries in families.values():
        section["centers"].extend(_holm(entries, ctx.alpha))
    for entry in section["centers"]:
        entry["direction"] = _direction(entry)
    return PreviousSection.model_validate(section)


def _change(
    ctx: ReportInputs, code: str, info: QuestionInfo, now_counts, prev_counts, center: str | None
) -> list[dict]:
    """Current against previous: top-2-box z-test, NPS difference, and (network level) Mann–Whitney for means."""
    now_c, prev_c = measures.numeric_counts(now_counts), measures.numeric_counts(prev_counts)
    n_now, n_prev = sum(now_c.values()), sum(prev_c.values())
    base = {"question": code, "center": center, "n": n_now, "n_previous": n_prev}
    if ctx.low_n(n_now) or ctx.low_n(n_prev):
        return [{**base, "test": None, "low_n": True, "significant": False, "direction": None}]
    out = []
    if center is None:
        cur, old = measures.plain_mean(now_c), measures.plain_mean(prev_c)
        assert cur is not None and old is not None  # both periods have at least min_n answers
        mw = groups.mann_whitney_from_counts(now_c, prev_c)
        out.append(
            {
                **base,
                **_test_fields(mw),
                "measure": "mean",
                "current": cur,
                "previous": old,
                "difference": cur - old,
                "low_n": False,
            }
        )
    if info.is_score:
        k1, n1 = measures.top2_k_n(info, now_c)
        k2, n2 = measures.top2_k_n(info, prev_c)
        z = proportions.two_proportion_ztest(k1, n1, k2, n2, ctx.confidence)
        out.append(
            {
                **base,
                **_test_fields(z),
                "measure": "top2box",
                "current": z.extra["share1"],
                "previous": z.extra["share2"],
                "difference": z.extra["difference"],
                "difference_ci": z.extra["difference_ci"],
                "low_n": False,
            }
        )
    else:
        a, b = measures.nps_estimate(now_c, ctx.confidence), measures.nps_estimate(prev_c, ctx.confidence)
        assert a is not None and b is not None  # both periods have at least min_n answers
        d = nps.nps_difference(a, b, ctx.confidence)
        out.append(
            {
                **base,
                **_test_fields(d),
                "measure": "nps",
                "current": a.nps,
                "current_ci": a.ci.to_list(),
                "previous": b.nps,
                "previous_ci": b.ci.to_list(),
                "difference": d.extra["difference"],
                "difference_ci": d.extra["difference_ci"],
                "low_n": False,
            }
        )
    for entry in out:
        entry["significant"] = entry["p_value"] is not None and entry["p_value"] < ctx.alpha
        entry["direction"] = _direction(entry)
    return out


def trend_section(ctx: ReportInputs) -> TrendSection:
    """The last four quarters ending with the period, per scale and NPS question, with their trend tests."""
    quarters = queries.trend_quarters(ctx.period.end, TREND_QUARTERS)
    codes = [c for c in ctx.numeric if ctx.catalogue[c].is_score or ctx.catalogue[c].type == "nps"]
    # One grouped query for all quarters not fetched yet (the report's own and previous quarter are reused).
    ctx.prefetch_periods([q.bounds() for q in quarters])
    per_quarter = {index: merge_counts(ctx.period_counts(q.bounds()).values()) for index, q in enumerate(quarters)}
    section: dict[str, Any] = {"quarters": [q.to_dict() for q in quarters], "questions": {}, "notes": []}
    for code in codes:
        info = ctx.catalogue[code]
        points = []
        for index, quarter in enumerate(quarters):
            counts = per_quarter.get(index, {}).get(code)
            m = measures.measure(info, counts, ctx.confidence)
            points.append(
                {
                    "quarter": quarter.label,
                    "index": index + 1,
                    "n": m["n"],
                    "mean": m.get("mean"),
                    "top2box": m.get("top2box"),
                    "top2box_ci": m.get("top2box_ci"),
                    "top2box_k": m.get("top2box_k"),
                    "nps": m.get("nps"),
                    "nps_ci": m.get("nps_ci"),
                    "promoters": m.get("promoters"),
                    "passives": m.get("passives"),
                    "detractors": m.get("detractors"),
                }
            )
        section["questions"][code] = _trend_tests(ctx, info, points)
    if not any(p["n"] for q in section["questions"].values() for p in q["points"]):
        section["notes"].append("Нет данных за кварталы тренда.")
    return TrendSection.model_validate(section)


def _trend_tests(ctx: ReportInputs, info: QuestionInfo, points: list[dict[str, Any]]) -> dict[str, Any]:
    """Quarters with n < min_n are left out of the tests; the others keep their real quarter number."""
    usable = [p for p in points if not ctx.low_n(p["n"])]
    out: dict[str, Any] = {
        "points": points,
        "cochran_armitage": None,
        "mann_kendall": None,
        "regression": None,
        "direction": None,
        "note": None,
    }
    if len(usable) < 3:
        out["note"] = "Меньше трех кварталов с достаточным числом ответов: тренд не оценивается."
        return out
    if info.is_score:
        out["cochran_armitage"] = _armitage(ctx, usable)
        out["direction"] = out["cochran_armitage"]["direction"]
        series = [p["mean"] for p in usable]
    else:
        out["regression"] = _nps_regression(ctx, usable)
        out["direction"] = out["regression"]["direction"]
        series = [p["nps"] for p in usable]
    out["mann_kendall"] = trend.mann_kendall(series, alpha=ctx.alpha).to_dict()  # descriptive (Sen's slope)
    return out


def _armitage(ctx: ReportInputs, usable: list[dict[str, Any]]) -> dict[str, Any]:
    """Cochran–Armitage over the periods kept, scored by their real position in time."""
    ca = proportions.cochran_armitage_trend(
        [p["top2box_k"] for p in usable], [p["n"] for p in usable], scores=[p["index"] for p in usable], alpha=ctx.alpha
    )
    direction = ca.extra.get("direction") if ca.extra.get("direction") in ("up", "down") else "none"
    return {
        **_test_fields(ca),
        "slope": ca.extra.get("slope"),
        "scores": [p["index"] for p in usable],
        "direction": direction,
    }


def _nps_regression(ctx: ReportInputs, usable: list[dict[str, Any]]) -> dict[str, Any]:
    """OLS of respondents' −1/0/+1 scores on the period's real position in time (slope in NPS points)."""
    result = trend.nps_score_regression(
        [p["promoters"] for p in usable],
        [p["passives"] for p in usable],
        [p["detractors"] for p in usable],
        [p["index"] for p in usable],
        ctx.confidence,
    )
    return {**result.to_dict(), "scores": [p["index"] for p in usable]}


def monthly_section(ctx: ReportInputs) -> MonthlySection:
    """The last 12 months ending with the period: n, top-2-box of the target question, NPS, and their trends."""
    months = queries.trend_months(ctx.period.end, MONTHLY_MONTHS)
    target = ctx.settings["target"]
    target = target if target and ctx.catalogue[target].is_score else None
    nps_code = next((c for c, q in ctx.catalogue.items() if q.type == "nps"), None)
    # Only the two questions the section shows, in one grouped query: the months are not reused
    # elsewhere, and every question of every centre for twelve months was most of a report's time.
    codes = [c for c in (target, nps_code) if c]
    frame = (
        queries.value_counts(
            ctx.survey.id, [m.bounds() for m in months], ctx.center_ids, codes, exclude_versions=ctx.excluded
        )
        if codes
        else None
    )
    nested = nest_counts(frame) if frame is not None else {}
    per_month = [merge_counts(v for k, v in nested.items() if k[0] == i) for i in range(len(months))]
    section: dict[str, Any] = {
        "months": [{"month": queries.month_label(m), "index": i + 1, **m.to_dict()} for i, m in enumerate(months)],
        "top2box": None,
        "nps": None,
        "notes": [],
    }
    if target:
        info = ctx.catalogue[target]
        points = []
        for i, m in enumerate(months):
            k, n = measures.top2_k_n(info, per_month[i].get(target))
            share = proportions.wilson(k, n, ctx.confidence) if n else None
            points.append(
                {
                    "month": queries.month_label(m),
                    "index": i + 1,
                    "n": n,
                    "k": k,
                    "share": share.share if share else None,
                    "ci": share.ci.to_list() if share else None,
                    "low_n": ctx.low_n(n),
                }
            )
        entry: dict[str, Any] = {
            "question": target,
            "points": points,
            "cochran_armitage": None,
            "direction": None,
            "note": None,
        }
        usable = [{**p, "top2box_k": p["k"]} for p in points if not p["low_n"]]
        if len(usable) >= 3:
            entry["cochran_armitage"] = _armitage(ctx, usable)
            entry["direction"] = entry["cochran_armitage"]["direction"]
        else:
            entry["note"] = "Меньше трех месяцев с достаточным числом ответов: тренд не оценивается."
        section["top2box"] = entry
    if nps_code:
        points = []
        for i, m in enumerate(months):
            mm = measures.nps_measure(per_month[i].get(nps_code), ctx.confidence)
            points.append(
                {
                    "month": queries.month_label(m),
                    "index": i + 1,
                    "n": mm["n"],
                    "promoters": mm["promoters"],
                    "passives": mm["passives"],
                    "detractors": mm["detractors"],
                    "nps": mm["nps"],
                    "ci": mm["nps_ci"],
                    "low_n": ctx.low_n(mm["n"]),
                }
            )
        entry = {"question": nps_code, "points": points, "regression": None, "direction": None, "note": None}
        usable = [p for p in points if not p["low_n"]]
        if len(usable) >= 3:
            entry["regression"] = _nps_regression(ctx, usable)
            entry["direction"] = entry["regression"]["direction"]
        else:
            entry["note"] = "Меньше трех месяцев с достаточным числом ответов: тренд не оценивается."
        section["nps"] = entry
    if not any(p["n"] for key in ("top2box", "nps") if section[key] for p in section[key]["points"]):
        section["notes"].append("Нет ответов за последние 12 месяцев.")
    return MonthlySection.model_validate(section)


def channels_section(ctx: ReportInputs) -> ChannelsSection:
    """Key measures per channel in the period and the previous one, and whether the channel mix moved.

    The mix "moved" when the chi-square test of responses by channel × period has p < alpha and some
    channel's share of responses changed by at least :data:`MIX_MIN_CHANGE`: a network figure then
    mixes channels in other proportions than before, which by itself can shift it."""
    from app.surveys.models import CHANNEL_LABELS

    prev = queries.previous_period(ctx.period)
    periods = [ctx.bounds, prev.bounds()]
    target = ctx.settings["target"]
    target = target if target and ctx.catalogue[target].is_score else None
    nps_code = next((c for c, q in ctx.catalogue.items() if q.type == "nps"), None)
    codes = [c for c in (target, nps_code) if c]
    frame = queries.value_counts(
        ctx.survey.id, periods, ctx.center_ids, codes, by_channel=True, exclude_versions=ctx.excluded
    )
    nested = nest_counts(frame, keys=("period", "channel"))
    responses = queries.response_counts(ctx.survey.id, periods, ctx.center_ids, by_channel=True)
    n_by: dict[tuple[int, str], int] = Counter()
    for row in responses.itertuples(index=False):
        n_by[(int(row.period), str(row.channel))] += int(row.n)
    channels = sorted({c for _, c in n_by}, key=lambda c: (-n_by.get((0, c), 0), c))
    totals = [sum(n_by.get((p, c), 0) for c in channels) for p in (0, 1)]

    def rows(period: int) -> list[dict[str, Any]]:
        out = []
        for channel in channels:
            n = n_by.get((period, channel), 0)
            counts = nested.get((period, channel), {})
            row: dict[str, Any] = {
                "channel": channel,
                "label": CHANNEL_LABELS.get(channel, channel),
                "n": n,
                "share_of_responses": n / totals[period] if totals[period] else None,
                "low_n": ctx.low_n(n),
                "top2box": None,
                "nps": None,
            }
            if target:
                k, m = measures.top2_k_n(ctx.catalogue[target], counts.get(target))
                share = proportions.wilson(k, m, ctx.confidence) if m else None
                row["top2box"] = {
                    "n": m,
                    "k": k,
                    "share": share.share if share else None,
                    "ci": share.ci.to_list() if share else None,
                }
            if nps_code:
                mm = measures.nps_measure(counts.get(nps_code), ctx.confidence)
                row["nps"] = {"n": mm["n"], "nps": mm["nps"], "ci": mm["nps_ci"]}
            out.append(row)
        return out

    section: dict[str, Any] = {
        "question": target,
        "nps_question": nps_code,
        "period": ctx.period.to_dict(),
        "previous_period": prev.to_dict(),
        "current": rows(0),
        "previous": rows(1),
        "mix_test": None,
        "mix_note": None,
        "min_change": MIX_MIN_CHANGE,
    }
    if len(channels) >= 2 and all(totals):
        table = [[n_by.get((p, c), 0) for p in (0, 1)] for c in channels]
        test = proportions.chi_square_independence(table)
        changes = {c: n_by.get((0, c), 0) / totals[0] - n_by.get((1, c), 0) / totals[1] for c in channels}
        biggest = max(changes, key=lambda c: abs(changes[c]))
        section["mix_test"] = {
            **_test_fields(test),
            "test": "chi_square_channel_mix",
            "largest_change": changes[biggest],
            "largest_change_channel": biggest,
        }
        if test.p_value is not None and test.p_value < ctx.alpha and abs(changes[biggest]) >= MIX_MIN_CHANGE:
            section["mix_note"] = (
                f"Состав ответов по каналам изменился по сравнению с предыдущим периодом: доля канала "
                f"«{CHANNEL_LABELS.get(biggest, biggest)}» {_points(changes[biggest])}. Изменение общих "
                "показателей отчасти может объясняться другим соотношением каналов; сравнивайте каналы "
                "по отдельности."
            )
    return ChannelsSection.model_validate(section)


def respondent_sample(ctx: ReportInputs) -> RespondentSample | None:
    """The respondents' complete answers for drivers and reliability; None when the survey defines neither
    (then nothing is fetched and no sample is drawn)."""
    settings = ctx.settings
    blocks = [codes for codes in settings["blocks"].values() if len(codes) >= 2]
    if not (settings["target"] and settings["drivers"]) and not blocks:
        return None
    return ctx.respondent_sample()


def drivers_section(ctx: ReportInputs, sample: RespondentSample | None) -> DriversSection:
    """Relative weights of the drivers of the target question and the importance–performance matrix."""
    target, attrs = ctx.settings["target"], ctx.settings["drivers"]
    section: dict[str, Any] = {"target": target, "r2": None, "n": 0, "attributes": [], "centers": {}, "note": None}
    if not target or not attrs:
        section["note"] = "В анкете не заданы целевой вопрос и факторы для анализа."
        return DriversSection.model_validate(section)
    assert sample is not None  # respondent_sample() draws one whenever the survey names a target and drivers
    wide = sample.frame
    data = wide[[target, *attrs]].dropna() if len(wide) else wide
    section["n"] = len(data)
    if len(data) < max(ctx.min_n, len(attrs) + 2):
        section["note"] = f"Недостаточно полных анкет для анализа факторов (n = {len(data)})."
        return DriversSection.model_validate(section)
    try:
        result = drivers_stats.relative_weights(data[attrs], data[target])
    except ValueError as exc:
        section["note"] = f"Анализ факторов невозможен: {exc}"
        return DriversSection.model_validate(section)
    performance = {a: _performance(ctx, a, ctx.network.get(a)) for a in attrs}
    network_known = {a: v for a, v in performance.items() if v is not None}
    assert len(network_known) == len(performance)  # the complete answers above give every driver a value
    weights = {a.name: a.weight for a in result.attributes}
    quadrants = {q["name"]: q["quadrant"] for q in drivers_stats.importance_performance(weights, network_known)}
    section.update(r2=result.r2, n=result.n)
    for a in result.ranked():
        m = measures.measure(ctx.catalogue[a.name], ctx.network.get(a.name), ctx.confidence)
        section["attributes"].append(
            {
                "question": a.name,
                "weight": a.weight,
                "share_of_r2": a.share_of_r2,
                "beta": a.beta,
                "performance": performance[a.name],
                "performance_ci": m.get("top2box_ci") or m.get("mean_ci"),
                "quadrant": quadrants[a.name],
                "quadrant_label": drivers_stats.QUADRANT_LABELS[quadrants[a.name]],
            }
        )
    for center_id in ctx.ranked_ids():
        counts = ctx.by_center.get(center_id, {})
        perf = {a: _performance(ctx, a, counts.get(a)) for a in attrs}
        known = {a: v for a, v in perf.items() if v is not None}
        if len(known) < len(perf):  # a centre without answers to some driver has no matrix
            continue
        rows = drivers_stats.importance_performance(weights, known)
        section["centers"][ctx.center_code(center_id)] = [
            {
                "question": r["name"],
                "importance": r["importance"],
                "performance": r["performance"],
                "network_performance": performance[r["name"]],
                "quadrant": r["quadrant"],
            }
            for r in rows
        ]
    return DriversSection.model_validate(section)


def _performance(ctx: ReportInputs, code: str, counts) -> float | None:
    """Top-2-box share for scale questions, mean otherwise."""
    m = measures.measure(ctx.catalogue[code], counts, ctx.confidence)
    return m.get("top2box") if ctx.catalogue[code].is_score else m.get("mean")


def reliability_section(ctx: ReportInputs, sample: RespondentSample | None) -> list[ReliabilityBlock]:
    """Cronbach's alpha of each block of two or more questions."""
    blocks = {name: codes for name, codes in ctx.settings["blocks"].items() if len(codes) >= 2}
    if not blocks:
        return []
    from app.analysis.stats import reliability

    assert sample is not None  # respondent_sample() draws one whenever the survey has a block
    wide = sample.frame
    out = []
    for name, codes in blocks.items():
        data = wide[codes].dropna() if len(wide) else wide
        entry: dict[str, Any] = {
            "block": name,
            "items": codes,
            "alpha": None,
            "n": len(data),
            "k": len(codes),
            "warning": None,
        }
        if len(data) < max(ctx.min_n, 3):
            entry["warning"] = f"Недостаточно полных анкет (n = {len(data)})."
        else:
            try:
                result = reliability.cronbach_alpha(data[codes])
                entry.update(
                    alpha=result.alpha,
                    n=result.n,
                    k=result.k,
                    warning="Альфа Кронбаха ниже 0,7: блок недостаточно согласован." if result.warning else None,
                )
            except ValueError as exc:
                entry["warning"] = str(exc)
        out.append(ReliabilityBlock.model_validate(entry))
    return out


def sample_sizes_section(
    ctx: ReportInputs,
    previous: PreviousSection | None,
    trend: TrendSection,
    drivers: DriversSection,
    sample: RespondentSample | None,
) -> SampleSizes:
    """How many answers each part of the report rests on, from the sections that counted them."""
    target = ctx.settings["target"]
    target_trend = trend.questions.get(target) if target else None
    return SampleSizes(
        period=ctx.n_total,
        previous_period=previous.n_responses if previous is not None else None,
        centers={ctx.center_code(c.id): ctx.n_by_center.get(c.id, 0) for c in ctx.centers},
        drivers_complete_cases=drivers.n,
        drivers_sample_capped=sample is not None and sample.capped,
        trend=[TrendN(quarter=p.quarter, n=p.n) for p in target_trend.points] if target_trend else [],
    )


# --------------------------------------------------------------------------- small helpers


def _test_fields(result) -> dict[str, Any]:
    return {"test": result.test, "statistic": result.statistic, "p_value": result.p_value, "df": result.df}


def _test_entry(code: str, test: str, measure: str, result, **extra: Any) -> dict[str, Any]:
    entry = {"question": code, "scope": "across", **_test_fields(result), "test": test, "measure": measure, **extra}
    entry["extra"] = {k: v for k, v in result.extra.items() if isinstance(v, int | float | bool | str | type(None))}
    return entry


def _holm(entries: list[dict[str, Any]], alpha: float) -> list[dict[str, Any]]:
    """Holm-adjusted p-values within one family (one question, one test, across centres)."""
    testable = [e for e in entries if e.get("p_value") is not None]
    adjusted = multiple.adjust_pvalues([e["p_value"] for e in testable], method="holm") if testable else []
    for entry, p in zip(testable, adjusted, strict=True):
        entry["p_adjusted"] = p
        entry["significant"] = p < alpha
        entry["family_size"] = len(testable)
    return entries


def _points(change: float) -> str:
    """A change of a share in Russian percentage points: «выросла на 7,5 п. п.»."""
    text = f"{abs(change) * 100:.1f}".replace(".", ",")
    return f"{'выросла' if change > 0 else 'снизилась'} на {text} п. п."


def _direction(entry: dict[str, Any]) -> str | None:
    if not entry.get("significant") or entry.get("difference") is None:
        return None
    return "up" if entry["difference"] > 0 else "down"


def methods_section(ctx: ReportInputs, sample_capped: bool, family: RecommendationFamily) -> MethodsSection:
    """How every figure of the report is computed, in Russian, with the settings of this report."""
    from app.analysis import recommend

    weights = operations.rank_weights()
    cap = int(_cfg("ANALYSIS_SAMPLE_CAP", queries.SAMPLE_CAP_DEFAULT))
    return MethodsSection.model_validate(
        {
            "confidence": ctx.confidence,
            "alpha": ctx.alpha,
            "min_n": ctx.min_n,
            "time_zone": _cfg("DEFAULT_CENTER_TIMEZONE", "Europe/Moscow"),
            "weighting": "Без взвешивания: каждая анкета учитывается один раз.",
            "intervals": {
                "mean": "t-интервал Стьюдента",
                "top2box": "интервал Уилсона для доли двух лучших оценок шкалы",
                "choice": "интервал Уилсона для доли варианта среди ответивших",
                "nps": "скорректированный интервал Вальда (Рокс, 2016): +0,75 к промоутерам и критикам, +3 к n",
                "difference_of_shares": "интервал Ньюкомба (гибридный, по Уилсону)",
            },
            "tests": {
                "across_centers": "Краскела–Уоллиса для оценок; хи-квадрат независимости для доли двух лучших "
                "оценок и категорий NPS",
                "center_vs_rest": "Манна–Уитни для оценок, z-тест двух долей для доли двух лучших оценок, z-тест "
                "разности NPS; p-значения скорректированы по Холму в семействе «один вопрос, "
                "один тест, все ЦОК»",
                "previous_period": "z-тест двух долей, разность NPS с интервалом, Манна–Уитни для средних; "
                "по ЦОК — с поправкой Холма",
                "trend": "по кварталам (4 последних) и по месяцам (12 последних, раздел «по месяцам»): для доли двух "
                "лучших оценок — тест Кохрана–Армитиджа, для NPS — регрессия (МНК) оценок респондентов "
                "(+1 промоутер, 0 нейтрал, −1 критик) на номер периода, наклон в пунктах NPS за период с "
                "интервалом и t-тестом; периоды с n меньше минимального не входят в тесты, остальные "
                "сохраняют свой номер во времени; тренд оценивается при трех и более таких периодах; "
                "для средних по кварталам — Манна–Кендалла с оценкой наклона Сена (описательно)",
                "complaints": "p-карта доли жалоб по месяцам за последние 12 месяцев, границы 3σ; p′ Лейни "
                "(границы, расширенные в σz раз), когда у ЦОК не меньше 5 месяцев с обращениями и "
                "разброс между месяцами σz превышает 1 + 2,7/√(m − 1) (m — число месяцев), иначе "
                "обычная p-карта; воронка (95 % и 99,8 %) по ЦОК за период",
                "drivers": "относительные веса Джонсона (в сумме R²) и стандартизованные коэффициенты МНК; "
                "только полностью заполненные анкеты; матрица «важность–исполнение» с делением по "
                "средним; для ЦОК — важность по сети, исполнение ЦОК",
                "reliability": "альфа Кронбаха, предупреждение ниже 0,7",
                "channels": "доля двух лучших оценок (Уилсон) и NPS по каналам за период и предыдущий период; "
                "состав по каналам считается изменившимся, если хи-квадрат «канал × период» по числу "
                "анкет дает p < α и доля хотя бы одного канала изменилась не меньше чем на 5 п. п.",
            },
            "low_n": f"Группы с n < {ctx.min_n} отмечены как малые выборки и не участвуют в тестах и "
            "рекомендациях; в рейтинге они участвуют со сглаженными оценками.",
            "sampling": (
                f"Для анализа факторов и надежности берется не более {cap} анкет периода: если их больше, "
                "систематическая выборка — каждая k-я анкета в порядке поступления, равномерно по всему "
                "периоду; учитываются только полностью заполненные"
                + (" — выборка применена." if sample_capped else " — выборка не понадобилась.")
            ),
            "scale_changes": "Если шкала вопроса (тип, границы шкалы или набор вариантов) различается между версиями "
            "анкеты, ответы на разных шкалах не объединяются: берется шкала самой новой версии с "
            "ответами за период (без ответов — самой новой версии анкеты), ответы версий с другой "
            "шкалой не учитываются во всех разделах отчета (в том числе тренды, сравнение с прошлым "
            "периодом, каналы, факторы); число неучтенных ответов периода указано в примечаниях.",
            "sample_size": {
                "margin": SAMPLE_SIZE_MARGIN,
                "confidence": SAMPLE_SIZE_CONFIDENCE,
                "own_share_from": SAMPLE_SIZE_OWN_MIN,
                "text": "Нужный объем выборки ЦОК — число ответов на целевой вопрос, при котором "
                "95-процентный интервал доли двух лучших оценок не шире ±5 процентных пунктов: "
                "n = z²·p(1 − p)/0,05², z = 1,96 "
                "(Кокрен, 1977), с округлением вверх; p — доля ЦОК за период, а при менее чем 30 ответах "
                "(или доле 0 или 100 %) — доля по сети; без данных — p = 0,5 (385 ответов). Рядом — "
                "сколько ответов у ЦОК есть.",
            },
            "sample_cap": cap,
            "sample_capped": sample_capped,
            "ranking": {
                "weights": weights,
                "scaling": "доля двух лучших оценок × 100; (NPS + 100) / 2; (1 − доля жалоб) × 100; доля "
                "ответов в срок × 100; доля выполненных обещаний × 100; при отсутствии компонента "
                "веса остальных нормируются",
                "shrinkage": "эмпирический байесовский подход (Эфрон и Моррис, 1975): доли ЦОК (филиалов) "
                "сглаживаются к средней по сети с бета-биномиальным распределением, подобранным "
                "по методу максимального правдоподобия по всем ЦОК (филиалам) области отчета, "
                "для NPS — с Дирихле-мультиномиальным; чем меньше ответов, тем сильнее "
                "сглаживание; в отчете рядом приведены и исходные доли с интервалами",
                "rank": f"место — по апостериорному среднему индекса; ЦОК с ответами ранжируются при любом n "
                f"(отметка n < {ctx.min_n} — для сведения), без ответов — нет; диапазон места — "
                f"5–95 % квантили мест в {operations.RANK_DRAWS} совместных симуляциях "
                "из апостериорного распределения (фиксированное зерно), расширенный до места; "
                "вероятность быть в нижней пятой части — доля симуляций, в которых ЦОК среди "
                "⌊N/5⌋ (не менее одного) последних; интервал индекса — квантили симулированного "
                "индекса на уровне доверия отчета",
            },
            "priority": recommend.PRIORITY_METHOD,
            "on_time_target": float(_cfg("ANALYSIS_TARGET_ON_TIME", 0.95)),
            "promises_target": float(_cfg("ANALYSIS_TARGET_PROMISES", 0.9)),
            "recommendations": family,
        }
    )


# --------------------------------------------------------------------------- CSV


def report_to_csv(report: SatisfactionReport) -> str:
    """Flat tables separated by a blank line: headline questions, centres, comparisons, previous period,
    months, channels, drivers, ranking, recommendations. Semicolon-separated with a UTF-8 BOM-free header,
    values unrounded."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n", quoting=csv.QUOTE_ALL)

    def table(title: str, header: list[str], rows: list[list[Any]]) -> None:
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else _csv_safe(v) for v in row])
        writer.writerow([])

    def ci(value: list | None, index: int) -> Any:
        return value[index] if value else None

    q_rows = []
    for scope_code, scope_n, questions in [("всего", report.n_responses, report.questions)] + [
        (c.center, c.n, c.questions) for c in report.centers
    ]:
        for code, q in questions.items():
            if q.type in ("text", *measures.CHOICE_TYPES):
                continue
            q_rows.append(
                [
                    scope_code,
                    scope_n,
                    code,
                    q.type,
                    q.n,
                    q.mean,
                    ci(q.mean_ci, 0),
                    ci(q.mean_ci, 1),
                    q.top2box,
                    ci(q.top2box_ci, 0),
                    ci(q.top2box_ci, 1),
                    q.nps,
                    ci(q.nps_ci, 0),
                    ci(q.nps_ci, 1),
                ]
            )
    table(
        "questions",
        [
            "group",
            "n_responses",
            "question",
            "type",
            "n",
            "mean",
            "mean_low",
            "mean_high",
            "top2box",
            "top2box_low",
            "top2box_high",
            "nps",
            "nps_low",
            "nps_high",
        ],
        q_rows,
    )
    choice_rows = [
        [code, opt, o.k, q.n, o.share, ci(o.ci, 0), ci(o.ci, 1)]
        for code, q in report.questions.items()
        if q.type in measures.CHOICE_TYPES
        for opt, o in (q.options or {}).items()
    ]
    table("choices", ["question", "option", "k", "n", "share", "low", "high"], choice_rows)
    table(
        "centers",
        ["center", "name", "branch", "n", "low_n", "sample_needed", "sample_have", "sample_basis"],
        [
            [
                c.center,
                c.name,
                c.branch,
                c.n,
                c.low_n,
                *(
                    [c.sample_size.needed, c.sample_size.have, c.sample_size.basis]
                    if c.sample_size
                    else [None, None, None]
                ),
            ]
            for c in report.centers
        ],
    )
    table(
        "comparisons",
        ["question", "test", "center", "statistic", "p_value", "p_adjusted", "significant", "difference"],
        [
            [c.question, c.test, c.center, c.statistic, c.p_value, c.p_adjusted, c.significant, c.difference]
            for c in report.comparisons
        ],
    )
    prev = report.previous
    table(
        "previous",
        ["question", "center", "measure", "current", "previous", "difference", "p_value", "significant"],
        [
            [
                c.question,
                c.center,
                c.measure,
                c.current,
                c.previous,
                c.difference,
                c.p_adjusted if "p_adjusted" in c.model_fields_set else c.p_value,
                c.significant,
            ]
            for c in (prev.questions + prev.centers if prev is not None else [])
        ],
    )
    monthly = report.monthly
    top2 = {p.month: p for p in (monthly.top2box.points if monthly.top2box else [])}
    nps_m = {p.month: p for p in (monthly.nps.points if monthly.nps else [])}
    month_rows = []
    for m in monthly.months:
        share, score = top2.get(m.month), nps_m.get(m.month)
        month_rows.append(
            [
                m.month,
                *([share.n, share.share, ci(share.ci, 0), ci(share.ci, 1)] if share else [None] * 4),
                *([score.n, score.nps, ci(score.ci, 0), ci(score.ci, 1)] if score else [None] * 4),
            ]
        )
    table(
        "monthly",
        ["month", "top2box_n", "top2box", "top2box_low", "top2box_high", "nps_n", "nps", "nps_low", "nps_high"],
        month_rows,
    )
    channels = report.channels
    table(
        "channels",
        [
            "period",
            "channel",
            "n",
            "share_of_responses",
            "top2box",
            "top2box_low",
            "top2box_high",
            "nps",
            "nps_low",
            "nps_high",
        ],
        [
            [
                which,
                r.channel,
                r.n,
                r.share_of_responses,
                *([r.top2box.share, ci(r.top2box.ci, 0), ci(r.top2box.ci, 1)] if r.top2box else [None] * 3),
                *([r.nps.nps, ci(r.nps.ci, 0), ci(r.nps.ci, 1)] if r.nps else [None] * 3),
            ]
            for which, rows in (("current", channels.current), ("previous", channels.previous))
            for r in rows
        ],
    )
    table(
        "drivers",
        ["question", "weight", "share_of_r2", "beta", "performance", "quadrant"],
        [[a.question, a.weight, a.share_of_r2, a.beta, a.performance, a.quadrant] for a in report.drivers.attributes],
    )
    table(
        "reliability",
        ["block", "alpha", "n", "k", "warning"],
        [[r.block, r.alpha, r.n, r.k, r.warning] for r in report.reliability],
    )
    table(
        "ranking",
        [
            "level",
            "code",
            "name",
            "rank",
            "rank_low",
            "rank_high",
            "p_bottom",
            "index",
            "index_low",
            "index_high",
            "low_n",
            "top2box",
            "top2box_low",
            "top2box_high",
            "top2box_shrunk",
        ],
        [
            [
                r.level,
                r.code,
                r.name,
                r.rank,
                ci(r.rank_range, 0),
                ci(r.rank_range, 1),
                r.p_bottom,
                r.index,
                ci(r.index_ci, 0),
                ci(r.index_ci, 1),
                r.low_n,
                r.top2box,
                ci(r.top2box_ci, 0),
                ci(r.top2box_ci, 1),
                r.top2box_shrunk,
            ]
            for r in report.ranking.centers + report.ranking.branches
        ],
    )
    table(
        "recommendations",
        [
            "priority",
            "center",
            "question",
            "rule",
            "responsible_role",
            "finding",
            "action",
            "difference",
            "p_value",
            "q_value",
            "family_size",
        ],
        [
            [
                r.priority,
                r.center,
                r.question,
                r.rule,
                r.responsible_role,
                r.finding,
                r.action,
                r.evidence.difference,
                r.evidence.p_value,
                r.evidence.q_value,
                r.evidence.family_size,
            ]
            for r in report.recommendations
        ],
    )
    return buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text cells."""
    if isinstance(value, str) and _is_number(value):
        return value  # a number written as text (e.g. "-0.12") stays a number
    return neutralise_cell(value)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
