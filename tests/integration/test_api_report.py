"""API v1 satisfaction report: the same report as `flask analysis report`, by bearer token, within the
token owner's scopes, as on the manager pages."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from app.api.tokens import create_token
from app.surveys.demo import seed_main_survey

URL = "/api/v1/surveys/visit-csat/report"


@pytest.fixture
def answered(client, org):
    seed_main_survey()
    for index, center in enumerate(["KUR"] * 4 + ["BEL"] * 2):
        reply = client.post(
            "/api/v1/surveys/visit-csat/responses",
            json={
                "client_submission_id": f"report-api-{index:04d}",
                "center": center,
                "channel": "online",
                "answers": {"overall": 2 + index % 4, "nps": 5 + index},
            },
        )
        assert reply.status_code == 201, reply.json
    today = date.today()
    return {"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}


def _get(client, token, slug="visit-csat", **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/surveys/{slug}/report", query_string=params, headers=headers)


def test_report_equals_the_cli_report(client, runner, make_user, answered):
    token = create_token(make_user("manager", scope="MRSK").email, "report")
    reply = _get(client, token, **answered, scope="company")
    assert reply.status_code == 200, reply.json
    result = runner.invoke(
        args=[
            "analysis",
            "report",
            "visit-csat",
            "--from",
            answered["from"],
            "--to",
            answered["to"],
            "--format",
            "json",
        ]
    )
    assert result.exit_code == 0, result.output
    assert reply.json == json.loads(result.output)
    named = runner.invoke(
        args=[
            "analysis",
            "report",
            "visit-csat",
            "--from",
            answered["from"],
            "--to",
            answered["to"],
            "--scope",
            "company",
            "--format",
            "json",
        ]
    )
    assert named.exit_code == 0 and json.loads(named.output) == reply.json  # the report's own word for the scope
    assert reply.json["scope"] == "company" and reply.json["n_responses"] == 6
    assert {"questions", "centers", "comparisons", "drivers", "reliability", "recommendations"} <= set(reply.json)
    csv_reply = _get(client, token, **answered, format="csv")
    assert csv_reply.status_code == 200 and csv_reply.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_report_is_limited_to_the_token_owners_scope(client, make_user, answered):
    branch = create_token(make_user("manager", scope="KURS").email, "branch")
    own = _get(client, branch, **answered)
    assert own.status_code == 200 and own.json["scope"] == "KURS" and own.json["n_responses"] == 4
    assert _get(client, branch, **answered, scope="KUR").json["n_responses"] == 4
    assert _get(client, branch, **answered, scope="BELG").status_code == 404
    assert _get(client, branch, **answered, scope="company").status_code == 404


def test_report_refusals(client, make_user, answered):
    marketing = create_token(make_user("marketing", scope="MRSK").email, "marketing")
    operator = create_token(make_user("operator", scope="KUR").email, "operator")
    assert _get(client, None, **answered).status_code == 401
    assert _get(client, "otk_wrong", **answered).status_code == 401
    assert _get(client, operator, **answered).status_code == 403
    assert _get(client, marketing, **answered).status_code == 200
    assert _get(client, marketing, slug="nope", **answered).status_code == 404
    bad = _get(client, marketing, **{"from": "yesterday", "to": answered["to"]})
    assert bad.status_code == 400 and "ГГГГ-ММ-ДД" in bad.json["message"]
    assert _get(client, marketing, period="2026Q7").status_code == 400
    assert _get(client, marketing, **answered, format="pdf").status_code == 400
