"""Each report built on demo-like data: key numbers in the PDF text, embedded fonts, no fetches, roles.

Page images go to tests/output/reports/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.reports import services
from app.reports.fmt import num, pct
from tests.integration import reports_seed

demo = reports_seed.demo  # the seeded data (a fixture shared with test_reports_render.py)

# app.pdf's fetcher returns dicts and hands data: URLs to default_url_fetcher, both deprecated in WeasyPrint 68;
# with warnings as errors the fonts and charts would silently fail to load (change requested in app/pdf.py).

OUTPUT = Path(__file__).resolve().parents[1] / "output" / "reports"


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True).stdout
    return " ".join(text.decode().replace("\u00a0", " ").split())


def fonts_embedded(data: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout.splitlines()
    rows = lines[2:]
    assert rows, "no fonts in the PDF"
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), f"font not embedded: {row}"
    return rows


def page_images(data: bytes, name: str) -> int:
    """Write page PNGs (50 dpi) under tests/output/reports/<name>-N.png; returns the page count."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob(f"{name}-*.png"):
        old.unlink()
    pdf = OUTPUT / f"{name}.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(OUTPUT / name)], check=True)
    return len(list(OUTPUT.glob(f"{name}-*.png")))


_BUILT: dict[tuple[str, tuple[tuple[str, str], ...]], bytes] = {}


def demo_pdf(report_type: str, params: dict[str, str]) -> bytes:
    """The PDF of the seeded ``demo`` data, built once per worker and shared by the tests that only read it.

    Every ``demo`` test starts on a copy of the same template database, so one request gives the same
    document in each of them; a WeasyPrint build takes seconds, and three of these were built three times.
    Tests that change the data or the request build their own PDF."""
    key = (report_type, tuple(sorted(params.items())))
    if key not in _BUILT:
        _BUILT[key] = services.build_pdf(report_type, params)
    return _BUILT[key]


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_satisfaction_report_numbers_fonts_and_pages(demo, tmp_path):
    from app.analysis.report import build_report

    data = demo_pdf("satisfaction", {"period": "2026Q3"})
    assert data.startswith(b"%PDF")
    report = build_report("visit-csat", date(2026, 7, 1), date(2026, 9, 30), previous=True)
    text = pdf_text(data, tmp_path)
    overall, nps = report.questions["overall"], report.questions["nps"]
    assert "Квартальный отчет об удовлетворенности клиентов" in text
    assert "III квартал 2026 г." in text
    assert plain(pct(overall.top2box)) in text
    assert plain(num(nps.nps, 1)) in text
    assert plain(num(report.n_responses)) in text
    ranked = [r for r in report.ranking.centers if r.rank]
    assert plain(num(ranked[0].index, 1)) in text
    assert re.search(r"стр\. 1 из \d+", text)
    assert "Содержание" in text and "Приложение. Методика и объем выборки" in text
    words = " ".join(text.split())
    for quadrant in ("сосредоточить усилия", "сохранять достигнутое", "низкий приоритет", "возможный избыток усилий"):
        assert f"«{quadrant}»" in words, quadrant  # the quadrant names, explained under the matrix
    fonts_embedded(data, tmp_path)
    pages = page_images(data, "satisfaction-company")
    assert pages >= 5


def test_satisfaction_branch_scope(demo, tmp_path):
    data = services.build_pdf("satisfaction", {"period": "2026Q3", "scope": "KURS"})
    text = pdf_text(data, tmp_path)
    assert "Курскэнерго" in text and "Курск" in text
    assert "Белгород " not in text  # other branches' centres are not in a branch report
    page_images(data, "satisfaction-KURS")


def test_customer_text_is_escaped_and_nothing_is_fetched(demo, tmp_path):
    from weasyprint import HTML

    from app.pdf import BASE_URL, safe_url_fetcher

    html = services.build_html("satisfaction", {"period": "2026Q3", "scope": "KUR"}, pdf=True)
    assert '<img src="http://169.254.169.254' not in html
    assert "&lt;img src=&#34;http://169.254.169.254/latest&#34;&gt;" in html
    fetched: list[str] = []

    def recording(url: str, *args, **kwargs):
        fetched.append(url)
        return safe_url_fetcher(url, *args, **kwargs)

    data = HTML(string=html, base_url=BASE_URL, url_fetcher=recording).write_pdf()
    assert fetched, "the fonts and the stylesheet are fetched through the fetcher"
    assert all(u.startswith(("data:", "otklik-static:///static/")) for u in fetched), fetched
    assert not any("169.254" in u or u.startswith("file:") for u in fetched)
    text = pdf_text(data, tmp_path)
    assert '<img src="http://169.254.169.254/latest">' in text.replace("\n", " ")
    assert "345-67-89" not in text  # the phone number is masked


def test_appeals_report_numbers(demo, tmp_path):
    from app.appeals.report import monitoring_report

    data = demo_pdf("appeals", {"period": "2026Q3"})
    report = monitoring_report(date(2026, 7, 1), date(2026, 9, 30), None)
    text = pdf_text(data, tmp_path)
    assert "Мониторинг обращений клиентов" in text
    assert plain(num(report.total)) in text
    for kind in report.by_kind:
        assert plain(f"{num(kind.count)}") in text and plain(pct(kind.share)) in text
    for row in report.by_kind_form:
        if row.count:
            assert plain(pct(row.share_of_kind)) in text
    assert "Льгов" in text and "Форма раскрытия информации" in text
    fonts_embedded(data, tmp_path)
    page_images(data, "appeals-company")


def test_appeals_pdf_entry_point_for_the_appeals_cli(demo):
    from app.appeals.report import monitoring_report
    from app.reports.services import appeals_pdf

    data = appeals_pdf(monitoring_report(date(2026, 4, 1), date(2026, 6, 30), None))
    assert data.startswith(b"%PDF")


def test_center_cards_one_page_each(demo, tmp_path):
    from pypdf import PdfReader

    data = demo_pdf("center", {"period": "2026Q3", "scope": "KURS"})
    path = tmp_path / "cards.pdf"
    path.write_bytes(data)
    reader = PdfReader(str(path))
    names = ["Обоянь", "Щигры", "Льгов", "Железногорск", "Курск"]
    assert len(reader.pages) == len(names)
    for page in reader.pages:
        text = page.extract_text()
        assert sum(f"Карточка ЦОК «{n}»" in text for n in names) == 1
        assert "Три главные меры" in text
    fonts_embedded(data, tmp_path)
    page_images(data, "center-KURS")


def test_cli_build_and_build_all(demo, runner, tmp_path):
    out = tmp_path / "sat.pdf"
    result = runner.invoke(
        args=["reports", "build", "satisfaction", "--period", "2026Q3", "--scope", "BELG", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF")
    bad = runner.invoke(args=["reports", "build", "appeals", "--period", "2026Q7", "--out", str(out)])
    assert bad.exit_code != 0 and "Непонятный период" in bad.output


@pytest.mark.parametrize("command", [["build", "satisfaction"], ["build", "center", "--scope", "KUR"], ["build-all"]])
def test_cli_unknown_survey_is_a_clear_error(demo, runner, tmp_path, command):
    out = ["--dir", str(tmp_path / "all")] if command == ["build-all"] else ["--out", str(tmp_path / "x.pdf")]
    result = runner.invoke(args=["reports", *command, "--period", "2026Q3", "--survey", "nope", *out])
    assert result.exit_code == 1 and "Анкета «nope» не найдена" in result.output, result.output
    assert result.exc_info[0] is SystemExit  # a ClickException, not a traceback
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "all").exists()


def test_pages_refuse_an_unknown_survey_before_queueing(demo, client, make_user, login):
    from app.reports.models import ReportArchive

    login(make_user("manager", scope="MRSK"))
    for url in (
        "/reports/preview?type=satisfaction&period=2026Q3&survey=nope",
        "/reports/preview?type=center&period=2026Q3&scope=KUR&survey=nope",
    ):
        reply = client.get(url, follow_redirects=True)
        assert reply.status_code == 200 and "Анкета «nope» не найдена" in reply.get_data(as_text=True), url
    reply = client.post(
        "/reports/", data={"type": "satisfaction", "period": "2026Q3", "survey": "nope"}, follow_redirects=True
    )
    assert "Анкета «nope» не найдена" in reply.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ReportArchive)) == 0


@pytest.mark.slow
def test_cli_build_all_writes_every_file(demo, runner, tmp_path):
    """A report for each open branch and a card for each open centre, none for closed ones. Two branches and
    three centres stay open: a branch report costs several seconds, a card one or two, and the other ten
    branches and 38 centres would test nothing more."""
    from sqlalchemy import update

    from app.database import write_transaction
    from app.models import Organisation, OrgKind
    from app.org.services import centers

    open_branches, open_centers = ("KOST", "KURS"), ("KOS", "KUR", "LGV")
    with write_transaction():
        for kind, kept in ((OrgKind.BRANCH, open_branches), (OrgKind.CENTER, open_centers)):
            db.session.execute(
                update(Organisation)
                .where(Organisation.kind == kind, Organisation.code.not_in(kept))
                .values(active=False)
            )
    assert sorted(c.code for c in centers()) == list(open_centers)
    folder = tmp_path / "all"
    result = runner.invoke(args=["reports", "build-all", "--period", "2026Q3", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["satisfaction-MRSK-2026Q3.pdf"]
        + [f"satisfaction-{code}-2026Q3.pdf" for code in open_branches]
        + [f"center-{code}-2026Q3.pdf" for code in open_centers]
    )
    assert "Готово: файлов 6" in result.output
    shutil.rmtree(folder)


def test_pages_role_preview_archive_and_scope(demo, client, make_user, login):
    operator = make_user("operator")
    login(operator)
    assert client.get("/reports/").status_code == 403
    client.post("/logout")

    manager = make_user("manager", scope="MRSK")
    login(manager)
    page = client.get("/reports/")
    assert page.status_code == 200 and "Отчеты PDF" in page.get_data(as_text=True)
    preview = client.get("/reports/preview?type=appeals&period=2026Q3&scope=KURS")
    assert preview.status_code == 200
    assert "Мониторинг обращений клиентов" in preview.get_data(as_text=True)
    assert "<script" not in preview.get_data(as_text=True)
    response = client.post("/reports/", data={"type": "appeals", "period": "2026Q3", "scope": "KURS"})
    assert response.status_code == 302
    archive_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    thread = services._threads.get(archive_id)
    services.wait_for(archive_id)
    assert thread is not None and not thread.is_alive()
    db.session.rollback()  # the test shares one session with the views: end its read snapshot
    status = client.get(f"/reports/{archive_id}/status").get_json()
    assert status["status"] == "done" and status["progress"] == 100, status
    pdf = client.get(status["download_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    shown = client.get(f"/reports/{archive_id}")
    assert shown.status_code == 200
    assert "III квартал 2026 г. · Курскэнерго" in shown.get_data(as_text=True)  # the request in words, no codes
    assert "KURS" not in shown.get_data(as_text=True).replace("/reports/", "")
    client.post("/logout")

    belgorod = make_user("manager", scope="BELG")
    login(belgorod)
    assert client.get(f"/reports/{archive_id}/download").status_code == 404
    assert client.get(f"/reports/{archive_id}/status").status_code == 404
    refused = client.post("/reports/", data={"type": "appeals", "period": "2026Q3", "scope": "KURS"})
    assert refused.status_code == 302 and "/reports/?" in refused.headers["Location"]
    client.post("/logout")

    kursk = make_user("manager", scope="KURS")
    login(kursk)
    assert client.get(f"/reports/{archive_id}/download").status_code == 200
    assert "Мониторинг обращений клиентов — Курскэнерго" in client.get("/reports/").get_data(as_text=True)


def test_no_code_or_identifier_in_any_pdf(demo, tmp_path):
    """Question codes, centre, branch and company codes, the survey slug, test and rule names: none in the text
    of the satisfaction PDF, the centre cards and the appeals PDF (registration numbers are not codes)."""
    from app.analysis.report import build_report
    from tests.integration.test_reports_render import codes_in, identifiers

    report = build_report("visit-csat", date(2026, 7, 1), date(2026, 9, 30), previous=True)
    codes = identifiers(report) | {"two_proportion_z", "binomial_exact", "complaints_above_network", "p_chart"}
    assert {"wait", "overall", "MRSK", "visit-csat", "LGV", "chi_square_top2box"} <= codes
    for report_type, params in (
        ("satisfaction", {"period": "2026Q3"}),
        ("center", {"period": "2026Q3", "scope": "KURS"}),
        ("appeals", {"period": "2026Q3"}),
    ):
        text = pdf_text(demo_pdf(report_type, params), tmp_path)
        assert codes_in(text, codes) == [], report_type
        assert "Курск" in text, report_type  # names instead


def test_first_page_says_what_who_why_and_effect(demo, tmp_path):
    """Page 1: «Главное», then the actions table built from the recommendation contract (action, role, why,
    expected effect), the highest-priority row first."""
    from app.analysis.report import build_report

    report = build_report("visit-csat", date(2026, 7, 1), date(2026, 9, 30), previous=True)
    top = max(report.recommendations, key=lambda r: r.priority)
    path = tmp_path / "sat.pdf"
    path.write_bytes(demo_pdf("satisfaction", {"period": "2026Q3"}))
    page1 = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"], capture_output=True, check=True, text=True
    ).stdout
    flat = " ".join(page1.replace("\u00a0", " ").split())
    assert "Главное" in flat and "Что сделать" in flat and "Ожидаемый эффект" in flat
    for field in ("action", "responsible_role", "why"):
        words = " ".join(getattr(top, field).replace("\u00a0", " ").split())
        assert words[:40] in flat, (field, words)


@pytest.fixture
def dollar_survey(org):
    """visit-csat whose wait question is written with dollar signs (mathtext syntax) by staff."""
    from app.surveys.synthetic import generate_responses
    from tests.integration.test_analysis_report import centers, make_survey, visit_csat_definition

    definition = visit_csat_definition()
    for page in definition["pages"]:
        for question in page["questions"]:
            if question["code"] == "wait":
                question["text"]["ru"] = r"Ожидание $\foo$ и цена $5"
    version = make_survey(definition)
    generate_responses(
        version,
        centers("KUR", "LGV", "SHCH", "OBO"),
        date(2026, 7, 1),
        date(2026, 9, 30),
        n=400,
        seed=5,
        weak_center_code="LGV",
    )
    return version


def test_dollar_signs_in_a_question_text_reach_the_preview_and_the_pdf(
    dollar_survey, client, make_user, login, tmp_path
):
    login(make_user("manager", scope="MRSK"))
    preview = client.get("/reports/preview?type=satisfaction&period=2026Q3")
    assert preview.status_code == 200
    assert r"Ожидание $\foo$ и цена $5" in preview.get_data(as_text=True)
    text = pdf_text(services.build_pdf("satisfaction", {"period": "2026Q3"}), tmp_path)
    assert r"Ожидание $\foo$" in text
