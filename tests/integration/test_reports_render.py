"""Report renderers on real reports built from seeded data (no hand-made report dicts).

The contexts the templates read, the strict templates themselves (a field the report lacks fails), no
code or identifier in what a reader sees, and statistical terms only in footnotes and the appendix.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from jinja2 import UndefinedError

from app.reports import context, services
from app.reports.fmt import ci_text, num, p_value_text, pct
from app.reports.render import render_strict
from tests.integration import reports_seed

demo = reports_seed.demo
satisfaction = reports_seed.satisfaction
appeals = reports_seed.appeals

STAT_TERMS = ("Холм", "Бенджамини", "Хохберг", "Джонсон", "Краскел", "p =", "p <", "p-значени", "R²")


class VisibleText(HTMLParser):
    """The text a reader sees, optionally without footnotes (``.fn``) and appendix sections (``.appendix``)."""

    def __init__(self, skip_classes: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.skip_classes, self.parts, self.stack, self.skipping = skip_classes, [], [], 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "img", "input", "meta", "link"):
            return
        classes = (dict(attrs).get("class") or "").split()
        skip = tag in ("style", "script", "title") or any(c in self.skip_classes for c in classes)
        self.stack.append(skip)
        self.skipping += skip

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "img", "input", "meta", "link") or not self.stack:
            return
        self.skipping -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str, skip_classes: tuple[str, ...] = ()) -> str:
        parser = cls(skip_classes)
        parser.feed(html)
        return " ".join(" ".join(parser.parts).replace("\u00a0", " ").split())


def identifiers(report) -> set[str]:
    """Every code a reader must never see: questions, centres, branches, the company, the survey, tests, rules."""
    codes = set(report.questions) | {c.center for c in report.centers}
    codes |= {b.branch for b in report.branches} | {report.scope_code, report.survey}
    codes |= {c.test for c in report.comparisons} | {r.rule for r in report.recommendations}
    codes |= {"cochran_armitage", "mann_kendall", "two_proportion_z", "nps_difference_z", "below_rest", "ipa_center"}
    return codes


def codes_in(text: str, codes: set[str]) -> list[str]:
    return sorted(code for code in codes if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text))


def all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [] if value.startswith("data:image/") else [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in ("raw", "code", "center") for s in all_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in all_strings(v)]
    return []


def test_satisfaction_context_from_a_real_report(satisfaction):
    ctx = context.satisfaction_context(satisfaction, scope_name="Компания", charts_on=False)
    overall, nps = satisfaction.questions["overall"], satisfaction.questions["nps"]
    main, nps_box = ctx["headline"]
    assert main["value"] == pct(overall.top2box) and main["ci"] == ci_text(overall.top2box_ci, 1, True)
    assert nps_box["value"] == num(nps.nps, 1)
    change = next(c for c in satisfaction.previous.questions if c.question == "overall" and c.measure == "top2box")
    assert main["change"]["significant"] is bool(change.significant)
    assert ("в пределах случайных колебаний" in main["change"]["text"]) is not bool(change.significant)
    assert 3 <= len(ctx["summary"]) <= 5
    assert pct(overall.top2box, 0) in ctx["summary"][0]["text"]
    # Every recommendation is in exactly one row of page 1 or the appendix, rows ordered by priority.
    rows = ctx["action_rows"] + ctx["more_action_rows"]
    assert len(ctx["action_rows"]) <= 10
    assert sum(len(r["where"]) for r in rows) >= len({(r["action"], r["where"]) for r in ctx["rec_details"]}) > 0
    assert [r["priority"] for r in rows] == sorted((r["priority"] for r in rows), reverse=True)
    assert len({(r["action"], r["role"]) for r in rows}) == len(rows)  # identical actions grouped
    names = {c.name for c in satisfaction.centers} | {satisfaction.scope_name}
    assert all(set(r["where"]) <= names for r in rows)
    assert codes_in(" ".join(all_strings(ctx)), identifiers(satisfaction)) == []


def test_pdf_limit_sends_the_rest_to_the_appendix(satisfaction):
    full = context.satisfaction_context(satisfaction, scope_name="Компания", charts_on=False, pdf_limit=100)
    assert len(full["action_rows"]) > 2, "the seeded data must give several recommended actions"
    short = context.satisfaction_context(satisfaction, scope_name="Компания", charts_on=False, pdf_limit=2)
    assert short["action_rows"] == full["action_rows"][:2] and short["more_action_rows"] == full["action_rows"][2:]


def test_per_centre_control_charts_are_drawn(satisfaction):
    """The p-chart section used to read a ``p_chart`` key the report never had; it reads the centres' charts."""
    control = satisfaction.complaints_control
    assert control.centers, "the seeded appeals give centres a complaint p-chart"
    charts = context.control_charts(satisfaction)
    expected = [c for c in control.centers if any(p.beyond for p in c.points)]
    assert len(charts) == min(len(expected) if len(control.centers) > 3 else len(control.centers), 6)
    names = {c.name for c in satisfaction.centers}
    for chart in charts:
        assert chart["name"] in names and chart["chart"].startswith("data:image/svg+xml;base64,")


def test_a_centre_report_draws_its_control_chart(demo):
    from app.analysis.report import build_report

    report = build_report("visit-csat", *reports_seed.Q3, scope="LGV", previous=True)
    assert len(report.complaints_control.centers) == 1
    (drawn,) = context.control_charts(report)
    assert drawn["name"] == "Льгов" and drawn["chart"].startswith("data:image/svg+xml;base64,")


def test_center_cards_from_a_real_report(satisfaction):
    cards = context.center_cards(satisfaction, ["LGV", "KUR"], charts_on=False)
    assert sorted(c["code"] for c in cards) == ["KUR", "LGV"]
    for card in cards:
        assert len(card["actions"]) <= 3
        assert all(a["role"] and a["action"] for a in card["actions"])
    own = [r for r in satisfaction.recommendations if r.center == "LGV"]
    lgv = next(c for c in cards if c["code"] == "LGV")
    if own:
        assert not lgv["actions"][0]["network"]
    assert codes_in(" ".join(all_strings(cards)), identifiers(satisfaction)) == []


def test_appeals_context_from_a_real_report(appeals):
    ctx = context.appeals_context(appeals, charts_on=False)
    assert ctx["total"] == num(appeals.total)
    for kind in appeals.by_kind:
        row = next(k for k in ctx["kinds"] if k["kind"] == kind.kind)
        assert (row["count"], row["share"]) == (num(kind.count), pct(kind.share))
    assert len(ctx["changes"]) == len([c for c in appeals.changes if c.previous is not None or c.current is not None])
    assert all("критерий" not in c["verdict"] and "p" not in c["verdict"].split() for c in ctx["changes"])


def test_templates_are_strict_a_missing_field_fails(app, satisfaction):
    meta = {
        "title": "Отчет",
        "company": "Компания",
        "scope_name": "Сеть",
        "period_label": "III квартал 2026 г.",
        "report_type": "satisfaction",
        "generated_at": "",
        "author": "",
    }
    ctx = context.satisfaction_context(satisfaction, scope_name="Сеть", charts_on=False)
    with app.test_request_context():
        assert "Главное" in render_strict("reports/satisfaction.html", ctx=ctx, meta=meta, pdf=True, font_css="")
        del ctx["charts"]["ipa"]
        with pytest.raises(UndefinedError):
            render_strict("reports/satisfaction.html", ctx=ctx, meta=meta, pdf=True, font_css="")
        ctx = context.satisfaction_context(satisfaction, scope_name="Сеть", charts_on=False)
        del ctx["summary"][0]["note"]
        with pytest.raises(UndefinedError):
            render_strict("reports/satisfaction.html", ctx=ctx, meta=meta, pdf=True, font_css="")


def test_body_of_the_satisfaction_report_speaks_plain_russian(satisfaction):
    """Holm, Benjamini–Hochberg, Johnson, Kruskal–Wallis and p live in footnotes and the appendix only."""
    html = services.build_html("satisfaction", {"period": "2026Q3"}, pdf=True, network_report=satisfaction)
    body = VisibleText.of(html, skip_classes=("fn", "appendix"))
    assert "Главное" in body and "Что сделать" in body
    assert [t for t in STAT_TERMS if t in body] == []
    everything = VisibleText.of(html)
    assert "Холм" in everything and "Джонсон" in everything  # still there, in the footnotes and the appendix
    assert codes_in(everything, identifiers(satisfaction)) == []


def test_analysis_page_shows_names_not_codes(satisfaction, client, make_user, login):
    login(make_user("manager", scope="MRSK"))
    page = client.get("/analysis/?survey=visit-csat&period=2026Q3")
    assert page.status_code == 200
    text = VisibleText.of(page.get_data(as_text=True))
    assert "Льгов" in text and satisfaction.questions["wait"].text in text
    assert codes_in(text, identifiers(satisfaction)) == []


def test_action_rows_are_built_from_the_recommendation_contract(satisfaction):
    ctx = context.satisfaction_context(satisfaction, scope_name="Компания", charts_on=False, pdf_limit=100)
    recs = satisfaction.recommendations
    assert recs and all(r.why and r.expected_effect and r.responsible_role for r in recs)
    for row in ctx["action_rows"]:
        mine = [r for r in recs if r.action.strip() == row["action"] and r.responsible_role == row["role"]]
        assert mine and row["where"] == list(
            dict.fromkeys(r.center_name for r in sorted(mine, key=lambda r: -r.priority))
        )
        top = max(mine, key=lambda r: r.priority)
        assert row["priority"] == top.priority and row["effect"] == top.expected_effect
        assert row["why"][0].endswith(top.why[1:])


def test_ranking_chart_draws_every_index_interval(satisfaction, monkeypatch):
    """The composite-index chart once had no intervals: each row with an ``index_ci`` gets its bar."""
    from app.reports import charts

    drawn = []

    def recording(rows, *args, **kwargs):
        drawn.extend(rows)
        return "data:image/svg+xml;base64,"

    monkeypatch.setattr(charts, "ranking_dots", recording)
    context.satisfaction_context(satisfaction, scope_name="Компания")
    branches = {b.name: b for b in satisfaction.ranking.branches}
    assert drawn and {r.label for r in drawn} == set(branches)  # the company report charts its branches
    for row in drawn:
        low, high = branches[row.label].index_ci
        assert (row.low, row.high) == (low, high) and low <= row.value <= high


def test_trend_footnotes_name_the_deciding_test_in_russian(satisfaction):
    ctx = context.satisfaction_context(satisfaction, scope_name="Компания", charts_on=False)
    share, nps_trend = ctx["trends"]
    assert share["footnote"].startswith("тест Кокрена — Армитиджа")
    regression = satisfaction.trend.questions["nps"].regression
    assert (
        nps_trend["footnote"].startswith("регрессия оценок NPS")
        and p_value_text(regression.p_value) in nps_trend["footnote"]
    )
    for t in ctx["trends"]:  # the body sentence is plain; a significant trend agrees in gender
        assert "p" not in t["verdict"].split() and "значимый снижение" not in t["footnote"]
