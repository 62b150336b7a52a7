"""Formula-injection guard shared by every CSV/XLSX export, line numbers for CSV imports, bounded XLSX reading.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (OWASP "CSV injection"); customer text must never run as one, so such text cells get a
leading apostrophe.
"""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Protocol, TextIO

from flask import current_app

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# An XLSX file is a ZIP of XML: 96 KB on disk held 23.5 MB of sheet XML and took 55 s to parse. The archive's
# uncompressed size is checked before any XML is parsed (zipfile never inflates a member past its declared
# size, so the declared sizes bound the work), and the rows are counted while they are read.
XLSX_MAX_UNCOMPRESSED_MB = 20
XLSX_MAX_ROWS = 100_000
XLSX_MAX_COLUMNS = 100  # cells beyond are not read: a stray cell in column XFD pads every row to 16 384 cells


class SpreadsheetTooLarge(ValueError):
    """An XLSX file beyond the import limits; the message is for the person who uploaded it."""


def _limit(name: str, default: int) -> int:
    try:
        return int(current_app.config.get(name, default))
    except RuntimeError:  # outside an application context
        return default


def xlsx_rows(path: Path) -> Generator[tuple[Any, ...], None, None]:
    """Cell values of the first sheet's rows (the header included), at most ``XLSX_MAX_COLUMNS`` wide.

    Raises :class:`SpreadsheetTooLarge` (Russian message) before parsing when the unpacked archive exceeds
    ``XLSX_MAX_UNCOMPRESSED_MB``, or while reading when the sheet has more than ``XLSX_MAX_ROWS`` rows;
    ``zipfile.BadZipFile`` and the XML parser's errors pass through for the caller's "cannot read" message.
    """
    from openpyxl import load_workbook

    max_mb, max_rows = (
        _limit("XLSX_MAX_UNCOMPRESSED_MB", XLSX_MAX_UNCOMPRESSED_MB),
        _limit("XLSX_MAX_ROWS", XLSX_MAX_ROWS),
    )
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(member.file_size for member in archive.infolist())
    if unpacked > max_mb * 1024 * 1024:
        raise SpreadsheetTooLarge(
            f"Файл XLSX слишком велик: в распакованном виде {unpacked / 1024 / 1024:.0f} МБ, "
            f"допускается не более {max_mb} МБ. Разделите его на части или выгрузите CSV"
        )
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for count, row in enumerate(workbook.active.iter_rows(values_only=True, max_col=XLSX_MAX_COLUMNS), 1):
            if count > max_rows + 1:  # + the header
                raise SpreadsheetTooLarge(f"В файле XLSX больше {max_rows} строк: разделите его на части")
            yield row
    finally:
        workbook.close()


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: text that could start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class LineCountingReader(Protocol):
    """A ``csv.reader``: records, and the number of physical lines read so far."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


def csv_table(handle: TextIO) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Header and numbered records of a CSV file opened with ``newline=""`` (UTF-8 BOM already removed or
    not: it is stripped from the header), separated by ``,`` or ``;``, whichever its first line has more of."""
    first = handle.readline()
    handle.seek(0)
    reader = csv.reader(handle, delimiter=";" if first.count(";") > first.count(",") else ",")
    header = [h.strip().lstrip("\ufeff") for h in next(reader, [])]
    return header, numbered_rows(reader)


def numbered_rows(reader: LineCountingReader) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a ``csv.reader``'s records, numbered as a person sees the file: the line a record
    starts on, counting blank lines and the extra lines of multi-line quoted cells; blank rows skipped."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cells):
            yield start, cells
        start = reader.line_num + 1
