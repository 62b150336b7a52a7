"""The satisfaction report: one JSON-ready dict that the HTML page, CSV, JSON and PDF all render.

``build_report`` asks :mod:`app.analysis.queries` for aggregated counts (the database does the
``GROUP BY``), feeds them to the pure functions of :mod:`app.analysis.stats` and assembles the
sections. Numbers are never rounded here; rounding is a display concern.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from typing import Any

from flask import current_app

from app.analysis import measures, operations, queries
from app.analysis.measures import QuestionInfo, merge_counts, nest_counts
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


def build_report(slug: str, date_from: date, date_to: date, scope: Organisation | str | None = None,
                 min_n: int | None = None, confidence: float | None = None, previous: bool = True) -> dict[str, Any]:
    """Build the report for a survey, a period (dates included) and a scope (None = the company)."""
    min_n = int(_cfg("ANALYSIS_MIN_N", 30) if min_n is None else min_n)
    if min_n < MIN_N_FLOOR:
        raise ReportError(f"Минимальный размер группы — не меньше {MIN_N_FLOOR} ответов: по меньшему числу "
                          "выводы о ЦОК ненадежны")
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
    scope = _resolve_scope(scope)
    # Count the responses stored since the last refresh (cheap when cron keeps up); reads are exact either way.
    from app.analysis.aggregates import refresh_aggregates

    refresh_aggregates(survey.id)
    ctx = _Context(survey, period, scope, min_n, confidence)
    report: dict[str, Any] = {
        "survey": survey.slug,
        "survey_title": survey.title,
        "period": period.to_dict(),
        "scope": "company" if scope is None or scope.kind == OrgKind.COMPANY else scope.code,
        "scope_code": scope.code if scope is not None else _company_code(),
        "scope_name": scope.name if scope is not None else _cfg("COMPANY_NAME", ""),
        "scope_kind": scope.kind if scope is not None else OrgKind.COMPANY.value,
        "confidence": confidence,
        "min_n": min_n,
        "n_responses": ctx.n_total,
        "notes": [],
    }
    if ctx.n_total == 0:
        report["notes"].append("За выбранный период в этой области нет ответов на анкету.")
    report["scale_changes"] = ctx.scale_changes
    report["notes"].extend(change["note"] for change in ctx.scale_changes)
    report["questions"] = ctx.network_questions()
    report["centers"] = ctx.center_rows()
    report["branches"] = ctx.branch_rows()
    report["comparisons"] = ctx.comparisons()
    report["previous"] = ctx.previous_section() if previous else None
    report["trend"] = ctx.trend_section()
    report["monthly"] = ctx.monthly_section()
    report["channels"] = ctx.channels_section()
    report["drivers"] = ctx.drivers_section()
    report["reliability"] = ctx.reliability_section()
    ops = operations.build(ctx, report)
    report.update(ops)
    from app.analysis import actions, recommend

    report["recommendations"], family = recommend.recommendations_section(report)
    report["actions"] = actions.actions_for_report(report, ctx.center_ids_all)
    report["methods"] = methods_section(ctx)
    report["methods"]["recommendations"] = family
    report["sample_sizes"] = ctx.sample_sizes()
    return report


def _company_code() -> str:
    from app.org.services import company

    root = company()
    return root.code if root is not None else "company"


class _Context:
    """Everything one report needs, fetched once."""

    def __init__(self, survey, period: queries.Period, scope: Organisation | None, min_n: int,
                 confidence: float) -> None:
        self.survey, self.period, self.scope = survey, period, scope
        self.min_n, self.confidence, self.alpha = min_n, confidence, 1.0 - confidence
        versions = queries.survey_versions(survey)
        self.definitions = [definition for _, _, definition in versions]
        self.catalogue: dict[str, QuestionInfo] = measures.question_catalogue(self.definitions)
        self.settings = measures.analysis_settings(self.definitions, self.catalogue)
        self.tree = queries.org_tree()
        self.centers = queries.scope_centers(scope)
        self.center_ids = None if scope is None or scope.kind == OrgKind.COMPANY else [c.id for c in self.centers]
        self.center_ids_all = [c.id for c in self.centers]
        self.bounds = period.bounds()
        self.counted = [c for c, q in self.catalogue.items() if q.type != "text"]
        frame = queries.value_counts(survey.id, [self.bounds], self.center_ids, self.counted, by_version=True)
        # A question whose scale changed between the versions answering in the period is not pooled.
        self.excluded, self.scale_changes = self._scale_changes(versions, frame)
        if self.excluded and len(frame):
            dropped = [v in self.excluded.get(c, ()) for c, v in zip(frame["question_code"], frame["version_id"],
                                                                      strict=True)]
            frame = frame[[not d for d in dropped]]
        self.numeric = [c for c, q in self.catalogue.items() if q.is_numeric]
        self.by_center = {key[1]: value for key, value in nest_counts(frame).items()}
        responses = queries.response_counts(survey.id, [self.bounds], self.center_ids)
        self.n_by_center = {int(c): int(n) for c, n in zip(responses["center_id"], responses["n"], strict=True)}
        self.n_total = sum(self.n_by_center.values())
        self.network = merge_counts(self.by_center.values())
        multi = [c for c, q in self.catalogue.items() if q.type == "multi_choice"]
        self.respondents = queries.distinct_respondents(survey.id, self.bounds, self.center_ids, multi,
                                                        self.excluded)
        self._period_cache: dict[tuple, dict] = {self.bounds: self.by_center}
        self.drivers_n = 0
        self.sample_capped = False
        self.prev_n_total: int | None = None
        self.trend_n: list[dict[str, Any]] = []

    # ------------------------------------------------------------------ helpers

    def _scale_changes(self, versions: list[tuple[int, int, dict]],
                       frame: Any) -> tuple[dict[str, list[int]], list[dict[str, Any]]]:
        """Per question: the scale of the newest version answering in the period (the newest definition when
        none does) is kept; every version with another scale (type, bounds, options) is left out of all
        reads of the report, so neither the period nor its comparisons over time pool two scales. The
        catalogue describes the kept scale; ``changes`` lists the answers of the period left out."""
        per_version = {vid: measures.question_catalogue([definition]) for vid, _, definition in versions}
        numbers = {vid: number for vid, number, _ in versions}
        answered: Counter = Counter()
        for code, version, count in zip(frame["question_code"], frame["version_id"], frame["count"], strict=True):
            answered[(code, int(version))] += int(count)
        excluded: dict[str, list[int]] = {}
        changes: list[dict[str, Any]] = []
        for code in self.counted:
            vids = [vid for vid, _, _ in versions if answered.get((code, vid))]
            known = [vid for vid in vids if code in per_version[vid]]
            kept_info = per_version[known[-1]][code] if known else self.catalogue[code]
            scale = _scale_signature(kept_info)
            if scale != _scale_signature(self.catalogue[code]):  # a newer version without answers yet
                kept_info.text = self.catalogue[code].text
                self.catalogue[code] = kept_info
            other = [vid for vid, _, _ in versions
                     if code in per_version[vid] and _scale_signature(per_version[vid][code]) != scale]
            drop = [vid for vid in vids if vid in other or code not in per_version[vid]]
            if other or drop:
                excluded[code] = sorted(set(other) | set(drop))
            if not drop:
                continue
            left_out = sum(answered[(code, vid)] for vid in drop)
            changes.append({
                "question": code, "kept_versions": [numbers[v] for v in vids if v not in drop],
                "excluded_versions": [numbers[v] for v in drop], "answers_left_out": left_out,
                "note": (f"Вопрос «{self.catalogue[code].text or code}»: шкала менялась между версиями анкеты; "
                         f"учтены только ответы версий с последней шкалой "
                         f"({', '.join(str(numbers[v]) for v in vids if v not in drop)}), не учтено "
                         f"{_answers(left_out)} версий {', '.join(str(numbers[v]) for v in drop)}.")})
        return excluded, changes

    def prefetch_periods(self, periods: list[tuple]) -> None:
        """Fetch the counts of several non-overlapping periods in one grouped query (trend quarters)."""
        missing = [b for b in dict.fromkeys(periods) if b not in self._period_cache]
        if not missing:
            return
        frame = queries.value_counts(self.survey.id, missing, self.center_ids, self.numeric,
                                     exclude_versions=self.excluded)
        nested = nest_counts(frame)
        for index, bounds in enumerate(missing):
            self._period_cache[bounds] = {key[1]: value for key, value in nested.items() if key[0] == index}

    def period_counts(self, bounds: tuple) -> dict:
        """``{center_id: {code: {value: count}}}`` of one period; each period is queried once per report."""
        if bounds not in self._period_cache:
            frame = queries.value_counts(self.survey.id, [bounds], self.center_ids, self.numeric,
                                         exclude_versions=self.excluded)
            self._period_cache[bounds] = {key[1]: value for key, value in nest_counts(frame).items()}
        return self._period_cache[bounds]

    def low_n(self, n: int) -> bool:
        return n < self.min_n

    def center_code(self, center_id: int) -> str:
        org = self.tree.get(center_id)
        return org.code if org else str(center_id)

    def branch_of(self, center: Organisation) -> Organisation | None:
        bid = queries.branch_id_of(center, self.tree)
        return self.tree.get(bid) if bid else None

    def ranked_ids(self) -> list[int]:
        """Centres with enough responses to enter tests, rankings and recommendations."""
        return [c.id for c in self.centers if not self.low_n(self.n_by_center.get(c.id, 0))]

    def group_questions(self, counts: dict[str, Counter]) -> dict[str, Any]:
        return {code: measures.measure(info, counts.get(code), self.confidence)
                for code, info in self.catalogue.items() if info.is_numeric}

    # ------------------------------------------------------------------ sections

    def network_questions(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        texts = [c for c, q in self.catalogue.items() if q.type == "text"]
        summaries = queries.text_summary(self.survey.id, self.bounds, self.center_ids, texts) if texts else {}
        for code, info in self.catalogue.items():
            if info.type == "text":
                out[code] = {"type": "text", **summaries.get(code, {"n": 0, "samples": []})}
            else:
                out[code] = measures.measure(info, self.network.get(code), self.confidence,
                                             self.respondents.get(code))
            out[code]["text"] = info.text
        return out

    def center_rows(self) -> list[dict[str, Any]]:
        rows = []
        for center in self.centers:
            n = self.n_by_center.get(center.id, 0)
            branch = self.branch_of(center)
            questions = self.group_questions(self.by_center.get(center.id, {}))
            rows.append({"center": center.code, "name": center.name, "branch": branch.code if branch else None,
                         "branch_name": branch.name if branch else None, "n": n, "low_n": self.low_n(n),
                         "questions": questions, "sample_size": self.sample_size_need(questions)})
        return rows

    def sample_size_need(self, questions: dict[str, Any]) -> dict[str, Any] | None:
        """Answers a centre needs for ±5 points on the target question's top-2-box share at 95 %, at its own
        share (the network's while it has fewer than 30 answers, or when its share is 0 or 1) and how many
        it has. None when the survey has no scale target question."""
        target = self.settings["target"]
        if not target or not self.catalogue[target].is_score:
            return None
        have = int((questions.get(target) or {}).get("n") or 0)
        own = (questions.get(target) or {}).get("top2box")
        network = measures.measure(self.catalogue[target], self.network.get(target), self.confidence).get("top2box")
        if have >= SAMPLE_SIZE_OWN_MIN and own is not None and 0.0 < own < 1.0:
            share, basis = own, "center"
        elif network is not None and 0.0 < network < 1.0:
            share, basis = network, "network"
        else:
            share, basis = 0.5, "worst_case"
        needed = samplesize.n_for_proportion(SAMPLE_SIZE_MARGIN, share, SAMPLE_SIZE_CONFIDENCE)
        return {"question": target, "needed": needed, "have": have, "enough": have >= needed, "at_share": share,
                "basis": basis, "margin": SAMPLE_SIZE_MARGIN, "confidence": SAMPLE_SIZE_CONFIDENCE}

    def branch_rows(self) -> list[dict[str, Any]]:
        members: dict[int, list[int]] = {}
        for center in self.centers:
            branch = self.branch_of(center)
            if branch is not None:
                members.setdefault(branch.id, []).append(center.id)
        rows = []
        for branch_id, ids in members.items():
            branch = self.tree[branch_id]
            n = sum(self.n_by_center.get(i, 0) for i in ids)
            counts = merge_counts(self.by_center.get(i, {}) for i in ids)
            rows.append({"branch": branch.code, "name": branch.name, "n": n, "low_n": self.low_n(n),
                         "centers": [self.center_code(i) for i in ids], "questions": self.group_questions(counts)})
        return sorted(rows, key=lambda r: r["name"])

    def comparisons(self) -> list[dict[str, Any]]:
        """Across centres (Kruskal–Wallis, chi-square) and each centre against the rest (Holm per family)."""
        ids = self.ranked_ids()
        out: list[dict[str, Any]] = []
        if len(ids) < 2:
            return out
        for code, info in self.catalogue.items():
            if not (info.is_score or info.type == "nps"):
                continue
            per = {i: measures.numeric_counts(self.by_center.get(i, {}).get(code)) for i in ids}
            per = {i: c for i, c in per.items() if sum(c.values()) >= self.min_n}
            if len(per) < 2:
                continue
            named = {self.center_code(i): c for i, c in per.items()}
            out.append(_test_entry(code, "kruskal", "mean", groups.kruskal_from_counts(named), groups=len(named)))
            if info.is_score:
                table = [[k, n - k] for k, n in (measures.top2_k_n(info, c) for c in per.values())]
                out.append(_test_entry(code, "chi_square_top2box", "top2box",
                                       proportions.chi_square_independence(table), groups=len(named)))
            else:
                table = [list(measures.nps_categories(c)) for c in per.values()]
                out.append(_test_entry(code, "chi_square_nps", "nps", proportions.chi_square_independence(table),
                                       groups=len(named)))
            out.extend(self._versus_rest(code, info, per))
        return out

    def _versus_rest(self, code: str, info: QuestionInfo, per: dict[int, dict[float, int]]) -> list[dict[str, Any]]:
        total = Counter(measures.numeric_counts(self.network.get(code)))
        families: dict[str, list[dict[str, Any]]] = {"mann_whitney": [], "two_proportion_z": [],
                                                      "nps_difference_z": []}
        for center_id, counts in per.items():
            rest = dict(total - Counter(counts))
            if sum(rest.values()) < self.min_n:
                continue
            base = {"question": code, "scope": "center", "center": self.center_code(center_id),
                    "n": sum(counts.values()), "n_rest": sum(rest.values())}
            mw = groups.mann_whitney_from_counts(counts, rest)
            mine, other = measures.plain_mean(counts), measures.plain_mean(rest)
            families["mann_whitney"].append({**base, **_test_fields(mw), "measure": "mean", "estimate": mine,
                                             "rest": other, "difference": mine - other})
            if info.is_score:
                k1, n1 = measures.top2_k_n(info, counts)
                k2, n2 = measures.top2_k_n(info, rest)
                z = proportions.two_proportion_ztest(k1, n1, k2, n2, self.confidence)
                families["two_proportion_z"].append({
                    **base, **_test_fields(z), "measure": "top2box", "estimate": z.extra["share1"],
                    "estimate_ci": proportions.wilson(k1, n1, self.confidence).ci.to_list(),
                    "rest": z.extra["share2"], "difference": z.extra["difference"],
                    "difference_ci": z.extra["difference_ci"]})
            else:
                a, b = measures.nps_estimate(counts, self.confidence), measures.nps_estimate(rest, self.confidence)
                d = nps.nps_difference(a, b, self.confidence)
                families["nps_difference_z"].append({
                    **base, **_test_fields(d), "measure": "nps", "estimate": a.nps, "estimate_ci": a.ci.to_list(),
                    "rest": b.nps, "difference": d.extra["difference"], "difference_ci": d.extra["difference_ci"]})
        out = []
        for entries in families.values():
            out.extend(_holm(entries, self.alpha))
        for entry in out:
            entry["direction"] = ("below" if entry["difference"] < 0 else "above") if entry["significant"] else None
        return out

    def previous_section(self) -> dict[str, Any]:
        prev = queries.previous_period(self.period)
        bounds = prev.bounds()
        self.prefetch_periods([q.bounds() for q in queries.trend_quarters(self.period.end, TREND_QUARTERS)])
        prev_by_center = self.period_counts(bounds)
        prev_network = merge_counts(prev_by_center.values())
        responses = queries.response_counts(self.survey.id, [bounds], self.center_ids)
        prev_n = {int(c): int(n) for c, n in zip(responses["center_id"], responses["n"], strict=True)}
        self.prev_n_total = sum(prev_n.values())
        section: dict[str, Any] = {"period": prev.to_dict(), "n_responses": self.prev_n_total, "questions": [],
                                   "centers": [], "notes": []}
        if self.prev_n_total == 0:
            section["notes"].append("В предыдущем периоде ответов нет: сравнение невозможно.")
        for code, info in self.catalogue.items():
            if not (info.is_score or info.type == "nps"):
                continue
            section["questions"].extend(
                self._change(code, info, self.network.get(code), prev_network.get(code), None))
        families: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for center in self.centers:
            if self.low_n(self.n_by_center.get(center.id, 0)) or self.low_n(prev_n.get(center.id, 0)):
                continue
            for code, info in self.catalogue.items():
                if info.is_score or info.type == "nps":
                    for entry in self._change(code, info, self.by_center.get(center.id, {}).get(code),
                                              prev_by_center.get(center.id, {}).get(code), center.code):
                        families.setdefault((code, entry["test"]), []).append(entry)
        for entries in families.values():
            section["centers"].extend(_holm(entries, self.alpha))
        for entry in section["centers"]:
            entry["direction"] = _direction(entry)
        return section

    def _change(self, code: str, info: QuestionInfo, now_counts, prev_counts, center: str | None) -> list[dict]:
        """Current against previous: top-2-box z-test, NPS difference, and (network level) Mann–Whitney for means."""
        now_c, prev_c = measures.numeric_counts(now_counts), measures.numeric_counts(prev_counts)
        n_now, n_prev = sum(now_c.values()), sum(prev_c.values())
        base = {"question": code, "center": center, "n": n_now, "n_previous": n_prev}
        if self.low_n(n_now) or self.low_n(n_prev):
            return [{**base, "test": None, "low_n": True, "significant": False, "direction": None}]
        out = []
        if center is None:
            cur, old = measures.plain_mean(now_c), measures.plain_mean(prev_c)
            mw = groups.mann_whitney_from_counts(now_c, prev_c)
            out.append({**base, **_test_fields(mw), "measure": "mean", "current": cur, "previous": old,
                        "difference": cur - old, "low_n": False})
        if info.is_score:
            k1, n1 = measures.top2_k_n(info, now_c)
            k2, n2 = measures.top2_k_n(info, prev_c)
            z = proportions.two_proportion_ztest(k1, n1, k2, n2, self.confidence)
            out.append({**base, **_test_fields(z), "measure": "top2box", "current": z.extra["share1"],
                        "previous": z.extra["share2"], "difference": z.extra["difference"],
                        "difference_ci": z.extra["difference_ci"], "low_n": False})
        else:
            a, b = measures.nps_estimate(now_c, self.confidence), measures.nps_estimate(prev_c, self.confidence)
            d = nps.nps_difference(a, b, self.confidence)
            out.append({**base, **_test_fields(d), "measure": "nps", "current": a.nps, "current_ci": a.ci.to_list(),
                        "previous": b.nps, "previous_ci": b.ci.to_list(), "difference": d.extra["difference"],
                        "difference_ci": d.extra["difference_ci"], "low_n": False})
        for entry in out:
            entry["significant"] = entry["p_value"] is not None and entry["p_value"] < self.alpha
            entry["direction"] = _direction(entry)
        return out

    def trend_section(self) -> dict[str, Any]:
        quarters = queries.trend_quarters(self.period.end, TREND_QUARTERS)
        codes = [c for c in self.numeric if self.catalogue[c].is_score or self.catalogue[c].type == "nps"]
        # One grouped query for all quarters not fetched yet (the report's own and previous quarter are reused).
        self.prefetch_periods([q.bounds() for q in quarters])
        per_quarter = {index: merge_counts(self.period_counts(q.bounds()).values())
                       for index, q in enumerate(quarters)}
        section: dict[str, Any] = {"quarters": [q.to_dict() for q in quarters], "questions": {}, "notes": []}
        for code in codes:
            info = self.catalogue[code]
            points = []
            for index, quarter in enumerate(quarters):
                counts = per_quarter.get(index, {}).get(code)
                m = measures.measure(info, counts, self.confidence)
                points.append({"quarter": quarter.label, "index": index + 1, "n": m["n"], "mean": m.get("mean"),
                               "top2box": m.get("top2box"), "top2box_ci": m.get("top2box_ci"),
                               "top2box_k": m.get("top2box_k"), "nps": m.get("nps"), "nps_ci": m.get("nps_ci"),
                               "promoters": m.get("promoters"), "passives": m.get("passives"),
                               "detractors": m.get("detractors")})
            section["questions"][code] = self._trend_tests(info, points)
        target = self.settings["target"]
        if target in section["questions"]:
            self.trend_n = [{"quarter": p["quarter"], "n": p["n"]} for p in section["questions"][target]["points"]]
        if not any(p["n"] for q in section["questions"].values() for p in q["points"]):
            section["notes"].append("Нет данных за кварталы тренда.")
        return section

    def _trend_tests(self, info: QuestionInfo, points: list[dict[str, Any]]) -> dict[str, Any]:
        """Quarters with n < min_n are left out of the tests; the others keep their real quarter number."""
        usable = [p for p in points if not self.low_n(p["n"])]
        out: dict[str, Any] = {"points": points, "cochran_armitage": None, "mann_kendall": None,
                               "regression": None, "direction": None, "note": None}
        if len(usable) < 3:
            out["note"] = "Меньше трех кварталов с достаточным числом ответов: тренд не оценивается."
            return out
        if info.is_score:
            out["cochran_armitage"] = self._armitage(usable)
            out["direction"] = out["cochran_armitage"]["direction"]
            series = [p["mean"] for p in usable]
        else:
            out["regression"] = self._nps_regression(usable)
            out["direction"] = out["regression"]["direction"]
            series = [p["nps"] for p in usable]
        out["mann_kendall"] = trend.mann_kendall(series, alpha=self.alpha).to_dict()  # descriptive (Sen's slope)
        return out

    def _armitage(self, usable: list[dict[str, Any]]) -> dict[str, Any]:
        """Cochran–Armitage over the periods kept, scored by their real position in time."""
        ca = proportions.cochran_armitage_trend([p["top2box_k"] for p in usable], [p["n"] for p in usable],
                                                scores=[p["index"] for p in usable], alpha=self.alpha)
        direction = {"up": "up", "down": "down"}.get(ca.extra.get("direction"), "none")
        return {**_test_fields(ca), "slope": ca.extra.get("slope"), "scores": [p["index"] for p in usable],
                "direction": direction}

    def _nps_regression(self, usable: list[dict[str, Any]]) -> dict[str, Any]:
        """OLS of respondents' −1/0/+1 scores on the period's real position in time (slope in NPS points)."""
        result = trend.nps_score_regression([p["promoters"] for p in usable], [p["passives"] for p in usable],
                                            [p["detractors"] for p in usable], [p["index"] for p in usable],
                                            self.confidence)
        return {**result.to_dict(), "scores": [p["index"] for p in usable]}

    def monthly_section(self) -> dict[str, Any]:
        """The last 12 months ending with the period: n, top-2-box of the target question, NPS, and their trends."""
        months = queries.trend_months(self.period.end, MONTHLY_MONTHS)
        target = self.settings["target"]
        target = target if target and self.catalogue[target].is_score else None
        nps_code = next((c for c, q in self.catalogue.items() if q.type == "nps"), None)
        # Only the two questions the section shows, in one grouped query: the months are not reused
        # elsewhere, and every question of every centre for twelve months was most of a report's time.
        codes = [c for c in (target, nps_code) if c]
        frame = queries.value_counts(self.survey.id, [m.bounds() for m in months], self.center_ids, codes,
                                     exclude_versions=self.excluded) if codes else None
        nested = nest_counts(frame) if frame is not None else {}
        per_month = [merge_counts(v for k, v in nested.items() if k[0] == i) for i in range(len(months))]
        section: dict[str, Any] = {
            "months": [{"month": queries.month_label(m), "index": i + 1, **m.to_dict()} for i, m in enumerate(months)],
            "top2box": None, "nps": None, "notes": []}
        if target:
            info = self.catalogue[target]
            points = []
            for i, m in enumerate(months):
                k, n = measures.top2_k_n(info, per_month[i].get(target))
                share = proportions.wilson(k, n, self.confidence) if n else None
                points.append({"month": queries.month_label(m), "index": i + 1, "n": n, "k": k,
                               "share": share.share if share else None,
                               "ci": share.ci.to_list() if share else None, "low_n": self.low_n(n)})
            entry: dict[str, Any] = {"question": target, "points": points, "cochran_armitage": None,
                                     "direction": None, "note": None}
            usable = [{**p, "top2box_k": p["k"]} for p in points if not p["low_n"]]
            if len(usable) >= 3:
                entry["cochran_armitage"] = self._armitage(usable)
                entry["direction"] = entry["cochran_armitage"]["direction"]
            else:
                entry["note"] = "Меньше трех месяцев с достаточным числом ответов: тренд не оценивается."
            section["top2box"] = entry
        if nps_code:
            points = []
            for i, m in enumerate(months):
                mm = measures.nps_measure(per_month[i].get(nps_code), self.confidence)
                points.append({"month": queries.month_label(m), "index": i + 1, "n": mm["n"],
                               "promoters": mm["promoters"], "passives": mm["passives"],
                               "detractors": mm["detractors"], "nps": mm["nps"], "ci": mm["nps_ci"],
                               "low_n": self.low_n(mm["n"])})
            entry = {"question": nps_code, "points": points, "regression": None, "direction": None, "note": None}
            usable = [p for p in points if not p["low_n"]]
            if len(usable) >= 3:
                entry["regression"] = self._nps_regression(usable)
                entry["direction"] = entry["regression"]["direction"]
            else:
                entry["note"] = "Меньше трех месяцев с достаточным числом ответов: тренд не оценивается."
            section["nps"] = entry
        if not any(p["n"] for key in ("top2box", "nps") if section[key] for p in section[key]["points"]):
            section["notes"].append("Нет ответов за последние 12 месяцев.")
        return section

    def channels_section(self) -> dict[str, Any]:
        """Key measures per channel in the period and the previous one, and whether the channel mix moved.

        The mix "moved" when the chi-square test of responses by channel × period has p < alpha and some
        channel's share of responses changed by at least :data:`MIX_MIN_CHANGE`: a network figure then
        mixes channels in other proportions than before, which by itself can shift it."""
        from app.surveys.models import CHANNEL_LABELS

        prev = queries.previous_period(self.period)
        periods = [self.bounds, prev.bounds()]
        target = self.settings["target"]
        target = target if target and self.catalogue[target].is_score else None
        nps_code = next((c for c, q in self.catalogue.items() if q.type == "nps"), None)
        codes = [c for c in (target, nps_code) if c]
        frame = queries.value_counts(self.survey.id, periods, self.center_ids, codes, by_channel=True,
                                     exclude_versions=self.excluded)
        nested = nest_counts(frame, keys=("period", "channel"))
        responses = queries.response_counts(self.survey.id, periods, self.center_ids, by_channel=True)
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
                row: dict[str, Any] = {"channel": channel, "label": CHANNEL_LABELS.get(channel, channel), "n": n,
                                       "share_of_responses": n / totals[period] if totals[period] else None,
                                       "low_n": self.low_n(n), "top2box": None, "nps": None}
                if target:
                    k, m = measures.top2_k_n(self.catalogue[target], counts.get(target))
                    share = proportions.wilson(k, m, self.confidence) if m else None
                    row["top2box"] = {"n": m, "k": k, "share": share.share if share else None,
                                      "ci": share.ci.to_list() if share else None}
                if nps_code:
                    mm = measures.nps_measure(counts.get(nps_code), self.confidence)
                    row["nps"] = {"n": mm["n"], "nps": mm["nps"], "ci": mm["nps_ci"]}
                out.append(row)
            return out

        section: dict[str, Any] = {"question": target, "nps_question": nps_code, "period": self.period.to_dict(),
                                   "previous_period": prev.to_dict(), "current": rows(0), "previous": rows(1),
                                   "mix_test": None, "mix_note": None, "min_change": MIX_MIN_CHANGE}
        if len(channels) >= 2 and all(totals):
            table = [[n_by.get((p, c), 0) for p in (0, 1)] for c in channels]
            test = proportions.chi_square_independence(table)
            changes = {c: n_by.get((0, c), 0) / totals[0] - n_by.get((1, c), 0) / totals[1] for c in channels}
            biggest = max(changes, key=lambda c: abs(changes[c]))
            section["mix_test"] = {**_test_fields(test), "test": "chi_square_channel_mix",
                                   "largest_change": changes[biggest], "largest_change_channel": biggest}
            if test.p_value is not None and test.p_value < self.alpha and abs(changes[biggest]) >= MIX_MIN_CHANGE:
                section["mix_note"] = (
                    f"Состав ответов по каналам изменился по сравнению с предыдущим периодом: доля канала "
                    f"«{CHANNEL_LABELS.get(biggest, biggest)}» {_points(changes[biggest])}. Изменение общих "
                    "показателей отчасти может объясняться другим соотношением каналов; сравнивайте каналы "
                    "по отдельности.")
        return section

    def driver_frame(self) -> Any:
        if getattr(self, "_wide", None) is None:
            codes = [c for c in [self.settings["target"], *self.settings["drivers"],
                                 *(c for b in self.settings["blocks"].values() for c in b)] if c]
            cap = int(_cfg("ANALYSIS_SAMPLE_CAP", queries.SAMPLE_CAP_DEFAULT))
            self._wide, self.sample_capped = queries.respondent_scores(self.survey.id, self.bounds,
                                                                       self.center_ids, codes, cap, self.excluded)
        return self._wide

    def drivers_section(self) -> dict[str, Any]:
        target, attrs = self.settings["target"], self.settings["drivers"]
        section: dict[str, Any] = {"target": target, "r2": None, "n": 0, "attributes": [], "centers": {},
                                   "note": None}
        if not target or not attrs:
            section["note"] = "В анкете не заданы целевой вопрос и факторы для анализа."
            return section
        wide = self.driver_frame()
        data = wide[[target, *attrs]].dropna() if len(wide) else wide
        self.drivers_n = len(data)
        section["n"] = len(data)
        if len(data) < max(self.min_n, len(attrs) + 2):
            section["note"] = f"Недостаточно полных анкет для анализа факторов (n = {len(data)})."
            return section
        try:
            result = drivers_stats.relative_weights(data[attrs], data[target])
        except ValueError as exc:
            section["note"] = f"Анализ факторов невозможен: {exc}"
            return section
        performance = {a: self._performance(a, self.network.get(a)) for a in attrs}
        weights = {a.name: a.weight for a in result.attributes}
        quadrants = {q["name"]: q["quadrant"] for q in drivers_stats.importance_performance(weights, performance)}
        section.update(r2=result.r2, n=result.n)
        for a in result.ranked():
            m = measures.measure(self.catalogue[a.name], self.network.get(a.name), self.confidence)
            section["attributes"].append({
                "question": a.name, "weight": a.weight, "share_of_r2": a.share_of_r2, "beta": a.beta,
                "performance": performance[a.name], "performance_ci": m.get("top2box_ci") or m.get("mean_ci"),
                "quadrant": quadrants[a.name], "quadrant_label": drivers_stats.QUADRANT_LABELS[quadrants[a.name]]})
        for center_id in self.ranked_ids():
            counts = self.by_center.get(center_id, {})
            perf = {a: self._performance(a, counts.get(a)) for a in attrs}
            if any(v is None for v in perf.values()):
                continue
            rows = drivers_stats.importance_performance(weights, perf)
            section["centers"][self.center_code(center_id)] = [
                {"question": r["name"], "importance": r["importance"], "performance": r["performance"],
                 "network_performance": performance[r["name"]], "quadrant": r["quadrant"]} for r in rows]
        return section

    def _performance(self, code: str, counts) -> float | None:
        """Top-2-box share for scale questions, mean otherwise."""
        m = measures.measure(self.catalogue[code], counts, self.confidence)
        return m.get("top2box") if self.catalogue[code].is_score else m.get("mean")

    def reliability_section(self) -> list[dict[str, Any]]:
        blocks = {name: codes for name, codes in self.settings["blocks"].items() if len(codes) >= 2}
        if not blocks:
            return []
        from app.analysis.stats import reliability

        wide = self.driver_frame()
        out = []
        for name, codes in blocks.items():
            data = wide[codes].dropna() if len(wide) else wide
            entry: dict[str, Any] = {"block": name, "items": codes, "alpha": None, "n": len(data), "k": len(codes),
                                     "warning": None}
            if len(data) < max(self.min_n, 3):
                entry["warning"] = f"Недостаточно полных анкет (n = {len(data)})."
            else:
                try:
                    result = reliability.cronbach_alpha(data[codes])
                    entry.update(alpha=result.alpha, n=result.n, k=result.k,
                                 warning="Альфа Кронбаха ниже 0,7: блок недостаточно согласован."
                                 if result.warning else None)
                except ValueError as exc:
                    entry["warning"] = str(exc)
            out.append(entry)
        return out

    def sample_sizes(self) -> dict[str, Any]:
        return {"period": self.n_total, "previous_period": self.prev_n_total,
                "centers": {self.center_code(c.id): self.n_by_center.get(c.id, 0) for c in self.centers},
                "drivers_complete_cases": self.drivers_n, "drivers_sample_capped": self.sample_capped,
                "trend": self.trend_n}


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


def _scale_signature(info: QuestionInfo | None) -> tuple | None:
    """What makes answers of two versions comparable: type, scale bounds and the set of options."""
    if info is None:
        return None
    return (info.type, info.scale_min, info.scale_max, tuple(sorted(info.options)))


def _answers(n: int) -> str:
    """«1 ответ», «3 ответа», «25 ответов»."""
    tail, tens = n % 10, n % 100
    word = "ответ" if tail == 1 and tens != 11 else ("ответа" if 2 <= tail <= 4 and not 12 <= tens <= 14 else "ответов")
    return f"{n} {word}"


def _points(change: float) -> str:
    """A change of a share in Russian percentage points: «выросла на 7,5 п. п.»."""
    text = f"{abs(change) * 100:.1f}".replace(".", ",")
    return f"{'выросла' if change > 0 else 'снизилась'} на {text} п. п."


def _direction(entry: dict[str, Any]) -> str | None:
    if not entry.get("significant") or entry.get("difference") is None:
        return None
    return "up" if entry["difference"] > 0 else "down"


def methods_section(ctx: _Context) -> dict[str, Any]:
    from app.analysis import recommend

    weights = operations.rank_weights()
    cap = int(_cfg("ANALYSIS_SAMPLE_CAP", queries.SAMPLE_CAP_DEFAULT))
    return {
        "confidence": ctx.confidence,
        "alpha": ctx.alpha,
        "min_n": ctx.min_n,
        "time_zone": _cfg("DEFAULT_CENTER_TIMEZONE", "Europe/Moscow"),
        "weighting": "Без взвешивания: каждая анкета учитывается один раз.",
        "intervals": {
            "mean": "t-интервал Стьюдента",
            "top2box": "интервал Уилсона для доли двух лучших оценок шкалы",
            "choice": "интервал Уилсона для доли варианта среди ответивших",
            "nps": "скорректированный интервал Вальда (Rocks 2016): +0,75 к промоутерам и критикам, +3 к n",
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
        "sampling": (f"Для анализа факторов и надежности берется не более {cap} анкет периода: если их больше, "
                     "систематическая выборка — каждая k-я анкета в порядке поступления, равномерно по всему "
                     "периоду; учитываются только полностью заполненные"
                     + (" — выборка применена." if ctx.sample_capped else " — выборка не понадобилась.")),
        "scale_changes": "Если шкала вопроса (тип, границы шкалы или набор вариантов) различается между версиями "
                         "анкеты, ответы на разных шкалах не объединяются: берется шкала самой новой версии с "
                         "ответами за период (без ответов — самой новой версии анкеты), ответы версий с другой "
                         "шкалой не учитываются во всех разделах отчета (в том числе тренды, сравнение с прошлым "
                         "периодом, каналы, факторы); число неучтенных ответов периода указано в примечаниях.",
        "sample_size": {
            "margin": SAMPLE_SIZE_MARGIN, "confidence": SAMPLE_SIZE_CONFIDENCE, "own_share_from": SAMPLE_SIZE_OWN_MIN,
            "text": "Нужный объем выборки ЦОК — число ответов на целевой вопрос, при котором 95-процентный интервал "
                    "доли двух лучших оценок не шире ±5 процентных пунктов: n = z²·p(1 − p)/0,05², z = 1,96 "
                    "(Кокрен, 1977), с округлением вверх; p — доля ЦОК за период, а при менее чем 30 ответах "
                    "(или доле 0 или 100 %) — доля по сети; без данных — p = 0,5 (385 ответов). Рядом — "
                    "сколько ответов у ЦОК есть.",
        },
        "sample_cap": cap,
        "sample_capped": ctx.sample_capped,
        "ranking": {"weights": weights,
                    "scaling": "доля двух лучших оценок × 100; (NPS + 100) / 2; (1 − доля жалоб) × 100; доля "
                               "ответов в срок × 100; доля выполненных обещаний × 100; при отсутствии компонента "
                               "веса остальных нормируются",
                    "shrinkage": "эмпирический байесовский подход (Efron, Morris 1975): доли ЦОК (филиалов) "
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
                            "индекса на уровне доверия отчета"},
        "priority": recommend.PRIORITY_METHOD,
        "on_time_target": float(_cfg("ANALYSIS_TARGET_ON_TIME", 0.95)),
        "promises_target": float(_cfg("ANALYSIS_TARGET_PROMISES", 0.9)),
    }


# --------------------------------------------------------------------------- CSV


def report_to_csv(report: dict[str, Any]) -> str:
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

    def ci(value, index):
        return value[index] if value else None

    q_rows = []
    for scope_code, scope_n, questions in [("всего", report["n_responses"], report["questions"])] + [
            (c["center"], c["n"], c["questions"]) for c in report["centers"]]:
        for code, q in questions.items():
            if q["type"] in ("text", *measures.CHOICE_TYPES):
                continue
            q_rows.append([scope_code, scope_n, code, q["type"], q["n"], q.get("mean"), ci(q.get("mean_ci"), 0),
                           ci(q.get("mean_ci"), 1), q.get("top2box"), ci(q.get("top2box_ci"), 0),
                           ci(q.get("top2box_ci"), 1), q.get("nps"), ci(q.get("nps_ci"), 0), ci(q.get("nps_ci"), 1)])
    table("questions", ["group", "n_responses", "question", "type", "n", "mean", "mean_low", "mean_high", "top2box",
                        "top2box_low", "top2box_high", "nps", "nps_low", "nps_high"], q_rows)
    choice_rows = [[code, opt, o["k"], q["n"], o["share"], ci(o["ci"], 0), ci(o["ci"], 1)]
                   for code, q in report["questions"].items() if q["type"] in measures.CHOICE_TYPES
                   for opt, o in q["options"].items()]
    table("choices", ["question", "option", "k", "n", "share", "low", "high"], choice_rows)
    table("centers", ["center", "name", "branch", "n", "low_n", "sample_needed", "sample_have", "sample_basis"],
          [[c["center"], c["name"], c["branch"], c["n"], c["low_n"], *(
              [c["sample_size"]["needed"], c["sample_size"]["have"], c["sample_size"]["basis"]]
              if c.get("sample_size") else [None, None, None])] for c in report["centers"]])
    table("comparisons", ["question", "test", "center", "statistic", "p_value", "p_adjusted", "significant",
                          "difference"],
          [[c["question"], c["test"], c.get("center"), c["statistic"], c["p_value"], c.get("p_adjusted"),
            c.get("significant"), c.get("difference")] for c in report["comparisons"]])
    prev = report.get("previous") or {}
    table("previous", ["question", "center", "measure", "current", "previous", "difference", "p_value",
                       "significant"],
          [[c["question"], c.get("center"), c.get("measure"), c.get("current"), c.get("previous"),
            c.get("difference"), c.get("p_adjusted", c.get("p_value")), c.get("significant")]
           for c in prev.get("questions", []) + prev.get("centers", [])])
    monthly = report.get("monthly") or {}
    top2 = {p["month"]: p for p in (monthly.get("top2box") or {}).get("points", [])}
    nps_m = {p["month"]: p for p in (monthly.get("nps") or {}).get("points", [])}
    table("monthly", ["month", "top2box_n", "top2box", "top2box_low", "top2box_high", "nps_n", "nps", "nps_low",
                      "nps_high"],
          [[m["month"], top2.get(m["month"], {}).get("n"), top2.get(m["month"], {}).get("share"),
            ci(top2.get(m["month"], {}).get("ci"), 0), ci(top2.get(m["month"], {}).get("ci"), 1),
            nps_m.get(m["month"], {}).get("n"), nps_m.get(m["month"], {}).get("nps"),
            ci(nps_m.get(m["month"], {}).get("ci"), 0), ci(nps_m.get(m["month"], {}).get("ci"), 1)]
           for m in monthly.get("months", [])])
    channels = report.get("channels") or {}
    table("channels", ["period", "channel", "n", "share_of_responses", "top2box", "top2box_low", "top2box_high",
                       "nps", "nps_low", "nps_high"],
          [[which, r["channel"], r["n"], r["share_of_responses"], (r["top2box"] or {}).get("share"),
            ci((r["top2box"] or {}).get("ci"), 0), ci((r["top2box"] or {}).get("ci"), 1),
            (r["nps"] or {}).get("nps"), ci((r["nps"] or {}).get("ci"), 0), ci((r["nps"] or {}).get("ci"), 1)]
           for which in ("current", "previous") for r in channels.get(which, [])])
    table("drivers", ["question", "weight", "share_of_r2", "beta", "performance", "quadrant"],
          [[a["question"], a["weight"], a["share_of_r2"], a["beta"], a["performance"], a["quadrant"]]
           for a in report["drivers"]["attributes"]])
    table("reliability", ["block", "alpha", "n", "k", "warning"],
          [[r["block"], r["alpha"], r["n"], r["k"], r["warning"]] for r in report["reliability"]])
    table("ranking", ["level", "code", "name", "rank", "rank_low", "rank_high", "p_bottom", "index", "index_low",
                      "index_high", "low_n", "top2box", "top2box_low", "top2box_high", "top2box_shrunk"],
          [[r["level"], r["code"], r["name"], r["rank"], ci(r.get("rank_range"), 0), ci(r.get("rank_range"), 1),
            r.get("p_bottom"), r["index"], ci(r.get("index_ci"), 0), ci(r.get("index_ci"), 1), r["low_n"],
            r.get("top2box"), ci(r.get("top2box_ci"), 0), ci(r.get("top2box_ci"), 1), r.get("top2box_shrunk")]
           for r in report["ranking"]["centers"] + report["ranking"]["branches"]])
    table("recommendations", ["priority", "center", "question", "rule", "responsible_role", "finding", "action",
                              "difference", "p_value", "q_value", "family_size"],
          [[r["priority"], r["center"], r["question"], r["rule"], r["responsible_role"], r["finding"], r["action"],
            r["evidence"]["difference"], r["evidence"]["p_value"], r["evidence"]["q_value"],
            r["evidence"]["family_size"]] for r in report["recommendations"]])
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
