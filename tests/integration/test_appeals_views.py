"""Staff pages of the registry: scope (IDOR → 404), queue, export, registration, actions, report, admin."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from openpyxl import load_workbook
from sqlalchemy import func, select

from app.appeals import services
from app.appeals.models import Appeal, DeadlineRule, Promise, RootCause
from app.database import write_transaction
from app.extensions import db
from app.models import Setting, Topic
from app.org.services import find_center


def _appeal(center: str = "KUR", **overrides) -> Appeal:
    fields = {
        "kind": "complaint",
        "form": "remote",
        "channel": "phone",
        "topic_code": "quality",
        "center_id": find_center(center).id,
        "received_at": datetime(2026, 3, 2, 9, 0),
        "text": "Свет мигает",
    }
    fields.update(overrides)
    return services.register_appeal(**fields)


def test_operator_of_kur_cannot_see_or_change_an_lgv_appeal(org, make_user, login, client):
    foreign = _appeal("LGV")
    own = _appeal("KUR")
    login(make_user("operator", "KUR"))
    assert client.get(f"/appeals/{own.id}").status_code == 200
    assert client.get(f"/appeals/{foreign.id}").status_code == 404
    assert client.get("/appeals/999999").status_code == 404
    for url, data in (
        (f"/appeals/{foreign.id}/status", {"to_status": "in_progress"}),
        (f"/appeals/{foreign.id}/answer", {"summary": "x"}),
        (f"/appeals/{foreign.id}/close", {"root_cause": "1"}),
        (f"/appeals/{foreign.id}/promise", {"text": "x", "due_at": "2026-03-10T10:00"}),
        (f"/appeals/{foreign.id}/action", {"action_id": "1"}),
        (f"/appeals/{foreign.id}/contract", {"led_to_contract": "1"}),
    ):
        assert client.post(url, data=data).status_code == 404, url
    db.session.expire_all()
    assert db.session.get(Appeal, foreign.id).status == "registered"
    assert db.session.get(Appeal, foreign.id).led_to_contract is False
    promise = services.add_promise(foreign, "Перезвонить", datetime(2026, 3, 5), None)
    assert client.post(f"/appeals/promise/{promise.id}/resolve", data={"kept": "1"}).status_code == 404
    db.session.expire_all()
    assert db.session.get(Promise, promise.id).status == "open"
    # The queue and the export do not list it either.
    page = client.get("/appeals/").get_data(as_text=True)
    assert f'href="/appeals/{own.id}"' in page and f'href="/appeals/{foreign.id}"' not in page
    export = client.get("/appeals/export.csv").get_data(as_text=True)
    assert "Льгов" not in export and "Курск" in export


def test_roles(org, make_user, login, client):
    assert client.get("/appeals/").status_code == 302  # to the login page
    login(make_user("marketing", "MRSK"))
    assert client.get("/appeals/").status_code == 403
    assert client.get("/appeals/report").status_code == 403
    assert client.get("/appeals/admin/deadlines").status_code == 403


def test_operator_cannot_open_the_report_or_admin(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    assert client.get("/appeals/report").status_code == 403
    assert client.get("/appeals/import").status_code == 403
    assert client.get("/appeals/admin/topics").status_code == 403


def test_queue_sorts_by_deadline_and_highlights_overdue_and_broken_promises(org, make_user, login, client):
    late = _appeal(received_at=datetime(2026, 1, 12, 9, 0))
    later = _appeal(received_at=datetime(2026, 2, 2, 9, 0))
    done = _appeal(received_at=datetime(2026, 1, 5, 9, 0))
    services.answer(done, "Ответ", None)
    promise = services.add_promise(later, "Перезвонить", datetime(2026, 2, 3), None)
    services.resolve_promise(promise, False, None)
    login(make_user("operator", "KUR"))
    page = client.get("/appeals/").get_data(as_text=True)
    positions = [page.index(f'href="/appeals/{a.id}"') for a in (late, later, done)]
    assert positions == sorted(positions)  # open first by deadline, the answered one last
    assert page.count('class="overdue"') == 2
    assert "не выполнено" in page
    filtered = client.get("/appeals/?status=answered").get_data(as_text=True)
    assert f'href="/appeals/{done.id}"' in filtered and f'href="/appeals/{late.id}"' not in filtered
    by_date = client.get("/appeals/?date_from=2026-02-01&date_to=2026-02-28").get_data(as_text=True)
    assert f'href="/appeals/{later.id}"' in by_date and f'href="/appeals/{late.id}"' not in by_date


def test_export_neutralises_formulas(org, make_user, login, client):
    _appeal(text='=HYPERLINK("http://evil","x")')
    _appeal(text="@SUM(1)", kind="application", topic_code="other")
    login(make_user("manager", "KURS"))
    body = client.get("/appeals/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in body and "'@SUM(1)" in body
    assert ";=HYPERLINK" not in body
    filtered = client.get("/appeals/export.csv?kind=application").get_data(as_text=True)
    assert "'@SUM(1)" in filtered and "HYPERLINK" not in filtered
    response = client.get("/appeals/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    texts = [row[11] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(texts) == ['\'=HYPERLINK("http://evil","x")', "'@SUM(1)"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_register_work_and_close_through_the_pages(org, make_user, login, client):
    with write_transaction():
        cause = RootCause(code="staff", name_ru="Персонал")
        db.session.add(cause)
    login(make_user("operator", "KUR"))
    assert client.get("/appeals/new").status_code == 200
    response = client.post(
        "/appeals/new",
        data={
            "kind": "complaint",
            "form": "in_person",
            "channel": "visit",
            "topic": "quality",
            "center": str(find_center("KUR").id),
            "received_at": "2026-12-30T12:00",
            "text": "<b>Нет света</b>",
            "contact_name": "Иван",
            "consent": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    appeal = db.session.scalar(select(Appeal))
    assert appeal.received_at == datetime(2026, 12, 30, 9, 0)  # 12:00 Moscow
    assert appeal.contact_id is not None
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert "&lt;b&gt;Нет света&lt;/b&gt;" in page  # customer text escaped
    assert "Иван" in page and "согласие" in page
    client.post(f"/appeals/{appeal.id}/status", data={"to_status": "in_progress"})
    client.post(f"/appeals/{appeal.id}/promise", data={"text": "Перезвонить", "due_at": "2027-01-11T10:00"})
    client.post(f"/appeals/{appeal.id}/answer", data={"summary": "Свет восстановлен"})
    response = client.post(f"/appeals/{appeal.id}/close", data={"root_cause": ""}, follow_redirects=True)
    assert "без коренной причины" in response.get_data(as_text=True)
    client.post(f"/appeals/{appeal.id}/close", data={"root_cause": str(cause.id)})
    db.session.expire_all()
    appeal = db.session.get(Appeal, appeal.id)
    assert appeal.status == "closed" and appeal.root_cause_id == cause.id
    assert [h.to_status for h in appeal.history] == ["registered", "in_progress", "answered", "closed"]
    assert len(appeal.promises) == 1
    response = client.post(f"/appeals/{appeal.id}/status", data={"to_status": "in_progress"}, follow_redirects=True)
    assert "Нельзя перевести" in response.get_data(as_text=True)


def test_registration_without_consent_keeps_no_contact(org, make_user, login, client):
    login(make_user("operator", "KUR"))
    response = client.post(
        "/appeals/new",
        data={
            "kind": "complaint",
            "form": "remote",
            "channel": "phone",
            "topic": "quality",
            "center": str(find_center("KUR").id),
            "received_at": "2026-12-30T12:00",
            "text": "Просит перезвонить",
            "contact_phone": "+79000000000",
        },
    )
    assert response.status_code == 200
    assert "согласия" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0
    # A centre outside the scope is not in the choices and cannot be posted.
    response = client.post(
        "/appeals/new",
        data={
            "kind": "complaint",
            "form": "remote",
            "channel": "phone",
            "topic": "quality",
            "center": str(find_center("LGV").id),
            "received_at": "2026-12-30T12:00",
        },
    )
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0


def test_upload_page(org, make_user, login, client):
    login(make_user("manager", "KURS"))
    assert "Импорт обращений из файла" in client.get("/appeals/import").get_data(as_text=True)
    good = "received_at,kind,form,topic,center\n2026-03-02,жалоба,заочно,quality,KUR\n"
    response = client.post(
        "/appeals/import",
        data={"file": (io.BytesIO(good.encode()), "a.csv"), "dry_run": "y"},
        content_type="multipart/form-data",
    )
    assert "Проверка пройдена" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0
    bad = good + "2026-03-02,жалоба,заочно,quality,BEL\n"  # a Belgorod centre: outside the branch
    response = client.post(
        "/appeals/import", data={"file": (io.BytesIO(bad.encode()), "b.csv")}, content_type="multipart/form-data"
    )
    text = response.get_data(as_text=True)
    assert "строка 3" in text and "вне вашей зоны" in text
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 0
    response = client.post(
        "/appeals/import", data={"file": (io.BytesIO(good.encode()), "a.csv")}, content_type="multipart/form-data"
    )
    assert "Импорт выполнен" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1


def test_report_page_and_downloads(org, make_user, login, client):
    for _ in range(3):
        _appeal(received_at=datetime(2026, 5, 5, 9, 0))
    _appeal(
        received_at=datetime(2026, 5, 5, 9, 0),
        kind="application",
        topic_code="connection",
        form="in_person",
        channel="visit",
    )
    login(make_user("manager", "MRSK"))
    page = client.get("/appeals/report?year=2026&part=q2").get_data(as_text=True)
    assert "II квартал 2026" in page
    assert "75,0\u00a0%" in page and "25,0\u00a0%" in page  # complaints 3 of 4, applications 1 of 4
    assert "data:image/svg+xml;base64," in page
    assert "Информация о качестве обслуживания потребителей" in page
    json_body = client.get("/appeals/report.json?year=2026&part=q2").get_json()
    assert json_body["total"] == 4
    csv_body = client.get("/appeals/report.csv?year=2026&part=q2").get_data(as_text=True)
    assert "Жалоба" in csv_body
    scoped = client.get("/appeals/report.json?date_from=2026-05-01&date_to=2026-05-31&scope=LGV").get_json()
    assert scoped["total"] == 0 and scoped["scope"] == "LGV"
    assert client.get("/appeals/report?date_from=2026-05-31&date_to=2026-05-01").status_code == 400


def test_branch_manager_cannot_report_on_another_branch(org, make_user, login, client):
    login(make_user("manager", "KURS"))
    assert client.get("/appeals/report?scope=KURS").status_code == 200
    assert client.get("/appeals/report?scope=LGV").status_code == 200
    assert client.get("/appeals/report?scope=BEL").status_code == 404
    assert client.get("/appeals/report.json?scope=MRSK").status_code == 404
    assert client.get("/appeals/report.json?scope=NOPE").status_code == 404


def test_admin_pages_edit_rules_causes_topics_and_regulator_rows(org, make_user, login, client):
    login(make_user("admin", "MRSK"))
    for url in (
        "/appeals/admin/deadlines",
        "/appeals/admin/root-causes",
        "/appeals/admin/topics",
        "/appeals/admin/regulator",
    ):
        assert client.get(url).status_code == 200, url
    quality = db.session.scalar(select(Topic.id).where(Topic.code == "quality"))
    client.post(
        "/appeals/admin/deadlines", data={"kind": "complaint", "topic": str(quality), "days": "7", "working_days": "y"}
    )
    rule = db.session.scalar(select(DeadlineRule))
    assert (rule.kind, rule.topic_id, rule.days, rule.working_days) == ("complaint", quality, 7, True)
    client.post("/appeals/admin/deadlines/written", data={"days": "20"})
    assert db.session.get(Setting, "appeals_written_deadline").value == {"days": 20, "working_days": False}
    client.post("/appeals/admin/root-causes", data={"code": "staff", "name_ru": "Персонал", "active": "y"})
    assert db.session.scalar(select(RootCause.name_ru)) == "Персонал"
    client.post("/appeals/admin/topics", data={"code": "tariff", "name_ru": "Тарифы", "sort_order": "9", "active": "y"})
    assert db.session.scalar(select(Topic).where(Topic.code == "tariff")).name_ru == "Тарифы"
    client.post("/appeals/admin/regulator", data={"kiosk": "internet", "visit": "in_person"})
    assert db.session.get(Setting, "regulator_channel_rows").value["kiosk"] == "internet"
    client.post(f"/appeals/admin/deadlines/{rule.id}/delete")
    assert db.session.scalar(select(func.count()).select_from(DeadlineRule)) == 0


def test_marking_that_an_appeal_led_to_a_contract(org, make_user, login, client):
    # The regulator's п. 4.1 form counts appeals that ended in a contract; only people know that.
    appeal = _appeal(kind="application", topic_code="quality")
    login(make_user("operator", "KUR"))
    page = client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    assert "не заключен" in page and "Отметить: заключен договор" in page
    reply = client.post(f"/appeals/{appeal.id}/contract", data={"led_to_contract": "1"}, follow_redirects=True)
    assert "Отмечено: по обращению заключен договор." in reply.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).led_to_contract is True
    assert "Снять отметку о договоре" in client.get(f"/appeals/{appeal.id}").get_data(as_text=True)
    header, row = list(
        csv.reader(
            io.StringIO(client.get("/appeals/export.csv").get_data(as_text=True).lstrip("\ufeff")), delimiter=";"
        )
    )[:2]
    assert header[-1] == "Заключен договор" and row[-1] == "да"
    refused = client.post(f"/appeals/{appeal.id}/contract", data={}, follow_redirects=True)
    assert "Не указано, заключен ли договор" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).led_to_contract is True  # a missing value changes nothing
    client.post(f"/appeals/{appeal.id}/contract", data={"led_to_contract": "0"})
    db.session.expire_all()
    assert db.session.get(Appeal, appeal.id).led_to_contract is False
    from app.models import AuditEvent

    events = [e.summary for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "appeal.contract"))]
    assert events == ["contract", "no contract"]
