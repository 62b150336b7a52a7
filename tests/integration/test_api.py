"""API v1: definitions, idempotent response posting, kiosk tokens, staff listing by bearer token, OpenAPI."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import func, select

from app.api.tokens import create_token, revoke_token
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys import services
from app.surveys.demo import seed_main_survey
from app.surveys.models import Response

URL = "/api/v1/surveys/visit-csat/responses"


@pytest.fixture
def main_survey(org):
    survey, _, _ = seed_main_survey()
    return survey


def body(sid: str = "0b6f7c1e-1111-4c1e-9a11-000000000001", **overrides):
    data = {
        "client_submission_id": sid,
        "center": "KUR",
        "channel": "online",
        "answers": {"overall": 5, "nps": 9, "purpose": "metering", "why": "ignored: hidden"},
    }
    data.update(overrides)
    return data


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_health_and_openapi(app, client):
    assert client.get("/api/v1/health").json == {"status": "ok"}
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.0")
    # The document lists exactly the API's routes (and their methods): it is kept true to the code.
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            routes.setdefault(path, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    assert routes == {path: {m.upper() for m in item} for path, item in doc["paths"].items()}
    assert "/surveys/{slug}/report" in doc["paths"]
    post = doc["paths"]["/surveys/{slug}/responses"]["post"]["responses"]
    assert {"200", "201", "400", "403", "404", "409", "410", "422", "429"} <= set(post)


def test_openapi_matches_the_url_map(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    documented = {
        (re.sub(r"\{(\w+)\}", r"<\1>", path), method.upper()) for path, ops in doc["paths"].items() for method in ops
    }
    served = {
        (rule.rule.removeprefix("/api/v1"), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == served


def test_definition(client, main_survey):
    response = client.get("/api/v1/surveys/visit-csat")
    assert response.status_code == 200
    assert response.json["definition"]["slug"] == "visit-csat" and response.json["version"] == 1
    assert (
        client.get("/api/v1/surveys/visit-csat", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    )
    assert client.get("/api/v1/surveys/nope").status_code == 404
    services.close(main_survey)
    gone = client.get("/api/v1/surveys/visit-csat")
    assert gone.status_code == 410 and gone.json["message"]


def test_post_created_retry_conflict(client, main_survey):
    first = client.post(URL, json=body())
    assert first.status_code == 201 and first.json["status"] == "created"
    again = client.post(URL, json=body())
    assert again.status_code == 200 and again.json["id"] == first.json["id"]
    conflict = client.post(URL, json=body(answers={"overall": 1}))
    assert conflict.status_code == 409 and "другим содержимым" in conflict.json["message"]
    assert stored() == 1
    codes = {a.question_code for a in db.session.get(Response, first.json["id"]).answers}
    assert codes == {"overall", "nps", "purpose"}


def test_post_invalid_is_422_with_errors_by_code(client, main_survey):
    response = client.post(URL, json=body(answers={"overall": 9, "nps": "x", "purpose": "zzz"}))
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"overall", "nps", "purpose"}
    assert "от 1 до 5" in response.json["errors"]["overall"]
    assert client.post(URL, json=body(center="Нигде")).json["errors"] == {"center": "Неизвестный центр обслуживания"}
    assert stored() == 0


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "[]",
        '"text"',
        "{bad json",
    ],
)
def test_post_malformed_is_400(client, main_survey, payload):
    response = client.post(URL, data=payload or "", content_type="application/json")
    assert response.status_code == 400 and response.json["message"]


@pytest.mark.parametrize("drop", ["client_submission_id", "center", "channel", "answers"])
def test_post_missing_field_is_400(client, main_survey, drop):
    data = body()
    del data[drop]
    response = client.post(URL, json=data)
    assert response.status_code == 400 and drop in response.json["message"]


@pytest.mark.parametrize(
    "field, value", [("answers", [1]), ("client_submission_id", 5), ("center", None), ("duration_seconds", "long")]
)
def test_post_wrong_types_are_400(client, main_survey, field, value):
    assert client.post(URL, json=body(**{field: value})).status_code == 400


def test_post_unknown_and_closed(client, main_survey):
    assert client.post("/api/v1/surveys/nope/responses", json=body()).status_code == 404
    services.close(main_survey)
    assert client.post(URL, json=body(sid="after-close-0001")).status_code == 410


def test_kiosk_token(client, main_survey):
    from app.kiosk.models import Kiosk

    center = db.session.scalar(select(Organisation).where(Organisation.code == "LGV")) or db.session.scalar(
        select(Organisation).where(Organisation.kind == "center", Organisation.code != "KUR")
    )
    with write_transaction():
        kiosk = Kiosk(center_id=center.id, name="Зал 1", token_hash=hashlib.sha256(b"kiosk-secret").hexdigest())
        db.session.add(kiosk)
    assert client.post(URL, json=body(channel="kiosk"), headers={"X-Kiosk-Token": "wrong"}).status_code == 403
    data = body(channel="kiosk")
    del data["center"]
    ok = client.post(URL, json=data, headers={"X-Kiosk-Token": "kiosk-secret"})
    assert ok.status_code == 201
    row = db.session.get(Response, ok.json["id"])
    assert row.kiosk_id == kiosk.id and row.center_id == center.id
    with write_transaction():
        kiosk.active = False
    assert (
        client.post(
            URL, json=data | {"client_submission_id": "kiosk-off-00001"}, headers={"X-Kiosk-Token": "kiosk-secret"}
        ).status_code
        == 403
    )


def test_staff_listing_is_scoped_to_visible_centres(client, main_survey, make_user, runner):
    for index, center in enumerate(["KUR", "KUR", "BEL"]):
        assert (
            client.post(
                URL,
                json=body(
                    sid=f"list-resp-{index:04d}",
                    center=center,
                    answers={"overall": 3 + index, "purpose": "other", "purpose__other": "Справка"},
                ),
            ).status_code
            == 201
        )
    company = make_user("marketing", scope="MRSK")
    branch = make_user("manager", scope="KURS")
    operator = make_user("operator", scope="KUR")
    all_token, branch_token = create_token(company.email, "all"), create_token(branch.email, "branch")

    def get(token, **params):
        return client.get(URL, query_string=params, headers={"Authorization": f"Bearer {token}"} if token else {})

    assert get(None).status_code == 401
    assert get("otk_wrong").status_code == 401
    everything = get(all_token)
    assert everything.status_code == 200 and everything.json["total"] == 3
    item = everything.json["items"][0]
    assert item["answers"]["purpose"] == "other" and item["answers"]["purpose__other"] == "Справка"
    scoped = get(branch_token)
    assert scoped.json["total"] == 2 and {i["center"] for i in scoped.json["items"]} == {"KUR"}
    assert get(branch_token, center="BEL").status_code == 404
    assert get(all_token, center="BEL").json["total"] == 1
    assert get(all_token, per_page=1, page=2).json["items"][0]["id"] == everything.json["items"][1]["id"]
    assert get(all_token, **{"from": "2000-01-01", "to": "2000-12-31"}).json["total"] == 0
    assert get(all_token, **{"from": "yesterday"}).status_code == 400
    assert get(create_token(operator.email, "op")).status_code == 403
    assert (
        client.get("/api/v1/surveys/nope/responses", headers={"Authorization": f"Bearer {all_token}"}).status_code
        == 404
    )
    from app.api.models import ApiToken

    token_row = db.session.scalar(select(ApiToken).where(ApiToken.name == "all"))
    assert token_row.last_used_at is not None and token_row.token_hash != all_token
    revoke_token(token_row.id)
    assert get(all_token).status_code == 401

    result = runner.invoke(
        args=["api", "create-token", company.email, "--name", "cli", "--permission", "read:responses"]
    )
    assert result.exit_code == 0, result.output
    cli_token = result.output.strip().splitlines()[-1]
    assert get(cli_token).status_code == 200
    assert runner.invoke(args=["api", "create-token", "nobody@example.test"]).exit_code != 0
