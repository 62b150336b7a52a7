"""Seeded data for the report renderer tests: the main survey over four quarters, a malicious comment,
and appeals at a handful of centres (one of them, Льгов, with many complaints).

Renderer tests build their report from this data with the real ``build_report`` / ``monitoring_report``:
a hand-made report dict would drift from what the builders produce.

The data (6 000 responses, and their daily counts) is built once per session into a template database;
every test that uses ``demo`` starts on a copy of it (``tests/conftest.py``: ``register_seed``).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from tests.conftest import DatabaseSeed, register_seed

MALICIOUS = (
    'Спасибо за помощь в оформлении <img src="http://169.254.169.254/latest"> '
    '<img src="file:///etc/passwd"> звоните +7 912 345-67-89'
)
Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def seed_demo() -> object:
    """visit-csat with synthetic responses over four quarters, a malicious comment, and appeals."""
    from app.appeals.services import create_appeal_in_session
    from app.demo import seed
    from app.surveys.demo import seed_main_survey
    from app.surveys.models import Answer, Response
    from app.surveys.synthetic import generate_responses

    seed(org_only=True, log=lambda _msg: None)
    survey, version, active = seed_main_survey()
    generate_responses(version, active, start=date(2025, 10, 1), end=date(2026, 9, 30), n=6000, seed=3)
    kur = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    with write_transaction():
        when = datetime(2026, 8, 14, 9, 0)
        response = Response(
            client_submission_id="malicious-1",
            body_hash="x",
            survey_id=survey.id,
            version_id=version.id,
            center_id=kur.id,
            channel="kiosk",
            submitted_at=when,
        )
        db.session.add(response)
        db.session.flush()
        db.session.add(
            Answer(
                response_id=response.id,
                survey_id=survey.id,
                center_id=kur.id,
                submitted_at=when,
                question_code="why",
                text=MALICIOUS,
            )
        )
    rng = random.Random(5)
    centres = [c for c in active if c.code in ("KUR", "LGV", "SHCH", "OBO", "ZHEL", "BEL", "BRN")]
    topics = ["connection", "transmission", "metering", "quality", "other"]
    with write_transaction():
        for i in range(400):
            centre = centres[i % len(centres)]
            kind = "complaint" if rng.random() < (0.25 if centre.code == "LGV" else 0.06) else "application"
            day = date(2026, 4, 1) + timedelta(days=rng.randrange(183))
            create_appeal_in_session(
                kind=kind,
                form=rng.choice(["in_person", "remote", "interactive"]),
                channel=rng.choice(["visit", "phone", "web", "letter"]),
                topic_code=rng.choice(topics),
                center_id=centre.id,
                received_at=datetime.combine(day, datetime.min.time()) + timedelta(hours=10),
            )
    # The daily counts as a running app keeps them (every report and analysis page counts what came in since
    # the last one): each test's first report then reads them instead of counting 6 000 responses again
    # (about 2 s on SQLite, 5 s on PostgreSQL, whose foreign-key checks run per counted row). Counting from
    # scratch, and counting what arrives later, are tested in test_analysis_aggregates.py.
    from app.analysis.aggregates import refresh_aggregates

    refresh_aggregates()
    return survey


register_seed("demo", DatabaseSeed("reports-demo", seed_demo, includes=frozenset({"org"})))


@pytest.fixture
def demo(org):
    """The seeded visit-csat survey: the test's database is a copy of the seeded template."""
    from app.surveys.models import Survey

    return db.session.scalar(select(Survey).where(Survey.slug == "visit-csat"))


@pytest.fixture
def satisfaction(demo):  # a SatisfactionReport
    """The real Q3 2026 company report of the seeded data."""
    from app.analysis.report import build_report

    return build_report("visit-csat", *Q3, previous=True)


@pytest.fixture
def appeals(demo):  # a MonitoringReport
    """The real Q3 2026 appeals monitoring report of the seeded data."""
    from app.appeals.report import monitoring_report

    return monitoring_report(*Q3, None)
