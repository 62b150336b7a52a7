"""Admin pages for the organisation tree."""

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.auth.decorators import roles_required
from app.extensions import db
from app.models import Organisation, OrgKind
from app.org import bp
from app.org.forms import OrgForm
from app.org.services import OrgError, branches, company, save_org, set_active
from app.org.timezones import timezone_choices


@bp.route("/")
@roles_required("admin")
def index():
    return render_template("org/index.html", root=company(), branches=branches())


def _parent_choices() -> list[tuple[int, str]]:
    nodes = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind.in_([OrgKind.COMPANY, OrgKind.BRANCH]))
        .order_by(Organisation.kind.desc(), Organisation.name)
    )
    return [(o.id, f"{o.kind_label}: {o.name}") for o in nodes]


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:org_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit(org_id: int | None = None):
    org = None
    if org_id is not None:
        org = db.session.get(Organisation, org_id) or abort(404)
    form = OrgForm(obj=org if request.method == "GET" else None)
    form.parent.choices = _parent_choices()
    form.timezone.choices = timezone_choices(org.timezone if org else form.timezone.data)
    if request.method == "GET" and org is not None and org.parent_id:
        form.parent.data = org.parent_id
    if form.validate_on_submit():
        try:
            save_org(
                org,
                kind=org.kind if org else form.kind.data,
                code=form.code.data,
                name=form.name.data,
                parent_id=form.parent.data,
                address=form.address.data or "",
                opening_hours=form.opening_hours.data or "",
                timezone=(form.timezone.data or "").strip() or None,
                active=form.active.data,
            )
        except OrgError as exc:
            flash(str(exc), "error")
            return render_template("org/edit.html", form=form, org=org), 400
        else:
            flash("Сохранено.", "success")
            return redirect(url_for("org.index"))
    return render_template("org/edit.html", form=form, org=org)


@bp.route("/<int:org_id>/active", methods=["POST"])
@roles_required("admin")
def toggle_active(org_id: int):
    org = db.session.get(Organisation, org_id) or abort(404)
    set_active(org, not org.active)
    flash("ЦОК снова действует." if org.active else "ЦОК отключен; его данные сохранены.", "success")
    return redirect(url_for("org.index"))
