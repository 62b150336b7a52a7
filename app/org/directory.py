"""The public list of centres a customer chooses from: the landing page's chooser and the centre pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Organisation, OrgKind


@dataclass(frozen=True)
class BranchCentres:
    """One branch (РСК) and its open centres, for an <optgroup> and a directory section."""

    name: str
    centres: list[Organisation]


def centres_by_branch() -> list[BranchCentres]:
    """Active centres grouped under their branch, both by name; centres without a branch come last."""
    branch = aliased(Organisation)
    rows = db.session.execute(
        select(Organisation, branch.name)
        .outerjoin(branch, Organisation.parent_id == branch.id)
        .where(Organisation.kind == OrgKind.CENTER, Organisation.active.is_(True))
        .order_by(branch.name.is_(None), branch.name, Organisation.name)
    ).all()
    groups: dict[str, list[Organisation]] = {}
    for centre, branch_name in rows:
        groups.setdefault(branch_name or "Другие центры", []).append(centre)
    return [BranchCentres(name, centres) for name, centres in groups.items()]


def public_centre(code: str) -> Organisation | None:
    """An active centre by its code (case-insensitive); None for branches, unknown or closed centres."""
    centre = db.session.scalar(
        select(Organisation).where(
            Organisation.code == (code or "").strip().upper(), Organisation.kind == OrgKind.CENTER
        )
    )
    return centre if centre is not None and centre.active else None
