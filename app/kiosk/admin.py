"""Admin pages: register kiosks, hand out one-time enrolment links, revoke and re-enrol, watch heartbeats."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import roles_required
from app.extensions import db
from app.kiosk import bp
from app.kiosk.forms import ActionForm, KioskForm, KioskSettingsForm
from app.kiosk.models import Kiosk
from app.kiosk.services import (
    KioskError,
    enrol_hours,
    issue_enrolment,
    kiosk_surveys,
    overview,
    register_kiosk,
    reissue,
    revoke,
    shown_survey,
    update_settings,
)
from app.org.services import centers
from app.urls import public_url


def enrol_url(code: str) -> str:
    """The one-time enrolment link the admin opens on the kiosk device."""
    return public_url("kiosk.enrol_page", code=code)


def _issued(kiosk: Kiosk, code: str, reissued: bool):
    return render_template(
        "kiosk/issued.html", kiosk=kiosk, url=enrol_url(code), reissued=reissued, hours=f"{enrol_hours():g}"
    )


def _list_page(form: KioskForm, status: int = 200):
    rows = overview()
    offered = {row.kiosk.center_id: kiosk_surveys(row.kiosk.center_id) for row in rows}
    return render_template(
        "kiosk/admin_list.html",
        form=form,
        rows=rows,
        action_form=ActionForm(),
        settings_form=KioskSettingsForm,
        offered=offered,
        shown={row.kiosk.id: shown_survey(offered[row.kiosk.center_id], row.kiosk.survey_id) for row in rows},
    ), status


def _form() -> KioskForm:
    form = KioskForm()
    form.center.choices = [(c.id, c.name) for c in centers()]
    return form


@bp.route("/admin/kiosks", methods=["GET", "POST"])
@roles_required("admin")
def admin_list():
    form = _form()
    if form.validate_on_submit():
        try:
            kiosk, _unused = register_kiosk(
                form.center.data, form.name.data, form.inactivity_seconds.data, current_user
            )
        except KioskError as exc:
            flash(str(exc), "error")
            return _list_page(form, 422)
        return _issued(kiosk, issue_enrolment(kiosk, current_user, revoke_device=False), reissued=False)
    return _list_page(form, 422 if form.errors else 200)


def _kiosk_or_404(kiosk_id: int) -> Kiosk:
    return db.session.get(Kiosk, kiosk_id) or abort(404)


@bp.route("/admin/kiosks/<int:kiosk_id>/revoke", methods=["POST"])
@roles_required("admin")
def admin_revoke(kiosk_id: int):
    kiosk = _kiosk_or_404(kiosk_id)
    if ActionForm().validate_on_submit():
        revoke(kiosk, current_user)
        flash(f"Киоск «{kiosk.name}» отключен: его ключ и ссылка подключения больше не действуют.", "success")
    return redirect(url_for("kiosk.admin_list"))


@bp.route("/admin/kiosks/<int:kiosk_id>/reissue", methods=["POST"])
@roles_required("admin")
def admin_reissue(kiosk_id: int):
    kiosk = _kiosk_or_404(kiosk_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _issued(kiosk, reissue(kiosk, current_user), reissued=True)


@bp.route("/admin/kiosks/<int:kiosk_id>/settings", methods=["POST"])
@roles_required("admin")
def admin_settings(kiosk_id: int):
    kiosk = _kiosk_or_404(kiosk_id)
    form = KioskSettingsForm()
    if form.validate_on_submit():
        chosen = form.survey_id.data if "survey_id" in request.form else None
        try:
            update_settings(kiosk, form.name.data, form.inactivity_seconds.data, current_user, survey_id=chosen)
        except KioskError as exc:
            flash(str(exc), "error")
        else:
            flash("Настройки киоска сохранены.", "success")
    else:
        flash("; ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("kiosk.admin_list"))
