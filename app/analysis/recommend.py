"""Rules that turn the report's findings into prioritised corrective actions.

Each recommendation carries the finding in Russian with its numbers, an action from the editable
catalogue (``ActionTemplate``; the defaults below when the table is empty), an owner (centre, branch
or the company), and ``priority = impact × gap × confidence`` (see ``operations.PRIORITY_METHOD``).
Low-n groups never appear: the report leaves them out of the tests these rules read.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from scipy import stats as sps
from sqlalchemy import select

from app.extensions import db
from app.nav import format_number, format_percent

OUTCOME_IMPACT = 0.5

DEFAULT_ACTIONS: dict[str, str] = {
    "wait": "Ввести предварительную запись на прием и электронную очередь; пересмотреть график окон в часы пик.",
    "politeness": "Провести обучение сотрудников стандартам общения с клиентами; ввести наставничество и "
                  "выборочное прослушивание (контроль) обслуживания.",
    "competence": "Организовать обучение по продуктам и регламентам (техприсоединение, учет, договоры); "
                  "подготовить базу типовых ответов для операторов.",
    "comfort": "Улучшить условия в зале ожидания: места для сидения, кондиционирование, навигация, питьевая "
               "вода, доступность для маломобильных клиентов.",
    "clarity": "Подготовить понятные памятки и перечни документов; проверять понимание клиентом ответа "
               "перед окончанием приема.",
    "overall": "Разобрать причины низких оценок с руководителем ЦОК; провести аудит соблюдения стандарта "
               "обслуживания («тайный покупатель»).",
    "nps": "Связаться с критиками, давшими согласие на контакт, и разобрать их замечания; устранить "
           "повторяющиеся причины недовольства.",
    "topic:connection": "Проверить соблюдение сроков и этапов технологического присоединения; назначить "
                        "персонального менеджера для заявителей; информировать о статусе заявки.",
    "topic:transmission": "Проанализировать отключения и жалобы на электроснабжение по адресам; согласовать "
                          "с РЭС план ремонтов и информирование потребителей.",
    "topic:metering": "Проверить качество работ по замене и поверке приборов учета; сократить сроки "
                      "рассмотрения заявок по учету.",
    "topic:quality": "Организовать замеры качества электроэнергии по жалобам; включить проблемные участки "
                     "сети в план ремонтов.",
    "topic:other": "Разобрать жалобы с руководителем ЦОК, выделить повторяющиеся причины и назначить "
                   "ответственных за их устранение.",
    "on_time": "Ежедневно контролировать сроки ответов на обращения; перераспределить нагрузку между "
               "исполнителями; напоминания о сроках за 2 дня.",
    "promises": "Вести учет обещаний клиентам с контролем сроков; еженедельно разбирать невыполненные "
                "обещания с руководителем ЦОК.",
    "default": "Разобрать причины отклонения с ответственным подразделением и составить план мер.",
}

QUESTION_LABELS = {
    "overall": "общая удовлетворенность", "nps": "готовность рекомендовать (NPS)", "wait": "время ожидания",
    "politeness": "вежливость", "competence": "компетентность", "comfort": "комфорт в зале",
    "clarity": "понятность ответа",
}
TOPIC_LABELS = {"connection": "технологическое присоединение", "transmission": "передача и энергоснабжение",
                "metering": "учет электроэнергии", "quality": "качество электроэнергии", "other": "прочие вопросы"}


def catalogue() -> dict[str, str]:
    """Active catalogue entries by target; defaults fill targets the table does not cover."""
    from app.analysis.models import ActionTemplate

    rows = db.session.execute(select(ActionTemplate.target, ActionTemplate.text_ru)
                              .where(ActionTemplate.active.is_(True)).order_by(ActionTemplate.id)).all()
    texts = dict(DEFAULT_ACTIONS)
    seen: set[str] = set()
    for target, text in rows:
        if target not in seen:
            texts[target] = text
            seen.add(target)
    return texts


def action_for(key: str, texts: dict[str, str]) -> str:
    return texts.get(key) or texts.get("default", DEFAULT_ACTIONS["default"])


def label(code: str) -> str:
    if code.startswith("topic:"):
        return f"жалобы по теме «{TOPIC_LABELS.get(code[6:], code[6:])}»"
    return {"on_time": "ответы на обращения в срок", "promises": "выполнение обещаний клиентам"}.get(
        code, f"«{QUESTION_LABELS.get(code, code)}»")


def fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return "p < 0,001" if p < 0.001 else f"p = {format_number(p, 3)}"


def fmt_ci(ci: list[float] | None, share: bool = True) -> str:
    if not ci:
        return ""
    f = (lambda v: format_percent(v)) if share else (lambda v: format_number(v, 1))
    return f" [{f(ci[0])}; {f(ci[1])}]"


def fmt_value(measure: str, value: float | None) -> str:
    if value is None:
        return "—"
    if measure == "nps":
        return format_number(value, 1)
    if measure == "mean":
        return format_number(value, 2)
    return format_percent(value)


def build_recommendations(report: dict[str, Any]) -> list[dict[str, Any]]:
    """All rules, merged by (owner, question) keeping the highest priority, sorted by priority."""
    texts = catalogue()
    owner = report.get("scope_code") or report["scope"]
    drivers = report.get("drivers") or {}
    shares = {a["question"]: a["share_of_r2"] for a in drivers.get("attributes", [])}
    names = {c["center"]: c["name"] for c in report.get("centers", [])}
    recs: list[dict[str, Any]] = []

    alpha = 1.0 - float(report.get("confidence", 0.95))
    outcome_impact = 1.0 / len(shares) if shares else OUTCOME_IMPACT

    def impact(question: str) -> float:
        return shares.get(question, outcome_impact)

    def add(rule: str, center: str, question: str, finding: str, gap: float, confidence: float,
            evidence: dict[str, Any], action_key: str | None = None) -> None:
        if gap <= 0:
            return
        imp = impact(question)
        recs.append({"priority": imp * gap * confidence, "impact": imp, "gap": gap, "confidence": confidence,
                     "rule": rule, "center": center, "center_name": names.get(center, report.get("scope_name")),
                     "question": question, "finding": finding, "action": action_for(action_key or question, texts),
                     "evidence": evidence})

    def where(center: str) -> str:
        return f"В ЦОК {names[center]}" if center in names else "По сети"

    # 1. Importance–performance: network.
    attrs = drivers.get("attributes") or []
    if attrs:
        mean_perf = sum(a["performance"] for a in attrs) / len(attrs)
        questions = report.get("questions", {})
        for a in attrs:
            if a["quadrant"] != "concentrate":
                continue
            n = questions.get(a["question"], {}).get("n") or 0
            gap = mean_perf - a["performance"]
            p = _z_p(a["performance"], mean_perf, n)
            finding = (f"{where('')} {label(a['question'])} — в зоне «сосредоточить усилия»: важность "
                       f"{format_percent(a['share_of_r2'])} объясненной дисперсии, доля высоких оценок "
                       f"{format_percent(a['performance'])}{fmt_ci(a.get('performance_ci'))} при среднем по "
                       f"атрибутам {format_percent(mean_perf)}; n = {format_number(n)}, {fmt_p(p)}.")
            add("ipa_network", owner, a["question"], finding, gap, 1 - p,
                {"share_of_r2": a["share_of_r2"], "performance": a["performance"], "mean_performance": mean_perf,
                 "n": n, "p_value": p})
    # 2. Importance–performance: centres (network importance, centre performance), kept when the centre's
    #    attribute is below the rest at the unadjusted level; confidence uses the Holm-adjusted p.
    z_tests = {(c["center"], c["question"]): c for c in report.get("comparisons", [])
               if c.get("test") == "two_proportion_z"}
    for center, rows in (drivers.get("centers") or {}).items():
        for r in rows:
            test = z_tests.get((center, r["question"]))
            if (r["quadrant"] != "concentrate" or test is None or test["difference"] >= 0
                    or test["p_value"] >= alpha):
                continue
            gap = r["network_performance"] - r["performance"]
            finding = (f"{where(center)} {label(r['question'])} — в зоне «сосредоточить усилия»: доля высоких "
                       f"оценок {format_percent(r['performance'])}{fmt_ci(test.get('estimate_ci'))} против "
                       f"{format_percent(r['network_performance'])} по сети; n = {format_number(test['n'])}, "
                       f"{fmt_p(test.get('p_adjusted'))} (поправка Холма).")
            add("ipa_center", center, r["question"], finding, gap, 1 - test.get("p_adjusted", 1.0),
                {"performance": r["performance"], "network_performance": r["network_performance"],
                 "importance": r["importance"], "n": test["n"], "p_adjusted": test.get("p_adjusted")})
    # 3. A centre significantly below the rest (Holm-adjusted).
    for c in report.get("comparisons", []):
        if c.get("scope") != "center" or c.get("direction") != "below" or c["test"] == "mann_whitney":
            continue
        nps_like = c["measure"] == "nps"
        gap = -c["difference"] / (100.0 if nps_like else 1.0)
        what = "NPS" if nps_like else "доля высоких оценок"
        finding = (f"{where(c['center'])} {label(c['question'])}: {what} {fmt_value(c['measure'], c['estimate'])}"
                   f"{fmt_ci(c.get('estimate_ci'), not nps_like)} ниже остальной сети "
                   f"({fmt_value(c['measure'], c['rest'])}); n = {format_number(c['n'])}, "
                   f"{fmt_p(c.get('p_adjusted'))} (поправка Холма).")
        add("below_rest", c["center"], c["question"], finding, gap, 1 - c.get("p_adjusted", 1.0),
            {k: c.get(k) for k in ("test", "estimate", "rest", "difference", "difference_ci", "n", "n_rest",
                                   "p_value", "p_adjusted")})
    # 4. A significant decline against the previous period.
    previous = report.get("previous") or {}
    for c in previous.get("questions", []) + previous.get("centers", []):
        if c.get("direction") != "down" or c.get("measure") not in ("top2box", "nps"):
            continue
        nps_like = c["measure"] == "nps"
        center = c.get("center") or owner
        p = c.get("p_adjusted", c.get("p_value"))
        diff_text = f" (разность{fmt_ci(c['difference_ci'], not nps_like)})" if c.get("difference_ci") else ""
        finding = (f"{where(c.get('center') or '')} {label(c['question'])}: снижение к прошлому периоду с "
                   f"{fmt_value(c['measure'], c['previous'])} до {fmt_value(c['measure'], c['current'])}"
                   f"{diff_text}; "
                   f"n = {format_number(c['n'])} и {format_number(c['n_previous'])}, {fmt_p(p)}.")
        add("decline", center, c["question"], finding, -c["difference"] / (100.0 if nps_like else 1.0), 1 - p,
            {k: c.get(k) for k in ("measure", "current", "previous", "difference", "difference_ci", "n",
                                   "n_previous", "p_value", "p_adjusted")})
    # 5. Complaint share beyond the control limit.
    for s in (report.get("complaints_control") or {}).get("signals", []):
        topic = s.get("topic") or "other"
        z = s.get("z")
        p = float(2 * sps.norm.sf(abs(z))) if z is not None else _z_p(s["share"], s["center_line"], s["n"])
        chart = "на p-карте за " + s["quarter"] if s["kind"] == "p_chart" else "на воронке (99,8 %)"
        finding = (f"{where(s['center'])} доля жалоб {format_percent(s['share'])} ({s['count']} из {s['n']}) выше "
                   f"контрольной границы {format_percent(s['limit'])} {chart}; больше всего жалоб сверх ожидаемого "
                   f"по теме «{TOPIC_LABELS.get(topic, topic)}», {fmt_p(p)}.")
        add("complaints_" + s["kind"], s["center"], f"topic:{topic}", finding, s["share"] - s["center_line"], 1 - p,
            dict(s))
    # 6. On-time answers and promises kept below target.
    appeals = report.get("appeals") or {}
    for key, target_key, what in (("on_time", "on_time_target", "ответов в срок"),
                                  ("promises", "promises_target", "выполненных обещаний")):
        target = appeals.get(target_key)
        rows = [(owner, appeals.get(key) or {})] + [(r["center"], r[key]) for r in appeals.get("centers", [])]
        for center, share in rows:
            if target is None or share.get("share") is None or share.get("low_n") or share["share"] >= target:
                continue
            p = float(sps.binomtest(share["k"], share["n"], target, alternative="less").pvalue)
            finding = (f"{where(center if center != owner else '')} доля {what} {format_percent(share['share'])}"
                       f"{fmt_ci(share.get('ci'))} ниже цели {format_percent(target)}; "
                       f"n = {format_number(share['n'])}, "
                       f"{fmt_p(p)} (односторонний биномиальный тест).")
            add(key + "_below_target", center, key, finding, target - share["share"], 1 - p,
                {"share": share["share"], "ci": share.get("ci"), "n": share["n"], "target": target, "p_value": p})
    return _merge(recs)


def _z_p(share: float, reference: float, n: int) -> float:
    """Two-sided normal p-value of a share against a fixed reference value."""
    if not n or share in (0.0, 1.0) and reference in (0.0, 1.0):
        return 1.0
    var = reference * (1 - reference) / n
    if var <= 0:
        return 1.0
    return float(2 * sps.norm.sf(abs(share - reference) / var ** 0.5))


def _merge(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One recommendation per (owner, question): the highest priority, with the other findings attached."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in sorted(recs, key=lambda r: r["priority"], reverse=True):
        key = (rec["center"], rec["question"])
        if key in best:
            best[key].setdefault("related_findings", []).append({"rule": rec["rule"], "finding": rec["finding"]})
        else:
            best[key] = rec
    limit = int(current_app.config.get("ANALYSIS_MAX_RECOMMENDATIONS", 50))
    return sorted(best.values(), key=lambda r: r["priority"], reverse=True)[:limit]
