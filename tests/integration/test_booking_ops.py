"""Booking operations: the operators' day list and marks, closing a day or a window, moving a booking,
reminders by e-mail (local SMTP sink) and SMS (a real HTTP server on 127.0.0.1 recording requests)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import uuid
from datetime import date, datetime, time, timedelta
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.booking.hours import local_now
from app.booking.models import Booking, BookingClosure, BookingUnit, CentreWindow
from app.booking.notify import remind
from app.booking.operations import close, mark
from app.booking.services import (
    BookingError,
    BookingRequest,
    SlotGone,
    book,
    cancel,
    free_slots,
    lookup_booking,
    move,
)
from app.database import write_transaction
from app.errors import Conflict
from app.extensions import db
from app.models import AuditEvent, Contact, utcnow
from app.org.services import find_center
from tests.conftest import PG_URL
from tests.integration.test_booking import working_day_ahead

# Thursday 10 December 2026, 07:00 UTC = 10:00 in Moscow (the demo centres' timezone).
MORNING_UTC = datetime(2026, 12, 10, 7, 0)
THURSDAY = date(2026, 12, 10)
FRIDAY = date(2026, 12, 11)
PUBLIC = "https://otklik.example.test"


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock))


def booked(service: str, start: datetime, phone: str = "+7 916 123-45-67", name: str = "Иван", now=MORNING_UTC):
    data = BookingRequest(service=service, start=start, name=name, phone=phone, client_request_id=str(uuid.uuid4()))
    receipt = book(find_center("KUR"), data, now)
    return db.session.scalar(select(Booking).where(Booking.registration_number == receipt.registration_number))


def units_of(booking: Booking) -> list[tuple[int, datetime]]:
    return sorted(
        db.session.execute(
            select(BookingUnit.window_id, BookingUnit.unit_start).where(BookingUnit.booking_id == booking.id)
        ).all()
    )


def starts(day: date, service: str = "connection") -> dict[str, int]:
    return {s["start"][11:]: s["windows_free"] for s in free_slots(find_center("KUR"), service, day, MORNING_UTC)}


# --- a real SMS gateway and mail server ------------------------------------------------------------------


class Gateway:
    """An HTTP server on 127.0.0.1 that records each request's query and Authorization header."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[dict] = []
        self.status = status
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # http.server hook name
                query = parse_qs(urlsplit(self.path).query)
                gateway.requests.append(
                    {
                        "to": query["to"][0],
                        "text": query["text"][0],
                        "auth": self.headers.get("Authorization"),
                    }
                )
                self.send_response(gateway.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):  # keep the test output quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/send?to={{phone}}&text={{text}}"

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class Sink:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd hook name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


@pytest.fixture
def gateway(app):
    with Gateway() as running:
        app.config.update(SMS_GATEWAY_URL=running.url, SMS_GATEWAY_TOKEN="secret-token", PUBLIC_BASE_URL=PUBLIC)
        yield running


@pytest.fixture
def smtp_sink(app):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=port, MAIL_FROM="otklik@example.test", PUBLIC_BASE_URL=PUBLIC)
    yield sink
    controller.stop()


# --- closing a day or a window ---------------------------------------------------------------------------


def test_closing_a_day_cancels_its_bookings_and_its_slots_disappear(org, make_user):
    manager = make_user("manager")
    morning, afternoon = booked("connection", at(THURSDAY, "11:00")), booked("metering", at(THURSDAY, "15:00"))
    next_day = booked("connection", at(FRIDAY, "11:00"))
    assert starts(THURSDAY)
    result = close(find_center("KUR"), THURSDAY, None, "Плановое отключение электроэнергии", manager, MORNING_UTC)
    assert [c.registration_number for c in result.cancelled] == [
        morning.registration_number,
        afternoon.registration_number,
    ]
    assert [(c.name, c.phone, c.start_at) for c in result.cancelled][0] == (
        "Иван",
        "+7 916 123-45-67",
        at(THURSDAY, "11:00"),
    )
    db.session.expire_all()
    for booking in (morning, afternoon):
        assert booking.status == "cancelled" and booking.cancelled_by == "centre"
        assert booking.cancel_reason == "Плановое отключение электроэнергии" and not units_of(booking)
    assert next_day.status == "booked" and units_of(next_day)
    assert starts(THURSDAY) == {} and starts(FRIDAY)
    with pytest.raises(SlotGone, match="не ведет прием"):
        booked("consultation", at(THURSDAY, "16:00"))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booking.close"))
    assert event.details["cancelled"] == 2 and "Иван" not in str(event.details) + event.summary


def test_closing_one_window_keeps_the_other(org, make_user):
    first, second = booked("connection", at(THURSDAY, "11:00")), booked("connection", at(THURSDAY, "11:00"))
    assert (first.window.number, second.window.number) == (1, 2)
    close(find_center("KUR"), THURSDAY, 1, "Окно 1 на ремонте", make_user("manager"), MORNING_UTC)
    db.session.expire_all()
    assert (first.status, second.status) == ("cancelled", "booked")
    free = starts(THURSDAY)
    assert free and max(free.values()) == 1 and "11:00" not in free  # window 2 is taken at 11:00
    later = booked("consultation", at(THURSDAY, "12:00"))
    assert later.window.number == 2


def test_close_refuses_bad_input_and_changes_nothing(org, make_user):
    manager = make_user("manager")
    centre = find_center("KUR")
    booking = booked("connection", at(THURSDAY, "11:00"))
    refusals = [
        ((THURSDAY, None, "  "), BookingError, "причину"),
        ((THURSDAY, None, "х" * 301), BookingError, "причину"),
        ((THURSDAY - timedelta(days=1), None, "Отключение"), BookingError, "сегодняшний или будущий"),
        ((THURSDAY, 7, "Отключение"), BookingError, "нет такого окна"),
    ]
    for (day, window, reason), error, fragment in refusals:
        with pytest.raises(error, match=fragment):
            close(centre, day, window, reason, manager, MORNING_UTC)
    close(centre, THURSDAY, 2, "Окно 2 на ремонте", manager, MORNING_UTC)
    with pytest.raises(Conflict, match="уже закрыто"):
        close(centre, THURSDAY, 2, "Еще раз", manager, MORNING_UTC)
    close(centre, FRIDAY, None, "Санитарный день", manager, MORNING_UTC)
    with pytest.raises(Conflict, match="уже закрыт"):
        close(centre, FRIDAY, 1, "Окно тоже", manager, MORNING_UTC)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(BookingClosure)) == 2
    assert booking.status == "booked" and len(units_of(booking)) == 6  # it was in window 1, still open


def test_a_failure_inside_the_closing_transaction_leaves_everything_as_it_was(org):
    """The closure's insert fails in the database (its author does not exist): nothing is cancelled."""
    from app.models import User

    booking = booked("connection", at(THURSDAY, "11:00"))
    before = units_of(booking)
    ghost = User(id=10**6, email="ghost@example.test")
    with pytest.raises(IntegrityError):
        close(find_center("KUR"), THURSDAY, None, "Отключение", ghost, MORNING_UTC)
    db.session.rollback()
    db.session.expire_all()
    assert booking.status == "booked" and booking.cancel_reason == "" and units_of(booking) == before
    assert db.session.scalar(select(func.count()).select_from(BookingClosure)) == 0
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "booking.close")) == 0
    assert starts(THURSDAY)


def test_close_page_lists_the_cancelled_for_calls_and_texts_them(client, org, make_user, login, gateway):
    day = working_day_ahead()
    receipt = client.post(
        "/api/v1/centers/KUR/bookings",
        json={
            "service": "connection",
            "start": f"{day.isoformat()}T10:00",
            "name": "Мария",
            "phone": "8 (903) 111-22-33",
            "consent": True,
            "client_request_id": str(uuid.uuid4()),
        },
    ).json
    login(make_user("operator", scope="KUR"))
    assert client.get("/booking/close").status_code == 403
    client.post("/logout")
    login(make_user("manager", scope="ORL"))
    foreign = client.post("/booking/close", data={"center": "KUR", "day": day.isoformat(), "reason": "Отключение"})
    assert foreign.status_code == 404 and not gateway.requests
    client.post("/logout")
    login(make_user("manager"))
    assert "Закрыть день или окно" in client.get("/booking/close?center=KUR").get_data(as_text=True)
    page = client.post("/booking/close", data={"center": "KUR", "day": day.isoformat(), "reason": "Отключение"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="close-result"' in html
    assert "Мария" in html and "8 (903) 111-22-33" in html and receipt["registration_number"] in html
    assert [r["to"] for r in gateway.requests] == ["+79031112233"]
    assert gateway.requests[0]["auth"] == "Bearer secret-token"
    assert receipt["registration_number"] in gateway.requests[0]["text"] and "Отключение" in gateway.requests[0]["text"]
    again = client.post("/booking/close", data={"center": "KUR", "day": day.isoformat(), "reason": "Отключение"})
    assert again.status_code == 409 and "уже закрыт" in again.get_data(as_text=True)
    status = client.post(
        "/reviews/status", data={"number": receipt["registration_number"], "code": receipt["check_code"]}
    ).get_data(as_text=True)
    assert "Запись отменена" in status and "Причина отмены: Отключение" in status


# --- the operators' day list -----------------------------------------------------------------------------


def planted(center_code: str, start: datetime, name: str, phone: str, window_number: int = 1) -> Booking:
    """A booking row written directly (any time of the real today, whatever the centre's hours)."""
    centre = find_center(center_code)
    with write_transaction():
        window = db.session.scalar(
            select(CentreWindow).where(CentreWindow.center_id == centre.id, CentreWindow.number == window_number)
        )
        contact = Contact(name=name, phone=phone, purpose="booking", consent_version="booking-2026-12")
        db.session.add(contact)
        db.session.flush()
        booking = Booking(
            registration_number=f"{center_code}-2026-{900000 + contact.id:06d}",
            client_request_id=str(uuid.uuid4()),
            request_hash="x",
            center_id=centre.id,
            service_id=1,
            window_id=window.id,
            start_at=start,
            duration_minutes=30,
            contact_id=contact.id,
        )
        db.session.add(booking)
    return booking


def test_operators_day_list_and_marks(client, org, make_user, login):
    centre = find_center("KUR")
    now = local_now(centre.timezone, utcnow())
    today = now.date()
    earlier = planted("KUR", datetime.combine(today, time(0, 0)), "Ольга Ранняя", "+7 900 000-00-01")
    later = planted("KUR", datetime.combine(today, time(23, 55)), "Петр Поздний", "+7 900 000-00-02", 2)
    tomorrow = planted("KUR", datetime.combine(today + timedelta(days=1), time(10, 0)), "Завтра", "+7 900 000-00-03")
    elsewhere = planted("ORL", datetime.combine(today, time(0, 0)), "Чужой", "+7 900 000-00-04")
    login(make_user("operator", scope="KUR"))
    nav = client.get("/dashboard").get_data(as_text=True)
    assert 'href="/booking/day"' in nav
    page = client.get("/booking/day").get_data(as_text=True)
    assert "Ольга Ранняя" in page and "+7 900 000-00-02" in page and "Чужой" not in page
    assert page.index('id="window-1"') < page.index("Ольга Ранняя") < page.index('id="window-2"')
    assert page.index('id="window-2"') < page.index("Петр Поздний")
    assert f'action="/booking/{later.id}/mark"' in page
    client.post(f"/booking/{earlier.id}/mark", data={"outcome": "no_show"})
    client.post(f"/booking/{later.id}/mark", data={"outcome": "arrived"})
    refused_early = client.post(f"/booking/{later.id}/mark", data={"outcome": "no_show"}, follow_redirects=True)
    assert "только после начала" in refused_early.get_data(as_text=True)
    refused_day = client.post(f"/booking/{tomorrow.id}/mark", data={"outcome": "arrived"}, follow_redirects=True)
    assert "только записи сегодняшнего дня" in refused_day.get_data(as_text=True)
    assert client.post(f"/booking/{elsewhere.id}/mark", data={"outcome": "arrived"}).status_code == 404
    db.session.expire_all()
    assert (earlier.status, later.status, tomorrow.status, elsewhere.status) == (
        "no_show",
        "arrived",
        "booked",
        "booked",
    )
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("booking.%"))).all()
    assert sorted(events) == ["booking.arrived", "booking.no_show"]


def test_marks_refuse_cancelled_and_unknown_outcomes(org, make_user):
    operator = make_user("operator", scope="KUR")
    booking = booked("connection", at(THURSDAY, "09:00"), now=datetime(2026, 12, 10, 5, 0))
    with pytest.raises(BookingError, match="Неизвестная"):
        mark(booking, "late", operator, MORNING_UTC)
    mark(booking, "arrived", operator, MORNING_UTC)
    mark(booking, "no_show", operator, MORNING_UTC)  # a mistaken mark is switched
    assert booking.status == "no_show"
    cancelled = booked("connection", at(THURSDAY, "11:00"))
    cancel(cancelled)
    with pytest.raises(Conflict):
        mark(cancelled, "arrived", operator, MORNING_UTC)


# --- moving ----------------------------------------------------------------------------------------------


def test_move_to_an_overlapping_time_keeps_number_and_code(org):
    booking = booked("connection", at(THURSDAY, "11:00"))
    number = booking.registration_number
    move(booking, at(THURSDAY, "11:15"), MORNING_UTC)
    db.session.expire_all()
    assert booking.start_at == at(THURSDAY, "11:15") and booking.registration_number == number
    assert [u for _w, u in units_of(booking)] == [at(THURSDAY, "11:15") + timedelta(minutes=5 * i) for i in range(6)]
    assert starts(THURSDAY, "consultation")["11:00"] == 2  # the old time is free again


def test_move_into_a_taken_time_changes_nothing(org, make_user):
    booking = booked("connection", at(THURSDAY, "11:00"))
    booked("connection", at(THURSDAY, "15:00"))
    booked("connection", at(THURSDAY, "15:00"))
    before = units_of(booking)
    with pytest.raises(SlotGone, match="осталась прежней"):
        move(booking, at(THURSDAY, "15:10"), MORNING_UTC)
    db.session.expire_all()
    assert booking.start_at == at(THURSDAY, "11:00") and units_of(booking) == before
    with pytest.raises(BookingError, match="прием по этой услуге"):
        move(booking, at(THURSDAY, "13:00"), MORNING_UTC)  # the break
    close(find_center("KUR"), FRIDAY, None, "Санитарный день", make_user("manager"), MORNING_UTC)
    with pytest.raises(SlotGone, match="не ведет прием"):
        move(booking, at(FRIDAY, "11:00"), MORNING_UTC)
    db.session.expire_all()
    assert units_of(booking) == before


def cancelled_elsewhere(booking: Booking) -> None:
    """Cancel the booking on another connection, as a manager's closure in another request would: the
    session's copy still says «booked»."""
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM booking_unit WHERE booking_id = :id"), {"id": booking.id})
        connection.execute(text("UPDATE booking SET status = 'cancelled' WHERE id = :id"), {"id": booking.id})
    assert booking.status == "booked"  # the stale copy


def test_a_move_or_mark_on_a_stale_copy_does_not_bring_a_cancelled_booking_back(org, make_user):
    booking = booked("connection", at(THURSDAY, "11:00"))
    cancelled_elsewhere(booking)
    with pytest.raises(BookingError, match="не действует"):
        move(booking, at(THURSDAY, "15:00"), MORNING_UTC)
    db.session.expire_all()
    assert booking.status == "cancelled" and units_of(booking) == []
    assert starts(THURSDAY)["15:00"] == 2  # nobody holds the time the move asked for
    today = booked("connection", at(THURSDAY, "09:00"), now=datetime(2026, 12, 10, 5, 0))
    cancelled_elsewhere(today)
    with pytest.raises(Conflict):
        mark(today, "arrived", make_user("operator", scope="KUR"), MORNING_UTC)
    db.session.expire_all()
    assert today.status == "cancelled"


def test_status_page_moves_a_booking(client, org):
    day = working_day_ahead()
    receipt = client.post(
        "/api/v1/centers/KUR/bookings",
        json={
            "service": "metering",
            "start": f"{day.isoformat()}T10:00",
            "name": "Мария",
            "phone": "8 (903) 111-22-33",
            "consent": True,
            "client_request_id": str(uuid.uuid4()),
        },
    ).json
    keys = {"number": receipt["registration_number"], "code": receipt["check_code"]}
    found = client.post("/reviews/status", data=keys).get_data(as_text=True)
    assert 'id="move-booking"' in found
    choices = client.post("/reviews/status/move-booking", data={**keys, "date": day.isoformat()})
    html = choices.get_data(as_text=True)
    assert f'value="{day.isoformat()}T10:00"' in html  # its own time counts as free
    moved = client.post(
        "/reviews/status/move-booking", data={**keys, "date": day.isoformat(), "start": f"{day.isoformat()}T14:00"}
    ).get_data(as_text=True)
    assert "Запись перенесена" in moved and f"{day:%d.%m.%Y} 14:00" in moved
    assert lookup_booking(keys["number"], keys["code"]).start_at == datetime.combine(day, time(14, 0))
    bad = client.post("/reviews/status/move-booking", data={**keys, "date": day.isoformat(), "start": "вчера"})
    assert bad.status_code == 422 and "Выберите время из списка" in bad.get_data(as_text=True)
    wrong = client.post("/reviews/status/move-booking", data={**keys, "code": "ZZZZZZ", "date": day.isoformat()})
    assert 'id="booking-status"' not in wrong.get_data(as_text=True)


# --- reminders -------------------------------------------------------------------------------------------


def test_remind_is_quiet_without_channels_and_on_a_day_without_bookings(org, runner):
    booked("connection", at(THURSDAY, "11:00"))
    result = runner.invoke(args=["booking", "remind", "--date", "2026-12-10"])
    assert result.exit_code == 0 and "не настроены" in result.output and "ждут: 1" in result.output
    assert db.session.scalar(select(func.count()).where(Booking.reminded_at.is_not(None))) == 0


def test_remind_sends_sms_and_mail_once_and_logs_no_personal_data(org, runner, gateway, smtp_sink, caplog):
    texted = booked("connection", at(THURSDAY, "11:00"), phone="8 (916) 555-44-33", name="Светлана")
    mailed = booked("metering", at(THURSDAY, "15:00"), phone="+7 900 111-22-33")
    other_day = booked("connection", at(FRIDAY, "11:00"))
    cancelled = booked("consultation", at(THURSDAY, "16:00"))
    cancel(cancelled)
    with write_transaction():
        db.session.get(Contact, mailed.contact_id).email = "client@example.test"
    with caplog.at_level(logging.DEBUG, logger="otklik"):
        first = runner.invoke(args=["booking", "remind", "--date", "2026-12-10"])
        second = runner.invoke(args=["booking", "remind", "--date", "2026-12-10"])
    assert first.exit_code == 0, first.output
    assert "напомнено: 2 (писем: 1, SMS: 2)" in first.output and "напомнено: 0" in second.output
    assert sorted(r["to"] for r in gateway.requests) == ["+79001112233", "+79165554433"]
    sms = next(r["text"] for r in gateway.requests if r["to"] == "+79165554433")
    assert texted.registration_number in sms and "11:00" in sms and "окно 1" in sms
    assert all(r["auth"] == "Bearer secret-token" for r in gateway.requests)
    assert [m[0] for m in smtp_sink.messages] == [["client@example.test"]]
    assert mailed.registration_number in smtp_sink.messages[0][1].get_content()
    db.session.expire_all()
    assert texted.reminded_at and mailed.reminded_at and other_day.reminded_at is None
    assert cancelled.reminded_at is None
    logged = caplog.text
    assert "Светлана" not in logged and "555" not in logged and "client@example" not in logged


def test_remind_defaults_to_tomorrow_and_retries_when_the_gateway_fails(org, app, gateway):
    thursday = booked("connection", at(THURSDAY, "11:00"), now=datetime(2026, 12, 9, 7, 0))
    friday = booked("connection", at(FRIDAY, "11:00"))
    gateway.status = 500
    run = remind(now_utc=datetime(2026, 12, 9, 12, 0))  # Wednesday 15:00 in Moscow: tomorrow is Thursday
    assert (run.due, run.reminded) == (1, 0) and len(gateway.requests) == 1
    db.session.expire_all()
    assert thursday.reminded_at is None  # the claim was released: a later run tries again
    gateway.status = 200
    run = remind(now_utc=datetime(2026, 12, 9, 12, 0))
    assert run.reminded == 1 and friday.reminded_at is None


def test_an_sms_template_that_is_not_http_is_refused(org, app, gateway):
    app.config["SMS_GATEWAY_URL"] = "file:///etc/passwd?{phone}{text}"
    booked("connection", at(THURSDAY, "11:00"))
    assert remind(THURSDAY, MORNING_UTC).reminded == 0 and not gateway.requests


def test_closure_mail_names_the_reason(org, make_user, smtp_sink):
    booking = booked("connection", at(THURSDAY, "11:00"))
    with write_transaction():
        db.session.get(Contact, booking.contact_id).email = "client@example.test"
    result = close(find_center("KUR"), THURSDAY, None, "Авария на подстанции", make_user("manager"), MORNING_UTC)
    assert result.cancelled[0].mailed and not result.cancelled[0].texted
    body = smtp_sink.messages[0][1].get_content()
    assert "Авария на подстанции" in body and re.search(r"/centers/KUR/book", body)


@pytest.mark.skipif(not PG_URL, reason="SQLite serialises writers; the row lock matters on PostgreSQL")
def test_a_booking_that_waits_on_a_closure_in_progress_sees_it(app, org):
    """A closing transaction holds the centre's row; a booking of that day started meanwhile waits for it,
    then reads the committed closure and is refused instead of landing on the closed day."""
    centre_id = find_center("KUR").id
    locked, outcome = threading.Event(), {}

    def book_meanwhile() -> None:
        with app.app_context():
            locked.wait(30)
            try:
                booked("connection", at(THURSDAY, "11:00"))
                outcome["result"] = "booked"
            except SlotGone as exc:
                outcome["result"] = str(exc)
            db.session.remove()

    worker = threading.Thread(target=book_meanwhile)
    worker.start()
    with write_transaction():
        from app.booking.services import hold_centre

        hold_centre(centre_id, exclusive=True)
        locked.set()
        deadline = datetime.now() + timedelta(seconds=30)
        waiting = 0
        while not waiting and worker.is_alive() and datetime.now() < deadline:  # until the booking waits here
            worker.join(0.02)
            waiting = db.session.scalar(
                text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype IN ('tuple', 'transactionid')")
            )
        assert waiting, "the booking never waited on the closing transaction"
        db.session.add(BookingClosure(center_id=centre_id, day=THURSDAY, reason="Отключение"))
    worker.join(30)
    assert "не ведет прием" in outcome["result"]
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 0
