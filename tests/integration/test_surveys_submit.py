"""Submission through the respondent pages (no JavaScript) and the services: validation, idempotency, versions."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Contact
from app.surveys import services
from app.surveys.demo import seed_main_survey
from app.surveys.models import Answer, Response, SurveyAssignment, SurveyVersion
from app.surveys.schema import template


@pytest.fixture
def main_survey(org):
    survey, version, _ = seed_main_survey()
    return survey


@pytest.fixture
def link(main_survey):
    assignment = db.session.scalar(
        select(SurveyAssignment).where(SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR"))
    )
    return f"/s/{assignment.short_code}"


def hidden_fields(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    fields.pop("csrf_token", None)
    return fields


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post_page(client, link, html, **answers):
    data = {**hidden_fields(html), **answers}
    response = client.post(link, data=data)
    return response, response.get_data(as_text=True)


def test_multi_page_submission_without_javascript(client, link):
    first = client.get(link)
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert 'autocomplete="off"' in html and "Шаг 1 из 3" in html
    assert "<fieldset" in html and "<legend>" in html
    sid = hidden_fields(html)["client_submission_id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", sid)

    response, html = post_page(client, link, html, overall="2", why="Долго ждал", nps="4")
    assert response.status_code == 200 and "Шаг 2 из 3" in html and 'name="wait"' in html
    response, html = post_page(client, link, html, wait="1", politeness="4", competence="3", comfort="5", clarity="2")
    assert 'name="purpose"' in html and "152-ФЗ" in html
    assert 'name="contact_phone"' not in html  # contact fields only after consent
    response, html = post_page(client, link, html, purpose="other", purpose__other="Справка", _action="consent_yes")
    assert 'name="contact_phone"' in html and re.search(r'value="other"\s+checked', html)
    assert count(Response) == 0
    final = {
        **hidden_fields(html),
        "purpose": "other",
        "purpose__other": "Справка",
        "contact_name": "Иван",
        "contact_phone": "+7 900 123-45-67",
        "contact_email": "",
        "_action": "submit",
    }
    done = client.post(link, data=final)
    assert done.status_code == 200 and "Спасибо" in done.get_data(as_text=True)

    stored = db.session.scalar(select(Response))
    assert stored.client_submission_id == sid and stored.channel == "qr" and stored.center.code == "KUR"
    rows = {
        (a.question_code, a.value_num, a.option_code, a.text)
        for a in db.session.scalars(select(Answer).where(Answer.response_id == stored.id))
    }
    assert ("overall", 2.0, None, None) in rows and ("why", None, None, "Долго ждал") in rows
    assert ("purpose", None, "other", "Справка") in rows and ("wait", 1.0, None, None) in rows
    assert all("900" not in (text or "") and code != "contact" for code, _, _, text in rows)
    contact = db.session.get(Contact, stored.contact_id)
    assert contact.phone == "+7 900 123-45-67" and contact.purpose == "survey_callback"
    assert contact.consent_version == services.CONSENT_VERSION

    again = client.post(link, data=final)  # the customer presses "send" again
    assert again.status_code == 200 and "Спасибо" in again.get_data(as_text=True)
    assert f"{stored.id}" in again.get_data(as_text=True)
    assert count(Response) == 1


def test_server_hides_conditional_question_between_pages(client, link):
    html = client.get(link).get_data(as_text=True)
    response, html = post_page(client, link, html, overall="5", why="этот текст скрыт", nps="10")
    response, html = post_page(client, link, html, wait="5", politeness="5", competence="5", comfort="5", clarity="5")
    response, html = post_page(client, link, html, purpose="metering", _action="submit")
    assert "Спасибо" in html
    codes = set(db.session.scalars(select(Answer.question_code)))
    assert "why" not in codes and {"overall", "nps", "purpose", "clarity"} <= codes
    assert count(Contact) == 0


def test_invalid_page_rerenders_with_russian_messages_and_stores_nothing(client, link):
    html = client.get(link).get_data(as_text=True)
    response, html = post_page(client, link, html, nps="11")
    assert response.status_code == 422
    assert "Ответьте на этот вопрос" in html and "Выберите значение от 0 до 10" in html
    assert 'id="err-overall"' in html and "Шаг 1 из 3" in html
    one_shot = {**hidden_fields(client.get(link).get_data(as_text=True)), "overall": "9", "_action": "submit"}
    assert client.post(link, data=one_shot).status_code == 422
    assert count(Response) == 0 and count(Answer) == 0


def test_back_keeps_answers(client, link):
    html = client.get(link).get_data(as_text=True)
    _, html = post_page(client, link, html, overall="4", nps="8")
    _, html = post_page(client, link, html, wait="3", _action="back")
    assert "Шаг 1 из 3" in html and re.search(r'name="overall" value="4"\s+checked', html)


def test_consent_declined_stores_no_contact(client, link):
    html = client.get(link).get_data(as_text=True)
    _, html = post_page(client, link, html, overall="1", nps="0")
    _, html = post_page(client, link, html)
    _, html = post_page(client, link, html, purpose="metering", _action="consent_yes")
    _, html = post_page(client, link, html, purpose="metering", contact_phone="+79001112233", _action="consent_no")
    assert 'name="contact_phone"' not in html and "анонимно" in html and count(Response) == 0
    _, html = post_page(client, link, html, purpose="metering", _action="submit")
    assert "Спасибо" in html
    assert count(Response) == 1 and count(Contact) == 0


def test_unknown_and_closed_survey_pages(client, main_survey, link):
    missing = client.get("/s/nosuchcode")
    assert missing.status_code == 404 and "Опрос не найден" in missing.get_data(as_text=True)
    services.close(main_survey)
    closed = client.get(link)
    assert closed.status_code == 410 and "завершен" in closed.get_data(as_text=True)


# --------------------------------------------------------------------------- services


def submit(sid: str, **overrides):
    payload = {
        "slug": "visit-csat",
        "center": "KUR",
        "channel": "kiosk",
        "answers": {"overall": 4, "nps": 9},
        "client_submission_id": sid,
    }
    payload.update(overrides)
    return services.submit_response(**payload)


def test_idempotent_retry_and_conflict(main_survey):
    first = submit("retry-0001")
    assert first.created
    again = submit("retry-0001")
    assert again == services.SubmissionResult(first.response_id, False)
    with pytest.raises(services.SubmissionConflict):
        submit("retry-0001", answers={"overall": 1})
    services.close(main_survey)
    assert submit("retry-0001").response_id == first.response_id  # offline kiosks retry after closing
    assert count(Response) == 1


def test_invalid_submission_stores_nothing(main_survey):
    with pytest.raises(services.InvalidSubmission) as info:
        submit("invalid-01", answers={"overall": 7, "purpose": "zzz"})
    assert set(info.value.errors) == {"overall", "purpose"}
    with pytest.raises(services.InvalidSubmission):
        submit("invalid-02", center="NOPE")
    with pytest.raises(services.InvalidSubmission):
        submit("invalid-03", channel="pigeon")
    with pytest.raises(services.InvalidSubmission):
        submit("bad id with spaces")
    with pytest.raises(services.SurveyNotFound):
        submit("invalid-04", slug="nope")
    assert count(Response) == 0 and count(Answer) == 0


def test_concurrent_posts_with_the_same_id_store_one_row(app, main_survey):
    barrier = threading.Barrier(4)
    results, failures = [], []

    def worker():
        with app.app_context():
            barrier.wait()
            try:
                results.append(submit("race-000001"))
            except Exception as exc:  # collected and asserted below
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len({r.response_id for r in results}) == 1 and sum(r.created for r in results) == 1
    assert count(Response) == 1


def test_v1_responses_survive_publication_of_v2(main_survey):
    v1 = services.published_version("visit-csat")
    old = submit("version-1-resp", answers={"overall": 3, "nps": 7, "purpose": "metering"})
    definition = template("visit-csat")
    definition["pages"][0]["questions"][0]["scale"] = {"min": 1, "max": 10}
    definition["pages"][0]["questions"][2]["type"] = "ces"
    draft = services.save_draft(main_survey, definition)
    assert draft.status == "draft" and draft.number == 2
    assert any("overall" in w for w in draft.warnings) and any("nps" in w for w in draft.warnings)
    assert services.published_version("visit-csat").id == v1.id  # still answering v1 until publication
    v2 = services.publish(main_survey)
    assert db.session.get(SurveyVersion, v1.id).status == "closed"
    new = submit("version-2-resp", answers={"overall": 9, "nps": 7})
    old_row = db.session.get(Response, old.response_id)
    assert old_row.version_id == v1.id and db.session.get(Response, new.response_id).version_id == v2.id
    assert {a.question_code for a in old_row.answers} == {"overall", "nps", "purpose"}
    assert db.session.get(SurveyVersion, v1.id).definition["pages"][0]["questions"][0]["scale"] == {"min": 1, "max": 5}
    assert services.definition_of(v1).question("overall").scale.max == 5


def test_version_rules(main_survey):
    with pytest.raises(services.InvalidDefinition):
        services.create_survey(template("visit-csat"))  # slug taken
    with pytest.raises(services.SurveyError):
        services.publish(main_survey)  # nothing to publish
    broken = template("visit-csat")
    broken["pages"][0]["questions"][0]["type"] = "nope"
    with pytest.raises(services.InvalidDefinition) as info:
        services.save_draft(main_survey, broken)
    assert info.value.errors
    copy = services.duplicate(main_survey, "visit-csat-copy")
    assert copy.versions[0].status == "draft" and copy.versions[0].definition["slug"] == "visit-csat-copy"
    center_id = db.session.scalar(select(SurveyAssignment.center_id).limit(1))
    assert services.survey_for_center(center_id, "kiosk").id == main_survey.id
    assert services.survey_for_center(center_id, "fax") is None
    codes = list(db.session.scalars(select(SurveyAssignment.short_code)))
    assert len(codes) == len(set(codes)) and all(len(c) == 8 for c in codes)


def test_contact_only_with_consent(main_survey):
    submit("contact-no-1", answers={"overall": 5, "contact": {"phone": "+79001234567", "consent": False}})
    assert count(Contact) == 0
    result = submit(
        "contact-yes-1",
        answers={"overall": 5, "contact": {"name": "Анна", "email": "anna@example.ru", "consent": True}},
    )
    stored = db.session.get(Response, result.response_id)
    assert db.session.get(Contact, stored.contact_id).email == "anna@example.ru"
    texts = [a.text or "" for a in stored.answers]
    assert not any("anna" in t for t in texts) and "contact" not in {a.question_code for a in stored.answers}
    assert stored.appeal_id is None  # overall 5 does not close the loop


def test_close_the_loop_opens_an_appeal(main_survey):
    appeals = pytest.importorskip("app.appeals.services")
    if not hasattr(appeals, "create_appeal_in_session"):
        pytest.skip("appeals.services has no create_appeal_in_session yet")
    from app.appeals.models import Appeal

    submit("loop-no-consent", answers={"overall": 1, "why": "плохо"})
    assert count(Appeal) == 0
    result = submit(
        "loop-consent-1",
        answers={
            "overall": 2,
            "why": "Очень долго",
            "purpose": "metering",
            "contact": {"phone": "+79001234567", "consent": True},
        },
    )
    stored = db.session.get(Response, result.response_id)
    appeal = db.session.get(Appeal, stored.appeal_id)
    assert appeal is not None and appeal.kind == "application" and appeal.center_id == stored.center_id
    assert appeal.contact_id == stored.contact_id and appeal.topic.code == "metering"
    assert "Очень долго" in appeal.text
