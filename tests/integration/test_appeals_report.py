"""The monitoring report: counts, shares, processing, period-over-period tests, regulator form, CLI.

The acceptance case is the company's first half-year (its own monitoring slide, shared/REFERENCES.md).
Topic mapping used for the generated file (the slide gives counts without names):
complaints — connection 31, transmission 53, quality 1 434, other 143;
applications — connection 9 396, transmission 18 396, other 10 904.
"""

from __future__ import annotations

import csv
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from statsmodels.stats.proportion import proportions_ztest

from app.appeals import services
from app.appeals.importer import import_file
from app.appeals.models import Promise, RootCause
from app.appeals.report import monitoring_report
from app.database import write_transaction
from app.extensions import db
from app.models import Setting
from app.org.services import find_center, find_org

HALF_YEAR = {
    ("complaint", "remote"): 1360,
    ("complaint", "in_person"): 301,
    ("application", "remote"): 25689,
    ("application", "in_person"): 13007,
}
HALF_YEAR_TOPICS = {
    "complaint": {"connection": 31, "transmission": 53, "quality": 1434, "other": 143},
    "application": {"connection": 9396, "transmission": 18396, "other": 10904},
}
RUSSIAN = {"complaint": "жалоба", "application": "заявление", "in_person": "очно", "remote": "заочно"}


def write_half_year_csv(path: Path) -> int:
    """40 357 appeals of H1 2007 with exactly the company's figures, spread over centres and days."""
    rng = random.Random(186)
    centers = ["KUR", "LGV", "SHCH", "OBO", "ZHEL", "BEL", "BRN", "VRN"]
    rows = []
    for kind in ("complaint", "application"):
        forms = [f for (k, f), n in HALF_YEAR.items() if k == kind for _ in range(n)]
        topics = [t for t, n in HALF_YEAR_TOPICS[kind].items() for _ in range(n)]
        assert len(forms) == len(topics)
        rng.shuffle(topics)
        for index, (form, topic) in enumerate(zip(forms, topics, strict=True)):
            day = date(2007, 1, 1) + timedelta(days=rng.randrange(181))
            received = datetime.combine(day, datetime.min.time()) + timedelta(
                hours=rng.randint(0, 23), minutes=rng.randint(0, 59)
            )
            russian = index % 3 == 0  # a third of the rows in Russian words
            rows.append(
                [
                    received.isoformat(sep=" ", timespec="minutes"),
                    RUSSIAN[kind] if russian else kind,
                    RUSSIAN[form] if russian else form,
                    topic,
                    rng.choice(centers),
                    f"H{kind[0]}{index}",
                ]
            )
    rng.shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["received_at", "kind", "form", "topic", "center", "external_id"])
        writer.writerows(rows)
    return len(rows)


def pct(share: float) -> float:
    return round(share * 100, 1)


def test_acceptance_half_year_through_the_cli(org, runner, tmp_path):
    path = tmp_path / "half_year.csv"
    assert write_half_year_csv(path) == 40357
    result = runner.invoke(args=["appeals", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "Импортировано обращений: 40357" in result.output

    out = tmp_path / "report.json"
    result = runner.invoke(
        args=["appeals", "report", "--from", "2007-01-01", "--to", "2007-06-30", "--format", "json", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["period"] == {"from": "2007-01-01", "to": "2007-06-30"}
    assert report["scope"] == "company"
    assert report["total"] == 40357
    kinds = {r["kind"]: r for r in report["by_kind"]}
    assert (kinds["complaint"]["count"], kinds["application"]["count"]) == (1661, 38696)
    assert (pct(kinds["complaint"]["share"]), pct(kinds["application"]["share"])) == (4.1, 95.9)
    assert kinds["complaint"]["share"] == pytest.approx(1661 / 40357, rel=1e-12)  # full precision

    forms = {(r["kind"], r["form"]): r for r in report["by_kind_form"]}
    assert {k: forms[k]["count"] for k in HALF_YEAR} == HALF_YEAR
    assert [pct(forms[k]["share_of_total"]) for k in HALF_YEAR] == [3.4, 0.7, 63.7, 32.2]
    assert forms[("complaint", "remote")]["share_of_kind"] == pytest.approx(1360 / 1661)

    topics = {(r["kind"], r["topic"]): r for r in report["by_kind_topic"]}
    for kind, expected in HALF_YEAR_TOPICS.items():
        assert {t: topics[(kind, t)]["count"] for t in expected} == expected
    assert [pct(topics[("complaint", t)]["share_of_kind"]) for t in HALF_YEAR_TOPICS["complaint"]] == [
        1.9,
        3.2,
        86.3,
        8.6,
    ]
    assert [pct(topics[("application", t)]["share_of_kind"]) for t in HALF_YEAR_TOPICS["application"]] == [
        24.3,
        47.5,
        28.2,
    ]
    assert topics[("complaint", "quality")]["topic_name"] == "Качество электроэнергии"
    assert sum(c["total"] for c in report["by_center"]) == 40357
    assert {"processing", "previous", "changes", "root_causes", "regulator_form"} <= set(report)
    assert report["previous"]["total"] == 0

    # The CSV form of the same report.
    result = runner.invoke(args=["appeals", "report", "--from", "2007-01-01", "--to", "2007-06-30", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert "40357" in result.output and "Жалоба" in result.output


def _import(tmp_path: Path, name: str, rows: list[list[str]]) -> None:
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["received_at", "kind", "form", "topic", "center", "channel", "status", "answered_at"])
        writer.writerows(rows)
    import_file(path)


def _rows(
    day: str, n: int, kind: str, *, form="remote", topic="other", center="KUR", channel="phone", status="", answered=""
) -> list[list[str]]:
    return [[f"{day} 10:00", kind, form, topic, center, channel, status, answered] for _ in range(n)]


def test_shares_and_period_over_period_test(org, tmp_path):
    # Q1 2026: 100 complaints of 1000 (10 %); Q2 2026: 200 of 1000 (20 %) — a real change.
    _import(tmp_path, "q1.csv", _rows("2026-02-10", 100, "complaint") + _rows("2026-02-10", 900, "application"))
    _import(tmp_path, "q2.csv", _rows("2026-05-12", 200, "complaint") + _rows("2026-05-12", 800, "application"))
    report = monitoring_report(date(2026, 4, 1), date(2026, 6, 30))
    assert report.previous.period.model_dump() == {"from": "2026-01-01", "to": "2026-03-31"}
    assert report.previous.total == 1000
    change = next(c for c in report.changes if c.key == "by_kind.complaint")
    assert (change.current, change.previous) == (0.2, 0.1)
    # Reference: statsmodels proportions_ztest (pooled, two-sided), tolerance 1e-9.
    z, p = proportions_ztest([200, 100], [1000, 1000])
    assert change.statistic == pytest.approx(z, rel=1e-9)
    assert change.p_value == pytest.approx(p, rel=1e-9)
    assert change.significant is True


def test_noise_is_not_reported_as_change(org, tmp_path):
    # 10.0 % against 10.5 % on 400 appeals each: p ≈ 0.82, not significant.
    _import(tmp_path, "q1.csv", _rows("2026-02-10", 40, "complaint") + _rows("2026-02-10", 360, "application"))
    _import(tmp_path, "q2.csv", _rows("2026-05-12", 42, "complaint") + _rows("2026-05-12", 358, "application"))
    report = monitoring_report(date(2026, 4, 1), date(2026, 6, 30))
    change = next(c for c in report.changes if c.key == "by_kind.complaint")
    z, p = proportions_ztest([42, 40], [400, 400])
    assert change.p_value == pytest.approx(p, rel=1e-9)
    assert change.significant is False
    empty = monitoring_report(date(2030, 4, 1), date(2030, 6, 30))
    assert empty.total == 0 and empty.by_kind[0].share is None
    assert all(c.test is None for c in empty.changes)


def test_processing_figures_scope_and_root_causes(org, tmp_path, make_user):
    # Q2 2026 at KUR: complaints due 10 working days after receipt (12.05 → 26.05.2026).
    _import(
        tmp_path,
        "q2.csv",
        _rows("2026-05-12", 4, "complaint", status="answered", answered="2026-05-13 10:00")  # 1 day
        + _rows("2026-05-12", 3, "complaint", status="answered", answered="2026-05-15 10:00")  # 3 days
        + _rows("2026-05-12", 2, "complaint", status="answered", answered="2026-06-11 10:00")  # 30 days, late
        + _rows("2026-05-12", 1, "complaint")  # open, overdue
        + _rows("2026-05-12", 5, "application", center="LGV"),
    )
    now = datetime(2026, 7, 1)
    report = monitoring_report(date(2026, 4, 1), date(2026, 6, 30), now=now)
    processing = report.processing
    assert processing.answered == 9
    assert processing.on_time == 7
    assert processing.overdue == 6  # the open complaint and the five open applications (due 02.06)
    assert processing.on_time_share == pytest.approx(7 / 15)
    assert processing.median_days == pytest.approx(3.0)
    assert processing.p90_days == pytest.approx(30.0)

    kur = monitoring_report(date(2026, 4, 1), date(2026, 6, 30), find_center("KUR"), now=now)
    assert kur.scope == "KUR" and kur.total == 10
    assert [c.center for c in kur.by_center] == ["KUR"]
    branch = monitoring_report(date(2026, 4, 1), date(2026, 6, 30), find_org("KURS"), now=now)
    assert branch.total == 15
    assert {c.center: c.total for c in branch.by_center if c.total} == {"KUR": 10, "LGV": 5}

    # Promises and root causes through the services.
    from sqlalchemy import select

    from app.appeals.models import Appeal

    appeals = db.session.scalars(
        select(Appeal).where(Appeal.kind == "complaint", Appeal.status == "answered").order_by(Appeal.id)
    ).all()
    with write_transaction():
        cause_a, cause_b = RootCause(code="staff", name_ru="Персонал"), RootCause(code="net", name_ru="Сети")
        db.session.add_all([cause_a, cause_b])
    for appeal, cause in zip(appeals[:3], (cause_a, cause_a, cause_b), strict=True):
        services.close(appeal, cause.id, None)
    for due, kept in ((datetime(2026, 5, 20), True), (datetime(2026, 5, 21), True), (datetime(2026, 5, 22), False)):
        promise = services.add_promise(appeals[5], "Обещание", due, None)
        services.resolve_promise(promise, kept, None)
    services.add_promise(appeals[6], "Открытое", datetime(2026, 6, 1), None)
    report = monitoring_report(date(2026, 4, 1), date(2026, 6, 30), now=now)
    assert report.processing.promises_kept_share == pytest.approx(2 / 3)
    assert report.processing.promises.model_dump() == {"open": 0, "overdue": 1, "kept": 2, "broken": 1}
    assert [(r.name, r.count) for r in report.root_causes] == [("Персонал", 2), ("Сети", 1)]
    assert db.session.scalar(select(Promise.id).limit(1)) is not None


def test_regulator_form_by_channel_and_year(org, tmp_path):
    _import(
        tmp_path,
        "n1.csv",
        _rows("2025-02-10", 4, "complaint", channel="letter", status="answered", answered="2025-02-12")
        + _rows("2025-02-10", 10, "application", channel="visit", form="in_person"),
    )
    _import(
        tmp_path,
        "n.csv",
        _rows("2026-02-10", 6, "complaint", channel="letter")
        + _rows("2026-02-10", 5, "application", channel="web", form="interactive")
        + _rows("2026-02-10", 3, "application", channel="kiosk", form="interactive"),
    )
    report = monitoring_report(date(2026, 1, 1), date(2026, 3, 31))
    form = report.regulator_form
    rows = {r.row: r.cells for r in form.rows}
    assert form.year_n_1.model_dump() == {"from": "2025-01-01", "to": "2025-03-31"}
    assert rows["mail"]["complaints"].model_dump() == {"n_1": 4, "n": 6, "change_pct": pytest.approx(50.0)}
    assert rows["mail"]["complaints_resolved"].n_1 == 4
    assert rows["in_person"]["service_requests"].model_dump() == {
        "n_1": 10,
        "n": 0,
        "change_pct": pytest.approx(-100.0),
    }
    assert rows["internet"]["appeals"].n == 5
    assert rows["other"]["appeals"].n == 3  # kiosk → прочее by default
    assert rows["total"]["appeals"].model_dump() == {"n_1": 14, "n": 14, "change_pct": pytest.approx(0.0)}
    assert rows["phone"]["appeals"].change_pct is None
    with write_transaction():
        db.session.add(Setting(key="regulator_channel_rows", value={"kiosk": "internet"}))
    form = monitoring_report(date(2026, 1, 1), date(2026, 3, 31)).regulator_form
    rows = {r.row: r.cells for r in form.rows}
    assert rows["internet"]["appeals"].n == 8 and rows["other"]["appeals"].n == 0


def test_cli_report_errors(org, runner):
    result = runner.invoke(args=["appeals", "report", "--from", "2007-01-01", "--to", "2007-06-30", "--scope", "NOPE"])
    assert result.exit_code != 0 and "не найдено" in result.output
    result = runner.invoke(args=["appeals", "report", "--from", "2007-13-01", "--to", "2007-06-30"])
    assert result.exit_code != 0
    result = runner.invoke(
        args=["appeals", "report", "--from", "2007-01-01", "--to", "2007-06-30", "--scope", "KUR", "--format", "json"]
    )
    assert result.exit_code == 0 and json.loads(result.output)["scope"] == "KUR"
    result = runner.invoke(args=["appeals", "report", "--from", "2007-01-01", "--to", "2007-06-30", "--format", "pdf"])
    assert result.exit_code == 0 and result.stdout_bytes.startswith(b"%PDF")


def test_escalate_lists_due_soon_and_overdue_per_centre(org, runner):
    from app.appeals.cli import escalation
    from app.models import utcnow

    now = utcnow()
    kur, lgv = find_center("KUR").id, find_center("LGV").id
    with write_transaction():
        soon = services.create_appeal_in_session(
            kind="complaint", form="remote", channel="phone", topic_code="other", center_id=kur, received_at=now
        )
        late = services.create_appeal_in_session(
            kind="complaint", form="remote", channel="phone", topic_code="other", center_id=lgv, received_at=now
        )
        soon.due_at, late.due_at = now + timedelta(days=1), now - timedelta(days=1)
    rows = {r["center"]: r for r in escalation(now)}
    assert rows["KUR"]["due_soon"] == 1 and rows["KUR"]["overdue"] == 0
    assert rows["LGV"]["overdue"] == 1 and rows["LGV"]["due_soon"] == 0
    result = runner.invoke(args=["appeals", "escalate"])
    assert result.exit_code == 0 and "Курск" in result.output and "Льгов" in result.output
