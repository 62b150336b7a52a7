"""Stored XSS: the payload corpus (tests/data/xss_payloads.txt) through every page that shows typed text.

Each page must show the payload as text (escaped) and never as markup: no raw payload, no inline
script, no event-handler attribute, no javascript: URL (see ``assert_escaped``).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.appeals import services as appeals
from app.extensions import db
from app.reviews.models import ReviewEntry
from app.reviews.services import check_code_for, moderate
from app.surveys.models import SurveyAssignment
from tests.integration.test_security_support import (
    PAYLOADS,
    appeal,
    as_user,
    assert_escaped,
    published_survey,
    quick_user,
    review,
    submit,
)

SHOWN = [p for p in PAYLOADS if "<" in p or '"' in p]  # payloads whose escaping is visible in HTML


@pytest.fixture
def surveys(org):
    """One published survey per payload (title, intro, page, question, option texts), with a response each."""
    made = []
    for index, payload in enumerate(PAYLOADS):
        survey = published_survey(f"xss-{index}", payload)
        response_id = submit(survey.slug, "KUR", f"Ответ {payload}", other=f"Другое {payload}")
        made.append((survey, response_id, payload))
    return made


def test_survey_pages_escape_titles_options_and_answers(client, surveys):
    as_user(client, quick_user("marketing"))
    listing = client.get("/surveys/").get_data(as_text=True)
    assert_escaped(listing, shown=[f"Анкета {p}" for p in SHOWN if len(p) < 60])
    responses = client.get("/surveys/responses").get_data(as_text=True)
    assert_escaped(responses)
    for survey, response_id, payload in surveys:
        for url in (f"/surveys/{survey.id}", f"/surveys/{survey.id}/preview", f"/surveys/responses/{response_id}"):
            page = client.get(url)
            assert page.status_code == 200, url
            html = page.get_data(as_text=True)
            assert_escaped(html, [payload], shown=[payload] if payload in SHOWN else [])
        assert (
            "49"
            not in client.get(f"/surveys/{surveys[0][0].id}/preview").get_data(as_text=True).split("Анкета")[-1][:20]
        )


def test_respondent_page_and_live_preview_escape_definition_texts(client, surveys):
    for survey, _response_id, payload in surveys:
        code = db.session.scalar(
            select(SurveyAssignment.short_code).where(
                SurveyAssignment.survey_id == survey.id, SurveyAssignment.channel == "online"
            )
        )
        page = client.get(f"/s/{code}")
        assert page.status_code == 200
        assert_escaped(page.get_data(as_text=True), [payload], shown=[payload] if payload in SHOWN else [])
    as_user(client, quick_user("marketing"))
    survey, _, payload = surveys[0]
    import json

    from tests.integration.test_security_support import survey_definition

    live = client.post(
        f"/surveys/{survey.id}/preview", data={"definition": json.dumps(survey_definition(survey.slug, PAYLOADS[1]))}
    )
    assert live.status_code < 500
    assert_escaped(live.get_data(as_text=True))


def test_review_book_moderation_and_status_pages_escape_entry_texts(client, org):
    operator = quick_user("operator", "KUR")
    entries = [review("KUR", f"Запись {p}") for p in PAYLOADS]
    for entry in entries[: len(entries) // 2]:
        moderate(entry, "publish", operator)
    first = entries[0]
    appeals.answer(db.session.get(appeals.Appeal, first.appeal_id), f"Ответ {PAYLOADS[1]}", operator)

    book = client.get("/book/KUR").get_data(as_text=True)
    assert_escaped(book, shown=[f"Запись {p}" for p in SHOWN if p in PAYLOADS[: len(PAYLOADS) // 2]])
    code = check_code_for(first.client_submission_id)
    status = client.post("/reviews/status", data={"number": first.registration_number, "code": code})
    assert status.status_code == 200
    assert_escaped(status.get_data(as_text=True), shown=[f"Ответ {PAYLOADS[1]}"])
    for payload in SHOWN[:4]:  # reflected: a look-up echoes the number typed
        reflected = client.get("/reviews/status", query_string={"number": payload, "code": "x"})
        assert_escaped(reflected.get_data(as_text=True), [payload])

    as_user(client, operator)
    for state in ("pending", "published", "all"):
        html = client.get(f"/reviews/moderation?state={state}").get_data(as_text=True)
        assert_escaped(html)
    assert str(len(db.session.scalars(select(ReviewEntry)).all())) == str(len(PAYLOADS))


def test_appeal_queue_and_detail_escape_texts_answers_and_promises(client, org):
    operator = quick_user("operator", "KUR")
    made = [appeal("KUR", f"Обращение {p}") for p in PAYLOADS]
    as_user(client, operator)
    first = made[0]
    response = client.post(f"/appeals/{first.id}/answer", data={"summary": f"Ответ {PAYLOADS[5]}"})
    assert response.status_code == 302
    queue = client.get("/appeals/").get_data(as_text=True)
    assert_escaped(queue)
    for item, payload in zip(made, PAYLOADS, strict=True):
        html = client.get(f"/appeals/{item.id}").get_data(as_text=True)
        assert_escaped(html, [payload], shown=[f"Обращение {payload}"] if payload in SHOWN else [])
    detail = client.get(f"/appeals/{first.id}").get_data(as_text=True)
    assert_escaped(detail, shown=[f"Ответ {PAYLOADS[5]}"])


def test_appeals_import_errors_echoing_values_are_escaped(client, org):
    as_user(client, quick_user("manager"))
    header = "external_id,received_at,kind,form,channel,topic,center,text\n"
    rows = "".join(f'"{p.replace(chr(34), chr(34) * 2)}",не дата,{p},x,y,z,{p},t\n' for p in SHOWN[:6])
    data = {"file": (io.BytesIO((header + rows).encode("utf-8")), "bad.csv")}
    response = client.post("/appeals/import", data=data, content_type="multipart/form-data")
    assert response.status_code in (200, 422)
    html = response.get_data(as_text=True)
    assert "&lt;" in html, "the import page should echo the offending values (escaped)"
    assert_escaped(html)


def test_survey_import_errors_are_escaped(client, org):
    as_user(client, quick_user("marketing"))
    for payload in SHOWN[:6]:
        body = (
            '{"slug": "'
            + payload.replace('"', '\\"')
            + '", "title": {"'
            + payload.replace('"', '\\"')
            + '": "x"}, "pages": []}'
        ).encode()
        response = client.post(
            "/surveys/import", data={"file": (io.BytesIO(body), "x.json")}, content_type="multipart/form-data"
        )
        assert response.status_code == 422
        assert_escaped(response.get_data(as_text=True), [payload])


def test_analysis_page_escapes_titles_and_comment_samples(client, org):
    survey = published_survey("xss-analysis", PAYLOADS[0])
    for index in range(12):
        submit(survey.slug, "KUR", f"{PAYLOADS[index % len(PAYLOADS)]} {index}", overall=1 + index % 5)
    as_user(client, quick_user("manager"))
    page = client.get(f"/analysis/?survey={survey.slug}")
    assert page.status_code == 200
    assert_escaped(page.get_data(as_text=True))


def test_pdf_shows_customer_text_as_literal_text(app, org):
    """The A4 poster (survey title) and the appeals PDF report: the payload is printed, not interpreted."""
    from pypdf import PdfReader

    from app.surveys.distribution import poster_pdf

    payload = PAYLOADS[1]
    survey = published_survey("xss-pdf", payload, centers=("KUR",), channels=("qr",))
    assignment = db.session.scalar(select(SurveyAssignment).where(SurveyAssignment.survey_id == survey.id))
    with app.test_request_context("/"):
        pdf = poster_pdf(assignment)
    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", payload) in flat or "onerror=alert(1)" in flat, text[:500]


# --------------------------------------------------------------------------- property: any text renders escaped

customer_text = st.one_of(
    st.text(min_size=1, max_size=60),
    st.builds(lambda a, p, b: a + p + b, st.text(max_size=5), st.sampled_from(PAYLOADS), st.text(max_size=5)),
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=customer_text)
def test_any_customer_text_renders_without_markup_in_book_and_status(app, text):
    """Between two markers, the rendered customer text never contains a raw '<' (or '>')."""
    from flask import render_template

    from app.reviews.forms import StatusForm
    from app.reviews.models import ENTRY_TYPES, MODERATION

    wrapped = f"START{text}END"
    now = datetime(2026, 1, 1, 12, 0)
    center = SimpleNamespace(name="Курск", address="", code="KUR", timezone="Europe/Moscow")
    entry = SimpleNamespace(
        text=wrapped,
        entry_type="complaint",
        topic=SimpleNamespace(name_ru="Учет"),
        created_at=now,
        registration_number="KUR-2026-000001",
        appeal_id=1,
        center=center,
        publish_consent=True,
    )
    appeal_row = SimpleNamespace(answered_at=now, answer_summary=wrapped)
    pagination = SimpleNamespace(items=[entry], pages=1, page=1, has_prev=False, has_next=False)
    state = SimpleNamespace(
        label="Дан ответ", answer=wrapped, answered_at=now, moderation="published", has_contact=False
    )
    with app.test_request_context("/"):
        pages = [
            render_template(
                "reviews/book.html",
                center=center,
                pagination=pagination,
                appeals={1: appeal_row},
                counts=dict.fromkeys(ENTRY_TYPES, 1),
                types=ENTRY_TYPES,
            ),
            render_template(
                "reviews/status.html",
                form=StatusForm(meta={"csrf": False}),
                entry=entry,
                state=state,
                looked_up=True,
                message="",
                types=ENTRY_TYPES,
                moderation_labels=MODERATION,
            ),
        ]
    for html in pages:
        assert "START" in html
        for chunk in html.split("START")[1:]:
            shown = chunk.split("END", 1)[0]
            assert "<" not in shown and ">" not in shown, shown
