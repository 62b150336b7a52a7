"""Knowledge-base search: Russian word forms, ё, synonyms, one typo, ranking; the same
articles on SQLite and PostgreSQL (this module runs on both)."""

import pytest

from app.database import write_transaction
from app.extensions import db
from app.kb.models import KbArticle, KbSynonym
from app.kb.search import build_terms, correct_typos, lemma_text, search_articles, within_one_edit

ARTICLES = [
    ("Как заменить счётчик электроэнергии?", "Подайте заявку на замену прибора учёта в центре обслуживания.", True),
    ("Как передать показания?", "Показания счетчика передают с 15 по 25 число в личном кабинете.", True),
    ("Сколько длится технологическое присоединение?", "Срок присоединения до 15 кВт: четыре месяца.", True),
    ("Почему отключили свет?", "Плановые отключения публикуются на сайте заранее.", True),
    ("Черновик о пломбах", "Пломбу на счетчике ставит инспектор.", False),
]


@pytest.fixture
def articles(app):
    with app.app_context():
        with write_transaction():
            for title, answer, published in ARTICLES:
                db.session.add(
                    KbArticle(
                        title=title,
                        answer=answer,
                        published=published,
                        search_title=lemma_text(title),
                        search_answer=lemma_text(answer),
                    )
                )
            db.session.add(KbSynonym(phrase="подключение", synonym="технологическое присоединение"))
        ids = {a.title: a.id for a in db.session.scalars(db.select(KbArticle))}
    return ids


def _titles(app, query, **options):
    with app.app_context():
        return [hit.title for hit in search_articles(query, **options)]


@pytest.mark.parametrize("query", ["счетчика", "счётчики", "счетчик", "СЧЁТЧИКОМ"])
def test_word_forms_and_yo_find_the_same_articles(app, articles, query):
    found = _titles(app, query)
    assert set(found) == {"Как заменить счётчик электроэнергии?", "Как передать показания?"}
    assert found[0] == "Как заменить счётчик электроэнергии?"  # in the title: ranked above the answer


def test_drafts_only_when_asked(app, articles):
    assert "Черновик о пломбах" not in _titles(app, "пломба")
    assert _titles(app, "пломбы", published_only=False) == ["Черновик о пломбах"]


def test_all_words_first_then_any(app, articles):
    assert _titles(app, "заменить счётчик") == ["Как заменить счётчик электроэнергии?"]
    either = _titles(app, "замена отключение")  # no article has both: any of the two
    assert set(either) == {"Как заменить счётчик электроэнергии?", "Почему отключили свет?"}


def test_synonym_phrase_both_ways(app, articles):
    assert _titles(app, "подключение") == ["Сколько длится технологическое присоединение?"]
    assert _titles(app, "долгое подключение дома") == ["Сколько длится технологическое присоединение?"]
    with app.app_context(), write_transaction():
        db.session.add(KbSynonym(phrase="свет", synonym="электроэнергия"))
    assert "Как заменить счётчик электроэнергии?" in _titles(app, "свет")


def test_one_typo_is_forgiven(app, articles):
    assert _titles(app, "счетчек") == ["Как заменить счётчик электроэнергии?", "Как передать показания?"]
    assert _titles(app, "показаня") == ["Как передать показания?"]
    assert _titles(app, "абракадабра") == []


def test_empty_and_stop_word_queries_find_nothing(app, articles):
    assert _titles(app, "") == []
    assert _titles(app, "как и что") == []
    assert _titles(app, 'счетчик" OR "x') != []  # quotes are not syntax
    assert _titles(app, "счетчик", limit=1) == ["Как заменить счётчик электроэнергии?"]


def test_scores_are_descending_and_positive(app, articles):
    with app.app_context():
        hits = search_articles("счетчик показания")
    assert hits and all(hit.score > 0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_edit_distance_and_terms_units():
    assert within_one_edit("счетчик", "счетчек")
    assert within_one_edit("счетчик", "счетчики")
    assert within_one_edit("счетчик", "счетчкик") is True
    assert within_one_edit("счетчик", "счтечик")
    assert not within_one_edit("счетчик", "счетчик")
    assert not within_one_edit("счетчик", "сетчек")
    assert correct_typos(["счетчек"], {"счетчик"}) == ["счетчик"]
    assert correct_typos(["счетчик"], {"счетчик"}) is None
    pairs = [(("подключение",), ("технологический", "присоединение"))]
    assert build_terms(["долгий", "подключение"], pairs) == [
        (("долгий",),),
        (("подключение",), ("технологический", "присоединение")),
    ]


COMPARED_QUERIES = [
    "счетчика",
    "счётчики",
    "заменить счетчик",
    "показания",
    "подключение",
    "технологическое присоединение",
    "свет отключили",
    "замена отключение",
    "счетчек",
    "пломба",
    "абракадабра",
]


@pytest.mark.postgres
def test_same_articles_on_sqlite_and_the_test_database(app, articles, tmp_path):
    """The test database (PostgreSQL in the PostgreSQL pass) and a SQLite file with the same rows find the
    same articles for every query."""
    from app import create_app
    from tests.conftest import BASE_CONFIG

    sqlite_app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"})
    with sqlite_app.app_context():
        db.create_all()
        with write_transaction():
            for title, answer, published in ARTICLES:
                db.session.add(
                    KbArticle(
                        title=title,
                        answer=answer,
                        published=published,
                        search_title=lemma_text(title),
                        search_answer=lemma_text(answer),
                    )
                )
            db.session.add(KbSynonym(phrase="подключение", synonym="технологическое присоединение"))
        on_sqlite = {query: {hit.title for hit in search_articles(query)} for query in COMPARED_QUERIES}
        db.session.remove()
        db.engine.dispose()
    on_test_database = {query: set(_titles(app, query)) for query in COMPARED_QUERIES}
    assert on_test_database == on_sqlite
    assert on_sqlite["счетчика"] == on_sqlite["счётчики"] == on_sqlite["счетчек"] != set()


def test_typo_vocabulary_follows_new_and_published_articles(app, articles):
    assert _titles(app, "счетчек")  # fills the vocabulary cache
    assert _titles(app, "опломбированье") == []
    with app.app_context(), write_transaction():
        db.session.add(
            KbArticle(
                title="Когда нужно опломбирование?",
                answer="После замены.",
                published=True,
                search_title=lemma_text("Когда нужно опломбирование?"),
                search_answer=lemma_text("После замены."),
            )
        )
    assert _titles(app, "опломбированее") == ["Когда нужно опломбирование?"]
