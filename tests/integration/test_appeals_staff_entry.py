"""Appeals entered by staff: text, kind and topic chosen explicitly; nothing half-saved."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal, AppealStatusChange
from app.extensions import db
from app.models import AuditEvent, Contact
from app.org.services import find_center
from app.surveys import services as surveys
from app.surveys.demo import seed_main_survey
from app.surveys.models import Response


class _FormDefaults(HTMLParser):
    """What a browser posts for a form nobody touched: each field's initial value (first or selected option)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.first_options: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        name = found.get("name") or ""
        if tag == "input" and name and found.get("type") not in ("checkbox", "submit"):
            self.values[name] = found.get("value") or ""
        elif tag == "select":
            self._select = name
            self.first_options[name] = []
        elif tag == "option" and self._select is not None:
            value = found.get("value") or ""
            self.first_options[self._select].append(value)
            if self._select not in self.values or "selected" in found:
                self.values[self._select] = value
        elif tag == "textarea":
            self._textarea = name
            self.values[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data.lstrip("\n")


def _untouched(html: str) -> _FormDefaults:
    parser = _FormDefaults()
    parser.feed(html.split("<main", 1)[1])
    return parser


def _counts() -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Appeal, AppealStatusChange, Contact, AuditEvent)
    )


def _filled(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "complaint",
        "form": "in_person",
        "channel": "visit",
        "topic": "quality",
        "center": str(find_center("KUR").id),
        "received_at": "2026-12-01T10:00",
        "text": "Нет света с утра",
    }
    return data | overrides


def test_an_untouched_new_appeal_form_is_refused_and_registers_nothing(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    page = client.get("/appeals/new").get_data(as_text=True)
    form = _untouched(page)
    assert form.first_options["kind"][0] == "" and form.first_options["topic"][0] == ""
    assert "— выберите —" in page
    before = _counts()
    reply = client.post("/appeals/new", data=form.values)
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    for message in ("Выберите вид обращения", "Выберите тему обращения", "Опишите, с чем обратился клиент"):
        assert message in html
    assert _counts() == before


def test_each_missing_choice_alone_is_refused(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    before = _counts()
    for field, message in (
        ("kind", "Выберите вид обращения"),
        ("topic", "Выберите тему обращения"),
        ("text", "Опишите, с чем обратился клиент"),
    ):
        reply = client.post("/appeals/new", data=_filled(**{field: ""}))
        assert reply.status_code == 200 and message in reply.get_data(as_text=True), field
    reply = client.post("/appeals/new", data=_filled(text="   \n "))
    assert "Опишите, с чем обратился клиент" in reply.get_data(as_text=True)
    assert _counts() == before
    assert client.post("/appeals/new", data=_filled()).status_code == 302
    appeal = db.session.scalar(select(Appeal))
    assert (appeal.kind, appeal.topic.code, appeal.text) == ("complaint", "quality", "Нет света с утра")


def test_a_refused_appeal_with_a_consented_contact_leaves_nothing_behind(org, make_user, login, client):
    """The contact, the appeal, its history and the audit record are written together or not at all."""
    login(make_user("operator", "KUR"))
    first = _filled(external_id="П-17", contact_name="Иван Петров", contact_phone="+79000000000", consent="y")
    assert client.post("/appeals/new", data=first).status_code == 302
    before = _counts()
    reply = client.post("/appeals/new", data=first | {"contact_name": "Мария Иванова"})
    assert reply.status_code == 200 and "уже зарегистрировано" in reply.get_data(as_text=True)
    assert _counts() == before
    assert db.session.scalar(select(Contact.id).where(Contact.name == "Мария Иванова")) is None


@pytest.fixture
def main_survey(org):
    survey, _version, _ = seed_main_survey()
    return survey


def _low_rating(sid: str, channel: str = "qr", **answers) -> Appeal:
    result = surveys.submit_response(
        slug="visit-csat",
        center="KUR",
        channel=channel,
        client_submission_id=sid,
        answers={
            "overall": 2,
            "nps": 3,
            "why": "Очередь на час, окно не работало",
            "purpose": "other",
            "purpose__other": "Справка о подключении",
            "contact": {"name": "Мария Иванова", "phone": "+79001234567", "consent": True},
        }
        | answers,
    )
    response = db.session.get(Response, result.response_id)
    appeal = db.session.get(Appeal, response.appeal_id)
    assert appeal is not None
    return appeal


def test_a_low_rating_appeal_is_plain_russian_with_channel_and_text_answers(main_survey):
    appeal = _low_rating("loop-text-1")
    text = appeal.text
    assert "Оценка «Насколько вы удовлетворены обслуживанием в целом?»: 2 из 5." in text
    assert "Канал опроса: QR-код." in text
    assert "Что нам улучшить?: Очередь на час, окно не работало" in text
    assert "С какой целью вы обращались?: другое — Справка о подключении" in text
    assert "overall" not in text and "=" not in text
    assert not re.search(r"\b[a-z_]+\b", text), text  # no codes of any kind
    assert appeal.channel == "web"
    phone = _low_rating("loop-text-2", channel="phone", why="")
    assert phone.channel == "phone" and "Канал опроса: Телефон." in phone.text
    assert "Что нам улучшить?" not in phone.text  # an unanswered text question is left out
    kiosk = _low_rating("loop-text-3", channel="kiosk", overall=1)
    assert kiosk.channel == "kiosk" and "2 из 5" not in kiosk.text and ": 1 из 5." in kiosk.text


def test_a_low_rating_appeal_links_to_its_whole_response_for_staff(main_survey, make_user, login, client):
    appeal = _low_rating("loop-link-1")
    response_id = db.session.scalar(select(Response.id).where(Response.appeal_id == appeal.id))
    link = f"/appeals/{appeal.id}/survey-response"
    assert client.get(link).status_code in (302, 401)  # not for the public
    login(make_user("operator", "KUR"))
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert f'href="{link}"' in page and f"Ответ на опрос № {response_id} полностью" in page
    whole = client.get(link)
    html = whole.get_data(as_text=True)
    assert whole.status_code == 200
    assert "Насколько вероятно, что вы порекомендуете наш центр обслуживания знакомым?" in html  # NPS 3
    assert "Справка о подключении" in html and "QR-код" in html
    assert "+79001234567" not in html  # the contact stays on the appeal, not in the answers


def test_the_response_link_is_scoped_and_only_for_survey_appeals(main_survey, make_user, login, client):
    appeal = _low_rating("loop-scope-1")
    login(make_user("operator", "KUR"))
    assert client.post("/appeals/new", data=_filled()).status_code == 302
    typed_in = db.session.scalar(select(Appeal).where(Appeal.text == "Нет света с утра"))
    assert client.get(f"/appeals/{typed_in.id}/survey-response").status_code == 404
    assert "survey-response" not in client.get(f"/appeals/{typed_in.id}").get_data(as_text=True)
    client.post("/logout")
    login(make_user("operator", "LGV"))
    assert client.get(f"/appeals/{appeal.id}/survey-response").status_code == 404


def _registered_with_contact(client, name: str) -> Appeal:
    data = _filled(contact_name=name, contact_phone="+79000000001", consent="y")
    assert client.post("/appeals/new", data=data).status_code == 302
    return db.session.scalar(select(Appeal).order_by(Appeal.id.desc()))


def _answer_state(appeal_id: int) -> tuple:
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal_id)
    return appeal.status, appeal.answer_summary, appeal.answered_at, len(appeal.history), _counts()


def test_an_answer_naming_the_customer_is_held_until_confirmed(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    appeal = _registered_with_contact(client, "Иванова Мария Петровна")
    before = _answer_state(appeal.id)
    summary = "Уважаемая Мария Петровна! Счетчик заменен, с Ивановой согласовано время."
    reply = client.post(f"/appeals/{appeal.id}/answer", data={"summary": summary})
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "В ответе упомянуто имя клиента: «Мария», «Петровна», «Ивановой»" in html
    assert 'name="confirm_name"' in html and "Счетчик заменен, с Ивановой согласовано время." in html
    assert _answer_state(appeal.id) == before  # nothing half-saved: no status, no history, no audit
    client.post(f"/appeals/{appeal.id}/answer", data={"summary": summary, "confirm_name": "1"})
    status, stored, answered_at, _history, _ = _answer_state(appeal.id)
    assert (status, stored) == ("answered", summary) and answered_at is not None


def test_an_answer_with_the_name_in_lower_case_is_flagged_and_one_without_is_not(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    appeal = _registered_with_contact(client, "Петров Иван")
    before = _answer_state(appeal.id)
    reply = client.post(f"/appeals/{appeal.id}/answer", data={"summary": "созвонились с петровым, линия исправна"})
    assert "«петровым»" in reply.get_data(as_text=True)
    assert _answer_state(appeal.id) == before
    client.post(f"/appeals/{appeal.id}/answer", data={"summary": "Линия исправна, напряжение в норме."})
    assert _answer_state(appeal.id)[:2] == ("answered", "Линия исправна, напряжение в норме.")


def test_an_appeal_without_a_contact_name_is_answered_at_once(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    assert client.post("/appeals/new", data=_filled()).status_code == 302
    appeal = db.session.scalar(select(Appeal))
    client.post(f"/appeals/{appeal.id}/answer", data={"summary": "Петров Иван Сергеевич выехал на место."})
    assert _answer_state(appeal.id)[0] == "answered"
