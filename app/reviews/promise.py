"""What a customer is promised on the receipt: the date the answer is due and how it will reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.appeals.deadlines import local_date
from app.appeals.models import Appeal
from app.appeals.services import compute_due
from app.extensions import db
from app.reviews.models import ReviewEntry
from app.reviews.services import kind_for


@dataclass(frozen=True)
class AnswerPromise:
    due: date
    text: str


def answer_promise(entry: ReviewEntry) -> AnswerPromise:
    """The entry's answer date (its appeal's deadline; for an entry still «на проверке», the deadline counted
    from its receipt as the appeal will be) in the centre's time zone, and one plain Russian sentence."""
    appeal = db.session.get(Appeal, entry.appeal_id) if entry.appeal_id else None
    due_utc = (
        appeal.due_at
        if appeal is not None
        else compute_due(kind_for(entry.entry_type), entry.topic_id, entry.created_at, "kiosk")
    )
    due = local_date(due_utc, entry.center.timezone)
    day = due.strftime("%d.%m.%Y")
    if entry.wants_answer and entry.contact_id:
        text = f"Ответ придет по контактам, которые вы оставили, не позднее {day}."
    else:
        text = f"Ответ можно будет узнать на сайте по номеру и коду не позднее {day}."
    return AnswerPromise(due, text)
