"""English second language: ?lang=en switches the UI and is remembered; the en catalogue is complete.

Labels whose Russian text lives in Python constants are marked where they are defined: `_l` (lazy_gettext,
printed in the reader's language) or, where the label is also data, `N_` (app/i18n.py: extracted, translated
on display). `test_runtime_labels_are_marked` proves every such constant is one or the other.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import refresh
from flask_babel.speaklater import LazyString

from app.extensions import db
from app.models import Organisation, OrgKind

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
CYRILLIC = re.compile("[А-Яа-яЁё]")


def read_catalog(lang: str):
    with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=lang)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """Compile a catalogue whose .mo is missing or older than its .po (what `make translations` does)."""
    for lang in ("ru", "en"):
        po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            catalog = read_catalog(lang)
            with open(mo, "wb") as handle:
                write_mo(handle, catalog, use_fuzzy=False)


def page(client, url: str) -> str:
    """GET a page as a fresh request would see it.

    Flask-Babel caches the locale on `g`; the test app context is shared by all requests of a test, so
    without refresh() a later request would reuse the first request's language instead of the session's.
    """
    refresh()
    return client.get(url).get_data(as_text=True)


def runtime_labels() -> list[tuple[str | LazyString, str]]:
    """Russian labels kept in Python (plain or lazy) and where they come from."""
    from flask_wtf import FlaskForm

    from app import nav
    from app.analysis.models import ACTION_STATUSES
    from app.appeals.models import CHANNELS, FORMS, KINDS, PROMISE_STATUSES, SOURCE_LABELS, STATUSES
    from app.appeals.periods import PARTS
    from app.main.audit_view import ACTION_LABELS, OBJECT_LABELS
    from app.main.errors import MESSAGES
    from app.models import ROLE_LABELS
    from app.org.timezones import TIMEZONE_LABELS
    from app.reports.services import REPORT_TYPES
    from app.reviews.models import CHECK_STATES, ENTRY_TYPES, MODERATION
    from app.surveys.designer import STATUS_LABELS
    from app.surveys.forms import OP_LABELS, QUESTION_TYPE_LABELS
    from app.surveys.models import CHANNEL_LABELS

    found: list[tuple[str | LazyString, str]] = []

    def add(texts, source: str) -> None:
        for text in texts:
            if isinstance(text, LazyString | str) and CYRILLIC.search(str(text)):
                found.append((text, source))

    add((label for _endpoint, label, _roles in nav.NAVIGATION), "app.nav.NAVIGATION")
    add(ROLE_LABELS.values(), "app.models.ROLE_LABELS")
    add((Organisation(kind=kind.value).kind_label for kind in OrgKind), "app.models.Organisation.kind_label")
    for code, (title, text) in MESSAGES.items():
        add((title, text), f"app.main.errors.MESSAGES[{code}]")
    for name, mapping in [
        ("ENTRY_TYPES", ENTRY_TYPES),
        ("MODERATION", MODERATION),
        ("CHECK_STATES", CHECK_STATES),
        ("KINDS", KINDS),
        ("FORMS", FORMS),
        ("CHANNELS", CHANNELS),
        ("STATUSES", STATUSES),
        ("PROMISE_STATUSES", PROMISE_STATUSES),
        ("ACTION_STATUSES", ACTION_STATUSES),
        ("REPORT_TYPES", REPORT_TYPES),
        ("CHANNEL_LABELS", CHANNEL_LABELS),
        ("STATUS_LABELS", STATUS_LABELS),
        ("QUESTION_TYPE_LABELS", QUESTION_TYPE_LABELS),
        ("OP_LABELS", OP_LABELS),
        ("ACTION_LABELS", ACTION_LABELS),
        ("OBJECT_LABELS", OBJECT_LABELS),
        ("TIMEZONE_LABELS", TIMEZONE_LABELS),
        ("SOURCE_LABELS", SOURCE_LABELS),
    ]:
        add(mapping.values(), name)
    add((label for label, _first, _last in PARTS.values()), "app.appeals.periods.PARTS")

    # Form field labels (macros.field translates them) and fixed choices some templates translate.
    forms: list[type] = []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        cls = pending.pop()
        forms.append(cls)
        pending.extend(cls.__subclasses__())
    for cls in forms:
        if not cls.__module__.startswith("app."):
            continue
        form = cls(meta={"csrf": False})
        for field in form:
            add([field.label.text], f"{cls.__module__}.{cls.__name__}.{field.name}")
            choices = getattr(field, "choices", None) or []
            add(
                (
                    choice[1]
                    for choice in choices
                    if isinstance(choice, tuple | list) and len(choice) == 2 and isinstance(choice[1], str | LazyString)
                ),
                f"{cls.__module__}.{cls.__name__}.{field.name} choices",
            )
    return found


def test_login_page_is_russian_by_default(client):
    html = page(client, "/login")
    assert "Вход для сотрудников" in html and "Электронная почта" in html
    assert "Staff sign-in" not in html
    assert '<html lang="ru">' in html


def test_lang_switch_is_remembered_in_the_session(client):
    html = page(client, "/login?lang=en")
    assert "Staff sign-in" in html
    assert "Вход для сотрудников" not in html
    # Form labels come from Python and are translated by the field macro.
    assert ">Email<" in html and ">Password<" in html

    again = page(client, "/login")
    assert "Staff sign-in" in again
    assert '<html lang="en">' in again
    with client.session_transaction() as session:
        assert session["lang"] == "en"

    back = page(client, "/login?lang=ru")
    assert "Вход для сотрудников" in back and "Staff sign-in" not in back
    assert "Вход для сотрудников" in page(client, "/login")


def test_unknown_language_keeps_russian(client):
    html = page(client, "/login?lang=de")
    assert "Вход для сотрудников" in html


def test_not_found_page_in_english(client):
    page(client, "/login?lang=en")
    refresh()
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert "Страница не найдена" not in html


def test_not_found_page_in_russian_by_default(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Страница не найдена" in response.get_data(as_text=True)


def test_customer_review_form_in_english(client, org):
    center = db.session.scalar(
        db.select(Organisation).where(Organisation.kind == OrgKind.CENTER).order_by(Organisation.code)
    )
    refresh()
    response = client.get(f"/reviews/{center.code}/new?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Book of reviews and suggestions" in html
    assert "Complaint" in html and "Gratitude" in html
    assert "Continue" in html
    assert "Книга отзывов и предложений" not in html
    # The centre's own name is data, not UI text: it stays as entered.
    assert center.name in html


def test_staff_shell_in_english(client, make_user, login):
    login(make_user("admin"))
    html = page(client, "/dashboard?lang=en")
    assert "Sign out" in html and "Administrator" in html
    assert "Users" in html and "Выйти" not in html


def test_operator_dashboard_names_scope_kind_in_english(client, make_user, login):
    login(make_user("operator", scope="KUR"))
    html = page(client, "/dashboard?lang=en")
    assert "Service centre operator" in html and "Service centre «" in html
    assert "ЦОК «" not in html


def test_staff_shell_stays_russian_by_default(client, make_user, login):
    login(make_user("admin"))
    html = page(client, "/dashboard")
    assert "Выйти" in html and "Администратор" in html


def test_english_catalogue_is_complete():
    catalog = read_catalog("en")
    missing = [m.id for m in catalog if m.id and not (m.string if isinstance(m.id, str) else all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert len(catalog) > 100
    assert not missing, f"untranslated msgids: {missing[:20]}"
    assert not fuzzy, f"fuzzy msgids: {fuzzy[:20]}"


@functools.cache
def extracted_messages() -> list[tuple[str, str]]:
    """(file, msgid) of every message `pybabel extract` finds with babel.cfg (its keywords: `_l`, `N_`, …).

    Once per test process: parsing every source takes about 3 s and the sources do not change during a run."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return [
        (filename, message if isinstance(message, str) else message[0])
        for filename, _line, message, _comments, _context in extract_from_dir(str(ROOT), method_map, options_map)
    ]


def test_catalogue_is_extracted_from_the_current_sources():
    """A new `_("…")` in a template must reach the catalogue (re-run extraction, then translate it)."""
    in_sources = {message for _file, message in extracted_messages()}
    in_catalogue = {m.id if isinstance(m.id, str) else m.id[0] for m in read_catalog("en") if m.id}
    missing = sorted(in_sources - in_catalogue)
    assert not missing, f"run pybabel extract/update and translate: {missing[:20]}"


def test_english_translations_keep_placeholders():
    """A translation must use the same %(name)s placeholders; a bare % breaks Jinja's formatting."""
    placeholder = re.compile(r"%\((\w+)\)s")
    for message in read_catalog("en"):
        if not message.id or not isinstance(message.id, str):
            continue
        assert set(placeholder.findall(message.string)) == set(placeholder.findall(message.id)), message.id
        assert message.string != message.id, message.id


def test_catalogues_cover_the_same_msgids():
    assert {m.id for m in read_catalog("en") if m.id} == {m.id for m in read_catalog("ru") if m.id}


def unmarked_labels(labels: list[tuple[str | LazyString, str]]) -> dict[str, str]:
    """Labels that would stay Russian in English: a lazy label whose msgid has no translation, a plain one that
    extraction does not find in the Python sources (no `N_` where it is defined) or that has no translation."""
    catalog = read_catalog("en")
    in_python = {message for filename, message in extracted_messages() if filename.endswith(".py")}

    def translated(msgid: str) -> bool:
        message = catalog.get(msgid)
        return message is not None and bool(message.string)

    unmarked: dict[str, str] = {}
    for label, source in labels:
        msgid = label._args[0] if isinstance(label, LazyString) else label
        if not translated(msgid) or (isinstance(label, str) and msgid not in in_python):
            unmarked.setdefault(msgid, source)
    return unmarked


def test_runtime_labels_are_marked(app):
    """Every label living in Python is lazy (`_l`) or extracted (`N_`) and translated; otherwise it silently
    stays Russian on an English page."""
    with app.test_request_context():
        labels = runtime_labels()
    msgids = {label._args[0] if isinstance(label, LazyString) else label for label, _source in labels}
    assert "Главная" in msgids and "Электронная почта" in msgids and "Жалоба" in msgids
    assert any(isinstance(label, LazyString) for label, _source in labels)
    assert any(isinstance(label, str) for label, _source in labels)
    unmarked = unmarked_labels(labels)
    assert not unmarked, f"mark these with _l (or N_ where they are data) where defined and translate them: {unmarked}"
    # Jinja formats every _() result with %, so a label with a bare % would break the page.
    assert not [msgid for msgid in msgids if re.search(r"%(?!\(\w+\)s|%)", msgid)]


def test_a_bare_label_is_caught():
    """The guard above can fail: a plain Russian label that nothing marks, or a lazy one nobody translated."""
    from flask_babel import lazy_gettext

    assert unmarked_labels([("Жалоба", "KINDS")]) == {}
    assert unmarked_labels([(lazy_gettext("Главная"), "NAVIGATION")]) == {}
    assert unmarked_labels([("Новый вид без пометки", "KINDS")]) == {"Новый вид без пометки": "KINDS"}
    assert unmarked_labels([(lazy_gettext("Новый пункт меню"), "NAVIGATION")]) == {"Новый пункт меню": "NAVIGATION"}
    # A plain label only a template translates is not marked where it is defined.
    assert unmarked_labels([("Вход для сотрудников", "NAVIGATION")]) == {"Вход для сотрудников": "NAVIGATION"}


def test_english_rendering_uses_compiled_catalogue(app):
    """The .mo the app loads agrees with the .po (a stale compile would show Russian)."""
    from flask_babel import force_locale, gettext

    catalog = read_catalog("en")
    with app.test_request_context(), force_locale("en"):
        for message in catalog:
            if message.id and isinstance(message.id, str) and "%" not in message.id and not message.context:
                assert gettext(message.id) == message.string, message.id


@pytest.mark.parametrize("lang, needle", [("ru", "Книга отзывов: модерация"), ("en", "Review book: moderation")])
def test_moderation_filter_labels(client, make_user, login, lang, needle):
    login(make_user("operator"))
    html = page(client, f"/reviews/moderation?lang={lang}")
    assert needle in html
    assert ("На модерации" in html) == (lang == "ru")


def test_surveys_question_scale_in_english(app):
    """The face-scale names of _questions.html are translated where the macro prints them."""
    from flask_babel import force_locale, gettext

    with app.test_request_context(), force_locale("en"):
        assert gettext("очень плохо") == "very bad"


def test_appeal_subtype_question_in_english(client, org, make_user, login):
    """The subtype «вопрос» has its own msgid (context "appeal subtype") and reads «question» in English. Before,
    it leaned on the singular of the plural noun «вопрос/вопросы» of the review book's counts (gettext falls
    back to a plural entry's first form), so a change to that noun would have renamed the subtype."""
    subtype = read_catalog("en").get("вопрос", context="appeal subtype")
    assert subtype is not None and subtype.string == "question"
    from datetime import datetime

    from sqlalchemy import select

    from app.appeals.services import create_appeal_in_session
    from app.database import write_transaction

    center = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    with write_transaction():
        appeal = create_appeal_in_session(
            kind="application",
            form="interactive",
            channel="web",
            topic_code="metering",
            center_id=center.id,
            received_at=datetime(2026, 3, 10, 9, 0),
            subtype="question",
        )
    login(make_user("operator", scope="KUR"))
    for url in ("/appeals/", f"/appeals/{appeal.id}"):
        english = page(client, f"{url}?lang=en")
        assert "Application (question)" in english, url
        assert "(вопрос)" not in english, url
        russian = page(client, f"{url}?lang=ru")
        assert "Заявление (вопрос)" in russian, url


def test_face_names_follow_each_request_language(app):
    """The face names are translated when the macro runs, not once when the template is first imported."""
    from flask import render_template_string
    from flask_babel import force_locale

    source = '{% from "surveys/_questions.html" import face_name %}{{ face_name(1) }}|{{ face_name(5) }}'
    with app.test_request_context(), force_locale("ru"):
        assert render_template_string(source) == "очень плохо|отлично"
    with app.test_request_context(), force_locale("en"):
        assert render_template_string(source) == "very bad|excellent"
    with app.test_request_context(), force_locale("ru"):
        assert render_template_string(source) == "очень плохо|отлично"
