"""Report sections that split or qualify the counts: sample-size needs per centre, the channel breakdown,
and questions whose scale changed between survey versions."""

from __future__ import annotations

import csv
import io
import math

import pytest

from app.analysis.report import build_report, report_to_csv
from tests.integration.test_analysis_report import Q3, SMALL_DEFINITION, add_responses, make_survey, ratings


def test_sample_size_need_per_centre_and_in_methods(org):
    """n = z²p(1−p)/m² rounded up (Cochran 1977, Sampling Techniques, §4.4): p = 0.5 → 385 (the textbook
    value), p = 0.8 → 246. A centre under 30 answers is planned at the network's share."""
    from datetime import datetime

    version = make_survey(SMALL_DEFINITION)
    add_responses(
        version, "KUR", datetime(2026, 8, 3, 9), ratings(overall={5: 80, 2: 20}, wait={4: 100}, nps={10: 100})
    )
    add_responses(
        version, "LGV", datetime(2026, 8, 3, 9), ratings(overall={5: 50, 2: 50}, wait={4: 100}, nps={10: 100})
    )
    add_responses(
        version, "SHCH", datetime(2026, 8, 3, 9), ratings(overall={5: 10}, wait={4: 10}, nps={10: 10})
    )  # 10 answers, all top-2-box
    report = build_report("mini", *Q3)
    rows = {c.center: c.sample_size for c in report.centers}
    z2 = 1.959963984540054**2
    assert rows["KUR"].model_dump() == {
        "question": "overall",
        "needed": 246,
        "have": 100,
        "enough": False,
        "at_share": 0.8,
        "basis": "center",
        "margin": 0.05,
        "confidence": 0.95,
    }
    assert rows["KUR"].needed == math.ceil(z2 * 0.8 * 0.2 / 0.05**2)
    assert rows["LGV"].needed == 385 and rows["LGV"].basis == "center"
    network = 140 / 210
    assert rows["SHCH"].basis == "network" and rows["SHCH"].at_share == pytest.approx(network)
    assert rows["SHCH"].needed == math.ceil(z2 * network * (1 - network) / 0.05**2)
    assert rows["SHCH"].have == 10
    assert rows["OBO"].have == 0 and rows["OBO"].basis == "network"
    assert report.methods.sample_size.margin == 0.05
    assert "±5" in report.methods.sample_size.text


def _add(version, center: str, when, channel: str, overall: dict[int, int], nps: dict[int, int]) -> None:
    """Responses of one channel (add_responses stores 'kiosk'; the channel is set on the rows just added)."""
    from sqlalchemy import func, select, update

    from app.database import write_transaction
    from app.extensions import db
    from app.surveys.models import Response

    before = db.session.scalar(select(func.max(Response.id))) or 0
    n = sum(overall.values())
    add_responses(version, center, when, ratings(overall=overall, wait={4: n}, nps=nps))
    with write_transaction():
        db.session.execute(update(Response).where(Response.id > before).values(channel=channel))


def test_channel_breakdown_and_a_note_when_the_mix_moved(org):
    from datetime import datetime

    version = make_survey(SMALL_DEFINITION)
    q2, q3 = datetime(2026, 5, 5, 9), datetime(2026, 8, 5, 9)
    # Q3: half kiosk (top-2-box 80 %), half QR (40 %); Q2: 90 % kiosk. Same quality per channel.
    _add(version, "KUR", q3, "kiosk", {5: 80, 2: 20}, {10: 60, 8: 20, 3: 20})
    _add(version, "KUR", q3, "qr", {5: 40, 2: 60}, {10: 20, 8: 30, 3: 50})
    _add(version, "KUR", q2, "kiosk", {5: 144, 2: 36}, {10: 108, 8: 36, 3: 36})
    _add(version, "KUR", q2, "qr", {5: 8, 2: 12}, {10: 4, 8: 6, 3: 10})
    report = build_report("mini", *Q3)
    section = report.channels
    current = {r.channel: r for r in section.current}
    previous = {r.channel: r for r in section.previous}
    assert [r.channel for r in section.current] == ["kiosk", "qr"]
    assert current["kiosk"].n == 100 and current["qr"].n == 100
    assert current["kiosk"].top2box.share == pytest.approx(0.8)
    assert current["qr"].top2box.share == pytest.approx(0.4)
    lo, hi = current["qr"].top2box.ci
    assert lo < 0.4 < hi
    assert current["kiosk"].nps.nps == pytest.approx(40.0) and current["qr"].nps.nps == pytest.approx(-30)
    assert previous["kiosk"].top2box.share == pytest.approx(0.8) and previous["qr"].n == 20
    assert previous["kiosk"].share_of_responses == pytest.approx(0.9)
    assert section.mix_test.p_value < 0.001
    assert abs(section.mix_test.largest_change) == pytest.approx(0.4)  # kiosk −40, QR +40 points
    assert "40,0 п. п." in section.mix_note and "Киоск в ЦОК" in section.mix_note
    rows = list(csv.reader(io.StringIO(report_to_csv(report)), delimiter=";"))
    start = rows.index(["# channels"])
    assert rows[start + 2][:3] == ["current", "kiosk", "100"] and float(rows[start + 2][4]) == pytest.approx(0.8)
    # The channel split sums to the whole: same total n as the report.
    assert sum(r.n for r in section.current) == report.n_responses


def test_no_mix_note_for_the_same_mix_or_a_small_significant_change(org):
    from datetime import datetime

    version = make_survey(SMALL_DEFINITION)
    q2, q3 = datetime(2026, 5, 5, 9), datetime(2026, 8, 5, 9)
    _add(version, "KUR", q3, "kiosk", {5: 80, 2: 20}, {10: 100})
    _add(version, "KUR", q3, "qr", {5: 70, 2: 30}, {10: 100})
    _add(version, "KUR", q2, "kiosk", {5: 75, 2: 25}, {10: 100})
    _add(version, "KUR", q2, "qr", {5: 70, 2: 30}, {10: 100})
    section = build_report("mini", *Q3).channels
    assert section.mix_test.p_value == pytest.approx(1.0) and section.mix_note is None

    # 2 000 a period, kiosk share 50 % → 54 %: significant (p ≈ 0.01) but under 5 points: no note.
    version2 = make_survey({**SMALL_DEFINITION, "slug": "mini2"})
    _add(version2, "KUR", q3, "kiosk", {5: 1080}, {10: 1080})
    _add(version2, "KUR", q3, "qr", {5: 920}, {10: 920})
    _add(version2, "KUR", q2, "kiosk", {5: 1000}, {10: 1000})
    _add(version2, "KUR", q2, "qr", {5: 1000}, {10: 1000})
    section = build_report("mini2", *Q3).channels
    assert section.mix_test.p_value < 0.05
    assert abs(section.mix_test.largest_change) == pytest.approx(0.04)
    assert section.mix_note is None


def _two_versions():
    """Version 1 asks «overall» on 1–10, version 2 on 1–5; «wait» and NPS keep their scale."""
    import copy

    from app.database import write_transaction
    from app.extensions import db
    from app.surveys.models import SurveyVersion

    old = copy.deepcopy(SMALL_DEFINITION)
    old["pages"][0]["questions"][0]["scale"] = {"min": 1, "max": 10}
    first = make_survey(old)
    with write_transaction():
        second = SurveyVersion(
            survey_id=first.survey_id, number=2, status="published", definition=copy.deepcopy(SMALL_DEFINITION)
        )
        db.session.add(second)
    return first, second


def test_a_question_whose_scale_changed_is_not_pooled_across_versions(org):
    from datetime import datetime

    first, second = _two_versions()
    when = datetime(2026, 8, 5, 9)
    # v1: 40 answers of 10/10 on overall (top-2-box of 1–10 is 9–10); v2: 60 answers, 30 of them 5/5.
    add_responses(first, "KUR", when, ratings(overall={10: 40}, wait={5: 40}, nps={10: 40}))
    add_responses(second, "KUR", when, ratings(overall={5: 30, 1: 30}, wait={1: 60}, nps={0: 60}))
    report = build_report("mini", *Q3)
    overall = report.questions["overall"]
    assert overall.n == 60 and overall.top2box == pytest.approx(0.5)
    assert overall.mean == pytest.approx(3.0)
    assert report.questions["wait"].n == 100  # same scale: pooled
    assert report.questions["nps"].n == 100
    [change] = report.scale_changes
    assert change.question == "overall" and change.answers_left_out == 40
    assert change.kept_versions == [2] and change.excluded_versions == [1]
    assert any("не учтено 40 ответов" in note and "Общая оценка" in note for note in report.notes)
    kur = next(c for c in report.centers if c.center == "KUR")
    assert kur.questions["overall"].n == 60
    # The monthly and channel views use the same answers.
    august = next(p for p in report.monthly.top2box.points if p.month == "2026-08")
    assert august.n == 60 and august.k == 30
    assert report.channels.current[0].top2box.n == 60
    assert report.drivers.n == 60  # complete cases: version 1's overall is left out there too


def test_one_version_in_the_period_uses_its_own_scale(org):
    from datetime import datetime

    first, _second = _two_versions()  # version 2 (1–5) is published but has no answers yet
    add_responses(
        first, "KUR", datetime(2026, 8, 5, 9), ratings(overall={10: 30, 9: 10, 5: 60}, wait={5: 100}, nps={10: 100})
    )
    report = build_report("mini", *Q3)
    assert report.scale_changes == []
    overall = report.questions["overall"]
    assert overall.n == 100 and overall.top2box == pytest.approx(0.4)  # 9 and 10 of 1–10


def test_a_scale_change_between_periods_is_not_compared_across_it(org):
    """Q2 answered on the old 1–10 scale only, Q3 on the new 1–5 scale only: nothing is pooled in the period,
    and the previous period and the trend do not set the old scale's answers against the new ones."""
    from datetime import datetime

    first, second = _two_versions()
    add_responses(first, "KUR", datetime(2026, 5, 5, 9), ratings(overall={10: 50}, wait={5: 50}, nps={10: 50}))
    add_responses(second, "KUR", datetime(2026, 8, 5, 9), ratings(overall={5: 50}, wait={5: 50}, nps={10: 50}))
    report = build_report("mini", *Q3)
    assert report.scale_changes == []  # nothing left out inside the period
    assert report.questions["overall"].n == 50
    previous = {(c.question, c.measure): c for c in report.previous.questions}
    assert previous[("overall", None)].n_previous == 0 and previous[("overall", None)].low_n is True
    assert previous[("wait", "top2box")].n_previous == 50  # same scale: compared
    q2 = next(p for p in report.trend.questions["overall"].points if p.quarter == "2026Q2")
    assert q2.n == 0
