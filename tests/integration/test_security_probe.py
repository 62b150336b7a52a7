"""The rest of a security probe's list (issue 15): each test fails without its fix."""

from __future__ import annotations

import contextvars
import json
import re
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.surveys.demo import seed_main_survey
from tests.integration.test_analysis_pages import data  # noqa: F401 - a fixture
from tests.integration.test_security_support import appeal, as_user, quick_user, submit

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"


def served(client, url: str):  # noqa: ANN001, ANN201
    """GET ``url`` and read the whole body the way a server does: in a context without the test's app context,
    so the request pushes its own and its session is removed when the view returns (the fixture hides that)."""
    def run():  # noqa: ANN202
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
    for url in ("/appeals/export.csv", "/appeals/report.csv",
                f"/surveys/responses/export?survey={survey.id}&format=csv"):
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
    for url in ("/appeals/export.csv", "/appeals/report.csv",
                f"/analysis/report.csv?survey=visit-csat&from={today}&to={today}"):
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
    found = [f"{path.name}: {match.group(0)}" for path in TEMPLATES.rglob("*.html")
             for match in re.finditer(r'="[^"]*\|\s*tojson[^"]*"', path.read_text(encoding="utf-8"))]
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
        return client.post(f"/appeals/{item.id}/action", data={"action_id": str(action_id)},
                           follow_redirects=True).get_data(as_text=True)

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
