"""`flask surveys assign|unassign SLUG --centers CODE[,CODE…]|all --channels CH[,CH…]`."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEvent, Organisation
from app.org.services import centers, find_center
from app.surveys import services
from app.surveys.models import SurveyAssignment
from app.surveys.schema import template


@pytest.fixture
def survey(org):
    created = services.create_survey(template("visit-csat"))
    services.publish(created)
    return created


def active() -> set[tuple[str, str]]:
    return set(
        db.session.execute(
            select(Organisation.code, SurveyAssignment.channel)
            .join(Organisation, Organisation.id == SurveyAssignment.center_id)
            .where(SurveyAssignment.active.is_(True))
        ).all()
    )


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def post(client, center: str, channel: str = "online") -> int:
    return client.post(
        "/api/v1/surveys/visit-csat/responses",
        json={
            "client_submission_id": str(uuid.uuid4()),
            "center": center,
            "channel": channel,
            "answers": {"overall": 4},
        },
    ).status_code


def test_assign_a_list_then_unassign(client, runner, survey):
    assert post(client, "KUR") == 403
    result = runner.invoke(args=["surveys", "assign", "visit-csat", "--centers", "KUR, lgv", "--channels", "online,qr"])
    assert result.exit_code == 0, result.output
    assert active() == {("KUR", "online"), ("KUR", "qr"), ("LGV", "online"), ("LGV", "qr")}
    assert "назначено 4" in result.output
    assert post(client, "KUR") == 201 and post(client, "LGV", "qr") == 201 and post(client, "BEL") == 403
    (event,) = events("survey.assign")
    assert event.details["channels"] == ["online", "qr"] and event.details["centers"] == 2

    result = runner.invoke(args=["surveys", "unassign", "visit-csat", "--centers", "LGV", "--channels", "qr"])
    assert result.exit_code == 0, result.output
    assert active() == {("KUR", "online"), ("KUR", "qr"), ("LGV", "online")}
    assert post(client, "LGV", "qr") == 403 and post(client, "LGV") == 201
    (event,) = events("survey.unassign")
    assert event.details["switched_off"] == 1 and event.summary == "visit-csat"


def test_assign_all_and_unassign_all(runner, survey):
    result = runner.invoke(args=["surveys", "assign", "visit-csat", "--centers", "all", "--channels", "kiosk"])
    assert result.exit_code == 0, result.output
    assert active() == {(c.code, "kiosk") for c in centers()} and len(centers()) > 10
    result = runner.invoke(args=["surveys", "unassign", "visit-csat", "--centers", "all", "--channels", "kiosk"])
    assert result.exit_code == 0, result.output
    assert active() == set()
    # Rows stay (their short links keep answering «not offered»), switched off.
    assert db.session.scalar(select(func.count(SurveyAssignment.id))) == len(centers())


@pytest.mark.parametrize("command", ["assign", "unassign"])
@pytest.mark.parametrize(
    "centers_option, channels_option, message",
    [
        ("KUR,NOPE", "online", "Неизвестные коды ЦОК: NOPE"),
        ("KURS", "online", "Неизвестные коды ЦОК: KURS"),  # a branch, not a centre
        ("KUR", "online,fax", "Неизвестный канал: fax"),
        ("KUR", "phone", "Неизвестный канал: phone"),  # call-centre posts need a token, not an assignment
        (",", "online", "--centers"),
        ("KUR", " ", "--channels"),
    ],
)
def test_bad_codes_and_channels_change_nothing(runner, survey, command, centers_option, channels_option, message):
    services.assign(survey, [find_center("KUR").id], ["online"])
    before, audited = active(), len(db.session.scalars(select(AuditEvent.id)).all())
    result = runner.invoke(
        args=["surveys", command, "visit-csat", "--centers", centers_option, "--channels", channels_option]
    )
    assert result.exit_code != 0 and message in result.output, result.output
    assert active() == before and len(db.session.scalars(select(AuditEvent.id)).all()) == audited


def test_unknown_survey_is_refused(runner, org):
    result = runner.invoke(args=["surveys", "assign", "nope", "--centers", "KUR", "--channels", "online"])
    assert result.exit_code != 0 and "не найдена" in result.output


def test_the_page_and_the_cli_offer_the_same_channels(survey):
    from app.surveys.forms import AssignForm
    from app.surveys.models import ASSIGNABLE_CHANNELS

    assert [value for value, _label in AssignForm.channels.kwargs["choices"]] == list(ASSIGNABLE_CHANNELS)
