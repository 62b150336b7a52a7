"""Demo kiosk for ЦОК Курск with a stable URL (token derived from the instance secret; demo only)."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.kiosk.models import Kiosk
from app.kiosk.services import demo_token, hash_token, register_kiosk
from app.org.services import find_center

DEMO_CENTER = "KUR"


def demo_url() -> str:
    token = demo_token(current_app.config["SECRET_KEY"], DEMO_CENTER)
    return f"{current_app.config.get('PUBLIC_BASE_URL', '').rstrip('/')}/kiosk/{token}"


def seed(log: Callable[[str], None] = print) -> None:
    center = find_center(DEMO_CENTER)
    if center is None:
        log("Киоск: нет ЦОК KUR, демо-киоск не создан.")
        return
    token = demo_token(current_app.config["SECRET_KEY"], DEMO_CENTER)
    existing = db.session.scalar(select(Kiosk).where(Kiosk.token_hash == hash_token(token)))
    if existing is None:
        register_kiosk(center.id, "Демо-киоск в зале ЦОК Курск", 60, token=token)
        log("Киоск: создан демо-киоск ЦОК Курск.")
    log(f"Демо-киоск: {demo_url()}")
