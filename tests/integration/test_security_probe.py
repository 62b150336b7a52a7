"""The rest of a security probe's list: each test fails without its fix."""

from __future__ import annotations

import contextvars
import json
import re
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.surveys.demo import seed_main_survey
from tests.integration.test_analysis_pages import data  # noqa: F401 - a fixture
from tests.integration.test_security_support import appeal, as_user, quick_user, submit

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def served(client, url: str):
    """GET ``url`` and read the whole body the way a server does: in a context without the test's app context,
    so the request pushes its own and its session is removed when the view returns (the fixture hides that)."""

    def run():
        reply = client.get(url)
        return reply, reply.get_data(as_text=True)

    return contextvars.Context().run(run)


# --------------------------------------------------------------------------- exports


def test_staff_csv_download_of_responses_streams_after_the_audit_commit(client, org):
    survey, _version, _centres = seed_main_survey()
    submit("visit-csat", "KUR", "Всё хорошо")
    as_user(client, quick_user("marketing"))
    reply, body = served(client, f"/surveys/responses/export?survey={survey.id}&format=csv")
    assert reply.status_code == 200 and "overall" in body.splitlines()[0]


def test_csv_downloads_name_their_charset_once(client, org):
    survey, _version, _centres = seed_main_survey()
    submit("visit-csat", "KUR", "Всё хорошо")
    appeal("KUR", "Текст обращения")
    as_user(client, quick_user("manager"))
    for url in (
        "/appeals/export.csv",
        "/appeals/report.csv",
        f"/surveys/responses/export?survey={survey.id}&format=csv",
    ):
        reply = client.get(url)
        assert reply.status_code == 200 and reply.headers["Content-Type"] == "text/csv; charset=utf-8", url


QUOTED_CELL = r'"(?:[^"]|"")*"'


def every_cell_quoted(text: str, delimiter: str) -> bool:
    """True when every non-empty line is only quoted cells: a ``;`` inside a comma-separated cell then
    stays inside its cell even for a reader that splits on ``;`` (Russian Excel)."""
    line = re.compile(f"{QUOTED_CELL}(?:{re.escape(delimiter)}{QUOTED_CELL})*")
    lines = [raw for raw in text.lstrip("\ufeff").replace("\r\n", "\n").split("\n") if raw]
    return bool(lines) and all(line.fullmatch(raw) for raw in lines)


def test_csv_exports_quote_every_cell(client, org):
    survey, _version, _centres = seed_main_survey()
    submit("visit-csat", "KUR", "=1+2;x")
    appeal("KUR", "b,=SUM(1)")
    as_user(client, quick_user("manager"))
    today = date.today().isoformat()
    responses = client.get(f"/surveys/responses/export?survey={survey.id}&format=csv").get_data(as_text=True)
    assert every_cell_quoted(responses, ",")
    for url in (
        "/appeals/export.csv",
        "/appeals/report.csv",
        f"/analysis/report.csv?survey=visit-csat&from={today}&to={today}",
    ):
        reply = client.get(url)
        assert reply.status_code == 200 and every_cell_quoted(reply.get_data(as_text=True), ";"), url
    assert '"\'=1+2;x"' in responses  # the start-of-cell guard stays


# --------------------------------------------------------------------------- JSON inside HTML attributes


class _Forms(HTMLParser):
    """The hidden inputs of each form on a page, by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.forms.append((values.get("action") or "", {}))
        elif tag == "input" and self.forms and values.get("type") == "hidden" and values.get("name"):
            self.forms[-1][1][values["name"]] = values.get("value") or ""


@pytest.mark.usefixtures("data")
def test_a_recommendations_evidence_survives_the_create_action_form(client, make_user, login):
    from app.analysis.models import CorrectiveAction

    login(make_user("manager", scope="MRSK"))
    report = client.get("/analysis/report.json?survey=visit-csat&period=2026Q3").get_json()
    parser = _Forms()
    parser.feed(client.get("/analysis/?survey=visit-csat&period=2026Q3").get_data(as_text=True))
    fields = next(values for action, values in parser.forms if action == "/analysis/actions/new")
    assert json.loads(fields["evidence"]) == report["recommendations"][0]["evidence"] != {}
    assert client.post("/analysis/actions/new", data=fields).status_code == 302
    stored = db.session.scalar(select(CorrectiveAction))
    assert stored.evidence == report["recommendations"][0]["evidence"]


def test_no_template_puts_tojson_inside_a_double_quoted_attribute():
    """Flask's ``tojson`` escapes < > & ' for HTML but leaves ``"``: only a single-quoted attribute holds it."""
    found = [
        f"{path.name}: {match.group(0)}"
        for path in TEMPLATES.rglob("*.html")
        for match in re.finditer(r'="[^"]*\|\s*tojson[^"]*"', path.read_text(encoding="utf-8"))
    ]
    assert found == []


# --------------------------------------------------------------------------- appeals and corrective actions


def test_an_appeal_links_only_actions_of_its_centre_and_says_the_same_for_foreign_and_missing(client, org):
    from app.analysis.models import CorrectiveAction
    from app.appeals.models import Appeal
    from app.database import write_transaction
    from tests.integration.test_security_support import center_id

    item = appeal("KUR", "Обращение")
    with write_transaction():
        foreign = CorrectiveAction(title="Чужое", metric="wait", owner_id=center_id("BRN"))
        own = CorrectiveAction(title="Своё", metric="wait", owner_id=center_id("KUR"))
        branch = CorrectiveAction(title="Филиала", metric="wait", owner_id=center_id("KURS"))
        db.session.add_all([foreign, own, branch])
    as_user(client, quick_user("operator", scope="KUR"))

    def link(action_id: int) -> str:
        return client.post(
            f"/appeals/{item.id}/action", data={"action_id": str(action_id)}, follow_redirects=True
        ).get_data(as_text=True)

    def message(page: str, action_id: int) -> str:
        return re.search(r"Корректирующее мероприятие № \d+[^<]*", page).group(0).replace(str(action_id), "N")

    assert "не найдено" in link(foreign.id)
    assert message(link(foreign.id), foreign.id) == message(link(foreign.id + 1000), foreign.id + 1000)
    db.session.expire_all()
    assert db.session.get(Appeal, item.id).corrective_action_id is None
    for allowed in (own, branch):
        assert "Связь с корректирующим мероприятием сохранена" in link(allowed.id)
        db.session.expire_all()
        assert db.session.get(Appeal, item.id).corrective_action_id == allowed.id


# --------------------------------------------------------------------------- integers in query strings

HUGE = "9223372036854775807999"


def test_integers_beyond_a_database_integer_in_query_strings_are_a_bad_request(client, org):
    from app.api.tokens import create_token

    survey, _version, _centres = seed_main_survey()
    admin, manager, marketing = quick_user("admin"), quick_user("manager"), quick_user("marketing")
    public = ["/book/KUR?page=" + HUGE]
    staff = {
        manager: [
            f"/appeals/?center={HUGE}",
            f"/appeals/?page={HUGE}",
            f"/appeals/export.csv?center={HUGE}",
            f"/appeals/?page={2**62}",
            "/appeals/?page=" + "9" * 5000,
        ],
        admin: [f"/admin/audit?page={HUGE}", f"/reviews/moderation?page={HUGE}"],
        marketing: [
            f"/surveys/responses?survey={HUGE}",
            f"/surveys/responses?center={HUGE}",
            f"/surveys/responses?page={HUGE}",
            f"/surveys/{survey.id}/preview?page={HUGE}",
        ],
    }
    for url in public:
        reply = client.get(url)
        assert reply.status_code == 400 and "слишком велико" in reply.get_data(as_text=True), url
    for user, urls in staff.items():
        as_user(client, user)
        for url in urls:
            reply = client.get(url)
            assert reply.status_code == 400 and "слишком велико" in reply.get_data(as_text=True), url
    as_user(client, None)
    token = create_token(marketing.email, "probe")
    for query in (f"page={HUGE}", f"page={2**62}", f"per_page={HUGE}"):
        reply = client.get(
            f"/api/v1/surveys/visit-csat/responses?{query}", headers={"Authorization": f"Bearer {token}"}
        )
        assert reply.status_code == 400 and reply.json["message"], query


def test_ordinary_and_odd_integers_in_query_strings_behave_as_before(client, org):
    as_user(client, quick_user("manager"))
    for url in (
        "/book/KUR?page=2",
        "/book/KUR?page=abc",
        "/book/KUR?page=-5",
        "/appeals/?center=²",
        "/appeals/?center=abc",
        "/appeals/?page=0",
        f"/appeals/?page={2**40}",
    ):
        assert client.get(url).status_code == 200, url


# --------------------------------------------------------------------------- the review status lookup


@pytest.fixture
def real_server(app):
    """The test app behind Werkzeug's own server in a thread: its access log is what a deployment logs."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_status_lookup_is_a_post_and_no_url_or_log_holds_the_check_code(client, org, caplog, real_server):
    import logging

    import requests

    from tests.integration.test_reviews_book import post_entry, receipt_of

    caplog.set_level(logging.DEBUG)
    receipt = post_entry(client)
    number, code = receipt_of(receipt)
    hrefs = re.findall(r'(?:href|action)="([^"]*)"', receipt.get_data(as_text=True))
    assert f"/reviews/status?number={number}" in hrefs  # the receipt's link carries the number alone
    assert not [h for h in hrefs if code in h]

    by_url = client.get(f"/reviews/status?number={number}&code={code}").get_data(as_text=True)
    assert "Зарегистрировано" not in by_url and code not in by_url  # a GET looks nothing up
    assert f'value="{number}"' in by_url and 'method="post"' in by_url  # it fills in the number of a QR code

    with requests.Session() as browser:  # the receipt's link, then the form, as a browser follows them
        assert browser.get(f"{real_server}/reviews/status", params={"number": number}, timeout=30).ok
        found = browser.post(f"{real_server}/reviews/status", data={"number": number, "code": code}, timeout=30)
        assert "Зарегистрировано" in found.text
        browser.post(f"{real_server}/reviews/status", data={"number": number, "code": "AAAAAA"}, timeout=30)
    logged = [f"{r.name} {r.getMessage()}" for r in caplog.records]
    assert [line for line in logged if line.startswith("werkzeug") and "POST /reviews/status" in line]
    assert not [line for line in logged if code in line]


# --------------------------------------------------------------------------- XLSX uploads


def _appeals_workbook(path: Path, rows: int, padding_mb: int = 0) -> Path:
    """An appeals XLSX with ``rows`` data rows; ``padding_mb`` of XML comment inflate its sheet (tiny zipped)."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["received_at", "kind", "form", "topic", "center", "external_id"])
    for number in range(rows):
        sheet.append(["2026-03-02", "complaint", "remote", "quality", "KUR", f"X{number}"])
    book.save(path)
    if padding_mb:
        inflated = path.with_suffix(".tmp")
        with zipfile.ZipFile(path) as source, zipfile.ZipFile(inflated, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                data = source.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data.replace(b"<sheetData>", b"<!--" + b"x" * (padding_mb * 1024 * 1024) + b"--><sheetData>")
                target.writestr(item, data)
        inflated.replace(path)
    return path


def test_xlsx_imports_refuse_a_sheet_too_large_when_unpacked(org, runner, client, tmp_path):
    from app.appeals.importer import AppealImportError, import_file
    from app.appeals.models import Appeal

    bomb = _appeals_workbook(tmp_path / "bomb.xlsx", rows=2, padding_mb=25)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(AppealImportError, match="слишком велик"):
        import_file(bomb)
    result = runner.invoke(args=["appeals", "import", str(bomb)])
    assert result.exit_code != 0 and "распакованном виде" in result.output
    as_user(client, quick_user("manager"))
    with bomb.open("rb") as handle:
        page = client.post(
            "/appeals/import", data={"file": (handle, "bomb.xlsx")}, content_type="multipart/form-data"
        ).get_data(as_text=True)
    assert "Файл XLSX слишком велик" in page
    tree = tmp_path / "tree.xlsx"
    tree.write_bytes(bomb.read_bytes())
    result = runner.invoke(args=["org", "import", str(tree)])
    assert result.exit_code != 0 and "Файл XLSX слишком велик" in result.output
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


def test_xlsx_imports_refuse_too_many_rows(app, org, runner, tmp_path):
    from app.appeals.importer import AppealImportError, import_file
    from app.appeals.models import Appeal

    app.config["XLSX_MAX_ROWS"] = 20
    assert import_file(_appeals_workbook(tmp_path / "fits.xlsx", rows=20), dry_run=True).rows == 20
    with pytest.raises(AppealImportError, match="больше 20 строк"):
        import_file(_appeals_workbook(tmp_path / "long.xlsx", rows=21))
    assert db.session.scalar(select(func.count(Appeal.id))) == 0


# --------------------------------------------------------------------------- files on disk


def test_sqlite_database_and_its_wal_and_shm_are_owner_only_and_so_is_instance(tmp_path):
    import os
    import stat

    from sqlalchemy import text

    from app import create_app
    from tests.conftest import BASE_CONFIG

    path = tmp_path / "new.db"
    application = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with application.app_context():
        with db.engine.begin() as connection:
            connection.execute(text("CREATE TABLE probe (x INTEGER)"))
            connection.execute(text("INSERT INTO probe VALUES (1)"))
        with db.engine.connect() as connection:  # the WAL and shared-memory files exist while it is open
            connection.execute(text("SELECT x FROM probe")).all()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob("new.db*")}
        db.engine.dispose()
    assert set(modes) >= {"new.db", "new.db-wal", "new.db-shm"}
    assert set(modes.values()) == {0o600}, modes
    assert stat.S_IMODE(os.stat(application.instance_path).st_mode) == 0o700
    from app import protect_instance_folder

    protect_instance_folder(tmp_path / "fresh" / "instance")
    assert stat.S_IMODE((tmp_path / "fresh" / "instance").stat().st_mode) == 0o700


# --------------------------------------------------------------------------- codes


@pytest.mark.parametrize("where", ["question", "option", "matrix row"])
def test_question_and_option_codes_match_the_whole_string(where):
    from app.surveys.schema import DefinitionError, validate_definition

    def doc(suffix: dict[str, str]) -> dict:
        return {
            "slug": "codes",
            "title": {"ru": "Коды"},
            "pages": [
                {
                    "questions": [
                        {
                            "code": "pick" + suffix.get("question", ""),
                            "type": "single_choice",
                            "text": {"ru": "Выбор"},
                            "options": [
                                {"code": "a" + suffix.get("option", ""), "text": {"ru": "А"}},
                                {"code": "b", "text": {"ru": "Б"}},
                            ],
                        },
                        {
                            "code": "grid",
                            "type": "matrix",
                            "text": {"ru": "Оцените"},
                            "scale": {"min": 1, "max": 5},
                            "rows": [{"code": "grid_a" + suffix.get("matrix row", ""), "text": {"ru": "А"}}],
                        },
                    ]
                }
            ],
        }

    validate_definition(doc({}))
    with pytest.raises(DefinitionError):
        validate_definition(doc({where: "\n"}))


def test_organisation_codes_are_latin_capitals_and_digits_on_the_admin_page(client, org):
    from app.models import AuditEvent, Organisation
    from tests.integration.test_security_support import center_id

    as_user(client, quick_user("admin"))
    before = db.session.scalar(select(func.count(Organisation.id)))
    form = {
        "kind": "center",
        "name": "Новый ЦОК",
        "parent": str(center_id("KURS")),
        "timezone": "Europe/Moscow",
        "active": "y",
    }
    for bad in ("KUR-2", "КУР", "K", "2KUR", "KUR 2", "KUR_2", "A" * 17):
        reply = client.post("/admin/org/new", data={**form, "code": bad})
        assert reply.status_code == 400 and "латинских заглавных букв" in reply.get_data(as_text=True), bad
    assert db.session.scalar(select(func.count(Organisation.id))) == before
    assert client.post("/admin/org/new", data={**form, "code": "kur9"}).status_code == 302
    created = db.session.scalar(select(Organisation).where(Organisation.code == "KUR9"))
    assert created is not None

    renamed = client.post(f"/admin/org/{created.id}", data={**form, "code": "KUR10"})
    assert renamed.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, created.id).code == "KUR10"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "org.update"))
    assert event.details.get("renamed_from") == "KUR9"


def test_flask_org_import_refuses_a_code_a_receipt_could_not_carry(runner, org, tmp_path):
    from app.models import Organisation

    path = tmp_path / "tree.csv"
    path.write_text(
        "branch_code,branch_name,center_code,center_name,address,timezone\n"
        "KURS,Курскэнерго,KUR-2,Курск 2,адрес,Europe/Moscow\n"
        "BR-1,Филиал,NEW1,Новый,адрес,Europe/Moscow\n",
        encoding="utf-8",
    )
    before = db.session.scalar(select(func.count(Organisation.id)))
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code != 0
    assert "строка 2: Код «KUR-2» не подходит" in result.output and "строка 3: Код «BR-1» не подходит" in result.output
    assert db.session.scalar(select(func.count(Organisation.id))) == before


def test_every_receipt_number_round_trips_through_the_status_lookup(client, org):
    from sqlalchemy import update

    from app.database import write_transaction
    from app.models import Organisation
    from tests.integration.test_reviews_book import post_entry, receipt_of

    number, code = receipt_of(post_entry(client, center="KUR"))
    assert "Зарегистрировано" in client.post("/reviews/status", data={"number": number, "code": code}).get_data(
        as_text=True
    )
    with write_transaction():  # a centre coded before the rule existed
        db.session.execute(update(Organisation).where(Organisation.code == "LGV").values(code="LGV-2"))
    number, code = receipt_of(post_entry(client, center="LGV-2"))
    assert number.startswith("LGV-2-")
    assert "Зарегистрировано" in client.post("/reviews/status", data={"number": number, "code": code}).get_data(
        as_text=True
    )


# --------------------------------------------------------------------------- security log, audit address, caching

SECURITY_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ security client=(?P<client>\S+) account=(?P<account>\S+) "
    r"event=(?P<event>.+)"
)


def test_security_log_lines_carry_time_client_address_event_and_account(client, make_user, caplog):
    import logging

    from app.security import security_formatter

    caplog.set_level(logging.INFO, logger="otklik")
    operator = quick_user("operator")
    as_user(client, operator)
    assert client.get("/admin/users", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    as_user(client, None)
    client.post(
        "/login", data={"email": "nobody@example.test", "password": "x" * 12}, environ_base={"REMOTE_ADDR": "10.4.5.6"}
    )
    lines = [security_formatter().format(r) for r in caplog.records if r.name == "otklik.security"]
    parsed = [m.groupdict() for m in map(SECURITY_LINE.fullmatch, lines) if m]
    assert len(parsed) == len(lines) >= 2, lines
    refused = next(p for p in parsed if "access refused" in p["event"])
    assert (refused["client"], refused["account"]) == ("10.1.2.3", str(operator.id))
    failed = next(p for p in parsed if "login failed" in p["event"])
    assert (failed["client"], failed["account"]) == ("10.4.5.6", "-")


def test_audit_events_store_the_client_address(client, org, runner):
    from app.models import AuditEvent
    from tests.integration.test_security_support import center_id

    as_user(client, quick_user("admin"))
    reply = client.post(
        "/admin/org/new",
        data={
            "kind": "center",
            "code": "NEW1",
            "name": "Новый ЦОК",
            "parent": str(center_id("KURS")),
            "timezone": "Europe/Moscow",
            "active": "y",
        },
        environ_base={"REMOTE_ADDR": "2001:db8::7"},
    )
    assert reply.status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "org.create"))
    assert event.client_address == "2001:db8::7"
    assert "2001:db8::7" in client.get("/admin/audit").get_data(as_text=True)


def test_status_page_and_bearer_token_api_are_never_stored(client, org):
    from app.api.tokens import create_token

    seed_main_survey()
    for reply in (
        client.get("/reviews/status"),
        client.post("/reviews/status", data={"number": "KUR-2026-000001", "code": "ABCDEF"}),
    ):
        assert reply.headers.get("Cache-Control") == "no-store"
    token = create_token(quick_user("marketing").email, "probe")
    reply = client.get("/api/v1/surveys/visit-csat/responses", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200 and reply.headers.get("Cache-Control") == "no-store"
    assert "no-store" not in client.get("/book/KUR").headers.get("Cache-Control", "")  # public pages stay cacheable
