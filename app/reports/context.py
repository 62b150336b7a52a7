"""Turn the analysis and appeals report dicts into what the report templates show.

Pure functions of the source dicts (no database): every figure is formatted here, once, the Russian
way, and every chart is drawn here, so that templates only place things. Source dicts are read
defensively (``.get``) because a missing section must leave a gap in the report, not break it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from app.reports import charts
from app.reports.fmt import (
    ci_pair,
    ci_text,
    is_number,
    mask_personal,
    num,
    p_value_text,
    pct,
    period_label,
    quarter_short,
    signed,
)

Progress = Callable[[int], None]

KIND_LABELS = {"complaint": "Жалобы", "application": "Заявления"}
KIND_ONE = {"complaint": "жалоба", "application": "заявление"}
FORM_LABELS = {"in_person": "Очно", "remote": "Заочно", "interactive": "Интерактивно"}
TOPIC_FALLBACK = {"connection": "Технологическое присоединение", "transmission": "Передача и энергоснабжение",
                  "metering": "Учет электроэнергии", "quality": "Качество электроэнергии", "other": "Прочие вопросы"}
ACTION_STATUS = {"planned": "Запланировано", "in_progress": "Выполняется", "done": "Выполнено",
                 "cancelled": "Отменено"}
TEST_NAMES = {"two_proportion_z": "z-тест для двух долей", "nps_difference": "разность NPS (интервал Вальда)",
              "mann_whitney": "критерий Манна — Уитни", "chi2": "критерий хи-квадрат",
              "chi_square": "критерий хи-квадрат", "kruskal": "критерий Краскела — Уоллиса",
              "cochran_armitage": "тест Кокрена — Армитиджа", "mann_kendall": "тест Манна — Кендалла",
              "chi2_top2box": "хи-квадрат (доля «4»+«5»)"}
RANK_COMPONENTS = {"top2box": "удовлетворенность", "nps": "NPS", "complaints": "доля жалоб",
                   "on_time": "ответы в срок", "promises": "выполненные обещания"}
DIRECTION = {"up": "рост", "down": "снижение", "increasing": "рост", "decreasing": "снижение"}


def _noop(_: int) -> None:
    return None


def _title(report: dict[str, Any], code: str | None) -> str:
    if not code:
        return ""
    titles = report.get("question_titles") or {}
    question = (report.get("questions") or {}).get(code) or {}
    return titles.get(code) or question.get("text") or question.get("title") or question.get("label") or code


def _center_names(report: dict[str, Any]) -> dict[str, str]:
    names = {c.get("center"): c.get("name") or c.get("center") for c in report.get("centers") or []}
    return {k: v for k, v in names.items() if k}


def main_question(report: dict[str, Any]) -> str | None:
    """The headline rating: the drivers' target, else ``overall``, else the first rating question."""
    questions = report.get("questions") or {}
    target = (report.get("drivers") or {}).get("target")
    if target in questions:
        return target
    if "overall" in questions:
        return "overall"
    return next((code for code, q in questions.items() if q.get("type") in ("rating", "ces", "matrix_row")), None)


def nps_question(report: dict[str, Any]) -> str | None:
    return next((code for code, q in (report.get("questions") or {}).items() if q.get("type") == "nps"), None)


def _changes(source: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Network-level change of each question against the previous period, keyed by question.

    The analysis report lists one entry per question and measure (``previous.questions``); the headline
    uses the top-2-box share of scale questions and the NPS of NPS questions.
    """
    source = source or {}
    entries = source.get("questions") if isinstance(source.get("questions"), list) else source.get("changes") or []
    if isinstance(entries, dict):
        entries = [{"question": k, **v} for k, v in entries.items() if isinstance(v, dict)]
    out: dict[str, dict[str, Any]] = {}
    for e in entries:
        if not isinstance(e, dict) or e.get("center"):
            continue
        measure = e.get("measure") or e.get("metric")
        code = e.get("question")
        if measure in ("top2box", "nps") or (code not in out and measure != "mean"):
            diff = e.get("difference", e.get("diff"))
            out[code] = {**e, "diff": diff}
    return out


def change_text(change: dict[str, Any] | None, points: bool) -> dict[str, Any]:
    """A change for the headline: shown as a change only when significant."""
    if not change or not is_number(change.get("diff")):
        return {"text": "нет данных за прошлый период", "significant": False, "direction": ""}
    diff = change["diff"] * (1 if points else 100)
    unit = "" if points else "\u00a0п.\u00a0п."
    significant = bool(change.get("significant"))
    direction = "up" if diff > 0 else "down"
    if significant:
        text = f"{signed(diff, 1)}{unit} — значимо ({p_value_text(change.get('p_value'))})"
    else:
        text = f"{signed(diff, 1)}{unit} — в пределах случайных колебаний ({p_value_text(change.get('p_value'))})"
    return {"text": text, "significant": significant, "direction": direction if significant else ""}


# ------------------------------------------------------------------ satisfaction


def satisfaction_context(report: dict[str, Any], *, scope_name: str, comments: Iterable[dict[str, Any]] = (),
                         progress: Progress = _noop, charts_on: bool = True) -> dict[str, Any]:
    """Everything the quarterly satisfaction template shows."""
    questions = report.get("questions") or {}
    main, nps_code = main_question(report), nps_question(report)
    previous = report.get("previous") or {}
    changes = _changes(previous)
    prev_label = period_label(previous.get("period")) or "прошлый период"
    centers = report.get("centers") or []
    names = _center_names(report)
    min_n = report.get("min_n") or (report.get("methods") or {}).get("min_n") or 30

    headline = []
    if main and main in questions:
        q = questions[main]
        headline.append({"title": _title(report, main), "label": "Доля оценок «4» и «5»",
                         "value": pct(q.get("top2box")), "ci": ci_text(q.get("top2box_ci"), 1, True),
                         "n": num(q.get("n")), "mean": num(q.get("mean"), 2), "mean_ci": ci_text(q.get("mean_ci"), 2),
                         "change": change_text(changes.get(main), points=False)})
    if nps_code:
        q = questions[nps_code]
        headline.append({"title": _title(report, nps_code), "label": "Индекс NPS, пунктов",
                         "value": num(q.get("nps"), 1), "ci": ci_text(q.get("nps_ci"), 1), "n": num(q.get("n")),
                         "mean": None, "mean_ci": "", "change": change_text(changes.get(nps_code), points=True)})
    progress(55)

    ctx: dict[str, Any] = {
        "headline": headline, "previous_label": prev_label, "min_n": min_n,
        "n_responses": num(report.get("n_responses")),
        "survey_title": report.get("survey_title") or report.get("survey"),
        "findings": satisfaction_findings(report, main, nps_code, changes, prev_label),
        "question_rows": _question_rows(report),
        "ranking": _ranking(report, names),
        "drivers": _drivers(report),
        "recommendations": _recommendations(report.get("recommendations") or [], report, names),
        "actions": _actions(report.get("actions") or [], names),
        "comments": [{"center": names.get(c.get("center"), c.get("center") or ""),
                      "text": mask_personal(str(c.get("text") or ""))[:600]} for c in comments if c.get("text")],
        "trends": [], "charts": {}, "methods": _methods(report, min_n),
        "sample_sizes": _sample_sizes(report, names, min_n),
        "comparisons": [{"question": _title(report, c.get("question")),
                         "test": TEST_NAMES.get(c.get("test"), c.get("test")),
                         "statistic": num(c.get("statistic"), 2),
                         "p": p_value_text(c.get("p_adjusted") if is_number(c.get("p_adjusted")) else c.get("p_value"))}
                        for c in report.get("comparisons") or []
                        if c.get("scope") != "center"],  # across centres; centre-vs-rest tests feed the findings
        "reliability": [{"block": r.get("block"), "alpha": num(r.get("alpha"), 2),
                         "warning": r.get("warning") if isinstance(r.get("warning"), str)
                         else ("Альфа ниже 0,7: блок согласован недостаточно."
                               if is_number(r.get("alpha")) and r["alpha"] < 0.7 else "")}
                        for r in report.get("reliability") or []],
        "low_n_centers": [c.get("name") or c.get("center") for c in centers if c.get("low_n")],
        "control_findings": control_findings(report),
    }
    for series in _trend_series(report, main, nps_code):
        ctx["trends"].append(_trend(report, series, charts_on))
    progress(65)
    if charts_on:
        ctx["charts"] = _satisfaction_charts(report, ctx, main, centers)
    progress(75)
    return ctx


def satisfaction_findings(report: dict[str, Any], main: str | None, nps_code: str | None,
                          changes: dict[str, dict[str, Any]], prev_label: str) -> list[str]:
    """Three to five key findings in plain Russian, each with its number and uncertainty."""
    questions = report.get("questions") or {}
    findings: list[str] = []
    if main in questions:
        q = questions[main]
        findings.append(f"{_title(report, main)}: оценки «4» и «5» поставили {pct(q.get('top2box'))} клиентов "
                        f"(95\u00a0% интервал {ci_text(q.get('top2box_ci'), 1, True)}, ответов {num(q.get('n'))}).")
        change = changes.get(main)
        if change and is_number(change.get("diff")):
            if change.get("significant"):
                verb = "выросла" if change["diff"] > 0 else "снизилась"
                findings.append(f"По сравнению с периодом «{prev_label}» доля довольных {verb} на "
                                f"{num(abs(change['diff']) * 100, 1)}\u00a0п.\u00a0п.; изменение статистически "
                                f"значимо ({p_value_text(change.get('p_value'))}).")
            else:
                findings.append(f"По сравнению с периодом «{prev_label}» доля довольных значимо не изменилась "
                                f"({signed(change['diff'] * 100, 1)}\u00a0п.\u00a0п., "
                                f"{p_value_text(change.get('p_value'))}).")
    if nps_code in questions:
        q = questions[nps_code]
        findings.append(f"Индекс готовности рекомендовать (NPS) — {num(q.get('nps'), 1)} "
                        f"{ci_text(q.get('nps_ci'), 1)}: промоутеров {num(q.get('promoters'))}, "
                        f"критиков {num(q.get('detractors'))}.")
    attributes = (report.get("drivers") or {}).get("attributes") or []
    focus = [a for a in attributes if a.get("quadrant") == "concentrate"]
    if focus:
        top = max(focus, key=lambda a: a.get("weight") or 0)
        r2 = (report.get("drivers") or {}).get("r2")
        share = top.get("weight") / r2 if is_number(r2) and r2 and is_number(top.get("weight")) else None
        findings.append(f"Главный резерв — «{_title(report, top.get('question'))}»: фактор сильно влияет на общую "
                        f"оценку ({pct(share, 0)} объясненной дисперсии), а его оценка ниже средней.")
    recs = sorted(report.get("recommendations") or [], key=lambda r: -(r.get("priority") or 0))
    if recs and len(findings) < 5:
        action = str(recs[0].get("action") or "").rstrip(". ")
        finding = str(recs[0].get("finding") or "").rstrip(". ")
        action = action[:1].lower() + action[1:]
        findings.append(f"Первоочередная мера — {action}. Основание: {finding}.")
    return findings[:5]


def _question_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for code, q in (report.get("questions") or {}).items():
        if q.get("type") == "nps":
            rows.append({"title": _title(report, code), "n": num(q.get("n")), "value": f"NPS {num(q.get('nps'), 1)}",
                         "ci": ci_text(q.get("nps_ci"), 1), "mean": "—"})
        elif is_number(q.get("top2box")):
            rows.append({"title": _title(report, code), "n": num(q.get("n")), "value": pct(q.get("top2box")),
                         "ci": ci_text(q.get("top2box_ci"), 1, True), "mean": num(q.get("mean"), 2)})
    return rows


def _ranking(report: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    ranking = report.get("ranking") or {}

    def rows(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
        # Groups with answers are ranked however few (issue 14); only unranked ones go to the bottom.
        ranked = sorted(items, key=lambda r: (r.get("rank") is None, r.get("rank") or 0))
        out = []
        for r in ranked:
            code = r.get(key) or r.get("code")
            out.append({"code": code, "name": r.get("name") or names.get(code, code),
                        "rank": r.get("rank"), "rank_range": _rank_range(r), "p_bottom": pct(r.get("p_bottom")),
                        "index": num(r.get("index"), 1), "ci": ci_text(r.get("index_ci") or r.get("ci"), 1),
                        "top2box": pct(r.get("top2box")), "top2box_ci": ci_text(r.get("top2box_ci"), 1, True),
                        "low_n": bool(r.get("low_n")), "raw": r})
        return out

    return {"centers": rows(ranking.get("centers") or [], "center"),
            "branches": rows(ranking.get("branches") or [], "branch"),
            "weights": ranking.get("weights") or {}}


def _rank_range(row: dict[str, Any]) -> str:
    low, high = row.get("rank_low"), row.get("rank_high")
    pair = ci_pair(row.get("rank_range"))
    if pair:
        low, high = pair
    if is_number(low) and is_number(high) and low != high:
        return f"{int(low)}–{int(high)}"
    return ""


def _drivers(report: dict[str, Any]) -> dict[str, Any]:
    drivers = report.get("drivers") or {}
    r2 = drivers.get("r2")
    rows = []
    for a in sorted(drivers.get("attributes") or [], key=lambda a: -(a.get("weight") or 0)):
        share = a.get("share_of_r2")
        if not is_number(share):
            share = a["weight"] / r2 if is_number(r2) and r2 and is_number(a.get("weight")) else None
        quadrant = charts.QUADRANT_LABELS.get(a.get("quadrant")) or a.get("quadrant_label") or a.get("quadrant") or ""
        rows.append({"title": _title(report, a.get("question")), "weight": num(a.get("weight"), 3),
                     "share": pct(share, 0), "beta": num(a.get("beta"), 2), "performance": pct(a.get("performance")),
                     "quadrant": quadrant})
    return {"target": _title(report, drivers.get("target")), "r2": num(r2, 2), "n": num(drivers.get("n")),
            "rows": rows, "note": drivers.get("note") or ""}


def _owner(code: str | None, names: dict[str, str], scope_name: str = "Вся сеть") -> str:
    return names.get(code, code) if code else scope_name


def _evidence_text(evidence: dict[str, Any] | None) -> str:
    if not isinstance(evidence, dict):
        return ""
    parts = []
    if is_number(evidence.get("estimate")):
        if evidence.get("measure") in ("nps", "mean") or abs(evidence["estimate"]) > 1:  # points, not a share
            parts.append(f"оценка {num(evidence['estimate'], 1)} {ci_text(evidence.get('ci'), 1)}".strip())
        else:
            parts.append(f"оценка {pct(evidence['estimate'])} {ci_text(evidence.get('ci'), 1, True)}".strip())
    if is_number(evidence.get("diff")):
        parts.append(f"изменение {signed(evidence['diff'] * 100, 1)}\u00a0п.\u00a0п.")
    if is_number(evidence.get("share")):
        parts.append(f"доля {pct(evidence['share'])} {ci_text(evidence.get('ci'), 1, True)}".strip())
    if is_number(evidence.get("target")):
        parts.append(f"цель {pct(evidence['target'], 0)}")
    if is_number(evidence.get("share_of_r2")):
        parts.append(f"важность {pct(evidence['share_of_r2'], 0)} R²")
    if is_number(evidence.get("weight")):
        parts.append(f"важность {num(evidence['weight'], 2)}")
    if is_number(evidence.get("network_performance")):
        parts.append(f"сеть {pct(evidence['network_performance'])}")
    if is_number(evidence.get("performance")):
        parts.append(f"оценка {pct(evidence['performance'])}")
    if is_number(evidence.get("n")):
        parts.append(f"n = {num(evidence['n'])}")
    if is_number(evidence.get("p_adjusted")):
        parts.append(p_value_text(evidence["p_adjusted"]) + " (Холм)")
    elif is_number(evidence.get("p_value")):
        parts.append(p_value_text(evidence["p_value"]))
    return "; ".join(parts)


def _recommendations(recs: list[dict[str, Any]], report: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    ordered = sorted(recs, key=lambda r: -(r.get("priority") or 0))
    return [{"priority": num(r.get("priority"), 2), "priority_raw": r.get("priority") or 0,
             "center": r.get("center"),
             "owner": r.get("owner_name") or r.get("center_name") or _owner(r.get("owner") or r.get("center"), names),
             "question": _title(report, r.get("question")), "finding": r.get("finding") or "",
             "action": r.get("action") or "", "evidence": _evidence_text(r.get("evidence"))} for r in ordered]


EFFECT_VERDICTS = {"improved": "эффект подтвержден: лучше, чем в сравнительных ЦОК",
                   "worsened": "хуже, чем в сравнительных ЦОК",
                   "no_evidence": "эффект не подтвержден",
                   "no_comparison": "сравнить не с чем"}


def _effect_value(value: Any, metric: str) -> str:
    return pct(value) if metric == "top2box" else num(value, 1 if metric == "nps" else 2)


def _effect_change(value: Any, metric: str, unit: bool = True) -> str:
    if metric == "top2box":
        return signed(value * 100 if is_number(value) else None, 1, "\u00a0п.\u00a0п." if unit else "")
    return signed(value, 1 if metric == "nps" else 2)


def _effect_lines(effect: dict[str, Any]) -> list[str]:
    """Plain Russian lines of a difference-in-differences effect (app.analysis.effects)."""
    metric = effect.get("metric") or "top2box"
    before, after = effect.get("before") or {}, effect.get("after") or {}
    own = {"branch": "В ЦОК филиала", "company": "По компании"}.get(effect.get("scope"), "В ЦОК")
    centre_before, centre_after = (before.get("center") or {}).get("value"), (after.get("center") or {}).get("value")
    lines = [f"{own}: {_effect_change(effect.get('naive_change'), metric)} "
             f"({_effect_value(centre_before, metric)} → {_effect_value(centre_after, metric)})"]
    if effect.get("verdict") != "no_comparison":
        lines.append(f"В сравнительных ЦОК: {_effect_change(effect.get('comparison_change'), metric)}")
    ci = ci_pair(effect.get("ci"))
    if is_number(effect.get("estimate")) and ci:
        lines.append(f"Эффект мероприятия: {_effect_change(effect['estimate'], metric)} "
                     f"[{_effect_change(ci[0], metric, False)}; {_effect_change(ci[1], metric, False)}]")
    lines.append(EFFECT_VERDICTS.get(effect.get("verdict"), "").capitalize())
    return [line for line in lines if line]


def _actions(actions: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of «Выполнение ранее принятых мер»: the effect as the centre's change, the comparison's and the
    difference with its interval; notes (few answers, regression to the mean) become numbered footnotes."""
    rows = []
    marks = 0
    for a in actions:
        effect = a.get("effect") or {}
        lines: list[str] = []
        notes: list[tuple[int, str]] = []
        if effect.get("method") == "difference_in_differences":
            lines = _effect_lines(effect)
            for text in (effect.get("note"), effect.get("regression_to_mean")):
                if text:
                    marks += 1
                    notes.append((marks, str(text)))
            effect_text = "; ".join(lines)
        else:
            effect_text = effect.get("note") or "эффект оценивается после начала мероприятия"
        rows.append({"title": a.get("title") or "", "owner": a.get("owner_name") or _owner(a.get("owner"), names),
                     "status": a.get("status_label") or ACTION_STATUS.get(a.get("status"), a.get("status") or ""),
                     "due": _ru_date(a.get("due_date")), "effect": effect_text, "effect_lines": lines,
                     "notes": notes, "verdict": effect.get("verdict"),
                     "significant": effect.get("verdict") in ("improved", "worsened")})
    return rows


def _ru_date(value: Any) -> str:
    text = str(value or "")[:10]
    if len(text) == 10 and text[4] == "-":
        return f"{text[8:10]}.{text[5:7]}.{text[:4]}"
    return text or "—"


def _methods(report: dict[str, Any], min_n: int) -> list[str]:
    methods = report.get("methods") or {}
    confidence = report.get("confidence") or methods.get("confidence") or 0.95
    lines = [
        f"Уровень доверия интервалов — {pct(confidence, 0)}.",
        "Доля оценок «4» и «5» (top-2-box) — интервал Уилсона; средний балл — t-интервал.",
        "NPS = доля промоутеров (9–10) − доля критиков (0–6), в пунктах; интервал — скорректированный метод "
        "Вальда (Rocks, 2016; Sauro и Lewis).",
        "Сравнение ЦОК: критерий Краскела — Уоллиса и хи-квадрат; каждый ЦОК против остальной сети — критерий "
        "Манна — Уитни и z-тест для двух долей; поправка Холма на множественные сравнения.",
        "Изменение к прошлому периоду: z-тест для двух долей, разность NPS с интервалом; тренд за 4 и более "
        "кварталов — тест Кокрена — Армитиджа и тест Манна — Кендалла с оценкой наклона Сена.",
        "Ключевые факторы: относительные веса Джонсона (в сумме дают R²), стандартизованные коэффициенты МНК; "
        "только полные анкеты.",
        f"Группы с числом ответов меньше {num(min_n)} отмечены серым и не участвуют в тестах и "
        "рекомендациях; в рейтинге их оценки сильнее сглажены к средней по сети.",
    ]
    weighting = methods.get("weighting")
    lines.append(f"Взвешивание: {weighting}." if weighting else "Взвешивание: не применялось.")
    extras: list[str] = []
    for key in ("intervals", "tests"):
        value = methods.get(key)
        if isinstance(value, dict):
            extras += [str(v) for v in value.values()]
        elif isinstance(value, list):
            extras += [str(v) for v in value]
    for key in ("sampling",):
        if isinstance(methods.get(key), str):
            extras.append(methods[key])
    ranking = methods.get("ranking") or {}
    if isinstance(ranking, dict) and ranking.get("scaling"):
        weights = ", ".join(f"{RANK_COMPONENTS.get(k, k)} {pct(v, 0)}"
                            for k, v in (ranking.get("weights") or {}).items())
        extras.append(f"Сводный индекс: {ranking['scaling']}; веса: {weights}")
        extras += [f"Рейтинг: {ranking[key]}" for key in ("shrinkage", "rank") if isinstance(ranking.get(key), str)]
    priority = methods.get("priority")
    if isinstance(priority, dict) and priority.get("formula"):
        extras.append(f"Приоритет рекомендации: {priority['formula']}")
    if extras:
        lines.append("Подробно:")
        lines += [e[0].upper() + e[1:] + ("" if e.endswith(".") else ".") for e in extras if e]
    return lines


def _sample_sizes(report: dict[str, Any], names: dict[str, str], min_n: int) -> list[dict[str, Any]]:
    sizes = report.get("sample_sizes")
    if isinstance(sizes, dict):
        per_center = sizes.get("centers") if isinstance(sizes.get("centers"), dict) else sizes
        sizes = [{"center": k, "n": v} for k, v in per_center.items() if is_number(v)]
    if not sizes:
        sizes = [{"center": c.get("center"), "name": c.get("name"), "n": c.get("n"), "low_n": c.get("low_n")}
                 for c in report.get("centers") or []]
    rows = []
    for s in sizes:
        code = s.get("center") or s.get("group") or s.get("code")
        n = s.get("n")
        rows.append({"name": s.get("name") or names.get(code, code), "n": num(n),
                     "low_n": bool(s.get("low_n", is_number(n) and n < min_n))})
    return rows


def _trend_series(report: dict[str, Any], main: str | None, nps_code: str | None) -> list[dict[str, Any]]:
    """Trend series of the headline questions (``trend.questions`` of the analysis report)."""
    trend = report.get("trend") or {}
    if trend.get("series"):
        return list(trend["series"])
    series = []
    for code in (main, nps_code):
        q = (trend.get("questions") or {}).get(code) if code else None
        if not q:
            continue
        is_nps = code == nps_code
        points = [{"period": p.get("quarter"), "value": p.get("nps") if is_nps else p.get("top2box"),
                   "ci": p.get("nps_ci") if is_nps else p.get("top2box_ci"), "n": p.get("n")}
                  for p in q.get("points") or []]
        points = [p for p in points if is_number(p["value"])]
        test = (q.get("mann_kendall") if is_nps else q.get("cochran_armitage")) or {}
        direction = q.get("direction")
        series.append({"question": code, "metric": "nps" if is_nps else "top2box", "points": points,
                       "note": q.get("note"),
                       "test": {"name": test.get("test") or ("mann_kendall" if is_nps else "cochran_armitage"),
                                "p_value": test.get("p_value"), "direction": direction,
                                "significant": direction in ("up", "down", "increasing", "decreasing")}})
    return series


def _trend(report: dict[str, Any], series: dict[str, Any], charts_on: bool) -> dict[str, Any]:
    metric = series.get("metric") or "top2box"
    is_share = metric not in ("nps", "mean", "index")
    points = []
    for p in series.get("points") or []:
        pair = ci_pair(p.get("ci"))
        points.append(charts.TrendPoint(quarter_short(p.get("period")), p.get("value"),
                                        pair[0] if pair else None, pair[1] if pair else None))
    test = series.get("test") or {}
    direction = DIRECTION.get(test.get("direction"), "")
    if series.get("note"):
        verdict = series["note"].rstrip(".")
    elif test.get("significant") and direction:
        verdict = f"значимый {direction} ({TEST_NAMES.get(test.get('name'), test.get('name'))}, " \
                  f"{p_value_text(test.get('p_value'))})"
    else:
        verdict = f"значимого тренда нет ({TEST_NAMES.get(test.get('name'), test.get('name') or 'тест')}, " \
                  f"{p_value_text(test.get('p_value'))})"
    title = _title(report, series.get("question"))
    label = "Доля оценок «4» и «5», %" if is_share else ("NPS, пунктов" if metric == "nps" else "Средний балл")
    chart = ""
    if charts_on and points:
        chart = charts.trend_chart({title: points}, label, percent=is_share)
    values = [(pt.period, pct(pt.value) if is_share else num(pt.value, 1)) for pt in points]
    return {"title": title, "metric_label": label, "verdict": verdict, "chart": chart, "cells": values,
            "significant": bool(test.get("significant"))}


def _satisfaction_charts(report: dict[str, Any], ctx: dict[str, Any], main: str | None,
                         centers: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    names = _center_names(report)
    questions = report.get("questions") or {}
    bars = []
    for code, q in questions.items():
        if is_number(q.get("top2box")):
            pair = ci_pair(q.get("top2box_ci"))
            bars.append(charts.Bar(_title(report, code), q["top2box"], *(pair or (None, None))))
    if bars:
        out["headline"] = charts.headline_bars(bars, "Доля оценок «4» и «5», % (с 95\u00a0% интервалом)")
    # The dot plot shows branches (or the centres of one branch); every centre is in the table below it.
    chart_rows = ctx["ranking"]["branches"] or ctx["ranking"]["centers"]
    if len(chart_rows) > 25:
        chart_rows = []
    rank_rows = [charts.RankRow(r["name"], r["raw"]["index"],
                                *(ci_pair(r["raw"].get("index_ci") or r["raw"].get("ci")) or (None, None)),
                                muted=r["low_n"])
                 for r in chart_rows if is_number(r["raw"].get("index"))]
    if rank_rows:
        out["ranking"] = charts.ranking_dots(rank_rows)
    if main and main in questions and is_number(questions[main].get("top2box")):
        points = [charts.FunnelPoint(c.get("name") or c.get("center"), c.get("n") or 0,
                                     (c.get("questions") or {}).get(main, {}).get("top2box"), bool(c.get("low_n")))
                  for c in centers if is_number((c.get("questions") or {}).get(main, {}).get("top2box"))]
        if points:
            out["funnel"] = charts.funnel_plot(points, questions[main]["top2box"],
                                               f"{_title(report, main)}: доля «4» и «5», %")
    drivers = report.get("drivers") or {}
    attrs = [charts.Driver(_title(report, a.get("question")), a.get("weight") or 0.0, a.get("performance") or 0.0,
                           a.get("quadrant") or "") for a in drivers.get("attributes") or []
             if is_number(a.get("weight")) and is_number(a.get("performance"))]
    if attrs:
        out["drivers"] = charts.drivers_bars(attrs, drivers.get("r2"))
        out["ipa"] = charts.ipa_scatter(attrs)
    dist_rows, scale = [], None
    for code, q in questions.items():
        distribution = q.get("distribution")
        if q.get("type") in ("rating", "ces", "matrix_row") and isinstance(distribution, dict) and distribution:
            keys = sorted((str(k) for k in distribution), key=lambda k: float(k) if _numeric(k) else 0)
            scale = scale or keys
            if keys == scale:
                dist_rows.append((_title(report, code), {str(k): v for k, v in distribution.items()}))
    if dist_rows and scale:
        out["distribution"] = charts.distribution_bars(dist_rows, scale)
    funnel = (report.get("complaints_control") or {}).get("funnel") or []
    if isinstance(funnel, list) and funnel:
        points = [charts.FunnelPoint(names.get(p.get("label"), p.get("label")), p.get("n") or 0,
                                     p.get("share") or 0.0, bool(p.get("low_n"))) for p in funnel if p.get("n")]
        p0 = next((p.get("p0") for p in funnel if is_number(p.get("p0"))), None)
        if points and is_number(p0):
            out["complaints_funnel"] = charts.funnel_plot(points, p0, "Доля жалоб среди обращений, %",
                                                          xlabel="Число обращений в ЦОК", higher_is_better=False)
    control = (report.get("complaints_control") or {}).get("p_chart") or {}
    if control.get("points"):
        out["p_chart"] = charts.p_chart(
            [charts.ControlPoint(quarter_short(p.get("period") or p.get("label") or ""), p.get("p") or 0.0,
                                 p.get("lcl"), p.get("ucl")) for p in control["points"]],
            control.get("center_line") or 0.0, xlabel="Квартал")
    return out


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def control_findings(report: dict[str, Any]) -> list[str]:
    """Points beyond the limits of the complaint p-chart and the funnel, in words."""
    control = report.get("complaints_control") or {}
    names = _center_names(report)
    out = []
    for s in control.get("signals") or []:
        name = names.get(s.get("center"), s.get("center"))
        where = f"в квартале {s['quarter']}" if s.get("quarter") else "за период"
        topic = TOPIC_FALLBACK.get(s.get("topic"), s.get("topic"))
        text = (f"ЦОК {name}: доля жалоб {where} {pct(s.get('share'))} ({num(s.get('count'))} из "
                f"{num(s.get('n'))}) выше контрольной границы {pct(s.get('limit'))}")
        out.append(text + (f"; больше всего жалоб на тему «{topic}»." if topic else "."))
    for p in (control.get("p_chart") or {}).get("points") or []:
        if p.get("out"):
            out.append(f"{quarter_short(p.get('period') or '')}: доля жалоб {pct(p.get('p'), 2)} — за контрольной "
                       f"границей [{pct(p.get('lcl'), 2)}; {pct(p.get('ucl'), 2)}].")
    funnel = control.get("funnel") or {}
    for p in (funnel.get("points") or []) if isinstance(funnel, dict) else []:
        if p.get("out"):
            out.append(f"ЦОК {p.get('name') or p.get('center')}: доля жалоб {pct(p.get('p') or p.get('value'), 1)} "
                       f"при {num(p.get('n'))} обращениях — за границей 99,8\u00a0% воронки.")
    return out


# ------------------------------------------------------------------ centre cards


def center_cards(report: dict[str, Any], codes: Iterable[str] | None = None,
                 charts_on: bool = True) -> list[dict[str, Any]]:
    """One card per centre from one network report: its figures against the network, rank, top actions."""
    questions = report.get("questions") or {}
    names = _center_names(report)
    ranking = {r.get("center") or r.get("code"): r for r in (report.get("ranking") or {}).get("centers") or []}
    ranked_total = sum(1 for r in ranking.values() if r.get("rank"))
    recs = _recommendations(report.get("recommendations") or [], report, names)
    wanted = set(codes) if codes is not None else None
    cards = []
    for c in report.get("centers") or []:
        code = c.get("center")
        if wanted is not None and code not in wanted:
            continue
        own = c.get("questions") or {}
        rows, bars_c, bars_net = [], [], []
        for qcode, net in questions.items():
            mine = own.get(qcode) or {}
            if net.get("type") == "nps":
                rows.append({"title": _title(report, qcode), "value": num(mine.get("nps"), 1),
                             "ci": ci_text(mine.get("nps_ci"), 1), "network": num(net.get("nps"), 1),
                             "n": num(mine.get("n")), "diff": signed((mine.get("nps") or 0) - (net.get("nps") or 0), 1)
                             if is_number(mine.get("nps")) and is_number(net.get("nps")) else "—",
                             "below": _below(mine.get("nps_ci"), net.get("nps"))})
            elif is_number(net.get("top2box")):
                rows.append({"title": _title(report, qcode), "value": pct(mine.get("top2box")),
                             "ci": ci_text(mine.get("top2box_ci"), 1, True), "network": pct(net.get("top2box")),
                             "n": num(mine.get("n")),
                             "diff": (signed((mine["top2box"] - net["top2box"]) * 100, 1) + "\u00a0п.\u00a0п.")
                             if is_number(mine.get("top2box")) else "—",
                             "below": _below(mine.get("top2box_ci"), net.get("top2box"))})
                if is_number(mine.get("top2box")):
                    bars_c.append((_title(report, qcode), mine["top2box"]))
                    bars_net.append(net["top2box"])
        rank = ranking.get(code) or {}
        own_recs = [r for r in recs if r["center"] == code][:3]
        if len(own_recs) < 3:
            own_recs += [r for r in recs if not r["center"]][: 3 - len(own_recs)]
        chart = charts.center_vs_network(bars_c, bars_net) if charts_on and bars_c else ""
        cards.append({"code": code, "name": c.get("name") or code, "branch": c.get("branch"), "n": num(c.get("n")),
                      "low_n": bool(c.get("low_n")), "rows": rows, "chart": chart,
                      "rank": rank.get("rank"), "ranked_total": ranked_total,
                      "rank_range": _rank_range(rank), "index": num(rank.get("index"), 1),
                      "index_ci": ci_text(rank.get("index_ci") or rank.get("ci"), 1), "actions": own_recs})
    return cards


def _below(ci: Any, network: Any) -> bool:
    pair = ci_pair(ci)
    return bool(pair and is_number(network) and pair[1] < network)


# ------------------------------------------------------------------ appeals


def appeals_context(report: dict[str, Any], *, topic_names: dict[str, str] | None = None,
                    center_names: dict[str, str] | None = None, charts_on: bool = True) -> dict[str, Any]:
    """Everything the appeals monitoring template shows (shares with one decimal)."""
    topics = {**TOPIC_FALLBACK, **(topic_names or {})}
    centers = center_names or {}
    total = report.get("total") or 0
    kinds = []
    for k in report.get("by_kind") or []:
        kind = k.get("kind")
        forms = [{"label": f.get("form_name") or FORM_LABELS.get(f.get("form"), f.get("form")),
                  "count": num(f.get("count")),
                  "share_of_total": pct(f.get("share_of_total")), "share_of_kind": pct(f.get("share_of_kind")),
                  "raw": f}
                 for f in report.get("by_kind_form") or [] if f.get("kind") == kind]
        topic_rows = [{"label": t.get("topic_name") or topics.get(t.get("topic"), t.get("topic")),
                       "count": num(t.get("count")),
                       "share_of_kind": pct(t.get("share_of_kind")), "raw": t}
                      for t in report.get("by_kind_topic") or [] if t.get("kind") == kind]
        kinds.append({"kind": kind, "label": KIND_LABELS.get(kind, kind), "count": num(k.get("count")),
                      "share": pct(k.get("share")), "forms": forms, "topics": topic_rows, "raw": k})
    by_center = []
    for c in report.get("by_center") or []:
        share = c["complaints"] / c["total"] if c.get("total") and is_number(c.get("complaints")) else None
        name = c.get("center_name") or c.get("name") or centers.get(c.get("center"), c.get("center"))
        by_center.append({"name": name,
                          "total": num(c.get("total")), "complaints": num(c.get("complaints")),
                          "applications": num(c.get("applications")), "complaint_share": pct(share), "raw": c})
    processing = report.get("processing") or {}
    proc_rows = [("Ответы в срок", pct(processing.get("on_time_share"))),
                 ("Медиана срока ответа, дней", num(processing.get("median_days"), 1)),
                 ("90-й процентиль срока ответа, дней", num(processing.get("p90_days"), 1)),
                 ("Просрочено сейчас", num(processing.get("overdue"))),
                 ("Выполненные обещания клиентам", pct(processing.get("promises_kept_share")))]
    ctx: dict[str, Any] = {
        "total": num(total), "kinds": kinds, "by_center": by_center, "processing": proc_rows,
        "changes": _appeal_changes(report),
        "previous_label": period_label((report.get("previous") or {}).get("period")),
        "previous_total": num((report.get("previous") or {}).get("total")),
        "root_causes": [{"cause": r.get("cause") or r.get("name") or r.get("code"), "count": num(r.get("count")),
                         "share": pct(r.get("share"))} for r in report.get("root_causes") or []],
        "regulator": regulator_table(report.get("regulator_form")),
        "control": _appeals_control(report, centers, charts_on),
        "charts": {},
    }
    if charts_on and kinds:
        ctx["charts"]["structure"] = _appeals_chart(kinds)
    return ctx


def _appeal_changes(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the period-over-period table (the appeals report's ``changes``: shares with their test)."""
    changes = report.get("changes") or []
    if isinstance(changes, dict):
        changes = [{"key": k, **v} for k, v in changes.items() if isinstance(v, dict)]
    rows = []
    for c in changes:
        before = c.get("previous", c.get("before"))
        after = c.get("current", c.get("after"))
        diff = c.get("difference", c.get("diff"))
        if not is_number(before) and not is_number(after):
            continue
        test = TEST_NAMES.get(c.get("test"), c.get("test") or "")
        rows.append({"label": c.get("label") or c.get("key") or c.get("metric") or "",
                     "before": pct(before), "after": pct(after),
                     "diff": (signed(diff * 100, 1) + "\u00a0п.\u00a0п.") if is_number(diff) else "—",
                     "test": test, "p": p_value_text(c.get("p_value")) if test else "",
                     "significant": bool(c.get("significant")),
                     "verdict": "значимое изменение" if c.get("significant") else "в пределах случайных колебаний"})
    return rows


def regulator_table(form: Any) -> dict[str, Any] | None:
    """The regulator's form п. 4.1 as rows (indicator × channel) with N−1, N and the change in %."""
    if not isinstance(form, dict) or not form.get("rows"):
        return None
    columns = form.get("columns") or {}
    if not isinstance(columns, dict):
        return {"title": form.get("title") or "", "groups": [], "generic": _generic_table(form)}
    groups = []
    for key, label in columns.items():
        lines = []
        for row in form["rows"]:
            cell = (row.get("cells") or {}).get(key) or {}
            change = cell.get("change_pct")
            lines.append({"label": row.get("label") or row.get("row"), "n_1": num(cell.get("n_1")),
                          "n": num(cell.get("n")), "change": signed(change, 1) if is_number(change) else "—",
                          "total": row.get("row") == "total"})
        groups.append({"label": label, "lines": lines})
    return {"title": form.get("title") or "", "year_n": period_label(form.get("year_n")),
            "year_n_1": period_label(form.get("year_n_1")), "groups": groups, "generic": None}


def _appeals_control(report: dict[str, Any], names: dict[str, str], charts_on: bool) -> dict[str, Any]:
    """Complaint share per centre against 3σ limits around the pooled share (a p-chart across centres)."""
    rows = [c for c in report.get("by_center") or [] if c.get("total")]
    total = sum(c["total"] for c in rows)
    if not rows or not total:
        return {"findings": [], "chart": "", "center_line": ""}
    pooled = sum(c.get("complaints") or 0 for c in rows) / total
    points, findings = [], []
    for c in sorted(rows, key=lambda c: c.get("center_name") or c.get("name") or c.get("center")):
        share = (c.get("complaints") or 0) / c["total"]
        low, high = charts.funnel_limits(pooled, c["total"], 3.0)
        name = c.get("center_name") or c.get("name") or names.get(c.get("center"), c.get("center"))
        points.append(charts.ControlPoint(name, share, low, high))
        if share > high:
            findings.append(f"ЦОК {name}: доля жалоб {pct(share)} выше верхней контрольной границы {pct(high)} "
                            f"(средняя {pct(pooled)}) — особая причина, требуется разбор.")
        elif share < low:
            findings.append(f"ЦОК {name}: доля жалоб {pct(share)} ниже нижней контрольной границы {pct(low)} — "
                            "стоит изучить и распространить опыт (или проверить полноту регистрации).")
    for extra in control_findings(report):
        findings.append(extra)
    chart = charts.p_chart(points, pooled, xlabel="ЦОК") if charts_on and len(points) > 1 else ""
    return {"findings": findings, "chart": chart, "center_line": pct(pooled)}


def _appeals_chart(kinds: list[dict[str, Any]]) -> str:
    palette = {KIND_LABELS["complaint"]: charts.VERMILION, KIND_LABELS["application"]: charts.BLUE,
               FORM_LABELS["in_person"]: "#4d4d4d", FORM_LABELS["remote"]: charts.GREY,
               FORM_LABELS["interactive"]: charts.LIGHT_GREY}
    topic_colours = [charts.ORANGE, charts.SKY, charts.GREEN, charts.PURPLE, charts.YELLOW]
    for kind in kinds:
        for t in kind["topics"]:
            if t["label"] not in palette:
                palette[t["label"]] = topic_colours[len([k for k in palette if k not in KIND_LABELS.values()
                                                          and k not in FORM_LABELS.values()]) % len(topic_colours)]
    rows = [("Все обращения: вид", [charts.Segment(k["label"], k["raw"].get("count") or 0, k["raw"].get("share") or 0)
                                    for k in kinds])]
    for kind in kinds:
        rows.append((f"{kind['label']}: форма", [charts.Segment(f["label"], f["raw"].get("count") or 0,
                                                                f["raw"].get("share_of_kind") or 0)
                                                 for f in kind["forms"]]))
        rows.append((f"{kind['label']}: тематика", [charts.Segment(t["label"], t["raw"].get("count") or 0,
                                                                   t["raw"].get("share_of_kind") or 0)
                                                    for t in kind["topics"]]))
    return charts.appeals_structure(rows, palette)


def _generic_table(data: Any) -> dict[str, Any] | None:
    """Render-ready table from ``{"columns": [...], "rows": [...]}`` or a list of dicts."""
    if not data:
        return None
    if isinstance(data, dict):
        rows = data.get("rows") or []
        columns = data.get("columns") or (list(rows[0]) if rows and isinstance(rows[0], dict) else [])
        title = data.get("title") or ""
    else:
        rows, columns, title = list(data), (list(data[0]) if data and isinstance(data[0], dict) else []), ""
    headers = [c.get("label") or c.get("key") if isinstance(c, dict) else str(c) for c in columns]
    keys = [c.get("key") if isinstance(c, dict) else c for c in columns]
    body = []
    for r in rows:
        values = [r.get(k) for k in keys] if isinstance(r, dict) else list(r)
        body.append([num(v, 1 if isinstance(v, float) else 0) if is_number(v) else ("—" if v is None else str(v))
                     for v in values])
    return {"title": title, "headers": headers, "rows": body}
