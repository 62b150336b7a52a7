"""Validation errors as a marketer reads them: «Вопрос 2 «Зачем вы пришли?», вариант 3: …».

The schema reports places as document paths (``pages[0].questions[1].options[1].code``), which suit the
JSON editor and the API; the designer names the question by its running number and text instead.
"""

from __future__ import annotations

import re
from typing import Any

QUESTION_PATH = re.compile(r"pages\[(\d+)\]\.questions\[(\d+)\]((?:\.[a-z_]+|\[\d+\])*)")
PAGE_PATH = re.compile(r"pages\[(\d+)\]((?:\.[a-z_]+|\[\d+\])*)")
FIELD_NAMES = {
    "code": "код",
    "text": "текст",
    "help": "подсказка",
    "type": "тип",
    "required": "обязательность",
    "options": "варианты",
    "rows": "строки",
    "scale": "шкала",
    "labels": "подписи шкалы",
    "style": "вид шкалы",
    "show_if": "условие показа",
    "min_selections": "минимум выборов",
    "max_selections": "максимум выборов",
    "max_length": "максимум символов",
    "min": "минимум",
    "max": "максимум",
    "fields": "поля контактов",
    "title": "заголовок",
    "questions": "вопросы",
}
TOP_LEVEL = {"slug": "Код анкеты", "title": "Название анкеты", "pages": "Страницы"}
ITEM_NAMES = {"options": "вариант", "rows": "строка"}


def _numbered(doc: Any) -> dict[tuple[int, int], tuple[int, str]]:
    """(page, index) → (running number, Russian text) of every question in the document."""
    found: dict[tuple[int, int], tuple[int, str]] = {}
    pages = doc.get("pages") if isinstance(doc, dict) else None
    number = 0
    for p, page in enumerate(pages if isinstance(pages, list) else []):
        questions = page.get("questions") if isinstance(page, dict) else None
        for i, q in enumerate(questions if isinstance(questions, list) else []):
            number += 1
            text = q.get("text") if isinstance(q, dict) else None
            found[(p, i)] = (number, str(text.get("ru", "")) if isinstance(text, dict) else str(text or ""))
    return found


def _item_text(question: Any, key: str, index: int) -> str:
    items = question.get(key) if isinstance(question, dict) else None
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        text = items[index].get("text")
        return str(text.get("ru", "")) if isinstance(text, dict) else ""
    return ""


def _describe_rest(rest: str, question: Any) -> str:
    """«.options[1].code» → «вариант 2 «Счетчики», код»."""
    parts = re.findall(r"\.([a-z_]+)|\[(\d+)\]", rest)
    words: list[str] = []
    k = 0
    while k < len(parts):
        name, index = parts[k]
        following = parts[k + 1][1] if k + 1 < len(parts) else ""
        if name in ITEM_NAMES and following:
            text = _item_text(question, name, int(following))
            words.append(f"{ITEM_NAMES[name]} {int(following) + 1}" + (f" «{text}»" if text else ""))
            k += 2
            continue
        if name == "show_if":
            words.append(FIELD_NAMES["show_if"])
            break  # the rest (all[0].value) says nothing a marketer needs
        if name:
            words.append(FIELD_NAMES.get(name, "поле"))
        k += 1
    return ", ".join(dict.fromkeys(words))


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "…"


def humanize_error(error: str, doc: Any) -> str:
    """One schema error with every document path replaced by the question's number and text."""
    numbered = _numbered(doc)
    pages = doc.get("pages") if isinstance(doc, dict) else None

    def question(match: re.Match[str]) -> str:
        p, i, rest = int(match.group(1)), int(match.group(2)), match.group(3)
        number, text = numbered.get((p, i), (i + 1, ""))
        try:
            raw = pages[p]["questions"][i]  # type: ignore[index]
        except (IndexError, KeyError, TypeError):
            raw = None
        label = f"вопрос {number}" + (f" «{_short(text)}»" if text else "")
        detail = _describe_rest(rest, raw)
        return label + (f", {detail}" if detail else "")

    def page(match: re.Match[str]) -> str:
        detail = _describe_rest(match.group(2), None)
        return f"страница {int(match.group(1)) + 1}" + (f", {detail}" if detail else "")

    text = PAGE_PATH.sub(page, QUESTION_PATH.sub(question, error)).replace("уже есть в вопрос ", "уже есть у вопроса ")
    head, sep, tail = text.partition(": ")
    if sep and head in TOP_LEVEL:
        text = f"{TOP_LEVEL[head]}: {tail}"
    return text[:1].upper() + text[1:]


def humanize_errors(errors: list[str], doc: Any) -> list[str]:
    """Every error of a list, humanized, duplicates dropped."""
    return list(dict.fromkeys(humanize_error(e, doc) for e in errors))
