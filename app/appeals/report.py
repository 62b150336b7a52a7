"""The quarterly appeals monitoring report (мониторинг обращений) and the regulator's form п. 4.1.

All counting is done by the database with GROUP BY; Python only adds up a few hundred groups.
Per period three queries run: one grouped count (kind, form, topic, centre, channel, contract flag,
root cause of closed complaints) that also sums the processing flags, one histogram of days to
answer (0.1-day buckets), and one count of promises by state; plus one small grouped count for the
regulator's year N−1. They run two at a time on separate connections (see :func:`_run_all`).

Definitions (documented because the company's slide does not give them):

* the period is the local calendar dates ``date_from`` … ``date_to`` inclusive (centre time zone);
* ``on_time_share`` = answered by the due time / (answered + still open past the due time);
* ``median_days`` / ``p90_days``: days from receipt to answer of the answered appeals of the period,
  nearest-rank percentiles of a histogram in 0.1-day buckets (value = lower edge of the bucket);
* ``overdue``: appeals of the period still registered / in progress after their due time (now);
* ``promises_kept_share`` = kept / (kept + broken) of the promises on appeals of the period;
* ``previous`` is the period of the same length just before (whole months: the same number of
  months, so a quarter is compared with the previous quarter); ``changes`` tests each share
  against it with a two-proportion z-test (pooled, no continuity correction; α = 0.05);
* ``regulator_form``: year N is the report period, year N−1 the same dates one year earlier;
* ``internet_cok``: bookings of appointments dated in the period per centre, utilisation per window and
  no-shows by hour (:mod:`app.booking.flow`; definitions in :mod:`app.analysis.stats.flow`); the knowledge
  base's use, company-wide (:mod:`app.kb.stats`), and questions to a specialist in the scope (:mod:`app.ask.stats`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, and_, case, cast, func, select, text

from app.appeals.models import CHANNELS, FORMS, KINDS, SUBTYPE_KINDS, SUBTYPES, Appeal, Promise, RootCause
from app.appeals.report_model import MonitoringReport
from app.appeals.services import OPEN_STATUSES, center_timezone
from app.booking.flow import internet_cok_section
from app.extensions import db
from app.models import Organisation, OrgKind, Setting, Topic, utcnow

ALPHA = 0.05
REGULATOR_SETTING_KEY = "regulator_channel_rows"
REGULATOR_ROWS: dict[str, str] = {
    "in_person": "Очная форма",
    "phone": "Заочная — по телефону",
    "internet": "Электронная — через Интернет",
    "mail": "Письменная — почтой",
    "other": "Прочее",
}
DEFAULT_REGULATOR_MAP: dict[str, str] = {
    "visit": "in_person",
    "review_book": "in_person",
    "phone": "phone",
    "web": "internet",
    "email": "internet",
    "letter": "mail",
    "kiosk": "other",
}
REGULATOR_COLUMNS: dict[str, str] = {
    "appeals": "Количество обращений",
    "complaints": "Обращения, содержащие жалобу",
    "service_requests": "Обращения, содержащие заявку на оказание услуг",
    "contracts": "Обращения, по которым заключены договоры (ТП, передача)",
    "complaints_resolved": "Жалобы, по которым приняты меры (дан ответ)",
}


# --- helpers -------------------------------------------------------------------------------------


def period_bounds(date_from: date, date_to: date, tz: str | None = None) -> tuple[datetime, datetime]:
    """Local dates [from, to] → naive UTC [start, end)."""
    zone = ZoneInfo(tz or center_timezone())

    def utc(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)

    return utc(date_from), utc(date_to + timedelta(days=1))


def previous_period(date_from: date, date_to: date) -> tuple[date, date]:
    """The period of the same length just before ``date_from``.

    Whole calendar months (a quarter, a half-year, a year) are compared with the same number of
    months before (Q2 with Q1, H1 with the previous H2); other periods with the same number of days.
    """
    if date_from.day == 1 and (date_to + timedelta(days=1)).day == 1:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        index = date_from.year * 12 + date_from.month - 1 - months
        start = date(index // 12, index % 12 + 1, 1)
        return start, date_from - timedelta(days=1)
    length = (date_to - date_from).days + 1
    end = date_from - timedelta(days=1)
    return end - timedelta(days=length - 1), end


def shift_year(day: date, years: int = -1) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def scope_center_ids(scope: Organisation | None) -> list[int] | None:
    """Centre ids under a scope; None means the whole company (no filter)."""
    if scope is None or scope.kind == OrgKind.COMPANY:
        return None
    if scope.kind == OrgKind.CENTER:
        return [scope.id]
    return list(
        db.session.scalars(
            select(Organisation.id).where(Organisation.parent_id == scope.id, Organisation.kind == OrgKind.CENTER)
        )
    )


def _share(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None


def _days_bucket_expr(dialect: str):
    """Days from receipt to answer in whole 0.1-day buckets (8 640 s), from rounded whole seconds."""
    if dialect == "sqlite":
        seconds = func.round((func.julianday(Appeal.answered_at) - func.julianday(Appeal.received_at)) * 86400)
    else:
        seconds = func.round(func.extract("epoch", Appeal.answered_at - Appeal.received_at))
    return cast(seconds, Integer) // 8640


def percentile_from_histogram(histogram: dict[int, int], q: float) -> float | None:
    """Nearest-rank percentile of bucketed values (bucket b holds values in [b/10, (b+1)/10) days)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    running = 0
    for bucket in sorted(histogram):
        running += histogram[bucket]
        if running >= rank:
            return bucket / 10.0
    return None  # pragma: no cover - unreachable


def regulator_map() -> dict[str, str]:
    """Channel → regulator row from Setting ``regulator_channel_rows`` (defaults for missing channels)."""
    setting = db.session.get(Setting, REGULATOR_SETTING_KEY)
    mapping = dict(DEFAULT_REGULATOR_MAP)
    if setting is not None and isinstance(setting.value, dict):
        mapping.update({k: v for k, v in setting.value.items() if k in CHANNELS and v in REGULATOR_ROWS})
    return mapping


# --- the grouped queries -------------------------------------------------------------------------


def _period_filter(start: datetime, end: datetime, centers: list[int] | None):
    condition = and_(Appeal.received_at >= start, Appeal.received_at < end)
    if centers is not None:
        condition = and_(condition, Appeal.center_id.in_(centers))
    return condition


def _grouped_query(start: datetime, end: datetime, centers: list[int] | None, now: datetime) -> Select:
    answered = Appeal.answered_at.is_not(None)
    is_open = Appeal.status.in_(OPEN_STATUSES)
    closed_complaint_cause = case(
        (and_(Appeal.kind == "complaint", Appeal.status == "closed"), Appeal.root_cause_id), else_=None
    )
    query = (
        select(
            Appeal.kind,
            Appeal.subtype,
            Appeal.form,
            Appeal.topic_id,
            Appeal.center_id,
            Appeal.channel,
            Appeal.led_to_contract,
            closed_complaint_cause.label("rc_cause"),
            func.count().label("n"),
            func.sum(case((answered, 1), else_=0)).label("answered"),
            func.sum(case((and_(answered, Appeal.answered_at <= Appeal.due_at), 1), else_=0)).label("on_time"),
            func.sum(case((and_(is_open, Appeal.due_at < now), 1), else_=0)).label("overdue"),
        )
        .where(_period_filter(start, end, centers))
        # Most selective keys first: the sort compares fewer keys per row.
        .group_by(
            Appeal.center_id,
            Appeal.topic_id,
            Appeal.channel,
            Appeal.form,
            Appeal.kind,
            Appeal.subtype,
            Appeal.led_to_contract,
            text("rc_cause"),
        )
    )
    return query


def _histogram_query(start: datetime, end: datetime, centers: list[int] | None, dialect: str) -> Select:
    # Grouped by the output name: the expression holds bound parameters, which PostgreSQL would not
    # recognise as the same expression in GROUP BY.
    bucket = _days_bucket_expr(dialect).label("days_bucket")
    query = (
        select(bucket, func.count())
        .where(_period_filter(start, end, centers), Appeal.answered_at.is_not(None))
        .group_by(text("days_bucket"))
    )
    return query


def _promises_query(start: datetime, end: datetime, centers: list[int] | None, now: datetime) -> Select:
    state = case((and_(Promise.status == "open", Promise.due_at < now), "overdue"), else_=Promise.status)
    return (
        select(state.label("promise_state"), func.count())
        .join(Appeal, Appeal.id == Promise.appeal_id)
        .where(_period_filter(start, end, centers))
        .group_by(text("promise_state"))
    )


def _regulator_query(start: datetime, end: datetime, centers: list[int] | None) -> Select:
    """Only what the regulator's form needs (year N−1): fewer grouping keys, a cheaper sort."""
    return (
        select(
            Appeal.channel,
            Appeal.kind,
            Appeal.subtype,
            Appeal.led_to_contract,
            func.count().label("n"),
            func.sum(case((Appeal.answered_at.is_not(None), 1), else_=0)).label("answered"),
        )
        .where(_period_filter(start, end, centers))
        .group_by(Appeal.channel, Appeal.kind, Appeal.subtype, Appeal.led_to_contract)
    )


def _run_all(queries: dict[str, Select]) -> dict[str, list[Any]]:
    """Run read-only aggregate queries, two at a time on their own connections when possible.

    The drivers release the GIL while the database works, so on two cores the current and the
    previous period are aggregated side by side. An in-memory database or a session with unflushed
    changes (which other connections would not see) runs them one after another on the session.
    """
    engine = db.engine
    session = db.session()
    in_memory = engine.url.database in (None, "", ":memory:")
    if in_memory or session.new or session.dirty or session.deleted:
        return {name: list(session.execute(query)) for name, query in queries.items()}

    def run(query: Select) -> list[Any]:
        with engine.connect() as connection:
            rows = list(connection.execute(query))
            connection.rollback()
            return rows

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, query) for name, query in queries.items()}
        return {name: future.result() for name, future in futures.items()}


def _period_queries(
    prefix: str, start: datetime, end: datetime, centers: list[int] | None, now: datetime, dialect: str
) -> dict[str, Select]:
    return {
        f"{prefix}.groups": _grouped_query(start, end, centers, now),
        f"{prefix}.histogram": _histogram_query(start, end, centers, dialect),
        f"{prefix}.promises": _promises_query(start, end, centers, now),
    }


# --- building the report -------------------------------------------------------------------------


def _figures(
    date_from: date,
    date_to: date,
    raw: dict[str, list[Any]],
    prefix: str,
    center_rows: list[Organisation],
    topics: list[Topic],
) -> dict[str, Any]:
    """The report's figures of one period from the rows of its three grouped queries."""
    groups = raw[f"{prefix}.groups"]
    total = 0
    kind_n: dict[str, int] = defaultdict(int)
    kind_form_n: dict[tuple[str, str], int] = defaultdict(int)
    kind_topic_n: dict[tuple[str, int], int] = defaultdict(int)
    subtype_n: dict[str, int] = defaultdict(int)
    center_n: dict[int, dict[str, int]] = defaultdict(lambda: {"total": 0, "complaints": 0, "applications": 0})
    cause_n: dict[int | None, int] = defaultdict(int)
    answered = on_time = overdue = 0
    for row in groups:
        n = int(row.n)
        total += n
        kind_n[row.kind] += n
        kind_form_n[(row.kind, row.form)] += n
        kind_topic_n[(row.kind, row.topic_id)] += n
        if row.subtype in SUBTYPES:
            subtype_n[row.subtype] += n
        bucket = center_n[row.center_id]
        bucket["total"] += n
        bucket["complaints" if row.kind == "complaint" else "applications"] += n
        answered += int(row.answered or 0)
        on_time += int(row.on_time or 0)
        overdue += int(row.overdue or 0)
        if row.kind == "complaint" and row.rc_cause is not None:
            cause_n[int(row.rc_cause)] += n
    histogram = {int(b): int(n) for b, n in raw[f"{prefix}.histogram"] if b is not None}
    promises = {"open": 0, "overdue": 0, "kept": 0, "broken": 0}
    promises.update({state: int(n) for state, n in raw[f"{prefix}.promises"]})
    by_kind = [
        {"kind": k, "kind_name": KINDS[k], "count": kind_n.get(k, 0), "share": _share(kind_n.get(k, 0), total)}
        for k in KINDS
    ]
    by_subtype = [
        {
            "subtype": code,
            "subtype_name": SUBTYPES[code],
            "kind": SUBTYPE_KINDS[code],
            "count": subtype_n.get(code, 0),
            "share_of_kind": _share(subtype_n.get(code, 0), kind_n.get(SUBTYPE_KINDS[code], 0)),
        }
        for code in SUBTYPES
    ]
    by_kind_form = [
        {
            "kind": k,
            "form": f,
            "kind_name": KINDS[k],
            "form_name": FORMS[f],
            "count": kind_form_n.get((k, f), 0),
            "share_of_total": _share(kind_form_n.get((k, f), 0), total),
            "share_of_kind": _share(kind_form_n.get((k, f), 0), kind_n.get(k, 0)),
        }
        for k in KINDS
        for f in FORMS
    ]
    by_kind_topic = [
        {
            "kind": k,
            "topic": t.code,
            "kind_name": KINDS[k],
            "topic_name": t.name_ru,
            "count": kind_topic_n.get((k, t.id), 0),
            "share_of_total": _share(kind_topic_n.get((k, t.id), 0), total),
            "share_of_kind": _share(kind_topic_n.get((k, t.id), 0), kind_n.get(k, 0)),
        }
        for k in KINDS
        for t in topics
        if t.active or kind_topic_n.get((k, t.id))
    ]
    by_center = [
        {
            "center": c.code,
            "center_name": c.name,
            **center_n.get(c.id, {"total": 0, "complaints": 0, "applications": 0}),
        }
        for c in center_rows
    ]
    causes = {c.id: c for c in db.session.scalars(select(RootCause))}
    closed_complaints = sum(cause_n.values())
    root_causes = [
        {
            "code": causes[cid].code if cid in causes else "",
            "name": causes[cid].name_ru if cid in causes else "—",
            "count": n,
            "share": _share(n, closed_complaints),
        }
        for cid, n in sorted(cause_n.items(), key=lambda item: -item[1])
    ]
    outcome_known = answered + overdue
    resolved_promises = promises["kept"] + promises["broken"]
    processing = {
        "answered": answered,
        "on_time": on_time,
        "on_time_share": _share(on_time, outcome_known),
        "median_days": percentile_from_histogram(histogram, 0.5),
        "p90_days": percentile_from_histogram(histogram, 0.9),
        "overdue": overdue,
        "promises_kept_share": _share(promises["kept"], resolved_promises),
        "promises": promises,
    }
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "total": total,
        "by_kind": by_kind,
        "by_kind_form": by_kind_form,
        "by_kind_topic": by_kind_topic,
        "by_subtype": by_subtype,
        "by_center": by_center,
        "processing": processing,
        "root_causes": root_causes,
        "_groups": groups,
    }


def _z_test(x1: int, n1: int, x2: int, n2: int) -> dict[str, Any]:
    """Two-proportion z-test, current (1) against previous (2); no test when a period is empty."""
    if not n1 or not n2:
        return {"test": None, "statistic": None, "p_value": None, "significant": False}
    # Imported here: importing the app.analysis package loads its routes, which import the appeals package.
    from app.analysis.stats.proportions import two_proportion_ztest

    result = two_proportion_ztest(x1, n1, x2, n2)
    z, p = result.statistic, result.p_value
    return {"test": "two_proportion_z", "statistic": z, "p_value": p, "significant": bool(p < ALPHA)}


def _changes(current: dict[str, Any], previous: dict[str, Any]) -> list[dict[str, Any]]:
    """Each share of the current period against the previous one, with its test."""
    items: list[tuple[str, str, int, int, int, int]] = []
    prev_kind = {r["kind"]: r for r in previous["by_kind"]}
    for row in current["by_kind"]:
        old = prev_kind[row["kind"]]
        items.append(
            (
                f"by_kind.{row['kind']}",
                f"Доля: {row['kind_name'].lower()}",
                row["count"],
                current["total"],
                old["count"],
                previous["total"],
            )
        )
    prev_kind_n = {r["kind"]: r["count"] for r in previous["by_kind"]}
    cur_kind_n = {r["kind"]: r["count"] for r in current["by_kind"]}
    prev_kf = {(r["kind"], r["form"]): r["count"] for r in previous["by_kind_form"]}
    for row in current["by_kind_form"]:
        old = prev_kf.get((row["kind"], row["form"]), 0)
        if row["count"] or old:
            items.append(
                (
                    f"by_kind_form.{row['kind']}.{row['form']}",
                    f"{row['kind_name']}, {row['form_name'].lower()}: доля от вида",
                    row["count"],
                    cur_kind_n[row["kind"]],
                    old,
                    prev_kind_n[row["kind"]],
                )
            )
    prev_kt = {(r["kind"], r["topic"]): r["count"] for r in previous["by_kind_topic"]}
    for row in current["by_kind_topic"]:
        old = prev_kt.get((row["kind"], row["topic"]), 0)
        if row["count"] or old:
            items.append(
                (
                    f"by_kind_topic.{row['kind']}.{row['topic']}",
                    f"{row['kind_name']}, {row['topic_name'].lower()}: доля от вида",
                    row["count"],
                    cur_kind_n[row["kind"]],
                    old,
                    prev_kind_n[row["kind"]],
                )
            )
    cp, pp = current["processing"], previous["processing"]
    items.append(
        (
            "processing.on_time_share",
            "Ответы в срок",
            cp["on_time"],
            cp["answered"] + cp["overdue"],
            pp["on_time"],
            pp["answered"] + pp["overdue"],
        )
    )
    items.append(
        (
            "processing.promises_kept_share",
            "Выполненные обещания",
            cp["promises"]["kept"],
            cp["promises"]["kept"] + cp["promises"]["broken"],
            pp["promises"]["kept"],
            pp["promises"]["kept"] + pp["promises"]["broken"],
        )
    )
    changes = []
    for key, label, x1, n1, x2, n2 in items:
        share1, share2 = _share(x1, n1), _share(x2, n2)
        changes.append(
            {
                "key": key,
                "label": label,
                "current": share1,
                "previous": share2,
                "difference": (share1 - share2) if share1 is not None and share2 is not None else None,
                "current_count": x1,
                "current_base": n1,
                "previous_count": x2,
                "previous_base": n2,
                **_z_test(x1, n1, x2, n2),
            }
        )
    return changes


def _regulator_counts(groups: list[Any], mapping: dict[str, str]) -> dict[str, dict[str, int]]:
    counts = {row: dict.fromkeys(REGULATOR_COLUMNS, 0) for row in REGULATOR_ROWS}
    for g in groups:
        row = counts[mapping.get(g.channel, "other")]
        n = int(g.n)
        row["appeals"] += n
        if g.kind == "complaint":
            row["complaints"] += n
            row["complaints_resolved"] += int(g.answered or 0)
        elif g.subtype != "question":  # a question to a specialist asks for no service
            row["service_requests"] += n
        if g.led_to_contract:
            row["contracts"] += n
    return counts


def _regulator_form(date_from: date, date_to: date, groups_n: list[Any], groups_n_1: list[Any]) -> dict[str, Any]:
    mapping = regulator_map()
    prev_from, prev_to = shift_year(date_from), shift_year(date_to)
    current = _regulator_counts(groups_n, mapping)
    previous = _regulator_counts(groups_n_1, mapping)
    rows = []
    totals_n = dict.fromkeys(REGULATOR_COLUMNS, 0)
    totals_p = dict.fromkeys(REGULATOR_COLUMNS, 0)
    for code, label in REGULATOR_ROWS.items():
        cells = {}
        for column in REGULATOR_COLUMNS:
            n, n_1 = current[code][column], previous[code][column]
            totals_n[column] += n
            totals_p[column] += n_1
            cells[column] = {"n_1": n_1, "n": n, "change_pct": (n - n_1) / n_1 * 100 if n_1 else None}
        rows.append({"row": code, "label": label, "cells": cells})
    rows.append(
        {
            "row": "total",
            "label": "Всего",
            "cells": {
                c: {
                    "n_1": totals_p[c],
                    "n": totals_n[c],
                    "change_pct": (totals_n[c] - totals_p[c]) / totals_p[c] * 100 if totals_p[c] else None,
                }
                for c in REGULATOR_COLUMNS
            },
        }
    )
    return {
        "title": "Информация о качестве обслуживания потребителей, п. 4.1 (Приказ Минэнерго России № 186)",
        "year_n": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "year_n_1": {"from": prev_from.isoformat(), "to": prev_to.isoformat()},
        "columns": REGULATOR_COLUMNS,
        "channel_rows": mapping,
        "rows": rows,
    }


def monitoring_report(
    date_from: date, date_to: date, scope: Organisation | None = None, now: datetime | None = None
) -> MonitoringReport:
    """The monitoring report of a period and scope, typed (its JSON: ``report.model_dump(mode="json")``).

    Shares are fractions at full precision (None when the base is zero); rounding is for display.
    """
    if date_to < date_from:
        raise ValueError("Дата окончания периода раньше даты начала")
    now = now or utcnow()
    centers = scope_center_ids(scope)
    center_query = select(Organisation).where(Organisation.kind == OrgKind.CENTER)
    if centers is not None:
        center_query = center_query.where(Organisation.id.in_(centers))
    center_rows = list(db.session.scalars(center_query.order_by(Organisation.name)))
    topics = list(db.session.scalars(select(Topic).order_by(Topic.sort_order, Topic.id)))
    prev_from, prev_to = previous_period(date_from, date_to)
    dialect = db.engine.dialect.name
    queries = {
        **_period_queries("current", *period_bounds(date_from, date_to), centers, now, dialect),
        **_period_queries("previous", *period_bounds(prev_from, prev_to), centers, now, dialect),
        "year_n_1.groups": _regulator_query(*period_bounds(shift_year(date_from), shift_year(date_to)), centers),
    }
    raw = _run_all(queries)
    current = _figures(date_from, date_to, raw, "current", center_rows, topics)
    previous = _figures(prev_from, prev_to, raw, "previous", center_rows, topics)
    regulator = _regulator_form(date_from, date_to, current.pop("_groups"), raw["year_n_1.groups"])
    previous.pop("_groups")
    is_company = scope is None or scope.kind == OrgKind.COMPANY
    report = {
        "period": current["period"],
        "scope": "company" if is_company or scope is None else scope.code,
        "scope_name": scope.name if scope is not None else "",
        **{
            k: current[k]
            for k in (
                "total",
                "by_kind",
                "by_kind_form",
                "by_kind_topic",
                "by_subtype",
                "by_center",
                "processing",
                "root_causes",
            )
        },
        "previous": previous,
        "changes": _changes(current, previous),
        "regulator_form": regulator,
        "generated_at": now.replace(microsecond=0).isoformat(),
        "definitions": {
            "alpha": ALPHA,
            "test": "two-proportion z-test, pooled, no continuity correction",
            "days_bucket": 0.1,
        },
        "internet_cok": internet_cok_section(date_from, date_to, center_rows),
    }
    return MonitoringReport.model_validate(report)


def report_rows(report: MonitoringReport) -> tuple[list[str], list[list[Any]]]:
    """The report as one flat table (section, kind, form/topic/centre, count, shares) for CSV."""
    header = [
        "раздел",
        "вид",
        "форма",
        "тема",
        "ЦОК",
        "количество",
        "доля от всех",
        "доля от вида",
        "предыдущий период",
        "p-значение",
    ]
    rows: list[list[Any]] = [
        ["всего", "", "", "", "", report.total, 1.0 if report.total else None, "", report.previous.total, ""]
    ]
    changes = {c.key: c for c in report.changes}

    def previous_and_p(key: str) -> list[Any]:
        change = changes.get(key)
        return [change.previous, change.p_value] if change is not None else [None, None]

    for kind_row in report.by_kind:
        rows.append(
            [
                "вид",
                kind_row.kind_name,
                "",
                "",
                "",
                kind_row.count,
                kind_row.share,
                "",
                *previous_and_p(f"by_kind.{kind_row.kind}"),
            ]
        )
    for form_row in report.by_kind_form:
        rows.append(
            [
                "вид и форма",
                form_row.kind_name,
                form_row.form_name,
                "",
                "",
                form_row.count,
                form_row.share_of_total,
                form_row.share_of_kind,
                *previous_and_p(f"by_kind_form.{form_row.kind}.{form_row.form}"),
            ]
        )
    for topic_row in report.by_kind_topic:
        rows.append(
            [
                "вид и тема",
                topic_row.kind_name,
                "",
                topic_row.topic_name,
                "",
                topic_row.count,
                topic_row.share_of_total,
                topic_row.share_of_kind,
                *previous_and_p(f"by_kind_topic.{topic_row.kind}.{topic_row.topic}"),
            ]
        )
    for center_row in report.by_center:
        rows.append(["ЦОК", "", "", "", center_row.center_name, center_row.total, "", "", "", ""])
    p, pp = report.processing, report.previous.processing
    for key, label in (
        ("on_time_share", "ответы в срок, доля"),
        ("median_days", "медиана дней до ответа"),
        ("p90_days", "90-й процентиль дней до ответа"),
        ("overdue", "просрочено сейчас"),
        ("promises_kept_share", "выполненные обещания, доля"),
    ):
        rows.append(["обработка", label, "", "", "", getattr(p, key), "", "", getattr(pp, key), ""])
    for cause_row in report.root_causes:
        rows.append(
            ["коренные причины жалоб", cause_row.name, "", "", "", cause_row.count, cause_row.share, "", "", ""]
        )
    rows.extend(_internet_cok_rows(report))
    return header, rows


BOOKING_COLUMNS = (
    ("made", "записи на прием"),
    ("booked", "ожидаются"),
    ("cancelled", "отменены"),
    ("arrived", "пришли"),
    ("no_show", "не пришли"),
)


def _internet_cok_rows(report: MonitoringReport) -> list[list[Any]]:
    """The «Интернет-ЦОК» section in the CSV: bookings of the centres that had any, the utilisation of windows
    with bookings (booked minutes, the share in «доля от всех»), no-shows by hour (the rate likewise)."""
    section = report.internet_cok
    rows: list[list[Any]] = []
    for booking_row in section.bookings:
        if booking_row.made:
            for key, label in BOOKING_COLUMNS:
                rows.append(["интернет-ЦОК", label, "", "", booking_row.center_name, getattr(booking_row, key), ""])
    for window_row in section.utilisation:
        if window_row.booked_minutes:
            label = f"окно {window_row.window}: минуты записей, загрузка"
            center_name, minutes, share = window_row.center_name, window_row.booked_minutes, window_row.utilisation
            rows.append(["интернет-ЦОК", label, "", "", center_name, minutes, share])
    for hour_row in section.no_shows_by_hour:
        label = f"неявки {hour_row.hour}:00–{hour_row.hour + 1}:00, доля"
        rows.append(["интернет-ЦОК", label, "", "", "", hour_row.no_show, hour_row.rate])
    rows.extend(_answers_rows(report))
    return [[*row, "", "", ""] for row in rows]


def _answers_rows(report: MonitoringReport) -> list[list[Any]]:
    """Issue 17 in the CSV: the knowledge base (company-wide, «вся компания» in the centre column; the shares
    in «доля от всех») and the questions to a specialist by topic (the topic column) and by centre."""
    kb = report.internet_cok.knowledge_base
    company = "вся компания"
    rows: list[list[Any]] = [
        ["база знаний", "поиски", "", "", company, kb.searches, ""],
        ["база знаний", "поиски без результата", "", "", company, kb.zero_result_searches, kb.zero_result_share],
        ["база знаний", "просмотры статей", "", "", company, kb.views, ""],
        ["база знаний", "ответ помог: да", "", "", company, kb.votes_yes, kb.helpful_share],
        ["база знаний", "ответ помог: нет", "", "", company, kb.votes_no, ""],
    ]
    for search in kb.top_unanswered:
        rows.append(["база знаний", f"поиск без ответа: {search.query}", "", "", company, search.count, ""])
    questions = report.internet_cok.questions
    rows.append(["вопросы специалисту", "всего", "", "", "", questions.total, ""])
    for topic_row in questions.questions_by_topic:
        rows.append(["вопросы специалисту", "по тематике", "", topic_row.topic_name, "", topic_row.n, ""])
    for centre_row in questions.questions_by_center:
        rows.append(["вопросы специалисту", "по ЦОК", "", "", centre_row.center_name, centre_row.n, ""])
    return rows
