"""Demo kiosk for ЦОК Курск; every start prints a fresh one-time enrolment link for it (demo only)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import issue_enrolment, register_kiosk
from app.org.services import find_center
from app.urls import public_url

DEMO_CENTER = "KUR"
DEMO_NAME = "Демо-киоск в зале ЦОК Курск"


def demo_kiosk() -> Kiosk | None:
    """The active demo kiosk (found by centre and name: its token changes at every enrolment)."""
    center = find_center(DEMO_CENTER)
    if center is None:
        return None
    return db.session.scalar(
        select(Kiosk)
        .where(Kiosk.center_id == center.id, Kiosk.name == DEMO_NAME, Kiosk.active.is_(True))
        .order_by(Kiosk.id)
        .limit(1)
    )


def demo_enrol_url() -> str | None:
    """A fresh one-time enrolment link for the demo kiosk, or None when there is none.

    The kiosk already enrolled keeps working until the new link is used (no revocation here), so a
    restart of ``make run`` does not cut off a demo kiosk that is open in a browser.
    """
    kiosk = demo_kiosk()
    if kiosk is None:
        return None
    code = issue_enrolment(kiosk, revoke_device=False)
    return public_url("kiosk.enrol_page", code=code)


def seed(log: Callable[[str], None] = print) -> None:
    center = find_center(DEMO_CENTER)
    if center is None:
        log("Киоск: нет ЦОК KUR, демо-киоск не создан.")
        return
    if demo_kiosk() is None:
        register_kiosk(center.id, DEMO_NAME, 60)
        log("Киоск: создан демо-киоск ЦОК Курск (ссылку подключения печатает `flask demo logins`).")
