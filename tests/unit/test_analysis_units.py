"""Pure helpers of the analysis package: periods, question catalogue, counts, ranks, masking, formatting."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from app.analysis import measures, operations, queries
from app.analysis.queries import Period, parse_quarter, previous_period, quarter_period, trend_quarters


def test_quarters_and_previous_periods():
    assert quarter_period(2026, 3) == Period(date(2026, 7, 1), date(2026, 9, 30))
    assert quarter_period(2026, 4).end == date(2026, 12, 31)
    assert parse_quarter("2026Q3") == quarter_period(2026, 3)
    assert parse_quarter("2026-q1") == quarter_period(2026, 1)
    assert parse_quarter("2026Q5") is None and parse_quarter("") is None
    assert previous_period(quarter_period(2026, 1)) == quarter_period(2025, 4)
    assert previous_period(Period(date(2026, 3, 10), date(2026, 3, 19))) == Period(date(2026, 2, 28), date(2026, 3, 9))
    assert quarter_period(2026, 3).label == "2026Q3"
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 1))


def test_trend_quarters_end_at_the_last_date():
    quarters = trend_quarters(date(2026, 8, 15), 4)
    assert [q.start for q in quarters] == [date(2025, 10, 1), date(2026, 1, 1), date(2026, 4, 1), date(2026, 7, 1)]
    assert quarters[-1].end == date(2026, 8, 15)


def test_period_bounds_are_moscow_days_in_utc():
    lo, hi = Period(date(2026, 7, 1), date(2026, 7, 1)).bounds("Europe/Moscow")
    assert lo == datetime(2026, 6, 30, 21, 0) and hi == datetime(2026, 7, 1, 21, 0)


def test_catalogue_expands_matrix_rows_and_keeps_the_latest_definition():
    v1 = {"pages": [{"questions": [{"code": "q", "type": "rating", "scale": {"min": 1, "max": 5}}]}]}
    v2 = {
        "pages": [
            {
                "questions": [
                    {"code": "q", "type": "rating", "scale": {"min": 1, "max": 10}},
                    {
                        "code": "m",
                        "type": "matrix",
                        "scale": {"min": 1, "max": 5},
                        "text": {"ru": "Оцените"},
                        "rows": [{"code": "m_a", "text": {"ru": "А"}}, {"code": "m_b", "text": {"ru": "Б"}}],
                    },
                    {
                        "code": "c",
                        "type": "single_choice",
                        "options": [{"code": "x", "text": {"ru": "Икс"}}],
                        "other": True,
                    },
                    {"code": "who", "type": "contact"},
                ]
            }
        ],
        "analysis": {"target": "q", "drivers": ["m_a", "m_b", "missing"], "blocks": {"b": ["m_a", "m_b"]}},
    }
    catalogue = measures.question_catalogue([v1, v2])
    assert list(catalogue) == ["q", "m_a", "m_b", "c"]
    assert catalogue["q"].scale_max == 10
    assert catalogue["m_a"].type == "matrix" and catalogue["m_a"].is_score
    assert catalogue["c"].options == ["x", "other"]
    settings = measures.analysis_settings([v1, v2], catalogue)
    assert settings == {"target": "q", "drivers": ["m_a", "m_b"], "blocks": {"b": ["m_a", "m_b"]}}


def test_nps_categories_and_top2box_counts():
    counts = {10.0: 5, 9.0: 3, 8.0: 2, 7.0: 1, 6.0: 4, 0.0: 1}
    assert measures.nps_categories(counts) == (8, 3, 5)
    info = measures.QuestionInfo("q", "rating", scale_min=1, scale_max=5)
    assert measures.top2_k_n(info, {5.0: 3, 4.0: 2, 3.0: 7, 1.0: 1}) == (5, 13)
    seven = measures.QuestionInfo("c", "ces", scale_min=1, scale_max=7)
    assert measures.top2_k_n(seven, {7.0: 1, 6.0: 1, 5.0: 1}) == (2, 3)


def test_measures_from_counts_match_a_direct_computation():
    info = measures.QuestionInfo("q", "rating", scale_min=1, scale_max=5)
    values = [5] * 6 + [4] * 3 + [2]
    m = measures.score_measure(info, {5.0: 6, 4.0: 3, 2.0: 1}, 0.95)
    mean = sum(values) / len(values)
    assert m["n"] == 10 and m["mean"] == pytest.approx(mean) and m["top2box"] == pytest.approx(0.9)
    assert m["mean_ci"][0] < mean < m["mean_ci"][1]
    assert m["distribution"] == {"2": 1, "4": 3, "5": 6}
    empty = measures.score_measure(info, {}, 0.95)
    assert empty["n"] == 0 and empty["mean"] is None and empty["top2box"] is None


def test_choice_shares_use_respondents_as_denominator():
    info = measures.QuestionInfo("m", "multi_choice", options=["a", "b"], option_labels={"a": "А", "b": "Б"})
    out = measures.choice_measure(info, {"a": 6, "b": 8}, respondents=10, confidence=0.95)
    assert out["n"] == 10 and out["options"]["b"]["share"] == pytest.approx(0.8)
    yes_no = measures.QuestionInfo("y", "yes_no", options=["yes", "no"])
    out = measures.choice_measure(yes_no, {1.0: 7, 0.0: 3}, None, 0.95)
    assert out["options"]["yes"]["k"] == 7 and out["options"]["no"]["share"] == pytest.approx(0.3)


def test_ranks_stand_on_shrunken_estimates():
    """A centre with 5 of 5 satisfied is ranked (not left out) but not first: its share is
    shrunk towards the network; a centre without answers is not ranked. Ranks follow ``index`` (the
    posterior mean), rank ranges contain the rank, the clearly worst centre is surely in the bottom."""

    def row(name: str, k: int, n: int) -> dict:
        scaled = operations._scaled_components(k / n if n else None, None, None, None, None)
        return {
            "name": name,
            "n": n,
            "low_n": n < 30,
            "components": scaled,
            "_counts": {
                "top2box": (k, n),
                "nps": (0, 0, 0),
                "complaints": (0, 0),
                "on_time": (0, 0),
                "promises": (0, 0),
            },
        }

    rows = [row(f"C{i}", k, 400) for i, k in enumerate([300, 310, 320, 290, 305, 315, 295, 325])]
    rows += [row("small", 5, 5), row("worst", 200, 400), row("none", 0, 0)]
    weights = {"top2box": 0.4, "nps": 0.2, "complaints": 0.15, "on_time": 0.15, "promises": 0.1}
    meta = operations._assign_ranks(rows, weights, 0.95)
    by = {r["name"]: r for r in rows}
    assert by["none"]["rank"] is None and rows[-1]["name"] == "none" and by["none"]["index"] is None
    assert by["small"]["rank"] is not None and by["small"]["rank"] > 1 and by["small"]["low_n"]
    assert by["small"]["top2box_shrunk"] < 1.0 and by["small"]["index"] < 100.0
    ranked = [r for r in rows if r["rank"] is not None]
    assert [r["rank"] for r in ranked] == list(range(1, 11))
    assert [r["index"] for r in ranked] == sorted((r["index"] for r in ranked), reverse=True)
    assert all(r["rank_range"][0] <= r["rank"] <= r["rank_range"][1] for r in ranked)
    assert by["worst"]["rank"] == 10 and by["worst"]["p_bottom"] > 0.99 and meta["bottom_places"] == 2
    assert by["small"]["rank_range"][1] - by["small"]["rank_range"][0] >= 5  # few answers: a wide range
    assert meta["priors"]["top2box"]["method"] == "mle"


def test_scaled_components_and_composite():
    scaled = operations._scaled_components(0.8, 20.0, 0.1, None, 1.0)
    assert scaled == {
        "top2box": pytest.approx(80),
        "nps": pytest.approx(60),
        "complaints": pytest.approx(90),
        "on_time": None,
        "promises": pytest.approx(100),
    }


def test_personal_data_is_masked_in_samples():
    text = queries.mask_personal("Позвоните +7 (912) 345-67-89 или пишите ivan.petrov@mail.ru, спасибо")
    assert "345" not in text and "ivan" not in text and "спасибо" in text
