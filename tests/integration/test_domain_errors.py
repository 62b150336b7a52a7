"""Domain errors carry their status: a refusal no view handles becomes the error page with that status and
the Russian message; the appeals registration service owns consent, contact, appeal and audit at once."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from app.appeals import services
from app.appeals.models import Appeal
from app.auth.decorators import public
from app.errors import Conflict, DomainError, Invalid, NotFound
from app.extensions import db
from app.models import AuditEvent, Contact
from app.org.services import find_center


@pytest.mark.parametrize(
    ("error", "status", "title"),
    [
        (Conflict("Запись уже изменена другим сотрудником"), 409, "Конфликт"),
        (Invalid("Срок раньше даты поступления"), 422, "Данные не прошли проверку"),
        (NotFound("Мероприятие не найдено"), 404, "Страница не найдена"),
    ],
)
def test_an_unhandled_domain_error_is_the_error_page_with_its_status(app, error, status, title):
    def refuse():
        raise error

    app.add_url_rule("/test-domain-error", "test_domain_error", public(refuse))
    page = app.test_client().get("/test-domain-error", headers={"Accept": "text/html"})
    assert page.status_code == status
    text = page.get_data(as_text=True)
    assert str(error) in text and title in text


def test_survey_and_token_errors_are_domain_errors_with_their_status():
    from app.api.tokens import TokenRefused
    from app.reviews.services import DuplicateEntry, ReviewError
    from app.surveys.services import InvalidSubmission, SubmissionForbidden, SurveyClosed, SurveyNotFound

    statuses = {
        SurveyNotFound: 404,
        SurveyClosed: 410,
        SubmissionForbidden: 403,
        TokenRefused: 401,
        DuplicateEntry: 409,
        ReviewError: 422,
        services.AppealError: 400,
    }
    for kind, status in statuses.items():
        assert issubclass(kind, DomainError) and issubclass(kind, ValueError) and kind.status == status
    assert InvalidSubmission({"q": "нет"}).status == 422


def _fields(**overrides) -> dict:
    fields = {
        "kind": "complaint",
        "form": "remote",
        "channel": "phone",
        "topic_code": "quality",
        "center_id": find_center("KUR").id,
        "received_at": datetime(2026, 12, 30, 9, 0),
        "text": "Нет света с утра",
    }
    return fields | overrides


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_registration_with_contact_stores_contact_appeal_and_audit_together(org, make_user):
    operator = make_user("operator", scope="KUR")
    contact = services.ContactDetails(name="Иван", phone="+7 900 000-00-00")
    appeal = services.register_with_contact(contact=contact, consent=True, user=operator, **_fields())
    stored = db.session.get(Contact, appeal.contact_id)
    assert stored.phone == "+7 900 000-00-00" and stored.purpose == "appeal"
    assert stored.consent_version == services.CONSENT_VERSION
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "appeal.register"))
    assert event.object_id == str(appeal.id) and event.user_id == operator.id


def test_registration_refuses_contact_without_consent_and_keeps_no_contact_of_a_refused_appeal(org, make_user):
    operator = make_user("operator", scope="KUR")
    contact = services.ContactDetails(email="ivan@example.test")
    with pytest.raises(services.ConsentRequired, match="Без согласия клиента"):
        services.register_with_contact(contact=contact, consent=False, user=operator, **_fields())
    with pytest.raises(services.AppealError, match="Неизвестная тема"):
        services.register_with_contact(contact=contact, consent=True, user=operator, **_fields(topic_code="nope"))
    assert _count(Contact) == 0 and _count(Appeal) == 0
    anonymous = services.register_with_contact(
        contact=services.ContactDetails(), consent=False, user=operator, **_fields()
    )
    assert anonymous.contact_id is None
