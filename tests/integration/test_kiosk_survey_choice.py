"""Which survey a hall kiosk shows: the one its admin pinned while it is still offered there, else the
survey most recently assigned to its centre's kiosk channel (the main survey has no priority)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import register_kiosk
from app.org.services import find_center
from app.surveys import services
from app.surveys.schema import template


@pytest.fixture
def two_surveys(org):
    """The main survey assigned to KUR's kiosks first, then a second survey assigned there later."""
    main = services.create_survey(template("visit-csat"))
    services.publish(main)
    main.is_main = True
    db.session.commit()
    services.assign(main, [find_center("KUR").id], ["kiosk", "online"])
    other_definition = template("visit-csat")
    other_definition.update(slug="hall-visit", title={"ru": "Анкета зала обслуживания"})
    other = services.create_survey(other_definition)
    services.publish(other)
    services.assign(other, [find_center("KUR").id], ["kiosk"])
    return main, other


def screen(client, token: str) -> str:
    reply = client.get("/kiosk/screen/survey", headers={"X-Kiosk-Token": token})
    assert reply.status_code == 200
    return reply.get_data(as_text=True)


def test_the_most_recently_assigned_kiosk_survey_is_shown_not_the_main_one(client, two_surveys):
    _, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    assert "/api/v1/surveys/hall-visit/responses" in screen(client, token)


def test_the_admin_pins_a_survey_and_the_kiosk_falls_back_when_it_is_withdrawn(client, two_surveys, make_user, login):
    main, _other = two_surveys
    kiosk, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    login(make_user("admin"))
    page = client.get("/admin/kiosks").get_data(as_text=True)
    assert f'<option value="{main.id}">' in page and "Анкета зала обслуживания" in page
    reply = client.post(
        f"/admin/kiosks/{kiosk.id}/settings", data={"name": "Киоск", "inactivity_seconds": 60, "survey_id": main.id}
    )
    assert reply.status_code == 302
    assert f"/api/v1/surveys/{main.slug}/responses" in screen(client, token)
    assert f'<option value="{main.id}" selected>' in client.get("/admin/kiosks").get_data(as_text=True)
    services.unassign(main, [find_center("KUR").id], ["kiosk"])
    assert "/api/v1/surveys/hall-visit/responses" in screen(client, token)


def test_a_survey_not_offered_on_the_centres_kiosks_cannot_be_pinned(client, two_surveys, make_user, login):
    main, _other = two_surveys
    kiosk, _token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    services.unassign(main, [find_center("KUR").id], ["kiosk"])
    login(make_user("admin"))
    reply = client.post(
        f"/admin/kiosks/{kiosk.id}/settings",
        data={"name": "Другое имя", "inactivity_seconds": 30, "survey_id": main.id},
        follow_redirects=True,
    )
    assert "не назначена на киоски этого ЦОК" in reply.get_data(as_text=True)
    stored = db.session.scalar(select(Kiosk).where(Kiosk.id == kiosk.id))
    db.session.refresh(stored)
    assert (stored.name, stored.inactivity_seconds, stored.survey_id) == ("Киоск", 60, None)


def test_settings_without_a_survey_field_keep_the_pin(client, two_surveys, make_user, login):
    main, _other = two_surveys
    kiosk, token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    login(make_user("admin"))
    client.post(
        f"/admin/kiosks/{kiosk.id}/settings", data={"name": "Киоск", "inactivity_seconds": 60, "survey_id": main.id}
    )
    client.post(f"/admin/kiosks/{kiosk.id}/settings", data={"name": "Киоск", "inactivity_seconds": 90})
    assert f"/api/v1/surveys/{main.slug}/responses" in screen(client, token)
    client.post(f"/admin/kiosks/{kiosk.id}/settings", data={"name": "Киоск", "inactivity_seconds": 90, "survey_id": 0})
    assert "/api/v1/surveys/hall-visit/responses" in screen(client, token)
