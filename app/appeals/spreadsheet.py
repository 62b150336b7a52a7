"""CSV / XLSX writing with formula injection neutralised, and fast table reading.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (OWASP "CSV injection"); customer text must never run as one. Such cells get a leading
apostrophe. Numbers stay numbers (a negative number is not text from a customer).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from app.spreadsheet import FORMULA_STARTS, csv_table, neutralise_cell, xlsx_rows

__all__ = ["FORMULA_STARTS", "neutralise_cell", "to_csv"]


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise_cell(value)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 CSV with BOM (Excel opens Cyrillic correctly), ``;`` separated as Russian Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow([neutralise_cell(h) for h in header])
    for row in rows:
        writer.writerow([_csv_value(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Обращения") -> bytes:
    """One-sheet XLSX; text cells are neutralised and stored as strings, never as formulas."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([neutralise_cell(h) for h in header])
    for row in rows:
        sheet.append([neutralise_cell(v) if not isinstance(v, date | datetime) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@contextmanager
def open_table(path: Path) -> Iterator[tuple[list[str], Iterator[tuple[int, list[str]]]]]:
    """Header and (line number, cells) of a CSV (UTF-8, ``,`` or ``;``) or XLSX file; closes the file.

    Lines are numbered as a person sees them in the file: the header is line 1. Empty rows are skipped.
    """
    if path.suffix.lower() == ".xlsx":
        rows = xlsx_rows(path)
        try:
            header = [_cell_text(h).strip() for h in next(rows, ())]
            yield (
                header,
                (
                    (number, [_cell_text(v) for v in row])
                    for number, row in enumerate(rows, start=2)
                    if any(v not in (None, "") for v in row)
                ),
            )
        finally:
            rows.close()
        return
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        yield csv_table(handle)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
