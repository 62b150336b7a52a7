"""Staff list pages run the same SQL however many rows they show: a template never loads a row's centre or topic
one by one (tests/sqltrace.py counts the statements of a request)."""

from __future__ import annotations

from app.appeals import services as appeals
from app.database import write_transaction
from app.models import utcnow
from app.org.services import find_center
from app.reviews.services import EntryInput, submit_entry
from tests.sqltrace import Statements

CENTERS = ("KUR", "LGV", "BEL", "BRN", "GUB", "VAL")
TOPICS = ("connection", "transmission", "metering", "quality", "other")


def _statements_of(client, url: str) -> list[str]:
    client.get(url)  # warm the per-process caches, so both counted requests start alike
    with Statements() as log:
        assert client.get(url).status_code == 200
    return log.seen


def _add_entries(count: int, first: int) -> None:
    for n in range(first, first + count):
        submit_entry(
            EntryInput(
                center_code=CENTERS[n % len(CENTERS)],
                entry_type="suggestion",
                topic_code=TOPICS[n % len(TOPICS)],
                text=f"Предложение номер {n}: больше окон",
                wants_answer=False,
                contact=None,
            )
        )


def _add_appeals(count: int, first: int) -> None:
    with write_transaction():
        for n in range(first, first + count):
            appeals.create_appeal_in_session(
                kind="complaint",
                form="remote",
                channel="phone",
                topic_code=TOPICS[n % len(TOPICS)],
                center_id=find_center(CENTERS[n % len(CENTERS)]).id,
                received_at=utcnow(),
            )


def test_moderation_page_queries_do_not_grow_with_its_entries(client, make_user, login, org):
    login(make_user("operator", scope="MRSK"))
    _add_entries(1, 0)
    one = _statements_of(client, "/reviews/moderation?state=all")
    _add_entries(11, 1)
    many = _statements_of(client, "/reviews/moderation?state=all")
    assert len(many) == len(one), many


def test_appeals_queue_queries_do_not_grow_with_its_rows(client, make_user, login, org):
    login(make_user("operator", scope="MRSK"))
    _add_appeals(1, 0)
    one = _statements_of(client, "/appeals/")
    _add_appeals(11, 1)
    many = _statements_of(client, "/appeals/")
    assert len(many) == len(one), many
