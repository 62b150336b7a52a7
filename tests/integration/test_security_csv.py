"""CSV/XLSX formula injection: no exported cell or header starts with = + - @ TAB CR (unless it is a number).

Hostile strings go into every typed field that reaches an export: answers and «other» texts, question
texts (headers), appeal texts and answers, topic and centre names (admin-typed).
"""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, Topic
from tests.integration.test_security_support import appeal, as_user, published_survey, quick_user, submit

FORMULAS = [
    "=1+2",
    "+1+2",
    "-1+2",
    "@SUM(A1:A2)",
    "\t=1+2",
    "\r=1+2",
    '=HYPERLINK("http://evil.test","x")',
    "=cmd|' /C calc'!A0",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def dangerous_cells(rows: list[list[object]]) -> list[str]:
    return [
        repr(cell)
        for row in rows
        for cell in row
        if isinstance(cell, str) and cell.startswith(DANGEROUS) and not _is_number(cell)
    ]


def csv_rows(body: bytes, delimiter: str | None = None) -> list[list[str]]:
    text = body.decode("utf-8-sig")
    if delimiter is None:
        delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def xlsx_rows(body: bytes) -> list[list[object]]:
    workbook = load_workbook(io.BytesIO(body))
    rows: list[list[object]] = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula cell {cell.coordinate}: {cell.value!r}"
            rows.append([cell.value for cell in row])
    return rows


@pytest.fixture
def hostile(org):
    """Hostile names on the KUR centre and a topic, responses and appeals carrying every formula."""
    with write_transaction():
        db.session.execute(update(Organisation).where(Organisation.code == "KUR").values(name="=1+2 Курск"))
        db.session.execute(update(Topic).where(Topic.code == "metering").values(name_ru="@SUM(A1) Учет"))
    survey = published_survey("csv-inj", '=HYPERLINK("http://evil.test","x")', centers=("KUR",))
    for formula in FORMULAS:
        submit(survey.slug, "KUR", formula, other=formula)
        appeal("KUR", formula)
    return survey


def test_survey_responses_csv_and_xlsx_are_neutralised(client, hostile):
    as_user(client, quick_user("marketing"))
    for fmt, reader in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(f"/surveys/responses/export?survey={hostile.id}&format={fmt}")
        assert response.status_code == 200, fmt
        rows = reader(response.data)
        assert len(rows) == 1 + len(FORMULAS)
        flat = {str(cell) for row in rows for cell in row}
        assert "'=1+2" in flat, "the hostile answers must be in the export (prefixed)"
        assert dangerous_cells(rows) == [], fmt


def test_appeals_export_csv_and_xlsx_are_neutralised(client, hostile):
    as_user(client, quick_user("manager"))
    for fmt, reader in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        response = client.get(f"/appeals/export.{fmt}")
        assert response.status_code == 200
        rows = reader(response.data)
        assert any(str(cell) == "'=1+2" for row in rows for cell in row)
        assert dangerous_cells(rows) == [], fmt


def test_appeals_report_csv_is_neutralised(client, hostile):
    as_user(client, quick_user("manager"))
    response = client.get("/appeals/report.csv")
    assert response.status_code == 200
    rows = csv_rows(response.data, ";")
    assert dangerous_cells(rows) == []


def test_analysis_csv_is_neutralised(client, hostile):
    as_user(client, quick_user("manager"))
    response = client.get(f"/analysis/report.csv?survey={hostile.slug}")
    assert response.status_code == 200
    rows = csv_rows(response.data, ";")
    assert dangerous_cells(rows) == []


def test_hostile_centre_name_reached_the_appeals_export(client, hostile):
    """Guard against a vacuous pass: the admin-typed names are in the export at all."""
    as_user(client, quick_user("manager"))
    rows = csv_rows(client.get("/appeals/export.csv").data, ";")
    cells = {str(c) for row in rows for c in row}
    assert any(c.startswith("'=1+2") or c.startswith("'@SUM") for c in cells), sorted(cells)[:20]
    assert db.session.scalar(select(Organisation.name).where(Organisation.code == "KUR")).startswith("=")
