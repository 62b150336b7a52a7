"""All-or-nothing import of appeals from CSV or XLSX (``flask appeals import`` and the upload page).

Columns: ``received_at``, ``kind``, ``form``, ``topic``, ``center`` (required); ``external_id``,
``channel``, ``text``, ``status``, ``answered_at``, ``led_to_contract`` (optional; да/нет, 1/0, yes/no).
Values may be codes or Russian words.
Naive times are local time of the centres (``DEFAULT_CENTER_TIMEZONE``), a date alone means midnight.

Every row is validated first; any error aborts the whole import with line-numbered messages and
nothing is stored. Valid files are inserted with SQLAlchemy Core ``insert()`` in chunks (executemany)
inside one write transaction, with deadlines from a cached :class:`DeadlineResolver`.

For speed imported appeals get no ``AppealStatusChange`` rows: their history starts with the
import (the audit log holds one ``appeal.import`` event with the file name and row count, and the
rows carry ``external_source``). Imported closed appeals need no root cause (historic data).
"""

from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from app import audit
from app.appeals.models import CHANNELS, FORMS, KINDS, RESERVED_SOURCES, STATUSES, Appeal
from app.appeals.services import AppealError, DeadlineResolver, center_timezone
from app.appeals.spreadsheet import open_table
from app.database import driver_connection, is_sqlite, table_of, write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind, Topic, User, utcnow
from app.spreadsheet import SpreadsheetTooLarge

REQUIRED = ("received_at", "kind", "form", "topic", "center")
OPTIONAL = ("external_id", "channel", "text", "status", "answered_at", "led_to_contract")
YES_NO = {
    "": False,
    "0": False,
    "1": True,
    "нет": False,
    "да": True,
    "no": False,
    "yes": True,
    "false": False,
    "true": True,
}
CHUNK = 20_000
MAX_ERRORS_SHOWN = 100
DEFAULT_SOURCE = "import"
IMPORTED_ANSWER = "Ответ дан до загрузки в систему (импорт)"
CHANNEL_BY_FORM = {"in_person": "visit", "remote": "phone", "interactive": "web"}
SOURCE_RE = re.compile(r"[A-Za-z0-9_.-]{1,32}\Z")  # appeal.external_source is String(32)

EXTRA_WORDS = {
    "kind": {"жалобы": "complaint", "заявления": "application", "заявка": "application"},
    "form": {
        "очная": "in_person",
        "заочная": "remote",
        "интерактивная": "interactive",
        "очная форма": "in_person",
        "заочная форма": "remote",
        "лично": "in_person",
    },
    "channel": {
        "визит": "visit",
        "телефон": "phone",
        "письмо": "letter",
        "почта": "letter",
        "e-mail": "email",
        "email": "email",
        "электронная почта": "email",
        "сайт": "web",
        "интернет": "web",
        "киоск": "kiosk",
        "книга отзывов": "review_book",
    },
}


class AppealImportError(AppealError):
    """The file was refused; ``errors`` holds the line-numbered messages."""

    def __init__(self, errors: list[str], total: int | None = None) -> None:
        self.errors = errors
        self.total = total if total is not None else len(errors)
        shown = errors[:MAX_ERRORS_SHOWN]
        more = self.total - len(shown)
        text = "\n".join(shown) + (f"\n… и еще ошибок: {more}" if more > 0 else "")
        super().__init__(text)


@dataclass
class ImportResult:
    rows: int = 0
    inserted: int = 0
    dry_run: bool = False
    by_kind: dict[str, int] = field(default_factory=dict)


def _vocabulary(codes: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Lower-cased code and Russian label → code."""
    words = {code.lower(): code for code in codes}
    words.update({label.lower(): code for code, label in codes.items()})
    words.update(extra or {})
    return words


def parse_moment(value: str, zone: ZoneInfo) -> tuple[datetime, date] | None:
    """ISO date or date-time → (naive UTC, local date); None when it is not a valid date."""
    text = value.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        try:  # Russian spreadsheets: 31.12.2026 or 31.12.2026 10:00
            moment = datetime.strptime(text, "%d.%m.%Y %H:%M" if " " in text else "%d.%m.%Y")
        except ValueError:
            return None
    if moment.tzinfo is None:
        local = moment.date()
        moment = moment.replace(tzinfo=zone)
    else:
        local = moment.astimezone(zone).date()
    return moment.astimezone(UTC).replace(tzinfo=None), local


class _MomentParser:
    """:func:`parse_moment` with the UTC offset cached per local hour (the text's first 13 characters)."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.offsets: dict[str, timedelta] = {}

    def fast(self, text: str) -> tuple[datetime, date] | None:
        """Only plain ``YYYY-MM-DD[ HH:MM[:SS]]``; anything else (or invalid) returns None."""
        if len(text) not in (10, 16, 19) or text[4:5] != "-":
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        key = text[:13]
        offset = self.offsets.get(key)
        if offset is None:
            offset = self.offsets[key] = moment.replace(tzinfo=self.zone).utcoffset() or timedelta(0)
        return moment - offset, moment.date()

    def __call__(self, value: str) -> tuple[datetime, date] | None:
        text = value.strip()
        if len(text) not in (10, 16, 19) or text[4:5] != "-":  # not plain ISO: the general path
            return parse_moment(text, self.zone)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return parse_moment(text, self.zone)
        key = text[:13]
        offset = self.offsets.get(key)
        if offset is None:
            offset = self.offsets[key] = moment.replace(tzinfo=self.zone).utcoffset() or timedelta(0)
        return moment - offset, moment.date()


COLUMNS = (
    "kind",
    "form",
    "channel",
    "topic_id",
    "center_id",
    "received_at",
    "due_at",
    "status",
    "text",
    "external_source",
    "external_id",
    "answer_summary",
    "answered_at",
    "closed_at",
    "led_to_contract",
    "created_by_id",
    "created_at",
)
# Fixed column names only, no user input.
_SQLITE_INSERT = f"INSERT INTO appeal ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"  # noqa: S608


def _sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime type stores (``YYYY-MM-DD HH:MM:SS.ffffff``)."""
    return None if value is None else value.isoformat(sep=" ", timespec="microseconds")


class _Validator:
    """Turns table rows into insertable tuples (in :data:`COLUMNS` order) or line-numbered errors."""

    def __init__(self, source: str, user: User | None, sqlite: bool, allowed_center_ids: set[int] | None) -> None:
        self.allowed = allowed_center_ids
        self.zone = ZoneInfo(center_timezone())
        self.moment = _MomentParser(self.zone)
        self.sqlite = sqlite
        self.source = source
        self.user_id = user.id if user else None
        self.kinds = _vocabulary(KINDS, EXTRA_WORDS["kind"])
        self.forms = _vocabulary(FORMS, EXTRA_WORDS["form"])
        self.channels = _vocabulary(CHANNELS, EXTRA_WORDS["channel"])
        self.statuses = _vocabulary(STATUSES)
        self.topics: dict[str, int] = {}
        for topic in db.session.scalars(select(Topic)):
            self.topics[topic.code.lower()] = topic.id
            self.topics[topic.name_ru.lower()] = topic.id
        self.centers: dict[str, int] = {}
        for center in db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.CENTER)):
            self.centers[center.code.lower()] = center.id
            self.centers[center.name.lower()] = center.id
        self.exact: dict[str, dict[str, Any]] = {
            name: self._exact(words)
            for name, words in (
                ("kind", self.kinds),
                ("form", self.forms),
                ("channel", self.channels),
                ("status", self.statuses),
                ("topic", self.topics),
                ("center", self.centers),
            )
        }
        for topic in db.session.scalars(select(Topic)):
            self.exact["topic"].update({topic.code: topic.id, topic.name_ru: topic.id})
        for center in db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.CENTER)):
            self.exact["center"].update({center.code: center.id, center.name: center.id})
        self.resolver = DeadlineResolver()
        self.due_text: dict[datetime, str | None] = {}
        self.seen_external: set[str] = set()
        self.existing_external = set(
            db.session.scalars(
                select(Appeal.external_id).where(Appeal.external_source == source, Appeal.external_id.is_not(None))
            )
        )
        self.now = utcnow()
        self.now_value = _sqlite_datetime(self.now) if sqlite else self.now

    @staticmethod
    def _exact(words: Mapping[str, Any]) -> dict[str, Any]:
        """Lower-case words plus their capitalised spelling, for lookups without strip()/lower()."""
        exact = dict(words)
        exact.update({w[:1].upper() + w[1:]: v for w, v in words.items()})
        return exact

    def fast_row(self, cells: list[str], at: dict[str, int]) -> tuple | None:
        """The common valid row without building messages; None sends the row to :meth:`row`."""
        exact = self.exact
        kind = exact["kind"].get(cells[at["kind"]])
        form = exact["form"].get(cells[at["form"]])
        topic_id = exact["topic"].get(cells[at["topic"]])
        center_id = exact["center"].get(cells[at["center"]])
        if kind is None or form is None or topic_id is None or center_id is None:
            return None
        if self.allowed is not None and center_id not in self.allowed:
            return None
        received = self.moment.fast(cells[at["received_at"]])
        if received is None:
            return None
        index = at.get("channel")
        raw = cells[index] if index is not None else ""
        channel = exact["channel"].get(raw) if raw else CHANNEL_BY_FORM[form]
        index = at.get("status")
        raw = cells[index] if index is not None else ""
        status = exact["status"].get(raw) if raw else "registered"
        if channel is None or status is None:
            return None
        index = at.get("answered_at")
        raw = cells[index] if index is not None else ""
        answered_at = None
        if raw:
            parsed = self.moment.fast(raw)
            if parsed is None or parsed[0] < received[0]:
                return None
            answered_at = parsed[0]
        elif status == "answered" or status == "closed":
            return None
        index = at.get("led_to_contract")
        contract = YES_NO.get(cells[index]) if index is not None else False
        if contract is None:
            return None
        # Last of the checks: a row sent on to row() must not have its external id marked as seen.
        index = at.get("external_id")
        external_id = (cells[index] or None) if index is not None else None
        if external_id is not None:
            if (
                len(external_id) > 64
                or external_id in self.seen_external
                or external_id in self.existing_external
                or external_id != external_id.strip()
            ):
                return None
            self.seen_external.add(external_id)
        index = at.get("text")
        text = cells[index].strip() if index is not None else ""
        due = self.resolver.due_for_date(kind, topic_id, received[1], channel)
        closed = status == "closed"
        source = self.source if external_id else None
        summary = IMPORTED_ANSWER if answered_at else ""
        if self.sqlite:
            due_value = self.due_text.get(due)
            if due_value is None:
                due_value = self.due_text[due] = _sqlite_datetime(due)
            answered_value = answered_at.isoformat(" ", "microseconds") if answered_at is not None else None
            return (
                kind,
                form,
                channel,
                topic_id,
                center_id,
                received[0].isoformat(" ", "microseconds"),
                due_value,
                status,
                text,
                source,
                external_id,
                summary,
                answered_value,
                answered_value if closed else None,
                int(contract),
                self.user_id,
                self.now_value,
            )
        return (
            kind,
            form,
            channel,
            topic_id,
            center_id,
            received[0],
            due,
            status,
            text,
            source,
            external_id,
            summary,
            answered_at,
            answered_at if closed else None,
            contract,
            self.user_id,
            self.now,
        )

    def row(self, line: int, cells: dict[str, str]) -> tuple[tuple | None, str | None]:
        """The values of one row, or every problem of it as one message (the slow path with messages)."""
        problems: list[str] = []
        kind, form, topic_id, center_id = self._looked_up(cells, problems)
        received = self.moment(cells["received_at"])
        if received is None:
            problems.append(f"неверная дата received_at «{cells['received_at'].strip()}»")
        raw_channel = (cells.get("channel") or "").strip()
        if raw_channel:
            channel = self.channels.get(raw_channel.lower())
            if channel is None:
                problems.append(f"неизвестный канал «{raw_channel}»")
        else:
            channel = CHANNEL_BY_FORM.get(form or "", "phone")
        raw_status = (cells.get("status") or "").strip()
        status = self.statuses.get(raw_status.lower()) if raw_status else "registered"
        if status is None:
            problems.append(f"неизвестный статус «{raw_status}»")
        answered_at = self._answered_at(cells, received, status, problems)
        external_id = self._external_id(cells, problems)
        raw_contract = (cells.get("led_to_contract") or "").strip()
        contract = YES_NO.get(raw_contract.lower())
        if contract is None:
            problems.append(f"led_to_contract: ожидается «да» или «нет», получено «{raw_contract}»")
        if problems:
            return None, f"строка {line}: " + "; ".join(problems)
        assert received is not None and status is not None  # every None above added a problem
        return self._values(
            kind,
            form,
            channel,
            topic_id,
            center_id,
            received,
            status,
            answered_at,
            external_id,
            (cells.get("text") or "").strip(),
            bool(contract),
        ), None

    def _looked_up(
        self, cells: dict[str, str], problems: list[str]
    ) -> tuple[str | None, str | None, int | None, int | None]:
        """Kind, form, topic id and centre id by name or code (None and a problem where unknown)."""
        raw_kind = cells["kind"].strip()
        kind = self.kinds.get(raw_kind.lower())
        if kind is None:
            problems.append(f"неизвестный вид обращения «{raw_kind}»")
        raw_form = cells["form"].strip()
        form = self.forms.get(raw_form.lower())
        if form is None:
            problems.append(f"неизвестная форма обращения «{raw_form}»")
        raw_topic = cells["topic"].strip()
        topic_id = self.topics.get(raw_topic.lower())
        if topic_id is None:
            problems.append(f"неизвестная тема «{raw_topic}»")
        raw_center = cells["center"].strip()
        center_id = self.centers.get(raw_center.lower())
        if center_id is None:
            problems.append(f"неизвестный ЦОК «{raw_center}»")
        elif self.allowed is not None and center_id not in self.allowed:
            problems.append(f"ЦОК «{raw_center}» вне вашей зоны ответственности")
        return kind, form, topic_id, center_id

    def _answered_at(
        self, cells: dict[str, str], received: tuple[datetime, date] | None, status: str | None, problems: list[str]
    ) -> datetime | None:
        raw_answered = (cells.get("answered_at") or "").strip()
        if not raw_answered:
            if status in ("answered", "closed"):
                problems.append("для отвеченного или закрытого обращения нужна дата ответа answered_at")
            return None
        parsed = self.moment(raw_answered)
        if parsed is None:
            problems.append(f"неверная дата answered_at «{raw_answered}»")
            return None
        if received is not None and parsed[0] < received[0]:
            problems.append("дата ответа раньше даты поступления")
        return parsed[0]

    def _external_id(self, cells: dict[str, str], problems: list[str]) -> str | None:
        """The row's external id, marked as seen (a repeat within the file or the database is a problem)."""
        external_id = (cells.get("external_id") or "").strip() or None
        if external_id is not None:
            if len(external_id) > 64:
                problems.append("внешний номер длиннее 64 символов")
            elif external_id in self.seen_external:
                problems.append(f"внешний номер «{external_id}» повторяется в файле")
            elif external_id in self.existing_external:
                problems.append(f"обращение с внешним номером «{external_id}» уже загружено")
            self.seen_external.add(external_id)
        return external_id

    def _values(
        self,
        kind: Any,
        form: Any,
        channel: Any,
        topic_id: Any,
        center_id: Any,  # checked by row()
        received: tuple[datetime, date],
        status: str,
        answered_at: datetime | None,
        external_id: str | None,
        text: str,
        contract: bool,
    ) -> tuple:
        """The insert's values in COLUMNS order."""
        received_utc, received_local = received
        due = self.resolver.due_for_date(kind, topic_id, received_local, channel)
        closed_at = answered_at if status == "closed" else None
        source = self.source if external_id else None
        summary = IMPORTED_ANSWER if answered_at else ""
        if self.sqlite:  # pre-formatted: the driver's executemany then needs no per-value processing
            due_value = self.due_text.get(due)
            if due_value is None:
                due_value = self.due_text[due] = _sqlite_datetime(due)
            answered_value = _sqlite_datetime(answered_at)
            return (
                kind,
                form,
                channel,
                topic_id,
                center_id,
                _sqlite_datetime(received_utc),
                due_value,
                status,
                text,
                source,
                external_id,
                summary,
                answered_value,
                answered_value if closed_at else None,
                int(contract),
                self.user_id,
                self.now_value,
            )
        return (
            kind,
            form,
            channel,
            topic_id,
            center_id,
            received_utc,
            due,
            status,
            text,
            source,
            external_id,
            summary,
            answered_at,
            closed_at,
            contract,
            self.user_id,
            self.now,
        )


def _insert_rows(rows: list[tuple], sqlite: bool) -> None:
    """Bulk insert in chunks inside the open transaction.

    SQLite: the driver's ``executemany`` with pre-formatted values (SQLAlchemy's per-value bind
    processing would triple the time of a million rows). Other databases: Core ``insert()``
    executemany (psycopg batches it).
    """
    if sqlite:
        connection = db.session.connection()
        connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB page cache for the index updates
        try:
            cursor = driver_connection(connection).cursor()
            for start in range(0, len(rows), CHUNK):
                cursor.executemany(_SQLITE_INSERT, rows[start : start + CHUNK])
            cursor.close()
        finally:
            connection.exec_driver_sql("PRAGMA cache_size = -2000")
        return
    table = table_of(Appeal)
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), [dict(zip(COLUMNS, row, strict=True)) for row in rows[start : start + CHUNK]])


def _validate(
    header: list[str], rows, source: str, user: User | None, dry_run: bool, allowed_center_ids: set[int] | None
) -> tuple[ImportResult, list[tuple], list[str], int]:
    """Check every row; valid rows are kept only while no error has been found."""
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise AppealImportError([f"строка 1: нет обязательных столбцов: {', '.join(missing)}"])
    positions = [(name, names.index(name)) for name in REQUIRED + OPTIONAL if name in names]
    at = dict(positions)
    sqlite = is_sqlite()
    validator = _Validator(source, user, sqlite, allowed_center_ids)
    valid: list[tuple] = []
    errors: list[str] = []
    error_count = 0
    result = ImportResult(dry_run=dry_run)
    width = len(names)
    by_kind: dict[str, int] = {}
    for line, cells in rows:
        if len(cells) < width:
            cells = cells + [""] * (width - len(cells))
        record = validator.fast_row(cells, at)
        problem = None
        if record is None:
            record, problem = validator.row(line, {name: cells[i] for name, i in positions})
        result.rows += 1
        if problem is not None:
            error_count += 1
            if len(errors) < MAX_ERRORS_SHOWN:
                errors.append(problem)
            valid.clear()  # nothing will be stored: free the memory
            continue
        assert record is not None  # a row without a problem has values
        if not error_count:
            valid.append(record)
        by_kind[record[0]] = by_kind.get(record[0], 0) + 1
    result.by_kind = by_kind
    return result, valid, errors, error_count


def check_source(source: str) -> None:
    """Refuse a source name the column cannot hold or whose numbers the system assigns itself."""
    if not SOURCE_RE.match(source or ""):
        raise AppealImportError(
            [
                f"Источник внешних номеров «{source}» не подходит: нужны от 1 до 32 латинских "
                "букв, цифр, «_», «.» или «-», например crm или paper_book"
            ]
        )
    if source in RESERVED_SOURCES:
        raise AppealImportError(
            [
                f"Источник «{source}» занят: такие номера присваивает система или вводят "
                "сотрудники. Укажите другой источник, например paper_book для бумажной "
                "книги отзывов"
            ]
        )


def import_file(
    path: Path,
    *,
    dry_run: bool = False,
    user: User | None = None,
    source: str = DEFAULT_SOURCE,
    display_name: str | None = None,
    allowed_center_ids: set[int] | None = None,
) -> ImportResult:
    """Validate a whole file, then (unless ``dry_run``) insert every row in one transaction.

    Raises :class:`AppealImportError` with line-numbered Russian messages; nothing is stored then.
    ``allowed_center_ids`` (the upload page: the user's scope) refuses rows of other centres.
    """
    check_source(source)
    try:
        with open_table(path) as (header, rows):
            result, valid, errors, error_count = _validate(header, rows, source, user, dry_run, allowed_center_ids)
    except SpreadsheetTooLarge as exc:
        raise AppealImportError([str(exc)]) from None
    except (OSError, UnicodeDecodeError, ValueError, csv.Error, zipfile.BadZipFile, KeyError, SyntaxError) as exc:
        if isinstance(exc, AppealImportError):
            raise
        raise AppealImportError([f"Не удалось прочитать файл: {exc}"]) from None
    if error_count:
        raise AppealImportError(errors, error_count)
    if result.rows == 0:
        raise AppealImportError(["В файле нет строк с обращениями"])
    if dry_run:
        return result
    with write_transaction():
        _insert_rows(valid, is_sqlite())
        audit.record(
            "appeal.import",
            summary=display_name or path.name,
            rows=len(valid),
            source=source,
            **({"user_id": user.id} if user else {}),
        )
    result.inserted = len(valid)
    return result
