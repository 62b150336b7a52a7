"""The base of the typed report models (satisfaction and appeals reports): JSON exactly as the builders wrote it.

Both reports are JSON contracts with other systems. A model dumps only the keys the builder wrote (a key
left out stays absent instead of turning into ``null``), in the order it wrote them, and refuses unknown
keys, so a report that drifts from its model fails loudly in the tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class ReportModel(BaseModel):
    """Base of every report model: unknown keys refused; the dump has the keys the builder wrote, in the
    order it wrote them (the JSON of the report as it was a dict), so a consumer diffing two JSON files
    sees only real changes."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)
    _key_order: tuple[str, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_key_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, ReportModel):
            model._key_order = tuple(data)
        return model

    @model_serializer(mode="wrap")
    def _written_keys_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data = handler(self)
        fields = type(self).model_fields
        written = {fields[name].alias or name for name in self.model_fields_set if name in fields}
        order = [key for key in self._key_order or () if key in written]
        order += [key for key in data if key in written and key not in order]  # assigned after validation
        return {key: data[key] for key in order if key in data}
