"""Report sections fed by the appeals registry: complaint control charts, on-time answers, promises kept,
and the composite ranking of centres and branches that combines them with satisfaction."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import current_app

from app.analysis import queries
from app.analysis.report_inputs import ReportInputs
from app.analysis.report_model import (
    AppealsSection,
    BranchRow,
    CenterRow,
    ComplaintsControlSection,
    QuestionMeasure,
    RankingSection,
)
from app.analysis.stats import composite, control, proportions, shrinkage
from app.config import DefaultConfig

RANK_LEVEL = 0.90  # rank_range: the 5 % and 95 % quantiles of the simulated ranks
RANK_DRAWS = shrinkage.DEFAULT_DRAWS  # joint posterior draws per ranking (at least 2000, fixed seed)


def rank_weights() -> dict[str, float]:
    """``ANALYSIS_RANK_WEIGHTS`` of the known components (the default's keys); empty means the default."""
    components = DefaultConfig.ANALYSIS_RANK_WEIGHTS
    weights = current_app.config["ANALYSIS_RANK_WEIGHTS"] or components
    return {k: float(v) for k, v in weights.items() if k in components}


def _share(k: int, n: int, confidence: float) -> dict[str, Any]:
    if n <= 0:
        return {"k": k, "n": n, "share": None, "ci": None}
    estimate = proportions.wilson(k, n, confidence)
    return {"k": k, "n": n, "share": estimate.share, "ci": estimate.ci.to_list()}


def appeals_section(ctx: ReportInputs) -> AppealsSection:
    """On-time answers and promises kept per centre in the period, with Wilson intervals."""
    timely = queries.appeal_timeliness(ctx.bounds, ctx.center_ids)
    promised = queries.promise_counts(ctx.bounds, ctx.center_ids)
    t_map = {int(r.center_id): (int(r.on_time), int(r.due)) for r in timely.itertuples()}
    p_map = {int(r.center_id): (int(r.kept), int(r.due)) for r in promised.itertuples()}
    centers = []
    for center in ctx.centers:
        ok, due = t_map.get(center.id, (0, 0))
        kept, total = p_map.get(center.id, (0, 0))
        centers.append(
            {
                "center": center.code,
                "name": center.name,
                "on_time": {**_share(ok, due, ctx.confidence), "low_n": ctx.low_n(due)},
                "promises": {**_share(kept, total, ctx.confidence), "low_n": ctx.low_n(total)},
            }
        )
    ok_all, due_all = sum(v[0] for v in t_map.values()), sum(v[1] for v in t_map.values())
    kept_all, total_all = sum(v[0] for v in p_map.values()), sum(v[1] for v in p_map.values())
    return AppealsSection.model_validate(
        {
            "on_time_target": float(current_app.config.get("ANALYSIS_TARGET_ON_TIME", 0.95)),
            "promises_target": float(current_app.config.get("ANALYSIS_TARGET_PROMISES", 0.9)),
            "on_time": {**_share(ok_all, due_all, ctx.confidence), "low_n": ctx.low_n(due_all)},
            "promises": {**_share(kept_all, total_all, ctx.confidence), "low_n": ctx.low_n(total_all)},
            "centers": centers,
        }
    )


CONTROL_MONTHS = 12


def complaints_control(ctx: ReportInputs) -> ComplaintsControlSection:
    """Complaint share (complaints / (complaints + applications)): a monthly p-chart per centre over the last
    12 months ending with the period (Laney's p' when the months vary more than binomially, as
    :func:`control.p_chart` decides with ``laney="auto"``) and a funnel plot of centres for the period.
    Points above the limits are listed as signals."""
    months = queries.trend_months(ctx.period.end, CONTROL_MONTHS)
    frame = queries.appeal_counts([m.bounds() for m in months], ctx.center_ids)
    period_frame = queries.appeal_counts([ctx.bounds], ctx.center_ids)
    labels_all = [queries.month_label(m) for m in months]
    section: dict[str, Any] = {
        "months": labels_all,
        "centers": [],
        "funnel": [],
        "signals": [],
        "network": None,
        "notes": [],
    }
    if period_frame.empty and frame.empty:
        section["notes"].append("Нет обращений за период: контрольные карты не строятся.")
        return ComplaintsControlSection.model_validate(section)
    per_m: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for r in frame.itertuples():
        cell = per_m[int(r.center_id)][int(r.period)]
        cell[1] += int(r.count)
        if r.kind == "complaint":
            cell[0] += int(r.count)
    period_totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    topics: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    network_topics: dict[str, int] = defaultdict(int)
    for r in period_frame.itertuples():
        cid = int(r.center_id)
        period_totals[cid][1] += int(r.count)
        topics[cid][r.topic][1] += int(r.count)
        if r.kind == "complaint":
            period_totals[cid][0] += int(r.count)
            topics[cid][r.topic][0] += int(r.count)
            network_topics[r.topic] += int(r.count)
    network_complaints = sum(v[0] for v in period_totals.values())
    network_total = sum(v[1] for v in period_totals.values())
    section["network"] = {
        **_share(network_complaints, network_total, ctx.confidence),
        "low_n": ctx.low_n(network_total),
    }
    current = {queries.month_label(m): m for m in months if m.end >= ctx.period.start}
    for center in ctx.centers:
        cells = per_m.get(center.id, {})
        used = [i for i in sorted(cells) if cells[i][1] > 0]  # months without appeals have no share
        if len(used) < 2:
            continue
        chart = control.p_chart(
            [cells[i][0] for i in used],
            [cells[i][1] for i in used],
            [labels_all[i] for i in used],
            sigma=3,
            laney="auto",
        )
        low_n = ctx.low_n(period_totals.get(center.id, [0, 0])[1])
        drawn = chart.to_dict()
        drawn["center_line"] = drawn.pop("center")  # the chart's centre line; "center" is the centre's code
        section["centers"].append({**drawn, "center": center.code, "name": center.name, "low_n": low_n})
        for point in chart.signals:
            if point.beyond == "above" and point.label in current and not low_n:
                year, quarter = queries.quarter_of(current[point.label].start)
                section["signals"].append(
                    {
                        "center": center.code,
                        "kind": "p_chart",
                        "month": point.label,
                        "quarter": f"{year}Q{quarter}",
                        "share": point.share,
                        "limit": point.ucl,
                        "center_line": point.center,
                        "count": point.count,
                        "n": point.n,
                        "laney_used": chart.laney_used,
                        "topic": _top_topic(topics.get(center.id, {}), network_topics, network_total),
                    }
                )
    ids = [c for c in (c.id for c in ctx.centers) if period_totals.get(c, [0, 0])[1] > 0]
    if ids:
        funnel = control.funnel_points(
            [period_totals[i][0] for i in ids], [period_totals[i][1] for i in ids], [ctx.center_code(i) for i in ids]
        )
        for cid, unit in zip(ids, funnel, strict=True):
            unit["low_n"] = ctx.low_n(period_totals[cid][1])
            section["funnel"].append(unit)
            if unit.get("beyond_99_8") == "above" and not unit["low_n"]:
                section["signals"].append(
                    {
                        "center": unit["label"],
                        "kind": "funnel",
                        "month": None,
                        "quarter": None,
                        "share": unit["share"],
                        "limit": unit["upper_99_8"],
                        "center_line": unit["p0"],
                        "count": unit["count"],
                        "n": unit["n"],
                        "z": unit["z"],
                        "topic": _top_topic(topics.get(cid, {}), network_topics, network_total),
                    }
                )
    return ComplaintsControlSection.model_validate(section)


def _top_topic(center_topics: dict[str, list[int]], network_topics: dict[str, int], network_total: int) -> str | None:
    """The topic whose complaints most exceed what the network's topic mix predicts for this centre."""
    if not center_topics:
        return None
    total = sum(v[1] for v in center_topics.values())
    best, best_excess = None, None
    for topic, (complaints, _n) in center_topics.items():
        expected = total * network_topics.get(topic, 0) / network_total if network_total else 0.0
        excess = complaints - expected
        if complaints > 0 and (best_excess is None or excess > best_excess):
            best, best_excess = topic, excess
    return best


def _scaled_components(
    top2: float | None,
    nps_value: float | None,
    complaint_share: float | None,
    on_time: float | None,
    promises: float | None,
) -> dict[str, float | None]:
    """Each component on 0–100 (min–max over its natural range; complaint share inverted)."""

    def scaled(value: float | None, lo: float, hi: float, higher_is_better: bool = True) -> float | None:
        return None if value is None else composite.scale_0_100(value, lo, hi, higher_is_better)

    return {
        "top2box": scaled(top2, 0.0, 1.0),
        "nps": scaled(nps_value, -100.0, 100.0),
        "complaints": scaled(complaint_share, 0.0, 1.0, higher_is_better=False),
        "on_time": scaled(on_time, 0.0, 1.0),
        "promises": scaled(promises, 0.0, 1.0),
    }


def ranking_section(
    ctx: ReportInputs,
    center_rows: list[CenterRow],
    branch_rows: list[BranchRow],
    appeals: AppealsSection,
    control_section: ComplaintsControlSection,
) -> RankingSection:
    """Composite ranking of centres and of branches, each on empirical-Bayes shrunken components.

    ``index`` is the posterior mean of the composite index (what ``rank`` orders), ``index_raw`` the
    index of the raw shares (``components``); ``rank_range``, ``p_bottom`` and ``index_ci`` come from
    posterior draws (:func:`app.analysis.stats.shrinkage.simulate_ranking`). Groups with answers are
    ranked however few (``low_n`` stays for display); groups without answers are not.
    """
    weights = rank_weights()
    target = ctx.settings["target"]
    nps_code = next((c for c, q in ctx.catalogue.items() if q.type == "nps"), None)
    funnel = {p.label: (p.count, p.n) for p in control_section.funnel}
    appeal_rows = {r.center: ((r.on_time.k, r.on_time.n), (r.promises.k, r.promises.n)) for r in appeals.centers}
    nothing = QuestionMeasure(type="", n=0)

    def row(
        level: str,
        code: str,
        name: str,
        n: int,
        questions: dict[str, QuestionMeasure],
        complaints: tuple[int, int],
        on_time: tuple[int, int],
        promises: tuple[int, int],
    ) -> dict[str, Any]:
        t = questions.get(target, nothing) if target else nothing
        q = questions.get(nps_code, nothing) if nps_code else nothing
        scaled = _scaled_components(
            t.top2box,
            q.nps,
            complaints[0] / complaints[1] if complaints[1] else None,
            on_time[0] / on_time[1] if on_time[1] else None,
            promises[0] / promises[1] if promises[1] else None,
        )
        top2 = (int(t.top2box_k or 0), int(t.n or 0)) if t.top2box is not None else (0, 0)
        counts = {
            "top2box": top2,
            "nps": (int(q.promoters or 0), int(q.passives or 0), int(q.detractors or 0)),
            "complaints": complaints,
            "on_time": on_time,
            "promises": promises,
        }
        return {
            "level": level,
            "code": code,
            "name": name,
            "n": n,
            "low_n": ctx.low_n(n),
            "rank": None,
            "rank_range": None,
            "p_bottom": None,
            "index": None,
            "index_ci": None,
            "index_raw": composite.composite_index(scaled, weights),
            "components": scaled,
            "components_shrunk": None,
            "top2box": t.top2box,
            "top2box_ci": t.top2box_ci,
            "top2box_shrunk": None,
            "top2box_shrunk_ci": None,
            "_counts": counts,
        }

    none = (0, 0)
    centers = []
    for c in center_rows:
        on_time, promises = appeal_rows.get(c.center, (none, none))
        centers.append(row("center", c.center, c.name, c.n, c.questions, funnel.get(c.center, none), on_time, promises))
    branches = []
    by_code = {r["code"]: r for r in centers}
    for b in branch_rows:
        members = [by_code[c] for c in b.centers if c in by_code]
        sums = [0, 0, 0, 0, 0, 0]
        for code in b.centers:
            (complaints, appealed), ((answered, due), (kept, promised)) = (
                funnel.get(code, none),
                appeal_rows.get(code, (none, none)),
            )
            sums = [x + y for x, y in zip(sums, [complaints, appealed, answered, due, kept, promised], strict=True)]
        if members:
            branches.append(
                row(
                    "branch",
                    b.branch,
                    b.name,
                    b.n,
                    b.questions,
                    (sums[0], sums[1]),
                    (sums[2], sums[3]),
                    (sums[4], sums[5]),
                )
            )
    simulation = {
        "draws": RANK_DRAWS,
        "seed": shrinkage.DEFAULT_SEED,
        "rank_level": RANK_LEVEL,
        "centers": _assign_ranks(centers, weights, ctx.confidence),
        "branches": _assign_ranks(branches, weights, ctx.confidence),
    }
    ranked = sum(1 for r in centers if r["rank"] is not None)
    bottom = shrinkage.bottom_places(ranked) if ranked else 0
    return RankingSection.model_validate(
        {
            "weights": weights,
            "target": target,
            "centers": centers,
            "branches": branches,
            "simulation": simulation,
            "note": "Место — по сводному индексу с учетом неопределенности: чем меньше ответов у ЦОК, тем ближе его "
            "оценка к средней по сети, поэтому несколько случайно высоких или низких оценок не делают его "
            "лидером или отстающим. В скобках — диапазон мест, в котором ЦОК находится с вероятностью 90 %; "
            "вероятность быть в нижней пятой части — шанс оказаться на последних местах "
            f"({bottom} из {ranked}). "
            f"ЦОК без ответов за период не ранжируются; отметка «мало ответов» (n < {ctx.min_n}) — "
            "для сведения.",
        }
    )


def _assign_ranks(rows: list[dict[str, Any]], weights: dict[str, float], confidence: float) -> dict[str, Any]:
    """Shrink each row's components across the rows (one scope, one level), rank by the posterior mean
    of the index and fill ``rank``, ``rank_range``, ``p_bottom``, ``index``, ``index_ci`` and the shrunken
    top-2-box. Rows with ``n == 0`` (no answers) are not ranked. Returns the priors and the size of the
    bottom fifth, for the report's methods."""
    counts = [r.pop("_counts") for r in rows]
    share_names = {"top2box": True, "complaints": False, "on_time": True, "promises": True}
    components: dict[str, shrinkage.ShareComponent | shrinkage.NpsComponent] = {
        name: shrinkage.ShareComponent([c[name][0] for c in counts], [c[name][1] for c in counts], better)
        for name, better in share_names.items()
        if name in weights
    }
    if "nps" in weights:
        components["nps"] = shrinkage.NpsComponent([list(c["nps"]) for c in counts])
    result = shrinkage.simulate_ranking(
        components,
        weights,
        eligible=[r["n"] > 0 for r in rows],
        confidence=confidence,
        rank_level=RANK_LEVEL,
        draws=RANK_DRAWS,
    )
    top2_prior = result.priors.get("top2box")
    assert not isinstance(top2_prior, shrinkage.DirichletPrior)  # a share component has a beta prior
    top2 = (
        shrinkage.shrink_shares(
            [c["top2box"][0] for c in counts], [c["top2box"][1] for c in counts], top2_prior, confidence
        )
        if rows
        else []
    )
    for i, (r, g) in enumerate(zip(rows, result.groups, strict=True)):
        r.update(
            rank=g.rank,
            rank_range=list(g.rank_range) if g.rank_range else None,
            p_bottom=g.p_bottom,
            index=g.index,
            index_ci=g.index_ci.to_list() if g.index_ci else None,
            components_shrunk={
                name: result.component_means[name][i] if name in result.component_means else None
                for name in r["components"]
            },
        )
        if counts[i]["top2box"][1] > 0:
            r.update(top2box_shrunk=top2[i].mean, top2box_shrunk_ci=top2[i].ci.to_list())
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
    return {
        "ranked": result.ranked,
        "bottom_places": result.bottom_places,
        "priors": {name: prior.to_dict() for name, prior in result.priors.items()},
    }
