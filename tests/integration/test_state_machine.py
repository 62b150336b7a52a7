"""A hypothesis state machine over submit / retry / conflict / review / answer / publish.

Invariant after every step: what is stored is exactly what was acknowledged — each acknowledged
``client_submission_id`` once, mapped to the id it was acknowledged with, and nothing else.
"""

from __future__ import annotations

import copy
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import func, select

from app.appeals.models import Appeal
from app.extensions import db
from app.reviews.models import ReviewEntry
from app.surveys.models import Response

KIOSK_TOKEN = "state-machine-kiosk-token-0123456789"

answers_strategy = st.fixed_dictionaries(
    {"overall": st.integers(3, 5), "nps": st.integers(0, 10)},
    optional={"wait": st.integers(1, 5), "purpose": st.sampled_from(["connection", "metering", "quality"])},
)


@pytest.fixture
def prepared(org, make_user):
    from app.kiosk.services import register_kiosk
    from app.org.services import find_center
    from app.surveys.demo import seed_main_survey

    seed_main_survey()
    register_kiosk(find_center("KUR").id, "Киоск", token=KIOSK_TOKEN)
    return make_user("operator", scope="KUR")


def test_stored_equals_acknowledged(app, client, prepared):
    operator = prepared

    class Submissions(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.responses: dict[str, tuple[dict, int]] = {}
            self.reviews: dict[str, dict] = {}
            self.base_responses = db.session.scalar(select(func.count(Response.id)))
            self.base_reviews = db.session.scalar(select(func.count(ReviewEntry.id)))

        def _post(self, body: dict):
            return client.post("/api/v1/surveys/visit-csat/responses", json=body)

        @rule(answers=answers_strategy, center=st.sampled_from(["KUR", "LGV", "Обоянь"]))
        def submit(self, answers, center):
            body = {
                "client_submission_id": str(uuid.uuid4()),
                "center": center,
                "channel": "online",
                "answers": answers,
            }
            reply = self._post(body)
            assert reply.status_code == 201, reply.get_json()
            self.responses[body["client_submission_id"]] = (body, reply.get_json()["id"])

        @precondition(lambda self: self.responses)
        @rule(data=st.data())
        def retry(self, data):
            sid = data.draw(st.sampled_from(sorted(self.responses)))
            body, response_id = self.responses[sid]
            reply = self._post(body)
            assert reply.status_code == 200 and reply.get_json()["id"] == response_id

        @precondition(lambda self: self.responses)
        @rule(data=st.data())
        def conflicting_retry(self, data):
            sid = data.draw(st.sampled_from(sorted(self.responses)))
            body = copy.deepcopy(self.responses[sid][0])
            body["answers"]["nps"] = (body["answers"]["nps"] + 1) % 11
            assert self._post(body).status_code == 409

        @rule(overall=st.sampled_from([0, 6, 99, "пять", None]))
        def invalid_submit(self, overall):
            body = {
                "client_submission_id": str(uuid.uuid4()),
                "center": "KUR",
                "channel": "online",
                "answers": {"overall": overall},
            }
            assert self._post(body).status_code == 422

        @rule(text=st.text(alphabet="абвгдежзиклмнопрстуф ", min_size=12, max_size=60).filter(str.strip))
        def review(self, text):
            body = {
                "client_submission_id": str(uuid.uuid4()),
                "entry_type": "complaint",
                "topic": "metering",
                "text": f"{text} {uuid.uuid4().hex[:6]}",
                "publish_consent": False,
                "wants_answer": False,
            }
            reply = client.post("/kiosk/reviews", json=body, headers={"X-Kiosk-Token": KIOSK_TOKEN})
            assert reply.status_code == 201, reply.get_json()
            self.reviews[body["client_submission_id"]] = body
            again = client.post("/kiosk/reviews", json=body, headers={"X-Kiosk-Token": KIOSK_TOKEN})
            assert again.status_code == 200

        @precondition(lambda self: self.reviews)
        @rule()
        def answer_an_appeal(self):
            from app.appeals.services import answer

            appeal = db.session.scalar(select(Appeal).where(Appeal.status == "registered").limit(1))
            if appeal is not None:
                answer(appeal, "Счетчик заменен, перерасчет выполнен.", operator)

        @rule()
        def publish_new_version(self):
            from app.surveys import services

            survey = services.get_survey("visit-csat")
            draft = services.draft_for_edit(survey)
            definition = copy.deepcopy(draft.definition)
            definition["title"]["ru"] = f"Оценка визита в ЦОК (версия {draft.number})"
            services.save_draft(survey, definition)
            services.publish(survey)

        @invariant()
        def stored_is_acknowledged(self):
            db.session.expire_all()
            stored = dict(
                db.session.execute(
                    select(Response.client_submission_id, Response.id).where(
                        Response.client_submission_id.in_(list(self.responses) or ["-"])
                    )
                ).all()
            )
            assert stored == {sid: rid for sid, (_body, rid) in self.responses.items()}
            total = db.session.scalar(select(func.count(Response.id)))
            assert total - self.base_responses == len(self.responses)
            reviews = db.session.scalar(select(func.count(ReviewEntry.id)))
            assert reviews - self.base_reviews == len(self.reviews)

    run_state_machine_as_test(
        Submissions,
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
