"""The themes JSON counted by the database equals an independent count over the stored rows.

The reference below reads every :class:`ProcessedText` with its JSON theme list and counts in Python,
the way the report did before the link table: units (a response's texts together, an appeal), themes per
month, low/high group, centre and branch, and the quotes in their fixed order.
"""

import hashlib
import json
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select

from app.analysis.models import ProcessedText, ProcessedTextTheme, TextTheme
from app.analysis.texts import process_texts, quote_order, seed_dictionary
from app.appeals.services import create_appeal_in_session
from app.config import setting
from app.database import write_transaction
from app.extensions import db
from app.models import Organisation
from app.surveys.models import Answer, Response

pytestmark = pytest.mark.postgres

PERIOD = ["--from", "2026-07-01", "--to", "2026-09-30"]
TEXTS = (
    "Очень долго ждал в очереди, больше часа.",
    "Сотрудник был невежлив, нагрубил.",
    "Счет за электроэнергию выставлен неверно, очередь огромная.",
    "Сайт не работает, записаться нельзя.",
    "Нет парковки у здания.",
    "Все хорошо, спасибо.",
    "Счетчик заменили быстро, спасибо мастеру.",
    "...",
)


def _plant(rng, n):
    """n responses over 2026Q3 in every centre: an overall score, a «why» text, sometimes «Другое»."""
    from app.surveys.demo import seed_main_survey

    seed_dictionary()
    survey, version, centres = seed_main_survey()
    with write_transaction():
        for index in range(n):
            centre = centres[int(rng.integers(0, len(centres)))]
            when = datetime(2026, 6, 30, 21) + timedelta(minutes=int(rng.integers(0, 92 * 24 * 60)))
            response = Response(
                client_submission_id=f"counts-{index}",
                body_hash="x",
                survey_id=survey.id,
                version_id=version.id,
                center_id=centre.id,
                channel="kiosk",
                submitted_at=when,
            )
            db.session.add(response)
            db.session.flush()
            common = {"response_id": response.id, "survey_id": survey.id, "center_id": centre.id, "submitted_at": when}
            if rng.random() < 0.9:
                db.session.add(Answer(question_code="overall", value_num=float(rng.integers(1, 6)), **common))
            db.session.add(Answer(question_code="why", text=str(rng.choice(TEXTS)), **common))
            if rng.random() < 0.3:
                db.session.add(
                    Answer(question_code="topic", option_code="other", text=str(rng.choice(TEXTS)), **common)
                )
    return survey


def _reference(kinds, unit_of, group_of, in_period, labels):
    """Counts and quotes by reading every stored row (the report's old way)."""
    zone = ZoneInfo(setting("DEFAULT_CENTER_TIMEZONE"))
    tree = {o.id: o for o in db.session.scalars(select(Organisation))}
    units: dict[int, dict] = {}
    for row in db.session.scalars(select(ProcessedText).order_by(ProcessedText.id)):
        if row.source_kind not in kinds or not in_period(row):
            continue
        unit = units.setdefault(
            unit_of(row), {"themes": set(), "texts": [], "when": row.occurred_at, "centre": row.center_id}
        )
        unit["themes"] |= set(row.themes) & labels.keys()
        if row.masked_text.strip():
            unit["texts"].append(row.masked_text.strip())
    month = {key: u["when"].replace(tzinfo=UTC).astimezone(zone).strftime("%Y-%m") for key, u in units.items()}
    n = Counter(code for u in units.values() for code in u["themes"])
    trend = {code: Counter(month[k] for k, u in units.items() if code in u["themes"]) for code in labels}
    centres = defaultdict(Counter)
    for u in units.values():
        centres[u["centre"]]["n"] += 1
        centres[u["centre"]].update(u["themes"])
    branches = defaultdict(Counter)
    for centre, counts in centres.items():
        branches[tree[centre].parent_id].update(counts)
    rank = {"low": 0, None: 1, "high": 2}
    quotes = {}
    for code in labels:
        chosen = []
        members = sorted((k for k, u in units.items() if code in u["themes"]), key=lambda k: (rank[group_of(k)], k[1]))
        for key in members:
            fresh = [t for t in units[key]["texts"] if t not in chosen]
            if fresh and len(chosen) < 3:
                chosen.append(fresh[0])
        quotes[code] = chosen
    return {
        "units": len(units),
        "n": n,
        "trend": trend,
        "months": Counter(month.values()),
        "unassigned": sum(1 for u in units.values() if not u["themes"]),
        "quotes": quotes,
        "centres": {tree[c].code: dict(v) for c, v in centres.items()},
        "branches": {tree[b].code: dict(v) for b, v in branches.items()},
    }


def _check(report, expected, labels):
    assert report["unassigned"] == expected["unassigned"]
    for row in report["themes"]:
        code = row["theme"]
        assert row["n"] == expected["n"][code]
        assert row["share"] == pytest.approx(expected["n"][code] / expected["units"])
        assert {p["month"]: p["n"] for p in row["trend"]} == {m: expected["trend"][code][m] for m in expected["months"]}
        assert row["quotes"] == expected["quotes"][code]
    assert {row["theme"] for row in report["themes"]} == set(labels)
    for key, rows in (("center", report["by_center"]), ("branch", report["by_branch"])):
        reference = expected["centres" if key == "center" else "branches"]
        assert {r[key]: r["n"] for r in rows} == {code: counts["n"] for code, counts in reference.items()}
        for r in rows:
            assert {t["theme"]: t["n"] for t in r["themes"]} == {
                c: k for c, k in reference[r[key]].items() if c != "n" and k
            }
            assert all(t["share"] == pytest.approx(t["n"] / r["n"]) for t in r["themes"])


def test_survey_theme_counts_equal_an_independent_count(runner, org):
    survey = _plant(np.random.default_rng(19), 400)
    with write_transaction():  # an inactive theme's links stay in the table and must not count
        db.session.add(TextTheme(code="parking", label="Парковка", terms=["парковка"], active=False))
    process_texts()
    with write_transaction():
        db.session.execute(TextTheme.__table__.update().values(active=True).where(TextTheme.code == "parking"))
    process_texts()  # re-theme: «Нет парковки» texts get the parking link
    with write_transaction():
        db.session.execute(TextTheme.__table__.update().values(active=False).where(TextTheme.code == "parking"))
    assert db.session.scalar(select(ProcessedTextTheme).where(ProcessedTextTheme.theme == "parking")) is not None
    labels = {t.code: t.label for t in db.session.scalars(select(TextTheme).where(TextTheme.active.is_(True)))}
    scores = {
        a.response_id: a.value_num for a in db.session.scalars(select(Answer).where(Answer.question_code == "overall"))
    }

    def group_of(key):
        score = scores.get(key[0])
        return None if score is None else ("high" if score >= 4 else "low")

    start, end = datetime(2026, 6, 30, 21), datetime(2026, 9, 30, 21)
    expected = _reference(
        {"answer", "other"},
        lambda row: (row.response_id, quote_order("answer", row.source_id, row.response_id)),
        group_of,
        lambda row: row.survey_id == survey.id and start <= row.occurred_at < end,
        labels,
    )
    result = runner.invoke(args=["analysis", "themes", "visit-csat", *PERIOD, "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert expected["unassigned"] > 0 and expected["n"]["queue"] > 10
    _check(report, expected, labels)
    assert len(report["by_center"]) > 3 and len(report["by_branch"]) > 1


def test_appeal_theme_counts_equal_an_independent_count(runner, org):
    seed_dictionary()
    rng = np.random.default_rng(4)
    centres = list(db.session.scalars(select(Organisation).where(Organisation.kind == "center")))
    with write_transaction():
        for index in range(240):
            create_appeal_in_session(
                kind="complaint" if index % 3 else "application",
                form="remote",
                channel="web",
                topic_code="metering",
                center_id=centres[int(rng.integers(0, len(centres)))].id,
                received_at=datetime(2026, 4, 1, 10) + timedelta(hours=int(rng.integers(0, 182 * 24))),
                text=str(rng.choice(TEXTS)),
            )
    process_texts()
    labels = {t.code: t.label for t in db.session.scalars(select(TextTheme).where(TextTheme.active.is_(True)))}
    start, end = datetime(2026, 6, 30, 21), datetime(2026, 9, 30, 21)
    expected = _reference(
        {"appeal"},
        lambda row: (row.source_id, quote_order("appeal", row.source_id, None)),
        lambda _key: "low",
        lambda row: start <= row.occurred_at < end,
        labels,
    )
    result = runner.invoke(args=["appeals", "themes", *PERIOD, "--format", "json"])
    assert result.exit_code == 0, result.output
    _check(json.loads(result.output), expected, labels)


def test_quote_order_matches_the_migration_copy():
    from importlib import import_module

    migration = import_module("migrations.versions.0016_text_theme_links")
    for args in (("answer", 5, 17), ("appeal", 9, None), ("review", 3, None)):
        assert migration._quote_order(*args) == quote_order(*args)
    key = "response:17"
    assert quote_order("answer", 5, 17) == int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)
