"""The specialist's answer to a question is e-mailed to a customer who left an address with consent
(a real local SMTP server); without an address or without mail settings it waits on the status page."""

from __future__ import annotations

import socket
import uuid
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.appeals.models import Appeal
from app.appeals.services import answer
from app.ask.services import QuestionInput, submit_question
from app.extensions import db
from app.reviews.mail import send_pending_answers
from app.reviews.models import ReviewEntry


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
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


def _question(email: str = "") -> ReviewEntry:
    receipt = submit_question(
        QuestionInput(
            center_code="KUR",
            topic_code="metering",
            text="Почему начислили пени, если я оплатил вовремя? " + uuid.uuid4().hex[:6],
            name="Ирина" if email else "",
            email=email,
            consent=bool(email),
        )
    )
    return receipt.entry


def test_the_answer_to_a_question_is_mailed_once(org, smtp_sink):
    _controller, sink = smtp_sink
    entry = _question("irina@example.test")
    assert send_pending_answers() == 0  # not answered yet
    answer(db.session.get(Appeal, entry.appeal_id), "Пени сняты, перерасчет будет в следующем счете.", None)
    assert send_pending_answers() == 1
    recipients, message = sink.messages[0]
    assert recipients == ["irina@example.test"]
    assert message["Subject"] == f"Ответ на ваш вопрос {entry.registration_number}"
    body = message.get_content()
    assert "Здравствуйте, Ирина!" in body and "Пени сняты" in body and "книге отзывов" not in body
    assert send_pending_answers() == 0 and len(sink.messages) == 1
    db.session.expire_all()
    assert db.session.get(ReviewEntry, entry.id).answer_sent_at is not None


def test_a_question_without_an_address_is_not_mailed(org, smtp_sink):
    _controller, sink = smtp_sink
    entry = _question()
    answer(db.session.get(Appeal, entry.appeal_id), "Ответ на странице статуса.", None)
    assert send_pending_answers() == 0 and sink.messages == []
    assert db.session.scalar(select(ReviewEntry.answer_sent_at)) is None
