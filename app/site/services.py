"""Editing the public pages and news: validation in Russian, one transaction each, audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select

from app import audit
from app.database import write_transaction
from app.errors import Invalid, NotFound
from app.extensions import db
from app.models import User, utcnow
from app.site.models import PAGES, NewsPost, SitePage

TITLE_MAX = 200
BODY_MAX = 20000


class SiteError(Invalid):
    """Refused page or post input, with a Russian message per field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Проверьте заполнение формы")
        self.errors = errors


@dataclass(frozen=True)
class PostInput:
    title: str
    published_on: date | None
    body: str
    published: bool


def _clean(title: str, body: str) -> tuple[str, str, dict[str, str]]:
    title, body = (title or "").strip(), (body or "").replace("\r\n", "\n").strip()
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Напишите заголовок"
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Заголовок не длиннее {TITLE_MAX} знаков"
    if not body:
        errors["body"] = "Напишите текст"
    elif len(body) > BODY_MAX:
        errors["body"] = f"Текст не длиннее {BODY_MAX} знаков (сейчас {len(body)})"
    return title, body, errors


def get_page(slug: str) -> SitePage:
    """A fixed page; one not seeded yet is an empty page with its default title (nothing is stored)."""
    if slug not in PAGES:
        raise NotFound("Страница не найдена")
    page = db.session.scalar(select(SitePage).where(SitePage.slug == slug))
    return page if page is not None else SitePage(slug=slug, title=PAGES[slug], body="")


def save_page(slug: str, title: str, body: str, user: User | None) -> SitePage:
    """Store a page's new title and body (created on first save)."""
    if slug not in PAGES:
        raise NotFound("Страница не найдена")
    title, body, errors = _clean(title, body)
    if errors:
        raise SiteError(errors)
    with write_transaction():
        page = db.session.scalar(select(SitePage).where(SitePage.slug == slug))
        if page is None:
            page = SitePage(slug=slug)
            db.session.add(page)
        page.title, page.body, page.updated_at = title, body, utcnow()
        page.updated_by_id = user.id if user else None
        db.session.flush()
        audit.record("site.page.update", page, summary=title, **({"user_id": user.id} if user else {}))
    return page


def check_post(data: PostInput) -> dict[str, str]:
    """Errors by field of a news post; empty when it may be saved."""
    _title, _body, errors = _clean(data.title, data.body)
    if data.published_on is None:
        errors["published_on"] = "Укажите дату публикации"
    return errors


def save_post(post_id: int | None, data: PostInput, user: User | None) -> NewsPost:
    """Create (``post_id`` None) or update a news post."""
    errors = check_post(data)
    if errors:
        raise SiteError(errors)
    title, body, _ = _clean(data.title, data.body)
    with write_transaction():
        if post_id is None:
            post = NewsPost()
            db.session.add(post)
        else:
            found = db.session.get(NewsPost, post_id)
            if found is None:
                raise NotFound("Публикация не найдена")
            post = found
        assert data.published_on is not None  # check_post refuses a missing date
        post.title, post.body, post.published_on, post.published = title, body, data.published_on, data.published
        post.updated_at, post.updated_by_id = utcnow(), user.id if user else None
        db.session.flush()
        audit.record(
            "site.news.create" if post_id is None else "site.news.update",
            post,
            summary=title,
            **({"user_id": user.id} if user else {}),
        )
    return post


def public_news() -> Select:
    """Published posts, newest first (then the latest created first on the same day)."""
    return (
        select(NewsPost).where(NewsPost.published.is_(True)).order_by(NewsPost.published_on.desc(), NewsPost.id.desc())
    )


def all_news() -> Select:
    return select(NewsPost).order_by(NewsPost.published_on.desc(), NewsPost.id.desc())


def public_post(post_id: int) -> NewsPost:
    post = db.session.get(NewsPost, post_id)
    if post is None or not post.published:
        raise NotFound("Публикация не найдена")
    return post
