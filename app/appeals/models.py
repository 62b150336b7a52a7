"""Appeals registry tables: appeals, status history, promises, root causes, deadline rules."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.i18n import N_, NP_
from app.models import Organisation, Topic, User, utcnow

# The labels of kinds, forms, channels and statuses are data too (CSV exports, the importer's vocabulary,
# report models, service messages): plain Russian str, marked N_, translated where a page shows them.
KINDS = {"complaint": N_("Жалоба"), "application": N_("Заявление")}
# An optional refinement of a kind: a question to a specialist is an application that asks for no service,
# so the regulator's form does not count it as a service request.
# NP_: the context keeps the subtype apart from the plural noun «вопрос/вопросы» of the review book's counts.
SUBTYPES = {"question": NP_("appeal subtype", "вопрос")}
SUBTYPE_KINDS = {"question": "application"}
FORMS = {"in_person": N_("Очно"), "remote": N_("Заочно"), "interactive": N_("Интерактивно")}
CHANNELS = {
    "visit": N_("Личный визит"),
    "phone": N_("Телефон"),
    "letter": N_("Письмо"),
    "email": N_("Электронная почта"),
    "web": N_("Сайт"),
    "kiosk": N_("Киоск"),
    "review_book": N_("Книга отзывов"),
}
STATUSES = {
    "registered": N_("Зарегистрировано"),
    "in_progress": N_("В работе"),
    "answered": N_("Дан ответ"),
    "closed": N_("Закрыто"),
    "rejected": N_("Отклонено"),
    "duplicate": N_("Дубликат"),
}
PROMISE_STATUSES = {"open": _l("Ожидает"), "kept": _l("Выполнено"), "broken": _l("Не выполнено")}
# External-number sources whose numbers Otklik assigns (review book, survey close-the-loop, demo data) or
# staff type in (manual): an import must not take them, or a later entry of that source would clash with
# an imported appeal and could not be saved.
REVIEW_BOOK_SOURCE = "review_book"
SURVEY_SOURCE = "survey"
MANUAL_SOURCE = "manual"
DEMO_SOURCE = "demo"
REQUEST_SOURCE = "service_request"  # a request from the public forms (app.requests), by its number
RESERVED_SOURCES = (REVIEW_BOOK_SOURCE, SURVEY_SOURCE, MANUAL_SOURCE, DEMO_SOURCE, REQUEST_SOURCE)
# How pages name the sources Otklik assigns; a source named in an imported file stays a code.
SOURCE_LABELS = {
    REVIEW_BOOK_SOURCE: _l("Книга отзывов"),
    SURVEY_SOURCE: _l("Анкета с низкой оценкой"),
    MANUAL_SOURCE: _l("Внесено сотрудником"),
    DEMO_SOURCE: _l("Демонстрационные данные"),
    REQUEST_SOURCE: _l("Заявка на сайте"),
}


class Appeal(Model):
    """A customer appeal (обращение) from any channel."""

    __tablename__ = "appeal"
    __table_args__ = (
        UniqueConstraint("external_source", "external_id", name="uq_appeal_external"),
        Index("ix_appeal_center_received", "center_id", "received_at"),
        Index("ix_appeal_received", "received_at"),
        Index("ix_appeal_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    subtype: Mapped[str | None] = mapped_column(String(16))  # SUBTYPES; None for most appeals
    form: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    center_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    received_at: Mapped[datetime] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="registered")
    text: Mapped[str] = mapped_column(Text, default="")
    external_source: Mapped[str | None] = mapped_column(String(32))
    external_id: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    answer_summary: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    root_cause_id: Mapped[int | None] = mapped_column(ForeignKey("root_cause.id"))
    corrective_action_id: Mapped[int | None] = mapped_column(ForeignKey("corrective_action.id", ondelete="SET NULL"))
    led_to_contract: Mapped[bool] = mapped_column(default=False)  # regulator form п. 4.1
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    topic: Mapped[Topic] = relationship()
    center: Mapped[Organisation] = relationship()
    root_cause: Mapped[RootCause | None] = relationship()
    history: Mapped[list[AppealStatusChange]] = relationship(
        back_populates="appeal", order_by="AppealStatusChange.at", cascade="all, delete-orphan"
    )
    promises: Mapped[list[Promise]] = relationship(
        back_populates="appeal", order_by="Promise.due_at", cascade="all, delete-orphan"
    )

    @property
    def source_label(self) -> str | None:
        """The Russian name of the external number's source, None for a source named by an imported file."""
        return SOURCE_LABELS.get(self.external_source or "")

    @property
    def subtype_label(self) -> str | None:
        """The Russian name of the subtype («вопрос»), None without one."""
        return SUBTYPES.get(self.subtype or "")


class AppealStatusChange(Model):
    __tablename__ = "appeal_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")

    appeal: Mapped[Appeal] = relationship(back_populates="history")
    user: Mapped[User | None] = relationship()


class Promise(Model):
    """What an operator promised a customer and by when; later marked kept or broken."""

    __tablename__ = "promise"

    id: Mapped[int] = mapped_column(primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeal.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column()

    appeal: Mapped[Appeal] = relationship(back_populates="promises")


class RootCause(Model):
    """Editable list of root-cause categories required to close an appeal."""

    __tablename__ = "root_cause"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class DeadlineRule(Model):
    """Response time for a kind (and optionally a topic) in calendar or working days."""

    __tablename__ = "deadline_rule"
    __table_args__ = (UniqueConstraint("kind", "topic_id", name="uq_deadline_rule_kind_topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column()
    working_days: Mapped[bool] = mapped_column(default=False)
