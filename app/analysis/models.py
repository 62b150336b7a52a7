"""Corrective actions, the editable action catalogue, and the pre-aggregated daily answer counts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, PrimaryKeyConstraint, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n import N_
from app.models import Organisation, utcnow

# Plain Russian (N_): the report model carries them; pages translate them.
ACTION_STATUSES = {
    "planned": N_("Запланировано"),
    "in_progress": N_("Выполняется"),
    "done": N_("Выполнено"),
    "cancelled": N_("Отменено"),
}


class ActionTemplate(Model):
    """Catalogue entry: a suggested corrective action for an attribute question or an appeal topic."""

    __tablename__ = "action_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(64), index=True)  # question code or "topic:<code>" or a rule key
    text_ru: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)


class CorrectiveAction(Model):
    """A recommendation turned into tracked work; its effect is measured before/after."""

    __tablename__ = "corrective_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    finding: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    survey_slug: Mapped[str | None] = mapped_column(String(64))
    metric: Mapped[str] = mapped_column(String(64))  # e.g. question code "wait" (top-2-box)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    due_date: Mapped[date | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="planned")
    priority: Mapped[float] = mapped_column(default=0.0)
    started_on: Mapped[date | None] = mapped_column()
    done_on: Mapped[date | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner: Mapped[Organisation] = relationship()


class AnswerDailyCount(Model):
    """Answers per survey, local day, centre, channel, survey version, question and value: what
    ``value_counts`` sums for a report (over channels and versions unless it splits by them).

    Maintained incrementally by :func:`app.analysis.aggregates.refresh_aggregates` from answers with a
    response id above the survey's :class:`AggregateWatermark`. NULL never enters the key (a unique key
    with NULLs behaves differently on SQLite and PostgreSQL): a missing option is ``''`` and a missing
    number is ``has_value = False`` with ``value_num = 0``. Only answers with a number or an option are
    counted (text-only answers are not counted by ``value_counts`` either).
    """

    __tablename__ = "answer_daily_count"
    __table_args__ = (
        PrimaryKeyConstraint(
            "survey_id",
            "day",
            "center_id",
            "channel",
            "version_id",
            "question_code",
            "has_value",
            "value_num",
            "option_code",
            name="pk_answer_daily_count",
        ),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)  # local date in DEFAULT_CENTER_TIMEZONE
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))  # the response's channel (kiosk, qr, ...)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"))
    question_code: Mapped[str] = mapped_column(String(64))
    has_value: Mapped[bool] = mapped_column()
    value_num: Mapped[float] = mapped_column()
    option_code: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column()


class AnswerMonthlyCount(Model):
    """The same counts per calendar month (``month`` = its first local day): a quarter reads 3 rows per value
    and centre instead of ~90. Kept by the same refresh, in the same transaction as the daily counts."""

    __tablename__ = "answer_monthly_count"
    __table_args__ = (
        PrimaryKeyConstraint(
            "survey_id",
            "month",
            "center_id",
            "channel",
            "version_id",
            "question_code",
            "has_value",
            "value_num",
            "option_code",
            name="pk_answer_monthly_count",
        ),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))  # the response's channel (kiosk, qr, ...)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"))
    question_code: Mapped[str] = mapped_column(String(64))
    has_value: Mapped[bool] = mapped_column()
    value_num: Mapped[float] = mapped_column()
    option_code: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column()


class ResponseDailyCount(Model):
    """Respondents per survey, local day, centre, channel and version: ``question_code = ''`` counts
    responses, any other code counts the distinct responses that answered that question (the denominator
    of option shares)."""

    __tablename__ = "response_daily_count"
    __table_args__ = (
        PrimaryKeyConstraint(
            "survey_id", "day", "center_id", "channel", "version_id", "question_code", name="pk_response_daily_count"
        ),
    )

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    channel: Mapped[str] = mapped_column(String(16))  # the response's channel (kiosk, qr, ...)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_version.id", ondelete="CASCADE"))
    question_code: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column()


class AggregateWatermark(Model):
    """How far the daily counts of a survey go: every response with ``id <= last_response_id`` is counted.

    ``utc_offset_seconds`` is the fixed offset the local days were computed with; a different offset in
    the configuration makes the next refresh rebuild the survey's counts.
    """

    __tablename__ = "aggregate_watermark"

    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    last_response_id: Mapped[int] = mapped_column(default=0)
    utc_offset_seconds: Mapped[int] = mapped_column(default=0)
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow)


class TextTheme(Model):
    """A theme of customer texts in the staff-editable dictionary: words and short phrases (matched by
    their lemmas) that put a text under the theme. A text can carry several themes."""

    __tablename__ = "text_theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200))  # Russian, shown in reports
    terms: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


TEXT_SOURCES = ("answer", "other", "review", "appeal")  # text answer, «Другое», review-book entry, appeal


class ProcessedText(Model):
    """One customer text as the themes job left it: lemmas, a masked copy and its themes.

    Reports read only these rows (never the raw text), so only processed texts are quoted. ``occurred_at``,
    ``center_id``, ``survey_id`` and ``response_id`` are copied from the source so a report filters and
    links scores without joining the source tables; ``dictionary_version`` tells the job which rows to
    re-theme after the dictionary changed (from the stored lemmas, without lemmatising again).
    """

    __tablename__ = "processed_text"
    __table_args__ = (
        UniqueConstraint("source_kind", "source_id", name="uq_processed_text_source"),
        Index("ix_processed_text_survey_time", "survey_id", "occurred_at"),
        Index("ix_processed_text_kind_time", "source_kind", "occurred_at"),
        # Covers the themes counts of a survey's period: no reads of the rows' long text columns.
        Index("ix_processed_text_units", "survey_id", "occurred_at", "source_kind", "response_id", "center_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_kind: Mapped[str] = mapped_column(String(16))  # one of TEXT_SOURCES
    source_id: Mapped[int] = mapped_column()
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    occurred_at: Mapped[datetime] = mapped_column()
    lemmas: Mapped[str] = mapped_column(Text, default="")  # space-separated, in text order
    masked_text: Mapped[str] = mapped_column(Text, default="")
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    dictionary_version: Mapped[str] = mapped_column(String(16), default="")
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedTextTheme(Model):
    """One theme of one processed text (the normalised copy of ``ProcessedText.themes``).

    Reports count themes per score group, month and centre with ``GROUP BY`` over these rows instead of
    loading every text and decoding its JSON list. ``quote_order`` is a fixed pseudo-random number of the
    text's unit (its response, or the appeal or entry itself): the first 15 hex digits of the SHA-256 of
    the unit key, so the database picks the same quotes every run, not simply the newest.
    """

    __tablename__ = "processed_text_theme"
    __table_args__ = (Index("ix_processed_text_theme_theme", "theme", "quote_order"),)

    processed_text_id: Mapped[int] = mapped_column(
        ForeignKey("processed_text.id", ondelete="CASCADE"), primary_key=True
    )
    theme: Mapped[str] = mapped_column(String(64), primary_key=True)
    quote_order: Mapped[int] = mapped_column(BigInteger)
