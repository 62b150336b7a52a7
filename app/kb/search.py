"""Full-text search of the knowledge base in Russian, by lemmas, on SQLite (FTS5) and PostgreSQL (GIN).

A query is lemmatised with app/text/russian.py (so «счетчика», «счётчики», «счетчик» all become
«счетчик»), then each lemma becomes a term; a staff synonym whose phrase occurs in the query adds its
other phrase as an alternative of that term («подключение» OR «технологический присоединение»).
All terms are required first (precise); when that finds nothing, any term will do (forgiving). When
even that finds nothing, a word the base does not know is replaced by the closest lemma of the base's
vocabulary at edit distance 1 (one typo). Ranking: bm25 with the title weighted 10:1 on SQLite, turned
so that higher is better; ts_rank with the title in weight A on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import select, text

from app.database import is_sqlite
from app.extensions import db
from app.kb.models import FTS_TABLE, PG_DOCUMENT, KbArticle, KbSynonym
from app.text import russian

TITLE_WEIGHT = 10.0
ANSWER_WEIGHT = 1.0
MAX_QUERY_TERMS = 12


@dataclass(frozen=True)
class ArticleHit:
    """One found article; ``score`` is comparable within one search only (higher = better)."""

    id: int
    title: str
    score: float


# A term: alternatives, each a phrase of lemmas (one lemma for a plain word).
Term = tuple[tuple[str, ...], ...]


def lemma_text(text_value: str) -> str:
    """The stored search form of a text: its lemmas (stop words kept out), ё = е, hyphens as spaces so
    that both databases split them the same way."""
    return " ".join(_split_hyphens(russian.lemmatize(text_value)))


def _split_hyphens(lemmas: list[str]) -> list[str]:
    return [part for item in lemmas for part in item.split("-") if part]


@lru_cache(maxsize=4096)
def _phrase_lemmas(phrase: str) -> tuple[str, ...]:
    return tuple(_split_hyphens(list(russian.lemma_phrase(phrase))))


def synonym_pairs() -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every synonym both ways, as lemma phrases."""
    pairs = []
    for phrase, synonym in db.session.execute(select(KbSynonym.phrase, KbSynonym.synonym)).all():
        left, right = _phrase_lemmas(phrase), _phrase_lemmas(synonym)
        if left and right and left != right:
            pairs.append((left, right))
            pairs.append((right, left))
    return pairs


def build_terms(lemmas: list[str], pairs: list[tuple[tuple[str, ...], tuple[str, ...]]]) -> list[Term]:
    """The query's terms: a phrase of a synonym found in the query becomes one term with its synonym as
    an alternative; the remaining lemmas are terms of their own."""
    terms: list[Term] = []
    position = 0
    longest_first = sorted(pairs, key=lambda pair: -len(pair[0]))
    while position < len(lemmas):
        for phrase, _synonym in longest_first:
            if tuple(lemmas[position : position + len(phrase)]) == phrase:
                alternatives = [phrase] + [other for source, other in pairs if source == phrase]
                terms.append(tuple(dict.fromkeys(alternatives)))
                position += len(phrase)
                break
        else:
            terms.append(((lemmas[position],),))
            position += 1
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_QUERY_TERMS]


def _fts5_query(terms: list[Term], operator: str) -> str:
    def phrase(words: tuple[str, ...]) -> str:
        return '"' + " ".join(words) + '"'

    def term(alternatives: Term) -> str:
        return "(" + " OR ".join(phrase(words) for words in alternatives) + ")"

    return f" {operator} ".join(term(alternatives) for alternatives in terms)


def _tsquery(terms: list[Term], operator: str) -> str:
    def phrase(words: tuple[str, ...]) -> str:
        return "(" + " <-> ".join(f"'{word}'" for word in words) + ")"

    def term(alternatives: Term) -> str:
        return "(" + " | ".join(phrase(words) for words in alternatives) + ")"

    return f" {'&' if operator == 'AND' else '|'} ".join(term(alternatives) for alternatives in terms)


_PG_DOCUMENT = PG_DOCUMENT.replace("search_", "a.search_")
# Only constants are spliced in (the table name, weights, the indexed document); the query is a parameter.
_SQLITE_SEARCH = (
    f"SELECT a.id, a.title, -bm25({FTS_TABLE}, {TITLE_WEIGHT}, {ANSWER_WEIGHT}) AS score "  # noqa: S608
    f"FROM {FTS_TABLE} JOIN kb_article a ON a.id = {FTS_TABLE}.rowid "
    f"WHERE {FTS_TABLE} MATCH :query AND (a.published OR NOT :published_only) "
    "ORDER BY score DESC, a.id LIMIT :limit"
)
_PG_SEARCH = (
    f"SELECT a.id, a.title, ts_rank({_PG_DOCUMENT}, to_tsquery('simple', :query)) AS score "  # noqa: S608
    f"FROM kb_article a WHERE ({_PG_DOCUMENT}) @@ to_tsquery('simple', :query) "
    "AND (a.published OR NOT :published_only) ORDER BY score DESC, a.id LIMIT :limit"
)


def _run(terms: list[Term], operator: str, limit: int, published_only: bool) -> list[ArticleHit]:
    if is_sqlite():
        sql, query = _SQLITE_SEARCH, _fts5_query(terms, operator)
    else:
        sql, query = _PG_SEARCH, _tsquery(terms, operator)
    parameters = {"query": query, "limit": limit, "published_only": published_only}
    rows = db.session.execute(text(sql), parameters).all()
    return [ArticleHit(id=row.id, title=row.title, score=round(float(row.score), 6)) for row in rows]


def vocabulary(published_only: bool = True) -> set[str]:
    """Every lemma the base's articles contain (the candidates a mistyped word is corrected to)."""
    statement = select(KbArticle.search_title, KbArticle.search_answer)
    if published_only:
        statement = statement.where(KbArticle.published.is_(True))
    words: set[str] = set()
    for title_lemmas, answer_lemmas in db.session.execute(statement).all():
        words.update((title_lemmas or "").split())
        words.update((answer_lemmas or "").split())
    return words


def within_one_edit(left: str, right: str) -> bool:
    """Whether one insertion, deletion, substitution or swap of neighbours turns ``left`` into ``right``."""
    if left == right:
        return False
    if abs(len(left) - len(right)) > 1:
        return False
    if len(left) == len(right):
        differences = [i for i, (a, b) in enumerate(zip(left, right, strict=True)) if a != b]
        if len(differences) == 1:
            return True
        first, second = differences[0], differences[-1]
        return (
            len(differences) == 2
            and second == first + 1
            and left[first] == right[second]
            and left[second] == right[first]
        )
    shorter, longer = (left, right) if len(left) < len(right) else (right, left)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


_ALPHABET = "абвгдежзийклмнопрстуфхцчшщъыьэюя"


def _one_edit_variants(word: str) -> set[str]:
    """Every word one deletion, swap, substitution or insertion (Russian letters) away from ``word``."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    variants = {left + right[1:] for left, right in splits if right}
    variants |= {left + right[1] + right[0] + right[2:] for left, right in splits if len(right) > 1}
    variants |= {left + letter + right[1:] for left, right in splits if right for letter in _ALPHABET}
    variants |= {left + letter + right for left, right in splits for letter in _ALPHABET}
    variants.discard(word)
    return variants


def _corrections(word: str, known: set[str]) -> list[str]:
    """Known lemmas one typo away from a word: a lemma at edit distance 1 from the word or its guessed
    lemma («счетчек» → «счетчик»), else the lemma of a dictionary word one edit away whose lemma the base
    knows («показаня» → «показания» → «показание»)."""
    direct = sorted(
        candidate
        for candidate in known
        if within_one_edit(word, candidate) or within_one_edit(russian.lemma(word), candidate)
    )
    if direct:
        return direct
    morph = russian.analyzer()
    return sorted(
        {
            russian.lemma(variant)
            for variant in _one_edit_variants(word)
            if russian.lemma(variant) in known and morph.word_is_known(variant)
        }
    )


def correct_typos(words: list[str], known: set[str]) -> list[str] | None:
    """The query's words with each unknown one replaced by the closest known lemma (one typo); None when
    no word could be corrected. Words under four letters are left alone (too many neighbours)."""
    corrected: list[str] = []
    changed = False
    for word in words:
        if word in known or len(word) < 4 or not word.isalpha():
            corrected.append(word)
            continue
        candidates = _corrections(word, known)
        if candidates:
            corrected.append(candidates[0])
            changed = True
        else:
            corrected.append(word)
    return corrected if changed else None


def search_articles(query: str, limit: int = 10, *, published_only: bool = True) -> list[ArticleHit]:
    """The best articles for a customer's question, best first (empty for an empty or stop-word query)."""
    lemmas = _split_hyphens(russian.lemmatize(query or ""))
    if not lemmas or limit <= 0:
        return []
    pairs = synonym_pairs()
    terms = build_terms(lemmas, pairs)
    hits = _run(terms, "AND", limit, published_only)
    if not hits and len(terms) > 1:
        hits = _run(terms, "OR", limit, published_only)
    if hits:
        return hits
    known = vocabulary(published_only)
    raw_words = _split_hyphens(
        [
            token
            for token in russian.tokenize(query)
            if len(token) > 1 and russian.lemma(token) not in russian.STOP_WORDS
        ]
    )
    corrected = correct_typos(lemmas, known) or correct_typos(raw_words, known)
    if corrected is None:
        return []
    terms = build_terms(corrected, pairs)
    return _run(terms, "AND", limit, published_only) or (
        _run(terms, "OR", limit, published_only) if len(terms) > 1 else []
    )
