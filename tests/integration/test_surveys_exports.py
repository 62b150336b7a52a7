"""Exports (CSV, XLSX, SAV), the responses pages with their scope, distribution downloads."""

from __future__ import annotations

import csv
import io
import types
import uuid
from datetime import date

import pyreadstat
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from app.extensions import db
from app.models import Organisation
from app.org.services import find_center
from app.surveys import exports, services
from app.surveys.models import Response, Survey, SurveyAssignment
from app.surveys.schema import template
from app.surveys.synthetic import generate_responses


def _multi_definition():
    doc = template("visit-csat")
    doc["pages"].append(
        {
            "questions": [
                {
                    "code": "channels_used",
                    "type": "multi_choice",
                    "text": {"ru": "Как вы узнали о нас?"},
                    "options": [
                        {"code": "site", "text": {"ru": "Сайт"}},
                        {"code": "friends", "text": {"ru": "Знакомые"}},
                        {"code": "tv", "text": {"ru": "ТВ"}},
                    ],
                },
                {
                    "code": "grid",
                    "type": "matrix",
                    "text": {"ru": "Оцените зал"},
                    "scale": {"min": 1, "max": 5},
                    "rows": [
                        {"code": "grid_light", "text": {"ru": "Освещение"}},
                        {"code": "grid_seats", "text": {"ru": "Места"}},
                    ],
                },
            ]
        }
    )
    return doc


@pytest.fixture
def survey(org):
    created = services.create_survey(_multi_definition())
    services.publish(created)
    return created


def _submit(slug, center, answers, channel="kiosk"):
    return services.submit_response(
        slug=slug, center=center, channel=channel, answers=answers, client_submission_id=str(uuid.uuid4())
    ).response_id


@pytest.fixture
def answered(survey):
    ids = [
        _submit(
            "visit-csat",
            "KUR",
            {
                "overall": 5,
                "nps": 10,
                "purpose": "metering",
                "wait": 4,
                "channels_used": ["site", "tv"],
                "grid_light": 4,
                "grid_seats": 2,
            },
        ),
        _submit(
            "visit-csat",
            "LGV",
            {
                "overall": 2,
                "nps": 3,
                "purpose": "other",
                "purpose__other": "@SUM(1+1)",
                "why": '=HYPERLINK("http://evil")',
                "channels_used": ["friends"],
            },
            channel="qr",
        ),
        _submit("visit-csat", "BEL", {"overall": 4}),
    ]
    return ids


def _csv_rows(survey, flt=None, chunk=exports.CHUNK):
    text = "".join(exports.iter_csv(survey, flt)) if chunk == exports.CHUNK else None
    assert text is not None
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def test_csv_columns_values_and_neutralisation(survey, answered):
    rows = _csv_rows(survey)
    header = list(rows[0].keys())
    # The import format's columns first: submitted_at, center, channel, then the question codes;
    # the «Другое» texts and the response number follow; the arrival time is the last column.
    codes = [c.code for c in exports.survey_columns(survey) if not c.code.endswith("__other")]
    assert header[: 3 + len(codes)] == ["submitted_at", "center", "channel", *codes]
    assert header[3 + len(codes) :] == ["purpose__other", "response_id", "received_at"]
    for code in ("overall", "nps", "purpose", "purpose__other", "why", "channels_used", "grid_light", "grid_seats"):
        assert code in header
    assert "grid" not in header and "contact" not in header
    first, second, third = rows
    assert first["response_id"] == str(answered[0]) and first["center"] == "KUR" and first["channel"] == "kiosk"
    assert first["submitted_at"].endswith("Z") and "T" in first["submitted_at"]
    assert first["overall"] == "5" and first["purpose"] == "metering"
    assert first["channels_used"] == "site;tv"
    assert first["grid_light"] == "4" and first["grid_seats"] == "2"
    assert first["why"] == "" and first["wait"] == "4" and first["politeness"] == ""
    assert second["why"] == '\'=HYPERLINK("http://evil")'
    assert second["purpose"] == "other" and second["purpose__other"] == "'@SUM(1+1)"
    assert third["overall"] == "4" and third["nps"] == ""


def test_export_filters_by_centre_channel_and_period(survey, answered):
    kur = find_center("KUR")
    assert [r["center"] for r in _csv_rows(survey, exports.ExportFilter(center_ids={kur.id}))] == ["KUR"]
    assert [r["channel"] for r in _csv_rows(survey, exports.ExportFilter(channel="qr"))] == ["qr"]
    assert _csv_rows(survey, exports.ExportFilter(center_ids=set())) == []


def test_streaming_export_is_a_generator_over_many_chunks(survey, org):
    version = survey.versions[-1]
    centres = [find_center(code) for code in ("KUR", "LGV", "BEL")]
    generate_responses(version, centres, date(2025, 1, 1), date(2025, 12, 31), 1234, seed=3)
    records = exports.iter_records(survey, chunk=100)
    assert isinstance(records, types.GeneratorType)
    first = next(records)
    assert first[0] == db.session.scalar(select(Response.id).order_by(Response.id).limit(1))
    rest = list(records)
    assert len(rest) + 1 == 1234
    ids = [first[0]] + [r[0] for r in rest]
    assert ids == sorted(ids) and len(set(ids)) == 1234
    columns = exports.survey_columns(survey)
    overall = 4 + [c.code for c in columns].index("overall")
    assert all(1 <= r[overall] <= 5 for r in rest)
    # the chunked result equals one big chunk
    assert list(exports.iter_records(survey, chunk=100)) == list(exports.iter_records(survey, chunk=100000))
    pieces = exports.iter_csv(survey)
    assert isinstance(pieces, types.GeneratorType)
    assert sum(piece.count("\r\n") for piece in pieces) == 1235


def test_xlsx_opens_with_openpyxl(survey, answered, tmp_path):
    path = tmp_path / "out.xlsx"
    assert exports.write_xlsx(survey, path) == 3
    workbook = load_workbook(path, read_only=True)
    try:
        rows = list(workbook.active.iter_rows(values_only=True))
    finally:
        workbook.close()  # a read-only workbook keeps its file open until closed
    header = rows[0]
    assert header[:3] == ("submitted_at", "center", "channel") and header[-2:] == ("response_id", "received_at")
    assert rows[1][-1] and rows[1][-1].endswith("Z")
    why = header.index("why")
    assert rows[2][why] == '\'=HYPERLINK("http://evil")'
    assert rows[1][header.index("overall")] == 5
    assert rows[1][header.index("channels_used")] == "site;tv"


def test_sav_reads_back_with_labels(survey, answered, tmp_path):
    path = tmp_path / "out.sav"
    assert exports.write_sav(survey, path) == 3
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == 3
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    texts = {c.code: c.label for c in exports.survey_columns(survey)}
    assert labels["overall"] == texts["overall"] and labels["overall"]  # the question's Russian text
    assert labels["purpose"] == texts["purpose"] and labels["response_id"] == "Номер ответа"
    purpose_labels = meta.variable_value_labels["purpose"]
    assert purpose_labels[3.0] == "Учет электроэнергии"
    assert frame["purpose"].tolist()[0] == 3.0
    assert meta.variable_value_labels["overall"][5.0].startswith("5 — ")
    assert frame["overall"].tolist() == [5.0, 2.0, 4.0]
    assert frame["channels_used"].tolist()[0] == "site;tv"
    assert frame["response_id"].tolist() == answered
    assert frame["center"].tolist() == ["KUR", "LGV", "BEL"] and frame["channel"].tolist() == ["kiosk", "qr", "kiosk"]
    assert frame["purpose__other"].tolist() == ["", "@SUM(1+1)", ""]  # SPSS runs no formulas: kept as typed
    stored = db.session.scalar(select(Response.submitted_at).where(Response.id == answered[0]))
    assert abs(frame["submitted_at"].tolist()[0].to_pydatetime() - stored).total_seconds() < 1
    received = db.session.scalar(select(Response.received_at).where(Response.id == answered[0]))
    assert meta.column_names[-1] == "received_at" and labels["received_at"] == "Время получения (UTC)"
    assert abs(frame["received_at"].tolist()[0].to_pydatetime() - received).total_seconds() < 1


def test_sav_with_no_responses(survey, tmp_path):
    path = tmp_path / "empty.sav"
    assert exports.write_sav(survey, path) == 0
    frame, meta = pyreadstat.read_sav(str(path))
    assert len(frame) == 0 and "overall" in meta.column_names


def test_responses_page_is_scoped_and_single_response_is_404_outside(client, make_user, login, survey, answered):
    manager = make_user("manager", scope="KURS")  # Курскэнерго: KUR and LGV, not BEL
    login(manager)
    page = client.get("/surveys/responses").get_data(as_text=True)
    assert "Курск" in page and "Льгов" in page
    assert f'href="/surveys/responses/{answered[2]}"' not in page
    assert client.get(f"/surveys/responses/{answered[0]}").status_code == 200
    assert client.get(f"/surveys/responses/{answered[2]}").status_code == 404
    assert client.get("/surveys/responses/999999").status_code == 404
    exported = client.get(f"/surveys/responses/export?format=csv&survey={survey.id}")
    assert exported.status_code == 200
    assert exported.is_streamed
    centres = {row["center"] for row in csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")))}
    assert centres == {"KUR", "LGV"}


def test_single_response_shows_answers_but_no_contact_data(client, make_user, login, survey):
    rid = services.submit_response(
        slug="visit-csat",
        center="KUR",
        channel="online",
        client_submission_id=str(uuid.uuid4()),
        answers={
            "overall": 1,
            "why": "Долго <b>ждал</b>",
            "purpose": "metering",
            "contact": {"consent": True, "name": "Иван Петров", "phone": "+7 900 123-45-67", "email": ""},
        },
    ).response_id
    login(make_user("marketing", scope="MRSK"))
    html = client.get(f"/surveys/responses/{rid}").get_data(as_text=True)
    assert "Долго &lt;b&gt;ждал&lt;/b&gt;" in html
    assert "Учет электроэнергии" in html
    assert "контакт оставлен" in html
    assert "Иван" not in html and "123-45-67" not in html


def test_responses_filters_and_downloads(client, make_user, login, survey, answered):
    login(make_user("marketing", scope="MRSK"))
    lgv = find_center("LGV")
    page = client.get(
        f"/surveys/responses?survey={survey.id}&center={lgv.id}&channel=qr&start=2000-01-01&end=2100-01-01"
    )
    assert page.status_code == 200
    assert f'href="/surveys/responses/{answered[1]}"' in page.get_data(as_text=True)
    assert f'href="/surveys/responses/{answered[0]}"' not in page.get_data(as_text=True)
    for fmt, magic in (("xlsx", b"PK"), ("sav", b"$FL2")):
        response = client.get(f"/surveys/responses/export?format={fmt}&survey={survey.id}")
        assert response.status_code == 200
        assert response.get_data()[:4].startswith(magic)


def test_operator_cannot_read_responses(client, make_user, login, survey, answered):
    login(make_user("operator"))
    assert client.get("/surveys/responses").status_code == 403
    assert client.get(f"/surveys/responses/{answered[0]}").status_code == 403


def test_qr_and_poster(client, make_user, login, survey, app, caplog):
    kur = find_center("KUR")
    services.assign(survey, [kur.id], ["qr"])
    assignment = db.session.scalar(select(SurveyAssignment))
    login(make_user("marketing", scope="MRSK"))
    png = client.get(f"/surveys/assignments/{assignment.id}/qr.png")
    assert png.status_code == 200 and png.get_data()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get(f"/surveys/assignments/{assignment.id}/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.get_data()
    from xml.etree import ElementTree

    ElementTree.fromstring(svg.get_data())  # noqa: S314 - our own output, checked to be well-formed
    pdf = client.get(f"/surveys/assignments/{assignment.id}/poster.pdf")
    assert pdf.status_code == 200 and pdf.get_data()[:5] == b"%PDF-"
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.get_data())).pages).split())
    assert "Курск" in text
    assert "Оцените качество обслуживания — это займет 1 минуту" in text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # the QR image was not dropped
    assert f"/s/{assignment.short_code}" in text
    assert client.get("/surveys/assignments/999/poster.pdf").status_code == 404


def test_qr_decodes_to_the_short_link(survey, app):
    from app.surveys.distribution import short_link

    kur = find_center("KUR")
    assignment = services.assign(survey, [kur.id], ["kiosk"])[0]
    with app.test_request_context(base_url="https://otklik.example.test"):
        assert short_link(assignment) == f"https://otklik.example.test/s/{assignment.short_code}"


def test_survey_counts_on_index(client, make_user, login, survey, answered):
    login(make_user("marketing", scope="MRSK"))
    html = client.get("/surveys/").get_data(as_text=True)
    assert survey.title in html
    assert db.session.get(Survey, survey.id) is not None
    assert db.session.scalar(select(Organisation).where(Organisation.code == "KUR")) is not None
