"""Login, logout, password change and the admin user pages."""

from __future__ import annotations

import logging
from urllib.parse import unquote, urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from app.auth import bp
from app.auth.decorators import roles_required, staff_required
from app.auth.forms import LoginForm, PasswordChangeForm, UserCreateForm, UserEditForm
from app.auth.services import (
    AuthError,
    authenticate,
    change_password,
    check_password_policy,
    create_user,
    end_sessions,
    login_blocks,
    set_password,
    unlock_user,
    update_user,
)
from app.extensions import db, limiter
from app.models import Organisation, User, utcnow


def safe_next(target: str | None) -> str | None:
    """Accept only a local absolute path such as '/appeals/'; refuse '//evil', '/\\evil', schemes."""
    if not target:
        return None
    decoded = target
    for _ in range(3):  # catch double-encoded forms like %252F%252F
        decoded = unquote(decoded)
    if any(ch in decoded for ch in ("\\", "\r", "\n", "\t")) or any(ord(ch) < 32 for ch in decoded):
        return None
    if not decoded.startswith("/") or decoded.startswith("//"):
        return None
    parts = urlsplit(decoded)
    if parts.scheme or parts.netloc:
        return None
    return target if target == decoded else decoded


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.email.data, form.password.data, request.remote_addr)
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            session.clear()  # a fresh session on login (no fixation)
            session.permanent = True
            login_user(user)
            session["login_at"] = utcnow().isoformat()
            return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session and every copy of its cookie (the session version moves on)."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        end_sessions(user)
        logging.getLogger("otklik.security").info("logout: account %s", user.id)
    logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required
def password():
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = current_user._get_current_object()
            change_password(user, form.current.data, form.new.data)
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            login_user(user)  # keep this session alive under the new session version
            flash("Пароль изменен. Другие сеансы завершены.", "success")
            return redirect(url_for("main.dashboard"))
    return render_template("auth/password.html", form=form)


def _scope_choices() -> list[tuple[str, str]]:
    orgs = db.session.scalars(select(Organisation).order_by(Organisation.kind.desc(), Organisation.name))
    return [("", "— вся компания —")] + [(o.code, f"{o.kind_label}: {o.name}") for o in orgs]


@bp.route("/admin/users")
@roles_required("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("auth/users.html", users=rows, blocks=login_blocks([u.email for u in rows]))


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@roles_required("admin")
def user_unlock(user_id: int):
    """«Разблокировать»: lift the sign-in delays and the account lock of one user."""
    user = db.session.get(User, user_id) or abort(404)
    lifted = unlock_user(user)
    flash(f"Вход для {user.email} разблокирован." if lifted else f"У {user.email} не было блокировок входа.", "success")
    return redirect(url_for("auth.users"))


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new():
    form = UserCreateForm()
    form.scope.choices = _scope_choices()
    if form.validate_on_submit():
        try:
            create_user(
                form.email.data, form.role.data, form.password.data, form.scope.data or None, name=form.name.data or ""
            )
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            flash("Пользователь создан.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=None if request.method == "POST" else user)
    form.scope.choices = _scope_choices()
    if request.method == "GET":
        form.scope.data = user.scope.code if user.scope else ""
    if form.validate_on_submit():
        try:
            if user.id == current_user.id and (not form.active.data or form.role.data != "admin"):
                raise AuthError("Нельзя отключить себя или снять с себя роль администратора.")
            if form.new_password.data:  # checked first: a refused password must not leave the rest saved
                check_password_policy(form.new_password.data, user.email, form.name.data or "")
            update_user(
                user,
                role=form.role.data,
                scope_code=form.scope.data or None,
                name=form.name.data or "",
                active=form.active.data,
            )
            if form.new_password.data:
                set_password(user, form.new_password.data)
        except AuthError as exc:
            flash(str(exc), "error")
        else:
            flash("Изменения сохранены.", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)


@bp.before_app_request
def enforce_absolute_session_lifetime():
    """End staff sessions that are older than the absolute lifetime, however active."""
    login_at = session.get("login_at")
    if login_at and current_user.is_authenticated:
        from datetime import datetime

        try:
            started = datetime.fromisoformat(login_at)
        except ValueError:
            started = None
        if started is None or utcnow() - started > current_app.config["SESSION_ABSOLUTE_LIFETIME"]:
            logout_user()
            session.clear()
            flash("Сеанс истек, войдите снова.", "info")
            return redirect(url_for("auth.login"))
    return None


@bp.teardown_app_request
def forget_cached_user(_exc: BaseException | None) -> None:
    """Load the user afresh on every request, even when an app context outlives one (tests, CLI)."""
    g.pop("_login_user", None)
