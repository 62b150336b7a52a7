"""Monthly views of the report: complaint control charts per month (centre codes, Laney p' when the months
vary more than binomially), the ``monthly`` section and its trend tests."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from app.analysis.report import build_report
from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind, Topic
from tests.integration.test_analysis_report import Q3, SMALL_DEFINITION, add_responses, make_survey, ratings


def _add_appeals(center_code: str, month: date, complaints: int, applications: int) -> None:
    center = db.session.scalar(select(Organisation).where(Organisation.code == center_code))
    topic = db.session.scalar(select(Topic.id).order_by(Topic.id).limit(1))
    when = datetime(month.year, month.month, 10, 9)
    rows = [
        {
            "kind": kind,
            "form": "in_person",
            "channel": "in_person",
            "topic_id": topic,
            "center_id": center.id,
            "received_at": when,
            "due_at": when + timedelta(days=10),
            "status": "registered",
            "text": "",
            "answer_summary": "",
            "led_to_contract": False,
            "created_at": when,
        }
        for kind, count in (("complaint", complaints), ("application", applications))
        for _ in range(count)
    ]
    with write_transaction():
        db.session.execute(insert(Appeal.__table__), rows)


def _months(last: date, count: int = 12) -> list[date]:
    out, year, month = [], last.year, last.month
    for _ in range(count):
        out.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def test_complaint_control_is_monthly_with_centre_codes_and_laney_when_due(org):
    make_survey(SMALL_DEFINITION)
    rng = random.Random(3)
    months = _months(date(2026, 9, 1))
    for month in months:
        # KUR: binomial months around 10 % of 200 appeals; LGV: the share swings between 2 % and 30 %
        # month to month (far more than binomial at n = 400), so its chart needs Laney's p'.
        kur = sum(rng.random() < 0.10 for _ in range(200))
        _add_appeals("KUR", month, kur, 200 - kur)
        lgv = 120 if month.month % 2 else 8
        _add_appeals("LGV", month, lgv, 400 - lgv)
    _add_appeals("SHCH", date(2026, 9, 1), 5, 50)  # one month only: no chart

    section = build_report("mini", *Q3).complaints_control
    assert section.months == [f"{m.year}-{m.month:02d}" for m in months]
    codes = set(db.session.scalars(select(Organisation.code).where(Organisation.kind == OrgKind.CENTER)))
    charts = {c.center: c for c in section.centers}
    assert set(charts) == {"KUR", "LGV"} and set(charts) <= codes
    for chart in charts.values():
        assert isinstance(chart.center, str)
        assert len(chart.points) == 12
        total = sum(p.n for p in chart.points)
        assert chart.center_line == pytest.approx(sum(p.count for p in chart.points) / total)
    assert charts["KUR"].laney_used is False
    assert charts["LGV"].laney_used is True and charts["LGV"].sigma_z > 3
    # Laney limits are wide enough that the alternating months are no longer all signals.
    beyond = [p for p in charts["LGV"].points if p.beyond]
    assert len(beyond) < 6
    for signal in section.signals:
        assert signal.center in codes
        if signal.kind == "p_chart":
            assert signal.month in {"2026-07", "2026-08", "2026-09"} and signal.quarter == "2026Q3"


def test_a_planted_complaint_spike_in_a_month_of_the_period_is_a_signal(org):
    make_survey(SMALL_DEFINITION)
    rng = random.Random(4)
    for month in _months(date(2026, 9, 1)):
        k = 70 if month == date(2026, 8, 1) else sum(rng.random() < 0.05 for _ in range(600))
        _add_appeals("KUR", month, k, 600 - k)
    section = build_report("mini", *Q3).complaints_control
    chart = next(c for c in section.centers if c.center == "KUR")
    assert [p.label for p in chart.points if p.beyond] == ["2026-08"]
    signals = [s for s in section.signals if s.kind == "p_chart"]
    assert [(s.center, s.month) for s in signals] == [("KUR", "2026-08")]


def _monthly_responses(version, top2_share, nps_mix, n: int = 100, skip: date | None = None) -> None:
    """``n`` respondents a month in the 12 months to September 2026; shares may depend on the month index."""
    for index, month in enumerate(_months(date(2026, 9, 1)), start=1):
        if month == skip:
            n_month = 5  # too few: left out of the tests
        else:
            n_month = n
        high = round(top2_share(index) * n_month)
        promoters, detractors = (round(f * n_month) for f in nps_mix(index))
        rows = ratings(
            overall={5: high, 2: n_month - high},
            wait={4: n_month},
            nps={10: promoters, 8: n_month - promoters - detractors, 2: detractors},
        )
        add_responses(version, "KUR", datetime(month.year, month.month, 12, 9), rows)


def test_monthly_section_finds_planted_trends_with_real_month_scores(org):
    version = make_survey(SMALL_DEFINITION)
    # top-2-box from 40 % to 62 %, NPS from about 0 to +44 over the months; March 2026 nearly empty.
    _monthly_responses(
        version, lambda i: 0.38 + 0.02 * i, lambda i: (0.3 + 0.02 * i, 0.3 - 0.02 * i), skip=date(2026, 3, 1)
    )
    monthly = build_report("mini", *Q3).monthly
    assert [m.month for m in monthly.months][0] == "2025-10" and monthly.months[-1].month == "2026-09"
    top2 = monthly.top2box
    assert top2.question == "overall" and len(top2.points) == 12
    march = next(p for p in top2.points if p.month == "2026-03")
    assert march.low_n is True and march.index == 6
    assert top2.cochran_armitage.scores == [1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]
    assert top2.direction == "up" and top2.cochran_armitage.p_value < 0.001
    last = top2.points[-1]
    assert last.share == pytest.approx(0.62) and last.ci[0] < 0.62 < last.ci[1]
    nps = monthly.nps
    assert nps.regression.scores == top2.cochran_armitage.scores
    assert nps.direction == "up" and nps.regression.ci[0] > 0
    # 4 NPS points a month on the −100…100 scale (promoters +2 %, detractors −2 % a month).
    assert nps.regression.slope == pytest.approx(4.0, abs=0.3)
    assert nps.points[-1].nps == pytest.approx(100 * (0.54 - 0.06))


def test_monthly_section_is_quiet_on_a_flat_series(org):
    version = make_survey(SMALL_DEFINITION)
    _monthly_responses(version, lambda i: 0.6, lambda i: (0.45, 0.25))
    report = build_report("mini", *Q3)
    monthly = report.monthly
    assert monthly.top2box.direction == "none" and monthly.top2box.cochran_armitage.p_value > 0.5
    assert monthly.nps.direction == "none" and monthly.nps.regression.p_value > 0.5
    # The quarterly NPS trend uses the same regression on the quarter number, and is quiet too.
    assert report.trend.questions["nps"].regression.direction == "none"
