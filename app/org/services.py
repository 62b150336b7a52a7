"""Business rules of the organisation tree: scopes, lookups, editing and import."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select

from app import audit
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation, OrgKind, User
from app.spreadsheet import SpreadsheetTooLarge, csv_table, xlsx_rows


class OrgError(ValueError):
    """A domain error with a message for the user (Russian)."""


def company() -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.kind == OrgKind.COMPANY))


def find_center(code_or_name: str) -> Organisation | None:
    """A centre by code (case-insensitive) or exact name."""
    value = (code_or_name or "").strip()
    if not value:
        return None
    centers = select(Organisation).where(Organisation.kind == OrgKind.CENTER)
    found = db.session.scalar(centers.where(Organisation.code == value.upper()))
    return found or db.session.scalar(centers.where(Organisation.name == value))


def find_org(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).where(Organisation.code == (code or "").strip().upper()))


def centers(active_only: bool = True) -> list[Organisation]:
    query = select(Organisation).where(Organisation.kind == OrgKind.CENTER)
    if active_only:
        query = query.where(Organisation.active.is_(True))
    return list(db.session.scalars(query.order_by(Organisation.name)))


def branches() -> list[Organisation]:
    return list(
        db.session.scalars(select(Organisation).where(Organisation.kind == OrgKind.BRANCH).order_by(Organisation.name))
    )


def centers_under(org: Organisation | None) -> list[Organisation]:
    """Every centre at or below ``org`` (None or the company: all centres)."""
    if org is None or org.kind == OrgKind.COMPANY:
        return centers(active_only=False)
    if org.kind == OrgKind.CENTER:
        return [org]
    return list(
        db.session.scalars(
            select(Organisation)
            .where(Organisation.kind == OrgKind.CENTER, Organisation.parent_id == org.id)
            .order_by(Organisation.name)
        )
    )


def visible_center_ids(user: User) -> set[int]:
    """Ids of the centres a user may see: their scope and everything below it."""
    return {c.id for c in centers_under(user.scope)}


def can_see_center(user: User, center_id: int | None) -> bool:
    return center_id is not None and center_id in visible_center_ids(user)


def branch_of(center: Organisation) -> Organisation | None:
    return center.parent if center.parent and center.parent.kind == OrgKind.BRANCH else None


def validate_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OrgError(f"Неизвестный часовой пояс «{name}»") from None
    return name


ORG_CODE_RE = re.compile(r"[A-Z][A-Z0-9]{1,15}")
ORG_CODE_RULE = "2–16 латинских заглавных букв и цифр, первая — буква, например KUR или KUR2"


def org_code_problem(code: str) -> str | None:
    """Why ``code`` cannot name a branch or centre, or None. Receipt numbers are «CODE-YEAR-NNNNNN» and the
    code appears in public URLs, so a «-», a space or a Cyrillic letter would make numbers the status page
    cannot parse back (a centre coded KUR-2 issued receipts nobody could look up)."""
    if ORG_CODE_RE.fullmatch(code):
        return None
    return f"Код «{code}» не подходит: нужны {ORG_CODE_RULE}"


def save_org(
    org: Organisation | None,
    *,
    kind: str,
    code: str,
    name: str,
    parent_id: int | None,
    address: str = "",
    opening_hours: str = "",
    timezone: str | None = None,
    active: bool = True,
) -> Organisation:
    """Create or update a node (a new code renames it); codes are unique, Latin capitals and digits."""
    code = code.strip().upper()
    if not code or not name.strip():
        raise OrgError("Код и название обязательны")
    if (problem := org_code_problem(code)) is not None:
        raise OrgError(problem)
    timezone = timezone or current_app.config["DEFAULT_CENTER_TIMEZONE"]
    validate_timezone(timezone)
    with write_transaction():
        clash = db.session.scalar(select(Organisation).where(Organisation.code == code))
        if clash is not None and clash is not org:
            raise OrgError(f"Код «{code}» уже занят")
        creating = org is None
        if org is None:
            org = Organisation(kind=kind)
            db.session.add(org)
        renamed = {"renamed_from": org.code} if not creating and org.code != code else {}
        org.code, org.name, org.parent_id = code, name.strip(), parent_id
        org.address, org.opening_hours, org.timezone, org.active = address, opening_hours, timezone, active
        db.session.flush()
        audit.record("org.create" if creating else "org.update", org, summary=code, **renamed)
    return org


def set_active(org: Organisation, active: bool) -> None:
    """Centres with data are deactivated, never deleted."""
    with write_transaction():
        org.active = active
        audit.record("org.activate" if active else "org.deactivate", org, summary=org.code)


@dataclass(frozen=True)
class OrgRow:
    line: int
    branch_code: str
    branch_name: str
    center_code: str
    center_name: str
    address: str
    timezone: str


IMPORT_COLUMNS = ("branch_code", "branch_name", "center_code", "center_name", "address", "timezone")


def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """(line, row) of a CSV (UTF-8, comma or semicolon) or XLSX file, rows as dicts of stripped strings.

    Lines are numbered as a person sees the file (header = line 1, blank lines counted, then skipped).
    A file that is not UTF-8 or not a readable XLSX raises :class:`OrgError` with a Russian message.
    """
    if path.suffix.lower() == ".xlsx":
        try:  # read-only sheets are parsed while the rows are read: a damaged one fails in the loop
            rows = xlsx_rows(path)
            header = [str(h or "").strip() for h in next(rows, [])]
            return [
                (line, {h: ("" if v is None else str(v)).strip() for h, v in zip(header, row, strict=False)})
                for line, row in enumerate(rows, start=2)
                if any(v not in (None, "") for v in row)
            ]
        except SpreadsheetTooLarge as exc:
            raise OrgError(str(exc)) from None
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError):  # SyntaxError: XML parse errors
            raise OrgError("Не удалось прочитать файл XLSX: сохраните его в Excel заново или выгрузите CSV") from None
    try:
        raw = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrgError("Файл должен быть в кодировке UTF-8 (в Excel: «Сохранить как» → «CSV UTF-8»)") from None
    header, records = csv_table(io.StringIO(raw, newline=""))
    return [
        (line, {name: cells[i].strip() if i < len(cells) else "" for i, name in enumerate(header)})
        for line, cells in records
    ]


def parse_org_rows(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[OrgRow], list[str]]:
    """Validate every row; return the rows and every error with its line number (header = line 1)."""
    errors: list[str] = []
    if rows and (missing := [c for c in IMPORT_COLUMNS if c not in rows[0][1]]):
        return [], [f"Нет столбцов: {', '.join(missing)}"]
    parsed: list[OrgRow] = []
    seen: set[str] = set()
    for index, row in rows:
        problems = [f"пустое поле {c}" for c in IMPORT_COLUMNS[:4] if not row.get(c)]
        tz = row.get("timezone") or current_app.config["DEFAULT_CENTER_TIMEZONE"]
        try:
            validate_timezone(tz)
        except OrgError as exc:
            problems.append(str(exc))
        code = (row.get("center_code") or "").upper()
        for value in (row.get("branch_code") or "").upper(), code:
            if value and (problem := org_code_problem(value)) is not None:
                problems.append(problem)
        if code and code in seen:
            problems.append(f"код ЦОК «{code}» повторяется")
        seen.add(code)
        if problems:
            errors.append(f"строка {index}: " + "; ".join(problems))
            continue
        parsed.append(
            OrgRow(
                index,
                row["branch_code"].upper(),
                row["branch_name"],
                code,
                row["center_name"],
                row.get("address", ""),
                tz,
            )
        )
    return parsed, errors


def import_tree(path: Path, company_name: str) -> tuple[int, int]:
    """All-or-nothing import of branches and centres; returns (branches, centres) touched."""
    parsed, errors = parse_org_rows(read_table(path))
    if errors:
        raise OrgError("\n".join(errors))
    with write_transaction():
        root = company()
        if root is None:
            root = Organisation(kind=OrgKind.COMPANY, code="MRSK", name=company_name)
            db.session.add(root)
            db.session.flush()
        branch_by_code: dict[str, Organisation] = {}
        for row in parsed:
            branch = branch_by_code.get(row.branch_code) or find_org(row.branch_code)
            if branch is None:
                branch = Organisation(
                    kind=OrgKind.BRANCH, code=row.branch_code, name=row.branch_name, parent_id=root.id
                )
                db.session.add(branch)
                db.session.flush()
            elif branch.kind != OrgKind.BRANCH:
                raise OrgError(f"строка {row.line}: код «{row.branch_code}» занят не филиалом")
            branch_by_code[row.branch_code] = branch
            center = find_org(row.center_code)
            if center is None:
                center = Organisation(kind=OrgKind.CENTER, code=row.center_code)
                db.session.add(center)
            elif center.kind != OrgKind.CENTER:
                raise OrgError(f"строка {row.line}: код «{row.center_code}» занят не ЦОК")
            center.name, center.parent_id = row.center_name, branch.id
            center.address, center.timezone = row.address, row.timezone
        audit.record("org.import", summary=path.name, rows=len(parsed))
    return len(branch_by_code), len(parsed)
