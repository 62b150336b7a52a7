"""Recommendations are controlled like the numbers: quiet on null data, first on a planted effect.

The null simulation runs whole surveys shaped like the demo (41 centres, a previous period, appeals
whose on-time answers and kept promises sit exactly at their targets) through the real report and
recommendation engine on a real database: ``build_decisions``, the sections and rules of ``build_report``
without the sections that only describe (the planted test checks that both decide the same). Each
simulated survey gets its own pair of quarters (current and previous) in a year of its own and its own
random stream, so the 200 surveys run as forty chunks of five independent reports, each chunk on its own
database (pytest-xdist spreads the chunks; a chunk costs ~5 s of CPU: making its ~75 000 rows 0.4 s,
inserting them 1.5 s, the aggregates' refresh 1.1 s, the five decisions ~2 s).

Reference: Benjamini & Hochberg (1995): under the global null, BH at level α keeps the probability of
*any* discovery at or below α (see /work/shared/REFERENCES.md, «Controlling decisions»); the
recommendations are a subset of the discoveries, so the share of null reports with any recommendation
must stay ≤ 0.05 + 3 Monte-Carlo standard errors.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select

from app.analysis.report import ReportError, build_decisions, build_report
from app.analysis.report_model import DecisionBasis
from app.appeals.models import Appeal, Promise, Topic
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys.models import Answer, Response
from tests.conftest import worker_name
from tests.integration.test_analysis_report import SMALL_DEFINITION, make_survey

SIMULATIONS = 200
NULL_CHUNKS = 40  # 5 simulations per test case: pytest-xdist spreads them over the workers
ALPHA = 0.05
RATING_P = np.array([0.05, 0.07, 0.18, 0.35, 0.35])  # 1..5: top-2-box 70 %
NPS_P = np.array([0.02, 0.01, 0.02, 0.03, 0.03, 0.05, 0.06, 0.12, 0.16, 0.2, 0.3])  # 0..10
APPEALS_PER_CENTER = 32
PROMISES_PER_CENTER = 31
COMPLAINT_SHARE = 0.05


def _quarters(index: int) -> tuple[tuple[date, date], tuple[date, date]]:
    """Simulation ``index`` → (previous, current) quarters, disjoint from every other simulation's."""
    year = 1926 + index // 2
    first = 1 if index % 2 == 0 else 7
    previous = (date(year, first, 1), date(year, first + 2, 30 if first + 2 in (6, 9) else 31))
    current = (date(year, first + 3, 1), date(year, first + 5, 30 if first + 5 in (6, 9) else 31))
    return previous, current


class Writer:
    """Collects rows of many simulated periods and inserts them in large batches."""

    def __init__(self, version) -> None:
        self.version = version
        self.responses: list[dict] = []
        self.answers: list[dict] = []
        self.appeals: list[dict] = []
        self.promises: list[dict] = []
        self.next_response = (db.session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1)) or 0) + 1
        self.next_appeal = (db.session.scalar(select(Appeal.id).order_by(Appeal.id.desc()).limit(1)) or 0) + 1
        self.topic_id = db.session.scalar(select(Topic.id).order_by(Topic.id).limit(1))

    def survey_period(
        self,
        rng: np.random.Generator,
        centers: list[Organisation],
        period: tuple[date, date],
        shift: dict[tuple[str, str], float] | None = None,
        sizes: tuple[int, int] = (30, 45),
    ) -> None:
        days = (period[1] - period[0]).days + 1
        for center in centers:
            n = int(rng.integers(sizes[0], sizes[1] + 1))
            columns = {}
            for code in ("overall", "wait"):
                probs = RATING_P
                if shift and (center.code, code) in shift:
                    probs = _shifted(RATING_P, shift[(center.code, code)])
                columns[code] = rng.choice(np.arange(1, 6), size=n, p=probs)
            columns["nps"] = rng.choice(np.arange(0, 11), size=n, p=NPS_P)
            offsets = rng.integers(0, days, size=n)
            for i in range(n):
                rid = self.next_response
                self.next_response += 1
                when = datetime.combine(period[0], datetime.min.time()) + timedelta(days=int(offsets[i]), hours=10)
                self.responses.append(
                    {
                        "id": rid,
                        "client_submission_id": f"sim-{rid}",
                        "body_hash": "x",
                        "survey_id": self.version.survey_id,
                        "version_id": self.version.id,
                        "center_id": center.id,
                        "channel": "kiosk",
                        "submitted_at": when,
                    }
                )
                for code, values in columns.items():
                    self.answers.append(
                        {
                            "response_id": rid,
                            "survey_id": self.version.survey_id,
                            "center_id": center.id,
                            "submitted_at": when,
                            "question_code": code,
                            "value_num": float(values[i]),
                        }
                    )

    def appeals_period(
        self,
        rng: np.random.Generator,
        centers: list[Organisation],
        period: tuple[date, date],
        on_time: float = 0.95,
        kept: float = 0.9,
    ) -> None:
        start = datetime.combine(period[0], datetime.min.time())
        days = (period[1] - period[0]).days - 20
        for center in centers:
            for i in range(APPEALS_PER_CENTER):
                aid = self.next_appeal
                self.next_appeal += 1
                received = start + timedelta(days=int(rng.integers(0, days)), hours=9)
                due = received + timedelta(days=10)
                answered = received + timedelta(days=5) if rng.random() < on_time else due + timedelta(days=3)
                kind = "complaint" if rng.random() < COMPLAINT_SHARE else "application"
                self.appeals.append(
                    {
                        "id": aid,
                        "kind": kind,
                        "form": "written",
                        "channel": "portal",
                        "topic_id": self.topic_id,
                        "center_id": center.id,
                        "received_at": received,
                        "due_at": due,
                        "status": "answered",
                        "text": "",
                        "answer_summary": "",
                        "answered_at": answered,
                        "led_to_contract": False,
                        "created_at": received,
                    }
                )
                if i < PROMISES_PER_CENTER:
                    self.promises.append(
                        {
                            "appeal_id": aid,
                            "text": "обещание",
                            "due_at": received + timedelta(days=7),
                            "status": "kept" if rng.random() < kept else "broken",
                            "created_at": received,
                        }
                    )

    def flush(self) -> None:
        with write_transaction():
            for table, rows in (
                (Response.__table__, self.responses),
                (Answer.__table__, self.answers),
                (Appeal.__table__, self.appeals),
                (Promise.__table__, self.promises),
            ):
                for start in range(0, len(rows), 20_000):
                    db.session.execute(insert(table), rows[start : start + 20_000])
        self.responses, self.answers, self.appeals, self.promises = [], [], [], []


def _shifted(probs: np.ndarray, drop: float) -> np.ndarray:
    """Move ``drop`` of probability from the top two answers to the bottom two."""
    out = probs.copy()
    out[3] -= drop / 2
    out[4] -= drop / 2
    out[0] += drop / 2
    out[1] += drop / 2
    return out


def _all_centers() -> list[Organisation]:
    return list(
        db.session.scalars(select(Organisation).where(Organisation.kind == "center").order_by(Organisation.code))
    )


def _tests_computed(report: DecisionBasis) -> int:
    """The family size counted from the report's own sections, independently of the engine."""
    count = sum(
        1
        for c in report.comparisons
        if c.scope == "center" and c.p_value is not None and c.test in ("two_proportion_z", "nps_difference_z")
    )
    previous = report.previous
    count += sum(
        1
        for c in (previous.questions + previous.centers if previous else [])
        if c.p_value is not None and c.measure in ("top2box", "nps")
    )
    count += sum(1 for p in report.complaints_control.funnel if not p.low_n and p.n)
    appeals = report.appeals
    for key in ("on_time", "promises"):
        rows = [getattr(appeals, key)] + [getattr(r, key) for r in appeals.centers]
        count += sum(1 for r in rows if r.share is not None and not r.low_n and r.n)
    return count


def _simulation_rng(index: int) -> np.random.Generator:
    """Simulation ``index`` draws from a stream of its own, so a chunk builds the same survey on any worker."""
    return np.random.default_rng([20261202, index])


@pytest.fixture(scope="session")
def null_results(request, tmp_path_factory) -> Path:
    """A folder shared by every worker of this pytest run: under xdist each worker's base temp sits in the
    run's own (``popen-gwN``), so the parent is new for each run; without xdist the base temp is."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_name(request) == "main" else base.parent) / "null-simulation"
    folder.mkdir(exist_ok=True)
    return folder


def _record_chunk(folder: Path, chunk: int, quiet: list[bool]) -> list[bool] | None:
    """Store this chunk's outcomes; returns all ``SIMULATIONS`` outcomes once every chunk has stored its own
    (the chunk that finishes last sees them all), else None."""
    partial = folder / f".chunk-{chunk}.tmp"
    partial.write_text(json.dumps(quiet))
    partial.replace(folder / f"chunk-{chunk}.json")  # atomic: a reader sees the whole list or nothing
    stored = sorted(folder.glob("chunk-*.json"))
    if len(stored) < NULL_CHUNKS:
        return None
    return [outcome for path in stored for outcome in json.loads(path.read_text())]


@pytest.mark.sqlite_only(reason="a statistical property of the engine; the SQLite pass runs it once")
@pytest.mark.parametrize("chunk", range(NULL_CHUNKS))
def test_null_surveys_stay_quiet(org, null_results, chunk):
    """The 200 null surveys in chunks that xdist spreads over the workers; each chunk checks its reports, and
    whichever chunk finishes last checks the share over all 200 (the bound is the one for 200 simulations)."""
    version = make_survey(SMALL_DEFINITION)
    centers = _all_centers()
    assert len(centers) == 41
    indices = range(chunk * SIMULATIONS // NULL_CHUNKS, (chunk + 1) * SIMULATIONS // NULL_CHUNKS)
    writer = Writer(version)
    for index in indices:
        rng = _simulation_rng(index)
        previous, current = _quarters(index)
        writer.survey_period(rng, centers, previous)
        writer.survey_period(rng, centers, current)
        writer.appeals_period(rng, centers, current)
    writer.flush()

    recommended = []
    for index in indices:
        _previous, current = _quarters(index)
        decisions = build_decisions("mini", *current)  # build_report's rules on its sections (see below)
        family = decisions.family
        assert family.family_size == _tests_computed(decisions.basis)
        # The family really is large: every centre, question, the previous period and the appeal targets.
        assert family.family_size > 41 * 3
        for rec in decisions.recommendations:
            assert rec.evidence.family_size == family.family_size
            assert rec.evidence.q_value <= ALPHA
        recommended.append(bool(decisions.recommendations))

    outcomes = _record_chunk(null_results, chunk, recommended)
    if outcomes is None:
        return  # another chunk is still running; the last one checks the share
    assert len(outcomes) == SIMULATIONS
    share = sum(outcomes) / SIMULATIONS
    allowed = ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / SIMULATIONS)
    assert share <= allowed, f"{share:.3f} of null reports recommend something (allowed {allowed:.3f})"


def test_planted_effect_comes_first(org):
    version = make_survey(SMALL_DEFINITION)
    centers = _all_centers()
    writer = Writer(version)
    rng = np.random.default_rng(7)
    previous, current = _quarters(0)
    writer.survey_period(rng, centers, previous, sizes=(80, 150))
    writer.survey_period(rng, centers, current, shift={("LGV", "wait"): 0.3}, sizes=(80, 150))
    writer.appeals_period(rng, centers, current)
    writer.flush()
    report = build_report("mini", *current)
    first = report.recommendations[0]
    assert (first.center, first.question) == ("LGV", "wait")
    # The null control runs build_decisions: the same recommendations and family as the full report's.
    decisions = build_decisions("mini", *current)
    assert decisions.recommendations == report.recommendations
    assert decisions.family == report.methods.recommendations
    assert decisions.basis.model_dump() == {
        key: value for key, value in report.model_dump().items() if key in type(decisions.basis).model_fields
    }
    assert first.responsible_role == "начальник ЦОК"
    assert first.evidence.q_value <= ALPHA and first.evidence.difference <= -0.05
    assert "Льгов" in first.why and "%" in first.why
    for word in ("Бенджамини", "p =", "q =", "Холм"):
        assert word not in first.why and word not in first.expected_effect


def test_planted_target_miss_is_found_one_sided(org):
    """On-time answers well below target at one centre: the one-sided test inside the family finds it."""
    version = make_survey(SMALL_DEFINITION)
    centers = _all_centers()
    writer = Writer(version)
    rng = np.random.default_rng(11)
    previous, current = _quarters(1)
    writer.survey_period(rng, centers, previous)
    writer.survey_period(rng, centers, current)
    writer.appeals_period(rng, [c for c in centers if c.code != "KUR"], current)
    writer.appeals_period(rng, [c for c in centers if c.code == "KUR"], current, on_time=0.6)
    writer.flush()
    report = build_report("mini", *current)
    found = [r for r in report.recommendations if r.question == "on_time"]
    assert [r.center for r in found] == ["KUR"]
    assert found[0].evidence.alternative == "less" and found[0].evidence.test == "binomial_exact"


def test_small_min_n_is_refused(org, runner):
    make_survey(SMALL_DEFINITION)
    with pytest.raises(ReportError, match="не меньше 10"):
        build_report("mini", date(2026, 7, 1), date(2026, 9, 30), min_n=5)
    result = runner.invoke(args=["analysis", "report", "mini", "--period", "2026Q3", "--min-n", "3"])
    assert result.exit_code != 0 and "не меньше 10" in result.output
