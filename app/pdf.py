"""HTML → PDF with WeasyPrint that can fetch nothing but the app's own static files and data: URLs.

Customer text ends up in reports, so a URL in it (``<img src="http://169.254.169.254/">``,
``file:///etc/passwd``) must never be fetched: the fetcher refuses every other scheme, host and path,
and never follows redirects (it never makes a network request at all).
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetchingError

STATIC_ROOT = (Path(__file__).parent / "static").resolve()
STATIC_PREFIX = "/static/"
BASE_URL = "otklik-static:///"  # relative URLs in templates resolve under this pseudo-scheme

log = logging.getLogger("otklik.pdf")


class RefusedFetch(URLFetchingError):
    """A resource a report is not allowed to load."""


def safe_url_fetcher(url: str, timeout: int = 10, ssl_context=None) -> dict:  # noqa: ANN001 - WeasyPrint API
    """Serve ``data:`` URLs and files under app/static; refuse everything else."""
    if url.startswith("data:"):
        from weasyprint.urls import default_url_fetcher

        return default_url_fetcher(url)
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.scheme == "otklik-static" and not parts.netloc:
        relative = path.lstrip("/")
        if relative.startswith("static/"):
            relative = relative[len("static/"):]
        target = (STATIC_ROOT / relative).resolve()
        if target.is_file() and STATIC_ROOT in target.parents:
            mime, _ = mimetypes.guess_type(target.name)
            return {"string": target.read_bytes(), "mime_type": mime or "application/octet-stream",
                    "redirected_url": url}
    log.warning("pdf fetch refused: scheme=%s", parts.scheme or "relative")
    raise RefusedFetch(f"refused: {parts.scheme or 'relative'} URL")


def render_pdf(html: str) -> bytes:
    """Render trusted-template HTML (customer text already escaped by Jinja) to PDF bytes."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=safe_url_fetcher).write_pdf()


PDF_FONT_CSS = """
@font-face { font-family: "DejaVu Sans"; src: url("otklik-static:///static/fonts/DejaVuSans.ttf"); font-weight: 400; }
@font-face { font-family: "DejaVu Sans"; src: url("otklik-static:///static/fonts/DejaVuSans-Bold.ttf"); font-weight: 700; }
"""
