"""Absurd input found by a probe of every POST route: each gets a 4xx or a Russian message, never a 500,
and nothing is saved when the reply says it failed."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.appeals import services as appeals
from app.appeals.models import Appeal
from app.extensions import db
from app.models import User
from app.org.services import find_center
from app.surveys.demo import seed_main_survey

DEEP_JSON = "[" * 100_000


@pytest.fixture
def appeal(org):
    return appeals.register_appeal(
        kind="complaint",
        form="remote",
        channel="phone",
        topic_code="quality",
        center_id=find_center("KUR").id,
        received_at=datetime(2026, 3, 2, 9, 0),
    )


def test_deeply_nested_json_is_a_bad_request(client, org):
    seed_main_survey()
    reply = client.post("/api/v1/surveys/visit-csat/responses", data=DEEP_JSON, content_type="application/json")
    assert reply.status_code == 400 and "JSON" in reply.json["message"]


def test_ids_beyond_a_database_integer_are_not_found(client, make_user, login, appeal):
    login(make_user("manager", scope="MRSK"))
    huge = 10**30
    for url in (f"/appeals/{huge}", f"/admin/users/{huge}", f"/surveys/responses/{huge}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/appeals/{huge}/status", data={"to_status": "in_progress"}).status_code == 404


def test_api_centre_number_beyond_any_id(client, org):
    seed_main_survey()
    reply = client.post(
        "/api/v1/surveys/visit-csat/responses",
        json={
            "client_submission_id": "huge-centre-0001",
            "center": 10**19,
            "channel": "online",
            "answers": {"overall": 4},
        },
    )
    assert reply.status_code == 422 and "center" in reply.json["errors"]


def test_kiosk_heartbeat_with_infinite_pending(client, org):
    from app.kiosk.services import register_kiosk

    _kiosk, token = register_kiosk(find_center("KUR").id, "Зал", 60)
    reply = client.post(
        "/kiosk/heartbeat",
        data='{"pending": Infinity}',
        content_type="application/json",
        headers={"X-Kiosk-Token": token},
    )
    assert reply.status_code == 200


def test_refused_password_leaves_the_rest_of_the_user_unchanged(client, make_user, login):
    login(make_user("admin"))
    target = make_user("operator", scope="KUR", name="Старое имя")
    reply = client.post(
        f"/admin/users/{target.id}",
        data={"role": "manager", "scope": "MRSK", "name": "Новое имя", "active": "y", "new_password": "abc"},
    )
    assert reply.status_code == 200 and "Пароль должен быть не короче" in reply.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(User, target.id)
    assert (stored.role, stored.name, stored.session_version) == ("operator", "Старое имя", target.session_version)


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/appeals/{id}/close", {"root_cause": "²"}, "без коренной причины"),
        ("/appeals/{id}/close", {"root_cause": "99999999999999999999"}, "без коренной причины"),
        ("/appeals/{id}/action", {"action_id": "²"}, "целое положительное число"),
        ("/appeals/{id}/action", {"action_id": "99999999999999999999"}, "целое положительное число"),
        ("/appeals/{id}/promise", {"text": "Перезвонить", "due_at": "0001-01-01T00:00"}, "между 1900 и 2100"),
    ],
)
def test_appeal_forms_refuse_impossible_numbers_and_dates(client, make_user, login, appeal, url, data, message):
    if url.endswith("/close"):
        appeals.answer(appeal, "Ответ дан по телефону", None)  # only an answered appeal can be closed
    status = appeal.status
    login(make_user("operator", scope="KUR"))
    reply = client.post(url.format(id=appeal.id), data=data, follow_redirects=True)
    assert reply.status_code == 200 and message in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).status == status


def test_new_appeal_in_year_one_is_refused(client, make_user, login, org):
    login(make_user("operator", scope="KUR"))
    before = db.session.scalar(select(func.count()).select_from(Appeal))
    reply = client.post(
        "/appeals/new",
        data={
            "kind": "complaint",
            "form": "remote",
            "channel": "phone",
            "topic": "quality",
            "center": find_center("KUR").id,
            "received_at": "0001-01-01T00:00",
        },
    )
    assert reply.status_code == 200 and "между 1900 и 2100" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == before


@pytest.mark.parametrize("period", ["0000Q1", "9999Q4", "0000"])
def test_report_period_years_out_of_range(client, make_user, login, org, period):
    login(make_user("manager", scope="MRSK"))
    reply = client.post("/reports/", data={"type": "appeals", "period": period}, follow_redirects=True)
    assert reply.status_code == 200 and "вне 1900–2100" in reply.get_data(as_text=True)


def test_designer_json_errors_are_russian_and_deep_nesting_is_refused(app):
    from app.surveys.forms import parse_json

    assert parse_json(DEEP_JSON) == (None, ["(JSON) слишком глубокая вложенность скобок"])
    doc, errors = parse_json('{"a": }')
    assert doc is None and errors == ["(JSON) ошибка синтаксиса: строка 1, позиция 7"]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "1e400"])
def test_designer_numbers_must_be_finite(app, value):
    from app.surveys.forms import _number

    with pytest.raises(ValueError):
        _number(value)


@pytest.mark.parametrize("priority", ["nan", "inf"])
def test_corrective_action_priority_must_be_finite(client, make_user, login, org, priority):
    from app.analysis.models import CorrectiveAction

    login(make_user("manager", scope="MRSK"))
    reply = client.post(
        "/analysis/actions/new",
        data={
            "center": "KUR",
            "action": "Окно",
            "question": "wait",
            "priority": priority,
            "evidence": DEEP_JSON[:5000],
        },
        follow_redirects=True,
    )
    assert reply.status_code == 200 and "Неверная дата или приоритет" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CorrectiveAction)) == 0
