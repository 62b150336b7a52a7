"""Nothing lost: the real app under gunicorn (4 workers), 100 concurrent clients, retries and SIGKILLs.

Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL. Bounded: a few seconds of load per test,
loopback only. Invariants: zero 5xx; every acknowledged ``client_submission_id`` is stored exactly
once; without crashes the stored rows are exactly the acknowledged ones.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
import uuid

import aiohttp
import pytest
from sqlalchemy import create_engine, func, select, text

from app import create_app
from app.extensions import db
from app.reviews.models import ReviewEntry
from app.surveys.models import Response
from tests.conftest import BASE_CONFIG, migrate_to_head
from tests.serverutil import GunicornServer

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KIOSK_TOKEN = "durability-kiosk-token-0123456789abcdef"
HEADERS = {"review": {"X-Kiosk-Token": KIOSK_TOKEN}, "response": None}  # the device token, never in a URL
MIN_POSTS = 5  # per client, whatever the load (see client_loop)
CLIENTS = 100
CENTRES = ["KUR", "LGV", "OBO", "SHCH", "ZHEL"]


def prepare(database_url: str) -> None:
    """Migrate an empty database and load the tree, the published survey and a kiosk, as in production."""
    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    migrate_to_head(app)
    with app.app_context():
        from app.demo import seed_org_tree, seed_topics
        from app.kiosk.services import register_kiosk
        from app.org.services import find_center
        from app.surveys.demo import seed_main_survey

        seed_topics()
        seed_org_tree()
        seed_main_survey()
        register_kiosk(find_center("KUR").id, "Киоск для нагрузочного теста", token=KIOSK_TOKEN)
        db.session.remove()
        db.engine.dispose()


def stored_ids(database_url: str) -> tuple[list[str], list[str]]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        responses = list(connection.execute(select(Response.client_submission_id)).scalars())
        reviews = list(connection.execute(select(ReviewEntry.client_submission_id)).scalars())
    engine.dispose()
    return responses, reviews


def response_body(rng: random.Random) -> dict:
    overall = rng.randint(3, 5)  # ≥ 3: no follow-up question is required
    return {
        "client_submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "center": rng.choice(CENTRES),
        "channel": "online",
        "answers": {"overall": overall, "nps": rng.randint(0, 10), "wait": rng.randint(1, 5)},
    }


def review_body(rng: random.Random) -> dict:
    return {
        "client_submission_id": str(uuid.UUID(int=rng.getrandbits(128))),
        "entry_type": "suggestion",
        "topic": "other",
        "text": f"Предложение номер {rng.getrandbits(64)}: добавить стулья в зале.",
        "publish_consent": False,
        "wants_answer": False,
    }


class Ledger:
    """What the clients were told: acknowledged ids per kind, and every 5xx."""

    def __init__(self) -> None:
        self.acknowledged = {"response": set(), "review": set()}
        self.server_errors: list[tuple[int, str]] = []
        self.posts = 0
        self.retries = 0


async def client_loop(
    index: int, base_url: str, until: float, ledger: Ledger, seed: int, tolerate_disconnects: bool
) -> None:
    """Post new submissions; re-post some with the same id (kiosk retries); keep failed ones to resend.

    Each client posts at least MIN_POSTS times even when a loaded machine makes the period pass first,
    so the retries the assertions count happen however slow the server is."""
    rng = random.Random(seed * 1000 + index)
    pending: list[tuple[str, dict]] = []
    first = True
    posted = 0
    timeout = aiohttp.ClientTimeout(total=20)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        while time.monotonic() < until or posted < MIN_POSTS:
            posted += 1
            if pending and rng.random() < 0.5:
                kind, body = pending.pop()
                ledger.retries += 1
            elif rng.random() < 0.3:
                kind, body = "review", review_body(rng)
            else:
                kind, body = "response", response_body(rng)
            url = f"{base_url}/kiosk/reviews" if kind == "review" else f"{base_url}/api/v1/surveys/visit-csat/responses"
            ledger.posts += 1
            try:
                async with session.post(url, json=body, headers=HEADERS[kind]) as reply:
                    status = reply.status
                    await reply.read()
            except (aiohttp.ClientError, TimeoutError):
                if not tolerate_disconnects:
                    raise
                pending.append((kind, body))  # not acknowledged: the kiosk keeps it and sends again
                await asyncio.sleep(0.05)
                continue
            if status >= 500:
                ledger.server_errors.append((status, kind))
                pending.append((kind, body))
            elif status in (200, 201):
                ledger.acknowledged[kind].add(body["client_submission_id"])
                if first or rng.random() < 0.2:
                    pending.append((kind, body))  # a retry of something already acknowledged
                first = False
            else:
                raise AssertionError(f"unexpected {status} for {kind}: {body}")
        # Drain: everything still pending is sent until acknowledged (bounded).
        for kind, body in pending:
            url = f"{base_url}/kiosk/reviews" if kind == "review" else f"{base_url}/api/v1/surveys/visit-csat/responses"
            for _attempt in range(50):
                try:
                    async with session.post(url, json=body, headers=HEADERS[kind]) as reply:
                        if reply.status in (200, 201):
                            ledger.acknowledged[kind].add(body["client_submission_id"])
                            break
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.2)


def run_clients(base_url: str, seconds: float, ledger: Ledger, seed: int, tolerate_disconnects: bool) -> None:
    """Run the clients' event loop in a thread of its own (the browser tests keep one in the main thread)."""
    until = time.monotonic() + seconds
    failure: list[BaseException] = []

    async def main() -> None:
        await asyncio.gather(
            *(client_loop(i, base_url, until, ledger, seed, tolerate_disconnects) for i in range(CLIENTS))
        )

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def test_concurrent_clients_lose_and_duplicate_nothing(fresh_database_url, tmp_path):
    prepare(fresh_database_url)
    server = GunicornServer(fresh_database_url, workers=4, log_path=tmp_path / "gunicorn.log").start()
    ledger = Ledger()
    try:
        run_clients(server.url, seconds=4, ledger=ledger, seed=1, tolerate_disconnects=False)
    finally:
        server.stop()
    responses, reviews = stored_ids(fresh_database_url)
    assert ledger.server_errors == []
    assert ledger.retries > 0 and len(ledger.acknowledged["review"]) > 0
    assert len(responses) == len(set(responses)) and len(reviews) == len(set(reviews))
    assert set(responses) == ledger.acknowledged["response"]
    assert set(reviews) == ledger.acknowledged["review"]
    print(f"posts={ledger.posts} retries={ledger.retries} stored={len(responses)}+{len(reviews)}")


def test_sigkill_under_load_loses_no_acknowledged_submission(fresh_database_url, tmp_path):
    prepare(fresh_database_url)
    server = GunicornServer(fresh_database_url, workers=4, log_path=tmp_path / "gunicorn.log").start()
    ledger = Ledger()
    load = threading.Thread(target=run_clients, args=(server.url, 9, ledger, 2, True))
    load.start()
    rng = random.Random(7)
    try:
        for _crash in range(3):
            time.sleep(rng.uniform(0.8, 2.0))
            server.kill()  # master and workers die mid-request
            server.start()  # same port: the clients reconnect and resend what was not acknowledged
        load.join(timeout=120)
    finally:
        server.stop()
    assert not load.is_alive()
    responses, reviews = stored_ids(fresh_database_url)
    assert len(responses) == len(set(responses)) and len(reviews) == len(set(reviews))
    assert ledger.acknowledged["response"] <= set(responses)
    assert ledger.acknowledged["review"] <= set(reviews)
    assert ledger.acknowledged["response"], "the load produced no acknowledged response"
    if fresh_database_url.startswith("sqlite"):
        engine = create_engine(fresh_database_url)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            assert connection.execute(select(func.count()).select_from(Response)).scalar() == len(responses)
        engine.dispose()
