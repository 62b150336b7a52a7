"""`flask kb import|export|search`: the file contract, all-or-nothing with row numbers, the JSON
shape of the search, and the demo seed."""

import json

from sqlalchemy import func, select

from app.extensions import db
from app.kb.models import KbArticle, KbSection, KbSynonym

ROWS = [
    {"title": "Как заменить счётчик?", "answer": "Подайте заявку.", "topic": "metering", "section": "Приборы учета"},
    {
        "title": "Сколько длится подключение?",
        "answer": "До **четырех** месяцев.",
        "topic": "connection",
        "centers": ["KUR"],
    },
]


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return str(path)


def test_json_import_export_round_trip(org, runner, tmp_path):
    result = runner.invoke(args=["kb", "import", _write(tmp_path, "kb.json", json.dumps(ROWS, ensure_ascii=False))])
    assert result.exit_code == 0, result.output
    assert "добавлено: 2" in result.output
    exported = json.loads(runner.invoke(args=["kb", "export"]).output)
    assert sorted(exported, key=lambda row: row["title"]) == sorted(ROWS, key=lambda row: row["title"])
    changed = [dict(ROWS[0], answer="Подайте заявку в личном кабинете.")]
    result = runner.invoke(args=["kb", "import", _write(tmp_path, "again.json", json.dumps(changed))])
    assert "обновлено: 1" in result.output
    assert db.session.scalar(select(func.count(KbArticle.id))) == 2
    assert db.session.scalar(select(KbArticle.answer).where(KbArticle.title == ROWS[0]["title"])).endswith("кабинете.")


def test_csv_import_with_centres_in_one_cell(org, runner, tmp_path):
    content = (
        "title,answer,topic,section,centers\n"
        'Где оплатить счет?,"В банке, на почте.",other,Оплата,"KUR, "\n'
        "Почему отключили свет?,Плановый ремонт.,transmission,,\n"
    )
    result = runner.invoke(args=["kb", "import", _write(tmp_path, "kb.csv", content)])
    assert result.exit_code == 0, result.output
    article = db.session.scalar(select(KbArticle).where(KbArticle.title == "Где оплатить счет?"))
    assert [c.code for c in article.centers] == ["KUR"] and article.section.title == "Оплата" and article.published


def test_bad_row_names_its_number_and_saves_nothing(org, runner, tmp_path):
    bad_topic = [*ROWS, {"title": "Третий", "answer": "Ответ", "topic": "nope"}]
    result = runner.invoke(args=["kb", "import", _write(tmp_path, "bad.json", json.dumps(bad_topic))])
    assert result.exit_code != 0
    assert "Строка 3" in result.output and "nope" in result.output and "Ничего не сохранено" in result.output
    assert db.session.scalar(select(func.count(KbArticle.id))) == 0
    assert db.session.scalar(select(func.count(KbSection.id))) == 0
    for rows, needle in (
        ([{"title": "", "answer": "x", "topic": "other"}], "Строка 1: не заполнено поле «title»"),
        ([{"title": "x", "answer": "y", "topic": "other", "centers": ["ZZZ"]}], "ZZZ"),
        (["строка"], "Строка 1"),
    ):
        result = runner.invoke(args=["kb", "import", _write(tmp_path, "bad.json", json.dumps(rows))])
        assert needle in result.output, result.output
    csv_bad = "title,answer,topic\nВопрос,Ответ,other\nВопрос 2,,other\n"
    result = runner.invoke(args=["kb", "import", _write(tmp_path, "bad.csv", csv_bad)])
    assert "Строка 3" in result.output  # the file's line: the header is line 1
    assert "не является JSON" in runner.invoke(args=["kb", "import", _write(tmp_path, "x.json", "{")]).output
    assert db.session.scalar(select(func.count(KbArticle.id))) == 0


def test_search_json_shape_best_first(org, runner, tmp_path):
    runner.invoke(args=["kb", "import", _write(tmp_path, "kb.json", json.dumps(ROWS, ensure_ascii=False))])
    result = runner.invoke(args=["kb", "search", "счётчики", "--format", "json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert [hit["title"] for hit in hits] == ["Как заменить счётчик?"]
    assert set(hits[0]) == {"id", "title", "score"} and hits[0]["score"] > 0
    assert json.loads(runner.invoke(args=["kb", "search", "абвгд", "--format", "json"]).output) == []
    both = json.loads(runner.invoke(args=["kb", "search", "счетчик подключение", "--format", "json"]).output)
    assert len(both) == 2 and both[0]["score"] >= both[1]["score"]
    one = json.loads(
        runner.invoke(args=["kb", "search", "счетчик подключение", "--limit", "1", "--format", "json"]).output
    )
    assert len(one) == 1


def test_demo_seed_is_idempotent_and_searchable(org, runner):
    from app.kb.demo import DEMO_ARTICLES, seed

    seed(lambda _message: None)
    seed(lambda _message: None)
    assert 15 <= db.session.scalar(select(func.count(KbArticle.id))) == len(DEMO_ARTICLES) <= 25
    assert db.session.scalar(select(func.count(KbSynonym.id))) >= 3
    hits = json.loads(runner.invoke(args=["kb", "search", "счётчики", "--format", "json"]).output)
    assert hits and "счетчик" in hits[0]["title"].lower().replace("ё", "е")
    connection = json.loads(runner.invoke(args=["kb", "search", "подключение", "--format", "json"]).output)
    assert any("присоединение" in hit["title"] for hit in connection)
