"""The text job and the themes of customer texts against the scores, on a real database."""

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from app.analysis.models import ProcessedText, TextTheme
from app.analysis.texts import process_texts, seed_dictionary
from app.appeals.services import create_appeal_in_session
from app.database import write_transaction
from app.extensions import db
from app.models import Contact, Organisation
from app.surveys.models import Answer, Response

PERIOD = ["--from", "2026-07-01", "--to", "2026-09-30"]
NEUTRAL = ("Все хорошо, спасибо.", "Обслужили нормально.", "Претензий нет.", "Пришел по делу, ушел довольным.")
THEMED = {
    "queue": "Очень долго ждал в очереди, больше часа.",
    "politeness": "Сотрудник был невежлив, нагрубил.",
    "billing": "Счет за электроэнергию выставлен неверно.",
    "website": "Сайт не работает, записаться нельзя.",
}


def _survey():
    from app.surveys.demo import seed_main_survey

    seed_dictionary()
    return seed_main_survey()


def _add_responses(survey, version, centres, rows):
    """rows: (overall score, comment) → one response with its target answer and a «why» text each."""
    start = datetime(2026, 7, 1, 9)
    with write_transaction():
        for index, (score, comment) in enumerate(rows):
            centre = centres[index % len(centres)]
            when = start + timedelta(hours=(index * 53) % (24 * 88))
            response = Response(
                client_submission_id=f"themes-{index}",
                body_hash="x",
                survey_id=survey.id,
                version_id=version.id,
                center_id=centre.id,
                channel="kiosk",
                submitted_at=when,
            )
            db.session.add(response)
            db.session.flush()
            common = {"response_id": response.id, "survey_id": survey.id, "center_id": centre.id, "submitted_at": when}
            db.session.add(Answer(question_code="overall", value_num=float(score), **common))
            db.session.add(Answer(question_code="why", text=comment, **common))


def _sample(rng, n, planted: float | None):
    """Scores 1–5; a comment per response: themed with probability 0.4 (theme uniform), else neutral.
    With ``planted``, low scores (1–3) get the queue theme with that probability instead."""
    rows = []
    for _ in range(n):
        score = int(rng.choice([1, 2, 3, 4, 5], p=[0.1, 0.1, 0.2, 0.3, 0.3]))
        if planted is not None and score <= 3 and rng.random() < planted:
            comment = THEMED["queue"]
        elif rng.random() < 0.4:
            comment = THEMED[str(rng.choice(sorted(THEMED)))]
        else:
            comment = str(rng.choice(NEUTRAL))
        rows.append((score, comment))
    return rows


def _themes(runner, *extra):
    result = runner.invoke(args=["analysis", "themes", "visit-csat", *PERIOD, "--format", "json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_text_job_is_idempotent_masks_and_reports_throughput(runner, org):
    survey, version, centres = _survey()
    _add_responses(survey, version, centres, [(5, "Спасибо Ивановой Марии Петровне, очередь прошла быстро")] * 3)
    kur = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    with write_transaction():
        contact = Contact(name="Гусь Альберт", phone="", email="", purpose="appeal", consent_version="1")
        db.session.add(contact)
        db.session.flush()
        create_appeal_in_session(
            kind="complaint",
            form="remote",
            channel="web",
            topic_code="metering",
            center_id=kur.id,
            received_at=datetime(2026, 8, 1, 10),
            text="Я, Гусь, прошу заменить счетчик, звоните 8 912 345 67 89",
            contact_id=contact.id,
        )

    first = runner.invoke(args=["analysis", "texts", "--batch", "2"])
    assert first.exit_code == 0, first.output
    assert "текстов/с" in first.output and "Обработано текстов: 4" in first.output
    second = runner.invoke(args=["analysis", "texts"])
    assert "Обработано текстов: 0" in second.output
    assert db.session.scalar(select(func.count()).select_from(ProcessedText)) == 4

    appeal = db.session.scalar(select(ProcessedText).where(ProcessedText.source_kind == "appeal"))
    assert appeal.masked_text == "Я, [имя скрыто], прошу заменить счетчик, звоните [телефон скрыт]"
    assert appeal.themes == ["metering"] and "счетчик" in appeal.lemmas.split()
    answer = db.session.scalar(select(ProcessedText).where(ProcessedText.source_kind == "answer"))
    assert answer.masked_text == "Спасибо [имя скрыто], очередь прошла быстро" and answer.themes == ["queue"]


def test_a_dictionary_edit_rethemes_stored_texts(runner, org):
    survey, version, centres = _survey()
    _add_responses(survey, version, centres, [(4, "Нет парковки у здания")])
    process_texts()
    assert db.session.scalar(select(ProcessedText.themes)) == []
    with write_transaction():
        db.session.add(TextTheme(code="parking", label="Парковка", terms=["парковка", "негде поставить машину"]))
    counts = process_texts()
    assert counts["rethemed"] == 1 and counts["answer"] == 0
    assert db.session.scalar(select(ProcessedText.themes)) == ["parking"]


def test_themes_json_contract(runner, org):
    survey, version, centres = _survey()
    _add_responses(survey, version, centres, _sample(np.random.default_rng(1), 120, planted=None))
    process_texts()
    report = _themes(runner)
    assert list(report) == ["themes", "unassigned", "candidates", "by_center", "by_branch"]
    keys = ["theme", "label", "n", "share", "share_among_low", "share_among_high", "lift", "q_value", "trend", "quotes"]
    assert all(list(row) == keys for row in report["themes"])
    queue = next(row for row in report["themes"] if row["theme"] == "queue")
    assert queue["label"] == "Очередь и ожидание" and queue["n"] > 0
    assert [point["month"] for point in queue["trend"]] == ["2026-07", "2026-08", "2026-09"]
    assert sum(point["n"] for point in queue["trend"]) == queue["n"]
    assert queue["quotes"] == [THEMED["queue"]]  # one distinct text, quoted once
    assert report["unassigned"] == sum(1 for _s, c in _sample(np.random.default_rng(1), 120, None) if c in NEUTRAL)
    assert all(set(c) == {"words", "examples", "n"} for c in report["candidates"])
    assert _themes(runner) == report  # deterministic
    assert _themes(runner, "--scope", "KUR")["themes"][0]["n"] < sum(r["n"] for r in report["themes"])


def test_themes_independent_of_score_are_not_flagged(runner, org):
    survey, version, centres = _survey()
    _add_responses(survey, version, centres, _sample(np.random.default_rng(20261202), 800, planted=None))
    process_texts()
    report = _themes(runner)
    assert [row["theme"] for row in report["themes"] if row["q_value"] < 0.05] == []


def test_a_theme_planted_among_low_scores_is_found(runner, org):
    survey, version, centres = _survey()
    _add_responses(survey, version, centres, _sample(np.random.default_rng(20261202), 800, planted=0.3))
    process_texts()
    first = _themes(runner)["themes"][0]
    assert first["theme"] == "queue" and first["q_value"] < 0.05
    assert first["share_among_low"] > first["share_among_high"] and first["lift"] > 1.5


def test_unknown_survey_and_scope_are_refused(runner, org):
    _survey()
    assert runner.invoke(args=["analysis", "themes", "nope", *PERIOD]).exit_code == 1
    result = runner.invoke(args=["analysis", "themes", "visit-csat", *PERIOD, "--scope", "NOPE"])
    assert result.exit_code == 1 and "не найдено" in result.output


@pytest.mark.parametrize("bad", [["--from", "2026-09-30", "--to", "2026-07-01"], ["--from", "x", "--to", "2026-07-01"]])
def test_bad_periods_are_refused(runner, org, bad):
    _survey()
    assert runner.invoke(args=["analysis", "themes", "visit-csat", *bad]).exit_code != 0


def test_appeal_themes_compare_the_period_with_the_previous_one(runner, org):
    seed_dictionary()
    kur = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    rng = np.random.default_rng(7)
    with write_transaction():
        for index in range(300):
            current = index % 2 == 0
            day = datetime(2026, 7 if current else 4, 1, 10) + timedelta(days=int(rng.integers(0, 90)))
            outage = rng.random() < (0.4 if current else 0.1)
            create_appeal_in_session(
                kind="complaint",
                form="remote",
                channel="web",
                topic_code="transmission",
                center_id=kur.id,
                received_at=day,
                text="Третий день отключение света на улице" if outage else "Прошу рассмотреть мое обращение",
            )
    process_texts()
    result = runner.invoke(args=["appeals", "themes", *PERIOD, "--scope", "KUR", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    first = report["themes"][0]
    assert first["theme"] == "outages" and first["q_value"] < 0.05
    assert first["share_among_low"] == first["share"] and first["share_among_low"] > 2 * first["share_among_high"]
    assert report["unassigned"] == 150 - first["n"]


def test_api_serves_the_themes_with_read_reports(client, runner, org, make_user):
    from app.api.tokens import create_token

    survey, version, centres = _survey()
    _add_responses(survey, version, centres, _sample(np.random.default_rng(1), 120, planted=None))
    process_texts()
    email = make_user("manager", scope="MRSK").email
    reports, responses = (
        create_token(email, "reports", ["read:reports"]),
        create_token(email, "responses", ["read:responses"]),
    )

    def get(url, token, **params):
        return client.get(url, query_string=params, headers={"Authorization": f"Bearer {token}"})

    dates = {"from": "2026-07-01", "to": "2026-09-30"}
    served = get("/api/v1/surveys/visit-csat/themes", reports, **dates)
    assert served.status_code == 200 and served.json == _themes(runner)
    scoped = get("/api/v1/surveys/visit-csat/themes", reports, scope="KUR", **dates)
    assert scoped.json == _themes(runner, "--scope", "KUR")
    appeals = get("/api/v1/appeals/themes", reports, kind="complaint", **dates)
    assert appeals.status_code == 200
    assert set(appeals.json) == {"themes", "unassigned", "candidates", "by_center", "by_branch"}
    assert get("/api/v1/surveys/visit-csat/themes", responses, **dates).status_code == 403
    assert get("/api/v1/appeals/themes", responses).status_code == 403
    assert get("/api/v1/surveys/nope/themes", reports).status_code == 404
    assert get("/api/v1/appeals/themes", reports, kind="nonsense").status_code == 400
    assert get("/api/v1/appeals/themes", reports, scope="NOPE").status_code == 404
    assert get("/api/v1/appeals/themes", reports, **{"from": "2026-09-30", "to": "2026-07-01"}).status_code == 400


def test_analysis_page_shows_what_customers_write(client, org, make_user, login):
    survey, version, centres = _survey()
    rows = [(1, "Очень долго ждал в очереди, оператор иванова мария нагрубила")] * 30 + [(5, "Все хорошо")] * 30
    _add_responses(survey, version, centres, rows)
    process_texts()
    login(make_user("manager", scope="MRSK"))
    page = client.get("/analysis/", query_string={"survey": "visit-csat", "from": "2026-07-01", "to": "2026-09-30"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Что пишут клиенты" in html
    assert "Очередь и ожидание" in html and "Вежливость" in html
    assert "оператор [имя скрыто] нагрубила" in html and "иванова" not in html


def test_satisfaction_pdf_shows_the_themes_with_masked_quotes(org):
    """The PDF's «Что пишут клиенты» reads the stored themes: the table, and quotes with names hidden."""
    import io

    from pypdf import PdfReader

    from app.reports import services as report_services

    survey, version, centres = _survey()
    rows = [(1, "Очень долго ждал в очереди, оператор иванова мария нагрубила")] * 30 + [(5, "Все хорошо")] * 30
    _add_responses(survey, version, centres, rows)
    process_texts()
    data = report_services.build_pdf("satisfaction", {"period": "2026Q3"})
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    assert "Что пишут клиенты" in text and "Во сколько раз" in text
    assert "Очередь и ожидание" in text and "Вежливость" in text
    assert "оператор [имя скрыто] нагрубила" in text and "иванова" not in text


def test_appeals_pdf_shows_what_complaints_are_about(org):
    """The monitoring PDF's complaint themes compare the period with the previous one, quotes masked."""
    import io

    from pypdf import PdfReader

    from app.reports import services as report_services

    centre = db.session.scalar(select(Organisation).where(Organisation.code == "KUR"))
    seed_dictionary()
    texts = ["Очень долго ждал в очереди, оператор иванова мария нагрубила"] * 20 + ["Счет выставлен неверно"] * 5
    with write_transaction():
        for index, text in enumerate(texts):
            create_appeal_in_session(
                kind="complaint",
                form="remote",
                channel="web",
                topic_code="metering",
                center_id=centre.id,
                received_at=datetime(2026, 8, 1, 10) + timedelta(hours=index),
                text=text,
            )
    process_texts()
    data = report_services.build_pdf("appeals", {"period": "2026Q3"})
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)
    assert "О чем жалуются" in text and "Очередь и ожидание" in text
    assert "оператор [имя скрыто] нагрубила" in text and "иванова" not in text


def test_staff_add_a_theme_and_the_job_rethemes_texts(client, runner, org, make_user, login):
    """Marketing adopts a theme on the dictionary page; the next run of the job puts stored texts under it
    from their lemmas; a bad entry is refused in Russian and saves nothing; operators may not edit."""
    from app.models import AuditEvent

    survey, version, centres = _survey()
    _add_responses(survey, version, centres, [(2, "В зале стоял ужасный шум")] * 10 + [(5, "Все хорошо")] * 10)
    process_texts()
    assert not any(t["theme"] == "shum" for t in _themes(runner)["themes"])
    themes_before = db.session.scalar(select(func.count()).select_from(TextTheme))

    login(make_user("marketing"))
    prefilled = client.get("/analysis/themes", query_string={"words": "шум,гул"}).get_data(as_text=True)
    assert "шум, гул" in prefilled
    refused = client.post("/analysis/themes", data={"label": "Шум", "terms": " , "})
    assert refused.status_code == 422 and "хотя бы одно слово" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(TextTheme)) == themes_before

    saved = client.post("/analysis/themes", data={"label": "Шум", "terms": "шум\nгул"})
    assert saved.status_code == 302
    theme = db.session.scalar(select(TextTheme).where(TextTheme.label == "Шум"))
    assert theme.code == "shum" and theme.terms == ["шум", "гул"] and theme.active
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.theme.create")) is not None
    process_texts()
    noise = next(t for t in _themes(runner)["themes"] if t["theme"] == "shum")
    assert noise["n"] == 10 and noise["label"] == "Шум"

    client.post("/analysis/themes", data={"theme_id": theme.id, "label": "Шум", "terms": "шум"})  # unticked
    db.session.expire_all()
    assert not db.session.get(TextTheme, theme.id).active

    client.post("/logout")
    login(make_user("operator"))
    assert client.get("/analysis/themes").status_code == 403
    assert client.post("/analysis/themes", data={"label": "Шум 2", "terms": "шум"}).status_code == 403


def test_each_centre_card_shows_its_own_themes_and_masked_quotes(org):
    """The centre card PDF: each centre's themes table and quotes, from that centre's texts only."""
    import io

    from pypdf import PdfReader

    from app.reports import services as report_services

    survey, version, centres = _survey()
    kur = next(c for c in centres if c.code == "KUR")
    others = [c for c in centres if c.code != "KUR"]
    queue_text = "Очень долго ждал в очереди, оператор иванова мария нагрубила"
    rows = [(1, queue_text)] * 20 + [(5, "Все хорошо")] * 20
    _add_responses(survey, version, [kur], rows)
    bill = "Счет за электроэнергию выставлен неверно, пени начислили зря"
    with write_transaction():  # the other centres write about bills only
        for index, centre in enumerate(others[:2]):
            when = datetime(2026, 8, 3, 10) + timedelta(hours=index)
            response = Response(
                client_submission_id=f"card-{index}",
                body_hash="x",
                survey_id=survey.id,
                version_id=version.id,
                center_id=centre.id,
                channel="kiosk",
                submitted_at=when,
            )
            db.session.add(response)
            db.session.flush()
            common = {"response_id": response.id, "survey_id": survey.id, "center_id": centre.id, "submitted_at": when}
            db.session.add(Answer(question_code="overall", value_num=2.0, **common))
            db.session.add(Answer(question_code="why", text=bill, **common))
    process_texts()
    parent = db.session.get(Organisation, kur.parent_id)
    data = report_services.build_pdf("center", {"period": "2026Q3", "scope": parent.code})
    pages = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]
    text = " ".join(pages)
    card = text[text.index(f"Карточка ЦОК «{kur.name}»") :]
    for other in others:
        if f"Карточка ЦОК «{other.name}»" in card:
            card = card[: card.index(f"Карточка ЦОК «{other.name}»")]
    assert "Что пишут клиенты" in card and "Очередь и ожидание" in card and "Вежливость" in card
    assert "оператор [имя скрыто] нагрубила" in card and "иванова" not in text
    assert "Счета и оплата" not in card  # another centre's theme is not on this card
