"""«Другое» chosen on a respondent page needs its text; the API and the CSV import keep accepting it empty."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.surveys.demo import seed_main_survey
from app.surveys.models import Answer, Response, SurveyAssignment

MESSAGE = "Вы выбрали «Другое»: напишите, что именно"


@pytest.fixture
def link(org):
    seed_main_survey()
    assignment = db.session.scalar(
        select(SurveyAssignment).where(SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR"))
    )
    return f"/s/{assignment.short_code}"


def hidden_fields(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields.pop("csrf_token", None)
    return fields


def post_page(client, link, html, **answers):
    response = client.post(link, data={**hidden_fields(html), **answers})
    return response, response.get_data(as_text=True)


def stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Response))


def to_last_page(client, link) -> str:
    html = client.get(link).get_data(as_text=True)
    _, html = post_page(client, link, html, overall="5", nps="10")
    _, html = post_page(client, link, html, wait="5", politeness="5", competence="5", comfort="5", clarity="5")
    assert 'name="purpose"' in html
    return html


def test_other_without_text_is_refused_next_to_the_question(client, link):
    html = to_last_page(client, link)
    response, html = post_page(client, link, html, purpose="other", purpose__other="   ", _action="submit")
    assert response.status_code == 422
    error = re.search(r'<p class="error" id="err-purpose__other">([^<]*)</p>', html)
    assert error and error[1] == MESSAGE
    assert 'aria-describedby="err-purpose__other"' in html
    assert stored() == 0

    response, html = post_page(client, link, html, purpose="other", purpose__other="Справка", _action="submit")
    assert response.status_code == 200 and "Спасибо" in html
    texts = set(db.session.scalars(select(Answer.text).where(Answer.question_code == "purpose")))
    assert texts == {"Справка"}


def test_other_chosen_answer_without_other_is_not_asked(client, link):
    html = to_last_page(client, link)
    response, html = post_page(client, link, html, purpose="metering", _action="submit")
    assert response.status_code == 200 and MESSAGE not in html and stored() == 1


def test_one_shot_post_returns_to_the_page_of_the_question(client, link):
    html = client.get(link).get_data(as_text=True)
    one_shot = {**hidden_fields(html), "overall": "5", "nps": "9", "purpose": "other", "_action": "submit"}
    response = client.post(link, data=one_shot)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and MESSAGE in html and 'name="purpose__other"' in html
    assert stored() == 0


def test_api_keeps_accepting_other_without_text(client, link):
    body = {
        "client_submission_id": "0b6f7c1e-1111-4c1e-9a11-00000000aaaa",
        "center": "KUR",
        "channel": "online",
        "answers": {"overall": 5, "nps": 9, "purpose": "other"},
    }
    response = client.post("/api/v1/surveys/visit-csat/responses", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert set(db.session.scalars(select(Answer.option_code).where(Answer.question_code == "purpose"))) == {"other"}


def test_import_keeps_accepting_other_without_text(runner, link, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "submitted_at,center,channel,overall,nps,purpose\n2025-03-01T10:00:00,KUR,kiosk,5,9,other\n", encoding="utf-8"
    )
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code == 0, result.output
    assert stored() == 1
