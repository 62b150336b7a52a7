"""The page where marketing decides on submissions held for arriving in a burst."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.auth.decorators import roles_required
from app.extensions import db
from app.org.services import visible_center_ids
from app.parsing import form_id
from app.surveys import bp, integrity
from app.surveys.models import CHANNEL_LABELS, HeldSubmission, Survey


@bp.route("/surveys/held")
@roles_required("marketing")
def held():
    """Held submissions grouped by survey, centre and channel, each group with why it was held."""
    visible = visible_center_ids(current_user)
    rows = [h for h in integrity.pending() if h.center_id in visible]
    groups: dict[tuple[int, int, str], dict] = {}
    for row in rows:
        group = groups.setdefault(
            (row.survey_id, row.center_id, row.channel),
            {
                "survey": row.survey.title,
                "center": row.center.name,
                "channel": CHANNEL_LABELS.get(row.channel, row.channel),
                "items": [],
                "first": row.received_at,
                "last": row.received_at,
                "reasons": row.reasons,
                "tz": row.center.timezone,
            },
        )
        group["items"].append(row)
        group["last"] = row.received_at
        if (row.reasons or {}).get("arrived", 0) >= (group["reasons"] or {}).get("arrived", 0):
            group["reasons"] = row.reasons
    for group in groups.values():
        group["ids"] = ",".join(str(h.id) for h in group["items"])
        bodies = [h.body_hash for h in group["items"]]
        group["identical"] = max((bodies.count(b) for b in set(bodies)), default=0)
        addresses = [h.address_hash for h in group["items"] if h.address_hash]
        group["one_address"] = max((addresses.count(a) for a in set(addresses)), default=0)
    decided = list(
        db.session.scalars(
            select(HeldSubmission)
            .where(HeldSubmission.status != "held", HeldSubmission.center_id.in_(visible or {-1}))
            .order_by(HeldSubmission.decided_at.desc())
            .limit(50)
        )
    )
    surveys = {s.id: s.title for s in db.session.scalars(select(Survey))}
    return render_template(
        "surveys/held.html",
        groups=list(groups.values()),
        decided=decided,
        surveys=surveys,
        channel_labels=CHANNEL_LABELS,
    )


@bp.route("/surveys/held/decide", methods=["POST"])
@roles_required("marketing")
def held_decide():
    """Release or discard the listed held submissions (only those in the user's scope)."""
    decision = request.form.get("decision")
    visible = visible_center_ids(current_user)
    ids = []
    for part in (request.form.get("ids") or "").split(","):
        held_id = form_id(part.strip()) if part.strip() else None
        if held_id is not None:
            ids.append(held_id)
    allowed = [i for i in ids if (h := db.session.get(HeldSubmission, i)) is not None and h.center_id in visible]
    if decision not in ("release", "discard") or not allowed:
        flash("Не выбраны ответы или решение", "error")
        return redirect(url_for("surveys.held"))
    try:
        count = (
            integrity.release(allowed, current_user)
            if decision == "release"
            else integrity.discard(allowed, current_user)
        )
    except integrity.HoldError as exc:
        flash(str(exc), "error")
        return redirect(url_for("surveys.held"))
    flash(f"Принято в анализ: {count}" if decision == "release" else f"Отклонено: {count}", "success")
    return redirect(url_for("surveys.held"))
