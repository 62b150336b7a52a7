"""The appeals monitoring report as its template shows it (shares with one decimal)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.reports import charts
from app.reports.context.common import (
    FORM_LABELS,
    KIND_LABELS,
    TOPIC_FALLBACK,
    test_name,
)
from app.reports.context.internet_cok import internet_cok_context
from app.reports.fmt import (
    is_number,
    num,
    p_value_text,
    pct,
    period_label,
    signed,
)

if TYPE_CHECKING:
    from app.appeals.report_model import MonitoringReport

# ------------------------------------------------------------------ appeals


def _appeals_context(
    report: dict[str, Any],
    *,
    topic_names: dict[str, str] | None = None,
    center_names: dict[str, str] | None = None,
    charts_on: bool = True,
) -> dict[str, Any]:
    """Everything the appeals monitoring template shows (shares with one decimal)."""
    topics = {**TOPIC_FALLBACK, **(topic_names or {})}
    centers = center_names or {}
    total = report.get("total") or 0
    kinds = []
    for k in report.get("by_kind") or []:
        kind = k.get("kind")
        forms = [
            {
                "label": f.get("form_name") or FORM_LABELS.get(f.get("form"), f.get("form")),
                "count": num(f.get("count")),
                "share_of_total": pct(f.get("share_of_total")),
                "share_of_kind": pct(f.get("share_of_kind")),
                "raw": f,
            }
            for f in report.get("by_kind_form") or []
            if f.get("kind") == kind
        ]
        topic_rows = [
            {
                "label": t.get("topic_name") or topics.get(t.get("topic"), t.get("topic")),
                "count": num(t.get("count")),
                "share_of_kind": pct(t.get("share_of_kind")),
                "raw": t,
            }
            for t in report.get("by_kind_topic") or []
            if t.get("kind") == kind
        ]
        subtypes = [  # «в том числе вопрос»: questions to a specialist among the applications
            {
                "label": f"в том числе {s.get('subtype_name')}",
                "count": num(s.get("count")),
                "share_of_kind": pct(s.get("share_of_kind")),
            }
            for s in report.get("by_subtype") or []
            if s.get("kind") == kind and s.get("count")
        ]
        kinds.append(
            {
                "kind": kind,
                "label": KIND_LABELS.get(kind, kind),
                "count": num(k.get("count")),
                "share": pct(k.get("share")),
                "subtypes": subtypes,
                "forms": forms,
                "topics": topic_rows,
                "raw": k,
            }
        )
    by_center = []
    for c in report.get("by_center") or []:
        share = c["complaints"] / c["total"] if c.get("total") and is_number(c.get("complaints")) else None
        name = c.get("center_name") or centers.get(c.get("center"), "")
        by_center.append(
            {
                "name": name,
                "total": num(c.get("total")),
                "complaints": num(c.get("complaints")),
                "applications": num(c.get("applications")),
                "complaint_share": pct(share),
                "raw": c,
            }
        )
    processing = report.get("processing") or {}
    proc_rows = [
        ("Ответы в срок", pct(processing.get("on_time_share"))),
        ("Медиана срока ответа, дней", num(processing.get("median_days"), 1)),
        ("90-й процентиль срока ответа, дней", num(processing.get("p90_days"), 1)),
        ("Просрочено сейчас", num(processing.get("overdue"))),
        ("Выполненные обещания клиентам", pct(processing.get("promises_kept_share"))),
    ]
    ctx: dict[str, Any] = {
        "total": num(total),
        "kinds": kinds,
        "by_center": by_center,
        "processing": proc_rows,
        "changes": _appeal_changes(report),
        "previous_label": period_label((report.get("previous") or {}).get("period")),
        "previous_total": num((report.get("previous") or {}).get("total")),
        "root_causes": [
            {"cause": r.get("cause") or r.get("name") or "", "count": num(r.get("count")), "share": pct(r.get("share"))}
            for r in report.get("root_causes") or []
        ],
        "regulator": regulator_table(report.get("regulator_form")),
        "control": _appeals_control(report, centers, charts_on),
        "charts": {"structure": ""},
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
        rows.append(
            {
                "label": c.get("label") or "",
                "before": pct(before),
                "after": pct(after),
                "diff": (signed(diff * 100, 1) + "\u00a0п.\u00a0п.") if is_number(diff) else "—",
                "note": f"{test_name(c.get('test'))}, {p_value_text(c.get('p_value'))}." if c.get("test") else "",
                "significant": bool(c.get("significant")),
                "verdict": "значимое изменение" if c.get("significant") else "в пределах случайных колебаний",
            }
        )
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
            lines.append(
                {
                    "label": row.get("label") or row.get("row"),
                    "n_1": num(cell.get("n_1")),
                    "n": num(cell.get("n")),
                    "change": signed(change, 1) if is_number(change) else "—",
                    "total": row.get("row") == "total",
                }
            )
        groups.append({"label": label, "lines": lines})
    return {
        "title": form.get("title") or "",
        "year_n": period_label(form.get("year_n")),
        "year_n_1": period_label(form.get("year_n_1")),
        "groups": groups,
        "generic": None,
    }


def _appeals_control(report: dict[str, Any], names: dict[str, str], charts_on: bool) -> dict[str, Any]:
    """Complaint share per centre against 3σ limits around the pooled share (a p-chart across centres)."""
    rows = [c for c in report.get("by_center") or [] if c.get("total")]
    total = sum(c["total"] for c in rows)
    if not rows or not total:
        return {"findings": [], "chart": "", "center_line": ""}
    pooled = sum(c.get("complaints") or 0 for c in rows) / total
    points, findings = [], []
    many = len(rows) > charts.MAX_TICK_LABELS  # then by volume, so that the limits narrow from left to right
    for c in sorted(rows, key=lambda c: (c["total"] if many else 0, c.get("center_name") or "")):
        share = (c.get("complaints") or 0) / c["total"]
        low, high = charts.funnel_limits(pooled, c["total"], 3.0)
        name = c.get("center_name") or names.get(c.get("center"), "")
        points.append(charts.ControlPoint(name, share, low, high))
        if share > high:
            findings.append(
                f"ЦОК {name}: доля жалоб {pct(share)} выше верхней контрольной границы {pct(high)} "
                f"(средняя {pct(pooled)}) — особая причина, требуется разбор."
            )
        elif share < low:
            findings.append(
                f"ЦОК {name}: доля жалоб {pct(share)} ниже нижней контрольной границы {pct(low)} — "
                "стоит изучить и распространить опыт (или проверить полноту регистрации)."
            )
    chart = ""
    if charts_on and len(points) > 1:
        chart = charts.p_chart(
            points,
            pooled,
            xlabel="ЦОК"
            if len(points) <= charts.MAX_TICK_LABELS
            else "ЦОК по возрастанию числа обращений (названы ЦОК за границами)",
        )
    return {"findings": findings, "chart": chart, "center_line": pct(pooled)}


def _appeals_chart(kinds: list[dict[str, Any]]) -> str:
    palette = {
        KIND_LABELS["complaint"]: charts.VERMILION,
        KIND_LABELS["application"]: charts.BLUE,
        FORM_LABELS["in_person"]: "#4d4d4d",
        FORM_LABELS["remote"]: charts.GREY,
        FORM_LABELS["interactive"]: charts.LIGHT_GREY,
    }
    topic_colours = [charts.ORANGE, charts.SKY, charts.GREEN, charts.PURPLE, charts.YELLOW]
    for kind in kinds:
        for t in kind["topics"]:
            if t["label"] not in palette:
                palette[t["label"]] = topic_colours[
                    len([k for k in palette if k not in KIND_LABELS.values() and k not in FORM_LABELS.values()])
                    % len(topic_colours)
                ]
    rows = [
        (
            "Все обращения: вид",
            [charts.Segment(k["label"], k["raw"].get("count") or 0, k["raw"].get("share") or 0) for k in kinds],
        )
    ]
    for kind in kinds:
        rows.append(
            (
                f"{kind['label']}: форма",
                [
                    charts.Segment(f["label"], f["raw"].get("count") or 0, f["raw"].get("share_of_kind") or 0)
                    for f in kind["forms"]
                ],
            )
        )
        rows.append(
            (
                f"{kind['label']}: тематика",
                [
                    charts.Segment(t["label"], t["raw"].get("count") or 0, t["raw"].get("share_of_kind") or 0)
                    for t in kind["topics"]
                ],
            )
        )
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
        body.append(
            [
                num(v, 1 if isinstance(v, float) else 0) if is_number(v) else ("—" if v is None else str(v))
                for v in values
            ]
        )
    return {"title": title, "headers": headers, "rows": body}


def appeals_context(
    report: MonitoringReport,
    *,
    topic_names: dict[str, str] | None = None,
    center_names: dict[str, str] | None = None,
    charts_on: bool = True,
    themes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the appeals monitoring template shows, from the typed report (read through its dump, the
    dict the report was before it was typed: see :func:`_appeals_context`); ``themes``: the complaint
    themes against the previous period (app.reports.sources.complaint_themes), none when not given."""
    ctx = _appeals_context(report.model_dump(), topic_names=topic_names, center_names=center_names, charts_on=charts_on)
    ctx["themes"] = themes or {"rows": [], "unassigned": 0, "texts": 0}
    ctx["internet_cok"] = internet_cok_context(report.internet_cok, charts_on=charts_on)
    return ctx
