"""Knowledge-base business rules: validation, transactions and audit for staff edits; the public
counters (searches, views, votes); import/export; promoting an operator's answer to a draft article.

Every write goes through ``write_transaction`` and raises a Russian domain error before anything is
saved; the lemma columns the search index reads are recomputed on every save of a title or answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from app import audit
from app.appeals.models import Appeal
from app.database import write_transaction
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.kb.models import KbArticle, KbSearch, KbSection, KbSynonym, KbView, KbVote
from app.kb.search import ArticleHit, lemma_text, search_articles
from app.models import Contact, Organisation, OrgKind, Topic, utcnow
from app.text.markdown import markdown_to_text
from app.text.masking import mask_personal, without_masks

TITLE_MAX = 300
ANSWER_MAX = 20_000
SECTION_TITLE_MAX = 200
PHRASE_MAX = 200
QUERY_MAX = 200
PROMOTED_TITLE_PREFIX = "Черновик из обращения №"


@dataclass
class ArticleInput:
    """What a staff form or an import row gives for one article (codes, not ids, for topic and centres)."""

    title: str
    answer: str
    topic_code: str = ""
    section_title: str = ""
    center_codes: list[str] = field(default_factory=list)
    section_id: int | None = None


# --- articles -------------------------------------------------------------------------------------


def _clean_title(title: str) -> str:
    return re.sub(r"\s+", " ", title or "").strip()


def _resolve(data: ArticleInput) -> tuple[Topic | None, KbSection | None, list[Organisation]]:
    """The topic, section and centres an input names; a Russian error for any unknown code."""
    title = _clean_title(data.title)
    if not title:
        raise Invalid("Введите вопрос (заголовок статьи).")
    if len(title) > TITLE_MAX:
        raise Invalid(f"Вопрос длиннее {TITLE_MAX} знаков.")
    if not (data.answer or "").strip():
        raise Invalid("Введите ответ.")
    if len(data.answer) > ANSWER_MAX:
        raise Invalid(f"Ответ длиннее {ANSWER_MAX} знаков.")
    topic = None
    if data.topic_code:
        topic = db.session.scalar(select(Topic).where(Topic.code == data.topic_code.strip()))
        if topic is None:
            raise Invalid(f"Нет темы с кодом «{data.topic_code}».")
    section = None
    if data.section_id is not None:
        section = db.session.get(KbSection, data.section_id)
        if section is None:
            raise Invalid("Такого раздела нет.")
    elif data.section_title.strip():
        section = db.session.scalar(select(KbSection).where(KbSection.title == data.section_title.strip()))
        if section is None:
            raise Invalid(f"Нет раздела «{data.section_title.strip()}».")
    centers = []
    for code in dict.fromkeys(code.strip() for code in data.center_codes if code.strip()):
        center = db.session.scalar(
            select(Organisation).where(Organisation.code == code, Organisation.kind == OrgKind.CENTER)
        )
        if center is None:
            raise Invalid(f"Нет центра обслуживания с кодом «{code}».")
        centers.append(center)
    return topic, section, centers


def _apply(article: KbArticle, data: ArticleInput) -> None:
    topic, section, centers = _resolve(data)
    article.title = _clean_title(data.title)
    article.answer = data.answer.strip()
    article.topic = topic
    article.section = section
    article.centers = centers
    article.search_title = lemma_text(article.title)
    article.search_answer = lemma_text(markdown_to_text(article.answer))
    article.updated_at = utcnow()


def _title_taken(title: str, except_id: int | None) -> bool:
    statement = select(KbArticle.id).where(KbArticle.title == _clean_title(title))
    if except_id is not None:
        statement = statement.where(KbArticle.id != except_id)
    return db.session.scalar(statement) is not None


def create_article(data: ArticleInput) -> KbArticle:
    """A new draft article (customers see it once it is published)."""
    with write_transaction():
        if _title_taken(data.title, None):
            raise Conflict("Статья с таким вопросом уже есть.")
        article = KbArticle(published=False)
        _apply(article, data)
        db.session.add(article)
        db.session.flush()
        audit.record("kb.article.create", article)
    return article


def update_article(article_id: int, data: ArticleInput) -> KbArticle:
    """Change an article's question, answer, topic, section or centres."""
    with write_transaction():
        article = get_article(article_id)
        if _title_taken(data.title, article.id):
            raise Conflict("Статья с таким вопросом уже есть.")
        _apply(article, data)
        audit.record("kb.article.update", article)
    return article


def set_published(article_id: int, published: bool) -> KbArticle:
    """Publish an article to customers or take it back to draft."""
    with write_transaction():
        article = get_article(article_id)
        article.published = published
        article.updated_at = utcnow()
        audit.record("kb.article.publish" if published else "kb.article.unpublish", article)
    return article


def get_article(article_id: int) -> KbArticle:
    article = db.session.get(KbArticle, article_id)
    if article is None:
        raise NotFound("Статья не найдена.")
    return article


def published_article(article_id: int) -> KbArticle:
    """An article a customer may open: a draft is «not found», not «forbidden» (no id guessing)."""
    article = db.session.get(KbArticle, article_id)
    if article is None or not article.published:
        raise NotFound("Статья не найдена.")
    return article


def list_articles(*, published_only: bool = False) -> list[KbArticle]:
    statement = select(KbArticle).order_by(KbArticle.title)
    if published_only:
        statement = statement.where(KbArticle.published.is_(True))
    return list(db.session.scalars(statement))


# --- sections --------------------------------------------------------------------------------------


@dataclass
class SectionNode:
    """A section with its published articles and sub-sections (public tree) or its numbers (staff page)."""

    section: KbSection
    children: list[SectionNode]
    articles: list[KbArticle]
    depth: int

    @property
    def article_count(self) -> int:
        return len(self.articles) + sum(child.article_count for child in self.children)

    @property
    def views(self) -> int:
        return sum(article.views for article in self.articles) + sum(child.views for child in self.children)

    @property
    def votes(self) -> tuple[int, int]:
        yes = sum(a.helpful_yes for a in self.articles) + sum(child.votes[0] for child in self.children)
        no = sum(a.helpful_no for a in self.articles) + sum(child.votes[1] for child in self.children)
        return yes, no

    @property
    def helpful_share(self) -> float | None:
        yes, no = self.votes
        return yes / (yes + no) if yes + no else None


def section_tree(*, published_only: bool) -> tuple[list[SectionNode], list[KbArticle]]:
    """The sections as a tree (each with its articles) and the articles in no section."""
    sections = list(db.session.scalars(select(KbSection).order_by(KbSection.sort_order, KbSection.title)))
    articles = list_articles(published_only=published_only)
    by_section: dict[int | None, list[KbArticle]] = {}
    for article in articles:
        by_section.setdefault(article.section_id, []).append(article)

    def build(parent_id: int | None, depth: int) -> list[SectionNode]:
        return [
            SectionNode(section, build(section.id, depth + 1), by_section.get(section.id, []), depth)
            for section in sections
            if section.parent_id == parent_id
        ]

    return build(None, 0), by_section.get(None, [])


def flatten(nodes: Iterable[SectionNode]) -> list[SectionNode]:
    """The tree in reading order (a parent before its children), for flat lists and selects."""
    flat: list[SectionNode] = []
    for node in nodes:
        flat.append(node)
        flat.extend(flatten(node.children))
    return flat


def _check_parent(section_id: int | None, parent_id: int | None) -> KbSection | None:
    if parent_id is None:
        return None
    parent = db.session.get(KbSection, parent_id)
    if parent is None:
        raise Invalid("Такого родительского раздела нет.")
    ancestor: KbSection | None = parent
    while ancestor is not None:
        if section_id is not None and ancestor.id == section_id:
            raise Invalid("Раздел нельзя вложить в самого себя или в свой подраздел.")
        ancestor = ancestor.parent
    return parent


def save_section(section_id: int | None, title: str, parent_id: int | None, sort_order: int = 0) -> KbSection:
    """Create a section or rename / move one; the tree stays a tree (no cycles)."""
    clean = _clean_title(title)
    if not clean:
        raise Invalid("Введите название раздела.")
    if len(clean) > SECTION_TITLE_MAX:
        raise Invalid(f"Название раздела длиннее {SECTION_TITLE_MAX} знаков.")
    with write_transaction():
        section = KbSection() if section_id is None else db.session.get(KbSection, section_id)
        if section is None:
            raise NotFound("Раздел не найден.")
        taken = db.session.scalar(select(KbSection.id).where(KbSection.title == clean))
        if taken is not None and taken != section.id:
            raise Conflict("Раздел с таким названием уже есть.")
        section.parent = _check_parent(section.id, parent_id)
        section.title = clean
        section.sort_order = sort_order
        if section_id is None:
            db.session.add(section)
        db.session.flush()
        audit.record("kb.section.create" if section_id is None else "kb.section.update", section)
    return section


def delete_section(section_id: int) -> None:
    """Remove an empty section (no sub-sections, no articles)."""
    with write_transaction():
        section = db.session.get(KbSection, section_id)
        if section is None:
            raise NotFound("Раздел не найден.")
        if section.children or db.session.scalar(select(KbArticle.id).where(KbArticle.section_id == section.id)):
            raise Conflict("В разделе есть статьи или подразделы: сначала перенесите их.")
        audit.record("kb.section.delete", section)
        db.session.delete(section)


# --- synonyms --------------------------------------------------------------------------------------


def list_synonyms() -> list[KbSynonym]:
    return list(db.session.scalars(select(KbSynonym).order_by(KbSynonym.phrase, KbSynonym.synonym)))


def add_synonym(phrase: str, synonym: str) -> KbSynonym:
    """Two phrases that mean the same to a customer; the search treats them as one."""
    left, right = _clean_title(phrase), _clean_title(synonym)
    if not left or not right:
        raise Invalid("Введите обе фразы.")
    if len(left) > PHRASE_MAX or len(right) > PHRASE_MAX:
        raise Invalid(f"Фраза длиннее {PHRASE_MAX} знаков.")
    if not lemma_text(left) or not lemma_text(right):
        raise Invalid("Фраза состоит только из служебных слов: поиск ее не увидит.")
    if lemma_text(left) == lemma_text(right):
        raise Invalid("Фразы совпадают.")
    with write_transaction():
        for existing in db.session.scalars(select(KbSynonym)):
            if {lemma_text(existing.phrase), lemma_text(existing.synonym)} == {lemma_text(left), lemma_text(right)}:
                raise Conflict("Такая пара синонимов уже есть.")
        row = KbSynonym(phrase=left, synonym=right)
        db.session.add(row)
        db.session.flush()
        audit.record("kb.synonym.create", row)
    return row


def delete_synonym(synonym_id: int) -> None:
    with write_transaction():
        row = db.session.get(KbSynonym, synonym_id)
        if row is None:
            raise NotFound("Пара синонимов не найдена.")
        audit.record("kb.synonym.delete", row)
        db.session.delete(row)


# --- public counters ------------------------------------------------------------------------------


def normalise_query(query: str) -> str:
    """The query as it is stored for «Вопросы без ответа»: personal data masked, lower case, ё = е, single
    spaces, at most QUERY_MAX characters."""
    masked = mask_personal((query or "")[: QUERY_MAX * 2])
    folded = re.sub(r"\s+", " ", masked.lower().replace("ё", "е")).strip()
    return folded[:QUERY_MAX]


def search_and_count(query: str, limit: int = 20) -> list[ArticleHit]:
    """A customer's search: the hits, and one counted search (its text kept only when nothing was found)."""
    clean = (query or "").strip()[: QUERY_MAX * 2]
    if not clean:
        return []
    hits = search_articles(clean, limit)
    stored = "" if hits else normalise_query(clean)
    with write_transaction():
        db.session.add(KbSearch(results=len(hits), query=stored))
    return hits


def record_view(article_id: int) -> None:
    """One more view of a published article (the caller counts once per browser session)."""
    with write_transaction():
        article = published_article(article_id)
        db.session.execute(update(KbArticle).where(KbArticle.id == article.id).values(views=KbArticle.views + 1))
        db.session.add(KbView(article_id=article.id))


def record_vote(article_id: int, helpful: bool) -> None:
    """A customer's «Помог ли ответ?» (the caller allows one per article per browser session)."""
    column = KbArticle.helpful_yes if helpful else KbArticle.helpful_no
    with write_transaction():
        article = published_article(article_id)
        db.session.execute(update(KbArticle).where(KbArticle.id == article.id).values({column: column + 1}))
        db.session.add(KbVote(article_id=article.id, helpful=helpful))


def unanswered_searches(
    date_from: datetime | None = None, date_to: datetime | None = None, limit: int = 50
) -> list[tuple[str, int]]:
    """Normalised queries that found nothing, most frequent first («Вопросы без ответа»)."""
    count = func.count(KbSearch.id)
    statement = select(KbSearch.query, count).where(KbSearch.results == 0, KbSearch.query != "")
    if date_from is not None:
        statement = statement.where(KbSearch.at >= date_from)
    if date_to is not None:
        statement = statement.where(KbSearch.at < date_to)
    statement = statement.group_by(KbSearch.query).order_by(count.desc(), KbSearch.query).limit(limit)
    return [(query, int(total)) for query, total in db.session.execute(statement).all()]


# --- appeals → drafts -----------------------------------------------------------------------------


def promote_appeal_answer(appeal_id: int) -> KbArticle:
    """A draft article from an answered appeal: the question and the operator's answer, with contacts,
    names and numbers masked and the masks removed, for an editor to rewrite and publish."""
    with write_transaction():
        appeal = db.session.get(Appeal, appeal_id)
        if appeal is None:
            raise NotFound("Обращение не найдено.")
        if not (appeal.answer_summary or "").strip() or appeal.answered_at is None:
            raise Conflict("На обращение еще не дан ответ.")
        existing = db.session.scalar(select(KbArticle).where(KbArticle.source_appeal_id == appeal.id))
        if existing is not None:
            return existing
        own_names: Sequence[str] = ()
        if appeal.contact_id:
            contact = db.session.get(Contact, appeal.contact_id)
            own_names = (contact.name,) if contact is not None else ()
        question = _tidy(without_masks(mask_personal(appeal.text, own_names)))
        answer = _tidy(without_masks(mask_personal(appeal.answer_summary, own_names)))
        title = f"{PROMOTED_TITLE_PREFIX}{appeal.id}: {question}"[:TITLE_MAX].rstrip()
        article = KbArticle(published=False, topic_id=appeal.topic_id, source_appeal_id=appeal.id)
        article.title = title
        article.answer = answer or "—"
        article.search_title = lemma_text(title)
        article.search_answer = lemma_text(answer)
        db.session.add(article)
        db.session.flush()
        audit.record("kb.article.from_appeal", article, appeal_id=appeal.id)
    return article


def _tidy(text: str) -> str:
    """Spaces and punctuation left where masks were removed, closed up."""
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    return text.strip()


# --- import / export ------------------------------------------------------------------------------


def article_record(article: KbArticle) -> dict[str, Any]:
    """One article in the import/export shape."""
    record: dict[str, Any] = {
        "title": article.title,
        "answer": article.answer,
        "topic": article.topic.code if article.topic else "",
    }
    if article.section is not None:
        record["section"] = article.section.title
    if article.centers:
        record["centers"] = [center.code for center in article.centers]
    return record


def export_articles() -> list[dict[str, Any]]:
    return [article_record(article) for article in list_articles()]


def _row_input(number: int, row: Any) -> ArticleInput:
    if not isinstance(row, dict):
        raise Invalid(f"Строка {number}: ожидался объект с полями title, answer, topic.")
    for key in ("title", "answer", "topic"):
        if not isinstance(row.get(key), str) or not row[key].strip():
            raise Invalid(f"Строка {number}: не заполнено поле «{key}».")
    centers = row.get("centers") or []
    if isinstance(centers, str):
        centers = centers.split(",")
    if not isinstance(centers, list) or not all(isinstance(code, str) for code in centers):
        raise Invalid(f"Строка {number}: «centers» — список кодов центров.")
    section = row.get("section") or ""
    if not isinstance(section, str):
        raise Invalid(f"Строка {number}: «section» — название раздела.")
    return ArticleInput(
        title=row["title"], answer=row["answer"], topic_code=row["topic"], section_title=section, center_codes=centers
    )


def import_articles(rows: Sequence[Any], first_row: int = 1) -> tuple[int, int]:
    """Create (published) or update (by title) every article of a file, all or nothing; a missing section is
    created. Returns (created, updated). An error names the row: ``first_row`` is the first article's number
    (2 for a CSV file, whose line 1 is the header)."""
    created = updated = 0
    with write_transaction():
        for number, row in enumerate(rows, start=first_row):
            data = _row_input(number, row)
            if data.section_title.strip() and not db.session.scalar(
                select(KbSection.id).where(KbSection.title == data.section_title.strip())
            ):
                if len(data.section_title.strip()) > SECTION_TITLE_MAX:
                    raise Invalid(f"Строка {number}: название раздела длиннее {SECTION_TITLE_MAX} знаков.")
                db.session.add(KbSection(title=data.section_title.strip()))
                db.session.flush()
            article = db.session.scalar(select(KbArticle).where(KbArticle.title == _clean_title(data.title)))
            is_new = article is None
            # A file is a vetted FAQ: its new articles are published at once; an existing one keeps its state.
            target = KbArticle(published=True) if article is None else article
            try:
                _apply(target, data)
            except Invalid as error:
                raise Invalid(f"Строка {number}: {error}") from None
            if is_new:
                db.session.add(target)
                created += 1
            else:
                updated += 1
            db.session.flush()
        audit.record("kb.import", None, summary=f"добавлено {created}, обновлено {updated}")
    return created, updated
