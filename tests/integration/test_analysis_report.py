"""The satisfaction report on real databases: known-structure synthetic data, low n, periods, scope, CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
from sqlalchemy import insert, select

from app.analysis.report import ReportError, build_report, report_to_csv
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys.models import Answer, Response, Survey, SurveyVersion
from tests.conftest import DatabaseSeed, register_seed, seed_org

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
Q2 = (date(2026, 4, 1), date(2026, 6, 30))
KURSK_CENTERS = ("OBO", "SHCH", "LGV", "ZHEL", "KUR")

SMALL_DEFINITION = {
    "slug": "mini",
    "title": {"ru": "Мини-анкета"},
    "pages": [
        {
            "questions": [
                {"code": "overall", "type": "rating", "text": {"ru": "Общая оценка"}, "scale": {"min": 1, "max": 5}},
                {"code": "wait", "type": "rating", "text": {"ru": "Ожидание"}, "scale": {"min": 1, "max": 5}},
                {"code": "nps", "type": "nps", "text": {"ru": "Рекомендуете?"}},
            ]
        }
    ],
}


def visit_csat_definition() -> dict:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "app" / "surveys" / "library" / "visit-csat.json"
    return json.loads(path.read_text(encoding="utf-8"))


def make_survey(definition: dict) -> SurveyVersion:
    with write_transaction():
        survey = Survey(slug=definition["slug"], title=definition["title"]["ru"], is_main=True)
        version = SurveyVersion(number=1, status="published", definition=definition)
        survey.versions.append(version)
        db.session.add(survey)
    return version


def centers(*codes: str) -> list[Organisation]:
    return list(
        db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)).order_by(Organisation.code))
    )


def add_responses(version: SurveyVersion, center_code: str, when: datetime, rows: list[dict[str, float]]) -> None:
    """Insert responses with exactly the given answers (one dict per respondent)."""
    center = centers(center_code)[0]
    with write_transaction():
        start = (db.session.scalar(select(Response.id).order_by(Response.id.desc()).limit(1)) or 0) + 1
        responses, answers = [], []
        for i, row in enumerate(rows):
            rid = start + i
            responses.append(
                {
                    "id": rid,
                    "client_submission_id": f"t-{rid}",
                    "body_hash": "x",
                    "survey_id": version.survey_id,
                    "version_id": version.id,
                    "center_id": center.id,
                    "channel": "kiosk",
                    "submitted_at": when,
                }
            )
            answers += [
                {
                    "response_id": rid,
                    "survey_id": version.survey_id,
                    "center_id": center.id,
                    "submitted_at": when,
                    "question_code": code,
                    "value_num": float(value),
                }
                for code, value in row.items()
            ]
        db.session.execute(insert(Response.__table__), responses)
        db.session.execute(insert(Answer.__table__), answers)


def ratings(**counts: dict[int, int]) -> list[dict[str, float]]:
    """Respondent rows from per-question value counts of equal totals, e.g. overall={5: 10, 1: 5}."""
    columns = {code: [v for v, c in sorted(dist.items()) for _ in range(c)] for code, dist in counts.items()}
    n = {len(v) for v in columns.values()}
    assert len(n) == 1
    return [{code: values[i] for code, values in columns.items()} for i in range(n.pop())]


def seed_synthetic() -> object:
    """Known structure (app.surveys.synthetic): wait > competence > politeness > clarity > comfort drive
    overall; LGV is much worse on wait. Kursk branch centres, ~900 responses each in Q3; OBO gets only 12."""
    from app.surveys.synthetic import generate_responses

    seed_org()
    version = make_survey(visit_csat_definition())
    main = centers("SHCH", "LGV", "ZHEL", "KUR")
    generate_responses(version, main, *Q3, n=3600, seed=7, weak_center_code="LGV")
    generate_responses(version, centers("OBO"), *Q3, n=12, seed=8, weak_center_code=None)
    return version


# 3 612 generated responses read by six tests: built once into a template, copied for each (tests/conftest.py).
# (Registered under a name of its own: the fixture name a seed is registered under is global to the run.)
register_seed(
    "analysis_synthetic_seed", DatabaseSeed("analysis-synthetic", seed_synthetic, includes=frozenset({"org"}))
)


@pytest.fixture
def analysis_synthetic_seed(org) -> None:
    """The test's database is a copy of ``seed_synthetic``'s template."""


@pytest.fixture
def synthetic(analysis_synthetic_seed) -> SurveyVersion:
    """The published version of the seeded visit-csat survey (see ``seed_synthetic``)."""
    return db.session.scalars(
        select(SurveyVersion).join(Survey).where(Survey.slug == "visit-csat").order_by(SurveyVersion.id)
    ).one()


def test_known_structure_is_found(synthetic):
    report = build_report("visit-csat", *Q3)
    assert report.n_responses == 3612

    order = [a.question for a in report.drivers.attributes]
    assert order == ["wait", "competence", "politeness", "clarity", "comfort"]
    weights = [a.weight for a in report.drivers.attributes]
    assert sum(weights) == pytest.approx(report.drivers.r2)

    below = {
        (c.center, c.question)
        for c in report.comparisons
        if c.scope == "center" and c.direction == "below" and c.test == "two_proportion_z"
    }
    assert ("LGV", "wait") in below
    assert ("LGV", "overall") in below
    assert not {c for c, q in below if q == "wait"} - {"LGV"}  # nobody else flagged on wait

    top = report.recommendations[0]
    assert (top.center, top.question) == ("LGV", "wait")
    assert "Льгов" in top.finding and "p" in top.finding and "n = " in top.finding
    assert "запись" in top.action
    assert top.priority == pytest.approx(top.affected * top.gap)
    assert top.responsible_role == "начальник ЦОК" and "confidence" not in top.model_dump()
    evidence = top.evidence
    assert evidence.q_value <= 0.05 and abs(evidence.difference) >= evidence.min_effect
    assert evidence.family_size == report.methods.recommendations.family_size
    priorities = [r.priority for r in report.recommendations]
    assert priorities == sorted(priorities, reverse=True)

    kruskal = [c for c in report.comparisons if c.test == "kruskal" and c.question == "wait"]
    assert kruskal and kruskal[0].p_value < 0.001


def test_low_n_centre_is_marked_and_left_out(synthetic):
    """Left out of tests and recommendations; ranked on shrunken estimates (centres with
    answers are ranked however few, the n < 30 flag stays; centres without answers are not ranked)."""
    report = build_report("visit-csat", *Q3)
    obo = next(c for c in report.centers if c.center == "OBO")
    assert obo.n == 12 and obo.low_n is True
    assert next(c for c in report.centers if c.center == "KUR").low_n is False
    ranking = {r.code: r for r in report.ranking.centers}
    assert ranking["OBO"].rank is not None and ranking["OBO"].low_n is True
    assert sorted(r.rank for r in ranking.values() if r.rank) == [1, 2, 3, 4, 5]
    assert all(r.rank is None for r in ranking.values() if r.n == 0)
    assert ranking["LGV"].rank == 5 and ranking["LGV"].p_bottom > 0.9
    assert ranking["LGV"].rank_range[0] > 1  # its interval excludes the top
    # Twelve answers: the widest rank range, the raw share pulled towards the network, both kept.
    obo_rank = ranking["OBO"]
    assert obo_rank.rank_range[1] - obo_rank.rank_range[0] == max(
        r.rank_range[1] - r.rank_range[0] for r in ranking.values() if r.rank
    )
    network = report.questions["overall"].top2box
    assert obo_rank.top2box == pytest.approx(0.5) and obo_rank.top2box_ci is not None
    assert min(0.5, network) < obo_rank.top2box_shrunk < max(0.5, network)
    assert obo_rank.top2box_shrunk_ci[0] < obo_rank.top2box_shrunk < obo_rank.top2box_shrunk_ci[1]
    for r in ranking.values():
        if r.rank:
            assert r.index_ci[0] < r.index < r.index_ci[1]
            assert r.rank_range[0] <= r.rank <= r.rank_range[1]
    assert all(c.center != "OBO" for c in report.comparisons)
    assert all(r.center != "OBO" for r in report.recommendations)
    assert all(r.center != "OBO" for r in report.previous.centers)


def test_json_contract(synthetic):
    typed = build_report("visit-csat", *Q3)
    report = typed.model_dump(mode="json")  # the JSON of the CLI and the API
    json.dumps(report, allow_nan=False)  # strictly valid JSON
    for key in (
        "survey",
        "period",
        "scope",
        "n_responses",
        "questions",
        "centers",
        "comparisons",
        "drivers",
        "reliability",
        "recommendations",
        "previous",
        "trend",
        "complaints_control",
        "ranking",
        "methods",
        "sample_sizes",
        "actions",
    ):
        assert key in report
    assert report["survey"] == "visit-csat" and report["scope"] == "company"
    assert report["period"]["from"] == "2026-07-01" and report["period"]["to"] == "2026-09-30"
    overall = report["questions"]["overall"]
    assert {"type", "n", "mean", "mean_ci", "top2box", "top2box_ci", "distribution"} <= set(overall)
    assert overall["type"] == "rating" and overall["mean_ci"][0] < overall["mean"] < overall["mean_ci"][1]
    assert sum(overall["distribution"].values()) == overall["n"]
    nps = report["questions"]["nps"]
    assert {"n", "nps", "nps_ci", "promoters", "passives", "detractors"} <= set(nps)
    assert nps["promoters"] + nps["passives"] + nps["detractors"] == nps["n"]
    purpose = report["questions"]["purpose"]
    assert sum(o["k"] for o in purpose["options"].values()) == purpose["n"]
    assert report["questions"]["why"]["type"] == "text"
    center = report["centers"][0]
    assert {"center", "name", "branch", "n", "low_n", "questions"} <= set(center)
    assert {"question", "test", "statistic", "p_value"} <= set(report["comparisons"][0])
    assert {"target", "r2", "attributes"} <= set(report["drivers"])
    assert {"question", "weight", "beta", "performance", "quadrant"} <= set(report["drivers"]["attributes"][0])
    assert report["reliability"][0]["block"] == "service" and 0 < report["reliability"][0]["alpha"] < 1
    rec = report["recommendations"][0]
    assert {"rule", "center", "question", "finding", "action", "responsible_role", "priority", "evidence"} <= set(rec)
    assert {
        "test",
        "estimate",
        "difference",
        "difference_ci",
        "n",
        "p_value",
        "q_value",
        "family_size",
        "min_effect",
    } <= set(rec["evidence"])
    assert [q["label"] for q in report["trend"]["quarters"]] == ["2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    assert report["methods"]["min_n"] == 30 and report["methods"]["confidence"] == 0.95
    table = report_to_csv(typed)
    rows = list(csv.reader(io.StringIO(table), delimiter=";"))
    assert ["# recommendations"] in rows and ["# questions"] in rows


def test_previous_period_flags_only_significant_changes(org):
    version = make_survey(SMALL_DEFINITION)
    # Q2 and Q3 identical on overall and nps; wait falls from 80 % to 40 % top-2-box.
    add_responses(
        version,
        "KUR",
        datetime(2026, 5, 10, 9),
        ratings(overall={5: 60, 4: 20, 2: 20}, wait={5: 50, 4: 30, 2: 20}, nps={10: 50, 8: 30, 3: 20}),
    )
    add_responses(
        version,
        "KUR",
        datetime(2026, 8, 10, 9),
        ratings(overall={5: 60, 4: 20, 2: 20}, wait={5: 20, 4: 20, 2: 60}, nps={10: 50, 8: 30, 3: 20}),
    )
    report = build_report("mini", *Q3)
    changes = {(c.question, c.measure): c for c in report.previous.questions}
    assert changes[("wait", "top2box")].significant is True
    assert changes[("wait", "top2box")].direction == "down"
    assert changes[("wait", "top2box")].difference == pytest.approx(-0.4)
    assert changes[("overall", "top2box")].significant is False
    assert changes[("overall", "top2box")].p_value == pytest.approx(1.0)
    assert changes[("nps", "nps")].significant is False and changes[("nps", "nps")].direction is None
    declines = [
        r for r in report.recommendations if r.rule == "decline" or any(f.rule == "decline" for f in r.related_findings)
    ]
    assert {(r.center, r.question) for r in declines} == {("MRSK", "wait"), ("KUR", "wait")}


def test_empty_period_gives_an_empty_report(synthetic):
    report = build_report("visit-csat", date(2024, 1, 1), date(2024, 3, 31))
    assert report.n_responses == 0
    assert report.questions["overall"].n == 0 and report.questions["overall"].mean is None
    assert report.comparisons == [] and report.recommendations == []
    assert report.drivers.attributes == [] and report.drivers.note
    assert report.notes
    assert all(c.low_n for c in report.centers)
    json.dumps(report.model_dump(mode="json"), allow_nan=False)
    assert report_to_csv(report)


def test_unknown_survey_is_refused(org):
    with pytest.raises(ReportError):
        build_report("nope", *Q3)


def test_branch_scope_only_includes_its_centres(synthetic):
    from app.surveys.synthetic import generate_responses

    generate_responses(synthetic, centers("BRN"), *Q3, n=200, seed=9, weak_center_code=None)
    company = build_report("visit-csat", *Q3)
    kursk = build_report("visit-csat", *Q3, scope="KURS")
    assert company.n_responses == 3812
    assert kursk.scope == "KURS" and kursk.n_responses == 3612
    assert {c.center for c in kursk.centers} == set(KURSK_CENTERS)
    assert {r.code for r in kursk.ranking.branches} == {"KURS"}
    single = build_report("visit-csat", *Q3, scope="LGV")
    assert [c.center for c in single.centers] == ["LGV"]
    assert single.comparisons == []
    assert single.n_responses == next(c.n for c in company.centers if c.center == "LGV")


def test_cli_prints_valid_json(synthetic, runner):
    result = runner.invoke(
        args=["analysis", "report", "visit-csat", "--from", "2026-07-01", "--to", "2026-09-30", "--scope", "KURS"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["n_responses"] == 3612 and data["scope"] == "KURS"
    csv_result = runner.invoke(args=["analysis", "report", "visit-csat", "--period", "2026Q3", "--format", "csv"])
    assert csv_result.exit_code == 0 and "# centers" in csv_result.output
    bad = runner.invoke(args=["analysis", "report", "nope", "--period", "2026Q3"])
    assert bad.exit_code != 0
