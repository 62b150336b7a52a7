"""Russian everywhere: no code, enum value or English word on a page or in a PDF a person reads.

On the demo-like seeded data (``reports_seed.demo``: visit-csat with 6 000 responses, 400 appeals) plus a
review entry, an answered appeal and a published review, the test signs in as each role and crawls every
staff page: the navigation, every GET rule without parameters and, by following links, one instance of
each parametrised page. It also crawls the customer pages anonymously and reads the text of the
satisfaction and appeals monitoring PDFs. Tags, scripts, styles and attributes are stripped; what is left
must not contain a Latin identifier (a word of two or more Latin letters or underscores, a snake_case or
dotted name) outside the allow-lists below.
"""

from __future__ import annotations

import io
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from app.extensions import db
from app.reports import services as report_services
from tests.integration import reports_seed

demo = reports_seed.demo  # the seeded data (shared with the report renderer tests)

ROLES = ("admin", "marketing", "operator", "manager")

# Abbreviations a Russian reader of these pages knows as words, not code. Each is here for a reason:
ALLOWED_WORDS = {
    "PDF",  # the report format staff download
    "CSV",  # export format of responses and reports
    "XLSX",  # export format (Excel) and the XLSForm import
    "JSON",  # the definition export and API documentation
    "API",  # the integration tokens page
    "QR",  # QR codes on posters and kiosks
    "NPS",  # the Net Promoter Score, known by this name in the industry
    "CSAT",  # customer satisfaction score, a metric name
    "CES",  # customer effort score, a metric name
    "SMS",  # a channel name
    "PNG",  # QR code download format
    "SVG",  # QR code download format
    "SPSS",  # the statistics package whose file the responses export offers
    "ID",  # identifiers of API tokens and kiosks
    "SurveyJS",  # the name of the interchange format a survey is exported to
    "XLSForm",  # the name of the interchange format a survey is imported from
}
# Customer pages allow none of them; PDFs only this one.
PDF_ALLOWED_WORDS = {"NPS"}
# Roman numerals number quarters and half-years («III квартал 2026 г.»).
ROMAN = re.compile(r"^[IVX]+$")
# A review's registration number (KUR-2026-000001) is what the customer types back on the status page.
REGISTRATION_NUMBER = re.compile(r"\b[A-Z]{2,6}-\d{4}-\d{6}\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"https?://\S+")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[.\-][A-Za-z_][A-Za-z0-9_]*)*")

# Endpoints a GET must not visit: they end the session or are not pages.
SKIPPED_ENDPOINTS = {"auth.logout", "static", "main.favicon", "main.healthz", "main.bench_hello"}
SKIPPED_PREFIXES = ("api.", "kiosk.device", "kiosk.shell", "kiosk.enrol")
# The survey designer's pages are being rebuilt (one-page designer with the codes under «Дополнительно»);
# test_designer_pages_show_no_latin_identifiers below holds them to the same rule and must start passing.
DESIGNER_ENDPOINTS = {"surveys.edit", "surveys.question"}


class VisibleText(HTMLParser):
    """The text a reader sees: no tags, attributes, scripts or styles; the «Дополнительно» blocks apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.visible: list[str] = []
        self.extra: list[str] = []  # text inside <details> whose summary is «Дополнительно»
        self.links: list[str] = []
        self._hidden = 0
        self._foreign: list[str] = []  # open elements marked lang="en": deliberately English (the switcher)
        self._details: list[bool] = []
        self._summary: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        language = dict(attrs).get("lang")
        if self._foreign and tag == self._foreign[0] or language and not language.startswith("ru"):
            self._foreign.append(tag)
        if tag in ("script", "style", "template"):
            self._hidden += 1
        elif tag == "details":
            self._details.append(False)
        elif tag == "summary":
            self._summary = []
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self._foreign and tag == self._foreign[-1]:
            self._foreign.pop()
        if tag in ("script", "style", "template"):
            self._hidden = max(0, self._hidden - 1)
        elif tag == "details" and self._details:
            self._details.pop()
        elif tag == "summary" and self._summary is not None:
            if self._details and " ".join(self._summary).strip().startswith("Дополнительно"):
                self._details[-1] = True
            self._summary = None

    def handle_data(self, data: str) -> None:
        if self._hidden or self._foreign:
            return
        if self._summary is not None:
            self._summary.append(data)
        (self.extra if any(self._details) else self.visible).append(data)


def identifiers(text: str, *, staff: bool) -> set[str]:
    """Latin identifiers in ``text`` that no allow-list covers; staff text may show e-mails, links and the
    abbreviations of ALLOWED_WORDS, customer text none of them."""
    text = REGISTRATION_NUMBER.sub(" ", text)
    if staff:
        text = URL.sub(" ", EMAIL.sub(" ", text))
    found = set()
    for word in IDENTIFIER.findall(text):
        letters = sum(ch.isascii() and (ch.isalpha() or ch == "_") for ch in word)
        if letters < 2 or (staff and word in ALLOWED_WORDS) or ROMAN.match(word):
            continue
        found.add(word)
    return found


def endpoint_of(app, path: str) -> tuple[str, bool] | None:
    """(endpoint, takes arguments) of a local path, or None when it is not an app page."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, arguments = adapter.match(path, method="GET")
    except (HTTPException, RequestRedirect):
        return None
    return endpoint, bool(arguments)


def crawlable(endpoint: str) -> bool:
    return endpoint not in SKIPPED_ENDPOINTS and not endpoint.startswith(SKIPPED_PREFIXES)


def crawl(
    app, client, start: list[str], *, staff: bool, only: set[str] | None = None, ignore: frozenset[str] = frozenset()
) -> tuple[dict[str, set[str]], set[str]]:
    """Visits ``start`` and, by following links, one URL per endpoint; returns findings and endpoints seen.

    Findings on pages of ``ignore`` endpoints are not reported; with ``only``, only those endpoints' are."""
    queue: deque[tuple[str, str]] = deque()
    queued: set[str] = set()

    def offer(url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return
        match = endpoint_of(app, parts.path)
        if match is None or not crawlable(match[0]) or match[0] in queued:
            return
        queued.add(match[0])
        queue.append((match[0], parts.path + (f"?{parts.query}" if parts.query else "")))

    for url in start:
        offer(url)
    findings: dict[str, set[str]] = {}
    while queue:
        endpoint, url = queue.popleft()
        response = client.get(url)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = VisibleText()
        page.feed(response.get_data(as_text=True))
        found = identifiers(" ".join(page.visible), staff=staff)
        if not staff:
            found |= identifiers(" ".join(page.extra), staff=False)
        reported = endpoint not in ignore and (only is None or endpoint in only)
        if found and reported:
            findings[url] = found
        for link in page.links:
            offer(link)
    return findings, queued


def get_rules_without_arguments(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments and crawlable(rule.endpoint)
    )


def report(findings: dict[str, set[str]]) -> str:
    return "\n".join(f"{where}: {', '.join(sorted(words))}" for where, words in sorted(findings.items()))


@pytest.fixture
def lived_in(demo, make_user):
    """The seeded data plus what a working week adds: a review entry answered and published, an appeal in
    progress (its audit trail), a response with text answers."""
    from app.appeals.models import Appeal
    from app.appeals.services import answer, change_status
    from app.reviews.models import ReviewEntry
    from app.reviews.services import EntryInput, moderate, submit_entry

    operator = make_user("operator", scope="KUR")
    receipt = submit_entry(
        EntryInput(
            center_code="KUR",
            entry_type="gratitude",
            topic_code="other",
            text="Спасибо за быстрое подключение",
            publish_consent=True,
        )
    )
    entry = db.session.get(ReviewEntry, receipt.entry_id)
    moderate(entry, "publish", operator)
    answer(db.session.get(Appeal, entry.appeal_id), "Спасибо, передали коллегам.", operator)
    appeal = db.session.scalar(select(Appeal).where(Appeal.id != entry.appeal_id).order_by(Appeal.id))
    change_status(appeal, "in_progress", operator)
    from app.site import demo as site_demo

    site_demo.seed(lambda _line: None)  # the public pages and news staff keep current
    return receipt, entry.appeal_id


def test_staff_pages_show_no_latin_identifiers(app, client, lived_in, make_user, login):
    from app.nav import NAVIGATION

    navigation = [app.url_map.bind("localhost").build(endpoint) for endpoint, _label, _roles in NAVIGATION]
    _receipt, review_appeal_id = lived_in
    # The review book's appeal first: its page names the external number's source.
    # The analysis and monitoring pages with a result shown, not only their empty forms.
    shown = ["/analysis/?survey=visit-csat&period=2026Q3", "/appeals/report?year=2026&part=q3"]
    start = [f"/appeals/{review_appeal_id}", *shown, "/dashboard", *navigation, *get_rules_without_arguments(app)]
    findings: dict[str, set[str]] = {}
    visited: set[str] = set()
    for role in ROLES:
        user = make_user(role, scope="KUR" if role == "operator" else None)
        login(user)
        found, seen = crawl(app, client, start, staff=True, ignore=frozenset(DESIGNER_ENDPOINTS))
        visited |= seen
        for url, words in found.items():
            findings.setdefault(url, set()).update(words)
        client.get("/logout")
    for endpoint in ("surveys.edit", "org.edit", "appeals.detail", "surveys.response_detail", "reviews.moderation"):
        assert endpoint in visited, f"the crawl never reached {endpoint}: {sorted(visited)}"
    assert not findings, "Latin identifiers on staff pages:\n" + report(findings)


def test_designer_pages_show_no_latin_identifiers(app, client, demo, make_user, login):
    login(make_user("marketing"))
    findings, visited = crawl(app, client, ["/surveys/"], staff=True, only=DESIGNER_ENDPOINTS)
    assert visited >= DESIGNER_ENDPOINTS
    assert not findings, "Latin identifiers on the designer pages:\n" + report(findings)


def test_customer_pages_show_no_latin_identifiers(app, client, lived_in):
    start = ["/", "/centers", "/centers/KUR", "/reviews/KUR/new", "/book/KUR", "/reviews/status"]
    findings, visited = crawl(app, client, start, staff=False)
    for endpoint in (
        "surveys.respond",
        "reviews.book",
        "reviews.new",
        "reviews.status",
        "ask.form",
        "site.page",
        "site.news_post",
    ):
        assert endpoint in visited, f"the crawl never reached {endpoint}: {sorted(visited)}"
    receipt, _appeal_id = lived_in
    status = client.post("/reviews/status", data={"number": receipt.registration_number, "code": receipt.check_code})
    assert "Спасибо, передали коллегам." in status.get_data(as_text=True)
    page = VisibleText()
    page.feed(status.get_data(as_text=True))
    if found := identifiers(" ".join(page.visible + page.extra), staff=False):
        findings["POST /reviews/status"] = found
    assert not findings, "Latin identifiers on customer pages:\n" + report(findings)


@pytest.mark.parametrize("report_type", ["satisfaction", "appeals"])
def test_report_pdfs_show_no_latin_identifiers(demo, report_type):
    data = report_services.build_pdf(report_type, {"period": "2026Q3"})
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    found = identifiers(text, staff=False)
    # The seeded malicious comment is quoted as the customer wrote it: a customer's own words, not ours.
    found -= identifiers(reports_seed.MALICIOUS, staff=False)
    # The one exception in PDFs: NPS is the name managers know the metric by; the PDF spells it out
    # («Индекс готовности рекомендовать (NPS)») where it first appears.
    found -= PDF_ALLOWED_WORDS
    assert not found, f"Latin identifiers in the {report_type} PDF: {', '.join(sorted(found))}"


def test_a_new_survey_needs_no_latin_code(client, make_user, login):
    """The code is under «Дополнительно»: left empty, it is made from the title (and made unique)."""
    from app.surveys.models import Survey

    login(make_user("marketing"))
    for _ in range(2):
        response = client.post("/surveys/new", data={"template": "", "slug": "", "title": "Опрос о подключении"})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    slugs = db.session.scalars(select(Survey.slug).order_by(Survey.id)).all()
    assert slugs == ["opros-o-podkliuchenii", "opros-o-podkliuchenii-2"]


@pytest.mark.parametrize(
    ("action", "summary", "shown"),
    [
        ("appeal.status", "registered → in_progress", "Зарегистрировано → В работе"),
        ("analysis.action.status", "planned → in_progress", "Запланировано → Выполняется"),
        ("appeal.register", "complaint/review_book", "Жалоба · Книга отзывов"),
        ("user.create", "role=admin", "Администратор"),
        ("user.role", "operator→manager", "Оператор ЦОК→Руководитель"),
        ("survey.publish", "visit-csat v2", ""),  # a slug stays under «Дополнительно» only
    ],
)
def test_audit_summaries_read_in_russian(app, action, summary, shown):
    from app.main.audit_view import action_label, readable_summary
    from app.models import AuditEvent

    event = AuditEvent(action=action, summary=summary, object_type="Appeal", object_id="7")
    with app.test_request_context():  # labels are translated for the request's language
        assert readable_summary(event) == shown
        assert not identifiers(action_label(event), staff=False)
