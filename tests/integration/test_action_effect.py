"""`flask analysis action-effect` and the effect of tracked corrective actions: difference-in-differences
against comparison centres on seeded answers ."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import select

from app.analysis import actions
from app.extensions import db
from app.org.services import find_org
from app.surveys.models import Survey, SurveyVersion
from tests.conftest import DatabaseSeed, register_seed, seed_org
from tests.integration.test_analysis_report import SMALL_DEFINITION, add_responses, make_survey

BEFORE = datetime(2026, 5, 15, 9)  # inside the default 90-day window before 2026-07-01
AFTER = datetime(2026, 8, 15, 9)  # inside the 90 days from 2026-07-01
KURSK_OTHERS = ("KUR", "SHCH", "ZHEL", "OBO")
CONTRACT_KEYS = {
    "method",
    "metric",
    "center",
    "question",
    "before",
    "after",
    "naive_change",
    "comparison_change",
    "estimate",
    "ci",
    "p_value",
    "verdict",
    "comparison_centers",
    "regression_to_mean",
}


def wait_rows(top2: int, n: int = 200, nps_promoters: int | None = None) -> list[dict[str, float]]:
    """``n`` respondents, ``top2`` of them answering 5 on wait (the rest 2); NPS 10 for ``nps_promoters``
    of them (default: the same respondents), 3 for the rest."""
    promoters = top2 if nps_promoters is None else nps_promoters
    return [{"wait": 5 if i < top2 else 2, "overall": 4, "nps": 10 if i < promoters else 3} for i in range(n)]


def seed(version, plan: dict[str, tuple[int, int]], n: int = 200) -> None:
    """``plan``: centre code → (top-2-box answers before, after) out of ``n`` per window."""
    for code, (before, after) in plan.items():
        add_responses(version, code, BEFORE, wait_rows(before, n))
        add_responses(version, code, AFTER, wait_rows(after, n))


def seed_planted() -> object:
    """LGV 30 % → 80 % (a planted +40 points beyond the network), every other Kursk centre 50 % → 60 %
    (a network-wide rise of 10 points)."""
    seed_org()
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (60, 160), **dict.fromkeys(KURSK_OTHERS, (100, 120))})
    return version


# 2 000 responses, read by about twenty tests: built once into a template, copied for each (tests/conftest.py).
# (The fixture name a seed is registered under is global: other files have a ``planted`` fixture of their own.)
register_seed("action_effect_seed", DatabaseSeed("action-effect-planted", seed_planted, includes=frozenset({"org"})))


@pytest.fixture
def action_effect_seed(org) -> None:
    """The test's database is a copy of ``seed_planted``'s template."""


@pytest.fixture
def planted(action_effect_seed) -> SurveyVersion:
    """The published version of the seeded survey (see ``seed_planted``)."""
    return db.session.scalars(
        select(SurveyVersion).join(Survey).where(Survey.slug == SMALL_DEFINITION["slug"]).order_by(SurveyVersion.id)
    ).one()


def run(runner, *args: str):
    return runner.invoke(args=["analysis", "action-effect", "mini", *args])


def test_cli_json_is_the_contract_and_finds_the_planted_effect(planted, runner):
    result = run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= CONTRACT_KEYS
    assert data["method"] == "difference_in_differences" and data["metric"] == "top2box"
    assert data["center"] == "LGV" and data["question"] == "wait"
    assert data["before"]["from"] == "2026-04-02" and data["before"]["to"] == "2026-06-30"
    assert data["after"]["from"] == "2026-07-01" and data["after"]["to"] == "2026-09-28"
    for window, centre, comparison in (("before", 0.3, 0.5), ("after", 0.8, 0.6)):
        assert set(data[window]) >= {"from", "to", "center", "comparison"}
        assert data[window]["center"] == {"n": 200, "value": pytest.approx(centre)}
        assert data[window]["comparison"] == {"n": 800, "value": pytest.approx(comparison)}
    assert data["naive_change"] == pytest.approx(0.5) and data["comparison_change"] == pytest.approx(0.1)
    assert data["estimate"] == pytest.approx(0.4)
    lo, hi = data["ci"]
    assert 0 < lo < 0.4 < hi
    assert data["p_value"] < 1e-6 and data["verdict"] == "improved"
    assert data["comparison_centers"] == sorted(KURSK_OTHERS)
    assert "регрессия к среднему" in data["regression_to_mean"]  # LGV was below the comparison before


def test_network_wide_rise_alone_is_no_evidence(org, runner):
    # LGV 30 % → 40 %: its own +10 points would pass a before/after test (n = 200 each), but every other
    # centre rose by as much.
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (60, 80), **dict.fromkeys(KURSK_OTHERS, (100, 120))})
    data = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert data["naive_change"] == pytest.approx(0.1) and data["estimate"] == pytest.approx(0.0, abs=1e-12)
    assert data["verdict"] == "no_evidence" and data["ci"][0] < 0 < data["ci"][1]


def test_nps_and_mean_metrics(planted, runner):
    nps = json.loads(run(runner, "--scope", "LGV", "--question", "nps", "--introduced", "2026-07-01").output)
    assert nps["metric"] == "nps"  # the default for an NPS question
    # NPS is 100 × (promoters − detractors) / n: LGV −40 → +60, comparison 0 → +20; in points.
    assert nps["before"]["center"]["value"] == pytest.approx(-40)
    assert nps["after"]["comparison"]["value"] == pytest.approx(20)
    assert nps["estimate"] == pytest.approx(100 - 20) and nps["verdict"] == "improved"
    mean = json.loads(
        run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--metric", "mean").output
    )
    assert mean["metric"] == "mean"
    assert mean["before"]["center"]["value"] == pytest.approx(0.3 * 5 + 0.7 * 2)
    assert mean["estimate"] == pytest.approx(3 * 0.4)


def test_explicit_windows(planted, runner):
    data = json.loads(
        run(
            runner,
            "--scope",
            "LGV",
            "--question",
            "wait",
            "--introduced",
            "2026-07-01",
            "--before",
            "2026-05-01:2026-05-31",
            "--after",
            "2026-08-01:2026-08-31",
        ).output
    )
    assert data["before"]["from"] == "2026-05-01" and data["after"]["to"] == "2026-08-31"
    assert data["estimate"] == pytest.approx(0.4)
    empty = json.loads(
        run(
            runner,
            "--scope",
            "LGV",
            "--question",
            "wait",
            "--introduced",
            "2026-07-01",
            "--before",
            "2026-06-01:2026-06-30",
        ).output
    )
    assert empty["before"]["center"] == {"n": 0, "value": None}
    assert empty["verdict"] == "no_comparison" and empty["comparison_centers"] == []


def test_no_comparison_when_only_the_centre_answered(org, runner):
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (60, 160)})
    data = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert data["verdict"] == "no_comparison" and data["comparison_centers"] == []
    assert data["estimate"] is None and data["ci"] is None and data["p_value"] is None
    assert data["naive_change"] == pytest.approx(0.5)
    assert data["before"]["comparison"] == {"n": 0, "value": None}


def test_few_answers_is_no_evidence_with_a_note(org, runner):
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (3, 9), **dict.fromkeys(KURSK_OTHERS, (5, 6))}, n=10)
    data = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert data["verdict"] == "no_evidence" and data["estimate"] is None
    assert "Мало ответов" in data["note"] and "30" in data["note"]


def test_centre_under_its_own_action_is_not_a_comparison(planted, runner):
    other = actions.create_action(title="Своя мера", owner=find_org("KUR"), metric="wait", survey_slug="mini")
    actions.set_status(other, "in_progress", date(2026, 6, 1))
    data = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert "KUR" not in data["comparison_centers"] and data["excluded_centers"] == ["KUR"]
    assert data["before"]["comparison"]["n"] == 600
    # An action on another question does not exclude it.
    actions.set_status(other, "cancelled", date(2026, 6, 2))
    unrelated = actions.create_action(title="Другая мера", owner=find_org("SHCH"), metric="overall", survey_slug="mini")
    actions.set_status(unrelated, "in_progress", date(2026, 6, 1))
    again = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert "SHCH" in again["comparison_centers"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scope", "NOPE", "--question", "wait", "--introduced", "2026-07-01"], "не найден"),
        (["--scope", "LGV", "--question", "nope", "--introduced", "2026-07-01"], "нет вопроса"),
        (["--scope", "LGV", "--question", "wait", "--introduced", "01.07.2026"], "ГГГГ-ММ-ДД"),
        (
            ["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--before", "2026-05-01"],
            "ГГГГ-ММ-ДД:ГГГГ-ММ-ДД",
        ),
        (
            ["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--after", "2026-09-01:2026-08-01"],
            "начало не позже конца",
        ),
        (
            ["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--before", "2026-06-01:2026-07-15"],
            "раньше, чем начнется",
        ),
        (["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--metric", "nps"], "не подходит"),
        (["--scope", "LGV", "--question", "nps", "--introduced", "2026-07-01", "--metric", "top2box"], "не подходит"),
        (["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--metric", "median"], "неизвестен"),
        (["--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01", "--format", "csv"], "только json"),
        (["--question", "wait", "--introduced", "2026-07-01"], "Не указано: --scope"),
    ],
)
def test_bad_input_is_refused_in_russian(planted, runner, args, message):
    result = run(runner, *args)
    assert result.exit_code != 0
    assert message in result.output


def test_unknown_survey_is_refused(org, runner):
    result = runner.invoke(
        args=["analysis", "action-effect", "nope", "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01"]
    )
    assert result.exit_code != 0 and "Анкета «nope» не найдена" in result.output


def test_tracked_action_uses_the_same_effect(planted):
    action = actions.create_action(
        title="Электронная очередь", owner=find_org("LGV"), metric="wait", survey_slug="mini"
    )
    assert actions.evaluate_effect(action)["evaluated"] is False
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    actions.set_status(action, "done", date(2026, 7, 10))
    effect = actions.evaluate_effect(action, today=date(2026, 12, 31))
    assert effect["method"] == "difference_in_differences" and effect["evaluated"] is True
    assert effect["before"]["from"] == "2026-04-02" and effect["before"]["to"] == "2026-06-30"
    assert effect["after"]["from"] == "2026-07-10" and effect["after"]["to"] == "2026-10-07"
    assert effect["estimate"] == pytest.approx(0.4) and effect["verdict"] == "improved"
    assert effect["significant"] is True and effect["direction"] == "up"
    assert effect["comparison_centers"] == sorted(KURSK_OTHERS)  # its own action does not exclude anything
    assert actions.action_dict(action)["effect"]["verdict"] == "improved"


def test_after_window_not_started_yet(planted):
    action = actions.create_action(title="Мера", owner=find_org("LGV"), metric="wait", survey_slug="mini")
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    effect = actions.evaluate_effect(action, today=date(2026, 6, 30))
    assert effect["evaluated"] is False and "не наступил" in effect["note"]


def test_company_wide_action_has_no_comparison(planted):
    action = actions.create_action(
        title="Регламент для всей сети", owner=find_org("MRSK"), metric="wait", survey_slug="mini"
    )
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    effect = actions.evaluate_effect(action, today=date(2026, 12, 31))
    assert effect["verdict"] == "no_comparison" and effect["comparison_centers"] == []
    assert effect["naive_change"] == pytest.approx(0.64 - 0.46)
    assert "всю компанию" in effect["note"] and effect["significant"] is False


def test_branch_action_compares_with_other_branches(org):
    # Kursk branch centres 30 % → 80 %; Bryansk centres 50 % → 60 %.
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (60, 160), "KUR": (60, 160), "BRN": (100, 120), "KLI": (100, 120), "POC": (100, 120)})
    action = actions.create_action(
        title="Обучение операторов филиала", owner=find_org("KURS"), metric="wait", survey_slug="mini"
    )
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    effect = actions.evaluate_effect(action, today=date(2026, 12, 31))
    assert effect["center"] == "KURS" and effect["scope"] == "branch"
    assert effect["comparison_centers"] == ["BRN", "KLI", "POC"]
    assert effect["before"]["center"] == {"n": 400, "value": pytest.approx(0.3)}
    assert effect["estimate"] == pytest.approx(0.4) and effect["verdict"] == "improved"


def test_action_page_shows_the_effect_in_plain_russian(planted, make_user, login, client):
    action = actions.create_action(
        title="Электронная очередь", owner=find_org("LGV"), metric="wait", survey_slug="mini"
    )
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    actions.set_status(action, "done", date(2026, 7, 10))
    login(make_user("manager", scope="MRSK"))
    html = client.get(f"/analysis/actions/{action.id}").get_data(as_text=True)
    for text in (
        "Изменение в ЦОК",
        "Изменение в сравнительных ЦОК",
        "Эффект мероприятия",
        "регрессия к среднему",
        "+40,0",
    ):
        assert text in html, text


def test_report_section_shows_the_effect_in_plain_russian(planted, app):
    """«Выполнение ранее принятых мер» of the satisfaction report, built from a real report."""
    from app.analysis.report import build_report
    from app.reports.services import render_satisfaction

    action = actions.create_action(
        title="Электронная очередь", owner=find_org("LGV"), metric="wait", survey_slug="mini"
    )
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    actions.set_status(action, "done", date(2026, 7, 10))
    report = build_report("mini", date(2026, 7, 1), date(2026, 9, 30), scope="LGV")
    assert report.actions[0].effect["verdict"] == "improved"
    meta = {
        "title": "Отчет",
        "company": "МРСК",
        "scope_name": "Льгов",
        "period_label": "III квартал 2026",
        "report_type": "satisfaction",
        "generated_at": "",
        "author": "",
    }
    with app.test_request_context("/"):
        html = render_satisfaction(report, meta, pdf=False)
    section = html[html.index('id="sec-actions"') : html.index('id="sec-methods"')]
    for text in (
        "В ЦОК: +50,0\u00a0п.\u00a0п. (30,0\u00a0% → 80,0\u00a0%)",
        "В сравнительных ЦОК: +10,0",
        "Эффект мероприятия: +40,0\u00a0п.\u00a0п. [+30,3; +49,7]",
        "Эффект подтвержден",
        "регрессия к среднему",
    ):
        assert text in section, text


def test_analysis_page_lists_the_effect(planted, make_user, login, client):
    action = actions.create_action(
        title="Электронная очередь", owner=find_org("LGV"), metric="wait", survey_slug="mini"
    )
    actions.set_status(action, "in_progress", date(2026, 7, 1))
    actions.set_status(action, "done", date(2026, 7, 10))
    login(make_user("manager", scope="MRSK"))
    html = client.get("/analysis/?survey=mini&from=2026-07-01&to=2026-09-30&scope=LGV").get_data(as_text=True)
    item = html[html.index("Электронная очередь") :]
    item = item[: item.index("</li>")]
    assert "+40,0 п.п. [30,3; 49,7]" in item and "мероприятие дало эффект" in item


def test_regression_to_the_mean_alone_is_no_evidence(org, runner):
    # Four comparison centres at exactly 50 % before: no spread between centres, so LGV's 30 % is taken as
    # chance and a return to about 50 % is expected without any action. LGV 30 % → 45 % beats the flat
    # comparison beyond chance (plain DiD +15 points, interval above 0) but not beyond that expectation.
    version = make_survey(SMALL_DEFINITION)
    seed(version, {"LGV": (60, 90), **dict.fromkeys(KURSK_OTHERS, (100, 100))})
    data = json.loads(run(runner, "--scope", "LGV", "--question", "wait", "--introduced", "2026-07-01").output)
    assert data["estimate"] == pytest.approx(0.15) and data["ci"][0] > 0
    assert data["rtm"]["expected_shift"] == pytest.approx(0.2) and data["rtm"]["adjusted_ci"][0] < 0
    assert data["verdict"] == "no_evidence" and "регрессия к среднему" in data["note"]
    assert "ожидается около +20,0" in data["regression_to_mean"]
