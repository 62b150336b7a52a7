"""Russian number formats and period labels for reports (periods themselves: app/periods.py).

Pure helpers shared by charts, templates and the CLI: one place decides how a number looks
(``1 661``, ``4,1 %``, ``[78,2; 83,0]``) so that the text of a PDF can be checked against the JSON.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, TypeGuard

from app.nav import MINUS, NBSP, format_number, format_percent
from app.periods import QUARTER_ROMAN, quarter
from app.periods import Period as Period  # re-exported: the reports' callers import periods from here
from app.periods import PeriodError as PeriodError
from app.periods import parse_period as parse_period
from app.text.masking import mask_personal as mask_personal  # the report contexts mask quotes through fmt


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# The pages' formatters (app/nav.py), under the names the report templates and charts use.
num = format_number
pct = format_percent


def signed(value: Any, decimals: int = 1, suffix: str = "") -> str:
    """A change with its sign: ``+2,3``, ``−1,0`` (true minus sign), ``0,0``."""
    if not is_number(value):
        return "—"
    text = num(abs(value), decimals)
    sign = "+" if value > 0 and text.strip("0,") else (MINUS if value < 0 and text.strip("0,") else "")
    return f"{sign}{text}{suffix}"


def ci_pair(ci: Any) -> tuple[float, float] | None:
    """An interval given as ``[low, high]`` or ``{"low":…, "high":…}``; None when absent."""
    if isinstance(ci, dict):
        ci = (ci.get("low"), ci.get("high"))
    if isinstance(ci, list | tuple) and len(ci) == 2 and all(is_number(v) for v in ci):
        return float(ci[0]), float(ci[1])
    return None


def ci_text(ci: Any, decimals: int = 1, percent: bool = False) -> str:
    """``[78,2; 83,0]`` (or with ``%``) — a semicolon because the comma is the decimal mark."""
    pair = ci_pair(ci)
    if pair is None:
        return ""
    if percent:
        return f"[{num(pair[0] * 100, decimals)}; {num(pair[1] * 100, decimals)}]{NBSP}%"
    return f"[{num(pair[0], decimals)}; {num(pair[1], decimals)}]"


def p_value_text(p: Any) -> str:
    if not is_number(p):
        return "—"
    if p < 0.001:
        return "p < 0,001"
    return f"p = {num(p, 3)}"


# ---------------------------------------------------------------- periods


def period_label(period: dict[str, Any] | None) -> str:
    """A human label for a ``{"from", "to"}`` dict of a source report (quarter names when exact)."""
    if not period:
        return ""
    try:
        start, end = date.fromisoformat(str(period["from"])[:10]), date.fromisoformat(str(period["to"])[:10])
    except (KeyError, ValueError):
        return ""
    if start.day == 1 and start.month in (1, 4, 7, 10):
        q = quarter(start.year, (start.month + 2) // 3)
        if q.end == end:
            return q.label
    for code in (f"{start.year}H1", f"{start.year}H2", f"{start.year}"):
        candidate = parse_period(code)
        if (candidate.start, candidate.end) == (start, end):
            return candidate.label
    return parse_period(None, start, end).label


def quarter_short(code: str) -> str:
    """``2026Q3`` → ``III кв. 2026``; other strings unchanged."""
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", str(code).strip().upper())
    return f"{QUARTER_ROMAN[int(m[2])]} кв. {m[1]}" if m else str(code)
