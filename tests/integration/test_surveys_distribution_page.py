"""The distribution page: first publication leads to the assignment form preset to all centres on the
web and QR channels; centres are checkbox groups per branch; the links table filters by branch, centre
and channel and has copy buttons."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Organisation
from app.org.services import centers, find_center
from app.surveys import services
from app.surveys.models import SurveyAssignment
from app.surveys.schema import template


@pytest.fixture
def marketing(make_user, login):
    return login(make_user("marketing", scope="MRSK"))


@pytest.fixture
def draft(org):
    return services.create_survey(template("visit-csat"))


def test_first_publication_opens_the_preset_assignment_form(marketing, draft):
    reply = marketing.post(f"/surveys/{draft.id}/publish")
    assert reply.status_code == 302 and reply.headers["Location"].endswith(f"/surveys/{draft.id}/assign?preset=web")
    page = marketing.get(reply.headers["Location"]).get_data(as_text=True)
    assert re.search(r'<option selected value="all">|<option value="all" selected>', page)
    checked = set(re.findall(r'name="channels" value="(\w+)" checked', page))
    assert checked == {"online", "qr"}
    form = {"target": "all", "channels": ["online", "qr"]}
    assert marketing.post(f"/surveys/{draft.id}/assign", data=form).status_code == 302
    made = db.session.scalar(select(func.count(SurveyAssignment.id)).where(SurveyAssignment.survey_id == draft.id))
    assert made == 2 * len(centers())
    # Later publications go back to the designer: the survey is already offered somewhere.
    services.draft_for_edit(draft)
    assert marketing.post(f"/surveys/{draft.id}/publish").headers["Location"].endswith(f"/surveys/{draft.id}")


def test_centres_are_checkboxes_grouped_by_branch(marketing, draft):
    page = marketing.get(f"/surveys/{draft.id}/assign").get_data(as_text=True)
    assert "Ctrl" not in page and "<select multiple" not in page
    boxes = set(re.findall(r'name="centers" value="(\d+)"', page))
    assert boxes == {str(c.id) for c in centers()}
    kursk = db.session.scalar(select(Organisation).where(Organisation.code == "KURS"))
    assert f"<summary>{kursk.name} ({len(kursk.children)})</summary>" in page
    kur, lgv = find_center("KUR"), find_center("LGV")
    reply = marketing.post(
        f"/surveys/{draft.id}/assign", data={"target": "list", "centers": [kur.id, lgv.id], "channels": ["qr"]}
    )
    assert reply.status_code == 302
    rows = db.session.scalars(select(SurveyAssignment).where(SurveyAssignment.survey_id == draft.id)).all()
    assert {(r.center_id, r.channel) for r in rows} == {(kur.id, "qr"), (lgv.id, "qr")}


def test_links_table_filters_and_copies(marketing, draft):
    services.publish(draft)
    services.assign(draft, [c.id for c in centers()], ["online", "qr", "kiosk"])
    total = 3 * len(centers())
    page = marketing.get(f"/surveys/{draft.id}/assign").get_data(as_text=True)
    assert f"Показано {total} из {total}" in page
    kur = find_center("KUR")
    page = marketing.get(f"/surveys/{draft.id}/assign?center={kur.id}&channel=qr").get_data(as_text=True)
    assert "Показано 1 из" in page
    qr = db.session.scalar(
        select(SurveyAssignment).where(
            SurveyAssignment.survey_id == draft.id,
            SurveyAssignment.center_id == kur.id,
            SurveyAssignment.channel == "qr",
        )
    )
    assert re.search(rf'data-copy="[^"]*/s/{qr.short_code}"', page)
    assert 'src="/static/js/copy.js"' in page
    branch = kur.parent
    page = marketing.get(f"/surveys/{draft.id}/assign?branch={branch.id}").get_data(as_text=True)
    assert f"Показано {3 * len(branch.children)} из {total}" in page
    page = marketing.get(f"/surveys/{draft.id}/assign?channel=sms").get_data(as_text=True)
    assert "Под выбранные условия ничего не подходит." in page
