"""Formula-injection guard shared by every CSV/XLSX export, and line numbers for CSV imports.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (OWASP "CSV injection"); customer text must never run as one, so such text cells get a
leading apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any, Protocol, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
