"""A kiosk survey that starts with a 5-point faces rating is answered with one tap (as HappyOrNot):
posted from a kiosk, only that first answer is required, so a tap alone, or a visit left half way, is a
whole response. Other posters (phone pages, anonymous API posts) keep the survey's own required rules,
and every other check (scale bounds, options) still holds for the kiosk."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.kiosk.services import register_kiosk
from app.org.services import find_center
from app.surveys import services
from app.surveys.models import Answer, HeldSubmission, Response
from app.surveys.schema import validate_definition, validate_submission


def definition(slug: str, first_style: str = "faces", scale: dict[str, int] | None = None) -> dict[str, Any]:
    """A survey whose later questions are required: a tap alone passes only by the kiosk rule."""
    return {
        "slug": slug,
        "title": {"ru": "Оценка визита"},
        "pages": [
            {
                "questions": [
                    {
                        "code": "overall",
                        "type": "rating",
                        "style": first_style,
                        "scale": scale or {"min": 1, "max": 5},
                        "text": {"ru": "Как вас обслужили?"},
                    }
                ]
            },
            {
                "questions": [
                    {"code": "nps", "type": "nps", "required": True, "text": {"ru": "Порекомендуете ли вы нас?"}},
                    {
                        "code": "purpose",
                        "type": "single_choice",
                        "required": True,
                        "text": {"ru": "С какой целью вы обращались?"},
                        "options": [
                            {"code": "connection", "text": {"ru": "Присоединение"}},
                            {"code": "metering", "text": {"ru": "Учет"}},
                        ],
                    },
                ]
            },
        ],
    }


def published(slug: str, **kwargs: Any):
    survey = services.create_survey(definition(slug, **kwargs))
    services.publish(survey)
    services.assign(survey, [find_center("KUR").id], ["kiosk", "online"])
    return survey


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Bursts held apart (integrity hold) as in production: a held kiosk tap must still be releasable."""
    return {"QUARANTINE_ENABLED": True}


@pytest.fixture
def kiosk_token(org) -> str:
    _kiosk, token = register_kiosk(find_center("KUR").id, "Киоск зала", 60)
    return token


def post(client, slug: str, answers: dict[str, Any], token: str | None = None):
    body: dict[str, Any] = {"client_submission_id": str(uuid.uuid4()), "answers": answers}
    headers = {}
    if token is None:
        body.update(center="KUR", channel="online")
    else:
        headers["X-Kiosk-Token"] = token
    return client.post(f"/api/v1/surveys/{slug}/responses", json=body, headers=headers)


def stored_answers(response_id: int) -> dict[str, float | str | None]:
    rows = db.session.scalars(select(Answer).where(Answer.response_id == response_id))
    return {row.question_code: row.value_num if row.option_code is None else row.option_code for row in rows}


def test_a_kiosk_tap_alone_is_a_whole_response(client, kiosk_token):
    published("one-tap")
    reply = post(client, "one-tap", {"overall": 2}, kiosk_token)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    response = db.session.get(Response, reply.json["id"])
    assert response.channel == "kiosk" and response.kiosk_id is not None
    assert stored_answers(response.id) == {"overall": 2.0}


def test_a_kiosk_visit_left_half_way_keeps_what_was_answered(client, kiosk_token):
    published("one-tap")
    reply = post(client, "one-tap", {"overall": 5, "purpose": "metering"}, kiosk_token)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    assert stored_answers(reply.json["id"]) == {"overall": 5.0, "purpose": "metering"}


def test_the_tap_itself_is_required_even_when_the_definition_does_not_mark_it(client, kiosk_token):
    published("one-tap")
    reply = post(client, "one-tap", {"nps": 9, "purpose": "metering"}, kiosk_token)
    assert reply.status_code == 422
    assert set(reply.json["errors"]) == {"overall"}
    assert db.session.scalar(select(Response.id)) is None


def test_the_kiosk_rule_waives_only_required_answers_not_their_checks(client, kiosk_token):
    published("one-tap")
    reply = post(client, "one-tap", {"overall": 6, "nps": 11, "purpose": "elsewhere"}, kiosk_token)
    assert reply.status_code == 422
    assert set(reply.json["errors"]) == {"overall", "nps", "purpose"}


def test_other_posters_keep_the_surveys_required_questions(client, kiosk_token):
    published("one-tap")
    reply = post(client, "one-tap", {"overall": 2})  # an anonymous online post
    assert reply.status_code == 422
    assert set(reply.json["errors"]) == {"nps", "purpose"}
    assert post(client, "one-tap", {"overall": 2, "nps": 7, "purpose": "connection"}).status_code == 201


@pytest.mark.parametrize(
    ("style", "scale"),
    [("stars", {"min": 1, "max": 5}), ("numbers", {"min": 1, "max": 5}), ("faces", {"min": 1, "max": 7})],
)
def test_a_kiosk_survey_without_a_five_point_faces_start_keeps_its_required_questions(
    client, kiosk_token, style, scale
):
    published("plain-start", first_style=style, scale=scale)
    reply = post(client, "plain-start", {"overall": 2}, kiosk_token)
    assert reply.status_code == 422
    assert set(reply.json["errors"]) == {"nps", "purpose"}


def test_one_tap_question_is_the_first_five_point_faces_rating():
    assert validate_definition(definition("a")).one_tap_question.code == "overall"
    assert validate_definition(definition("b", scale={"min": 0, "max": 4})).one_tap_question.code == "overall"
    assert validate_definition(definition("c", first_style="stars")).one_tap_question is None
    assert validate_definition(definition("d", scale={"min": 1, "max": 10})).one_tap_question is None
    moved = definition("e")
    moved["pages"].reverse()  # the faces rating is no longer the first question
    assert validate_definition(moved).one_tap_question is None


def test_the_kiosk_rule_leaves_the_definition_itself_unchanged():
    defn = validate_definition(definition("a"))
    assert validate_submission(defn, {"overall": 3}, kiosk_visit=True) == ({"overall": 3}, {})
    assert [q.required for q in defn.questions()] == [False, True, True]
    _clean, errors = validate_submission(defn, {"overall": 3})
    assert set(errors) == {"nps", "purpose"}


def test_the_kiosk_screens_open_on_the_faces(client, kiosk_token):
    published("one-tap")
    home = client.get("/kiosk/screen/home", headers={"X-Kiosk-Token": kiosk_token}).get_data(as_text=True)
    assert home.count('class="kiosk-face ') == 5
    for label in ("Очень плохо", "Плохо", "Нормально", "Хорошо", "Отлично"):
        assert f'aria-label="{label}"' in home
    assert 'data-survey-url="/kiosk/survey"' in home and "/api/v1/surveys/one-tap/responses" in home
    survey = client.get("/kiosk/screen/survey", headers={"X-Kiosk-Token": kiosk_token}).get_data(as_text=True)
    assert 'id="kiosk-details-offer"' in survey and "Расскажите подробнее" in survey


def test_a_kiosk_survey_without_faces_keeps_its_home_tile(client, kiosk_token):
    published("plain-start", first_style="stars")
    home = client.get("/kiosk/screen/home", headers={"X-Kiosk-Token": kiosk_token}).get_data(as_text=True)
    assert "kiosk-face " not in home and "Оценить обслуживание" in home
    survey = client.get("/kiosk/screen/survey", headers={"X-Kiosk-Token": kiosk_token}).get_data(as_text=True)
    assert "kiosk-details-offer" not in survey


FACE_FILLS = re.compile(r'<svg class="face-svg"[^>]*><circle [^>]*fill="(#[0-9a-f]{6})"')


def test_the_phone_shows_the_same_faces_as_radio_inputs_without_javascript(client, kiosk_token):
    from app.surveys.demo import seed_main_survey
    from app.surveys.models import SurveyAssignment

    seed_main_survey()  # visit-csat: opens with a 5-point faces rating, offered on kiosk and qr at KUR
    code = db.session.scalar(
        select(SurveyAssignment.short_code).where(
            SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR")
        )
    )
    phone = client.get(f"/s/{code}").get_data(as_text=True)
    overall = phone[phone.index('id="q-overall"') : phone.index('id="q-why"')]
    assert overall.count('<input type="radio" name="overall"') == 5
    assert "<script" not in overall
    kiosk = client.get("/kiosk/screen/home", headers={"X-Kiosk-Token": kiosk_token}).get_data(as_text=True)
    colours = FACE_FILLS.findall(overall)
    assert len(set(colours)) == 5 and colours == FACE_FILLS.findall(kiosk)


def test_a_held_kiosk_tap_is_released_as_a_response(client, kiosk_token, make_user, login):
    """A burst of taps is held apart; releasing one checks it again by the same kiosk rule."""
    published("one-tap")
    replies = [post(client, "one-tap", {"overall": 1 + i % 5}, kiosk_token) for i in range(35)]
    assert {r.status_code for r in replies} == {201}
    held = db.session.scalars(select(HeldSubmission).where(HeldSubmission.status == "held")).all()
    assert held and all(h.kiosk_id is not None for h in held)
    stored_before = db.session.scalar(select(func.count(Response.id)))
    login(make_user("marketing", scope="MRSK"))
    reply = client.post("/surveys/held/decide", data={"ids": str(held[0].id), "decision": "release"})
    assert reply.status_code == 302
    db.session.refresh(held[0])
    assert held[0].status == "released" and held[0].response_id is not None
    assert db.session.scalar(select(func.count(Response.id))) == stored_before + 1
    assert stored_answers(held[0].response_id) == {"overall": float(held[0].answers["overall"])}
