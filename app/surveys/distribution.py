"""Distribution of a survey: the short link of each (survey, centre, channel), its QR code and an A4 poster."""

from __future__ import annotations

import io

import segno
from flask import Response, abort, current_app, render_template
from markupsafe import Markup

from app.auth.decorators import roles_required
from app.extensions import db
from app.pdf import PDF_FONT_CSS, render_pdf
from app.surveys import bp
from app.surveys.models import SurveyAssignment
from app.urls import public_url

CALL_TO_ACTION = "Оцените качество обслуживания — это займет 1 минуту"


def short_link(assignment: SurveyAssignment) -> str:
    """The public link printed on posters and sent in SMS: <public site>/s/<short code>."""
    return public_url("surveys.respond", short_code=assignment.short_code)


def _qr(url: str) -> segno.QRCode:
    # Level M survives a scuffed poster; a link this short stays a small, easy-to-scan symbol.
    return segno.make_qr(url, error="m")


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="svg", scale=8, border=4, xmldecl=True, title="QR-код анкеты")
    return out.getvalue()


def qr_png(url: str, scale: int = 12) -> bytes:
    out = io.BytesIO()
    _qr(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def poster_html(assignment: SurveyAssignment) -> str:
    url = short_link(assignment)
    return render_template(
        "surveys/poster.html",
        assignment=assignment,
        center=assignment.center,
        survey=assignment.survey,
        url=url,
        # Inline SVG rather than a data: URI: nothing goes through the PDF URL fetcher, and the markup is
        # segno's own output for our short link (no staff or customer text in it).
        qr_svg_markup=Markup(_qr(url).svg_inline(scale=10, border=2, omitsize=True, title="QR-код")),  # noqa: S704
        call_to_action=CALL_TO_ACTION,
        font_css=PDF_FONT_CSS,
        company_name=current_app.config["COMPANY_NAME"],
    )


def poster_pdf(assignment: SurveyAssignment) -> bytes:
    """A printable A4 poster: centre name and address, call to action, QR code and the short link."""
    return render_pdf(poster_html(assignment))


# --------------------------------------------------------------------------- views


def _assignment(assignment_id: int) -> SurveyAssignment:
    return db.session.get(SurveyAssignment, assignment_id) or abort(404)


def _download(body: bytes, mimetype: str, name: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/surveys/assignments/<int:assignment_id>/qr.svg")
@roles_required("marketing")
def qr_svg_download(assignment_id: int) -> Response:
    assignment = _assignment(assignment_id)
    return _download(qr_svg(short_link(assignment)), "image/svg+xml", f"qr-{assignment.short_code}.svg")


@bp.route("/surveys/assignments/<int:assignment_id>/qr.png")
@roles_required("marketing")
def qr_png_download(assignment_id: int) -> Response:
    assignment = _assignment(assignment_id)
    return _download(qr_png(short_link(assignment)), "image/png", f"qr-{assignment.short_code}.png")


@bp.route("/surveys/assignments/<int:assignment_id>/poster.pdf")
@roles_required("marketing")
def poster_download(assignment_id: int) -> Response:
    assignment = _assignment(assignment_id)
    return _download(
        poster_pdf(assignment), "application/pdf", f"poster-{assignment.center.code}-{assignment.channel}.pdf"
    )
