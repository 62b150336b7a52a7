"""The whole definition document (pydantic) and the shipped templates. Pure: no Flask, no database."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from app.surveys.schema.model import OTHER_SUFFIX, Code, LangText, _Model
from app.surveys.schema.questiontypes import ContactQuestion, Question, Rating

ONE_TAP_POINTS = 5

LIBRARY_DIR = Path(__file__).parent.parent / "library"


class Page(_Model):
    title: LangText | None = None
    questions: list[Question] = Field(min_length=1)


class Analysis(_Model):
    target: Code | None = None
    drivers: list[Code] = []
    blocks: dict[str, list[Code]] = {}


class CloseTheLoop(_Model):
    question: Code
    at_or_below: float
    topic_question: Code | None = None  # a single choice whose option codes are topic codes


class SurveyDefinition(_Model):
    """A validated survey definition. Build it with :func:`validate_definition`."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: LangText
    intro: LangText | None = None
    thanks: LangText | None = None
    languages: list[str] = ["ru"]
    pages: list[Page] = Field(min_length=1)
    analysis: Analysis | None = None
    close_the_loop: CloseTheLoop | list[CloseTheLoop] | None = None

    @cached_property
    def _flat(self) -> list[Any]:
        return [q for page in self.pages for q in page.questions]

    @cached_property
    def _by_code(self) -> dict[str, Any]:
        return {q.code: q for q in self._flat}

    @cached_property
    def page_answer_keys(self) -> tuple[frozenset[str], ...]:
        """Per page, the answer JSON keys its form fields set: answer codes and ``<code>__other``."""
        return tuple(
            frozenset(key for q in page.questions for key in (*q.answer_codes, q.code + OTHER_SUFFIX))
            for page in self.pages
        )

    @cached_property
    def one_tap_question(self) -> Rating | None:
        """The first question when it is a 5-point rating shown as faces, else None.

        Such a survey opens on the kiosk with the faces themselves (as HappyOrNot does): one tap is a
        whole response, the rest of the survey an optional «Расскажите подробнее».
        """
        first = self._flat[0]
        if (
            isinstance(first, Rating)
            and first.style == "faces"
            and first.show_if is None
            and first.scale.max - first.scale.min + 1 == ONE_TAP_POINTS
        ):
            return first
        return None

    @cached_property
    def one_tap_questions(self) -> list[Any]:
        """Every question as a kiosk visit of a one-tap survey checks it: the tap question required,
        every other one optional (the customer may walk away after the tap)."""
        tap = self.one_tap_question
        return [q.model_copy(update={"required": q is tap}) for q in self._flat]

    def questions(self) -> list[Any]:
        """Every question in order."""
        return list(self._flat)

    def question(self, code: str) -> Any | None:
        return self._by_code.get(code)

    def numeric_codes(self) -> list[str]:
        """Answer codes holding numbers: rating, nps, ces, number, yes_no (1/0) and matrix rows."""
        codes: list[str] = []
        for q in self._flat:
            if q.is_numeric:
                codes.append(q.code)
            elif q.type == "matrix":
                codes.extend(r.code for r in q.rows)
        return codes

    def answer_codes(self) -> list[str]:
        """Every answer key (matrix rows by row code), in order; contact excluded."""
        return [c for q in self._flat if q.stores_answers for c in q.answer_codes]

    def loop_rules(self) -> list[CloseTheLoop]:
        if self.close_the_loop is None:
            return []
        return self.close_the_loop if isinstance(self.close_the_loop, list) else [self.close_the_loop]

    def contact_question(self) -> ContactQuestion | None:
        return next((q for q in self._flat if isinstance(q, ContactQuestion)), None)

    def page_of(self, code: str) -> int | None:
        for index, page in enumerate(self.pages):
            if any(code == q.code or code in q.answer_codes for q in page.questions):
                return index
        return None

    @staticmethod
    def text(obj: Any, lang: str = "ru") -> str:
        """The text of a {lang: str} dict (or an object with ``.text``) in ``lang``, falling back to ru."""
        if obj is None:
            return ""
        if not isinstance(obj, dict):
            obj = getattr(obj, "text", None)
            if not isinstance(obj, dict):
                return ""
        return obj.get(lang) or obj.get("ru") or ""


def library() -> list[dict[str, Any]]:
    """The shipped Russian templates (raw documents), sorted by title."""
    docs = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(LIBRARY_DIR.glob("*.json"))]
    return sorted(docs, key=lambda d: d["title"]["ru"])


def template(slug: str) -> dict[str, Any]:
    """One shipped template by slug (a fresh copy); KeyError when unknown."""
    for doc in library():
        if doc["slug"] == slug:
            return doc
    raise KeyError(slug)
