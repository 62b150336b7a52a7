"""The text job (`flask analysis texts`): lemmas, a masked copy and themes of every customer text, stored.

Reports never lemmatise or mask in a web request: they read :class:`ProcessedText`. The job takes the
texts not yet processed (text answers, «Другое», review-book entries, appeals) in batches by id, so
running it again does nothing new (idempotent) and an interrupted run resumes. When staff change the
theme dictionary its version changes, and the job re-themes stored rows from their stored lemmas.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, func, select, update

from app.analysis.models import ProcessedText, ProcessedTextTheme, TextTheme
from app.analysis.theme_dictionary import DEFAULT_THEMES
from app.appeals.models import Appeal
from app.database import table_of, write_transaction
from app.extensions import db
from app.models import Contact, utcnow
from app.reviews.models import ReviewEntry
from app.surveys.models import Answer, Response
from app.text.masking import mask_personal, without_masks
from app.text.russian import contains_phrase, lemma_phrase, lemmatize

OTHER_OPTION = "other"


@dataclass(frozen=True)
class ThemeDictionary:
    """The active themes with their terms as lemma tuples, and a version that changes with any edit."""

    version: str
    themes: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]
    labels: dict[str, str] = field(default_factory=dict)

    def assign(self, lemmas: Sequence[str]) -> list[str]:
        """Codes of the themes whose terms occur among the lemmas, in dictionary order."""
        present = set(lemmas)
        found = []
        for code, phrases in self.themes:
            for phrase in phrases:
                if (phrase[0] in present) if len(phrase) == 1 else contains_phrase(lemmas, phrase):
                    found.append(code)
                    break
        return found


def build_dictionary(entries: Iterable[tuple[str, str, Sequence[str]]]) -> ThemeDictionary:
    """A dictionary from (code, label, terms); terms are lemmatised here, once."""
    items = sorted((code, label, tuple(terms)) for code, label, terms in entries)
    version = hashlib.sha256(json.dumps(items, ensure_ascii=False).encode()).hexdigest()[:16]
    themes = tuple(
        (code, tuple(phrase for phrase in (lemma_phrase(term) for term in terms) if phrase))
        for code, _label, terms in items
    )
    return ThemeDictionary(version, themes, {code: label for code, label, _terms in items})


def load_dictionary() -> ThemeDictionary:
    """The active themes stored in the database."""
    rows = db.session.execute(
        select(TextTheme.code, TextTheme.label, TextTheme.terms).where(TextTheme.active.is_(True))
    ).all()
    return build_dictionary((code, label, terms or []) for code, label, terms in rows)


def seed_dictionary() -> int:
    """Add the default themes whose codes are missing (existing entries are the staff's; kept as they are)."""
    with write_transaction():
        existing = set(db.session.scalars(select(TextTheme.code)))
        added = 0
        for code, label, terms in DEFAULT_THEMES:
            if code not in existing:
                db.session.add(TextTheme(code=code, label=label, terms=list(terms)))
                added += 1
    return added


def quote_order(kind: str, source_id: int, response_id: int | None) -> int:
    """A fixed pseudo-random number of a text's unit (its response, else the text's own source), so that
    reports choose the same quotes every run and not simply the newest: the first 15 hex digits of the
    SHA-256 of the unit key (fits a signed 64-bit column on every database)."""
    key = f"response:{response_id}" if response_id is not None else f"{kind}:{source_id}"
    return int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)


def _link_themes(row_ids: Sequence[int]) -> None:
    """Inside a write transaction: (re)write the theme links of the given processed rows from their
    ``themes`` lists, so reports count themes in SQL."""
    if not row_ids:
        return
    db.session.execute(delete(ProcessedTextTheme).where(ProcessedTextTheme.processed_text_id.in_(row_ids)))
    rows = db.session.execute(
        select(
            ProcessedText.id,
            ProcessedText.source_kind,
            ProcessedText.source_id,
            ProcessedText.response_id,
            ProcessedText.themes,
        ).where(ProcessedText.id.in_(row_ids))
    ).all()
    links = [
        {"processed_text_id": row_id, "theme": code, "quote_order": quote_order(kind, source_id, response_id)}
        for row_id, kind, source_id, response_id, themes in rows
        for code in dict.fromkeys(themes or ())
    ]
    if links:
        db.session.execute(table_of(ProcessedTextTheme).insert(), links)


def _unprocessed(kind_filter: Any, source_id: Any) -> Any:
    return ~select(ProcessedText.id).where(kind_filter, ProcessedText.source_id == source_id).exists()


def _answer_batch(after_id: int, size: int) -> Select:
    return (
        select(
            Answer.id,
            Answer.text,
            Answer.option_code,
            Answer.survey_id,
            Answer.response_id,
            Answer.center_id,
            Answer.submitted_at,
            Contact.name,
        )
        .join(Response, Response.id == Answer.response_id)
        .outerjoin(Contact, Contact.id == Response.contact_id)
        .where(
            Answer.id > after_id,
            Answer.text.is_not(None),
            Answer.text != "",
            _unprocessed(ProcessedText.source_kind.in_(("answer", OTHER_OPTION)), Answer.id),
        )
        .order_by(Answer.id)
        .limit(size)
    )


def _review_batch(after_id: int, size: int) -> Select:
    return (
        select(
            ReviewEntry.id,
            ReviewEntry.text,
            ReviewEntry.center_id,
            ReviewEntry.topic_id,
            ReviewEntry.created_at,
            Contact.name,
        )
        .outerjoin(Contact, Contact.id == ReviewEntry.contact_id)
        .where(
            ReviewEntry.id > after_id,
            ReviewEntry.text != "",
            _unprocessed(ProcessedText.source_kind == "review", ReviewEntry.id),
        )
        .order_by(ReviewEntry.id)
        .limit(size)
    )


def _appeal_batch(after_id: int, size: int) -> Select:
    return (
        select(Appeal.id, Appeal.text, Appeal.center_id, Appeal.topic_id, Appeal.received_at, Contact.name)
        .outerjoin(Contact, Contact.id == Appeal.contact_id)
        .where(Appeal.id > after_id, Appeal.text != "", _unprocessed(ProcessedText.source_kind == "appeal", Appeal.id))
        .order_by(Appeal.id)
        .limit(size)
    )


def remask_processed(kind_ids: dict[str, list[int]], names: Sequence[str]) -> int:
    """Inside the caller's write transaction: mask the contact's name parts in stored copies and lemmas of
    the given sources (``flask privacy erase``). Returns the rows changed."""
    changed = 0
    for kind, ids in kind_ids.items():
        if not ids:
            continue
        rows = db.session.execute(
            select(ProcessedText.id, ProcessedText.masked_text).where(
                ProcessedText.source_kind == kind, ProcessedText.source_id.in_(ids)
            )
        ).all()
        for row_id, masked_text in rows:
            masked = mask_personal(masked_text, names)
            db.session.execute(
                update(ProcessedText)
                .where(ProcessedText.id == row_id)
                .values(masked_text=masked, lemmas=" ".join(lemmatize(without_masks(masked))))
            )
            changed += 1
    return changed


def _processed(kind: str, source_id: int, text: str, contact_name: str | None, dictionary: ThemeDictionary, **keys):
    masked = mask_personal(text, [contact_name] if contact_name else ())
    lemmas = lemmatize(without_masks(masked))
    return {
        "source_kind": kind,
        "source_id": source_id,
        "lemmas": " ".join(lemmas),
        "masked_text": masked,
        "themes": dictionary.assign(lemmas),
        "dictionary_version": dictionary.version,
        "processed_at": utcnow(),
        **keys,
    }


def _answer_row(row: Any, dictionary: ThemeDictionary) -> dict[str, Any]:
    answer_id, text, option_code, survey_id, response_id, center_id, submitted_at, contact_name = row
    kind = OTHER_OPTION if option_code else "answer"
    return _processed(
        kind,
        answer_id,
        text,
        contact_name,
        dictionary,
        survey_id=survey_id,
        response_id=response_id,
        center_id=center_id,
        occurred_at=submitted_at,
    )


def _entry_row(kind: str) -> Callable[[Any, ThemeDictionary], dict[str, Any]]:
    def build(row: Any, dictionary: ThemeDictionary) -> dict[str, Any]:
        source_id, text, center_id, topic_id, occurred_at, contact_name = row
        return _processed(
            kind,
            source_id,
            text,
            contact_name,
            dictionary,
            center_id=center_id,
            topic_id=topic_id,
            occurred_at=occurred_at,
        )

    return build


SOURCES: tuple[tuple[str, Callable[[int, int], Select], Callable[[Any, ThemeDictionary], dict[str, Any]]], ...] = (
    ("answer", _answer_batch, _answer_row),
    ("review", _review_batch, _entry_row("review")),
    ("appeal", _appeal_batch, _entry_row("appeal")),
)


def _retheme(dictionary: ThemeDictionary, batch_size: int) -> int:
    """Re-assign themes of rows processed under another dictionary version, from their stored lemmas."""
    done = 0
    after_id = 0
    while True:
        rows = db.session.execute(
            select(ProcessedText.id, ProcessedText.lemmas)
            .where(ProcessedText.id > after_id, ProcessedText.dictionary_version != dictionary.version)
            .order_by(ProcessedText.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return done
        with write_transaction():
            for row_id, lemmas in rows:
                db.session.execute(
                    update(ProcessedText)
                    .where(ProcessedText.id == row_id)
                    .values(themes=dictionary.assign(lemmas.split()), dictionary_version=dictionary.version)
                )
            _link_themes([row_id for row_id, _lemmas in rows])
        done += len(rows)
        after_id = rows[-1][0]


def source_watermarks() -> dict[str, int]:
    """The highest id of each text source now: taken before an import, the texts above it are the new ones."""
    return {
        "answer": int(db.session.scalar(select(func.max(Answer.id))) or 0),
        "review": int(db.session.scalar(select(func.max(ReviewEntry.id))) or 0),
        "appeal": int(db.session.scalar(select(func.max(Appeal.id))) or 0),
    }


def process_texts(
    batch_size: int = 500,
    progress: Callable[[str], None] | None = None,
    *,
    after: Mapping[str, int] | None = None,
    retheme: bool = True,
) -> dict[str, int]:
    """Process every unprocessed text, then re-theme rows of an older dictionary. Returns counts per kind
    (and ``rethemed``); ``progress`` gets one line per batch with the throughput so far.

    ``after`` (source kind → id, from :func:`source_watermarks`) starts each source above that id, so the
    run after an import reads only the new rows; ``retheme=False`` skips the re-theming pass."""
    dictionary = load_dictionary()
    counts = {kind: 0 for kind, _query, _build in SOURCES}
    started = time.perf_counter()
    for kind, batch_query, build in SOURCES:
        after_id = int((after or {}).get(kind, 0))
        while True:
            rows = db.session.execute(batch_query(after_id, batch_size)).all()
            if not rows:
                break
            values = [build(row, dictionary) for row in rows]
            with write_transaction():
                db.session.execute(table_of(ProcessedText).insert(), values)
                kinds = {value["source_kind"] for value in values}
                inserted = db.session.scalars(
                    select(ProcessedText.id).where(
                        ProcessedText.source_kind.in_(kinds),
                        ProcessedText.source_id.in_([value["source_id"] for value in values]),
                    )
                ).all()
                _link_themes(inserted)
            counts[kind] += len(values)
            after_id = rows[-1][0]
            if progress:
                total = sum(counts.values())
                rate = total / max(time.perf_counter() - started, 1e-9)
                progress(f"{kind}: {counts[kind]}; всего {total} текстов, {rate:.0f} текстов/с")
    counts["rethemed"] = _retheme(dictionary, batch_size) if retheme else 0
    return counts


__all__ = [
    "ThemeDictionary",
    "build_dictionary",
    "load_dictionary",
    "process_texts",
    "seed_dictionary",
    "source_watermarks",
]


MAX_TERM_WORDS = 3  # a term is a word or a short phrase («технологическое присоединение»)
MAX_TERM_LENGTH = 60


class ThemeError(ValueError):
    """A dictionary entry the staff typed that cannot be saved (Russian message)."""


def parse_terms(text: str) -> list[str]:
    """Terms from a text area: one per line or separated by commas; blanks dropped, duplicates once."""
    terms: list[str] = []
    for raw in text.replace(",", "\n").splitlines():
        term = " ".join(raw.split())
        if term and term.lower() not in {t.lower() for t in terms}:
            terms.append(term)
    return terms


def save_theme(theme_id: int | None, label: str, terms_text: str, active: bool = True) -> TextTheme:
    """Add a theme (``theme_id`` None; its code made from the label) or change one; audited. The text job
    re-themes stored texts from their lemmas on its next run, since the dictionary's version changes."""
    from app.audit import record
    from app.surveys.interchange import slug_from_title

    label = " ".join(label.split())
    terms = parse_terms(terms_text)
    if not label or len(label) > 200:
        raise ThemeError("Укажите название темы (до 200 знаков).")
    if not terms:
        raise ThemeError("Укажите хотя бы одно слово или словосочетание темы.")
    for term in terms:
        if len(term) > MAX_TERM_LENGTH or len(term.split()) > MAX_TERM_WORDS:
            raise ThemeError(f"«{term[:MAX_TERM_LENGTH]}»: слово или словосочетание до трех слов и 60 знаков.")
        if not lemma_phrase(term):
            raise ThemeError(f"«{term}»: в нем нет слов, по которым можно искать.")
    with write_transaction():
        if theme_id is None:
            codes = set(db.session.scalars(select(TextTheme.code)))
            code = slug_from_title(label, codes.__contains__).replace("-", "_")[:64]
            theme = TextTheme(code=code, label=label, terms=terms, active=active)
            db.session.add(theme)
            db.session.flush()
            record("analysis.theme.create", theme, summary=code)
        else:
            found = db.session.get(TextTheme, theme_id)
            if found is None:
                raise ThemeError("Такой темы нет.")
            theme = found
            theme.label, theme.terms, theme.active = label, terms, active
            record("analysis.theme.update", theme, summary=theme.code)
    return theme
