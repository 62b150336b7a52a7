"""Pure parts of the reports: Russian formats, periods, the safe URL fetcher, charts.

The report contexts are tested on real reports built from seeded data: tests/integration/test_reports_render.py.
"""

from __future__ import annotations

import base64
from datetime import date

import pytest

from app.pdf import RefusedFetch, safe_url_fetcher
from app.reports import charts
from app.reports.fmt import PeriodError, ci_text, mask_personal, num, parse_period, pct, signed


def test_russian_number_formats():
    assert num(1661) == "1\u00a0661"
    assert num(40357) == "40\u00a0357"
    assert pct(1661 / 40357) == "4,1\u00a0%"
    assert pct(0.81878) == "81,9\u00a0%"
    assert signed(-1.04) == "\u22121,0"
    assert signed(2.26) == "+2,3"
    assert signed(0.01) == "0,0"
    assert ci_text([0.7823, 0.83], 1, percent=True) == "[78,2; 83,0]\u00a0%"
    assert num(None) == "—" and pct(float("nan")) == "—"


def test_periods():
    q3 = parse_period("2026Q3")
    assert (q3.start, q3.end, q3.label) == (date(2026, 7, 1), date(2026, 9, 30), "III квартал 2026 г.")
    h1 = parse_period("2026h1")
    assert (h1.start, h1.end) == (date(2026, 1, 1), date(2026, 6, 30))
    year = parse_period("2026")
    assert (year.start, year.end) == (date(2026, 1, 1), date(2026, 12, 31))
    dates = parse_period(None, "2007-01-01", "2007-06-30")
    assert dates.days == 181
    for bad in ("2026Q5", "26Q1", "Q3"):
        with pytest.raises(PeriodError):
            parse_period(bad)
    with pytest.raises(PeriodError):
        parse_period(None, "2026-02-01", "2026-01-01")


def test_personal_data_masked_in_comments():
    text = mask_personal("Звоните +7 (912) 345-67-89, пишите ivan.petrov@mail.ru")
    assert "345" not in text and "mail.ru" not in text
    assert "[телефон скрыт]" in text and "[e-mail скрыт]" in text


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/logo.png",
        "http://localhost/static/css/otklik.css",
        "file:///etc/passwd",
        "otklik-static:///static/../../../../etc/passwd",
        "otklik-static:///static/%2e%2e/%2e%2e/pdf.py",
        "otklik-static://evil.example/static/css/otklik.css",
        "ftp://example.com/x",
        "/etc/passwd",
    ],
)
def test_safe_url_fetcher_refuses_everything_but_static_and_data(url):
    with pytest.raises(RefusedFetch):
        safe_url_fetcher(url)


# app.pdf hands data: URLs to WeasyPrint's deprecated default_url_fetcher (reported to its owner).
def test_safe_url_fetcher_serves_static_files_and_data_urls():
    font = safe_url_fetcher("otklik-static:///static/fonts/DejaVuSans.ttf")
    assert font.read()[:4] in (b"\x00\x01\x00\x00", b"true")
    assert font.content_type == "font/ttf" or font.content_type.startswith("application/")
    data = safe_url_fetcher("data:text/plain;base64," + base64.b64encode(b"ok").decode())
    assert data.read() == b"ok" and data.content_type == "text/plain"
    plain = safe_url_fetcher("data:text/plain,%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82")
    assert plain.read().decode() == "привет"


def _svg(url: str) -> str:
    assert url.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(url.split(",", 1)[1]).decode()


def test_charts_are_svg_with_searchable_russian_text():
    svg = _svg(charts.headline_bars([charts.Bar("Общая оценка", 0.81, 0.80, 0.82)], "Доля, %"))
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<text" in svg and "Общая оценка" in svg and "DejaVu Sans" in svg
    assert "#0072b2" in svg.lower()  # Okabe–Ito blue
