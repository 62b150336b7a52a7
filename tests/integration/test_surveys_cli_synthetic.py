"""Synthetic responses have the structure the analysis is meant to find."""

from __future__ import annotations

from datetime import date

import numpy as np
from sqlalchemy import func, select

from app.extensions import db
from app.org.services import centers
from app.surveys import exports, services
from app.surveys.models import Answer, Response
from app.surveys.schema import template
from app.surveys.synthetic import ATTRIBUTES, generate_responses


def test_known_structure(org):
    survey = services.create_survey(template("visit-csat"))
    version = services.publish(survey)
    n = 4000
    assert generate_responses(version, centers(), date(2025, 1, 1), date(2025, 12, 31), n, seed=5) == n
    assert db.session.scalar(select(func.count()).select_from(Response)) == n
    # denormalised answer columns match their response
    mismatched = db.session.scalar(
        select(func.count())
        .select_from(Answer)
        .join(Response, Response.id == Answer.response_id)
        .where(
            (Answer.center_id != Response.center_id)
            | (Answer.submitted_at != Response.submitted_at)
            | (Answer.survey_id != Response.survey_id)
        )
    )
    assert mismatched == 0

    columns = exports.survey_columns(survey)
    names = [c.code for c in columns]
    records = list(exports.iter_records(survey, columns=columns))
    col = {name: 4 + i for i, name in enumerate(names)}
    overall = np.array([r[col["overall"]] for r in records], dtype=float)
    attrs = np.array([[r[col[a]] for a in ATTRIBUTES] for r in records], dtype=float)
    design = np.column_stack([np.ones(len(records)), attrs])
    coef = np.linalg.lstsq(design, overall, rcond=None)[0][1:]
    # weights in the documented order: wait > competence > politeness > clarity > comfort
    assert list(np.argsort(-coef)) == [0, 1, 2, 3, 4], coef

    nps = np.array([r[col["nps"]] for r in records], dtype=float)
    assert np.corrcoef(overall, nps)[0, 1] > 0.6
    wait = {code: [] for code in ("LGV", "other")}
    for r in records:
        wait["LGV" if r[2] == "LGV" else "other"].append(r[col["wait"]])
    assert np.mean(wait["LGV"]) < np.mean(wait["other"]) - 1.0
    quarters = np.array([(r[1].month - 1) // 3 for r in records])
    assert overall[quarters == 3].mean() > overall[quarters == 0].mean()
    low = overall <= 3
    comments = np.array([r[col["why"]] is not None for r in records])
    assert not comments[~low].any()
    assert 0.08 < comments[low].mean() < 0.22
    purposes = {r[col["purpose"]] for r in records}
    assert purposes == {"connection", "transmission", "metering", "quality", "other"}
    # deterministic ids: a second survey with the same seed gets other ids, no clash
    other = services.create_survey({**template("visit-csat"), "slug": "visit-two"})
    generate_responses(services.publish(other), centers()[:3], date(2025, 1, 1), date(2025, 3, 31), 50, seed=5)
    assert db.session.scalar(select(func.count()).select_from(Response)) == n + 50
