"""Read-side queries of the registry: the filtered, scoped list behind the queue and the exports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, false, func, select

from app.appeals.models import CHANNELS, FORMS, KINDS, STATUSES, Appeal, Promise
from app.appeals.report import period_bounds
from app.appeals.services import OPEN_STATUSES
from app.extensions import db
from app.models import Organisation, Topic, utcnow
from app.parsing import query_int

EXPORT_LIMIT = 200_000


@dataclass
class Filters:
    """Queue filters from the query string; unknown values are ignored (never an error page)."""

    status: str = ""
    kind: str = ""
    topic: str = ""
    center: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(args.get(name, "").strip())
            except ValueError:
                return None

        status = args.get("status", "")
        center = args.get("center", "")
        return cls(
            status=status if status in STATUSES or status in ("open", "overdue") else "",
            kind=args.get("kind", "") if args.get("kind", "") in KINDS else "",
            topic=args.get("topic", "").strip()[:32],
            center=query_int("center", args=args) if center.isascii() and center.isdigit() else None,
            date_from=day("date_from"),
            date_to=day("date_to"),
        )

    def as_args(self) -> dict[str, str]:
        values = {
            "status": self.status,
            "kind": self.kind,
            "topic": self.topic,
            "center": str(self.center) if self.center else "",
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }
        return {k: v for k, v in values.items() if v}


def appeals_query(center_ids: set[int], filters: Filters, now: datetime | None = None) -> Select:
    """Appeals of the given centres matching the filters, open ones first, by deadline."""
    now = now or utcnow()
    query = select(Appeal).where(Appeal.center_id.in_(center_ids) if center_ids else false())
    if filters.status == "open":
        query = query.where(Appeal.status.in_(OPEN_STATUSES))
    elif filters.status == "overdue":
        query = query.where(Appeal.status.in_(OPEN_STATUSES), Appeal.due_at < now)
    elif filters.status:
        query = query.where(Appeal.status == filters.status)
    if filters.kind:
        query = query.where(Appeal.kind == filters.kind)
    if filters.topic:
        query = query.join(Topic, Topic.id == Appeal.topic_id).where(Topic.code == filters.topic)
    if filters.center:
        query = query.where(Appeal.center_id == filters.center)
    if filters.date_from or filters.date_to:
        start, end = period_bounds(filters.date_from or date(1900, 1, 1), filters.date_to or date(2999, 12, 30))
        query = query.where(and_(Appeal.received_at >= start, Appeal.received_at < end))
    is_open = case((Appeal.status.in_(OPEN_STATUSES), 0), else_=1)
    return query.order_by(is_open, Appeal.due_at, Appeal.id)


def promise_flags(appeal_ids: list[int], now: datetime | None = None) -> dict[int, dict[str, int]]:
    """Per appeal: number of broken and of overdue open promises (for the queue badges)."""
    if not appeal_ids:
        return {}
    now = now or utcnow()
    query = (
        select(
            Promise.appeal_id,
            func.sum(case((Promise.status == "broken", 1), else_=0)),
            func.sum(case((and_(Promise.status == "open", Promise.due_at < now), 1), else_=0)),
        )
        .where(Promise.appeal_id.in_(appeal_ids))
        .group_by(Promise.appeal_id)
    )
    return {aid: {"broken": int(b or 0), "overdue": int(o or 0)} for aid, b, o in db.session.execute(query)}


EXPORT_HEADER = [
    "№",
    "Поступило",
    "Вид",
    "Форма",
    "Канал",
    "Тема",
    "ЦОК",
    "Статус",
    "Срок ответа",
    "Дата ответа",
    "Внешний номер",
    "Текст обращения",
    "Краткое содержание ответа",
    "Заключен договор",
]


def export_rows(center_ids: set[int], filters: Filters, fmt_time) -> list[list[Any]]:
    """Rows of the filtered list for CSV/XLSX (times through ``fmt_time`` in local time)."""
    query = appeals_query(center_ids, filters).limit(EXPORT_LIMIT)
    topics = {t.id: t.name_ru for t in db.session.scalars(select(Topic))}
    centers = {o.id: o.name for o in db.session.scalars(select(Organisation).where(Organisation.id.in_(center_ids)))}
    rows = []
    for a in db.session.scalars(query):
        rows.append(
            [
                a.id,
                fmt_time(a.received_at),
                KINDS.get(a.kind, a.kind),
                FORMS.get(a.form, a.form),
                CHANNELS.get(a.channel, a.channel),
                topics.get(a.topic_id, ""),
                centers.get(a.center_id, ""),
                STATUSES.get(a.status, a.status),
                fmt_time(a.due_at),
                fmt_time(a.answered_at) if a.answered_at else "",
                a.external_id or "",
                a.text or "",
                a.answer_summary or "",
                "да" if a.led_to_contract else "нет",
            ]
        )
    return rows
