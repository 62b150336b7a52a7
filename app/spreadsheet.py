"""Formula-injection guard shared by every CSV/XLSX export.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
as a formula (OWASP "CSV injection"); customer text must never run as one, so such text cells get a
leading apostrophe.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet: text that could start a formula gets a leading '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
