"""Formula-injection guard shared by every CSV/XLSX export, and line numbers for CSV imports.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (OWASP "CSV injection"); customer text must never run as one, so such text cells get a
leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: text that could start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def numbered_rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of a ``csv.reader``'s records, numbered as a person sees the file: the line a record
    starts on, counting blank lines and the extra lines of multi-line quoted cells; blank rows skipped."""
    start = reader.line_num + 1
    for cells in reader:
        if any(cells):
            yield start, cells
        start = reader.line_num + 1
