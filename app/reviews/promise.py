"""What a customer is promised on the receipt: the date the answer is due and how it will reach them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.appeals.deadlines import local_date
from app.appeals.models import Appeal
from app.appeals.services import compute_due
from app.extensions import db
from app.reviews.services import Receipt, kind_for


@dataclass(frozen=True)
class AnswerPromise:
    due: date
    text: str


def answer_promise(receipt: Receipt) -> AnswerPromise:
    """The answer date in the centre's time zone and one plain Russian sentence.

    A first receipt carries the deadline computed as the entry was stored (no extra query on the kiosk's hot
    path); a repeated submission's receipt reads it back: the appeal's deadline, or for an entry still «на
    проверке» the deadline counted from its receipt, as the appeal will have it."""
    if receipt.due_at is not None:
        due_utc, zone, by_contact = receipt.due_at, receipt.timezone, receipt.answer_by_contact
    else:
        entry = receipt.entry
        appeal = db.session.get(Appeal, entry.appeal_id) if entry.appeal_id else None
        due_utc = (
            appeal.due_at
            if appeal is not None
            else compute_due(kind_for(entry.entry_type), entry.topic_id, entry.created_at, "kiosk")
        )
        zone, by_contact = entry.center.timezone, bool(entry.wants_answer and entry.contact_id)
    due = local_date(due_utc, zone) if zone else local_date(due_utc)
    day = due.strftime("%d.%m.%Y")
    if by_contact:
        return AnswerPromise(due, f"Ответ придет по контактам, которые вы оставили, не позднее {day}.")
    return AnswerPromise(due, f"Ответ можно будет узнать на сайте по номеру и коду не позднее {day}.")
