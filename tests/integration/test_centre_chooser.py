"""The customer's way in from the landing page: choose a centre, then its survey, review book and public book."""

from __future__ import annotations

import re

import pytest

from app.org.services import find_center
from app.surveys import services
from app.surveys.schema import template


@pytest.fixture
def offered(org):
    """The main survey published and offered on the web at KUR only (and on the kiosk, never linked)."""
    survey = services.create_survey(template("visit-csat"))
    services.publish(survey)
    services.assign(survey, [find_center("KUR").id], ["online", "kiosk"])
    return survey


def test_landing_page_lists_every_active_centre_grouped_by_branch(client, org):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/centers"' in page
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', page, re.S)
    codes = {code for _, body in groups for code in re.findall(r'<option value="([A-Z0-9_-]+)">', body)}
    from app.org.services import centers

    assert codes == {c.code for c in centers()}
    assert len(groups) >= 2  # the demo tree has several branches


def test_choosing_a_centre_leads_to_its_page(client, org):
    reply = client.get("/centers?center=kur")
    assert reply.status_code == 302 and reply.headers["Location"].endswith("/centers/KUR")


def test_an_unknown_choice_explains_itself_in_russian(client, org):
    reply = client.get("/centers?center=NOPE")
    assert reply.status_code == 200
    assert "Такого центра нет" in reply.get_data(as_text=True)


def test_centre_page_links_its_web_survey_review_book_public_book_and_status(client, offered):
    page = client.get("/centers/KUR").get_data(as_text=True)
    online = next(a for a in offered_assignments(offered) if a.channel == "online")
    kiosk = next(a for a in offered_assignments(offered) if a.channel == "kiosk")
    assert f'href="/s/{online.short_code}"' in page
    assert kiosk.short_code not in page  # kiosk answers come from the hall's device only
    assert 'href="/reviews/KUR/new"' in page
    assert 'href="/book/KUR"' in page
    assert 'href="/reviews/status"' in page


def test_a_centre_without_a_web_survey_still_offers_the_review_book(client, offered):
    other = find_center("KUR")
    page = client.get("/centers/" + next(c.code for c in _other_centres(other))).get_data(as_text=True)
    assert "/s/" not in page
    assert "/reviews/" in page


def test_switched_off_assignment_is_not_offered(client, offered):
    online = next(a for a in offered_assignments(offered) if a.channel == "online")
    services.unassign(offered, [online.center_id], ["online"])
    assert f"/s/{online.short_code}" not in client.get("/centers/KUR").get_data(as_text=True)


def test_branch_and_unknown_codes_are_not_centre_pages(client, org):
    branch = find_center("KUR").parent
    assert client.get(f"/centers/{branch.code}").status_code == 404
    assert client.get("/centers/NOPE").status_code == 404


def test_centre_names_are_escaped(client, org):
    from app.extensions import db

    centre = find_center("KUR")
    centre.name = '<script>alert("x")</script>'
    db.session.commit()
    for url in ("/", "/centers", "/centers/KUR"):
        page = client.get(url).get_data(as_text=True)
        assert '<script>alert("x")' not in page
        assert "&lt;script&gt;" in page


def offered_assignments(survey):
    from sqlalchemy import select

    from app.extensions import db
    from app.surveys.models import SurveyAssignment

    return list(db.session.scalars(select(SurveyAssignment).where(SurveyAssignment.survey_id == survey.id)))


def _other_centres(centre):
    from app.org.services import centers

    return [c for c in centers() if c.id != centre.id]
