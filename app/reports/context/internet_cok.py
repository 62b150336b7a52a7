"""The monitoring report's «Интернет-ЦОК» section as the PDF shows it (issue 18; issue 17 adds its figures here).

Figures from the typed section (:class:`app.appeals.report_model.InternetCokSection`), formatted once: counts
as «1 661», shares as «4,1 %», intervals as «[0,5; 9,4] %». Centres with no booking are left out of the
bookings table (a company report lists every centre otherwise), windows without open minutes too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.reports.fmt import ci_text, num, pct

if TYPE_CHECKING:
    from app.appeals.report_model import InternetCokSection


def internet_cok_context(section: InternetCokSection) -> dict[str, Any]:
    """Rows of the three tables: bookings by centre (with a total), utilisation per window, no-shows by hour."""
    total = section.bookings_total
    bookings = [
        {
            "name": row.center_name,
            "made": num(row.made),
            "booked": num(row.booked),
            "cancelled": num(row.cancelled),
            "arrived": num(row.arrived),
            "no_show": num(row.no_show),
        }
        for row in section.bookings
        if row.made
    ]
    windows = [
        {
            "name": row.center_name,
            "window": row.window,
            "booked_minutes": num(row.booked_minutes),
            "open_minutes": num(row.open_minutes),
            "utilisation": pct(row.utilisation),
        }
        for row in section.utilisation
        if row.booked_minutes
    ]
    hours = [
        {
            "hours": f"{row.hour}:00–{row.hour + 1}:00",
            "arrived": num(row.arrived),
            "no_show": num(row.no_show),
            "rate": pct(row.rate),
            "ci": ci_text(row.ci, percent=True),
        }
        for row in section.no_shows_by_hour
    ]
    return {
        "total": {
            "made": num(total.made),
            "booked": num(total.booked),
            "cancelled": num(total.cancelled),
            "arrived": num(total.arrived),
            "no_show": num(total.no_show),
        },
        "any": bool(total.made),
        "bookings": bookings,
        "windows": windows,
        "idle_windows": sum(1 for row in section.utilisation if not row.booked_minutes),
        "no_shows": hours,
    }
