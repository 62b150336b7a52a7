"""Knowledge-base answers: the safe Markdown subset (app/text/markdown.py) against the XSS corpus."""

from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.text.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, markdown_to_text, render_markdown

PAYLOADS = [
    line
    for line in (Path(__file__).parents[1] / "data" / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]


class _Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def _elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    return parser.elements


@pytest.mark.parametrize("payload", PAYLOADS)
def test_no_payload_survives_as_markup(payload):
    for source in (payload, f"Ответ: {payload}", f"[ссылка]({payload})", f"- {payload}\n- пункт", f"# {payload}"):
        html = str(render_markdown(source))
        for tag, attrs in _elements(html):
            assert tag in ALLOWED_TAGS, (source, html)
            for name, value in attrs.items():
                assert name in ALLOWED_ATTRIBUTES.get(tag, set()) or name == "rel", (source, html)
                if name == "href":
                    assert (value or "").split(":")[0] in ("http", "https", "mailto"), (source, html)


def test_the_subset_is_rendered():
    html = str(render_markdown("# Срок\n\n## Документы\n\nНужны *паспорт* и **заявление**:\n\n1. один\n2. два"))
    assert "<h3>Срок</h3>" in html
    assert "<h4>Документы</h4>" in html
    assert "<em>паспорт</em>" in html and "<strong>заявление</strong>" in html
    assert "<ol>" in html and "<li>один</li>" in html
    assert "<h1" not in html and "<h2" not in html


def test_links_only_http_https_mailto_with_nofollow():
    html = str(render_markdown("[сайт](https://example.ru) [почта](mailto:info@example.ru) [x](javascript:alert(1))"))
    assert '<a href="https://example.ru" rel="nofollow noopener">сайт</a>' in html
    assert 'href="mailto:info@example.ru"' in html
    assert 'href="javascript' not in html
    data = str(render_markdown("[d](data:text/html;base64,PHNjcmlwdD4=) [f](ftp://example.ru/x)"))
    assert 'href="data' not in data and 'href="ftp' not in data


def test_raw_html_is_text_and_images_are_not_embedded():
    html = str(render_markdown('<b onclick="x()">жирный</b> ![картинка](https://example.ru/a.png)'))
    assert "<b" not in html and "&lt;b" in html
    assert "<img" not in html


def test_tables_without_style_attributes():
    html = str(render_markdown("| Тариф | Цена |\n|:--|--:|\n| день | 5,1 |"))
    assert "<table>" in html and "<td>день</td>" in html
    assert "style=" not in html


def test_plain_text_for_search():
    assert markdown_to_text("**Счётчик** & <пломба>").strip() == "Счётчик & <пломба>"
    assert markdown_to_text("") == ""
