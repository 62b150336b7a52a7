"""Which scopes a staff member may report on, and the period a request names.

Shared by the manager pages and API v1, which differ only in how the user signed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from app import periods
from app.analysis.queries import Period, quarter_period
from app.analysis.report import ReportError
from app.models import Organisation, OrgKind, User
from app.org.services import branches, centers_under, company
from app.periods import PeriodError, parse_period

REPORT_ROLES = ("manager", "marketing")  # who reads the satisfaction report, on the pages and through the API


def allowed_scopes(user: User) -> list[Organisation]:
    """The scopes a user may choose: their own node and everything below it."""
    own = user.scope
    if own is None or own.kind == OrgKind.COMPANY:
        root = company()
        return ([root] if root else []) + [o for b in branches() for o in (b, *centers_under(b))]
    if own.kind == OrgKind.BRANCH:
        return [own, *centers_under(own)]
    return [own]


def chosen_scope(user: User, code: str | None) -> Organisation | None:
    """The scope a request names (``company`` or an organisation code), None for the whole company.

    No code means the user's own scope. Raises LookupError for a code the user may not see, which
    callers answer as "not found" so that codes of other branches are not confirmed.
    """
    scopes = allowed_scopes(user)
    if not code:
        chosen = scopes[0] if scopes else None
    elif code.strip().lower() == "company":
        chosen = next((o for o in scopes if o.kind == OrgKind.COMPANY), None)
        if chosen is None:
            raise LookupError(code)
    else:
        chosen = next((o for o in scopes if o.code == code.strip().upper()), None)
        if chosen is None:
            raise LookupError(code)
    return None if chosen is None or chosen.kind == OrgKind.COMPANY else chosen


def last_complete_quarter(today: date | None = None) -> tuple[int, int]:
    """Managers read finished quarters: the default is the quarter before the current one."""
    return periods.last_complete_quarter(today or date.today())


def request_period(args: Mapping[str, str]) -> Period:
    """``period`` (a quarter, half-year or year: app.periods) or ``from``/``to`` ISO dates; default the last
    complete quarter."""
    code, date_from, date_to = args.get("period"), args.get("from"), args.get("to")
    if not (code or date_from or date_to):
        return quarter_period(*last_complete_quarter())
    try:
        chosen = parse_period(code, date_from, date_to)
    except PeriodError as exc:
        raise ReportError(str(exc)) from None
    return Period(chosen.start, chosen.end)
