"""The flow of customers: the monitoring report's «Интернет-ЦОК» section, the page «Нагрузка» and
``GET /api/v1/internet-cok/stats``, every figure checked against the rows the test inserts."""

from __future__ import annotations

import io
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.api.tokens import create_token
from app.appeals.report import monitoring_report
from app.booking.flow import centre_load, open_cells
from app.booking.models import Booking, BookingClosure, CentreWindow, Service
from app.database import write_transaction
from app.extensions import db
from app.models import Topic
from app.org.services import find_center
from app.reviews.models import ReviewEntry
from app.surveys.demo import seed_main_survey
from app.surveys.models import Response, Survey

# Monday 16 – Friday 20 November 2026: five working days, no holiday; 9:00–18:00 with a 13–14 break = 8 h a day.
WEEK_FROM, WEEK_TO = date(2026, 11, 16), date(2026, 11, 20)
OPEN_MINUTES_OF_THE_WEEK = 5 * 8 * 60
# Thursday 10 December 2026, 07:00 UTC = 10:00 in Moscow (the demo centres' timezone).
NOW_UTC = datetime(2026, 12, 10, 7, 0)


def pdf_text(data: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def add_booking(code: str, window: int, start: datetime, minutes: int, status: str) -> None:
    centre = find_center(code)
    with write_transaction():
        window_id = db.session.scalar(
            select(CentreWindow.id).where(CentreWindow.center_id == centre.id, CentreWindow.number == window)
        )
        service_id = db.session.scalar(select(Service.id).where(Service.code == "consultation"))
        db.session.add(
            Booking(
                client_request_id=str(uuid.uuid4()),
                request_hash="x" * 64,
                center_id=centre.id,
                service_id=service_id,
                window_id=window_id,
                start_at=start,
                duration_minutes=minutes,
                status=status,
            )
        )


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


@pytest.fixture
def week_of_bookings(org):
    """KUR: window 1 — Mon 10:00 30 min arrived, Mon 10:30 20 min no-show, Mon 11:00 15 min cancelled;
    window 2 — Tue 10:00 15 min still booked, Wed 14:00 30 min no-show. Outside: KUR the next Monday
    (arrived), BEL on Wednesday 14:00 (arrived: only in a company-wide report)."""
    monday, tuesday, wednesday = WEEK_FROM, WEEK_FROM + timedelta(days=1), WEEK_FROM + timedelta(days=2)
    add_booking("KUR", 1, at(monday, 10), 30, "arrived")
    add_booking("KUR", 1, at(monday, 10, 30), 20, "no_show")
    add_booking("KUR", 1, at(monday, 11), 15, "cancelled")
    add_booking("KUR", 2, at(tuesday, 10), 15, "booked")
    add_booking("KUR", 2, at(wednesday, 14), 30, "no_show")
    add_booking("KUR", 1, at(WEEK_TO + timedelta(days=3), 10), 30, "arrived")
    add_booking("BEL", 1, at(wednesday, 14), 20, "arrived")


def test_report_section_counts_bookings_utilisation_and_no_shows(week_of_bookings):
    section = monitoring_report(WEEK_FROM, WEEK_TO, find_center("KUR")).internet_cok
    [kur] = section.bookings
    assert (kur.center, kur.made, kur.booked, kur.cancelled, kur.arrived, kur.no_show) == ("KUR", 5, 1, 1, 1, 2)
    assert section.bookings_total.made == 5
    # Window 1: 30 + 20 booked minutes (the cancelled 15 do not count); window 2: 15 + 30.
    assert [(w.window, w.booked_minutes, w.open_minutes) for w in section.utilisation] == [
        (1, 50, OPEN_MINUTES_OF_THE_WEEK),
        (2, 45, OPEN_MINUTES_OF_THE_WEEK),
    ]
    assert section.utilisation[0].utilisation == pytest.approx(50 / 2400)
    # 10:00–11:00: one arrived, one no-show (10:30) = 1/2; 14:00–15:00: one no-show of one.
    hours = {h.hour: (h.arrived, h.no_show, h.rate) for h in section.no_shows_by_hour}
    assert hours == {10: (1, 1, 0.5), 14: (0, 1, 1.0)}
    ten = section.no_shows_by_hour[0]
    assert ten.ci is not None and ten.ci[0] == pytest.approx(0.0945, abs=1e-4)  # Wilson 1 of 2: [0.0945, 0.9055]


def test_company_report_adds_the_other_centres(week_of_bookings):
    section = monitoring_report(WEEK_FROM, WEEK_TO).internet_cok
    by_code = {row.center: row for row in section.bookings}
    assert by_code["BEL"].made == 1 and by_code["BEL"].arrived == 1
    assert section.bookings_total.made == 6 and section.bookings_total.arrived == 2
    assert {h.hour: (h.arrived, h.no_show) for h in section.no_shows_by_hour}[14] == (1, 1)
    # Every active window of every centre is listed, most without bookings.
    assert len(section.utilisation) == 2 * len(section.bookings)


def test_report_section_is_quiet_without_bookings(org):
    section = monitoring_report(WEEK_FROM, WEEK_TO, find_center("KUR")).internet_cok
    assert section.bookings[0].made == 0
    assert section.no_shows_by_hour == []
    assert all(w.booked_minutes == 0 and w.utilisation == 0 for w in section.utilisation)


def test_holidays_are_not_open_minutes(org):
    # 1–8 January 2027 are days off of the production calendar: of Mon 4 – Fri 15 January only 11–15 count.
    section = monitoring_report(date(2027, 1, 4), date(2027, 1, 15), find_center("KUR")).internet_cok
    assert section.utilisation[0].open_minutes == OPEN_MINUTES_OF_THE_WEEK


def test_closed_days_and_windows_are_not_open_minutes(org):
    """A day closed for the whole centre leaves both windows; a closed window only itself."""
    centre = find_center("KUR")
    window_2 = db.session.scalar(
        select(CentreWindow.id).where(CentreWindow.center_id == centre.id, CentreWindow.number == 2)
    )
    with write_transaction():
        db.session.add(BookingClosure(center_id=centre.id, day=WEEK_FROM, window_id=None, reason="Ремонт"))
        db.session.add(BookingClosure(center_id=centre.id, day=WEEK_TO, window_id=window_2, reason="Болезнь"))
    section = monitoring_report(WEEK_FROM, WEEK_TO, centre).internet_cok
    assert [(w.window, w.open_minutes) for w in section.utilisation] == [
        (1, OPEN_MINUTES_OF_THE_WEEK - 8 * 60),
        (2, OPEN_MINUTES_OF_THE_WEEK - 2 * 8 * 60),
    ]


def test_open_cells_leave_out_the_break_and_the_weekend(org):
    from app.booking.flow import _hours_by_centre

    centre = find_center("KUR")
    cells = open_cells(_hours_by_centre([centre.id])[centre.id])
    assert [h for wd, h in cells if wd == 0] == [9, 10, 11, 12, 14, 15, 16, 17]
    assert {wd for wd, _h in cells} == {0, 1, 2, 3, 4}


def add_response(survey: Survey, code: str, moment_utc: datetime, channel: str = "kiosk") -> None:
    with write_transaction():
        db.session.add(
            Response(
                client_submission_id=str(uuid.uuid4()),
                body_hash="x" * 64,
                survey_id=survey.id,
                version_id=_version_id(survey),
                center_id=find_center(code).id,
                channel=channel,
                submitted_at=moment_utc,
                received_at=moment_utc,
            )
        )


def _version_id(survey: Survey) -> int:
    from app.surveys.models import SurveyVersion

    return db.session.scalar(select(SurveyVersion.id).where(SurveyVersion.survey_id == survey.id))


def add_review(code: str, moment_utc: datetime, check_state: str | None = None) -> None:
    with write_transaction():
        db.session.add(
            ReviewEntry(
                registration_number=f"KUR-2026-{uuid.uuid4().int % 10**6:06d}",
                check_code_hash="x",
                client_submission_id=str(uuid.uuid4()),
                body_hash="x" * 64,
                center_id=find_center(code).id,
                entry_type="complaint",
                topic_id=db.session.scalar(select(Topic.id).limit(1)),
                text="Долго ждал",
                created_at=moment_utc,
                check_state=check_state,
            )
        )


@pytest.fixture
def planted_flow(org):
    """As of Thu 10 Dec 2026 10:00 (Moscow), two past weeks = 26 Nov – 9 Dec: two working days of each
    weekday. Walk-ins: Monday 10–11 — 3 kiosk answers on 30 Nov, 1 on 7 Dec (4 over 2 Mondays = 2.0);
    Tuesday 15–16 — 1 review entry (0.5). Not counted: an online answer, a review rejected as spam, a kiosk
    answer on Saturday. Ahead: Fri 11 Dec 12:00 30 min; Mon 14 Dec 10:45 30 min (15 min in 10–11, 15 in
    11–12). Not counted: a cancelled booking, one this morning before 10:00, one a week ahead (17 Dec)."""
    seed_main_survey()
    survey = db.session.scalar(select(Survey).where(Survey.slug == "visit-csat"))
    for minute in (5, 15, 50):
        add_response(survey, "KUR", datetime(2026, 11, 30, 7, minute))  # 10:xx Moscow
    add_response(survey, "KUR", datetime(2026, 12, 7, 7, 40))
    add_response(survey, "KUR", datetime(2026, 12, 7, 7, 30), channel="online")
    add_response(survey, "KUR", datetime(2026, 12, 5, 7, 30))  # Saturday
    add_review("KUR", datetime(2026, 12, 1, 12, 10))  # Tue 15:10 Moscow
    add_review("KUR", datetime(2026, 12, 1, 12, 20), check_state="rejected")
    add_booking("KUR", 1, datetime(2026, 12, 11, 12, 0), 30, "booked")
    add_booking("KUR", 2, datetime(2026, 12, 14, 10, 45), 30, "booked")
    add_booking("KUR", 1, datetime(2026, 12, 14, 10, 0), 15, "cancelled")
    add_booking("KUR", 1, datetime(2026, 12, 10, 9, 0), 15, "booked")
    add_booking("KUR", 1, datetime(2026, 12, 17, 10, 0), 15, "booked")


def cells_of(load) -> dict[tuple[int, int], object]:
    return {(c.weekday, c.hour): c for c in load.cells}


def test_expected_load_adds_bookings_ahead_to_the_usual_walk_ins(planted_flow):
    load = centre_load(find_center("KUR"), NOW_UTC, weeks=2)
    assert (load.history.from_, load.history.to) == ("2026-11-26", "2026-12-09")
    assert (load.ahead.from_, load.ahead.to) == ("2026-12-10", "2026-12-16")
    cells = cells_of(load)
    monday_ten = cells[(0, 10)]
    assert (monday_ten.booked_visits, monday_ten.booked_minutes) == (1, 15)
    assert (monday_ten.walk_in_count, monday_ten.days_observed, monday_ten.walk_ins) == (4, 2, 2.0)
    assert monday_ten.expected == 3.0
    assert (cells[(0, 11)].booked_visits, cells[(0, 11)].booked_minutes) == (0, 15)
    assert cells[(1, 15)].walk_ins == 0.5
    assert (cells[(4, 12)].booked_visits, cells[(4, 12)].expected) == (1, 1.0)
    assert cells[(3, 9)].booked_visits == 0  # this morning's 9:00 is past
    assert cells[(3, 10)].booked_visits == 0  # 17 December is beyond the week
    assert sum(c.walk_in_count for c in load.cells) == 5
    assert load.peak is not None and (load.peak.weekday, load.peak.hour) == (0, 10)
    assert load.peak_text == "Больше всего посетителей ожидается по понедельникам с 10 до 11"


def test_expected_load_is_quiet_without_data(org):
    load = centre_load(find_center("KUR"), NOW_UTC)
    assert load.peak is None
    assert all(c.expected == 0 for c in load.cells)
    # 8 weeks back from 10 Dec (15 Oct – 9 Dec): 8 of each weekday, but Wednesday 4 November is a holiday.
    assert {c.weekday: c.days_observed for c in load.cells} == {0: 8, 1: 8, 2: 7, 3: 8, 4: 8}


def test_page_shows_the_peak_heatmap_utilisation_and_no_shows(client, login, make_user, planted_flow):
    add_booking("KUR", 1, at(date.today(), 10), 30, "no_show")
    login(make_user("manager"))
    page = client.get("/flow/KUR")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Нагрузка" in html and "flow-heatmap" in html
    assert "Больше всего посетителей ожидается" in html or "Посетителей пока не ожидается" in html
    assert "Окно 1" in html and "Неявки по часам" in html
    assert "10:00–11:00" in html
    index = client.get("/flow/")
    assert index.status_code == 200 and "/flow/KUR" in index.get_data(as_text=True)
    assert client.get("/flow/KUR?period=2026Q4&weeks=4").status_code == 200
    assert client.get("/flow/KUR?period=nonsense").status_code == 400


def test_page_is_scoped_to_the_centres_of_the_user(client, login, make_user, org):
    login(make_user("operator", scope="KUR"))
    assert client.get("/flow/KUR").status_code == 200
    assert client.get("/flow/BEL").status_code == 404
    assert client.get("/flow/NOPE").status_code == 404


def test_page_refuses_marketing_and_strangers(client, login, make_user, org):
    assert client.get("/flow/KUR").status_code in (302, 401)
    login(make_user("marketing"))
    assert client.get("/flow/KUR").status_code == 403


def api(client, token, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get("/api/v1/internet-cok/stats", query_string=params, headers=headers)


def test_api_returns_the_section_of_the_period_and_the_expected_load(client, make_user, week_of_bookings):
    manager = make_user("manager")
    token = create_token(manager.email, "flow", ["read:reports"])
    reply = api(client, token, scope="KUR", **{"from": WEEK_FROM.isoformat(), "to": WEEK_TO.isoformat()})
    assert reply.status_code == 200, reply.json
    body = reply.json
    assert set(body) == {
        "period",
        "scope",
        "bookings",
        "bookings_total",
        "utilisation",
        "no_shows_by_hour",
        "expected_load",
        "knowledge_base",  # tests/integration/test_internet_cok_stats.py
        "questions",
    }
    assert body["period"] == {"from": "2026-11-16", "to": "2026-11-20"} and body["scope"] == "KUR"
    assert body["bookings"] == [
        {"center": "KUR", "center_name": find_center("KUR").name, "made": 5, "booked": 1}
        | {"cancelled": 1, "arrived": 1, "no_show": 2}
    ]
    assert [(w["window"], w["booked_minutes"], w["open_minutes"]) for w in body["utilisation"]] == [
        (1, 50, 2400),
        (2, 45, 2400),
    ]
    assert [(h["hour"], h["arrived"], h["no_show"], h["rate"]) for h in body["no_shows_by_hour"]] == [
        (10, 1, 1, 0.5),
        (14, 0, 1, 1.0),
    ]
    [load] = body["expected_load"]
    assert load["center"] == "KUR" and load["weeks"] == 8 and len(load["cells"]) == 5 * 8
    company = api(client, token, scope="company", **{"from": WEEK_FROM.isoformat(), "to": WEEK_TO.isoformat()})
    assert company.json["bookings_total"]["made"] == 6


def test_api_refuses_without_token_permission_or_scope(client, make_user, org):
    manager = make_user("manager", scope="KUR")
    assert api(client, None).status_code == 401
    wrong = create_token(manager.email, "responses", ["read:responses"])
    assert api(client, wrong).status_code == 403
    token = create_token(manager.email, "flow", ["read:reports"])
    assert api(client, token, scope="BEL").status_code == 404
    assert api(client, token, period="2026Q9").status_code == 400
    assert api(client, token, weeks="3").status_code == 400
    operator = make_user("operator", scope="KUR")
    assert api(client, create_token(operator.email, "op", ["read:reports"])).status_code == 403


def test_monitoring_page_and_pdf_show_the_internet_cok_section(client, login, make_user, week_of_bookings):
    from app.reports.services import appeals_pdf

    login(make_user("manager"))
    page = client.get(f"/appeals/report?date_from={WEEK_FROM.isoformat()}&date_to={WEEK_TO.isoformat()}&scope=KUR")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Интернет-ЦОК" in html and "/flow/KUR" in html and "14:00–15:00" in html
    assert html.count('id="internet-cok"') == 1
    assert "<title>Мониторинг обращений" in html
    text = pdf_text(appeals_pdf(monitoring_report(WEEK_FROM, WEEK_TO, find_center("KUR"))))
    assert "Интернет-ЦОК" in text
    assert "Неявки по часам" in text and "10:00–11:00" in text
    assert "50,0" in text  # 1 of 2 no-shows at 10:00


def test_monitoring_pdf_says_when_there_are_no_bookings(org):
    from app.reports.services import appeals_pdf

    text = pdf_text(appeals_pdf(monitoring_report(WEEK_FROM, WEEK_TO, find_center("KUR"))))
    assert "Записей на прием с датой приема в периоде нет" in text


def test_monitoring_csv_lists_the_internet_cok_rows(week_of_bookings):
    from app.appeals.report import report_rows

    header, rows = report_rows(monitoring_report(WEEK_FROM, WEEK_TO, find_center("KUR")))
    flow_rows = [row for row in rows if row[0] == "интернет-ЦОК"]
    assert all(len(row) == len(header) for row in flow_rows)
    by_label = {row[1]: row for row in flow_rows}
    assert by_label["записи на прием"][5] == 5 and by_label["не пришли"][5] == 2
    assert by_label["окно 1: минуты записей, загрузка"][5:7] == [50, pytest.approx(50 / 2400)]
    assert by_label["неявки 10:00–11:00, доля"][5:7] == [1, 0.5]
