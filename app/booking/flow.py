"""The flow of customers into the centres: what the queries count for the flow statistics.

Reads bookings, working hours, kiosk survey answers and review-book entries, and hands the counts to the
pure functions of :mod:`app.analysis.stats.flow` (definitions there). Three readers use it: the staff page
«Нагрузка» (one centre), the monitoring report's «Интернет-ЦОК» section and ``GET /api/v1/internet-cok/stats``.

Times: a booking's ``start_at`` is the centre's local time; survey answers and review entries are stored in
UTC and are turned into the centre's local weekday and hour here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select

from app.appeals.report_model import CentreLoad, InternetCokSection, InternetCokStats
from app.booking.hours import local_now, working_periods
from app.booking.models import Booking, BookingClosure, CentreWindow, WorkingHours
from app.extensions import db
from app.models import Organisation, OrgKind, utcnow
from app.reviews.models import ReviewEntry
from app.surveys.models import Response

HISTORY_WEEKS = 8  # the past weeks whose feedback gives the usual walk-ins
HISTORY_WEEKS_CHOICES = (4, 8, 12, 26)
AHEAD_DAYS = 7  # the bookings of the coming week: each weekday once
BOOKING_STATUSES = ("booked", "cancelled", "arrived", "no_show")
WALK_IN_CHANNEL = "kiosk"  # survey answers left in the hall


def _minutes(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _days(date_from: date, date_to: date) -> Iterable[date]:
    day = date_from
    while day <= date_to:
        yield day
        day += timedelta(days=1)


def _hours_by_centre(ids: Sequence[int]) -> dict[int, dict[int, WorkingHours]]:
    rows: dict[int, dict[int, WorkingHours]] = defaultdict(dict)
    for row in db.session.scalars(select(WorkingHours).where(WorkingHours.center_id.in_(ids))):
        rows[row.center_id][row.weekday] = row
    return rows


def open_minutes(
    hours: dict[int, WorkingHours], date_from: date, date_to: date, closed: frozenset[date] = frozenset()
) -> int:
    """Minutes a window of the centre is open over the dates: working hours minus the break, no holidays,
    no day the window or its centre was closed for bookings."""
    return sum(
        _minutes(start, end)
        for day in _days(date_from, date_to)
        if day not in closed
        for start, end in working_periods(hours.get(day.weekday()), day)
    )


def _closed_days(date_from: date, date_to: date, ids: Sequence[int]) -> dict[tuple[int, int | None], set[date]]:
    """Closed days by (centre, window); window None closes the whole centre."""
    closed: dict[tuple[int, int | None], set[date]] = defaultdict(set)
    query = select(BookingClosure.center_id, BookingClosure.window_id, BookingClosure.day).where(
        BookingClosure.center_id.in_(ids), BookingClosure.day >= date_from, BookingClosure.day <= date_to
    )
    for center_id, window_id, day in db.session.execute(query):
        closed[(center_id, window_id)].add(day)
    return closed


def _day_periods(row: WorkingHours) -> list[tuple[time, time]]:
    """A weekday's open periods, split by the break (as :func:`working_periods` on a working day)."""
    if row.break_start and row.break_end and row.opens < row.break_start < row.break_end < row.closes:
        return [(row.opens, row.break_start), (row.break_end, row.closes)]
    return [(row.opens, row.closes)]


def open_cells(hours: dict[int, WorkingHours]) -> list[tuple[int, int]]:
    """The (weekday, hour) cells in which the centre is open at some minute, in week order (the break's
    whole hours left out)."""
    cells = []
    for weekday in range(7):
        row = hours.get(weekday)
        if row is None:
            continue
        periods = _day_periods(row)
        for hour in range(24):
            if any(start < time(hour, 59, 59) and end > time(hour, 0) for start, end in periods):
                cells.append((weekday, hour))
    return cells


# --- the report section: bookings, utilisation, no-shows ------------------------------------------


def _period_condition(date_from: date, date_to: date, ids: Sequence[int]) -> Any:
    start = datetime.combine(date_from, time(0))
    end = datetime.combine(date_to + timedelta(days=1), time(0))
    return (Booking.start_at >= start, Booking.start_at < end, Booking.center_id.in_(ids))


def _booking_counts(date_from: date, date_to: date, centres: Sequence[Organisation]) -> dict[str, Any]:
    ids = [c.id for c in centres]
    counts: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BOOKING_STATUSES, 0))
    query = (
        select(Booking.center_id, Booking.status, func.count())
        .where(*_period_condition(date_from, date_to, ids))
        .group_by(Booking.center_id, Booking.status)
    )
    for center_id, status, n in db.session.execute(query):
        if status in BOOKING_STATUSES:
            counts[center_id][status] += int(n)
    rows = []
    totals = {"made": 0, **dict.fromkeys(BOOKING_STATUSES, 0)}
    for centre in centres:
        by_status = counts.get(centre.id, dict.fromkeys(BOOKING_STATUSES, 0))
        row = {"made": sum(by_status.values()), **by_status}
        for key, value in row.items():
            totals[key] += value
        rows.append({"center": centre.code, "center_name": centre.name, **row})
    return {"bookings": rows, "bookings_total": totals}


def _utilisation(date_from: date, date_to: date, centres: Sequence[Organisation]) -> list[dict[str, Any]]:
    from app.analysis.stats.flow import utilisation  # the analysis package imports the appeals routes

    ids = [c.id for c in centres]
    booked = dict(
        db.session.execute(
            select(Booking.window_id, func.sum(Booking.duration_minutes))
            .where(*_period_condition(date_from, date_to, ids), Booking.status != "cancelled")
            .group_by(Booking.window_id)
        ).all()
    )
    windows: dict[int, list[CentreWindow]] = defaultdict(list)
    for window in db.session.scalars(
        select(CentreWindow).where(CentreWindow.center_id.in_(ids)).order_by(CentreWindow.number)
    ):
        if window.active or window.id in booked:
            windows[window.center_id].append(window)
    hours = _hours_by_centre(ids)
    closed = _closed_days(date_from, date_to, ids)
    rows = []
    for centre in centres:
        for window in windows.get(centre.id, []):
            window_closed = frozenset(closed.get((centre.id, None), set()) | closed.get((centre.id, window.id), set()))
            minutes_open = open_minutes(hours.get(centre.id, {}), date_from, date_to, window_closed)
            minutes_booked = int(booked.get(window.id) or 0)
            rows.append(
                {
                    "center": centre.code,
                    "center_name": centre.name,
                    "window": window.number,
                    "booked_minutes": minutes_booked,
                    "open_minutes": minutes_open,
                    "utilisation": utilisation(minutes_booked, minutes_open),
                }
            )
    return rows


def _no_shows_by_hour(date_from: date, date_to: date, centres: Sequence[Organisation]) -> list[dict[str, Any]]:
    from app.analysis.stats.flow import no_show_rates

    ids = [c.id for c in centres]
    hour = func.extract("hour", Booking.start_at)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    query = (
        select(hour.label("start_hour"), Booking.status, func.count())
        .where(*_period_condition(date_from, date_to, ids), Booking.status.in_(("arrived", "no_show")))
        .group_by(hour, Booking.status)
    )
    for start_hour, status, n in db.session.execute(query):
        counts[int(start_hour)][0 if status == "arrived" else 1] += int(n)
    return [rate.to_dict() for rate in no_show_rates({h: (a, n) for h, (a, n) in counts.items()})]


def internet_cok_section(date_from: date, date_to: date, centres: Sequence[Organisation]) -> dict[str, Any]:
    """The monitoring report's «Интернет-ЦОК» section of the centres (appointments dated in the period),
    as the dict :class:`InternetCokSection` validates: knowledge-base use is company-wide whatever the
    centres (articles are not per centre), questions to a specialist are those of the centres."""
    # Imported here: app.appeals.services and app.kb import the appeals package, whose report imports this module.
    from app.appeals.services import center_timezone
    from app.ask.stats import question_stats
    from app.kb.stats import knowledge_base_stats

    knowledge_base = knowledge_base_stats(date_from, date_to, center_timezone())
    del knowledge_base["date_from"], knowledge_base["date_to"]  # the report's period already says them
    return {
        **_booking_counts(date_from, date_to, centres),
        "utilisation": _utilisation(date_from, date_to, centres),
        "no_shows_by_hour": _no_shows_by_hour(date_from, date_to, centres),
        "knowledge_base": knowledge_base,
        "questions": question_stats(date_from, date_to, centres),
    }


# --- expected load ----------------------------------------------------------------------------------


def _utc(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _walk_in_counts(
    centre: Organisation, first: date, last: date, working_days: set[date]
) -> dict[tuple[int, int], int]:
    """Kiosk survey answers and review-book entries (never those in check or rejected as spam) per local
    weekday × hour over the dates, counting only working days."""
    zone = ZoneInfo(centre.timezone)
    start, end = _utc(first, zone), _utc(last + timedelta(days=1), zone)
    answers = select(Response.submitted_at).where(
        Response.center_id == centre.id,
        Response.channel == WALK_IN_CHANNEL,
        Response.submitted_at >= start,
        Response.submitted_at < end,
    )
    entries = select(ReviewEntry.created_at).where(
        ReviewEntry.center_id == centre.id,
        ReviewEntry.created_at >= start,
        ReviewEntry.created_at < end,
        or_(ReviewEntry.check_state.is_(None), ReviewEntry.check_state == "accepted"),
    )
    counts: dict[tuple[int, int], int] = defaultdict(int)
    for query in (answers, entries):
        for moment in db.session.scalars(query):
            local = moment.replace(tzinfo=UTC).astimezone(zone)
            if local.date() in working_days:
                counts[(local.weekday(), local.hour)] += 1
    return counts


def _booked_ahead(centre: Organisation, start: datetime, end: datetime) -> dict[tuple[int, int], tuple[int, int]]:
    """Active bookings from ``start`` to ``end`` (local): visits by the hour they start in, minutes by the hours
    they cover."""
    visits: dict[tuple[int, int], int] = defaultdict(int)
    minutes: dict[tuple[int, int], int] = defaultdict(int)
    query = select(Booking.start_at, Booking.duration_minutes).where(
        Booking.center_id == centre.id, Booking.status == "booked", Booking.start_at >= start, Booking.start_at < end
    )
    for start_at, duration in db.session.execute(query):
        visits[(start_at.weekday(), start_at.hour)] += 1
        moment, finish = start_at, start_at + timedelta(minutes=duration)
        while moment < finish:
            next_hour = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            step = min(next_hour, finish)
            minutes[(moment.weekday(), moment.hour)] += int((step - moment).total_seconds() // 60)
            moment = step
    return {key: (visits.get(key, 0), minutes.get(key, 0)) for key in set(visits) | set(minutes)}


def centre_load(centre: Organisation, now_utc: datetime | None = None, weeks: int = HISTORY_WEEKS) -> CentreLoad:
    """The centre's expected visitors per weekday × open hour in the coming week: the bookings of the next
    seven days plus the usual walk-ins of the past ``weeks`` whole weeks (ending yesterday)."""
    from app.analysis.stats.flow import expected_load, peak_cell, peak_phrase

    now_local = local_now(centre.timezone, now_utc or utcnow()).replace(second=0, microsecond=0)
    today = now_local.date()
    first, last = today - timedelta(days=7 * weeks), today - timedelta(days=1)
    hours = _hours_by_centre([centre.id]).get(centre.id, {})
    working_days = {day for day in _days(first, last) if working_periods(hours.get(day.weekday()), day)}
    days_observed: dict[int, int] = defaultdict(int)
    for day in working_days:
        days_observed[day.weekday()] += 1
    ahead_end = datetime.combine(today + timedelta(days=AHEAD_DAYS), time(0))
    cells = expected_load(
        open_cells(hours),
        _booked_ahead(centre, now_local, ahead_end),
        _walk_in_counts(centre, first, last, working_days),
        days_observed,
    )
    peak = peak_cell(cells)
    data = {
        "center": centre.code,
        "center_name": centre.name,
        "as_of": now_local.isoformat(),
        "weeks": weeks,
        "history": {"from": first.isoformat(), "to": last.isoformat()},
        "ahead": {"from": today.isoformat(), "to": (today + timedelta(days=AHEAD_DAYS - 1)).isoformat()},
        "peak": {"weekday": peak.weekday, "hour": peak.hour, "expected": peak.expected} if peak else None,
        "peak_text": peak_phrase(peak),
        "cells": [cell.to_dict() for cell in cells],
    }
    return CentreLoad.model_validate(data)


def centres_in(scope: Organisation | None) -> list[Organisation]:
    """The centres of a scope (None or the company: every centre), by name."""
    query = select(Organisation).where(Organisation.kind == OrgKind.CENTER)
    if scope is not None and scope.kind == OrgKind.BRANCH:
        query = query.where(Organisation.parent_id == scope.id)
    elif scope is not None and scope.kind == OrgKind.CENTER:
        query = query.where(Organisation.id == scope.id)
    return list(db.session.scalars(query.order_by(Organisation.name)))


def centre_section(date_from: date, date_to: date, centre: Organisation) -> InternetCokSection:
    """The «Интернет-ЦОК» figures of one centre (the page «Нагрузка»)."""
    return InternetCokSection.model_validate(internet_cok_section(date_from, date_to, [centre]))


def internet_cok_stats(
    date_from: date,
    date_to: date,
    centres: Sequence[Organisation],
    scope: str,
    now_utc: datetime | None = None,
    weeks: int = HISTORY_WEEKS,
) -> InternetCokStats:
    """The API's statistics: the report section of the period for the centres, and each centre's expected
    load of the coming week (as of now, whatever the period)."""
    data = {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "scope": scope,
        **internet_cok_section(date_from, date_to, centres),
        "expected_load": [centre_load(c, now_utc, weeks).model_dump(mode="json") for c in centres],
    }
    return InternetCokStats.model_validate(data)


def heatmap(load: CentreLoad) -> dict[str, Any]:
    """The weekday × hour table of the page: open weekdays as columns, hours as rows, each cell with its
    colour step (0–4, :func:`app.analysis.stats.flow.heat_level`); None where the centre is closed (a day off,
    the break)."""
    from app.analysis.stats.flow import heat_level

    weekdays = sorted({cell.weekday for cell in load.cells})
    opened = [cell.hour for cell in load.cells]
    hours = list(range(min(opened), max(opened) + 1)) if opened else []  # the break shows as a closed row
    maximum = max((cell.expected for cell in load.cells), default=0.0)
    by_key = {(cell.weekday, cell.hour): cell for cell in load.cells}
    rows = [
        {
            "hour": hour,
            "cells": [
                {"cell": by_key[(weekday, hour)], "level": heat_level(by_key[(weekday, hour)].expected, maximum)}
                if (weekday, hour) in by_key
                else None
                for weekday in weekdays
            ],
        }
        for hour in hours
    ]
    return {"weekdays": weekdays, "rows": rows}
