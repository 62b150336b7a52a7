"""API tokens: permissions, expiry, `flask api create-token` and the migration's defaults."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from app import create_app
from app.api.models import ApiToken
from app.api.tokens import TokenError, create_token
from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent, utcnow
from app.surveys.demo import seed_main_survey
from tests.conftest import BASE_CONFIG, migrate_to_head

LIST = "/api/v1/surveys/visit-csat/responses"
REPORT = "/api/v1/surveys/visit-csat/report?period=2026Q1"


@pytest.fixture
def survey(org):
    return seed_main_survey()[0]


def get(client, url: str, token: str):
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


def row(name: str) -> ApiToken:
    return db.session.scalar(select(ApiToken).where(ApiToken.name == name))


def test_read_endpoints_need_their_permission(client, survey, make_user):
    email = make_user("manager", scope="MRSK").email
    responses_only = create_token(email, "responses", ["read:responses"])
    reports_only = create_token(email, "reports", ["read:reports"])
    write_only = create_token(email, "write", ["write:responses"])
    both = create_token(email, "both", ["read:responses", "read:reports"])
    assert get(client, LIST, responses_only).status_code == 200
    refused = get(client, LIST, reports_only)
    assert refused.status_code == 403 and "read:responses" in refused.json["message"]
    assert get(client, LIST, write_only).status_code == 403
    assert get(client, REPORT, reports_only).status_code == 200
    refused = get(client, REPORT, responses_only)
    assert refused.status_code == 403 and "read:reports" in refused.json["message"]
    assert get(client, REPORT, write_only).status_code == 403
    assert get(client, LIST, both).status_code == 200 and get(client, REPORT, both).status_code == 200


def test_an_expired_token_is_refused(client, survey, make_user):
    token = create_token(make_user("manager", scope="MRSK").email, "short", ["read:responses"], expires_days=1)
    assert get(client, LIST, token).status_code == 200
    with write_transaction():
        row("short").expires_at = utcnow() - timedelta(minutes=1)
    reply = get(client, LIST, token)
    assert reply.status_code == 401 and "истек" in reply.json["message"]
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def test_new_tokens_expire_after_365_days_by_default(app, make_user):
    create_token(make_user("manager", scope="MRSK").email, "default")
    made = row("default")
    assert made.expires_at is not None
    assert timedelta(days=365) - timedelta(minutes=1) < made.expires_at - made.created_at <= timedelta(days=365)
    assert made.permission_set == {"read:responses", "read:reports"}


@pytest.mark.parametrize(
    "permissions, days", [([], 30), (["read:everything"], 30), (["read:reports"], 0), (["read:reports"], 100_000)]
)
def test_create_token_refuses_bad_permissions_and_expiry(app, make_user, permissions, days):
    email = make_user("manager", scope="MRSK").email
    with pytest.raises(TokenError):
        create_token(email, "bad", permissions, days)
    assert row("bad") is None


def test_cli_create_token_with_permissions_and_expiry(client, survey, make_user, runner):
    email = make_user("manager", scope="MRSK").email
    result = runner.invoke(
        args=[
            "api",
            "create-token",
            email,
            "--name",
            "bi",
            "--permission",
            "read:reports",
            "--permission",
            "read:responses",
            "--expires-days",
            "30",
        ]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    made = row("bi")
    assert made.permissions == "read:responses read:reports"  # canonical order, whatever the order typed
    assert timedelta(days=30) - timedelta(minutes=1) < made.expires_at - made.created_at <= timedelta(days=30)
    assert get(client, LIST, secret).status_code == 200
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "api.token_create"))
    assert audit.details["permissions"] == ["read:responses", "read:reports"]

    writer = runner.invoke(args=["api", "create-token", email, "--name", "calls", "--permission", "write:responses"])
    assert writer.exit_code == 0, writer.output
    assert row("calls").permission_set == {"write:responses"}
    assert get(client, LIST, writer.output.strip().splitlines()[-1]).status_code == 403


@pytest.mark.parametrize(
    "extra, message",
    [
        ([], "--permission"),
        (["--permission", "admin"], "Неизвестное право"),
        (["--permission", "read:reports", "--expires-days", "0"], "Срок действия"),
        (["--permission", "read:reports", "--expires-days", "٣"], "целое число"),
        (["--permission", "read:reports", "--expires-days", "-5"], "целое число"),
    ],
)
def test_cli_create_token_refusals_are_russian(make_user, runner, extra, message):
    email = make_user("manager", scope="MRSK").email
    result = runner.invoke(args=["api", "create-token", email, "--name", "bad", *extra])
    assert result.exit_code != 0 and message in result.output, result.output
    assert row("bad") is None


def test_migration_gives_existing_tokens_read_permissions_and_no_expiry(fresh_database_url):
    """A token stored before migration 0005 keeps reading responses and reports, never expires, cannot write."""
    from flask_migrate import downgrade, upgrade

    from tests.conftest import ROOT

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": fresh_database_url})
    migrate_to_head(app)
    with app.app_context():
        from app.auth.services import create_user
        from app.demo import seed

        seed(org_only=True, log=lambda _msg: None)
        seed_main_survey()
        user = create_user("old-token@example.test", "manager", "correct-horse-battery", "MRSK")
        downgrade(directory=str(ROOT / "migrations"), revision="0004_review_duplicate_index")
        with db.engine.begin() as connection:
            assert "permissions" not in {c["name"] for c in inspect(connection).get_columns("api_token")}
            connection.execute(
                text("INSERT INTO api_token (user_id, token_hash, name, created_at) VALUES (:user, :hash, 'old', :at)"),
                {"user": user.id, "hash": hashlib.sha256(b"otk_old").hexdigest(), "at": utcnow()},
            )
        upgrade(directory=str(ROOT / "migrations"))
        db.session.remove()
        old = row("old")
        assert old.permission_set == {"read:responses", "read:reports"} and old.expires_at is None
        client = app.test_client()
        assert get(client, LIST, "otk_old").status_code == 200
        assert get(client, REPORT, "otk_old").status_code == 200
        phone = client.post(
            "/api/v1/surveys/visit-csat/responses",
            headers={"Authorization": "Bearer otk_old"},
            json={
                "client_submission_id": "old-token-phone-1",
                "center": "KUR",
                "channel": "phone",
                "answers": {"overall": 4},
            },
        )
        assert phone.status_code == 403
        db.session.remove()
        db.engine.dispose()
