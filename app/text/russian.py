"""Russian normalisation shared by the themes job and the knowledge-base search.

Pure: no Flask, no database. The morphological analyzer costs ~0.2 s and ~15 MB to create, so it is
made once per process on first use, and lemmas of repeated words come from a cache (feedback texts
reuse a small vocabulary, so the cache turns the job's cost per word into a dictionary look-up).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import pymorphy3

_analyzer: pymorphy3.MorphAnalyzer | None = None
_analyzer_lock = threading.Lock()

WORD = re.compile(r"[а-яёa-z0-9]+(?:-[а-яёa-z0-9]+)*", re.IGNORECASE)

# Function words, pronouns and fillers that say nothing about a theme (lemmas, ё written as е).
_STOP_WORDS_TEXT = """
    а более бы быть в вам вас весь во вот все всегда всего вы где да даже для до его ее если есть еще
    же за и из или им их к как какой ко когда кто ли либо мы на над надо нам нас него нее
    них но ну о об один он она они оно от очень по под после при про раз с сам свой себя со так также
    такой там тем то тогда тоже только том тот ту тут у уже хотя чего чей чем что чтобы эта эти это
    этот я мой наш ваш твой который вообще просто всё ещё уж вы ой ах ох ли бы б же ж мочь весь
    сказать стать ни-то то-то который-то кое-что это-то какой-то кто-то что-то
"""


def analyzer() -> Any:
    """The process's one MorphAnalyzer (shared by themes, masking and the name check), made on first use;
    the lock keeps two request threads from loading the dictionaries twice."""
    global _analyzer
    if _analyzer is None:
        with _analyzer_lock:
            if _analyzer is None:
                _analyzer = pymorphy3.MorphAnalyzer()
    return _analyzer


def fold(word: str) -> str:
    """Lower case with ё written as е: the one spelling every comparison uses."""
    return word.lower().replace("ё", "е")


STOP_WORDS = frozenset(fold(word) for word in _STOP_WORDS_TEXT.split())


def tokenize(text: str) -> list[str]:
    """Words of a text (letters, digits, inner hyphens), lower-cased, ё folded to е."""
    return [fold(match.group()) for match in WORD.finditer(text or "")]


@lru_cache(maxsize=200_000)
def lemma(word: str) -> str:
    """The most probable normal form of one word (lower case, ё → е)."""
    folded = fold(word)
    if not folded.isalpha() and "-" not in folded:
        return folded
    return fold(analyzer().parse(folded)[0].normal_form)


def lemmatize(text: str, *, keep_stop_words: bool = False) -> list[str]:
    """Lemmas of a text in order; stop words, digits and one-letter words are left out by default."""
    lemmas = []
    for token in tokenize(text):
        if token.isdigit() or len(token) < 2:
            continue
        word_lemma = lemma(token)
        if keep_stop_words or word_lemma not in STOP_WORDS:
            lemmas.append(word_lemma)
    return lemmas


def lemma_phrase(phrase: str) -> tuple[str, ...]:
    """A dictionary phrase («счет на оплату») as the lemmas a text is matched against."""
    return tuple(lemmatize(phrase))


def contains_phrase(lemmas: Iterable[str], phrase: tuple[str, ...]) -> bool:
    """Whether the phrase's lemmas occur in order and next to each other among the text's lemmas."""
    sequence = list(lemmas)
    width = len(phrase)
    if width == 0:
        return False
    if width == 1:
        return phrase[0] in sequence
    return any(tuple(sequence[i : i + width]) == phrase for i in range(len(sequence) - width + 1))
