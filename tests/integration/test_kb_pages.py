"""Knowledge base pages: public search, sections, article, vote and view counting; staff editing
with role checks; unanswered searches; promoting an appeal's answer; the period statistics."""

import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.database import write_transaction
from app.extensions import db
from app.kb import services
from app.kb.models import KbArticle, KbSearch, KbSection, KbSynonym, KbView, KbVote
from app.kb.services import ArticleInput
from app.kb.stats import knowledge_base_stats
from app.models import AuditEvent, Contact, Organisation, Topic, utcnow

XSS = [
    line
    for line in (Path(__file__).parents[1] / "data" / "xss_payloads.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]


def _article(title, answer, *, section=None, published=True, topic="metering", centers=()):
    article = services.create_article(
        ArticleInput(
            title=title, answer=answer, topic_code=topic, section_title=section or "", center_codes=list(centers)
        )
    )
    if published:
        services.set_published(article.id, True)
    return article


@pytest.fixture
def base(org):
    services.save_section(None, "Приборы учета", None)
    meters = _article("Как заменить счётчик?", "Подайте **заявку** на замену прибора учета.", section="Приборы учета")
    draft = _article("Черновик о пломбах", "Пломбу ставит инспектор.", published=False)
    return {"meters": meters.id, "draft": draft.id}


def test_public_page_searches_word_forms_and_lists_sections(client, base):
    page = client.get("/faq").get_data(as_text=True)
    assert "Часто задаваемые вопросы" in page and "Приборы учета" in page and "Как заменить счётчик?" in page
    assert "Черновик о пломбах" not in page
    found = client.get("/faq?q=счетчики").get_data(as_text=True)
    assert f'href="/faq/{base["meters"]}"' in found
    assert db.session.scalar(select(func.count(KbSearch.id))) == 1
    assert db.session.scalar(select(KbSearch.query)) == ""  # a search that found something keeps no text


def test_zero_result_search_is_counted_masked_and_listed_for_staff(client, base, make_user, login):
    query = "Иванов Петр звонил +7 999 123-45-67 про субсидию"
    page = client.get("/faq", query_string={"q": query}).get_data(as_text=True)
    assert "Ответа на этот вопрос пока нет" in page
    client.get("/faq?q=субсидия")
    stored = db.session.scalars(select(KbSearch.query).where(KbSearch.results == 0)).all()
    assert len(stored) == 2
    assert all("иванов" not in text and "999" not in text for text in stored), stored
    assert "[телефон скрыт]" in stored[0] and "[имя скрыто]" in stored[0]
    login(make_user("marketing"))
    listing = client.get("/kb/unanswered").get_data(as_text=True)
    assert "субсидия" in listing and "Иванов" not in listing


def test_article_view_counted_once_per_session_and_drafts_are_404(client, base, app):
    assert client.get(f"/faq/{base['meters']}").status_code == 200
    client.get(f"/faq/{base['meters']}")
    assert db.session.get(KbArticle, base["meters"]).views == 1
    assert app.test_client().get(f"/faq/{base['meters']}").status_code == 200  # another browser
    db.session.expire_all()
    assert db.session.get(KbArticle, base["meters"]).views == 2
    assert db.session.scalar(select(func.count(KbView.id))) == 2
    assert client.get(f"/faq/{base['draft']}").status_code == 404
    assert client.get("/faq/999999").status_code == 404


def test_vote_once_per_article_per_session(client, base):
    url = f"/faq/{base['meters']}/vote"
    assert client.post(url, data={"helpful": "yes"}).status_code == 302
    client.post(url, data={"helpful": "no"})
    db.session.expire_all()
    article = db.session.get(KbArticle, base["meters"])
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    page = client.get(f"/faq/{base['meters']}").get_data(as_text=True)
    assert "Спасибо, ваш ответ учтен." in page
    assert client.post(url, data={"helpful": "maybe"}).status_code == 400
    assert client.post(f"/faq/{base['draft']}/vote", data={"helpful": "yes"}).status_code == 404


def test_vote_needs_csrf_when_enabled(base, app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(f"/faq/{base['meters']}/vote", data={"helpful": "yes"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    assert db.session.get(KbArticle, base["meters"]).helpful_yes == 0


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("payload", XSS)
def test_xss_in_title_and_answer_is_inert(client, org, payload):
    article = _article(f"Вопрос {payload}", f"Ответ {payload}\n\n[ссылка]({payload})")
    page = client.get(f"/faq/{article.id}").get_data(as_text=True)
    body = page.split('<article class="kb-article">', 1)[1].split("</article>", 1)[0]
    parser = _Elements()
    parser.feed(body)
    for tag, attrs in parser.elements:
        assert tag in ("h1", "p", "div", "em", "strong", "a", "ul", "ol", "li", "code", "br"), (tag, body)
        assert not [name for name in attrs if name.startswith("on")], body
        if "href" in attrs:
            assert attrs["href"].split(":")[0] in ("http", "https", "mailto"), body
    assert "{{" not in body or "49" not in body  # not evaluated as a template


def test_staff_roles(client, base, make_user, login):
    for url in ("/kb/articles", "/kb/articles/new", "/kb/sections", "/kb/synonyms", f"/kb/articles/{base['meters']}"):
        assert client.get(url).status_code in (302, 401), url
    login(make_user("manager"))
    assert client.get("/kb/articles").status_code == 403
    assert client.post(f"/kb/articles/{base['meters']}/publish", data={"published": "0"}).status_code == 403
    assert client.get("/kb/structure").status_code == 200
    assert client.get("/kb/unanswered").status_code == 200
    client.post("/logout")
    login(make_user("operator"))
    assert client.get("/kb/articles").status_code == 200


def test_staff_create_edit_publish_with_audit(client, org, make_user, login):
    login(make_user("marketing"))
    services.save_section(None, "Оплата", None)
    section_id = db.session.scalar(select(KbSection.id).where(KbSection.title == "Оплата"))
    response = client.post(
        "/kb/articles/new",
        data={
            "title": "Где оплатить счёт?",
            "answer": "В банке.",
            "topic": "other",
            "section": section_id,
            "centers": ["KUR"],
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    article = db.session.scalar(select(KbArticle).where(KbArticle.title == "Где оплатить счёт?"))
    assert not article.published and [c.code for c in article.centers] == ["KUR"]
    edit_page = client.get(f"/kb/articles/{article.id}").get_data(as_text=True)
    assert "Где оплатить счёт?" in edit_page
    assert re.search(r'<option (?:selected value="KUR"|value="KUR" selected)', edit_page)
    assert "Так ответ увидят клиенты" in edit_page and "Черновик" in edit_page
    assert client.get(f"/faq/{article.id}").status_code == 404
    client.post(f"/kb/articles/{article.id}/publish", data={"published": "1"})
    assert client.get(f"/faq/{article.id}").status_code == 200
    client.post(
        f"/kb/articles/{article.id}",
        data={"title": "Где оплатить счёт за свет?", "answer": "В банке или онлайн.", "topic": "", "section": 0},
    )
    db.session.expire_all()
    article = db.session.get(KbArticle, article.id)
    assert article.title == "Где оплатить счёт за свет?" and article.section_id is None and article.centers == []
    assert "онлайн" in article.search_answer
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"kb.article.create", "kb.article.publish", "kb.article.update", "kb.section.create"} <= actions
    bad = client.post("/kb/articles/new", data={"title": "", "answer": "x", "section": 0})
    assert bad.status_code == 200 and "Введите вопрос" in bad.get_data(as_text=True)
    duplicate = client.post(
        "/kb/articles/new", data={"title": "Где оплатить счёт за свет?", "answer": "x", "section": 0}
    )
    assert "уже есть" in duplicate.get_data(as_text=True)


def test_sections_tree_rules(org):
    top = services.save_section(None, "Подключение", None)
    child = services.save_section(None, "Документы", top.id)
    with pytest.raises(ValueError, match="самого себя"):
        services.save_section(top.id, "Подключение", child.id)
    with pytest.raises(ValueError, match="уже есть"):
        services.save_section(None, "Документы", None)
    _article("Какие нужны документы?", "Паспорт.", section="Документы")
    with pytest.raises(ValueError, match="сначала перенесите"):
        services.delete_section(top.id)
    tree, _loose = services.section_tree(published_only=True)
    assert [node.section.title for node in services.flatten(tree)] == ["Подключение", "Документы"]
    assert tree[0].article_count == 1


def test_synonyms_edit_page_and_effect(client, base, make_user, login):
    login(make_user("operator"))
    assert client.post("/kb/synonyms", data={"phrase": "электросчетчик", "synonym": "счетчик"}).status_code == 302
    assert db.session.scalar(select(func.count(KbSynonym.id))) == 1
    assert "уже есть" in client.post("/kb/synonyms", data={"phrase": "счётчик", "synonym": "электросчётчики"}).get_data(
        as_text=True
    )
    assert "Как заменить счётчик?" in client.get("/faq?q=электросчетчик").get_data(as_text=True)
    row_id = db.session.scalar(select(KbSynonym.id))
    client.post(f"/kb/synonyms/{row_id}/delete")
    assert db.session.scalar(select(func.count(KbSynonym.id))) == 0


def _answered_appeal(text, answer, contact_name=""):
    with write_transaction():
        contact = None
        if contact_name:
            contact = Contact(name=contact_name, phone="+7 900 000-00-00", purpose="appeal", consent_version="1")
            db.session.add(contact)
            db.session.flush()
        now = utcnow()
        appeal = Appeal(
            kind="complaint",
            form="remote",
            channel="web",
            topic_id=db.session.scalar(select(Topic.id).where(Topic.code == "metering")),
            center_id=db.session.scalar(select(Organisation.id).where(Organisation.code == "KUR")),
            received_at=now - timedelta(days=3),
            due_at=now + timedelta(days=10),
            status="answered",
            text=text,
            answer_summary=answer,
            answered_at=now,
            contact_id=contact.id if contact else None,
        )
        db.session.add(appeal)
    return appeal


def test_promote_answered_appeal_to_masked_draft(client, org, make_user, login):
    appeal = _answered_appeal(
        "Меня зовут Светлана Кузнецова, счетчик не работает, звоните 8 912 345-67-89, ул. Ленина, д. 5, кв. 7",
        "Светлана, мастер заменит счетчик бесплатно; пишите на help@example.ru.",
        contact_name="Светлана Кузнецова",
    )
    login(make_user("operator"))
    detail = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert f"/kb/from-appeal/{appeal.id}" in detail
    response = client.post(f"/kb/from-appeal/{appeal.id}")
    assert response.status_code == 302
    draft = db.session.scalar(select(KbArticle).where(KbArticle.source_appeal_id == appeal.id))
    assert draft is not None and not draft.published
    text = draft.title + " " + draft.answer
    for secret in ("Светлана", "Кузнецова", "912", "Ленина", "help@example.ru", "скрыт"):
        assert secret not in text, (secret, text)
    assert "счетчик" in draft.answer
    client.post(f"/kb/from-appeal/{appeal.id}")  # twice: the same draft
    assert db.session.scalar(select(func.count(KbArticle.id))) == 1


def test_promote_refuses_unanswered_and_other_scopes(client, org, make_user, login):
    appeal = _answered_appeal("Вопрос", "")
    login(make_user("operator"))
    client.post(f"/kb/from-appeal/{appeal.id}")
    assert db.session.scalar(select(func.count(KbArticle.id))) == 0
    client.post("/logout")
    other_scope = next(
        code
        for code in db.session.scalars(select(Organisation.code).where(Organisation.kind == "center"))
        if code != "KUR"
    )
    login(make_user("operator", scope=other_scope))
    answered = _answered_appeal("Счетчик", "Заменим.")
    assert client.post(f"/kb/from-appeal/{answered.id}").status_code == 404


def test_structure_page_counts(client, base, make_user, login):
    services.record_view(base["meters"])
    services.record_vote(base["meters"], True)
    services.record_vote(base["meters"], False)
    services.record_vote(base["meters"], True)
    login(make_user("marketing"))
    page = client.get("/kb/structure").get_data(as_text=True)
    row = page.split("Приборы учета", 1)[1].split("</tr>", 1)[0]
    assert re.findall(r"<td>([^<]*)</td>", row)[:4] == ["1", "1", "67\u00a0%", "3"]


def test_stats_for_a_period_against_rows(org, base):
    empty = knowledge_base_stats(date(2026, 1, 1), date(2026, 1, 31))
    assert empty["searches"] == 0 and empty["helpful_share"] is None and empty["top_unanswered"] == []
    day = datetime(2026, 3, 10, 12, 0)
    with write_transaction():
        db.session.add_all(
            [
                KbSearch(at=day, results=3, query=""),
                KbSearch(at=day, results=0, query="субсидия"),
                KbSearch(at=day + timedelta(hours=1), results=0, query="субсидия"),
                KbSearch(at=day, results=0, query="тариф ночью"),
                KbSearch(at=day + timedelta(days=40), results=0, query="вне периода"),
                KbView(article_id=base["meters"], at=day),
                KbView(article_id=base["meters"], at=day + timedelta(days=40)),
                KbVote(article_id=base["meters"], at=day, helpful=True),
                KbVote(article_id=base["meters"], at=day, helpful=True),
                KbVote(article_id=base["meters"], at=day, helpful=False),
            ]
        )
    stats = knowledge_base_stats(date(2026, 3, 1), date(2026, 3, 31))
    assert stats["searches"] == 4 and stats["zero_result_searches"] == 3
    assert stats["zero_result_share"] == pytest.approx(0.75)
    assert stats["views"] == 1 and (stats["votes_yes"], stats["votes_no"]) == (2, 1)
    assert stats["helpful_share"] == pytest.approx(2 / 3)
    assert stats["top_unanswered"] == [{"query": "субсидия", "count": 2}, {"query": "тариф ночью", "count": 1}]
    assert knowledge_base_stats(date(2026, 3, 10), date(2026, 3, 10))["searches"] == 4  # the end day counts


def test_public_menu_entry(client, org):
    assert 'href="/faq"' in client.get("/").get_data(as_text=True)
