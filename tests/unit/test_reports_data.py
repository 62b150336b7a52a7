"""Realistic source dicts for the report renderers (the shapes of issues 4 and 6), and checks of them.

The satisfaction dict follows ``app.analysis.report.build_report``; the appeals dict follows
``app.appeals.report.monitoring_report`` with the company's first half-year figures from issue 4.
"""

from __future__ import annotations

import random

from app.demo.org_tree import BRANCHES

QUESTIONS = {"overall": "Общая удовлетворенность", "wait": "Время ожидания", "polite": "Вежливость",
             "competence": "Компетентность", "comfort": "Комфорт в зале", "clarity": "Понятность разъяснений"}


def _rating(rng: random.Random, n: int, level: float) -> dict:
    weights = [max(0.01, w) for w in (0.05 - level / 20, 0.07 - level / 30, 0.18, 0.35 + level / 10, 0.35 + level / 5)]
    total = sum(weights)
    counts = [int(round(n * w / total)) for w in weights]
    counts[-1] += n - sum(counts)
    top = (counts[3] + counts[4]) / n
    mean = sum((i + 1) * c for i, c in enumerate(counts)) / n
    half = 1.96 * (top * (1 - top) / n) ** 0.5
    return {"type": "rating", "n": n, "mean": mean, "mean_ci": [mean - 0.05, mean + 0.05], "top2box": top,
            "top2box_ci": [top - half, top + half],
            "distribution": {str(i + 1): c for i, c in enumerate(counts)}}


def _nps(n: int, promoters: int, detractors: int) -> dict:
    passives = n - promoters - detractors
    nps = (promoters - detractors) / n * 100
    return {"type": "nps", "n": n, "nps": nps, "nps_ci": [nps - 6.1, nps + 6.0], "promoters": promoters,
            "passives": passives, "detractors": detractors}


def satisfaction_report(scope: str = "company") -> dict:
    rng = random.Random(7)
    centers = []
    for branch_code, _branch_name, centres in BRANCHES:
        for code, name, _address in centres:
            n = 12 if code == "NEL" else rng.randint(60, 400)
            level = -1.5 if code == "LGV" else rng.uniform(-0.3, 0.5)
            questions = {q: _rating(rng, n, level if q in ("overall", "wait") else level / 2) for q in QUESTIONS}
            promoters = int(n * (0.55 + level / 10))
            questions["nps"] = _nps(n, promoters, int(n * 0.2))
            centers.append({"center": code, "name": name, "branch": branch_code, "n": n, "low_n": n < 30,
                            "questions": questions})
    n_total = sum(c["n"] for c in centers)
    questions = {q: _rating(rng, n_total, 0.2) for q in QUESTIONS}
    questions["nps"] = _nps(n_total, 5212, 1733)
    questions["overall"].update({"top2box": 0.8123, "top2box_ci": [0.8021, 0.8221], "mean": 4.18,
                                 "mean_ci": [4.16, 4.20]})
    ranked = sorted((c for c in centers if not c["low_n"]),
                    key=lambda c: -c["questions"]["overall"]["top2box"])
    ranking_centers = [{"center": c["center"], "name": c["name"], "branch": c["branch"],
                        "index": 40 + 50 * c["questions"]["overall"]["top2box"],
                        "index_ci": [36 + 50 * c["questions"]["overall"]["top2box"],
                                     44 + 50 * c["questions"]["overall"]["top2box"]],
                        "rank": i + 1, "low_n": False,
                        "components": {"satisfaction": 100 * c["questions"]["overall"]["top2box"], "nps": 50.0}}
                       for i, c in enumerate(ranked)]
    ranking_centers.append({"center": "NEL", "name": "Нелидово", "branch": "TVER", "index": None, "rank": None,
                            "low_n": True})
    branches = [{"branch": code, "name": name, "index": 70.0 - i, "index_ci": [67.0 - i, 73.0 - i],
                 "rank": i + 1, "low_n": False} for i, (code, name, _c) in enumerate(BRANCHES)]
    quarters = ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    return {
        "survey": "visit-csat", "survey_title": "Оценка визита в ЦОК",
        "period": {"from": "2026-07-01", "to": "2026-09-30"}, "scope": scope, "n_responses": n_total,
        "min_n": 30, "confidence": 0.95,
        "question_titles": QUESTIONS | {"nps": "Готовность рекомендовать (NPS)"},
        "questions": questions,
        "centers": centers,
        "comparisons": [{"question": "overall", "test": "kruskal", "statistic": 88.4, "p_value": 0.00002},
                        {"question": "overall", "test": "chi2_top2box", "statistic": 70.1, "p_value": 0.0004}],
        "drivers": {"target": "overall", "r2": 0.46, "n": 9876, "attributes": [
            {"question": "wait", "weight": 0.19, "beta": 0.41, "performance": 0.64, "quadrant": "concentrate"},
            {"question": "competence", "weight": 0.12, "beta": 0.28, "performance": 0.83, "quadrant": "keep"},
            {"question": "polite", "weight": 0.08, "beta": 0.18, "performance": 0.88, "quadrant": "overkill"},
            {"question": "clarity", "weight": 0.05, "beta": 0.11, "performance": 0.71, "quadrant": "low"},
            {"question": "comfort", "weight": 0.02, "beta": 0.05, "performance": 0.79, "quadrant": "low"}]},
        "reliability": [{"block": "service", "alpha": 0.82}],
        "recommendations": [
            {"priority": 0.91, "center": "LGV", "question": "wait",
             "finding": "ЦОК Льгов: доля довольных временем ожидания 41,0 % [35,2; 47,0] при 64,0 % по сети, "
                        "n = 250, p < 0,001",
             "action": "Ввести предварительную запись на прием и электронную очередь",
             "evidence": {"estimate": 0.41, "ci": [0.352, 0.47], "n": 250, "p_value": 0.00001}},
            {"priority": 0.55, "center": None, "question": "wait",
             "finding": "Время ожидания — в квадранте «сосредоточить усилия» по сети",
             "action": "Пересмотреть график работы окон в часы пик",
             "evidence": {"weight": 0.19, "performance": 0.64}},
            {"priority": 0.31, "center": "KUR", "question": "clarity",
             "finding": "ЦОК Курск: понятность разъяснений снизилась на 6,2 п. п. (p = 0,012)",
             "action": "Подготовить памятки по технологическому присоединению",
             "evidence": {"diff": -0.062, "p_value": 0.012}}],
        "previous": {
            "period": {"from": "2026-04-01", "to": "2026-06-30"}, "n_responses": n_total - 250,
            "questions": {"overall": {"top2box": 0.7842}, "nps": {"nps": 30.1}},
            "changes": [
                {"question": "overall", "metric": "top2box", "before": 0.7842, "after": 0.8123, "diff": 0.0281,
                 "diff_ci": [0.0137, 0.0425], "p_value": 0.0001, "test": "two_proportion_z", "significant": True},
                {"question": "nps", "metric": "nps", "before": 30.1, "after": 31.2, "diff": 1.1,
                 "diff_ci": [-2.3, 4.5], "p_value": 0.52, "test": "nps_difference", "significant": False}]},
        "trend": {"periods": quarters, "series": [
            {"question": "overall", "metric": "top2box",
             "points": [{"period": q, "value": v, "ci": [v - 0.012, v + 0.012], "n": 2500}
                        for q, v in zip(quarters, (0.76, 0.77, 0.7842, 0.8123), strict=True)],
             "test": {"name": "cochran_armitage", "statistic": 14.2, "p_value": 0.0002, "direction": "up",
                      "significant": True}},
            {"question": "nps", "metric": "nps",
             "points": [{"period": q, "value": v, "ci": [v - 3.0, v + 3.0], "n": 2500}
                        for q, v in zip(quarters, (28.0, 29.5, 30.1, 31.2), strict=True)],
             "test": {"name": "mann_kendall", "statistic": 6.0, "p_value": 0.09, "direction": "none",
                      "significant": False, "slope": 1.0}}]},
        "complaints_control": {
            "p_chart": {"center_line": 0.041, "laney": False, "points": [
                {"period": q, "n": 10000, "complaints": c, "p": c / 10000, "lcl": 0.035, "ucl": 0.047,
                 "out": not 0.035 <= c / 10000 <= 0.047}
                for q, c in zip(quarters, (390, 402, 415, 520), strict=True)]},
            "funnel": {"target": 0.041, "points": [
                {"center": "LGV", "name": "Льгов", "n": 900, "p": 0.081, "out": True},
                {"center": "KUR", "name": "Курск", "n": 3000, "p": 0.04, "out": False}]}},
        "ranking": {"weights": {"satisfaction": 0.4, "nps": 0.2, "complaints": 0.2, "on_time": 0.1,
                                "promises": 0.1},
                    "centers": ranking_centers, "branches": branches},
        "actions": [
            {"id": 1, "title": "Электронная очередь в ЦОК Льгов", "owner": "LGV", "owner_name": "Льгов",
             "status": "done", "metric": "wait", "due_date": "2026-05-31", "done_on": "2026-05-20",
             "effect": {"before": 0.38, "after": 0.41, "diff": 0.03, "p_value": 0.21, "significant": False}},
            {"id": 2, "title": "Обучение операторов ЦОК Курск", "owner": "KUR", "owner_name": "Курск",
             "status": "in_progress", "metric": "competence", "due_date": "2026-10-31", "effect": None}],
        "methods": {"confidence": 0.95, "min_n": 30, "weighting": "без взвешивания",
                    "tests": ["Доля «4»+«5» — интервал Уилсона", "NPS — скорректированный интервал Вальда"]},
        "sample_sizes": [{"center": c["center"], "name": c["name"], "n": c["n"], "low_n": c["low_n"]}
                         for c in centers],
        "comments": [
            {"center": "KUR", "question": "comment", "text": "Очень долго ждал в очереди, звоните +7 912 345-67-89"},
            {"center": "LGV", "question": "comment",
             "text": 'Спасибо! <img src="http://169.254.169.254/latest"> <img src="file:///etc/passwd">'},
        ],
    }


def appeals_report() -> dict:
    """The company's first half-year of 2007 (issue 4 acceptance figures)."""
    total = 40357
    kinds = {"complaint": 1661, "application": 38696}
    forms = {("complaint", "remote"): 1360, ("complaint", "in_person"): 301,
             ("application", "remote"): 25689, ("application", "in_person"): 13007}
    topics = {("complaint", "connection"): 31, ("complaint", "transmission"): 53, ("complaint", "quality"): 1434,
              ("complaint", "metering"): 143, ("application", "connection"): 9396,
              ("application", "transmission"): 18396, ("application", "metering"): 10904}
    return {
        "period": {"from": "2007-01-01", "to": "2007-06-30"}, "scope": "company", "total": total,
        "by_kind": [{"kind": k, "count": c, "share": c / total} for k, c in kinds.items()],
        "by_kind_form": [{"kind": k, "form": f, "count": c, "share_of_total": c / total,
                          "share_of_kind": c / kinds[k]} for (k, f), c in forms.items()],
        "by_kind_topic": [{"kind": k, "topic": t, "count": c, "share_of_kind": c / kinds[k]}
                          for (k, t), c in topics.items()],
        "by_center": [{"center": "KUR", "center_name": "Курск", "total": 20000, "complaints": 700,
                       "applications": 19300},
                      {"center": "LGV", "center_name": "Льгов", "total": 10357, "complaints": 661,
                       "applications": 9696},
                      {"center": "SHCH", "center_name": "Щигры", "total": 10000, "complaints": 300,
                       "applications": 9700}],
        "processing": {"on_time_share": 0.9634, "median_days": 4.0, "p90_days": 12.5, "overdue": 17,
                       "promises_kept_share": 0.912},
        "previous": {"period": {"from": "2006-07-01", "to": "2006-12-31"}, "total": 38000,
                     "by_kind": [{"kind": "complaint", "count": 1900, "share": 0.05},
                                 {"kind": "application", "count": 36100, "share": 0.95}]},
        "changes": [{"key": "by_kind.complaint", "label": "Доля: жалоба", "previous": 0.05, "current": 1661 / total,
                     "difference": 1661 / total - 0.05, "test": "two_proportion_z", "p_value": 0.00001,
                     "significant": True},
                    {"key": "processing.on_time_share", "label": "Ответы в срок", "previous": 0.96,
                     "current": 0.9634, "difference": 0.0034, "test": "two_proportion_z", "p_value": 0.41,
                     "significant": False}],
        "root_causes": [{"code": "late", "name": "Нарушение сроков", "count": 320, "share": 0.41},
                        {"code": "bill", "name": "Ошибка в начислениях <b>", "count": 210, "share": 0.27}],
        "regulator_form": None,
    }


def test_fixture_shapes_are_consistent():
    report = satisfaction_report()
    assert report["n_responses"] == sum(c["n"] for c in report["centers"])
    assert any(c["low_n"] for c in report["centers"])
    appeals = appeals_report()
    assert sum(k["count"] for k in appeals["by_kind"]) == appeals["total"]
    assert sum(r["count"] for r in appeals["by_kind_form"] if r["kind"] == "complaint") == 1661
