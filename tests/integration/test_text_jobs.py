"""The text job after imports and as an RQ job: an import's new texts get processed, only those."""

from __future__ import annotations

from sqlalchemy import func, select

from app.analysis.models import ProcessedText
from app.analysis.texts import seed_dictionary
from app.extensions import db
from app.surveys import services
from app.surveys.schema import template
from tests.integration.test_reports_lifecycle import redis_url  # noqa: F401 (a fixture)
from tests.integration.test_security_support import appeal

HEADER = "received_at,kind,form,topic,center,external_id,channel,text,status,answered_at\n"
ROW = '2026-08-02 10:15,complaint,remote,quality,KUR,{id},phone,"{text}",,\n'


def _processed(kind: str) -> list[ProcessedText]:
    return list(db.session.scalars(select(ProcessedText).where(ProcessedText.source_kind == kind)))


def _appeals_file(tmp_path, rows):
    path = tmp_path / "appeals.csv"
    path.write_text(HEADER + "".join(ROW.format(id=i, text=t) for i, t in rows), encoding="utf-8")
    return path


def test_an_appeals_import_processes_its_new_texts_only(runner, org, tmp_path):
    seed_dictionary()
    older = appeal("KUR", "Старое обращение про счетчик")  # not processed yet: the import leaves it to cron
    path = _appeals_file(tmp_path, [("I1", "Третий день отключение света, звонил Петров"), ("I2", "Счет неверный")])
    result = runner.invoke(args=["appeals", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Обработано новых текстов: 2" in result.output
    texts = {p.source_id: p for p in _processed("appeal")}
    assert older.id not in texts and len(texts) == 2
    assert sorted(p.themes for p in texts.values()) == [["billing"], ["outages"]]
    assert all("Петров" not in p.masked_text for p in texts.values())


def test_a_dry_run_processes_nothing(runner, org, tmp_path):
    seed_dictionary()
    result = runner.invoke(args=["appeals", "import", str(_appeals_file(tmp_path, [("D1", "Счет")])), "--dry-run"])
    assert result.exit_code == 0 and "Обработано" not in result.output
    assert db.session.scalar(select(func.count()).select_from(ProcessedText)) == 0


def test_a_responses_import_processes_its_comments(runner, org, tmp_path):
    seed_dictionary()
    survey = services.create_survey(template("visit-csat"))
    services.publish(survey)
    path = tmp_path / "r.csv"
    path.write_text(
        "submitted_at,center,channel,overall,nps,purpose,why\n"
        "2026-08-01T10:00:00,KUR,kiosk,2,3,metering,Очень долго ждал в очереди\n"
        "2026-08-01T11:00:00,KUR,qr,5,10,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code == 0, result.output
    assert "Обработано новых текстов: 1" in result.output
    (text,) = _processed("answer")
    assert text.themes == ["queue"] and text.survey_id == survey.id


def test_with_redis_an_import_queues_the_text_job_for_the_worker(app, runner, org, tmp_path, redis_url):  # noqa: F811
    from app.reports import jobs

    seed_dictionary()
    app.config["REDIS_URL"] = redis_url
    result = runner.invoke(args=["appeals", "import", str(_appeals_file(tmp_path, [("Q1", "Скачки напряжения")]))])
    assert result.exit_code == 0, result.output
    assert "поставлены в очередь" in result.output and _processed("appeal") == []
    assert jobs.queue().count == 1
    queued = runner.invoke(args=["analysis", "texts", "--queue"])
    assert queued.exit_code == 0 and "в очередь" in queued.output and jobs.queue().count == 2
    assert jobs.run_worker(app, burst=True, simple=True)
    db.session.expire_all()
    (text,) = _processed("appeal")
    assert text.themes == ["voltage"] and jobs.queue().count == 0


def test_queueing_without_redis_is_refused_in_russian(runner, org):
    result = runner.invoke(args=["analysis", "texts", "--queue"])
    assert result.exit_code != 0 and "OTKLIK_REDIS_URL" in result.output
