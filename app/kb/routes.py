"""Knowledge-base pages: the public «Вопросы и ответы» (search, sections, article, vote) and the staff
editor (articles, sections, synonyms, unanswered searches, structure, answers promoted from appeals)."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from app.appeals.models import Appeal
from app.auth.decorators import public, roles_required
from app.errors import DomainError
from app.extensions import db, limiter
from app.kb import bp, services
from app.kb.forms import ArticleForm, SectionForm, SynonymForm
from app.kb.models import KbArticle
from app.kb.services import ArticleInput
from app.models import Organisation, OrgKind, Topic
from app.org.services import can_see_center
from app.text.markdown import markdown_to_text, render_markdown

EDITORS = ("marketing", "operator")
SEEN_KEY = "kb_seen"
VOTED_KEY = "kb_voted"
SESSION_MEMORY = 200  # article ids remembered per browser session (views and votes)
SNIPPET_LENGTH = 220


def search_limit() -> str:
    return current_app.config["KB_SEARCH_RATELIMIT"]


def vote_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC_SUBMIT"]


def _remember(key: str, article_id: int) -> bool:
    """Add an article to a per-session list; False when it was there already (one view / vote each)."""
    seen = list(session.get(key, []))
    if article_id in seen:
        return False
    session[key] = [*seen, article_id][-SESSION_MEMORY:]
    return True


def snippet(article: KbArticle) -> str:
    """The answer's first words as plain text (escaped by the template like any text)."""
    text = " ".join(markdown_to_text(article.answer).split())
    return text if len(text) <= SNIPPET_LENGTH else text[:SNIPPET_LENGTH].rsplit(" ", 1)[0] + "…"


# --- public ---------------------------------------------------------------------------------------


@bp.route("/faq")
@public
@limiter.limit(search_limit)
def index():
    """Search box and results on top (phones first), then the sections with their questions."""
    query = (request.args.get("q") or "").strip()[:400]
    results: list[KbArticle] = []
    if query:
        hits = services.search_and_count(query)
        articles = {
            a.id: a for a in db.session.scalars(select(KbArticle).where(KbArticle.id.in_([h.id for h in hits])))
        }
        results = [articles[hit.id] for hit in hits if hit.id in articles]
    tree, loose = services.section_tree(published_only=True)
    return render_template(
        "kb/index.html", query=query, results=results, tree=tree, loose=loose, snippet=snippet, searched=bool(query)
    )


@bp.route("/faq/<int:article_id>")
@public
def article(article_id: int):
    """A published article; its view is counted once per browser session."""
    item = services.published_article(article_id)
    if _remember(SEEN_KEY, item.id):
        services.record_view(item.id)
        db.session.refresh(item)
    return render_template(
        "kb/article.html",
        article=item,
        answer_html=render_markdown(item.answer),
        voted=item.id in session.get(VOTED_KEY, []),
    )


@bp.route("/faq/<int:article_id>/vote", methods=["POST"])
@public
@limiter.limit(vote_limit)
def vote(article_id: int):
    """«Помог ли ответ?» — one answer per article per browser session."""
    choice = request.form.get("helpful")
    if choice not in ("yes", "no"):
        abort(400)
    item = services.published_article(article_id)
    if _remember(VOTED_KEY, item.id):
        services.record_vote(item.id, choice == "yes")
        flash("Спасибо! Ваш ответ учтен.", "success")
    else:
        flash("Вы уже оценили этот ответ.", "info")
    return redirect(url_for("kb.article", article_id=item.id) + "#vote")


# --- staff: articles ------------------------------------------------------------------------------


def _fill_choices(form: ArticleForm) -> None:
    topics = db.session.scalars(select(Topic).where(Topic.active.is_(True)).order_by(Topic.sort_order))
    form.topic.choices = [("", "— без темы —"), *((t.code, t.name_ru) for t in topics)]
    tree, _loose = services.section_tree(published_only=False)
    form.section.choices = [(0, "— без раздела —")] + [
        (node.section.id, "· " * node.depth + node.section.title) for node in services.flatten(tree)
    ]
    centers = db.session.scalars(
        select(Organisation)
        .where(Organisation.kind == OrgKind.CENTER, Organisation.active.is_(True))
        .order_by(Organisation.name)
    )
    form.centers.choices = [(c.code, c.name) for c in centers]


def _input_of(form: ArticleForm) -> ArticleInput:
    return ArticleInput(
        title=form.title.data or "",
        answer=form.answer.data or "",
        topic_code=form.topic.data or "",
        section_id=form.section.data or None,
        center_codes=list(form.centers.data or []),
    )


@bp.route("/kb/articles")
@roles_required(*EDITORS)
def admin_articles():
    """Every article, drafts included, with its numbers; ?q= searches as customers would (drafts too)."""
    query = (request.args.get("q") or "").strip()[:400]
    if query:
        from app.kb.search import search_articles

        ids = [hit.id for hit in search_articles(query, 50, published_only=False)]
        found = {a.id: a for a in db.session.scalars(select(KbArticle).where(KbArticle.id.in_(ids)))}
        articles = [found[i] for i in ids if i in found]
    else:
        articles = services.list_articles()
    return render_template("kb/admin_articles.html", articles=articles, query=query)


@bp.route("/kb/articles/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def admin_new():
    form = ArticleForm()
    _fill_choices(form)
    if form.validate_on_submit():
        try:
            created = services.create_article(_input_of(form))
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash("Статья сохранена как черновик.", "success")
            return redirect(url_for("kb.admin_edit", article_id=created.id))
    return render_template("kb/admin_edit.html", form=form, article=None)


@bp.route("/kb/articles/<int:article_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def admin_edit(article_id: int):
    item = services.get_article(article_id)
    form = ArticleForm(obj=None if request.method == "POST" else item)
    _fill_choices(form)
    if request.method == "GET":
        form.topic.data = item.topic.code if item.topic else ""
        form.section.data = item.section_id or 0
        form.centers.data = [c.code for c in item.centers]
    if form.validate_on_submit():
        try:
            services.update_article(item.id, _input_of(form))
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash("Статья сохранена.", "success")
            return redirect(url_for("kb.admin_edit", article_id=item.id))
    return render_template(
        "kb/admin_edit.html", form=form, article=item, preview=render_markdown(item.answer), publish_form=True
    )


@bp.route("/kb/articles/<int:article_id>/publish", methods=["POST"])
@roles_required(*EDITORS)
def admin_publish(article_id: int):
    """Publish (published=1) or take back to draft (published=0)."""
    published = request.form.get("published") == "1"
    services.set_published(article_id, published)
    flash("Статья опубликована." if published else "Статья снята с публикации.", "success")
    return redirect(request.form.get("next") or url_for("kb.admin_edit", article_id=article_id))


# --- staff: sections, synonyms, unanswered, structure ---------------------------------------------


def _section_form(tree_nodes: list[services.SectionNode], form: SectionForm | None = None) -> SectionForm:
    form = form or SectionForm()
    form.parent.choices = [(0, "— верхний уровень —")] + [
        (node.section.id, "· " * node.depth + node.section.title) for node in tree_nodes
    ]
    return form


@bp.route("/kb/sections", methods=["GET", "POST"])
@roles_required(*EDITORS)
def admin_sections():
    """The sections tree: add a section, rename or move one, delete an empty one."""
    tree, loose = services.section_tree(published_only=False)
    flat = services.flatten(tree)
    form = _section_form(flat)
    if form.validate_on_submit():
        try:
            services.save_section(None, form.title.data or "", form.parent.data or None, form.sort_order.data or 0)
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash("Раздел добавлен.", "success")
            return redirect(url_for("kb.admin_sections"))
    return render_template("kb/admin_sections.html", form=form, flat=flat, loose=loose)


@bp.route("/kb/sections/<int:section_id>", methods=["POST"])
@roles_required(*EDITORS)
def admin_section_save(section_id: int):
    tree, _loose = services.section_tree(published_only=False)
    form = _section_form(services.flatten(tree))
    if not form.validate_on_submit():
        flash("Проверьте название и порядок раздела.", "error")
        return redirect(url_for("kb.admin_sections"))
    try:
        services.save_section(section_id, form.title.data or "", form.parent.data or None, form.sort_order.data or 0)
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash("Раздел сохранен.", "success")
    return redirect(url_for("kb.admin_sections"))


@bp.route("/kb/sections/<int:section_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def admin_section_delete(section_id: int):
    try:
        services.delete_section(section_id)
    except DomainError as error:
        flash(str(error), "error")
    else:
        flash("Раздел удален.", "success")
    return redirect(url_for("kb.admin_sections"))


@bp.route("/kb/synonyms", methods=["GET", "POST"])
@roles_required(*EDITORS)
def admin_synonyms():
    form = SynonymForm()
    if form.validate_on_submit():
        try:
            services.add_synonym(form.phrase.data or "", form.synonym.data or "")
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash("Синонимы добавлены.", "success")
            return redirect(url_for("kb.admin_synonyms"))
    return render_template("kb/admin_synonyms.html", form=form, synonyms=services.list_synonyms())


@bp.route("/kb/synonyms/<int:synonym_id>/delete", methods=["POST"])
@roles_required(*EDITORS)
def admin_synonym_delete(synonym_id: int):
    services.delete_synonym(synonym_id)
    flash("Синонимы удалены.", "success")
    return redirect(url_for("kb.admin_synonyms"))


@bp.route("/kb/unanswered")
@roles_required(*EDITORS, "manager")
def admin_unanswered():
    """«Вопросы без ответа»: what customers searched for and did not find, most frequent first."""
    return render_template("kb/admin_unanswered.html", rows=services.unanswered_searches(limit=200))


@bp.route("/kb/structure")
@roles_required(*EDITORS, "manager")
def admin_structure():
    """The sections tree with article counts, views and the share of «Да» answers."""
    tree, loose = services.section_tree(published_only=False)
    return render_template("kb/admin_structure.html", flat=services.flatten(tree), loose=loose)


# --- staff: an appeal's answer → a draft article ---------------------------------------------------


@bp.route("/kb/from-appeal/<int:appeal_id>", methods=["POST"])
@roles_required("operator")
def from_appeal(appeal_id: int):
    """Promote an answered appeal to a draft article (masked), then open it for editing."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or not can_see_center(current_user, appeal.center_id):
        abort(404)
    try:
        draft = services.promote_appeal_answer(appeal.id)
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("appeals.detail", appeal_id=appeal.id))
    flash("Черновик статьи создан: проверьте текст и опубликуйте.", "success")
    return redirect(url_for("kb.admin_edit", article_id=draft.id))
