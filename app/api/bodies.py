"""API v1 bodies as pydantic models: the views build their JSON from them and the OpenAPI document's
schemas are generated from them, so the two cannot drift apart.

Pydantic writes JSON Schema 2020-12; :class:`OpenApi30Schema` and :func:`component_schemas` turn it into
the OpenAPI 3.0 dialect the document declares (``nullable`` instead of a ``null`` branch, ``enum``
instead of ``const``, no titles, references under ``#/components/schemas``).

The survey response posting endpoint and the report endpoint still describe their bodies by hand in
:mod:`app.api.openapi`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, SkipJsonSchema, models_json_schema
from pydantic_core import core_schema

REF_TEMPLATE = "#/components/schemas/{model}"
DATE_TIME: dict[str, Any] = {"format": "date-time"}


class Body(BaseModel):
    """A reply body: unknown fields are a programming error, not something to pass on."""

    model_config = ConfigDict(extra="forbid")

    def as_json(self) -> dict[str, Any]:
        """The dict that ``jsonify`` sends (optional fields left out rather than sent as null)."""
        return self.model_dump(mode="json", exclude_unset=True)


class Health(Body):
    status: Literal["ok"]


# Every refusal of the API (4xx): a code word, a Russian message and, for absent fields, their names.
# (No docstrings on the models: pydantic would publish them as the schemas' descriptions.)
class Error(Body):
    error: str | SkipJsonSchema[None] = None
    message: str
    missing: list[str] | SkipJsonSchema[None] = Field(None, description="Отсутствующие обязательные поля")


class PublishedSurvey(Body):
    slug: str
    version: int
    version_id: int
    definition: dict[str, Any]


class ResponseItem(Body):
    id: int
    submitted_at: str = Field(description="Время ответа (UTC): по нему периоды", json_schema_extra=DATE_TIME)
    center: str | None
    channel: str
    version: int | None
    duration_seconds: int | None
    answers: dict[str, Any]
    received_at: str = Field(description="Время получения сервером (UTC)", json_schema_extra=DATE_TIME)
    time_replaced: bool = Field(description="Присланное время ответа отклонено, взято время получения")


class ResponsePage(Body):
    survey: str
    page: int
    per_page: int
    total: int
    items: list[ResponseItem]


class Slot(Body):
    start: str = Field(
        description="Начало приема, местное время ЦОК без смещения", pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$"
    )
    windows_free: int = Field(ge=1, description="Сколько окон свободно на все время услуги")


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class BookingSubmission(BaseModel):
    # Unknown fields are ignored (a client may send more), the known ones are checked strictly.
    model_config = ConfigDict(extra="ignore")

    service: str = Field(min_length=1, max_length=32, description="Код услуги: connection, metering, consultation…")
    start: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}$", description="Местное время ЦОК")
    name: str = Field(min_length=1, max_length=200, pattern=r"\S")
    phone: str = Field(pattern=r"^\+?[0-9 ()\-]{5,40}$")
    consent: Literal[True] = Field(description="Согласие на обработку персональных данных (152-ФЗ)")
    client_request_id: str = Field(pattern=UUID_PATTERN, description="UUID запроса: повтор с ним идемпотентен")


class BookingReceipt(Body):
    registration_number: str
    check_code: str
    start: str = Field(description="Местное время ЦОК без смещения")
    window: int = Field(description="Номер окна")


class ThemeMonth(Body):
    month: str = Field(description="Месяц ГГГГ-ММ")
    n: int
    share: float


class ThemeRow(Body):
    theme: str = Field(description="Код темы словаря")
    label: str
    n: int = Field(description="Текстов с темой (ответ анкеты — все его тексты вместе)")
    share: float | None
    share_among_low: float | None = Field(description="Доля среди низких оценок (для обращений — в периоде)")
    share_among_high: float | None = Field(description="Доля среди высоких оценок (для обращений — в прошлом периоде)")
    lift: float | None
    q_value: float | None = Field(description="Точный тест Фишера, поправка Бенджамини–Хохберга по темам")
    trend: list[ThemeMonth]
    quotes: list[str] = Field(description="До трех цитат, персональные данные скрыты")


class ThemeCandidate(Body):
    words: list[str]
    examples: list[str]
    n: int


class OrgTheme(Body):
    theme: str = Field(description="Код темы словаря")
    n: int = Field(description="Текстов подразделения с темой")
    share: float = Field(description="Доля среди текстов подразделения")


class CenterThemes(Body):
    center: str = Field(description="Код ЦОК")
    name: str
    n: int = Field(description="Текстов ЦОК за период")
    themes: list[OrgTheme] = Field(description="Найденные темы, самые частые первыми")


class BranchThemes(Body):
    branch: str = Field(description="Код филиала")
    name: str
    n: int = Field(description="Текстов филиала за период")
    themes: list[OrgTheme] = Field(description="Найденные темы, самые частые первыми")


class ThemesReport(Body):
    themes: list[ThemeRow]
    unassigned: int
    candidates: list[ThemeCandidate]
    by_center: list[CenterThemes] = Field(description="Темы по ЦОК")
    by_branch: list[BranchThemes] = Field(description="Темы по филиалам")


MODELS: tuple[type[BaseModel], ...] = (
    Health,
    Error,
    PublishedSurvey,
    ResponseItem,
    ResponsePage,
    Slot,
    BookingSubmission,
    BookingReceipt,
    ThemeMonth,
    ThemeRow,
    ThemeCandidate,
    OrgTheme,
    CenterThemes,
    BranchThemes,
    ThemesReport,
)


class OpenApi30Schema(GenerateJsonSchema):
    """JSON Schema as OpenAPI 3.0 wants it: an optional value is ``nullable``, not a ``null`` branch."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        inner = self.generate_inner(schema["schema"])
        if "$ref" in inner:  # 3.0 ignores siblings of $ref
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}


def _to_openapi30(node: Any, in_properties: bool = False) -> Any:
    """Drop titles and ``None`` defaults, turn ``const`` into a one-value ``enum`` (3.0 has no ``const``) and
    leave ``additionalProperties: false`` out: clients should accept fields added later."""
    if isinstance(node, list):
        return [_to_openapi30(item) for item in node]
    if not isinstance(node, dict):
        return node
    if in_properties:  # keys are property names, one of which may well be "title"
        return {name: _to_openapi30(value) for name, value in node.items()}
    result = {}
    for key, value in node.items():
        if (
            (key == "title" and isinstance(value, str))
            or (key == "default" and value is None)
            or (key == "additionalProperties" and value is False)
        ):
            continue
        if key == "const":
            result["enum"] = [value]
            continue
        result[key] = _to_openapi30(value, in_properties=key == "properties")
    return result


def component_schemas() -> dict[str, Any]:
    """The ``components.schemas`` entries of :data:`MODELS` (their reply bodies)."""
    _keys, document = models_json_schema(
        [(model, "serialization") for model in MODELS], ref_template=REF_TEMPLATE, schema_generator=OpenApi30Schema
    )
    return _to_openapi30(document["$defs"])
