"""Response exports: CSV, XLSX and SPSS .sav, one row per response, one column per question code.

Exports stream: responses are read in keyset-paginated chunks (``response.id > last``) and their tidy
answers fetched per chunk, so memory stays flat whatever the number of responses. CSV/XLSX cells that a
spreadsheet could run as a formula are neutralised with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Organisation
from app.spreadsheet import FORMULA_STARTS, neutralise_cell
from app.surveys.models import Answer, Response, Survey, SurveyVersion
from app.surveys.schema import QUESTION_CLASSES, Column
from app.surveys.schema.model import ru_text

FIXED_COLUMNS = ("response_id", "submitted_at", "center", "channel")  # the head of every record
# ``submitted_at`` is when the customer answered; ``received_at`` (when the post reached the server: a
# kiosk's offline queue sends later) ends every record and every file.
TRAILING_COLUMNS = ("received_at",)
LEADING_COLUMNS = ("submitted_at", "center", "channel")  # CSV/XLSX: the import format's columns come first
FORMULA_PREFIXES = FORMULA_STARTS
CHUNK = 5000

OTHER_SUFFIX = "__other"


def _question_columns(question: dict[str, Any]) -> list[Column]:
    """A raw question's columns, built by its type's class; an unknown type exports as text."""
    code = question.get("code", "")
    if not code:
        return []
    qtype = question.get("type", "")
    question_class = QUESTION_CLASSES.get(qtype) if isinstance(qtype, str) else None
    label = ru_text(question.get("text"))
    if question_class is None:
        return [Column(code, "text", label)]
    return question_class.export_columns(question, code, label)


def definition_columns(definitions: Iterable[dict[str, Any]]) -> list[Column]:
    """Columns of one or more versions' definitions (newest first); a code keeps its first column."""
    seen: dict[str, Column] = {}
    for definition in definitions:
        for page in definition.get("pages") or []:
            for question in page.get("questions") or []:
                for column in _question_columns(question):
                    seen.setdefault(column.code, column)
    return list(seen.values())


def survey_columns(survey: Survey) -> list[Column]:
    """Columns across every version that can have responses (newest version first)."""
    versions = db.session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.number.desc())
    )
    definitions = [v.definition for v in versions if v.status != "draft"] or [v.definition for v in survey.versions]
    return definition_columns(definitions)


@dataclass
class ExportFilter:
    """Which responses to export; ``center_ids`` None means every centre."""

    center_ids: set[int] | None = None
    start: datetime | None = None  # inclusive, naive UTC
    end: datetime | None = None  # exclusive, naive UTC
    channel: str | None = None


def _response_query(survey_id: int, flt: ExportFilter, after: int, limit: int):
    """The next chunk of responses after ``after``, walking the primary key.

    A plain ``survey_id = ?`` makes the planner pick the (survey_id, submitted_at) index and sort every
    response of the survey for each chunk (quadratic). ``survey_id + 0`` cannot use that index, so the
    query walks the primary key from ``after`` and stops after ``limit`` matches: linear overall.
    """
    query = select(
        Response.id, Response.submitted_at, Response.center_id, Response.channel, Response.received_at
    ).where((Response.survey_id + 0) == survey_id, Response.id > after)
    if flt.center_ids is not None:
        query = query.where(Response.center_id.in_(sorted(flt.center_ids) or [-1]))
    if flt.start is not None:
        query = query.where(Response.submitted_at >= flt.start)
    if flt.end is not None:
        query = query.where(Response.submitted_at < flt.end)
    if flt.channel:
        query = query.where(Response.channel == flt.channel)
    return query.order_by(Response.id).limit(limit)


def _raw_rows(connection: Any, statement: Any) -> list[tuple[Any, ...]]:
    """Plain DBAPI tuples of a Core statement: SQLAlchemy's per-row processing would cost more than
    the query itself on a million rows. Only columns whose driver types are already right are read
    this way (integers, floats, strings; ``submitted_at`` is parsed by the caller)."""
    result = connection.execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def _format_num(value: float | None) -> Any:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def response_rows(response: Response) -> list[tuple[str, str, str]]:
    """(code, question text, the answer as a person reads it) of one response, in the definition's order.

    One reading for every page that shows a whole response: the responses browser and an appeal's
    survey response; a question left unanswered gives an empty answer.
    """
    by_code: dict[str, list[Answer]] = {}
    for answer in response.answers:
        by_code.setdefault(answer.question_code, []).append(answer)
    rows = []
    for column in definition_columns([response.version.definition]):
        is_other = column.code.endswith(OTHER_SUFFIX)
        found = by_code.get(column.code.removesuffix(OTHER_SUFFIX) if is_other else column.code, [])
        if is_other:
            shown = "; ".join(a.text for a in found if a.text)
        elif column.kind == "num":
            shown = "; ".join(str(_format_num(a.value_num)) for a in found if a.value_num is not None)
            if shown and column.value_labels and len(found) == 1 and found[0].value_num is not None:
                label = column.value_labels.get(float(found[0].value_num))
                shown = label if label and label != shown else shown
        elif column.kind in ("option", "multi"):
            shown = "; ".join(column.texts.get(a.option_code or "", a.option_code or "") for a in found)
        else:
            shown = "; ".join(a.text or "" for a in found)
        rows.append((column.code, column.label, shown))
    return rows


def iso_utc(value: datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


def iter_records(
    survey: Survey, flt: ExportFilter | None = None, chunk: int = CHUNK, columns: list[Column] | None = None
) -> Iterator[list[Any]]:
    """Yield one list per response: the fixed columns, one typed value (or None) per column, then
    ``received_at`` (the last item).

    Keyset pagination on response.id; only one chunk of responses and its answers is in memory.
    """
    flt = flt or ExportFilter()
    columns = columns if columns is not None else survey_columns(survey)
    position = {c.code: i for i, c in enumerate(columns)}
    kinds = [c.kind for c in columns]
    width = len(columns)
    connection = db.session.connection()
    center_codes = dict(connection.execute(select(Organisation.id, Organisation.code)).all())
    last = 0
    while True:
        heads = _raw_rows(connection, _response_query(survey.id, flt, last, chunk))
        if not heads:
            return
        lo, hi = heads[0][0], heads[-1][0]
        values: dict[int, list[Any]] = {h[0]: [None] * width for h in heads}
        # Answers of a response share its survey: the response-id range alone uses ix_answer_response.
        # One chunk's answers (~10 per response) are fetched at once: fetchall is far cheaper per row.
        answers = _raw_rows(
            connection,
            (
                select(Answer.response_id, Answer.question_code, Answer.value_num, Answer.option_code, Answer.text)
                .where(Answer.response_id >= lo, Answer.response_id <= hi)
                .order_by(Answer.response_id, Answer.id)
            ),
        )
        for response_id, code, num, option, text in answers:
            row = values.get(response_id)
            index = position.get(code)
            if row is None or index is None:
                continue
            kind = kinds[index]
            if kind == "num":
                row[index] = None if num is None else (num if num % 1 else int(num))
            elif kind in ("option", "multi"):
                row[index] = option if kind == "option" or row[index] is None else f"{row[index]};{option}"
                other = position.get(code + OTHER_SUFFIX) if text is not None else None
                if other is not None:
                    row[other] = text
            else:
                row[index] = text if text is not None else (option if option is not None else _format_num(num))
        del answers
        for response_id, submitted_at, center_id, channel, received_at in heads:
            if isinstance(submitted_at, str):  # SQLite hands back its text form
                submitted_at = datetime.fromisoformat(submitted_at)
            if isinstance(received_at, str):
                received_at = datetime.fromisoformat(received_at)
            yield [
                response_id,
                submitted_at,
                center_codes.get(center_id, ""),
                channel,
                *values[response_id],
                received_at,
            ]
        last = hi
        if len(heads) < chunk:
            return


def export_layout(columns: list[Column]) -> tuple[list[str], list[int]]:
    """The CSV/XLSX header and, for each of its columns, the record position it takes.

    The import format's columns lead: ``submitted_at``, ``center``, ``channel``, one column per question
    code; then the «Другое» texts (``<code>__other``), ``response_id`` and, last, ``received_at``, so that
    an export is a file ``import-responses`` reads and the question columns are where the format puts them.
    """
    fixed = len(FIXED_COLUMNS)
    questions = [fixed + i for i, c in enumerate(columns) if not c.code.endswith(OTHER_SUFFIX)]
    others = [fixed + i for i, c in enumerate(columns) if c.code.endswith(OTHER_SUFFIX)]
    trailing = [fixed + len(columns) + i for i in range(len(TRAILING_COLUMNS))]
    order = [FIXED_COLUMNS.index(name) for name in LEADING_COLUMNS] + questions + others + [0] + trailing
    names = [*FIXED_COLUMNS, *(c.code for c in columns), *TRAILING_COLUMNS]
    return [names[i] for i in order], order


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    return neutralise_cell(value)


class _Line:
    """A file-like sink for csv.writer that hands back what was written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text = "".join(self.parts)
        self.parts.clear()
        return text


def iter_csv(survey: Survey, flt: ExportFilter | None = None, chunk: int = CHUNK, bom: bool = True) -> Iterator[str]:
    """CSV text in pieces (about one chunk of responses each), header first; UTF-8 BOM for Excel."""
    columns = survey_columns(survey)
    names, order = export_layout(columns)
    sink = _Line()
    writer = csv.writer(sink, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([_cell(h) for h in names])
    yield ("\ufeff" if bom else "") + sink.take()
    # Only free text can start with a formula character: numbers and option codes are written as they are.
    text_columns = [4 + i for i, c in enumerate(columns) if c.kind == "text"]
    for count, record in enumerate(iter_records(survey, flt, chunk, columns), start=1):
        record[1] = iso_utc(record[1])
        record[-1] = iso_utc(record[-1])
        record[2] = neutralise_cell(record[2])
        for index in text_columns:
            value = record[index]
            if value is not None and value.startswith(FORMULA_PREFIXES):
                record[index] = "'" + value
        writer.writerow([record[i] for i in order])  # csv writes None as an empty cell
        if count % 1000 == 0:
            yield sink.take()
    rest = sink.take()
    if rest:
        yield rest


def write_csv(survey: Survey, out: io.TextIOBase, flt: ExportFilter | None = None, bom: bool = False) -> int:
    """Write the CSV to an open text file; returns the number of responses. No BOM by default: a file
    for programs, like the command line's standard output (the staff page's download has one for Excel)."""
    rows = -1
    for piece in iter_csv(survey, flt, bom=bom):
        out.write(piece)
        rows += piece.count("\r\n")
    return rows


def write_xlsx(survey: Survey, path: str | os.PathLike, flt: ExportFilter | None = None) -> int:
    """Write an XLSX file with openpyxl's write-only mode (rows go straight to disk)."""
    from openpyxl import Workbook

    columns = survey_columns(survey)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Ответы")
    names, order = export_layout(columns)
    sheet.append([_cell(h) for h in names])
    count = 0
    for record in iter_records(survey, flt, columns=columns):
        sheet.append([_cell(record[i]) for i in order])
        count += 1
    book.save(path)
    return count


def _spss_name(code: str) -> str:
    """SPSS variable names: start with a letter, letters/digits/_ only."""
    name = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in code)
    return name if name[:1].isalpha() else f"q_{name}"


def write_sav(survey: Survey, path: str | os.PathLike, flt: ExportFilter | None = None) -> int:
    """Write an SPSS .sav file with variable labels (question texts) and value labels (options, scales).

    Choice questions are coded 1..k in option order (value labels give the texts); multi-choice stays
    a ``;``-separated string. pyreadstat writes a whole frame, so the rows are held in memory, but in
    typed arrays (8 bytes a number, one shared object per repeated text) rather than Python objects.
    Measured on 68 000 responses: 33 MB above the CSV export's peak instead of 59 MB, the same file.
    """
    import numpy as np
    import pandas as pd
    import pyreadstat

    columns = survey_columns(survey)
    names = ["response_id", "submitted_at", "center", "channel", *(_spss_name(c.code) for c in columns), "received_at"]
    option_index = [
        {code: float(i) for i, code in enumerate(c.options, 1)} if c.kind == "option" else None for c in columns
    ]
    numeric = [coding is not None or column.kind == "num" for column, coding in zip(columns, option_index, strict=True)]
    ids, moments, arrivals = array("q"), array("q"), array("q")  # ids; answer and arrival times in µs since 1970
    centers: list[str] = []
    channels: list[str] = []
    shared: dict[str, str] = {}  # one object per distinct channel text
    values: list[array | list[str]] = [array("d") if is_numeric else [] for is_numeric in numeric]
    epoch = datetime(1970, 1, 1)
    nan = float("nan")
    for record in iter_records(survey, flt, columns=columns):
        ids.append(record[0])
        moments.append((record[1] - epoch) // timedelta(microseconds=1))
        arrivals.append((record[-1] - epoch) // timedelta(microseconds=1))
        centers.append(record[2])
        channels.append(shared.setdefault(record[3], record[3]))
        for target, coding, is_numeric, value in zip(values, option_index, numeric, record[4:-1], strict=True):
            if coding is not None:
                value = coding.get(value, nan) if value is not None else nan
            elif is_numeric:
                value = nan if value is None else float(value)
            else:
                value = "" if value is None else str(value)
            target.append(value)
    frame = pd.DataFrame(
        {
            "response_id": np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, dtype=np.int64),
            "submitted_at": pd.to_datetime(
                np.frombuffer(moments, dtype=np.int64) if moments else np.zeros(0, dtype=np.int64), unit="us"
            ),
            "center": centers,
            "channel": channels,
            **{
                name: (np.frombuffer(target, dtype=np.float64) if len(target) else np.zeros(0))
                if isinstance(target, array)
                else target  # the numeric columns' values, as built above
                for name, target in zip(names[4:-1], values, strict=True)
            },
            "received_at": pd.to_datetime(
                np.frombuffer(arrivals, dtype=np.int64) if arrivals else np.zeros(0, dtype=np.int64), unit="us"
            ),
        },
        columns=names,
    )
    labels: list[str | None] = [
        "Номер ответа",
        "Время ответа (UTC)",
        "ЦОК",
        "Канал",
        *(c.label[:250] for c in columns),
        "Время получения (UTC)",
    ]
    value_labels = {
        name: c.value_labels
        for name, c in zip(names[4:-1], columns, strict=True)
        if c.value_labels and c.kind in ("num", "option")
    }
    pyreadstat.write_sav(frame, str(path), column_labels=labels, variable_value_labels=value_labels)
    return len(frame)


def export_to_file(survey: Survey, fmt: str, path: str | os.PathLike, flt: ExportFilter | None = None) -> int:
    """Write an export of ``fmt`` (csv, xlsx, sav) to ``path``; returns the number of responses."""
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as out:
            return write_csv(survey, out, flt)
    if fmt == "xlsx":
        return write_xlsx(survey, path, flt)
    if fmt == "sav":
        return write_sav(survey, path, flt)
    raise ValueError(f"Неизвестный формат выгрузки «{fmt}»")


def export_to_tempfile(survey: Survey, fmt: str, flt: ExportFilter | None = None) -> str:
    """XLSX/SAV need a file; the caller streams it and removes it."""
    handle, path = tempfile.mkstemp(suffix=f".{fmt}", prefix="otklik-export-")
    os.close(handle)
    try:
        export_to_file(survey, fmt, path, flt)
    except BaseException:
        os.unlink(path)
        raise
    return path


def iter_file_and_remove(path: str, block: int = 256 * 1024) -> Iterator[bytes]:
    """Stream a temporary file's bytes, deleting it afterwards."""
    try:
        with open(path, "rb") as handle:
            while data := handle.read(block):
                yield data
    finally:
        os.unlink(path)


MIME_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
