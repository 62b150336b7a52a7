"""Absolute links (QR codes, posters, the kiosk enrolment link and receipt) name the host and port the page was
served on, unless ``PUBLIC_BASE_URL`` says where customers reach the app; code outside a request needs it."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.database import ConfigError
from app.extensions import db
from app.kiosk.services import issue_enrolment, register_kiosk
from app.org.services import find_center
from app.surveys import services
from app.surveys.distribution import qr_svg
from app.surveys.models import SurveyAssignment
from app.surveys.schema import template
from app.urls import public_url

SERVED_ON = "http://otklik.internal:8123"


def login_on(client, user, base_url: str = SERVED_ON) -> None:
    """Sign in on that host: the session cookie belongs to the host it was set by."""
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"}, base_url=base_url)
    assert response.status_code == 302


@pytest.fixture
def assignment(org):
    survey = services.create_survey(template("visit-csat"))
    services.publish(survey)
    services.assign(survey, [find_center("KUR").id], ["qr"])
    return db.session.scalar(select(SurveyAssignment))


def test_survey_links_qr_and_poster_name_the_serving_host(client, make_user, assignment):
    login_on(client, make_user("marketing", scope="MRSK"))
    link = f"{SERVED_ON}/s/{assignment.short_code}"
    page = client.get(f"/surveys/{assignment.survey_id}/assign", base_url=SERVED_ON).get_data(as_text=True)
    assert link in page and "127.0.0.1:5000" not in page
    svg = client.get(f"/surveys/assignments/{assignment.id}/qr.svg", base_url=SERVED_ON).get_data()
    assert svg == qr_svg(link)
    pdf = client.get(f"/surveys/assignments/{assignment.id}/poster.pdf", base_url=SERVED_ON).get_data()
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert link in text


def test_kiosk_enrolment_link_and_receipt_name_the_serving_host(client, make_user, org):
    login_on(client, make_user("admin"))
    html = client.post(
        "/admin/kiosks",
        base_url=SERVED_ON,
        data={"center": find_center("KUR").id, "name": "Киоск 1", "inactivity_seconds": 45},
    ).get_data(as_text=True)
    assert f'id="kiosk-url">{SERVED_ON}/kiosk/enrol/' in html
    kiosk, _token = register_kiosk(find_center("KUR").id, "Киоск 2", 60)
    token = client.post("/kiosk/enrol", json={"code": issue_enrolment(kiosk)}).get_json()["token"]
    screen = client.get("/kiosk/screen/review", headers={"X-Kiosk-Token": token}, base_url=SERVED_ON)
    assert f"{SERVED_ON}/reviews/status" in screen.get_data(as_text=True)


def test_review_book_qr_names_the_serving_host(client, org):
    svg = client.get("/reviews/KUR/qr.svg", base_url=SERVED_ON).get_data(as_text=True)
    other = client.get("/reviews/KUR/qr.svg", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert svg.startswith("<?xml") and svg != other  # the encoded link differs with the host


@pytest.mark.parametrize("app_config", [{"PUBLIC_BASE_URL": "https://otklik.example.ru/"}])
def test_the_setting_wins_over_the_request_host(client, make_user, assignment):
    login_on(client, make_user("marketing", scope="MRSK"))
    page = client.get(f"/surveys/{assignment.survey_id}/assign", base_url=SERVED_ON).get_data(as_text=True)
    assert f"https://otklik.example.ru/s/{assignment.short_code}" in page and SERVED_ON not in page
    assert public_url("reviews.status") == "https://otklik.example.ru/reviews/status"  # outside a request too


def test_outside_a_request_without_the_setting_is_a_clear_error(app):
    with pytest.raises(ConfigError, match="OTKLIK_PUBLIC_BASE_URL"):
        public_url("reviews.status")
