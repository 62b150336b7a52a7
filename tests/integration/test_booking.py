"""Centre data and appointment booking: hours, holidays, free slots, no overlaps, the API, look-up, privacy."""

from __future__ import annotations

import json
import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.booking.hours import is_holiday
from app.booking.models import Booking, BookingUnit, CentreWindow, Service, WorkingHours
from app.booking.services import (
    BookingRequest,
    SlotGone,
    book,
    cancel,
    centre_details,
    free_slots,
    lookup_booking,
)
from app.database import write_transaction
from app.extensions import db
from app.models import Contact
from app.org.services import find_center

# Thursday 10 December 2026, 07:00 UTC = 10:00 in Moscow (the demo centres' timezone).
MORNING_UTC = datetime(2026, 12, 10, 7, 0)
THURSDAY = date(2026, 12, 10)


def working_day_ahead(days: int = 7) -> date:
    """A weekday that is not a holiday, a week or so from the real today (for views that use the clock)."""
    day = date.today() + timedelta(days=days)
    while day.weekday() >= 5 or is_holiday(day):
        day += timedelta(days=1)
    return day


def request_for(service: str, start: datetime, **overrides) -> BookingRequest:
    values = {"name": "Иван", "phone": "+7 916 123-45-67", "client_request_id": str(uuid.uuid4())}
    values.update(overrides)
    return BookingRequest(service=service, start=start, **values)


def one_window(code: str = "KUR") -> None:
    centre = find_center(code)
    with write_transaction():
        for window in db.session.scalars(select(CentreWindow).where(CentreWindow.center_id == centre.id)):
            window.active = window.number == 1


def test_demo_seed_gives_every_centre_services_windows_and_generated_hours(org):
    centre = find_center("KUR")
    details = centre_details([centre], MORNING_UTC)[centre.id]
    assert [(s.code, s.name, s.duration_minutes) for s in details.services] == [
        ("connection", "Технологическое присоединение", 30),
        ("metering", "Учет электроэнергии", 20),
        ("consultation", "Консультация", 15),
    ]
    windows = db.session.scalars(select(CentreWindow.number).where(CentreWindow.center_id == centre.id)).all()
    assert sorted(windows) == [1, 2]
    assert centre.opening_hours.startswith("Пн–Пт 9:00–18:00, перерыв 13:00–14:00; Сб–Вс выходной")
    assert details.hours == centre.opening_hours
    hours = db.session.scalar(select(func.count()).select_from(WorkingHours))
    centres = db.session.scalar(select(func.count(func.distinct(WorkingHours.center_id))))
    assert hours == 5 * centres and centres > 30


@pytest.mark.parametrize(
    ("moment_utc", "open_now"),
    [
        (datetime(2026, 12, 10, 7, 0), True),  # Thu 10:00 Moscow
        (datetime(2026, 12, 10, 10, 30), False),  # Thu 13:30, the break
        (datetime(2026, 12, 10, 15, 0), False),  # Thu 18:00, just closed
        (datetime(2026, 12, 12, 7, 0), False),  # Saturday
        (datetime(2026, 12, 31, 7, 0), False),  # Thursday, but a day off of the production calendar
    ],
)
def test_open_now_in_the_centres_timezone(org, moment_utc, open_now):
    centre = find_center("KUR")
    assert centre_details([centre], moment_utc)[centre.id].open_now is open_now


def test_centre_pages_show_address_hours_phone_services_and_open_state(client, org):
    centre = find_center("KUR")
    centre.phone = "+7 4712 00-00-00"
    db.session.commit()
    page = client.get("/centers/KUR").get_data(as_text=True)
    assert centre.address in page and "+7 4712 00-00-00" in page
    assert "Пн–Пт 9:00–18:00, перерыв 13:00–14:00" in page
    assert "Технологическое присоединение" in page and "Консультация" in page
    assert ("Открыто сейчас" in page) != ("Закрыто" in page)
    listing = client.get("/centers").get_data(as_text=True)
    assert centre.address in listing and "Учет электроэнергии" in listing


def test_slots_skip_the_past_the_break_and_holidays(org):
    centre = find_center("KUR")
    starts = [s["start"] for s in free_slots(centre, "connection", THURSDAY, MORNING_UTC)]
    assert starts[0] == "2026-12-10T10:05"  # 10:00 is now, not the future
    assert "2026-12-10T12:30" in starts and "2026-12-10T12:35" not in starts  # 30 minutes end by the break
    assert not any("T13:" in s for s in starts) and "2026-12-10T14:00" in starts
    assert starts[-1] == "2026-12-10T17:30"
    assert free_slots(centre, "connection", date(2026, 12, 31), MORNING_UTC) == []
    assert free_slots(centre, "connection", date(2026, 12, 12), MORNING_UTC) == []  # Saturday
    assert free_slots(centre, "connection", THURSDAY + timedelta(weeks=12), MORNING_UTC) == []  # too far ahead
    assert {s["windows_free"] for s in free_slots(centre, "consultation", THURSDAY, MORNING_UTC)} == {2}


def test_a_30_minute_booking_at_10_collides_with_15_minutes_at_10_15_in_one_window(org):
    one_window()
    centre = find_center("KUR")
    day = datetime.combine(THURSDAY, time(11, 0))
    first = book(centre, request_for("connection", day), MORNING_UTC)
    assert first.window == 1 and first.created
    with pytest.raises(SlotGone):
        book(centre, request_for("consultation", day + timedelta(minutes=15)), MORNING_UTC)
    with pytest.raises(SlotGone):
        book(centre, request_for("metering", day - timedelta(minutes=15)), MORNING_UTC)
    after = book(centre, request_for("consultation", day + timedelta(minutes=30)), MORNING_UTC)
    assert after.window == 1
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 2


def test_the_unique_index_itself_refuses_an_overlapping_unit(org):
    """Not a check before the insert: the database refuses a second row for one window and unit."""
    centre = find_center("KUR")
    book(centre, request_for("consultation", datetime.combine(THURSDAY, time(11, 0))), MORNING_UTC)
    unit = db.session.scalars(select(BookingUnit)).first()
    other = db.session.scalars(select(Booking)).first()
    with pytest.raises(IntegrityError), write_transaction():
        db.session.add(BookingUnit(booking_id=other.id, window_id=unit.window_id, unit_start=unit.unit_start))


def test_the_next_window_is_taken_then_the_slot_is_gone_and_cancelling_frees_it(org):
    centre = find_center("KUR")
    start = datetime.combine(THURSDAY, time(15, 0))
    receipts = [book(centre, request_for("connection", start), MORNING_UTC) for _ in range(2)]
    assert [r.window for r in receipts] == [1, 2]
    assert "2026-12-10T15:00" not in [s["start"] for s in free_slots(centre, "consultation", THURSDAY, MORNING_UTC)]
    with pytest.raises(SlotGone):
        book(centre, request_for("consultation", start + timedelta(minutes=10)), MORNING_UTC)
    booking = lookup_booking(receipts[0].registration_number, receipts[0].check_code)
    assert booking is not None and cancel(booking) and not cancel(booking)
    again = book(centre, request_for("consultation", start + timedelta(minutes=10)), MORNING_UTC)
    assert again.window == 1


def test_numbers_share_the_review_books_series_and_format(org, client):
    centre = find_center("KUR")
    receipt = book(
        centre, request_for("metering", datetime.combine(THURSDAY, time(9, 0)) + timedelta(days=1)), MORNING_UTC
    )
    assert re.fullmatch(r"KUR-2026-\d{6}", receipt.registration_number)
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{6}", receipt.check_code)
    assert lookup_booking(receipt.registration_number, receipt.check_code.lower()) is not None
    assert lookup_booking(receipt.registration_number, "AAAAAA") is None


def api_body(day: date, at: str = "10:00", **overrides) -> dict:
    body = {
        "service": "connection",
        "start": f"{day.isoformat()}T{at}",
        "name": "Мария",
        "phone": "8 (903) 111-22-33",
        "consent": True,
        "client_request_id": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


def test_api_slots_and_booking_round_trip(client, org):
    day = working_day_ahead()
    slots = client.get(f"/api/v1/centers/kur/slots?service=connection&date={day.isoformat()}")
    assert slots.status_code == 200
    assert slots.json[0] == {"start": f"{day.isoformat()}T09:00", "windows_free": 2}
    body = api_body(day)
    created = client.post("/api/v1/centers/KUR/bookings", json=body)
    assert created.status_code == 201, created.json
    assert set(created.json) == {"registration_number", "check_code", "start", "window"}
    assert created.json["start"] == f"{day.isoformat()}T10:00" and created.json["window"] == 1
    retry = client.post("/api/v1/centers/KUR/bookings", json=body)
    assert retry.status_code == 200 and retry.json == created.json
    reused = client.post("/api/v1/centers/KUR/bookings", json={**body, "name": "Другое имя"})
    assert reused.status_code == 409 and "идентификатор" in reused.json["message"]
    second = client.post("/api/v1/centers/KUR/bookings", json=api_body(day, "10:15", service="consultation"))
    assert second.status_code == 201 and second.json["window"] == 2
    gone = client.post("/api/v1/centers/KUR/bookings", json=api_body(day, "10:20", service="consultation"))
    assert gone.status_code == 409 and "занято" in gone.json["message"]
    assert gone.json["message"] != reused.json["message"]
    after = client.get(f"/api/v1/centers/KUR/slots?service=consultation&date={day.isoformat()}").json
    free = {s["start"].removeprefix(f"{day.isoformat()}T"): s["windows_free"] for s in after}
    assert free["09:45"] == 2 and free["09:50"] == 1 and free["10:30"] == 2  # window 2 is free till 10:15
    assert free["10:00"] == 1 and not {"10:05", "10:10", "10:15", "10:25"} & set(free)


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"consent": False}, "согласия"),
        ({"phone": "звоните"}, "телефона"),
        ({"name": "  "}, "имя"),
        ({"start": "завтра"}, "ГГГГ-ММ-ДД"),
        ({"client_request_id": "42"}, "UUID"),
        ({"service": "repair"}, "услугу"),
        ({"at": "13:30"}, "не ведет прием"),
        ({"at": "19:00"}, "не ведет прием"),
    ],
)
def test_api_refuses_bad_input_in_russian(client, org, overrides, fragment):
    at = overrides.pop("at", "10:00")
    reply = client.post("/api/v1/centers/KUR/bookings", json=api_body(working_day_ahead(), at, **overrides))
    assert reply.status_code == 422 and fragment in reply.json["message"], reply.json
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_api_refuses_the_past_missing_fields_and_unknown_centres(client, org):
    past = client.post("/api/v1/centers/KUR/bookings", json=api_body(date.today() - timedelta(days=1)))
    assert past.status_code == 422 and "прошло" in past.json["message"]
    body = api_body(working_day_ahead())
    del body["phone"]
    assert client.post("/api/v1/centers/KUR/bookings", json=body).status_code == 422
    assert client.post("/api/v1/centers/NOPE/bookings", json=api_body(working_day_ahead())).status_code == 404
    assert client.get("/api/v1/centers/KUR/slots?service=connection&date=10.12.2026").status_code == 422
    assert client.get("/api/v1/centers/NOPE/slots?service=connection&date=2026-12-10").status_code == 404


def test_status_page_finds_and_cancels_a_booking(client, org):
    day = working_day_ahead()
    receipt = client.post("/api/v1/centers/KUR/bookings", json=api_body(day, "11:00")).json
    page = client.post(
        "/reviews/status", data={"number": receipt["registration_number"], "code": receipt["check_code"]}
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="booking-status"' in html
    assert receipt["registration_number"] in html and "Технологическое присоединение" in html
    cancelled = client.post(
        "/reviews/status/cancel-booking",
        data={"number": receipt["registration_number"], "code": receipt["check_code"]},
    ).get_data(as_text=True)
    assert "Запись на прием отменена" in cancelled
    slots = client.get(f"/api/v1/centers/KUR/slots?service=connection&date={day.isoformat()}").json
    assert {"start": f"{day.isoformat()}T11:00", "windows_free": 2} in slots
    wrong = client.post("/reviews/status", data={"number": receipt["registration_number"], "code": "ZZZZZZ"})
    assert 'id="booking-status"' not in wrong.get_data(as_text=True)


def test_privacy_export_and_erase_find_a_bookings_contact(client, org, runner):
    receipt = client.post("/api/v1/centers/KUR/bookings", json=api_body(working_day_ahead())).json
    exported = runner.invoke(args=["privacy", "export", "--phone", "+7 903 111 22 33"])
    assert exported.exit_code == 0, exported.output
    data = json.loads(exported.output)
    assert [c["purpose"] for c in data["contacts"]] == ["booking"] and data["contacts"][0]["name"] == "Мария"
    assert [b["registration_number"] for b in data["bookings"]] == [receipt["registration_number"]]
    erased = runner.invoke(args=["privacy", "erase", "--phone", "89031112233", "--yes"])
    assert erased.exit_code == 0, erased.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 0
    booking = db.session.scalar(select(Booking))
    assert booking.contact_id is None and booking.status == "booked"


def test_services_are_data_not_code(org):
    """A centre offering only what it is linked to: an unlinked service has no slots."""
    with write_transaction():
        db.session.add(Service(code="repair", name="Ремонт", duration_minutes=45))
    from app.booking.services import BookingError

    with pytest.raises(BookingError):
        free_slots(find_center("KUR"), "repair", THURSDAY, MORNING_UTC)


def test_a_cross_site_form_is_not_taken_for_json(client, org):
    body = json.dumps(api_body(working_day_ahead()))
    reply = client.post("/api/v1/centers/KUR/bookings", data=body, content_type="text/plain")
    assert reply.status_code == 422 and "JSON" in reply.json["message"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0


def test_public_booking_page_service_day_time_then_receipt(client, org):
    day = working_day_ahead()
    assert 'href="/centers/KUR/book"' in client.get("/centers/KUR").get_data(as_text=True)
    page = client.get(f"/centers/KUR/book?service=metering&date={day.isoformat()}").get_data(as_text=True)
    assert f'value="{day.isoformat()}T09:00"' in page and "Учет электроэнергии" in page
    request_id = re.search(r'name="client_request_id" type="hidden" value="([^"]+)"', page).group(1)
    form = {
        "service": "metering",
        "start": f"{day.isoformat()}T09:00",
        "name": "Петр",
        "phone": "+7 900 555-44-33",
        "client_request_id": request_id,
    }
    refused = client.post("/centers/KUR/book", data=form)
    assert refused.status_code == 422 and "согласия" in refused.get_data(as_text=True)
    receipt = client.post("/centers/KUR/book", data={**form, "consent": "y"}).get_data(as_text=True)
    number = re.search(r'id="registration-number">([^<]+)<', receipt).group(1)
    code = re.search(r'id="check-code">([^<]+)<', receipt).group(1)
    assert lookup_booking(number, code).service.code == "metering"
    again = client.post("/centers/KUR/book", data={**form, "consent": "y"}).get_data(as_text=True)
    assert number in again  # a resent form gets the same receipt, not a second booking
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    holiday = client.get("/centers/KUR/book?service=metering&date=2026-12-31").get_data(as_text=True)
    assert 'id="no-slots"' in holiday
