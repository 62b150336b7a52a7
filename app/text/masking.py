"""The app's one masker of personal data in customer texts: every quote shown anywhere goes through it.

Names are found by morphology (pymorphy3 tags first names, surnames and patronymics), so lower-case
names are caught as well as capitalised ones; the contact's own name parts are masked in any case.
A capitalised word inside a sentence is a name when any reading says so; a lower-case word (or the
first word of a sentence) only when its likeliest reading is a name and no reading is a common noun,
so «марка счетчика» or «вера в компанию» stay, while «с петровым» does not. A word next to a found name
that can be a name is masked too («вера петровна»).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from app.text.russian import analyzer, fold

NAME_MASK = "[имя скрыто]"
PHONE_MASK = "[телефон скрыт]"
EMAIL_MASK = "[e-mail скрыт]"
NUMBER_MASK = "[номер скрыт]"
ADDRESS_MASK = "[адрес скрыт]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:\+7|\b8)[\s\-(]*\d{3}[\s\-)]*\d{3}[\s\-]*\d{2}[\s\-]*\d{2}\b")
_LONG_DIGITS = re.compile(r"\b\d[\d\s-]{8,}\d\b")  # account numbers, passports, SNILS, other phones
_ADDRESS = re.compile(
    r"\b(?:ул|улица|пр-т|проспект|пер|переулок|ш|шоссе|б-р|бульвар|пл|площадь|мкр|микрорайон)\.?\s+"
    r"[\w.\-]+(?:\s+[А-ЯЁ][\w\-]*)?(?:,?\s*(?:д|дом)\.?\s*\d+[\w/]*)?(?:,?\s*(?:корп|к|стр)\.?\s*\d+)?"
    r"(?:,?\s*(?:кв|квартира)\.?\s*\d+)?"
    r"|\b(?:д|дом)\.?\s*\d+[\w/]*,?\s*(?:кв|квартира)\.?\s*\d+",
    re.IGNORECASE,
)
_ANY_MASK = re.compile(r"\[(?:имя скрыто|телефон скрыт|e-mail скрыт|номер скрыт|адрес скрыт)\]")
_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
_NAME_TAGS = frozenset({"Name", "Surn", "Patr"})
_PROPER_TAGS = _NAME_TAGS | {"Geox", "Orgn", "Trad", "Abbr", "Init"}
_SENTENCE_END = re.compile(r"[.!?…]\s*$")
_INITIALS_AFTER = re.compile(re.escape(NAME_MASK) + r"(?:\s*[А-ЯЁ]\.){1,2}")
_INITIALS_BEFORE = re.compile(r"(?:[А-ЯЁ]\.\s*){1,2}" + re.escape(NAME_MASK))
_JOINED = re.compile(r"(?:" + re.escape(NAME_MASK) + r"\s+)+" + re.escape(NAME_MASK))


def _readings(word: str) -> tuple[bool, bool, bool]:
    """(any reading is a name, likeliest reading is a name, some reading is a common noun)."""
    return _folded_readings(fold(word))


@lru_cache(maxsize=200_000)
def _folded_readings(folded: str) -> tuple[bool, bool, bool]:
    parses = analyzer().parse(folded)
    any_name = any(_NAME_TAGS & parse.tag.grammemes for parse in parses)
    top_name = bool(_NAME_TAGS & parses[0].tag.grammemes)
    common_noun = any("NOUN" in parse.tag.grammemes and not (_PROPER_TAGS & parse.tag.grammemes) for parse in parses)
    return any_name, top_name, common_noun


def _own_forms(own_names: Iterable[str]) -> set[str]:
    forms: set[str] = set()
    for part in own_names:
        for word in _WORD.findall(part or ""):
            if len(word) < 2:
                continue
            forms.add(fold(word))
            forms.update(_normal_forms(fold(word)))
    return forms


@lru_cache(maxsize=200_000)
def _normal_forms(folded: str) -> frozenset[str]:
    return frozenset(fold(parse.normal_form) for parse in analyzer().parse(folded))


def _is_own(word: str, own: set[str]) -> bool:
    if not own:
        return False
    folded = fold(word)
    return folded in own or bool(_normal_forms(folded) & own)


def _gap(text: str, left: re.Match[str], right: re.Match[str]) -> str:
    return text[left.end() : right.start()]


def _name_spans(text: str, own: set[str]) -> list[tuple[int, int]]:
    words = list(_WORD.finditer(text))
    readings = [_readings(match.group()) for match in words]
    found = [False] * len(words)
    for i, match in enumerate(words):
        word = match.group()
        any_name, top_name, common_noun = readings[i]
        before = text[: match.start()] if i == 0 else _gap(text, words[i - 1], match)
        sentence_start = (i == 0 and not before.strip()) or bool(_SENTENCE_END.search(before))
        capitalised = word[0].isupper() and not word.isupper()
        if capitalised and not sentence_start:
            found[i] = any_name
        else:
            found[i] = top_name and not common_noun
        found[i] = found[i] or _is_own(word, own)
    changed = True
    while changed:  # a possible name next to a found one is part of the same full name
        changed = False
        for i in range(len(words)):
            if found[i] or not readings[i][0]:
                continue
            for j in (i - 1, i + 1):
                if 0 <= j < len(words) and found[j] and not _gap(text, words[min(i, j)], words[max(i, j)]).strip():
                    found[i] = changed = True
    return [(words[i].start(), words[i].end()) for i in range(len(words)) if found[i]]


def mask_names(text: str, own_names: Iterable[str] = ()) -> str:
    """Replace personal names (and the given contact's own name parts) with «[имя скрыто]»."""
    spans = _name_spans(text, _own_forms(own_names))
    for start, end in reversed(spans):
        text = text[:start] + NAME_MASK + text[end:]
    text = _INITIALS_AFTER.sub(NAME_MASK, text)
    text = _INITIALS_BEFORE.sub(NAME_MASK, text)
    return _JOINED.sub(NAME_MASK, text)


def mask_personal(text: str, own_names: Iterable[str] = ()) -> str:
    """Hide e-mails, phone numbers, addresses, document numbers and names in a customer's text."""
    text = _EMAIL.sub(EMAIL_MASK, text or "")
    text = _PHONE.sub(PHONE_MASK, text)
    text = _LONG_DIGITS.sub(NUMBER_MASK, text)
    text = _ADDRESS.sub(ADDRESS_MASK, text)
    return mask_names(text, own_names)


def without_masks(text: str) -> str:
    """A masked text with the placeholders removed: what lemmas are taken from, so that stored lemmas carry
    neither personal data nor the placeholders' own words."""
    return _ANY_MASK.sub(" ", text)
