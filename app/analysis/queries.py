"""SQL aggregation for the analysis: the database groups and counts, pandas gets small tidy frames.

Nothing here loads all answers. Every query filters on the survey, a time range and (optionally)
the centres of a scope, and groups by period, centre, question and value. Periods are computed in
Python (dates in the company's time zone, converted to the naive UTC stored in the tables) and turned
into ``CASE`` expressions, so the same SQL runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from app.analysis import aggregates
from app.analysis.models import AnswerDailyCount, AnswerMonthlyCount, ResponseDailyCount
from app.appeals.models import Appeal, Promise
from app.config import setting
from app.extensions import db
from app.models import Organisation, OrgKind, Topic, utcnow
from app.surveys.models import Answer, Response, Survey, SurveyVersion
from app.text.masking import mask_personal

# Cap of responses read for the driver analysis and reliability: above it a systematic sample of the
# period (every k-th response in time order). 20 000 complete cases give relative weights to about ±0.01;
# stated in the report's methods when it applies.
SAMPLE_CAP_DEFAULT = 20_000
EXCLUDED_APPEAL_STATUSES = ("duplicate",)

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-_ ]?\s*[QqКк]\s*([1-4])\s*$")


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """A range of calendar days, both ends included (dates in the company's time zone)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("Конец периода раньше его начала")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        year, quarter = quarter_of(self.start)
        if self == quarter_period(year, quarter):
            return f"{year}Q{quarter}"
        return f"{self.start.isoformat()}…{self.end.isoformat()}"

    def bounds(self, tz: str | None = None) -> tuple[datetime, datetime]:
        """Half-open ``[start, end)`` in naive UTC, the way timestamps are stored."""
        return local_day_start(self.start, tz), local_day_start(self.end + timedelta(days=1), tz)

    def to_dict(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "label": self.label}


def local_day_start(day: date, tz: str | None = None) -> datetime:
    """Midnight of ``day`` in the company's time zone, as naive UTC."""
    zone = ZoneInfo(tz or setting("DEFAULT_CENTER_TIMEZONE"))
    local = datetime.combine(day, time(), tzinfo=zone)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def quarter_of(day: date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * (quarter - 1) + 1, 1)
    nxt = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return Period(start, nxt - timedelta(days=1))


def parse_quarter(text: str) -> Period | None:
    """``2026Q3`` (also ``2026-Q3``, ``2026 К3``) → the quarter; anything else → None."""
    match = _QUARTER_RE.match(text or "")
    return quarter_period(int(match.group(1)), int(match.group(2))) if match else None


def previous_period(period: Period) -> Period:
    """The previous quarter for a whole quarter, otherwise the same number of days just before."""
    year, quarter = quarter_of(period.start)
    if period == quarter_period(year, quarter):
        return quarter_period(year - 1, 4) if quarter == 1 else quarter_period(year, quarter - 1)
    end = period.start - timedelta(days=1)
    return Period(end - timedelta(days=period.days - 1), end)


def trend_quarters(until: date, count: int = 4) -> list[Period]:
    """The ``count`` quarters up to the one containing ``until`` (the last one ends at ``until``)."""
    year, quarter = quarter_of(until)
    periods: list[Period] = []
    for _ in range(count):
        periods.append(quarter_period(year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    periods.reverse()
    last = periods[-1]
    periods[-1] = Period(last.start, min(last.end, until))
    return periods


def month_period(year: int, month: int) -> Period:
    start = date(year, month, 1)
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return Period(start, nxt - timedelta(days=1))


def month_label(period: Period) -> str:
    """``2026-07`` for the month a period starts in."""
    return f"{period.start.year:04d}-{period.start.month:02d}"


def trend_months(until: date, count: int = 12) -> list[Period]:
    """The ``count`` calendar months up to the one containing ``until`` (the last one ends at ``until``)."""
    year, month = until.year, until.month
    periods: list[Period] = []
    for _ in range(count):
        periods.append(month_period(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    periods.reverse()
    last = periods[-1]
    periods[-1] = Period(last.start, min(last.end, until))
    return periods


# --------------------------------------------------------------------------- scope and survey


def survey_by_slug(slug: str) -> Survey | None:
    return db.session.scalar(select(Survey).where(Survey.slug == slug))


def survey_definitions(survey: Survey) -> list[dict]:
    """Definitions of the versions that can have responses (published or closed), oldest first.

    A draft-only survey falls back to its drafts so that a report still knows its questions.
    """
    versions = list(
        db.session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number)
        )
    )
    used = [v.definition for v in versions if v.status in ("published", "closed")]
    return used or [v.definition for v in versions]


def survey_versions(survey: Survey) -> list[tuple[int, int, dict]]:
    """``(version_id, number, definition)`` of the versions that can have responses, oldest first (drafts
    when a survey has nothing else, as :func:`survey_definitions`)."""
    versions = list(
        db.session.scalars(
            select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number)
        )
    )
    used = [(v.id, v.number, v.definition) for v in versions if v.status in ("published", "closed")]
    return used or [(v.id, v.number, v.definition) for v in versions]


def scope_centers(scope: Organisation | None) -> list[Organisation]:
    """Centres at or below the scope (None or the company: every centre)."""
    from app.org.services import centers_under

    return centers_under(scope)


def org_tree() -> dict[int, Organisation]:
    return {o.id: o for o in db.session.scalars(select(Organisation))}


def branch_id_of(center: Organisation, tree: Mapping[int, Organisation]) -> int | None:
    parent = tree.get(center.parent_id) if center.parent_id else None
    return parent.id if parent is not None and parent.kind == OrgKind.BRANCH else None


def _center_filter(column, center_ids: Sequence[int] | None):
    """None = no filter (whole company); an empty list matches nothing."""
    if center_ids is None:
        return literal(True)
    return column.in_(list(center_ids)) if center_ids else literal(False)


def _period_case(column, bounds: Sequence[tuple[date, date]]):
    """``CASE`` giving the index of the period a timestamp falls in (periods must not overlap)."""
    if len(bounds) == 1:
        return literal(0)
    return case(*[(and_(column >= lo, column < hi), index) for index, (lo, hi) in enumerate(bounds)], else_=-1)


def _range(column, bounds: Sequence[tuple[date, date]]):
    if len(bounds) == 1:
        lo, hi = bounds[0]
        return and_(column >= lo, column < hi)
    from sqlalchemy import or_

    return or_(*[and_(column >= lo, column < hi) for lo, hi in bounds])


# --------------------------------------------------------------------------- survey answers


def _split_names(by_channel: bool, by_version: bool) -> list[str]:
    return [*(["channel"] if by_channel else []), *(["version_id"] if by_version else [])]


Exclusions = Mapping[str, Sequence[int]]  # question code → survey version ids whose answers are left out


def value_counts(
    survey_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    by_channel: bool = False,
    by_version: bool = False,
    exclude_versions: Exclusions | None = None,
) -> pd.DataFrame:
    """Answer counts: columns ``period, center_id, [channel,] [version_id,] question_code, value_num,
    option_code, count``.

    ``GROUP BY`` runs in the database; the frame has one row per distinct value per group, i.e. a few
    thousand rows whatever the number of responses. Whole local days are summed from the daily/monthly
    counts (:mod:`app.analysis.aggregates`, kept per channel and survey version) plus the answers stored
    since their last refresh; any other request reads the answers. ``exclude_versions`` leaves out the
    answers of the given versions to the given questions (a question whose scale changed).
    """
    exclude = {code: set(ids) for code, ids in (exclude_versions or {}).items() if ids and code in codes}
    if exclude:
        frame = value_counts(survey_id, bounds, center_ids, codes, by_channel, True)
        if len(frame):
            dropped = [
                code in exclude and version in exclude[code]
                for code, version in zip(frame["question_code"], frame["version_id"], strict=True)
            ]
            frame = frame[[not d for d in dropped]]
        return frame if by_version else frame.drop(columns=["version_id"])
    split = _split_names(by_channel, by_version)
    columns = ["period", "center_id", *split, "question_code", "value_num", "option_code", "count"]
    if not codes or not bounds:
        return pd.DataFrame(columns=columns)
    frame = _aggregated(
        lambda mark, days: _value_counts_from_days(survey_id, days, bounds, center_ids, codes, mark, split),
        survey_id,
        bounds,
    )
    if frame is not None:
        return frame
    return _value_counts_raw(survey_id, bounds, center_ids, codes, by_channel, by_version)


def _aggregated(read, survey_id: int, bounds: Sequence[tuple[datetime, datetime]]):
    """Run ``read(watermark, days)`` when the daily counts can answer, else return None.

    The watermark is read again afterwards: a refresh committed in between (PostgreSQL reads each
    statement at its own snapshot) would count its responses twice, so the read is retried.
    """
    offset = aggregates.fixed_offset_seconds()
    days = aggregates.whole_days(bounds, offset) if offset is not None else None
    if days is None or offset is None:
        return None
    for _attempt in range(3):
        mark = aggregates.watermark(survey_id, offset)
        if mark is None:
            return None
        result = read(mark, days)
        if aggregates.watermark(survey_id, offset) == mark:
            return result
    return None


def _value_counts_from_days(
    survey_id: int,
    days: list[tuple[date, date]],
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    mark: int,
    split: Sequence[str] = (),
) -> pd.DataFrame:
    """Whole months from the monthly counts, the days around them from the daily counts, plus the tail.
    Channels and versions are summed over unless ``split`` names them."""
    columns = ["period", "center_id", *split, "question_code", "value_num", "option_code", "count"]
    month_pieces, day_pieces = _split_months(days)
    totals: Counter = Counter()
    for table, column, pieces in (
        (AnswerMonthlyCount, AnswerMonthlyCount.month, month_pieces),
        (AnswerDailyCount, AnswerDailyCount.day, day_pieces),
    ):
        if not pieces:
            continue
        period = case(*[(and_(column >= lo, column < hi), index) for lo, hi, index in pieces], else_=-1)
        keys = [
            period,
            table.center_id,
            *(getattr(table, name) for name in split),
            table.question_code,
            table.has_value,
            table.value_num,
            table.option_code,
        ]
        query = (
            select(*keys, func.sum(table.count))
            .where(
                table.survey_id == survey_id,
                table.question_code.in_(list(codes)),
                or_(*[and_(column >= lo, column < hi) for lo, hi, _ in pieces]),
                _center_filter(table.center_id, center_ids),
            )
            .group_by(*keys)
        )
        for row in db.session.execute(query):
            *head, has, v, o, n = row
            totals[(*head, v if has else None, o or None)] += int(n)
    for *key, n in _value_counts_raw_rows(
        survey_id,
        bounds,
        center_ids,
        codes,
        "channel" in split,
        after_response_id=mark,
        by_version="version_id" in split,
    ):
        totals[tuple(key)] += int(n)
    frame = pd.DataFrame([(*key, n) for key, n in totals.items()], columns=columns)
    return frame[frame["period"] >= 0]


def _split_months(days: list[tuple[date, date]]) -> tuple[list[tuple[date, date, int]], list[tuple[date, date, int]]]:
    """Split each ``[first, after_last)`` into whole calendar months and the loose days before and after."""
    months, loose = [], []
    for index, (lo, hi) in enumerate(days):
        first = lo if lo.day == 1 else _next_month(lo)
        end = hi.replace(day=1)
        if first < end:
            months.append((first, end, index))
            loose += [(a, b, index) for a, b in ((lo, first), (end, hi)) if a < b]
        else:
            loose.append((lo, hi, index))
    return months, loose


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _value_counts_raw(
    survey_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    by_channel: bool,
    by_version: bool = False,
) -> pd.DataFrame:
    columns = [
        "period",
        "center_id",
        *_split_names(by_channel, by_version),
        "question_code",
        "value_num",
        "option_code",
        "count",
    ]
    frame = pd.DataFrame(
        _value_counts_raw_rows(survey_id, bounds, center_ids, codes, by_channel, by_version=by_version), columns=columns
    )
    return frame[frame["period"] >= 0] if len(bounds) > 1 else frame


def _value_counts_raw_rows(
    survey_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    by_channel: bool,
    after_response_id: int | None = None,
    by_version: bool = False,
) -> list[tuple]:
    """Counts straight from the answers; with ``after_response_id`` only those of later responses."""
    period = _period_case(Answer.submitted_at, bounds).label("period")
    keys = [period, Answer.center_id]
    if by_channel:
        keys.append(Response.channel)
    if by_version:
        keys.append(Response.version_id)
    keys += [Answer.question_code, Answer.value_num, Answer.option_code]
    scope: tuple[ColumnElement[bool], ...]
    if after_response_id is None:
        scope = (Answer.survey_id == survey_id,)
    else:  # walk the response-id index, not the survey's answers of the whole period
        scope = (Answer.response_id > after_response_id, (Answer.survey_id + 0) == survey_id)
    query = (
        select(*keys, func.count().label("count"))
        .where(
            *scope,
            Answer.question_code.in_(list(codes)),
            _range(Answer.submitted_at, bounds),
            _center_filter(Answer.center_id, center_ids),
            (Answer.value_num.is_not(None)) | (Answer.option_code.is_not(None)),
        )
        .group_by(*keys)
    )
    if by_channel or by_version:
        query = query.join(Response, Response.id == Answer.response_id)
    return [tuple(row) for row in db.session.execute(query)]


def response_counts(
    survey_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    by_channel: bool = False,
) -> pd.DataFrame:
    """Responses per period and centre: columns ``period, center_id, [channel,] n``."""
    columns = ["period", "center_id", *(["channel"] if by_channel else []), "n"]
    if not bounds:
        return pd.DataFrame(columns=columns)
    frame = _aggregated(
        lambda mark, days: _response_counts_from_days(survey_id, days, bounds, center_ids, mark, by_channel),
        survey_id,
        bounds,
    )
    return frame if frame is not None else _response_counts_raw(survey_id, bounds, center_ids, by_channel=by_channel)


def _response_counts_from_days(
    survey_id: int,
    days: list[tuple[date, date]],
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    mark: int,
    by_channel: bool = False,
) -> pd.DataFrame:
    table = ResponseDailyCount
    period = _period_case(table.day, days).label("period")
    keys = [period, table.center_id, *([table.channel] if by_channel else [])]
    names = ["period", "center_id", *(["channel"] if by_channel else [])]
    query = (
        select(*keys, func.sum(table.count))
        .where(
            table.survey_id == survey_id,
            table.question_code == "",
            _range(table.day, days),
            _center_filter(table.center_id, center_ids),
        )
        .group_by(*keys)
    )
    frame = pd.DataFrame(db.session.execute(query).all(), columns=[*names, "n"])
    tail = _response_counts_raw(survey_id, bounds, center_ids, after_response_id=mark, by_channel=by_channel)
    if len(tail):
        frame = pd.concat([frame, tail], ignore_index=True).groupby(names, as_index=False)["n"].sum()
    frame["n"] = frame["n"].astype(int)
    return frame[frame["period"] >= 0] if len(bounds) > 1 else frame


def _response_counts_raw(
    survey_id: int,
    bounds: Sequence[tuple[datetime, datetime]],
    center_ids: Sequence[int] | None,
    after_response_id: int | None = None,
    by_channel: bool = False,
) -> pd.DataFrame:
    period = _period_case(Response.submitted_at, bounds).label("period")
    keys = [period, Response.center_id, *([Response.channel] if by_channel else [])]
    scope = (
        (Response.survey_id == survey_id,)
        if after_response_id is None
        else (Response.id > after_response_id, (Response.survey_id + 0) == survey_id)
    )
    query = (
        select(*keys, func.count().label("n"))
        .where(*scope, _range(Response.submitted_at, bounds), _center_filter(Response.center_id, center_ids))
        .group_by(*keys)
    )
    frame = pd.DataFrame(
        db.session.execute(query).all(), columns=["period", "center_id", *(["channel"] if by_channel else []), "n"]
    )
    return frame[frame["period"] >= 0] if len(bounds) > 1 else frame


def text_summary(
    survey_id: int,
    bounds: tuple[datetime, datetime],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    samples: int = 5,
) -> dict[str, dict]:
    """Per text question: the number of non-empty answers and a few recent samples (contacts masked)."""
    result: dict[str, dict] = {}
    lo, hi = bounds
    for code in codes:
        where = (
            Answer.survey_id == survey_id,
            Answer.question_code == code,
            Answer.submitted_at >= lo,
            Answer.submitted_at < hi,
            _center_filter(Answer.center_id, center_ids),
            Answer.text.is_not(None),
            Answer.text != "",
        )
        n = db.session.scalar(select(func.count()).select_from(Answer).where(*where)) or 0
        texts = (
            db.session.scalars(
                select(Answer.text).where(*where).order_by(Answer.submitted_at.desc()).limit(samples)
            ).all()
            if n
            else []
        )
        result[code] = {"n": int(n), "samples": [mask_personal(t or "")[:500] for t in texts]}
    return result


def respondent_scores(
    survey_id: int,
    bounds: tuple[datetime, datetime],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    cap: int = SAMPLE_CAP_DEFAULT,
    exclude_versions: Exclusions | None = None,
) -> tuple[pd.DataFrame, bool]:
    """Wide per-respondent numeric answers for ``codes`` (only for drivers and reliability).

    Pivoted in SQL (``MAX(CASE …)`` grouped by response), so only ``len(codes)`` numbers per respondent
    travel. A period with more than ``cap`` responses is sampled systematically: every k-th response in
    order of submission time (ids from ``ix_response_survey_submitted``), so the sample spreads evenly over
    the period, and only those responses' answers are read. Returns ``(frame, capped)``.
    Columns: ``response_id, center_id, <codes…>``; a missing answer is NaN.
    """
    codes = list(dict.fromkeys(codes))
    columns = ["response_id", "center_id", *codes]
    if not codes:
        return pd.DataFrame(columns=columns), False
    cap = max(1, int(cap))
    lo, hi = bounds
    exclude = {code: set(v) for code, v in (exclude_versions or {}).items() if v and code in codes}
    if exclude:
        found = db.session.execute(
            select(Response.id, Response.version_id)
            .where(
                Response.survey_id == survey_id,
                Response.submitted_at >= lo,
                Response.submitted_at < hi,
                _center_filter(Response.center_id, center_ids),
            )
            .order_by(Response.submitted_at, Response.id)
        ).all()
        ids, version_of = [r[0] for r in found], {r[0]: r[1] for r in found}
    else:
        ids = list(
            db.session.scalars(
                select(Response.id)
                .where(
                    Response.survey_id == survey_id,
                    Response.submitted_at >= lo,
                    Response.submitted_at < hi,
                    _center_filter(Response.center_id, center_ids),
                )
                .order_by(Response.submitted_at, Response.id)
            )
        )
    capped = len(ids) > cap
    if capped:
        step = len(ids) / cap
        ids = [ids[int(i * step)] for i in range(cap)]
    ids.sort()
    pivots = [
        func.max(case((Answer.question_code == code, Answer.value_num))).label(f"c{i}") for i, code in enumerate(codes)
    ]
    rows: list = []
    for start in range(0, len(ids), _ID_CHUNK):
        chunk = ids[start : start + _ID_CHUNK]
        query = (
            select(Answer.response_id, func.max(Answer.center_id), *pivots)
            .where(Answer.response_id.in_(chunk), Answer.question_code.in_(codes), Answer.value_num.is_not(None))
            .group_by(Answer.response_id)
            .having(func.count() >= min(2, len(codes)))
        )
        rows.extend(db.session.execute(query).all())
    frame = pd.DataFrame(rows, columns=columns)
    for code in codes:
        frame[code] = pd.to_numeric(frame[code], errors="coerce").astype(float)
    if exclude and len(frame):
        versions = frame["response_id"].map(version_of)
        for code, left_out in exclude.items():
            frame.loc[versions.isin(list(left_out)), code] = float("nan")
    return frame, capped


_ID_CHUNK = 2_000  # bound parameters per IN list (SQLite allows 32 766, PostgreSQL 65 535)


def center_counts_for(
    survey_id: int, bounds: tuple[datetime, datetime], center_ids: Sequence[int] | None, code: str
) -> pd.DataFrame:
    """Value counts of one question per centre in one period (used for before/after effects)."""
    return value_counts(survey_id, [bounds], center_ids, [code])


# --------------------------------------------------------------------------- appeals


def appeal_counts(bounds: Sequence[tuple[datetime, datetime]], center_ids: Sequence[int] | None) -> pd.DataFrame:
    """Appeals per period, centre, kind and topic code: columns ``period, center_id, kind, topic, count``."""
    columns = ["period", "center_id", "kind", "topic", "count"]
    if not bounds:
        return pd.DataFrame(columns=columns)
    period = _period_case(Appeal.received_at, bounds).label("period")
    keys = [period, Appeal.center_id, Appeal.kind, Appeal.topic_id]
    query = (
        select(*keys, func.count())
        .where(
            _range(Appeal.received_at, bounds),
            _center_filter(Appeal.center_id, center_ids),
            Appeal.status.not_in(EXCLUDED_APPEAL_STATUSES),
        )
        .group_by(*keys)
    )
    rows: Sequence[Any] = db.session.execute(query).all()
    topics = dict(db.session.execute(select(Topic.id, Topic.code)).all())
    frame = pd.DataFrame([(p, c, k, topics.get(t, "other"), n) for p, c, k, t, n in rows], columns=columns)
    return frame[frame["period"] >= 0] if len(bounds) > 1 else frame


def appeal_timeliness(
    bounds: tuple[datetime, datetime], center_ids: Sequence[int] | None, now: datetime | None = None
) -> pd.DataFrame:
    """On-time answers per centre for appeals received in the period: columns ``center_id, due, on_time``.

    ``due`` counts appeals already answered or whose deadline has passed (by the end of the period or
    now, whichever is earlier); ``on_time`` those answered no later than their deadline.
    """
    lo, hi = bounds
    cutoff = min(hi, now or utcnow())
    on_time = func.sum(case((and_(Appeal.answered_at.is_not(None), Appeal.answered_at <= Appeal.due_at), 1), else_=0))
    query = (
        select(Appeal.center_id, func.count(), on_time)
        .where(
            Appeal.received_at >= lo,
            Appeal.received_at < hi,
            _center_filter(Appeal.center_id, center_ids),
            Appeal.status.not_in(("duplicate", "rejected")),
            (Appeal.answered_at.is_not(None)) | (Appeal.due_at < cutoff),
        )
        .group_by(Appeal.center_id)
    )
    frame = pd.DataFrame(db.session.execute(query).all(), columns=["center_id", "due", "on_time"])
    frame["on_time"] = frame["on_time"].fillna(0).astype(int)
    return frame


def promise_counts(
    bounds: tuple[datetime, datetime], center_ids: Sequence[int] | None, now: datetime | None = None
) -> pd.DataFrame:
    """Promises due in the period per centre: columns ``center_id, due, kept``.

    A promise counts once resolved or once its date has passed (an open promise past its date was not
    kept); ``kept`` is those marked kept.
    """
    lo, hi = bounds
    cutoff = min(hi, now or utcnow())
    kept = func.sum(case((Promise.status == "kept", 1), else_=0))
    query = (
        select(Appeal.center_id, func.count(), kept)
        .join(Appeal, Appeal.id == Promise.appeal_id)
        .where(
            Promise.due_at >= lo,
            Promise.due_at < hi,
            _center_filter(Appeal.center_id, center_ids),
            (Promise.status != "open") | (Promise.due_at < cutoff),
        )
        .group_by(Appeal.center_id)
    )
    frame = pd.DataFrame(db.session.execute(query).all(), columns=["center_id", "due", "kept"])
    frame["kept"] = frame["kept"].fillna(0).astype(int)
    return frame


def distinct_respondents(
    survey_id: int,
    bounds: tuple[datetime, datetime],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    exclude_versions: Exclusions | None = None,
) -> dict[str, int]:
    """Respondents who answered each multi-choice question (the denominator of its option shares);
    ``exclude_versions`` as in :func:`value_counts`."""
    if not codes:
        return {}
    by_version = _aggregated(
        lambda mark, days: _respondents_from_days(survey_id, days, bounds, center_ids, codes, mark), survey_id, [bounds]
    )
    if by_version is None:
        by_version = _respondents_raw(survey_id, bounds, center_ids, codes)
    out: dict[str, int] = {}
    for (code, version), n in by_version.items():
        if version not in (exclude_versions or {}).get(code, ()):
            out[code] = out.get(code, 0) + n
    return out


def _respondents_from_days(
    survey_id: int,
    days: list[tuple[date, date]],
    bounds: tuple[datetime, datetime],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    mark: int,
) -> dict[tuple[str, int], int]:
    table = ResponseDailyCount
    query = (
        select(table.question_code, table.version_id, func.sum(table.count))
        .where(
            table.survey_id == survey_id,
            table.question_code.in_(list(codes)),
            _range(table.day, days),
            _center_filter(table.center_id, center_ids),
        )
        .group_by(table.question_code, table.version_id)
    )
    out = {(code, int(version)): int(n) for code, version, n in db.session.execute(query).all()}
    for key, n in _respondents_raw(survey_id, bounds, center_ids, codes, after_response_id=mark).items():
        out[key] = out.get(key, 0) + n
    return out


def _respondents_raw(
    survey_id: int,
    bounds: tuple[datetime, datetime],
    center_ids: Sequence[int] | None,
    codes: Sequence[str],
    after_response_id: int | None = None,
) -> dict[tuple[str, int], int]:
    """``{(question_code, version_id): respondents}`` straight from the answers."""
    lo, hi = bounds
    scope = (
        (Answer.survey_id == survey_id,)
        if after_response_id is None
        else (Answer.response_id > after_response_id, (Answer.survey_id + 0) == survey_id)
    )
    query = (
        select(Answer.question_code, Response.version_id, func.count(func.distinct(Answer.response_id)))
        .join(Response, Response.id == Answer.response_id)
        .where(
            *scope,
            Answer.question_code.in_(list(codes)),
            Answer.submitted_at >= lo,
            Answer.submitted_at < hi,
            _center_filter(Answer.center_id, center_ids),
        )
        .group_by(Answer.question_code, Response.version_id)
    )
    return {(code, int(version)): int(n) for code, version, n in db.session.execute(query).all()}
