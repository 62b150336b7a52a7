"""Whether a text names a person: a customer's name found in any grammatical case.

A public answer to an appeal may be published in the review book or sent on; the customer's name in it
(«Уважаемой Ивановой Марии…», «…с Петровым») must be a deliberate choice, so the answer form warns
before publication. Russian names inflect, so words are compared by their lemmas (pymorphy3): a word of
the text names the person when one of its possible lemmas is a lemma of a part of the name. A surname
the dictionary does not know is matched by its stem as well (the analyser's guesses for its cases
disagree). Pure module: no Flask, no database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.text.russian import analyzer

WORD = re.compile(r"[А-Яа-яЁёA-Za-z]+")
MIN_PART = 2  # initials («И.») name nobody
MIN_STEM = 4  # an unknown surname's stem shorter than this would match unrelated words


def _plain(word: str) -> str:
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=50_000)
def lemmas(word: str) -> frozenset[str]:
    """Every lemma the analyser offers for ``word`` (lower case, ё as е), the word itself included."""
    plain = _plain(word)
    return frozenset({plain, *(_plain(parse.normal_form) for parse in analyzer().parse(plain))})


@lru_cache(maxsize=10_000)
def _known(word: str) -> bool:
    return bool(analyzer().word_is_known(_plain(word)))


def name_parts(full_name: str) -> list[str]:
    """The words of a name (first name, surname, patronymic, in any order), initials left out."""
    return [word for word in WORD.findall(full_name or "") if len(word) >= MIN_PART]


@dataclass(frozen=True)
class NameMention:
    """A word of the text that names the person: where it stands and which part of the name it is."""

    word: str
    start: int
    end: int
    part: str


def _stem(part: str) -> str | None:
    """The stem of a name part the dictionary does not know (its last letters inflect), if long enough."""
    plain = _plain(part)
    stem = plain[:-1] if len(plain) > MIN_STEM else plain
    return stem if len(stem) >= MIN_STEM and not _known(part) else None


def _same_person_word(word: str, part: str, part_lemmas: frozenset[str], stem: str | None) -> bool:
    if lemmas(word) & part_lemmas:
        return True
    plain = _plain(word)
    return stem is not None and plain.startswith(stem) and len(plain) - len(stem) <= 3


def find_name(text: str, full_name: str) -> list[NameMention]:
    """The words of ``text`` that name the person called ``full_name``, in the order they appear.

    Case and capitals do not matter: «Иванову Марию», «с Петровым», «с петровым» all match
    «Мария Иванова» or «Петров Иван». An empty name matches nothing.
    """
    parts = [(part, lemmas(part), _stem(part)) for part in name_parts(full_name)]
    if not parts or not text:
        return []
    found = []
    for match in WORD.finditer(text):
        word = match.group()
        if len(word) < MIN_PART:
            continue
        for part, part_lemmas, stem in parts:
            if _same_person_word(word, part, part_lemmas, stem):
                found.append(NameMention(word, match.start(), match.end(), part))
                break
    return found


def mentions_name(text: str, full_name: str) -> bool:
    """Whether ``text`` names the person called ``full_name`` in any grammatical case."""
    return bool(find_name(text, full_name))
