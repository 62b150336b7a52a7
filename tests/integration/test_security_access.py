"""Access control: the role × endpoint matrix from the URL map, API tokens, and IDOR between centres."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.routing import IntegerConverter

from app.api.tokens import create_token, revoke_token
from app.appeals.models import Appeal, Promise
from app.appeals.services import add_promise
from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import register_kiosk
from app.models import utcnow
from app.reviews.models import ReviewEntry
from tests.integration.test_security_support import (
    ROLES,
    appeal,
    as_user,
    center_id,
    published_survey,
    quick_user,
    review,
    submit,
)

SAMPLE_ARGS = {"integer": 1, "default": "KUR", "unicode": "KUR", "path": "x"}
FMT = {"appeals.export": "csv", "appeals.report_download": "json"}


def staff_rules(app):
    for rule in app.url_map.iter_rules():
        roles = getattr(app.view_functions[rule.endpoint], "_staff_roles", None)
        if roles is not None:
            yield rule, roles


def sample_url(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        kind = (
            "integer"
            if isinstance(converter, IntegerConverter)
            else (type(converter).__name__.replace("Converter", "").lower() or "default")
        )
        values[name] = FMT.get(rule.endpoint) if name == "fmt" else SAMPLE_ARGS.get(kind, "KUR")
    return rule.build(values, append_unknown=False)[1]


def test_every_view_is_staff_or_public(app):
    """The decorator marks are the source of the matrix: no view may have neither (except the listed ones)."""
    unmarked = {
        r.endpoint
        for r in app.url_map.iter_rules()
        if not hasattr(app.view_functions[r.endpoint], "_staff_roles")
        and not getattr(app.view_functions[r.endpoint], "_public", False)
    }
    assert unmarked <= {
        "static",
        "main.index",
        "main.healthz",
        "main.hello",
        "main.favicon",
        "auth.login",
        "auth.logout",
    }, unmarked


def test_role_matrix_matches_the_declared_roles(app, org):
    clients = {}
    for role in ROLES:
        clients[role] = as_user(app.test_client(), quick_user(role))
    anonymous = app.test_client()
    mismatches, checked = [], 0
    for rule, roles in sorted(staff_rules(app), key=lambda item: item[0].rule):
        url = sample_url(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        for role in ROLES:
            allowed = role == "admin" or role in roles
            checked += 1
            try:
                response = clients[role].open(url, method=method)
            except Exception:  # a crash is a different test (below); here: was it refused?
                if not allowed:
                    mismatches.append(f"{method} {url} as {role}: crashed instead of 403")
                continue
            refused = response.status_code == 403
            login_redirect = response.status_code == 302 and "/login" in response.headers.get("Location", "")
            if allowed == refused or login_redirect:
                mismatches.append(f"{method} {url} as {role}: {response.status_code}, declared {roles}")
        anon = anonymous.open(url, method=method)
        if not (anon.status_code in (401, 302) and (anon.status_code == 401 or "/login" in anon.headers["Location"])):
            mismatches.append(f"{method} {url} anonymous: {anon.status_code}")
    from app.reports import services as reports

    for archive_id in list(reports._threads):
        reports.wait_for(archive_id)
    assert checked > 200
    assert mismatches == []


def test_staff_pages_do_not_fail_for_an_allowed_role(app, org):
    """Admin passes every role check: each staff URL with sample arguments answers without a server error."""
    admin = as_user(app.test_client(), quick_user("admin"))
    errors = []
    for rule, _roles in sorted(staff_rules(app), key=lambda item: item[0].rule):
        url = sample_url(rule)
        method = "GET" if "GET" in rule.methods else "POST"
        try:
            response = admin.open(url, method=method)
        except Exception as exc:  # TESTING propagates exceptions instead of a 500 page
            errors.append(f"{method} {url}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code >= 500:
            errors.append(f"{method} {url}: {response.status_code}")
    from app.reports import services as reports

    for archive_id in list(reports._threads):
        reports.wait_for(archive_id)
    assert errors == []


def test_post_only_staff_endpoints_refuse_other_roles_before_reading_the_body(app, org):
    """A refused role gets 403 even with a plausible body (the role check runs before the view)."""
    operator = as_user(app.test_client(), quick_user("operator"))
    for rule, roles in staff_rules(app):
        if "operator" in roles or "POST" not in rule.methods:
            continue
        response = operator.post(sample_url(rule), data={"name": "x", "action": "publish", "to_status": "closed"})
        assert response.status_code == 403, rule.rule


# --------------------------------------------------------------------------- API


def test_api_staff_listing_needs_a_valid_token_of_an_allowed_role(client, org):
    survey = published_survey("api-acl", "Анкета", centers=("KUR", "LGV"))
    submit(survey.slug, "KUR", "Курск")
    submit(survey.slug, "LGV", "Льгов")
    url = f"/api/v1/surveys/{survey.slug}/responses"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer otk_wrong"}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic YTpi"}).status_code == 401
    as_user(client, quick_user("admin"))
    assert client.get(url).status_code == 401, "a staff session cookie is not an API credential"
    as_user(client, None)
    tokens = {}
    for role in ROLES:
        user = quick_user(role)
        tokens[role] = create_token(user.email, "test")
    for role, token in tokens.items():
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == (403 if role == "operator" else 200), role
    from app.api.models import ApiToken

    revoke_token(db.session.scalar(select(ApiToken.id).where(ApiToken.name == "test").order_by(ApiToken.id.desc())))
    assert client.get(url, headers={"Authorization": f"Bearer {tokens['manager']}"}).status_code == 401

    kur_manager = quick_user("manager", "KUR")
    token = create_token(kur_manager.email, "kur")
    items = client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()["items"]
    assert {item["center"] for item in items} == {"KUR"}
    assert client.get(url + "?center=LGV", headers={"Authorization": f"Bearer {token}"}).status_code == 404


def test_public_api_endpoints_need_no_token_and_kiosk_posts_need_a_valid_kiosk_token(client, org):
    survey = published_survey("api-public", "Анкета", centers=("KUR",))
    assert client.get("/api/v1/health").status_code == 200
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get(f"/api/v1/surveys/{survey.slug}").status_code == 200
    body = {"client_submission_id": str(uuid.uuid4()), "answers": {"overall": 4}}
    bad = client.post(f"/api/v1/surveys/{survey.slug}/responses", json=body, headers={"X-Kiosk-Token": "nope"})
    assert bad.status_code == 403
    _kiosk, token = register_kiosk(center_id("KUR"), "Киоск")
    good = client.post(f"/api/v1/surveys/{survey.slug}/responses", json=body, headers={"X-Kiosk-Token": token})
    assert good.status_code == 201
    assert client.post("/kiosk/reviews", json={}, headers={"X-Kiosk-Token": "x" * 32}).status_code == 404
    assert client.post("/kiosk/heartbeat", json={}, headers={"X-Kiosk-Token": "x" * 32}).status_code == 404
    assert client.post("/kiosk/reviews", json={}).status_code == 404


# --------------------------------------------------------------------------- IDOR


@pytest.fixture
def two_centres(org):
    """Objects of LGV that a KUR operator must not reach, and one KUR appeal for contrast."""
    foreign = appeal("LGV", "Льгов: текст обращения")
    own = appeal("KUR", "Курск: текст обращения")
    promise = add_promise(foreign, "Перезвонить", utcnow() + timedelta(days=2), None)
    entry = review("LGV", "Льгов: запись в книге", publish=True)
    survey = published_survey("idor", "Анкета", centers=("KUR", "LGV"))
    response_id = submit(survey.slug, "LGV", "Льгов: ответ")
    kiosk, _token = register_kiosk(center_id("LGV"), "Киоск Льгов")
    return {
        "appeal": foreign,
        "own": own,
        "promise": promise,
        "entry": entry,
        "response": response_id,
        "kiosk": kiosk,
        "survey": survey,
    }


def test_kur_operator_cannot_read_or_change_lgv_appeals(client, two_centres):
    as_user(client, quick_user("operator", "KUR"))
    foreign = two_centres["appeal"]
    assert client.get(f"/appeals/{two_centres['own'].id}").status_code == 200
    assert client.get(f"/appeals/{foreign.id}").status_code == 404
    posts = {
        "status": {"to_status": "in_progress"},
        "answer": {"summary": "Ответ"},
        "close": {"root_cause": "1"},
        "promise": {"text": "x", "due_at": "2030-01-01T10:00"},
        "action": {"action_id": ""},
    }
    for action, data in posts.items():
        assert client.post(f"/appeals/{foreign.id}/{action}", data=data).status_code == 404, action
    assert client.post(f"/appeals/promise/{two_centres['promise'].id}/resolve", data={"kept": "1"}).status_code == 404
    db.session.expire_all()
    unchanged = db.session.get(Appeal, foreign.id)
    assert (unchanged.status, unchanged.answer_summary, len(unchanged.promises)) == ("registered", "", 1)
    assert db.session.get(Promise, two_centres["promise"].id).status == "open"
    queue = client.get("/appeals/").get_data(as_text=True)
    assert f'href="/appeals/{foreign.id}"' not in queue and f'href="/appeals/{two_centres["own"].id}"' in queue
    export = client.get("/appeals/export.csv").data.decode("utf-8-sig")
    assert "Льгов: текст обращения" not in export
    new = client.post(
        "/appeals/new",
        data={
            "kind": "complaint",
            "form": "remote",
            "channel": "phone",
            "topic": "metering",
            "center": str(center_id("LGV")),
            "received_at": "2026-01-10T10:00",
            "text": "x",
        },
    )
    assert new.status_code in (200, 404)
    assert db.session.scalar(select(func.count()).select_from(Appeal).where(Appeal.text == "x")) == 0


def test_kur_operator_cannot_moderate_lgv_review_entries(client, two_centres):
    as_user(client, quick_user("operator", "KUR"))
    entry = two_centres["entry"]
    assert client.post(f"/reviews/moderation/{entry.id}", data={"action": "publish"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ReviewEntry, entry.id).moderation == "pending"
    listing = client.get("/reviews/moderation?state=all").get_data(as_text=True)
    assert "Льгов: запись в книге" not in listing


def test_centre_scoped_staff_cannot_read_other_centres_responses(client, two_centres):
    as_user(client, quick_user("manager", "KUR"))
    assert client.get(f"/surveys/responses/{two_centres['response']}").status_code == 404
    listing = client.get("/surveys/responses").get_data(as_text=True)
    assert "Льгов" not in listing.split("<main", 1)[-1].split("<select", 1)[0]
    export = client.get(f"/surveys/responses/export?survey={two_centres['survey'].id}&format=csv")
    assert "Льгов: ответ" not in export.data.decode("utf-8-sig")
    as_user(client, quick_user("operator", "KUR"))
    assert client.get(f"/surveys/responses/{two_centres['response']}").status_code == 403


def test_operator_cannot_touch_kiosks(client, two_centres):
    as_user(client, quick_user("operator", "KUR"))
    kiosk = two_centres["kiosk"]
    for action in ("revoke", "reissue", "settings"):
        assert client.post(f"/admin/kiosks/{kiosk.id}/{action}", data={"name": "x"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Kiosk, kiosk.id).revoked_at is None
