"""The retention purge masks the text job's stored copies of the purged customers' texts."""

from datetime import timedelta

from sqlalchemy import select, update

from app.analysis.models import ProcessedText
from app.analysis.texts import process_texts, seed_dictionary
from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.models import Contact, utcnow
from app.privacy.services import purge
from tests.integration.test_security_support import appeal


def _contact(name: str) -> int:
    with write_transaction():
        row = Contact(name=name, email="", phone="", purpose="appeal", consent_version="v1")
        db.session.add(row)
        db.session.flush()
        return row.id


def test_purge_masks_the_processed_copies_of_expired_contacts(org):
    seed_dictionary()
    old = appeal("KUR", "Прошу заменить счетчик, Гусь", _contact("Гусь Альберт"))
    kept = appeal("KUR", "Прошу заменить счетчик, Лось", _contact("Лось Борис"))
    with write_transaction():
        db.session.execute(
            update(Appeal)
            .where(Appeal.id == old.id)
            .values(
                status="closed", closed_at=utcnow() - timedelta(days=400), received_at=utcnow() - timedelta(days=420)
            )
        )
    process_texts()
    with write_transaction():  # copies made by an older masker that did not know the names
        db.session.execute(
            update(ProcessedText)
            .where(ProcessedText.source_kind == "appeal")
            .values(masked_text=ProcessedText.masked_text + " гусь лось", lemmas=ProcessedText.lemmas + " гусь лось")
        )

    result = purge(365)
    assert result.contacts == 1
    db.session.expire_all()
    copy = db.session.scalar(select(ProcessedText).where(ProcessedText.source_id == old.id))
    assert "гусь" not in copy.masked_text.lower() and "гусь" not in copy.lemmas.split()
    assert "[имя скрыто]" in copy.masked_text and "счетчик" in copy.lemmas.split()
    assert copy.themes == ["metering"]  # the themes (and their links) stay: they are not personal data
    untouched = db.session.scalar(select(ProcessedText).where(ProcessedText.source_id == kept.id))
    assert "лось" in untouched.masked_text  # a contact inside retention is not touched
    assert db.session.get(Appeal, old.id).contact_id is None
