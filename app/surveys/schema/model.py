"""The building blocks of a definition document (pydantic) and the small value helpers every part shares.

Pure: no Flask, no database. The question classes live in :mod:`.questiontypes`, the whole document in
:mod:`.definition`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal, TypeGuard

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
RESERVED_CODES = {
    "csrf_token",
    "client_submission_id",
    "contact_name",
    "contact_phone",
    "contact_email",
    "contact_consent",
}
OTHER_CODE = "other"
OTHER_SUFFIX = "__other"
OTHER_MAX_LENGTH = 500
NUMBER_LIMIT = 1e12
NUMERIC_TYPES = ("rating", "nps", "ces", "number", "yes_no")
OPS = ("eq", "ne", "in", "gt", "gte", "lt", "lte", "answered", "not_answered")
CONTACT_FIELDS = ("name", "phone", "email")
MSG_REQUIRED = "Ответьте на этот вопрос"
MSG_INVALID = "Недопустимый ответ"


class DefinitionError(ValueError):
    """An invalid definition; ``errors`` lists every problem as "path: message" (Russian)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("Анкета содержит ошибки:\n" + "\n".join(errors))


def _check_lang_text(value: dict[str, str]) -> dict[str, str]:
    if not (value.get("ru") or "").strip():
        raise ValueError("нужен текст на русском языке (ru)")
    for lang in value:
        if not re.fullmatch(r"[a-z]{2}", lang):
            raise ValueError(f"неверный код языка «{lang}»")
    return value


LangText = Annotated[dict[str, str], AfterValidator(_check_lang_text)]
Code = Annotated[str, Field(max_length=48)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Clause(_Model):
    question: Code
    op: Literal["eq", "ne", "in", "gt", "gte", "lt", "lte", "answered", "not_answered"]
    value: Any = None


class Condition(_Model):
    all: list[Clause] | None = None
    any: list[Clause] | None = None

    @property
    def clauses(self) -> list[Clause]:
        return list(self.all or []) + list(self.any or [])


class Option(_Model):
    code: Code
    text: LangText


class Scale(_Model):
    min: int
    max: int


class ScaleLabels(_Model):
    min: LangText | None = None
    max: LangText | None = None


class MatrixRow(_Model):
    code: Code
    text: LangText


# --------------------------------------------------------------------------- value helpers


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def to_number(value: Any) -> float | None:
    """A finite float from a bool, a number or a numeric string; None otherwise."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def clean_string(value: Any) -> str:
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def ru_text(text: Any) -> str:
    """The Russian text of a {lang: str} dict of a raw document (or its first language)."""
    if isinstance(text, dict):
        return str(text.get("ru") or next(iter(text.values()), "") or "")
    return "" if text is None else str(text)
