"""Analysis pages and corrective actions: roles, scope, report rendering, action workflow and effect."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.analysis import actions
from app.analysis.models import ActionTemplate, CorrectiveAction
from app.extensions import db
from app.models import AuditEvent
from app.org.services import find_org
from tests.integration.test_analysis_report import (
    Q3,
    SMALL_DEFINITION,
    add_responses,
    centers,
    make_survey,
    ratings,
    visit_csat_definition,
)


@pytest.fixture
def data(org):
    from app.surveys.synthetic import generate_responses

    version = make_survey(visit_csat_definition())
    generate_responses(version, centers("SHCH", "LGV", "KUR"), *Q3, n=900, seed=3, weak_center_code="LGV")
    generate_responses(version, centers("OBO"), *Q3, n=5, seed=4, weak_center_code=None)
    return version


def test_operator_is_refused(make_user, login, client, data):
    login(make_user("operator"))
    assert client.get("/analysis/").status_code == 403
    assert client.get("/analysis/actions").status_code == 403
    assert client.get("/analysis/report.json?survey=visit-csat&period=2026Q3").status_code == 403


def test_anonymous_is_sent_to_login(client, data):
    response = client.get("/analysis/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_manager_sees_the_report(make_user, login, client, data):
    login(make_user("manager", scope="MRSK"))
    page = client.get("/analysis/?survey=visit-csat&period=2026Q3")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Льгов" in html and 'class="low-n"' in html  # OBO has 5 answers
    assert "Создать мероприятие" in html and "report.json" in html
    body = client.get("/analysis/report.json?survey=visit-csat&period=2026Q3").get_json()
    assert body["n_responses"] == 905
    # The 5-answer centre is ranked on shrunken estimates; the table shows the bottom-fifth chance.
    assert "Вероятность быть в нижней пятой части" in html
    ranking = {r["code"]: r for r in body["ranking"]["centers"]}
    assert ranking["OBO"]["rank"] is not None and ranking["OBO"]["low_n"]
    assert ranking["LGV"]["rank"] == 4 and ranking["LGV"]["p_bottom"] > 0.5
    assert ranking["LGV"]["index_ci"][0] < ranking["LGV"]["index"] < ranking["LGV"]["index_ci"][1]
    csv_text = client.get("/analysis/report.csv?survey=visit-csat&from=2026-07-01&to=2026-09-30")
    assert csv_text.status_code == 200 and "# ranking" in csv_text.get_data(as_text=True)


def test_marketing_sees_the_report_without_action_buttons(make_user, login, client, data):
    login(make_user("marketing", scope="MRSK"))
    html = client.get("/analysis/?survey=visit-csat&period=2026Q3").get_data(as_text=True)
    assert "Льгов" in html and "Создать мероприятие" not in html
    assert client.post("/analysis/actions/new", data={"center": "LGV"}).status_code == 403


def test_scope_is_limited_to_the_user(make_user, login, client, data):
    login(make_user("manager", scope="KURS"))
    own = client.get("/analysis/report.json?survey=visit-csat&period=2026Q3").get_json()
    assert own["scope"] == "KURS"
    assert client.get("/analysis/report.json?survey=visit-csat&period=2026Q3&scope=BRYA").status_code == 404
    assert client.get("/analysis/report.json?survey=visit-csat&period=2026Q3&scope=MRSK").status_code == 404
    assert client.get("/analysis/report.json?survey=visit-csat&period=2026Q3&scope=LGV").status_code == 200


def test_bad_period_is_explained(make_user, login, client, data):
    login(make_user("manager", scope="MRSK"))
    page = client.get("/analysis/?survey=visit-csat&period=2026Q9")
    assert page.status_code == 200 and "2026Q3" in page.get_data(as_text=True)


def test_recommendation_becomes_an_action(make_user, login, client, data):
    manager = make_user("manager", scope="MRSK")
    login(manager)
    report = client.get("/analysis/report.json?survey=visit-csat&period=2026Q3").get_json()
    rec = report["recommendations"][0]
    response = client.post(
        "/analysis/actions/new",
        data={
            "survey": "visit-csat",
            "center": rec["center"],
            "question": rec["question"],
            "finding": rec["finding"],
            "action": rec["action"],
            "priority": rec["priority"],
            "evidence": json.dumps(rec["evidence"]),
        },
    )
    assert response.status_code == 302
    action = db.session.scalar(select(CorrectiveAction))
    assert action.owner.code == rec["center"] and action.metric == rec["question"] and action.status == "planned"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "analysis.action.create"))
    assert client.get(f"/analysis/actions/{action.id}").status_code == 200
    assert rec["finding"][:20] in client.get("/analysis/actions").get_data(as_text=True) or action.title[
        :20
    ] in client.get("/analysis/actions").get_data(as_text=True)
    client.post(f"/analysis/actions/{action.id}/status", data={"status": "in_progress", "on": "2026-10-01"})
    db.session.refresh(action)
    assert action.status == "in_progress" and action.started_on == date(2026, 10, 1)


def test_action_outside_scope_is_404(make_user, login, client, data):
    action = actions.create_action(title="Проверка", owner=find_org("BRN"), metric="wait", survey_slug="visit-csat")
    login(make_user("manager", scope="KURS"))
    assert client.get(f"/analysis/actions/{action.id}").status_code == 404
    assert client.post(f"/analysis/actions/{action.id}/status", data={"status": "done"}).status_code == 404
    assert (
        client.post("/analysis/actions/new", data={"center": "BRN", "question": "wait", "action": "x"}).status_code
        == 404
    )


def test_effect_of_a_done_action(org):
    # The effect is a difference-in-differences against the other centres (tests/integration/
    # test_action_effect.py covers it fully). LGV: June 30 % top-2-box on wait → September 70 %;
    # KUR (the comparison): 30 % → 0 %.
    version = make_survey(SMALL_DEFINITION)
    add_responses(version, "LGV", datetime(2026, 6, 15, 9), ratings(wait={5: 15, 4: 15, 2: 70}))
    add_responses(version, "LGV", datetime(2026, 9, 15, 9), ratings(wait={5: 40, 4: 30, 2: 30}))
    add_responses(version, "KUR", datetime(2026, 6, 15, 9), ratings(wait={5: 15, 4: 15, 2: 70}))
    add_responses(version, "KUR", datetime(2026, 9, 15, 9), ratings(wait={1: 100}))
    action = actions.create_action(
        title="Электронная очередь", owner=find_org("LGV"), metric="wait", survey_slug="mini"
    )
    assert actions.evaluate_effect(action)["evaluated"] is False
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    actions.set_status(action, "done", date(2026, 8, 1))
    effect = actions.evaluate_effect(action, today=date(2026, 12, 31))
    assert effect["evaluated"] is True and effect["method"] == "difference_in_differences"
    assert (effect["before"]["from"], effect["before"]["to"]) == ("2026-04-02", "2026-06-30")
    assert effect["before"]["center"] == {"n": 100, "value": pytest.approx(0.3)}
    assert effect["after"]["center"] == {"n": 100, "value": pytest.approx(0.7)}
    assert effect["comparison_centers"] == ["KUR"] and effect["estimate"] == pytest.approx(0.7)
    assert effect["verdict"] == "improved" and effect["significant"] is True and effect["direction"] == "up"
    with pytest.raises(actions.ActionError):
        actions.set_status(action, "planned")
    report_actions = (
        __import__("app.analysis.report", fromlist=["build_report"]).build_report("mini", *Q3, scope="LGV").actions
    )
    assert report_actions[0].effect["evaluated"] is True


def test_catalogue_edits_change_the_action_text(org):
    from app.analysis.recommend import DEFAULT_ACTIONS, catalogue
    from app.database import write_transaction

    assert catalogue()["wait"] == DEFAULT_ACTIONS["wait"]  # defaults when the table is empty
    with write_transaction():
        db.session.add(ActionTemplate(target="wait", text_ru="Открыть дополнительное окно"))
    assert catalogue()["wait"] == "Открыть дополнительное окно"


def test_demo_seed_is_idempotent(org):
    from app.analysis.demo import seed

    seed(lambda _m: None)
    seed(lambda _m: None)
    targets = list(db.session.scalars(select(ActionTemplate.target)))
    assert len(targets) == len(set(targets)) and "wait" in targets and "topic:metering" in targets
