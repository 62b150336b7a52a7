"""Issue 17, statistics: the monitoring report's «Интернет-ЦОК» section counts knowledge-base searches, views and
votes (company-wide) and questions to a specialist by topic and centre (the report's scope); the page, the PDF,
the CSV and ``GET /api/v1/internet-cok/stats`` show them. Every figure is checked against the rows planted here
through the real services (search, view, vote, question form), re-dated into the period or just outside it."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, update

from app.api.tokens import create_token
from app.appeals.models import Appeal
from app.appeals.report import monitoring_report, report_rows
from app.appeals.services import create_appeal_in_session
from app.ask.services import QuestionInput, submit_question
from app.database import write_transaction
from app.extensions import db
from app.kb import services as kb
from app.kb.models import KbSearch, KbView, KbVote
from app.kb.services import ArticleInput
from app.models import Organisation

# March 2026; the demo centres keep Moscow time (UTC+3), so the local days start at 21:00 UTC the day before.
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
IN_MARCH = datetime(2026, 3, 10, 9, 0)
FIRST_MINUTES_OF_MARCH = datetime(2026, 2, 28, 21, 30)  # 1 March 00:30 in Moscow: inside
FIRST_MINUTES_OF_APRIL = datetime(2026, 3, 31, 21, 30)  # 1 April 00:30 in Moscow: outside


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\xa0", " ")


def _redate_last(model, at: datetime) -> None:
    """Move the row a service has just written to ``at`` (the services stamp the present moment)."""
    with write_transaction():
        last = db.session.scalar(select(func.max(model.id)))
        db.session.execute(update(model).where(model.id == last).values(at=at))


def _search(text: str, at: datetime) -> None:
    kb.search_and_count(text)
    _redate_last(KbSearch, at)


def _centre(code: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.code == code))


def _question(centre: str, topic: str, received: datetime, *, kind: str = "application", subtype="question") -> None:
    with write_transaction():
        create_appeal_in_session(
            kind=kind,
            form="interactive",
            channel="web",
            topic_code=topic,
            center_id=_centre(centre).id,
            received_at=received,
            subtype=subtype,
        )


@pytest.fixture
def planted(org):
    """March: 5 searches (1 found the article, 4 found nothing: «субсидия на подключение» ×2, «тариф ночью»,
    «опоры во дворе» on 1 March 00:30 local), 3 views, votes 3 «да» / 1 «нет»; outside March one more of each.
    Questions: KUR metering ×2 (one through the public form), KUR connection, LGV quality (same branch), BEL
    metering (another branch); not counted: a KUR application, a KUR complaint, a KUR question on 1 April."""
    article = kb.create_article(
        ArticleInput(title="Как заменить счётчик?", answer="Подайте заявку.", topic_code="metering")
    )
    kb.set_published(article.id, True)
    _search("счетчик", IN_MARCH)
    _search("Субсидия на подключение", IN_MARCH)
    _search("субсидия  на подключение", IN_MARCH)
    _search("тариф ночью", IN_MARCH)
    _search("опоры во дворе", FIRST_MINUTES_OF_MARCH)
    _search("вне периода", FIRST_MINUTES_OF_APRIL)
    for at in (IN_MARCH, IN_MARCH, FIRST_MINUTES_OF_MARCH, FIRST_MINUTES_OF_APRIL):
        kb.record_view(article.id)
        _redate_last(KbView, at)
    for helpful, at in (
        (True, IN_MARCH),
        (True, IN_MARCH),
        (True, IN_MARCH),
        (False, IN_MARCH),
        (False, FIRST_MINUTES_OF_APRIL),
    ):
        kb.record_vote(article.id, helpful)
        _redate_last(KbVote, at)

    receipt = submit_question(
        QuestionInput(
            center_code="KUR",
            topic_code="metering",
            text="Когда придет мастер менять счетчик?",
            name="Ирина",
            email="irina@example.test",
            consent=True,
        )
    )
    assert receipt.entry.appeal_id is not None
    with write_transaction():
        db.session.execute(update(Appeal).where(Appeal.id == receipt.entry.appeal_id).values(received_at=IN_MARCH))
    _question("KUR", "metering", FIRST_MINUTES_OF_MARCH)
    _question("KUR", "connection", IN_MARCH)
    _question("LGV", "quality", IN_MARCH)
    _question("BEL", "metering", IN_MARCH)
    _question("KUR", "metering", IN_MARCH, subtype=None)  # an application asking for a service
    _question("KUR", "metering", IN_MARCH, kind="complaint", subtype=None)
    _question("KUR", "metering", FIRST_MINUTES_OF_APRIL)
    return article


EXPECTED_KB = {
    "searches": 5,
    "zero_result_searches": 4,
    "zero_result_share": pytest.approx(0.8),
    "views": 3,
    "votes_yes": 3,
    "votes_no": 1,
    "helpful_share": pytest.approx(0.75),
    "top_unanswered": [
        {"query": "субсидия на подключение", "count": 2},
        {"query": "опоры во дворе", "count": 1},
        {"query": "тариф ночью", "count": 1},
    ],
}


def test_the_section_counts_the_rows_of_the_period(planted):
    section = monitoring_report(*MARCH).internet_cok
    figures = section.knowledge_base.model_dump(mode="json")
    low, high = figures.pop("helpful_ci")
    assert figures == EXPECTED_KB
    assert 0.3 < low < 0.75 < high < 1.0  # Wilson 95 % for 3 of 4: [0,30; 0,95]
    assert low == pytest.approx(0.3006, abs=1e-3) and high == pytest.approx(0.9544, abs=1e-3)
    questions = section.questions.model_dump(mode="json")
    assert questions == {
        "total": 5,
        "questions_by_topic": [
            {"topic": "metering", "topic_name": "Учет электроэнергии", "n": 3},
            {"topic": "connection", "topic_name": "Технологическое присоединение", "n": 1},
            {"topic": "quality", "topic_name": "Качество электроэнергии", "n": 1},
        ],
        "questions_by_center": [
            {"center": "KUR", "center_name": "Курск", "n": 3},
            {"center": "BEL", "center_name": "Белгород", "n": 1},
            {"center": "LGV", "center_name": "Льгов", "n": 1},
        ],
    }


def test_questions_agree_with_the_reports_subtype_count(planted):
    report = monitoring_report(*MARCH)
    [subtype] = [row for row in report.by_subtype if row.subtype == "question"]
    assert subtype.count == report.internet_cok.questions.total == 5


def test_questions_follow_the_scope_and_the_knowledge_base_does_not(planted):
    centre = monitoring_report(*MARCH, _centre("KUR")).internet_cok
    branch = monitoring_report(*MARCH, _centre("KURS")).internet_cok
    assert centre.questions.total == 3
    assert [(t.topic, t.n) for t in centre.questions.questions_by_topic] == [("metering", 2), ("connection", 1)]
    assert [(c.center, c.n) for c in centre.questions.questions_by_center] == [("KUR", 3)]
    assert branch.questions.total == 4
    assert [(c.center, c.n) for c in branch.questions.questions_by_center] == [("KUR", 3), ("LGV", 1)]
    company = monitoring_report(*MARCH).internet_cok.knowledge_base
    assert centre.knowledge_base == branch.knowledge_base == company  # articles are not per centre


def test_rows_outside_the_period_are_not_counted(planted):
    april = monitoring_report(date(2026, 4, 1), date(2026, 4, 30)).internet_cok
    assert (april.knowledge_base.searches, april.knowledge_base.views) == (1, 1)
    assert (april.knowledge_base.votes_yes, april.knowledge_base.votes_no) == (0, 1)
    assert [(u.query, u.count) for u in april.knowledge_base.top_unanswered] == [("вне периода", 1)]
    assert april.questions.total == 1 and april.questions.questions_by_center[0].center == "KUR"
    first_day = monitoring_report(date(2026, 3, 1), date(2026, 3, 1)).internet_cok  # 1 March local only
    assert (first_day.knowledge_base.searches, first_day.knowledge_base.views, first_day.questions.total) == (1, 1, 1)


def test_null_data_is_quiet(org):
    section = monitoring_report(*MARCH).internet_cok
    assert section.knowledge_base.model_dump(mode="json") == {
        "searches": 0,
        "zero_result_searches": 0,
        "zero_result_share": None,
        "views": 0,
        "votes_yes": 0,
        "votes_no": 0,
        "helpful_share": None,
        "helpful_ci": None,
        "top_unanswered": [],
    }
    assert section.questions.model_dump(mode="json") == {
        "total": 0,
        "questions_by_topic": [],
        "questions_by_center": [],
    }


def api(client, token, **params):
    return client.get("/api/v1/internet-cok/stats", query_string=params, headers={"Authorization": f"Bearer {token}"})


def test_api_serves_the_new_keys(client, make_user, planted):
    token = create_token(make_user("manager").email, "kbstats", ["read:reports"])
    body = api(client, token, scope="KURS", **{"from": "2026-03-01", "to": "2026-03-31"}).json
    kb_figures = dict(body["knowledge_base"])
    assert len(kb_figures.pop("helpful_ci")) == 2
    assert kb_figures == EXPECTED_KB
    assert body["questions"]["total"] == 4
    assert body["questions"]["questions_by_topic"] == [
        {"topic": "metering", "topic_name": "Учет электроэнергии", "n": 2},
        {"topic": "connection", "topic_name": "Технологическое присоединение", "n": 1},
        {"topic": "quality", "topic_name": "Качество электроэнергии", "n": 1},
    ]
    assert {"bookings", "utilisation", "no_shows_by_hour", "expected_load"} <= set(body)  # the older keys stay
    april = api(client, token, scope="KUR", **{"from": "2026-04-01", "to": "2026-04-30"}).json
    assert april["knowledge_base"]["searches"] == 1 and april["questions"]["total"] == 1


def test_openapi_documents_the_new_keys(client):
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["InternetCokStats"]
    assert {"knowledge_base", "questions"} <= set(schema["required"])
    assert set(schema["properties"]["knowledge_base"]["properties"]) >= set(EXPECTED_KB) | {"helpful_ci"}


def test_page_shows_the_figures(client, login, make_user, planted):
    login(make_user("manager"))
    html = client.get("/appeals/report?date_from=2026-03-01&date_to=2026-03-31&scope=KUR").get_data(as_text=True)
    part = html.split('id="internet-cok-answers"', 1)[1].split("</section>", 1)[0]
    assert "статьи базы знаний не относятся к отдельным ЦОК" in part
    assert "<td>субсидия на подключение</td>" in part and "<td>опоры во дворе</td>" in part
    assert "<td>вне периода</td>" not in part
    assert "75,0" in part and "80,0" in part  # helpful share, share of searches that found nothing
    assert '<td>Учет электроэнергии</td><td class="num">2</td>' in part
    assert '<td>Курск</td><td class="num">3</td>' in part and "Белгород" not in part


def test_pdf_shows_the_figures(planted):
    from app.reports.services import appeals_pdf

    text = pdf_text(appeals_pdf(monitoring_report(*MARCH, _centre("KURS"))))
    part = text.split("База знаний", 1)[1]
    assert "По всей компании" in part
    assert "Поисков 5" in part and "Просмотров статей 3" in part
    assert "3 / 1" in part and "75,0 %" in part and "[30,1; 95,4] %" in part
    assert "субсидия на подключение 2" in part and "вне периода" not in part
    assert "Всего вопросов за период: 4." in part
    assert "Вопросы специалисту по тематикам" in part  # the bar chart's caption
    assert "Учет электроэнергии 2" in part and "Льгов 1" in part and "Белгород" not in part


def test_pdf_says_when_there_is_nothing(org):
    from app.reports.services import appeals_pdf

    text = pdf_text(appeals_pdf(monitoring_report(*MARCH)))
    assert "голосов нет" in text and "Вопросов специалисту за период нет" in text
    assert "За период все поиски что-то нашли" in text


def test_csv_lists_the_figures(planted):
    header, rows = report_rows(monitoring_report(*MARCH, _centre("KUR")))
    ours = [row for row in rows if row[0] in ("база знаний", "вопросы специалисту")]
    assert all(len(row) == len(header) for row in ours)
    by_label = {(row[0], row[1], row[3], row[4]): row[5:7] for row in ours}
    assert by_label[("база знаний", "поиски", "", "вся компания")] == [5, ""]
    assert by_label[("база знаний", "поиски без результата", "", "вся компания")] == [4, pytest.approx(0.8)]
    assert by_label[("база знаний", "ответ помог: да", "", "вся компания")] == [3, pytest.approx(0.75)]
    assert by_label[("база знаний", "поиск без ответа: субсидия на подключение", "", "вся компания")][0] == 2
    assert by_label[("вопросы специалисту", "всего", "", "")][0] == 3
    assert by_label[("вопросы специалисту", "по тематике", "Учет электроэнергии", "")][0] == 2
    assert by_label[("вопросы специалисту", "по ЦОК", "", "Курск")][0] == 3
