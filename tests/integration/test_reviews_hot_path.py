"""The review-book hot path: what it caches per process, and that admin edits still show at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import event, select, text

from app.appeals import rules
from app.appeals import services as appeals
from app.extensions import db
from app.models import Topic

RECEIVED = datetime(2026, 12, 30, 9, 0)
# Defaults from 30.12.2026: a complaint 10 working days → 22.01.2027; an application 15 → 29.01.2027.
COMPLAINT_DEFAULT = datetime(2027, 1, 22, 20, 59, 59)


@contextmanager
def statements() -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, _params, _context, _executemany):  # noqa: ANN001
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _topic_id(code: str) -> int:
    return db.session.scalar(select(Topic.id).where(Topic.code == code))


def _rule_reads(seen: list[str]) -> list[str]:
    return [s for s in seen if "deadline_rule" in s or "FROM setting" in s]


def test_deadline_rules_are_read_once_per_ttl(org):
    other = _topic_id("other")
    assert appeals.compute_due("complaint", other, RECEIVED, "kiosk") == COMPLAINT_DEFAULT
    with statements() as seen:
        for _ in range(3):
            assert appeals.compute_due("complaint", other, RECEIVED, "kiosk") == COMPLAINT_DEFAULT
    assert _rule_reads(seen) == []


def test_a_rule_saved_in_this_process_is_used_at_once(org):
    other = _topic_id("other")
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    rule = rules.save_deadline_rule("complaint", None, 5, True)
    # 5 working days across the New Year holidays → 15.01.2027.
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == datetime(2027, 1, 15, 20, 59, 59)
    rules.delete_deadline_rule(rule)
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT


def test_the_written_term_saved_in_this_process_is_used_at_once(org):
    quality = _topic_id("quality")
    assert appeals.compute_due("application", quality, RECEIVED, "letter") == datetime(2027, 1, 29, 20, 59, 59)
    rules.save_written_term(10, True)
    assert appeals.compute_due("application", quality, RECEIVED, "letter") == datetime(2027, 1, 22, 20, 59, 59)


def test_a_rule_changed_elsewhere_shows_after_the_ttl(org, monkeypatch):
    """Another process's edit fires no event here: the cached rules serve until the TTL runs out."""
    other = _topic_id("other")
    clock = [1000.0]
    monkeypatch.setattr(appeals.time, "monotonic", lambda: clock[0])
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    with db.engine.begin() as connection:  # a Core write, like another worker's commit
        connection.execute(text("INSERT INTO deadline_rule (kind, topic_id, days, working_days) "
                                "VALUES ('complaint', NULL, 5, :working)"), {"working": True})
    db.session.commit()  # a new request: end the read transaction that still sees the old rules
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == COMPLAINT_DEFAULT
    clock[0] += appeals.DEADLINE_CACHE_SECONDS + 0.1
    assert appeals.compute_due("complaint", other, RECEIVED, "phone") == datetime(2027, 1, 15, 20, 59, 59)


@pytest.mark.parametrize("app_config", [{"DEADLINE_CACHE_SECONDS": 0}])
def test_ttl_zero_reads_the_rules_every_time(org):
    other = _topic_id("other")
    appeals.compute_due("complaint", other, RECEIVED, "kiosk")
    with statements() as seen:
        appeals.compute_due("complaint", other, RECEIVED, "kiosk")
    assert _rule_reads(seen)
