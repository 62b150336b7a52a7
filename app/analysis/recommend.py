"""Rules that turn the report's tests into corrective actions a manager can trust.

Every test that could produce a recommendation is gathered first (each centre against the rest, the
previous-period comparisons, complaint shares against the network, on-time answers and promises against
their targets); Benjamini–Hochberg runs over that whole family before any rule filters anything. A
recommendation then needs ``q_value ≤ α`` *and* a gap a manager would care about
(``|difference| ≥ min_effect``). Quadrants of the importance–performance matrix only describe; they
never add a recommendation of their own. The family is defined in :data:`FAMILY_METHOD` and reported in
``methods``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from scipy import stats as sps
from sqlalchemy import select

from app.analysis.report_model import (
    ComplaintsControlSection,
    DecisionBasis,
    QuestionMeasure,
    Recommendation,
    RecommendationFamily,
)
from app.analysis.stats import multiple
from app.extensions import db
from app.nav import format_number, format_percent

DEFAULT_MIN_EFFECT: dict[str, float] = {"share": 0.05, "mean": 0.2, "nps": 5.0, "complaints": 0.02}

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
    "overall": "общая удовлетворенность",
    "nps": "готовность рекомендовать",
    "wait": "время ожидания",
    "politeness": "вежливость",
    "competence": "компетентность",
    "comfort": "комфорт в зале",
    "clarity": "понятность ответа",
}
TOPIC_LABELS = {
    "connection": "технологическое присоединение",
    "transmission": "передача и энергоснабжение",
    "metering": "учет электроэнергии",
    "quality": "качество электроэнергии",
    "other": "прочие вопросы",
}

# Who acts, by the level of the owner; a few topics belong to a technical service rather than the hall.
RESPONSIBLE_ROLES = {
    "center": "начальник ЦОК",
    "branch": "руководитель службы по работе с клиентами филиала",
    "company": "директор по работе с клиентами",
}
TOPIC_ROLES = {
    "center": {
        "connection": "начальник ЦОК совместно с отделом технологического присоединения РЭС",
        "transmission": "начальник ЦОК совместно с главным инженером РЭС",
        "quality": "начальник ЦОК совместно с главным инженером РЭС",
    },
}

FAMILY_METHOD = {
    "family": "все проверки, которые могут дать рекомендацию, вместе: каждый ЦОК против остальной сети "
    "(z-тест доли двух лучших оценок, z-тест разности NPS) по каждому вопросу; изменение к "
    "предыдущему периоду по сети и по каждому ЦОК (те же тесты); доля жалоб ЦОК против средней "
    "по сети (точный биномиальный тест, односторонний); доля ответов в срок и выполненных обещаний "
    "против цели (точный биномиальный тест, односторонний) по сети и по ЦОК",
    "adjustment": "поправка Бенджамини–Хохберга (контроль доли ложных открытий) по всему семейству, до любого отбора",
    "rule": "рекомендация появляется, только если q ≤ α и отставание не меньше практически значимого "
    "порога (min_effect) в неблагоприятную сторону; квадранты матрицы «важность–исполнение» только "
    "описывают и рекомендаций не создают",
}

PRIORITY_METHOD = {
    "formula": "приоритет = число затронутых клиентов за период × величина разрыва",
    "meaning": "ожидаемый выигрыш: сколько клиентов за период получили бы хороший опыт (или сколько жалоб "
    "и просроченных ответов не было бы), если разрыв закрыть",
    "affected": "для оценок — число ответивших в ЦОК (по сети — всех ответивших); для жалоб, сроков и "
    "обещаний — число обращений за период",
    "gap": "отставание в долях единицы: от остальной сети, от прошлого периода, от средней доли жалоб по "
    "сети или от цели; для NPS — в пунктах / 100",
}


@dataclass
class Candidate:
    """One test of the family: what was compared, its raw p-value and which direction calls for action."""

    rule: str
    center: str
    question: str
    measure: str  # share | nps | mean | complaints
    test: str
    alternative: str
    estimate: float
    reference: float
    difference: float
    difference_ci: list[float] | None
    n: int
    n_reference: int | None
    p_value: float
    adverse: bool  # the estimate lies on the side that calls for action
    affected: int
    extra: dict[str, Any] = field(default_factory=dict)
    q_value: float | None = None


def min_effects() -> dict[str, float]:
    """``ANALYSIS_MIN_EFFECT`` over the defaults (a dict or its JSON text)."""
    configured = current_app.config.get("ANALYSIS_MIN_EFFECT") or {}
    if isinstance(configured, str):
        configured = json.loads(configured)
    merged = dict(DEFAULT_MIN_EFFECT)
    merged.update({k: float(v) for k, v in dict(configured).items()})
    return merged


def catalogue() -> dict[str, str]:
    """Active catalogue entries by target; defaults fill targets the table does not cover."""
    from app.analysis.models import ActionTemplate

    rows = db.session.execute(
        select(ActionTemplate.target, ActionTemplate.text_ru)
        .where(ActionTemplate.active.is_(True))
        .order_by(ActionTemplate.id)
    ).all()
    texts = dict(DEFAULT_ACTIONS)
    seen: set[str] = set()
    for target, text in rows:
        if target not in seen:
            texts[target] = text
            seen.add(target)
    return texts


def action_for(key: str, texts: dict[str, str]) -> str:
    return texts.get(key) or texts.get("default", DEFAULT_ACTIONS["default"])


def label(code: str, questions: dict[str, QuestionMeasure] | None = None) -> str:
    """The Russian name of what a recommendation is about; never the code itself."""
    if code.startswith("topic:"):
        return f"жалобы по теме «{TOPIC_LABELS.get(code[6:], 'прочие вопросы')}»"
    if code in ("on_time", "promises"):
        return {"on_time": "ответы на обращения в срок", "promises": "выполнение обещаний клиентам"}[code]
    measured = (questions or {}).get(code)
    text = measured.text if measured is not None else None
    return f"«{QUESTION_LABELS.get(code) or text or 'вопрос анкеты'}»"


def fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return "p < 0,001" if p < 0.001 else f"p = {format_number(p, 3)}"


def fmt_q(q: float | None) -> str:
    if q is None:
        return "—"
    return "q < 0,001" if q < 0.001 else f"q = {format_number(q, 3)}"


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


# --------------------------------------------------------------------------- the family


def gather_family(report: DecisionBasis) -> list[Candidate]:
    """Every test that can produce a recommendation, with its raw p-value, before any filtering."""
    owner = report.scope_code or report.scope
    out: list[Candidate] = []
    for c in report.comparisons:
        if c.scope != "center" or c.p_value is None:
            continue
        if c.test not in ("two_proportion_z", "nps_difference_z"):
            continue
        # A centre-versus-rest test with a p-value always has its centre, sizes and estimates.
        assert c.center is not None and c.n is not None
        assert c.estimate is not None and c.rest is not None and c.difference is not None
        measure = "nps" if c.measure == "nps" else "share"
        out.append(
            Candidate(
                "below_rest",
                c.center,
                c.question,
                measure,
                c.test,
                "two-sided",
                c.estimate,
                c.rest,
                c.difference,
                c.difference_ci,
                c.n,
                c.n_rest,
                float(c.p_value),
                c.difference < 0,
                int(c.n),
                {"estimate_ci": c.estimate_ci},
            )
        )
    previous = report.previous
    for change in (previous.questions + previous.centers) if previous is not None else []:
        if change.p_value is None or change.measure not in ("top2box", "nps"):
            continue
        # A tested change (not low_n) always has its test, both estimates and their difference.
        assert change.test is not None and change.current is not None and change.previous is not None
        assert change.difference is not None
        measure = "nps" if change.measure == "nps" else "share"
        out.append(
            Candidate(
                "decline",
                change.center or owner,
                change.question,
                measure,
                change.test,
                "two-sided",
                change.current,
                change.previous,
                change.difference,
                change.difference_ci,
                change.n,
                change.n_previous,
                float(change.p_value),
                change.difference < 0,
                int(change.n),
                {"current_ci": change.current_ci},
            )
        )
    control = report.complaints_control
    for point in control.funnel:
        if point.low_n or not point.n or point.p0 in (None, 0.0, 1.0):
            continue
        p0, k, n = float(point.p0), int(point.count), int(point.n)
        p = float(sps.binomtest(k, n, p0, alternative="greater").pvalue)
        topic = _topic_of(control, point.label)
        out.append(
            Candidate(
                "complaints_above_network",
                point.label,
                f"topic:{topic}",
                "complaints",
                "binomial_exact",
                "greater",
                k / n,
                p0,
                k / n - p0,
                None,
                n,
                None,
                p,
                k / n > p0,
                n,
                {"count": k},
            )
        )
    appeals = report.appeals
    for key, target in (("on_time", appeals.on_time_target), ("promises", appeals.promises_target)):
        rows = [(owner, getattr(appeals, key))] + [(r.center, getattr(r, key)) for r in appeals.centers]
        for center, share in rows:
            if share.share is None or share.low_n or not share.n:
                continue
            k, n = int(share.k), int(share.n)
            p = float(sps.binomtest(k, n, float(target), alternative="less").pvalue)
            out.append(
                Candidate(
                    f"{key}_below_target",
                    center,
                    key,
                    "share",
                    "binomial_exact",
                    "less",
                    k / n,
                    float(target),
                    k / n - float(target),
                    share.ci,
                    n,
                    None,
                    p,
                    k / n < float(target),
                    n,
                    {"estimate_ci": share.ci},
                )
            )
    return out


def _topic_of(control: ComplaintsControlSection, center: str) -> str:
    """The topic a centre's complaint excess is mostly about (from the control section's signals)."""
    for s in control.signals:
        if s.center == center and s.topic:
            return str(s.topic)
    return "other"


def adjust_family(family: list[Candidate]) -> None:
    """Benjamini–Hochberg over the whole family, in place."""
    adjusted = multiple.adjust_pvalues([c.p_value for c in family], method="fdr_bh") if family else []
    for candidate, q in zip(family, adjusted, strict=True):
        candidate.q_value = q


# --------------------------------------------------------------------------- recommendations


def build_recommendations(report: DecisionBasis, family: list[Candidate] | None = None) -> list[Recommendation]:
    """Recommendations from the report's family: BH first, then the rules; one per (owner, question)."""
    if family is None:
        family = gather_family(report)
        adjust_family(family)
    alpha = 1.0 - float(report.confidence)
    thresholds = min_effects()
    texts = catalogue()
    names = {c.center: c.name for c in report.centers}
    branches = {b.branch: b.name for b in report.branches}
    owner = report.scope_code or report.scope
    quadrants = _quadrants(report)
    recs: list[dict[str, Any]] = []
    for c in family:
        threshold = thresholds.get(c.measure, thresholds["share"])
        if not c.adverse or c.q_value is None or c.q_value > alpha or abs(c.difference) < threshold:
            continue
        level = _level(c.center, owner, report, names, branches)
        place = names.get(c.center) or branches.get(c.center) or report.scope_name or "сеть"
        rec = _recommendation(
            c,
            level,
            place,
            report,
            texts,
            threshold,
            quadrants.get((c.center, c.question)) or quadrants.get((None, c.question)),
        )
        rec["evidence"]["family_size"] = len(family)
        recs.append(rec)
    return [Recommendation.model_validate(rec) for rec in _merge(recs)]


def _level(center: str, owner: str, report: DecisionBasis, names: dict[str, str], branches: dict[str, str]) -> str:
    if center in names:
        return "center"
    if center in branches:
        return "branch"
    if center == owner:
        return {"center": "center", "branch": "branch"}.get(report.scope_kind or "", "company")
    return "company"


def _quadrants(report: DecisionBasis) -> dict[tuple[str | None, str], str]:
    """Descriptive importance–performance quadrants, network-wide (None) and per centre."""
    drivers = report.drivers
    out: dict[tuple[str | None, str], str] = {(None, a.question): a.quadrant for a in drivers.attributes}
    for center, rows in drivers.centers.items():
        for r in rows:
            out[(center, r.question)] = r.quadrant
    return out


def responsible_role(level: str, question: str) -> str:
    """A role, never a unit's name: the unit is in ``center``."""
    if question.startswith("topic:"):
        special = TOPIC_ROLES.get(level, {}).get(question[6:])
        if special:
            return special
    return RESPONSIBLE_ROLES[level]


def _recommendation(
    c: Candidate,
    level: str,
    place: str,
    report: DecisionBasis,
    texts: dict[str, str],
    threshold: float,
    quadrant: str | None,
) -> dict[str, Any]:
    questions = report.questions
    what = label(c.question, questions)
    scale = 100.0 if c.measure == "nps" else 1.0
    gap = abs(c.difference) / scale
    priority = c.affected * gap
    where = f"В ЦОК {place}" if level == "center" else ("По филиалу " + place if level == "branch" else "По сети")
    finding, why, effect = _texts(c, where, what, priority)
    if quadrant == "concentrate":
        finding += (
            " Фактор входит в зону «сосредоточить усилия» матрицы «важность–исполнение»: он сильно "
            "влияет на общую оценку."
        )
    evidence = {
        "test": c.test,
        "alternative": c.alternative,
        "measure": c.measure,
        "estimate": c.estimate,
        "reference": c.reference,
        "difference": c.difference,
        "difference_ci": c.difference_ci,
        "n": c.n,
        "n_reference": c.n_reference,
        "p_value": c.p_value,
        "q_value": c.q_value,
        "min_effect": threshold,
        **{k: v for k, v in c.extra.items() if v is not None},
    }
    return {
        "rule": c.rule,
        "center": c.center,
        "center_name": place,
        "level": level,
        "question": c.question,
        "question_label": what.strip("«»"),
        "finding": finding,
        "why": why,
        "expected_effect": effect,
        "action": action_for(c.question, texts),
        "responsible_role": responsible_role(level, c.question),
        "priority": priority,
        "gap": gap,
        "affected": c.affected,
        "quadrant": quadrant,
        "evidence": evidence,
    }


def _texts(c: Candidate, where: str, what: str, priority: float) -> tuple[str, str, str]:
    """The statistician's finding, the manager's one-sentence reason and the expected effect."""
    stats = f"n = {format_number(c.n)}, {fmt_p(c.p_value)}, {fmt_q(c.q_value)} (Бенджамини–Хохберг)"
    gain = max(1, round(priority))
    if c.rule == "below_rest":
        if c.measure == "nps":
            value = f"NPS {fmt_value('nps', c.estimate)}{fmt_ci(c.extra.get('estimate_ci'), False)}"
            why = (
                f"{where} индекс готовности рекомендовать — {fmt_value('nps', c.estimate)} (вероятно, от "
                f"{_range(c.extra.get('estimate_ci'), False)}), в остальной сети — {fmt_value('nps', c.reference)}."
            )
        else:
            value = f"доля высоких оценок {format_percent(c.estimate)}{fmt_ci(c.extra.get('estimate_ci'))}"
            why = (
                f"{where} {what} высоко оценили {format_percent(c.estimate)} клиентов (вероятно, от "
                f"{_range(c.extra.get('estimate_ci'))}), в остальной сети — {format_percent(c.reference)}."
            )
        finding = f"{where} {what}: {value} ниже остальной сети ({fmt_value(c.measure, c.reference)}); {stats}."
        effect = f"Если подтянуть до уровня сети — примерно {_clients(gain)} за период с хорошей оценкой вместо плохой."
    elif c.rule == "decline":
        share = c.measure != "nps"
        now, before = fmt_value(c.measure, c.estimate), fmt_value(c.measure, c.reference)
        unit = "п. п." if share else "пунктов"
        ci = c.difference_ci
        drop = f" (снижение на {_points(-ci[1], share)}–{_points(-ci[0], share)} {unit})" if ci and ci[1] < 0 else ""
        if share:
            why = f"{where} доля высоких оценок ({what}) снизилась с {before} до {now} к прошлому периоду{drop}."
        else:
            why = f"{where} индекс готовности рекомендовать снизился с {before} до {now} к прошлому периоду{drop}."
        finding = (
            f"{where} {what}: снижение к прошлому периоду с {before} до {now}"
            f"{' (разность' + fmt_ci(ci, share) + ')' if ci else ''}; n = {format_number(c.n)} и "
            f"{format_number(c.n_reference or 0)}, {fmt_p(c.p_value)}, {fmt_q(c.q_value)} "
            "(Бенджамини–Хохберг)."
        )
        effect = f"Вернуть прежний уровень — примерно {_clients(gain)} за период с хорошей оценкой."
    elif c.rule == "complaints_above_network":
        count = int(c.extra.get("count", round(c.estimate * c.n)))
        why = (
            f"{where} жалобы составили {format_percent(c.estimate)} обращений ({count} из "
            f"{format_number(c.n)}) при {format_percent(c.reference)} в среднем по сети; больше всего — {what}."
        )
        finding = (
            f"{where} доля жалоб {format_percent(c.estimate)} ({count} из {format_number(c.n)}) выше "
            f"средней по сети {format_percent(c.reference)}; {stats}."
        )
        effect = f"При доле жалоб на уровне сети — примерно на {format_number(gain)} жалоб меньше за период."
    else:
        noun = "ответов в срок" if c.question == "on_time" else "выполненных обещаний"
        why = (
            f"{where} доля {noun} — {format_percent(c.estimate)} (вероятно, от "
            f"{_range(c.extra.get('estimate_ci'))}) при цели {format_percent(c.reference)}."
        )
        finding = (
            f"{where} доля {noun} {format_percent(c.estimate)}{fmt_ci(c.extra.get('estimate_ci'))} ниже цели "
            f"{format_percent(c.reference)}; односторонний точный биномиальный тест, {stats}."
        )
        effect = f"Достичь цели — примерно {format_number(gain)} обращений за период закрыты как положено."
    return _minus(finding), _minus(why), _minus(effect)


def _minus(text: str) -> str:
    """A typographic minus before negative numbers (−70, not -70), as the rest of the reports write it."""
    return re.sub(r"(?<![\w\d])-(?=\d)", "\u2212", text)


def _range(ci: list[float] | None, share: bool = True) -> str:
    if not ci:
        return "—"
    f = format_percent if share else (lambda v: format_number(v, 0))
    return f"{f(ci[0])} до {f(ci[1])}"


def _points(value: float, share: bool) -> str:
    return format_number(value * 100 if share else value, 0)


def _clients(count: int) -> str:
    tail = count % 100
    word = (
        "клиентов"
        if 11 <= tail <= 14
        else {1: "клиент", 2: "клиента", 3: "клиента", 4: "клиента"}.get(count % 10, "клиентов")
    )
    return f"{format_number(count)} {word}"


def _merge(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One recommendation per (owner, question): the highest priority, the other findings nested."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for rec in sorted(recs, key=lambda r: r["priority"], reverse=True):
        key = (rec["center"], rec["question"])
        if key in best:
            best[key].setdefault("related_findings", []).append({"rule": rec["rule"], "finding": rec["finding"]})
        else:
            best[key] = {**rec, "related_findings": []}
    limit = int(current_app.config["ANALYSIS_MAX_RECOMMENDATIONS"])
    return sorted(best.values(), key=lambda r: r["priority"], reverse=True)[:limit]


def recommendations_section(report: DecisionBasis) -> tuple[list[Recommendation], RecommendationFamily]:
    """The recommendations and the description of their family (size, counts per rule) for ``methods``."""
    family = gather_family(report)
    adjust_family(family)
    recs = build_recommendations(report, family)
    by_rule: dict[str, int] = {}
    for c in family:
        by_rule[c.rule] = by_rule.get(c.rule, 0) + 1
    alpha = 1.0 - float(report.confidence)
    described = {
        **FAMILY_METHOD,
        "family_size": len(family),
        "tests_by_rule": by_rule,
        "fdr": alpha,
        "min_effect": min_effects(),
        "discoveries": sum(1 for c in family if c.q_value is not None and c.q_value <= alpha),
    }
    return recs, RecommendationFamily.model_validate(described)
