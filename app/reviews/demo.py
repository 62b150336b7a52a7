"""Demo review-book entries: a few dozen across centres, some answered and published (idempotent)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable

from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.reviews.models import ReviewEntry
from app.reviews.services import ContactInput, EntryInput, ReviewError, find_center, moderate, submit_entry

CENTRES = ("KUR", "BEL", "BRN", "VRN", "LIS", "GUB")
SAMPLES = [
    ("gratitude", "connection", "Спасибо сотруднику за подробную консультацию по технологическому присоединению дачи."),
    ("complaint", "metering", "Третий раз прихожу по поводу замены счетчика, а заявка так и не исполнена."),
    ("suggestion", "other", "Сделайте, пожалуйста, электронную очередь с уведомлением по SMS."),
    ("question", "transmission", "Кто отвечает за ремонт линии на нашей улице после урагана?"),
    ("complaint", "quality", "В вечерние часы напряжение падает, лампы мигают, техника отключается."),
    ("gratitude", "metering", "Быстро заменили прибор учета, все объяснили. Спасибо!"),
    ("suggestion", "connection", "Добавьте на сайт калькулятор стоимости присоединения."),
    ("question", "metering", "Как передать показания, если сайт не открывается?"),
    ("complaint", "other", "В зале ожидания душно и мало мест, пришлось стоять около часа."),
    ("gratitude", "transmission", "Аварийная бригада приехала ночью и быстро восстановила свет. Благодарим!"),
    ("suggestion", "quality", "Публикуйте график плановых отключений заранее в мессенджерах."),
    ("question", "connection", "Какие документы нужны для присоединения гаража?"),
]
ANSWERS = {
    "complaint": (
        "Приносим извинения. Обращение рассмотрено, сроки исполнения заявки взяты на контроль руководителем ЦОК."
    ),
    "suggestion": "Спасибо за предложение! Мы передали его в службу клиентского сервиса, оно будет рассмотрено.",
    "gratitude": "Благодарим за добрые слова! Ваш отзыв передан сотрудникам.",
    "question": "Ответ направлен: порядок действий опубликован на сайте компании в разделе «Потребителям».",
}


def seed(log: Callable[[str], None] = print) -> None:
    from app.appeals.services import answer

    if db.session.scalar(select(func.count()).select_from(ReviewEntry)):
        log("Книга отзывов: записи уже есть, пропускаю.")
        return
    rng = random.Random(20260501)
    created = published = answered = 0
    for center_code in CENTRES:
        if find_center(center_code) is None:
            continue
        for index, (entry_type, topic, text) in enumerate(rng.sample(SAMPLES, 6)):
            publish = index % 3 != 2
            wants = index % 4 == 0
            contact = (
                ContactInput(name="Демо клиент", email=f"demo{index}@example.test", consent=True) if wants else None
            )
            try:
                entry = submit_entry(
                    EntryInput(
                        center_code=center_code,
                        entry_type=entry_type,
                        topic_code=topic,
                        text=text,
                        publish_consent=publish,
                        wants_answer=wants,
                        contact=contact,
                        client_submission_id=str(uuid.uuid4()),
                    )
                ).entry
            except ReviewError as exc:
                log(f"Книга отзывов: пропущена демо-запись ({exc}).")
                continue
            created += 1
            if index % 2 == 0 or entry_type == "gratitude":
                appeal = db.session.get(Appeal, entry.appeal_id)
                assert appeal is not None  # submit_entry creates the entry's appeal
                answer(appeal, ANSWERS[entry_type], None)
                answered += 1
            if publish and index % 5 != 4:
                moderate(entry, "publish", None)
                published += 1
    log(f"Книга отзывов: записей {created}, с ответом {answered}, опубликовано {published}.")
