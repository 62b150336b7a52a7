"""The one period picker on the analysis, monitoring, reports and responses pages; dates shown as 02.12.2026;
no «2025 г..» in the appeals report."""

from __future__ import annotations

import html as htmllib
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.periods import parse_period, quarter_of
from app.surveys import services as survey_services
from app.surveys.demo import seed_main_survey
from app.surveys.synthetic import generate_responses
from tests.integration.test_analysis_report import Q3, centers, make_survey, visit_csat_definition
from tests.integration.test_appeals_views import _appeal

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def picker_options(page: str, name: str = "period") -> tuple[list[str], str | None]:
    """The option values of the picker's select and the selected one."""
    select = re.search(rf'<select id="[^"]*" name="{name}">(.*?)</select>', page, re.S)
    assert select, f"no period picker named {name}"
    values = re.findall(r'<option value="([^"]*)"', select[1])
    selected = re.search(r'<option value="([^"]*)" selected', select[1])
    return values, selected[1] if selected else None


def visible_text(page: str) -> str:
    """The page's text without tags and attribute values (an <input type=date> keeps ISO values)."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", body))


def current_quarter_code() -> str:
    year, q = quarter_of(date.today())
    return f"{year}Q{q}"


def assert_full_picker(page: str, name: str = "period") -> list[str]:
    values, _selected = picker_options(page, name)
    assert "" in values  # own dates
    assert current_quarter_code() in values and f"{date.today().year}" in values
    assert any(v.endswith(("H1", "H2")) for v in values)
    assert "— текущий" in page and "Кварталы" in page and "Полугодия" in page and "Годы" in page
    for value in filter(None, values):  # every offered period parses back to itself
        assert parse_period(value).code == value
    return values


def test_monitoring_page_picker_and_dates(org, make_user, login, client):
    for _ in range(2):
        _appeal(received_at=datetime(2026, 5, 5, 9, 0))
    login(make_user("manager", "MRSK"))
    page = client.get("/appeals/report?period=2026Q2").get_data(as_text=True)
    assert "II квартал 2026 г." in page
    assert "предыдущий период 01.01.2026 — 31.03.2026" in " ".join(visible_text(page).split())
    assert not ISO_DAY.search(visible_text(page))
    assert_full_picker(page)
    assert picker_options(page)[1] == "2026Q2"
    assert client.get("/appeals/report.json?period=2026Q2").get_json()["total"] == 2
    typed = client.get("/appeals/report?period=2+квартал+2026")
    assert typed.status_code == 200 and picker_options(typed.get_data(as_text=True))[1] == "2026Q2"
    half = client.get("/appeals/report.json?period=2026H1").get_json()
    assert (half["period"]["from"], half["period"]["to"], half["total"]) == ("2026-01-01", "2026-06-30", 2)
    own = client.get("/appeals/report?period=&date_from=2026-05-01&date_to=2026-05-31").get_data(as_text=True)
    assert "01.05.2026 — 31.05.2026" in own and picker_options(own)[1] == ""
    refused = client.get("/appeals/report?period=2026Q7")
    assert refused.status_code == 400 and "Непонятный период" in refused.get_data(as_text=True)


def test_analysis_page_picker_and_dates(org, make_user, login, client):
    version = make_survey(visit_csat_definition())
    generate_responses(version, centers("KUR", "LGV"), *Q3, n=60, seed=5, weak_center_code=None)
    login(make_user("manager", scope="MRSK"))
    page = client.get("/analysis/?survey=visit-csat&period=2026Q3").get_data(as_text=True)
    title = re.search(r'<h2 id="report-title">(.*?)</h2>', page, re.S)
    assert title and "01.07.2026 — 30.09.2026" in title[1]
    assert not ISO_DAY.search(visible_text(page))
    assert_full_picker(page)
    assert picker_options(page)[1] == "2026Q3"
    typed = client.get("/analysis/report.json?survey=visit-csat&period=III+квартал+2026+г.").get_json()
    assert typed["period"]["from"] == "2026-07-01" and typed["period"]["to"] == "2026-09-30"
    half = client.get("/analysis/report.json?survey=visit-csat&period=2026H2").get_json()
    assert (half["period"]["from"], half["period"]["to"]) == ("2026-07-01", "2026-12-31")


def test_reports_form_accepts_what_it_offers(org, make_user, login, client):
    login(make_user("manager", scope="MRSK"))
    page = client.get("/reports/").get_data(as_text=True)
    values = assert_full_picker(page)
    assert 'name="period" value=' not in page  # a list, no free text to get wrong
    for value in (current_quarter_code(), next(v for v in values if v.endswith("H1")), str(date.today().year)):
        preview = client.get(f"/reports/preview?type=appeals&scope=KURS&period={value}")
        assert preview.status_code == 200, value
        assert parse_period(value).label in preview.get_data(as_text=True)
    typed = client.get("/reports/preview?type=appeals&scope=KURS&period=3+квартал+2026")
    assert typed.status_code == 200 and "III квартал 2026 г." in typed.get_data(as_text=True)
    again = client.get("/reports/?type=appeals&period=3+квартал+2026").get_data(as_text=True)
    assert picker_options(again)[1] == "2026Q3"


def test_appeals_report_has_no_double_full_stop_after_a_year(org, make_user, login, client):
    _appeal(received_at=datetime(2026, 8, 5, 9, 0))
    login(make_user("manager", scope="MRSK"))
    for period in ("2026Q3", "2026H1", "2026"):
        text = visible_text(
            client.get(f"/reports/preview?type=appeals&scope=KURS&period={period}").get_data(as_text=True)
        )
        assert "год N−1 —" in text
        assert not re.search(r"г\.\s*\.", text), period
    page = client.get("/reports/preview?type=appeals&scope=KURS&period=2026Q3").get_data(as_text=True)
    assert "год N−1 — III квартал 2025 г.</p>" in " ".join(page.split()).replace(" </p>", "</p>")


@pytest.fixture
def answered(org):
    seed_main_survey()
    survey_services.submit_response(
        slug="visit-csat",
        center="KUR",
        channel="online",
        answers={"overall": 5, "nps": 9},
        client_submission_id="0b6f7c1e-2222-4c1e-9a11-000000000001",
    )


def test_responses_page_picker(answered, make_user, login, client):
    login(make_user("marketing", scope="MRSK"))
    page = client.get("/surveys/responses").get_data(as_text=True)
    values = assert_full_picker(page)
    assert picker_options(page)[1] == "" and "Все даты или свои (ниже)" in page
    assert "Найдено ответов: 1" in page
    current = client.get(f"/surveys/responses?period={current_quarter_code()}").get_data(as_text=True)
    assert "Найдено ответов: 1" in current and picker_options(current)[1] == current_quarter_code()
    old = [v for v in values if v.endswith("Q1")][-1]
    assert "Найдено ответов: 0" in client.get(f"/surveys/responses?period={old}").get_data(as_text=True)
    # Own dates are the centres' local days: the response was stored on today's date in their zone, which in the
    # last hours of a UTC day is already tomorrow's UTC date.
    zone = ZoneInfo(client.application.config["DEFAULT_CENTER_TIMEZONE"])
    today = datetime.now(zone).date().isoformat()
    own = client.get(f"/surveys/responses?period=&start={today}&end={today}").get_data(as_text=True)
    assert "Найдено ответов: 1" in own and picker_options(own)[1] == ""
