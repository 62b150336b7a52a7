"""The public hot path: cached look-ups stay correct, cached pages equal a full render, few statements."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

import pytest
from flask import render_template
from sqlalchemy import select

from app import create_app
from app.database import write_connection
from app.extensions import db
from app.models import Organisation
from app.surveys import respond, services
from app.surveys.demo import seed_main_survey
from app.surveys.models import SurveyAssignment
from app.surveys.schema import template
from tests.conftest import BASE_CONFIG
from tests.sqltrace import Statements

HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


@pytest.fixture
def code(org) -> str:
    seed_main_survey()
    return db.session.scalar(
        select(SurveyAssignment.short_code).where(
            SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR")
        )
    )


def test_cached_survey_page_equals_a_full_render_and_differs_per_visit(app, client, code):
    pages = [client.get(f"/s/{code}").get_data(as_text=True) for _ in range(3)]
    fields = [dict(HIDDEN.findall(page)) for page in pages]
    assert len({f["client_submission_id"] for f in fields}) == 3  # a new submission id on every visit
    assert all(f["csrf_token"] and f["_state"] for f in fields)
    assert "otklikhole" not in "".join(pages)
    with app.test_request_context(f"/s/{code}"):
        assignment = services.assignment_info(code)
        published = services.published_info(assignment.slug)
        _, (step, total, is_last) = respond._fresh_parts(published, 0, "ru")
        full = render_template(
            "surveys/respond.html",
            defn=published.definition,
            assignment=assignment,
            page_index=0,
            answers={},
            errors={},
            lang="ru",
            sid=fields[2]["client_submission_id"],
            state=fields[2]["_state"],
            known={},
            step=step,
            total=total,
            is_last=is_last,
            questions_html=None,
            csrf_token=lambda: fields[2]["csrf_token"],
        )
    assert pages[2] == full


def test_each_cached_form_submits_its_own_response(client, code):
    from sqlalchemy import func, select

    from app.extensions import db
    from app.surveys.models import Response

    for _ in range(2):
        fields = dict(HIDDEN.findall(client.get(f"/s/{code}").get_data(as_text=True)))
        reply = client.post(f"/s/{code}", data={**fields, "_action": "submit", "overall": "5", "nps": "9"})
        html = reply.get_data(as_text=True)
        assert reply.status_code == 200 and "Что будет дальше" in html and "otklikhole" not in html
        assert "Номер анкеты" not in html  # a running number tells the customer nothing
    assert db.session.scalar(select(func.count(Response.id))) == 2


def test_signed_in_staff_see_their_header_on_the_survey_page(client, code, make_user, login):
    login(make_user("marketing"))
    page = client.get(f"/s/{code}").get_data(as_text=True)
    assert "staff-nav" in page and "Выйти" in page
    anonymous = client.application.test_client().get(f"/s/{code}").get_data(as_text=True)
    assert "staff-nav" not in anonymous


def test_changes_in_this_process_are_visible_at_once(client, code):
    survey = services.get_survey("visit-csat")
    assert client.get(f"/s/{code}").status_code == 200
    kursk = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    from app.database import write_transaction

    with write_transaction():
        kursk.name = "ЦОК Курск (переименован)"
    assert "ЦОК Курск (переименован)" in client.get(f"/s/{code}").get_data(as_text=True)
    definition = template("visit-csat")
    definition["title"]["ru"] = "Новая редакция анкеты"
    services.save_draft(survey, definition)
    assert "Новая редакция анкеты" not in client.get(f"/s/{code}").get_data(as_text=True)  # a draft is not live
    services.publish(survey)
    assert "Новая редакция анкеты" in client.get(f"/s/{code}").get_data(as_text=True)
    services.close(survey)
    assert client.get(f"/s/{code}").status_code == 410
    with pytest.raises(services.SurveyClosed):
        services.submit_response(
            slug="visit-csat",
            center="KUR",
            channel="qr",
            answers={"overall": 5},
            client_submission_id=str(uuid.uuid4()),
        )


class FakeMonotonic:
    """Stands in for ``time`` in app.cache: the cache period passes when the test says so, not while
    a loaded machine starts another app (a real 0.5 s period made the "still cached" check flaky)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_another_process_change_is_seen_within_the_cache_period(app, client, code, database_url, monkeypatch):
    clock = FakeMonotonic()
    monkeypatch.setattr("app.cache.time", clock)
    app.config["SURVEY_CACHE_SECONDS"] = 3
    app.extensions.pop("otklik.surveys.hot_cache", None)
    assert client.get(f"/s/{code}").status_code == 200
    other = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})  # another worker
    with other.app_context():
        from app.database import write_transaction

        with write_transaction():
            db.session.scalar(select(SurveyAssignment).where(SurveyAssignment.short_code == code)).active = False
        db.session.remove()
        db.engine.dispose()
    assert client.get(f"/s/{code}").status_code == 200  # still cached here
    db.session.remove()  # the test's app context outlives requests: end its read snapshot as a request would
    clock.now += 3.1
    assert client.get(f"/s/{code}").status_code == 410


def test_warm_hot_path_runs_no_reads(client, code):
    body = {
        "client_submission_id": str(uuid.uuid4()),
        "center": "KUR",
        "channel": "online",
        "answers": {"overall": 5, "nps": 9, "wait": 4},
    }
    assert client.post("/api/v1/surveys/visit-csat/responses", json=body).status_code == 201
    assert client.get(f"/s/{code}").status_code == 200
    with Statements() as page:
        assert client.get(f"/s/{code}").status_code == 200
    assert page.verbs == []
    with Statements() as post:
        body = {**body, "client_submission_id": str(uuid.uuid4())}
        assert client.post("/api/v1/surveys/visit-csat/responses", json=body).status_code == 201
    assert post.verbs and set(post.verbs) == {"INSERT"}  # the response and its answers, nothing read
    with Statements() as retry:
        reply = client.post("/api/v1/surveys/visit-csat/responses", json=body)
    assert reply.status_code == 200 and reply.get_json()["status"] == "already_stored"
    assert "SELECT" in retry.verbs  # a retry is answered from the stored row


def test_retry_is_answered_as_before_even_when_now_invalid(code):
    sid = str(uuid.uuid4())
    first = services.submit_response(
        slug="visit-csat", center="KUR", channel="qr", answers={"overall": 5}, client_submission_id=sid
    )
    survey = services.get_survey("visit-csat")
    definition = template("visit-csat")
    definition["pages"][0]["questions"][0]["scale"] = {"min": 1, "max": 3}  # 5 is out of range now
    services.save_draft(survey, definition)
    services.publish(survey)
    again = services.submit_response(
        slug="visit-csat", center="KUR", channel="qr", answers={"overall": 5}, client_submission_id=sid
    )
    assert again == services.SubmissionResult(first.response_id, False)
    with pytest.raises(services.InvalidSubmission):
        services.submit_response(
            slug="visit-csat",
            center="KUR",
            channel="qr",
            answers={"overall": 5},
            client_submission_id=str(uuid.uuid4()),
        )


@pytest.mark.sqlite_only(reason="the driver path exists for SQLite only")
def test_sqlite_driver_insert_writes_what_the_core_insert_writes(app, code):
    """On SQLite the hot path inserts through the driver; its rows must be the Core insert's, byte for byte."""
    info = services.require_published_info("visit-csat")
    kur = db.session.scalar(select(Organisation.id).where(Organisation.code == "KUR"))
    now = datetime(2026, 3, 1, 9, 30, 0)  # no microseconds: isoformat() would drop them, the column type must not
    rows = [
        {"question_code": "overall", "value_num": 5.0, "option_code": None, "text": None},
        {"question_code": "reason", "value_num": None, "option_code": "other", "text": "Очередь"},
    ]

    def fields(sid: str) -> dict:
        return {
            "client_submission_id": sid,
            "body_hash": "h" * 64,
            "survey_id": info.survey_id,
            "version_id": info.version_id,
            "center_id": kur,
            "channel": "qr",
            "kiosk_id": None,
            "duration_seconds": 42,
        }

    with write_connection() as connection:
        driver_id = services._insert_response(connection, rows, fields("driver-0001"), now, None)
        core = connection.execute(
            services._RESPONSE_INSERT.statement,
            {**fields("core-000001"), "submitted_at": now, "contact_id": None, "appeal_id": None},
        )
        core_id = core.inserted_primary_key[0]
        connection.execute(
            services._ANSWER_INSERT.statement,
            [
                {**row, "response_id": core_id, "survey_id": info.survey_id, "center_id": kur, "submitted_at": now}
                for row in rows
            ],
        )
    with db.engine.connect() as connection:
        stored = {
            rid: connection.exec_driver_sql(
                "SELECT body_hash, survey_id, version_id, center_id, channel, kiosk_id, submitted_at, "
                "duration_seconds, contact_id, appeal_id FROM response WHERE id = ?",
                (rid,),
            ).one()
            for rid in (driver_id, core_id)
        }
        answers = {
            rid: connection.exec_driver_sql(
                "SELECT survey_id, center_id, submitted_at, question_code, value_num, option_code, text FROM answer "
                "WHERE response_id = ? ORDER BY id",
                (rid,),
            ).all()
            for rid in (driver_id, core_id)
        }
    assert stored[driver_id] == stored[core_id]
    assert answers[driver_id] == answers[core_id] and len(answers[core_id]) == 2
    assert stored[core_id][6] == "2026-03-01 09:30:00.000000"


def test_a_duplicate_id_through_the_driver_path_is_answered_as_a_retry(code):
    sid = str(uuid.uuid4())
    first = services.submit_response(
        slug="visit-csat", center="KUR", channel="qr", answers={"overall": 4}, client_submission_id=sid
    )
    again = services.submit_response(
        slug="visit-csat", center="KUR", channel="qr", answers={"overall": 4}, client_submission_id=sid
    )
    assert first.created and not again.created and again.response_id == first.response_id
    with pytest.raises(services.SubmissionConflict):
        services.submit_response(
            slug="visit-csat", center="KUR", channel="qr", answers={"overall": 2}, client_submission_id=sid
        )
