"""Public pages and news, and their staff editing (marketing, admin) with a preview before saving."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.auth.decorators import public, roles_required
from app.extensions import db
from app.parsing import query_page
from app.site import bp
from app.site.forms import PageForm, PostForm
from app.site.models import PAGES, NewsPost
from app.site.services import (
    PostInput,
    SiteError,
    all_news,
    check_post,
    get_page,
    public_news,
    public_post,
    save_page,
    save_post,
)
from app.text.markdown import render_markdown

NEWS_PAGE_SIZE = 10
EDITORS = ("marketing",)


# --- public --------------------------------------------------------------------------------------


@bp.route("/info/<slug>")
@public
def page(slug: str):
    """«Как оплатить» or «Контактная информация»."""
    shown = get_page(slug)
    return render_template("site/page.html", page=shown, html=render_markdown(shown.body))


@bp.route("/news")
@public
def news():
    """«Публикации о ЦОК»: published posts, newest first, paginated."""
    pagination = db.paginate(public_news(), page=query_page(NEWS_PAGE_SIZE), per_page=NEWS_PAGE_SIZE, error_out=False)
    return render_template("site/news.html", pagination=pagination, render_markdown=render_markdown)


@bp.route("/news/<int:post_id>")
@public
def news_post(post_id: int):
    post = public_post(post_id)
    return render_template("site/news_post.html", post=post, html=render_markdown(post.body))


# --- staff ---------------------------------------------------------------------------------------


@bp.route("/site/pages")
@roles_required(*EDITORS)
def admin():
    """The pages and every news post (drafts too) for editing."""
    pagination = db.paginate(all_news(), page=query_page(30), per_page=30, error_out=False)
    return render_template("site/admin.html", pages=PAGES, pagination=pagination)


@bp.route("/site/pages/<slug>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_page(slug: str):
    """Edit a page; «Предпросмотр» renders the Markdown without saving."""
    shown = get_page(slug)
    form = PageForm(obj=shown)
    preview = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not form.validate_on_submit():
            errors = {"form": "Форма устарела. Обновите страницу и повторите."}
        elif request.form.get("action") == "preview":
            preview = render_markdown(form.body.data or "")
        else:
            try:
                save_page(slug, form.title.data or "", form.body.data or "", current_user)
            except SiteError as exc:
                errors = exc.errors
            else:
                flash("Страница сохранена.", "success")
                return redirect(url_for("site.admin"))
    status = 422 if errors else 200
    return render_template("site/edit.html", form=form, page=shown, preview=preview, errors=errors, post=None), status


def _post_input(form: PostForm) -> PostInput:
    raw = (form.published_on.data or "").strip()
    try:
        day: date | None = date.fromisoformat(raw)
    except ValueError:
        day = None
    return PostInput(form.title.data or "", day, form.body.data or "", bool(form.published.data))


@bp.route("/site/news/new", methods=["GET", "POST"], defaults={"post_id": None})
@bp.route("/site/news/<int:post_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_post(post_id: int | None):
    """Write or edit a news post; «Предпросмотр» renders it without saving."""
    post = db.session.get(NewsPost, post_id) if post_id is not None else None
    if post_id is not None and post is None:
        abort(404)
    form = PostForm(obj=post)
    if request.method == "GET":
        form.published_on.data = (post.published_on if post else date.today()).isoformat()
    preview = None
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = _post_input(form)
        if not form.validate_on_submit():
            errors = {"form": "Форма устарела. Обновите страницу и повторите."}
        elif request.form.get("action") == "preview":
            errors = check_post(data)
            preview = render_markdown(data.body)
        else:
            try:
                saved = save_post(post_id, data, current_user)
            except SiteError as exc:
                errors = exc.errors
            else:
                flash(f"Публикация «{saved.title}» сохранена.", "success")
                return redirect(url_for("site.admin"))
    status = 422 if errors else 200
    return render_template("site/edit.html", form=form, page=None, post=post, preview=preview, errors=errors), status
