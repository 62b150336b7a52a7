"""Templates obey the CSP (script-src 'self'; style-src 'self'): no inline code, handlers or style attributes.

PDF-only templates (they embed ``font_css``, never served to a browser) may carry a <style> block.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "app" / "templates"
FILES = sorted(TEMPLATES.rglob("*.html"))
SAFE_ALLOWED = {"font_css"}  # constants of app.pdf, not typed by anyone


def _rel(path: Path) -> str:
    return str(path.relative_to(TEMPLATES))


def _is_pdf_only(text: str) -> bool:
    return "font_css" in text


def test_there_are_templates():
    assert len(FILES) > 20


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_no_inline_script_handler_or_style(path: Path):
    text = path.read_text(encoding="utf-8")
    problems = []
    for match in re.finditer(r"<script\b([^>]*)>(.*?)</script>", text, re.S | re.I):
        attrs, body = match.group(1), match.group(2)
        data_block = re.search(r'type="application/(ld\+)?json"', attrs)
        if "src=" not in attrs and not data_block:
            problems.append("inline <script>")
        if "src=" in attrs and body.strip():
            problems.append("<script src> with a body")
        if data_block and "|tojson" not in body.replace(" ", ""):
            problems.append("JSON data block not produced by |tojson")
    for match in re.finditer(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", text):
        problems.append(f"event handler attribute {match.group(1)}=")
    if re.search(r"<[a-zA-Z][^>]*\sstyle\s*=", text):
        problems.append("style= attribute")
    if re.search(r"<style\b", text, re.I) and not _is_pdf_only(text):
        problems.append("<style> block in a page served to browsers")
    if re.search(r"javascript:", text, re.I):
        problems.append("javascript: URL")
    for match in re.finditer(r"\{\{\s*([\w.]+)\s*\|\s*safe\s*\}\}", text):
        if match.group(1) not in SAFE_ALLOWED:
            problems.append(f"|safe on {match.group(1)}")
    assert problems == []
