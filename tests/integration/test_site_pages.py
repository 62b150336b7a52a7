"""Pages staff keep current: «Как оплатить», «Контактная информация», «Публикации о ЦОК»."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import AuditEvent
from app.site import demo
from app.site.models import NewsPost, SitePage


def test_seeded_pages_render_markdown_safely_in_the_public_menu(client, org):
    demo.seed(lambda _line: None)
    demo.seed(lambda _line: None)  # idempotent
    assert db.session.scalar(select(func.count()).select_from(SitePage)) == 2
    landing = client.get("/centers").get_data(as_text=True)
    for href in ("/ask", "/info/payment", "/info/contacts", "/news"):
        assert f'href="{href}"' in landing
    html = client.get("/info/payment").get_data(as_text=True)
    assert "<h1>Как оплатить</h1>" in html and "<strong>номер договора</strong>" in html
    assert "Единый телефон" in client.get("/info/contacts").get_data(as_text=True)
    assert client.get("/info/unknown").status_code == 404


def test_marketing_edits_a_page_with_preview_audited_and_html_stripped(client, make_user, login):
    login(make_user("marketing"))
    body = "Платите **без комиссии**.\n\n<script>alert(1)</script>"
    preview = client.post("/site/pages/payment", data={"title": "Как оплатить", "body": body, "action": "preview"})
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert 'id="site-preview"' in shown and "<strong>без комиссии</strong>" in shown
    assert "<script>alert(1)</script>" not in shown
    assert db.session.scalar(select(func.count()).select_from(SitePage)) == 0  # a preview saves nothing
    saved = client.post("/site/pages/payment", data={"title": "Как оплатить", "body": body, "action": "save"})
    assert saved.status_code == 302
    page = db.session.scalar(select(SitePage).where(SitePage.slug == "payment"))
    assert page is not None and page.body.startswith("Платите")
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "site.page.update")) == 1
    public = client.get("/info/payment").get_data(as_text=True)
    assert "<strong>без комиссии</strong>" in public and "<script>alert(1)" not in public


def test_bad_page_input_is_refused_in_russian_and_nothing_saved(client, make_user, login):
    login(make_user("marketing"))
    response = client.post("/site/pages/contacts", data={"title": " ", "body": "", "action": "save"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Напишите заголовок" in html and "Напишите текст" in html
    assert db.session.scalar(select(func.count()).select_from(SitePage)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEvent.action.like("site.%"))) == 0


def test_only_marketing_and_admin_edit(client, make_user, login):
    for role, allowed in (("operator", False), ("manager", False), ("marketing", True), ("admin", True)):
        login(make_user(role))
        assert (client.get("/site/pages").status_code == 200) is allowed, role
        response = client.post("/site/pages/payment", data={"title": "Т", "body": "Т", "action": "save"})
        assert (response.status_code == 302) is allowed, role
        client.post("/logout")


def test_news_newest_first_paginated_and_drafts_hidden(client, make_user, login):
    today = date(2026, 11, 30)
    with write_transaction():
        for i in range(12):
            db.session.add(
                NewsPost(
                    title=f"Новость {i:02d}", published_on=today - timedelta(days=i), body=f"Текст {i}", published=True
                )
            )
        db.session.add(NewsPost(title="Черновик", published_on=today + timedelta(days=1), body="нет", published=False))
    first = client.get("/news").get_data(as_text=True)
    assert "Черновик" not in first
    assert first.index("Новость 00") < first.index("Новость 01") < first.index("Новость 09")
    assert "Новость 10" not in first and "30.11.2026" in first
    second = client.get("/news?page=2").get_data(as_text=True)
    assert "Новость 10" in second and "Новость 11" in second and "Новость 09" not in second
    draft = db.session.scalar(select(NewsPost).where(NewsPost.title == "Черновик"))
    assert client.get(f"/news/{draft.id}").status_code == 404
    published = db.session.scalar(select(NewsPost).where(NewsPost.title == "Новость 03"))
    assert "Текст 3" in client.get(f"/news/{published.id}").get_data(as_text=True)


def test_staff_write_and_publish_a_post(client, make_user, login):
    login(make_user("marketing"))
    bad = client.post(
        "/site/news/new", data={"title": "Новый ЦОК", "published_on": "31.02.2026", "body": "Текст", "action": "save"}
    )
    assert bad.status_code == 422 and "Укажите дату публикации" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(NewsPost)) == 0
    data = {"title": "Новый ЦОК в Льгове", "published_on": "2026-12-01", "body": "Открылся **новый** центр."}
    assert client.post("/site/news/new", data={**data, "action": "save"}).status_code == 302
    post = db.session.scalar(select(NewsPost))
    assert post.published is False and "Новый ЦОК в Льгове</a>" not in client.get("/news").get_data(as_text=True)
    assert client.post(f"/site/news/{post.id}", data={**data, "published": "y", "action": "save"}).status_code == 302
    db.session.refresh(post)
    assert post.published and "Новый ЦОК в Льгове</a>" in client.get("/news").get_data(as_text=True)
    actions = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("site.%")).order_by(AuditEvent.id))
    )
    assert actions == ["site.news.create", "site.news.update"]
    assert client.get("/site/news/999999").status_code == 404


def test_the_public_menu_stays_off_surveys_and_staff_pages(client, make_user, login):
    from app.surveys.demo import seed_main_survey
    from app.surveys.models import SurveyAssignment

    seed_main_survey()
    assignment = db.session.scalar(
        select(SurveyAssignment).where(SurveyAssignment.channel == "qr", SurveyAssignment.center.has(code="KUR"))
    )
    survey = client.get(f"/s/{assignment.short_code}")
    assert survey.status_code == 200 and 'class="public-nav"' not in survey.get_data(as_text=True)
    assert 'class="public-nav"' in client.get("/reviews/status").get_data(as_text=True)
    login(make_user("marketing"))
    assert 'class="public-nav"' not in client.get("/site/pages").get_data(as_text=True)
