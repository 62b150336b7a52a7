"""The satisfaction report (quarterly PDF, centre cards, the analysis page's labels) as the templates show it.

Functions of the typed :class:`~app.analysis.report_model.SatisfactionReport`. The public entry points
take the typed report and read its dump (the same dict the report was before it was typed): this module
formats hundreds of optional figures, and the strict templates still fail on any field the report lacks.
Nothing a reader sees is a code: questions are shown by their text, centres and branches by their
name, tests and rules by their Russian name. Statistical terms (test names, p, Holm, Johnson) stay in
footnotes (``note`` fields) and in the appendix «Методика»; the body speaks plain Russian.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from app.nav import format_date
from app.reports import charts
from app.reports.context.common import (
    ACTION_STATUS,
    METHOD_LABELS,
    MONTHS,
    RANK_COMPONENTS,
    RULE_NAMES,
    SPECIAL_TITLES,
    TERM_WORDS,
    TOPIC_FALLBACK,
    TREND_VERDICT,
    Progress,
    _noop,
    test_name,
)
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

if TYPE_CHECKING:
    from app.analysis.report_model import SatisfactionReport

# ------------------------------------------------------------------ names, never codes


def _title(report: dict[str, Any], code: str | None) -> str:
    """The Russian name of a question (its text), of a topic or of an appeals measure; never the code."""
    if not code:
        return ""
    if code in SPECIAL_TITLES:
        return SPECIAL_TITLES[code]
    if code.startswith("topic:"):
        return f"Жалобы по теме «{TOPIC_FALLBACK.get(code[6:], 'прочие вопросы')}»"
    question = report["questions"].get(code) or {}
    return str(question.get("text") or "").strip() or "Вопрос анкеты без текста"


def _names(report: dict[str, Any]) -> dict[str, str]:
    """Code → name of every centre and branch of the report, and of its scope."""
    names = {c["center"]: c["name"] for c in report["centers"]}
    names.update({b["branch"]: b["name"] for b in report.get("branches") or []})
    if report.get("scope_code"):
        names[report["scope_code"]] = report.get("scope_name") or "Вся сеть"
    return names


def _center_names(report: dict[str, Any]) -> dict[str, str]:
    return {c["center"]: c["name"] for c in report["centers"]}


def _owner(code: str | None, names: dict[str, str], scope_name: str = "Вся сеть") -> str:
    return names.get(code, scope_name) if code else scope_name


def _label(labels: Mapping[str, str], key: Any, default: str = "") -> str:
    """``labels[key]`` for a key read from the report's JSON, where it may be None or absent; else ``default``."""
    return labels.get(key, default) if isinstance(key, str) else default


def _russian_terms(text: str) -> str:
    """Replace the English identifiers a methods text may carry by Russian words."""
    return re.sub(r"\b[a-z_][a-z0-9_]*\b", lambda m: TERM_WORDS.get(m[0], m[0]), text)


def short_period(label: Any) -> str:
    """A compact period label for chart ticks: ``2026-07`` → ``июль\\n2026``, ``2026Q3`` → ``III кв. 2026``."""
    text = str(label or "").strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", text):
        month = int(m[2])
        if 1 <= month <= 12:
            return f"{MONTHS[month - 1]}\n{m[1]}"
    if m := re.fullmatch(r"([IV]+) квартал (\d{4}) г\.", text):
        return f"{m[1]} кв. {m[2]}"
    return quarter_short(text)


def main_question(report: dict[str, Any]) -> str | None:
    """The headline rating: the drivers' target, else ``overall``, else the first rating question."""
    questions = report["questions"]
    target = (report.get("drivers") or {}).get("target")
    if target in questions:
        return target
    if "overall" in questions:
        return "overall"
    return next((code for code, q in questions.items() if q.get("type") in ("rating", "ces", "matrix_row")), None)


def nps_question(report: dict[str, Any]) -> str | None:
    return next((code for code, q in report["questions"].items() if q.get("type") == "nps"), None)


def _changes(previous: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Network-level change of each question against the previous period: top-2-box or NPS."""
    out: dict[str, dict[str, Any]] = {}
    for e in (previous or {}).get("questions") or []:
        if e.get("center") or e.get("measure") not in ("top2box", "nps"):
            continue
        out[e["question"]] = {**e, "diff": e.get("difference")}
    return out


def change_text(change: dict[str, Any] | None, points: bool, prev_label: str = "") -> dict[str, Any]:
    """A change for the headline in plain words; the test and its p go to the footnote (``note``)."""
    if not change or not is_number(change.get("diff")):
        return {"text": "нет данных за прошлый период", "significant": False, "direction": "", "note": ""}
    diff = change["diff"] * (1 if points else 100)
    unit = "" if points else "\u00a0п.\u00a0п."
    significant = bool(change.get("significant"))
    direction = "up" if diff > 0 else "down"
    verdict = "больше случайных колебаний" if significant else "в пределах случайных колебаний"
    note = f"{test_name(change.get('test'))}, {p_value_text(change.get('p_value'))}."
    return {
        "text": f"{signed(diff, 1)}{unit} — {verdict}",
        "significant": significant,
        "direction": direction if significant else "",
        "note": note,
    }


def _range(ci: Any, percent: bool, decimals: int = 0) -> str:
    """An interval in plain words: «от 72 до 76 %» (or points)."""
    pair = ci_pair(ci)
    if not pair:
        return ""
    scale = 100 if percent else 1
    unit = "\u00a0%" if percent else ""
    return f"от {num(pair[0] * scale, decimals)} до {num(pair[1] * scale, decimals)}{unit}"


# ------------------------------------------------------------------ satisfaction


def _satisfaction_context(
    report: dict[str, Any],
    *,
    scope_name: str,
    comments: Iterable[dict[str, Any]] = (),
    comments_note: str = "",
    progress: Progress = _noop,
    charts_on: bool = True,
    pdf_limit: int = 10,
) -> dict[str, Any]:
    """Everything the quarterly satisfaction template shows.

    ``pdf_limit``: how many rows of recommended actions page 1 shows (``ANALYSIS_PDF_RECOMMENDATIONS``);
    the rest go to the appendix.
    """
    questions = report["questions"]
    main, nps_code = main_question(report), nps_question(report)
    previous = report.get("previous") or {}
    changes = _changes(previous)
    prev_label = period_label(previous.get("period")) or "прошлый период"
    centers = report["centers"]
    names = _names(report)
    min_n = report["min_n"]

    headline = []
    if main:
        q = questions[main]
        headline.append(
            {
                "title": _title(report, main),
                "label": "Доля оценок «4» и «5»",
                "value": pct(q.get("top2box")),
                "ci": ci_text(q.get("top2box_ci"), 1, True),
                "n": num(q.get("n")),
                "mean": num(q.get("mean"), 2) if is_number(q.get("mean")) else "",
                "mean_ci": ci_text(q.get("mean_ci"), 2),
                "change": change_text(changes.get(main), points=False),
            }
        )
    if nps_code:
        q = questions[nps_code]
        headline.append(
            {
                "title": _title(report, nps_code),
                "label": "Индекс NPS, пунктов",
                "value": num(q.get("nps"), 1),
                "ci": ci_text(q.get("nps_ci"), 1),
                "n": num(q.get("n")),
                "mean": "",
                "mean_ci": "",
                "change": change_text(changes.get(nps_code), points=True),
            }
        )
    progress(55)

    rec_rows = recommendation_rows(report, names)
    groups = group_actions(rec_rows)
    ctx: dict[str, Any] = {
        "headline": headline,
        "previous_label": prev_label,
        "min_n": num(min_n),
        "n_responses": num(report["n_responses"]),
        "survey_title": report.get("survey_title") or "",
        "summary": summary_sentences(report, main, nps_code, changes, prev_label),
        "action_rows": groups[:pdf_limit],
        "more_action_rows": groups[pdf_limit:],
        "pdf_limit": pdf_limit,
        "rec_details": rec_rows,
        "question_rows": _question_rows(report),
        "ranking": _ranking(report, names),
        "drivers": _drivers(report),
        "actions": _actions(report.get("actions") or [], names),
        "comments": [
            {"center": _label(names, c.get("center")), "text": mask_personal(str(c.get("text") or ""))[:600]}
            for c in comments
            if c.get("text")
        ],
        "comments_note": comments_note,
        "trends": [],
        "methods": _methods(report),
        "sample_sizes": _sample_sizes(report, names, min_n),
        "comparisons": [
            {
                "question": _title(report, c["question"]),
                "test": test_name(c["test"]),
                "statistic": num(c.get("statistic"), 2),
                "p": p_value_text(c.get("p_value")),
            }
            for c in report["comparisons"]
            if c.get("scope") != "center"
        ],
        "reliability": [
            {"block": _block_name(report, r), "alpha": num(r.get("alpha"), 2), "warning": r.get("warning") or ""}
            for r in report.get("reliability") or []
        ],
        "low_n_centers": [c["name"] for c in centers if c.get("low_n")],
        "control_findings": control_findings(report),
        "control_charts": [],
        "charts": dict.fromkeys(
            ("headline", "ranking", "funnel", "drivers", "ipa", "distribution", "complaints_funnel"), ""
        ),
    }
    for series in _trend_series(report, main, nps_code):
        ctx["trends"].append(_trend(report, series, charts_on))
    progress(65)
    ctx["control_charts"] = _control_charts(report, charts_on)
    if charts_on:
        ctx["charts"].update(_satisfaction_charts(report, ctx, main, centers))
    progress(75)
    return ctx


def _block_name(report: dict[str, Any], block: dict[str, Any]) -> str:
    """A reliability block by the questions it holds (its key is an identifier)."""
    items = [_title(report, code) for code in block.get("items") or [] if code in report["questions"]]
    if items:
        return "вопросы " + ", ".join(f"«{t}»" for t in items)
    return "блок вопросов"


def summary_sentences(
    report: dict[str, Any], main: str | None, nps_code: str | None, changes: dict[str, dict[str, Any]], prev_label: str
) -> list[dict[str, str]]:
    """«Главное»: three to five sentences a regional manager reads without statistics.

    How satisfied customers are, the direction against the previous period, where it is worst, what
    matters most. Each sentence carries its number and plain-words range; the test behind it is its
    footnote (``note``).
    """
    questions = report["questions"]
    out: list[dict[str, str]] = []
    if main:
        q = questions[main]
        if is_number(q.get("top2box")):
            out.append(
                {
                    "text": f"Довольны обслуживанием {pct(q['top2box'], 0)} клиентов: столько поставили «4» "
                    f"или «5» на вопрос «{_title(report, main)}» (с учетом случайности — "
                    f"{_range(q.get('top2box_ci'), True)}; ответов {num(q.get('n'))}).",
                    "note": "Диапазон — 95-процентный доверительный интервал Уилсона.",
                }
            )
        change = changes.get(main)
        if change and is_number(change.get("diff")):
            points = num(abs(change["diff"]) * 100, 1)
            note = f"{test_name(change.get('test'))}, {p_value_text(change.get('p_value'))}."
            if change.get("significant"):
                verb = "выросла" if change["diff"] > 0 else "снизилась"
                out.append(
                    {
                        "text": f"По сравнению с периодом «{prev_label}» доля довольных {verb} на {points}\u00a0п."
                        f"\u00a0п. (с учетом случайности — {_range(change.get('difference_ci'), True, 1)}"
                        "); это больше, чем дают случайные колебания.",
                        "note": note,
                    }
                )
            else:
                out.append(
                    {
                        "text": f"По сравнению с периодом «{prev_label}» доля довольных заметно не изменилась: "
                        f"{signed(change['diff'] * 100, 1)}\u00a0п.\u00a0п. — в пределах случайных "
                        "колебаний.",
                        "note": note,
                    }
                )
        worst = _worst_center(report, main)
        if worst:
            out.append(worst)
    attributes = (report.get("drivers") or {}).get("attributes") or []
    ranked = sorted((a for a in attributes if is_number(a.get("share_of_r2"))), key=lambda a: -a["share_of_r2"])
    if ranked:
        top = ranked[0]
        reserve = (
            " Оценка ниже средней по факторам — это главный резерв." if top.get("quadrant") == "concentrate" else ""
        )
        out.append(
            {
                "text": f"Сильнее всего с общей оценкой связан фактор «{_title(report, top['question'])}»: на "
                f"него приходится {pct(top['share_of_r2'], 0)} объяснимых различий в оценках; им довольны "
                f"{pct(top.get('performance'), 0)} клиентов.{reserve}",
                "note": "Доля в R² по относительным весам Джонсона.",
            }
        )
    if nps_code and len(out) < 5 and is_number(questions[nps_code].get("nps")):
        q = questions[nps_code]
        out.append(
            {
                "text": f"Индекс готовности рекомендовать (NPS) — {num(q['nps'], 0)} пунктов "
                f"(с учетом случайности — {_range(q.get('nps_ci'), False)}).",
                "note": "NPS = доля оценок 9–10 минус доля оценок 0–6; скорректированный интервал Вальда.",
            }
        )
    return out[:5]


def _worst_center(report: dict[str, Any], main: str) -> dict[str, str] | None:
    """Where satisfaction is worst: the centre furthest below the rest of the network, if any is surely below."""
    names = _center_names(report)
    tests = [
        c
        for c in report["comparisons"]
        if c.get("scope") == "center"
        and c.get("question") == main
        and c.get("measure") == "top2box"
        and is_number(c.get("estimate"))
    ]
    below = [c for c in tests if c.get("direction") == "below"]
    if below:
        c = min(below, key=lambda c: c["difference"])
        rng = _range(c.get("estimate_ci"), True)
        return {
            "text": f"Хуже всего — в ЦОК {names.get(c['center'], '')}: довольны {pct(c['estimate'], 0)} клиентов "
            f"({rng}) при {pct(c.get('rest'), 0)} в остальной сети.",
            "note": f"{test_name(c.get('test'))} с поправкой Холма, "
            f"{p_value_text(c.get('p_adjusted', c.get('p_value')))}.",
        }
    rows = [
        c
        for c in report["centers"]
        if not c.get("low_n") and is_number((c.get("questions") or {}).get(main, {}).get("top2box"))
    ]
    if len(rows) < 2:
        return None
    c = min(rows, key=lambda c: c["questions"][main]["top2box"])
    q = c["questions"][main]
    return {
        "text": f"Ни один ЦОК не отстает от остальной сети сильнее, чем допускают случайные колебания; меньше "
        f"всего довольных в ЦОК {c['name']} — {pct(q['top2box'], 0)} "
        f"({_range(q.get('top2box_ci'), True)}).",
        "note": "Каждый ЦОК сравнивался с остальной сетью z-тестом для двух долей с поправкой Холма.",
    }


def _question_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for code, q in report["questions"].items():
        if q.get("type") == "nps":
            rows.append(
                {
                    "title": _title(report, code),
                    "n": num(q.get("n")),
                    "value": f"NPS {num(q.get('nps'), 1)}",
                    "ci": ci_text(q.get("nps_ci"), 1),
                    "mean": "—",
                }
            )
        elif is_number(q.get("top2box")):
            rows.append(
                {
                    "title": _title(report, code),
                    "n": num(q.get("n")),
                    "value": pct(q.get("top2box")),
                    "ci": ci_text(q.get("top2box_ci"), 1, True),
                    "mean": num(q.get("mean"), 2),
                }
            )
    return rows


def _ranking(report: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    ranking = report["ranking"]

    def rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ranked = sorted(items, key=lambda r: (r.get("rank") is None, r.get("rank") or 0))
        out = []
        for r in ranked:
            code = r.get("code") or r.get("center") or r.get("branch")
            out.append(
                {
                    "code": code,
                    "name": r.get("name") or _label(names, code),
                    "rank": r.get("rank") or "",
                    "p_bottom": pct(r.get("p_bottom"), 0),
                    "rank_range": _rank_range(r),
                    "index": num(r.get("index"), 1),
                    "index_ci": ci_text(r.get("index_ci"), 1),
                    "top2box": pct(r.get("top2box")),
                    "top2box_ci": ci_text(r.get("top2box_ci"), 1, True),
                    "low_n": bool(r.get("low_n")),
                    "raw": r,
                }
            )
        return out

    return {"centers": rows(ranking["centers"]), "branches": rows(ranking.get("branches") or [])}


def _rank_range(row: dict[str, Any]) -> str:
    pair = ci_pair(row.get("rank_range"))
    if pair and pair[0] != pair[1]:
        return f"{int(pair[0])}–{int(pair[1])}"
    return ""


def _drivers(report: dict[str, Any]) -> dict[str, Any]:
    drivers = report.get("drivers") or {}
    rows = []
    for a in sorted(drivers.get("attributes") or [], key=lambda a: -(a.get("share_of_r2") or 0)):
        quadrant = charts.QUADRANT_LABELS.get(a.get("quadrant")) or a.get("quadrant_label") or ""
        rows.append(
            {
                "title": _title(report, a["question"]),
                "share": pct(a.get("share_of_r2"), 0),
                "weight": num(a.get("weight"), 3),
                "beta": num(a.get("beta"), 2),
                "performance": pct(a.get("performance")),
                "quadrant": quadrant,
                "focus": a.get("quadrant") == "concentrate",
            }
        )
    note = ""
    if rows:
        note = (
            f"Относительные веса Джонсона (доля каждого фактора в R² = {num(drivers.get('r2'), 2)}); полных "
            f"анкет {num(drivers.get('n'))}."
        )
    return {
        "target": _title(report, drivers.get("target")),
        "rows": rows,
        "note": drivers.get("note") or "",
        "footnote": note,
    }


# ------------------------------------------------------------------ the analysis page


def _page_labels(report: dict[str, Any]) -> dict[str, Any]:
    """Russian names for the analysis page, which renders the report dict itself: a code there is shown
    through these maps only, and a code missing from them fails the (strict) template."""
    names = _names(report)
    codes = set(report["questions"]) | {r.get("question") for r in report["recommendations"] if r.get("question")}
    rows = recommendation_rows(report, names)
    by_id = {id(r): i for i, r in enumerate(sorted(report["recommendations"], key=lambda r: -(r.get("priority") or 0)))}
    return {
        "questions": {code: _title(report, code) for code in codes},
        "names": names,
        "recs": [rows[by_id[id(r)]] for r in report["recommendations"]],
        "blocks": [_block_name(report, b) for b in report.get("reliability") or []],
        "signals": control_findings(report),
        "methods": _methods(report),
    }


# ------------------------------------------------------------------ recommendations


def _level(report: dict[str, Any], code: str | None) -> str:
    if code in _center_names(report):
        return "center"
    if code in {b["branch"] for b in report.get("branches") or []}:
        return "branch"
    return "company"


def recommendation_rows(report: dict[str, Any], names: dict[str, str]) -> list[dict[str, Any]]:
    """Every recommendation, by priority, in the words the PDF shows (names, roles, plain reasons).

    Reads the recommendation contract strictly: ``why`` and ``expected_effect`` are the plain
    sentences of the body; ``finding`` and ``evidence`` (statistical terms allowed) go to the appendix.
    """
    rows = []
    for r in sorted(report["recommendations"], key=lambda r: -(r["priority"] or 0)):
        code = r["center"]
        level = r.get("level") or _level(report, code)
        question = str(r["question_label"]).strip()
        rows.append(
            {
                "center": code if level == "center" else None,
                "where": r["center_name"] or names.get(code, ""),
                "level": level,
                "action": str(r["action"]).strip(),
                "role": r["responsible_role"],
                "question": question[:1].upper() + question[1:],
                "why": r["why"],
                "effect": r["expected_effect"],
                "priority": r["priority"] or 0.0,
                "rule": RULE_NAMES.get(r["rule"], "правило отбора"),
                "finding": r["finding"],
                "evidence": _evidence_text(r["evidence"]),
                "related": [
                    {"rule": RULE_NAMES.get(f.get("rule"), "правило отбора"), "finding": f.get("finding") or ""}
                    for f in r.get("related_findings") or []
                ],
            }
        )
    return rows


def group_actions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per identical action and role, naming every centre it is for, by the highest priority."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:  # already by priority
        key = (r["action"], r["role"])
        group = groups.get(key)
        if group is None:
            groups[key] = group = {
                "action": r["action"],
                "role": r["role"],
                "where": [],
                "why": [],
                "effect": "",
                "priority": r["priority"],
                "questions": [],
            }
        if r["where"] not in group["where"]:
            group["where"].append(r["where"])
        if r["question"] not in group["questions"]:
            group["questions"].append(r["question"])
        if len(group["why"]) < 3:
            group["why"].append((r["where"], r["why"]))
        group["effect"] = group["effect"] or r["effect"]
    out = []
    for g in groups.values():
        more = len(g["where"]) - len(g["why"])
        # A row for several places names the place before each reason (unless the reason already does).
        g["why"] = [
            why if len(g["where"]) == 1 or where in why else f"{where} — {why[:1].lower()}{why[1:]}"
            for where, why in g["why"]
        ]
        out.append(
            {
                **g,
                "where_text": ", ".join(g["where"]),
                "more": f"и еще в {more} подразделениях — так же" if more > 0 else "",
            }
        )
    return out


def _evidence_text(evidence: dict[str, Any] | None) -> str:
    """The statistics behind a recommendation (appendix): test, estimate, difference, n, p and q."""
    if not isinstance(evidence, dict):
        return ""
    parts = []
    if evidence.get("test"):
        parts.append(test_name(evidence["test"]))
    estimate = evidence.get("estimate", evidence.get("share"))
    share = is_number(estimate) and abs(estimate) <= 1 and evidence.get("measure") not in ("nps", "mean")
    if is_number(estimate):
        ci = evidence.get("estimate_ci") or evidence.get("ci")
        parts.append(f"оценка {pct(estimate) if share else num(estimate, 1)} {ci_text(ci, 1, share)}".strip())
    if is_number(evidence.get("reference", evidence.get("rest"))):
        reference = evidence.get("reference", evidence.get("rest"))
        parts.append(f"сравнение {pct(reference) if share else num(reference, 1)}")
    if is_number(evidence.get("difference")):
        diff = evidence["difference"]
        text = f"разность {signed(diff * 100, 1)}\u00a0п.\u00a0п." if share else f"разность {signed(diff, 1)}"
        parts.append(f"{text} {ci_text(evidence.get('difference_ci'), 1, share)}".strip())
    if is_number(evidence.get("n")):
        parts.append(f"n = {num(evidence['n'])}")
    if is_number(evidence.get("p_value")):
        parts.append(p_value_text(evidence["p_value"]))
    if is_number(evidence.get("q_value")):
        parts.append(p_value_text(evidence["q_value"]).replace("p", "q", 1) + " (Бенджамини — Хохберг)")
    elif is_number(evidence.get("p_adjusted")):
        parts.append(p_value_text(evidence["p_adjusted"]) + " с поправкой Холма")
    if is_number(evidence.get("family_size")):
        parts.append(f"проверок в семействе {num(evidence['family_size'])}")
    if is_number(evidence.get("min_effect")):
        parts.append(f"минимальный эффект {num(evidence['min_effect'], 2)}")
    return "; ".join(parts)


EFFECT_VERDICTS = {
    "improved": "эффект подтвержден: лучше, чем в сравнительных ЦОК",
    "worsened": "хуже, чем в сравнительных ЦОК",
    "no_evidence": "эффект не подтвержден",
    "no_comparison": "сравнить не с чем",
}


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
    own = _label({"branch": "В ЦОК филиала", "company": "По компании"}, effect.get("scope"), "В ЦОК")
    centre_before, centre_after = (before.get("center") or {}).get("value"), (after.get("center") or {}).get("value")
    lines = [
        f"{own}: {_effect_change(effect.get('naive_change'), metric)} "
        f"({_effect_value(centre_before, metric)} → {_effect_value(centre_after, metric)})"
    ]
    if effect.get("verdict") != "no_comparison":
        lines.append(f"В сравнительных ЦОК: {_effect_change(effect.get('comparison_change'), metric)}")
    ci = ci_pair(effect.get("ci"))
    if is_number(effect.get("estimate")) and ci:
        lines.append(
            f"Эффект мероприятия: {_effect_change(effect['estimate'], metric)} "
            f"[{_effect_change(ci[0], metric, False)}; {_effect_change(ci[1], metric, False)}]"
        )
    lines.append(_label(EFFECT_VERDICTS, effect.get("verdict")).capitalize())
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
        rows.append(
            {
                "title": a.get("title") or "",
                "owner": a.get("owner_name") or _owner(a.get("owner"), names),
                "status": a.get("status_label") or _label(ACTION_STATUS, a.get("status"), a.get("status") or ""),
                "due": format_date(a.get("due_date")),
                "effect": effect_text,
                "effect_lines": lines,
                "notes": notes,
                "verdict": effect.get("verdict"),
                "significant": effect.get("verdict") in ("improved", "worsened"),
            }
        )
    return rows


_METHOD_SKIP = {
    "confidence",
    "alpha",
    "min_n",
    "time_zone",
    "sample_cap",
    "sample_capped",
    "on_time_target",
    "promises_target",
}


def _methods(report: dict[str, Any]) -> list[str]:
    """The appendix «Методика»: the report's own ``methods`` in Russian (keys named, identifiers translated)."""
    methods = report["methods"]
    lines = [
        f"Уровень доверия интервалов — {pct(methods.get('confidence', report.get('confidence')), 0)}.",
        "NPS = доля промоутеров (оценки 9–10) минус доля критиков (оценки 0–6), в пунктах.",
    ]
    for key, value in methods.items():
        if key in _METHOD_SKIP:
            continue
        label = METHOD_LABELS.get(key, "")
        if isinstance(value, str) and value.strip():
            lines.append(_sentence(f"{label}: {_russian_terms(value)}" if label else _russian_terms(value)))
        elif isinstance(value, dict):
            parts = []
            for sub, text in value.items():
                if isinstance(text, str) and text.strip():
                    sub_label = METHOD_LABELS.get(sub, "")
                    parts.append(f"{sub_label} — {_russian_terms(text)}" if sub_label else _russian_terms(text))
            weights = value.get("weights") if key == "ranking" else None
            if is_number(value.get("family_size")):
                rules = value.get("tests_by_rule")
                by_rule = rules if isinstance(rules, dict) else {}
                counts = ", ".join(
                    f"{RULE_NAMES.get(k, 'прочие')} — {num(v)}" for k, v in by_rule.items() if is_number(v)
                )
                parts.append(
                    f"проверок в семействе {num(value['family_size'])}"
                    + (f" ({counts})" if counts else "")
                    + (f", из них значимых {num(value['discoveries'])}" if is_number(value.get("discoveries")) else "")
                )
            if isinstance(value.get("min_effect"), dict):
                effects = {
                    "share": ("доля", 100, " п. п."),
                    "mean": ("средний балл", 1, " балла"),
                    "nps": ("NPS", 1, " пунктов"),
                    "complaints": ("доля жалоб", 100, " п. п."),
                }
                parts.append(
                    "минимальный практически значимый разрыв: "
                    + ", ".join(
                        f"{effects[k][0]} — {num(v * effects[k][1], 1)}{effects[k][2]}"
                        for k, v in value["min_effect"].items()
                        if k in effects and is_number(v)
                    )
                )
            if isinstance(weights, dict):
                parts.append(
                    "веса: "
                    + ", ".join(
                        f"{RANK_COMPONENTS.get(k, 'составляющая')} {pct(v, 0)}"
                        for k, v in weights.items()
                        if is_number(v)
                    )
                )
            if parts:
                lines.append(_sentence(f"{label or 'Подробно'}: " + "; ".join(parts)))
    targets = [
        f"{what} — {pct(methods[key], 0)}"
        for key, what in (("on_time_target", "ответы в срок"), ("promises_target", "выполненные обещания"))
        if is_number(methods.get(key))
    ]
    if targets:
        lines.append("Целевые значения: " + ", ".join(targets) + ".")
    return lines


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _sample_sizes(report: dict[str, Any], names: dict[str, str], min_n: int) -> list[dict[str, Any]]:
    """Answers per centre (and, when the report gives it, how many ±5 points would need)."""
    sizes = report["sample_sizes"]
    per_center = sizes.get("centers") if isinstance(sizes, dict) else None
    rows = []
    for c in report["centers"]:
        value = (per_center or {}).get(c["center"], c.get("n"))
        n = value.get("n") if isinstance(value, dict) else value
        needed = value.get("needed") if isinstance(value, dict) else None
        rows.append(
            {
                "name": c["name"],
                "n": num(n),
                "needed": num(needed) if is_number(needed) else "",
                "low_n": bool(c.get("low_n", is_number(n) and n < min_n)),
            }
        )
    return rows


def _trend_series(report: dict[str, Any], main: str | None, nps_code: str | None) -> list[dict[str, Any]]:
    """Trend series of the headline questions (``trend.questions`` of the analysis report)."""
    trend = report.get("trend") or {}
    series = []
    for code in (main, nps_code):
        q = (trend.get("questions") or {}).get(code) if code else None
        if not q:
            continue
        is_nps = code == nps_code
        points = [
            {
                "period": p.get("quarter"),
                "value": p.get("nps") if is_nps else p.get("top2box"),
                "ci": p.get("nps_ci") if is_nps else p.get("top2box_ci"),
                "n": p.get("n"),
            }
            for p in q.get("points") or []
        ]
        points = [p for p in points if is_number(p["value"])]
        # NPS: the regression of respondents' −1/0/+1 scores on time decides (Mann–Kendall is descriptive).
        if is_nps:
            test = q.get("regression") or q.get("mann_kendall") or {}
            default = "nps_regression" if q.get("regression") else "mann_kendall"
        else:
            test, default = q.get("cochran_armitage") or {}, "cochran_armitage"
        direction = q.get("direction")
        series.append(
            {
                "question": code,
                "metric": "nps" if is_nps else "top2box",
                "points": points,
                "note": q.get("note"),
                "test": {
                    "name": test.get("test") or default,
                    "p_value": test.get("p_value"),
                    "direction": direction,
                    "significant": direction in TREND_VERDICT,
                },
            }
        )
    return series


def _trend(report: dict[str, Any], series: dict[str, Any], charts_on: bool) -> dict[str, Any]:
    metric = series.get("metric") or "top2box"
    is_share = metric not in ("nps", "mean", "index")
    points = []
    for p in series.get("points") or []:
        pair = ci_pair(p.get("ci"))
        points.append(
            charts.TrendPoint(
                short_period(p.get("period")), p.get("value"), pair[0] if pair else None, pair[1] if pair else None
            )
        )
    test = series.get("test") or {}
    direction = test.get("direction")
    what = "Доля довольных" if is_share else ("NPS" if metric == "nps" else "Средний балл")
    footnote = ""
    if series.get("note"):
        verdict = series["note"].rstrip(".")
    elif test.get("significant") and direction in TREND_VERDICT:
        verb = "растет" if TREND_VERDICT[direction].endswith("рост") else "снижается"
        verdict = f"{what} {verb} от квартала к кварталу; это больше, чем дают случайные колебания"
        footnote = f"{test_name(test.get('name'))}: {TREND_VERDICT[direction]}, {p_value_text(test.get('p_value'))}."
    else:
        verdict = "устойчивого роста или снижения нет: изменения в пределах случайных колебаний"
        footnote = f"{test_name(test.get('name'))}, {p_value_text(test.get('p_value'))}."
    title = _title(report, series.get("question"))
    label = "Доля оценок «4» и «5», %" if is_share else ("NPS, пунктов" if metric == "nps" else "Средний балл")
    chart = ""
    if charts_on and points:
        chart = charts.trend_chart({title: points}, label, percent=is_share)
    values = [(pt.period.replace("\n", " "), pct(pt.value) if is_share else num(pt.value, 1)) for pt in points]
    return {
        "title": title,
        "metric_label": label,
        "verdict": verdict,
        "footnote": footnote,
        "chart": chart,
        "cells": values,
        "significant": bool(test.get("significant")),
    }


MAX_CONTROL_CHARTS = 6


def _control_charts(report: dict[str, Any], charts_on: bool = True) -> list[dict[str, Any]]:
    """The complaint-share p-chart of each centre with a point beyond its limits (every centre when few).

    ``complaints_control.centers[i]`` holds the centre's chart; its centre line is read from ``center_line``
    (or, in reports from before that key, from the float that ``center`` then held).
    """
    control = report.get("complaints_control") or {}
    names = _center_names(report)
    by_name = {name: code for code, name in names.items()}
    rows: list[dict[str, Any]] = []
    for row in control.get("centers") or []:
        code = row["center"] if isinstance(row.get("center"), str) else by_name.get(row.get("name"))
        line = row.get("center_line") if is_number(row.get("center_line")) else row.get("center")
        points = [p for p in row.get("points") or [] if is_number(p.get("share"))]
        if not is_number(line) or len(points) < 2:
            continue
        flagged = [p for p in points if p.get("beyond")]
        rows.append(
            {
                "name": _label(names, code) or row.get("name") or "",
                "line": line,
                "points": points,
                "flagged": flagged,
                "laney": bool(row.get("laney_used")),
            }
        )
    shown = rows if len(rows) <= 3 else [r for r in rows if r["flagged"]]
    shown.sort(key=lambda r: -len(r["flagged"]))
    out = []
    for r in shown[:MAX_CONTROL_CHARTS]:
        monthly = bool(re.fullmatch(r"\d{4}-\d{2}", str(r["points"][0].get("label") or "")))
        labels = [short_period(p.get("label")).replace("\n", " ") for p in r["flagged"]]
        note = (
            f"За границами: {', '.join(labels)} — доля жалоб вышла за пределы обычных колебаний."
            if labels
            else "Все точки в пределах границ: доля жалоб колеблется случайно."
        )
        chart = ""
        if charts_on:
            chart = charts.p_chart(
                [
                    charts.ControlPoint(short_period(p.get("label")), p["share"], p.get("lcl"), p.get("ucl"))
                    for p in r["points"]
                ],
                r["line"],
                xlabel="Месяц" if monthly else "Квартал",
            )
        laney = " с поправкой Лейни (p′)" if r["laney"] else ""
        out.append(
            {"name": r["name"], "chart": chart, "note": note, "footnote": f"Контрольная p-карта, границы 3σ{laney}."}
        )
    return out


def _satisfaction_charts(
    report: dict[str, Any], ctx: dict[str, Any], main: str | None, centers: list[dict[str, Any]]
) -> dict[str, str]:
    out: dict[str, str] = {}
    names = _center_names(report)
    questions = report["questions"]
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
    rank_rows = [_rank_row(r) for r in chart_rows if is_number(r["raw"].get("index"))]
    if rank_rows:
        out["ranking"] = charts.ranking_dots(rank_rows)
    if main and is_number(questions[main].get("top2box")):
        points = [
            charts.FunnelPoint(c["name"], c.get("n") or 0, c["questions"][main]["top2box"], bool(c.get("low_n")))
            for c in centers
            if is_number((c.get("questions") or {}).get(main, {}).get("top2box"))
        ]
        if points:
            out["funnel"] = charts.funnel_plot(points, questions[main]["top2box"], "Доля оценок «4» и «5», %")
    drivers = report.get("drivers") or {}
    attrs = [
        charts.Driver(
            _title(report, a["question"]), a.get("weight") or 0.0, a.get("performance") or 0.0, a.get("quadrant") or ""
        )
        for a in drivers.get("attributes") or []
        if is_number(a.get("weight")) and is_number(a.get("performance"))
    ]
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
    if funnel:
        points = [
            charts.FunnelPoint(
                names.get(p.get("label"), ""), p.get("n") or 0, p.get("share") or 0.0, bool(p.get("low_n"))
            )
            for p in funnel
            if p.get("n")
        ]
        p0 = next((p.get("p0") for p in funnel if is_number(p.get("p0"))), None)
        if points and is_number(p0):
            out["complaints_funnel"] = charts.funnel_plot(
                points, p0, "Доля жалоб среди обращений, %", xlabel="Число обращений в ЦОК", higher_is_better=False
            )
    return out


def _rank_row(row: dict[str, Any]) -> charts.RankRow:
    low, high = ci_pair(row["raw"].get("index_ci")) or (None, None)
    return charts.RankRow(row["name"], row["raw"]["index"], low, high, muted=row["low_n"])


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def control_findings(report: dict[str, Any]) -> list[str]:
    """Centres whose complaint share is beyond a control limit, in words."""
    control = report.get("complaints_control") or {}
    names = _center_names(report)
    out = []
    for s in control.get("signals") or []:
        name = names.get(s.get("center"), "")
        label = s.get("month") or s.get("quarter")  # monthly charts name the month
        when = short_period(label).replace("\n", " ") if label else ""
        where = f"в период «{when}»" if when else "за период"
        topic = TOPIC_FALLBACK.get(s.get("topic")) if s.get("topic") else ""
        text = (
            f"ЦОК {name}: доля жалоб {where} {pct(s.get('share'))} ({num(s.get('count'))} из "
            f"{num(s.get('n'))}) выше контрольной границы {pct(s.get('limit'))}"
        )
        out.append(text + (f"; больше всего жалоб сверх ожидаемого — на тему «{topic}»." if topic else "."))
    return out


# ------------------------------------------------------------------ centre cards


def _center_cards(
    report: dict[str, Any], codes: Iterable[str] | None = None, charts_on: bool = True
) -> list[dict[str, Any]]:
    """One card per centre from one network report: its figures against the network, rank, top actions."""
    questions = report["questions"]
    names = _names(report)
    ranking = {r.get("code") or r.get("center"): r for r in report["ranking"]["centers"]}
    ranked_total = sum(1 for r in ranking.values() if r.get("rank"))
    recs = recommendation_rows(report, names)
    wanted = set(codes) if codes is not None else None
    cards = []
    for c in report["centers"]:
        code = c["center"]
        if wanted is not None and code not in wanted:
            continue
        own = c.get("questions") or {}
        rows, bars_c, bars_net = [], [], []
        for qcode, net in questions.items():
            mine = own.get(qcode) or {}
            if net.get("type") == "nps":
                rows.append(
                    {
                        "title": _title(report, qcode),
                        "value": num(mine.get("nps"), 1),
                        "ci": ci_text(mine.get("nps_ci"), 1),
                        "network": num(net.get("nps"), 1),
                        "n": num(mine.get("n")),
                        "diff": signed((mine.get("nps") or 0) - (net.get("nps") or 0), 1)
                        if is_number(mine.get("nps")) and is_number(net.get("nps"))
                        else "—",
                        "below": _below(mine.get("nps_ci"), net.get("nps")),
                    }
                )
            elif is_number(net.get("top2box")):
                rows.append(
                    {
                        "title": _title(report, qcode),
                        "value": pct(mine.get("top2box")),
                        "ci": ci_text(mine.get("top2box_ci"), 1, True),
                        "network": pct(net.get("top2box")),
                        "n": num(mine.get("n")),
                        "diff": (signed((mine["top2box"] - net["top2box"]) * 100, 1) + "\u00a0п.\u00a0п.")
                        if is_number(mine.get("top2box"))
                        else "—",
                        "below": _below(mine.get("top2box_ci"), net.get("top2box")),
                    }
                )
                if is_number(mine.get("top2box")):
                    bars_c.append((_title(report, qcode), mine["top2box"]))
                    bars_net.append(net["top2box"])
        rank = ranking.get(code) or {}
        mine_first = [r for r in recs if r["center"] == code]
        branch = [r for r in recs if r["level"] == "branch" and r["where"] == c.get("branch_name")]
        network = [r for r in recs if r["level"] == "company"]
        actions = [{**r, "network": r["center"] != code} for r in (mine_first + branch + network)[:3]]
        chart = charts.center_vs_network(bars_c, bars_net) if charts_on and bars_c else ""
        cards.append(
            {
                "code": code,
                "name": c["name"],
                "n": num(c.get("n")),
                "low_n": bool(c.get("low_n")),
                "rows": rows,
                "chart": chart,
                "rank": rank.get("rank") or "",
                "ranked_total": ranked_total,
                "rank_range": _rank_range(rank),
                "index": num(rank.get("index"), 1),
                "index_ci": ci_text(rank.get("index_ci"), 1),
                "actions": actions,
            }
        )
    return cards


def _below(ci: Any, network: Any) -> bool:
    pair = ci_pair(ci)
    return bool(pair and is_number(network) and pair[1] < network)


# ------------------------------------------------------------------ entry points (typed report)


def satisfaction_context(
    report: SatisfactionReport,
    *,
    scope_name: str,
    comments: Iterable[dict[str, Any]] = (),
    comments_note: str = "",
    progress: Progress = _noop,
    charts_on: bool = True,
    pdf_limit: int = 10,
    themes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the quarterly satisfaction template shows (see :func:`_satisfaction_context`);
    ``themes``: what the texts are about (app.reports.sources.text_themes), none when not given."""
    ctx = _satisfaction_context(
        report.model_dump(),
        scope_name=scope_name,
        comments=comments,
        comments_note=comments_note,
        progress=progress,
        charts_on=charts_on,
        pdf_limit=pdf_limit,
    )
    ctx["themes"] = themes or {"rows": [], "unassigned": 0, "texts": 0}
    return ctx


def control_charts(report: SatisfactionReport, charts_on: bool = True) -> list[dict[str, Any]]:
    """The complaint p-charts of the centres with signals first (see :func:`_control_charts`)."""
    return _control_charts(report.model_dump(), charts_on)


def center_cards(
    report: SatisfactionReport, codes: Iterable[str] | None = None, charts_on: bool = True
) -> list[dict[str, Any]]:
    """One card per centre (see :func:`_center_cards`)."""
    return _center_cards(report.model_dump(), codes, charts_on)


def page_labels(report: SatisfactionReport) -> dict[str, Any]:
    """Russian labels of the analysis page's report block (see :func:`_page_labels`)."""
    return _page_labels(report.model_dump())
