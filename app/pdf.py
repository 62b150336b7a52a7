"""HTML → PDF with WeasyPrint that can fetch nothing but the app's own static files and data: URLs.

Customer text ends up in reports, so a URL in it (``<img src="http://169.254.169.254/">``,
``file:///etc/passwd``) must never be fetched: the fetcher refuses every other scheme, host and path,
and never follows redirects (it never makes a network request at all).
"""

from __future__ import annotations

import base64
import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from weasyprint import HTML
from weasyprint.urls import URLFetcherResponse, URLFetchingError

STATIC_ROOT = (Path(__file__).parent / "static").resolve()
STATIC_PREFIX = "/static/"
BASE_URL = "otklik-static:///"  # relative URLs in templates resolve under this pseudo-scheme

log = logging.getLogger("otklik.pdf")


class RefusedFetch(URLFetchingError):
    """A resource a report is not allowed to load."""


def _data_url(url: str) -> URLFetcherResponse:
    """Decode a ``data:[<mime>][;base64],<payload>`` URL without any fetching machinery."""
    header, _, payload = url[len("data:") :].partition(",")
    params = header.split(";")
    mime = params[0] or "text/plain"
    body = base64.b64decode(payload) if "base64" in params[1:] else unquote_to_bytes(payload)
    return URLFetcherResponse(url, body=body, headers={"Content-Type": mime})


def safe_url_fetcher(url: str, timeout: int = 10, ssl_context=None, **_kwargs) -> URLFetcherResponse:
    """Serve ``data:`` URLs and files under app/static; refuse everything else."""
    if url.startswith("data:"):
        return _data_url(url)
    parts = urlsplit(url)
    path = unquote(parts.path)
    if parts.scheme == "otklik-static" and not parts.netloc:
        relative = path.lstrip("/")
        if relative.startswith("static/"):
            relative = relative[len("static/") :]
        target = (STATIC_ROOT / relative).resolve()
        if target.is_file() and STATIC_ROOT in target.parents:
            mime, _ = mimetypes.guess_type(target.name)
            return URLFetcherResponse(
                url, body=target.read_bytes(), headers={"Content-Type": mime or "application/octet-stream"}
            )
    log.warning("pdf fetch refused: scheme=%s", parts.scheme or "relative")
    raise RefusedFetch(f"refused: {parts.scheme or 'relative'} URL")


def render_pdf(html: str) -> bytes:
    """Render trusted-template HTML (customer text already escaped by Jinja) to PDF bytes."""
    return HTML(string=html, base_url=BASE_URL, url_fetcher=safe_url_fetcher).write_pdf()


PDF_FONT_CSS = """
@font-face { font-family: "DejaVu Sans"; font-weight: 400;
             src: url("otklik-static:///static/fonts/DejaVuSans.ttf"); }
@font-face { font-family: "DejaVu Sans"; font-weight: 700;
             src: url("otklik-static:///static/fonts/DejaVuSans-Bold.ttf"); }
"""
