"""The demo seed: four quarters of appeals with the company's proportions, idempotent."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from app.appeals import demo
from app.appeals.models import Appeal, DeadlineRule, Promise, RootCause
from app.appeals.report import monitoring_report
from app.extensions import db


def test_demo_seed_is_idempotent_and_realistic(org):
    demo.seed(log=lambda _m: None)
    demo.seed(log=lambda _m: None)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == demo.COUNT
    assert db.session.scalar(select(func.count()).select_from(DeadlineRule)) == len(demo.DEADLINE_RULES)
    assert db.session.scalar(select(func.count()).select_from(RootCause)) == len(demo.ROOT_CAUSES)
    quarters = [
        (date(2025, 10, 1), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 7, 1), date(2026, 9, 30)),
    ]
    centres_with_data = set()
    for start, end in quarters:
        report = monitoring_report(start, end)
        assert 1300 < report.total < 1700
        complaints = next(k for k in report.by_kind if k.kind == "complaint")
        assert 0.025 < complaints.share < 0.06
        remote = next(r for r in report.by_kind_form if r.kind == "complaint" and r.form == "remote")
        assert remote.share_of_kind > 0.6
        assert 0.8 < report.processing.on_time_share < 1.0
        centres_with_data |= {c.center for c in report.by_center if c.total}
    assert len(centres_with_data) > 30
    whole = monitoring_report(date(2025, 10, 1), date(2026, 9, 30))
    assert whole.total == demo.COUNT
    assert whole.processing.overdue > 0
    assert whole.root_causes
    statuses = dict(db.session.execute(select(Promise.status, func.count()).group_by(Promise.status)).all())
    assert statuses.get("kept", 0) > statuses.get("broken", 0) > 0
