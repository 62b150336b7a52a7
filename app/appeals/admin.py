"""Admin pages: deadline rules, the written-appeal term, root causes, topics, regulator rows."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from app.appeals import bp, rules
from app.appeals.forms import DeadlineRuleForm, RootCauseForm, TopicForm
from app.appeals.models import CHANNELS, KINDS, DeadlineRule, RootCause
from app.appeals.report import REGULATOR_ROWS, regulator_map
from app.appeals.services import DEFAULT_TERMS, AppealError, written_term
from app.auth.decorators import roles_required
from app.extensions import db
from app.models import Topic
from app.parsing import form_id


def _topics() -> list[Topic]:
    return list(db.session.scalars(select(Topic).order_by(Topic.sort_order, Topic.name_ru)))


@bp.route("/admin/deadlines", methods=["GET", "POST"])
@roles_required("admin")
def deadlines():
    form = DeadlineRuleForm()
    form.topic.choices = [(0, "— любая тема —")] + [(t.id, t.name_ru) for t in _topics()]
    if form.validate_on_submit():
        try:
            rules.save_deadline_rule(form.kind.data, form.topic.data or None, form.days.data, form.working_days.data)
        except AppealError as exc:
            flash(str(exc), "error")
        else:
            flash("Правило срока сохранено. Оно действует для новых обращений.", "success")
            return redirect(url_for("appeals.deadlines"))
    rows = list(db.session.scalars(select(DeadlineRule).order_by(DeadlineRule.kind, DeadlineRule.topic_id)))
    topics = {t.id: t for t in _topics()}
    return render_template(
        "appeals/admin_deadlines.html",
        form=form,
        rules=rows,
        topics=topics,
        kinds=KINDS,
        written=written_term(),
        defaults=DEFAULT_TERMS,
    )


@bp.route("/admin/deadlines/<int:rule_id>/delete", methods=["POST"])
@roles_required("admin")
def delete_deadline(rule_id: int):
    rule = db.session.get(DeadlineRule, rule_id) or abort(404)
    rules.delete_deadline_rule(rule)
    flash("Правило удалено.", "success")
    return redirect(url_for("appeals.deadlines"))


@bp.route("/admin/deadlines/written", methods=["POST"])
@roles_required("admin")
def written_deadline():
    raw = request.form.get("days", "")
    try:
        rules.save_written_term(min(form_id(raw) or 0, 10_000), request.form.get("working_days") == "y")
    except AppealError as exc:
        flash(str(exc), "error")
    else:
        flash("Срок ответа на письменные обращения сохранен.", "success")
    return redirect(url_for("appeals.deadlines"))


@bp.route("/admin/root-causes", methods=["GET", "POST"])
@bp.route("/admin/root-causes/<int:cause_id>", methods=["GET", "POST"])
@roles_required("admin")
def root_causes(cause_id: int | None = None):
    cause = (db.session.get(RootCause, cause_id) or abort(404)) if cause_id else None
    form = RootCauseForm(obj=cause if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            rules.save_root_cause(cause, form.code.data, form.name_ru.data, form.active.data)
        except AppealError as exc:
            flash(str(exc), "error")
        else:
            flash("Коренная причина сохранена.", "success")
            return redirect(url_for("appeals.root_causes"))
    causes = list(db.session.scalars(select(RootCause).order_by(RootCause.name_ru)))
    return render_template("appeals/admin_root_causes.html", form=form, causes=causes, cause=cause)


@bp.route("/admin/topics", methods=["GET", "POST"])
@bp.route("/admin/topics/<int:topic_id>", methods=["GET", "POST"])
@roles_required("admin")
def topics(topic_id: int | None = None):
    topic = (db.session.get(Topic, topic_id) or abort(404)) if topic_id else None
    form = TopicForm(obj=topic if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            rules.save_topic(
                topic,
                form.code.data,
                form.name_ru.data,
                form.name_en.data or "",
                form.sort_order.data or 0,
                form.active.data,
            )
        except AppealError as exc:
            flash(str(exc), "error")
        else:
            flash("Тема сохранена.", "success")
            return redirect(url_for("appeals.topics"))
    return render_template("appeals/admin_topics.html", form=form, topics=_topics(), topic=topic)


@bp.route("/admin/regulator", methods=["GET", "POST"])
@roles_required("admin")
def regulator():
    if request.method == "POST":
        rules.save_regulator_map({channel: request.form.get(channel, "") for channel in CHANNELS})
        flash("Соответствие каналов строкам формы сохранено.", "success")
        return redirect(url_for("appeals.regulator"))
    return render_template(
        "appeals/admin_regulator.html", mapping=regulator_map(), channels=CHANNELS, rows=REGULATOR_ROWS
    )
