"""Validator messages and fixed choices of the staff forms follow the page's language.

A form class is built once, at import; a message or a choice label written there as a plain Russian string
stayed Russian on English pages. Messages are lazy (`_l`) and the appeal kind, form and channel choices are
lazy labels of their `N_` msgids, so both turn into the reader's language when the form is validated or
rendered, while the stored values stay the codes.
"""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, refresh
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.kiosk.services import INACTIVITY_MAX, INACTIVITY_MIN, register_kiosk
from app.org.services import find_center
from app.surveys.models import Survey
from tests.integration.test_i18n import compiled_catalogues, page  # noqa: F401  (an autouse fixture, by import)


def post(client, url: str, data: dict[str, str], **kwargs) -> str:
    """POST as a fresh request would (see `page`: the locale is cached on the shared test app context)."""
    refresh()
    return client.post(url, data=data, **kwargs).get_data(as_text=True)


def choices(html: str, name: str) -> list[tuple[str, str]]:
    """(value, label) of each option of the select `name`, in order."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def options(html: str, name: str) -> list[str]:
    """The option labels of the select `name`, in order."""
    return [label for _value, label in choices(html, name)]


LOGIN = {
    "en": ("Enter the email address", "Enter your password"),
    "ru": ("Укажите почту", "Введите пароль"),
}


@pytest.mark.parametrize("lang, other", [("en", "ru"), ("ru", "en")])
def test_login_field_errors_follow_the_language(client, lang, other):
    page(client, f"/login?lang={lang}")
    html = post(client, "/login", {"email": "", "password": ""})
    for message in LOGIN[lang]:
        assert message in html
    for message in LOGIN[other]:
        assert message not in html


APPEAL = {
    "en": {
        "kind": ["— choose —", "Complaint", "Application"],
        "form": ["In person", "Remote", "Interactive"],
        "channel": "Personal visit",
        "errors": ("Choose the type of appeal", "Choose the topic of the appeal", "Describe what the customer"),
    },
    "ru": {
        "kind": ["— выберите —", "Жалоба", "Заявление"],
        "form": ["Очно", "Заочно", "Интерактивно"],
        "channel": "Личный визит",
        "errors": ("Выберите вид обращения", "Выберите тему обращения", "Опишите, с чем обратился клиент"),
    },
}


@pytest.mark.parametrize("lang, other", [("en", "ru"), ("ru", "en")])
def test_new_appeal_form_choices_and_errors_follow_the_language(client, org, make_user, login, lang, other):
    login(make_user("operator", scope="KUR"))
    html = page(client, f"/appeals/new?lang={lang}")
    assert options(html, "kind") == APPEAL[lang]["kind"]
    assert options(html, "form") == APPEAL[lang]["form"]
    assert APPEAL[lang]["channel"] in options(html, "channel")
    assert APPEAL[other]["channel"] not in options(html, "channel")
    # The submitted values are the codes, whatever the labels read.
    assert [value for value, _label in choices(html, "kind")] == ["", "complaint", "application"]

    refused = post(
        client,
        "/appeals/new",
        {"kind": "", "form": "in_person", "channel": "visit", "topic": "", "received_at": "2026-12-01T10:00"},
    )
    for message in APPEAL[lang]["errors"]:
        assert message in refused
    for message in APPEAL[other]["errors"]:
        assert message not in refused


def test_deadline_rule_kinds_in_english(client, org, make_user, login):
    login(make_user("admin"))
    html = page(client, "/appeals/admin/deadlines?lang=en")
    assert options(html, "kind") == ["Complaint", "Application"]


@pytest.mark.parametrize(
    "lang, expected",
    [
        ("en", f"Enter the name; From {INACTIVITY_MIN} to {INACTIVITY_MAX} seconds"),
        ("ru", f"Укажите название; От {INACTIVITY_MIN} до {INACTIVITY_MAX} секунд"),
    ],
)
def test_kiosk_settings_errors_are_flashed_in_the_language(client, org, make_user, login, lang, expected):
    """The view joins the field errors into one flash: lazy messages must come out as text."""
    kiosk, _token = register_kiosk(find_center("KUR").id, "Киоск", 60)
    login(make_user("admin"))
    page(client, f"/admin/kiosks?lang={lang}")
    html = post(
        client, f"/admin/kiosks/{kiosk.id}/settings", {"name": "", "inactivity_seconds": "0"}, follow_redirects=True
    )
    assert expected in html


@pytest.mark.parametrize(
    "lang, expected",
    [
        # After the question's name, «Вопрос 1 «…», field label: message» (the label lower-cased).
        ("en", ["question code: 1 to 48 characters: lowercase Latin letters", "question text: Enter the text"]),
        ("ru", ["код вопроса: от 1 до 48 знаков: строчные латинские буквы", "текст вопроса: Укажите текст"]),
    ],
)
def test_designer_question_errors_in_the_language(client, make_user, login, lang, expected):
    """The designer joins each field's errors after its label: lazy messages must come out as text."""
    login(make_user("marketing", scope="MRSK"))
    reply = client.post("/surveys/new", data={"template": "visit-csat", "slug": "form-messages", "title": ""})
    assert reply.status_code == 302
    survey = db.session.scalar(db.select(Survey).where(Survey.slug == "form-messages"))
    page(client, f"/surveys/{survey.id}?lang={lang}")
    html = post(
        client,
        f"/surveys/{survey.id}/questions/0/0",
        {"code": "Плохой код", "type": "rating", "text_ru": "", "style": "numbers", "cond_question": "", "cond_op": ""},
    )
    for message in expected:
        assert message in html


@pytest.mark.parametrize(
    "lang, expected",
    [
        (
            "en",
            {
                "range": f"From {INACTIVITY_MIN} to {INACTIVITY_MAX} seconds",
                "equal": "The passwords do not match",
                "year": "The date must be between 1900 and 2100",
            },
        ),
        (
            "ru",
            {
                "range": f"От {INACTIVITY_MIN} до {INACTIVITY_MAX} секунд",
                "equal": "Пароли не совпадают",
                "year": "Дата должна быть между 1900 и 2100 годом",
            },
        ),
    ],
)
def test_messages_formatted_by_validators_keep_their_values(app, lang, expected):
    """NumberRange and EqualTo format their message with `%`; a lazy message must still get its numbers."""
    from app.appeals.forms import PromiseForm
    from app.auth.forms import PasswordChangeForm
    from app.kiosk.forms import KioskSettingsForm

    with app.test_request_context("/", method="POST"), force_locale(lang):
        kiosk = KioskSettingsForm(MultiDict({"name": "Зал", "inactivity_seconds": "0"}), meta={"csrf": False})
        assert not kiosk.validate()
        assert [str(e) for e in kiosk.inactivity_seconds.errors] == [expected["range"]]

        password = PasswordChangeForm(MultiDict({"current": "a", "new": "b", "confirm": "c"}), meta={"csrf": False})
        assert not password.validate()
        assert [str(e) for e in password.confirm.errors] == [expected["equal"]]

        promise = PromiseForm(MultiDict({"text": "x", "due_at": "0001-01-01T00:00"}), meta={"csrf": False})
        assert not promise.validate()
        assert [str(e) for e in promise.due_at.errors] == [expected["year"]]
