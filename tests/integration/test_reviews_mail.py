"""The official answer is e-mailed to a customer who left an address with consent (local SMTP sink)."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.appeals.models import Appeal
from app.appeals.services import answer
from app.extensions import db
from app.reviews.mail import send_pending_answers
from app.reviews.models import ReviewEntry
from app.reviews.services import ContactInput, EntryInput, submit_entry


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, sink
    controller.stop()


@pytest.fixture
def app_config(request):
    port = request.getfixturevalue("smtp_sink")[0].port
    return {
        "MAIL_HOST": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_FROM": "otklik@example.test",
        "PUBLIC_BASE_URL": "https://otklik.example.test",
    }


def _entry(email: str = "", phone: str = "") -> ReviewEntry:
    wants = bool(email or phone)
    contact = ContactInput(name="Анна", email=email, phone=phone, consent=True) if wants else None
    return submit_entry(
        EntryInput(
            center_code="KUR",
            entry_type="question",
            topic_code="metering",
            text=f"Когда заменят счетчик? {email or phone or 'без ответа'}",
            wants_answer=wants,
            contact=contact,
        )
    ).entry


def test_answer_is_mailed_once_to_consenting_email(app, org, make_user, smtp_sink, runner):
    _controller, sink = smtp_sink
    operator = make_user("operator", scope="KUR")
    with_mail, phone_only, anonymous = _entry(email="anna@example.test"), _entry(phone="+79000000000"), _entry()
    assert send_pending_answers() == 0  # nothing answered yet
    for entry in (with_mail, phone_only, anonymous):
        answer(db.session.get(Appeal, entry.appeal_id), f"Счетчик заменим 10 числа ({entry.id})", operator)
    assert send_pending_answers() == 1
    assert len(sink.messages) == 1
    recipients, message = sink.messages[0]
    assert recipients == ["anna@example.test"]
    assert with_mail.registration_number in message["Subject"]
    body = message.get_content()
    assert f"Счетчик заменим 10 числа ({with_mail.id})" in body and "Здравствуйте, Анна!" in body
    assert "https://otklik.example.test/reviews/status" in body
    db.session.expire_all()
    assert db.session.get(ReviewEntry, with_mail.id).answer_sent_at is not None
    assert db.session.get(ReviewEntry, phone_only.id).answer_sent_at is None
    assert send_pending_answers() == 0 and len(sink.messages) == 1
    result = runner.invoke(args=["reviews", "send-answers"])
    assert result.exit_code == 0 and "Отправлено ответов: 0" in result.output


def test_unreachable_smtp_keeps_answer_waiting(app, org, make_user, smtp_sink):
    controller, sink = smtp_sink
    operator = make_user("operator", scope="KUR")
    entry = _entry(email="boris@example.test")
    answer(db.session.get(Appeal, entry.appeal_id), "Ответ", operator)
    with socket.socket() as closed:  # bound, never listening: the port refuses and nobody else can take it
        closed.bind(("127.0.0.1", 0))
        app.config["MAIL_PORT"] = closed.getsockname()[1]
        assert send_pending_answers() == 0
    assert db.session.scalar(select(ReviewEntry.answer_sent_at).where(ReviewEntry.id == entry.id)) is None
    app.config["MAIL_PORT"] = controller.port
    assert send_pending_answers() == 1 and len(sink.messages) == 1


def test_without_a_public_address_the_mail_run_stops_before_sending(app, org, make_user, smtp_sink, runner):
    """Outside a request there is no host to link to: the run refuses instead of mailing a bare path."""
    _controller, sink = smtp_sink
    app.config["PUBLIC_BASE_URL"] = None
    entry = _entry(email="dina@example.test")
    answer(db.session.get(Appeal, entry.appeal_id), "Ответ", make_user("operator", scope="KUR"))
    result = runner.invoke(args=["reviews", "send-answers"])
    assert result.exit_code != 0 and "OTKLIK_PUBLIC_BASE_URL" in result.output
    assert not sink.messages
    assert db.session.scalar(select(ReviewEntry.answer_sent_at).where(ReviewEntry.id == entry.id)) is None


def test_without_mail_host_answers_wait(app, org, make_user, runner):
    app.config["MAIL_HOST"] = None
    operator = make_user("operator", scope="KUR")
    entry = _entry(email="vera@example.test")
    answer(db.session.get(Appeal, entry.appeal_id), "Ответ", operator)
    assert send_pending_answers() == 0
    result = runner.invoke(args=["reviews", "send-answers"])
    assert "ожидают: 1" in result.output


def test_answer_in_the_appeals_registry_sends_the_mail_at_once(app, org, make_user, login, client, smtp_sink):
    _controller, sink = smtp_sink
    entry = _entry(email="gleb@example.test")
    login(make_user("operator", scope="KUR"))
    response = client.post(f"/appeals/{entry.appeal_id}/answer", data={"summary": "Замена назначена на 12 мая"})
    assert response.status_code == 302
    assert len(sink.messages) == 1 and sink.messages[0][0] == ["gleb@example.test"]
    assert "Замена назначена на 12 мая" in sink.messages[0][1].get_content()
    db.session.expire_all()
    assert db.session.get(ReviewEntry, entry.id).answer_sent_at is not None
