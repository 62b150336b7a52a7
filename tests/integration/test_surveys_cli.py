"""`flask surveys …`: definitions in/out, publish, all-or-nothing response import, export round trip."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.surveys import exports, services
from app.surveys.models import Answer, Response, Survey
from app.surveys.schema import template


def _count(model, **where):
    query = select(func.count()).select_from(model)
    for key, value in where.items():
        query = query.where(getattr(model, key) == value)
    return db.session.scalar(query)


@pytest.fixture
def published(org):
    survey = services.create_survey(template("visit-csat"))
    services.publish(survey)
    return survey


def _write(path, rows, header):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_definition_import_publish_export(runner, org, tmp_path):
    doc = template("supply-quality")
    path = tmp_path / "def.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-definition", str(path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["surveys", "publish", doc["slug"]])
    assert result.exit_code == 0, result.output
    assert "версия 1" in result.output
    result = runner.invoke(args=["surveys", "export-definition", doc["slug"]])
    assert result.exit_code == 0
    assert json.loads(result.output) == doc
    result = runner.invoke(args=["surveys", "publish", doc["slug"]])
    assert result.exit_code != 0  # nothing to publish


def test_invalid_definition_lists_errors(runner, org, tmp_path):
    doc = template("supply-quality")
    doc["pages"][0]["questions"][0]["type"] = "nonsense"
    doc["slug"] = "Bad Slug"
    path = tmp_path / "def.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["surveys", "import-definition", str(path)])
    assert result.exit_code != 0
    assert "slug" in result.output and "pages[0].questions[0]" in result.output
    assert _count(Survey) == 0


def test_import_responses_all_or_nothing_with_line_numbers(runner, published, tmp_path):
    header = ["submitted_at", "center", "channel", "overall", "nps", "purpose", "why"]
    rows = [
        ["2025-03-01T10:00:00", "KUR", "kiosk", "5", "9", "metering", ""],
        ["2025-03-01T11:00:00", "Льгов", "qr", "2", "", "", "Долго ждал"],
        ["2025-03-01T11:00:00", "NOPE", "kiosk", "7", "", "", ""],
        ["вчера", "KUR", "fax", "", "11", "bogus", ""],
    ]
    result = runner.invoke(
        args=["surveys", "import-responses", "visit-csat", str(_write(tmp_path / "r.csv", rows, header))]
    )
    assert result.exit_code != 0
    assert "строка 4" in result.output and "NOPE" in result.output and "overall" in result.output
    assert "строка 5" in result.output and "fax" in result.output and "submitted_at" in result.output
    assert "nps" in result.output and "purpose" in result.output
    assert "строка 2" not in result.output and "строка 3" not in result.output
    assert _count(Response) == 0 and _count(Answer) == 0


def test_import_line_numbers_count_blank_lines_and_multiline_cells(runner, published, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "submitted_at,center,channel,overall,why\n"
        '2025-03-01T10:00:00,KUR,kiosk,5,"Долго,\nочень долго"\n'
        "\n"
        "2025-03-01T11:00:00,KUR,kiosk,9,\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code != 0 and "строка 5" in result.output and "overall" in result.output, result.output
    assert "строка 2" not in result.output and "строка 3" not in result.output and "строка 4" not in result.output
    assert _count(Response) == 0


def test_import_unknown_column_refused(runner, published, tmp_path):
    path = _write(
        tmp_path / "r.csv",
        [["2025-03-01T10:00:00", "KUR", "kiosk", "5", "x"]],
        ["submitted_at", "center", "channel", "overall", "shoe_size"],
    )
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code != 0 and "shoe_size" in result.output and "строка 1" in result.output
    assert _count(Response) == 0


def test_import_converts_local_time_and_is_idempotent(runner, published, tmp_path):
    header = ["submitted_at", "center", "channel", "overall", "why"]
    rows = [
        ["2025-03-01T10:00:00", "KUR", "kiosk", "3", "Мало окон"],
        ["2025-03-01T10:00:00+00:00", "KUR", "online", "5", ""],
    ]
    path = _write(tmp_path / "r.csv", rows, header)
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code == 0, result.output
    stored = db.session.scalars(select(Response).order_by(Response.id)).all()
    assert [r.submitted_at.hour for r in stored] == [7, 10]  # Moscow 10:00 = 07:00 UTC
    assert stored[0].version_id == published.versions[-1].id
    why = db.session.scalar(select(Answer).where(Answer.question_code == "why"))
    assert why.text == "Мало окон" and why.submitted_at == stored[0].submitted_at
    result = runner.invoke(args=["surveys", "import-responses", "visit-csat", str(path)])
    assert result.exit_code == 0 and "пропущено уже загруженных: 2" in result.output
    assert _count(Response) == 2


def test_export_import_round_trip(runner, published, tmp_path):
    answers = [
        {"overall": 5, "nps": 10, "purpose": "metering", "wait": 4, "politeness": 5},
        {"overall": 1, "nps": 0, "purpose": "other", "purpose__other": "Справка", "why": "Очередь, «духота»; жарко"},
        {"overall": 3, "why": "=1+1", "clarity": 2},
    ]
    for center, body in zip(("KUR", "LGV", "BEL"), answers, strict=True):
        services.submit_response(
            slug="visit-csat", center=center, channel="online", answers=body, client_submission_id=str(uuid.uuid4())
        )
    out = tmp_path / "export.csv"
    result = runner.invoke(args=["surveys", "export-responses", "visit-csat", "--format", "csv", "--out", str(out)])
    assert result.exit_code == 0, result.output
    copy = template("visit-csat")
    copy["slug"] = "visit-copy"
    target = services.create_survey(copy)
    services.publish(target)
    result = runner.invoke(args=["surveys", "import-responses", "visit-copy", str(out)])
    assert result.exit_code == 0, result.output

    def answer_set(survey_id):
        rows = db.session.execute(
            select(
                Response.center_id,
                Response.submitted_at,
                Answer.question_code,
                Answer.value_num,
                Answer.option_code,
                Answer.text,
            )
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.survey_id == survey_id)
        ).all()
        # exports carry whole seconds (ISO 8601 UTC)
        return sorted((r[0], r[1].replace(microsecond=0), *r[2:]) for r in rows)

    original = answer_set(published.id)
    assert len(original) > 10
    imported = answer_set(target.id)
    # the formula-neutralised "=1+1" comes back with its apostrophe; everything else is identical
    assert [r for r in imported if r[2] != "why" or r[5] != "'=1+1"] == [
        r for r in original if r[2] != "why" or r[5] != "=1+1"
    ]
    # and the two CSV exports match column for column (except response ids, and the arrival time: an
    # imported response arrives when it is imported)
    first = list(csv.DictReader(io.StringIO("".join(exports.iter_csv(published, bom=False)))))
    second = list(csv.DictReader(io.StringIO("".join(exports.iter_csv(target, bom=False)))))
    skipped = ("response_id", "why", "received_at")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in skipped} for r in rows]  # noqa: E731
    assert strip(first) == strip(second)


def test_export_formats_to_files(runner, published, tmp_path):
    services.submit_response(
        slug="visit-csat", center="KUR", channel="kiosk", answers={"overall": 4}, client_submission_id=str(uuid.uuid4())
    )
    for fmt in ("xlsx", "sav", "csv"):
        out = tmp_path / f"x.{fmt}"
        result = runner.invoke(args=["surveys", "export-responses", "visit-csat", "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 100
    # Plain UTF-8 without a BOM, in a file as on standard output: a program reads the first header as is.
    assert (tmp_path / "x.csv").read_bytes().startswith(b'"submitted_at","center","channel","overall",')
    result = runner.invoke(args=["surveys", "export-responses", "visit-csat"])
    assert result.exit_code == 0 and result.output.startswith('"submitted_at","center","channel","overall",')


def test_generate_command(runner, published):
    result = runner.invoke(
        args=["surveys", "generate", "visit-csat", "--n", "300", "--from", "2025-01-01", "--to", "2025-12-31"]
    )
    assert result.exit_code == 0, result.output
    assert _count(Response, survey_id=published.id) == 300
