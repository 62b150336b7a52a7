"""«Задать вопрос специалисту»: the form, its suggestions, the appeal it becomes, the status page, the
regulator's column, the burst hold and the rate limit."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.appeals.report import monitoring_report
from app.appeals.services import AppealError, answer, create_appeal_in_session
from app.ask.consent import CONSENT_PURPOSE, CONSENT_VERSION
from app.database import write_transaction
from app.extensions import db
from app.kb.models import KbArticle
from app.kb.search import lemma_text
from app.models import Contact, Organisation
from app.reports.context import appeals_context
from app.reviews.models import ReviewEntry


def ask(client, address: str = "127.0.0.1", **fields):
    data = {
        "center": "KUR",
        "topic": "metering",
        "text": "Как поменять счетчик в квартире? " + uuid.uuid4().hex[:6],
        "client_submission_id": str(uuid.uuid4()),
        "action": "send",
    }
    data.update(fields)
    return client.post("/ask", data=data, environ_base={"REMOTE_ADDR": address})


def receipt_of(response) -> tuple[str, str]:
    html = response.get_data(as_text=True)
    number = re.search(r'id="registration-number">([^<]+)<', html).group(1)
    code = re.search(r'id="check-code">([^<]+)<', html).group(1)
    return number, code


def count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)))


@pytest.fixture
def articles(org):
    rows = [
        ("Как заменить счётчик электроэнергии?", "Подайте **заявку** на замену прибора учёта в любом ЦОК.", True),
        ("Как передать показания счетчика?", "С 15 по 25 число в личном кабинете.", True),
        ("Сроки замены счетчиков в многоквартирном доме", "Замену организует управляющая компания.", True),
        ("Где поставить пломбу на счетчик?", "Пломбу ставит инспектор по заявке.", True),
        ("Черновик: счетчик на даче", "Не опубликовано.", False),
    ]
    with write_transaction():
        for title, body, published in rows:
            db.session.add(
                KbArticle(
                    title=title,
                    answer=body,
                    published=published,
                    search_title=lemma_text(title),
                    search_answer=lemma_text(body),
                )
            )
    return rows


def test_the_form_is_public_with_centres_topics_and_consent(client, org):
    html = client.get("/ask?center=kur").get_data(as_text=True)
    assert "<h1>Задать вопрос специалисту</h1>" in html
    assert re.search(r'<option value="KUR" selected>', html)
    assert 'value="metering"' in html and "152-ФЗ" in html and 'name="consent"' in html
    assert 'src="/static/js/ask.js"' in html


def test_an_anonymous_question_becomes_a_web_application_of_subtype_question(client, org):
    response = ask(client)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    number, code = receipt_of(response)
    assert re.fullmatch(r"KUR-\d{4}-000001", number) and re.fullmatch(r"[2-9A-Z]{6}", code)
    entry = db.session.scalar(select(ReviewEntry))
    assert (entry.origin, entry.entry_type, entry.publish_consent, entry.contact_id) == ("ask", "question", False, None)
    appeal = db.session.get(Appeal, entry.appeal_id)
    assert (appeal.kind, appeal.subtype, appeal.channel) == ("application", "question", "web")
    assert appeal.external_id == number and appeal.text == entry.text and appeal.due_at > appeal.received_at
    assert appeal.subtype_label == "вопрос"


def test_a_question_with_contact_keeps_its_own_consent(client, org):
    response = ask(client, name="Анна", email="anna@example.test", phone="", consent="y")
    assert response.status_code == 200
    contact = db.session.scalar(select(Contact))
    assert (contact.email, contact.purpose, contact.consent_version) == (
        "anna@example.test",
        CONSENT_PURPOSE,
        CONSENT_VERSION,
    )
    appeal = db.session.scalar(select(Appeal))
    assert appeal.contact_id == contact.id


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"center": ""}, "center", "Выберите центр обслуживания"),
        ({"center": "NOPE"}, "center", "Выберите центр обслуживания"),
        ({"topic": ""}, "topic", "Выберите тему вопроса"),
        ({"text": "  "}, "text", "Напишите ваш вопрос"),
        ({"text": "ы" * 4001}, "text", "Текст не длиннее 4000 знаков"),
        ({"email": "anna@example.test"}, "consent", "подтвердите согласие"),
        ({"name": "Анна", "consent": "y"}, "email", "Укажите электронную почту или телефон"),
        ({"email": "не почта", "consent": "y"}, "email", "Проверьте адрес электронной почты"),
        ({"phone": "звоните", "consent": "y"}, "phone", "Проверьте номер телефона"),
    ],
)
def test_bad_input_is_refused_in_russian_and_nothing_is_saved(client, org, fields, field, message):
    response = ask(client, **fields)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="err-{field}"' in html and message in html
    assert count(ReviewEntry) == count(Appeal) == count(Contact) == 0


def test_a_tampered_submission_id_is_refused_with_a_message(client, org):
    response = ask(client, client_submission_id="не-uuid")
    assert response.status_code == 422 and "Обновите страницу и отправьте вопрос еще раз." in response.get_data(
        as_text=True
    )
    assert count(ReviewEntry) == 0


def test_honeypot_and_a_repeated_question(client, org):
    assert ask(client, website="http://spam.example").status_code == 400
    assert count(ReviewEntry) == 0
    csid, text = str(uuid.uuid4()), "Почему счет за свет вырос вдвое?"
    first = ask(client, client_submission_id=csid, text=text)
    again = ask(client, client_submission_id=csid, text=text)
    assert receipt_of(first) == receipt_of(again) and count(Appeal) == 1  # a retry gets the same receipt
    duplicate = ask(client, text=text)
    assert duplicate.status_code == 409 and "уже принята" in duplicate.get_data(as_text=True)
    assert count(Appeal) == 1


def test_check_step_shows_the_three_best_published_articles_without_sending(client, articles):
    response = ask(client, action="check", text="Нужно заменить счётчики")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    found = re.findall(r'<summary class="ask-hit">([^<]+)</summary>', html)
    assert len(found) == 3 and found[0] == "Как заменить счётчик электроэнергии?"
    assert "Черновик" not in html and "<strong>заявку</strong>" in html
    assert count(ReviewEntry) == count(Appeal) == 0  # «Проверить ответы» sends nothing
    assert 'id="registration-number"' not in html


def test_check_step_says_when_nothing_matches(client, articles):
    html = ask(client, action="check", text="Хочу узнать про погоду в субботу").get_data(as_text=True)
    assert 'id="ask-no-suggestions"' in html and "ask-hit" not in html


def test_suggest_endpoint_returns_the_fragment(client, articles):
    response = client.get("/ask/suggest", query_string={"q": "счётчики"})
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert html.count('class="ask-hit"') == 3 and "Черновик" not in html
    one = client.get("/ask/suggest", query_string={"q": "заменить счетчик"}).get_data(as_text=True)
    assert re.findall(r'class="ask-hit">([^<]+)<', one)[0] == "Как заменить счётчик электроэнергии?"
    assert client.get("/ask/suggest", query_string={"q": "сч"}).get_data(as_text=True).strip() == ""
    assert "ask-hit" not in client.get("/ask/suggest", query_string={"q": "погода в субботу"}).get_data(as_text=True)


def test_suggested_titles_are_escaped(client, org):
    title = "Счетчик <script>alert(1)</script> заменить"
    with write_transaction():
        db.session.add(KbArticle(title=title, answer="Ответ", published=True, search_title=lemma_text(title)))
    html = client.get("/ask/suggest", query_string={"q": "заменить счетчик"}).get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_status_page_finds_the_question_and_shows_the_answer(client, org):
    number, code = receipt_of(ask(client, text="Когда включат свет на улице Садовой?"))
    page = client.post("/reviews/status", data={"number": number, "code": code}).get_data(as_text=True)
    assert number in page and "Ответ еще готовится" in page and "Вопрос специалисту" in page
    appeal = db.session.scalar(select(Appeal))
    answer(appeal, "Работы закончатся 5 декабря к 18:00.", None)
    page = client.post("/reviews/status", data={"number": number, "code": code}).get_data(as_text=True)
    assert "Работы закончатся 5 декабря к 18:00." in page
    wrong = client.post("/reviews/status", data={"number": number, "code": "ZZZZZZ"}).get_data(as_text=True)
    assert "Работы закончатся" not in wrong


def test_questions_stay_out_of_the_review_book_moderation(client, org, make_user, login):
    ask(client, text="Вопрос не для книги отзывов")
    login(make_user("operator"))
    page = client.get("/reviews/moderation?state=all").get_data(as_text=True)
    assert "Вопрос не для книги отзывов" not in page


def _appeal(kind: str, subtype: str | None, received: datetime) -> Appeal:
    center = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    return create_appeal_in_session(
        kind=kind,
        form="interactive",
        channel="web",
        topic_code="metering",
        center_id=center.id,
        received_at=received,
        subtype=subtype,
    )


def test_regulator_form_counts_applications_but_not_questions(org):
    with write_transaction():
        for received in (datetime(2025, 2, 10, 9), datetime(2026, 2, 10, 9)):
            for _ in range(3):
                _appeal("application", None, received)
            for _ in range(2):
                _appeal("application", "question", received)
            _appeal("complaint", None, received)
    report = monitoring_report(date(2026, 1, 1), date(2026, 3, 31))
    rows = {r.row: r.cells for r in report.regulator_form.rows}
    internet = rows["internet"]
    assert (internet["appeals"].n, internet["appeals"].n_1) == (6, 6)  # every appeal still counts
    assert (internet["service_requests"].n, internet["service_requests"].n_1) == (3, 3)  # not the questions
    assert (internet["complaints"].n, internet["complaints"].n_1) == (1, 1)
    assert rows["total"]["service_requests"].n == 3
    assert [(s.subtype, s.count, s.share_of_kind) for s in report.by_subtype] == [("question", 2, pytest.approx(0.4))]
    # The PDF names the questions under the applications.
    ctx = appeals_context(report, charts_on=False)
    applications = next(k for k in ctx["kinds"] if k["kind"] == "application")
    assert [(s["label"], s["count"]) for s in applications["subtypes"]] == [("в том числе вопрос", "2")]
    assert next(k for k in ctx["kinds"] if k["kind"] == "complaint")["subtypes"] == []


def test_regulator_form_counts_every_application_when_none_is_a_question(org):
    with write_transaction():
        for _ in range(4):
            _appeal("application", None, datetime(2026, 2, 10, 9))
    report = monitoring_report(date(2026, 1, 1), date(2026, 3, 31))
    rows = {r.row: r.cells for r in report.regulator_form.rows}
    assert rows["internet"]["service_requests"].n == 4
    assert report.by_subtype[0].count == 0


def test_a_question_is_only_an_application(org):
    with pytest.raises(AppealError, match="только у вида"), write_transaction():
        _appeal("complaint", "question", datetime(2026, 2, 10, 9))
    assert count(Appeal) == 0


def test_queue_and_report_show_the_subtype(client, org, make_user, login):
    ask(client)
    login(make_user("manager"))
    queue = client.get("/appeals/").get_data(as_text=True)
    assert "Заявление (вопрос)" in queue
    today = date.today()
    page = client.get(
        "/appeals/report",
        query_string={
            "date_from": (today - timedelta(days=3)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
        },
    ).get_data(as_text=True)
    assert "в том числе вопрос" in page


@pytest.mark.parametrize("app_config", [{"QUARANTINE_ENABLED": True}])
def test_anonymous_questions_in_a_burst_wait_in_check_and_accepting_keeps_the_subtype(client, org, make_user, login):
    replies = [ask(client, address="10.9.8.7") for _ in range(31)]
    assert [r.status_code for r in replies] == [200] * 31
    held = list(db.session.scalars(select(ReviewEntry).where(ReviewEntry.check_state == "checking")))
    assert len(held) == 2 and count(Appeal) == 29
    assert "Вопрос на проверке" in replies[-1].get_data(as_text=True)
    login(make_user("operator"))
    client.post("/reviews/check/decide", data={"decision": "accept", "ids": [str(held[0].id)]})
    db.session.expire_all()
    accepted = db.session.get(Appeal, db.session.get(ReviewEntry, held[0].id).appeal_id)
    assert (accepted.kind, accepted.subtype, accepted.channel) == ("application", "question", "web")


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATELIMIT_PUBLIC_SUBMIT": "3 per minute"}])
def test_question_posts_are_rate_limited(client, org):
    codes = [ask(client).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    assert client.get("/ask").status_code == 200
    assert count(Appeal) == 3
