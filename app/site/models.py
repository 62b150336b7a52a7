"""Staff-edited public pages and news posts; bodies are Markdown rendered by app.text.markdown."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.i18n import N_
from app.models import utcnow

# The fixed pages of the public menu, by slug (the slug is the page's address).
PAGES = {"payment": N_("Как оплатить"), "contacts": N_("Контактная информация")}


class SitePage(Model):
    """One of the fixed public pages (PAGES); edited by marketing and admins."""

    __tablename__ = "site_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))


class NewsPost(Model):
    """A dated publication about the centres; only published posts are public, newest first."""

    __tablename__ = "news_post"
    __table_args__ = (Index("ix_news_post_published_date", "published", "published_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    published_on: Mapped[date] = mapped_column()
    body: Mapped[str] = mapped_column(Text, default="")
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
