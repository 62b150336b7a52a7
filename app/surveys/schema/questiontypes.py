"""One class per question type: its definition rules, its answer's cleaning, its stored rows, its columns.

Each class is the pydantic model of its JSON and also owns what differs between types:

- ``definition_errors`` (on the raw document, so that they are reported with the structural errors),
- ``clean`` (one answer: validated and normalised, or an error in Russian),
- ``answer_rows`` (the tidy rows stored for a clean answer),
- ``stored_answer`` (the answer JSON rebuilt from those rows),
- ``export_columns`` (on the raw document of any stored version),
- ``form_answer`` (the answer JSON from the HTML form's fields).

:data:`QUESTION_CLASSES` maps the ``type`` tag to its class. Analysis measures stay in
:mod:`app.analysis.measures`, keyed by the same tags. Pure: no Flask, no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Annotated, Any, ClassVar, Literal

from pydantic import ConfigDict, Field

from app.surveys.schema.model import (
    CODE_RE,
    CONTACT_FIELDS,
    MSG_INVALID,
    MSG_REQUIRED,
    NUMBER_LIMIT,
    NUMERIC_TYPES,
    OTHER_CODE,
    OTHER_MAX_LENGTH,
    OTHER_SUFFIX,
    Code,
    Condition,
    LangText,
    MatrixRow,
    Option,
    Scale,
    ScaleLabels,
    _Model,
    as_dict,
    as_list,
    clean_string,
    is_empty,
    is_int,
    is_number,
    ru_text,
    to_number,
)

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
CONTACT_LIMITS = {"name": 200, "phone": 40, "email": 254}
Errors = dict[str, str]
Row = dict[str, Any]


@dataclass
class Column:
    """One export column: a question code (or matrix row code) and how its answers become a cell."""

    code: str
    kind: str  # num | option | multi | text
    label: str = ""
    value_labels: dict[Any, str] = field(default_factory=dict)  # numeric value → label (SPSS)
    options: list[str] = field(default_factory=list)  # option codes in order (SPSS numeric coding)
    texts: dict[str, str] = field(default_factory=dict)  # option code → Russian text


def _scale_labels(question: dict[str, Any], lo: int, hi: int) -> dict[Any, str]:
    """Every scale point labelled with its number; the ends with the definition's labels if any."""
    labels = {float(v): str(v) for v in range(lo, hi + 1)}
    ends = question.get("labels") or {}
    for end, value in (("min", lo), ("max", hi)):
        if isinstance(ends, dict) and ends.get(end):
            labels[float(value)] = f"{value} — {ru_text(ends[end])}"
    return labels


def _raw_scale(question: dict[str, Any]) -> tuple[int, int]:
    scale = question.get("scale") or {}
    return int(scale.get("min", 1)), int(scale.get("max", 5))


def _scale_value(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    number = to_number(value) if not isinstance(value, bool) else None
    if number is None or number != int(number) or not low <= number <= high:
        return None, f"Выберите значение от {low} до {high}"
    return int(number), None


def _fmt(number: float) -> str:
    return str(int(number)) if number == int(number) else str(number).replace(".", ",")


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "да")


def _row(code: str, value_num: float | None = None, option_code: str | None = None, text: str | None = None) -> Row:
    """A tidy answer row with every column, so the insert needs no defaults merged in."""
    return {"question_code": code, "value_num": value_num, "option_code": option_code, "text": text}


def put_stored_answer(
    result: dict[str, Any], code: str, value_num: float | None, option_code: str | None, text: str | None
) -> None:
    """The answer JSON of one stored row whose question is not known (or not special): its one value."""
    if value_num is not None:
        result[code] = int(value_num) if value_num == int(value_num) else value_num
    elif option_code is not None:
        result[code] = option_code
    else:
        result[code] = text
    if option_code == OTHER_CODE and text:
        result[code + OTHER_SUFFIX] = text


class _Question(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    code: Code
    text: LangText
    help: LangText | None = None
    required: bool = False
    show_if: Condition | None = None

    stores_answers: ClassVar[bool] = True  # False: personal data, kept outside the answers and exports
    import_kind: ClassVar[str] = "plain"  # how an import's CSV cell is read: "plain" or "multi" (split on ;)

    @property
    def answer_codes(self) -> list[str]:
        """The keys this question's answers use in the answer JSON."""
        return [self.code]

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES  # type: ignore[attr-defined]

    # ---- the definition (raw document)

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        """Rules of this type across fields; ``kinds`` are the earlier questions' answer codes → type."""
        return []

    @classmethod
    def condition_values(cls, raw: dict[str, Any]) -> set[str] | None:
        """The values a condition on this question may compare with (option codes), None when any."""
        return None

    @classmethod
    def row_codes(cls, raw: dict[str, Any], path: str) -> tuple[list[str], list[tuple[str, str]]]:
        """(errors, [(answer code, path)]) of answer codes besides the question's own (matrix rows)."""
        return [], []

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        return [Column(code, "text", label)]

    @classmethod
    def scale_of(cls, raw: dict[str, Any]) -> str | None:
        """The scale as definition_changes names it ("1–5"), None for a question without one."""
        return None

    # ---- one answer

    def clean(self, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        """Validate and normalise this question's answer in ``raw`` into ``clean`` (or ``errors``)."""
        value = raw.get(self.code)
        if isinstance(value, str):
            value = value.replace("\x00", "").strip()
            empty = not value
        else:  # is_empty(), without building an empty list and dict to compare with
            empty = value is None or (isinstance(value, list | dict) and not value)
        if empty:
            if self.required:
                errors[self.code] = MSG_REQUIRED
            return
        self.clean_value(value, raw, clean, errors)

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        """A non-empty answer."""
        raise NotImplementedError

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        """The tidy rows stored for this question's clean answer (none when unanswered)."""
        value = clean.get(self.code)
        return [] if value is None else [_row(self.code, text=str(value))]

    def stored_answer(
        self, result: dict[str, Any], code: str, value_num: float | None, option_code: str | None, text: str | None
    ) -> None:
        """Put one stored row back into the answer JSON ``result``."""
        put_stored_answer(result, code, value_num, option_code, text)

    def form_answer(
        self, first: Mapping[str, str], getlist: Callable[[str], list[str]], answers: dict[str, Any]
    ) -> None:
        """This question's answer from the HTML form (``first`` value of each sent field; ``getlist``)."""
        if first.get(self.code):
            answers[self.code] = first[self.code]


class _ChoiceQuestion(_Question):
    options: list[Option] = Field(min_length=1)
    shuffle: bool = False
    other: bool = False

    @property
    def all_options(self) -> list[Option]:
        """Options including the implicit «Другое» when ``other`` is on and no option is coded "other"."""
        if self.other and all(o.code != OTHER_CODE for o in self.options):
            return [*self.options, Option(code=OTHER_CODE, text={"ru": "Другое", "en": "Other"})]
        return list(self.options)

    @property
    def option_codes(self) -> list[str]:
        return [o.code for o in self.all_options]

    @cached_property
    def _option_set(self) -> frozenset[str]:
        return frozenset(self.option_codes)

    @classmethod
    def _raw_option_codes(cls, raw: dict[str, Any], path: str, errors: list[str]) -> list[str]:
        codes: list[str] = []
        for o, option in enumerate(as_list(raw.get("options"))):
            ocode = as_dict(option).get("code")
            if not isinstance(ocode, str):
                continue
            if not CODE_RE.fullmatch(ocode):
                errors.append(
                    f"{path}.options[{o}].code: код «{ocode}» должен состоять из строчных "
                    "латинских букв, цифр и подчеркиваний"
                )
            if ocode in codes:
                errors.append(f"{path}.options: повторяется код «{ocode}»")
            codes.append(ocode)
        if raw.get("other") is True and OTHER_CODE not in codes:
            codes.append(OTHER_CODE)
        return codes

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        errors: list[str] = []
        cls._raw_option_codes(raw, path, errors)
        return errors

    @classmethod
    def condition_values(cls, raw: dict[str, Any]) -> set[str] | None:
        return set(cls._raw_option_codes(raw, "", []))

    @classmethod
    def _texts(cls, raw: dict[str, Any]) -> dict[str, str]:
        texts = {o.get("code"): ru_text(o.get("text")) for o in raw.get("options") or []}
        texts.setdefault(OTHER_CODE, "Другое")
        return texts

    @classmethod
    def _other_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        """The free text of «Другое» goes to its own column ``<code>__other`` (the answer JSON's key)."""
        return [Column(code + OTHER_SUFFIX, "text", f"{label}: другое (текст)")] if raw.get("other") else []

    def _clean_other(self, chosen: list[str], raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        if not self.other or OTHER_CODE not in chosen:
            return
        text = clean_string(raw.get(self.code + OTHER_SUFFIX))
        if len(text) > OTHER_MAX_LENGTH:
            errors[self.code + OTHER_SUFFIX] = f"Не больше {OTHER_MAX_LENGTH} символов"
        elif text:
            clean[self.code + OTHER_SUFFIX] = text

    def form_answer(
        self, first: Mapping[str, str], getlist: Callable[[str], list[str]], answers: dict[str, Any]
    ) -> None:
        super().form_answer(first, getlist, answers)
        other = self.code + OTHER_SUFFIX
        if self.other and (first.get(other) or "").strip():
            answers[other] = first[other]


class _SingleChoiceBase(_ChoiceQuestion):
    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        options = [o.get("code", "") for o in raw.get("options") or []]
        if raw.get("other") and OTHER_CODE not in options:
            options.append(OTHER_CODE)
        texts = cls._texts(raw)
        main = Column(
            code, "option", label, {float(i): texts.get(c, c) for i, c in enumerate(options, 1)}, options, texts
        )
        return [main, *cls._other_columns(raw, code, label)]

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        if not isinstance(value, str) or value not in self._option_set:
            errors[self.code] = "Выберите один из предложенных вариантов"
            return
        clean[self.code] = value
        if self.other:
            self._clean_other([value], raw, clean, errors)

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        value = clean.get(self.code)
        if value is None:
            return []
        return [
            _row(
                self.code, option_code=value, text=clean.get(self.code + OTHER_SUFFIX) if value == OTHER_CODE else None
            )
        ]


class SingleChoice(_SingleChoiceBase):
    type: Literal["single_choice"]


class Dropdown(_SingleChoiceBase):
    type: Literal["dropdown"]


class MultiChoice(_ChoiceQuestion):
    type: Literal["multi_choice"]
    min_selections: int | None = Field(default=None, ge=0)
    max_selections: int | None = Field(default=None, ge=1)

    import_kind: ClassVar[str] = "multi"

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        errors: list[str] = []
        codes = cls._raw_option_codes(raw, path, errors)
        low, high = raw.get("min_selections"), raw.get("max_selections")
        if is_int(low) and is_int(high) and low > high:
            errors.append(f"{path}.min_selections: минимум выборов больше максимума")
        if is_int(high) and codes and high > len(codes):
            errors.append(f"{path}.max_selections: максимум выборов больше числа вариантов")
        if is_int(low) and codes and low > len(codes):
            errors.append(f"{path}.min_selections: минимум выборов больше числа вариантов")
        return errors

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        return [Column(code, "multi", label, texts=cls._texts(raw)), *cls._other_columns(raw, code, label)]

    def clean(self, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        value = raw.get(self.code)
        if isinstance(value, str):
            value = [value]
        if is_empty(value):
            if self.required:
                errors[self.code] = MSG_REQUIRED
            return
        self.clean_value(value, raw, clean, errors)

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[self.code] = MSG_INVALID
            return
        chosen = list(dict.fromkeys(v.strip() for v in value if v.strip()))
        if not self._option_set.issuperset(chosen):
            errors[self.code] = "Выберите из предложенных вариантов"
        elif self.min_selections and len(chosen) < self.min_selections:
            errors[self.code] = f"Выберите не меньше {self.min_selections}"
        elif self.max_selections and len(chosen) > self.max_selections:
            errors[self.code] = f"Выберите не больше {self.max_selections}"
        elif chosen:
            clean[self.code] = chosen
            if self.other:
                self._clean_other(chosen, raw, clean, errors)
        elif self.required:
            errors[self.code] = MSG_REQUIRED

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        other = clean.get(self.code + OTHER_SUFFIX)
        return [
            _row(self.code, option_code=code, text=other if code == OTHER_CODE else None)
            for code in clean.get(self.code) or ()
        ]

    def stored_answer(
        self, result: dict[str, Any], code: str, value_num: float | None, option_code: str | None, text: str | None
    ) -> None:
        result.setdefault(code, []).append(option_code)
        if option_code == OTHER_CODE and text:
            result[code + OTHER_SUFFIX] = text

    def form_answer(
        self, first: Mapping[str, str], getlist: Callable[[str], list[str]], answers: dict[str, Any]
    ) -> None:
        chosen = [v for v in getlist(self.code) if v] if self.code in first else []
        if chosen:
            answers[self.code] = chosen
        other = self.code + OTHER_SUFFIX
        if self.other and (first.get(other) or "").strip():
            answers[other] = first[other]


class _ScaleQuestion(_Question):
    """A score on a fixed scale (rating, NPS, CES): one integer, stored as a number."""

    @classmethod
    def raw_bounds(cls, raw: dict[str, Any]) -> tuple[int, int]:
        return _raw_scale(raw)

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        low, high = cls.raw_bounds(raw)
        return [Column(code, "num", label, _scale_labels(raw, low, high))]

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        scale = self.scale  # type: ignore[attr-defined]
        number, error = _scale_value(value, scale.min, scale.max)
        if error:
            errors[self.code] = error
        else:
            clean[self.code] = number

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        value = clean.get(self.code)
        return [] if value is None else [_row(self.code, value_num=float(value))]


def _raw_scale_text(raw: dict[str, Any]) -> str:
    scale = as_dict(raw.get("scale")) or {"min": 1, "max": 5}
    return f"{scale.get('min')}–{scale.get('max')}"


def _scale_errors(raw: dict[str, Any], path: str) -> list[str]:
    scale = as_dict(raw.get("scale"))
    low, high = scale.get("min"), scale.get("max")
    if is_int(low) and is_int(high):
        if low >= high:
            return [f"{path}.scale: минимум шкалы должен быть меньше максимума"]
        if high - low > 10:
            return [f"{path}.scale: шкала не может содержать больше 11 делений"]
    return []


class Rating(_ScaleQuestion):
    type: Literal["rating"]
    scale: Scale = Scale(min=1, max=5)
    style: Literal["numbers", "stars", "faces"] = "numbers"
    labels: ScaleLabels | None = None

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        return _scale_errors(raw, path)

    @classmethod
    def scale_of(cls, raw: dict[str, Any]) -> str | None:
        return _raw_scale_text(raw)


class Nps(_ScaleQuestion):
    type: Literal["nps"]
    labels: ScaleLabels | None = None

    @property
    def scale(self) -> Scale:
        return _NPS_SCALE

    @classmethod
    def raw_bounds(cls, raw: dict[str, Any]) -> tuple[int, int]:
        return 0, 10

    @classmethod
    def scale_of(cls, raw: dict[str, Any]) -> str | None:
        return "0–10"

    style: Literal["numbers"] = "numbers"


class Ces(_ScaleQuestion):
    type: Literal["ces"]
    labels: ScaleLabels | None = None
    style: Literal["numbers"] = "numbers"

    @property
    def scale(self) -> Scale:
        return _CES_SCALE

    @classmethod
    def raw_bounds(cls, raw: dict[str, Any]) -> tuple[int, int]:
        return 1, 7

    @classmethod
    def scale_of(cls, raw: dict[str, Any]) -> str | None:
        return "1–7"


_NPS_SCALE = Scale(min=0, max=10)
_CES_SCALE = Scale(min=1, max=7)


class Matrix(_Question):
    type: Literal["matrix"]
    rows: list[MatrixRow] = Field(min_length=1)
    scale: Scale = Scale(min=1, max=5)
    labels: ScaleLabels | None = None

    @property
    def answer_codes(self) -> list[str]:
        return [r.code for r in self.rows]

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        return _scale_errors(raw, path)

    @classmethod
    def scale_of(cls, raw: dict[str, Any]) -> str | None:
        return _raw_scale_text(raw)

    @classmethod
    def row_codes(cls, raw: dict[str, Any], path: str) -> tuple[list[str], list[tuple[str, str]]]:
        errors: list[str] = []
        codes: list[tuple[str, str]] = []
        for r, row in enumerate(as_list(raw.get("rows"))):
            rcode = as_dict(row).get("code")
            if isinstance(rcode, str):
                if not CODE_RE.fullmatch(rcode) or "__" in rcode:
                    errors.append(
                        f"{path}.rows[{r}].code: код «{rcode}» должен состоять из строчных "
                        "латинских букв, цифр и одиночных подчеркиваний"
                    )
                codes.append((rcode, f"{path}.rows[{r}].code"))
        return errors, codes

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        low, high = _raw_scale(raw)
        return [
            Column(row.get("code", ""), "num", f"{label}: {ru_text(row.get('text'))}", _scale_labels(raw, low, high))
            for row in raw.get("rows") or []
            if row.get("code")
        ]

    def clean(self, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        for row in self.rows:
            row_value = raw.get(row.code)
            if is_empty(row_value):
                if self.required:
                    errors[row.code] = MSG_REQUIRED
                continue
            number, error = _scale_value(row_value, self.scale.min, self.scale.max)
            if error:
                errors[row.code] = error
            else:
                clean[row.code] = number

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        return [_row(r.code, value_num=float(clean[r.code])) for r in self.rows if r.code in clean]

    def form_answer(
        self, first: Mapping[str, str], getlist: Callable[[str], list[str]], answers: dict[str, Any]
    ) -> None:
        for row in self.rows:
            if first.get(row.code):
                answers[row.code] = first[row.code]


class YesNo(_Question):
    type: Literal["yes_no"]

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        return [Column(code, "num", label, {1.0: "Да", 0.0: "Нет"})]

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        if isinstance(value, bool):
            clean[self.code] = value
        elif isinstance(value, str) and value.lower() in ("yes", "да", "true", "1"):
            clean[self.code] = True
        elif isinstance(value, str) and value.lower() in ("no", "нет", "false", "0"):
            clean[self.code] = False
        elif isinstance(value, int | float) and value in (0, 1):
            clean[self.code] = bool(value)
        else:
            errors[self.code] = "Ответьте «да» или «нет»"

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        value = clean.get(self.code)
        return [] if value is None else [_row(self.code, value_num=1.0 if value else 0.0)]

    def stored_answer(
        self, result: dict[str, Any], code: str, value_num: float | None, option_code: str | None, text: str | None
    ) -> None:
        put_stored_answer(result, code, value_num, option_code, text)
        if value_num is not None:
            result[code] = bool(value_num)


class TextQuestion(_Question):
    type: Literal["text"]
    max_length: int = Field(default=2000, ge=1, le=20000)
    multiline: bool = True

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        if not isinstance(value, str):
            errors[self.code] = MSG_INVALID
        elif len(value) > self.max_length:
            errors[self.code] = f"Не больше {self.max_length} символов (сейчас {len(value)})"
        else:
            clean[self.code] = value


class NumberQuestion(_Question):
    type: Literal["number"]
    min: float | None = None
    max: float | None = None
    integer: bool = False

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        low, high = raw.get("min"), raw.get("max")
        return [f"{path}.min: минимум больше максимума"] if is_number(low) and is_number(high) and low > high else []

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        return [Column(code, "num", label)]

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        number = to_number(value) if not isinstance(value, bool) else None
        if number is None or abs(number) > NUMBER_LIMIT:
            errors[self.code] = "Введите число"
        elif self.integer and number != int(number):
            errors[self.code] = "Введите целое число"
        elif self.min is not None and number < self.min:
            errors[self.code] = f"Число должно быть не меньше {_fmt(self.min)}"
        elif self.max is not None and number > self.max:
            errors[self.code] = f"Число должно быть не больше {_fmt(self.max)}"
        else:
            clean[self.code] = int(number) if number == int(number) else number

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        value = clean.get(self.code)
        return [] if value is None else [_row(self.code, value_num=float(value))]


class DateQuestion(_Question):
    type: Literal["date"]
    min: date | None = None
    max: date | None = None

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        low, high = raw.get("min"), raw.get("max")
        if isinstance(low, str) and isinstance(high, str) and low > high:
            return [f"{path}.min: начальная дата позже конечной"]
        return []

    def clean_value(self, value: Any, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
        except ValueError:
            day = None
        if day is None or not date(1900, 1, 1) <= day <= date(2100, 12, 31):
            errors[self.code] = "Введите дату в формате ГГГГ-ММ-ДД"
        elif self.min and day < self.min:
            errors[self.code] = f"Дата не раньше {self.min:%d.%m.%Y}"
        elif self.max and day > self.max:
            errors[self.code] = f"Дата не позже {self.max:%d.%m.%Y}"
        else:
            clean[self.code] = day.isoformat()


class ContactQuestion(_Question):
    type: Literal["contact"]
    fields: list[Literal["name", "phone", "email"]] = Field(default=["name", "phone", "email"], min_length=1)

    stores_answers: ClassVar[bool] = False

    @classmethod
    def definition_errors(cls, raw: dict[str, Any], path: str, kinds: Mapping[str, str]) -> list[str]:
        errors: list[str] = []
        if raw.get("required") is True:
            errors.append(f"{path}.required: контактные данные не могут быть обязательными")
        fields = as_list(raw.get("fields"))
        if len(set(map(str, fields))) != len(fields):
            errors.append(f"{path}.fields: поля повторяются")
        if "contact" in kinds.values():
            errors.append(f"{path}.type: в анкете может быть только один вопрос о контактах")
        return errors

    @classmethod
    def export_columns(cls, raw: dict[str, Any], code: str, label: str) -> list[Column]:
        return []  # personal data lives in app.models.Contact, never in exports

    def clean(self, raw: dict[str, Any], clean: dict[str, Any], errors: Errors) -> None:
        """Contact data is kept only with an explicit consent; without it everything is dropped."""
        value = as_dict(raw.get(self.code))
        if not _truthy(value.get("consent")):
            return
        contact = {name: clean_string(value.get(name)) if name in self.fields else "" for name in CONTACT_FIELDS}
        found = self._contact_errors(contact)
        errors.update(found)
        if not found:
            clean[self.code] = {**contact, "consent": True}

    def _contact_errors(self, contact: dict[str, str]) -> Errors:
        errors: Errors = {}
        for name, limit in CONTACT_LIMITS.items():
            if len(contact[name]) > limit:
                errors[f"{self.code}.{name}"] = f"Не больше {limit} символов"
        if contact["email"] and not EMAIL_RE.match(contact["email"]):
            errors[f"{self.code}.email"] = "Проверьте адрес электронной почты"
        if contact["phone"]:
            digits = re.sub(r"\D", "", contact["phone"])
            if not 5 <= len(digits) <= 15 or not re.fullmatch(r"[\d\s()+\-.]+", contact["phone"]):
                errors[f"{self.code}.phone"] = "Проверьте номер телефона"
        if not (contact["phone"] or contact["email"]):
            errors[self.code] = "Укажите телефон или электронную почту, чтобы мы могли связаться с вами"
        return errors

    def answer_rows(self, clean: dict[str, Any]) -> list[Row]:
        return []

    def form_answer(
        self, first: Mapping[str, str], getlist: Callable[[str], list[str]], answers: dict[str, Any]
    ) -> None:
        if first.get("contact_consent"):
            answers[self.code] = {name: first.get(f"contact_{name}", "") for name in CONTACT_FIELDS}
            answers[self.code]["consent"] = first["contact_consent"] in ("1", "on", "yes", "true")


Question = Annotated[
    SingleChoice
    | MultiChoice
    | Dropdown
    | Rating
    | Nps
    | Ces
    | Matrix
    | YesNo
    | TextQuestion
    | NumberQuestion
    | DateQuestion
    | ContactQuestion,
    Field(discriminator="type"),
]

QUESTION_CLASSES: dict[str, type[_Question]] = {
    "single_choice": SingleChoice,
    "multi_choice": MultiChoice,
    "dropdown": Dropdown,
    "rating": Rating,
    "nps": Nps,
    "ces": Ces,
    "matrix": Matrix,
    "yes_no": YesNo,
    "text": TextQuestion,
    "number": NumberQuestion,
    "date": DateQuestion,
    "contact": ContactQuestion,
}
QUESTION_TYPES = tuple(QUESTION_CLASSES)
