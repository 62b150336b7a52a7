"""Report charts: no two texts overlap (funnel, importance–performance matrix, a 41-centre control chart,
question bars with long staff-written texts) and a «$» in staff text never reaches matplotlib's mathtext."""

from __future__ import annotations

import base64
import itertools
import random

import pytest
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.text import Text

from app.demo.org_tree import BRANCHES
from app.reports import charts

CENTRE_NAMES = [name for _b, _n, centres in BRANCHES for _code, name, _address in centres]
LONG_QUESTIONS = [
    "Насколько вы удовлетворены обслуживанием в центре обслуживания клиентов в целом?",
    "Время ожидания в очереди до начала приема",
    "Вежливость и доброжелательность сотрудника",
    "Компетентность сотрудника в вопросах технологического присоединения",
    "Комфорт зала обслуживания",
    "Понятность полученного ответа и перечня документов",
]


def overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible, non-empty texts of a figure whose drawn boxes intersect."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes, seen = [], set()
    for ax in fig.axes:  # tick labels outside the view keep a stale position but are never drawn
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                if not low - 1e-9 <= tick.get_loc() <= high + 1e-9:
                    seen.update({id(tick.label1), id(tick.label2)})
    for text in fig.findobj(Text):
        if id(text) in seen or not text.get_visible() or not str(text.get_text()).strip():
            continue
        seen.add(id(text))
        if not text.get_visible():
            continue
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0:
            boxes.append((text.get_text(), box))
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2) if box_a.overlaps(box_b)]


@pytest.fixture
def figures(monkeypatch):
    """Every figure a chart function serialises, checked for overlapping texts before it is closed."""
    seen: list[tuple[Figure, list]] = []
    original = charts.to_data_url

    def checking(fig: Figure) -> str:
        seen.append((fig, overlaps(fig)))
        return original(fig)

    monkeypatch.setattr(charts, "to_data_url", checking)
    return seen


def svg_text(url: str) -> str:
    return base64.b64decode(url.split(",", 1)[1]).decode()


def test_control_chart_of_41_centres_names_only_flagged_points_without_overlap(figures):
    rng = random.Random(1)
    points = []
    flagged = {3, 4, 5, 17, 18, 30}  # neighbours on purpose: their names compete for the same space
    for i, name in enumerate(CENTRE_NAMES):
        share = 0.30 + rng.random() * 0.02 if i in flagged else 0.06 + rng.random() * 0.04
        points.append(charts.ControlPoint(name, share, 0.02, 0.14))
    assert len(points) == 41
    url = charts.p_chart(points, 0.08, xlabel="ЦОК")
    ((fig, clashes),) = figures
    assert clashes == []
    svg = svg_text(url)
    named = [name for name in CENTRE_NAMES if f">{name}<" in svg or f">{name} " in svg]
    assert sorted(named) == sorted(CENTRE_NAMES[i] for i in flagged)


def test_funnel_names_outliers_without_overlap(figures):
    rng = random.Random(2)
    points = [charts.FunnelPoint(name, rng.randint(20, 60), 0.75 + rng.uniform(-0.05, 0.05)) for name in CENTRE_NAMES]
    # Eight low centres of about the same size and share: their names must not pile up.
    points += [
        charts.FunnelPoint(f"{name} (второй зал)", 40 + i, 0.30 + i * 0.004) for i, name in enumerate(CENTRE_NAMES[:8])
    ]
    charts.funnel_plot(points, 0.75, "Общая удовлетворенность: доля «4» и «5», %")
    ((_fig, clashes),) = figures
    assert clashes == []


def test_importance_performance_matrix_without_overlap(figures):
    drivers = [
        charts.Driver(text, weight, perf)
        for text, weight, perf in zip(
            LONG_QUESTIONS[1:], (0.21, 0.20, 0.19, 0.2, 0.195), (0.74, 0.745, 0.75, 0.742, 0.748), strict=True
        )
    ]
    charts.ipa_scatter(drivers)
    ((_fig, clashes),) = figures
    assert clashes == []


def test_question_bars_and_distribution_with_long_texts_without_overlap(figures):
    charts.headline_bars([charts.Bar(q, 0.7, 0.68, 0.72) for q in LONG_QUESTIONS], "Доля, %")
    charts.distribution_bars(
        [(q, {"1": 1, "2": 2, "3": 10, "4": 30, "5": 40}) for q in LONG_QUESTIONS], ["1", "2", "3", "4", "5"]
    )
    charts.center_vs_network([(q, 0.7) for q in LONG_QUESTIONS], [0.75] * len(LONG_QUESTIONS))
    assert [clashes for _fig, clashes in figures] == [[], [], []]


def test_monthly_p_chart_labels_every_month_without_overlap(figures):
    months = [
        f"{m}\n2026"
        for m in ("янв.", "февр.", "март", "апр.", "май", "июнь", "июль", "авг.", "сент.", "окт.", "нояб.", "дек.")
    ]
    charts.p_chart(
        [charts.ControlPoint(m, 0.05 + 0.01 * (i == 7), 0.02, 0.055) for i, m in enumerate(months)],
        0.045,
        xlabel="Месяц",
    )
    ((_fig, clashes),) = figures
    assert clashes == []


def test_dollar_signs_in_staff_text_stay_text():
    """A question text such as ``$\\foo$`` used to go to mathtext, raise, and break the preview and the PDF."""
    nasty = r"Цена $\foo$ за $5 и $10"
    urls = [
        charts.headline_bars([charts.Bar(nasty, 0.5, 0.4, 0.6)], "Доля, %"),
        charts.ipa_scatter([charts.Driver(nasty, 0.3, 0.6), charts.Driver("Вежливость", 0.1, 0.9)]),
        charts.trend_chart(
            {nasty: [charts.TrendPoint("I кв. 2026", 0.5)], "NPS": [charts.TrendPoint("I кв. 2026", 0.2)]}, "Доля, %"
        ),
        charts.funnel_plot([charts.FunnelPoint(nasty, 50, 0.1), charts.FunnelPoint("Курск", 500, 0.8)], 0.75, nasty),
        charts.p_chart(
            [charts.ControlPoint(nasty, 0.5, 0.1, 0.2), charts.ControlPoint("Льгов", 0.1, 0, 0.2)], 0.15, ylabel=nasty
        ),
        charts.distribution_bars([(nasty, {"1": 1, "5": 2})], ["1", "5"]),
        charts.center_vs_network([(nasty, 0.5)], [0.6]),
    ]
    for url in urls:
        assert "Цена $\\foo$" in svg_text(url)


def test_ranking_draws_the_composite_index_interval_as_error_bars(figures):
    rows = [
        charts.RankRow("Курскэнерго", 70.0, 64.0, 75.0),
        charts.RankRow("Белгородэнерго", 60.0, 57.5, 62.0),
        charts.RankRow("Орелэнерго", 55.0),
    ]  # no interval: no bar
    charts.ranking_dots(rows)
    ((fig, clashes),) = figures
    assert clashes == []
    bars = [c for c in fig.axes[0].collections if isinstance(c, LineCollection) and len(c.get_segments()) == 2]
    spans = sorted(tuple(sorted((round(seg[0][0], 6), round(seg[1][0], 6)))) for seg in bars[0].get_segments())
    assert spans == [(57.5, 62.0), (64.0, 75.0)]
