"""Daily answer counts kept up to date incrementally, so that a report sums days instead of scanning answers.

Responses and answers are immutable once stored (nothing updates or deletes them; the privacy jobs only
unlink and delete contact rows), so counts per survey, local day, centre, channel, survey version, question and
value can be added up once and never revisited (reads that do not split by channel or version sum over
them). Each survey has a watermark: every response with ``id <= last_response_id``
is counted. :func:`refresh_aggregates` counts the responses above it in batches of response ids (one
write transaction per batch, the watermark advanced in the same transaction), with
``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE SET count = count + excluded.count``.

Local days: the counts are kept by the local date in ``DEFAULT_CENTER_TIMEZONE``, computed in SQL by
shifting the stored UTC time by the zone's fixed offset. A zone with daylight saving time has no fixed
offset; then nothing is pre-aggregated and every query reads the answers (``fixed_offset_seconds`` is
None). Moscow has had +03:00 all year since 26 October 2014; bounds before that are not whole days at
+03:00 and are read from the answers as well.

Reads (:mod:`app.analysis.queries`) add the answers above the watermark to the counts, so a result is
exact whether or not a refresh ran; the refresh only makes reports fast (``build_report`` runs one, and
``flask analysis refresh`` is meant for cron).

Ids and commits: the watermark is only safe if no response with a lower id can still commit. SQLite runs
one writer at a time (``BEGIN IMMEDIATE``), so the highest id read inside a write transaction is final.
PostgreSQL hands out ids from a sequence before commit, so the highest id is read under
``LOCK TABLE response IN SHARE MODE``, which waits for every transaction that is inserting responses
(answers are stored in the same transaction as their response) and is released at once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, cast, delete, func, literal, literal_column, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.analysis.models import AggregateWatermark, AnswerDailyCount, AnswerMonthlyCount, ResponseDailyCount
from app.config import setting
from app.database import is_sqlite, table_of, write_transaction
from app.extensions import db
from app.models import utcnow
from app.surveys.models import Answer, Response, Survey

log = logging.getLogger(__name__)


def fixed_offset_seconds(tz: str | None = None, year: int | None = None) -> int | None:
    """UTC offset of the zone in seconds when it is the same in January and July, else None (DST)."""
    zone = ZoneInfo(tz or setting("DEFAULT_CENTER_TIMEZONE"))
    year = year or utcnow().year
    offsets = {datetime(year, month, 15, 12, tzinfo=zone).utcoffset() or timedelta(0) for month in (1, 7)}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds())


def whole_days(bounds: Sequence[tuple[datetime, datetime]], offset: int) -> list[tuple[date, date]] | None:
    """``[(first_day, day_after_last)]`` when every bound is a local midnight at ``offset``, else None."""
    shift = timedelta(seconds=offset)
    out = []
    for lo, hi in bounds:
        local_lo, local_hi = lo + shift, hi + shift
        if local_lo.time() != time() or local_hi.time() != time():
            return None
        out.append((local_lo.date(), local_hi.date()))
    return out


def local_day(column, offset: int):
    """SQL expression: the local date of a naive UTC timestamp column shifted by a fixed offset."""
    offset = int(offset)
    if is_sqlite():  # whole seconds first: SQLite's date functions round 23:59:59.9995 up to the next day
        return func.date(func.substr(column, 1, 19), f"{offset:+d} seconds")
    return cast(column + literal_column(f"INTERVAL '{offset} seconds'"), Date)


def local_month(column, offset: int):
    """SQL expression: the first day of the local month of a naive UTC timestamp column."""
    offset = int(offset)
    if is_sqlite():
        return func.date(func.substr(column, 1, 19), f"{offset:+d} seconds", "start of month")
    return cast(func.date_trunc("month", column + literal_column(f"INTERVAL '{offset} seconds'")), Date)


def watermark(survey_id: int, offset: int) -> int | None:
    """The survey's watermark when its counts were made with ``offset``; None = counts unusable."""
    row = db.session.execute(
        select(AggregateWatermark.last_response_id, AggregateWatermark.utc_offset_seconds).where(
            AggregateWatermark.survey_id == survey_id
        )
    ).first()
    if row is None or row[1] != offset or not row[0]:
        return None
    return int(row[0])


def _final_max_response_id() -> int:
    """The highest response id below which no response can still be committed."""
    with write_transaction():
        if not is_sqlite():
            db.session.execute(text("LOCK TABLE response IN SHARE MODE"))
        return int(db.session.scalar(select(func.max(Response.id))) or 0)


def _no_index(column):
    """``column + 0``: keeps the planner off the survey indexes so that it walks the response-id range."""
    return column + 0


def _upsert(table, columns: list[str], keys: list[str], query):
    insert = sqlite_insert if is_sqlite() else pg_insert
    statement = insert(table).from_select(columns, query)
    return statement.on_conflict_do_update(
        index_elements=keys, set_={"count": table.c["count"] + statement.excluded["count"]}
    )


def _count_range(survey_id: int, lo: int, hi: int, offset: int) -> None:
    """Add the answers and responses of ``lo < response_id <= hi`` to the daily counts.

    Channel and survey version come from the response (an answer row does not repeat them).
    """
    day = local_day(Answer.submitted_at, offset)
    has_value = Answer.value_num.is_not(None)
    value = func.coalesce(Answer.value_num, 0.0)
    option = func.coalesce(Answer.option_code, "")
    # The response id range is repeated on the joined responses so that the join walks their primary key.
    in_range = (
        Answer.response_id > lo,
        Answer.response_id <= hi,
        _no_index(Answer.survey_id) == survey_id,
        Response.id > lo,
        Response.id <= hi,
    )
    split = (Response.channel, Response.version_id)
    for table, when in (
        (table_of(AnswerDailyCount), day),
        (table_of(AnswerMonthlyCount), local_month(Answer.submitted_at, offset)),
    ):
        query = (
            select(
                literal(survey_id),
                when,
                Answer.center_id,
                *split,
                Answer.question_code,
                has_value,
                value,
                option,
                func.count(),
            )
            .join(Response, Response.id == Answer.response_id)
            .where(*in_range, (Answer.value_num.is_not(None)) | (Answer.option_code.is_not(None)))
            .group_by(when, Answer.center_id, *split, Answer.question_code, has_value, value, option)
        )
        keys = [
            "survey_id",
            "day" if table.name == "answer_daily_count" else "month",
            "center_id",
            "channel",
            "version_id",
            "question_code",
            "has_value",
            "value_num",
            "option_code",
        ]
        db.session.execute(_upsert(table, [*keys, "count"], keys, query))

    respondents = table_of(ResponseDailyCount)
    keys = ["survey_id", "day", "center_id", "channel", "version_id", "question_code"]
    per_question = (
        select(
            literal(survey_id),
            day,
            Answer.center_id,
            *split,
            Answer.question_code,
            func.count(func.distinct(Answer.response_id)),
        )
        .join(Response, Response.id == Answer.response_id)
        .where(*in_range)
        .group_by(day, Answer.center_id, *split, Answer.question_code)
    )
    db.session.execute(_upsert(respondents, [*keys, "count"], keys, per_question))
    response_day = local_day(Response.submitted_at, offset)
    per_day = (
        select(literal(survey_id), response_day, Response.center_id, *split, literal(""), func.count())
        .where(Response.id > lo, Response.id <= hi, _no_index(Response.survey_id) == survey_id)
        .group_by(response_day, Response.center_id, *split)
    )
    db.session.execute(_upsert(respondents, [*keys, "count"], keys, per_day))


def _lock_mark(survey_id: int, offset: int) -> AggregateWatermark:
    """The survey's watermark row, locked for this transaction (created, or reset when the offset changed)."""
    insert = sqlite_insert if is_sqlite() else pg_insert
    db.session.execute(
        insert(table_of(AggregateWatermark))
        .values(survey_id=survey_id, last_response_id=0, utc_offset_seconds=offset, refreshed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["survey_id"])
    )
    mark = db.session.scalars(
        select(AggregateWatermark)
        .where(AggregateWatermark.survey_id == survey_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if mark.utc_offset_seconds != offset:
        for table in (AnswerDailyCount, AnswerMonthlyCount, ResponseDailyCount):
            db.session.execute(delete(table).where(table.survey_id == survey_id))
        mark.last_response_id, mark.utc_offset_seconds = 0, offset
    return mark


def refresh_aggregates(survey_id: int | None = None, batch: int | None = None) -> dict[int, int]:
    """Count the responses stored since the last refresh; returns ``{survey_id: responses counted}``.

    Incremental and safe to run concurrently (the watermark row is locked per batch). With a time zone
    that has daylight saving time it does nothing (see the module docstring).
    """
    offset = fixed_offset_seconds()
    if offset is None:
        return {}
    batch = max(1, int(batch or setting("ANALYSIS_REFRESH_BATCH")))
    top = _final_max_response_id()
    ids = [survey_id] if survey_id is not None else list(db.session.scalars(select(Survey.id).order_by(Survey.id)))
    done: dict[int, int] = {}
    for sid in ids:
        done[sid] = 0
        while True:
            with write_transaction():
                mark = _lock_mark(sid, offset)
                lo = mark.last_response_id
                if lo >= top:
                    break
                # Skip id ranges without this survey's responses (other surveys, bulk loads of another one).
                first = db.session.scalar(
                    select(func.min(Response.id)).where(
                        Response.id > lo, Response.id <= top, _no_index(Response.survey_id) == sid
                    )
                )
                if first is None:
                    mark.last_response_id, mark.refreshed_at = top, utcnow()
                    break
                hi = min(top, first - 1 + batch)
                _count_range(sid, lo, hi, offset)
                done[sid] += int(
                    db.session.scalar(
                        select(func.count())
                        .select_from(Response)
                        .where(Response.id > lo, Response.id <= hi, _no_index(Response.survey_id) == sid)
                    )
                    or 0
                )
                mark.last_response_id, mark.refreshed_at = hi, utcnow()
    if any(done.values()):
        log.info("analysis aggregates refreshed: %s", {k: v for k, v in done.items() if v})
    return done
