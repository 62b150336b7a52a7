"""The rest of a security probe's list (issue 15): each test fails without its fix."""

from __future__ import annotations

import contextvars
import re
from datetime import date

from app.surveys.demo import seed_main_survey
from tests.integration.test_security_support import appeal, as_user, quick_user, submit


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
