"""Registration numbers stay unique and gap-free when many requests arrive at once."""

from __future__ import annotations

import re
import threading
import uuid

from sqlalchemy import select

from app.extensions import db
from app.reviews.models import RegistrationCounter, ReviewEntry

THREADS = 8
PER_THREAD = 6


def test_registration_numbers_unique_under_concurrency(app, org):
    """Threads, each with its own app context and DB session, post entries for two centres at once."""
    numbers: list[str] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def worker(index: int) -> None:
        with app.app_context():
            client = app.test_client()
            start.wait()
            for n in range(PER_THREAD):
                center = "KUR" if n % 2 == 0 else "BEL"
                response = client.post(
                    f"/reviews/{center}/new",
                    data={
                        "step": "entry",
                        "entry_type": "question",
                        "topic": "connection",
                        "wants_answer": "no",
                        "text": f"Вопрос {index}-{n} {uuid.uuid4().hex}",
                        "client_submission_id": str(uuid.uuid4()),
                    },
                )
                html = response.get_data(as_text=True)
                match = re.search(r'id="registration-number">([^<]+)<', html)
                with lock:
                    if response.status_code != 200 or match is None:
                        failures.append(f"{response.status_code}: {html[:300]}")
                    else:
                        numbers.append(match.group(1))
            db.session.remove()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures[:3]
    total = THREADS * PER_THREAD
    assert len(numbers) == total and len(set(numbers)) == total
    db.session.expire_all()
    stored = db.session.scalars(select(ReviewEntry.registration_number)).all()
    assert sorted(stored) == sorted(numbers)
    for center in ("KUR", "BEL"):
        sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers if n.startswith(center + "-"))
        assert sequences == list(range(1, total // 2 + 1)), center
    assert len(db.session.scalars(select(RegistrationCounter)).all()) == 2
