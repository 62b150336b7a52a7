"""Shared helpers of the security suite (no tests here).

Logging in through /login costs an argon2 verification (~1 s under load), so tests that are about
authorisation, not authentication, put the user id into the session the way Flask-Login does after a
login (``<id>:<session_version>``); the authentication tests use the real form.
"""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import escape
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, User, utcnow

ROOT = Path(__file__).resolve().parents[2]
PAYLOADS = [
    line
    for line in (ROOT / "tests/data/xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]
ROLES = ("admin", "marketing", "operator", "manager")


def center_id(code: str) -> int:
    return db.session.scalar(select(Organisation.id).where(Organisation.code == code))


def quick_user(role: str, scope: str | None = None, email: str | None = None) -> User:
    """A staff account without a usable password (the hash is not argon2), for session-injected logins."""
    scope = scope or ("KUR" if role == "operator" else "MRSK")
    with write_transaction():
        user = User(
            email=email or f"{role}-{uuid.uuid4().hex[:8]}@example.test",
            role=role,
            scope_id=center_id(scope),
            password_hash="!unusable",
            name="",
        )
        db.session.add(user)
    return user


def as_user(client, user: User | None):
    """Make ``client`` logged in as ``user`` (None: logged out) without the password round trip."""
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
            session["login_at"] = utcnow().isoformat()
            session.permanent = True
    return client


# --------------------------------------------------------------------------- data with hostile text


def survey_definition(slug: str, text: str) -> dict:
    """A valid definition whose every customer-visible string carries ``text``."""
    return {
        "slug": slug,
        "title": {"ru": f"Анкета {text}"},
        "intro": {"ru": f"Вступление {text}"},
        "thanks": {"ru": f"Спасибо {text}"},
        "pages": [
            {
                "title": {"ru": f"Страница {text}"},
                "questions": [
                    {
                        "code": "overall",
                        "type": "rating",
                        "required": True,
                        "text": {"ru": f"Оценка {text}"},
                        "scale": {"min": 1, "max": 5},
                    },
                    {
                        "code": "pick",
                        "type": "single_choice",
                        "text": {"ru": f"Выбор {text}"},
                        "options": [
                            {"code": "a", "text": {"ru": f"Вариант {text}"}},
                            {"code": "b", "text": {"ru": "Обычный"}},
                        ],
                        "other": True,
                    },
                    {"code": "why", "type": "text", "text": {"ru": f"Комментарий {text}"}},
                ],
            }
        ],
    }


def published_survey(slug: str, text: str, centers=("KUR", "LGV"), channels=("online", "kiosk")):
    from app.surveys import services

    survey = services.create_survey(survey_definition(slug, text))
    services.publish(survey)
    services.assign(survey, [center_id(c) for c in centers], channels)
    return survey


def submit(slug: str, center: str, text: str, other: str | None = None, overall: int = 2) -> int:
    from app.surveys import services

    answers = {"overall": overall, "why": text}
    if other is not None:
        answers.update({"pick": "other", "pick__other": other})
    return services.submit_response(
        slug=slug, center=center, channel="online", answers=answers, client_submission_id=str(uuid.uuid4())
    ).response_id


def review(center: str, text: str, email: str = "", phone: str = "", publish: bool = True):
    from app.reviews.services import ContactInput, EntryInput, submit_entry

    contact = ContactInput(name="Иван", email=email, phone=phone, consent=True) if (email or phone) else None
    return submit_entry(
        EntryInput(
            center_code=center,
            entry_type="complaint",
            topic_code="metering",
            text=text,
            wants_answer=contact is not None,
            publish_consent=publish,
            contact=contact,
            client_submission_id=str(uuid.uuid4()),
        )
    ).entry


def appeal(center: str, text: str, contact_id: int | None = None):
    from app.appeals.services import register_appeal

    return register_appeal(
        kind="complaint",
        form="remote",
        channel="phone",
        topic_code="metering",
        center_id=center_id(center),
        received_at=utcnow(),
        text=text,
        contact_id=contact_id,
    )


# --------------------------------------------------------------------------- HTML checks


class _Scanner(HTMLParser):
    """Collects what an injected payload would need: script elements, event handlers, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._in_script = True
            if not dict(attrs).get("src"):
                self.problems.append("inline <script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name}= on <{tag}>")
            if (
                name in ("href", "src", "action", "formaction", "xlink:href")
                and value
                and value.strip().lower().replace("\t", "").replace("\n", "").startswith(("javascript:", "data:text"))
            ):
                self.problems.append(f"{name}={value!r} on <{tag}>")
        if tag in ("svg", "img", "iframe", "object", "embed") and any("alert" in (v or "") for _, v in attrs):
            self.problems.append(f"<{tag}> carrying a payload")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("script body: " + data.strip()[:60])


def injection_problems(html: str) -> list[str]:
    scanner = _Scanner()
    scanner.feed(html)
    return scanner.problems


def assert_escaped(html: str, payloads: list[str] | None = None, shown: list[str] | None = None) -> None:
    """No payload appears as markup; every payload in ``shown`` appears escaped (so the page showed it)."""
    problems = injection_problems(html)
    assert not problems, problems
    for payload in payloads if payloads is not None else PAYLOADS:
        if any(ch in payload for ch in "<>\"'"):
            assert payload not in html, f"raw payload in page: {payload!r}"
    assert "<script>alert(1)" not in html
    for payload in shown or []:
        assert str(escape(payload)) in html, f"payload not shown escaped: {payload!r}"
