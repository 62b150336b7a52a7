"""API v1 bodies are pydantic models: the served OpenAPI document carries their schemas in the 3.0 dialect,
and the replies validate against the models (which forbid undocumented fields)."""

from __future__ import annotations

import json

from app.api.bodies import MODELS, Error, Health, PublishedSurvey, ResponsePage, component_schemas
from app.api.openapi import openapi_document
from app.api.tokens import create_token
from app.surveys import services
from app.surveys.demo import seed_main_survey

SURVEY = "/api/v1/surveys/visit-csat"


def _walk(node, path=""):
    """Every (path, key, value) of a JSON document, keys of "properties" maps excluded."""
    if isinstance(node, dict):
        for key, value in node.items():
            if not path.endswith("/properties"):
                yield path, key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk(item, f"{path}/{index}")


def test_the_served_document_is_the_generated_one(client):
    served = client.get("/api/v1/openapi.json").json
    assert served == json.loads(json.dumps(openapi_document()))
    generated = component_schemas()
    assert {model.__name__ for model in MODELS} == set(generated)
    for name, schema in generated.items():
        assert served["components"]["schemas"][name] == schema
    assert served["paths"]["/health"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }


def test_the_document_speaks_openapi_30(client):
    """OpenAPI 3.0 has no const, no null type, no $defs; every reference points at a component."""
    document = client.get("/api/v1/openapi.json").json
    components = document["components"]["schemas"]
    for path, key, value in _walk(document):
        assert key not in ("const", "$defs", "examples"), path
        assert not (key == "type" and (value == "null" or isinstance(value, list))), path
        if key == "$ref":
            assert value.startswith("#/components/schemas/") and value.rsplit("/", 1)[1] in components, path
    item = components["ResponseItem"]["properties"]
    assert item["center"] == {"type": "string", "nullable": True}
    assert "title" not in components["PublishedSurvey"] and "additionalProperties" not in components["Error"]
    assert components["Error"]["required"] == ["message"]


def test_replies_validate_against_their_models(client, org, make_user):
    Health.model_validate(client.get("/api/v1/health").json)
    seed_main_survey()
    definition = client.get(SURVEY)
    assert PublishedSurvey.model_validate(definition.json).slug == "visit-csat"
    posted = client.post(
        SURVEY + "/responses",
        json={"client_submission_id": "bodies-000001", "center": "KUR", "channel": "online", "answers": {"overall": 5}},
    )
    assert posted.status_code == 201
    token = create_token(make_user("marketing", scope="MRSK").email, "bodies")
    listing = client.get(SURVEY + "/responses", headers={"Authorization": f"Bearer {token}"})
    page = ResponsePage.model_validate(listing.json)
    assert page.total == 1 and page.items[0].center == "KUR" and page.items[0].submitted_at.endswith("Z")
    missing = client.post(SURVEY + "/responses", json={"channel": "online"})
    refusal = Error.model_validate(missing.json)
    assert missing.status_code == 400 and refusal.missing == ["client_submission_id", "answers", "center"]
    assert refusal.message.startswith("Не хватает полей")


def test_domain_errors_keep_their_status_and_russian_message(client, org, make_user):
    seed_main_survey()
    survey = services.get_survey("visit-csat")
    nobody = client.get(SURVEY + "/responses")
    assert nobody.status_code == 401 and nobody.headers["WWW-Authenticate"] == 'Bearer realm="otklik"'
    assert Error.model_validate(nobody.json).error == "unauthorized"
    assert nobody.json["message"] == "Нужен токен API: заголовок Authorization: Bearer <токен>."
    headers = {"Authorization": f"Bearer {create_token(make_user('marketing', scope='MRSK').email, 'e')}"}
    assert client.get(SURVEY + "/responses", query_string={"page": "0"}, headers=headers).json == {
        "error": "bad_request",
        "message": "page начинается с 1, per_page от 1 до 500.",
    }
    assert client.get("/api/v1/surveys/nope/responses", headers=headers).json == {
        "error": "not_found",
        "message": "Анкета не найдена",
    }
    assert client.get("/api/v1/surveys/nope").json == {"error": "not_found", "message": "Анкета не найдена"}
    services.close(survey)
    closed = client.get(SURVEY)
    assert closed.status_code == 410 and closed.json == {
        "error": "gone",
        "message": "Опрос завершен и больше не принимает ответы",
    }
