"""Questions to a specialist: validation in the customer's words, then the review book's submission path.

A question is stored as a review-book entry of type «Вопрос» with ``origin = "ask"``: it takes the book's
registration number and check code (the status page finds it), its burst check (an anonymous question in a
burst waits «на проверке»), its duplicate check and its answer mail. Its appeal is an application of
subtype «вопрос» received through the site (channel ``web``), with the appeals' deadlines and workflow;
the entry, the contact and the appeal are written in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import select

from app.ask.consent import CONSENT_PURPOSE, CONSENT_VERSION
from app.extensions import db
from app.kb.models import KbArticle
from app.kb.search import search_articles
from app.reviews.services import (
    ASK_ORIGIN,
    ContactInput,
    EntryInput,
    Receipt,
    ReviewError,
    find_center,
    submit_entry,
    validate,
)

SUGGESTIONS = 3
SUGGEST_MIN_CHARS = 4
QUERY_MAX = 500
# The review book's messages speak of «запись»; a question form says what the customer wrote.
_MESSAGES = {
    "text": {"Напишите текст записи": "Напишите ваш вопрос"},
    "topic": {"Выберите тему": "Выберите тему вопроса"},
}


class AskError(ReviewError):
    """A refused question, with a Russian message per field."""


@dataclass(frozen=True)
class QuestionInput:
    center_code: str
    topic_code: str
    text: str
    name: str = ""
    email: str = ""
    phone: str = ""
    consent: bool = False
    client_submission_id: str = ""
    client_address: str | None = None

    @property
    def wants_contact(self) -> bool:
        """Anything typed into the contact fields (or the consent ticked) asks for an answer by mail or phone."""
        return bool(self.name.strip() or self.email.strip() or self.phone.strip() or self.consent)


def _entry_input(data: QuestionInput) -> EntryInput:
    contact = None
    if data.wants_contact:
        contact = ContactInput(
            name=data.name,
            email=data.email,
            phone=data.phone,
            consent=data.consent,
            purpose=CONSENT_PURPOSE,
            consent_version=CONSENT_VERSION,
        )
    return EntryInput(
        center_code=data.center_code,
        entry_type="question",
        topic_code=data.topic_code,
        text=data.text,
        wants_answer=data.wants_contact,
        publish_consent=False,  # a question is never published in the review book
        contact=contact,
        client_submission_id=data.client_submission_id,
        client_address=data.client_address,
        origin=ASK_ORIGIN,
    )


def check_question(data: QuestionInput) -> dict[str, str]:
    """Errors by field in the customer's words; empty when the question may be sent."""
    errors: dict[str, str] = {}
    center = find_center(data.center_code) if data.center_code else None
    if center is None or not center.active:
        errors["center"] = "Выберите центр обслуживания"
    found, _text = validate(_entry_input(data))
    for field, message in found.items():
        errors[field] = _MESSAGES.get(field, {}).get(message, message)
    if errors.pop("client_submission_id", None):  # a tampered hidden field: the form has no place for it
        errors["form"] = "Обновите страницу и отправьте вопрос еще раз."
    return errors


def submit_question(data: QuestionInput) -> Receipt:
    """Register the question (entry, contact with consent, appeal) in one transaction, or refuse it whole."""
    errors = check_question(data)
    if errors:
        raise AskError("Проверьте заполнение формы", errors)
    try:
        return submit_entry(_entry_input(data))
    except ReviewError as exc:
        if exc.status == 422:  # a rule of the book the checks above did not catch: same words as here
            raise AskError(str(exc), exc.errors) from None
        raise


@dataclass(frozen=True)
class Suggestion:
    """A published article shown before the question is sent: its title and its answer, ready to read."""

    id: int
    title: str
    answer_html: Markup


def suggestions(text: str, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """The published articles that best match the question, best first; none for a too short text.

    The answer comes along (sanitised Markdown), so a customer on a phone reads it in place.
    """
    from app.text.markdown import render_markdown

    query = " ".join((text or "").split())[:QUERY_MAX]
    if len(query) < SUGGEST_MIN_CHARS:
        return []
    hits = search_articles(query, limit=limit)
    if not hits:
        return []
    rows = db.session.execute(select(KbArticle.id, KbArticle.answer).where(KbArticle.id.in_([h.id for h in hits])))
    answers = {int(article_id): str(text) for article_id, text in rows}
    return [Suggestion(hit.id, hit.title, render_markdown(answers.get(hit.id, ""))) for hit in hits]
