"""Survey definitions to and from other tools: SurveyJS JSON (import and export) and XLSForm (import).

Marketing staff bring questionnaires from SurveyJS Creator, KoboToolbox or ODK. Import converts what
Otklik can ask into a native definition and lists, in Russian, everything it had to leave out, so
nobody publishes a survey believing a question survived that did not. Codes and the survey's slug
come from the Russian text by transliteration (python-slugify), ASCII, with a numeric suffix on a
collision. Nothing here touches the database: :mod:`app.surveys.services` stores the result.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slugify import slugify

from app.surveys.schema import CODE_RE, OTHER_CODE, RESERVED_CODES

FORMATS = ("native", "surveyjs", "xlsform")
NPS_RANGE = (0, 10)
DEFAULT_TITLE = "Импортированная анкета"


class InterchangeError(ValueError):
    """A file that is not a questionnaire of the format asked for; the message is Russian."""


@dataclass
class Imported:
    """A native definition (not yet validated by the schema) and what could not be carried over."""

    definition: dict[str, Any]
    skipped: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- naming


def slug_from_title(title: str, taken: Callable[[str], bool] = lambda _slug: False) -> str:
    """A survey slug from its Russian title: ASCII words joined by "-", a suffix when ``taken``."""
    base = slugify(title or "", max_length=56, word_boundary=True) or "survey"
    if not base[0].isalnum():
        base = "s-" + base
    slug, n = base, 2
    while taken(slug):
        slug, n = f"{base}-{n}", n + 1
    return slug


class CodeMaker:
    """Question and option codes that are valid, unique in their scope and readable."""

    def __init__(self, prefix: str = "q") -> None:
        self.used: set[str] = set(RESERVED_CODES)
        self.prefix = prefix

    def make(self, *candidates: Any) -> str:
        """The first candidate that is already a valid code, else the transliterated text of the first
        non-empty one; a numeric suffix when the code is used."""
        base = ""
        for candidate in candidates:
            text = str(candidate).strip() if candidate is not None else ""
            if text and CODE_RE.fullmatch(text) and "__" not in text:
                base = text
                break
        if not base:
            text = next((str(c) for c in candidates if c is not None and str(c).strip()), "")
            base = slugify(text, separator="_", max_length=40, word_boundary=True).replace("__", "_")
            if not base or not base[0].isalpha():
                base = f"{self.prefix}_{base}".rstrip("_") if base else self.prefix
        code, n = base, 2
        while code in self.used:
            code, n = f"{base[:44]}_{n}", n + 1
        self.used.add(code)
        return code


# --------------------------------------------------------------------------- detection


def detect_format(filename: str, raw: bytes) -> str:
    """``xlsform`` for an .xlsx workbook, ``surveyjs`` for JSON with ``elements`` (or SurveyJS pages),
    else ``native``."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or raw[:4] == b"PK\x03\x04":
        return "xlsform"
    doc = load_json(raw)
    if "elements" in doc or any(isinstance(p, dict) and "elements" in p for p in _list(doc.get("pages"))):
        return "surveyjs"
    return "native"


def load_json(raw: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InterchangeError(f"Файл не читается как JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise InterchangeError("В файле JSON ожидается объект анкеты, а не список или значение")
    return doc


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --------------------------------------------------------------------------- conditions

_COMPARE = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", ">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
_SJS_CLAUSE = re.compile(
    r"^\{(?P<q>[^}]+)\}\s*(?:(?P<op>=|==|!=|<>|>=|<=|>|<)\s*(?P<v>.+?)|(?P<word>notempty|empty)"
    r"|anyof\s*\[(?P<list>.*)\])$",
    re.IGNORECASE,
)
_XLS_CLAUSE = re.compile(r"^\$\{(?P<q>[^}]+)\}\s*(?P<op>=|!=|>=|<=|>|<)\s*(?P<v>.+?)$")
_XLS_SELECTED = re.compile(r"^selected\(\s*\$\{(?P<q>[^}]+)\}\s*,\s*(?P<v>.+?)\s*\)$")


def _literal(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if number.is_integer() else number


def _split_logic(expression: str) -> tuple[str, list[str]] | None:
    """("all"|"any", parts) for an expression joined only by and or only by or; None when mixed."""
    parts_and = re.split(r"\s+and\s+", expression, flags=re.IGNORECASE)
    parts_or = re.split(r"\s+or\s+", expression, flags=re.IGNORECASE)
    if len(parts_and) > 1 and len(parts_or) > 1:
        return None
    return ("any", parts_or) if len(parts_or) > 1 else ("all", parts_and)


class _Conditions:
    """Turns SurveyJS ``visibleIf`` and XLSForm ``relevant`` into ``show_if`` over earlier questions."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}  # source name -> code
        self.options: dict[str, dict[Any, str]] = {}  # code -> source value -> option code
        self.types: dict[str, str] = {}

    def clause(self, name: str, op: str, value: Any) -> dict[str, Any] | None:
        code = self.codes.get(name.strip())
        if code is None:
            return None
        if op in ("answered", "not_answered"):
            return {"question": code, "op": op}
        if self.types.get(code) == "yes_no" and isinstance(value, bool):
            value = 1 if value else 0
        mapping = self.options.get(code)
        if mapping is not None:
            values = value if isinstance(value, list) else [value]
            mapped = [mapping.get(v, mapping.get(str(v))) for v in values]
            if any(m is None for m in mapped):
                return None
            value = mapped if isinstance(value, list) else mapped[0]
        elif op in ("gt", "gte", "lt", "lte") and not isinstance(value, int | float):
            return None
        return {"question": code, "op": op, "value": value}

    def parse(self, expression: str, dialect: str) -> dict[str, Any] | None:
        split = _split_logic(expression.strip())
        if split is None:
            return None
        joiner, parts = split
        clauses = []
        for part in parts:
            part = part.strip().strip("()").strip() if part.count("(") != part.count(")") else part.strip()
            found = self._surveyjs(part) if dialect == "surveyjs" else self._xlsform(part)
            if found is None:
                return None
            clauses.append(found)
        return {joiner: clauses}

    def _surveyjs(self, part: str) -> dict[str, Any] | None:
        match = _SJS_CLAUSE.match(part)
        if match is None:
            return None
        if match["word"]:
            return self.clause(match["q"], "answered" if match["word"].lower() == "notempty" else "not_answered", None)
        if match["list"] is not None:
            return self.clause(match["q"], "in", [_literal(v) for v in match["list"].split(",") if v.strip()])
        return self.clause(match["q"], _COMPARE[match["op"]], _literal(match["v"]))

    def _xlsform(self, part: str) -> dict[str, Any] | None:
        if match := _XLS_SELECTED.match(part):
            return self.clause(match["q"], "eq", _literal(match["v"]))
        match = _XLS_CLAUSE.match(part)
        if match is None:
            return None
        value = _literal(match["v"])
        if value == "" and match["op"] in ("!=", "="):
            return self.clause(match["q"], "answered" if match["op"] == "!=" else "not_answered", None)
        return self.clause(match["q"], _COMPARE[match["op"]], value)


# --------------------------------------------------------------------------- SurveyJS import


def _sjs_text(value: Any) -> dict[str, str] | None:
    """A SurveyJS string or localisable object as native text ({"ru": …, "en": …})."""
    if isinstance(value, str):
        return {"ru": _plain(value)} if value.strip() else None
    if isinstance(value, dict):
        ru = value.get("ru") or value.get("default") or next((v for v in value.values() if isinstance(v, str)), "")
        if not str(ru).strip():
            return None
        text = {"ru": _plain(str(ru))}
        if isinstance(value.get("en"), str) and value["en"].strip():
            text["en"] = _plain(value["en"])
        return text
    return None


def _plain(text: str) -> str:
    """Text without HTML tags (SurveyJS allows HTML in some strings; Otklik shows plain text)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()


_SJS_SKIP = {
    "html": "блок HTML",
    "expression": "вычисляемое поле",
    "file": "загрузка файла",
    "signaturepad": "подпись",
    "image": "картинка",
    "imagepicker": "выбор картинки",
    "paneldynamic": "динамическая панель",
    "matrixdynamic": "динамическая таблица",
    "matrixdropdown": "таблица со списками",
    "multipletext": "несколько текстовых полей",
    "ranking": "ранжирование",
}


class _SurveyJSReader:
    def __init__(self) -> None:
        self.codes = CodeMaker()
        self.conditions = _Conditions()
        self.skipped: list[str] = []
        self.number = 0

    def read(self, doc: dict[str, Any]) -> Imported:
        title = _sjs_text(doc.get("title")) or {"ru": DEFAULT_TITLE}
        if not doc.get("title"):
            self.skipped.append(f"У анкеты нет названия: поставлено «{DEFAULT_TITLE}»")
        pages_in = _list(doc.get("pages")) or [{"elements": _list(doc.get("elements"))}]
        pages = []
        for page in pages_in:
            questions = [q for element in _list(_as_dict(page).get("elements")) for q in self.element(element)]
            if questions:
                out: dict[str, Any] = {"questions": questions}
                if page_title := _sjs_text(_as_dict(page).get("title")):
                    out["title"] = page_title
                pages.append(out)
        if not pages:
            raise InterchangeError("В анкете SurveyJS нет ни одного вопроса, который можно перенести")
        definition: dict[str, Any] = {"slug": "", "title": title, "pages": pages}
        if intro := _sjs_text(doc.get("description")):
            definition["intro"] = intro
        if thanks := _sjs_text(doc.get("completedHtml")):
            definition["thanks"] = thanks
        return Imported(definition, self.skipped)

    def element(self, element: Any) -> list[dict[str, Any]]:
        element = _as_dict(element)
        kind = str(element.get("type", "")).lower()
        if kind == "panel":  # a panel's questions go on the page in order; its frame is not kept
            return [q for child in _list(element.get("elements")) for q in self.element(child)]
        self.number += 1
        title = _sjs_text(element.get("title"))
        label = _plain(title["ru"] if title else str(element.get("name", "")))
        where = f"Вопрос {self.number} «{label}»"
        if kind in _SJS_SKIP or not kind:
            self.skipped.append(f"{where}: {_SJS_SKIP.get(kind, 'элемент без типа')} не поддерживается — пропущен")
            return []
        question = self.question(kind, element, where)
        if question is None:
            return []
        text = _sjs_text(element.get("title")) or _sjs_text(element.get("name")) or {"ru": f"Вопрос {self.number}"}
        question = {"code": question.pop("code"), "type": question.pop("type"), "text": text, **question}
        if help_text := _sjs_text(element.get("description")):
            question["help"] = help_text
        if element.get("isRequired"):
            question["required"] = True
        if isinstance(element.get("visibleIf"), str) and element["visibleIf"].strip():
            show_if = self.conditions.parse(element["visibleIf"], "surveyjs")
            if show_if is None:
                self.skipped.append(
                    f"{where}: условие показа «{element['visibleIf']}» не распознано — вопрос показывается всегда"
                )
            else:
                question["show_if"] = show_if
        for unsupported, what in (
            ("enableIf", "условие доступности"),
            ("requiredIf", "условие обязательности"),
            ("validators", "проверки ответа"),
            ("defaultValue", "ответ по умолчанию"),
        ):
            if element.get(unsupported):
                self.skipped.append(f"{where}: {what} не переносится")
        self.conditions.codes[str(element.get("name", "")).strip()] = question["code"]
        self.conditions.types[question["code"]] = question["type"]
        return [question]

    def question(self, kind: str, element: dict[str, Any], where: str) -> dict[str, Any] | None:
        code = self.codes.make(element.get("name"), (_sjs_text(element.get("title")) or {}).get("ru"))
        if kind == "rating":
            return self.rating(code, element, where)
        if kind in ("radiogroup", "dropdown", "checkbox", "tagbox"):
            native = {"radiogroup": "single_choice", "dropdown": "dropdown"}.get(kind, "multi_choice")
            return self.choice(code, native, element, where)
        if kind == "boolean":
            return {"code": code, "type": "yes_no"}
        if kind == "comment":
            return {"code": code, "type": "text", "multiline": True, **_max_length(element)}
        if kind == "text":
            input_type = str(element.get("inputType", "text")).lower()
            if input_type == "number":
                number: dict[str, Any] = {"code": code, "type": "number"}
                for key in ("min", "max"):
                    if isinstance(element.get(key), int | float):
                        number[key] = element[key]
                return number
            if input_type == "date":
                return {"code": code, "type": "date"}
            return {"code": code, "type": "text", "multiline": False, **_max_length(element)}
        if kind == "matrix":
            return self.matrix(code, element, where)
        self.skipped.append(f"{where}: тип «{kind}» не поддерживается — пропущен")
        self.codes.used.discard(code)
        return None

    def rating(self, code: str, element: dict[str, Any], where: str) -> dict[str, Any] | None:
        values = [
            _literal(str(_as_dict(v).get("value", v))) if isinstance(v, dict) else v
            for v in _list(element.get("rateValues"))
        ]
        if values:
            if not all(isinstance(v, int) for v in values) or values != list(range(values[0], values[-1] + 1)):
                self.skipped.append(f"{where}: шкала с нечисловыми значениями не поддерживается — пропущен")
                self.codes.used.discard(code)
                return None
            low, high = values[0], values[-1]
        else:
            low, high = int(element.get("rateMin", 1)), int(element.get("rateMax", 5))
        labels = {
            side: text
            for side, key in (("min", "minRateDescription"), ("max", "maxRateDescription"))
            if (text := _sjs_text(element.get(key)))
        }
        if (low, high) == NPS_RANGE:
            question: dict[str, Any] = {"code": code, "type": "nps"}
        else:
            style = {"stars": "stars", "smileys": "faces"}.get(str(element.get("rateType", "")).lower(), "numbers")
            if style == "faces" and (low, high) != (1, 5):
                style = "numbers"
            question = {"code": code, "type": "rating", "scale": {"min": low, "max": high}, "style": style}
        if labels:
            question["labels"] = labels
        return question

    def choice(self, code: str, native: str, element: dict[str, Any], where: str) -> dict[str, Any] | None:
        option_codes = CodeMaker("o")
        if element.get("hasOther") or element.get("showOtherItem"):
            option_codes.used.add(OTHER_CODE)  # the «Другое» option has that code
        options, mapping = [], {}
        for choice in _list(element.get("choices")):
            value = choice.get("value") if isinstance(choice, dict) else choice
            text = _sjs_text(choice.get("text")) if isinstance(choice, dict) else None
            text = text or _sjs_text(str(value)) or {"ru": str(value)}
            option = option_codes.make(value, text["ru"])
            mapping[value] = option
            options.append({"code": option, "text": text})
        if not options:
            self.skipped.append(f"{where}: варианты ответа берутся из внешнего источника или не заданы — пропущен")
            self.codes.used.discard(code)
            return None
        question: dict[str, Any] = {"code": code, "type": native, "options": options}
        if element.get("hasOther") or element.get("showOtherItem"):
            question["other"] = True
            mapping["other"] = OTHER_CODE
            if other_text := _sjs_text(element.get("otherText")):  # the «Другое» option's own wording
                options.append({"code": OTHER_CODE, "text": other_text})
        if native == "multi_choice":
            for source, key in (("minSelectedChoices", "min_selections"), ("maxSelectedChoices", "max_selections")):
                if isinstance(element.get(source), int) and element[source] > 0:
                    question[key] = element[source]
        for extra, what in (
            ("showNoneItem", "вариант «Ничего из перечисленного»"),
            ("hasNone", "вариант «Ничего»"),
            ("choicesByUrl", "варианты из внешнего источника"),
        ):
            if element.get(extra):
                self.skipped.append(f"{where}: {what} не переносится")
        self.conditions.options[code] = mapping
        return question

    def matrix(self, code: str, element: dict[str, Any], where: str) -> dict[str, Any] | None:
        columns = [
            _literal(str(c.get("value"))) if isinstance(c, dict) else _literal(str(c))
            for c in _list(element.get("columns"))
        ]
        if (
            not columns
            or not all(isinstance(c, int) for c in columns)
            or columns != list(range(columns[0], columns[-1] + 1))
        ):
            self.skipped.append(f"{where}: таблица с нечисловыми столбцами не поддерживается — пропущен")
            self.codes.used.discard(code)
            return None
        row_codes = CodeMaker("r")
        rows = []
        for row in _list(element.get("rows")):
            value = row.get("value") if isinstance(row, dict) else row
            text = (_sjs_text(row.get("text")) if isinstance(row, dict) else None) or {"ru": str(value)}
            rows.append({"code": row_codes.make(value, text["ru"]), "text": text})
        if not rows:
            self.skipped.append(f"{where}: таблица без строк — пропущен")
            self.codes.used.discard(code)
            return None
        return {"code": code, "type": "matrix", "rows": rows, "scale": {"min": columns[0], "max": columns[-1]}}


def _max_length(element: dict[str, Any]) -> dict[str, Any]:
    limit = element.get("maxLength")
    return {"max_length": limit} if isinstance(limit, int) and 0 < limit <= 20000 else {}


def _as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def from_surveyjs(doc: dict[str, Any]) -> Imported:
    """A SurveyJS survey JSON as a native definition (slug left empty for the caller to fill)."""
    return _SurveyJSReader().read(doc)


# --------------------------------------------------------------------------- XLSForm import

_XLS_META = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "calculate",
    "hidden",
    "start-geopoint",
    "background-audio",
}
_XLS_SKIP = {
    "geopoint",
    "geotrace",
    "geoshape",
    "image",
    "audio",
    "video",
    "file",
    "barcode",
    "acknowledge",
    "rank",
    "time",
    "datetime",
    "begin_repeat",
    "begin repeat",
    "end_repeat",
    "end repeat",
}


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _sheet_rows(workbook: Any, name: str) -> list[dict[str, str]]:
    sheet = next((workbook[s] for s in workbook.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return []
    rows = sheet.iter_rows(values_only=True)
    header = [(_cell(h)).lower() for h in next(rows, ())]
    return [
        {header[i]: _cell(v) for i, v in enumerate(row) if i < len(header) and header[i]}
        for row in rows
        if any(_cell(v) for v in row)
    ]


def _xls_label(row: dict[str, str], column: str = "label") -> dict[str, str] | None:
    """The Russian label (``label::Русский (ru)``, ``label::ru`` or plain ``label``) and an English one."""
    ru = en = ""
    for key, value in row.items():
        if not value or not (key == column or key.startswith(column + "::")):
            continue
        lang = key.partition("::")[2]
        if key == column or "(ru)" in lang or lang in ("ru", "russian", "русский"):
            ru = ru or value
        elif "(en)" in lang or lang in ("en", "english"):
            en = en or value
        elif not ru:
            ru = value
    if not ru and en:
        ru = en
    if not ru:
        return None
    return {"ru": ru, **({"en": en} if en and en != ru else {})}


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("yes", "true", "1", "да", "true()")


def from_xlsform(raw: bytes) -> Imported:
    """An XLSForm workbook (sheets ``survey``, ``choices``, optionally ``settings``) as a native definition."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InterchangeError(f"Файл не читается как книга Excel (.xlsx): {exc.__class__.__name__}") from None
    try:
        survey_rows = _sheet_rows(workbook, "survey")
        choice_rows = _sheet_rows(workbook, "choices")
        settings = (_sheet_rows(workbook, "settings") or [{}])[0]
    finally:
        workbook.close()
    if not survey_rows:
        raise InterchangeError("В книге нет листа «survey» с вопросами (формат XLSForm)")
    return _XLSFormReader(choice_rows).read(survey_rows, settings)


class _XLSFormReader:
    def __init__(self, choice_rows: list[dict[str, str]]) -> None:
        self.lists: dict[str, list[dict[str, str]]] = {}
        for row in choice_rows:
            if row.get("list_name") or row.get("list name"):
                self.lists.setdefault(row.get("list_name") or row["list name"], []).append(row)
        self.codes = CodeMaker()
        self.conditions = _Conditions()
        self.skipped: list[str] = []

    def read(self, rows: list[dict[str, str]], settings: dict[str, str]) -> Imported:
        pages: list[dict[str, Any]] = []
        current: dict[str, Any] = {"questions": []}
        depth = 0
        for number, row in enumerate(rows, start=2):
            kind = row.get("type", "").strip()
            base = kind.split()[0].lower() if kind else ""
            if base in ("begin_group", "begin") and "repeat" not in kind.lower():
                depth += 1
                if depth == 1:  # a top-level group is a page
                    if current["questions"]:
                        pages.append(current)
                    current = {"questions": []}
                    if title := _xls_label(row):
                        current["title"] = title
                continue
            if base in ("end_group", "end") and "repeat" not in kind.lower():
                depth = max(0, depth - 1)
                if depth == 0 and current["questions"]:
                    pages.append(current)
                    current = {"questions": []}
                continue
            question = self.row(row, number)
            if question is not None:
                current["questions"].append(question)
        if current["questions"]:
            pages.append(current)
        if not pages:
            raise InterchangeError("В форме XLSForm нет ни одного вопроса, который можно перенести")
        title_text = settings.get("form_title") or ""
        if not title_text:
            self.skipped.append(f"В листе «settings» нет form_title: поставлено название «{DEFAULT_TITLE}»")
        return Imported({"slug": "", "title": {"ru": title_text or DEFAULT_TITLE}, "pages": pages}, self.skipped)

    def row(self, row: dict[str, str], number: int) -> dict[str, Any] | None:
        kind = row.get("type", "").strip()
        parts = kind.split()
        base = parts[0].lower() if parts else ""
        label = _xls_label(row)
        where = f"Строка {number} («{(label or {}).get('ru') or row.get('name', '')}»)"
        if not base or base in _XLS_META:
            if base and base not in ("start", "end", "today", "deviceid", "audit"):
                self.skipped.append(f"{where}: служебное поле «{base}» не переносится")
            return None
        if base == "note":
            self.skipped.append(f"{where}: пояснение (note) не переносится — добавьте его в описание вопроса")
            return None
        if base in _XLS_SKIP or base.startswith("select_one_from_file") or base.startswith("select_multiple_from"):
            self.skipped.append(f"{where}: тип «{base}» не поддерживается — пропущен")
            return None
        code = self.codes.make(row.get("name", "").lower(), (label or {}).get("ru"))
        question = self.typed(base, parts, row, code, where)
        if question is None:
            self.codes.used.discard(code)
            return None
        question = {
            "code": code,
            "type": question.pop("type"),
            "text": label or {"ru": row.get("name") or f"Вопрос {number}"},
            **question,
        }
        if hint := _xls_label(row, "hint"):
            question["help"] = hint
        if _truthy(row.get("required", "")):
            question["required"] = True
        if relevant := row.get("relevant", ""):
            show_if = self.conditions.parse(relevant, "xlsform")
            if show_if is None:
                self.skipped.append(f"{where}: условие показа «{relevant}» не распознано — вопрос показывается всегда")
            else:
                question["show_if"] = show_if
        if row.get("constraint"):
            self.skipped.append(f"{where}: ограничение ответа «{row['constraint']}» не переносится")
        self.conditions.codes[row.get("name", "").strip()] = code
        self.conditions.types[code] = question["type"]
        return question

    def typed(self, base: str, parts: list[str], row: dict[str, str], code: str, where: str) -> dict[str, Any] | None:
        appearance = row.get("appearance", "").lower()
        if base in ("select_one", "select_multiple"):
            if len(parts) < 2 or parts[1] not in self.lists:
                self.skipped.append(
                    f"{where}: список вариантов «{parts[1] if len(parts) > 1 else ''}» не найден "
                    "на листе «choices» — пропущен"
                )
                return None
            option_codes = CodeMaker("o")
            if "or_other" in parts[2:]:
                option_codes.used.add(OTHER_CODE)  # the «Другое» option has that code
            options, mapping = [], {}
            for choice in self.lists[parts[1]]:
                text = _xls_label(choice) or {"ru": choice.get("name", "")}
                option = option_codes.make(choice.get("name", "").lower(), text["ru"])
                mapping[choice.get("name", "")] = option
                options.append({"code": option, "text": text})
            native = (
                "multi_choice"
                if base == "select_multiple"
                else ("dropdown" if "minimal" in appearance or "autocomplete" in appearance else "single_choice")
            )
            question: dict[str, Any] = {"type": native, "options": options}
            if "or_other" in parts[2:]:
                question["other"] = True
                mapping["other"] = OTHER_CODE
            self.conditions.options[code] = mapping
            return question
        if base == "text":
            return {"type": "text", "multiline": "multiline" in appearance}
        if base in ("integer", "decimal"):
            return {"type": "number", "integer": base == "integer"}
        if base == "date":
            return {"type": "date"}
        if base == "range":
            params = dict(re.findall(r"(\w+)\s*=\s*([-\d.]+)", row.get("parameters", "")))
            low, high = int(float(params.get("start", 1))), int(float(params.get("end", 10)))
            if float(params.get("step", 1)) != 1 or high <= low:
                self.skipped.append(f"{where}: шкала range с шагом не 1 не поддерживается — пропущен")
                return None
            if (low, high) == NPS_RANGE:
                return {"type": "nps"}
            return {"type": "rating", "scale": {"min": low, "max": high}, "style": "numbers"}
        self.skipped.append(f"{where}: тип «{base}» не поддерживается — пропущен")
        return None


# --------------------------------------------------------------------------- SurveyJS export

_SJS_OPS = {"eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def _sjs_loc(text: dict[str, str] | None) -> Any:
    if not text:
        return None
    others = {lang: value for lang, value in text.items() if lang != "ru" and value}
    return {"default": text["ru"], "ru": text["ru"], **others} if others else text["ru"]


def _sjs_value(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else json.dumps(value)


def _visible_if(show_if: dict[str, Any]) -> str:
    joiner, clauses = ("or", show_if["any"]) if show_if.get("any") else ("and", show_if.get("all") or [])
    parts = []
    for clause in clauses:
        ref, op, value = "{" + clause["question"] + "}", clause["op"], clause.get("value")
        if op == "answered":
            parts.append(f"{ref} notempty")
        elif op == "not_answered":
            parts.append(f"{ref} empty")
        elif op == "in":
            parts.append(f"{ref} anyof [{', '.join(_sjs_value(v) for v in value)}]")
        else:
            parts.append(f"{ref} {_SJS_OPS[op]} {_sjs_value(value)}")
    return f" {joiner} ".join(parts)


def _sjs_scale(question: dict[str, Any]) -> dict[str, Any]:
    kind, labels = question["type"], question.get("labels") or {}
    low, high = {"nps": NPS_RANGE, "ces": (1, 7)}.get(
        kind, (question.get("scale", {}).get("min", 1), question.get("scale", {}).get("max", 5))
    )
    element: dict[str, Any] = {
        "type": "rating",
        "rateMin": low,
        "rateMax": high,
        "rateType": {"stars": "stars", "faces": "smileys"}.get(question.get("style", "numbers"), "labels"),
    }
    for side, key in (("min", "minRateDescription"), ("max", "maxRateDescription")):
        if labels.get(side):
            element[key] = _sjs_loc(labels[side])
    return element


def _sjs_choices(question: dict[str, Any]) -> dict[str, Any]:
    kind, other = question["type"], question.get("other")
    element: dict[str, Any] = {
        "type": {"single_choice": "radiogroup", "dropdown": "dropdown"}.get(kind, "checkbox"),
        "choices": [
            {"value": o["code"], "text": _sjs_loc(o["text"])}
            for o in question["options"]
            if not (other and o["code"] == OTHER_CODE)
        ],
    }
    if other:  # SurveyJS's own «other» item (value "other") with the option's wording when it has one
        element["showOtherItem"] = True
        worded = next((o for o in question["options"] if o["code"] == OTHER_CODE), None)
        if worded is not None:
            element["otherText"] = _sjs_loc(worded["text"])
    for source, key in (("min_selections", "minSelectedChoices"), ("max_selections", "maxSelectedChoices")):
        if question.get(source):
            element[key] = question[source]
    return element


def _sjs_element(question: dict[str, Any]) -> dict[str, Any] | None:
    kind = question["type"]
    element: dict[str, Any] = {"name": question["code"], "title": _sjs_loc(question.get("text"))}
    if kind in ("rating", "nps", "ces"):
        element.update(_sjs_scale(question))
    elif kind in ("single_choice", "dropdown", "multi_choice"):
        element.update(_sjs_choices(question))
    elif kind == "yes_no":
        element.update(type="boolean", valueTrue=1, valueFalse=0)
    elif kind == "text":
        element["type"] = "comment" if question.get("multiline", True) else "text"
        element["maxLength"] = question.get("max_length", 2000)
    elif kind == "number":
        element.update(type="text", inputType="number")
        element.update({k: question[k] for k in ("min", "max") if question.get(k) is not None})
    elif kind == "date":
        element.update(type="text", inputType="date")
    elif kind == "matrix":
        scale = question.get("scale", {"min": 1, "max": 5})
        element.update(
            type="matrix",
            columns=list(range(scale["min"], scale["max"] + 1)),
            rows=[{"value": r["code"], "text": _sjs_loc(r["text"])} for r in question["rows"]],
        )
    else:
        return None
    if question.get("help"):
        element["description"] = _sjs_loc(question["help"])
    if question.get("required"):
        element["isRequired"] = True
    if question.get("show_if"):
        element["visibleIf"] = _visible_if(question["show_if"])
    return element


def to_surveyjs(definition: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A native definition as SurveyJS JSON, and the Russian list of what SurveyJS has no place for
    (the contact block with its 152-ФЗ consent, close-the-loop rules, analysis settings)."""
    skipped: list[str] = []
    pages = []
    for index, page in enumerate(definition.get("pages", []), start=1):
        elements = []
        for question in page.get("questions", []):
            element = _sjs_element(question)
            if element is None:
                skipped.append(
                    f"Вопрос «{question.get('text', {}).get('ru', question.get('code'))}»: блок контактов "
                    "с согласием на обработку персональных данных в SurveyJS не переносится"
                )
                continue
            elements.append(element)
        out: dict[str, Any] = {"name": f"page{index}", "elements": elements}
        if page.get("title"):
            out["title"] = _sjs_loc(page["title"])
        pages.append(out)
    doc: dict[str, Any] = {"title": _sjs_loc(definition.get("title")), "pages": pages}
    if definition.get("intro"):
        doc["description"] = _sjs_loc(definition["intro"])
    if definition.get("thanks"):
        doc["completedHtml"] = _sjs_loc(definition["thanks"])
    for key, what in (
        ("close_the_loop", "правила обратной связи по низким оценкам"),
        ("analysis", "настройки анализа"),
    ):
        if definition.get(key):
            skipped.append(f"{what.capitalize()} в SurveyJS не переносятся")
    return doc, skipped


def convert(raw: bytes, fmt: str, filename: str = "") -> Imported:
    """The file as a native definition in the given format (``native`` keeps the document as it is)."""
    if fmt not in FORMATS:
        raise InterchangeError(f"Неизвестный формат «{fmt}»: допустимы {', '.join(FORMATS)}")
    if fmt == "xlsform":
        return from_xlsform(raw)
    doc = load_json(raw)
    return from_surveyjs(doc) if fmt == "surveyjs" else Imported(doc)
