"""Daily/monthly answer counts: the aggregate-backed reads equal the raw reads, and refreshes are incremental."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select

from app.analysis import aggregates, queries
from app.analysis.models import AggregateWatermark, AnswerDailyCount
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind
from app.surveys.models import Answer, Response, Survey, SurveyVersion

CODES = ["overall", "wait", "purpose", "multi", "note"]


def _survey(slug: str) -> SurveyVersion:
    with write_transaction():
        survey = Survey(slug=slug, title=slug, is_main=False)
        version = SurveyVersion(number=1, status="published", definition={"slug": slug, "pages": []})
        survey.versions.append(version)
        db.session.add(survey)
    return version


def _insert(versions: list[SurveyVersion], center_ids: list[int], times: list[datetime], rng: random.Random) -> int:
    """One response per time, random survey and centre; answers with NULL numbers, options, multi rows, text."""
    with write_transaction():
        start = (db.session.scalar(select(func.max(Response.id))) or 0) + 1
        responses, answers = [], []
        for i, when in enumerate(times):
            rid, version, center = start + i, rng.choice(versions), rng.choice(center_ids)
            responses.append(
                {
                    "id": rid,
                    "client_submission_id": f"agg-{rid}",
                    "body_hash": "x",
                    "survey_id": version.survey_id,
                    "version_id": version.id,
                    "center_id": center,
                    "channel": rng.choice(["kiosk", "qr"]),
                    "submitted_at": when,
                }
            )
            base = {"response_id": rid, "survey_id": version.survey_id, "center_id": center, "submitted_at": when}
            rows = [
                ("overall", rng.choice([1.0, 2.0, 3.0, 4.0, 5.0, None]), None, None),
                ("wait", rng.choice([1.0, 5.0, 2.5]), None, None),
                ("purpose", None, rng.choice(["pay", "connect", "other"]), None),
                ("note", None, None, rng.choice(["", "хорошо", None])),
            ]
            rows += [("multi", None, option, None) for option in rng.sample(["a", "b", "c"], rng.randint(0, 3))]
            if rng.random() < 0.2:
                rows.append(("purpose", 3.0, "other", "свое"))  # number and option together
            for code, num, option, text in rows:
                if rng.random() < 0.1:
                    continue  # skipped question
                answers.append({**base, "question_code": code, "value_num": num, "option_code": option, "text": text})
        db.session.execute(insert(Response.__table__), responses)
        if answers:
            db.session.execute(insert(Answer.__table__), answers)
    return len(times)


def _key(row: tuple) -> tuple:
    return tuple((value is None, value if value is not None else 0) for value in row)


def _raw_values(survey_id: int, bounds, center_ids, codes):
    rows = queries._value_counts_raw_rows(survey_id, bounds, center_ids, codes, False)
    return sorted((tuple(row) for row in rows if row[0] >= 0), key=_key)


def _agg_values(survey_id: int, bounds, center_ids, codes):
    frame = queries.value_counts(survey_id, bounds, center_ids, codes)
    out = []
    for p, c, q, v, o, n in frame.itertuples(index=False, name=None):
        out.append(
            (int(p), int(c), q, None if v is None or v != v else float(v), None if o is None or o != o else o, int(n))
        )
    return sorted(out, key=_key)


def _split_raw(survey_id: int, bounds, center_ids, by_channel: bool, by_version: bool):
    rows = queries._value_counts_raw_rows(survey_id, bounds, center_ids, CODES, by_channel, by_version=by_version)
    return sorted((tuple(row) for row in rows if row[0] >= 0), key=_key)


def _split_values(survey_id: int, bounds, center_ids, by_channel: bool, by_version: bool):
    frame = queries.value_counts(survey_id, bounds, center_ids, CODES, by_channel=by_channel, by_version=by_version)
    out = []
    for row in frame.itertuples(index=False, name=None):
        *head, v, o, n = row
        head = [int(h) if isinstance(h, int | float) and not isinstance(h, bool) else h for h in head]
        out.append((*head, None if v is None or v != v else float(v), None if o is None or o != o else o, int(n)))
    return sorted(out, key=_key)


def _compare(version_ids: list[int], centre_ids: list[int]) -> None:
    periods = [
        queries.Period(date(2026, 1, 1), date(2026, 3, 31)),
        queries.Period(date(2026, 4, 1), date(2026, 6, 30)),
        queries.Period(date(2026, 2, 14), date(2026, 5, 3)),
        queries.Period(date(2026, 3, 31), date(2026, 3, 31)),
    ]
    for survey_id in version_ids:
        for scope in (None, centre_ids[:2]):
            for bounds in ([p.bounds() for p in periods[:2]], [periods[2].bounds()], [periods[3].bounds()]):
                assert _agg_values(survey_id, bounds, scope, CODES) == _raw_values(survey_id, bounds, scope, CODES)
                for by_channel, by_version in ((True, False), (False, True), (True, True)):
                    assert _split_values(survey_id, bounds, scope, by_channel, by_version) == _split_raw(
                        survey_id, bounds, scope, by_channel, by_version
                    )
                raw_ch = queries._response_counts_raw(survey_id, bounds, scope, by_channel=True)
                agg_ch = queries.response_counts(survey_id, bounds, scope, by_channel=True)
                as_rows = lambda f: sorted(tuple(r) for r in f.itertuples(index=False))  # noqa: E731
                assert as_rows(agg_ch.astype({"period": int, "center_id": int, "n": int})) == as_rows(
                    raw_ch.astype({"period": int, "center_id": int, "n": int})
                )
                raw = queries._response_counts_raw(survey_id, bounds, scope)
                agg = queries.response_counts(survey_id, bounds, scope)
                as_set = lambda f: sorted((int(p), int(c), int(n)) for p, c, n in f.itertuples(index=False))  # noqa: E731
                assert as_set(agg) == as_set(raw)
            for period in periods:
                raw: dict[str, int] = {}
                for (code, _version), n in queries._respondents_raw(
                    survey_id, period.bounds(), scope, ["multi", "purpose"]
                ).items():
                    raw[code] = raw.get(code, 0) + n
                assert queries.distinct_respondents(survey_id, period.bounds(), scope, ["multi", "purpose"]) == raw
                by_version = queries._aggregated(
                    lambda mark, days, sid=survey_id, b=period.bounds(), s=scope: queries._respondents_from_days(
                        sid, days, b, s, ["multi", "purpose"], mark
                    ),
                    survey_id,
                    [period.bounds()],
                )
                if by_version is not None:  # None before the first refresh
                    assert by_version == queries._respondents_raw(
                        survey_id, period.bounds(), scope, ["multi", "purpose"]
                    )


def test_aggregates_equal_raw_counts_and_refresh_is_incremental(org):
    rng = random.Random(5)
    versions = [_survey("agg-a"), _survey("agg-b")]
    with write_transaction():  # a second version of agg-a: counts are kept per version too
        second = SurveyVersion(
            survey_id=versions[0].survey_id, number=2, status="published", definition={"slug": "agg-a", "pages": []}
        )
        db.session.add(second)
    survey_ids = [v.survey_id for v in versions]
    versions.append(second)
    centre_ids = list(
        db.session.scalars(
            select(Organisation.id).where(Organisation.kind == OrgKind.CENTER).order_by(Organisation.id).limit(4)
        )
    )
    start = datetime(2025, 12, 31, 12)
    times = [start + timedelta(seconds=rng.randrange(0, 200 * 86400)) for _ in range(300)]
    # Moscow midnight of 1 April is 21:00 UTC on 31 March: one just before, one exactly at it.
    times += [datetime(2026, 3, 31, 20, 59, 59, 999999), datetime(2026, 3, 31, 21, 0, 0)]
    _insert(versions, centre_ids, times, rng)

    assert aggregates.fixed_offset_seconds("Europe/Moscow") == 3 * 3600
    assert aggregates.fixed_offset_seconds("Europe/Berlin") is None
    done = aggregates.refresh_aggregates()
    assert sum(done.values()) == len(times)
    assert db.session.scalar(select(func.count()).select_from(AnswerDailyCount)) > 0
    _compare(survey_ids, centre_ids)

    # The boundary pair lands on two different Moscow days.
    days = dict(
        db.session.execute(
            select(AnswerDailyCount.day, func.sum(AnswerDailyCount.count))
            .where(AnswerDailyCount.day.in_([date(2026, 3, 31), date(2026, 4, 1)]))
            .group_by(AnswerDailyCount.day)
        ).all()
    )
    assert set(days) == {date(2026, 3, 31), date(2026, 4, 1)}

    # New responses: reads stay exact before the refresh (the tail above the watermark is read raw) ...
    marks = dict(db.session.execute(select(AggregateWatermark.survey_id, AggregateWatermark.last_response_id)).all())
    more = [start + timedelta(seconds=rng.randrange(0, 200 * 86400)) for _ in range(57)]
    _insert(versions, centre_ids, more, rng)
    _compare(survey_ids, centre_ids)
    # ... and the second refresh adds exactly them.
    total_before = db.session.scalar(select(func.sum(AnswerDailyCount.count)))
    done = aggregates.refresh_aggregates()
    assert sum(done.values()) == len(more)
    assert set(marks.values()) == {len(times)}  # every survey's watermark is the highest id at that refresh
    new_answers = db.session.scalar(
        select(func.count())
        .select_from(Answer)
        .where(Answer.response_id > len(times), (Answer.value_num.is_not(None)) | (Answer.option_code.is_not(None)))
    )
    assert db.session.scalar(select(func.sum(AnswerDailyCount.count))) - total_before == new_answers
    _compare(survey_ids, centre_ids)
    assert aggregates.refresh_aggregates() == dict.fromkeys(survey_ids, 0)

    # Non-whole-day bounds and channel splits fall back to the raw query.
    odd = [(datetime(2026, 1, 5, 10), datetime(2026, 2, 1, 10))]
    assert _agg_values(survey_ids[0], odd, None, CODES) == _raw_values(survey_ids[0], odd, None, CODES)


def test_report_refreshes_and_cli_refresh(org, runner):
    version = _survey("agg-cli")
    centre_ids = list(db.session.scalars(select(Organisation.id).where(Organisation.kind == OrgKind.CENTER).limit(2)))
    _insert([version], centre_ids, [datetime(2026, 2, 1, 10)] * 5, random.Random(1))
    result = runner.invoke(args=["analysis", "refresh"])
    assert result.exit_code == 0, result.output
    assert "5" in result.output
    mark = db.session.get(AggregateWatermark, version.survey_id)
    assert mark.last_response_id == db.session.scalar(select(func.max(Response.id)))
    result = runner.invoke(args=["analysis", "refresh", "--survey", "nope"])
    assert result.exit_code != 0
