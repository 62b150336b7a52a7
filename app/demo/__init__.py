"""`flask demo seed`: the organisation tree, demo users and, per feature, demo data.

Each feature package listed in ``FEATURE_SEEDERS`` provides ``app/<package>/demo.py`` with ``seed(log)``;
it must be idempotent (do nothing when its data already exists). The commands live in ``app/demo/cli.py``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sqlalchemy import select

from app.auth.passwords import hash_password
from app.database import write_transaction
from app.demo.org_tree import BRANCHES, COMPANY, OPENING_HOURS
from app.extensions import db
from app.models import Organisation, OrgKind, Topic, User

# email, role, scope code, name, password
DEMO_USERS = [
    ("admin@otklik.demo", "admin", "MRSK", "Администратор", "demo-admin-2026"),
    ("marketing@otklik.demo", "marketing", "MRSK", "Маркетолог", "demo-marketing-2026"),
    ("operator@otklik.demo", "operator", "KUR", "Оператор ЦОК Курск", "demo-operator-2026"),
    ("manager@otklik.demo", "manager", "MRSK", "Руководитель", "demo-manager-2026"),
]

TOPICS = [
    ("connection", "Технологическое присоединение", "Grid connection"),
    ("transmission", "Передача и энергоснабжение", "Transmission and supply"),
    ("metering", "Учет электроэнергии", "Metering"),
    ("quality", "Качество электроэнергии", "Power quality"),
    ("other", "Прочие вопросы", "Other"),
    # The topics of service requests («Подать заявку»); connection requests use «connection» above.
    ("meter_acceptance", "Приемка прибора учета в эксплуатацию", "Meter acceptance"),
    ("meter_check", "Проверка прибора учета", "Meter check"),
]

FEATURE_SEEDERS = (
    "app.surveys.demo",
    "app.appeals.demo",
    "app.reviews.demo",
    "app.kiosk.demo",
    "app.analysis.demo",
    "app.booking.demo",
    "app.kb.demo",
    "app.site.demo",
)


def seed_topics() -> None:
    with write_transaction():
        existing = set(db.session.scalars(select(Topic.code)))
        for order, (code, ru, en) in enumerate(TOPICS):
            if code not in existing:
                db.session.add(Topic(code=code, name_ru=ru, name_en=en, sort_order=order))


def seed_org_tree() -> int:
    """Create the demo tree; existing codes are left as they are. Returns centres created."""
    created = 0
    with write_transaction():
        by_code = {o.code: o for o in db.session.scalars(select(Organisation))}
        root = by_code.get(COMPANY[0])
        if root is None:
            root = Organisation(kind=OrgKind.COMPANY, code=COMPANY[0], name=COMPANY[1])
            db.session.add(root)
            db.session.flush()
        for branch_code, branch_name, centres in BRANCHES:
            branch = by_code.get(branch_code)
            if branch is None:
                branch = Organisation(kind=OrgKind.BRANCH, code=branch_code, name=branch_name, parent_id=root.id)
                db.session.add(branch)
                db.session.flush()
            for code, name, address in centres:
                if code not in by_code:
                    db.session.add(
                        Organisation(
                            kind=OrgKind.CENTER,
                            code=code,
                            name=name,
                            parent_id=branch.id,
                            address=address,
                            opening_hours=OPENING_HOURS,
                        )
                    )
                    created += 1
    return created


def seed_users() -> list[tuple[str, str, str]]:
    """Create the demo users that do not exist yet; returns (email, role, password) of all of them."""
    with write_transaction():
        existing = set(db.session.scalars(select(User.email)))
        scopes = {o.code: o.id for o in db.session.scalars(select(Organisation))}
        for email, role, scope, name, password in DEMO_USERS:
            if email not in existing:
                db.session.add(
                    User(
                        email=email,
                        role=role,
                        scope_id=scopes.get(scope),
                        name=name,
                        password_hash=hash_password(password),
                    )
                )
    return [(email, role, password) for email, role, _, _, password in DEMO_USERS]


def run_feature_seeders(log: Callable[[str], None]) -> None:
    for module_name in FEATURE_SEEDERS:
        importlib.import_module(module_name).seed(log)


def seed(org_only: bool = False, log: Callable[[str], None] = print) -> None:
    seed_topics()
    created = seed_org_tree()
    log(f"Дерево подразделений: добавлено ЦОК {created}.")
    from app.booking.services import seed_centre_data

    log(f"Услуги, окна и часы работы: заполнено ЦОК {seed_centre_data()}.")
    if org_only:
        return
    seed_users()
    run_feature_seeders(log)


def demo_logins_text() -> str:
    lines = ["Демо-входы (почта / пароль):"]
    lines += [f"  {role:<10} {email:<24} {password}" for email, role, _, _, password in DEMO_USERS]
    return "\n".join(lines)
